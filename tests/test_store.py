"""The store: creation, migrations, refusals, crash safety and the single writer."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest
import shapely

from atlas import migrations, open_store, queries, writes
from atlas.engines.duckdb_file import attach as _attach
from atlas.engines.duckdb_file import load_spatial
from atlas.errors import InvalidInput, NotAnAtlasStore, NotFound, StoreBusy, StoreTooNew
from atlas.store import Store, _migrate


def _digest(path: Path | str) -> str:
    """The file's bytes; for a PostGIS store, which has no file, every table's rows."""
    if isinstance(path, str):  # read around the atlas, which might refuse or upgrade the store
        import psycopg

        with psycopg.connect(path) as con:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")]
            rows = {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
        return hashlib.sha256(repr(rows).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _points(n: int, start: int = 0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"source_id": [str(i) for i in range(start, start + n)],
         "name": [f"group {i}" for i in range(start, start + n)]},
        geometry=[shapely.Point(-1.93 + i * 1e-5, 52.48) for i in range(start, start + n)],
        crs=4326,
    )


def test_new_store_has_current_schema_and_indexes(store_path):
    with open_store(store_path) as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
        indexes = store.engine.index_names(store.con)
        assert {name for name, _, _ in migrations.SPATIAL_INDEXES} <= indexes
    # Reopening an up-to-date store changes nothing.
    before = _digest(store_path)
    with open_store(store_path) as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
    assert _digest(store_path) == before


@pytest.mark.duckdb_only("builds a schema-1 store by hand in a DuckDB file; PostGIS stores begin at schema 8")
def test_older_store_is_upgraded_and_keeps_its_data(store_path):
    con = duckdb.connect()
    load_spatial(con)
    _attach(con, store_path, read_only=False)
    old = Store(con, store_path, read_only=False)
    _migrate(old, target=1)
    writes_v1 = _points(3)
    # Version 1 had no membership tables, so write the rows by hand as v1 code did.
    for row in writes_v1.itertuples():
        con.execute(
            "INSERT INTO assets (name, scale, scale_reason, source, source_id, geom, geom_m) "
            "VALUES (?, 'micro', 'micro', 'v1', ?, ST_GeomFromText(?), ST_GeomFromText(?))",
            [row.name, row.source_id, row.geometry.wkt, "POINT (400000 286000)"],
        )
    old.set_meta("metric_epsg", "27700")
    assert old.schema_version == 1
    old.close()

    with open_store(store_path) as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
        assert store.con.execute("SELECT count(*) FROM assets WHERE source = 'v1'").fetchone()[0] == 3
        assert store.con.execute("SELECT count(*) FROM asset_boundaries").fetchone()[0] == 0


def test_newer_store_is_refused_and_untouched(store_path):
    with open_store(store_path) as store:
        store.set_meta("schema_version", str(migrations.SCHEMA_VERSION + 1))
        store.checkpoint()
    before = _digest(store_path)
    with pytest.raises(StoreTooNew, match="newer Asset Atlas"):
        open_store(store_path)
    assert _digest(store_path) == before


@pytest.mark.parametrize(
    "content",
    [b"", b"name,lon,lat\nHub,-1.9,52.4\n", b"SQLite format 3\x00" + b"\x00" * 200],
    ids=["empty file", "csv", "sqlite"],
)
def test_file_that_is_not_a_store_is_refused_and_untouched(tmp_path, content):
    path = tmp_path / "other.duckdb"
    path.write_bytes(content)
    with pytest.raises(NotAnAtlasStore, match="not an atlas store"):
        open_store(path)
    assert path.read_bytes() == content


def test_duckdb_file_of_another_application_is_refused_and_untouched(tmp_path):
    path = tmp_path / "sales.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (id INT, amount DOUBLE); INSERT INTO sales VALUES (1, 9.5)")
    con.close()
    before = _digest(path)
    with pytest.raises(NotAnAtlasStore, match="holds sales"):
        open_store(path)
    assert _digest(path) == before


def test_missing_store_without_create(tmp_path):
    with pytest.raises(NotFound, match="atlas init"):
        open_store(tmp_path / "nowhere.duckdb", create=False)
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_failed_write_leaves_store_as_it_was(empty_store):
    writes.upsert_assets(empty_store, _points(5), source="register")
    bad = _points(5, start=3)
    bad.loc[bad.index[-1], "name"] = None  # the last row is bad
    with pytest.raises(InvalidInput, match="row 4: name is empty"):
        writes.upsert_assets(empty_store, bad, source="register")
    names = [r[0] for r in empty_store.con.execute("SELECT name FROM assets ORDER BY id").fetchall()]
    assert names == [f"group {i}" for i in range(5)]


def test_error_inside_a_transaction_rolls_back_every_step(empty_store):
    with pytest.raises(RuntimeError):
        with empty_store.transaction():
            writes.upsert_assets(empty_store, _points(2), source="a")
            writes.upsert_assets(empty_store, _points(2, start=10), source="b")
            raise RuntimeError("power cut")
    assert empty_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 0


_CHILD = textwrap.dedent(
    """
    import sys, time
    import geopandas as gpd, shapely
    from atlas import open_store, writes
    store = open_store(sys.argv[1])
    def batch(start, n):
        return gpd.GeoDataFrame(
            {"source_id": [str(i) for i in range(start, start + n)], "name": ["kept"] * n},
            geometry=[shapely.Point(-1.93 + i * 1e-6, 52.48) for i in range(start, start + n)], crs=4326)
    writes.upsert_assets(store, batch(0, 500), source="first")   # committed, still in the WAL
    print("committed", flush=True)
    with store.transaction():
        writes.upsert_assets(store, batch(1000, 500), source="second")
        print("writing", flush=True)
        time.sleep(60)
    """
)


@pytest.mark.duckdb_only("about DuckDB's write-ahead log beside the file")
def test_store_killed_mid_write_reopens_with_committed_rows(store_path):
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(store_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "committed"
        assert child.stdout.readline().strip() == "writing"
        assert Path(f"{store_path}.wal").exists(), "the committed batch should still be in the WAL"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with open_store(store_path) as store:
        counts = dict(store.con.execute("SELECT source, count(*) FROM assets GROUP BY source").fetchall())
        assert counts == {"first": 500}
        # The replayed R-tree answers spatial queries.
        hits = queries.nearby(store, "-1.93,52.48", 50)
        assert len(hits.assets) > 0


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from atlas import open_store
    store = open_store(sys.argv[1])
    print("open", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.duckdb_only("one writer at a time is the DuckDB file's rule")
def test_second_writer_is_told_who_holds_the_store(store_path):
    open_store(store_path).close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(store_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreBusy, match="open in another program"):
            open_store(store_path)
    finally:
        holder.kill()
        holder.wait()
    open_store(store_path).close()


def test_metric_crs_is_fixed_once_data_is_in(empty_store):
    writes.upsert_assets(empty_store, _points(1), source="a")
    assert empty_store.metric_epsg == 27700
    with pytest.raises(ValueError, match="already holds data"):
        empty_store.set_metric_crs(32632)


def test_metric_crs_outside_britain_is_the_utm_zone(empty_store):
    berlin = gpd.GeoDataFrame({"source_id": ["1"], "name": ["Kiez"]}, geometry=[shapely.Point(13.4, 52.52)], crs=4326)
    writes.upsert_assets(empty_store, berlin, source="b")
    assert empty_store.metric_epsg == 32633


def test_env_var_names_the_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DB", str(tmp_path / "from-env.duckdb"))
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.path == tmp_path / "from-env.duckdb"
    assert (tmp_path / "from-env.duckdb").exists()


def test_spatial_falls_back_to_duckdbs_own_install(monkeypatch, tmp_path):
    """Without the wheel, INSTALL spatial is tried; here it finds the extension already in
    DuckDB's extension folder, as it would after a first online install."""
    from duckdb_extensions import import_extension

    import_extension("spatial", con=duckdb.connect())  # puts the extension in DuckDB's folder
    monkeypatch.setitem(sys.modules, "duckdb_extensions", None)
    con = duckdb.connect()
    load_spatial(con)
    assert con.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone()[0] == "POINT (1 2)"


def test_no_spatial_anywhere_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "duckdb_extensions", None)
    con = duckdb.connect()
    con.execute("SET extension_directory = ?", [str(tmp_path / "no-extensions")])
    con.execute("SET custom_extension_repository = 'http://127.0.0.1:9'")
    from atlas.errors import SpatialExtensionMissing

    with pytest.raises(SpatialExtensionMissing, match=r"pip install duckdb==[\d.]+ duckdb-extension-spatial=="):
        load_spatial(con)


def test_bulk_load_rebuilds_indexes_and_a_store_without_them_gets_them_back(store_path):
    with open_store(store_path) as store:
        with store.bulk_load():
            writes.upsert_assets(store, _points(50), source="bulk")
            spatial = {name for name, _, _ in migrations.SPATIAL_INDEXES}
            assert not spatial & store.engine.index_names(store.con), "indexes are dropped while loading"
        assert spatial <= store.engine.index_names(store.con)
        # As if the process died between the load's commit and the index build:
        store.con.execute("DROP INDEX assets_geom_m_rtree")
        store.checkpoint()
    with open_store(store_path) as store:
        names = store.engine.index_names(store.con)
        assert "assets_geom_m_rtree" in names
        assert len(queries.nearby(store, "-1.93,52.48", 100).assets) == 50
