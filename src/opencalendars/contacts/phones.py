"""Phone numbers as contacts store and match them: E.164 (`+14155550100`).

A number with a leading `+` names its country itself (so does one dialled with the international
prefix of the location's country: `011` in the US, `00` in most of Europe); any other number is
read in the location's country (US when the location has none, as HighLevel reads it). A number
is accepted when its length fits its country's numbering plan (libphonenumber's "possible"
check, not local only): whether it is assigned to anyone is not checked, so the 555 numbers of
examples and tests are accepted. Extensions are refused: E.164 has none.
"""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

DEFAULT_COUNTRY = "US"
# Longer input is no phone number (E.164 has at most 15 digits; spaces, dashes, brackets).
MAX_INPUT = 64


def is_dialling_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code whose numbering plan libphonenumber knows (upper case)."""
    return code in phonenumbers.SUPPORTED_REGIONS


def location_country(country: str | None) -> str:
    return country or DEFAULT_COUNTRY


def invalid_message(field: str, country: str) -> str:
    return (
        f"{field} must be a valid phone number (with + and the country code, "
        f"or a number of the location's country, {country})"
    )


def to_e164(text: str, country: str) -> str | None:
    """`text` as E.164, or None when it is no possible phone number."""
    if len(text) > MAX_INPUT:
        return None
    try:
        number = phonenumbers.parse(text, country)
    except NumberParseException:
        return None
    if number.extension:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
