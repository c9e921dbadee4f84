"""How fast is the ground under the atlas? The walking network and the base map built from an
OpenStreetMap extract, and a ten-minute walking catchment with the walk to every asset in
it against the same computation done directly with networkx, in the same run (issue 14).

    python benchmarks/walking.py [--sizes 20k,80k,300k] [--origins 30] [--quick]

**The extracts.** For each size (buildings) a city generated as the import benchmark's
(``make_city_pbf`` in ``benchmarks/import.py``: terraces of houses, shops and amenities as
nodes, schools, land use, parks with ponds) but with a street grid a person can walk, put
in place of that city's streets, which are a short stub per terrace meeting nothing: named
residential streets along the terraces and named cross streets between them, meeting at
shared nodes as OpenStreetMap's do, with a node mid-block; a back footway behind every
other row; a canal (a line and its water) crossed by one cross street in eight, on a
bridge, and a railway crossed by one in twelve; a motorway above the streets and private
service roads, which are not walkable. 300,000 buildings make a city about 7 km across
with 50,000 assets and a walking network of 23,000 junctions, 45,500 edges and 2,950 km.
Then the Monaco extract (``../shared/data/osm-monaco/monaco.osm.gz``), real data from 2012.

**Timed, each step in a child process of its own** (so its peak resident memory, Linux's
``VmHWM``, is its own; "start MB" is the child's memory once Python and the atlas are
imported, before any work):

* **import**: ``atlas.importers.import_file`` of the extract into a fresh DuckDB store:
  features and assets (the catchments' targets) and, as ``atlas import`` does since issue
  14, the ground, walking network and base map too (its seconds are shown as they are);
* **network**: ``read_osm_ground`` + ``save_ground`` + ``build_network``
  (:mod:`atlas.ground.layers`, :mod:`atlas.ground.walking`), each step timed;
* **base map**: ``atlas.ground.tiles.build_basemap``: seconds, tiles and archive size.

**The catchments.** From ``--origins`` assets drawn at random (the same ones for both
methods), a ten-minute walk at 4.8 km/h (800 m):

* **ours**: ``load_network`` once (timed apart), then for each origin
  ``walking_nearby(store, net, site, 10, 4.8)``: the catchment polygon, and the walk to
  every asset near enough to be reached (read from the store by ``atlas.queries.nearby``),
  those reached within ten minutes listed apart from those within 800 m in a straight
  line but not on foot;
* **networkx**: the same computation written directly with networkx and shapely, without
  our search cutoff or our index for the origin: an ``nx.Graph`` built from the
  ``walk_edges`` rows (timed apart, as ``load_network`` is); for each origin, its nearest
  edge by brute force (the distance to every edge), a temporary node on that edge, one
  ``nx.single_source_dijkstra_path_length`` over the whole graph (no cutoff), the assets
  near enough by brute force (every asset's straight-line distance; the same widening
  by the snaps as ``walking_nearby``), each one's nearest edge by shapely's STRtree (the
  brute-force distance from each of a thousand assets to every edge would take seconds
  per origin and measure numpy, not routing) and its walk the shorter way along that
  edge; and the catchment polygon as the module defines it: the reached stretches of the
  edges, each buffered by ``CATCHMENT_BUFFER_M``, joined (``union_all``, as osmnx's
  isochrone examples do).

Both snap a place to the nearest point on the nearest walkable edge and do not count the
snap in the walk (see :mod:`atlas.ground.walking`); the baseline places each asset at its
stored metric point (``assets.geom_m``). Each origin is run by both methods, taking turns
(a burst of other work on a shared machine slows both), after two untimed warm-up
origins. Every asset's walk is compared: if one is listed by one method and not the other
or their walks differ by more than 1 m (an asset within 1 m of the ten-minute line may
fall either side), the run ends, after the tables, with CHECK FAILED, the walks that
differ, and exit status 1. Catchment areas are
compared too (the largest relative difference is printed; the baseline's buffers have
GEOS's default roundness).

"assets listed" is what ``walking_nearby`` lists per origin (on average): those within
the walk and those within 800 m in a straight line but not on foot; "within 10 min" the
first of them. Ratios are baseline / ours: above 1 means ours is quicker. Target (issue 14): a catchment,
with the walk to every asset in it, in under 0.5 s p95 for the city-sized network.
Progress goes to stderr, the tables (Markdown) to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import math
import multiprocessing as mp
import queue as queue_module
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and ``atlas`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Latency, fmt_ms, machine_load, parse_sizes, table, time_interleaved  # noqa: E402

MONACO = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm-monaco" / "monaco.osm.gz"
DEFAULT_SIZES = "20k,80k,300k"
QUICK_SIZES = "3k"
DEFAULT_ORIGINS = 30
QUICK_ORIGINS = 8
WARMUP_ORIGINS = 2
MINUTES = 10.0
SPEED_KMH = 4.8  # atlas.settings.DEFAULT_WALKING_SPEED_KMH
TOLERANCE_M = 1.0
TARGET_P95_S = 0.5  # issue 14: a catchment for a city-sized network
CITY_BUILDINGS = 300_000  # the "city-sized network" of the target

# -- the generated city ---------------------------------------------------------------------
# make_city_pbf lays out terraces of PER_TERRACE houses, HOUSE_W_M wide, in columns
# TERRACE_PITCH_M apart and rows STREET_GAP_M apart, each with its own two-node street in
# front that meets no other. Change these numbers with make_city_pbf's layout.
PER_TERRACE, HOUSE_W_M, TERRACE_PITCH_M, STREET_GAP_M = 20, 5.0, 110.0, 30.0
STREET_OFFSET_M = -6.0  # a terrace's street, in front of its houses (make_city_pbf's ``oy - 6``)
ALLEY_OFFSET_M = 16.0  # a back footway between the gardens of two rows of terraces
BRIDGE_EVERY, RAIL_CROSSING_EVERY = 8, 12  # one cross street in 8 crosses the canal, one in 12 the railway
WAY_BLOCKS = 10  # blocks per OpenStreetMap way: a real street is several ways
JITTER_M = 0.3  # surveyed nodes are never on a perfect grid (see make_city_pbf)


def _import_benchmark() -> ModuleType:
    """``benchmarks/import.py`` (its name is a Python keyword, so not ``from ... import``)."""
    return importlib.import_module("benchmarks.import")


def _grid_shape(buildings: int) -> tuple[int, int]:
    """(columns, rows) of terraces in make_city_pbf's city of ``buildings`` houses."""
    terraces = max(1, buildings // PER_TERRACE)
    cols = max(1, int(math.sqrt(terraces * STREET_GAP_M / (PER_TERRACE * HOUSE_W_M + 10))))
    return cols, -(-terraces // cols)


class _Ways:
    """New nodes and ways for an extract, numbered after its own."""

    def __init__(self, first_node: int, first_way: int, rng: np.random.Generator) -> None:
        from osmium.osm.mutable import Node, Way

        self._node_cls, self._way_cls = Node, Way
        bench = _import_benchmark()
        self._lon0, self._lat0 = bench.CENTRE_LON, bench.CENTRE_LAT
        self._m_per_deg_lat = 111_320.0
        self._m_per_deg_lon = self._m_per_deg_lat * math.cos(math.radians(self._lat0))
        self._rng = rng
        self.nodes: list[Any] = []
        self.ways: list[Any] = []
        self._node_id, self._way_id = first_node, first_way

    def node(self, x_m: float, y_m: float) -> int:
        """A node ``x_m`` east and ``y_m`` north of make_city_pbf's origin; its id."""
        self._node_id += 1
        x_m += self._rng.normal(0, JITTER_M)
        y_m += self._rng.normal(0, JITTER_M)
        location = (self._lon0 + x_m / self._m_per_deg_lon, self._lat0 + y_m / self._m_per_deg_lat)
        self.nodes.append(self._node_cls(id=self._node_id, location=location))
        return self._node_id

    def way(self, refs: list[int], tags: dict[str, str]) -> None:
        self._way_id += 1
        self.ways.append(self._way_cls(id=self._way_id, nodes=refs, tags=tags))

    def street(self, refs: list[int], per_way: int, tags: dict[str, str]) -> None:
        """One street as ways of ``per_way`` segments each, sharing their end nodes."""
        for start in range(0, len(refs) - 1, per_way):
            self.way(refs[start:start + per_way + 1], tags)


def make_walkable_city_pbf(path: Path, buildings: int, seed: int = 2) -> dict[str, int]:
    """make_city_pbf's city of ``buildings`` houses, its streets replaced by a grid to walk
    (see the module's notes); the counts of the street grid's nodes and ways and of the
    whole file's objects."""
    import osmium

    plain = path.with_name(path.name.replace(".osm.pbf", "") + ".plain.osm.pbf")
    counts = _import_benchmark().make_city_pbf(plain, buildings, seed)
    cols, rows = _grid_shape(buildings)
    new = _Ways(counts["nodes"], counts["ways"], np.random.default_rng(seed + 1))
    canal_row, rail_row = rows // 3, max(rows // 3 + 1, (2 * rows) // 3)
    cross_x = [c * TERRACE_PITCH_M - 5 for c in range(cols + 1)]  # in the 10 m gaps between terraces
    street_y = [r * STREET_GAP_M + STREET_OFFSET_M for r in range(rows + 1)]
    on_street: dict[tuple[int, int], int] = {}
    on_alley: dict[tuple[int, int], int] = {}
    for r, y in enumerate(street_y):
        refs: list[int] = []
        for c, x in enumerate(cross_x):
            if c:
                refs.append(new.node(x - TERRACE_PITCH_M / 2, y))
            on_street[r, c] = new.node(x, y)
            refs.append(on_street[r, c])
        new.street(refs, 2 * WAY_BLOCKS, {"highway": "residential",
                                          "name": f"Straße {r}" if r % 2 else f"Rue de l'Été {r}"})
    for r in range(0, rows, 2):
        if r in (canal_row, rail_row):
            continue  # the canal or the railway runs behind these gardens instead
        y = r * STREET_GAP_M + ALLEY_OFFSET_M
        refs = []
        for c, x in enumerate(cross_x):
            on_alley[r, c] = new.node(x, y)
            refs.append(on_alley[r, c])
        new.street(refs, WAY_BLOCKS, {"highway": "footway"})
    for c in range(cols + 1):
        tags = {"highway": "residential", "name": f"Ulica Łąkowa {c}"}
        piece: list[int] = []
        for r in range(rows):
            piece.append(on_street[r, c])
            if r in (canal_row, rail_row):
                if len(piece) > 1:
                    new.way(piece, tags)
                every = BRIDGE_EVERY if r == canal_row else RAIL_CROSSING_EVERY
                if c % every == 0:
                    crossing = tags if r == canal_row else {"highway": "footway", "name": f"Passerelle {c}"}
                    new.way([on_street[r, c], on_street[r + 1, c]], crossing | {"bridge": "yes", "layer": "1"})
                piece = []
                continue
            if (r, c) in on_alley:
                piece.append(on_alley[r, c])
            if len(piece) > 2 * WAY_BLOCKS:
                new.way(piece, tags)
                piece = [piece[-1]]
        piece.append(on_street[rows, c])
        if len(piece) > 1:
            new.way(piece, tags)
    width_m = cross_x[-1] + 5
    along = np.linspace(-5, width_m, cols + 2)
    for r, tags in ((canal_row, {"waterway": "canal", "name": "Canal de l'Atlas"}),
                    (rail_row, {"railway": "rail", "name": "Main Line", "usage": "main"})):
        y = r * STREET_GAP_M + ALLEY_OFFSET_M
        new.way([new.node(x, y) for x in along], tags)
    y = canal_row * STREET_GAP_M + ALLEY_OFFSET_M
    basin = [new.node(-5, y - 4), new.node(width_m, y - 4), new.node(width_m, y + 4), new.node(-5, y + 4)]
    new.way([*basin, basin[0]], {"natural": "water", "water": "canal", "name": "Canal de l'Atlas"})
    # The motorway rides above the streets (its own nodes, no junction in the city).
    y = (rows // 2) * STREET_GAP_M + ALLEY_OFFSET_M + 3
    new.way([new.node(x, y) for x in np.linspace(-300, width_m + 300, max(2, cols // 2))],
            {"highway": "motorway", "ref": "M6", "name": "Autoroute du Nord", "bridge": "yes", "layer": "1"})
    for c in range(1, cols, 20):
        for r in range(1, rows, 20):
            new.way([on_street[r, c], new.node(cross_x[c] + 3, street_y[r] + 14)],
                    {"highway": "service", "access": "private"})

    # Copy the city without its stub streets, adding the grid after its own nodes and ways
    # (files stay sorted: nodes, then ways, then relations, each by id).
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    written = {"nodes": 0, "ways": 0, "relations": 0}
    pending = ["nodes", "ways"]

    def flush(upto: str) -> None:
        while pending and pending[0] != upto:
            kind = pending.pop(0)
            for obj in getattr(new, kind):
                (writer.add_node if kind == "nodes" else writer.add_way)(obj)
            written[kind] += len(getattr(new, kind))

    try:
        for obj in osmium.FileProcessor(str(plain)):
            if isinstance(obj, osmium.osm.Node):
                writer.add_node(obj)
                written["nodes"] += 1
            elif isinstance(obj, osmium.osm.Way):
                flush("ways")
                if "highway" in obj.tags:
                    continue
                writer.add_way(obj)
                written["ways"] += 1
            elif isinstance(obj, osmium.osm.Relation):
                flush("relations")
                writer.add_relation(obj)
                written["relations"] += 1
        flush("end")
    finally:
        writer.close()
    plain.unlink()
    return {"grid_nodes": len(new.nodes), "grid_ways": len(new.ways), "buildings": counts["buildings"], **written}


# -- the child processes ----------------------------------------------------------------------

def _rss_mb(field_name: str) -> float:
    """This process's resident memory now (``VmRSS``) or at its peak (``VmHWM``), in MB.
    Not ``ru_maxrss``: it survives the exec of a spawned child, so it would report the
    parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def _child_import(extract: str, db: str) -> dict[str, Any]:
    from atlas.importers import import_file
    from atlas.store import open_store

    start_mb = _rss_mb("VmRSS")
    with open_store(db) as store:
        start = time.perf_counter()
        summary = import_file(store, extract, source="bench")
        seconds = time.perf_counter() - start
        assets = store.con.execute("SELECT count(*) FROM assets").fetchone()[0]
    return {"seconds": seconds, "rows": summary.imported + summary.updated, "assets": int(assets),
            "start_mb": start_mb, "peak_mb": _rss_mb("VmHWM")}


def _child_network(extract: str, db: str) -> dict[str, Any]:
    from atlas.ground.layers import read_osm_ground, save_ground
    from atlas.ground.walking import build_network
    from atlas.store import open_store

    start_mb = _rss_mb("VmRSS")
    with open_store(db) as store:
        t0 = time.perf_counter()
        ground = read_osm_ground(Path(extract))
        t1 = time.perf_counter()
        saved = save_ground(store, ground, source=Path(extract).name, licence="ODbL 1.0", approximate=False)
        t2 = time.perf_counter()
        summary = build_network(store)
        t3 = time.perf_counter()
    return {"read_s": t1 - t0, "save_s": t2 - t1, "network_s": t3 - t2, "ground": saved,
            "nodes": summary.nodes, "edges": summary.edges, "length_km": summary.length_m / 1000,
            "start_mb": start_mb, "peak_mb": _rss_mb("VmHWM")}


def _child_basemap(db: str) -> dict[str, Any]:
    from atlas.ground.tiles import build_basemap
    from atlas.store import open_store

    start_mb = _rss_mb("VmRSS")
    with open_store(db) as store:
        start = time.perf_counter()
        summary = build_basemap(store)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "tiles": summary.tiles, "bytes": summary.bytes, "min_zoom": summary.min_zoom,
            "max_zoom": summary.max_zoom, "start_mb": start_mb, "peak_mb": _rss_mb("VmHWM")}


def _child_main(target: Callable[..., dict[str, Any]], args: tuple[Any, ...], out: mp.Queue) -> None:
    try:
        out.put({"ok": target(*args)})
    except BaseException:  # noqa: BLE001 - the parent reports it and stops
        out.put({"error": traceback.format_exc()})


def _in_child(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``target(*args)`` in a fresh (spawned) process; its result, or SystemExit with its traceback."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child_main, args=(target, args, out))
    proc.start()
    try:
        while True:
            try:
                answer = out.get(timeout=2)
                break
            except queue_module.Empty:
                if not proc.is_alive():
                    raise SystemExit(f"{target.__name__} died (exit code {proc.exitcode}).") from None
    finally:
        proc.join()
    if "error" in answer:
        raise SystemExit(f"{target.__name__}{args} failed:\n{answer['error']}")
    result: dict[str, Any] = answer["ok"]
    return result


# -- the networkx baseline --------------------------------------------------------------------

class NetworkxBaseline:
    """The catchment and the walks to assets, written directly with networkx and shapely
    from the ``walk_edges`` rows (see the module's notes): whole-graph Dijkstra, brute-force
    origin snapping and candidate selection."""

    def __init__(self, store: Any) -> None:
        import networkx as nx

        rows = store.rows("SELECT id, u, v, length_m, ST_AsWKB(geom_m) AS geom_m FROM walk_edges ORDER BY id",
                          wkb=("geom_m",))
        self.u = np.array([r["u"] for r in rows], dtype=np.int64)
        self.v = np.array([r["v"] for r in rows], dtype=np.int64)
        self.length_m = np.array([r["length_m"] for r in rows], dtype=float)
        self.geoms = np.array([r["geom_m"] for r in rows], dtype=object)
        self.geom_length_m = shapely.length(self.geoms)
        self.graph: nx.Graph[Any] = nx.Graph()
        for i in range(len(rows)):
            a, b, w = int(self.u[i]), int(self.v[i]), float(self.length_m[i])
            if a != b and not (self.graph.has_edge(a, b) and self.graph[a][b]["length_m"] <= w):
                self.graph.add_edge(a, b, length_m=w)
        self.tree = shapely.STRtree(self.geoms)
        assets = store.rows("SELECT id, ST_X(geom_m) AS x, ST_Y(geom_m) AS y FROM assets ORDER BY id")
        self.asset_ids = np.array([r["id"] for r in assets], dtype=np.int64)
        self.asset_xy = np.array([(r["x"], r["y"]) for r in assets], dtype=float).reshape(-1, 2)

    def _along(self, edge: int, point: BaseGeometry) -> float:
        """Metres along ``edge`` from its ``u`` end to where ``point`` snaps to it."""
        fraction = shapely.line_locate_point(self.geoms[edge], point) / max(self.geom_length_m[edge], 1e-12)
        return float(fraction * self.length_m[edge])

    def walk(self, site_id: int, origin: BaseGeometry, minutes: float, speed_kmh: float
             ) -> tuple[dict[int, float | None], float]:
        """The assets :func:`~atlas.ground.walking.walking_nearby` lists (those within the walk,
        and those within the straight line ``minutes`` covers but not the walk) with their walk
        in metres (None when unreachable), and the catchment's area in m2."""
        import networkx as nx

        from atlas.ground.walking import FAR_FROM_STREET_M

        limit_m = minutes * speed_kmh * 1000 / 60
        to_edges = shapely.distance(self.geoms, origin)  # brute force: every edge
        edge = int(np.argmin(to_edges))
        origin_snap_m = float(to_edges[edge])
        at = self._along(edge, origin)
        a, b, length = int(self.u[edge]), int(self.v[edge]), float(self.length_m[edge])
        start = "origin"
        self.graph.add_edge(start, a, length_m=at)
        to_b = length - at
        if not (self.graph.has_edge(start, b) and self.graph[start][b]["length_m"] <= to_b):
            self.graph.add_edge(start, b, length_m=to_b)
        try:
            dist = nx.single_source_dijkstra_path_length(self.graph, start, weight="length_m")
        finally:
            self.graph.remove_node(start)

        # The candidates walking_nearby reads: within the straight line, widened by the
        # origin's snap and FAR_FROM_STREET_M (a walk does not count the snaps).
        ox, oy = shapely.get_coordinates(origin)[0]
        straight = np.hypot(self.asset_xy[:, 0] - ox, self.asset_xy[:, 1] - oy)  # brute force: every asset
        near = np.flatnonzero((straight <= limit_m + origin_snap_m + FAR_FROM_STREET_M) & (self.asset_ids != site_id))
        walks: dict[int, float | None] = {}
        if len(near):
            points = np.asarray(shapely.points(self.asset_xy[near]), dtype=object)
            _, target_edges = self.tree.query_nearest(points, all_matches=False)
            for k, point, e in zip(near, points, target_edges, strict=True):
                e = int(e)
                t_at = self._along(e, point)
                best = min(dist.get(int(self.u[e]), math.inf) + t_at,
                           dist.get(int(self.v[e]), math.inf) + self.length_m[e] - t_at)
                if e == edge:
                    best = min(best, abs(t_at - at))
                if best <= limit_m or straight[k] <= limit_m:
                    walks[int(self.asset_ids[k])] = None if math.isinf(best) else float(best)
        return walks, self._catchment_area(dist, edge, at, limit_m)

    def _catchment_area(self, dist: dict[Any, float], origin_edge: int, at: float, limit_m: float) -> float:
        """The reached stretches of the edges, buffered by CATCHMENT_BUFFER_M; its area in m2.

        On each edge the stretches walked in from either end (and, on the origin's own edge,
        both ways from the origin) are merged first."""
        from atlas.ground.walking import CATCHMENT_BUFFER_M

        left_u = limit_m - np.array([dist.get(int(n), math.inf) for n in self.u])  # metres left at each end
        left_v = limit_m - np.array([dist.get(int(n), math.inf) for n in self.v])
        length = self.length_m
        parts = []
        for i in np.flatnonzero((left_u > 0) | (left_v > 0) | (np.arange(len(length)) == origin_edge)):
            spans = []
            if left_u[i] > 0:
                spans.append((0.0, min(length[i], left_u[i])))
            if left_v[i] > 0:
                spans.append((max(0.0, length[i] - left_v[i]), length[i]))
            if i == origin_edge:
                spans.append((max(0.0, at - limit_m), min(length[i], at + limit_m)))
            spans.sort()
            merged = [list(spans[0])]
            for start, end in spans[1:]:
                if start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            scale = self.geom_length_m[i] / max(length[i], 1e-12)
            for start, end in merged:
                if end > start:
                    parts.append(self.geoms[i] if (start, end) == (0.0, length[i]) else
                                 _substring(self.geoms[i], start * scale, end * scale))
        if not parts:
            return 0.0
        # Each stretch buffered, then joined: the textbook isochrone (osmnx's examples do it
        # so); one buffer of a multi-line of the same stretches is several times slower.
        return float(shapely.union_all(shapely.buffer(np.array(parts, dtype=object), CATCHMENT_BUFFER_M)).area)


def _substring(line: Any, start_m: float, end_m: float) -> Any:
    """The part of ``line`` from ``start_m`` to ``end_m`` along it (clipped to the line)."""
    from shapely.ops import substring

    length = line.length
    return substring(line, max(0.0, start_m), min(length, end_m))


# -- the catchments ---------------------------------------------------------------------------

@dataclass
class WalkResult:
    """The catchment timings and the comparison of one extract."""

    load_s: float  # load_network
    baseline_load_s: float  # the networkx graph, edges and asset table from the store
    ours: Latency
    baseline: Latency
    origins: int
    assets_reached: list[int]  # per origin, assets within the walk (ours)
    candidates: list[int]  # per origin, assets within the straight line (ours)
    compared: int  # asset walks compared, over all origins
    max_diff_m: float
    max_area_diff: float  # largest relative difference of catchment areas
    problems: list[str] = field(default_factory=list)


def _ours_walks(found: Any) -> dict[int, float | None]:
    return {w.asset.id: w.walk.walk_m for w in [*found.assets, *found.beyond]}


def compare(ours: dict[int, float | None], theirs: dict[int, float | None], limit_m: float
            ) -> tuple[int, float, list[str]]:
    """(walks compared, largest difference in m, what disagrees) between two answers for
    one origin. A walk over the limit may be None in ours (the search stopped there)."""
    problems = []
    diff = 0.0
    for asset_id in sorted(ours.keys() | theirs.keys()):
        if asset_id not in ours or asset_id not in theirs:
            walk = ours.get(asset_id, theirs.get(asset_id))
            if walk is None or abs(walk - limit_m) > TOLERANCE_M:  # else on the line: either side
                problems.append(f"asset {asset_id}: only {'ours' if asset_id in ours else 'networkx'} lists it "
                                f"(walk {walk} m)")
            continue
        a, b = ours[asset_id], theirs[asset_id]
        if a is None or b is None:
            other = b if a is None else a
            if other is not None and other <= limit_m - TOLERANCE_M:
                problems.append(f"asset {asset_id}: walk {a} (ours) against {b} (networkx)")
            continue
        diff = max(diff, abs(a - b))
        if abs(a - b) > TOLERANCE_M:
            problems.append(f"asset {asset_id}: walk {a:.2f} m (ours) against {b:.2f} m (networkx)")
    return len(ours.keys() | theirs.keys()), diff, problems


def measure_walks(db: str, origins: int, seed: int) -> WalkResult:
    """Time ``walking_nearby`` against the networkx baseline from ``origins`` random assets."""
    from atlas.ground.walking import load_network, walking_nearby
    from atlas.queries import resolve_site
    from atlas.site_refs import SiteRef
    from atlas.store import open_store

    limit_m = MINUTES * SPEED_KMH * 1000 / 60
    with open_store(db) as store:
        t = time.perf_counter()
        net = load_network(store)
        load_s = time.perf_counter() - t
        if net is None:
            raise SystemExit(f"{db}: the store has no walking network.")
        t = time.perf_counter()
        baseline = NetworkxBaseline(store)
        baseline_load_s = time.perf_counter() - t
        rng = np.random.default_rng(seed)
        picked = rng.choice(baseline.asset_ids, size=min(len(baseline.asset_ids), origins + WARMUP_ORIGINS),
                            replace=False)
        sites = [resolve_site(store, SiteRef("asset", int(i))) for i in picked]
        answers: dict[str, dict[int, Any]] = {"ours": {}, "networkx": {}}

        def ours(i: object) -> None:
            assert isinstance(i, int)
            answers["ours"][i] = walking_nearby(store, net, sites[i], MINUTES, SPEED_KMH)

        def theirs(i: object) -> None:
            assert isinstance(i, int)
            answers["networkx"][i] = baseline.walk(int(sites[i].id or -1), sites[i].geom_m, MINUTES, SPEED_KMH)

        timed = list(range(WARMUP_ORIGINS, len(sites)))
        latency = time_interleaved({"ours": ours, "networkx": theirs}, timed,
                                   warmup=list(range(min(WARMUP_ORIGINS, len(sites)))))
    compared, max_diff, max_area, problems = 0, 0.0, 0.0, []
    reached, candidates = [], []
    for i in timed:
        found = answers["ours"][i]
        theirs_walks, theirs_area = answers["networkx"][i]
        n, diff, wrong = compare(_ours_walks(found), theirs_walks, limit_m)
        compared += n
        max_diff = max(max_diff, diff)
        problems += [f"origin asset {sites[i].id}: {w}" for w in wrong]
        ours_area = float(found.catchment.area_m.area)
        if max(ours_area, theirs_area) > 0:
            max_area = max(max_area, abs(ours_area - theirs_area) / max(ours_area, theirs_area))
        reached.append(len(found.assets))
        candidates.append(len(found.assets) + len(found.beyond))
    return WalkResult(load_s=load_s, baseline_load_s=baseline_load_s, ours=latency["ours"],
                      baseline=latency["networkx"], origins=len(timed), assets_reached=reached,
                      candidates=candidates, compared=compared, max_diff_m=max_diff, max_area_diff=max_area,
                      problems=problems)


# -- the run ----------------------------------------------------------------------------------

@dataclass
class ExtractResult:
    name: str
    size_mb: float
    imported: dict[str, Any]
    network: dict[str, Any]
    basemap: dict[str, Any]
    walks: WalkResult

    @property
    def city_sized(self) -> bool:
        return self.name.startswith("city_") and int(self.name.split("_")[1]) >= CITY_BUILDINGS


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure_extract(extract: Path, name: str, work: Path, origins: int, seed: int) -> ExtractResult:
    """Import ``extract`` into a fresh store, build its network and base map, time the catchments."""
    db = work / f"{name}.duckdb"
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    try:
        _log(f"{name}: import")
        imported = _in_child(_child_import, str(extract), str(db))
        _log(f"{name}: ground and walking network")
        network = _in_child(_child_network, str(extract), str(db))
        _log(f"{name}: base map")
        basemap = _in_child(_child_basemap, str(db))
        _log(f"{name}: catchments from {origins} origins")
        walks = measure_walks(str(db), origins, seed)
    finally:
        for stale in (db, Path(f"{db}.wal")):
            stale.unlink(missing_ok=True)
    return ExtractResult(name=name, size_mb=extract.stat().st_size / 1e6, imported=imported, network=network,
                         basemap=basemap, walks=walks)


def _ratio(theirs_s: float, ours_s: float) -> str:
    return "n/a" if ours_s <= 0 else f"{theirs_s / ours_s:.1f}x"


def build_table(results: list[ExtractResult]) -> str:
    rows = []
    for r in results:
        n, b = r.network, r.basemap
        rows.append([r.name, f"{r.size_mb:.1f}", f"{r.imported['seconds']:.1f}", f"{r.imported['assets']:,}",
                     f"{n['ground']:,}",
                     f"{n['nodes']:,}", f"{n['edges']:,}", f"{n['length_km']:,.0f}", f"{n['read_s']:.2f}",
                     f"{n['save_s']:.2f}", f"{n['network_s']:.2f}",
                     f"{n['read_s'] + n['save_s'] + n['network_s']:.2f}", f"{n['start_mb']:,.0f}",
                     f"{n['peak_mb']:,.0f}", f"{b['seconds']:.1f}", f"{b['tiles']:,}",
                     f"{b['bytes'] / 1e6:.1f}", f"z{b['min_zoom']}-{b['max_zoom']}", f"{b['peak_mb']:,.0f}"])
    return table(["extract", "MB", "import s", "assets", "ground", "nodes", "edges", "km", "read s", "save s",
                  "network s", "total s", "start MB", "peak MB", "basemap s", "tiles", "archive MB", "zooms",
                  "basemap peak MB"], rows)


def walk_table(results: list[ExtractResult]) -> str:
    rows = []
    for r in results:
        w = r.walks
        rows.append([r.name, w.origins, f"{np.mean(w.candidates):,.0f}", f"{np.mean(w.assets_reached):,.0f}",
                     f"{w.load_s:.2f}", f"{w.baseline_load_s:.2f}", w.ours.p50_p95(), w.baseline.p50_p95(),
                     _ratio(w.baseline.p50_ms, w.ours.p50_ms), _ratio(w.baseline.p95_ms, w.ours.p95_ms),
                     f"{w.compared:,}", f"{w.max_diff_m:.3f}", f"{100 * w.max_area_diff:.2f}%"])
    return table(["extract", "origins", "assets listed", "within 10 min", "load_network s", "networkx load s",
                  "ours p50 / p95 ms", "networkx p50 / p95 ms", "ratio p50", "ratio p95", "walks compared",
                  "max diff m", "max area diff"], rows)


def verdict(results: list[ExtractResult]) -> str:
    city = [r for r in results if r.city_sized]
    if not city:
        return (f"Target (issue 14): a catchment in under {TARGET_P95_S} s p95 for a city-sized network "
                f"({CITY_BUILDINGS:,} buildings); not run at that size.")
    lines = []
    for r in city:
        p95_s = r.walks.ours.p95_ms / 1000
        met = "met" if p95_s < TARGET_P95_S else "NOT met"
        lines.append(f"Target (issue 14): a catchment in under {TARGET_P95_S} s p95 for a city-sized network: "
                     f"{r.name} {fmt_ms(r.walks.ours.p95_ms)} ms p95, {met}.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> list[ExtractResult]:
    text = args.sizes if args.sizes is not None else QUICK_SIZES if args.quick else DEFAULT_SIZES
    sizes = parse_sizes(text) if text.strip() else []  # --sizes '': Monaco alone
    origins = args.origins or (QUICK_ORIGINS if args.quick else DEFAULT_ORIGINS)
    results: list[ExtractResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        for buildings in sizes:
            name = f"city_{buildings}"
            pbf = work / f"walk_{name}.osm.pbf"
            if not pbf.exists():
                t = time.perf_counter()
                counts = make_walkable_city_pbf(pbf, buildings, seed=args.seed)
                _log(f"generated {pbf.name} in {time.perf_counter() - t:.1f}s: {counts}")
            results.append(measure_extract(pbf, name, work, origins, args.seed))
        if args.monaco:
            monaco = Path(args.monaco)
            if not monaco.exists():
                raise SystemExit(f"{monaco} is not there; give --monaco PATH, or --monaco '' to leave it out.")
            results.append(measure_extract(monaco, "monaco", work, origins, args.seed))
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default=None,
                        help=f"buildings in each generated city, comma separated (default {DEFAULT_SIZES}; "
                             f"--quick {QUICK_SIZES}; '' for none)")
    parser.add_argument("--origins", type=int, default=None,
                        help=f"catchments timed per extract (default {DEFAULT_ORIGINS}; --quick {QUICK_ORIGINS})")
    parser.add_argument("--quick", action="store_true", help="a small town and Monaco, in well under a minute")
    parser.add_argument("--monaco", default=str(MONACO), help="the Monaco extract ('' leaves it out)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the generated extracts here and reuse them (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=2)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[ExtractResult]:
    args = parse_args(argv)
    results = run(args)
    print("## Ground, walking network and base map (each in its own process)\n")
    print(build_table(results))
    print(f"\n## A {MINUTES:.0f}-minute walk at {SPEED_KMH} km/h and every asset in it: "
          "walking_nearby against networkx\n")
    print(walk_table(results))
    print(f"\nRatios are networkx / ours (above 1: ours is quicker). {machine_load()}.")
    print(verdict(results))
    problems = [f"{r.name}: {p}" for r in results for p in r.walks.problems]
    if problems:  # the times stand, but the two did not compute the same walks
        shown = "\n".join(problems[:20])
        raise SystemExit(f"\nCHECK FAILED: ours and networkx disagree on {len(problems)} walks "
                         f"(more than {TOLERANCE_M:g} m apart, or listed by one alone):\n{shown}")
    return results


if __name__ == "__main__":
    main()
