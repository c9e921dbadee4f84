"""The register's file import and postcode look-up, through the same importer API as the
``atlas import`` and ``atlas import-postcodes`` commands (:mod:`atlas.importers`)."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session, state
from app.language import N_, _, fmt
from atlas.access import Permission
from atlas.errors import AtlasError, NotFound
from atlas.importers import import_file, import_postcodes, postcode_store, postcodes, sniff
from atlas.importers.summary import ImportSummary, PostcodeSummary

KINDS = {
    "assets": N_("Assets: organisations, groups, people with skills"),
    "features": N_("Sites and land: parcels, buildings, green spaces, water"),
    "boundaries": N_("Boundaries: wards, neighbourhoods, districts"),
    "needs": N_("Needs of assets (a table: asset, kind, title, tags, quantity, unit ...)"),
    "offers": N_("Offers of assets (a table, with the same columns as needs)"),
    "osm": N_("An OpenStreetMap extract (sites and assets both)"),
    "postcodes": N_("A postcode lookup (ONS Postcode Directory or OS Code-Point Open)"),
    "companies": N_("Companies House basic company data (placed by postcode)"),
    "charities": N_("A charity register extract (Charity Commission; placed by postcode)"),
    "grants": N_("360Giving grants (JSON or CSV)"),
}

STAGES = {"reading": N_("Reading the file"), "checking": N_("Checking every row"),
          "writing": N_("Writing to the atlas"), "base map": N_("Drawing the base map")}

FACT_WORDS = {
    "format": N_("Format"), "layer": N_("Layer"), "stored_as": N_("Stored as"), "source": N_("Source"),
    "licence": N_("Licence"), "crs": N_("Coordinate system of the file"),
    "metric_epsg": N_("Metric coordinate system (EPSG)"), "read": N_("Rows read"), "imported": N_("New"),
    "updated": N_("Updated"), "removed": N_("Removed"), "repaired": N_("Repaired"), "skipped": N_("Skipped"),
    "skipped_report": N_("Skipped rows report"), "seconds": N_("Seconds"),
    "uncertain": N_("Organisations to check"), "uncertain_report": N_("Organisations to check (report)"),
    "columns_used": N_("Columns used"),
}
"""The import summary's facts as people read them (the summary's field names stay as they are)."""


def postcode_location(code: str) -> tuple[float, float]:
    """(lon, lat) of a postcode from the store's postcode lookup; NotFound says why not."""
    with state.reading() as store:
        if postcodes.normalise(code) is None:
            raise NotFound(_("“{code}” is not a postcode (for example B16 0AA).").format(code=code.strip()))
        if postcode_store.count(store) == 0:
            raise NotFound(_("This atlas has no postcode lookup yet: import one below (A postcode lookup), "
                             "or click the map instead."))
        found = postcodes.locate(store, code)
    if found is None:
        raise NotFound(_("{postcode} is not in this atlas's postcode lookup.").format(
            postcode=postcodes.display(postcodes.normalise(code) or code.strip())))
    return found


class ProgressBar:
    """The importer's progress callback, drawn as a Streamlit progress bar."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text=_("Starting…"))

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        label = _(STAGES[stage]) if stage in STAGES else stage.capitalize()
        if total:
            self.bar.progress(min(done / total, 1.0), text=_("{stage}: {done} of {total} rows").format(
                stage=label, done=fmt().number(done), total=fmt().number(total)))
        else:
            self.bar.progress(0.0 if stage == "reading" else 0.5, text=_("{stage}: {done} rows so far").format(
                stage=label, done=fmt().number(done)))

    def done(self, text: str) -> None:
        self.bar.progress(1.0, text=text)


def upload_problem(name: str, data: bytes) -> str | None:
    """Why an upload cannot be imported, judged by its bytes (a text file renamed .xlsx,
    random bytes called .gpkg), or None. Its size is limited by Streamlit itself
    (``server.maxUploadSize`` in .streamlit/config.toml)."""
    if not data:
        return _("{file} is empty (0 bytes); there is nothing to import.").format(file=name)
    return sniff.mismatch(Path(name).name, data[: sniff.HEAD_BYTES])


def _saved_upload(upload, folder: Path) -> Path:
    # The importers tell formats apart by file name, so the upload keeps its own.
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


@dataclass(frozen=True)
class Report:
    """A report of an import (skipped rows, organisations to check), ready to download."""

    data: bytes
    file_name: str


def named_after_upload(report: Path, saved_as: Path, chosen: str, kind: str) -> Report:
    """The CSV report at ``report`` with the upload's temporary copy (``saved_as``, which
    the importer saw and wrote into every row) named as the file the person chose
    (``chosen``), rewritten in place so the kept copy says the same, and a download name
    made from the chosen file's name: ``<file>-<kind>.csv``."""
    text = report.read_text(encoding="utf-8-sig")
    rows = [[named_as_chosen(cell, saved_as, chosen) for cell in row] for row in csv.reader(io.StringIO(text))]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode("utf-8-sig")  # with the byte-order mark, as the importer writes
    report.write_bytes(data)
    return Report(data, f"{Path(chosen).stem}-{kind}.csv")


def named_as_chosen(text: str, saved_as: Path, chosen: str) -> str:
    """``text`` (a report's cell, an error message) with the upload's temporary copy
    ``saved_as`` named as the file the person chose: the whole path first, then its folder."""
    return text.replace(str(saved_as), chosen).replace(str(saved_as.parent) + "/", "")


def _show_summary(summary: ImportSummary | PostcodeSummary, chosen: str,
                  reports: dict[str, Report]) -> None:
    what = getattr(summary, "stored_as", "postcodes")
    st.success(_("Imported {file} as {what}: {new} new, {updated} updated, {skipped} skipped, in {seconds} s.").format(
        file=chosen, what=what, new=fmt().number(summary.imported), updated=fmt().number(summary.updated),
        skipped=fmt().number(summary.skipped), seconds=fmt().number(summary.seconds, digits=1)),
        icon=":material/task_alt:")
    facts = {k: v for k, v in asdict(summary).items() if k not in ("tables", "path") and v is not None}
    st.dataframe(pd.DataFrame({"": [_(FACT_WORDS[k]) if k in FACT_WORDS else k for k in facts],
                               _("value"): [str(v) for v in facts.values()]}),
                 hide_index=True, key="import_summary_table")
    if isinstance(summary, ImportSummary) and summary.uncertain and summary.uncertain_report:
        st.warning(_("{count} organisations may already be in the atlas under another name or place. They were "
                     "not merged: check each against its candidate before linking.").format(
            count=fmt().number(summary.uncertain)))
        if "uncertain" in reports:
            st.download_button(_("Download the organisations to check (CSV)"), reports["uncertain"].data,
                               file_name=reports["uncertain"].file_name, mime="text/csv",
                               key="import_uncertain_download", on_click="ignore")
    if summary.skipped_report:
        st.warning(_("{skipped} rows could not be used and {repaired} were repaired; the report lists each row "
                     "skipped, and each shape split or simplified, with the reason.").format(
            skipped=fmt().number(summary.skipped), repaired=fmt().number(getattr(summary, "repaired", 0))))
        if "skipped" in reports:
            st.download_button(_("Download the skipped rows (CSV)"), reports["skipped"].data,
                               file_name=reports["skipped"].file_name, mime="text/csv",
                               key="import_skipped_download", on_click="ignore")


def _reports(summary: ImportSummary | PostcodeSummary, saved_as: Path, chosen: str) -> dict[str, Report]:
    """The summary's CSV reports, naming the chosen file (while its temporary copy's path,
    which the reports name, is still known)."""
    found = {"skipped": summary.skipped_report, "uncertain": getattr(summary, "uncertain_report", None)}
    return {kind: named_after_upload(Path(path), saved_as, chosen, kind)
            for kind, path in found.items() if path and Path(path).exists()}


def import_section() -> None:
    """Upload a file, say what it holds, import it with a progress bar, show the report."""
    st.markdown(_("The same import as the `atlas import` command: every row is checked before anything is "
                  "written, and a file imported again updates its rows."))
    upload = st.file_uploader(_("File"), key="import_file",
                              help=_("GeoPackage, GeoJSON, shapefile (zipped), CSV or Excel with coordinates or "
                                     "postcodes, GeoParquet, or an OpenStreetMap extract."))
    kind = st.radio(_("It holds"), list(KINDS), format_func=lambda k: _(KINDS[k]), key="import_kind")
    level = ""
    if kind == "boundaries":
        level = st.text_input(_("Level of the boundaries"), value="ward", key="import_level")
    if kind in ("needs", "offers"):
        st.caption(_("A CSV or Excel table with the columns asset (an asset's id or exact name), kind, title, "
                     "description, tags (separated by ;), quantity, unit, area_m2, annual_value and status. A row "
                     "naming an unknown asset, kind or unit stops the import, and nothing is written."))
    if kind != "postcodes":
        a, b = st.columns(2)
        source = a.text_input(_("Source name"), key="import_source", placeholder=_("The file's name"),
                              help=_("Rows are keyed by source and id: importing the same source again updates "
                                     "them."))
        licence = b.text_input(_("Licence"), key="import_licence", placeholder=_("For example: OGL v3, ODbL"))
        replace = st.checkbox(_("Replace everything from this source first"), key="import_replace")
    go = st.button(_("Import"), type="primary", disabled=upload is None, key="import_go")
    if not go or upload is None:
        return
    problem = upload_problem(upload.name, upload.getvalue())
    if problem:
        st.error(problem)
        return
    bar = ProgressBar()
    chosen = Path(upload.name).name
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as folder:
        path = _saved_upload(upload, Path(folder))
        try:
            with session.writing(Permission.IMPORT) as store:
                if kind == "postcodes":
                    summary: ImportSummary | PostcodeSummary = import_postcodes(store, path, progress=bar)
                else:
                    summary = import_file(
                        store, path, as_=None if kind == "osm" else kind, level=level or None,
                        source=source.strip() or None, licence=licence.strip() or None, replace=replace,
                        progress=bar,
                    )
        except AtlasError as exc:
            bar.done(_("Stopped: nothing was written."))
            st.error(named_as_chosen(str(exc), path, chosen))
            return
        reports = _reports(summary, path, chosen)
    bar.done(_("Done."))
    _show_summary(summary, chosen, reports)
