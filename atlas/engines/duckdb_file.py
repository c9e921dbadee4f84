"""The DuckDB engine: an atlas store in one DuckDB file, with DuckDB's spatial extension.

The spatial extension is loaded *before* the file is attached, so a write-ahead log that
holds R-tree index changes can always be replayed. One program at a time may write to
the file; another gets :class:`~atlas.errors.StoreBusy`, which names it where it can.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb

from atlas.errors import NotAnAtlasStore, SpatialExtensionMissing, StoreBusy

log = logging.getLogger(__name__)

CATALOG = "atlas"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_HOLDER = re.compile(r"\(PID (\d+)\)")


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB's spatial extension into ``con``, offline if at all possible.

    First from the ``duckdb-extension-spatial`` wheel (no network), then by DuckDB's own
    ``INSTALL spatial`` (needs the extension repository), else one clear error.
    """
    wheel_error: Exception | None = None
    try:
        from duckdb_extensions import import_extension

        import_extension("spatial", con=con)
        con.execute("LOAD spatial")
        return
    except (ImportError, duckdb.Error) as exc:
        wheel_error = exc
    try:
        con.execute("INSTALL spatial")
        con.execute("LOAD spatial")
        log.info("spatial extension installed by DuckDB (wheel unavailable: %s)", wheel_error)
    except duckdb.Error as exc:
        raise SpatialExtensionMissing(
            f"DuckDB's spatial extension is not available ({exc}). Install it with: "
            f"pip install duckdb=={duckdb.__version__} duckdb-extension-spatial=={duckdb.__version__} "
            f"duckdb-extensions=={duckdb.__version__}"
        ) from exc


def looks_like_duckdb(path: Path) -> bool:
    with path.open("rb") as fh:
        header = fh.read(12)
    return len(header) == 12 and header[8:12] == _DUCKDB_MAGIC


ROW_GROUP_ROWS = 16_384
"""Rows per row group written (DuckDB's default is 122,880); issue 11. A scan skips a row
group whose minimum and maximum rule it out, and nearby() filters features and assets,
kept in Hilbert order (atlas.spatial_order), on their bounding-box columns: a smaller row
group covers a smaller patch of the map, so a query at a busy site of a million-feature
atlas reads a fifth as many rows and takes about half the time (benchmarks/nearby.py).
It applies to row groups written from now on; 8,192 did no better, 32,768 worse."""


def attach(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
    options = " (READ_ONLY)" if read_only else f" (ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
    try:
        # The path cannot be a bound parameter in ATTACH; it is quoted as a string literal.
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"ATTACH {literal} AS {CATALOG}{options}")
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise StoreBusy(
                f"The atlas store {path} is open in another program ({holder(message)}). "
                "Close that program, or use the app, or point this command at another store with --db. "
                "A store on a PostGIS server can be used by many programs at once (see the README)."
            ) from exc
        raise NotAnAtlasStore(f"{path} could not be opened as an atlas store: {message}") from exc
    except duckdb.Error as exc:
        raise NotAnAtlasStore(f"{path} could not be opened as an atlas store: {exc}") from exc
    con.execute(f"USE {CATALOG}")




def holder(message: str) -> str:
    """Who holds the file, from DuckDB's lock error ("... (PID 1234) ..."): the program's
    command line where this machine can read it, else its process number."""
    found = _HOLDER.search(message)
    if found is None:
        return "probably the Asset Atlas app"
    pid = found.group(1)
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"process {pid}"
    words = [Path(a.decode(errors="replace")).name if i == 0 else a.decode(errors="replace")
             for i, a in enumerate(argv[:4]) if a]
    program = " ".join(" ".join(words).split())  # one line, however the program was started
    program = program if len(program) <= 80 else program[:79] + "…"
    if "streamlit" in program:
        return f"the Asset Atlas app, process {pid}"
    return f"process {pid}: {program}" if program else f"process {pid}"
