"""The register's file import and postcode look-up, through the same importer API as the
``atlas import`` and ``atlas import-postcodes`` commands (:mod:`atlas.importers`)."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session, state
from atlas.access import Permission
from atlas.errors import AtlasError, NotFound
from atlas.importers import import_file, import_postcodes, postcode_store, postcodes, sniff
from atlas.importers.summary import ImportSummary, PostcodeSummary

KINDS = {
    "assets": "Assets: organisations, groups, people with skills",
    "features": "Sites and land: parcels, buildings, green spaces, water",
    "boundaries": "Boundaries: wards, neighbourhoods, districts",
    "needs": "Needs of assets (a table: asset, kind, title, tags, quantity, unit ...)",
    "offers": "Offers of assets (a table, with the same columns as needs)",
    "osm": "An OpenStreetMap extract (sites and assets both)",
    "postcodes": "A postcode lookup (ONS Postcode Directory or OS Code-Point Open)",
    "companies": "Companies House basic company data (placed by postcode)",
    "charities": "A charity register extract (Charity Commission; placed by postcode)",
    "grants": "360Giving grants (JSON or CSV)",
}

STAGES = {"reading": "Reading the file", "checking": "Checking every row", "writing": "Writing to the atlas"}


def postcode_location(code: str) -> tuple[float, float]:
    """(lon, lat) of a postcode from the store's postcode lookup; NotFound says why not."""
    with state.reading() as store:
        if postcodes.normalise(code) is None:
            raise NotFound(f"“{code.strip()}” is not a postcode (for example B16 0AA).")
        if postcode_store.count(store) == 0:
            raise NotFound(
                "This atlas has no postcode lookup yet: import one below (A postcode lookup), "
                "or click the map instead."
            )
        found = postcodes.locate(store, code)
    if found is None:
        raise NotFound(f"{postcodes.display(postcodes.normalise(code))} is not in this atlas's postcode lookup.")
    return found


class ProgressBar:
    """The importer's progress callback, drawn as a Streamlit progress bar."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Starting…")

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        label = STAGES.get(stage, stage.capitalize())
        if total:
            self.bar.progress(min(done / total, 1.0), text=f"{label}: {done:,} of {total:,} rows")
        else:
            self.bar.progress(0.0 if stage == "reading" else 0.5, text=f"{label}: {done:,} rows so far")

    def done(self, text: str) -> None:
        self.bar.progress(1.0, text=text)


def upload_problem(name: str, data: bytes) -> str | None:
    """Why an upload cannot be imported, judged by its bytes (a text file renamed .xlsx,
    random bytes called .gpkg), or None. Its size is limited by Streamlit itself
    (``server.maxUploadSize`` in .streamlit/config.toml)."""
    if not data:
        return f"{name} is empty (0 bytes); there is nothing to import."
    return sniff.mismatch(Path(name).name, data[: sniff.HEAD_BYTES])


def _saved_upload(upload, folder: Path) -> Path:
    # The importers tell formats apart by file name, so the upload keeps its own.
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


def _show_summary(summary: ImportSummary | PostcodeSummary) -> None:
    what = getattr(summary, "stored_as", "postcodes")
    st.success(f"Imported {Path(summary.path).name} as {what}: {summary.imported:,} new, {summary.updated:,} updated, "
               f"{summary.skipped:,} skipped, in {summary.seconds:,.1f} s.", icon=":material/task_alt:")
    facts = {k: v for k, v in asdict(summary).items() if k not in ("tables", "path") and v is not None}
    st.dataframe(pd.DataFrame({"": list(facts), "value": [str(v) for v in facts.values()]}),
                 hide_index=True, key="import_summary_table")
    if isinstance(summary, ImportSummary) and summary.uncertain and summary.uncertain_report:
        uncertain = Path(summary.uncertain_report)
        st.warning(f"{summary.uncertain:,} organisations may already be in the atlas under another name or place. "
                   "They were not merged: check each against its candidate before linking.")
        if uncertain.exists():
            st.download_button("Download the organisations to check (CSV)", uncertain.read_bytes(),
                               file_name=uncertain.name, mime="text/csv", key="import_uncertain_download")
    if summary.skipped_report:
        report = Path(summary.skipped_report)
        st.warning(f"{summary.skipped:,} rows could not be used and {summary.repaired:,} were repaired; the report "
                   "lists each row skipped, and each shape split or simplified, with the reason.")
        if report.exists():
            st.download_button("Download the skipped rows (CSV)", report.read_bytes(), file_name=report.name,
                               mime="text/csv", key="import_skipped_download")


def import_section() -> None:
    """Upload a file, say what it holds, import it with a progress bar, show the report."""
    st.markdown("The same import as the `atlas import` command: every row is checked before anything is "
                "written, and a file imported again updates its rows.")
    upload = st.file_uploader("File", key="import_file",
                              help="GeoPackage, GeoJSON, shapefile (zipped), CSV or Excel with coordinates or "
                                   "postcodes, GeoParquet, or an OpenStreetMap extract.")
    kind = st.radio("It holds", list(KINDS), format_func=KINDS.__getitem__, key="import_kind")
    level = ""
    if kind == "boundaries":
        level = st.text_input("Level of the boundaries", value="ward", key="import_level")
    if kind in ("needs", "offers"):
        st.caption("A CSV or Excel table with the columns asset (an asset's id or exact name), kind, title, "
                   "description, tags (separated by ;), quantity, unit, area_m2, annual_value and status. A row "
                   "naming an unknown asset, kind or unit stops the import, and nothing is written.")
    if kind != "postcodes":
        a, b = st.columns(2)
        source = a.text_input("Source name", key="import_source", placeholder="The file's name",
                              help="Rows are keyed by source and id: importing the same source again updates them.")
        licence = b.text_input("Licence", key="import_licence", placeholder="For example: OGL v3, ODbL")
        replace = st.checkbox("Replace everything from this source first", key="import_replace")
    go = st.button("Import", type="primary", disabled=upload is None, key="import_go")
    if not go or upload is None:
        return
    problem = upload_problem(upload.name, upload.getvalue())
    if problem:
        st.error(problem)
        return
    bar = ProgressBar()
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
            bar.done("Stopped: nothing was written.")
            st.error(str(exc))
            return
    bar.done("Done.")
    _show_summary(summary)
