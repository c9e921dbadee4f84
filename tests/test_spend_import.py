"""Importing an anchor's spend (issue 12): a council's spend-over-£500 CSV (clean and
messy), an XLSX, OCDS release and record packages; suppliers matched once each (by
company number, by postcode and name, uncertain ones listed and never merged) and placed
by postcode, else by their asset, else nowhere. Every expected figure below is worked
out by hand from the file the test writes."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from atlas import open_store, writes
from atlas.errors import InvalidInput, NotFound
from atlas.importers import import_file, postcode_store
from atlas.importers.report import read_report
from atlas.spend import import_spend, uncertain, values
from atlas.spend.spend_columns import guess
from atlas_cli import main

ANCHOR = "Birmingham City Council"
# Postcode points (WGS84). B9 9ZZ is deliberately missing from the lookup.
POSTCODES = {"B11AA": (-1.9100, 52.4800), "B22BB": (-1.8950, 52.4790), "B33CC": (-1.8800, 52.4700)}
ACME_POINT = (-1.8600, 52.4600)
ASSETS = [  # name, lon, lat
    (ANCHOR, -1.9035, 52.4797),
    ("Brushstrokes Community Project", -1.8950, 52.4791),  # 11 m from B2 2BB
    ("Acme Builders", *ACME_POINT),  # registered as company 01234567, no postcode
    ("Greenfields Catering", -1.8801, 52.4700),  # 7 m from B3 3CC
]
GREENFIELD_SCORE = 82.05128205128204
"""rapidfuzz token_sort_ratio of "greenfield caterers" and "greenfields catering": 64 of
78 characters agree, 2 * 32 / 78 = 0.8205..., between UNSURE_SCORE 70 and SURE_SCORE 90."""

CLEAN_HEADER = ["Body Name", "Service Area", "Expense Type", "Payment Date", "Transaction Number", "Amount",
                "Supplier Name", "Supplier Postcode", "Supplier Company Number"]
CLEAN_ROWS = (
    [ANCHOR, "Adult Social Care", "Catering", "03/04/2024", "T1001", "1200.00", "Brushstrokes Community Project Ltd",
     "B2 2BB", ""],
    [ANCHOR, "Highways", "Building Works", "2024-04-05", "T1002", "25000.50", "ACME BUILDERS LIMITED", "", "1234567"],
    [ANCHOR, "Education", "Catering", "10-Apr-24", "T1003", "800", "Greenfield Caterers", "B3 3CC", ""],
    [ANCHOR, "Corporate", "Printing", "11.04.2024", "T1004", "650.25", "Kwik Print", "b1 1aa", ""],
    [ANCHOR, "Corporate", "Stationery", "12/04/2024", "T1005", "999.99", "Unknown Supplies Ltd", "", ""],
    [ANCHOR, "Highways", "Building Works", "15/04/2024", "T1006", "-200.00", "ACME BUILDERS LIMITED", "", "01234567"],
)


@pytest.fixture(autouse=True)
def _reports_in_tmp(tmp_path, monkeypatch):
    """A store on a PostGIS server has no folder, so its reports go to the working folder:
    the test's own, never the project's."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def store(empty_store):
    """Four assets (the anchor and three suppliers), one ward round them, three postcodes
    and Acme's company number on its register entry."""
    s = empty_store
    writes.upsert_boundaries(s, gpd.GeoDataFrame({"name": ["Ladywood"]}, geometry=[shapely.box(-1.95, 52.45,
                                                                                                -1.85, 52.50)],
                                                 crs=4326), source="wards", level="ward")
    writes.upsert_assets(s, gpd.GeoDataFrame(
        {"source_id": [str(i) for i in range(len(ASSETS))], "name": [a[0] for a in ASSETS]},
        geometry=[shapely.Point(lon, lat) for _, lon, lat in ASSETS], crs=4326), source="assets")
    postcode_store.upsert(s, list(POSTCODES), np.array([p[0] for p in POSTCODES.values()]),
                          np.array([p[1] for p in POSTCODES.values()]), source="test postcodes")
    with s.transaction():
        s.con.execute("INSERT INTO asset_registrations (asset_id, company_number, source, updated_at) "
                      "VALUES (?, ?, ?, ?)", [asset_id(s, "Acme Builders"), "01234567", "test register",
                                              datetime(2024, 1, 1)])
    return s


def asset_id(store, name: str) -> int:
    return store.con.execute("SELECT id FROM assets WHERE name = ?", [name]).fetchone()[0]


def write_csv(path: Path, rows: list[list[object]], header: list[str] | None = None, preamble: str = "") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(preamble)
        writer = csv.writer(fh)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def lines(store, source: str | None = None) -> dict[str, dict]:
    sql = ("SELECT source_id, anchor_id, supplier_name, supplier_company_number, supplier_postcode, amount, currency, "
           "paid_on, category, supplier_asset_id, match_method, match_score, candidate_asset_id, supplier_lon, "
           "supplier_lat, placed_by, source FROM spend_lines")
    rows = store.rows(sql + (" WHERE source = ?" if source else ""), [source] if source else [])
    return {r["source_id"]: r for r in rows}


def test_a_clean_spend_csv_is_read_matched_and_placed(store, tmp_path):
    path = write_csv(tmp_path / "spend-april.csv", CLEAN_ROWS, CLEAN_HEADER)
    report = tmp_path / "reports" / "spend-skipped.csv"
    summary = import_spend(store, path, anchor="birmingham city council", report_path=report)

    assert summary.columns_used == {"supplier": "Supplier Name", "amount": "Amount", "date": "Payment Date",
                                    "category": "Expense Type", "company_number": "Supplier Company Number",
                                    "postcode": "Supplier Postcode", "id": "Transaction Number"}
    assert (summary.read, summary.imported, summary.updated, summary.skipped) == (6, 6, 0, 0)
    assert summary.stored_as == "spend" and summary.format == "CSV"
    got = lines(store)
    anchor, brush, acme, green = (asset_id(store, a[0]) for a in ASSETS)
    assert {r["anchor_id"] for r in got.values()} == {anchor}
    assert {k: (r["amount"], r["paid_on"], r["category"]) for k, r in got.items()} == {
        "T1001": (1200.0, date(2024, 4, 3), "Catering"),
        "T1002": (25000.5, date(2024, 4, 5), "Building Works"),
        "T1003": (800.0, date(2024, 4, 10), "Catering"),
        "T1004": (650.25, date(2024, 4, 11), "Printing"),
        "T1005": (999.99, date(2024, 4, 12), "Stationery"),
        "T1006": (-200.0, date(2024, 4, 15), "Building Works"),
    }
    assert {r["currency"] for r in got.values()} == {"GBP"}
    # Matched: Acme by its company number (1234567 and 01234567 are one), Brushstrokes by
    # its postcode and a name 100% alike once "Ltd" is dropped.
    assert (got["T1002"]["supplier_asset_id"], got["T1002"]["match_method"], got["T1002"]["match_score"]) == (
        acme, "company number", 100.0)
    assert got["T1006"]["supplier_asset_id"] == acme and got["T1006"]["supplier_company_number"] == "01234567"
    assert (got["T1001"]["supplier_asset_id"], got["T1001"]["match_method"]) == (brush, "postcode and name")
    # Uncertain: a candidate, never a merge.
    assert got["T1003"]["supplier_asset_id"] is None and got["T1003"]["match_method"] is None
    assert got["T1003"]["candidate_asset_id"] == green
    assert got["T1003"]["match_score"] == pytest.approx(GREENFIELD_SCORE)
    assert got["T1004"]["supplier_asset_id"] is None and got["T1004"]["candidate_asset_id"] is None
    # Placed by the file's postcode, else the matched asset, else nowhere.
    assert (got["T1001"]["placed_by"], got["T1001"]["supplier_lon"], got["T1001"]["supplier_lat"]) == (
        "postcode", *POSTCODES["B22BB"])
    assert (got["T1003"]["placed_by"], got["T1003"]["supplier_postcode"]) == ("postcode", "B33CC")
    assert (got["T1004"]["placed_by"], got["T1004"]["supplier_lon"]) == ("postcode", POSTCODES["B11AA"][0])
    assert got["T1002"]["placed_by"] == "asset"
    assert (got["T1002"]["supplier_lon"], got["T1002"]["supplier_lat"]) == pytest.approx(ACME_POINT)
    assert (got["T1005"]["placed_by"], got["T1005"]["supplier_lon"], got["T1005"]["supplier_lat"]) == (None,) * 3

    assert summary.uncertain == 1
    assert Path(summary.uncertain_report) == tmp_path / "reports" / "spend-uncertain.csv"
    listed = uncertain.read(Path(summary.uncertain_report))
    assert [(r["supplier"], r["postcode"], r["lines"], r["amount"], r["candidate_asset_id"], r["candidate_name"],
             r["score"]) for r in listed] == [
        ("Greenfield Caterers", "B33CC", "1", "800.00", str(green), "Greenfields Catering", "82")]
    assert summary.skipped_report is None


def test_suppliers_are_matched_once_each_not_once_a_line(store, tmp_path, monkeypatch):
    from atlas.spend import suppliers

    asked: list[int] = []
    real = suppliers.match_organisations

    def counting(store_, queries):
        asked.append(len(queries))
        return real(store_, queries)

    monkeypatch.setattr(suppliers, "match_organisations", counting)
    rows = [list(row) for _ in range(50) for row in CLEAN_ROWS]  # 300 lines, 5 distinct suppliers
    for i, row in enumerate(rows):
        row[4] = f"T{i}"
    import_spend(store, write_csv(tmp_path / "many.csv", rows, CLEAN_HEADER), anchor=ANCHOR)
    # ACME BUILDERS LIMITED appears with 1234567 and 01234567: one supplier once normalised.
    assert asked == [5]
    assert store.con.execute("SELECT count(*), round(sum(amount), 2) FROM spend_lines").fetchone() == (
        300, round(50 * (1200 + 25000.5 + 800 + 650.25 + 999.99 - 200), 2))


MESSY = (
    "Payments over £500 for April 2024 - Birmingham City Council\n"
    "\n"
    "Supplier,Date Paid,Net Amount,Purpose,Reference\n"
    "Brushstrokes Community Project Ltd,01/04/2024,\"£1,234.50\",Art workshops,R1\n"
    "Kwik Print,02/04/2024,(500.00),Printing refund,R2\n"
    "ACME BUILDERS LIMITED,03/04/2024,\"1,000 CR\",Building Works,R3\n"
    "\n"
    "Kwik Print,04/04/2024,\"£2,000.00\",Printing,R4\n"
    ",,\"£2,734.50\",Total,\n"
)


def test_a_messy_csv_with_a_title_symbols_separators_and_credit_notes(store, tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    summary = import_spend(store, path, anchor=ANCHOR, report_path=tmp_path / "messy-skipped.csv")

    assert summary.columns_used == {"supplier": "Supplier", "amount": "Net Amount", "date": "Date Paid",
                                    "category": "Purpose", "id": "Reference"}
    got = lines(store)
    assert {k: (r["amount"], r["paid_on"], r["category"]) for k, r in got.items()} == {
        "R1": (1234.5, date(2024, 4, 1), "Art workshops"),
        "R2": (-500.0, date(2024, 4, 2), "Printing refund"),
        "R3": (-1000.0, date(2024, 4, 3), "Building Works"),
        "R4": (2000.0, date(2024, 4, 4), "Printing"),
    }
    assert {r["currency"] for r in got.values()} == {"GBP"}
    # The total line (row 9, after a title, a blank line, the header at row 3 and a blank
    # row 7) is listed, not counted; blank lines are passed over.
    assert summary.skipped == 1
    assert [(r.row, r.field, r.reason) for r in read_report(Path(summary.skipped_report))] == [
        ("9", "Supplier", "no supplier named; the payment cannot be attributed")]
    # Without its company number Acme is only "the same name, no postcode": uncertain.
    acme = asset_id(store, "Acme Builders")
    assert (got["R3"]["supplier_asset_id"], got["R3"]["candidate_asset_id"], got["R3"]["placed_by"]) == (
        None, acme, None)
    assert got["R1"]["placed_by"] is None and got["R1"]["supplier_asset_id"] is None  # no postcode, no number


def test_an_xlsx_with_a_title_row_real_dates_and_numbers(store, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Spend"
    sheet.append(["Spend over £500, May 2024"])
    sheet.append(["Vendor", "Transaction Date", "Amount (£)", "Expense Area", "Postcode"])
    sheet.append(["Brushstrokes Community Project", datetime(2024, 5, 2), 1500, "Arts", "B2 2BB"])
    sheet.append(["Kwik Print", datetime(2024, 5, 3, 14, 30), -75.5, "Printing", "B1 1AA"])
    sheet.append(["Kwik Print", "06/05/2024", "£310.20", "Printing", None])
    path = tmp_path / "spend.xlsx"
    book.save(path)

    summary = import_spend(store, path, anchor=ANCHOR)
    assert summary.format == "XLSX" and summary.layer == "Spend"
    assert summary.columns_used == {"supplier": "Vendor", "amount": "Amount (£)", "date": "Transaction Date",
                                    "category": "Expense Area", "postcode": "Postcode"}
    got = lines(store)
    # No id column: lines are keyed by their sheet row (title row 1, header row 2).
    assert {k: (r["supplier_name"], r["amount"], r["paid_on"], r["category"], r["placed_by"])
            for k, r in got.items()} == {
        "3": ("Brushstrokes Community Project", 1500.0, date(2024, 5, 2), "Arts", "postcode"),
        "4": ("Kwik Print", -75.5, date(2024, 5, 3), "Printing", "postcode"),
        "5": ("Kwik Print", 310.2, date(2024, 5, 6), "Printing", None),
    }
    assert {r["currency"] for r in got.values()} == {"GBP"}  # from "£" in the amount column's name


def test_a_semicolon_csv_in_windows_1252_with_decimal_commas_and_euros(store, tmp_path):
    path = tmp_path / "ausgaben.csv"
    path.write_bytes("Supplier;Payment Date;Amount;Expense Type\r\n"
                     "Café Rouge;01.05.2024;€1.234,56;Catering\r\n"
                     "Kwik Print;02.05.2024;-12,50;Printing\r\n".encode("cp1252"))
    import_spend(store, path, anchor=ANCHOR)
    got = lines(store)
    # No id column: keyed by row. "€" on one line is the file's currency for both.
    assert {k: (r["supplier_name"], r["amount"], r["currency"], r["paid_on"]) for k, r in got.items()} == {
        "2": ("Café Rouge", 1234.56, "EUR", date(2024, 5, 1)),
        "3": ("Kwik Print", -12.5, "EUR", date(2024, 5, 2)),
    }


def test_a_wrong_guess_is_corrected_with_columns_given(store, tmp_path):
    path = write_csv(tmp_path / "vendors.csv", [
        ["Kwik Print", "01/06/2024", "100", "Posters for the consultation", "Communications"],
        ["Kwik Print", "02/06/2024", "200", "Leaflets", "Communications"],
    ], ["Vendor", "Paid", "Value", "Description", "Expense Area"])
    with pytest.raises(InvalidInput) as missing:
        import_spend(store, path, anchor=ANCHOR)
    message = str(missing.value)
    assert str(path) in message and "date" in message and "'Paid'" in message and "'Expense Area'" in message
    assert store.con.execute("SELECT count(*) FROM spend_lines").fetchone()[0] == 0

    summary = import_spend(store, path, anchor=ANCHOR, columns_given={"date": "paid", "category": "Description"})
    assert summary.columns_used == {"supplier": "Vendor", "amount": "Value", "date": "Paid",
                                    "category": "Description"}
    assert sorted(r["category"] for r in lines(store).values()) == ["Leaflets", "Posters for the consultation"]

    with pytest.raises(InvalidInput,
                       match=r"no field 'Cost Centre' \(given with --column category=...\); its fields are Vendor"):
        import_spend(store, path, anchor=ANCHOR, columns_given={"category": "Cost Centre"})
    with pytest.raises(InvalidInput, match="'colour' is not a field of a spend line"):
        import_spend(store, path, anchor=ANCHOR, columns_given={"colour": "Value"})


@pytest.mark.parametrize(("cell", "column", "problem"), [
    ("12,34,5x", "Amount", "is not an amount"),
    ("£99,999,999,999", "Amount", "more than the 10,000,000,000"),
])
def test_a_bad_amount_names_file_row_and_field_and_changes_nothing(store, tmp_path, cell, column, problem):
    first = import_spend(store, write_csv(tmp_path / "spend.csv", CLEAN_ROWS, CLEAN_HEADER), anchor=ANCHOR)
    assert first.imported == 6
    before = sorted((k, r["amount"]) for k, r in lines(store).items())
    rows = [list(r) for r in CLEAN_ROWS]
    rows[0][5] = "1.00"  # a change the failed import must not leave behind
    rows[2][5] = cell
    path = write_csv(tmp_path / "spend.csv", rows, CLEAN_HEADER)
    with pytest.raises(InvalidInput) as bad:
        import_spend(store, path, anchor=ANCHOR)
    assert f"{path} row 4, field {column}" in str(bad.value) and problem in str(bad.value)
    assert sorted((k, r["amount"]) for k, r in lines(store).items()) == before


@pytest.mark.parametrize(("column", "cell", "where", "problem"), [
    (3, "31/02/2024", "row 3, field Payment Date", "is not a date"),
    (3, "01/01/1900", "row 3, field Payment Date", "not a plausible payment date"),
    (6, "CafÃ© Nero", "row 3, field Supplier Name", "garbled"),
    (5, "€800", "row 3, field Amount", "a spend file is in one currency"),
])
def test_unreadable_garbled_or_mixed_values_are_refused(store, tmp_path, column, cell, where, problem):
    rows = [list(r) for r in CLEAN_ROWS]
    rows[1][column] = cell
    if column == 5:
        rows[0][5] = "£1,200.00"
    path = write_csv(tmp_path / "bad.csv", rows, CLEAN_HEADER)
    with pytest.raises(InvalidInput) as bad:
        import_spend(store, path, anchor=ANCHOR)
    assert f"{path} {where}" in str(bad.value) and problem in str(bad.value)
    assert store.con.execute("SELECT count(*) FROM spend_lines").fetchone()[0] == 0


def test_importing_again_updates_and_replace_removes_what_the_file_lost(store, tmp_path):
    path = write_csv(tmp_path / "spend.csv", CLEAN_ROWS, CLEAN_HEADER)
    import_spend(store, path, anchor=ANCHOR)
    ids = {k: r for k, r in lines(store).items()}
    again = import_spend(store, path, anchor=ANCHOR)
    assert (again.imported, again.updated, again.removed) == (0, 6, 0)

    rows = [list(r) for r in CLEAN_ROWS[:-1]]
    rows[0][5] = "1250.00"
    write_csv(path, rows, CLEAN_HEADER)
    kept = import_spend(store, path, anchor=ANCHOR)
    assert (kept.imported, kept.updated, kept.removed) == (0, 5, 0)
    assert lines(store)["T1001"]["amount"] == 1250.0 and "T1006" in lines(store)

    replaced = import_spend(store, path, anchor=ANCHOR, replace=True)
    assert (replaced.imported, replaced.updated, replaced.removed) == (0, 5, 1)
    assert sorted(lines(store)) == ["T1001", "T1002", "T1003", "T1004", "T1005"]
    assert store.con.execute("SELECT count(*) FROM spend_lines").fetchone()[0] == 5
    assert len(ids) == 6


def test_a_source_of_another_anchor_is_not_taken_over(store, tmp_path):
    path = write_csv(tmp_path / "spend.csv", CLEAN_ROWS, CLEAN_HEADER)
    import_spend(store, path, anchor=ANCHOR)
    with pytest.raises(InvalidInput, match="already holds the spend of Birmingham City Council"):
        import_spend(store, path, anchor="Acme Builders")
    import_spend(store, path, anchor="Acme Builders", source="acme spend")
    assert store.con.execute("SELECT count(*) FROM spend_lines").fetchone()[0] == 12


def test_an_unknown_anchor_is_refused_with_close_names(store, tmp_path):
    path = write_csv(tmp_path / "spend.csv", CLEAN_ROWS, CLEAN_HEADER)
    with pytest.raises(NotFound, match="No asset is called 'Birmingham Council'.*Close names: Birmingham City Council"):
        import_spend(store, path, anchor="Birmingham Council")
    by_id = import_spend(store, path, anchor=str(asset_id(store, ANCHOR)))
    assert by_id.imported == 6


OCDS_RELEASES = {
    "uri": "https://www.contractsfinder.service.gov.uk/Published/OCDS/Search",
    "publishedDate": "2024-04-01T00:00:00Z",
    "releases": [
        {
            "ocid": "ocds-b5fd17-0001", "id": "r1", "date": "2024-03-15T00:00:00Z", "tag": ["award"],
            "parties": [
                {"id": "GB-COH-01234567", "name": "Acme Builders Ltd", "roles": ["supplier"],
                 "identifier": {"scheme": "GB-COH", "id": "01234567"}, "address": {"postalCode": "B9 9ZZ"}},
                {"id": "GB-COH-07654321", "name": "Kwik Print Limited", "roles": ["supplier"],
                 "identifier": {"scheme": "GB-COH", "id": "7654321"}, "address": {"postalCode": "B1 1AA"}},
                {"id": "buyer", "name": ANCHOR, "roles": ["buyer"]},
            ],
            "tender": {"mainProcurementCategory": "works", "items": [{"id": "1", "classification": {
                "scheme": "CPV", "id": "45000000", "description": "Construction work"}}]},
            "awards": [
                {"id": "A1", "status": "active", "date": "2024-03-10T00:00:00Z",
                 "value": {"amount": 150000, "currency": "GBP"},
                 "suppliers": [{"id": "GB-COH-01234567", "name": "Acme Builders Ltd"}]},
                {"id": "A2", "status": "active", "date": "2024-03-12T00:00:00Z",
                 "value": {"amount": 4800.5, "currency": "GBP"},
                 "suppliers": [{"id": "GB-COH-07654321", "name": "Kwik Print Limited"}],
                 "items": [{"id": "1", "classification": {"scheme": "CPV", "id": "79800000",
                                                          "description": "Printing and related services"}}]},
                {"id": "A3", "status": "unsuccessful", "date": "2024-03-12T00:00:00Z",
                 "value": {"amount": 99999, "currency": "GBP"}, "suppliers": [{"id": "GB-COH-07654321"}]},
            ],
        },
        # A later release of the same process corrects A2's value: it counts once, at 5,000.
        {"ocid": "ocds-b5fd17-0001", "id": "r2", "date": "2024-03-20T00:00:00Z", "tag": ["awardUpdate"],
         "awards": [{"id": "A2", "value": {"amount": 5000, "currency": "GBP"}}]},
    ],
}


def test_an_ocds_release_package_gives_one_line_per_award(store, tmp_path):
    path = tmp_path / "contracts-finder.json"
    path.write_text(json.dumps(OCDS_RELEASES), encoding="utf-8")
    summary = import_spend(store, path, anchor=ANCHOR, report_path=tmp_path / "ocds-skipped.csv")
    assert summary.format == "OCDS JSON" and summary.columns_used == {}
    got = lines(store)
    assert sorted(got) == ["ocds-b5fd17-0001/award/A1", "ocds-b5fd17-0001/award/A2"]
    a1, a2 = got["ocds-b5fd17-0001/award/A1"], got["ocds-b5fd17-0001/award/A2"]
    acme = asset_id(store, "Acme Builders")
    assert (a1["amount"], a1["paid_on"], a1["category"], a1["supplier_company_number"]) == (
        150000.0, date(2024, 3, 10), "Construction work", "01234567")
    # B9 9ZZ is not in the lookup: Acme is placed at its asset, matched by company number.
    assert (a1["supplier_asset_id"], a1["match_method"], a1["placed_by"], a1["supplier_postcode"]) == (
        acme, "company number", "asset", "B99ZZ")
    assert (a1["supplier_lon"], a1["supplier_lat"]) == pytest.approx(ACME_POINT)
    assert (a2["amount"], a2["paid_on"], a2["category"], a2["supplier_name"], a2["supplier_company_number"]) == (
        5000.0, date(2024, 3, 12), "Printing and related services", "Kwik Print Limited", "07654321")
    assert (a2["supplier_asset_id"], a2["placed_by"], a2["supplier_lon"]) == (None, "postcode", POSTCODES["B11AA"][0])
    assert {r["currency"] for r in got.values()} == {"GBP"}
    assert summary.skipped == 1
    assert [(r.row, r.reason) for r in read_report(Path(summary.skipped_report))] == [
        ("release ocds-b5fd17-0001, award A3", "award unsuccessful: no money goes to its suppliers")]


OCDS_RECORDS = {
    "uri": "https://www.find-tender.service.gov.uk/api/1.0/ocdsRecordPackages",
    "records": [{
        "ocid": "ocds-h6vhtk-0002",
        "releases": [{"url": "https://example.org/r1", "date": "2024-05-01T00:00:00Z", "tag": ["contract"]}],
        "compiledRelease": {
            "ocid": "ocds-h6vhtk-0002", "id": "compiled", "date": "2024-07-01T00:00:00Z",
            "parties": [
                {"id": "S1", "name": "Brushstrokes Community Project", "roles": ["supplier"],
                 "address": {"postalCode": "B2 2BB"}},
                {"id": "S2", "name": "Greenfield Caterers", "roles": ["supplier"], "address": {"postalCode": "B3 3CC"}},
            ],
            "tender": {"mainProcurementCategory": "services"},
            "awards": [
                {"id": "A1", "status": "active", "date": "2024-04-20T00:00:00Z",
                 "value": {"amount": 20000, "currency": "GBP"},
                 "suppliers": [{"id": "S1", "name": "Brushstrokes Community Project"}]},
                {"id": "A2", "status": "active", "date": "2024-04-25T00:00:00Z",
                 "value": {"amount": 9000, "currency": "GBP"},
                 "suppliers": [{"id": "S1", "name": "Brushstrokes Community Project"},
                               {"id": "S2", "name": "Greenfield Caterers"}]},
            ],
            "contracts": [{
                "id": "C1", "awardID": "A1", "status": "active", "value": {"amount": 18000, "currency": "GBP"},
                "dateSigned": "2024-05-02T00:00:00Z",
                "implementation": {"transactions": [
                    {"id": "T1", "date": "2024-06-01T00:00:00Z", "value": {"amount": 6000, "currency": "GBP"},
                     "payee": {"id": "S1", "name": "Brushstrokes Community Project"}},
                    {"id": "T2", "date": "2024-07-01T09:30:00+01:00", "value": {"amount": 6000, "currency": "GBP"},
                     "payee": {"id": "S1"}},
                ]},
            }],
        },
    }],
}


def test_an_ocds_record_package_takes_transactions_then_awards(store, tmp_path):
    path = tmp_path / "find-a-tender.json"
    path.write_text(json.dumps(OCDS_RECORDS), encoding="utf-8")
    summary = import_spend(store, path, anchor=ANCHOR, report_path=tmp_path / "records-skipped.csv")
    got = lines(store)
    brush, green = asset_id(store, "Brushstrokes Community Project"), asset_id(store, "Greenfields Catering")
    key = "ocds-h6vhtk-0002"
    # C1's payments replace its contract value (18,000) and its award's (20,000); A2 has
    # no contract and two suppliers: 9,000 split 4,500 each.
    assert {k: (r["amount"], r["paid_on"], r["category"], r["supplier_asset_id"], r["candidate_asset_id"])
            for k, r in got.items()} == {
        f"{key}/contract/C1/transaction/T1": (6000.0, date(2024, 6, 1), "services", brush, None),
        f"{key}/contract/C1/transaction/T2": (6000.0, date(2024, 7, 1), "services", brush, None),
        f"{key}/award/A2/supplier/1": (4500.0, date(2024, 4, 25), "services", brush, None),
        f"{key}/award/A2/supplier/2": (4500.0, date(2024, 4, 25), "services", None, green),
    }
    assert {r["placed_by"] for r in got.values()} == {"postcode"}
    assert summary.uncertain == 1 and summary.skipped == 0
    assert [(r.row, r.reason) for r in read_report(Path(summary.skipped_report))] == [
        (f"release {key}, award A2", "kept, award value 9,000.00 split equally between its 2 suppliers "
                                     "(the package does not say how it is shared)")]


def test_ocds_json_lines_and_a_bad_value(store, tmp_path):
    release = OCDS_RELEASES["releases"][0]
    path = tmp_path / "releases.jsonl"
    path.write_text(json.dumps(release) + "\n\n", encoding="utf-8")
    summary = import_spend(store, path, anchor=ANCHOR)
    assert summary.format == "OCDS JSON Lines"
    assert sorted(r["amount"] for r in lines(store).values()) == [4800.5, 150000.0]

    broken = json.loads(json.dumps(release))
    broken["awards"][0]["value"]["amount"] = "about a million"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"releases": [broken]}), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad.json row release ocds-b5fd17-0001, award A1, field "
                                           r"awards/value/amount: 'about a million' is not an amount"):
        import_spend(store, bad, anchor=ANCHOR)
    not_ocds = tmp_path / "other.json"
    not_ocds.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    with pytest.raises(InvalidInput, match="is not OCDS"):
        import_spend(store, not_ocds, anchor=ANCHOR)


def test_amounts_and_dates_as_files_write_them():
    import pandas as pd

    read = values.amounts(pd.Series(["£1,234.50", "(500.00)", "1,000 CR", "250.00-", "-£75", " 3 ", "", "x1"]))
    assert list(read.value[:6]) == [1234.5, -500.0, -1000.0, -250.0, -75.0, 3.0]
    assert np.isnan(read.value[6]) and list(read.unreadable) == [False] * 7 + [True]
    assert read.currency.to_pylist()[:5] == ["GBP", None, None, None, "GBP"]
    comma = values.amounts(pd.Series(["1.234,56", "12,5", "1.000"]))  # a file of decimal commas
    assert list(comma.value) == [1234.56, 12.5, 1000.0]
    typo = values.amounts(pd.Series(["1,234", "12,5"]))  # a British file with one odd cell: refused, not 1.234
    assert list(typo.unreadable) == [True, False]
    assert [values.one_date(s) for s in ("31/05/2024", "31/05/24", "2024-05-31T10:00:00Z", "31-May-24",
                                         "31-MAY-2024", "31.05.2024", "31 May 2024", "31/05/2024 00:00")] == [
        date(2024, 5, 31)] * 8
    assert values.one_date("05/31/2024") is None and values.one_date("soon") is None


def test_column_guesses_for_published_headers():
    assert guess(["Organisation Name", "Effective Date", "Expenses Type", "Service Area Categorisation",
                  "Amount", "Supplier Name", "Transaction Number"]) == {
        "supplier": "Supplier Name", "amount": "Amount", "date": "Effective Date",
        "category": "Expenses Type", "id": "Transaction Number"}
    assert guess(["Payee", "Date", "Total", "Category", "Company Reg No", "Post Code", "Invoice Number"]) == {
        "supplier": "Payee", "amount": "Total", "date": "Date", "category": "Category",
        "company_number": "Company Reg No", "postcode": "Post Code", "id": "Invoice Number"}


def test_the_import_command_shows_the_columns_it_used(store_path, tmp_path):
    with open_store(store_path) as s:
        writes.upsert_assets(s, gpd.GeoDataFrame({"source_id": ["1"], "name": [ANCHOR]},
                                                 geometry=[shapely.Point(-1.9, 52.48)], crs=4326), source="assets")
    path = write_csv(tmp_path / "spend.csv", CLEAN_ROWS, CLEAN_HEADER)
    result = CliRunner().invoke(main, ["import", str(path), "--as", "spend", "--anchor", ANCHOR, "--db",
                                       str(store_path), "--format", "json", "--column",
                                       "category=Service Area"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["columns_used"]["category"] == "Service Area" and out["columns_used"]["amount"] == "Amount"
    assert (out["imported"], out["stored_as"]) == (6, "spend")
    with open_store(store_path) as s:
        assert s.con.execute("SELECT count(*), sum(amount) FROM spend_lines").fetchone() == (
            6, pytest.approx(1200 + 25000.5 + 800 + 650.25 + 999.99 - 200))
        assert {r[0] for r in s.con.execute("SELECT category FROM spend_lines").fetchall()} == {
            "Adult Social Care", "Highways", "Education", "Corporate"}
    table = CliRunner().invoke(main, ["import", str(path), "--as", "spend", "--anchor", ANCHOR, "--db",
                                      str(store_path)], catch_exceptions=False)
    assert table.exit_code == 0, table.output
    assert "Columns read" in table.output and "Supplier Name" in table.output and "Expense Type" in table.output


def test_import_file_dispatches_spend(store, tmp_path):
    path = write_csv(tmp_path / "spend.csv", CLEAN_ROWS, CLEAN_HEADER)
    with pytest.raises(InvalidInput, match="--anchor"):
        import_file(store, path, as_="spend")
    assert import_file(store, path, as_="spend", anchor=ANCHOR).imported == 6
