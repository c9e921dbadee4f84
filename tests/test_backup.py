"""Backups: a consistent copy taken through the open store while it is being written, a
restore that gives back every table exactly, and the refusals that keep data safe."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from atlas import migrations, open_store, queries, writes
from atlas.backup import META_SCHEMA_VERSION, META_TAKEN_AT, restore_backup, write_backup
from atlas.engines.duckdb_file import attach as _attach
from atlas.engines.duckdb_file import load_spatial
from atlas.errors import InvalidInput, NotAnAtlasStore, StoreTooNew
from atlas.store import Store, _migrate, utc_now
from atlas_cli import main
from cedplans import repository


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assets(n: int, start: int = 0) -> gpd.GeoDataFrame:
    """``n`` points in the demo area (Ladywood), so each also lands in a ward."""
    return gpd.GeoDataFrame(
        {"source_id": [str(i) for i in range(start, start + n)],
         "name": [f"writer group {i}" for i in range(start, start + n)]},
        geometry=[shapely.Point(-1.925 + (i % 100) * 1e-5, 52.478 + (i // 100) * 1e-5)
                  for i in range(start, start + n)],
        crs=4326,
    )


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table of the store, geometry as WKB, ordered by all columns."""
    tables = [r[0] for r in store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'atlas' ORDER BY table_name").fetchall()]
    out = {}
    for table in tables:
        columns = store.con.execute(f"DESCRIBE {table}").fetchall()
        select = ", ".join(f"ST_AsWKB({name})" if type_ == "GEOMETRY" else name for name, type_, *_ in columns)
        out[table] = store.con.execute(f"SELECT {select} FROM {table} ORDER BY ALL").fetchall()
    return out


def schema(store: Store) -> dict[str, list]:
    """What the rows live in: tables with their constraints, indexes, sequences, views, macros."""
    def rows(sql: str) -> list:
        return sorted(store.con.execute(sql).fetchall())

    return {
        "tables": rows("SELECT table_name, sql FROM duckdb_tables() WHERE database_name = 'atlas'"),
        "indexes": rows("SELECT index_name, table_name, sql FROM duckdb_indexes() WHERE database_name = 'atlas'"),
        "sequences": rows("SELECT sequence_name FROM duckdb_sequences() WHERE database_name = 'atlas'"),
        "views": rows("SELECT view_name, sql FROM duckdb_views() WHERE database_name = 'atlas' AND NOT internal"),
        "macros": rows("SELECT function_name FROM duckdb_functions() WHERE database_name = 'atlas'"),
    }


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- a backup while the store is being written ------------------------------------------------

def test_backup_while_another_thread_writes_holds_every_committed_write(demo_store_path, tmp_path):
    """The app's way: one Store, one lock, a writer thread committing batch after batch,
    and a backup taken through the same connection in between."""
    store = open_store(demo_store_path)
    lock = threading.RLock()  # as app.state.StoreHandle
    committed: list[int] = []
    stop = threading.Event()
    batch_rows = 20

    def writer() -> None:
        i = 0
        while not stop.is_set():
            with lock:
                with store.transaction():  # a batch and its marker: all or nothing
                    writes.upsert_assets(store, _assets(batch_rows, start=i * batch_rows), source=f"writer-{i}")
                    store.set_meta("writer_batch", str(i))
                committed.append(i)
            i += 1
            time.sleep(0.001)  # out of the lock a moment, as between two requests

    with ThreadPoolExecutor(max_workers=1) as pool:
        writing = pool.submit(writer)
        try:
            while len(committed) < 5 and not writing.done():
                time.sleep(0.01)
            with lock:  # as the app's reading(): the backup begins when no write is half-made
                before = list(committed)
                info = write_backup(store, tmp_path / "backup.duckdb")
            while len(committed) < len(before) + 3 and not writing.done():
                time.sleep(0.01)  # and the writer goes on after it
        finally:
            stop.set()
            writing.result()  # the writer's own error, if it had one
            store.close()
    assert len(committed) >= len(before) + 3

    with open_store(tmp_path / "backup.duckdb") as backup:
        batches = dict(backup.con.execute(
            "SELECT source, count(*) FROM assets WHERE source LIKE 'writer-%' GROUP BY source").fetchall())
        assert batches == {f"writer-{i}": batch_rows for i in before}  # every committed write, whole, and no more
        assert backup.meta("writer_batch") == str(before[-1])
        # Internally consistent: memberships, ids, sequences and the spatial indexes agree.
        assert backup.con.execute(
            "SELECT count(*) FROM asset_boundaries WHERE asset_id NOT IN (SELECT id FROM assets)").fetchone()[0] == 0
        assert backup.con.execute(
            "SELECT count(*) FROM assets a WHERE source LIKE 'writer-%' "
            "AND NOT EXISTS (SELECT 1 FROM asset_boundaries b WHERE b.asset_id = a.id)").fetchone()[0] == 0
        max_id = backup.con.execute("SELECT max(id) FROM assets").fetchone()[0]
        assert backup.con.execute("SELECT nextval('asset_id_seq')").fetchone()[0] == max_id + 1
        near = queries.nearby(backup, "-1.925,52.478", 30)
        assert sum(a.name.startswith("writer group") for a in near.assets) >= batch_rows
        assert backup.meta(META_SCHEMA_VERSION) == str(migrations.SCHEMA_VERSION)
        taken = backup.meta(META_TAKEN_AT)
    assert info.taken_at is not None and taken == info.taken_at.isoformat()
    assert info.row_counts["assets"] == 85 + batch_rows * len(before)
    assert info.size_bytes == (tmp_path / "backup.duckdb").stat().st_size
    assert _leftovers(tmp_path) == []


# -- a restore gives back every table exactly --------------------------------------------------

@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restore_round_trips_every_table_exactly(demo_store, tmp_path):
    """The full demo (atlas, needs and offers, plans, ideas, votes, audit trail) out and back."""
    backup = tmp_path / "backup.duckdb"
    demo_store.con.execute("CREATE TEMP TABLE view_assets_1 AS SELECT 1 AS one")  # as the app's view index
    info = write_backup(demo_store, backup)
    restored = tmp_path / "restored.duckdb"
    result = run_cli("restore", str(backup), "--db", str(restored))
    assert result.exit_code == 0, result.output
    assert f"into {restored}" in result.output

    original = snapshot(demo_store)
    with open_store(restored) as store:
        again = snapshot(store)
        assert schema(store) == schema(demo_store)
        assert store.meta(META_TAKEN_AT) is None  # the backup's notes stay in the backup
    assert set(again) == set(original) and len(original) >= 20
    for table in original:
        assert again[table] == original[table], table
    assert sum(len(rows) for rows in original.values()) == info.total_rows - 2  # less the two notes
    assert original["plans"] and original["plan_ideas"] and original["needs_offers"]


@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restored_store_gives_new_rows_fresh_ids(demo_store, tmp_path):
    """Sequences come across at their current values: the same next ids as the original."""
    write_backup(demo_store, tmp_path / "backup.duckdb")
    restore_backup(tmp_path / "backup.duckdb", tmp_path / "restored.duckdb")

    def add_things(store: Store) -> tuple[int, int]:
        writes.upsert_assets(store, _assets(1), source="after restore")
        asset_id = store.con.execute("SELECT id FROM assets WHERE source = 'after restore'").fetchone()[0]
        plan = repository.create_plan(store, "After the restore", author="test")
        return asset_id, plan.id

    with open_store(tmp_path / "restored.duckdb") as store:
        ids = add_things(store)
        assert store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 86
        assert queries.nearby(store, "-1.925,52.478", 5).assets  # the R-tree has it
    assert ids == add_things(demo_store)
    assert ids[0] == 86


def test_older_backup_is_upgraded_on_restore(tmp_path):
    old_path = tmp_path / "old.duckdb"
    con = load_spatial_connection()
    _attach(con, old_path, read_only=False)
    old = Store(con, old_path, read_only=False)
    _migrate(old, target=1)
    old.set_meta("metric_epsg", "27700")
    old.set_meta(META_TAKEN_AT, "2020-01-02T03:04:05")  # as a backup taken at schema 1 would say
    old.set_meta(META_SCHEMA_VERSION, "1")
    con.execute("INSERT INTO assets (name, scale, scale_reason, source, source_id, geom, geom_m) VALUES "
                "('Old hall', 'micro', 'micro', 'v1', '1', ST_Point(-1.93, 52.48), ST_Point(404000, 287000))")
    old.close()
    info = restore_backup(old_path, tmp_path / "restored.duckdb")
    assert info.taken_at == datetime(2020, 1, 2, 3, 4, 5)
    assert info.schema_version == migrations.SCHEMA_VERSION
    with open_store(tmp_path / "restored.duckdb") as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
        assert store.meta(META_SCHEMA_VERSION) is None and store.meta(META_TAKEN_AT) is None
        assert [a.name for a in queries.list_assets(store)] == ["Old hall"]


def load_spatial_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_spatial(con)
    return con


# -- refusals --------------------------------------------------------------------------------

@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restore_refuses_a_store_that_holds_data_unless_forced(demo_store, tmp_path):
    backup = tmp_path / "backup.duckdb"
    write_backup(demo_store, backup)
    target = tmp_path / "other.duckdb"
    with open_store(target) as other:
        writes.upsert_assets(other, _assets(3), source="precious")
    before = _digest(target)

    refused = run_cli("restore", str(backup), "--db", str(target))
    assert refused.exit_code == 2
    assert refused.output.count("\n") == 1 and refused.output.startswith("Error: ")
    assert "holds data (3 assets" in refused.output and "--force" in refused.output
    assert _digest(target) == before and _leftovers(tmp_path) == []

    forced = run_cli("restore", str(backup), "--db", str(target), "--force", "--format", "json")
    assert forced.exit_code == 0, forced.output
    with open_store(target) as store:
        assert store.con.execute("SELECT count(*) FROM assets WHERE source = 'precious'").fetchone()[0] == 0
        assert store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 85
    assert _leftovers(tmp_path) == []


@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restore_into_an_empty_store_needs_no_force(demo_store, tmp_path):
    write_backup(demo_store, tmp_path / "backup.duckdb")
    assert run_cli("init", "--db", str(tmp_path / "new.duckdb")).exit_code == 0
    result = run_cli("restore", str(tmp_path / "backup.duckdb"), "--db", str(tmp_path / "new.duckdb"))
    assert result.exit_code == 0, result.output


@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restore_removes_a_stale_write_ahead_log(demo_store, tmp_path):
    write_backup(demo_store, tmp_path / "backup.duckdb")
    target = tmp_path / "target.duckdb"
    Path(f"{target}.wal").write_bytes(b"left from a crash of a store long gone")
    restore_backup(tmp_path / "backup.duckdb", target)
    assert not Path(f"{target}.wal").exists()
    with open_store(target) as store:
        assert store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 85


@pytest.mark.parametrize("content", [b"name,lon,lat\nHub,-1.9,52.4\n", b""], ids=["csv", "empty"])
def test_restore_refuses_a_file_that_is_not_a_store(tmp_path, content):
    not_a_backup = tmp_path / "backup.duckdb"
    not_a_backup.write_bytes(content)
    result = run_cli("restore", str(not_a_backup), "--db", str(tmp_path / "target.duckdb"))
    assert result.exit_code == 1
    assert result.output == (f"Error: {not_a_backup} is not an atlas store (not a DuckDB database); "
                             "it was left as it is.\n")
    assert not (tmp_path / "target.duckdb").exists() and _leftovers(tmp_path) == []
    assert not_a_backup.read_bytes() == content


def test_restore_refuses_another_applications_database(tmp_path):
    sales = tmp_path / "sales.duckdb"
    con = duckdb.connect(str(sales))
    con.execute("CREATE TABLE sales (id INT); INSERT INTO sales VALUES (1)")
    con.close()
    with pytest.raises(NotAnAtlasStore, match=f"{sales} is a database but not an atlas store"):
        restore_backup(sales, tmp_path / "target.duckdb")
    assert _leftovers(tmp_path) == []


@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restore_never_replaces_a_file_that_is_not_a_store_even_forced(demo_store, tmp_path):
    write_backup(demo_store, tmp_path / "backup.duckdb")
    target = tmp_path / "notes.duckdb"
    target.write_text("my notes")
    with pytest.raises(NotAnAtlasStore):
        restore_backup(tmp_path / "backup.duckdb", target, force=True)
    assert target.read_text() == "my notes"


@pytest.mark.duckdb_only("restores and replaces DuckDB files; on PostGIS a backup goes back with atlas copy")
def test_restore_refuses_a_backup_from_a_newer_asset_atlas(demo_store, tmp_path):
    backup = tmp_path / "backup.duckdb"
    write_backup(demo_store, backup)
    with open_store(backup) as store:
        store.set_meta("schema_version", str(migrations.SCHEMA_VERSION + 1))
    with pytest.raises(StoreTooNew, match=f"{backup} was written by a newer Asset Atlas"):
        restore_backup(backup, tmp_path / "target.duckdb")
    assert not (tmp_path / "target.duckdb").exists() and _leftovers(tmp_path) == []


@pytest.mark.duckdb_only("about the DuckDB file: its path, its lock, its own COPY FROM DATABASE")
def test_backup_refuses_the_store_itself_and_a_folder(demo_store, demo_store_path, tmp_path):
    with pytest.raises(InvalidInput, match="the store itself"):
        write_backup(demo_store, demo_store_path)
    with pytest.raises(InvalidInput, match="is a folder"):
        write_backup(demo_store, tmp_path)


def test_backup_cannot_be_taken_inside_a_transaction(demo_store, tmp_path):
    with demo_store.transaction(), pytest.raises(InvalidInput, match="inside a transaction"):
        write_backup(demo_store, tmp_path / "backup.duckdb")
    assert not (tmp_path / "backup.duckdb").exists()


@pytest.mark.duckdb_only("about the DuckDB file: its path, its lock, its own COPY FROM DATABASE")
def test_failed_backup_leaves_the_old_file_and_no_half_file(demo_store, tmp_path, monkeypatch):
    backup = tmp_path / "backup.duckdb"
    backup.write_bytes(b"yesterday's backup")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("atlas.backup._row_counts", fail)  # fails after the copy has been written
    with pytest.raises(OSError, match="disk full"):
        write_backup(demo_store, backup)
    assert backup.read_bytes() == b"yesterday's backup"
    assert _leftovers(tmp_path) == []
    # The store's connection is as it was: no backup attached, no transaction open, writes work.
    assert demo_store.con.execute(
        "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'atlas_backup'").fetchone()[0] == 0
    writes.upsert_assets(demo_store, _assets(1), source="after a failed backup")
    monkeypatch.undo()
    assert write_backup(demo_store, backup).row_counts["assets"] == 86


def test_backup_replaces_an_older_backup(demo_store, tmp_path):
    backup = tmp_path / "backup.duckdb"
    first = write_backup(demo_store, backup)
    writes.upsert_assets(demo_store, _assets(2), source="later")
    second = write_backup(demo_store, backup)
    assert second.row_counts["assets"] == first.row_counts["assets"] + 2
    assert second.taken_at > first.taken_at
    assert first.taken_at <= utc_now()


# -- the app holds the store -----------------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from atlas import open_store
    store = open_store(sys.argv[1])
    print("open", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.duckdb_only("about the DuckDB file: its path, its lock, its own COPY FROM DATABASE")
def test_cli_on_a_store_the_app_holds_points_to_the_apps_download(demo_store_path, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(demo_store_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        backup = run_cli("backup", str(tmp_path / "backup.duckdb"), "--db", str(demo_store_path))
        assert backup.exit_code == 1
        assert backup.output.count("\n") == 1
        assert "is open in another program" in backup.output
        assert '"Download a backup"' in backup.output and "Admin page" in backup.output
        assert "stop the app" in backup.output
        assert not (tmp_path / "backup.duckdb").exists()

        other = tmp_path / "other.duckdb"
        with open_store(other):
            pass
        restore = run_cli("restore", str(other), "--db", str(demo_store_path), "--force")
        assert restore.exit_code == 1
        assert "is open in another program" in restore.output and "Stop the app" in restore.output
    finally:
        holder.kill()
        holder.wait()
    with open_store(demo_store_path) as store:
        assert store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 85
    assert _leftovers(tmp_path) == []


def test_cli_backup_prints_what_it_wrote(demo_store_path, tmp_path):
    result = run_cli("backup", str(tmp_path / "backup.duckdb"), "--db", str(demo_store_path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up {demo_store_path} to {tmp_path / 'backup.duckdb'}: ")
    assert "atlas restore" in result.output
    as_json = run_cli("backup", str(tmp_path / "b2.duckdb"), "--db", str(demo_store_path), "--format", "json")
    data = json.loads(as_json.output)
    assert data["row_counts"]["assets"] == 85 and data["schema_version"] == migrations.SCHEMA_VERSION
    assert data["size_bytes"] == (tmp_path / "b2.duckdb").stat().st_size
