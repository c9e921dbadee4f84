"""Registers as people keep them: CSV (written with the csv module) and XLSX (written with
openpyxl), placed by longitude/latitude, by easting/northing with --crs, or by postcode."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from pyproj import Transformer

from atlas import open_store, queries
from atlas.errors import InvalidInput
from atlas.importers import import_file, import_postcodes
from atlas.importers.report import read_report

TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)
ORGS = [
    # name, sector, employees, annual spend as written, spend value, lon, lat, postcode
    ("Café Zoë", "Private", "4", "£12,000", 12_000.0, -1.9301, 52.4803, "B16 8AE"),
    ("Smethwick Gurdwara ਸਿੰਘ", "community", "", "", None, -1.9712, 52.4951, "B66 3AA"),
    ("Sandwell Council", "public", "1,250", "£1.2m", 1_200_000.0, -1.9630, 52.4972, "B66 1AA"),
]


def write_csv(path: Path, header: list[str], rows: list[list[object]], *, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], *, title: str = "Register",
               blank_rows_above: int = 0, extra_sheet: bool = False) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for _ in range(blank_rows_above):
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("Notes").append(["Collected by the community researchers, spring 2025"])
    book.save(path)
    return path


def test_csv_with_longitude_and_latitude_columns(tmp_path):
    path = write_csv(tmp_path / "register.csv", ["Organisation", "Sector", "No. of employees", "Annual spend",
                                                 "Longitude", "Latitude"],
                     [[o[0], o[1], o[2], o[3], o[5], o[6]] for o in ORGS])
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="assets")
        assert (summary.format, summary.read, summary.imported, summary.skipped) == ("CSV", 3, 3, 0)
        assets = {a.name: a for a in queries.list_assets(store)}
    for name, sector, _e, _s, spend, lon, lat, _pc in ORGS:
        a = assets[name]
        assert a.sector == sector.lower()
        assert a.annual_spend == spend
        assert (a.geom.x, a.geom.y) == pytest.approx((lon, lat), abs=1e-9)
        assert a.source_id in {"2", "3", "4"}  # spreadsheet row numbers, header is row 1
    assert assets["Sandwell Council"].employees == 1250
    assert assets["Sandwell Council"].scale == "macro"
    assert assets["Smethwick Gurdwara ਸਿੰਘ"].employees is None


def test_semicolon_csv_from_windows_excel_keeps_accents(tmp_path):
    path = write_csv(tmp_path / "register.csv", ["name", "lat", "lon"],
                     [["Crèche Étoile", "52,4899", "-1,9502"], ["Café Zoë", "52,4803", "-1,9301"]],
                     delimiter=";", encoding="cp1252")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="assets")
        got = {a.name: (a.geom.x, a.geom.y) for a in queries.list_assets(store)}
    assert got["Crèche Étoile"] == pytest.approx((-1.9502, 52.4899))
    assert got["Café Zoë"] == pytest.approx((-1.9301, 52.4803))


def test_easting_and_northing_need_crs_and_then_agree_with_pyproj(tmp_path):
    rows = []
    for name, *_rest, lon, lat, _pc in ORGS:
        e, n = TO_BNG.transform(lon, lat)
        rows.append([name, round(e, 2), round(n, 2)])
    path = write_csv(tmp_path / "grid.csv", ["name", "easting", "northing"], rows)
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match=r"grid\.csv gives eastings and northings .* --crs"):
            import_file(store, path, as_="assets")
        summary = import_file(store, path, as_="assets", crs="27700")
        assert summary.crs == "EPSG:27700" and summary.imported == 3
        got = dict(store.con.execute("SELECT name, [ST_X(geom_m), ST_Y(geom_m)] FROM assets").fetchall())
    for name, e, n in rows:
        assert np.hypot(got[name][0] - e, got[name][1] - n) < 0.01


def test_xlsx_with_numbers_a_title_row_gap_and_a_notes_sheet(tmp_path):
    path = write_xlsx(tmp_path / "register.xlsx", ["Name", "Sector", "Employees", "Spend", "lng", "lat", "Offers"],
                      [[o[0], o[1], int(o[2].replace(",", "")) if o[2] else None, o[4], o[5], o[6],
                        "room hire; volunteers"] for o in ORGS] + [[None] * 7, [None] * 7],
                      blank_rows_above=2, extra_sheet=True)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="assets")
        assert (summary.format, summary.layer, summary.read, summary.imported) == ("XLSX", "Register", 3, 3)
        assets = {a.name: a for a in queries.list_assets(store)}
        assert sorted(a.source_id for a in assets.values()) == ["4", "5", "6"]  # rows as Excel shows them
        assert assets["Sandwell Council"].employees == 1250
        assert assets["Café Zoë"].offers == ["room hire", "volunteers"]
        with pytest.raises(InvalidInput, match=r"has no sheet 'Assets'; its sheets are: Register, Notes"):
            import_file(store, path, as_="assets", layer="Assets")


def test_column_mapping_file_names_columns_and_constants(tmp_path):
    path = write_csv(tmp_path / "groups.csv", ["Group", "Where (lon)", "Where (lat)", "What they do"],
                     [[o[0], o[5], o[6], "meets weekly"] for o in ORGS])
    mapping = write_csv(tmp_path / "mapping.csv", ["field", "column", "value"],
                        [["name", "Group", ""], ["lon", "Where (lon)", ""], ["lat", "Where (lat)", ""],
                         ["description", "What they do", ""], ["sector", "", "community"],
                         ["asset_type", "", "community"]])
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="assets", mapping=mapping)
        assets = queries.list_assets(store)
    assert sorted(a.name for a in assets) == sorted(o[0] for o in ORGS)
    assert {(a.sector, a.asset_type, a.description) for a in assets} == {("community", "community", "meets weekly")}


def test_a_bad_value_names_file_row_and_column_and_nothing_is_written(tmp_path):
    rows = [[o[0], o[1], o[5], o[6]] for o in ORGS] + [["Last One", "charity", -1.95, 52.49]]
    path = write_csv(tmp_path / "register.csv", ["name", "sector", "lon", "lat"], rows)
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput) as err:
            import_file(store, path, as_="assets")
        assert str(err.value) == (
            f"{path} row 5, field sector: 'charity' is not one of public, private, social, community."
        )
        assert queries.list_assets(store) == []


@pytest.mark.parametrize("column, value, message", [
    ("employees", "lots", "'lots' is not a number."),
    ("employees", "-3", "'-3' is below zero."),
    ("name", "", "the name is empty."),
    ("verified_on", "31/13/2024", "'31/13/2024' is not a date (write 2024-05-31)."),
])
def test_each_bad_value_gets_its_message(tmp_path, column, value, message):
    header = ["name", "employees", "verified_on", "lon", "lat"]
    good = ["Good", "3", "2024-05-31", -1.93, 52.48]
    bad = dict(zip(header, good, strict=True)) | {column: value}
    path = write_csv(tmp_path / "register.csv", header, [good, [bad[h] for h in header]])
    with open_store(tmp_path / "atlas.duckdb") as store, pytest.raises(InvalidInput) as err:
        import_file(store, path, as_="assets")
    assert str(err.value) == f"{path} row 3, field {column}: {message}"


def test_rows_without_a_place_are_skipped_and_reported(tmp_path):
    rows = [["Placed", -1.93, 52.48], ["No place", "", ""], ["Garbled", "west", 52.5]]
    path = write_csv(tmp_path / "register.csv", ["name", "lon", "lat"], rows)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="assets", report_path=tmp_path / "skipped.csv")
        assert (summary.read, summary.imported, summary.skipped) == (3, 1, 2)
    report = read_report(Path(summary.skipped_report))
    assert [(r.row, r.field, r.reason) for r in report] == [
        ("3", "lon", "no coordinates"),
        ("4", "lon", "'west' is not a number"),
    ]
    assert {r.file for r in report} == {str(path)}


def _codepoint_rows() -> list[list[object]]:
    """Code-Point Open's layout: postcode (fixed width), quality, easting, northing, ..."""
    out = []
    for _name, *_rest, lon, lat, postcode in ORGS:
        e, n = TO_BNG.transform(lon, lat)
        padded = postcode.split()[0].ljust(4) + postcode.split()[1]
        out.append([padded, 10, round(e), round(n),
                    "E92000001", "E19000001", "E18000005", "", "E08000028", "E05001260"])
    return out


def test_postcode_column_is_resolved_through_the_lookup(tmp_path):
    lookup = write_csv(tmp_path / "b.csv", ["PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC"],
                       _codepoint_rows())
    spellings = ["b168ae", "B66  3AA", " b66 1aa "]  # one postcode each, however written
    path = write_csv(tmp_path / "groups.csv", ["name", "Post code"],
                     [[o[0], s] for o, s in zip(ORGS, spellings, strict=True)]
                     + [["Unknown", "B99 9ZZ"], ["Nonsense", "hello"]])
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match="no postcode lookup yet: load one with atlas import-postcodes FILE"):
            import_file(store, path, as_="assets")
        import_postcodes(store, lookup)
        summary = import_file(store, path, as_="assets", report_path=tmp_path / "skipped.csv")
        assert (summary.imported, summary.skipped) == (3, 2)
        got = dict(store.con.execute("SELECT name, [ST_X(geom_m), ST_Y(geom_m)] FROM assets").fetchall())
    for (name, *_rest, lon, lat, _pc) in ORGS:
        e, n = TO_BNG.transform(lon, lat)
        assert np.hypot(got[name][0] - e, got[name][1] - n) < 1.0  # Code-Point is to the metre
    reasons = [(r.row, r.reason) for r in read_report(tmp_path / "skipped.csv")]
    assert reasons == [("5", "postcode B99 9ZZ is not in the postcode lookup"), ("6", "'hello' is not a UK postcode")]


def test_coordinates_win_over_the_postcode_where_a_row_has_both(tmp_path):
    lookup = write_csv(tmp_path / "b.csv", ["PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC"],
                       _codepoint_rows())
    path = write_csv(tmp_path / "mixed.csv", ["name", "lon", "lat", "postcode"],
                     [["Has both", -1.90, 52.47, "B16 8AE"], ["Postcode only", "", "", "B16 8AE"]])
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_postcodes(store, lookup)
        import_file(store, path, as_="assets")
        got = {a.name: (a.geom.x, a.geom.y) for a in queries.list_assets(store)}
    assert got["Has both"] == pytest.approx((-1.90, 52.47))
    assert got["Postcode only"] == pytest.approx((ORGS[0][5], ORGS[0][6]), abs=2e-5)


def test_a_crs_without_an_epsg_code_still_places_rows_by_postcode(tmp_path):
    lookup = write_csv(tmp_path / "b.csv", ["PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC"],
                       _codepoint_rows())
    e, n = TO_BNG.transform(ORGS[1][5], ORGS[1][6])
    path = write_csv(tmp_path / "grid.csv", ["name", "easting", "northing", "postcode"],
                     [["Has coordinates", round(e, 2), round(n, 2), ""], ["Postcode only", "", "", "B16 8AE"]])
    british_grid_as_proj = ("+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy "
                            "+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs +type=crs")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_postcodes(store, lookup)
        summary = import_file(store, path, as_="assets", crs=british_grid_as_proj)
        assert (summary.imported, summary.skipped) == (2, 0)
        got = {a.name: (a.geom.x, a.geom.y) for a in queries.list_assets(store)}
    assert got["Postcode only"] == pytest.approx((ORGS[0][5], ORGS[0][6]), abs=2e-5)
    assert got["Has coordinates"] == pytest.approx((ORGS[1][5], ORGS[1][6]), abs=2e-5)


def test_a_table_without_any_place_columns_is_refused(tmp_path):
    path = write_csv(tmp_path / "names.csv", ["name", "sector"], [["A", "public"]])
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match=r"names\.csv has no coordinates: it needs longitude and latitude"):
            import_file(store, path, as_="assets")


def test_coordinates_in_the_wrong_units_are_refused_with_a_hint(tmp_path):
    grid = write_csv(tmp_path / "grid.csv", ["name", "x", "y"], [["A", 401_000, 287_000], ["B", 402_000, 288_000]])
    far = write_csv(tmp_path / "far.csv", ["name", "easting", "northing"], [["A", 9_401_000, 287_000]])
    degrees = write_csv(tmp_path / "degrees.csv", ["name", "x", "y"], [["A", -1.93, 52.48], ["B", -1.94, 52.49]])
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match=r"None of the coordinates in .*grid\.csv lie where EPSG:4326 is valid"
                                               r".*give their CRS with --crs"):
            import_file(store, grid, as_="assets")
        with pytest.raises(InvalidInput, match=r"degrees\.csv look like longitudes and latitudes \(degrees\), but its "
                                               r"coordinate reference system is EPSG:27700, which is in metres"):
            import_file(store, degrees, as_="assets", crs="27700")
        with pytest.raises(InvalidInput, match=r"None of the coordinates in .*far\.csv lie where EPSG:27700 is valid"
                                               r".*check that the file's coordinate reference system \(or --crs\)"):
            import_file(store, far, as_="assets", crs="27700")
        assert import_file(store, grid, as_="assets", crs="EPSG:27700").imported == 2


def test_a_plain_parquet_table_is_read_like_a_csv(tmp_path):
    import pandas as pd

    path = tmp_path / "register.parquet"
    pd.DataFrame({"name": [o[0] for o in ORGS], "longitude": [o[5] for o in ORGS],
                  "latitude": [o[6] for o in ORGS]}).to_parquet(path)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="assets")
        assert (summary.format, summary.imported) == ("Parquet", 3)
        got = {a.name: (a.geom.x, a.geom.y) for a in queries.list_assets(store)}
    assert got == {o[0]: pytest.approx((o[5], o[6])) for o in ORGS}
