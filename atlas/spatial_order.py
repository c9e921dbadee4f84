"""Features and assets stored in Hilbert order of their bounding boxes' centres (DuckDB).

DuckDB keeps the minimum and maximum of every column per row group (16,384 rows here,
:data:`atlas.engines.duckdb_file.ROW_GROUP_ROWS`) and per stored segment, and skips one
whose range a filter rules out. With rows in Hilbert order, neighbours on the ground are
neighbours in the file, so each row group covers a small patch of the map and a filter on
the bounding-box columns (:mod:`atlas.bbox`) reads a handful of row groups instead of the
whole table: at a million features the same nearby() query took about ten times as long
on the table in the order it was loaded (benchmarks/nearby.py). The order is an
optimisation only: a row written since the last sort sits at the end of the table and is
found all the same, because the filter reads the columns, not the order.

The sort rewrites a table, so it runs after bulk loads (:meth:`atlas.store.Store.bulk_load`)
and only when enough has been written since the last one (:data:`RESORT_SHARE`). The table
is copied into a new table made from its own ``CREATE TABLE`` statement (keys, checks and
defaults included) in Hilbert order, and swapped in, in one transaction. Deleting and
re-inserting every row in place would keep the table but makes DuckDB 1.5's delete and
COMMIT take minutes at a million rows.

PostgreSQL has no use for it: there nearby() is answered by GiST indexes and ST_DWithin,
so :func:`hilbert_sort` does nothing on a PostGIS store.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from atlas.bbox import BBOX_COLUMNS, BBOX_TABLES

if TYPE_CHECKING:
    from atlas.store import Store

log = logging.getLogger(__name__)

RESORT_SHARE = 0.1
"""Sort a table again once the rows written since its last sort (inserted or updated,
by ``imported_at``) are more than this share of it. Rows out of order cost a query only
a scan of their four box columns (a few milliseconds per 100,000 rows), while a sort
rewrites the whole table (about 20 s for a million features and 50,000 assets on a busy
two-core machine, benchmarks/nearby.py), so a small import into a big atlas leaves the
order as it is."""

META_PREFIX = "hilbert_sorted_through:"
_META_KEY = META_PREFIX + "{table}"
"""atlas_meta key: the latest ``imported_at`` of the table when it was last sorted. The
DuckDB file's own bookkeeping: ``atlas copy`` leaves it behind."""


def hilbert_sort(store: Store, tables: Sequence[str] = BBOX_TABLES, *, force: bool = False) -> list[str]:
    """Rewrite each of ``tables`` in Hilbert order of its rows' bounding-box centres, where
    more than :data:`RESORT_SHARE` of it was written since its last sort (every table
    with ``force``). Returns the tables rewritten. Runs in one transaction (or the
    caller's); a table rewritten has lost its R-tree indexes, which the caller makes
    again after COMMIT (:meth:`atlas.store.Store.bulk_load` does). Does nothing on PostGIS."""
    if store.engine.name != "duckdb":  # PostGIS: GiST indexes answer nearby(); no order to keep
        return []
    done = []
    with store.transaction():
        for table in tables:
            if table not in BBOX_TABLES:
                raise ValueError(f"{table!r} has no bounding-box columns to order it by")
            if force or _needs_sort(store.con, table):
                rewrite_in_order(store.con, table)
                done.append(table)
    return done


def _one_row(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> tuple[Any, ...]:
    """The row of a query that gives exactly one (an aggregate, or a table's definition)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"No row from: {sql}")
    return row


def _needs_sort(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute("SELECT value FROM atlas_meta WHERE key = ?", [_META_KEY.format(table=table)]).fetchone()
    if row is None or row[0] is None:
        return bool(_one_row(con, f"SELECT EXISTS (SELECT 1 FROM {table})")[0])
    rows, since = _one_row(
        con, f"SELECT count(*), count(*) FILTER (WHERE imported_at > CAST(? AS TIMESTAMP)) FROM {table}", [row[0]]
    )
    return since > RESORT_SHARE * rows


# -- DuckDB only --------------------------------------------------------------------------

def rewrite_in_order(con: duckdb.DuckDBPyConnection, table: str, *, add_bbox: bool = False) -> None:
    """Rewrite ``table`` (features or assets) in Hilbert order, inside the caller's
    transaction, keeping its definition and its indexes, except the R-tree indexes: made
    inside the transaction they would be filled row by row at COMMIT, so they are left to
    the store, which makes them after a bulk load and whenever it opens an atlas that
    lacks them (:mod:`atlas.store`). Given a connection rather than
    a store so a migration can call it: with ``add_bbox`` (migration 7) the copy gains
    the bounding-box columns, filled from ``geom_m``, as ``ALTER TABLE ... ADD COLUMN``
    would add them. DuckDB 1.5.5 refuses at COMMIT a column added to a table that was
    updated earlier in the same transaction, as migration 6 updates assets when an
    atlas is upgraded from version 5 or before in one go."""
    ddl = _one_row(
        con, "SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = ?", [table]
    )[0]
    prefix = f"CREATE TABLE {table}("
    if not ddl.startswith(prefix):
        raise RuntimeError(f"Unexpected definition of {table}: {ddl[:80]}")
    rows = table
    if add_bbox:
        rows = (f"(SELECT *, ST_XMin(geom_m) AS bbox_xmin, ST_YMin(geom_m) AS bbox_ymin, "
                f"ST_XMax(geom_m) AS bbox_xmax, ST_YMax(geom_m) AS bbox_ymax FROM {table})")
    extent = _one_row(con, f"SELECT min(bbox_xmin), min(bbox_ymin), max(bbox_xmax), max(bbox_ymax) FROM {rows}")
    if extent[0] is not None or add_bbox:
        indexes = con.execute(
            "SELECT index_name, sql FROM duckdb_indexes() WHERE database_name = current_database() "
            "AND schema_name = current_schema() AND table_name = ?", [table]
        ).fetchall()
        sorted_table = f"_hilbert_{table}"
        for name, _sql in indexes:
            con.execute(f"DROP INDEX {name}")
        con.execute(f"CREATE TABLE {sorted_table}({ddl[len(prefix):]}")
        if add_bbox:
            for column in BBOX_COLUMNS:
                con.execute(f"ALTER TABLE {sorted_table} ADD COLUMN {column} DOUBLE")
        # ST_Hilbert gives a point's position along a Hilbert curve of 65,536 cells a side
        # over the table's extent; rows sharing a cell keep id order.
        con.execute(
            f"INSERT INTO {sorted_table} SELECT * FROM {rows} ORDER BY ST_Hilbert((bbox_xmin + bbox_xmax) / 2, "
            "(bbox_ymin + bbox_ymax) / 2, ST_Extent(ST_MakeEnvelope(?, ?, ?, ?))), id",
            [0.0, 0.0, 1.0, 1.0] if extent[0] is None else list(extent),
        )
        con.execute(f"DROP TABLE {table}")
        con.execute(f"ALTER TABLE {sorted_table} RENAME TO {table}")
        for _name, sql in indexes:
            if "USING RTREE" not in sql.upper():
                con.execute(sql)
        log.info("%s rewritten in Hilbert order", table)
    latest = _one_row(con, f"SELECT CAST(max(imported_at) AS VARCHAR) FROM {table}")[0]
    con.execute(
        "INSERT INTO atlas_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [_META_KEY.format(table=table), latest],
    )
