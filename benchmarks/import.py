"""How fast does ``atlas import`` read the files people bring, against a plain read?

Generates, at several sizes, a GeoPackage of points (organisations with names, sectors and
employee counts) and a city-sized OpenStreetMap ``.osm.pbf`` (terraced streets of
buildings, shops and amenities, land use, parks as multipolygon relations), then times
in the same run:

* ``atlas import`` of the GeoPackage (as assets, and as features) against a plain
  ``pyogrio.read_dataframe(use_arrow=True)`` of the same file;
* ``atlas import`` of the PBF against plain reads of the same file by pyosmium
  (areas assembled, every object visited) and by GDAL's OSM driver;
* importing each file a second time, when every row is an update.

Each run happens in a child process so its peak memory (``ru_maxrss``) is its own.

    python benchmarks/import.py              # 1M points and a ~1M-object city
    python benchmarks/import.py --quick      # 20k points and a ~50k-object town
    python benchmarks/import.py --sizes 100000,300000 --osm-buildings 50000

Targets (issue 3): at least 100,000 points per second from a GeoPackage, and a
city-sized PBF in under a minute.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and ``atlas`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.engines import default_server_url, engines, fresh_store  # noqa: E402

CENTRE_LON, CENTRE_LAT = -1.93, 52.48  # west Birmingham
_M_PER_DEG_LAT = 111_320.0
_M_PER_DEG_LON = _M_PER_DEG_LAT * math.cos(math.radians(CENTRE_LAT))
_NAMES = ["Café Zoë", "Żabka", "Šťastný Dvůr", "Gurdwara ਸਿੰਘ", "Mosque مسجد", "Smethwick Works",
          "Łódź Bakery", "Crèche Étoile", "Soho Foundry", "Ladywood Hub"]


# -- data generation -------------------------------------------------------------------
def make_points_gpkg(path: Path, n: int, seed: int = 1) -> Path:
    """``n`` organisations as points in British National Grid around west Birmingham."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    x = 400_000 + rng.uniform(-8_000, 8_000, n)
    y = 287_000 + rng.uniform(-8_000, 8_000, n)
    sectors = np.array(["public", "private", "social", "community"])
    frame = gpd.GeoDataFrame(
        {
            "name": np.array(_NAMES, dtype=object)[rng.integers(0, len(_NAMES), n)] + " " + np.arange(n).astype(str),
            "sector": sectors[rng.integers(0, 4, n)],
            # Most organisations are small; about one in twenty is an anchor (macro).
            "employees": np.minimum(rng.lognormal(2.0, 1.6, n), 50_000).round(0).astype(np.int64),
            "annual_spend": np.minimum(rng.lognormal(11.0, 1.8, n), 5e8).round(0),
        },
        geometry=gpd.points_from_xy(x, y),
        crs=27700,
    )
    frame.to_file(path, driver="GPKG", layer="organisations", engine="pyogrio")
    return path


def make_city_pbf(path: Path, buildings: int, seed: int = 2) -> dict[str, int]:
    """A town of terraced streets with ``buildings`` houses, written with pyosmium.

    Houses in a terrace share their party walls (two new nodes per house), every street
    has a road, one building in fifty is a named amenity, and there are shops and offices
    as nodes, land-use blocks and parks with ponds (multipolygon relations). About 3.5
    objects per building, so 300,000 buildings make a city of about a million objects.
    """
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    rng = np.random.default_rng(seed)
    per_terrace, house_w, house_d, street_gap = 20, 5.0, 8.0, 30.0
    terraces = max(1, buildings // per_terrace)
    cols = max(1, int(math.sqrt(terraces * street_gap / (per_terrace * house_w + 10))))
    pois = buildings // 6
    blocks = max(1, buildings // 60)
    parks = max(1, buildings // 300)

    jitter = iter(rng.normal(0, 0.3, 8 * buildings + 1000).tolist())

    def lonlat(dx: float, dy: float) -> tuple[float, float]:
        # Surveyed corners are never on a perfect grid. Without the jitter GDAL's OSM
        # driver fails on the file ("An error occurred during the parsing of data").
        dx, dy = dx + next(jitter, 0.0), dy + next(jitter, 0.0)
        return CENTRE_LON + dx / _M_PER_DEG_LON, CENTRE_LAT + dy / _M_PER_DEG_LAT

    counts = {"nodes": 0, "ways": 0, "relations": 0, "buildings": 0}
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        nid = 0
        terrace_nodes: list[tuple[int, int]] = []  # first front node id, first back node id
        for t in range(terraces):
            ox = (t % cols) * (per_terrace * house_w + 10)
            oy = (t // cols) * street_gap
            front = nid + 1
            for i in range(per_terrace + 1):
                nid += 1
                writer.add_node(Node(id=nid, location=lonlat(ox + i * house_w, oy)))
            back = nid + 1
            for i in range(per_terrace + 1):
                nid += 1
                writer.add_node(Node(id=nid, location=lonlat(ox + i * house_w, oy + house_d)))
            terrace_nodes.append((front, back))
        street_nodes = nid + 1
        for t in range(terraces):
            ox = (t % cols) * (per_terrace * house_w + 10)
            oy = (t // cols) * street_gap - 6
            for dx in (0.0, per_terrace * house_w):
                nid += 1
                writer.add_node(Node(id=nid, location=lonlat(ox + dx, oy)))
        span_x = cols * (per_terrace * house_w + 10)
        span_y = (terraces // cols + 1) * street_gap
        poi_kinds = [("amenity", "cafe"), ("shop", "convenience"), ("office", "company"), ("amenity", "pharmacy"),
                     ("amenity", "place_of_worship"), ("office", "charity"), ("shop", "bakery"), ("amenity", "bench")]
        for i in range(pois):
            nid += 1
            k, v = poi_kinds[i % len(poi_kinds)]
            tags = {k: v, "name": f"{_NAMES[i % len(_NAMES)]} {i}"}
            writer.add_node(Node(id=nid, location=lonlat(rng.uniform(0, span_x), rng.uniform(0, span_y)),
                                 tags=tags))
        block_nodes = nid + 1
        for _ in range(blocks):
            x0, y0 = rng.uniform(0, span_x), rng.uniform(0, span_y)
            for dx, dy in ((0, 0), (60, 0), (60, 40), (0, 40)):
                nid += 1
                writer.add_node(Node(id=nid, location=lonlat(x0 + dx, y0 + dy)))
        park_nodes = nid + 1
        for _ in range(parks):
            x0, y0 = rng.uniform(0, span_x), rng.uniform(0, span_y)
            for dx, dy in ((0, 0), (200, 0), (200, 150), (0, 150), (80, 60), (120, 60), (120, 90), (80, 90)):
                nid += 1
                writer.add_node(Node(id=nid, location=lonlat(x0 + dx, y0 + dy)))
        counts["nodes"] = nid

        wid = 0
        for t, (front, back) in enumerate(terrace_nodes):
            for i in range(per_terrace):
                wid += 1
                ring = [front + i, front + i + 1, back + i + 1, back + i, front + i]
                tags = {"building": "terrace" if i % 50 else "yes"}
                if (t * per_terrace + i) % 50 == 0:
                    tags = {"building": "school", "amenity": "school", "name": f"École {t}"}
                writer.add_way(Way(id=wid, nodes=ring, tags=tags))
                counts["buildings"] += 1
        for t in range(terraces):
            wid += 1
            writer.add_way(Way(id=wid, nodes=[street_nodes + 2 * t, street_nodes + 2 * t + 1],
                               tags={"highway": "residential", "name": f"Straße {t}"}))
        landuses = ["residential", "industrial", "commercial", "retail", "brownfield"]
        for b in range(blocks):
            wid += 1
            n0 = block_nodes + 4 * b
            writer.add_way(Way(id=wid, nodes=[n0, n0 + 1, n0 + 2, n0 + 3, n0],
                               tags={"landuse": landuses[b % len(landuses)]}))
        park_ways = wid + 1
        for p in range(parks):
            n0 = park_nodes + 8 * p
            wid += 1
            writer.add_way(Way(id=wid, nodes=[n0, n0 + 1, n0 + 2, n0 + 3, n0]))
            wid += 1
            writer.add_way(Way(id=wid, nodes=[n0 + 4, n0 + 5, n0 + 6, n0 + 7, n0 + 4]))
        counts["ways"] = wid

        for p in range(parks):
            members = [("w", park_ways + 2 * p, "outer"), ("w", park_ways + 2 * p + 1, "inner")]
            writer.add_relation(Relation(id=p + 1, members=members,
                                         tags={"type": "multipolygon", "leisure": "park", "name": f"Parc {p}"}))
        counts["relations"] = parks
    finally:
        writer.close()
    return counts


# -- timed runs, each in its own process -----------------------------------------------
def _peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def _run_atlas_import(path: str, as_: str | None, db: str, queue: mp.Queue) -> None:
    from atlas.importers import import_file
    from atlas.store import open_store

    with open_store(db) as store:
        start = time.perf_counter()
        summary = import_file(store, path, as_=as_, source="bench")
        seconds = time.perf_counter() - start
    queue.put({"rows": summary.imported + summary.updated, "seconds": seconds, "peak_mb": _peak_mb()})


def _run_pyogrio_read(path: str, layer: str | None, queue: mp.Queue) -> None:
    import pyogrio

    start = time.perf_counter()
    frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    seconds = time.perf_counter() - start
    queue.put({"rows": len(frame), "seconds": seconds, "peak_mb": _peak_mb()})


def _run_pyosmium_read(path: str, queue: mp.Queue) -> None:
    """Every object visited, areas assembled and turned into WKB: the floor for any
    pyosmium-based importer."""
    import osmium

    wkb = osmium.geom.WKBFactory()
    start = time.perf_counter()
    rows = 0
    for obj in osmium.FileProcessor(path).with_areas().with_filter(osmium.filter.EmptyTagFilter()):
        if obj.is_area():
            wkb.create_multipolygon(obj)
            rows += 1
        elif obj.is_node():
            rows += 1
    seconds = time.perf_counter() - start
    queue.put({"rows": rows, "seconds": seconds, "peak_mb": _peak_mb()})


def _run_gdal_osm_read(path: str, queue: mp.Queue) -> None:
    import pyogrio

    start = time.perf_counter()
    rows = 0
    for layer in ("points", "multipolygons"):
        rows += len(pyogrio.read_dataframe(path, layer=layer, use_arrow=True))
    seconds = time.perf_counter() - start
    queue.put({"rows": rows, "seconds": seconds, "peak_mb": _peak_mb()})


def _in_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _row(file: str, what: str, result: dict, baseline: dict | None) -> dict:
    per_s = result["rows"] / result["seconds"] if result["seconds"] else float("inf")
    ratio = (result["seconds"] / baseline["seconds"]) if baseline else 1.0
    return {"file": file, "run": what, "rows": result["rows"], "seconds": result["seconds"],
            "rows_per_s": per_s, "x_baseline": ratio, "peak_mb": result["peak_mb"]}


def _print(rows: list[dict]) -> None:
    header = f"{'file':<28} {'run':<56} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'x base':>7} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['file']:<28} {r['run']:<56} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows_per_s']:>10,.0f} "
              f"{r['x_baseline']:>7.2f} {r['peak_mb']:>8,.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000", help="point counts for the GeoPackage, comma separated")
    parser.add_argument("--osm-buildings", default="300000", help="buildings in each generated city, comma separated")
    parser.add_argument("--quick", action="store_true", help="small sizes (20k points, 15k buildings)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to keep generated files (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    parser.add_argument("--server-url", default=default_server_url(),
                        help="a PostGIS server to run on as well (default: $ATLAS_TEST_POSTGRES)")
    args = parser.parse_args(argv)
    sizes = [20_000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    cities = [15_000] if args.quick else [int(s) for s in args.osm_buildings.split(",") if s]

    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows: list[dict] = []
        for n in sizes:
            gpkg = work / f"points_{n}.gpkg"
            if not gpkg.exists():
                t = time.perf_counter()
                make_points_gpkg(gpkg, n)
                print(f"generated {gpkg.name} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            base = _in_child(_run_pyogrio_read, str(gpkg), None)
            rows.append(_row(gpkg.name, "pyogrio read (baseline)", base, None))
            for engine in engines(args.server_url):
                for as_ in ("assets", "features"):
                    with fresh_store(engine, work, f"bench_{n}_{as_}", args.server_url) as db:
                        res = _in_child(_run_atlas_import, str(gpkg), as_, db)
                        rows.append(_row(gpkg.name, f"{engine}: atlas import --as {as_}", res, base))
                        if as_ == "assets":  # the same file again: every row an update
                            res = _in_child(_run_atlas_import, str(gpkg), as_, db)
                            rows.append(_row(gpkg.name, f"{engine}: atlas import --as assets, again (updates)",
                                             res, base))
        for b in cities:
            pbf = work / f"city_{b}.osm.pbf"
            if not pbf.exists():
                t = time.perf_counter()
                counts = make_city_pbf(pbf, b)
                print(f"generated {pbf.name} in {time.perf_counter() - t:.1f}s: {counts}", file=sys.stderr)
            base = _in_child(_run_pyosmium_read, str(pbf))
            rows.append(_row(pbf.name, "pyosmium read+areas (baseline)", base, None))
            rows.append(_row(pbf.name, "GDAL OSM driver read", _in_child(_run_gdal_osm_read, str(pbf)), base))
            for engine in engines(args.server_url):
                with fresh_store(engine, work, f"bench_city_{b}", args.server_url) as db:
                    res = _in_child(_run_atlas_import, str(pbf), None, db)
                    rows.append(_row(pbf.name, f"{engine}: atlas import (features+assets)", res, base))
                    res = _in_child(_run_atlas_import, str(pbf), None, db)
                    rows.append(_row(pbf.name, f"{engine}: atlas import, again (updates)", res, base))
        _print(rows)
        if args.json:
            print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
