"""Bounding-box columns (atlas.bbox) kept current on every write, and features and assets
kept in Hilbert order (atlas.spatial_order) without losing their schema (issue 11).

Every box is checked against shapely's bounds of the metric geometry read back from the
store, an independent computation of the same four numbers."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity

from atlas import migrations, open_store, register, spatial_order, writes
from atlas.bbox import BBOX_COLUMNS, BBOX_TABLES
from atlas.engines.duckdb_file import attach, load_spatial
from atlas.importers import import_file
from atlas.store import Store, _migrate

BNG = 27700
ORIGIN_E_M, ORIGIN_N_M = 400_000.0, 286_000.0


def _shapes(n: int, rng: np.random.Generator, side_m: float = 3_000.0) -> list[shapely.Geometry]:
    """Points, rotated rectangles, lines and two-part polygons over a ``side_m`` square."""
    xy = rng.uniform(0, side_m, (n, 2)) + (ORIGIN_E_M, ORIGIN_N_M)
    out = []
    for i, (x, y) in enumerate(xy):
        w, h = rng.uniform(3, 60, 2)
        match i % 4:
            case 0:
                out.append(shapely.Point(x, y))
            case 1:
                out.append(shapely.affinity.rotate(shapely.box(x, y, x + w, y + h), rng.uniform(0, 90)))
            case 2:
                out.append(shapely.LineString([(x, y), (x + w, y - h), (x + 2 * w, y)]))
            case _:
                out.append(shapely.MultiPolygon([shapely.box(x, y, x + w, y + h),
                                                 shapely.box(x + 2 * w, y, x + 3 * w, y + h)]))
    return out


def _features(n: int, seed: int = 1, prefix: str = "f") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {"source_id": [f"{prefix}{i}" for i in range(n)], "name": [f"{prefix} {i}" for i in range(n)],
         "kind": rng.choice(["land", "building", "green_space", "water", "other"], n),
         "status": rng.choice(["in_use", "vacant", "disused", "underused", "unknown"], n)},
        geometry=_shapes(n, rng), crs=BNG,
    )


def _assets(n: int, seed: int = 2) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {"source_id": [f"a{i}" for i in range(n)], "name": [f"group {i}" for i in range(n)]},
        geometry=list(shapely.points(rng.uniform(0, 3_000, (n, 2)) + (ORIGIN_E_M, ORIGIN_N_M))), crs=BNG,
    )


def _boxes_are_bounds(store: Store) -> int:
    """Assert that every feature's and asset's box is exactly its metric geometry's bounds;
    returns how many rows were checked."""
    checked = 0
    for table in BBOX_TABLES:
        rows = store.rows(f"SELECT id, ST_AsWKB(geom_m) AS geom_m, {', '.join(BBOX_COLUMNS)} FROM {table}",
                          wkb=("geom_m",))
        if not rows:
            continue
        want = shapely.bounds([r["geom_m"] for r in rows])
        got = np.array([[np.nan if r[c] is None else r[c] for c in BBOX_COLUMNS] for r in rows])
        mismatched = [rows[i]["id"] for i in np.flatnonzero(~(got == want).all(axis=1))]
        assert not mismatched, f"{table}: boxes not the bounds of geom_m for ids {mismatched[:10]}"
        checked += len(rows)
    return checked


@pytest.fixture
def bng_store(empty_store: Store) -> Store:
    empty_store.set_metric_crs(BNG)
    return empty_store


def test_inserts_updates_and_replacements_keep_the_boxes(bng_store):
    store = bng_store
    features = _features(300)
    writes.upsert_features(store, features, source="t")
    assert _boxes_are_bounds(store) == 300
    # A re-import that moves half the shapes and keeps the rest: the moved boxes follow.
    moved = features.copy()
    moved.loc[::2, "geometry"] = moved.geometry[::2].translate(1_500, -700)
    assert writes.upsert_features(store, moved, source="t").updated == 300
    assert _boxes_are_bounds(store) == 300
    # A replacing import: rows gone are gone, rows new get boxes.
    writes.upsert_features(store, _features(120, seed=5), source="t", replace=True)
    assert _boxes_are_bounds(store) == 120


def test_assets_boxes_are_of_the_point_stored(bng_store):
    """Polygons given for assets are stored as a point on their surface and people at their
    neighbourhood: the box is of what is stored, not of what was given."""
    store = bng_store
    assets = _assets(40)
    assets.loc[0, "geometry"] = shapely.box(400_100, 286_100, 400_300, 286_200)
    assets["person"] = [i == 1 for i in range(len(assets))]
    assets["consent_given_by"] = "the person"
    assets["consent_given_on"] = "2025-01-02"
    assets["consent_purpose"] = "listed as a volunteer"
    writes.upsert_assets(store, assets, source="t")
    assert _boxes_are_bounds(store) == 40
    writes.upsert_assets(store, assets.assign(geometry=assets.geometry.translate(250, 250)), source="t")
    assert _boxes_are_bounds(store) == 40
    x, y = store.con.execute("SELECT bbox_xmin, bbox_ymin FROM assets WHERE source_id = 'a0'").fetchone()
    assert shapely.box(400_350, 286_350, 400_550, 286_450).contains(shapely.Point(x, y)), "in the moved polygon"


def test_the_register_keeps_the_boxes(bng_store):
    store = bng_store
    writes.upsert_features(store, _features(5), source="t")  # the atlas's place and metric CRS
    asset_id = register.add_asset(store, register.AssetDraft(name="Corner café", lon=-1.93, lat=52.48), by="test")
    assert _boxes_are_bounds(store) == 6
    register.update_asset(store, asset_id, register.AssetDraft(name="Corner café", lon=-1.91, lat=52.47), by="test")
    assert _boxes_are_bounds(store) == 6
    register.verify_asset(store, asset_id, by="test", on=date(2025, 3, 1))
    assert _boxes_are_bounds(store) == 6


def test_an_import_keeps_the_boxes(bng_store, tmp_path):
    path = tmp_path / "sites.geojson"
    _features(50).to_crs(4326).to_file(path, driver="GeoJSON")
    import_file(store=bng_store, path=path, as_="features", source="file")
    assert _boxes_are_bounds(bng_store) == 50


def test_a_bulk_load_keeps_the_boxes(bng_store):
    with bng_store.bulk_load():
        writes.upsert_features(bng_store, _features(400), source="bulk")
        writes.upsert_assets(bng_store, _assets(60), source="bulk")
    assert _boxes_are_bounds(bng_store) == 460


def test_the_demo_has_boxes(demo_store):
    assert _boxes_are_bounds(demo_store) > 90


def _step_m(store: Store, table: str, order: str) -> float:
    """Mean distance in metres between the centres of consecutive rows in ``order``."""
    rows = store.con.execute(
        f"SELECT (bbox_xmin + bbox_xmax) / 2, (bbox_ymin + bbox_ymax) / 2 FROM {table} ORDER BY {order}"
    ).fetchall()
    return float(np.hypot(*np.diff(np.array(rows), axis=0).T).mean())


def _stored_in_spatial_order(store: Store, table: str) -> bool:
    """True when rows as stored (rowid) are far closer to their neighbours than in id
    order, which is the generated data's random order."""
    return _step_m(store, table, "rowid") < _step_m(store, table, "id") / 4


@pytest.mark.duckdb_only("rows are stored in Hilbert order on DuckDB only")
def test_a_bulk_load_stores_rows_in_hilbert_order_and_keeps_the_table(bng_store):
    store = bng_store
    features = _features(4_000)
    with store.bulk_load():
        writes.upsert_features(store, features, source="bulk")
        writes.upsert_assets(store, _assets(500), source="bulk")
    # Written in random order, consecutive rows lie ~1.5 km apart; in Hilbert order tens of metres.
    assert _stored_in_spatial_order(store, "features") and _stored_in_spatial_order(store, "assets")
    # The table is the same table: keys, checks, defaults, ids and indexes.
    ids = dict(store.con.execute("SELECT source_id, id FROM features").fetchall())
    assert sorted(ids.values()) == list(range(1, 4_001))
    with pytest.raises(duckdb.ConstraintException):
        store.con.execute("INSERT INTO features (kind, source, source_id, geom, geom_m) "
                          "VALUES ('land', 'bulk', 'f1', ST_Point(0, 0), ST_Point(0, 0))")
    with pytest.raises(duckdb.ConstraintException):
        store.con.execute("INSERT INTO features (kind, source, source_id, geom, geom_m) "
                          "VALUES ('castle', 'x', 'y', ST_Point(0, 0), ST_Point(0, 0))")
    writes.upsert_features(store, _features(1, prefix="new"), source="later")
    new_id, status = store.con.execute("SELECT id, status FROM features WHERE source = 'later'").fetchone()
    assert new_id > 4_000 and status == _features(1, prefix="new")["status"].iloc[0]
    indexes = store.engine.index_names(store.con)
    assert {name for name, _t, _c in migrations.SPATIAL_INDEXES} <= indexes


@pytest.mark.duckdb_only("rows are stored in Hilbert order on DuckDB only")
def test_a_small_write_leaves_the_order_and_a_large_one_sorts_again(bng_store):
    store = bng_store
    with store.bulk_load():
        writes.upsert_features(store, _features(2_000), source="bulk")
    assert spatial_order.hilbert_sort(store) == [], "nothing written since the load's own sort"
    writes.upsert_features(store, _features(150, seed=7, prefix="small"), source="small")
    assert spatial_order.hilbert_sort(store) == [], "7% written since: the order is left as it is"
    writes.upsert_features(store, _features(300, seed=8, prefix="large"), source="large")
    assert spatial_order.hilbert_sort(store) == ["features"]
    assert _stored_in_spatial_order(store, "features")
    assert _boxes_are_bounds(store) == 2_450


@pytest.mark.duckdb_only("an upgrade of a DuckDB file from schema 5")
def test_migration_7_fills_the_boxes_of_rows_already_stored(tmp_path):
    """From schema 5, migration 6 updates assets before migration 7 adds their columns in
    the same transaction, which DuckDB 1.5.5 refuses at COMMIT for ALTER TABLE; the columns
    come with a rewrite of the table instead."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect()
    load_spatial(con)
    attach(con, path, read_only=False)
    old = Store(con, path, read_only=False)
    _migrate(old, target=5)
    old.set_meta("metric_epsg", str(BNG))
    # Rows as version 5 code wrote them: no boxes.
    features, assets = _features(500), _assets(80)
    for r, ll in zip(features.itertuples(), features.to_crs(4326).geometry, strict=True):
        con.execute("INSERT INTO features (name, kind, source, source_id, geom, geom_m) "
                    "VALUES (?, ?, 'v5', ?, ST_GeomFromText(?), ST_GeomFromText(?))",
                    [r.name, r.kind, r.source_id, ll.wkt, r.geometry.wkt])
    for r, ll in zip(assets.itertuples(), assets.to_crs(4326).geometry, strict=True):
        con.execute("INSERT INTO assets (name, scale, scale_reason, source, source_id, geom, geom_m) "
                    "VALUES (?, 'micro', 'micro', 'v5', ?, ST_GeomFromText(?), ST_GeomFromText(?))",
                    [r.name, r.source_id, ll.wkt, r.geometry.wkt])
    old.close()

    with open_store(path) as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
        assert _boxes_are_bounds(store) == 580
        assert _stored_in_spatial_order(store, "features") and _stored_in_spatial_order(store, "assets")
        assert {name for name, _t, _c in migrations.SPATIAL_INDEXES} <= store.engine.index_names(store.con)
        table_sql = store.con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'features'").fetchone()[0]
        assert "UNIQUE" in table_sql and "nextval('feature_id_seq')" in table_sql and "CHECK" in table_sql
        meta = json.dumps(dict(store.con.execute("SELECT key, value FROM atlas_meta").fetchall()))
        assert "hilbert_sorted_through:features" in meta
