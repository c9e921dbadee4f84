"""``atlas backup`` and ``atlas restore``: thin commands over :mod:`atlas.backup`."""

from __future__ import annotations

from pathlib import Path

import click

from atlas import output
from atlas.backup import BackupInfo, restore_backup, write_backup
from atlas.cli_support import JSON_OR_TABLE, cli_store, db_option, format_choice, handle_errors
from atlas.errors import StoreBusy

_info_format = format_choice(JSON_OR_TABLE, "How to print what was written.")


def _megabytes(size_bytes: int) -> str:
    return f"{size_bytes / 1_000_000:,.1f} MB"


def _as_json(info: BackupInfo) -> str:
    return output.to_json({
        "path": str(info.path),
        "taken_at": info.taken_at.isoformat() if info.taken_at else None,
        "schema_version": info.schema_version,
        "row_counts": dict(info.row_counts),
        "total_rows": info.total_rows,
        "size_bytes": info.size_bytes,
    })


def _tables(info: BackupInfo) -> str:
    rows = [{"table": t, "rows": n} for t, n in info.row_counts.items() if n]
    return output.table(rows, ["table", "rows"])


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@db_option
@_info_format
@handle_errors
def backup_cmd(path: Path, db: Path, fmt: str) -> None:
    """Write a consistent copy of the store to PATH (a new DuckDB file).

    Use this, not a file copy: a copy of the store's file can miss the latest writes,
    which DuckDB keeps in a write-ahead log beside it. While the app holds the store, an
    admin downloads a backup from the app instead (Admin page, "Download a backup").
    """
    try:
        with cli_store(db) as store:
            info = write_backup(store, path)
    except StoreBusy as exc:
        raise StoreBusy(
            f"The atlas store {db} is open in another program (probably the Asset Atlas app), so this command "
            'cannot back it up. Download a backup from the app instead (an admin: Admin page, "Download a '
            'backup"), or stop the app and run atlas backup again.'
        ) from exc
    if fmt == "json":
        click.echo(_as_json(info))
        return
    click.echo(
        f"Backed up {db} to {info.path}: {info.total_rows:,} rows in {len(info.row_counts)} tables, "
        f"schema {info.schema_version}, {_megabytes(info.size_bytes)}, taken {info.taken_at:%Y-%m-%d %H:%M:%S} UTC."
    )
    click.echo(f"Restore it with: atlas restore {info.path} --db STORE")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a store that holds data (back it up first).")
@db_option
@_info_format
@handle_errors
def restore_cmd(path: Path, force: bool, db: Path, fmt: str) -> None:
    """Put the backup at PATH in place of the store that --db names.

    Refuses a store that holds data unless --force, a store the app holds (stop the app
    first), and a file that is not an atlas backup or is from a newer Asset Atlas.
    """
    info = restore_backup(path, db, force=force)
    if fmt == "json":
        click.echo(_as_json(info))
        return
    taken = (f"taken {info.taken_at:%Y-%m-%d %H:%M:%S} UTC" if info.taken_at
             else "a store file, not made by atlas backup")
    click.echo(f"Restored {path} ({taken}, schema {info.schema_version}) into {db}: "
               f"{info.total_rows:,} rows in {len(info.row_counts)} tables.")
    click.echo(_tables(info))


COMMANDS = (backup_cmd, restore_cmd)
