"""Reports offered after an upload name the file the person chose, not the temporary copy
the app imported (issue 13: the skipped-rows CSV named /tmp/atlas-upload-.../file.csv)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from app.importing import named_after_upload
from atlas.importers.report import read_report, write_report
from atlas.importers.summary import SkippedRow
from atlas.registers.reports import UncertainRow, read_uncertain, write_uncertain
from tests.app_fixtures import no_exception

CHOSEN = "ladywood groups.csv"
GROUPS = ("id,name,lon,lat,sector,category,employees\n"
          "n1,Dudley Road tenants,-1.9405,52.4880,community,residents association,0\n"
          "n2,Nowhere group,,,community,charity,2\n"
          "n3,Far away group,10.0,10.0,community,charity,1\n")


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[bytes, str | None, str | None]]:
    """Every file a page hands to Streamlit to download: (bytes, mimetype, file name)."""
    handed: list[tuple[bytes, str | None, str | None]] = []
    load = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if isinstance(path_or_data, bytes):
            handed.append((path_or_data, mimetype, filename))
        return load(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return handed


def test_skipped_rows_csv_names_the_chosen_file(run_page, demo_store_path, downloads):
    at = run_page("asset_register", demo_store_path)
    at.file_uploader(key="import_file").upload(CHOSEN, GROUPS.encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Import").click().run()
    no_exception(at)
    assert any(s.value.startswith(f"Imported {CHOSEN} as assets: 1 new") for s in at.success)

    [(data, mime, name)] = [d for d in downloads if d[1] == "text/csv"]
    assert name == "ladywood groups-skipped.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["row"] for r in rows} >= {"3"}  # the row without a place (line 3 of the file)
    assert {r["file"] for r in rows} == {CHOSEN}
    assert "atlas-upload-" not in data.decode("utf-8-sig") and "/tmp" not in data.decode("utf-8-sig")

    # The copy kept beside the store (listed in the summary) says the same.
    facts = next(d.value for d in at.dataframe if "value" in d.value.columns)
    kept = Path(facts.set_index("")["value"]["Skipped rows report"])
    assert {r.file for r in read_report(kept)} == {CHOSEN}


def test_uncertain_report_names_the_chosen_file(tmp_path):
    upload = tmp_path / "atlas-upload-x1y2" / "BasicCompanyData.csv"
    report = write_uncertain([UncertainRow(file=str(upload), row="5", name="HOCKLEY COMMUNITY KITCHEN CIC",
                                           candidate_asset_id=7, candidate_name="Hockley Kitchen Collective",
                                           score=91.0, reason=f"name alike; {upload} row 5")],
                             tmp_path / "ch-uncertain.csv")
    made = named_after_upload(report, upload, "companies-2026.csv", "uncertain")
    assert made.file_name == "companies-2026-uncertain.csv"
    [row] = read_uncertain(report)
    assert (row["file"], row["reason"]) == ("companies-2026.csv", "name alike; companies-2026.csv row 5")
    assert made.data == report.read_bytes()
    assert str(tmp_path) not in made.data.decode("utf-8-sig")


def test_a_report_of_another_file_is_left_as_it_is(tmp_path):
    upload = tmp_path / "up" / "sites.gpkg"
    report = write_report([SkippedRow(file="/data/elsewhere.gpkg", row="2", field="geometry", reason="empty")],
                          tmp_path / "r.csv")
    named_after_upload(report, upload, "sites.gpkg", "skipped")
    assert [r.file for r in read_report(report)] == ["/data/elsewhere.gpkg"]
