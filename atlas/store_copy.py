"""Copy a whole store from one engine to the other: ``atlas copy --from SOURCE --to TARGET``.

Every table is copied as it is (settings, plan versions, ideas, users, the audit trail),
ids included, in one transaction on the target, so a copy is all or nothing. Geometry
travels as WKB; every other value keeps its type, read from the source's own column
types. The target must be a new or empty store of the same schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from atlas.engines import plain_bytes
from atlas.errors import InvalidInput
from atlas.spatial_order import META_PREFIX
from atlas.store import Store

BATCH_ROWS = 50_000
"""Rows read and written at a time: enough to keep the copy fast, few enough to keep a
million-row store's copy within memory."""

_ARROW_TYPES: dict[str, pa.DataType] = {
    "bigint": pa.int64(), "integer": pa.int64(), "int8": pa.int64(), "int4": pa.int64(),
    "double": pa.float64(), "double precision": pa.float64(), "float8": pa.float64(),
    "varchar": pa.string(), "text": pa.string(), "character varying": pa.string(),
    "boolean": pa.bool_(), "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"), "timestamp without time zone": pa.timestamp("us"),
    "geometry": pa.binary(), "blob": pa.binary(), "bytea": pa.binary(),
    "json": pa.string(),
}
_SEQUENCE = re.compile(r"nextval\('([A-Za-z_][A-Za-z0-9_]*)'")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    """The source's type, lower case, arrays as ``varchar[]``."""
    default: str | None

    @property
    def geometry(self) -> bool:
        return self.type == "geometry"

    @property
    def arrow(self) -> pa.DataType:
        if self.type.endswith("[]"):
            return pa.list_(_ARROW_TYPES[self.type[:-2]])
        try:
            return _ARROW_TYPES[self.type]
        except KeyError:
            raise InvalidInput(f"Column {self.name} has a type the copy does not know: {self.type}.") from None


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def columns(store: Store, table: str) -> list[Column]:
    """``table``'s columns in order, with their types as the engine names them."""
    if store.engine.name == "postgis":
        sql = ("SELECT column_name, CASE WHEN data_type = 'ARRAY' THEN substr(udt_name, 2) || '[]' "
               "WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END, column_default "
               "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? "
               "ORDER BY ordinal_position")
    else:
        sql = ("SELECT column_name, data_type, column_default FROM information_schema.columns "
               "WHERE table_catalog = 'atlas' AND table_schema = 'main' AND table_name = ? ORDER BY ordinal_position")
    rows = store.con.execute(sql, [table]).fetchall()
    return [Column(name=n, type=t.lower(), default=d) for n, t, d in rows]


def _holds_rows(store: Store) -> list[str]:
    return [t for t in sorted(store.engine.table_names(store.con)) if t != "atlas_meta"
            and store.con.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]]


def copy_store(source: Store, target: Store, *,
               progress: Callable[[str, int], None] = lambda table, rows: None) -> CopyReport:
    """Copy every table of ``source`` into the empty store ``target``."""
    if source.schema_version != target.schema_version:
        raise InvalidInput(f"{source.location} is at schema {source.schema_version} and {target.location} at "
                           f"{target.schema_version}; open the older one once with this Asset Atlas to upgrade it.")
    occupied = _holds_rows(target)
    if occupied:
        raise InvalidInput(f"{target.location} already holds data ({', '.join(occupied[:4])}); "
                           "copy into a new, empty store.")
    report = CopyReport(source=source.location, target=target.location)
    tables = sorted(source.engine.table_names(source.con))
    with target.bulk_load():
        for table in tables:
            report.rows[table] = _copy_table(source, target, table, columns(source, table))
            progress(table, report.rows[table])
        for table in tables:
            _advance_sequences(target, table, columns(target, table))
    return report


def _copy_table(source: Store, target: Store, table: str, cols: list[Column]) -> int:
    if table == "atlas_meta":
        # Settings travel; an engine's own bookkeeping (when a DuckDB table was last put
        # in Hilbert order) does not: the target keeps its own.
        rows = source.con.execute("SELECT key, value FROM atlas_meta WHERE NOT starts_with(key, ?)",
                                  [META_PREFIX]).fetchall()
        for key, value in rows:
            target.set_meta(key, value)
        return len(rows)
    names = ", ".join(c.name for c in cols)
    read = ", ".join(f"ST_AsWKB({c.name}) AS {c.name}" if c.geometry else c.name for c in cols)
    write = ", ".join(f"ST_GeomFromWKB({c.name})" if c.geometry else c.name for c in cols)
    schema = pa.schema([(c.name, c.arrow) for c in cols])
    cursor = source.con.execute(f"SELECT {read} FROM {table}")
    copied = 0
    while batch := cursor.fetchmany(BATCH_ROWS):
        data = pa.table(
            [pa.array([plain_bytes(row[i]) for row in batch], type=schema.field(i).type) for i in range(len(cols))],
            schema=schema,
        )
        target.con.register("_copy_rows", data)
        try:
            target.con.execute(f"INSERT INTO {table} ({names}) SELECT {write} FROM _copy_rows")
        finally:
            target.con.unregister("_copy_rows")
        copied += len(batch)
    return copied


def _advance_sequences(target: Store, table: str, cols: list[Column]) -> None:
    """Move each id sequence past the ids copied, so the next row gets a new one."""
    for c in cols:
        found = _SEQUENCE.search(c.default or "")
        if not found:
            continue
        top = target.con.execute(f"SELECT max({c.name}) FROM {table}").fetchone()[0]
        if top is None:
            continue
        if target.engine.name == "postgis":
            target.con.execute("SELECT setval(?, ?)", [found.group(1), int(top)])
        else:
            # DuckDB cannot set a sequence: draw from it until it is past the ids copied.
            target.con.execute(f"SELECT max(nextval('{found.group(1)}')) FROM range(?)", [int(top)])
