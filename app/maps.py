"""Map building shared by every page: base map, layers, legend, and what the map returns.

Pages call :func:`base_map`, the ``add_*`` functions and :func:`finish` to build a folium
map from the atlas's typed records, then :func:`show_map` to draw it; what the browser
sends back is turned at once into a :class:`MapView`. Coordinates handed to and from
these functions are (longitude, latitude) unless a name says ``lat_lon`` (Leaflet's
order), and that swap happens here only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import folium
import numpy as np
import pandas as pd
import shapely
from folium.plugins import Draw
from shapely.geometry import mapping, shape

from app import basemap, map_style, static_assets
from app.basemap import ServedBasemap
from app.language import _, fmt, ngettext
from app.map_layers import AssetCells, AssetMarkers, AtlasMap, Legend, MapTitle, ShapeLayer
from app.text import leaflet_html, md
from atlas.distance_rings import Ring
from atlas.map_contents import AssetCell, AssetPoint, BoundaryShape, FeatureShape, MapContents
from atlas.models import NearbyAsset, NearbyFeature, Site
from atlas.viewport import Viewport, degrees_per_pixel
from cedplans.linking import Link

MAP_HEIGHT_PX = 600

CLUSTER_FROM = 200
"""Cluster asset markers when a map holds more than this many."""

CANVAS_FROM = 300
"""Draw shapes on a canvas, not as SVG elements, when a layer holds more than this many."""

FULL_PRECISION_DECIMALS = 6
"""Decimal places of degrees (about 0.1 m) for maps drawn once and zoomed freely."""

_e = html.escape


# -- what the map returns ------------------------------------------------------------

@dataclass(frozen=True)
class MapView:
    """What the browser's map reported back: the view, the last click and any drawings.
    Points are (longitude, latitude)."""

    bounds: tuple[float, float, float, float] | None = None
    """(west, south, east, north) in WGS84."""
    zoom: float | None = None
    """Leaflet's zoom, which may be fractional (the map zooms in quarter steps)."""
    center: tuple[float, float] | None = None
    last_clicked: tuple[float, float] | None = None
    """Where the map itself was last clicked (a click on a marker opens its popup instead)."""
    last_object_clicked: tuple[float, float] | None = None
    """Where the last clicked marker or shape is (a marker's own position)."""
    drawings: tuple[dict, ...] = field(default_factory=tuple)
    """GeoJSON features drawn with the draw tool, as Leaflet.draw gives them."""
    last_drawing: dict | None = None
    new_click: tuple[float, float] | None = None
    """``last_clicked`` if this map has not reported it before (st_folium reports the last
    click again on every rerun), else None."""
    new_object_click: tuple[float, float] | None = None
    """``last_object_clicked`` if this map has not reported it before, else None."""

    @classmethod
    def parse(cls, raw: dict | None) -> MapView:
        """A MapView from st_folium's return value (any key may be missing or None)."""
        if not raw:
            return cls()
        bounds = None
        b = raw.get("bounds")
        if b and b.get("_southWest") and b.get("_northEast"):
            sw, ne = b["_southWest"], b["_northEast"]
            if None not in (sw.get("lng"), sw.get("lat"), ne.get("lng"), ne.get("lat")):
                bounds = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
        zoom = raw.get("zoom")
        return cls(
            bounds=bounds,
            zoom=float(zoom) if isinstance(zoom, (int, float)) else None,
            center=_lon_lat(raw.get("center")),
            last_clicked=_lon_lat(raw.get("last_clicked")),
            last_object_clicked=_lon_lat(raw.get("last_object_clicked")),
            drawings=tuple(raw.get("all_drawings") or ()),
            last_drawing=raw.get("last_active_drawing") or None,
        )

    def viewport(self) -> Viewport | None:
        """The reported view as a :class:`Viewport`, clamped to the world; None before the
        map has reported."""
        if self.bounds is None or self.zoom is None:
            return None
        west, south, east, north = self.bounds
        return Viewport(max(-180.0, west), max(-90.0, south), min(180.0, east), min(90.0, north),
                        math.floor(self.zoom))

    def drawn_geometries(self) -> list[shapely.Geometry]:
        """The drawings as shapely geometries in WGS84 (longitude, latitude)."""
        return [shape(f["geometry"]) for f in self.drawings if f and f.get("geometry")]


def _lon_lat(latlng: object) -> tuple[float, float] | None:
    if isinstance(latlng, dict) and latlng.get("lat") is not None and latlng.get("lng") is not None:
        return (float(latlng["lng"]), float(latlng["lat"]))
    return None


NARROW_MAIN_PX = 1100
"""Below this window width (a tablet, either way up; a projector's 1024 px) a row of
columns that holds a map is stacked: the map takes the width and what stood beside it
comes below."""

_STACK_CSS = f"""<style>
@media (max-width: {NARROW_MAIN_PX}px) {{
  [data-testid="stHorizontalBlock"]:has(iframe[src*="streamlit_folium"]) {{ flex-wrap: wrap; }}
  [data-testid="stHorizontalBlock"]:has(iframe[src*="streamlit_folium"]) > [data-testid="stColumn"] {{
    width: 100% !important; flex: 1 1 100% !important; min-width: 100% !important; }}
}}
</style>"""


def map_words(title: str) -> dict[str, str]:
    """What :class:`~app.map_layers.MapTitle` writes into a map, in the page's language."""
    return {"title": title, "keys": _("Arrow keys move the map; plus and minus zoom."),
            "zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"), "layers": _("Layers shown on the map")}


def show_map(m: folium.Map, *, key: str, height: int = MAP_HEIGHT_PX,
             returned: Sequence[str] = ("last_clicked",), center: tuple[float, float] | None = None,
             zoom: int | None = None, title: str | None = None, visible_title: bool = True) -> MapView:
    """Draw ``m`` in the page and return what the browser reports.

    Only the ``returned`` items make the page rerun when they change, so a map that is
    drawn once (everything fits) asks for clicks only and panning costs nothing.
    ``center``/``zoom`` move the view without rebuilding the map.

    ``title`` (plain text) names the map: shown above it (unless not ``visible_title``)
    and given to its frame for screen readers. On a narrow window a row of columns that
    holds the map is stacked, so the map takes the width (:data:`NARROW_MAIN_PX`)."""
    import streamlit as st
    from streamlit_folium import st_folium

    name = title or _("Map")
    if title and visible_title:
        st.markdown(f"**{md(title)}**")
    MapTitle(map_words(name)).add_to(m)
    st.html(_STACK_CSS)
    raw = st_folium(
        m, key=key, height=height, use_container_width=True, returned_objects=list(returned),
        center=None if center is None else (center[1], center[0]), zoom=zoom,
    )
    view = MapView.parse(raw)
    clicks = (view.last_clicked, view.last_object_clicked)
    seen = st.session_state.get(f"{key}.clicks_seen", (None, None))
    st.session_state[f"{key}.clicks_seen"] = clicks
    new = [c if c != old else None for c, old in zip(clicks, seen, strict=True)]
    return replace(view, new_click=new[0], new_object_click=new[1])


TEXT_ALTERNATIVE_ROWS = 1_000
"""At most this many rows in a map's list (a map drawn one by one holds fewer)."""


def text_alternative(label: str, rows: pd.DataFrame, *, expanded: bool = False) -> None:
    """The map as a list, for people who cannot see it or use a pointer: what it shows (the
    same filters applied) as a table (an HTML table, which screen readers read cell by
    cell) in a folding section. Pages put it before their map, so the keyboard reaches it
    first."""
    import streamlit as st

    with st.expander(label, expanded=expanded, icon=":material/list:"):
        if rows.empty:
            st.caption(_("The map shows nothing here."))
        else:
            st.table(rows.head(TEXT_ALTERNATIVE_ROWS), hide_index=True, alt=label)


def contents_rows(contents: MapContents, *, focus_name: str | None = None) -> pd.DataFrame:
    """What a map of ``contents`` shows, one row a thing: the place searched for, assets
    (or their counts), sites and land, areas."""
    what, name, details = _("Shown as"), _("Name"), _("Details")
    rows: list[dict[str, str]] = []
    if focus_name is not None:
        rows.append({what: _("Chosen place"), name: focus_name, details: ""})
    for a in sorted(contents.assets, key=lambda a: (a.scale, a.name)):
        verified = (_("Verified {date}").format(date=fmt().date(a.verified_on)) if a.verified_on
                    else _("Not yet verified"))
        rows.append({what: scale_label(a.scale), name: a.name,
                     details: " · ".join(x for x in (sector_label(a.sector), a.category or "", verified) if x)})
    if contents.asset_cells:
        rows.append({what: _("Assets"), name: fmt().number(contents.assets_in_view),
                     details: _("Too many to list here: zoom in, or see the list of assets below the map.")})
    for f in contents.features:
        unnamed = _("Unnamed {kind}").format(kind=kind_label(f.kind).lower())
        rows.append({what: kind_label(f.kind), name: f.name or unnamed,
                     details: " · ".join(x for x in (status_label(f.status), f.land_use or "",
                                                     "" if f.area_m2 is None else fmt().area_m2(f.area_m2)) if x)})
    for b in contents.boundaries:
        rows.append({what: _("Area boundary"), name: b.name, details: b.level})
    return pd.DataFrame(rows, columns=[what, name, details])


# -- building maps ---------------------------------------------------------------------

class _LegendParts:
    """What a map shows, so its legend lists exactly that."""

    def __init__(self) -> None:
        self.scales: set[str] = set()
        self.cells = False
        self.kinds: set[str] = set()
        self.statuses: set[str] = set()
        self.boundaries = False
        self.site = False
        self.rings: list[float] = []
        self.pin: str | None = None
        self.links: set[str] = set()
        self.extra: list[tuple[str, str]] = []
        """(swatch style, words) of layers other modules draw (app.walking_view's catchments)."""


def base_map(viewport: Viewport, *, tiles: bool = False, fit: bool = False,
             open_at: tuple[float, float, float] | None = None,
             ground: ServedBasemap | None | Literal["app"] = "app") -> AtlasMap:
    """An empty map centred on ``viewport``, with Leaflet served by the app.

    ``fit`` makes the browser fit the viewport's bounds to the map's real size (best when
    the whole of something must show); ``open_at`` (lon, lat, zoom) opens it exactly
    there; otherwise the map opens at the viewport's centre and zoom.

    The background: the offline base map (``ground``; by default the app's store's, see
    :func:`app.basemap.current`) when there is one, with the online street map beside it in
    the layer switcher; ``tiles`` shows the online street map (which needs internet)
    instead. Without a base map and without ``tiles`` the store's boundaries and features
    are the base map."""
    lon, lat, zoom = open_at or (*viewport.centre, viewport.zoom)
    m = AtlasMap((lat, lon), zoom)
    basemap.add_background(m, basemap.current() if ground == "app" else ground, online=tiles,
                           names=(_("Base map (offline)"), _("Street map background (needs internet)")),
                           approximate_note=_("Approximate base map"))
    if fit:
        m.fit_bounds([[viewport.south, viewport.west], [viewport.north, viewport.east]], padding=(12, 12))
    m.atlas_legend = _LegendParts()  # type: ignore[attr-defined]
    return m


def add_legend_row(m: folium.Map, swatch_style: str, text: str) -> None:
    """A row under Other in ``m``'s legend for a layer another module draws (the walking
    catchments): ``swatch_style`` the swatch's inline CSS (the app's own, never a person's
    words), ``text`` plain words (escaped here)."""
    _legend(m).extra.append((swatch_style, text))


def _legend(m: folium.Map) -> _LegendParts:
    parts = getattr(m, "atlas_legend", None)
    if parts is None:
        parts = _LegendParts()
        m.atlas_legend = parts  # type: ignore[attr-defined]
    return parts


def decimals_for(zoom: int) -> int:
    """Decimal places of degrees that keep shapes true to half a pixel a few zoom levels
    deeper than ``zoom`` (the map is redrawn when the view changes much more)."""
    return int(min(7, max(3, math.ceil(math.log10(2 / degrees_per_pixel(zoom + 3))))))


def _rounded(geom: shapely.Geometry, decimals: int) -> dict:
    return mapping(shapely.transform(geom, lambda xy: np.round(xy, decimals)))


def _label_point(geom: shapely.Geometry, decimals: int) -> list[float]:
    p = geom.representative_point() if not geom.is_empty else geom
    return [round(p.y, decimals), round(p.x, decimals)]


def _labelled(table: Mapping[str, str], value: str) -> str:
    """``value``'s label from ``table`` in the page's language; a value not in it as stored."""
    return _(table[value]) if value in table else value


def kind_label(kind: str) -> str:
    """A kind of feature in the page's language (an unknown kind as stored)."""
    return _labelled(map_style.FEATURE_KIND_LABEL, kind)


def status_label(status: str) -> str:
    return _labelled(map_style.STATUS_LABEL, status)


def scale_label(scale: str) -> str:
    return _labelled(map_style.SCALE_LABEL, scale)


def sector_label(sector: str | None) -> str:
    return _labelled(map_style.SECTOR_LABEL, sector) if sector else ""


def feature_popup(name: str | None, kind: str, status: str, land_use: str | None,
                  area_m2: float | None, extra: str = "") -> str:
    """Popup HTML for a feature; every stored text is escaped."""
    kind_words = kind_label(kind)
    lines = [f"<b>{_e(name or _('Unnamed {kind}').format(kind=kind_words.lower()))}</b>",
             _e(_("{kind} · {status}").format(kind=kind_words, status=status_label(status)))]
    if land_use:
        lines.append(f"<span class='muted'>{_e(_('Use: {use}').format(use=land_use))}</span>")
    if area_m2 is not None:
        lines.append(f"<span class='muted'>{_e(fmt().area_m2(area_m2))}</span>")
    if extra:
        lines.append(extra)
    return "<br>".join(lines)


def asset_popup(name: str, scale: str, sector: str | None, category: str | None,
                extra: Iterable[str] = ()) -> str:
    """Popup HTML for an asset; every stored text is escaped."""
    kind = " · ".join(x for x in (sector_label(sector), category or "") if x)
    lines = [f"<b>{_e(name)}</b>", _e(scale_label(scale))]
    if kind:
        lines.append(f"<span class='muted'>{_e(kind)}</span>")
    lines.extend(_e(x) for x in extra)
    return "<br>".join(lines)


def add_boundaries(m: folium.Map, boundaries: Sequence[BoundaryShape], *, decimals: int,
                   labels: bool = True) -> None:
    """Boundaries as dashed outlines with their names; they let clicks through."""
    if not boundaries:
        return
    features = []
    for b in boundaries:
        props: dict[str, object] = {"s": "boundary"}
        if labels:
            props["l"] = _e(b.name)
            props["lp"] = _label_point(b.geom, decimals)
        features.append({"type": "Feature", "geometry": _rounded(b.geom, decimals), "properties": props})
    style = dict(map_style.BOUNDARY_STYLE, className="atlas-boundary")
    ShapeLayer(features, {"boundary": style}, name=leaflet_html(_("Areas")), interactive=False).add_to(m)
    _legend(m).boundaries = True


def add_features(m: folium.Map, features: Sequence[FeatureShape | NearbyFeature], *, decimals: int,
                 name: str | None = None) -> None:
    """Features filled by kind and outlined by status, with escaped popups. ``name`` is the
    layer's name as text (default: "Sites and land", translated)."""
    if not features:
        return
    styles: dict[str, dict] = {}
    out = []
    parts = _legend(m)
    for f in features:
        key = f"{f.kind}|{f.status}"
        if key not in styles:
            styles[key] = dict(map_style.feature_style(f.kind, f.status), className="atlas-feature")
        extra = ""
        if isinstance(f, NearbyFeature):
            away = _("{distance} away").format(distance=fmt().distance_m(f.distance_m))
            extra = f"<span class='muted'>{_e(away)}</span>"
        out.append({
            "type": "Feature",
            "geometry": _rounded(f.geom, decimals),
            "properties": {"s": key, "p": feature_popup(f.name, f.kind, f.status, f.land_use, f.area_m2, extra),
                           "t": _e(f.name or kind_label(f.kind))},
        })
        parts.kinds.add(f.kind)
        parts.statuses.add(f.status)
    ShapeLayer(out, styles, name=leaflet_html(name or _("Sites and land")), canvas=len(out) > CANVAS_FROM).add_to(m)


def add_assets(m: folium.Map, assets: Sequence[AssetPoint | NearbyAsset], *, decimals: int,
               name: str | None = None, cluster: bool | None = None) -> None:
    """Asset markers (macro and micro apart), clustered when there are many. ``name`` is
    the layer's name as text (default: "Assets", translated)."""
    if not assets:
        return
    rows: list[list[object]] = []
    for a in assets:
        if isinstance(a, NearbyAsset):
            lon, lat = a.geom.x, a.geom.y
            extra = [_("{distance} away").format(distance=fmt().distance_m(a.distance_m))]
        else:
            lon, lat = a.lon, a.lat
            extra = [_("Verified {date}").format(date=fmt().date(a.verified_on)) if a.verified_on
                     else _("Not yet verified")]
        rows.append([round(lat, decimals), round(lon, decimals), a.scale, a.name,
                     asset_popup(a.name, a.scale, a.sector, a.category, extra)])
        _legend(m).scales.add(a.scale)
    if cluster is None:
        cluster = len(rows) > CLUSTER_FROM
    AssetMarkers(rows, name=leaflet_html(name or _("Assets")), cluster=cluster).add_to(m)


def _count_label(n: int) -> str:
    from babel.numbers import format_compact_decimal

    if n < 10_000:
        return fmt().number(n)
    return str(format_compact_decimal(n, format_type="short", fraction_digits=1, locale=fmt().locale))


def add_asset_cells(m: folium.Map, cells: Sequence[AssetCell], *, decimals: int) -> None:
    """Grid counts for views with too many assets to draw; a cell's size grows with its count."""
    if not cells:
        return
    biggest = max(c.count for c in cells)
    rows: list[list[object]] = []
    for c in cells:
        size = int(22 + 26 * math.sqrt(c.count / biggest))
        title = ngettext("{count} asset ({macro} macro): click to zoom in",
                         "{count} assets ({macro} macro): click to zoom in", c.count).format(
            count=fmt().number(c.count), macro=fmt().number(c.macro_count))
        css = "atlas-cell-macro" if c.macro_count else "atlas-cell-micro"
        rows.append([round(c.lat, decimals), round(c.lon, decimals), _e(_count_label(c.count)), size, title, css,
                     c.south, c.west, c.north, c.east])
    AssetCells(rows, name=leaflet_html(_("Assets (counts)"))).add_to(m)
    _legend(m).cells = True


def add_site(m: folium.Map, site: Site, *, decimals: int = FULL_PRECISION_DECIMALS) -> None:
    """The site being explored, highlighted."""
    style = dict(map_style.SITE_STYLE, className="atlas-site", radius=10)
    feature = {"type": "Feature", "geometry": _rounded(site.geom, decimals),
               "properties": {"s": "site", "t": _e(site.name), "p": f"<b>{_e(site.name)}</b><br>{_e(_('The site'))}"}}
    ShapeLayer([feature], {"site": style}, name=leaflet_html(_("Site"))).add_to(m)
    _legend(m).site = True


def add_rings(m: folium.Map, rings: Sequence[Ring], *, decimals: int = FULL_PRECISION_DECIMALS) -> None:
    """Distance rings around a site, each labelled with its distance on the map (at its
    northernmost point, so the labels of nested rings stand in a column) and as a tooltip."""
    if not rings:
        return
    features = []
    for r in rings:
        words = _e(fmt().distance_m(r.radius_m))
        features.append({"type": "Feature", "geometry": _rounded(r.geom, decimals),
                         "properties": {"s": "ring", "t": words, "l": words, "lc": "atlas-ring-label",
                                        "lp": _top_point(r.geom, decimals)}})
    style = dict(map_style.RING_STYLE, className="atlas-ring")
    ShapeLayer(features, {"ring": style}, name=leaflet_html(_("Distance rings"))).add_to(m)
    _legend(m).rings = [r.radius_m for r in rings]


def _top_point(geom: shapely.Geometry, decimals: int) -> list[float]:
    """[lat, lon] of the northernmost corner of ``geom``."""
    coords = shapely.get_coordinates(geom)
    lon, lat = coords[int(np.argmax(coords[:, 1]))]
    return [round(float(lat), decimals), round(float(lon), decimals)]


@dataclass(frozen=True)
class MapPoint:
    """An asset-like point drawn with the asset symbols: a candidate tenant, say. ``extra``
    lines go into its popup (escaped there)."""

    lon: float
    lat: float
    scale: str
    name: str
    sector: str | None = None
    category: str | None = None
    extra: tuple[str, ...] = ()


def add_points(m: folium.Map, points: Sequence[MapPoint], *, name: str,
               decimals: int = FULL_PRECISION_DECIMALS) -> None:
    """Points drawn as macro or micro assets, with popups; ``name`` is the layer's name as
    text (escaped here)."""
    if not points:
        return
    rows = [[round(p.lat, decimals), round(p.lon, decimals), p.scale, p.name,
             asset_popup(p.name, p.scale, p.sector, p.category, p.extra)] for p in points]
    _legend(m).scales.update(p.scale for p in points)
    AssetMarkers(rows, name=leaflet_html(name), cluster=False).add_to(m)


def add_links(m: folium.Map, links: Sequence[Link], *, decimals: int = FULL_PRECISION_DECIMALS) -> None:
    """Lines between linked assets (accepted matches dashed, plan partners solid), each
    with a popup naming the two and what links them."""
    if not links:
        return
    features = []
    for link in links:
        line = {"type": "LineString",
                "coordinates": [[round(link.from_point[0], decimals), round(link.from_point[1], decimals)],
                                [round(link.to_point[0], decimals), round(link.to_point[1], decimals)]]}
        popup = (_("{first} and {second}").format(first=f"<b>{_e(link.from_asset)}</b>",
                                                  second=f"<b>{_e(link.to_asset)}</b>")
                 + f"<br><span class='muted'>{_e(link.label)}</span>")
        features.append({"type": "Feature", "geometry": line,
                         "properties": {"s": link.kind, "p": popup, "t": _e(f"{link.from_asset} – {link.to_asset}")}})
        _legend(m).links.add(link.kind)
    styles = {kind: dict(style, className=f"atlas-link atlas-link-{kind}")
              for kind, style in map_style.LINK_STYLE.items()}
    ShapeLayer(features, styles, name=leaflet_html(_("Links between assets"))).add_to(m)


def add_pin(m: folium.Map, lon: float, lat: float, label: str) -> None:
    """A single chosen point (a new asset's place), drawn above everything else."""
    style = dict(map_style.PIN_STYLE, className="atlas-pin")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
               "properties": {"s": "pin", "t": _e(label)}}
    ShapeLayer([feature], {"pin": style}, name=leaflet_html(_("Chosen place"))).add_to(m)
    _legend(m).pin = label


def add_draw_tool(m: folium.Map, *, shapes: Sequence[str] = ("polygon", "rectangle", "marker"),
                  edit: bool = True) -> Draw:
    """Leaflet.draw's toolbar, loaded from the app (raises
    :class:`~app.static_assets.MissingWebAsset` when ``npm install`` has not been run).
    ``shapes`` are any of polygon, polyline, rectangle, circle, marker, circlemarker.
    What is drawn comes back in :attr:`MapView.drawings`."""
    lib = static_assets.LEAFLET_DRAW
    lib.locate()  # fail early, with the install hint, rather than show a broken map
    every = ("polygon", "polyline", "rectangle", "circle", "marker", "circlemarker")
    draw = Draw(
        export=False, position="topleft",
        draw_options={s: (s in shapes) and {} for s in every},
        edit_options={"edit": edit, "remove": edit},
    )
    draw.default_js = static_assets.js_links(lib)
    draw.default_css = static_assets.css_links(lib)
    draw.add_to(m)
    return draw


def _legend_html(parts: _LegendParts) -> str:
    rows: list[str] = []

    def section(title: str) -> None:
        rows.append(f"<h4>{_e(title)}</h4>")

    def row(swatch: str, text: str) -> None:
        rows.append(f"<div class='row'>{swatch}<span>{_e(text)}</span></div>")

    # A fill's swatch has the in-use outline, as the shapes on the map have.
    edge = map_style.STATUS_OUTLINE["in_use"][0]
    if parts.scales or parts.cells:
        section(_("Assets"))
        for scale in ("macro", "micro"):
            if scale in parts.scales:
                row(f"<span class='atlas-symbol'><span class='atlas-asset atlas-{scale}'></span></span>",
                    scale_label(scale))
        if parts.cells:
            row("<span class='atlas-cell'>n</span>", _("Number of assets here (zoom in to see them)"))
    if parts.kinds:
        section(_("Sites and land"))
        for kind in map_style.FEATURE_FILL:
            if kind in parts.kinds:
                row(f"<span class='sw' style='background:{map_style.FEATURE_FILL[kind]};border:1px solid {edge}'>"
                    "</span>", kind_label(kind))
    if parts.statuses:
        section(_("Status (outline)"))
        for status, (colour, dash, _w) in map_style.STATUS_OUTLINE.items():
            if status in parts.statuses:
                border = "dashed" if dash else "solid"
                row(f"<span class='sw' style='border:2px {border} {colour}'></span>", status_label(status))
    if parts.links:
        section(_("Links"))
        for kind, style in map_style.LINK_STYLE.items():
            if kind in parts.links:
                dash = "dashed" if style.get("dashArray") else "solid"
                row(f"<span class='sw' style='border-top:3px {dash} {style['color']};height:0'></span>",
                    _(map_style.LINK_LABEL[kind]))
    if parts.boundaries or parts.site or parts.rings or parts.pin or parts.extra:
        section(_("Other"))
    if parts.boundaries:
        row(f"<span class='sw' style='border:2px dashed {map_style.BOUNDARY_STYLE['color']}'></span>",
            _("Area boundary"))
    if parts.site:
        row(f"<span class='sw' style='background:{map_style.SITE_STYLE['fillColor']};"
            f"border:2px solid {map_style.SITE_STYLE['color']}'></span>", _("The site"))
    if parts.rings:
        row(f"<span class='sw' style='border:2px dotted {map_style.RING_STYLE['color']}'></span>",
            _("Distance from the site: {distances}").format(
                distances=", ".join(fmt().distance_m(r) for r in parts.rings)))
    for swatch_style, text in parts.extra:
        row(f"<span class='sw' style='{swatch_style}'></span>", text)
    if parts.pin:
        row(f"<span class='sw' style='background:{map_style.PIN_STYLE['fillColor']};border-radius:50%;"
            f"border:2px solid {map_style.PIN_STYLE['color']}'></span>", parts.pin)
    return "".join(rows) or f"<div class='row'>{_e(_('Nothing to show here yet.'))}</div>"


def finish(m: folium.Map, *, legend: bool = True, legend_open: bool | None = None,
           layer_control: bool = True) -> folium.Map:
    """Add the legend (listing what the map shows; ``legend_open`` None: open on a wide
    map, folded on a narrow one, see :class:`~app.map_layers.Legend`) and the layer
    switcher."""
    if legend:
        Legend(_legend_html(_legend(m)), title=_e(_("Legend")), open_=legend_open).add_to(m)
    if layer_control:
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


def atlas_map(contents: MapContents, *, decimals: int, tiles: bool = False,
              view: Viewport | None = None) -> folium.Map:
    """The Atlas page's map of ``contents``: areas, sites and land, then assets (or their
    counts) on top, with legend and layer switcher. The map opens on ``view`` (default:
    the contents' viewport)."""
    m = base_map(view or contents.viewport, tiles=tiles)
    add_contents(m, contents, decimals=decimals)
    return finish(m)


def add_contents(m: folium.Map, contents: MapContents, *, decimals: int) -> None:
    """Areas, sites and land, then the assets (or their counts, when the view holds more
    than the budget) on top."""
    add_boundaries(m, contents.boundaries, decimals=decimals)
    add_features(m, contents.features, decimals=decimals)
    if contents.assets_aggregated:
        add_asset_cells(m, contents.asset_cells, decimals=decimals)
    else:
        add_assets(m, contents.assets, decimals=decimals)


def html_size(m: folium.Map) -> int:
    """Bytes of the map's complete HTML page: what goes to the browser for it."""
    return len(m.get_root().render().encode("utf-8"))
