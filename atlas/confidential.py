"""What only an officer may see: the one list of confidential fields.

Officers' negotiation notes about a site, people's and organisations' contact details,
and the reasons officers give for accepting or turning down a match can hurt someone if
they reach the wrong screen. Every query that can return one of these takes an explicit
``include_confidential`` (False unless the caller asks) and checks it here, so a map
popup, a download, an export or a dossier made without asking never holds them. The
sign-in and roles work ties the question "may this caller see them?" to a signed-in
officer; until then the caller asks explicitly (``--include-confidential``, a marked
section in a page).
"""

from __future__ import annotations

CONFIDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "assets": ("contact",),
    "site_notes": ("note", "author", "created_at"),
    "match_decisions": ("reason",),
}
"""Table -> its confidential columns. ``site_notes`` is confidential as a whole."""

WITHHELD = "(confidential: not included)"
"""What an output shows in place of a confidential value it may not hold."""


def is_confidential(table: str, column: str) -> bool:
    return column in CONFIDENTIAL_FIELDS.get(table, ())


def disclosed(table: str, column: str, value: object, include_confidential: bool) -> object:
    """``value`` if the field is not confidential or the caller asked for confidential
    fields; None otherwise."""
    if is_confidential(table, column) and not include_confidential:
        return None
    return value
