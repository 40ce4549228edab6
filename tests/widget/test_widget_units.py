"""The widget's small parts on their own: signatures, the limiter, languages, colours, URLs."""

from opencalendars.contacts.phones import invalid_message
from opencalendars.widget import forms, links, pages
from opencalendars.widget.i18n import Formats, accepted, choose_language
from opencalendars.widget.limits import PostLimiter

KEY = b"k" * 32


def test_a_link_is_checked_by_purpose_appointment_and_expiry():
    token = links.sign_link(KEY, links.CANCEL, "abc123", expiry_s=2_000)
    assert links.check_link(KEY, links.CANCEL, token, now_ms=1_999_999) == links.Link(
        "abc123", 2_000
    )
    for purpose in (links.VIEW, links.ICS, links.RESCHEDULE):
        try:
            links.check_link(KEY, purpose, token, now_ms=0)
            raise AssertionError(purpose)
        except links.BadLink:
            pass
    try:
        links.check_link(KEY, links.CANCEL, token, now_ms=2_000_000)
        raise AssertionError("expired")
    except links.ExpiredLink:
        pass
    try:
        links.check_link(b"other" * 8, links.CANCEL, token, now_ms=0)
        raise AssertionError("another key")
    except links.BadLink:
        pass


def test_csrf_tokens_are_bound_to_their_action_and_time():
    token = links.csrf_token(KEY, "book:a", now_s=1_000)
    assert links.valid_csrf(KEY, "book:a", token, now_s=1_001)
    assert not links.valid_csrf(KEY, "book:b", token, now_s=1_001)
    assert not links.valid_csrf(KEY, "book:a", token, now_s=1_000 + links.CSRF_SECONDS)
    assert not links.valid_csrf(KEY, "book:a", None)
    assert not links.valid_csrf(KEY, "book:a", "1.2")


def test_the_limiter_refills_and_forgets_the_oldest_address():
    limiter = PostLimiter(capacity=2, period_s=60, max_addresses=2)
    assert limiter.take("a", now=0) is None
    assert limiter.take("a", now=0) is None
    assert limiter.take("a", now=0) == 30
    assert limiter.take("a", now=30) is None
    limiter.take("b", now=30)
    limiter.take("c", now=30)  # "a" is forgotten
    assert limiter.take("a", now=30) is None
    assert len(limiter._buckets) == 2


def test_languages_from_accept_language():
    assert accepted("es-MX,es;q=0.9") == "es"
    assert accepted("fr, en;q=0.8, es;q=0.9") == "es"
    assert accepted("fr") is None
    assert accepted("es;q=0, en;q=0.1") == "en"
    assert accepted("es;q=abc") is None
    assert accepted("x" * 10_000) is None
    assert choose_language("es", "en") == "es"
    assert choose_language("de", None) == "en"


def test_dates_and_durations_in_both_languages():
    from datetime import date

    assert Formats("en").long_date(date(2026, 3, 2)) == "Monday, March 2, 2026"
    assert Formats("es").long_date(date(2026, 3, 2)) == "lunes, 2 de marzo de 2026"
    assert Formats("es").month(2026, 3) == "Marzo de 2026"
    assert Formats("en").duration(90) == "1 h 30 min"
    assert Formats("es").duration(60) == "1 hora"
    assert Formats("es").duration(120) == "2 horas"
    assert Formats("en").weekdays()[0] == ("Sun", "Sunday")
    assert Formats("es").weekdays()[0] == ("lun", "lunes")


def test_the_palette_keeps_text_readable():
    grays = [f"#{v:02x}{v:02x}{v:02x}" for v in range(0, 256, 5)]
    for color in ("#039BE5", "#FFFF00", "#7c3aed", "#fff", "red", None, "#12345", *grays):
        chosen = pages.palette(color)
        accent = pages._rgb(chosen["accent"])
        assert pages.contrast(accent, pages._rgb(chosen["on_accent"])) >= 4.5, color
        assert pages.contrast(pages._rgb(chosen["accent_text"]), pages.WHITE) >= 4.5
    assert pages.palette("red")["accent"] == "#039be5"


def test_only_plain_web_urls_are_shown_or_followed():
    assert pages.web_origin("https://img.example.com/a.png?x=1") == "https://img.example.com"
    assert pages.web_origin("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"
    for bad in (
        "javascript:alert(1)",
        "data:image/png;base64,xx",
        "https://user:pw@example.com/",
        "https://exa mple.com/",
        "https://example.com/'; script-src *",
        "//example.com/x",
        "https://example.com:99999/",
        "https://" + "a" * 3000 + ".com/",
        None,
        "",
    ):
        assert pages.web_origin(bad) is None, bad


def test_the_phone_message_is_the_contacts_apis():
    message = forms.REQUIRED  # the widget's own
    assert "firstName" in message
    from opencalendars.widget.i18n import translate

    ours = translate(
        "en",
        "phone must be a valid phone number (with + and the country code, or a number of the "
        "location's country, %(country)s)",
        country="DE",
    )
    assert ours == invalid_message("phone", "DE")


def test_slots_are_read_as_offered_instants():
    assert forms.slot_start_ms("2026-03-02T09:00:00-05:00") == 1772460000000
    for bad in ("2026-03-02T09:00:00", "tomorrow", "0001-01-01T00:00:00+00:00", "9" * 50, None):
        assert forms.slot_start_ms(bad) is None
