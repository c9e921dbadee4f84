"""The offline base map (issue 14): ground written by the test, built into a PMTiles archive
in the store (both engines), read back with the ``pmtiles`` reader and decoded with
mapbox-vector-tile. Where a street lands is worked out independently, with the slippy-map
tile formula (OpenStreetMap's wiki), not with the projection the builder uses."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
import shapely
from pmtiles.reader import MemorySource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from shapely.geometry import LineString, Point, Polygon, box

from atlas import open_store
from atlas.errors import NotFound
from atlas.ground import tiles
from atlas.ground.layers import GroundFeature, save_ground
from atlas.store import Store

EXTENT = 4096

# A small made-up town in west Birmingham (lon, lat).
HIGH_STREET = LineString([(-1.9300, 52.4800), (-1.9250, 52.4805), (-1.9200, 52.4810)])
BROAD_STREET = LineString([(-1.9300, 52.4760), (-1.9100, 52.4770)])
POOL = Polygon([(-1.9280, 52.4830), (-1.9240, 52.4830), (-1.9240, 52.4850), (-1.9280, 52.4850)])
PARK = box(-1.9190, 52.4820, -1.9150, 52.4840)
HOUSES = [box(-1.9262 + i * 0.0004, 52.4808, -1.9259 + i * 0.0004, 52.4810) for i in range(5)]
CANAL = LineString([(-1.9350, 52.4780), (-1.9050, 52.4790)])


def town(high_street: str = "High Street") -> list[GroundFeature]:
    return [
        GroundFeature("road", "residential", high_street, True, HIGH_STREET, "way/1"),
        GroundFeature("road", "primary", "Broad Street", True, BROAD_STREET, "way/2"),
        GroundFeature("water", "reservoir", "Town Pool", False, POOL, "way/3"),
        GroundFeature("park", "park", "Town Park", False, PARK, "way/4"),
        GroundFeature("waterway", "canal", "Town Canal", False, CANAL, "way/5"),
        *(GroundFeature("building", "house", None, False, h, f"way/{10 + i}") for i, h in enumerate(HOUSES)),
    ]


@pytest.fixture
def built(store_path) -> Iterator[Store]:
    store = open_store(store_path)
    save_ground(store, town(), source="town.osm.pbf", licence="© OpenStreetMap contributors, ODbL 1.0",
                approximate=False)
    tiles.build_basemap(store)
    yield store
    store.close()


def slippy_tile(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional (x, y) of the tile of zoom ``z`` holding (lon, lat): the slippy-map formula."""
    n = 2 ** z
    lat_r = math.radians(lat)
    return (lon + 180.0) / 360.0 * n, (1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n


def reader(store: Store) -> Reader:
    basemap = tiles.basemap_archive(store)
    assert basemap is not None
    return Reader(MemorySource(basemap.archive))


def decoded(r: Reader, z: int, x: int, y: int) -> dict[str, dict]:
    data = r.get(z, x, y)
    if data is None:
        return {}
    return mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True})


def names(tile: dict[str, dict], layer: str) -> set[str]:
    return {f["properties"].get("name") for f in tile.get(layer, {}).get("features", [])} - {None}


def test_the_archive_is_a_pmtiles_v3_file_of_gzipped_vector_tiles(built):
    basemap = tiles.basemap_archive(built)
    assert basemap is not None and basemap.archive[:7] == b"PMTiles" and basemap.archive[7] == 3
    r = Reader(MemorySource(basemap.archive))
    header = r.header()
    assert header["tile_type"] == TileType.MVT
    assert header["tile_compression"] == Compression.GZIP
    assert (header["min_zoom"], header["max_zoom"]) == (tiles.MIN_ZOOM, tiles.MAX_ZOOM)
    assert (basemap.min_zoom, basemap.max_zoom) == (tiles.MIN_ZOOM, tiles.MAX_ZOOM)
    every = list(all_tiles(MemorySource(basemap.archive)))
    assert basemap.tiles == len(every) == header["addressed_tiles_count"]
    for _zxy, data in every:
        assert data[:2] == b"\x1f\x8b"  # gzip
    # The header's bounds hold the ground's, to the 1e-7 degree the format keeps.
    west, south, east, north = shapely.total_bounds([f.geom for f in town()])
    assert basemap.bounds[0] <= west + 1e-7 and basemap.bounds[1] <= south + 1e-7
    assert basemap.bounds[2] >= east - 1e-7 and basemap.bounds[3] >= north - 1e-7
    assert basemap.bounds == pytest.approx((west, south, east, north), abs=1e-6)
    metadata = r.metadata()
    assert {layer["id"] for layer in metadata["vector_layers"]} == set(tiles.TILE_LAYERS)
    assert basemap.attribution == metadata["attribution"] == "© OpenStreetMap contributors, ODbL 1.0"
    assert basemap.approximate is False and basemap.source == "town.osm.pbf"


def test_a_named_street_is_in_its_tile_with_its_name_where_it_runs(built):
    r = reader(built)
    z = tiles.MAX_ZOOM
    mid = HIGH_STREET.interpolate(0.5, normalized=True)
    fx, fy = slippy_tile(mid.x, mid.y, z)
    tile = decoded(r, z, int(fx), int(fy))
    streets = [f for f in tile["roads"]["features"] if f["properties"].get("name") == "High Street"]
    assert streets, f"no High Street in tile {z}/{int(fx)}/{int(fy)}: {names(tile, 'roads')}"
    assert streets[0]["properties"]["kind"] == "residential"
    assert streets[0]["properties"]["class"] == "minor"
    # The street's midpoint, in the tile's own units (y down), lies on the decoded line: to
    # within the half-pixel simplification and the rounding to whole units.
    expected = Point((fx - int(fx)) * EXTENT, (fy - int(fy)) * EXTENT)
    geometry = streets[0]["geometry"]
    line = shapely.geometry.shape(geometry)
    assert line.distance(expected) <= tiles.SIMPLIFY_UNITS + 1

    # A tile the street does not reach (two tiles north, beyond the margin) lacks it.
    assert "High Street" not in names(decoded(r, z, int(fx), int(fy) - 2), "roads")
    # The street itself is written once, not once per OpenStreetMap way.
    assert len(streets) == 1


def test_minor_streets_and_buildings_wait_for_their_zoom(built):
    r = reader(built)
    seen: dict[int, set[str]] = {}
    for (z, _x, _y), data in all_tiles(MemorySource(tiles.basemap_archive(built).archive)):
        tile = mapbox_vector_tile.decode(gzip.decompress(data))
        seen.setdefault(z, set()).update(tile)
        if "buildings" in tile:
            assert z >= tiles.BUILDINGS_MIN_ZOOM, f"buildings in a tile of zoom {z}"
    assert all("buildings" not in seen[z] for z in seen if z < tiles.BUILDINGS_MIN_ZOOM)
    assert "buildings" in seen[tiles.BUILDINGS_MIN_ZOOM] and "buildings" in seen[tiles.MAX_ZOOM]
    # At the lowest zoom the main road is drawn and the side street is not yet.
    x, y = slippy_tile(-1.925, 52.4805, tiles.MIN_ZOOM)
    low = decoded(r, tiles.MIN_ZOOM, int(x), int(y))
    assert names(low, "roads") == {"Broad Street"}
    assert "Town Canal" in names(low, "waterways")
    # Every house is in the tile of its centre at the top zoom.
    houses = 0
    for h in HOUSES:
        hx, hy = slippy_tile(h.centroid.x, h.centroid.y, tiles.MAX_ZOOM)
        houses += bool(decoded(r, tiles.MAX_ZOOM, int(hx), int(hy)).get("buildings"))
    assert houses == len(HOUSES)


def test_water_and_parks_carry_their_names_at_a_point_inside(built):
    r = reader(built)
    z = tiles.MAX_ZOOM
    found = {}
    for (tz, x, y), data in all_tiles(MemorySource(tiles.basemap_archive(built).archive)):
        if tz != z:
            continue
        for f in mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True}).get(
                "labels", {}).get("features", []):
            px, py = f["geometry"]["coordinates"]
            # Back to lon/lat with the inverse slippy-map formula.
            n = 2 ** z
            lon = (x + px / EXTENT) / n * 360.0 - 180.0
            lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + py / EXTENT) / n))))
            found[f["properties"]["name"]] = (f["properties"]["kind"], Point(lon, lat))
    assert set(found) == {"Town Pool", "Town Park"}
    assert found["Town Pool"][0] == "water" and POOL.buffer(1e-5).contains(found["Town Pool"][1])
    assert found["Town Park"][0] == "park" and PARK.buffer(1e-5).contains(found["Town Park"][1])
    assert "Town Pool" in names(decoded(r, z, *map(int, slippy_tile(*POOL.centroid.coords[0], z))), "water")


def test_a_rebuild_replaces_the_base_map(built):
    first = tiles.basemap_archive(built)
    save_ground(built, town("Market Street"), source="town-2.osm.pbf", licence="ODbL", approximate=False)
    summary = tiles.build_basemap(built)
    second = tiles.basemap_archive(built)
    assert second is not None and first is not None
    assert built.con.execute("SELECT count(*) FROM basemaps").fetchone()[0] == 1
    assert second.source == "town-2.osm.pbf" and second.attribution == "ODbL"
    assert second.built_at >= first.built_at and second.archive != first.archive
    assert (summary.tiles, summary.bytes) == (second.tiles, len(second.archive))
    mid = HIGH_STREET.interpolate(0.5, normalized=True)
    x, y = slippy_tile(mid.x, mid.y, tiles.MAX_ZOOM)
    roads = names(decoded(Reader(MemorySource(second.archive)), tiles.MAX_ZOOM, int(x), int(y)), "roads")
    assert "Market Street" in roads and "High Street" not in roads


def test_no_ground_no_base_map(empty_store):
    assert tiles.basemap_archive(empty_store) is None
    with pytest.raises(NotFound, match="OpenStreetMap extract"):
        tiles.build_basemap(empty_store)
    assert empty_store.con.execute("SELECT count(*) FROM basemaps").fetchone()[0] == 0


def test_the_style_keeps_every_atlas_symbol_visible_on_the_base_map():
    # WCAG 2.1's 1.4.11 (non-text contrast), as tests/test_app_maps.py checks the symbols
    # against white: against every colour the base map fills large parts of the map with.
    from app import basemap, map_style

    weak = {(name, fill): round(map_style.contrast_ratio(colour, fill), 2)
            for name, colour in map_style.symbol_edges().items() for fill in basemap.FILLS
            if map_style.contrast_ratio(colour, fill) < map_style.MIN_SYMBOL_CONTRAST}
    assert not weak, weak
    # Street names are text: WCAG's 4.5:1 against the street and the buildings beside it.
    for ground in (basemap.ROAD, basemap.BUILDING, basemap.BACKGROUND):
        assert map_style.contrast_ratio(basemap.STREET_TEXT, ground) >= 4.5


# -- served by the app (app/basemap.py) ---------------------------------------------------

def test_the_app_publishes_the_archive_under_its_hash_once_per_build(built, tmp_path):
    import hashlib

    from app import basemap

    static = tmp_path / "static"
    served = basemap.publish(built, static)
    archive = tiles.basemap_archive(built).archive
    file = static / f"basemap-{hashlib.sha256(archive).hexdigest()[:20]}.pmtiles"
    assert file.read_bytes() == archive
    assert served is not None and served.url == f"/app/static/{file.name}"
    assert (served.min_zoom, served.max_zoom, served.level_diff) == (tiles.MIN_ZOOM, tiles.MAX_ZOOM, 1)
    assert basemap.publish(built, static) == served  # the same build: the same file, not written again
    file.unlink()
    assert basemap.publish(built, static) == served and file.exists()  # gone (tidied by another app): back
    save_ground(built, town("Market Street"), source="town-2.osm.pbf", licence="ODbL", approximate=False)
    tiles.build_basemap(built)
    rebuilt = basemap.publish(built, static)
    assert rebuilt is not None and rebuilt.url != served.url
    assert sorted(p.name for p in static.glob("basemap-*.pmtiles")) == sorted([file.name, rebuilt.url.rsplit("/")[-1]])


def test_every_map_has_the_offline_base_map_first_and_the_online_one_as_an_option():
    import re

    from app import basemap, maps, static_assets
    from atlas.viewport import Viewport

    served = basemap.ServedBasemap(url="/app/static/basemap-abc.pmtiles", attribution="Demo <data>",
                                   approximate=True, min_zoom=11, max_zoom=16, level_diff=1,
                                   bounds=(-1.95, 52.47, -1.90, 52.50))
    view = Viewport(-1.95, 52.47, -1.90, 52.50, zoom=14)
    page = maps.finish(maps.base_map(view, ground=served)).get_root().render()
    assert f'src="{static_assets.url(static_assets.PROTOMAPS_LEAFLET, "protomaps-leaflet.js")}"' in page
    assert '"url":"/app/static/basemap-abc.pmtiles"' in page and '"levelDiff":1' in page
    # Its attribution says the map is approximate, and the data's words are escaped (as HTML,
    # then as a JavaScript string that cannot close the script).
    assert '"attribution":"Approximate base map · Demo \\u0026lt;data\\u0026gt;"' in page
    # Both backgrounds are in the layer switcher; only the offline one is on the map.
    control = re.search(r"base_layers : \{(.*?)\}", page, flags=re.S).group(1)
    assert "Base map (offline)" in control and "Street map background (needs internet)" in control
    ground = re.search(r"var (atlas_ground_\w+) = \(function", page).group(1)
    online = re.search(r"var (tile_layer_\w+) = L\.tileLayer", page).group(1)
    assert f"{ground}.addTo(" in page and f"{online}.addTo(" not in page
    assert "{{" not in page and "{%" not in page
    # Asked for the online street map, it is the one shown; the offline one stays an option.
    page = maps.finish(maps.base_map(view, ground=served, tiles=True)).get_root().render()
    ground = re.search(r"var (atlas_ground_\w+) = \(function", page).group(1)
    online = re.search(r"var (tile_layer_\w+) = L\.tileLayer", page).group(1)
    assert f"{online}.addTo(" in page and f"{ground}.addTo(" not in page
    # Without a base map nothing changes: no background unless the online one is asked for.
    page = maps.finish(maps.base_map(view, ground=None)).get_root().render()
    assert "protomaps" not in page and "L.tileLayer" not in page


def test_the_base_map_letters_names_in_a_font_the_app_serves(tmp_path):
    """The names are lettered in Noto Sans, whose files the app copies into ``static/``: every
    face the layer hands the browser is a file there, for each script and style the label
    rules use (tests/test_browser_basemap_offline.py draws them in a browser with no fonts)."""
    import json

    from app import basemap, static_assets

    report = static_assets.install(tmp_path)
    assert static_assets.NOTO_SANS.folder in report.installed
    faces = basemap.lettering_faces()
    assert {(f["weight"], f["style"]) for f in faces} == {("400", "normal"), ("400", "italic"), ("500", "normal"),
                                                          ("600", "normal")}  # the label rules' fonts
    prefix = static_assets.url(static_assets.NOTO_SANS, "")
    for face in faces:
        assert face["url"].startswith(prefix)
        assert (tmp_path / static_assets.NOTO_SANS.folder / face["url"][len(prefix):]).stat().st_size > 1000
    latin = next(f for f in faces if "latin-600-normal" in f["url"])
    assert "U+0000-00FF" in latin["unicodeRange"]  # the letters of English, French, German...
    assert len(faces) == len(static_assets.NOTO_SANS_FACES) == 6 * 4  # six scripts, four styles each
    # The map's page hands them to the browser, and the label rules name the font.
    from app import maps
    from atlas.viewport import Viewport

    served = basemap.ServedBasemap(url="/app/static/basemap-abc.pmtiles", attribution="Demo", approximate=True,
                                   min_zoom=11, max_zoom=16, level_diff=1, bounds=(-1.95, 52.47, -1.90, 52.50))
    page = maps.finish(maps.base_map(Viewport(-1.95, 52.47, -1.90, 52.50, zoom=14), ground=served)).get_root().render()
    assert '"family":"Noto Sans"' in page
    assert json.dumps(latin["url"]) in page
