"""Where a store lives: a DuckDB file (the default) or a PostgreSQL database with PostGIS.

The atlas's SQL is written once, in DuckDB's dialect. :class:`Engine` holds the little
that differs beside the SQL: how a spatial index is made, what settles the data after a
bulk load, which tables and indexes exist, and whether one program at a time may write.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit, urlunsplit

import duckdb

URL_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(target: object) -> TypeGuard[str]:
    """Whether ``target`` names a PostGIS database rather than a DuckDB file."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def shown_url(url: str) -> str:
    """``url`` fit to print: its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def plain_bytes(value: object) -> object:
    """A binary value as ``bytes``, whichever buffer type the engine's driver gave."""
    return bytes(value) if isinstance(value, bytearray | memoryview) else value


def constraint_errors() -> tuple[type[Exception], ...]:
    """The errors of a key or check that refused a row, on either engine. psycopg is only
    loaded once a PostGIS store is opened (it and sqlglot cost every command half a
    second); before that, none of its errors can happen."""
    psycopg = sys.modules.get("psycopg")
    return (duckdb.ConstraintException, psycopg.IntegrityError) if psycopg else (duckdb.ConstraintException,)


@dataclass(frozen=True)
class Engine:
    name: str
    """``duckdb`` or ``postgis``."""
    index_method: str
    settle_sql: str
    """Run after a bulk load: DuckDB writes its file, PostgreSQL refreshes its statistics."""
    single_writer: bool

    def spatial_index_sql(self, name: str, table: str, column: str) -> str:
        return f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING {self.index_method} ({column})"

    def table_names(self, con: Any) -> set[str]:
        if self.name == "postgis":
            return con.table_names()
        from atlas.engines.duckdb_file import CATALOG

        rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [CATALOG]).fetchall()
        return {r[0] for r in rows}

    def index_names(self, con: Any) -> set[str]:
        if self.name == "postgis":
            return con.index_names()
        from atlas.engines.duckdb_file import CATALOG

        rows = con.execute("SELECT index_name FROM duckdb_indexes() WHERE database_name = ?", [CATALOG]).fetchall()
        return {r[0] for r in rows}


DUCKDB = Engine(name="duckdb", index_method="RTREE", settle_sql="CHECKPOINT", single_writer=True)
POSTGIS = Engine(name="postgis", index_method="GIST", settle_sql="ANALYZE", single_writer=False)
