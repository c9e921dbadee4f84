"""An anchor's spend: the payments of a council, hospital or university to its suppliers,
imported as ``spend_lines`` for the spend report (cedplans.insights.spend).

Two kinds of file are read:

* a council's "spend over £500" CSV or XLSX (:mod:`atlas.spend.spend_csv`), its columns
  guessed (:mod:`atlas.spend.spend_columns`) and shown back in
  ``ImportSummary.columns_used``, any of them corrected with ``columns_given``;
* an OCDS release or record package, JSON or JSON Lines, from Contracts Finder, Find a
  Tender or TED (:mod:`atlas.spend.ocds`), whose amounts are award and contract values
  where no transactions are published.

Each line in the store (``spend_lines``):

* ``amount`` in ``currency``: a payment is positive, a credit note or refund negative
  (``(500.00)``, ``500.00 CR``, ``500.00-`` and ``-500`` are all -500), so a total over
  the lines is net spend; ``currency`` is the file's (a symbol, a currency column, the
  amount column's name, an OCDS value's currency), else the store's;
* ``paid_on``: the payment date (OCDS: transaction date, else contract signed or start,
  else award date);
* ``category``: the file's category column as written (by preference its expense type,
  else expense area, service area, purpose ...; see ``columns_used``), or for OCDS the
  CPV (or other) classification description of the first item, else the tender's main
  procurement category (goods, services, works); NULL when the file gives none;
* ``supplier_name`` as written; ``supplier_company_number`` in Companies House form
  (``01234567``) or NULL; ``supplier_postcode`` normalised (``B11AY``) or NULL;
* ``supplier_asset_id``, ``match_method`` ("company number", "charity number",
  "postcode and name") and ``match_score`` (0-100) for a certain match; an uncertain one
  leaves those NULL but for ``match_score``, and sets ``candidate_asset_id``;
* ``supplier_lon``, ``supplier_lat`` (WGS84) and ``placed_by``: "postcode" (the file's
  postcode, found in the postcode table), "asset" (the matched asset's point), or NULL
  when neither places it; such spend is of unknown location, never local.

One import is one transaction: an unreadable amount or date, an absurd amount, garbled
text or mixed currencies stop it with a message naming file, row and field, and the
store is left as it was. Lines are keyed by (source, source id): the file's transaction
number where every line has a different one, else its row number; importing again
updates them, and ``replace`` first removes the source's lines missing from the file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pyproj import CRS

from atlas.errors import InvalidInput
from atlas.importers import readers, sniff
from atlas.importers.report import default_report_path, write_report
from atlas.importers.summary import ImportSummary, ProgressCallback, TableCounts, no_progress
from atlas.spend import lines as spend_lines
from atlas.spend import ocds, spend_columns, spend_csv, suppliers, uncertain
from atlas.spend import store as spend_store
from atlas.store import Store

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
OCDS_SUFFIXES = (".json", ".jsonl", ".ndjson")

__all__ = ["OCDS_SUFFIXES", "TABLE_SUFFIXES", "SpendColumns", "columns_of", "import_spend"]


@dataclass(frozen=True)
class SpendColumns:
    """A spend table's columns and the importer's guess of which holds which field
    (field -> column), for a person to check before importing."""

    columns: tuple[str, ...]
    guess: dict[str, str]


def columns_of(path: str | Path) -> SpendColumns:
    """The columns of a spend CSV or XLSX file (below any preamble lines) and the guess
    :func:`import_spend` would make, without importing anything."""
    path = Path(path)
    readers.check_file(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise InvalidInput(f"{path.name}: only a CSV or Excel spend file has columns to choose; "
                           "an OCDS package names its fields itself.")
    frame = spend_csv.table(path)
    columns = tuple(str(c) for c in frame.columns)
    return SpendColumns(columns=columns, guess=spend_columns.guess(columns))


def import_spend(store: Store, path: str | Path, *, anchor: str | int, columns_given: dict[str, str] | None = None,
                 source: str | None = None, replace: bool = False, report_path: str | Path | None = None,
                 progress: ProgressCallback = no_progress) -> ImportSummary:
    """Import the payments ``anchor`` (an asset's name or id) made, listed in ``path``.

    ``columns_given`` maps fields (supplier, amount, date, category, company_number,
    postcode, id, currency) to the file's columns where the guess is wrong (CSV and XLSX
    only). ``source`` (default: the file name) keys the lines with their source ids.
    Rows skipped (no supplier, amount or date; an award never made) are listed in a CSV at
    ``report_path`` (default: import-reports/ beside the store), and suppliers matched
    uncertainly in a CSV beside it (``summary.uncertain_report``).

    Raises :class:`~atlas.errors.InvalidInput` naming file, row and field, and
    :class:`~atlas.errors.NotFound` for an anchor the atlas does not hold.
    """
    started = time.perf_counter()
    path = Path(path)
    readers.check_file(path)
    sniff.check_content(path)
    file = str(path)
    source = (source or path.name).strip()
    if not source:
        raise InvalidInput("The source is empty; name the source of the data (or leave it out to use the file name).")
    given = dict(columns_given or {})
    anchor_id = spend_store.anchor_id(store, anchor)
    if not replace and (others := spend_store.other_anchors(store, source, anchor_id)):
        raise InvalidInput(f"Source {source!r} already holds the spend of {', '.join(others)}; give this file its own "
                           "--source (or --replace to move the source's lines to this anchor).")
    currency = store.settings.thresholds.currency.upper()

    progress("reading", 0, None)
    name = path.name.lower()
    if name.endswith(OCDS_SUFFIXES):
        if given:
            raise InvalidInput(f"{file} is OCDS, whose fields are fixed by the standard; leave out --column.")
        read = ocds.read(path, currency=currency)
    elif name.endswith(TABLE_SUFFIXES):
        read = spend_csv.read(path, given, currency=currency)
    else:
        raise InvalidInput(f"{file}: spend is read from a CSV or XLSX file (a council's spend over £500) or an "
                           "OCDS package (.json, .jsonl); this file is neither.")
    frame = read.frame
    n = len(frame)
    if not n:
        why = f" (the first skipped: row {read.skipped[0].row}, {read.skipped[0].reason})" if read.skipped else ""
        raise InvalidInput(f"{file} holds no payments that can be imported{why}; nothing was changed.")
    progress("reading", read.read, read.read)

    progress("checking", 0, n)
    spend_lines.check(read, file=file)
    matched = suppliers.match(store, frame)
    progress("checking", n, n)

    data = spend_store.arrow_lines(frame, anchor_id, matched.columns)
    with store.transaction():
        progress("writing", 0, n)
        result = spend_store.upsert_lines(store, data, source=source, replace=replace)
        progress("writing", n, n)

    report = None
    problems = [*read.skipped, *read.notes]
    target = Path(report_path) if report_path else default_report_path(store.path, source)
    if problems:
        report = str(write_report(problems, target))
    unsure = matched.uncertain
    unsure_report = str(uncertain.write(unsure, uncertain.path_beside(target))) if unsure else None
    return ImportSummary(
        path=file, format=read.format, layer=read.layer, stored_as="spend", source=source, licence=None,
        crs=readers.crs_label(CRS.from_epsg(4326)), metric_epsg=store.settings.metric_epsg, read=read.read,
        imported=result.inserted, updated=result.updated, removed=result.removed, repaired=0,
        skipped=len(read.skipped), skipped_report=report, seconds=time.perf_counter() - started,
        tables={"spend_lines": TableCounts(imported=result.inserted, updated=result.updated, removed=result.removed)},
        uncertain=len(unsure), uncertain_report=unsure_report, columns_used=dict(read.columns_used),
    )
