"""A snapshot of what map aggregates read, in plain columns: quick views of large stores.

A view over budget aggregates over all it holds (:func:`atlas.map_contents.map_contents`);
reading a million geometries for that takes seconds, reading plain columns tens of
milliseconds. The index lives in temporary tables of the store's connection, so it works
on read-only stores and vanishes when the store is closed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from atlas.store import Store

INDEX_FROM_ROWS = 50_000
"""Assets plus features above which a :class:`ViewIndex` pays for itself."""

ASSETS_IN_BOX_SQL = "a.x BETWEEN ? AND ? AND a.y BETWEEN ? AND ?"
"""Index assets (alias ``a``) in a box; parameters west, east, south, north."""

FEATURES_OVERLAPPING_SQL = "a.maxx >= ? AND a.minx <= ? AND a.maxy >= ? AND a.miny <= ?"
"""Index features (alias ``a``) whose bounding box overlaps a box; parameters west, east, south, north."""


@dataclass(frozen=True)
class ViewIndex:
    """Plain columns of every asset (what a marker shows: name, position, scale, sector,
    category, verified on) and every feature (area and bounding box), copied into
    temporary tables of the store's connection by :func:`build_view_index`.

    The index is a snapshot: build a new one after the store is written (and
    :func:`drop_view_index` the old one). Without an index
    :func:`~atlas.map_contents.map_contents` gives the same answers, slower.
    """

    assets_table: str
    features_table: str


def wants_index(store: Store) -> bool:
    """Whether the store is large enough for map views to use a :class:`ViewIndex`."""
    n = store.con.execute("SELECT (SELECT count(*) FROM assets) + (SELECT count(*) FROM features)").fetchone()[0]
    return n >= INDEX_FROM_ROWS


def build_view_index(store: Store) -> ViewIndex:
    """Copy what map aggregates need into temporary tables (works on read-only stores).
    Rows are ordered by position so that DuckDB's zone maps skip most of them for a
    small view."""
    token = uuid.uuid4().hex[:12]
    assets_table, features_table = f"temp.main.view_assets_{token}", f"temp.main.view_features_{token}"
    con = store.con
    con.execute(
        f"CREATE TEMP TABLE view_assets_{token} AS "
        "SELECT id, name, ST_X(geom) AS x, ST_Y(geom) AS y, scale, sector, category, verified_on "
        "FROM assets ORDER BY round(ST_Y(geom), 2), ST_X(geom)"
    )
    con.execute(
        f"CREATE TEMP TABLE view_features_{token} AS "
        "SELECT id, area_m2, ST_XMin(geom) AS minx, ST_YMin(geom) AS miny, ST_XMax(geom) AS maxx, "
        "ST_YMax(geom) AS maxy FROM features ORDER BY round(ST_YMin(geom), 2), ST_XMin(geom)"
    )
    return ViewIndex(assets_table, features_table)


def drop_view_index(store: Store, index: ViewIndex) -> None:
    for table in (index.assets_table, index.features_table):
        if not table.startswith("temp.main.view_"):  # names come from build_view_index only
            raise ValueError(f"not a view index table: {table}")
        store.con.execute(f"DROP TABLE IF EXISTS {table}")
