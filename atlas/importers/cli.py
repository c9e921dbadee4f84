"""``atlas import`` and ``atlas import-postcodes``: thin commands over
:func:`atlas.importers.import_file` and :func:`atlas.importers.import_postcodes`, with a
progress bar (rows per second) on a terminal and a summary table at the end."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from atlas import output
from atlas.cli_support import JSON_OR_TABLE, cli_store, db_option, format_choice, handle_errors
from atlas.errors import InvalidInput
from atlas.importers import (
    RECORD_TARGETS,
    REGISTER_TARGETS,
    SPEND_TARGETS,
    TARGETS,
    import_file,
    import_postcodes,
)
from atlas.importers.summary import ImportSummary, PostcodeSummary

if TYPE_CHECKING:
    from tqdm import tqdm  # at run time, imported only once a bar is drawn (see __call__)

_summary_format = format_choice(JSON_OR_TABLE, "How to print the summary.")
_STAGE_NAMES = {"reading": "reading", "checking": "checking", "writing": "writing"}  # shown before the bar


class ProgressBar:
    """A tqdm bar per stage, on stderr, shown only on a terminal and only for imports
    that take more than half a second."""

    def __init__(self, file=None, *, enabled: bool | None = None, delay_s: float = 0.5,
                 every_s: float = 0.2) -> None:
        self._bar: tqdm[Any] | None = None
        self._stage: str | None = None
        self._file = file
        self._disable = None if enabled is None else not enabled  # None: only on a terminal
        self._delay_s = delay_s
        self._every_s = every_s

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        bar = self._bar
        if bar is None or stage != self._stage:
            self.close()
            self._stage = stage
            bar = self._bar = tqdm(total=total, desc=_STAGE_NAMES.get(stage, stage), unit=" rows",
                                   unit_scale=True, file=self._file or sys.stderr, disable=self._disable,
                                   delay=self._delay_s, leave=False, dynamic_ncols=True,
                                   mininterval=self._every_s, miniters=1)
        if total is not None and bar.total != total:
            bar.total = total
        if done > bar.n:
            bar.update(done - bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _summary_table(summary: ImportSummary) -> str:
    lines = [
        f"Imported {summary.path} ({summary.format}{f', layer {summary.layer}' if summary.layer else ''}, "
        f"{summary.crs}) as {summary.stored_as} from source {summary.source!r} in {summary.seconds:,.1f} s.",
        "",
    ]
    rows = [{"rows": k, "count": getattr(summary, k)} for k in ("read", "imported", "updated", "removed",
                                                                 "repaired", "skipped")]
    lines.append(output.table(rows, ["rows", "count"]))
    if len(summary.tables) > 1:
        per_table = [{"table": name, "imported": c.imported, "updated": c.updated, "removed": c.removed}
                     for name, c in summary.tables.items()]
        lines += ["", output.table(per_table, ["table", "imported", "updated", "removed"])]
    if summary.columns_used:
        used = [{"field": f, "column": c} for f, c in summary.columns_used.items()]
        lines += ["", "Columns read (correct one with --column FIELD=COLUMN):", output.table(used, ["field", "column"])]
    if summary.skipped_report:
        lines += ["", f"Skipped rows and why: {summary.skipped_report}"]
    if summary.uncertain:
        lines += ["", f"{summary.uncertain:,} organisations may already be in the atlas under another name or "
                      f"place; they were not merged. Check them: {summary.uncertain_report}"]
    if summary.ground is not None:
        from atlas.ground.cli import describe

        lines += ["", *describe(summary.ground)]
    if summary.metric_epsg:
        lines.append(f"Distances and areas in this atlas are measured in EPSG:{summary.metric_epsg}.")
    return "\n".join(lines)


def _postcode_table(summary: PostcodeSummary) -> str:
    rows = [{"rows": k, "count": getattr(summary, k)} for k in ("read", "imported", "updated", "skipped")]
    lines = [f"Loaded postcodes from {summary.path} in {summary.seconds:,.1f} s.", "",
             output.table(rows, ["rows", "count"])]
    if summary.skipped_report:
        lines += ["", f"Skipped rows and why: {summary.skipped_report}"]
    return "\n".join(lines)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--as", "as_", type=click.Choice(TARGETS + RECORD_TARGETS + REGISTER_TARGETS + SPEND_TARGETS),
              help="What the file holds. OpenStreetMap files default to features and assets both; needs and "
                   "offers come from a CSV or XLSX table whose asset column names each row's asset; companies "
                   "(Companies House basic company data), charities (a charity register extract) and grants "
                   "(360Giving) are registers; spend is an anchor's payments (with --anchor).")
@click.option("--anchor", help="Spend: the asset whose payments the file lists (its name or id).")
@click.option("--column", "column_pairs", multiple=True, metavar="FIELD=COLUMN",
              help="Spend: use COLUMN for FIELD (supplier, amount, date, category, company_number, postcode, id) "
                   "where the guess shown by the import is wrong. Repeatable.")
@click.option("--layer", help="The layer of a GeoPackage/KML/zip, or the sheet of a workbook.")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
              help="A column mapping (field,column,value) or, for OpenStreetMap, a tag mapping table.")
@click.option("--crs", help="The file's coordinate reference system when it does not say (e.g. 27700).")
@click.option("--source", help="Name of the data's source; rows are keyed by it. Default: the file name.")
@click.option("--licence", help="Licence of the data, kept with every row.")
@click.option("--replace", is_flag=True, help="Remove this source's rows first.")
@click.option("--name-field", help="Boundaries: the field holding each area's name.")
@click.option("--level", help="Boundaries: what they are (ward, neighbourhood, district ...).")
@click.option("--id-field", help="The field of stable row ids (default: an id column, the fid or the row number).")
@click.option("--admin-level", help="OpenStreetMap boundaries: only this admin_level (e.g. 10).")
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the skipped-rows CSV (default: import-reports/ beside the store).")
@db_option
@_summary_format
@handle_errors
def import_cmd(path: Path, as_: str | None, layer: str | None, mapping: Path | None, crs: str | None,
               source: str | None, licence: str | None, replace: bool, name_field: str | None, level: str | None,
               id_field: str | None, admin_level: str | None, report_path: Path | None, anchor: str | None,
               column_pairs: tuple[str, ...], db: Path, fmt: str) -> None:
    """Import PATH: a GIS file, a table with coordinates or postcodes, or an OpenStreetMap extract.

    \b
    Examples:
      atlas import sites.gpkg --as features --layer land --licence OGL-3.0
      atlas import register.xlsx --as assets            (lon/lat or postcode columns)
      atlas import grid.csv --as assets --crs 27700     (easting/northing columns)
      atlas import wards.geojson --as boundaries --name-field WD13NM --level ward
      atlas import birmingham.osm.pbf
      atlas import needs.csv --as needs                 (asset, kind, title, tags, quantity, unit ...)
      atlas import BasicCompanyData.csv --as companies  (placed by postcode; import-postcodes first)
      atlas import spend-2026.csv --as spend --anchor "City Hospital" --column category="Expense Area"
    """
    with cli_store(db, create=True) as store, ProgressBar() as bar:
        summary = import_file(
            store, path, as_=as_, layer=layer, mapping=mapping, crs=crs, source=source, licence=licence,
            replace=replace, name_field=name_field, level=level, id_field=id_field, admin_level=admin_level,
            report_path=report_path, progress=bar, anchor=anchor, columns_given=_column_pairs(column_pairs),
        )
    if fmt == "json":
        click.echo(output.to_json(asdict(summary)))
    else:
        click.echo(_summary_table(summary))


def _column_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InvalidInput(f"--column {pair!r}: write FIELD=COLUMN, for example --column amount=\"Net Amount\".")
        given[field.strip().lower()] = column.strip()
    return given


@click.command("import-postcodes")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--source", help="Name of the postcode source. Default: the file name.")
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the skipped-rows CSV.")
@db_option
@_summary_format
@handle_errors
def import_postcodes_cmd(path: Path, source: str | None, report_path: Path | None, db: Path, fmt: str) -> None:
    """Load the postcode lookup from PATH: the ONS Postcode Directory or OS Code-Point Open
    (a CSV with or without its header row, a folder of them, or the published .zip).

    Tables imported afterwards can then be placed by a postcode column.
    """
    with cli_store(db, create=True) as store, ProgressBar() as bar:
        summary = import_postcodes(store, path, source=source, report_path=report_path, progress=bar)
    if fmt == "json":
        click.echo(output.to_json(asdict(summary)))
    else:
        click.echo(_postcode_table(summary))


COMMANDS = (import_cmd, import_postcodes_cmd)
