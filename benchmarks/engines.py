"""The two engines for a benchmark: a fresh DuckDB file, or a fresh database on a PostGIS
server, so a benchmark runs the same code on both and prints them side by side.

``--server-url`` takes a URL whose account may create databases (``eval "$(.ci/postgis
start)"`` gives one in ``$ATLAS_TEST_POSTGRES``, which is the default).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def engines(server_url: str | None) -> list[str]:
    return ["duckdb", "postgis"] if server_url else ["duckdb"]


def default_server_url() -> str | None:
    return os.environ.get("ATLAS_TEST_POSTGRES")


@contextlib.contextmanager
def fresh_store(engine: str, work: Path, name: str, server_url: str | None = None) -> Iterator[str]:
    """A new, empty store's location (a file path or a database URL), removed afterwards."""
    if engine == "duckdb":
        path = work / f"{name}.duckdb"
        path.unlink(missing_ok=True)
        try:
            yield str(path)
        finally:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
        return
    import psycopg

    if not server_url:
        raise SystemExit("a PostGIS run needs --server-url (or $ATLAS_TEST_POSTGRES)")
    database = f"bench_{name}_{uuid.uuid4().hex[:8]}".lower()
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {database}")
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{database}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
