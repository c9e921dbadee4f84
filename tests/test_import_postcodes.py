"""The postcode lookup: OS Code-Point Open and the ONS Postcode Directory, with or without
a header row, plain or zipped; one spelling per postcode; and, on the real Code-Point Open
B file, rows placed by postcode land in the ward Code-Point itself names."""

from __future__ import annotations

import csv
import json
import random
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from pyproj import Transformer

from atlas import open_store, queries
from atlas.errors import InvalidInput
from atlas.importers import import_file, import_postcodes
from atlas.importers.postcodes import display, locate, normalise
from atlas.importers.report import read_report
from atlas_cli import main

TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)
CODEPOINT_HEADER = ["Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
                    "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
                    "Admin_ward_code"]
ROWS = [
    ["B1  1AY", 10, 406523, 286448, "E92000001", "E19000001", "E18000005", "", "E08000025", "E05001193"],
    ["B66 1AA", 10, 401932, 288741, "E92000001", "E19000001", "E18000005", "", "E08000028", "E05001277"],
    ["B15 1LZ", 10, 405770, 285400, "E92000001", "E19000001", "E18000005", "", "E08000025", "E05001184"],
    ["B99 1ZZ", 90, 0, 0, "E92000001", "", "", "", "", ""],  # no position (quality 90)
]


def write_rows(path: Path, rows: list[list[object]], header: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("value", ["B1  1AY", "b11ay", "B1 1AY", " b1 1ay ", "B1\t1AY"])
def test_every_spelling_is_one_postcode(value):
    assert normalise(value) == "B11AY"
    assert display("B11AY") == "B1 1AY"


@pytest.mark.parametrize("value", ["", "B1", "hello", "1B1 1AY", "B1 1A", None])
def test_non_postcodes_are_none(value):
    assert normalise(value) is None


def _expected(e: float, n: float) -> tuple[float, float]:
    return TO_WGS84.transform(e, n)


@pytest.mark.parametrize("header",
                         [None, CODEPOINT_HEADER, ["PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC"]],
                         ids=["no header (as published)", "long header", "short header"])
def test_codepoint_open_with_or_without_header(tmp_path, header):
    path = write_rows(tmp_path / "b.csv", ROWS, header)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_postcodes(store, path, report_path=tmp_path / "skipped.csv")
        assert (summary.read, summary.imported, summary.updated, summary.skipped) == (4, 3, 0, 1)
        # The three rows with a position; the fourth (quality 90) has none.
        for spelling, (_pc, _q, e, n, *_rest) in zip(["b11ay", "B66 1AA", "B15  1LZ"], ROWS[:3], strict=True):
            assert locate(store, spelling) == pytest.approx(_expected(e, n), abs=1e-9)
        assert locate(store, "B99 1ZZ") is None
    (skipped,) = read_report(tmp_path / "skipped.csv")
    assert skipped.row == ("5" if header else "4") and "B99 1ZZ has no coordinates" in skipped.reason


def test_onspd_prefers_latitude_and_longitude(tmp_path):
    """ONSPD gives Northern Ireland's eastings on the Irish Grid, so lat/long are used."""
    header = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m", "osgrdind", "lat", "long"]
    rows = [
        ["B1  1AY", "B1   1AY", "B1 1AY", "198001", "", "0", "406523", "286448", "1", "52.477564", "-1.905792"],
        ["BT1 1AA", "BT1  1AA", "BT1 1AA", "198001", "", "0", "333965", "374542", "1", "54.598614", "-5.928464"],
        ["B99 9ZZ", "B99  9ZZ", "B99 9ZZ", "198001", "", "0", "", "", "9", "99.999999", "0.000000"],
    ]
    path = tmp_path / "ONSPD_MAY_2025_UK.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_postcodes(store, path, report_path=tmp_path / "skipped.csv")
        assert (summary.imported, summary.skipped) == (2, 1)
        assert locate(store, "BT1 1AA") == pytest.approx((-5.928464, 54.598614))
        assert locate(store, "B1 1AY") == pytest.approx((-1.905792, 52.477564))


def test_published_zip_is_read_without_its_documentation(tmp_path):
    archive = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Doc/Code-Point_Open_Column_Headers.csv", "PC,PQ,EA,NO\nPostcode,Positional_quality_indicator\n")
        zf.writestr("Doc/licence.txt", "Contains OS data")
        for area, rows in (("b", ROWS[:2]), ("ws", ROWS[2:3])):
            text = "\n".join(",".join(f'"{c}"' if isinstance(c, str) else str(c) for c in r) for r in rows) + "\n"
            zf.writestr(f"Data/CSV/{area}.csv", text)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_postcodes(store, archive)
        assert (summary.read, summary.imported, summary.skipped) == (3, 3, 0)
        again = import_postcodes(store, archive)
        assert (again.imported, again.updated) == (0, 3)


def test_a_bad_row_in_the_second_file_of_a_zip_is_reported_at_its_own_line(tmp_path):
    archive = tmp_path / "codepo_gb.zip"
    bad = ["NOT A POSTCODE", 10, 400000, 280000, "E92000001", "", "", "", "", ""]
    with zipfile.ZipFile(archive, "w") as zf:
        more = [[f"B16 8A{c}", 10, 404000, 286000, "E92000001", "", "", "", "", ""] for c in "BDEF"]
        for area, rows in (("b", ROWS[:2]), ("ws", [ROWS[2], *more[:3], bad, more[3]])):
            text = "\n".join(",".join(f'"{c}"' if isinstance(c, str) else str(c) for c in r) for r in rows) + "\n"
            zf.writestr(f"Data/CSV/{area}.csv", text)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_postcodes(store, archive, report_path=tmp_path / "skipped.csv")
    (skipped,) = read_report(tmp_path / "skipped.csv")
    assert skipped.file.endswith("ws.csv") and skipped.row == "5", skipped
    assert summary.skipped == 1


@pytest.mark.parametrize("content, message", [
    ("", "is empty (0 bytes)"),
    ("name,town\nAlice,Smethwick\n", "has no column of UK postcodes"),
    ("postcode,town\nB1 1AY,Birmingham\n", "has a postcode column but no coordinates"),
])
def test_unusable_postcode_files_get_one_clear_line(tmp_path, content, message):
    path = tmp_path / "postcodes.csv"
    path.write_text(content)
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match=re.escape(message)):
            import_postcodes(store, path)
    result = CliRunner().invoke(main, ["import-postcodes", str(path), "--db", str(tmp_path / "cli.duckdb")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.realdata
def test_real_codepoint_open_b_places_a_register_in_the_wards_codepoint_names(shared_data, tmp_path):
    codepoint = shared_data / "codepoint-open-b" / "b.csv"
    wards_dir = shared_data / "uk-geojson-martinjc"
    with codepoint.open(newline="") as fh:
        source = list(csv.reader(fh))
    db = tmp_path / "atlas.duckdb"
    result = CliRunner().invoke(main, ["import-postcodes", str(codepoint), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["read"], summary["imported"], summary["skipped"]) == (41_276, 41_276, 0)

    # A register of 300 organisations in Birmingham and Sandwell, by postcode, spelt untidily.
    rng = random.Random(7)
    local = [r for r in source if r[8] in ("E08000025", "E08000028")]
    sample = rng.sample(local, 300)
    register = tmp_path / "register.csv"
    with register.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Organisation", "Postcode"])
        for i, r in enumerate(sample):
            w.writerow([f"Organisation {i}", r[0].replace(" ", "").lower() if i % 2 else r[0]])
    with open_store(db) as store:
        for code in ("E08000025", "E08000028"):
            import_file(store, wards_dir / f"electoral_wards_by_lad_{code}.json", as_="boundaries", level="ward",
                        name_field="WD13NM")
        s = import_file(store, register, as_="assets")
        assert (s.imported, s.skipped) == (300, 0)
        e_n = store.con.execute("SELECT name, ST_X(geom_m), ST_Y(geom_m) FROM assets").fetchall()
        in_ward = {
            a.name: b.code
            for b in queries.list_boundaries(store, level="ward")
            for a in queries.assets_in_boundary(store, b.id)
        }
    # Positions: the file's own eastings and northings, to the metre.
    by_name = {f"Organisation {i}": r for i, r in enumerate(sample)}
    for name, x, y in e_n:
        assert abs(x - float(by_name[name][2])) < 1.0 and abs(y - float(by_name[name][3])) < 1.0
    # Wards: Code-Point names each postcode's 2014 ward, and these are the 2013 wards with
    # the same codes; the generalised ward outlines may put a few border postcodes next door.
    agree = sum(in_ward.get(name) == r[9] for name, r in by_name.items())
    assert agree >= 0.95 * len(sample)
    # Independently: geopandas' own point-in-polygon on the ward files agrees with the atlas.
    wards = gpd.pd.concat([gpd.read_file(wards_dir / f"electoral_wards_by_lad_{c}.json")
                           for c in ("E08000025", "E08000028")]).to_crs(27700)
    pts = gpd.GeoDataFrame({"name": [n for n, _, _ in e_n]},
                           geometry=gpd.points_from_xy([x for _, x, _ in e_n], [y for _, _, y in e_n]), crs=27700)
    joined = gpd.sjoin(pts, wards, predicate="within")
    names = set(joined["name"])
    assert dict(zip(joined["name"], joined["WD13CD"], strict=True)) == {k: v for k, v in in_ward.items() if k in names}
