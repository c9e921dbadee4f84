"""The offline base map in a real browser with the internet off (issue 14): the Monaco extract
imported (which builds the base map), the app started, every request not to the app refused
and recorded, and the atlas map zoomed to a street (zoom 17). The street's name must be
placed by protomaps-leaflet's labeller and drawn into the map's tiles, the archive must
come from the app in HTTP range requests, and nothing may leave the machine.

The names must be lettered in the font the app serves (Noto Sans), loaded from the app: on
a machine with no fonts of its own, such as CI's, the browser drew no street names at all
until the app served one.

The screenshot is kept as ``test-artifacts/basemap-monaco.png``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from atlas import open_store
from atlas.ground.layers import load_ground
from atlas.ground.tiles import ROAD_CLASS, basemap_archive
from atlas.importers import import_file
from tests.browser_fixtures import (
    ARTIFACTS,
    AppServer,
    local_page,
    map_frame,
    open_app,
    start_app,
    stop_app,
)
from tests.conftest import SHARED_DATA

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

MONACO = SHARED_DATA / "osm-monaco" / "monaco.osm.gz"
STREET_ZOOM = 17
BACKGROUND_RGB = (0xF3, 0xF1, 0xEC)  # app.basemap.BACKGROUND


@dataclass(frozen=True)
class Street:
    name: str
    lon: float
    lat: float


@pytest.fixture(scope="module")
def monaco(chromium_path, tmp_path_factory) -> Iterator[tuple[AppServer, Street]]:
    """The app on a store with the Monaco extract imported, and the street to look at: the
    longest named main street (a primary, secondary or tertiary road), at its middle."""
    if not MONACO.exists():
        pytest.skip(f"the Monaco extract is not at {MONACO}")
    folder = tmp_path_factory.mktemp("monaco")
    db_path = folder / "atlas.duckdb"
    with open_store(db_path) as store:
        import_file(store, MONACO)
        assert basemap_archive(store) is not None, "importing an extract builds its base map"
        metric = store.metric_epsg
        roads = [f for f in load_ground(store) if f.layer == "road" and f.name
                 and ROAD_CLASS.get(f.kind) in ("major", "medium")]
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"name": [r.name for r in roads]}, geometry=[r.geom for r in roads], crs=4326)
    lengths = frame.to_crs(metric).dissolve("name").length
    name = str(lengths.idxmax())
    line = frame[frame["name"] == name].to_crs(metric).geometry.union_all()
    middle = gpd.GeoSeries([line.interpolate(0.5, normalized=True)], crs=metric).to_crs(4326).iloc[0]
    server = start_app(db_path, folder / "streamlit.log", extra_env={"ATLAS_DEMO": "0"})
    yield server, Street(name, middle.x, middle.y)
    stop_app(server)


PLACED_LABELS_JS = """z => { var names = [];
    map.eachLayer(function (l) {
        var index = l.labelers && l.labelers.getIndex(z);
        if (index) { index.tree.all().forEach(function (t) { names.push(t.indexedLabel.deduplicationKey); }); }
    });
    return Array.from(new Set(names)).filter(function (n) { return !!n; }); }"""

TILES_READY_JS = """() => { var tiles = document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile');
    return tiles.length > 0 && Array.prototype.every.call(tiles, function (t) {
        return t.classList.contains('leaflet-tile-loaded'); }); }"""

PIXELS_JS = """bg => { var stats = {tiles: 0, pixels: 0, background: 0, text: 0};
    document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile-loaded').forEach(function (c) {
        if (!c.width) { return; }
        var data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        stats.tiles += 1;
        for (var i = 0; i < data.length; i += 4) {
            var r = data[i], g = data[i + 1], b = data[i + 2];
            stats.pixels += 1;
            if (Math.abs(r - bg[0]) <= 2 && Math.abs(g - bg[1]) <= 2 && Math.abs(b - bg[2]) <= 2) {
                stats.background += 1;
            } else if (Math.max(r, g, b) < 110 && Math.max(r, g, b) - Math.min(r, g, b) < 30) {
                stats.text += 1;  // dark grey: only the names are drawn so dark
            }
        }
    });
    return stats; }"""


def test_street_names_are_drawn_with_the_internet_off(monaco, browser):
    server, street = monaco
    page = local_page(browser, server)
    archive_responses: list[tuple[str, int, str | None]] = []
    font_responses: list[tuple[str, int]] = []
    page.on("response", lambda r: archive_responses.append((r.url, r.status, r.request.headers.get("range")))
            if r.url.endswith(".pmtiles") else None)
    page.on("response", lambda r: font_responses.append((r.url, r.status)) if "/noto-sans-" in r.url else None)
    try:
        open_app(page, server)
        frame = map_frame(page)
        frame.evaluate("([lat, lon, z]) => { map.setView([lat, lon], z, {animate: false}); return true; }",
                       [street.lat, street.lon, STREET_ZOOM])
        frame.wait_for_function(TILES_READY_JS, timeout=60_000)
        frame.wait_for_function(f"() => ({PLACED_LABELS_JS})({STREET_ZOOM}).indexOf({street.name!r}) >= 0",
                                timeout=60_000)
        page.wait_for_timeout(500)  # the labeller's last repaint of neighbouring tiles
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "basemap-monaco.png"))

        # The names are lettered in the app's own font, whatever fonts the machine has.
        assert frame.evaluate("() => document.fonts.check(\"600 12px 'Noto Sans'\")")
        placed = frame.evaluate(f"() => ({PLACED_LABELS_JS})({STREET_ZOOM})")
        assert street.name in placed
        assert len(placed) >= 3, placed  # the streets around it are named too
        # The names are drawn into the tiles: dark grey text on the quiet ground, which a
        # blank map (all background) would not have.
        stats = frame.evaluate(PIXELS_JS, list(BACKGROUND_RGB))
        assert stats["tiles"] >= 4
        assert stats["text"] > 300, stats
        assert stats["background"] < 0.9 * stats["pixels"], stats
        # The offline base map is the background chosen in the layer switcher.
        chosen = frame.evaluate("""() => Array.from(document.querySelectorAll(
            '.leaflet-control-layers-base label')).map(function (l) {
                return [l.innerText.trim(), l.querySelector('input').checked]; })""")
        assert chosen == [["Base map (offline)", True], ["Street map background (needs internet)", False]]
    finally:
        page.context.close()

    # The archive came from the app itself, a range of bytes at a time.
    assert archive_responses, "the base map's archive was never requested"
    assert all(url.startswith(f"{server.url}/app/static/basemap-") for url, _s, _r in archive_responses)
    assert {status for _u, status, _r in archive_responses} == {206}
    assert all(rng and rng.startswith("bytes=") for _u, _s, rng in archive_responses)
    # The font came from the app too.
    assert any("noto-sans-latin-600-normal" in url for url, _s in font_responses), font_responses
    assert all(url.startswith(f"{server.url}/app/static/noto-sans-") and url.endswith(".woff2") and status == 200
               for url, status in font_responses), font_responses
    # Nothing left the machine: every request went to the app.
    assert page.external_requests == []

