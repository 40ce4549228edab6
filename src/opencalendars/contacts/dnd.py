"""Do not disturb: whether a contact may be written to on a channel (docs/contacts.md)."""

# A notification's channel and the `dndSettings` keys that speak for it, in both editions.
DND_KEYS = {
    "email": ("email", "Email"),
    "sms": ("sms", "SMS"),
    "whatsapp": ("whatsApp", "WhatsApp"),
}
# `permanent` is DND a contact cannot lift by replying (HighLevel's hard bounce, unsubscribe).
BLOCKING = ("active", "permanent")


def do_not_disturb(dnd: bool, dnd_settings: dict | None, channel: str) -> bool:
    """True when the contact has DND on for every channel (`dnd`) or for this one."""
    if dnd:
        return True
    settings = dnd_settings or {}
    return any(
        (settings.get(key) or {}).get("status") in BLOCKING for key in DND_KEYS.get(channel, ())
    )
