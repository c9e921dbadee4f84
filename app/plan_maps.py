"""The map of one plan, shared by the plan sketcher and workshop mode.

It shows the plan's site, its zones coloured by use (the same colours as the printed
report, from :mod:`cedplans.colours`), workshop ideas, and the atlas's sites and assets
around it, which are the base map when there are no street tiles. Every text a person
typed reaches the page escaped. Zones and ideas carry the CSS classes ``plan-zone``,
``plan-zone-new`` and ``plan-idea`` so what a person sees can be counted in tests.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import shapely
from shapely.geometry import mapping

from app import map_style, maps
from app.language import _, ngettext
from app.map_layers import AtlasMap, Legend, ShapeLayer
from app.text import leaflet_html
from atlas.models import NearbyAsset, NearbyFeature
from atlas.viewport import Viewport
from cedplans.colours import IDEA_COLOUR, zone_colour
from cedplans.model import Idea, Zone

_e = html.escape

DEFAULT_BOUNDS = (-11.0, 35.0, 30.0, 60.0)
"""Where an empty atlas's map opens (WGS84 west, south, east, north): Europe."""

MAP_WIDTH_PX = 560
"""The width the opening zoom is worked out for: the map's column on a laptop screen."""

ZONE_PREVIEW_DASH = "8 6"


@dataclass(frozen=True)
class MapZone:
    """A zone as the map draws it: ``number`` is its place in the page's list."""

    zone: Zone
    number: int
    new: bool = False


@dataclass(frozen=True)
class MapIdea:
    idea: Idea
    number: int
    place: shapely.Geometry | None


def plan_viewport(extent: shapely.Geometry | None, fallback: tuple[float, float, float, float] | None,
                  *, height_px: int = maps.MAP_HEIGHT_PX) -> Viewport:
    """The view that shows the plan (site and zones), else the atlas's data, else Europe.
    A margin of a fifth of the extent is kept round it, so zones are not cut by the edge."""
    if extent is not None and not extent.is_empty:
        west, south, east, north = extent.bounds
    elif fallback is not None:
        west, south, east, north = fallback
    else:
        west, south, east, north = DEFAULT_BOUNDS
    # A point or a narrow shape still needs some surroundings: at least ~100 m each way.
    pad_x = max((east - west) * 0.2, 0.0015)
    pad_y = max((north - south) * 0.2, 0.0009)
    bounds = (max(-180.0, west - pad_x), max(-90.0, south - pad_y), min(180.0, east + pad_x),
              min(90.0, north + pad_y))
    view = Viewport.fitting(bounds, MAP_WIDTH_PX, height_px)
    return Viewport(view.west, view.south, view.east, view.north, min(view.zoom, 18))


def zone_style(use: str, *, new: bool = False) -> dict[str, object]:
    colour = zone_colour(use)
    style: dict[str, object] = {"color": colour, "weight": 3, "fillColor": colour, "fillOpacity": 0.45,
                                "opacity": 0.95, "radius": 9,
                                "className": "plan-zone plan-zone-new" if new else "plan-zone"}
    if new:
        style["dashArray"] = ZONE_PREVIEW_DASH
    return style


IDEA_STYLE = {"color": "#ffffff", "weight": 2, "fillColor": IDEA_COLOUR, "fillOpacity": 0.95, "radius": 9,
              "className": "plan-idea"}


def zone_title(z: MapZone) -> str:
    """"Zone 2: Community garden", as text."""
    return _("Zone {number}: {label}").format(number=z.number, label=z.zone.label)


def zone_tooltip(z: MapZone) -> str:
    words = zone_title(z)
    if z.zone.name:
        words = _("{zone} ({use})").format(zone=words, use=z.zone.use)
    if z.new:
        words = _("{zone} – not saved yet").format(zone=words)
    return _e(words)


def zone_popup(z: MapZone, size: str) -> str:
    zone = z.zone
    lines = [f"<b>{_e(zone_title(z))}</b>", _e(_("Use: {use} · {size}").format(use=zone.use, size=size))]
    if zone.description:
        lines.append(f"<span class='muted'>{_e(zone.description)}</span>")
    if z.new:
        lines.append(f"<i>{_e(_('Not saved yet'))}</i>")
    return "<br>".join(lines)


def idea_popup(i: MapIdea) -> str:
    idea = i.idea
    votes = ngettext("{count} vote", "{count} votes", idea.votes).format(count=idea.votes)
    by = _("{votes} · by {name}").format(votes=votes, name=idea.by)
    return "<br>".join([f"<b>{_e(f'{i.number}. {idea.category.capitalize()}')}</b>", _e(idea.text),
                        f"<span class='muted'>{_e(by)}</span>"])


def plan_map(viewport: Viewport, *, site: shapely.Geometry | None = None, site_name: str = "",
             zones: Sequence[MapZone] = (), ideas: Sequence[MapIdea] = (),
             features: Sequence[NearbyFeature] = (), assets: Sequence[NearbyAsset] = (),
             sizes: dict[int, str] | None = None, pin: tuple[float, float] | None = None,
             pin_label: str | None = None, tiles: bool = False) -> AtlasMap:
    """A map of one plan. ``sizes`` maps a zone's number to its size in words; ``pin`` is a
    chosen point (longitude, latitude) drawn on top, named ``pin_label`` (text; default
    "Chosen place", translated). The legend opens on a wide map and starts folded on a
    narrow one (:class:`~app.map_layers.Legend`)."""
    decimals = maps.FULL_PRECISION_DECIMALS
    m = maps.base_map(viewport, tiles=tiles)
    if features:
        maps.add_features(m, features, decimals=decimals, name=_("Sites and land nearby"))
    if site is not None and not site.is_empty:
        what = _("The plan's site")
        label = site_name or what
        feature = {"type": "Feature", "geometry": _rounded(site),
                   "properties": {"s": "site", "t": _e(label), "p": f"<b>{_e(label)}</b><br>{_e(what)}"}}
        style = dict(map_style.SITE_STYLE, className="atlas-site", fillOpacity=0.12, radius=10)
        ShapeLayer([feature], {"site": style}, name=leaflet_html(_("The plan's site"))).add_to(m)
    if assets:
        maps.add_assets(m, assets, decimals=decimals, name=_("Assets nearby"))
    if zones:
        styles: dict[str, dict] = {}
        out = []
        for z in zones:
            key = f"{z.zone.use}|{'new' if z.new else 'saved'}"
            styles.setdefault(key, zone_style(z.zone.use, new=z.new))
            out.append({"type": "Feature", "geometry": _rounded(z.zone.geom),
                        "properties": {"s": key, "t": zone_tooltip(z),
                                       "p": zone_popup(z, (sizes or {}).get(z.number, ""))}})
        ShapeLayer(out, styles, name=leaflet_html(_("Zones"))).add_to(m)
    pinned = [i for i in ideas if i.place is not None]
    if pinned:
        out = [{"type": "Feature", "geometry": _rounded(i.place.representative_point()),
                "properties": {"s": "idea", "t": _e(f"{i.number}. {_short(i.idea.text)}"),
                               "p": idea_popup(i)}}
               for i in pinned]
        ShapeLayer(out, {"idea": IDEA_STYLE}, name=leaflet_html(_("Workshop ideas"))).add_to(m)
    if pin is not None:
        # Before the layer switcher, which needs every layer to exist when it is made.
        maps.add_pin(m, pin[0], pin[1], pin_label or _("Chosen place"))
    Legend(legend_html(zones, bool(site is not None and not site.is_empty), assets, bool(pinned),
                       bool(features)), title=_e(_("Legend"))).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


def legend_html(zones: Sequence[MapZone], site: bool, assets: Sequence[NearbyAsset], ideas: bool,
                features: bool) -> str:
    """The legend's rows for what this map shows (no user text in it but the uses, escaped)."""
    rows: list[str] = []

    def row(swatch: str, text: str) -> None:
        rows.append(f"<div class='row'>{swatch}<span>{_e(text)}</span></div>")

    uses = list(dict.fromkeys(z.zone.use for z in zones))
    if uses:
        rows.append(f"<h4>{_e(_('Zones by use'))}</h4>")
        for use in uses:
            c = zone_colour(use)
            row(f"<span class='sw' style='background:{c};border:2px solid {c}'></span>", use.capitalize())
        if any(z.new for z in zones):
            row("<span class='sw' style='border:2px dashed #555'></span>", _("Drawn, not saved yet"))
    if site or ideas or assets or features:
        rows.append(f"<h4>{_e(_('Also shown'))}</h4>")
    if site:
        row(f"<span class='sw' style='background:{map_style.SITE_STYLE['fillColor']};"
            f"border:2px solid {map_style.SITE_STYLE['color']}'></span>", _("The plan's site"))
    if ideas:
        row(f"<span class='sw' style='background:{IDEA_COLOUR};border-radius:50%;border:2px solid #fff;"
            "box-shadow:0 0 0 1px rgba(0,0,0,.7)'></span>", _("Workshop idea"))
    for scale in ("macro", "micro"):
        if any(a.scale == scale for a in assets):
            row(f"<span class='atlas-asset atlas-{scale}'></span>", maps.scale_label(scale))
    if features:
        row(f"<span class='sw' style='background:{map_style.FEATURE_FILL['land']};"
            f"border:1px solid {map_style.STATUS_OUTLINE['in_use'][0]}'></span>", _("Sites and land in the atlas"))
    return "".join(rows) or f"<div class='row'>{_e(_('Draw on the map to add zones.'))}</div>"


def _rounded(geom: shapely.Geometry) -> dict:
    # Full precision: a plan's map is drawn once and zoomed in freely.
    if geom.geom_type == "LinearRing":  # GeoJSON has no rings on their own: a closed line
        geom = shapely.LineString(geom.coords)
    return mapping(geom)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
