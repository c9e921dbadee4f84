"""``atlas copy`` moves a whole store between engines losslessly: the demo, copied from a
DuckDB file to a PostGIS server and back, has every table equal, row for row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from atlas import queries
from atlas.errors import InvalidInput
from atlas.store import open_store
from atlas.store_copy import copy_store
from tests.store_contents import contents

ATLAS = str(Path(sys.executable).with_name("atlas"))


def test_demo_round_trip_duckdb_postgis_duckdb_keeps_every_table(_demo_store_file, postgis_database, tmp_path):
    back = tmp_path / "back.duckdb"
    run = [ATLAS, "copy", "--format", "json"]
    first = subprocess.run([*run, "--from", str(_demo_store_file), "--to", postgis_database],
                           capture_output=True, text=True, check=True)
    second = subprocess.run([*run, "--from", postgis_database, "--to", str(back)],
                            capture_output=True, text=True, check=True)
    assert json.loads(first.stdout)["rows"] == json.loads(second.stdout)["rows"]

    with open_store(_demo_store_file, read_only=True) as original, open_store(back) as copied, \
            open_store(postgis_database) as middle:
        before = contents(original)
        assert before == contents(copied)
        # The PostGIS copy holds the same rows too, value for value, read through the other engine.
        assert contents(middle) == before
        # Every table the demo fills was copied (no table silently left out).
        assert sum(len(r) for r in before.values()) > 500
        assert all(before[t] for t in ("assets", "features", "boundaries", "plans", "plan_versions",
                                       "users", "audit_log", "needs_offers"))
        # New rows after a copy get new ids on both engines: the sequences moved on.
        for store in (copied, middle):
            top = store.con.execute("SELECT max(id) FROM assets").fetchone()[0]
            assert store.con.execute("SELECT nextval('asset_id_seq')").fetchone()[0] > top
        # And the copies answer questions as the original does.
        site = "-1.9585,52.4977"
        want = [(a.id, round(a.distance_m, 2)) for a in queries.nearby(original, site, 800).assets]
        for store in (copied, middle):
            assert [(a.id, round(a.distance_m, 2)) for a in queries.nearby(store, site, 800).assets] == want


def test_copy_refuses_a_target_that_holds_data(demo_store_path, _demo_store_file):
    with open_store(_demo_store_file, read_only=True) as source, open_store(demo_store_path) as target:
        before = contents(target)
        with pytest.raises(InvalidInput, match="already holds data"):
            copy_store(source, target)
        assert contents(target) == before


def test_backup_of_a_postgis_store_is_a_duckdb_file_with_every_row(demo_store_path, engine, tmp_path):
    """``atlas backup`` works on both engines; from PostGIS it writes the same kind of file."""
    backup = tmp_path / "backup.duckdb"
    subprocess.run([ATLAS, "backup", str(backup), "--db", str(demo_store_path)], check=True, capture_output=True)
    with open_store(demo_store_path) as live, open_store(backup, read_only=True) as copy:
        want, got = contents(live), contents(copy)
        meta = ("backup_taken_at", "backup_schema_version")
        got["atlas_meta"] = [r for r in got["atlas_meta"] if r[0] not in meta]
        assert got == want
