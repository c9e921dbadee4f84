"""Backups of the atlas store: a consistent copy taken through the open store, and a
restore that puts one in place of a store.

Why not copy the file? DuckDB keeps the latest committed writes in a write-ahead log
(``atlas.duckdb.wal``) until a checkpoint folds them into the file, so a plain copy of a
running store's file can lose them, and a file and log copied while the app writes may not
belong together. :func:`write_backup` instead attaches a new file to the open store's own
connection and copies the whole store into it with DuckDB's ``COPY FROM DATABASE`` in one
transaction: every table, every sequence at its current value (new rows in a restored
store get fresh ids), the constraints and defaults, the R-tree indexes, views and macros.
It is written to a hidden file beside the target, checkpointed (no log of its own), and
renamed into place only when complete, so a failed backup leaves no half file.

:func:`restore_backup` checks a backup with :func:`~atlas.store.open_store` (it must be an
atlas store and not from a newer Asset Atlas; an older one is upgraded) on a copy beside
the target, and then replaces the target in one rename. It refuses a target that holds
data unless ``force``, and a target another program (the app) holds.

    >>> from atlas import open_store
    >>> from atlas.backup import restore_backup, write_backup
    >>> with open_store("data/atlas.duckdb") as store:                      # doctest: +SKIP
    ...     info = write_backup(store, "backups/atlas-2025-06-01.duckdb")
    >>> restore_backup("backups/atlas-2025-06-01.duckdb", "data/atlas.duckdb", force=True)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from atlas.engines import is_server_url
from atlas.errors import AtlasError, InvalidInput, NotFound, StoreBusy
from atlas.store import Store, open_store, utc_now

log = logging.getLogger(__name__)

BACKUP_CATALOG = "atlas_backup"
"""The name the backup file is attached under, on the store's connection, while it is written."""

META_TAKEN_AT = "backup_taken_at"
"""atlas_meta key, in a backup only: when it was taken (UTC, ISO 8601)."""

META_SCHEMA_VERSION = "backup_schema_version"
"""atlas_meta key, in a backup only: the schema version of the store it was taken from."""

_BACKUP_KEYS = (META_TAKEN_AT, META_SCHEMA_VERSION)
_HEADLINE_TABLES = ("assets", "features", "boundaries", "plans", "needs_offers", "postcodes")


@dataclass(frozen=True)
class BackupInfo:
    """A backup written, or a store restored from one.

    ``path`` is the backup written, or the store restored. ``taken_at`` is when the backup
    was taken (UTC, without a zone, as the store keeps times); None for a restore from a
    plain store file that was not made by :func:`write_backup`. ``schema_version``,
    ``row_counts`` (every table's rows) and ``size_bytes`` describe the file at ``path``: a
    restored store's schema is the current one, an older backup having been upgraded.
    """

    path: Path
    taken_at: datetime | None
    schema_version: int
    row_counts: Mapping[str, int]
    size_bytes: int

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


# -- backup ---------------------------------------------------------------------------------

def write_backup(store: Store, path: str | Path) -> BackupInfo:
    """Copy the open ``store`` to a new DuckDB file at ``path`` and say what it holds.

    Safe while the store is in use: the copy is one transaction on the store's own
    connection, so it holds every write committed before it began and none half-made.
    Whoever shares ``store`` between threads must hold its lock for the call (the app:
    ``app.state.reading()``), as for any other use of the connection; it cannot be called
    inside an open transaction. An existing file at ``path`` is replaced, once the new
    copy is complete; the store itself, or a store with a write-ahead log beside it, never.

    The backup's ``atlas_meta`` records when it was taken (``backup_taken_at``) and the
    schema version it was taken from (``backup_schema_version``); a restore removes both.
    """
    path = Path(path)
    _check_backup_destination(store, path)
    if store.engine.name == "postgis":
        if store.in_transaction:
            raise InvalidInput("A backup cannot be taken inside a transaction: finish the write first.")
        return _backup_from_server(store, path)
    con = store.con
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException as exc:
        raise InvalidInput("A backup cannot be taken inside a transaction: finish the write first.") from exc
    temp = _temp_path(path, "backup")
    taken_at = utc_now()
    schema_version = store.schema_version
    try:
        try:
            con.execute(f"DETACH DATABASE IF EXISTS {BACKUP_CATALOG}")
            con.execute(f"ATTACH {_literal(temp)} AS {BACKUP_CATALOG}")
            con.execute(f"COPY FROM DATABASE {con.execute('SELECT current_database()').fetchone()[0]} "
                        f"TO {BACKUP_CATALOG}")
            for key, value in ((META_TAKEN_AT, taken_at.isoformat()), (META_SCHEMA_VERSION, str(schema_version))):
                con.execute(f"INSERT INTO {BACKUP_CATALOG}.atlas_meta (key, value) VALUES (?, ?)", [key, value])
            counts = _row_counts(con, BACKUP_CATALOG)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"CHECKPOINT {BACKUP_CATALOG}")
            con.execute(f"DETACH DATABASE IF EXISTS {BACKUP_CATALOG}")
        _replace(temp, path)
    except BaseException:
        _remove(temp)
        raise
    info = BackupInfo(path=path, taken_at=taken_at, schema_version=schema_version, row_counts=counts,
                      size_bytes=path.stat().st_size)
    log.info("backed up %s to %s (%d rows, %d bytes)", store.location, path, info.total_rows, info.size_bytes)
    return info


def _backup_from_server(store: Store, path: Path) -> BackupInfo:
    """A PostGIS store's backup: the same kind of DuckDB file, written by ``atlas copy``'s
    code from one repeatable-read snapshot of the database, so it too holds every write
    committed before it began and none half-made."""
    from atlas.store import open_store
    from atlas.store_copy import copy_store

    temp = _temp_path(path, "backup")
    taken_at = utc_now()
    try:
        store.con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try:
            with open_store(temp) as target:
                report = copy_store(store, target)
                target.set_meta(META_TAKEN_AT, taken_at.isoformat())
                target.set_meta(META_SCHEMA_VERSION, str(store.schema_version))
                target.checkpoint()
        finally:
            store.con.execute("ROLLBACK")  # it only read
        _replace(temp, path)
    except BaseException:
        _remove(temp)
        raise
    return BackupInfo(path=path, taken_at=taken_at, schema_version=store.schema_version,
                      row_counts={t: n for t, n in report.rows.items() if t != "atlas_meta"},
                      size_bytes=path.stat().st_size)


def _check_backup_destination(store: Store, path: Path) -> None:
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give the backup a file name, such as {path / 'atlas-backup.duckdb'}.")
    if store.path is not None and path.exists() and path.resolve() == Path(store.path).resolve():
        raise InvalidInput(f"{path} is the store itself; write the backup to another file.")
    if _wal(path).exists():
        raise InvalidInput(
            f"{path} has a write-ahead log beside it ({_wal(path).name}), so it is a store in use or one not "
            "closed cleanly, not an old backup; write the backup to another file."
        )
    if not path.parent.is_dir():
        raise NotFound(f"There is no folder {path.parent} to write the backup in; create it first.")
    if not os.access(path.parent, os.W_OK):
        raise InvalidInput(f"The backup cannot be written in {path.parent} (no permission); choose another folder.")


# -- restore --------------------------------------------------------------------------------

def restore_backup(backup_path: str | Path, target_path: str | Path, *, force: bool = False) -> BackupInfo:
    """Put the backup at ``backup_path`` in place of the store at ``target_path``.

    The backup is copied beside the target and opened with :func:`open_store`, which
    refuses a file that is not an atlas store (:class:`~atlas.errors.NotAnAtlasStore`) or
    is from a newer Asset Atlas (:class:`~atlas.errors.StoreTooNew`) and upgrades an older
    one; the backup file itself is only read. Then the target's stale write-ahead log, if
    any, is removed and the copy renamed over the target in one step. A target that holds
    data is refused with :class:`~atlas.errors.InvalidInput` unless ``force``; one that
    another program holds, with :class:`~atlas.errors.StoreBusy`; a file there that is not
    an atlas store is never replaced. The restored store is the backup without its
    ``backup_*`` notes in ``atlas_meta``: every table exactly as it was backed up.
    """
    if is_server_url(target_path):
        raise InvalidInput(
            "A backup goes back onto a PostGIS server by copying it into a new, empty database: "
            "atlas copy --from BACKUP --to postgresql://..."
        )
    backup_path, target = Path(backup_path), Path(target_path)
    if not backup_path.is_file():
        raise NotFound(f"There is no backup at {backup_path}.")
    if _wal(backup_path).exists():
        raise InvalidInput(
            f"{backup_path} has a write-ahead log beside it ({_wal(backup_path).name}): it is a store in use or "
            f"one not closed cleanly, not a backup. Make a backup of it with: atlas backup BACKUP --db {backup_path}"
        )
    if target.exists() and target.resolve() == backup_path.resolve():
        raise InvalidInput(f"{backup_path} is the store to restore into; restore a backup into another store.")
    _check_target(target, force)  # before the copy, to fail fast; again before the rename
    if not target.parent.is_dir():
        target.parent.mkdir(parents=True)
    temp = _temp_path(target, "restore")
    try:
        shutil.copyfile(backup_path, temp)
        try:
            store = open_store(temp, create=False)
        except AtlasError as exc:  # name the backup, not the temporary copy, in the message
            raise type(exc)(str(exc).replace(str(temp), str(backup_path))) from exc
        with store:
            taken, taken_from = store.meta(META_TAKEN_AT), store.meta(META_SCHEMA_VERSION)
            schema_version = store.schema_version
            with store.transaction():
                for key in _BACKUP_KEYS:
                    store.con.execute("DELETE FROM atlas_meta WHERE key = ?", [key])
            counts = _row_counts(store.con, store.con.execute("SELECT current_database()").fetchone()[0])
            store.checkpoint()
        _check_target(target, force)
        _remove(_wal(target))  # never replay an old log onto the restored file
        _replace(temp, target)
    except BaseException:
        _remove(temp)
        raise
    info = BackupInfo(path=target, taken_at=datetime.fromisoformat(taken) if taken else None,
                      schema_version=schema_version, row_counts=counts, size_bytes=target.stat().st_size)
    log.info("restored %s (schema %s when taken) into %s (%d rows)", backup_path, taken_from, target,
             info.total_rows)
    return info


def _check_target(target: Path, force: bool) -> None:
    """Refuse a target another program holds, one that is not an atlas store (even with
    ``force``) and, unless ``force``, one that holds data."""
    if not target.exists():
        return
    try:
        store = open_store(target, create=False)
    except StoreBusy as exc:
        raise StoreBusy(
            f"The atlas store {target} is open in another program (probably the Asset Atlas app), so it cannot be "
            "replaced now. Stop the app, then run the restore again."
        ) from exc
    with store:
        counts = _row_counts(store.con, store.con.execute("SELECT current_database()").fetchone()[0])
    held = {table: n for table, n in counts.items() if n and table != "atlas_meta"}
    if held and not force:
        # Name what people recognise first (assets, sites ...), then the largest of the rest.
        named = sorted(held, key=lambda t: (_HEADLINE_TABLES.index(t) if t in _HEADLINE_TABLES
                                            else len(_HEADLINE_TABLES), -held[t]))
        listing = ", ".join(f"{held[t]:,} {t}" for t in named[:3]) + (", ..." if len(named) > 3 else "")
        raise InvalidInput(
            f"The atlas store {target} holds data ({listing}); a restore would replace all of it. "
            f"Back it up first (atlas backup FILE --db {target}), then restore with --force."
        )


# -- shared ---------------------------------------------------------------------------------

def _row_counts(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Rows of every table in ``catalog``, by table name (schema ``main``)."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "ORDER BY table_name", [catalog]).fetchall()]
    # count(*) always gives one row, so fetchall()[0] (fetchone() is typed as maybe None)
    return {t: con.execute(f'SELECT count(*) FROM {catalog}.main."{t}"').fetchall()[0][0] for t in tables}


def _literal(path: Path) -> str:
    # A path cannot be a bound parameter in ATTACH; it is quoted as a string literal.
    return "'" + str(path).replace("'", "''") + "'"


def _wal(path: Path) -> Path:
    return Path(f"{path}.wal")


def _temp_path(beside: Path, purpose: str) -> Path:
    """A hidden file in the same folder as ``beside``, so the final rename stays on one file system."""
    return beside.with_name(f".{beside.name}.{purpose}-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def _remove(path: Path) -> None:
    for p in (path, _wal(path)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _replace(temp: Path, path: Path) -> None:
    """Rename ``temp`` over ``path`` in one step, and make the rename itself durable."""
    if _wal(temp).exists():  # the copy was checkpointed and closed; a log left now means it was not
        raise RuntimeError(f"{temp} still has a write-ahead log; it was not closed cleanly.")
    os.replace(temp, path)
    with contextlib.suppress(OSError):  # not every platform can open a folder (Windows)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
