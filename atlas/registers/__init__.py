"""Organisation registers: what Companies House, a charity register and 360Giving grant
data say of the organisations in the atlas's area.

:func:`import_register` is the one entry point (``atlas import FILE --as companies``,
``--as charities`` or ``--as grants``, through :func:`atlas.importers.import_file`). Like
every import it reads and checks the whole file before writing anything, then writes in
one transaction; a bad value stops it with a message naming file, row and field, and the
store stays as it was. Rows that cannot be used are listed in the skipped-rows report,
organisations that may already be assets in the uncertain-matches report.

Companies and charities are matched to assets by number, then by postcode and name
(:mod:`atlas.org_matching`): a certain match gets the register's details as its
registration (:func:`atlas.registers.queries.registration_of`); an uncertain one is
listed, never merged; an organisation the atlas lacks becomes a new asset at its
postcode. Grants are linked to the asset of their recipient, or kept unlinked.

    >>> from atlas import open_store
    >>> from atlas.registers import import_register
    >>> with open_store("data/atlas.duckdb") as store:              # doctest: +SKIP
    ...     summary = import_register(store, "BasicCompanyDataAsOneFile-2024-05-01.zip",
    ...                               kind="companies", source="companies-house-2024-05")
"""

from __future__ import annotations

import time
from pathlib import Path

from atlas.errors import InvalidInput
from atlas.importers.report import default_report_path, write_report
from atlas.importers.summary import ImportSummary, ProgressCallback, SkippedRow, TableCounts, no_progress
from atlas.models import WriteResult
from atlas.registers import charities, companies_house, grants_360, organisations
from atlas.registers import store as sql
from atlas.registers.placing import SkipLog
from atlas.registers.queries import Registration, registration_of, registrations_of
from atlas.registers.reports import UncertainRow, uncertain_report_path, write_uncertain
from atlas.store import Store

KINDS = ("companies", "charities", "grants")
"""What :func:`import_register` reads: Companies House basic company data, a charity
register extract, 360Giving grants."""

_FORMATS = {"companies": companies_house.FORMAT, "charities": charities.FORMAT}


def import_register(store: Store, path: str | Path, *, kind: str, source: str, licence: str | None = None,
                    replace: bool = False, report_path: str | Path | None = None,
                    progress: ProgressCallback = no_progress) -> ImportSummary:
    """Import one register file into the store, all or nothing, and say what happened.

    ``kind`` is ``"companies"``, ``"charities"`` or ``"grants"``. ``source`` keys what the
    file writes: importing it again updates (an asset made from a row, its registration,
    a grant), and ``replace`` first removes whatever of that source the file no longer
    has. ``report_path`` is where the skipped-rows CSV goes; the uncertain-matches CSV
    goes beside it (``-uncertain`` added to its name).

    Raises :class:`~atlas.errors.InvalidInput` naming file, row and field.
    """
    started = time.perf_counter()
    path = Path(path)
    if kind not in KINDS:
        raise InvalidInput(f"--as {kind!r}: a register is companies, charities or grants.")
    source = source.strip()
    if not source:
        raise InvalidInput("--source is empty; name the source of the data (or leave it out to use the file name).")
    if kind == "grants":
        return _import_grants(store, path, source=source, replace=replace, report_path=report_path,
                              progress=progress, started=started)
    fmt = _FORMATS[kind]
    progress("reading", 0, None)
    read = organisations.read_register(store, path, fmt, progress)
    progress("reading", read.read, read.read)
    progress("checking", 0, len(read.records))
    decisions = organisations.decide(store, read.records, source=source, file=read.file, skips=read.skips,
                                     name_column=read.column("name"), status_column=read.column("status"))
    progress("checking", len(read.records), len(read.records))
    progress("writing", 0, None)
    written = organisations.write(store, read.records, decisions, source=source, licence=licence, replace=replace)
    progress("writing", len(read.records), len(read.records))
    changed = len(decisions.matched) + len(decisions.own)
    return _summary(store, path, fmt=fmt.label, kind=kind, source=source, licence=licence, read=read.read,
                    imported=len(decisions.new), updated=changed,
                    removed=written.assets.removed + written.registrations.removed,
                    tables={"assets": written.assets, "asset_registrations": written.registrations},
                    skipped=read.skips, uncertain=decisions.uncertain, report_path=report_path, started=started)


def _import_grants(store: Store, path: Path, *, source: str, replace: bool, report_path: str | Path | None,
                   progress: ProgressCallback, started: float) -> ImportSummary:
    progress("reading", 0, None)
    grants = grants_360.read_grants(path)
    progress("reading", len(grants.frame), len(grants.frame))
    skips = SkipLog()
    progress("checking", 0, len(grants.frame))
    checked = grants_360.check(grants, currency=store.settings.thresholds.currency, skips=skips)
    linked = grants_360.link(store, checked, file=grants.file, names=grants.names, skips=skips)
    progress("checking", len(grants.frame), len(grants.frame))
    progress("writing", 0, linked.table.num_rows)
    with store.transaction():
        result = sql.upsert_grants(store, linked.table, source=source, replace=replace)
    progress("writing", linked.table.num_rows, linked.table.num_rows)
    return _summary(store, path, fmt=grants.format, kind="grants", source=source, licence=None,
                    read=len(grants.frame), imported=result.inserted, updated=result.updated, removed=result.removed,
                    tables={"grants": result}, skipped=skips, uncertain=linked.uncertain, report_path=report_path,
                    started=started)


def _summary(store: Store, path: Path, *, fmt: str, kind: str, source: str, licence: str | None, read: int,
             imported: int, updated: int, removed: int, tables: dict[str, WriteResult], skipped: SkipLog,
             uncertain: list[UncertainRow], report_path: str | Path | None, started: float) -> ImportSummary:
    report = None
    rows: list[SkippedRow] = skipped.rows()
    if rows:
        target = Path(report_path) if report_path else default_report_path(store.path, source)
        report = str(write_report(rows, target))
    uncertain_report = None
    if uncertain:
        uncertain_report = str(write_uncertain(uncertain, uncertain_report_path(store.path, source, report_path)))
    return ImportSummary(
        path=str(path), format=fmt, layer=None, stored_as=kind, source=source, licence=licence, crs="EPSG:4326",
        metric_epsg=store.settings.metric_epsg, read=read, imported=imported, updated=updated, removed=removed,
        repaired=0, skipped=skipped.total, skipped_report=report, seconds=time.perf_counter() - started,
        tables={name: TableCounts(imported=r.inserted, updated=r.updated, removed=r.removed)
                for name, r in tables.items()},
        uncertain=len(uncertain), uncertain_report=uncertain_report,
    )


__all__ = ["KINDS", "Registration", "import_register", "registration_of", "registrations_of"]
