"""The atlas store: one DuckDB file (the default), or a PostgreSQL database with PostGIS.

:func:`open_store` is the only way in, given a path or a ``postgresql://`` URL. It
upgrades an older schema, refuses a newer one and never touches a file or database that
is not an atlas store. The two engines run the same SQL (:mod:`atlas.engines`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import shapely

from atlas import migrations, settings, spatial_order
from atlas.classify import Thresholds
from atlas.engines import DUCKDB, POSTGIS, Engine, duckdb_file, is_server_url, shown_url
from atlas.errors import NotAnAtlasStore, NotFound, StoreTooNew

log = logging.getLogger(__name__)
T = TypeVar("T")



def utc_now() -> datetime:
    """Now, as the store keeps every time: UTC, without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class StoreSettings:
    """Per-store settings. ``metric_epsg`` is None until the store is first filled."""

    metric_epsg: int | None
    thresholds: Thresholds
    place: str | None
    language: str | None = None
    """The place's default language (a code of atlas.i18n.LANGUAGES); None: English."""


class Store:
    """An open atlas store. Use :func:`open_store` to get one; close it when done."""

    def __init__(self, con: Any, path: Path | None, read_only: bool, *, engine: Engine = DUCKDB,
                 url: str | None = None) -> None:
        self.con = con
        """A DuckDB connection, or a :class:`~atlas.engines.postgis.PostgisConnection`
        that takes the same SQL."""
        self.path = path
        """The DuckDB file; None for a store on a PostGIS server."""
        self.url = url
        self.engine = engine
        self.read_only = read_only
        self._tx_depth = 0

    @property
    def location(self) -> str:
        """Where the store is, fit to print: the file, or the database URL without its password."""
        return str(self.path) if self.url is None else shown_url(self.url)

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

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

    @property
    def in_transaction(self) -> bool:
        return self._tx_depth > 0

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
                # Issue 11 hook (atlas.spatial_order): on DuckDB, features and assets put
                # back in Hilbert order for nearby(), in the load's own transaction and
                # before the R-trees are made; a no-op on PostGIS.
                spatial_order.hilbert_sort(self)
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
            self.con.execute(self.engine.settle_sql)

    def _drop_spatial_indexes(self) -> None:
        for name, _table, _column in migrations.SPATIAL_INDEXES:
            self.con.execute(f"DROP INDEX IF EXISTS {name}")

    def _create_spatial_indexes(self) -> None:
        for name, table, column in migrations.SPATIAL_INDEXES:
            self.con.execute(self.engine.spatial_index_sql(name, table, column))

    @contextlib.contextmanager
    def exclusive(self, what: str) -> Iterator[Store]:
        """One program at a time through the block, for work that must not run twice at
        once (setting up a new store, loading the demo into an empty one). A DuckDB file
        has one writer already; on PostGIS, a session advisory lock named ``what``."""
        if self.engine is not POSTGIS:
            yield self
            return
        self.con.execute("SELECT pg_advisory_lock(hashtext(?))", [what])
        try:
            yield self
        finally:
            self.con.execute("SELECT pg_advisory_unlock(hashtext(?))", [what])

    def changes(self) -> int:
        """How many changes other programs may have made: on PostGIS, a count of the
        statements that changed the store; on DuckDB, which one program holds, always 0."""
        return self.con.changes() if self.engine is POSTGIS else 0

    # -- reading records ---------------------------------------------------------------
    def records(self, cls: type[T], sql: str, params: Sequence[object] = (), *,
                wkb: Sequence[str] = ()) -> list[T]:
        """Rows of ``sql`` as ``cls`` instances, each field filled from the column of its
        name (so a column added to a query cannot shift the fields after it). Columns
        named in ``wkb`` are decoded to shapely geometries, as in :meth:`rows`."""
        return [cls(**row) for row in self.rows(sql, params, wkb=wkb)]

    def rows(self, sql: str, params: Sequence[object] = (), *, wkb: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Rows of ``sql`` as dicts keyed by column name, for records that need more than
        their columns. Columns named in ``wkb`` hold WKB and come back as shapely
        geometries (NULL as None), decoded in one vectorised call per column: decoding row
        by row costs more than the query itself at a few thousand rows."""
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for column in wkb:
            blobs = [None if r[column] is None else bytes(r[column]) for r in rows]
            for row, geom in zip(rows, shapely.from_wkb(blobs) if blobs else [], strict=True):
                row[column] = geom
        return rows

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
            language=rows.get("language"),
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


def open_store(path: str | Path | None = None, *, create: bool = True, read_only: bool = False) -> Store:
    """Open (and if need be create or upgrade) the atlas store at ``path``: a DuckDB file,
    or a ``postgresql://`` URL of a database (an empty one is set up, PostGIS and all).

    ``path`` defaults to ``$ATLAS_DB`` or ``data/atlas.duckdb``. Raises
    :class:`NotAnAtlasStore` for any other file or database (which is left untouched),
    :class:`StoreTooNew` for a store from a newer Asset Atlas, :class:`StoreBusy` when
    another program holds a DuckDB file, and :class:`NotFound` when a file is missing and
    ``create`` is false.
    """
    target = path if path is not None else settings.default_db()
    if is_server_url(target):
        return _open_postgis(str(target), read_only=read_only)
    if str(target).startswith(("postgresql:", "postgres:")):  # a URL once made a Path ("//" lost)
        raise NotAnAtlasStore(f"{target} looks like a database URL written as a file path; give it as "
                              "postgresql://user@host:port/database")
    return _open_duckdb(Path(target), create=create, read_only=read_only)


def _open_postgis(url: str, *, read_only: bool) -> Store:
    from atlas.engines import postgis  # psycopg and sqlglot only for a server

    con = postgis.connect(url)
    try:
        if read_only:
            con.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        store = Store(con, None, read_only, engine=POSTGIS, url=url)
        with store.exclusive("atlas: set up"):
            _migrate(store)
            if not read_only:
                if _missing_spatial_indexes(store):
                    store._create_spatial_indexes()
                con.track_changes()
    except BaseException:
        con.close()
        raise
    return store


def _open_duckdb(path: Path, *, create: bool, read_only: bool) -> Store:
    if path.exists():
        if path.is_dir() or path.stat().st_size == 0 or not duckdb_file.looks_like_duckdb(path):
            raise NotAnAtlasStore(f"{path} is not an atlas store (not a DuckDB database); it was left as it is.")
    elif not create or read_only:
        raise NotFound(f"There is no atlas store at {path}. Create one with: atlas init --db {path}")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)

    replaying_wal = Path(f"{path}.wal").exists()
    # No progress bar: DuckDB draws one on stdout for a query that takes over two seconds,
    # into the middle of the command line's output (and of JSON a program reads).
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        duckdb_file.load_spatial(con)
        duckdb_file.attach(con, path, read_only)
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


def _rebuild_spatial_indexes(store: Store) -> None:
    """After a crash, rebuild the R-tree indexes from the replayed tables.

    DuckDB spatial 1.5.5 replays R-tree changes from a write-ahead log into an index that
    then fails every query and checkpoint ("Operation requires a flat vector",
    duckdb-spatial#861, fixed upstream after that release). The table rows replay
    correctly, so dropping and recreating the indexes restores a healthy store. Each
    statement commits on its own: dropping a broken index inside an explicit transaction
    aborts DuckDB at COMMIT. Interrupted half-way, the next open simply does it again.
    """
    log.warning("store %s was not closed cleanly; rebuilding its spatial indexes", store.location)
    store._drop_spatial_indexes()
    store._create_spatial_indexes()
    store.checkpoint()


def _missing_spatial_indexes(store: Store) -> bool:
    present = store.engine.index_names(store.con)
    return any(name not in present for name, _table, _column in migrations.SPATIAL_INDEXES)


def _migrate(store: Store, target: int = migrations.SCHEMA_VERSION) -> None:
    tables = store.engine.table_names(store.con)
    if "atlas_meta" not in tables:
        if tables:
            raise NotAnAtlasStore(
                f"{store.location} is a database but not an atlas store "
                f"(it holds {', '.join(sorted(tables)[:5])}); it was left as it is."
            )
        current = 0
    else:
        current = store.schema_version
    if current > migrations.SCHEMA_VERSION:
        raise StoreTooNew(
            f"{store.location} was written by a newer Asset Atlas (schema {current}; this one reads up to "
            f"{migrations.SCHEMA_VERSION}). Upgrade Asset Atlas: pip install --upgrade asset-atlas"
        )
    if current >= target:
        return
    if store.read_only:
        raise StoreTooNew(f"{store.location} needs an upgrade (schema {current} to {target}); "
                          "open it for writing once.")
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
            log.info("store %s migrated to schema %d", store.location, version)
    store.checkpoint()
