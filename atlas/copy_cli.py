"""``atlas copy``: move a whole store between a DuckDB file and a PostGIS database."""

from __future__ import annotations

from pathlib import Path

import click

from atlas import output
from atlas.cli_support import JSON_OR_TABLE, StoreLocation, cli_store, cli_translator, format_choice, handle_errors
from atlas.i18n import N_
from atlas.store_copy import copy_store


@click.command("copy")
@click.option("--from", "source", type=StoreLocation(), required=True,
              help=N_("The store to copy: a DuckDB file or a postgresql:// URL."))
@click.option("--to", "target", type=StoreLocation(), required=True,
              help=N_("A new or empty store to copy into: a DuckDB file or a postgresql:// URL."))
@format_choice(JSON_OR_TABLE, N_("How to print what was copied."))
@handle_errors
def copy_cmd(source: Path | str, target: Path | str, fmt: str) -> None:
    """Copy every table of one store into another, e.g. from the DuckDB file to a PostGIS
    server when the atlas outgrows one machine, or back to a file to take it to a hall.

    Settings, plan versions, ideas, users and the audit trail are copied as they are, ids
    included, in one transaction: if anything fails, the target is left as it was.
    """
    with cli_store(source, read_only=True) as src, cli_store(target, create=True) as dst:
        report = copy_store(src, dst)
    if fmt == "json":
        click.echo(output.to_json({"from": report.source, "to": report.target, "rows": report.rows,
                                   "total_rows": report.total_rows}))
        return
    rows = [{"table": t, "rows": n} for t, n in report.rows.items() if n]
    tr = cli_translator()
    click.echo(tr.gettext("Copied {count} rows from {source} to {target}.").format(
        count=tr.number(report.total_rows), source=report.source, target=report.target))
    click.echo(output.table(rows, ["table", "rows"], headers={"table": tr.gettext("table"), "rows": tr.gettext("rows")},
                            none=tr.gettext("(none)")))


COMMANDS = [copy_cmd]
