"""Organisation registers (issue 12): Companies House basic company data, a charity
register extract and 360Giving grants, each written here in its real format, imported
into a small store on both engines, with every outcome worked out by hand below.

The store: one ward (a box around central Birmingham), seven postcodes (six inside it,
one in Leeds) and four assets surveyed before any register came:

    s1 Brushstrokes Community Project  at B66 1AA  (no sector)
    s2 Hockley Kitchen Collective      at B18 6AA  (community)
    s3 Café Kavarna                    at B16 8AA  (private)
    s4 City Hospital                   away from every postcode
"""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pytest
import shapely
from click.testing import CliRunner

from atlas import open_store, writes
from atlas.errors import InvalidInput
from atlas.importers import import_file, postcode_store
from atlas.importers.report import read_report
from atlas.org_matching import SURE_SCORE, UNSURE_SCORE
from atlas.registers import import_register, placing, reading, registration_of, registrations_of
from atlas.registers import store as sql
from atlas.registers.reports import read_uncertain
from atlas.registers.sectors import section_of, sic_code
from atlas.registers.social_enterprise import companies_house_form
from atlas.store import Store, utc_now
from atlas_cli import main
from cedplans.erasure import erase_person

# -- the store ------------------------------------------------------------------------

POSTCODES = {
    "B11AA": (-1.900, 52.480), "B12AA": (-1.905, 52.475), "B168AA": (-1.925, 52.478), "B186AA": (-1.915, 52.490),
    "B187AA": (-1.935, 52.488), "B661AA": (-1.950, 52.493), "LS11AA": (-1.550, 53.800),
}
SURVEY = [  # source id, name, postcode (or a point), sector, category
    ("s1", "Brushstrokes Community Project", "B661AA", None, "arts"),
    ("s2", "Hockley Kitchen Collective", "B186AA", "community", "food"),
    ("s3", "Café Kavarna", "B168AA", "private", "cafe"),
    ("s4", "City Hospital", (-1.940, 52.470), "public", "hospital"),
]


def _prepare(store: Store) -> None:
    ward = gpd.GeoDataFrame({"name": ["Central"], "source_id": ["central"]},
                            geometry=[shapely.box(-1.96, 52.46, -1.88, 52.50)], crs=4326)
    writes.upsert_boundaries(store, ward, source="test-wards", level="ward")
    keys = list(POSTCODES)
    postcode_store.upsert(store, keys, [POSTCODES[k][0] for k in keys], [POSTCODES[k][1] for k in keys],
                          source="test-postcodes")
    points = [POSTCODES[p] if isinstance(p, str) else p for _, _, p, _, _ in SURVEY]
    assets = gpd.GeoDataFrame({"source_id": [s[0] for s in SURVEY], "name": [s[1] for s in SURVEY],
                               "sector": [s[3] for s in SURVEY], "category": [s[4] for s in SURVEY]},
                              geometry=[shapely.Point(p) for p in points], crs=4326)
    writes.upsert_assets(store, assets, source="survey")


@pytest.fixture(autouse=True)
def _reports_in_tmp(tmp_path, monkeypatch) -> None:
    """A store on a PostGIS server has no folder: its reports go to the working folder."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def store(empty_store: Store) -> Store:
    _prepare(empty_store)
    return empty_store


def _survey_id(store: Store, source_id: str) -> int:
    return store.con.execute("SELECT id FROM assets WHERE source = 'survey' AND source_id = ?",
                             [source_id]).fetchone()[0]


def _counts(store: Store) -> tuple[int, int, int]:
    return tuple(store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                 for t in ("assets", "asset_registrations", "grants"))


# -- Companies House basic company data, header exactly as published ---------------------

CH_HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
    "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
    "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
    "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,"
    "Mortgages.NumMortSatisfied,SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,"
    "LimitedPartnerships.NumGenPartners,LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, "
    "PreviousName_1.CompanyName, PreviousName_2.CONDATE, PreviousName_2.CompanyName,PreviousName_3.CONDATE, "
    "PreviousName_3.CompanyName,PreviousName_4.CONDATE, PreviousName_4.CompanyName,PreviousName_5.CONDATE, "
    "PreviousName_5.CompanyName,PreviousName_6.CONDATE, PreviousName_6.CompanyName,PreviousName_7.CONDATE, "
    "PreviousName_7.CompanyName,PreviousName_8.CONDATE, PreviousName_8.CompanyName,PreviousName_9.CONDATE, "
    "PreviousName_9.CompanyName,PreviousName_10.CONDATE, PreviousName_10.CompanyName,ConfStmtNextDueDate, "
    "ConfStmtLastMadeUpDate"
)
CH_COLUMNS = [c.strip() for c in CH_HEADER.split(",")]
assert len(CH_COLUMNS) == 55


def ch_row(name: str, number: str, postcode: str, category: str = "Private Limited Company",
           status: str = "Active", incorporated: str = "01/01/2015", dissolved: str = "",
           sic: tuple[str, ...] = ("70229 - Management consultancy activities other than financial management",)
           ) -> list[str]:
    values = dict.fromkeys(CH_COLUMNS, "")
    values.update({
        "CompanyName": name, "CompanyNumber": number, "RegAddress.AddressLine1": "1 TEST STREET",
        "RegAddress.PostTown": "BIRMINGHAM", "RegAddress.PostCode": postcode, "CompanyCategory": category,
        "CompanyStatus": status, "CountryOfOrigin": "United Kingdom", "DissolutionDate": dissolved,
        "IncorporationDate": incorporated, "Mortgages.NumMortCharges": "0",
        "URI": f"http://business.data.gov.uk/id/company/{number}",
    })
    for i, text in enumerate(sic, 1):
        values[f"SICCode.SicText_{i}"] = text
    return [values[c] for c in CH_COLUMNS]


def write_ch(path: Path, rows: list[list[str]]) -> Path:
    """As Companies House writes it: the header bare, every value quoted."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(CH_HEADER + "\r\n")
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return path


CH_ROWS = [
    # row 2: Café Kavarna by postcode and name (s3)
    ch_row("CAFE KAVARNA LTD", "09800005", "B16 8AA", incorporated="20/11/2015",
           sic=("56102 - Unlicensed restaurants and cafes",)),
    # row 3: new, a CIC: a social enterprise
    ch_row("LADYWOOD MAKERS COLLECTIVE CIC", "14820001", "B1 1AA", "Community Interest Company",
           incorporated="12/03/2019",
           sic=("90030 - Artistic creation", "47990 - Other retail sale not in stores, stalls or markets")),
    # row 4: new, a registered society: a social enterprise, a co-operative
    ch_row("JEWELLERY QUARTER MAKERS' CO-OPERATIVE LIMITED", "RS008801", "b18 7aa", "Registered Society",
           incorporated="14/05/2012", sic=("32120 - Manufacture of jewellery and related articles",)),
    # row 5: uncertain: s2's name only partly alike at its postcode
    ch_row("HOCKLEY COMMUNITY KITCHEN CIC", "12900004", "B18 6AA", "Community Interest Company",
           incorporated="03/02/2020", sic=("56210 - Event catering activities",)),
    # row 6: outside the area (Leeds)
    ch_row("NORTHERN WIDGETS LTD", "01111111", "LS1 1AA"),
    # row 7: not a postcode
    ch_row("NOWHERE TRADING LTD", "02222222", "NOT KNOWN"),
    # row 8: a postcode the lookup does not have
    ch_row("FAR AWAY LTD", "03333333", "B99 9ZZ"),
    # row 9: in liquidation: no new asset
    ch_row("WOUND UP CIC", "04444444", "B1 2AA", "Community Interest Company", status="Liquidation"),
    # row 10: dissolved: no new asset
    ch_row("GONE LTD", "05555555", "B1 2AA", dissolved="01/02/2023"),
    # row 11: new, dormant: no sector from its SIC code
    ch_row("QUIET HOLDINGS LIMITED", "SC123456", "B1 2AA", incorporated="01/01/2000",
           sic=("99999 - Dormant Company",)),
    # row 12: no postcode
    ch_row("BLANK LTD", "06666666", ""),
]


def _asset_of(store: Store, source: str, source_id: str) -> dict:
    rows = store.rows("SELECT id, name, sector, category, asset_type, description, ST_X(geom) AS lon, "
                      "ST_Y(geom) AS lat FROM assets WHERE source = ? AND source_id = ?", [source, source_id])
    assert len(rows) == 1, (source, source_id)
    return rows[0]


def test_companies_house_import(store, tmp_path):
    path = write_ch(tmp_path / "BasicCompanyData-part1.csv", CH_ROWS)
    report = tmp_path / "ch-skipped.csv"
    summary = import_register(store, path, kind="companies", source="ch", report_path=report)

    assert (summary.read, summary.imported, summary.updated, summary.uncertain, summary.skipped) == (11, 3, 1, 1, 6)
    assert summary.format == "Companies House basic company data"
    assert summary.tables["assets"].imported == 3
    assert summary.tables["asset_registrations"].imported == 4

    # Row 2 matched s3 by postcode and name: its registration is the register's, the asset
    # is otherwise untouched (its sector stays private, its category cafe).
    kavarna = registration_of(store, _survey_id(store, "s3"))
    assert kavarna is not None
    assert (kavarna.company_number, kavarna.legal_form, kavarna.status) == ("09800005", "Private limited company",
                                                                             "Active")
    assert kavarna.incorporated_on == date(2015, 11, 20) and kavarna.postcode == "B168AA"
    assert kavarna.sic_codes == ("56102",)
    assert kavarna.register_sector == "Accommodation and food service activities"  # 56 -> section I
    assert not kavarna.social_enterprise and kavarna.social_enterprise_reason is None
    assert kavarna.kind == "company"
    s3 = _asset_of(store, "survey", "s3")
    assert (s3["name"], s3["sector"], s3["category"]) == ("Café Kavarna", "private", "cafe")

    # Row 3: a new asset at B1 1AA, a social enterprise because it is a CIC.
    makers = _asset_of(store, "ch", "14820001")
    assert (makers["name"], makers["sector"], makers["category"], makers["asset_type"]) == (
        "LADYWOOD MAKERS COLLECTIVE CIC", "social", "social enterprise", "community")
    assert (makers["lon"], makers["lat"]) == pytest.approx(POSTCODES["B11AA"])
    assert makers["description"] == ("Community interest company, Companies House number 14820001, incorporated "
                                      "12 March 2019. Activity: Artistic creation.")
    reg = registration_of(store, makers["id"])
    assert reg is not None
    assert (reg.social_enterprise, reg.social_enterprise_reason) == (True, "community interest company")
    assert reg.sic_codes == ("90030", "47990") and reg.register_sector == "Arts, entertainment and recreation"
    assert reg.incorporated_on == date(2019, 3, 12) and reg.income is None and reg.source == "ch"
    assert reg.trading_years(date(2024, 3, 12)) == pytest.approx(5.0, abs=0.01)
    assert reg.kind == "social enterprise"

    # Row 4: a registered society, lower-case postcode and all: a co-operative.
    coop = _asset_of(store, "ch", "RS008801")
    assert (coop["sector"], coop["category"]) == ("social", "co-operative")
    coop_reg = registration_of(store, coop["id"])
    assert coop_reg is not None and coop_reg.legal_form == "Registered society"
    assert coop_reg.social_enterprise_reason == "registered society (a co-operative or community benefit society)"
    assert coop_reg.register_sector == "Manufacturing"  # 32 -> section C
    assert coop_reg.kind == "co-operative"

    # Row 11: dormant; a private company with no sector from its code.
    quiet = _asset_of(store, "ch", "SC123456")
    assert (quiet["sector"], quiet["category"]) == ("private", "company")
    quiet_reg = registration_of(store, quiet["id"])
    assert quiet_reg is not None and quiet_reg.register_sector is None and quiet_reg.sic_codes == ("99999",)

    # Row 5 is neither merged nor made: listed with its candidate.
    assert registration_of(store, _survey_id(store, "s2")) is None
    assert not store.rows("SELECT id FROM assets WHERE source_id = '12900004'")
    [uncertain] = read_uncertain(Path(summary.uncertain_report))
    assert (uncertain["file"], uncertain["row"], uncertain["name"]) == (str(path), "5",
                                                                       "HOCKLEY COMMUNITY KITCHEN CIC")
    assert (uncertain["candidate_asset_id"], uncertain["candidate_name"]) == (str(_survey_id(store, "s2")),
                                                                            "Hockley Kitchen Collective")
    assert UNSURE_SCORE <= float(uncertain["score"]) < SURE_SCORE
    assert Path(summary.uncertain_report) == tmp_path / "ch-skipped-uncertain.csv"

    skipped = {(s.row, s.field): s.reason for s in read_report(report)}
    assert set(skipped) == {("6", "RegAddress.PostCode"), ("7", "RegAddress.PostCode"), ("8", "RegAddress.PostCode"),
                            ("9", "CompanyStatus"), ("10", "CompanyStatus"), ("12", "RegAddress.PostCode")}
    assert skipped[("6", "RegAddress.PostCode")] == "outside the atlas's area (postcode LS1 1AA)"
    assert skipped[("7", "RegAddress.PostCode")] == "'NOT KNOWN' is not a UK postcode"
    assert skipped[("8", "RegAddress.PostCode")].startswith("postcode B99 9ZZ is not in the postcode lookup")
    assert skipped[("9", "CompanyStatus")] == "company status is 'Liquidation'; not added as a new asset"
    assert skipped[("10", "CompanyStatus")] == "dissolved on 01/02/2023; not added as a new asset"
    assert skipped[("12", "RegAddress.PostCode")].startswith("no postcode")
    assert _counts(store) == (4 + 3, 4, 0)


def test_companies_reimport_updates_and_replace_removes(store, tmp_path):
    path = write_ch(tmp_path / "companies.csv", CH_ROWS)
    import_register(store, path, kind="companies", source="ch")
    makers_id = _asset_of(store, "ch", "14820001")["id"]

    again = import_register(store, path, kind="companies", source="ch")
    assert (again.imported, again.updated, again.uncertain) == (0, 4, 1)  # 3 of its own assets, s3's registration
    assert _counts(store) == (7, 4, 0)

    # The CIC renames itself and moves to B1 2AA: the same asset (same id) follows it.
    moved = [ch_row("LADYWOOD MAKERS COLLECTIVE C.I.C.", "14820001", "B1 2AA", "Community Interest Company",
                    incorporated="12/03/2019", sic=("90030 - Artistic creation",)), *CH_ROWS[2:3]]
    summary = import_register(store, write_ch(tmp_path / "companies-2.csv", moved), kind="companies", source="ch",
                              replace=True)
    makers = _asset_of(store, "ch", "14820001")
    assert makers["id"] == makers_id and makers["name"] == "LADYWOOD MAKERS COLLECTIVE C.I.C."
    assert (makers["lon"], makers["lat"]) == pytest.approx(POSTCODES["B12AA"])
    reg = registration_of(store, makers_id)
    assert reg is not None and reg.sic_codes == ("90030",) and reg.postcode == "B12AA"
    # Replace: the dormant company's asset and registration went, and Kavarna's
    # registration (the file no longer lists it); Kavarna itself stays.
    assert summary.removed == 2  # one asset of the source, one registration of another source's asset
    assert not store.rows("SELECT id FROM assets WHERE source = 'ch' AND source_id = 'SC123456'")
    assert registration_of(store, _survey_id(store, "s3")) is None
    assert _counts(store) == (4 + 2, 2, 0)
    orphans = store.con.execute("SELECT count(*) FROM asset_registrations r WHERE NOT EXISTS "
                                "(SELECT 1 FROM assets a WHERE a.id = r.asset_id)").fetchone()[0]
    assert orphans == 0


def test_companies_from_zip_in_chunks(store, tmp_path, monkeypatch):
    """The published .zip, read a few rows at a time: row numbers hold across chunks."""
    monkeypatch.setattr(reading, "CHUNK_BYTES", 4096)  # about eight rows a chunk
    filler = [ch_row(f"FILLER {i} LTD", f"0700{i:04d}", "LS1 1AA") for i in range(30)]
    csv_path = write_ch(tmp_path / "BasicCompanyDataAsOneFile-2024-05-01.csv", [*filler, CH_ROWS[1]])
    zipped = tmp_path / "BasicCompanyDataAsOneFile-2024-05-01.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv_path, csv_path.name)
    monkeypatch.setattr(placing, "LISTED_PER_REASON", 5)  # a national file skips millions: list a few
    summary = import_file(store, zipped, as_="companies", report_path=tmp_path / "skipped.csv")
    assert (summary.read, summary.imported, summary.skipped) == (31, 1, 30)
    listed = read_report(tmp_path / "skipped.csv")
    assert [s.row for s in listed] == ["2", "3", "4", "5", "6", "25 more rows"]
    assert listed[-1].reason == "outside the atlas's area (not listed one by one)"
    assert registration_of(store, _asset_of(store, zipped.name, "14820001")["id"]) is not None
    bad = [ch_row(f"FILLER {i} LTD", f"0700{i:04d}", "LS1 1AA") for i in range(30)]
    bad.append(ch_row("CAFÃ‰ KAVARNA LTD", "09800005", "B16 8AA"))
    with pytest.raises(InvalidInput, match=r"row 32, field CompanyName: .*garbled"):
        import_register(store, write_ch(tmp_path / "bad.csv", bad), kind="companies", source="bad")


@pytest.mark.parametrize(("rows", "header", "message"), [
    ([ch_row("CAFÃ‰ KAVARNA LTD", "09800005", "B16 8AA")], CH_HEADER, r"row 2, field CompanyName: .*garbled"),
    ([ch_row("09800005", "CAFE KAVARNA LTD", "B16 8AA")], CH_HEADER,
     r"row 2, field CompanyNumber: 'CAFE KAVARNA LTD' is not a Companies House number"),
    ([ch_row("CAFE KAVARNA LTD", "09800005", "B16 8AA", incorporated="2015/31/12")], CH_HEADER,
     r"row 2, field IncorporationDate: '2015/31/12' is not a date"),
    ([ch_row("CAFE KAVARNA LTD", "09800005", "B16 8AA", sic=("Unlicensed restaurants",))], CH_HEADER,
     r"row 2, field SICCode.SicText_1: 'Unlicensed restaurants' is not a SIC entry"),
    ([ch_row("CAFE KAVARNA LTD", "09800005", "B16 8AA")], CH_HEADER.replace("RegAddress.PostCode", "RegAddress.Zip"),
     r"is not Companies House basic company data: it has no column for postcode"),
])
def test_companies_bad_input_leaves_store_unchanged(store, tmp_path, rows, header, message):
    before = _counts(store)
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(header + "\n")
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows([*CH_ROWS[1:3], *rows])
    with pytest.raises(InvalidInput, match=message.replace("row 2", "row 4")) as caught:
        import_register(store, path, kind="companies", source="bad")
    assert str(path) in str(caught.value)
    assert _counts(store) == before


def test_a_broken_row_is_named_and_windows_text_is_read(store, tmp_path):
    path = tmp_path / "broken.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(CH_HEADER + "\n")
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows([CH_ROWS[1], [*CH_ROWS[2], "stray"]])
    with pytest.raises(InvalidInput, match=r"broken.csv: the row '\"JEWELLERY QUARTER.* has 56 fields where the "
                                           r"header has 55"):
        import_register(store, path, kind="companies", source="broken")
    assert _counts(store) == (4, 0, 0)
    # Saved by a spreadsheet on Windows: the accent survives, and the name still matches s3.
    windows = tmp_path / "windows.csv"
    with windows.open("w", newline="", encoding="cp1252") as fh:
        fh.write(CH_HEADER + "\n")
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerow(ch_row("CAFÉ KAVARNA LTD", "09800005", "B16 8AA"))
    summary = import_register(store, windows, kind="companies", source="windows")
    assert (summary.imported, summary.updated) == (0, 1)
    reg = registration_of(store, _survey_id(store, "s3"))
    assert reg is not None and reg.company_number == "09800005"


def test_without_boundaries_every_known_postcode_is_in(empty_store, tmp_path):
    keys = ["B11AA", "LS11AA"]
    postcode_store.upsert(empty_store, keys, [POSTCODES[k][0] for k in keys], [POSTCODES[k][1] for k in keys],
                          source="test-postcodes")
    summary = import_register(empty_store, write_ch(tmp_path / "c.csv", [CH_ROWS[1], CH_ROWS[4], CH_ROWS[6]]),
                              kind="companies", source="ch", report_path=tmp_path / "skipped.csv")
    assert (summary.imported, summary.skipped) == (2, 1)  # Leeds is in: the atlas has no area yet
    assert [s.row for s in read_report(tmp_path / "skipped.csv")] == ["4"]  # B99 9ZZ: not in the lookup
    assert _asset_of(empty_store, "ch", "01111111")["lon"] == pytest.approx(POSTCODES["LS11AA"][0])


def test_a_column_without_postcodes_is_refused(store, tmp_path):
    rows = [ch_row(f"SHOP {i} LTD", f"0800{i:04d}", f"SHOP {i}") for i in range(3)]
    with pytest.raises(InvalidInput, match=r"row 2, field RegAddress.PostCode: 'SHOP 0' is not a UK postcode, and no "
                                           r"row of the file has one"):
        import_register(store, write_ch(tmp_path / "c.csv", rows), kind="companies", source="c")


# -- the Charity Commission's register extract (tab-separated) ---------------------------

CC_COLUMNS = [
    "date_of_extract", "organisation_number", "registered_charity_number", "linked_charity_number", "charity_name",
    "charity_type", "charity_registration_status", "date_of_registration", "date_of_removal",
    "charity_reporting_status", "latest_acc_fin_period_start_date", "latest_acc_fin_period_end_date",
    "latest_income", "latest_expenditure", "charity_contact_address1", "charity_contact_address2",
    "charity_contact_address3", "charity_contact_address4", "charity_contact_address5", "charity_contact_postcode",
    "charity_contact_phone", "charity_contact_email", "charity_contact_web", "charity_company_registration_number",
    "charity_insolvent", "charity_in_administration", "charity_previously_excepted", "charity_is_cdf_or_cif",
    "charity_is_cio", "cio_is_dissolved", "date_cio_dissolution_notice", "charity_activities", "charity_gift_aid",
    "charity_has_land",
]


def cc_row(number: str, name: str, postcode: str, *, linked: str = "0", charity_type: str = "Trust",
           status: str = "Registered", registered: str = "2001-05-10 00:00:00", removed: str = "",
           income: str = "", company: str = "", activities: str = "") -> list[str]:
    values = dict.fromkeys(CC_COLUMNS, "")
    values.update({
        "date_of_extract": "2024-05-01 00:00:00", "organisation_number": f"5{number}{linked}",
        "registered_charity_number": number, "linked_charity_number": linked, "charity_name": name,
        "charity_type": charity_type, "charity_registration_status": status, "date_of_registration": registered,
        "date_of_removal": removed, "latest_income": income, "charity_contact_postcode": postcode,
        "charity_company_registration_number": company, "charity_is_cio": "False", "charity_activities": activities,
    })
    return [values[c] for c in CC_COLUMNS]


def write_cc(path: Path, rows: list[list[str]]) -> Path:
    """As the Commission publishes it: tab-separated, unquoted, a byte-order mark."""
    lines = ["\t".join(CC_COLUMNS), *("\t".join(r) for r in rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return path


CC_ROWS = [
    # row 2: s1, by postcode and name; a charitable company (its company number kept)
    cc_row("1990001", "BRUSHSTROKES COMMUNITY PROJECT", "B66 1AA", charity_type="Charitable company",
           income="310000.00", company="04100001", activities='Runs "open studio sessions for local families'),
    # row 3: its linked charity: the main charity stands for it
    cc_row("1990001", "BRUSHSTROKES COMMUNITY PROJECT SUPPORTERS FUND", "B66 1AA", linked="1", income="1200.00"),
    # row 4: new
    cc_row("1990005", "LADYWOOD LAND TRUST", "B1 2AA", registered="2020-10-05 00:00:00", income="48000"),
    # row 5: removed from the register: no new asset
    cc_row("1990009", "OLD ALMSHOUSES CHARITY", "B1 1AA", status="Removed", registered="1963-01-01 00:00:00",
           removed="2019-06-30 00:00:00"),
    # row 6: outside the area
    cc_row("1990010", "LEEDS LADS CLUB", "LS1 1AA"),
]


def test_charity_register_extract(store, tmp_path):
    path = write_cc(tmp_path / "publicextract.charity.txt", CC_ROWS)
    report = tmp_path / "cc-skipped.csv"
    summary = import_register(store, path, kind="charities", source="ccew", report_path=report)
    assert (summary.read, summary.imported, summary.updated, summary.uncertain, summary.skipped) == (5, 1, 1, 0, 3)

    s1 = _asset_of(store, "survey", "s1")
    assert s1["sector"] == "social" and s1["category"] == "arts"  # it had no sector: a charity is social
    reg = registration_of(store, s1["id"])
    assert reg is not None
    assert (reg.charity_number, reg.company_number, reg.legal_form) == ("1990001", "04100001", "Charitable company")
    assert reg.income == 310000.0 and reg.incorporated_on == date(2001, 5, 10) and reg.status == "Registered"
    assert not reg.social_enterprise and reg.kind == "charity"  # a charity is not counted as a social enterprise

    trust = _asset_of(store, "ccew", "1990005")
    assert (trust["name"], trust["sector"], trust["category"]) == ("LADYWOOD LAND TRUST", "social", "charity")
    assert trust["description"] == "Registered charity 1990005 (trust)."
    trust_reg = registration_of(store, trust["id"])
    assert trust_reg is not None and trust_reg.income == 48000.0 and trust_reg.legal_form == "Trust"

    skipped = {(s.row, s.field): s.reason for s in read_report(report)}
    assert set(skipped) == {("3", "linked_charity_number"), ("5", "charity_registration_status"),
                            ("6", "charity_contact_postcode")}
    assert skipped[("5", "charity_registration_status")] == ("removed from the register on 30/06/2019; "
                                                             "not added as a new asset")


def test_charities_with_friendly_columns_and_classification(store, tmp_path):
    path = tmp_path / "charities.csv"
    path.write_text(
        "Charity Number,Name,Income,Date of registration,Postcode,Classification\n"
        '1990011,Hockley Food Bank,"£12,500",05/03/2015,B18 7AA,The prevention or relief of poverty;'
        "General charitable purposes\n", encoding="utf-8")
    summary = import_register(store, path, kind="charities", source="local-charities")
    assert (summary.imported, summary.skipped) == (1, 0)
    bank = _asset_of(store, "local-charities", "1990011")
    assert bank["description"] == ("Registered charity 1990011 (registered charity). Classification: The prevention "
                                   "or relief of poverty; General charitable purposes.")
    reg = registration_of(store, bank["id"])
    assert reg is not None
    assert (reg.income, reg.incorporated_on, reg.register_sector) == (12500.0, date(2015, 3, 5),
                                                                     "The prevention or relief of poverty")


def test_a_charity_joins_its_company_by_number(store, tmp_path):
    """Imported after Companies House, a charitable company's charity row finds its asset
    by company number; the registration keeps the SIC codes and gains the income."""
    ch = write_ch(tmp_path / "ch.csv", [ch_row("WESTSIDE YOUTH TRUST", "04100099", "B18 7AA",
                                               "PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)",
                                               sic=("88990 - Other social work activities without accommodation "
                                                    "n.e.c.",))])
    import_register(store, ch, kind="companies", source="ch")
    youth = _asset_of(store, "ch", "04100099")
    before = registration_of(store, youth["id"])
    assert before is not None and before.legal_form == "Company limited by guarantee"
    assert before.register_sector == "Human health and social work activities"  # 88 -> section Q
    # Elsewhere by its contact postcode (the charity's office in Leeds), found all the same.
    cc = write_cc(tmp_path / "cc.txt", [cc_row("1234567", "Westside Youth Trust", "LS1 1AA", income="90000",
                                               charity_type="Charitable company", company="4100099")])
    summary = import_register(store, cc, kind="charities", source="ccew")
    assert (summary.imported, summary.updated, summary.skipped) == (0, 1, 0)
    reg = registration_of(store, youth["id"])
    assert reg is not None
    assert (reg.company_number, reg.charity_number, reg.income) == ("04100099", "1234567", 90000.0)
    assert reg.legal_form == "Charitable company" and reg.sic_codes == ("88990",)
    assert reg.postcode == "LS11AA" and reg.source == "ccew"
    assert _asset_of(store, "ch", "04100099")["lon"] == pytest.approx(POSTCODES["B187AA"][0])  # the asset stays

    # The charity file replaced by one without it: the registration it last wrote goes.
    # Companies House again: its own asset is found by its number all the same, not doubled.
    import_register(store, write_cc(tmp_path / "cc-2.txt", CC_ROWS[2:3]), kind="charities", source="ccew",
                    replace=True)
    assert registration_of(store, youth["id"]) is None
    again = import_register(store, ch, kind="companies", source="ch")
    assert (again.imported, again.updated, again.uncertain) == (0, 1, 0)
    restored = registration_of(store, youth["id"])
    assert restored is not None and restored.company_number == "04100099" and restored.charity_number is None


@pytest.mark.parametrize(("row", "message"), [
    (cc_row("1990005", "LADYWOOD LAND TRUST", "B1 2AA", income="-5"),
     r"row 3, field latest_income: '-5' is below zero"),
    (cc_row("1990005", "LADYWOOD LAND TRUST", "B1 2AA", income="200000000000"),
     r"row 3, field latest_income: '200000000000' is more than 100,000,000,000"),
    (cc_row("1990005", "LADYWOOD LAND TRUST", "B1 2AA", income="lots"),
     r"row 3, field latest_income: 'lots' is not a number"),
    (cc_row("LADYWOOD LAND TRUST", "1990005", "B1 2AA"),
     r"row 3, field registered_charity_number: 'LADYWOOD LAND TRUST' is not a registered charity number"),
    (cc_row("1990005", "LADYWOOD LAND TRUST\x07", "B1 2AA"), r"row 3, field charity_name: .*control characters"),
])
def test_charities_bad_input_leaves_store_unchanged(store, tmp_path, row, message):
    before = _counts(store)
    path = write_cc(tmp_path / "bad.txt", [CC_ROWS[0], row])
    with pytest.raises(InvalidInput, match=message):
        import_register(store, path, kind="charities", source="bad")
    assert _counts(store) == before
    assert registration_of(store, _survey_id(store, "s1")) is None


# -- 360Giving ---------------------------------------------------------------------------

FUNDER = {"id": "GB-CHC-1000001", "name": "Test Community Foundation"}
GRANTS = [
    # 1: to the CIC the companies file made, found by the company number in its org-id
    {"id": "360G-test-1", "title": "Makers' space fit-out", "amountAwarded": "£1,200", "awardDate": "2023-04-01",
     "recipientOrganization": [{"id": "GB-COH-14820001", "name": "Ladywood Makers Collective CIC"}],
     "fundingOrganization": [FUNDER]},
    # 2: uncertain: s2's name only partly alike at its postcode
    {"id": "360G-test-2", "title": "Kitchen equipment", "currency": "GBP", "amountAwarded": 5000,
     "awardDate": "2023-05-10T00:00:00+00:00",
     "recipientOrganization": [{"id": "360G-test-org-2", "name": "Hockley Community Kitchen", "postalCode": "B18 6AA"}],
     "fundingOrganization": [FUNDER]},
    # 3: in the area, no asset: kept, unlinked
    {"id": "360G-test-3", "title": "Summer programme", "currency": "GBP", "amountAwarded": 750.5,
     "awardDate": "2023-06-01",
     "recipientOrganization": [{"id": "GB-CHC-1234567", "name": "Westside Youth Club", "charityNumber": "1234567",
                                "postalCode": "B1 2AA"}],
     "fundingOrganization": [FUNDER]},
    # 4: elsewhere, no asset: skipped
    {"id": "360G-test-4", "title": "Leeds", "currency": "GBP", "amountAwarded": 2000, "awardDate": "2023-06-02",
     "recipientOrganization": [{"id": "GB-COH-07777777", "name": "Leeds Lads Ltd", "postalCode": "LS1 1AA"}],
     "fundingOrganization": [FUNDER]},
    # 5: to a person: skipped
    {"id": "360G-test-5", "title": "Bursary", "currency": "GBP", "amountAwarded": 300, "awardDate": "2023-06-03",
     "recipientIndividual": {"id": "360G-test-ind-1", "name": "Individual recipient"},
     "fundingOrganization": [FUNDER]},
]
GRANT_TITLES = ["Identifier", "Title", "Currency", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
                "Recipient Org:Name", "Recipient Org:Charity Number", "Recipient Org:Company Number",
                "Recipient Org:Postal Code", "Recipient Ind:Identifier", "Funding Org:Identifier", "Funding Org:Name"]


def _grants_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(GRANT_TITLES)
        for g in GRANTS:
            org = (g.get("recipientOrganization") or [{}])[0]
            writer.writerow([g["id"], g["title"], g.get("currency", ""), g["amountAwarded"], g["awardDate"],
                             org.get("id", ""), org.get("name", ""), org.get("charityNumber", ""),
                             org.get("companyNumber", ""), org.get("postalCode", ""),
                             (g.get("recipientIndividual") or {}).get("id", ""), FUNDER["id"], FUNDER["name"]])
    return path


@pytest.mark.parametrize("form", ["json", "csv"])
def test_360giving_grants(store, tmp_path, form):
    import_register(store, write_ch(tmp_path / "ch.csv", CH_ROWS[1:2]), kind="companies", source="ch")
    makers_id = _asset_of(store, "ch", "14820001")["id"]
    if form == "json":
        path = tmp_path / "grants.json"
        path.write_text(json.dumps({"grants": GRANTS}), encoding="utf-8")
    else:
        path = _grants_csv(tmp_path / "grants.csv")
    report = tmp_path / "grants-skipped.csv"
    summary = import_file(store, path, as_="grants", source="foundation", report_path=report)
    assert (summary.read, summary.imported, summary.updated, summary.uncertain, summary.skipped) == (5, 3, 0, 1, 2)

    rows = {r["source_id"]: r for r in store.rows(
        "SELECT source_id, title, funder, recipient_name, recipient_company_number, recipient_charity_number, "
        "recipient_postcode, amount, currency, awarded_on, asset_id, match_method, candidate_asset_id "
        "FROM grants WHERE source = 'foundation'")}
    assert set(rows) == {"360G-test-1", "360G-test-2", "360G-test-3"}
    one, two, three = rows["360G-test-1"], rows["360G-test-2"], rows["360G-test-3"]
    assert (one["asset_id"], one["match_method"], one["amount"], one["currency"]) == (makers_id, "company number",
                                                                                      1200.0, "GBP")
    assert (one["recipient_company_number"], one["awarded_on"], one["funder"]) == (
        "14820001", date(2023, 4, 1), "Test Community Foundation")
    assert two["asset_id"] is None and two["candidate_asset_id"] == _survey_id(store, "s2")
    assert two["awarded_on"] == date(2023, 5, 10) and two["recipient_postcode"] == "B186AA"
    assert three["asset_id"] is None and three["candidate_asset_id"] is None
    assert (three["recipient_charity_number"], three["amount"]) == ("1234567", 750.5)
    total = store.con.execute("SELECT sum(amount) FROM grants").fetchone()[0]
    assert total == pytest.approx(1200 + 5000 + 750.5)
    assert _counts(store)[0] == 4 + 1  # grants never make assets

    [uncertain] = read_uncertain(Path(summary.uncertain_report))
    assert (uncertain["row"], uncertain["name"]) == ("3" if form == "csv" else "2", "Hockley Community Kitchen")
    skipped = sorted((s.row, s.reason) for s in read_report(report))
    offset = 1 if form == "csv" else 0  # a spreadsheet's row 2 is the JSON's grant 1
    assert [r for r, _ in skipped] == [str(4 + offset), str(5 + offset)]
    assert skipped[0][1].startswith("outside the atlas's area (postcode LS1 1AA)")
    assert skipped[1][1] == "a grant to an individual, not an organisation"

    again = import_file(store, path, as_="grants", source="foundation")
    assert (again.imported, again.updated) == (0, 3)
    assert _counts(store)[2] == 3


@pytest.mark.parametrize(("change", "message"), [
    ({"amountAwarded": "lots"}, r"grants.json row 3, field amountAwarded: 'lots' is not a number"),
    ({"amountAwarded": -10}, r"row 3, field amountAwarded: .* is below zero"),
    ({"amountAwarded": None}, r"row 3, field amountAwarded: None is empty"),
    ({"id": "360G-test-1"}, r"row 3, field id: '360G-test-1' repeats row 1"),
    ({"currency": "pounds"}, r"row 3, field currency: 'pounds' is not a three-letter currency code"),
    ({"title": "Caf\u00c3\u00a9 refit"}, r"row 3, field title: .*garbled"),
])
def test_grants_bad_input_leaves_store_unchanged(store, tmp_path, change, message):
    before = _counts(store)
    grants = [GRANTS[0], GRANTS[1], {**GRANTS[2], **change}]
    path = tmp_path / "grants.json"
    path.write_text(json.dumps({"grants": grants}), encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        import_register(store, path, kind="grants", source="bad")
    assert _counts(store) == before


# -- the rule and the table ------------------------------------------------------------

def test_sic_sections_and_legal_forms():
    assert sic_code("88990 - Other social work activities without accommodation n.e.c.") == "88990"
    assert sic_code("None Supplied") is None
    assert [section_of(c).letter for c in ("01110", "05101", "10110", "35110", "36000", "41100", "45111",
                                           "49100", "55100", "58110", "64110", "68100", "69101", "77110",
                                           "84110", "85100", "86101", "90010", "94110", "97000", "99000")] == list(
        "ABCDEFGHIJKLMNOPQRSTU")
    assert section_of("7499") is None and section_of("99999") is None and section_of("04000") is None
    assert companies_house_form("Community Interest Company").social_enterprise_reason == "community interest company"
    assert companies_house_form("Industrial and Provident Society").category == "co-operative"
    charitable = companies_house_form("Charitable Incorporated Organisation")
    assert (charitable.social_enterprise, charitable.category, charitable.sector) == (False, "charity", "social")
    other = companies_house_form("Overseas Entity")
    assert (other.label, other.social_enterprise, other.sector) == ("Overseas Entity", False, "private")


def test_registrations_go_with_an_erased_person(store):
    person = gpd.GeoDataFrame({"source_id": ["p1"], "name": ["A Resident"], "person": ["yes"],
                               "consent_given_by": ["A Resident"], "consent_given_on": ["2024-01-01"],
                               "consent_purpose": ["community mapping"]},
                              geometry=[shapely.Point(POSTCODES["B11AA"])], crs=4326)
    writes.upsert_assets(store, person, source="people")
    person_id = store.con.execute("SELECT id FROM assets WHERE source = 'people'").fetchone()[0]
    table = pa.Table.from_pylist([{"asset_id": person_id, "company_number": "09999999", "sic_codes": [],
                                   "has_sic": False, "social_enterprise": False}], schema=sql.REGISTRATION_SCHEMA)
    with store.transaction():
        sql.upsert_registrations(store, table, source="ch", replace=False, now=utc_now())
    assert registration_of(store, person_id) is not None
    erase_person(store, person_id, by="officer")
    assert registration_of(store, person_id) is None and registrations_of(store) == {}


# -- the command line ----------------------------------------------------------------------

def test_cli_import_companies_json(store_path, tmp_path):
    with open_store(store_path) as prepared:
        _prepare(prepared)
    path = write_ch(tmp_path / "BasicCompanyData.csv", CH_ROWS)
    result = CliRunner().invoke(main, ["import", str(path), "--as", "companies", "--db", str(store_path),
                                       "--format", "json", "--report", str(tmp_path / "skipped.csv")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["stored_as"], data["imported"], data["updated"], data["uncertain"], data["skipped"]) == (
        "companies", 3, 1, 1, 6)
    assert data["uncertain_report"].endswith("skipped-uncertain.csv")
    with open_store(store_path) as after:
        assert len(registrations_of(after)) == 4
    table = CliRunner().invoke(main, ["import", str(path), "--as", "companies", "--db", str(store_path)],
                               catch_exceptions=False)
    assert table.exit_code == 0 and "not merged" in table.output
