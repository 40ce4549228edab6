"""Languages of the widget: English and Spanish, chosen by `?lang=` or `Accept-Language`.

Every visible string goes through gettext: the templates through Jinja2's i18n extension, the
Python messages through `translate`. The Spanish catalog is `locale/es/LC_MESSAGES/messages.po`,
compiled to `messages.mo` by `scripts/compile_catalogs.py` (a test checks the two agree). Dates
and times are formatted by Babel in the language's locale.
"""

from datetime import date, datetime
from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_day_names
from babel.support import Translations

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
# The locale dates are formatted in, per language (the week starts as it does there).
FORMAT_LOCALES = {"en": "en_US", "es": "es_ES"}
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
LOCALE_DIR = Path(__file__).parent / "locale"
# An Accept-Language header is read up to this many characters and this many entries.
MAX_ACCEPT_LANGUAGE = 512
MAX_ACCEPT_ENTRIES = 32


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it (translated where shown)."""
    return message


def accepted(header: str | None) -> str | None:
    """The first of our languages in an `Accept-Language` header, by its q-values."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_ACCEPT_ENTRIES]):
        tag, _, params = entry.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        language = tag.strip().split("-")[0].lower()
        if language in LANGUAGES and 0 < quality <= 1:
            choices.append((-quality, position, language))
    return min(choices)[2] if choices else None


def choose_language(asked: str | None, header: str | None) -> str:
    """`?lang=` when it names one of ours, else Accept-Language, else English."""
    if asked in LANGUAGES:
        return asked
    return accepted(header) or DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    loaded = Translations.load(str(LOCALE_DIR), [language], domain="messages")
    if not isinstance(loaded, Translations):
        raise RuntimeError(f"the {language} catalog is missing from {LOCALE_DIR}")
    return loaded


def translate(language: str, message: str, **values: object) -> str:
    text = translations(language).gettext(message)
    return text % values if values else text


def locale_of(language: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES[language])


def sentence_case(text: str) -> str:
    """`marzo de 2026` as a heading: `Marzo de 2026` (Spanish names are written in lower case)."""
    return text[:1].upper() + text[1:]


class Formats:
    """Dates and times for one language, as the pages show them."""

    def __init__(self, language: str):
        self.language = language
        self.locale = locale_of(language)

    def long_date(self, day: date) -> str:
        """`Monday, March 2, 2026` / `lunes, 2 de marzo de 2026`."""
        return format_date(day, "full", locale=self.locale)

    def month(self, year: int, month: int) -> str:
        """`March 2026` / `marzo de 2026`."""
        return sentence_case(format_skeleton("yMMMM", date(year, month, 1), locale=self.locale))

    def heading_date(self, day: date) -> str:
        """`long_date` at the start of a heading: `Lunes, 2 de marzo de 2026`."""
        return sentence_case(self.long_date(day))

    def time(self, moment: datetime) -> str:
        """`9:00 AM` / `9:00` (a zoned datetime, shown in its own zone)."""
        return format_time(moment, "short", locale=self.locale)

    def weekdays(self) -> list[tuple[str, str]]:
        """(short, full) weekday names from the locale's first day of the week."""
        short = get_day_names("abbreviated", locale=self.locale)
        full = get_day_names("wide", locale=self.locale)
        first = self.locale.first_week_day
        return [(short[(first + i) % 7], full[(first + i) % 7]) for i in range(7)]

    @property
    def first_week_day(self) -> int:
        """0 = Monday, as `date.weekday()`."""
        return self.locale.first_week_day

    def duration(self, minutes: int) -> str:
        t = translations(self.language)
        if minutes < 60:
            return t.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
        hours, rest = divmod(minutes, 60)
        if rest == 0:
            return t.ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
        return t.gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
