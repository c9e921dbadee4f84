"""A process killed (SIGKILL: no clean-up, no checkpoint) during an import or a plan save
leaves a store that reopens with every committed write intact and nothing of the write it
was making. The generic case is tests/test_store.py
(test_store_killed_mid_write_reopens_with_committed_rows); these are the two big writers.

Each test runs the writer in a child process and either stops it at a known point inside
its transaction (everything written, nothing committed) or kills it at whatever moment a
loop of writes has reached; the checks after reopening hold at any moment."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

from atlas import migrations, open_store, queries
from atlas.importers import BULK_ROWS, import_file
from cedplans import document, repository

CENTRE_LON, CENTRE_LAT = -1.93, 52.48


def _csv(path: Path, rows: int, seed: int = 0) -> Path:
    """A register of ``rows`` groups with coordinates in west Birmingham."""
    rng = np.random.default_rng(seed)
    lon = CENTRE_LON + rng.uniform(-0.02, 0.02, rows)
    lat = CENTRE_LAT + rng.uniform(-0.01, 0.01, rows)
    lines = ["id,name,lon,lat",
             *(f"g{i},Group {i},{x:.6f},{y:.6f}" for i, (x, y) in enumerate(zip(lon, lat, strict=True)))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _child(script: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
                            stdout=subprocess.PIPE, text=True)


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait()


def _spatial_indexes(store) -> set[str]:
    names = {r[0] for r in store.con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()}
    return names & {name for name, _, _ in migrations.SPATIAL_INDEXES}


# -- imports ---------------------------------------------------------------------------------

_IMPORT_THEN_STOP = """
    import sys, time
    from atlas import open_store
    from atlas.importers import import_file
    store = open_store(sys.argv[1])
    import_file(store, sys.argv[2], as_="assets", source="first")     # committed, still in the WAL
    print("committed", flush=True)

    def progress(stage, done, total):
        if stage == "writing" and total and done == total:           # every row written, not committed
            print("written", flush=True)
            time.sleep(60)

    import_file(store, sys.argv[3], as_="assets", source="large", progress=progress)
    print("finished", flush=True)
"""


def test_import_killed_before_its_commit_leaves_only_committed_rows(tmp_path):
    """A large import (a bulk load: spatial indexes dropped, rows written straight to the
    file by DuckDB) killed with all its rows written and none committed."""
    store_path = tmp_path / "atlas.duckdb"
    small = _csv(tmp_path / "small.csv", 500, seed=1)
    large = _csv(tmp_path / "large.csv", BULK_ROWS + 10_000, seed=2)
    child = _child(_IMPORT_THEN_STOP, store_path, small, large)
    try:
        assert child.stdout.readline().strip() == "committed"
        assert child.stdout.readline().strip() == "written"
        assert Path(f"{store_path}.wal").exists(), "the committed import should still be in the WAL"
    finally:
        _kill(child)
    with open_store(store_path) as store:
        counts = dict(store.con.execute("SELECT source, count(*) FROM assets GROUP BY source").fetchall())
        assert counts == {"first": 500}
        assert _spatial_indexes(store) == {name for name, _, _ in migrations.SPATIAL_INDEXES}
        assert queries.nearby(store, f"{CENTRE_LON},{CENTRE_LAT}", 400).assets
        # The store takes the same import again, whole.
        summary = import_file(store, large, as_="assets", source="large")
        assert summary.imported == BULK_ROWS + 10_000
        assert store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 500 + BULK_ROWS + 10_000


_IMPORT_LOOP = """
    import sys
    from atlas import open_store
    from atlas.importers import import_file
    store = open_store(sys.argv[1])
    k = 0
    while True:
        import_file(store, sys.argv[2], as_="assets", source=f"batch-{k}")
        print(k, flush=True)
        k += 1
"""


@pytest.mark.parametrize("delay_s", [0.0, 0.15, 0.3])
def test_imports_killed_at_any_moment_are_each_all_or_nothing(tmp_path, delay_s):
    """Imports in a loop (each a transaction updating the spatial indexes row by row),
    killed a moment after some have committed: whatever the moment, each import is in the
    store whole or not at all, and every one that finished is there."""
    store_path = tmp_path / "atlas.duckdb"
    rows = 3_000
    register = _csv(tmp_path / "register.csv", rows)
    child = _child(_IMPORT_LOOP, store_path, register)
    try:
        finished = [int(child.stdout.readline()) for _ in range(2)]
        time.sleep(delay_s)
    finally:
        _kill(child)
    with open_store(store_path) as store:
        counts = dict(store.con.execute("SELECT source, count(*) FROM assets GROUP BY source").fetchall())
        assert set(counts.values()) == {rows}
        assert {f"batch-{k}" for k in finished} <= set(counts)
        assert len(counts) <= len(finished) + 2  # those reported, perhaps one more not yet reported
        assert _spatial_indexes(store) == {name for name, _, _ in migrations.SPATIAL_INDEXES}
        near = queries.nearby(store, f"{CENTRE_LON},{CENTRE_LAT}", 300)
        assert {a.name for a in near.assets} <= {f"Group {i}" for i in range(rows)} and near.assets


# -- plan saves ------------------------------------------------------------------------------

_PLAN_SETUP = """
    import sys, time
    import geopandas as gpd, shapely
    from atlas import open_store
    from atlas.writes import upsert_features
    from cedplans import repository
    from cedplans.model import Plan, Zone

    store = open_store(sys.argv[1])
    site = gpd.GeoDataFrame({"source_id": ["site"], "name": ["Summerfield"], "kind": ["land"]},
                            geometry=[shapely.box(-1.94, 52.475, -1.92, 52.485)], crs=4326)
    upsert_features(store, site, source="test")
    site_id = repository.find_feature_id(store, "Summerfield")
    zones = [Zone("food growing", shapely.box(-1.938 + i * 1e-3, 52.476, -1.9375 + i * 1e-3, 52.4765), name=f"Bed {i}")
             for i in range(10)]
    plan = repository.create_plan(store, Plan(title="Growing", site_feature_id=site_id, zones=zones), author="test")

    def moved(plan, step):
        i = step % len(plan.zones)
        z = plan.zones[i]
        plan.zones[i] = Zone(z.use, shapely.affinity.translate(z.geom, yoff=1e-5), name=z.name, id=z.id)
        return plan
"""

_PLAN_SAVE_THEN_STOP = _PLAN_SETUP + """
    for step in range(3):
        plan = repository.save_plan(store, moved(plan, step), author="test")
    print("committed", plan.version, flush=True)
    with store.transaction():                                         # the save's own transaction joins this one
        repository.save_plan(store, moved(plan, 3), author="test")
        print("saving", flush=True)
        time.sleep(60)
"""

_PLAN_SAVE_LOOP = _PLAN_SETUP + """
    step = 0
    while True:
        plan = repository.save_plan(store, moved(plan, step), author="test")
        print(plan.version, flush=True)
        step += 1
"""


def _check_plan_is_whole(store, plan_id: int) -> int:
    """The plan's latest version, its history and its mirrored zones agree; returns the version."""
    latest = store.con.execute("SELECT latest_version FROM plans WHERE id = ?", [plan_id]).fetchone()[0]
    versions = [r[0] for r in store.con.execute(
        "SELECT version FROM plan_versions WHERE plan_id = ? ORDER BY version", [plan_id]).fetchall()]
    assert versions == list(range(1, latest + 1))
    plan = repository.get_plan(store, plan_id)
    doc = document.loads(store.con.execute(
        "SELECT document FROM plan_versions WHERE plan_id = ? AND version = ?", [plan_id, latest]).fetchone()[0])
    assert len(doc["zones"]) == len(plan.zones) == 10
    mirrored = {zone_id: shapely.from_wkb(bytes(wkb)) for zone_id, wkb in store.con.execute(
        "SELECT zone_id, ST_AsWKB(geom) FROM plan_zones WHERE plan_id = ?", [plan_id]).fetchall()}
    assert set(mirrored) == {z.id for z in plan.zones}
    assert all(mirrored[z.id].equals_exact(z.geom, 1e-9) for z in plan.zones)
    return latest


def _saves_again(store, plan_id: int, version: int) -> None:
    plan = repository.get_plan(store, plan_id)
    plan.title = "Growing, after the crash"
    assert repository.save_plan(store, plan, author="test").version == version + 1


def test_plan_save_killed_before_its_commit_keeps_the_saved_versions(tmp_path):
    store_path = tmp_path / "atlas.duckdb"
    child = _child(_PLAN_SAVE_THEN_STOP, store_path)
    try:
        assert child.stdout.readline().split() == ["committed", "4"]
        assert child.stdout.readline().strip() == "saving"
    finally:
        _kill(child)
    with open_store(store_path) as store:
        assert _check_plan_is_whole(store, 1) == 4
        _saves_again(store, 1, 4)


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.2])
def test_plan_saves_killed_at_any_moment_keep_a_whole_history(tmp_path, delay_s):
    store_path = tmp_path / "atlas.duckdb"
    child = _child(_PLAN_SAVE_LOOP, store_path)
    try:
        reported = [int(child.stdout.readline()) for _ in range(5)]
        time.sleep(delay_s)
    finally:
        _kill(child)
    with open_store(store_path) as store:
        latest = _check_plan_is_whole(store, 1)
        assert latest >= reported[-1]
        _saves_again(store, 1, latest)
