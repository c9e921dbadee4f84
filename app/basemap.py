"""The offline base map in the app: the store's PMTiles archive (:mod:`atlas.ground.tiles`)
served from ``static/`` and drawn by protomaps-leaflet beneath every map.

The archive is copied out of the store into ``static/basemap-<sha256>.pmtiles``: Streamlit
serves that folder at ``/app/static/`` (``server.enableStaticServing``) with HTTP range
requests, which is how protomaps-leaflet reads one tile at a time from a single file. The
name holds the archive's hash, so a rebuilt base map gets a new URL and no browser keeps
tiles of the old one. Nothing is fetched from anywhere else: the library is copied from
``node_modules`` by :mod:`app.static_assets`, and so is the Noto Sans font the names are
lettered in.

The names are drawn on a canvas, which uses a web font only once it has loaded and
otherwise falls back to the device's own fonts (a server with none draws no names at all).
So the layer gives the browser the font's files itself and lays its labels out again when
they have arrived.

The style (paint and label rules) is written here in JavaScript: quiet greys for streets
and buildings, pale blue water and pale green parks, dark grey street names along the
streets, so the atlas's own symbols (:mod:`app.map_style`) stand out on it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import folium
from jinja2 import Template

from app import map_style, static_assets
from app.map_layers import _DataLayer, js_literal
from app.text import leaflet_html
from atlas.ground.tiles import BASEMAP_NAME, LEVEL_DIFF, Basemap, basemap_archive
from atlas.store import Store

log = logging.getLogger(__name__)

STREAMLIT_MAX_STATIC_BYTES = 200 * 1024 * 1024
"""Streamlit refuses to serve a static file bigger than this (its ``MAX_APP_STATIC_FILE_SIZE``);
a bigger archive is not published, and the maps fall back to the store's own shapes."""

OLD_FILES_KEPT_S = 7 * 24 * 3600
"""Archives of earlier builds (or of other stores' apps sharing the folder) are removed from
``static/`` once untouched for this long, in seconds: Streamlit turns static serving off
altogether when the folder grows beyond 1 GB. An app in use touches its own file each time
the store changes, and writes it again if it has gone."""

MAP_MAX_ZOOM = 20
"""How far the maps zoom in (AtlasMap's ``max_zoom``); the last tiles are enlarged beyond
their zoom."""

# The style: quiet colours, light enough that the atlas's symbols stand out on every one.
BACKGROUND = map_style.BASE_MAP
LETTERING_FAMILY = "Noto Sans"
"""The font the base map's names are lettered in (:data:`app.static_assets.NOTO_SANS`)."""
WATER = "#d4e6f4"
WATER_LINE = "#9fc4e2"
WATER_TEXT = "#35648c"
PARK = "#e4eedb"
PARK_TEXT = "#4c6b3c"
BUILDING = "#e9e6e0"
BUILDING_EDGE = "#d6d1c8"
ROAD = "#ffffff"
ROAD_CASING = "#d0ccc4"
MAJOR_ROAD = "#fdf8ea"
MAJOR_CASING = "#cdbf9c"
PATH = "#b9b2a6"
RAIL = "#a9a9a9"
STREET_TEXT = "#4a4a4a"
HALO = "#ffffff"
FILLS = (BACKGROUND, WATER, PARK, BUILDING, ROAD, MAJOR_ROAD)
"""The colours the base map fills large parts of the map with: every symbol's edge
(:func:`app.map_style.symbol_edges`) keeps :data:`~app.map_style.MIN_SYMBOL_CONTRAST`
against each, as against white."""


@dataclass(frozen=True)
class ServedBasemap:
    """A base map the browser can read: where, whose, and which zooms (tile zooms; a map at
    zoom ``z`` draws tiles of zoom ``z - level_diff``)."""

    url: str
    attribution: str
    """Plain text: the data's licence (OpenStreetMap's), or that it is approximate."""
    approximate: bool
    min_zoom: int
    max_zoom: int
    level_diff: int
    bounds: tuple[float, float, float, float]
    """(west, south, east, north), WGS84."""


@dataclass(frozen=True)
class _Published:
    file: Path
    served: ServedBasemap


_PUBLISHED: dict[tuple[str, object, int], _Published] = {}
_PUBLISH_LOCK = threading.Lock()


def publish(store: Store, static_dir: Path = static_assets.STATIC_DIR) -> ServedBasemap | None:
    """The store's base map written into ``static_dir`` (once per build: later calls only look
    at the build's time and size, and make sure the file is still there); None when the store
    has none, or it is too big for Streamlit to serve."""
    row = store.con.execute("SELECT built_at, octet_length(archive) FROM basemaps WHERE name = ?",
                            [BASEMAP_NAME]).fetchone()
    if row is None:
        return None
    built_at, size = row[0], int(row[1])
    if size > STREAMLIT_MAX_STATIC_BYTES:
        log.warning("The base map (%d MB) is bigger than Streamlit serves (%d MB); maps are drawn without it.",
                    size // 2**20, STREAMLIT_MAX_STATIC_BYTES // 2**20)
        return None
    key = (f"{store.location}|{static_dir}", built_at, size)
    with _PUBLISH_LOCK:
        done = _PUBLISHED.get(key)
        if done is not None and done.file.exists():
            os.utime(done.file)
            return done.served
        basemap = basemap_archive(store)
        if basemap is None:
            return None
        file = _write(static_dir, basemap.archive)
        served = _served(basemap, file.name)
        _PUBLISHED[key] = _Published(file, served)
        _tidy(static_dir, keep=file)
        return served


def _served(basemap: Basemap, file_name: str) -> ServedBasemap:
    return ServedBasemap(url=static_assets.static_url(file_name),
                         attribution=basemap.attribution, approximate=basemap.approximate,
                         min_zoom=basemap.min_zoom, max_zoom=basemap.max_zoom, level_diff=LEVEL_DIFF,
                         bounds=basemap.bounds)


def _write(static_dir: Path, archive: bytes) -> Path:
    """``archive`` as ``static_dir/basemap-<sha256>.pmtiles``, made aside and moved in whole
    (two app processes may publish the same archive at once)."""
    static_dir.mkdir(parents=True, exist_ok=True)
    file = static_dir / f"basemap-{hashlib.sha256(archive).hexdigest()[:20]}.pmtiles"
    if file.exists() and file.stat().st_size == len(archive):
        os.utime(file)
        return file
    fd, work = tempfile.mkstemp(prefix=".basemap-", dir=static_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(archive)
        os.replace(work, file)
    finally:
        if os.path.exists(work):
            os.unlink(work)
    return file


def _tidy(static_dir: Path, *, keep: Path) -> None:
    cutoff = time.time() - OLD_FILES_KEPT_S
    for old in static_dir.glob("basemap-*.pmtiles"):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another process tidied it first
            pass


def current() -> ServedBasemap | None:
    """The base map of the app's store, published once per store revision; None outside a
    page run (scripts, unit tests of map building) and when the store has none."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    from app import state

    return state.per_revision("basemap", publish)


# -- on the map ---------------------------------------------------------------------------

class GroundLayer(_DataLayer):
    """The offline base map as a Leaflet base layer (protomaps-leaflet), styled here."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (o) {
    var P = protomapsL, c = o.colours;
    var z = function (stops) { return P.linear(stops); };
    var is = function (key, values) {
        return function (zoom, f) { return values.indexOf(f.props[key]) >= 0; };
    };
    var road = function (cls, casing, fill, widths, minzoom) {
        return [
            {dataLayer: "roads", minzoom: minzoom, filter: is("class", cls),
             symbolizer: new P.LineSymbolizer({color: casing, lineCap: "round", lineJoin: "round",
                                               width: z(widths.map(function (s) { return [s[0], s[1] + 1.5]; }))})},
            {dataLayer: "roads", minzoom: minzoom, filter: is("class", cls),
             symbolizer: new P.LineSymbolizer({color: fill, lineCap: "round", lineJoin: "round", width: z(widths)})}
        ];
    };
    var paint = [
        {dataLayer: "parks", symbolizer: new P.PolygonSymbolizer({fill: c.park})},
        {dataLayer: "water", symbolizer: new P.PolygonSymbolizer({fill: c.water})},
        {dataLayer: "waterways", symbolizer: new P.LineSymbolizer({color: c.water_line,
            width: z([[12, 1], [15, 3], [18, 8]])})},
        {dataLayer: "buildings", symbolizer: new P.PolygonSymbolizer({fill: c.building, stroke: c.building_edge,
            width: 1})},
        {dataLayer: "paths", minzoom: 15, symbolizer: new P.LineSymbolizer({color: c.path, dash: [3, 2],
            dashColor: c.path, dashWidth: 1})},
        {dataLayer: "rail", symbolizer: new P.LineSymbolizer({color: c.rail, width: z([[12, 1], [17, 2.5]])})}
    ].concat(
        road(["service"], c.road_casing, c.road, [[14, 0.5], [17, 4], [20, 12]], 15),
        road(["minor"], c.road_casing, c.road, [[13, 0.5], [15, 2.5], [17, 7], [20, 28]], 13),
        road(["medium"], c.road_casing, c.road, [[12, 0.8], [15, 4], [17, 9], [20, 34]], 12),
        road(["major"], c.major_casing, c.major_road, [[12, 1.5], [15, 5], [17, 11], [20, 40]], 0)
    );
    var text = function (colour, font) {
        return {fill: colour, stroke: c.halo, width: 3, font: font + " '" + o.family + "', sans-serif",
                labelProps: ["name"]};
    };
    var labels = [
        {dataLayer: "labels", filter: is("kind", ["water"]),
         symbolizer: new P.CenteredTextSymbolizer(text(c.water_text, "italic 400 13px"))},
        {dataLayer: "labels", filter: is("kind", ["park"]), minzoom: 14,
         symbolizer: new P.CenteredTextSymbolizer(text(c.park_text, "400 12px"))},
        {dataLayer: "waterways", minzoom: 13,
         symbolizer: new P.LineLabelSymbolizer(text(c.water_text, "italic 400 12px"))},
        {dataLayer: "roads", minzoom: 13, filter: is("class", ["major", "medium"]),
         symbolizer: new P.LineLabelSymbolizer(text(c.street_text, "600 12px"))},
        {dataLayer: "roads", minzoom: 15, filter: is("class", ["minor", "service"]),
         symbolizer: new P.LineLabelSymbolizer(text(c.street_text, "500 12px"))},
        {dataLayer: "paths", minzoom: 17,
         symbolizer: new P.LineLabelSymbolizer(text(c.street_text, "400 11px"))}
    ];
    var layer = P.leafletLayer({url: o.url, paintRules: paint, labelRules: labels, backgroundColor: c.background,
                                maxDataZoom: o.maxDataZoom, levelDiff: o.levelDiff, maxZoom: o.maxZoom,
                                attribution: o.attribution});
    // The names are drawn on a canvas, which letters them only in fonts already loaded: the
    // font's files are loaded once per page (the map itself may be drawn again, with a new
    // layer), and each layer lays its labels out again once they are in. A face whose
    // download failed stays failed, so it is made again and retried.
    if (window.FontFace && document.fonts) {
        var letter = function (f, attempt) {
            var face = new FontFace(o.family, "url(" + f.url + ")",
                                    {weight: f.weight, style: f.style, unicodeRange: f.unicodeRange});
            document.fonts.add(face);
            return face.load().catch(function () {
                document.fonts.delete(face);
                if (attempt >= 4) { return null; }
                return new Promise(function (done) { setTimeout(done, 300 * attempt); })
                    .then(function () { return letter(f, attempt + 1); });
            });
        };
        if (!window.atlasLettering) {
            window.atlasLettering = Promise.all(o.faces.map(function (f) { return letter(f, 1); }));
        }
        window.atlasLettering.then(function () { layer.clearLayout(); layer.rerenderTiles(); });
    }
    return layer;
})({{ this.options_js }});
{% endmacro %}
""")

    def __init__(self, served: ServedBasemap, *, name: str, attribution_html: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "AtlasGround"
        lib = static_assets.PROTOMAPS_LEAFLET
        self.default_js = static_assets.js_links(lib)
        self.default_css = []
        colours = {"background": BACKGROUND, "water": WATER, "water_line": WATER_LINE, "water_text": WATER_TEXT,
                   "park": PARK, "park_text": PARK_TEXT, "building": BUILDING, "building_edge": BUILDING_EDGE,
                   "road": ROAD, "road_casing": ROAD_CASING, "major_road": MAJOR_ROAD, "major_casing": MAJOR_CASING,
                   "path": PATH, "rail": RAIL, "street_text": STREET_TEXT, "halo": HALO}
        self.options_js = js_literal({"url": served.url, "maxDataZoom": served.max_zoom,
                                      "levelDiff": served.level_diff, "maxZoom": MAP_MAX_ZOOM,
                                      "attribution": attribution_html, "colours": colours,
                                      "family": LETTERING_FAMILY, "faces": list(lettering_faces())})


@functools.lru_cache(maxsize=1)
def lettering_faces() -> tuple[dict[str, str], ...]:
    """The base map font's files as the browser's ``FontFace`` API takes them: URL, weight,
    style and the letters each covers (read once: every map on every page hands them over).
    None when the font is not installed: the names are then lettered in the device's own
    sans-serif, as on any web map."""
    font = static_assets.NOTO_SANS
    if not static_assets.available(font):
        return ()
    source, _version = font.locate()
    letters = json.loads((source / "unicode.json").read_text(encoding="utf-8"))
    return tuple({"url": static_assets.url(font, static_assets.noto_sans_file(script, weight, style)),
                  "weight": weight, "style": style, "unicodeRange": letters[script]}
                 for script, weight, style in static_assets.NOTO_SANS_FACES)


def add_background(m: folium.Map, served: ServedBasemap | None, *, online: bool, names: tuple[str, str],
                   approximate_note: str) -> None:
    """The map's backgrounds: the offline base map (shown, unless ``online``) and the online
    street map (shown only when ``online``), both in the layer switcher. ``names`` are the
    two layers' names as plain text (offline, online); ``approximate_note`` is what an
    approximate base map's attribution starts with. Without a base map, only the online
    street map, and only when ``online``."""
    if served is not None and not static_assets.available(static_assets.PROTOMAPS_LEAFLET):
        # Without its library the layer's script would stop the whole map; the map is drawn
        # without it and the log says how to install it.
        log.warning("The offline base map is not drawn: protomaps-leaflet is not installed "
                    "(in the project folder run: npm install).")
        served = None
    if served is None:
        if online:
            _online_layer(names[1], show=True).add_to(m)
        return
    attribution = leaflet_html(served.attribution)
    if served.approximate:
        attribution = f"{leaflet_html(approximate_note)} · {attribution}"
    GroundLayer(served, name=leaflet_html(names[0]), attribution_html=attribution, show=not online).add_to(m)
    _online_layer(names[1], show=online).add_to(m)


def _online_layer(name: str, *, show: bool) -> folium.TileLayer:
    # Leaflet asks a tile layer for tiles only while it is on the map: chosen in the layer
    # switcher, it fetches; left off, it makes no request at all.
    return folium.TileLayer("OpenStreetMap", name=leaflet_html(name), overlay=False, control=True, show=show,
                            max_zoom=MAP_MAX_ZOOM, max_native_zoom=19)
