"""How the atlas looks on a map: one place for symbols, colours and their legend labels.

Features are filled by kind and outlined by status (a dashed red edge marks land that is
vacant or disused, so the opportunities stand out); macro and micro assets differ in
shape as well as colour, so the map still reads in black and white or for people who do
not see colour well.
"""

from __future__ import annotations

FEATURE_FILL = {
    "land": "#c9b38b",
    "building": "#9e7b6b",
    "green_space": "#7cb86f",
    "water": "#6fb7dd",
    "other": "#b8b8b8",
}

FEATURE_KIND_LABEL = {
    "land": "Land",
    "building": "Building",
    "green_space": "Green space",
    "water": "Water",
    "other": "Other",
}

STATUS_OUTLINE = {
    # status: (outline colour, dash pattern or None, outline weight in pixels)
    "in_use": ("#4e5b4e", None, 1),
    "underused": ("#e08a00", "6 4", 2.5),
    "vacant": ("#d0312d", "6 4", 2.5),
    "disused": ("#7a1f1f", "2 4", 2.5),
    "unknown": ("#777777", "1 3", 1.5),
}

STATUS_LABEL = {
    "in_use": "In use",
    "underused": "Underused",
    "vacant": "Vacant",
    "disused": "Disused",
    "unknown": "Status unknown",
}

SCALE_LABEL = {
    "macro": "Macro (anchor) asset",
    "micro": "Micro (community) asset",
}

SECTOR_LABEL = {"public": "Public", "private": "Private", "social": "Social", "community": "Community"}

BOUNDARY_STYLE = {"color": "#3f51b5", "weight": 2, "dashArray": "8 5", "fill": False, "opacity": 0.8}
SITE_STYLE = {"color": "#8e24aa", "weight": 4, "fillColor": "#ce93d8", "fillOpacity": 0.35}
RING_STYLE = {"color": "#8e24aa", "weight": 2, "dashArray": "4 6", "fill": False}
PIN_STYLE = {"color": "#00897b", "weight": 3, "fillColor": "#4db6ac", "fillOpacity": 0.9, "radius": 9}

LINK_STYLE = {
    "match": {"color": "#ee7733", "weight": 3, "dashArray": "7 5", "opacity": 0.9},
    "plan": {"color": "#332288", "weight": 3, "opacity": 0.75},
}
"""Lines between linked assets: an accepted match (dashed) or a plan partnership."""

LINK_LABEL = {"match": "Accepted match", "plan": "Partners in a plan"}


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


# CSS for the symbols and the legend, put in the page's header with the map.
CSS = """
.leaflet-container { background: #f3f1ec; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
.atlas-symbol { display: flex; align-items: center; justify-content: center; }
.atlas-asset { display: block; box-sizing: border-box; border: 2px solid #fff; box-shadow: 0 0 0 1px rgba(0,0,0,.55); }
.atlas-macro { width: 13px; height: 13px; background: #1f2a7a; border-radius: 2px; transform: rotate(45deg); }
.atlas-micro { width: 13px; height: 13px; background: #e8700a; border-radius: 50%; }
.atlas-cell { box-sizing: border-box; display: flex; align-items: center; justify-content: center;
  border-radius: 50%; border: 2px solid #fff; background: rgba(31,42,122,.78); color: #fff;
  font-weight: 700; font-size: 12px; box-shadow: 0 0 0 1px rgba(0,0,0,.4); }
.atlas-cell.atlas-cell-micro { background: rgba(232,112,10,.82); }
.atlas-label { color: #2c3a8c; font-weight: 700; font-size: 12px; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }
.atlas-label span { display: inline-block; transform: translate(-50%, -50%); }
.atlas-legend { background: rgba(255,255,255,.94); padding: 4px 8px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); max-height: 70vh; overflow-y: auto; font-size: 12px; line-height: 1.25; }
.atlas-legend summary { font-weight: 700; cursor: pointer; }
.atlas-legend h4 { margin: 4px 0 1px; font-size: 11px; text-transform: uppercase; color: #555; }
.atlas-legend div.row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.atlas-legend .sw { display: inline-block; width: 16px; height: 11px; box-sizing: border-box; flex: none; }
.atlas-legend .atlas-symbol { width: 16px; height: 16px; flex: none; }
.atlas-legend .atlas-asset { width: 11px; height: 11px; }
.atlas-legend .atlas-cell { width: 18px; height: 18px; font-size: 9px; }
.atlas-popup b { font-size: 14px; }
.atlas-popup .muted { color: #666; }
"""
