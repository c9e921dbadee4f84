"""``atlas backup`` and ``atlas restore``: thin commands over :mod:`atlas.backup`."""

from __future__ import annotations

from pathlib import Path

import click

from atlas import output
from atlas.backup import BackupInfo, restore_backup, write_backup
from atlas.cli_support import JSON_OR_TABLE, cli_store, cli_translator, db_option, format_choice, handle_errors
from atlas.errors import StoreBusy
from atlas.i18n import N_, Translator

_info_format = format_choice(JSON_OR_TABLE, N_("How to print what was written."))


def _megabytes(size_bytes: int, tr: Translator) -> str:
    return tr.gettext("{size} MB").format(size=tr.number(size_bytes / 1_000_000, digits=1))


def _taken(info: BackupInfo, tr: Translator) -> str:
    if info.taken_at is None:
        return tr.gettext("a store file, not made by atlas backup")
    return tr.gettext("taken {date} {time} UTC").format(date=tr.date(info.taken_at, form="short"),
                                                        time=f"{info.taken_at:%H:%M:%S}")


def _as_json(info: BackupInfo) -> str:
    return output.to_json({
        "path": str(info.path),
        "taken_at": info.taken_at.isoformat() if info.taken_at else None,
        "schema_version": info.schema_version,
        "row_counts": dict(info.row_counts),
        "total_rows": info.total_rows,
        "size_bytes": info.size_bytes,
    })


def _tables(info: BackupInfo, tr: Translator) -> str:
    rows = [{"table": t, "rows": n} for t, n in info.row_counts.items() if n]
    return output.table(rows, ["table", "rows"], headers={"table": tr.gettext("table"), "rows": tr.gettext("rows")},
                        none=tr.gettext("(none)"))


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
        raise StoreBusy(cli_translator().gettext(
            "The atlas store {db} is open in another program (probably the Asset Atlas app), so this command "
            'cannot back it up. Download a backup from the app instead (an admin: Admin page, "Download a '
            'backup"), or stop the app and run atlas backup again.').format(db=db)
        ) from exc
    if fmt == "json":
        click.echo(_as_json(info))
        return
    tr = cli_translator()
    click.echo(tr.gettext("Backed up {db} to {path}: {rows} rows in {tables} tables, schema {version}, {size}, "
                          "{taken}.").format(
        db=db, path=info.path, rows=tr.number(info.total_rows), tables=tr.number(len(info.row_counts)),
        version=info.schema_version, size=_megabytes(info.size_bytes, tr), taken=_taken(info, tr)))
    click.echo(tr.gettext("Restore it with: atlas restore {path} --db STORE").format(path=info.path))


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help=N_("Replace a store that holds data (back it up first)."))
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
    tr = cli_translator()
    click.echo(tr.gettext("Restored {path} ({taken}, schema {version}) into {db}: {rows} rows in {tables} tables.")
               .format(path=path, taken=_taken(info, tr), version=info.schema_version, db=db,
                       rows=tr.number(info.total_rows), tables=tr.number(len(info.row_counts))))
    click.echo(_tables(info, tr))


COMMANDS = (backup_cmd, restore_cmd)
