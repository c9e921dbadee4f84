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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import folium
import numpy as np
import shapely
from folium.plugins import Draw
from shapely.geometry import mapping, shape

from app import map_style, static_assets
from app.map_layers import AssetCells, AssetMarkers, AtlasMap, Legend, ShapeLayer
from atlas.distance_rings import Ring
from atlas.map_contents import AssetCell, AssetPoint, BoundaryShape, FeatureShape, MapContents
from atlas.models import NearbyAsset, NearbyFeature, Site
from atlas.output import area_words
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


def show_map(m: folium.Map, *, key: str, height: int = MAP_HEIGHT_PX,
             returned: Sequence[str] = ("last_clicked",), center: tuple[float, float] | None = None,
             zoom: int | None = None) -> MapView:
    """Draw ``m`` in the page and return what the browser reports.

    Only the ``returned`` items make the page rerun when they change, so a map that is
    drawn once (everything fits) asks for clicks only and panning costs nothing.
    ``center``/``zoom`` move the view without rebuilding the map."""
    import streamlit as st
    from streamlit_folium import st_folium

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


def base_map(viewport: Viewport, *, tiles: bool = False, fit: bool = False,
             open_at: tuple[float, float, float] | None = None) -> AtlasMap:
    """An empty map centred on ``viewport``, with Leaflet served by the app.

    ``fit`` makes the browser fit the viewport's bounds to the map's real size (best when
    the whole of something must show); ``open_at`` (lon, lat, zoom) opens it exactly
    there; otherwise the map opens at the viewport's centre and zoom. ``tiles`` adds an
    OpenStreetMap background, which needs internet; without it the store's boundaries and
    features are the base map."""
    lon, lat, zoom = open_at or (*viewport.centre, viewport.zoom)
    m = AtlasMap((lat, lon), zoom, tiles=tiles)
    if fit:
        m.fit_bounds([[viewport.south, viewport.west], [viewport.north, viewport.east]], padding=(12, 12))
    m.atlas_legend = _LegendParts()  # type: ignore[attr-defined]
    return m


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


def feature_popup(name: str | None, kind: str, status: str, land_use: str | None,
                  area_m2: float | None, extra: str = "") -> str:
    """Popup HTML for a feature; every stored text is escaped."""
    lines = [f"<b>{_e(name or 'Unnamed ' + map_style.FEATURE_KIND_LABEL.get(kind, kind).lower())}</b>",
             _e(f"{map_style.FEATURE_KIND_LABEL.get(kind, kind)} · {map_style.STATUS_LABEL.get(status, status)}")]
    if land_use:
        lines.append(f"<span class='muted'>Use: {_e(land_use)}</span>")
    if area_m2 is not None:
        lines.append(f"<span class='muted'>{_e(area_words(area_m2))}</span>")
    if extra:
        lines.append(extra)
    return "<br>".join(lines)


def asset_popup(name: str, scale: str, sector: str | None, category: str | None,
                extra: Iterable[str] = ()) -> str:
    """Popup HTML for an asset; every stored text is escaped."""
    kind = " · ".join(x for x in (map_style.SECTOR_LABEL.get(sector or "", sector or ""), category or "") if x)
    lines = [f"<b>{_e(name)}</b>", _e(map_style.SCALE_LABEL.get(scale, scale))]
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
    ShapeLayer(features, {"boundary": style}, name="Areas", interactive=False).add_to(m)
    _legend(m).boundaries = True


def add_features(m: folium.Map, features: Sequence[FeatureShape | NearbyFeature], *, decimals: int,
                 name: str = "Sites and land") -> None:
    """Features filled by kind and outlined by status, with escaped popups."""
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
            extra = f"<span class='muted'>{f.distance_m:,.0f} m away</span>"
        out.append({
            "type": "Feature",
            "geometry": _rounded(f.geom, decimals),
            "properties": {"s": key, "p": feature_popup(f.name, f.kind, f.status, f.land_use, f.area_m2, extra),
                           "t": _e(f.name or map_style.FEATURE_KIND_LABEL.get(f.kind, f.kind))},
        })
        parts.kinds.add(f.kind)
        parts.statuses.add(f.status)
    ShapeLayer(out, styles, name=name, canvas=len(out) > CANVAS_FROM).add_to(m)


def add_assets(m: folium.Map, assets: Sequence[AssetPoint | NearbyAsset], *, decimals: int,
               name: str = "Assets", cluster: bool | None = None) -> None:
    """Asset markers (macro and micro apart), clustered when there are many."""
    if not assets:
        return
    rows: list[list[object]] = []
    for a in assets:
        if isinstance(a, NearbyAsset):
            lon, lat = a.geom.x, a.geom.y
            extra = [f"{a.distance_m:,.0f} m away"]
        else:
            lon, lat = a.lon, a.lat
            extra = [f"Verified {a.verified_on:%d %b %Y}" if a.verified_on else "Not yet verified"]
        rows.append([round(lat, decimals), round(lon, decimals), a.scale, a.name,
                     asset_popup(a.name, a.scale, a.sector, a.category, extra)])
        _legend(m).scales.add(a.scale)
    if cluster is None:
        cluster = len(rows) > CLUSTER_FROM
    AssetMarkers(rows, name=name, cluster=cluster).add_to(m)


def _count_label(n: int) -> str:
    return f"{n / 1_000_000:.1f}M" if n >= 1_000_000 else f"{n / 1000:.1f}k" if n >= 10_000 else f"{n:,}"


def add_asset_cells(m: folium.Map, cells: Sequence[AssetCell], *, decimals: int) -> None:
    """Grid counts for views with too many assets to draw; a cell's size grows with its count."""
    if not cells:
        return
    biggest = max(c.count for c in cells)
    rows: list[list[object]] = []
    for c in cells:
        size = int(22 + 26 * math.sqrt(c.count / biggest))
        title = f"{c.count:,} assets ({c.macro_count:,} macro): click to zoom in"
        css = "atlas-cell-macro" if c.macro_count else "atlas-cell-micro"
        rows.append([round(c.lat, decimals), round(c.lon, decimals), _e(_count_label(c.count)), size, title, css,
                     c.south, c.west, c.north, c.east])
    AssetCells(rows).add_to(m)
    _legend(m).cells = True


def add_site(m: folium.Map, site: Site, *, decimals: int = FULL_PRECISION_DECIMALS) -> None:
    """The site being explored, highlighted."""
    style = dict(map_style.SITE_STYLE, className="atlas-site", radius=10)
    feature = {"type": "Feature", "geometry": _rounded(site.geom, decimals),
               "properties": {"s": "site", "t": _e(site.name), "p": f"<b>{_e(site.name)}</b><br>The site"}}
    ShapeLayer([feature], {"site": style}, name="Site").add_to(m)
    _legend(m).site = True


def add_rings(m: folium.Map, rings: Sequence[Ring], *, decimals: int = FULL_PRECISION_DECIMALS) -> None:
    """Distance rings around a site, each with its distance as a tooltip."""
    if not rings:
        return
    features = [{"type": "Feature", "geometry": _rounded(r.geom, decimals),
                 "properties": {"s": "ring", "t": f"{r.radius_m:,.0f} m"}} for r in rings]
    style = dict(map_style.RING_STYLE, className="atlas-ring")
    ShapeLayer(features, {"ring": style}, name="Distance rings").add_to(m)
    _legend(m).rings = [r.radius_m for r in rings]


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
    """Points drawn as macro or micro assets, with popups."""
    if not points:
        return
    rows = [[round(p.lat, decimals), round(p.lon, decimals), p.scale, p.name,
             asset_popup(p.name, p.scale, p.sector, p.category, p.extra)] for p in points]
    _legend(m).scales.update(p.scale for p in points)
    AssetMarkers(rows, name=name, cluster=False).add_to(m)


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
        popup = (f"<b>{_e(link.from_asset)}</b> and <b>{_e(link.to_asset)}</b><br>"
                 f"<span class='muted'>{_e(link.label)}</span>")
        features.append({"type": "Feature", "geometry": line,
                         "properties": {"s": link.kind, "p": popup, "t": _e(f"{link.from_asset} – {link.to_asset}")}})
        _legend(m).links.add(link.kind)
    styles = {kind: dict(style, className=f"atlas-link atlas-link-{kind}")
              for kind, style in map_style.LINK_STYLE.items()}
    ShapeLayer(features, styles, name="Links between assets").add_to(m)


def add_pin(m: folium.Map, lon: float, lat: float, label: str) -> None:
    """A single chosen point (a new asset's place), drawn above everything else."""
    style = dict(map_style.PIN_STYLE, className="atlas-pin")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
               "properties": {"s": "pin", "t": _e(label)}}
    ShapeLayer([feature], {"pin": style}, name="Chosen place").add_to(m)
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

    if parts.scales or parts.cells:
        section("Assets")
        for scale in ("macro", "micro"):
            if scale in parts.scales:
                row(f"<span class='atlas-symbol'><span class='atlas-asset atlas-{scale}'></span></span>",
                    map_style.SCALE_LABEL[scale])
        if parts.cells:
            row("<span class='atlas-cell'>n</span>", "Number of assets here (zoom in to see them)")
    if parts.kinds:
        section("Sites and land")
        for kind in map_style.FEATURE_FILL:
            if kind in parts.kinds:
                row(f"<span class='sw' style='background:{map_style.FEATURE_FILL[kind]}'></span>",
                    map_style.FEATURE_KIND_LABEL[kind])
    if parts.statuses:
        section("Status (outline)")
        for status, (colour, dash, _w) in map_style.STATUS_OUTLINE.items():
            if status in parts.statuses:
                border = "dashed" if dash else "solid"
                row(f"<span class='sw' style='border:2px {border} {colour}'></span>", map_style.STATUS_LABEL[status])
    if parts.links:
        section("Links")
        for kind, style in map_style.LINK_STYLE.items():
            if kind in parts.links:
                dash = "dashed" if style.get("dashArray") else "solid"
                row(f"<span class='sw' style='border-top:3px {dash} {style['color']};height:0'></span>",
                    map_style.LINK_LABEL[kind])
    if parts.boundaries or parts.site or parts.rings or parts.pin:
        section("Other")
    if parts.boundaries:
        row(f"<span class='sw' style='border:2px dashed {map_style.BOUNDARY_STYLE['color']}'></span>", "Area boundary")
    if parts.site:
        row(f"<span class='sw' style='background:{map_style.SITE_STYLE['fillColor']};"
            f"border:2px solid {map_style.SITE_STYLE['color']}'></span>", "The site")
    if parts.rings:
        row(f"<span class='sw' style='border:2px dotted {map_style.RING_STYLE['color']}'></span>",
            "Distance from the site: " + ", ".join(f"{r:,.0f} m" for r in parts.rings))
    if parts.pin:
        row(f"<span class='sw' style='background:{map_style.PIN_STYLE['fillColor']};border-radius:50%'></span>",
            parts.pin)
    return "".join(rows) or "<div class='row'>Nothing to show here yet.</div>"


def finish(m: folium.Map, *, legend: bool = True, legend_open: bool = True,
           layer_control: bool = True) -> folium.Map:
    """Add the legend (listing what the map shows; folded when not ``legend_open``) and
    the layer switcher."""
    if legend:
        Legend(_legend_html(_legend(m)), open_=legend_open).add_to(m)
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
