"""How fast are plan saves, loads and diffs as plans grow? ``cedplans.repository`` against
the least any versioned store must do, on the same plans, in the same run.

    python benchmarks/plans.py [--sizes 10,100,1000] [--repeats 15]

For each size a plan with that many zones (areas drawn around Birmingham, in WGS84) is
created in a fresh store. Then, ``--repeats`` times, one zone is moved and the plan saved
(a new version), loaded back, and diffed against the previous version.

Baselines, on the same documents:

* **save**: project the zones to EPSG:27700 with geopandas (vectorised), measure them, and
  INSERT the whole plan as one JSON document into a table: the floor for "check,
  measure and keep every version whole";
* **load**: SELECT that document and ``json.loads`` + ``shapely.shape`` every zone;
* **diff**: load both documents and list the zones whose JSON differs, matched by id
  (no shapes built, no words written).

Ratios above 1 are what our checks (make_valid, distance to the site, references to the
atlas), the stale-save check, and the readable diff cost on top.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping, shape

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and the packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.projection import BRITISH_NATIONAL_GRID, WGS84, reproject
from atlas.store import open_store
from atlas.writes import upsert_features
from benchmarks._common import fmt_ms, fmt_ratio, parse_sizes, stopwatch, table
from cedplans import document, repository
from cedplans.model import Plan, Zone

CENTRE_E_M, CENTRE_N_M = 404_000.0, 287_000.0


def zones_for(n: int, rng: np.random.Generator) -> list[Zone]:
    """``n`` small irregular areas within 1 km of the centre, in WGS84."""
    zones = []
    for i in range(n):
        e, n_ = CENTRE_E_M + rng.uniform(-1000, 1000), CENTRE_N_M + rng.uniform(-1000, 1000)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 8))
        radii = rng.uniform(10, 30, 8)
        ring = [(e + r * np.cos(a), n_ + r * np.sin(a)) for a, r in zip(angles, radii, strict=True)]
        zones.append(Zone("food growing", reproject(shapely.Polygon(ring), BRITISH_NATIONAL_GRID, WGS84),
                          name=f"Zone {i}"))
    return zones


def baseline_save(con, doc: dict, zones: list[Zone], version: int) -> None:
    series = gpd.GeoSeries([z.geom for z in zones], crs=WGS84).to_crs(BRITISH_NATIONAL_GRID)
    for z, area in zip(doc["zones"], series.area, strict=True):
        z["area_m2"] = float(area)
    con.execute("INSERT INTO bench_versions VALUES (?, ?)", [version, json.dumps(doc)])


def baseline_load(con, version: int) -> list:
    text = con.execute("SELECT document FROM bench_versions WHERE version = ?", [version]).fetchone()[0]
    return [shape(z["geometry"]) for z in json.loads(text)["zones"]]


def baseline_diff(con, a: int, b: int) -> list:
    old, new = (json.loads(con.execute("SELECT document FROM bench_versions WHERE version = ?", [v]).fetchone()[0])
                for v in (a, b))
    by_id = {z["id"]: z for z in old["zones"]}
    return [z for z in new["zones"] if by_id.get(z["id"]) != z]


def run_size(n_zones: int, repeats: int, folder: Path) -> list[object]:
    rng = np.random.default_rng(n_zones)
    with open_store(folder / f"plans-{n_zones}.duckdb") as store:
        site = gpd.GeoDataFrame(
            {"source_id": ["site"], "name": ["Bench site"], "kind": ["land"]},
            geometry=[shapely.box(CENTRE_E_M - 1000, CENTRE_N_M - 1000, CENTRE_E_M + 1000, CENTRE_N_M + 1000)],
            crs=BRITISH_NATIONAL_GRID,
        )
        upsert_features(store, site, source="bench")
        site_id = repository.find_feature_id(store, "Bench site")
        plan = repository.create_plan(store, Plan(title="Bench", site_feature_id=site_id,
                                                  zones=zones_for(n_zones, rng)), author="bench")
        store.con.execute("CREATE TEMP TABLE bench_versions (version INTEGER, document VARCHAR)")
        ours = {"save": [], "load": [], "diff": []}
        base = {"save": [], "load": [], "diff": []}
        for r in range(repeats):
            i = int(rng.integers(n_zones))
            moved = shapely.affinity.translate(plan.zones[i].geom, xoff=1e-5)
            plan.zones[i] = Zone(plan.zones[i].use, moved, name=plan.zones[i].name, id=plan.zones[i].id)
            with stopwatch() as t:
                saved = repository.save_plan(store, plan, author="bench")
            ours["save"].append(t[0])
            with stopwatch() as t:
                plan = repository.get_plan(store, plan.id)
            ours["load"].append(t[0])
            with stopwatch() as t:
                diff = repository.diff_versions(store, plan.id, saved.version - 1, saved.version)
            ours["diff"].append(t[0])
            assert len(diff.changes) == 1, diff.lines()

            doc = document.to_document(plan)
            doc["zones"] = [{**z, "geometry": mapping(zz.geom)} for z, zz in zip(doc["zones"], plan.zones, strict=True)]
            with stopwatch() as t:
                baseline_save(store.con, doc, plan.zones, r)
            base["save"].append(t[0])
            with stopwatch() as t:
                baseline_load(store.con, r)
            base["load"].append(t[0])
            with stopwatch() as t:
                baseline_diff(store.con, max(r - 1, 0), r)
            base["diff"].append(t[0])
    row: list[object] = [f"{n_zones:,}"]
    for op in ("save", "load", "diff"):
        o, b = float(np.median(ours[op]) * 1000), float(np.median(base[op]) * 1000)
        row += [fmt_ms(o), fmt_ms(b), fmt_ratio(o, b)]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="Zones per plan, comma-separated.")
    parser.add_argument("--repeats", type=int, default=15, help="Saves (versions) timed per size.")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in parse_sizes(args.sizes):
            rows.append(run_size(n, args.repeats, Path(tmp)))
            print(f"  {n:,} zones done", file=sys.stderr)
    print("Median milliseconds per call (ours / baseline / ratio):\n")
    print(table(["zones", "save", "save base", "ratio", "load", "load base", "ratio", "diff", "diff base",
                 "ratio"], rows))


if __name__ == "__main__":
    main()
