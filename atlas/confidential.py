"""What only an officer may see: the one list of confidential fields.

Officers' negotiation notes about a site, people's and organisations' contact details,
and the reasons officers give for accepting or turning down a match can hurt someone if
they reach the wrong screen. Every query that can return one of these takes the
:class:`~atlas.access.Viewer` asking (the public, a visitor who has not signed in,
unless the caller says otherwise) and checks it here, so a map popup, a download, an
export or a dossier made for a resident never holds them. People's precise places are
kept out of the tables every other query reads (:mod:`atlas.people`).
"""

from __future__ import annotations

from atlas.access import Viewer
from atlas.i18n import N_

CONFIDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "assets": ("contact",),
    "site_notes": ("note", "author", "created_at"),
    "match_decisions": ("reason",),
    "person_locations": ("lon", "lat"),
}
"""Table -> its confidential columns. ``site_notes`` is confidential as a whole;
``person_locations`` holds people's precise places (atlas.people), read only by
:func:`atlas.people.precise_location` and :func:`atlas.queries.get_asset`."""

WITHHELD = N_("(confidential: not included)")
"""What an output shows in place of a confidential value it may not hold."""


def is_confidential(table: str, column: str) -> bool:
    return column in CONFIDENTIAL_FIELDS.get(table, ())


def disclosed(table: str, column: str, value: object, viewer: Viewer) -> object:
    """``value`` if the field is not confidential or ``viewer`` may see confidential
    fields; None otherwise."""
    if is_confidential(table, column) and not viewer.sees_confidential:
        return None
    return value
