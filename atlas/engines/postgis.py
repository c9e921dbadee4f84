"""The PostGIS engine: an atlas store in a PostgreSQL database with PostGIS.

:class:`PostgisConnection` offers the few calls the store makes of a DuckDB connection
(``execute``, ``executemany``, ``register`` of an Arrow table, ``fetchnumpy``), so the
atlas's SQL is written once, in DuckDB's dialect, and translated by
:mod:`atlas.engines.postgis_dialect`. Many programs may hold the same database at once:
PostgreSQL's own locking replaces DuckDB's single writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
from psycopg.types.json import set_json_loads

from atlas.engines import plain_bytes
from atlas.engines import shown_url as shown
from atlas.engines.postgis_dialect import bind, translate
from atlas.errors import NotAnAtlasStore, SpatialExtensionMissing

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EXTENSION_TABLES = {"spatial_ref_sys"}
"""Tables PostGIS itself puts in the schema; an atlas database may hold them and nothing else."""
_EXTENSIONS = ("postgis", "unaccent")
"""PostGIS, and unaccent for DuckDB's strip_accents (a PostgreSQL contrib module)."""
CHANGES_TABLE = "atlas_changes"
"""One row counting the statements that changed the store, kept by triggers, so an app
process sees that another program wrote (:meth:`PostgisConnection.changes`). The engine's
own: not part of the schema, and not copied by ``atlas copy``."""

_TRACK_CHANGES = f"""
CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (n BIGINT NOT NULL);
INSERT INTO {CHANGES_TABLE} SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM {CHANGES_TABLE});
CREATE OR REPLACE FUNCTION atlas_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {CHANGES_TABLE} SET n = n + 1;
    RETURN NULL;
END $$;
"""


class Result:
    """One statement's result, read as DuckDB's are."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def to_arrow_table(self) -> pa.Table:
        names = [c.name for c in self._cursor.description or ()]
        rows = self.fetchall()
        return pa.table({n: pa.array([plain_bytes(r[i]) for r in rows]) for i, n in enumerate(names)})

    fetch_arrow_table = arrow = to_arrow_table

    def df(self) -> Any:
        return self.to_arrow_table().to_pandas(date_as_object=False)  # as DuckDB gives dates

    def fetchnumpy(self) -> dict[str, np.ndarray]:
        names = [c.name for c in self._cursor.description or ()]
        rows = self.fetchall()
        return {n: np.array([r[i] for r in rows], dtype=object) for i, n in enumerate(names)}


def _pg_type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return "text"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "double precision"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "bytea"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _pg_type(t.value_type) + "[]"
    if pa.types.is_dictionary(t):
        return _pg_type(t.value_type)
    raise TypeError(f"no PostgreSQL type for Arrow {t}")


class PostgisConnection:
    """A psycopg connection that speaks to the store as a DuckDB connection would."""

    def __init__(self, pg: psycopg.Connection[Any]) -> None:
        self._pg = pg

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Result:
        cursor = self._pg.cursor()
        values = bind(params)
        for statement in translate(sql):
            cursor.execute(statement, values)
        return Result(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        (statement,) = translate(sql)
        with self._pg.cursor() as cursor:
            cursor.executemany(statement, [bind(r) for r in rows])

    def register(self, name: str, data: object) -> None:
        """``data`` (an Arrow table or a pandas frame) as a temporary table ``name``."""
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a table name: {name!r}")
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        columns = ", ".join(f'"{f.name}" {_pg_type(f.type)}' for f in table.schema)
        with self._pg.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cursor.execute(f"CREATE TEMP TABLE {name} ({columns})")
            names = ", ".join(f'"{f.name}"' for f in table.schema)
            with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True):
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {name}")  # autovacuum never sees temporary tables

    def unregister(self, name: str) -> None:
        if _IDENTIFIER.match(name):
            self._pg.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")

    def close(self) -> None:
        self._pg.close()

    # -- what differs from DuckDB, beside the SQL ------------------------------------
    def table_names(self) -> set[str]:
        rows = self._pg.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        ).fetchall()
        return {r[0] for r in rows} - _EXTENSION_TABLES - {CHANGES_TABLE}

    def track_changes(self) -> None:
        """Count every change to every atlas table (idempotent; run after migrations, so
        tables a migration added are counted too). The count is a row, not a sequence, so
        a reader never sees it move before the change it counts is committed.

        Only missing triggers are made, one program at a time: making a trigger locks its
        table against writes, so replacing them all on every open deadlocked with other
        programs' writes (benchmarks/concurrency.py)."""
        if not self._untracked_tables():
            return
        with self._pg.transaction():
            self._pg.execute("SELECT pg_advisory_xact_lock(hashtext('atlas: track changes'))")
            self._pg.execute(_TRACK_CHANGES)
            for table in sorted(self._untracked_tables()):
                self._pg.execute(
                    f"CREATE OR REPLACE TRIGGER atlas_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION atlas_count_change()"
                )

    def _untracked_tables(self) -> set[str]:
        rows = self._pg.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'atlas_changed' AND c.relnamespace = current_schema()::regnamespace"
        ).fetchall()
        return self.table_names() - {r[0] for r in rows}

    def changes(self) -> int:
        row = self._pg.execute(f"SELECT n FROM {CHANGES_TABLE}").fetchone()
        return int(row[0]) if row else 0

    def index_names(self) -> set[str]:
        rows = self._pg.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()
        return {r[0] for r in rows}


def connect(url: str) -> PostgisConnection:
    """Connect to the database at ``url`` and make sure PostGIS is in it."""
    try:
        pg = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise NotAnAtlasStore(f"Could not connect to the PostgreSQL database {shown(url)}: {exc}".strip()) from exc
    # json values come back as text, as DuckDB gives them; the callers parse them.
    set_json_loads(lambda data: data.decode() if isinstance(data, bytes | bytearray) else data, pg)
    try:
        present = {r[0] for r in pg.execute("SELECT extname FROM pg_extension").fetchall()}
        for extension in _EXTENSIONS:
            if extension not in present:
                pg.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    except psycopg.Error as exc:
        pg.close()
        raise SpatialExtensionMissing(
            f"The database {shown(url)} lacks PostGIS or unaccent and this account cannot add them "
            f"({exc}). Ask its administrator to run: CREATE EXTENSION postgis; CREATE EXTENSION unaccent;"
        ) from exc
    return PostgisConnection(pg)
