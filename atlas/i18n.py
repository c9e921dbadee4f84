"""Languages: the translation catalogues and locale-aware formatting, through Babel.

Every word a person reads is written in English in the code, marked for translation with
``_("...")`` (or ``N_("...")`` where it is only named, in a module-level table, and
translated where it is shown) and looked up at the moment it is shown, in the catalogue of
the reader's language: ``atlas/locales/<code>/LC_MESSAGES/messages.po``, gettext's own
format, extracted and updated with Babel's ``pybabel`` (see ``babel.cfg`` and
docs/translating.md). A message missing from a catalogue falls back to the English.

Strings with values use named placeholders filled after translation,
``_("{count} assets").format(count=n)``, so a translator can move them.

The domain knows nothing of Streamlit: the app and the command line each decide which
language is being read and ask :func:`translator` for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).with_name("locales")
"""Where the catalogues live: ``<code>/LC_MESSAGES/messages.po``."""

DOMAIN = "messages"

SOURCE_LANGUAGE = "en"

LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pl": "Polski",
    "ar": "العربية",
    "ur": "اردو",
}
"""Every language the app can be read in, by code, each named in itself (so a person finds
their own in the switcher)."""

COMPLETE_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl")
"""Languages in which every message is translated (a test holds them to it)."""

WORKSHOP_LANGUAGES = ("ar", "ur")
"""Languages in which the workshop page (and the menu around it) is complete; elsewhere in
the app they fall back to the place's language."""

RIGHT_TO_LEFT = frozenset({"ar", "ur"})

WORKSHOP_SOURCES = ("app/pages/workshop.py", "app/participant.py", "app/language.py", "atlas/access.py")
"""The files whose messages the workshop languages must translate."""


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it yet: for tables built when a
    module is imported, translated with ``_`` where they are shown."""
    return message


def supported(code: str | None) -> str | None:
    """``code`` (``de``, ``de-AT``, ``de_AT``, ``ar-EG``) as one of LANGUAGES, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None


def is_rtl(code: str) -> bool:
    return code in RIGHT_TO_LEFT


@functools.cache
def _translations(code: str) -> NullTranslations:
    # The catalogues are kept as .po only (text a translator edits and a reviewer reads),
    # compiled in memory the first time a language is asked for.
    path = LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == SOURCE_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """Messages and formats of one language. ``code`` is one of LANGUAGES."""

    code: str

    @property
    def locale(self) -> Locale:
        return _locale(self.code)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.code)

    def gettext(self, message: str) -> str:
        return _translations(self.code).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _translations(self.code).ngettext(singular, plural, n)

    # -- formats -------------------------------------------------------------------
    def number(self, value: float | int, *, digits: int = 0) -> str:
        """A number with the locale's separators: 12,345 / 12.345 / 12 345."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return babel_numbers.format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, share: float, *, digits: int = 0) -> str:
        """``share`` (0.25) as a percentage in the locale's way: 25% / 25 %."""
        if not digits:
            return babel_numbers.format_percent(share, locale=self.locale)
        pattern = "#,##0." + "0" * digits + "%"
        return babel_numbers.format_percent(share, format=pattern, locale=self.locale)

    def money(self, amount: float, currency: str, *, whole: bool = True) -> str:
        """``amount`` in ``currency`` (ISO 4217) as the locale writes it: £1,234 / 1.234 €."""
        if not whole:
            return babel_numbers.format_currency(amount, currency, locale=self.locale)
        return babel_numbers.format_currency(round(amount), currency, format=_whole_money_pattern(self.code),
                                             locale=self.locale, currency_digits=False)

    def date(self, value: dt.date | dt.datetime, *, form: str = "medium") -> str:
        """A date in the locale's way (``medium``: 1 Dec 2026 / 01.12.2026)."""
        day = value.date() if isinstance(value, dt.datetime) else value
        return babel_dates.format_date(day, format=form, locale=self.locale)

    def datetime(self, value: dt.datetime, *, form: str = "medium") -> str:
        return babel_dates.format_datetime(value, format=form, locale=self.locale)

    def distance_m(self, metres: float) -> str:
        """A distance: metres under a kilometre, else kilometres with one decimal."""
        if metres < 1000:
            return babel_numbers.format_decimal(round(metres), locale=self.locale) + "\u00a0m"
        return babel_numbers.format_decimal(round(metres / 1000, 1), format="#,##0.0",
                                            locale=self.locale) + "\u00a0km"

    def area_m2(self, square_metres: float) -> str:
        """An area: square metres under a hectare, else hectares with two decimals."""
        if square_metres < 10_000:
            return babel_numbers.format_decimal(round(square_metres), locale=self.locale) + "\u00a0m²"
        return babel_numbers.format_decimal(square_metres / 10_000, format="#,##0.00",
                                            locale=self.locale) + "\u00a0ha"


@functools.cache
def _locale(code: str) -> Locale:
    try:
        # English as written in the UK and Ireland (1 Dec 2026), where the model began.
        return Locale.parse("en_GB" if code == "en" else code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


@functools.cache
def _whole_money_pattern(code: str) -> str:
    # The locale's own currency pattern, with the decimals dropped: community budgets are
    # read in whole pounds or euros.
    pattern = _locale(code).currency_formats["standard"].pattern
    return pattern.split(";")[0].replace(".00", "").replace(".##", "")


@functools.cache
def translator(code: str | None) -> Translator:
    """The translator of ``code``, or of English when ``code`` is not a language we have."""
    return Translator(supported(code) or SOURCE_LANGUAGE)


def extract_vocabulary(fileobj: Any, keywords: object, comment_tags: object,
                       options: object) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extractor for ``atlas/vocabulary.toml`` (named in babel.cfg): the category
    labels people read are words to translate; ids and synonyms are matching data."""
    for lineno, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        key, _sep, value = line.partition("=")
        if key.strip() == "label" and value.strip().startswith('"'):
            yield lineno, None, tomllib.loads(f"v = {value.strip()}")["v"], ["vocabulary category"]
