"""One palette for plans, so the report's map and the app's map agree.

Colours are chosen to stay distinguishable for the common forms of colour blindness
(after Paul Tol's "bright" and "muted" schemes) and are given as hex strings that both
matplotlib and Leaflet understand.
"""

from __future__ import annotations

ZONE_COLOURS: dict[str, str] = {
    "food growing": "#228833",
    "co-working": "#4477AA",
    "community cafe": "#CC6677",
    "play": "#DDCC77",
    "training space": "#882255",
    "market": "#EE7733",
    "events": "#AA3377",
    "nature": "#117733",
    "other": "#777777",
}

SITE_COLOUR = "#222222"
MACRO_COLOUR = "#332288"
MICRO_COLOUR = "#44AA99"
IDEA_COLOUR = "#EE3377"

FEATURE_FILLS: dict[str, str] = {
    "water": "#C6DBEF",
    "green_space": "#D9F0D3",
    "land": "#EFE6D3",
    "building": "#D9D9D9",
    "other": "#EEEEEE",
}


def zone_colour(use: str) -> str:
    """The colour of a zone use; unknown uses get the colour of "other"."""
    return ZONE_COLOURS.get(use, ZONE_COLOURS["other"])
