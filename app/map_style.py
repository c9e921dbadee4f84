"""How the atlas looks on a map: one place for symbols, colours and their legend labels.

Features are filled by kind and outlined by status (a dashed red edge marks land that is
vacant or disused, so the opportunities stand out); macro and micro assets differ in
shape as well as colour, so the map still reads in black and white or for people who do
not see colour well.
"""

from __future__ import annotations

from atlas.i18n import N_

BASE_MAP = "#f3f1ec"
"""The map's background where there are no street tiles (the store's shapes are the base map)."""

MIN_SYMBOL_CONTRAST = 3.0
"""WCAG 2.1's 1.4.11 (non-text contrast): every symbol's edge and every legend swatch's
edge differs from white and from :data:`BASE_MAP` at least this much."""

FEATURE_FILL = {
    "land": "#c9b38b",
    "building": "#9e7b6b",
    "green_space": "#7cb86f",
    "water": "#6fb7dd",
    "other": "#b8b8b8",
}

FEATURE_KIND_LABEL = {
    "land": N_("Land"),
    "building": N_("Building"),
    "green_space": N_("Green space"),
    "water": N_("Water"),
    "other": N_("Other"),
}

STATUS_OUTLINE = {
    # status: (outline colour, dash pattern or None, outline weight in pixels)
    "in_use": ("#4e5b4e", None, 1),
    "underused": ("#b26a00", "6 4", 2.5),
    "vacant": ("#d0312d", "6 4", 2.5),
    "disused": ("#7a1f1f", "2 4", 2.5),
    "unknown": ("#777777", "1 3", 1.5),
}

STATUS_LABEL = {
    "in_use": N_("In use"),
    "underused": N_("Underused"),
    "vacant": N_("Vacant"),
    "disused": N_("Disused"),
    "unknown": N_("Status unknown"),
}

SCALE_LABEL = {
    "macro": N_("Macro (anchor) asset"),
    "micro": N_("Micro (community) asset"),
}

SECTOR_LABEL = {"public": N_("Public"), "private": N_("Private"), "social": N_("Social"), "community": N_("Community")}

BOUNDARY_STYLE = {"color": "#3f51b5", "weight": 2, "dashArray": "8 5", "fill": False, "opacity": 0.9}
SITE_STYLE = {"color": "#8e24aa", "weight": 4, "fillColor": "#ce93d8", "fillOpacity": 0.35}
RING_STYLE = {"color": "#8e24aa", "weight": 2, "dashArray": "4 6", "fill": False}
PIN_STYLE = {"color": "#00796b", "weight": 3, "fillColor": "#4db6ac", "fillOpacity": 0.9, "radius": 9}

LINK_STYLE = {
    "match": {"color": "#d55e00", "weight": 3, "dashArray": "7 5", "opacity": 1},
    "plan": {"color": "#332288", "weight": 3, "opacity": 0.85},
}
"""Lines between linked assets: an accepted match (dashed) or a plan partnership."""

LINK_LABEL = {"match": N_("Accepted match"), "plan": N_("Partners in a plan")}


def feature_style(kind: str, status: str) -> dict[str, object]:
    """Leaflet path options for a feature of this kind and status."""
    outline, dash, weight = STATUS_OUTLINE.get(status, STATUS_OUTLINE["unknown"])
    style: dict[str, object] = {
        "color": outline,
        "weight": weight,
        "fillColor": FEATURE_FILL.get(kind, FEATURE_FILL["other"]),
        "fillOpacity": 0.55,
        "opacity": 0.95,
    }
    if dash:
        style["dashArray"] = dash
    return style


def contrast_ratio(colour: str, other: str) -> float:
    """WCAG 2.1's contrast ratio of two ``#rrggbb`` colours (1 to 21)."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(colour), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


MACRO_COLOUR = "#1f2a7a"
MICRO_COLOUR = "#b35400"
FOCUS_COLOUR = "#0b57d0"


def symbol_edges() -> dict[str, str]:
    """What tells each symbol and legend swatch apart from the map: its name -> the colour
    of its edge (a fill's edge for the asset symbols, the outline or line for the rest).
    Each must meet :data:`MIN_SYMBOL_CONTRAST` against white and :data:`BASE_MAP`; the
    fills of sites and land are told apart by their outline too, and named in popups, in
    the list beside the map and in the legend."""
    edges = {"macro": MACRO_COLOUR, "micro": MICRO_COLOUR, "boundary": str(BOUNDARY_STYLE["color"]),
             "site": str(SITE_STYLE["color"]), "ring": str(RING_STYLE["color"]), "pin": str(PIN_STYLE["color"]),
             "focus": FOCUS_COLOUR}
    edges.update({f"status:{k}": colour for k, (colour, _dash, _w) in STATUS_OUTLINE.items()})
    edges.update({f"link:{k}": str(style["color"]) for k, style in LINK_STYLE.items()})
    return edges


# CSS for the symbols and the legend, put in the page's header with the map.
CSS = f"""
.leaflet-container {{ background: {BASE_MAP}; font: 14px/1.4 system-ui, -apple-system, "Segoe UI",
  "Noto Sans", sans-serif; }}
.leaflet-container :focus-visible, .leaflet-container:focus-visible {{ outline: 3px solid {FOCUS_COLOUR};
  outline-offset: 1px; }}
.atlas-symbol {{ display: flex; align-items: center; justify-content: center; }}
.atlas-asset {{ display: block; box-sizing: border-box; border: 2px solid #fff; box-shadow: 0 0 0 1px rgba(0,0,0,.7); }}
.atlas-macro {{ width: 13px; height: 13px; background: {MACRO_COLOUR}; border-radius: 2px; transform: rotate(45deg); }}
.atlas-micro {{ width: 13px; height: 13px; background: {MICRO_COLOUR}; border-radius: 50%; }}
.atlas-cell {{ box-sizing: border-box; display: flex; align-items: center; justify-content: center;
  border-radius: 50%; border: 2px solid #fff; background: {MACRO_COLOUR}; color: #fff;
  font-weight: 700; font-size: 12px; box-shadow: 0 0 0 1px rgba(0,0,0,.4); }}
.atlas-cell.atlas-cell-micro {{ background: {MICRO_COLOUR}; }}
.atlas-label {{ color: #2c3a8c; font-weight: 700; font-size: 12px; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }}
.atlas-label span {{ display: inline-block; transform: translate(-50%, -50%); }}
.atlas-ring-label {{ color: {RING_STYLE["color"]}; background: rgba(255,255,255,.92); border-radius: 3px;
  padding: 0 3px; font-weight: 700; }}
.atlas-legend {{ background: #fff; padding: 4px 8px; border-radius: 6px; box-sizing: border-box;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); overflow-y: auto; overflow-x: hidden; font-size: 12px; line-height: 1.25;
  max-width: min(260px, calc(100vw - 64px)); }}
.atlas-legend summary {{ font-weight: 700; cursor: pointer; padding: 2px 0; }}
.atlas-legend h4 {{ margin: 4px 0 1px; font-size: 11px; text-transform: uppercase; color: #555; }}
.atlas-legend div.row {{ display: flex; align-items: center; gap: 6px; margin: 1px 0; }}
.atlas-legend div.row > span:last-child {{ min-width: 0; overflow-wrap: anywhere; }}
.atlas-legend .sw {{ display: inline-block; width: 16px; height: 11px; box-sizing: border-box; flex: none; }}
.atlas-legend .atlas-symbol {{ width: 16px; height: 16px; flex: none; }}
.atlas-legend .atlas-asset {{ width: 11px; height: 11px; flex: none; }}
.atlas-legend .atlas-cell {{ width: 18px; height: 18px; font-size: 9px; flex: none; }}
.atlas-popup b {{ font-size: 14px; }}
.atlas-popup .muted {{ color: #595959; }}
"""
