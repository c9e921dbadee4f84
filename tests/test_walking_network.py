"""Walking distance instead of straight lines (issue 14), on a small town the test writes as
OpenStreetMap XML and imports through the real path (``import_file``), on both engines.

The town: two grids of streets either side of a canal, crossed by one bridge at the east
end; at the west end a motorway, in the middle a private service road and a cycle bridge
where walking is forbidden also cross it, and must not be walked. A cul-de-sac runs south
with a community centre beside it; a pond lies far east of every street.

Every expected length is worked out here by hand: the way's nodes projected with pyproj
into the store's metric CRS and the straight pieces between them added up, never with the
code under test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from atlas import open_store, queries
from atlas.ground import walking
from atlas.ground.layers import ground_source, load_ground
from atlas.importers import import_file

LON0, LAT0 = -1.9000, 52.4800
DX, DY = 0.0015, 0.0010  # about 102 m and 111 m
CANAL_ROW = 2.5  # the canal runs east-west between grid rows 2 and 3
BRIDGE_COL = 4
ORIGIN = (LON0, LAT0 + 1.6 * DY)  # on the west street, south of the canal
LIBRARY = (LON0, LAT0 + 3.5 * DY)  # on the west street, north of the canal
CUL_DE_SAC_END = (LON0 + 3 * DX, LAT0 - 0.0006)
CENTRE = (LON0 + 3 * DX + 0.00022, LAT0 - 0.0003)  # the community centre, beside the cul-de-sac
ON_ROW_0 = (LON0 + 2.5 * DX, LAT0)  # a point on the southmost street, west of the cul-de-sac
POND = (LON0 + 9 * DX, LAT0 + 2 * DY)


def grid(i: float, j: float) -> tuple[float, float]:
    return (round(LON0 + i * DX, 7), round(LAT0 + j * DY, 7))


class _Osm:
    """A few nodes and ways, written as OpenStreetMap XML."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[float, float], int] = {}
        self.node_tags: dict[int, dict[str, str]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []

    def node(self, lonlat: tuple[float, float], **tags: str) -> int:
        lonlat = (round(lonlat[0], 7), round(lonlat[1], 7))
        if tags:  # a tagged node is a place of its own, never a street's vertex
            nid = len(self.nodes) + len(self.node_tags) + 1000
            self.node_tags[nid] = {**tags, "_lon": str(lonlat[0]), "_lat": str(lonlat[1])}
            return nid
        return self.nodes.setdefault(lonlat, len(self.nodes) + 1)

    def way(self, points: Sequence[tuple[float, float]], **tags: str) -> int:
        wid = len(self.ways) + 1
        self.ways.append((wid, [self.node(p) for p in points], tags))
        return wid

    def xml(self) -> str:
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
        for (lon, lat), nid in self.nodes.items():
            lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
        for nid, tags in self.node_tags.items():
            lines.append(f'  <node id="{nid}" version="1" lat="{tags["_lat"]}" lon="{tags["_lon"]}">')
            lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items() if not k.startswith("_")]
            lines.append("  </node>")
        for wid, refs, tags in self.ways:
            lines.append(f'  <way id="{wid}" version="1">')
            lines += [f'    <nd ref="{r}"/>' for r in refs]
            lines += [f'    <tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items()]
            lines.append("  </way>")
        lines.append("</osm>")
        return "\n".join(lines) + "\n"


WAYS: dict[str, int] = {}
"""Way ids of the town's notable ways, by name (filled by write_town)."""


def write_town(folder: Path) -> Path:
    osm = _Osm()
    for j in (0, 1, 2, 3, 4):
        osm.way([grid(i, j) for i in range(5)], highway="residential", name=f"Row {j} Street")
    for i in range(5):
        osm.way([grid(i, j) for j in (0, 1, 2)], highway="residential", name=f"South {i} Road")
        osm.way([grid(i, j) for j in (3, 4)], highway="residential", name=f"North {i} Road")
    WAYS["bridge"] = osm.way([grid(BRIDGE_COL, 2), grid(BRIDGE_COL, 3)], highway="residential", bridge="yes",
                             layer="1", name="Canal Bridge")
    WAYS["canal"] = osm.way([grid(-1, CANAL_ROW), grid(2, CANAL_ROW), grid(6, CANAL_ROW)], waterway="canal",
                            name="Old Canal")
    # Three more crossings of the canal, none of them for walking: each would be a shortcut.
    WAYS["motorway"] = osm.way([grid(0, 2), grid(0, 3)], highway="motorway", name="Ring Motorway")
    WAYS["private"] = osm.way([grid(2, 2), grid(2, 3)], highway="service", access="private")
    WAYS["no_foot"] = osm.way([grid(3, 2), grid(3, 3)], highway="cycleway", foot="no")
    WAYS["cul_de_sac"] = osm.way([grid(3, 0), CUL_DE_SAC_END], highway="residential", name="Cul-de-sac Close")
    cx, cy = CENTRE
    hx, hy = 0.00007, 0.000045  # about 5 m either way
    square = [(cx - hx, cy - hy), (cx + hx, cy - hy), (cx + hx, cy + hy), (cx - hx, cy + hy)]
    osm.way([*square, square[0]], building="yes", amenity="community_centre", name="Close Community Centre")
    px, py = POND
    pond = [(px - 0.002, py - 0.0012), (px + 0.002, py - 0.0012), (px + 0.002, py + 0.0012), (px - 0.002, py + 0.0012)]
    osm.way([*pond, pond[0]], natural="water", name="Mill Pond")
    osm.node(LIBRARY, amenity="library", name="Canal Library")
    path = folder / "canal-town.osm"
    path.write_text(osm.xml(), encoding="utf-8")
    return path


# -- the independent arithmetic ---------------------------------------------------------------

def to_metric(epsg: int):
    t = Transformer.from_crs(4326, epsg, always_xy=True)
    return lambda lonlat: t.transform(*lonlat)


def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def route_m(epsg: int, points: Sequence[tuple[float, float]]) -> float:
    """The length of a route through lon/lat ``points``, each piece straight in the metric CRS."""
    m = to_metric(epsg)
    xy = [m(p) for p in points]
    return sum(dist(a, b) for a, b in zip(xy, xy[1:], strict=False))


def foot_of_perpendicular(p, a, b):
    """(point on segment ab nearest to p, its distance from p), by the dot product."""
    ux, uy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((p[0] - a[0]) * ux + (p[1] - a[1]) * uy) / (ux * ux + uy * uy)))
    foot = (a[0] + t * ux, a[1] + t * uy)
    return foot, dist(p, foot)


def bridge_route(epsg: int) -> float:
    """Origin north to row 2, east along it to the bridge, over, back west along row 3, north to the library."""
    return route_m(epsg, [ORIGIN, grid(0, 2), *(grid(i, 2) for i in range(1, 5)), grid(4, 3),
                          *(grid(i, 3) for i in range(3, -1, -1)), LIBRARY])


def walkable_length(epsg: int) -> float:
    """Every walkable way's length: the grid, the bridge and the cul-de-sac (no motorway,
    private road or cycle bridge)."""
    rows = sum(route_m(epsg, [grid(i, j) for i in range(5)]) for j in range(5))
    cols = sum(route_m(epsg, [grid(i, 0), grid(i, 1), grid(i, 2)]) + route_m(epsg, [grid(i, 3), grid(i, 4)])
               for i in range(5))
    return rows + cols + route_m(epsg, [grid(4, 2), grid(4, 3)]) + route_m(epsg, [grid(3, 0), CUL_DE_SAC_END])


# -- the tests ----------------------------------------------------------------------------------

@pytest.fixture
def town(store_path, tmp_path):
    """The town imported into a fresh store (DuckDB file or PostGIS database), and its network."""
    extract = write_town(tmp_path)
    with open_store(store_path) as store:
        summary = import_file(store, extract)
        net = walking.load_network(store)
        assert net is not None
        yield store, net, summary


def test_the_import_builds_the_ground_and_the_walking_network(town):
    store, net, summary = town
    epsg = store.metric_epsg
    assert epsg == 27700  # Birmingham: British National Grid
    assert summary.ground is not None
    assert ground_source(store).source == "canal-town.osm" and not ground_source(store).approximate
    # 25 grid corners and the cul-de-sac's end; 4 blocks on each of 5 rows, 2 + 1 on each of
    # 5 columns, the bridge and the cul-de-sac.
    assert (summary.ground.network.nodes, summary.ground.network.edges) == (26, 20 + 15 + 1 + 1)
    assert summary.ground.network.length_m == pytest.approx(walkable_length(epsg), abs=0.01)
    assert net.length_total_m == pytest.approx(walkable_length(epsg), abs=0.01)


def test_motorway_private_road_and_no_foot_cycleway_are_not_walked(town):
    store, net, _ = town
    walkable = {f.osm_id: f.walkable for f in load_ground(store)}
    for name in ("motorway", "private", "no_foot"):
        assert walkable[f"way/{WAYS[name]}"] is False, name
    assert walkable[f"way/{WAYS['bridge']}"] is True
    assert f"way/{WAYS['canal']}" in walkable  # drawn, never walked
    m = to_metric(store.metric_epsg)
    for col in (0, 2, 3):  # where those three cross the canal: no walking edge comes near
        crossing = Point(m(grid(col, CANAL_ROW)))
        assert min(e.distance(crossing) for e in net.edges) > 40, col
    assert min(e.distance(Point(m(grid(BRIDGE_COL, CANAL_ROW)))) for e in net.edges) < 1e-6


def test_the_walk_across_the_canal_goes_over_the_bridge(town):
    store, net, _ = town
    epsg = store.metric_epsg
    m = to_metric(epsg)
    expected = bridge_route(epsg)
    straight = dist(m(ORIGIN), m(LIBRARY))
    (walk,) = walking.walk_times(net, Point(m(ORIGIN)), [Point(m(LIBRARY))], 4.8)
    assert walk.walk_m == pytest.approx(expected, abs=0.05)
    assert walk.walk_m > 4 * straight  # about 1,020 m on foot for 211 m as the crow flies
    assert walk.walk_min == pytest.approx(expected / 80.0, abs=0.01)  # 4.8 km/h is 80 m a minute
    assert walk.snap_m < 0.01 and not walk.far_from_street

    # The same through walking_nearby, for the library as the asset it was imported as.
    site = queries.resolve_site(store, Point(ORIGIN))
    result = walking.walking_nearby(store, net, site, 15, 4.8)
    found = {a.name: w for a, w in result.assets}
    assert found["Canal Library"].walk_m == pytest.approx(expected, abs=0.05)
    library = next(a for a, _ in result.assets if a.name == "Canal Library")
    assert library.distance_m == pytest.approx(straight, abs=0.05)  # the straight line kept beside it
    # Ten minutes (800 m) reach it in a straight line but not on foot.
    ten = walking.walking_nearby(store, net, site, 10, 4.8)
    assert "Canal Library" not in {a.name for a, _ in ten.assets}
    assert "Canal Library" in {a.name for a, _ in ten.beyond}


def test_a_catchment_stops_at_the_canal(town):
    store, net, _ = town
    m = to_metric(store.metric_epsg)
    to_library_min = bridge_route(store.metric_epsg) / 80
    five, just_short, just_over = walking.catchments(net, Point(m(ORIGIN)),
                                                     [5, to_library_min - 0.5, to_library_min + 0.5], 4.8)
    across = Point(m(grid(0, 3)))  # 155 m away, across the water
    south = Point(m(grid(0, 0)))  # 178 m away, on this side
    assert five.area_m.contains(south) and not five.area_m.contains(across)
    assert not just_short.area_m.contains(Point(m(LIBRARY)))  # 40 m short, more than the 25 m margin
    assert just_over.area_m.contains(Point(m(LIBRARY)))
    assert five.area.contains(Point(grid(0, 0)))  # the WGS84 copy is the same place
    assert five.minutes == 5 and five.speed_kmh == 4.8


def test_a_catchment_that_reaches_everywhere_is_every_street_widened(town):
    """An hour's walk reaches every street: the catchment is then each walkable way, built
    here from its nodes, buffered by 25 m (shapely), to within the 5 m grid it is drawn on."""
    store, net, _ = town
    m = to_metric(store.metric_epsg)
    ways = [[grid(i, j) for i in range(5)] for j in range(5)]
    ways += [[grid(i, 0), grid(i, 1), grid(i, 2)] for i in range(5)] + [[grid(i, 3), grid(i, 4)] for i in range(5)]
    ways += [[grid(4, 2), grid(4, 3)], [grid(3, 0), CUL_DE_SAC_END]]
    streets = shapely.union_all([shapely.buffer(LineString([m(p) for p in way]), walking.CATCHMENT_BUFFER_M)
                                 for way in ways])
    (hour,) = walking.catchments(net, Point(m(ORIGIN)), [60], 4.8)
    assert hour.area_m.area == pytest.approx(streets.area, rel=0.02)
    assert hour.area_m.symmetric_difference(streets).area < 0.05 * streets.area
    assert hour.area_m.is_valid


def test_a_building_on_a_cul_de_sac_is_reached_from_its_street(town):
    store, net, _ = town
    epsg = store.metric_epsg
    m = to_metric(epsg)
    ((lon, lat),) = store.con.execute("SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE name = ?",
                                      ["Close Community Centre"]).fetchall()
    centre = m((lon, lat))
    foot, snap = foot_of_perpendicular(centre, m(grid(3, 0)), m(CUL_DE_SAC_END))
    _, to_row_0 = foot_of_perpendicular(centre, m(grid(2, 0)), m(grid(3, 0)))
    assert snap < 20 < to_row_0  # the cul-de-sac is its street, not the row behind it
    expected = route_m(epsg, [ON_ROW_0, grid(3, 0)]) + dist(m(grid(3, 0)), foot)
    (walk,) = walking.walk_times(net, Point(m(ON_ROW_0)), [Point(centre)], 4.8)
    assert walk.snap_m == pytest.approx(snap, abs=0.01)
    assert walk.walk_m == pytest.approx(expected, abs=0.05)
    assert not walk.far_from_street


def test_a_point_in_the_pond_is_flagged_far_from_any_street(town):
    store, net, _ = town
    m = to_metric(store.metric_epsg)
    (walk,) = walking.walk_times(net, Point(m(ORIGIN)), [Point(m(POND))], 4.8)
    nearest_street = dist(m(POND), m(grid(4, 2)))  # the east end of row 2, 510 m west
    assert walk.snap_m == pytest.approx(nearest_street, abs=0.5)
    assert walk.snap_m > walking.FAR_FROM_STREET_M and walk.far_from_street
    assert walk.walk_m is not None  # a time is still given, from that street, and flagged


def test_walks_beyond_the_time_asked_are_not_given(town):
    store, net, _ = town
    m = to_metric(store.metric_epsg)
    (walk,) = walking.walk_times(net, Point(m(ORIGIN)), [Point(m(LIBRARY))], 4.8, max_minutes=10)
    assert walk.walk_m is None and walk.walk_min is None
    assert walk.snap_m < 0.01


def test_a_polygon_site_walks_from_its_edge(town):
    """A site drawn as an area across a street starts there: a walk from a square on the
    west street south of the canal is the bridge route less the stretch inside the square."""
    store, net, _ = town
    epsg = store.metric_epsg
    m = to_metric(epsg)
    x, y = m(ORIGIN)
    square = shapely.box(x - 10, y - 10, x + 10, y + 10)
    (walk,) = walking.walk_times(net, square, [Point(m(LIBRARY))], 4.8)
    top_edge = (y + 10)
    # The square's top edge crosses the street 10 m north of the origin (the street runs due
    # north in this CRS to well under a millimetre here).
    assert walk.walk_m == pytest.approx(bridge_route(epsg) - (top_edge - y), abs=0.05)


def test_rebuilding_from_the_store_gives_the_same_network(town):
    store, net, summary = town
    again = walking.build_network(store)
    assert again == summary.ground.network
    assert walking.load_network(store).length_total_m == pytest.approx(net.length_total_m)
