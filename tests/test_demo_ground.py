"""The demo's approximate ground (issue 14): the demo, which has no OpenStreetMap extract, gets
a simple base map drawn from main roads, the canal and the reservoir written by the project,
labelled approximate, and no walking network."""

from __future__ import annotations

import gzip

import geopandas as gpd
import mapbox_vector_tile
from pmtiles.reader import MemorySource, all_tiles

from atlas import open_store
from atlas.demo import load_demo
from atlas.ground import tiles
from atlas.ground.demo_ground import DEMO_GROUND_LICENCE, DEMO_GROUND_SOURCE, demo_ground
from atlas.ground.layers import GroundFeature, ground_source, load_ground, save_ground
from atlas.ground.walking import load_network
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84
from tests.app_fixtures import DEMO_DIR


def names_by_layer(archive: bytes) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for _zxy, data in all_tiles(MemorySource(archive)):
        for layer, content in mapbox_vector_tile.decode(gzip.decompress(data)).items():
            found.setdefault(layer, set()).update(
                f["properties"]["name"] for f in content["features"] if "name" in f["properties"])
    return found


def test_the_demo_has_an_approximate_base_map_and_no_walking_network(demo_store):
    source = ground_source(demo_store)
    assert source is not None and source.approximate and source.source == DEMO_GROUND_SOURCE
    basemap = tiles.basemap_archive(demo_store)
    assert basemap is not None
    assert basemap.approximate is True and basemap.attribution == DEMO_GROUND_LICENCE
    assert "approximate" in basemap.attribution
    found = names_by_layer(basemap.archive)
    assert {"Hagley Road", "Dudley Road", "Soho Road"} <= found["roads"]
    assert found["waterways"] == {"Birmingham Canal (main line)"}
    assert found["water"] == {"Edgbaston Reservoir"} and "Edgbaston Reservoir" in found["labels"]
    # No walking network: none of the sketched lines is walkable, and none was built.
    assert not any(f.walkable for f in load_ground(demo_store))
    assert demo_store.con.execute("SELECT count(*) FROM walk_edges").fetchone()[0] == 0
    assert load_network(demo_store) is None


def test_the_sketch_is_where_the_demo_places_are():
    # Against the demo's own sites (data/boundaries/sites.geojson), in metres.
    sites = gpd.read_file(DEMO_DIR / "sites.geojson").set_index("name").to_crs(BRITISH_NATIONAL_GRID)
    ground = gpd.GeoDataFrame(
        {"name": [f.name for f in demo_ground()], "layer": [f.layer for f in demo_ground()]},
        geometry=[f.geom for f in demo_ground()], crs=WGS84).to_crs(BRITISH_NATIONAL_GRID).set_index("name")
    reservoir, site = ground.geometry["Edgbaston Reservoir"], sites.geometry["Edgbaston Reservoir"]
    assert reservoir.intersection(site).area / reservoir.area > 0.8
    assert ground.geometry["Dudley Road"].distance(sites.geometry["Vacant shop unit, Dudley Road"]) < 60
    assert ground.geometry["Cape Hill"].distance(sites.geometry["Vacant shop unit, Cape Hill"]) < 60
    assert ground.geometry["Birmingham Canal (main line)"].distance(sites.geometry["Galton Valley canal side"]) < 150
    assert set(ground["layer"]) == {"road", "waterway", "water"}


def test_loading_the_demo_again_keeps_ground_from_an_extract(tmp_path):
    with open_store(tmp_path / "atlas.duckdb") as store:
        extract = [GroundFeature("road", "residential", "Real Street", True,
                                 demo_ground()[0].geom, "way/1")]
        save_ground(store, extract, source="birmingham.osm.pbf", licence="ODbL", approximate=False)
        load_demo(store)
        kept = ground_source(store)
        assert kept is not None and kept.source == "birmingham.osm.pbf" and not kept.approximate
        assert [f.name for f in load_ground(store)] == ["Real Street"]
        assert tiles.basemap_archive(store) is None  # the demo draws no base map over someone's ground
