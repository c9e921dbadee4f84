"""The atlas store: one DuckDB file with the spatial extension.

:func:`open_store` is the only way in. It loads the spatial extension *before* attaching
the file, so a write-ahead log that holds R-tree index changes can always be replayed,
and it upgrades an older schema, refuses a newer one and never touches a file that is
not an atlas store.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from atlas import migrations, settings
from atlas.classify import Thresholds
from atlas.errors import NotAnAtlasStore, NotFound, SpatialExtensionMissing, StoreBusy, StoreTooNew

log = logging.getLogger(__name__)
T = TypeVar("T")

_CATALOG = "atlas"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


def utc_now() -> datetime:
    """Now, as the store keeps every time: UTC, without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class StoreSettings:
    """Per-store settings. ``metric_epsg`` is None until the store is first filled."""

    metric_epsg: int | None
    thresholds: Thresholds
    place: str | None


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


class Store:
    """An open atlas store. Use :func:`open_store` to get one; close it when done."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self._tx_depth = 0

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None  # type: ignore[assignment]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: commit when the block ends, roll back if it raises. Nests."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield self
            finally:
                self._tx_depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield self
        except BaseException:
            self._tx_depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._tx_depth = 0
        self.con.execute("COMMIT")

    @contextlib.contextmanager
    def bulk_load(self) -> Iterator[Store]:
        """A transaction for large writes, with the R-tree indexes dropped before it and
        rebuilt after it, committed or rolled back (far quicker than updating them row by
        row), then the file is checkpointed. The rows stay all or nothing; the indexes are
        derived data. Dropped inside the transaction, they make DuckDB's COMMIT a quarter
        slower (benchmarks/import.py); built inside it, an index would cover a table that
        still looks empty to it and be filled row by row at COMMIT."""
        if self._tx_depth:  # already inside a transaction: indexes cannot leave it
            with self.transaction():
                yield self
            return
        self._drop_spatial_indexes()
        try:
            with self.transaction():
                yield self
        except BaseException:
            # Rebuilt on the way out too, but never in place of the error that stopped the
            # load; whatever is still missing, the next open_store() rebuilds.
            with contextlib.suppress(Exception):
                self._create_spatial_indexes()
            raise
        self._create_spatial_indexes()
        self.checkpoint()

    def checkpoint(self) -> None:
        if not self._tx_depth:
            self.con.execute("CHECKPOINT")

    def _drop_spatial_indexes(self) -> None:
        for name, _table, _column in migrations.SPATIAL_INDEXES:
            self.con.execute(f"DROP INDEX IF EXISTS {name}")

    def _create_spatial_indexes(self) -> None:
        for name, table, column in migrations.SPATIAL_INDEXES:
            self.con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING RTREE ({column})")

    # -- reading records ---------------------------------------------------------------
    def records(self, cls: type[T], sql: str, params: Sequence[object] = ()) -> list[T]:
        """Rows of ``sql`` as ``cls`` instances, each field filled from the column of its
        name (so a column added to a query cannot shift the fields after it)."""
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [cls(**dict(zip(names, row))) for row in cursor.fetchall()]

    # -- settings ------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM atlas_meta WHERE key = ?", [key]).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        self.con.execute(
            "INSERT INTO atlas_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @property
    def schema_version(self) -> int:
        return int(self.meta("schema_version") or 0)

    @property
    def settings(self) -> StoreSettings:
        rows = dict(self.con.execute("SELECT key, value FROM atlas_meta").fetchall())
        epsg = rows.get("metric_epsg")
        return StoreSettings(
            metric_epsg=int(epsg) if epsg else None,
            thresholds=Thresholds(
                employees=int(rows.get("macro_employees", settings.MACRO_EMPLOYEES)),
                spend=float(rows.get("macro_spend", settings.MACRO_SPEND)),
                land_ha=float(rows.get("macro_land_ha", settings.MACRO_LAND_HA)),
                currency=rows.get("currency", settings.CURRENCY),
            ),
            place=rows.get("place"),
        )

    @property
    def metric_epsg(self) -> int:
        """The metric CRS of every distance and area; fixed when the store is first filled."""
        epsg = self.settings.metric_epsg
        if epsg is None:
            raise NotFound("This atlas is empty: load the demo (atlas demo) or import a file first.")
        return epsg

    def set_metric_crs(self, epsg: int) -> None:
        """Fix the metric CRS. Only allowed while the store holds no geometry, because every
        stored ``geom_m`` is in it."""
        current = self.settings.metric_epsg
        if current == epsg:
            return
        if current is not None and self._holds_geometry():
            raise ValueError(
                f"This atlas measures in EPSG:{current} and already holds data; "
                f"start a new store to measure in EPSG:{epsg}."
            )
        self.set_meta("metric_epsg", str(epsg))

    def _holds_geometry(self) -> bool:
        return any(
            self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]
            for t in ("features", "assets", "boundaries")
        )

    def set_place(self, place: str) -> None:
        self.set_meta("place", place)


def _looks_like_duckdb(path: Path) -> bool:
    with path.open("rb") as fh:
        header = fh.read(12)
    return len(header) == 12 and header[8:12] == _DUCKDB_MAGIC


def open_store(path: str | Path | None = None, *, create: bool = True, read_only: bool = False) -> Store:
    """Open (and if need be create or upgrade) the atlas store at ``path``.

    ``path`` defaults to ``$ATLAS_DB`` or ``data/atlas.duckdb``. Raises
    :class:`NotAnAtlasStore` for any other file (which is left untouched),
    :class:`StoreTooNew` for a store from a newer Asset Atlas, :class:`StoreBusy` when
    another program holds it, and :class:`NotFound` when it is missing and ``create`` is
    false.
    """
    path = Path(path) if path is not None else settings.default_db_path()
    if path.exists():
        if path.is_dir() or path.stat().st_size == 0 or not _looks_like_duckdb(path):
            raise NotAnAtlasStore(f"{path} is not an atlas store (not a DuckDB database); it was left as it is.")
    elif not create or read_only:
        raise NotFound(f"There is no atlas store at {path}. Create one with: atlas init --db {path}")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)

    replaying_wal = Path(f"{path}.wal").exists()
    con = duckdb.connect(":memory:")
    try:
        load_spatial(con)
        _attach(con, path, read_only)
        store = Store(con, path, read_only)
        _migrate(store)
        if replaying_wal and not read_only:
            _rebuild_spatial_indexes(store)
        elif not read_only and _missing_spatial_indexes(store):
            store._create_spatial_indexes()
            store.checkpoint()
    except BaseException:
        con.close()
        raise
    return store


def _attach(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
    options = " (READ_ONLY)" if read_only else ""
    try:
        # The path cannot be a bound parameter in ATTACH; it is quoted as a string literal.
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"ATTACH {literal} AS {_CATALOG}{options}")
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise StoreBusy(
                f"The atlas store {path} is open in another program (probably the Asset Atlas app). "
                "Close that program, or use the app, or point this command at another store with --db."
            ) from exc
        raise NotAnAtlasStore(f"{path} could not be opened as an atlas store: {message}") from exc
    except duckdb.Error as exc:
        raise NotAnAtlasStore(f"{path} could not be opened as an atlas store: {exc}") from exc
    con.execute(f"USE {_CATALOG}")


def _rebuild_spatial_indexes(store: Store) -> None:
    """After a crash, rebuild the R-tree indexes from the replayed tables.

    DuckDB spatial 1.5.5 replays R-tree changes from a write-ahead log into an index that
    then fails every query and checkpoint ("Operation requires a flat vector",
    duckdb-spatial#861, fixed upstream after that release). The table rows replay
    correctly, so dropping and recreating the indexes restores a healthy store. Each
    statement commits on its own: dropping a broken index inside an explicit transaction
    aborts DuckDB at COMMIT. Interrupted half-way, the next open simply does it again.
    """
    log.warning("store %s was not closed cleanly; rebuilding its spatial indexes", store.path)
    store._drop_spatial_indexes()
    store._create_spatial_indexes()
    store.checkpoint()


def _missing_spatial_indexes(store: Store) -> bool:
    present = {r[0] for r in store.con.execute(
        "SELECT index_name FROM duckdb_indexes() WHERE database_name = ?", [_CATALOG]
    ).fetchall()}
    return any(name not in present for name, _table, _column in migrations.SPATIAL_INDEXES)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [_CATALOG]
    ).fetchall()
    return {r[0] for r in rows}


def _migrate(store: Store, target: int = migrations.SCHEMA_VERSION) -> None:
    tables = _tables(store.con)
    if "atlas_meta" not in tables:
        if tables:
            raise NotAnAtlasStore(
                f"{store.path} is a DuckDB database but not an atlas store "
                f"(it holds {', '.join(sorted(tables)[:5])}); it was left as it is."
            )
        current = 0
    else:
        current = store.schema_version
    if current > migrations.SCHEMA_VERSION:
        raise StoreTooNew(
            f"{store.path} was written by a newer Asset Atlas (schema {current}; this one reads up to "
            f"{migrations.SCHEMA_VERSION}). Upgrade Asset Atlas: pip install --upgrade asset-atlas"
        )
    if current >= target:
        return
    if store.read_only:
        raise StoreTooNew(f"{store.path} needs an upgrade (schema {current} to {target}); open it for writing once.")
    with store.transaction():
        for version in range(current + 1, target + 1):
            step = migrations.MIGRATIONS[version - 1]
            if callable(step):
                step(store.con)
            else:
                store.con.execute(step)
            if version == 1:
                store._create_spatial_indexes()
            store.set_meta("schema_version", str(version))
            log.info("store %s migrated to schema %d", store.path, version)
    store.checkpoint()
