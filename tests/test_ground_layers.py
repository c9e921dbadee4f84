"""The ground of an OpenStreetMap extract (issue 14): what is read, who may walk where, and
how it is kept in the store, on both engines; and the real Monaco extract, checked against
GDAL's own OSM reader and with the internet shut off."""

from __future__ import annotations

import socket
from collections import Counter

import geopandas as gpd
import networkx as nx
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Polygon

from atlas import open_store
from atlas.errors import InvalidInput
from atlas.ground import walking
from atlas.ground.layers import GroundFeature, ground_source, load_ground, read_osm_ground, save_ground, walkable


@pytest.mark.parametrize(("highway", "tags", "expected"), [
    ("footway", {}, True),
    ("steps", {}, True),
    ("residential", {}, True),
    ("primary", {}, True),
    ("track", {}, True),
    ("cycleway", {}, True),
    ("cycleway", {"foot": "no"}, False),
    ("motorway", {}, False),
    ("motorway", {"foot": "yes"}, False),  # never, whatever a mapper wrote
    ("motorway_link", {}, False),
    ("trunk", {}, False),
    ("trunk", {"sidewalk": "both"}, True),
    ("trunk", {"sidewalk": "no"}, False),
    ("trunk", {"foot": "yes"}, True),
    ("service", {"access": "private"}, False),
    ("service", {"access": "private", "foot": "yes"}, True),
    ("residential", {"access": "no", "foot": "permissive"}, True),
    ("residential", {"access": "no"}, False),
    ("footway", {"foot": "no"}, False),
    ("primary", {"foot": "use_sidepath"}, False),
])
def test_who_may_walk_where(highway, tags, expected):
    """OpenStreetMap's access rules for people on foot (wiki: Key:access, Key:foot, Key:sidewalk)."""
    assert walkable(highway, tags.get) is expected


def _features() -> list[GroundFeature]:
    return [
        GroundFeature("road", "residential", "Rue Grimaldi", True,
                      LineString([(7.4200, 43.7300), (7.4210, 43.7305)]), "way/1"),
        GroundFeature("water", "water", None, False,
                      Polygon([(7.41, 43.73), (7.411, 43.73), (7.411, 43.731), (7.41, 43.73)]), "way/2"),
        GroundFeature("building", "yes", "Café de Paris", False,
                      Polygon([(7.42, 43.74), (7.4201, 43.74), (7.4201, 43.7401), (7.42, 43.74)]), "relation/3"),
    ]


def test_ground_is_saved_and_read_back_as_it_was(store_path):
    with open_store(store_path) as store:
        assert ground_source(store) is None and load_ground(store) == []
        assert save_ground(store, _features(), source="test.osm", licence="ODbL", approximate=False) == 3
        back = load_ground(store)
        assert [(f.layer, f.kind, f.name, f.walkable, f.osm_id) for f in back] == \
            [(f.layer, f.kind, f.name, f.walkable, f.osm_id) for f in _features()]
        assert all(shapely.equals_exact(a.geom, b.geom, 0) for a, b in zip(back, _features(), strict=True))
        assert [f.name for f in load_ground(store, walkable_only=True)] == ["Rue Grimaldi"]
        source = ground_source(store)
        assert (source.source, source.licence, source.approximate) == ("test.osm", "ODbL", False)
        assert store.metric_epsg == 32632  # fixed from the ground's extent: Monaco, UTM 32N

        # A walking network goes when the ground it was made of is replaced.
        assert walking.build_network(store).edges == 1
        save_ground(store, _features()[1:], source="again.osm", licence=None, approximate=True)
        assert [f.osm_id for f in load_ground(store)] == ["way/2", "relation/3"]
        assert ground_source(store).source == "again.osm"
        assert walking.load_network(store) is None and not walking.has_network(store)


def test_approximate_ground_makes_no_walking_network(store_path):
    with open_store(store_path) as store:
        save_ground(store, _features(), source="demo", licence=None, approximate=True)
        assert walking.build_network(store) == walking.NetworkSummary(nodes=0, edges=0, length_m=0.0)
        assert walking.load_network(store) is None


def test_a_bad_layer_is_refused_and_nothing_changes(store_path):
    with open_store(store_path) as store:
        save_ground(store, _features(), source="test.osm", licence=None, approximate=False)
        bad = GroundFeature("motorway", "motorway", None, False, LineString([(7.42, 43.73), (7.43, 43.73)]))
        with pytest.raises(InvalidInput, match="motorway"):
            save_ground(store, [bad], source="bad", licence=None, approximate=False)
        assert len(load_ground(store)) == 3 and ground_source(store).source == "test.osm"


@pytest.fixture
def no_internet(monkeypatch):
    """Any connection beyond this machine fails (the PostGIS test server is on localhost)."""
    real = socket.socket.connect

    def local_only(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"the test shut off the internet: no connection to {address[0]}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


@pytest.mark.realdata
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # GDAL's notes on Monaco's broken relations
def test_monaco_ground_and_walking_network(shared_data, store_path, no_internet):
    path = shared_data / "osm-monaco" / "monaco.osm.gz"
    ground = read_osm_ground(path)
    layers = Counter(f.layer for f in ground)
    assert layers["building"] > 900 and layers["road"] > 400 and layers["path"] > 300
    assert layers["park"] > 10 and layers["water"] >= 1 and layers["rail"] >= 1
    streets = {f.name for f in ground if f.layer == "road" and f.name}
    assert {"Avenue Princesse Grace", "Boulevard Albert 1er", "Avenue de Fontvieille"} <= streets

    # GDAL's own reader: every highway it reads as a line is ours, of the same kind and length.
    gdal = pyogrio.read_dataframe(f"/vsigzip/{path}", layer="lines")
    gdal = gdal[gdal["highway"].notna()].to_crs(32632)
    ours = {f.osm_id: f for f in ground if f.layer in ("road", "path")}
    gdal_ways = dict(zip("way/" + gdal["osm_id"], zip(gdal["highway"], gdal.length, strict=True), strict=True))
    assert set(gdal_ways) <= set(ours)
    ours_m = gpd.GeoSeries([ours[k].geom for k in gdal_ways], crs=4326).to_crs(32632).length
    for (key, (kind, length_m)), mine in zip(gdal_ways.items(), ours_m, strict=True):
        assert ours[key].kind == kind
        assert mine == pytest.approx(length_m, abs=0.01), key

    with open_store(store_path) as store:
        save_ground(store, ground, source="monaco.osm.gz", licence="ODbL", approximate=False)
        summary = walking.build_network(store)
        net = walking.load_network(store)
        assert store.metric_epsg == 32632
    walked = gpd.GeoSeries([f.geom for f in ground if f.walkable], crs=4326).to_crs(32632)
    assert set(walked.geom_type) == {"LineString"}
    assert summary.length_m == pytest.approx(walked.length.sum(), rel=1e-9)
    assert 800 < summary.nodes < 2_000 and summary.nodes < summary.edges < 2 * summary.nodes
    assert net is not None and net.graph.number_of_nodes() == summary.nodes
    biggest = max(nx.connected_components(net.graph), key=len)
    assert len(biggest) > 0.9 * summary.nodes  # one town, walkable end to end
