"""The sector a register gives an organisation: the section of the UK Standard Industrial
Classification (SIC 2007) its activity codes fall in.

Companies House lists up to four SIC codes a company, each as ``"88990 - Other social
work activities without accommodation n.e.c."``. A 5-digit SIC 2007 code's first two
digits are its division, and each division belongs to one of 21 sections (A to U); the
table below is that published structure. Codes from the older SIC 2003 (four digits,
``"7499 - Non-trading company"``) use other divisions and are kept as codes without a
section, as are Companies House's placeholders for dormant and non-trading companies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SicSection:
    """One section of SIC 2007: its letter and its name."""

    letter: str
    name: str


# Section letter, name, and its divisions (inclusive ranges), as SIC 2007 defines them.
_SECTIONS: tuple[tuple[str, str, tuple[tuple[int, int], ...]], ...] = (
    ("A", "Agriculture, forestry and fishing", ((1, 3),)),
    ("B", "Mining and quarrying", ((5, 9),)),
    ("C", "Manufacturing", ((10, 33),)),
    ("D", "Electricity, gas, steam and air conditioning supply", ((35, 35),)),
    ("E", "Water supply; sewerage, waste management and remediation activities", ((36, 39),)),
    ("F", "Construction", ((41, 43),)),
    ("G", "Wholesale and retail trade; repair of motor vehicles and motorcycles", ((45, 47),)),
    ("H", "Transportation and storage", ((49, 53),)),
    ("I", "Accommodation and food service activities", ((55, 56),)),
    ("J", "Information and communication", ((58, 63),)),
    ("K", "Financial and insurance activities", ((64, 66),)),
    ("L", "Real estate activities", ((68, 68),)),
    ("M", "Professional, scientific and technical activities", ((69, 75),)),
    ("N", "Administrative and support service activities", ((77, 82),)),
    ("O", "Public administration and defence; compulsory social security", ((84, 84),)),
    ("P", "Education", ((85, 85),)),
    ("Q", "Human health and social work activities", ((86, 88),)),
    ("R", "Arts, entertainment and recreation", ((90, 93),)),
    ("S", "Other service activities", ((94, 96),)),
    ("T", "Activities of households as employers; undifferentiated goods- and services-producing activities "
          "of households for own use", ((97, 98),)),
    ("U", "Activities of extraterritorial organisations and bodies", ((99, 99),)),
)

SECTIONS: dict[str, SicSection] = {letter: SicSection(letter, name) for letter, name, _ in _SECTIONS}
"""Every SIC 2007 section by its letter."""

_BY_DIVISION: dict[int, SicSection] = {
    division: SECTIONS[letter]
    for letter, _, ranges in _SECTIONS
    for first, last in ranges
    for division in range(first, last + 1)
}

NO_ACTIVITY_CODES = frozenset({"99999", "74990"})
"""Companies House codes that say a company is dormant (99999 "Dormant Company") or not
trading (74990 "Non-trading company") rather than what it does: no sector."""

_CODE = re.compile(r"^\s*(\d{4,5})\b")


def sic_code(text: object) -> str | None:
    """The code at the start of a Companies House SIC entry (``"88990 - Other ..."`` ->
    ``"88990"``); None for an empty cell or ``"None Supplied"``."""
    if text is None:
        return None
    match = _CODE.match(str(text))
    return match.group(1) if match else None


def section_of(code: str) -> SicSection | None:
    """The SIC 2007 section of a 5-digit code (``"88990"`` -> Q, Human health and social
    work activities); None for a 4-digit SIC 2003 code, a placeholder or a division that
    SIC 2007 does not have."""
    if len(code) != 5 or not code.isdigit() or code in NO_ACTIVITY_CODES:
        return None
    return _BY_DIVISION.get(int(code[:2]))


def register_sector(codes: Iterable[str]) -> str | None:
    """The sector a register row is filed under: the section name of its first code that
    has one (Companies House lists the principal activity first)."""
    for code in codes:
        section = section_of(code)
        if section is not None:
            return section.name
    return None


__all__ = ["NO_ACTIVITY_CODES", "SECTIONS", "SicSection", "register_sector", "section_of", "sic_code"]
