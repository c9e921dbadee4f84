"""A small town written by the tests, for walking: a grid of streets cut by a canal that
one bridge crosses, a community hall south of the canal, and three assets placed so that
the straight line and the walk disagree.

Drawn in British National Grid metres (x east, y north from the town's south-west
corner) and stored, as every import stores it, in WGS84 longitude/latitude::

    y=400  +----+----+----+----+----+----+      streets every 100 m, north of the canal
    y=300  +----+-A--+----+----+----+----+      A: "Boat club" (across the canal)
    y=200  ~~~~~~~~~~~~~~~~~~~~~~~~~~~~|~~~~     the canal; the bridge at x=500
    y=100  +----+-^--+-------B-+----+----+      ^: the hall's door, B: "Corner shop"
    y=0    +----+----+----+----+----+----+
           x=0 100  200  300  400  500  600     C: "Canal buoy", on the water at (300, 190)

The hall is a small diamond south of the street at y=100, its north corner 8 m from it,
so it joins the network at (150, 100). ROUTES gives each asset's walk from there, vertex
by vertex, for the tests to measure on their own (pyproj's geodesic lengths).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, Polygon

from atlas import writes
from atlas.ground import walking
from atlas.ground.layers import GroundFeature, save_ground
from atlas.store import Store

BNG = 27700
ORIGIN = (404_000.0, 286_000.0)
"""The town's south-west corner in British National Grid (Birmingham, near Edgbaston)."""

HALL = "Canal-side hall"
ACROSS = "Boat club"
SAME_SIDE = "Corner shop"
ON_WATER = "Canal buoy"

ASSET_POINTS = {ACROSS: (150.0, 310.0), SAME_SIDE: (450.0, 110.0), ON_WATER: (300.0, 190.0)}
"""Where each asset stands, in the town's metres."""

HALL_SHAPE = [(150.0, 92.0), (160.0, 80.0), (150.0, 68.0), (140.0, 80.0)]

DOOR = (150.0, 100.0)
"""Where the hall meets the street at y=100: the nearest point of any street to it."""

ROUTES = {
    ACROSS: [DOOR, (500.0, 100.0), (500.0, 300.0), (150.0, 300.0)],  # east, over the bridge, back west
    SAME_SIDE: [DOOR, (450.0, 100.0)],
    ON_WATER: [DOOR, (300.0, 100.0)],  # from the street nearest the buoy, 90 m away on the water
}
"""Each asset's walk from the hall's door to where it meets a street, in the town's metres."""

SNAP_M = {ACROSS: 10.0, SAME_SIDE: 10.0, ON_WATER: 90.0}
"""How far each asset stands from the street it is reached from."""

_TO_LONLAT = Transformer.from_crs(BNG, 4326, always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """A point of the town (its metres) as (longitude, latitude)."""
    lon, lat = _TO_LONLAT.transform(ORIGIN[0] + x, ORIGIN[1] + y)
    return float(lon), float(lat)


def _line(points: list[tuple[float, float]]) -> LineString:
    return LineString([lonlat(x, y) for x, y in points])


def _streets() -> list[GroundFeature]:
    """The grid, each street a way with a vertex at every junction (as OpenStreetMap ways
    that meet share a node), and the bridge."""
    xs = [float(x) for x in range(0, 601, 100)]
    out = []
    for y, name in ((0.0, "South Road"), (100.0, "Hall Street"), (300.0, "Wharf Street"), (400.0, "North Road")):
        out.append(GroundFeature("road", "residential", name, True, _line([(x, y) for x in xs])))
    for x in xs:
        for y0, y1 in ((0.0, 100.0), (300.0, 400.0)):
            out.append(GroundFeature("road", "residential", None, True, _line([(x, y0), (x, y1)])))
    out.append(GroundFeature("path", "footway", "Lock Bridge", True, _line([(500.0, 100.0), (500.0, 300.0)])))
    return out


def ground() -> list[GroundFeature]:
    """Streets, the bridge, and the canal (not walkable), from OpenStreetMap's point of view."""
    canal = GroundFeature("waterway", "canal", "Town Canal", False, _line([(-50.0, 200.0), (650.0, 200.0)]))
    return [*_streets(), canal]


@dataclass(frozen=True)
class Town:
    hall_id: int
    asset_ids: dict[str, int]


def build(store: Store) -> Town:
    """Write the town into ``store`` (empty): the hall, the assets, the ground, and the
    walking network built from it."""
    store.set_metric_crs(BNG)
    hall = Polygon([lonlat(x, y) for x, y in HALL_SHAPE])
    writes.upsert_features(store, gpd.GeoDataFrame(
        {"source_id": ["hall"], "name": [HALL], "kind": ["building"], "status": ["in_use"]},
        geometry=[hall], crs=4326), source="test")
    names = list(ASSET_POINTS)
    writes.upsert_assets(store, gpd.GeoDataFrame(
        {"source_id": names, "name": names, "sector": ["community"] * len(names)},
        geometry=[Point(lonlat(*ASSET_POINTS[n])) for n in names], crs=4326), source="test")
    save_ground(store, ground(), source="canal town (test)", licence=None, approximate=False)
    walking.build_network(store)
    hall_id = store.con.execute("SELECT id FROM features WHERE name = ?", [HALL]).fetchone()[0]
    ids = {name: i for i, name in store.con.execute("SELECT id, name FROM assets").fetchall()}
    return Town(hall_id=int(hall_id), asset_ids=ids)


def straight_line_m(name: str) -> float:
    """An asset's straight-line distance from the hall's edge, in the town's (BNG) metres."""
    return float(shapely.distance(Polygon(HALL_SHAPE), Point(ASSET_POINTS[name])))


def walk_m(name: str) -> float:
    """The independent measure of an asset's walk: its route's vertices in longitude and
    latitude, summed as geodesic lengths on the WGS84 ellipsoid (pyproj), with no use of
    the store, its metric CRS or the network."""
    lons, lats = zip(*(lonlat(x, y) for x, y in ROUTES[name]), strict=True)
    return float(Geod(ellps="WGS84").line_length(lons, lats))
