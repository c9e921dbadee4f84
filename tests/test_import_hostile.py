"""Bad input that used to get in (issue 10, part 7): each hostile file, written for real,
ends in one clear error naming file, row and field (and the store is unchanged), or in a
skip or repair listed in the skipped-rows report, never in a silent change."""

from __future__ import annotations

import os
import tomllib
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from atlas import settings
from atlas.errors import InvalidInput
from atlas.importers import import_file
from atlas.importers.report import read_report
from atlas.projection import choose_metric_crs, lonlat_bounds
from atlas_cli import main
from tests.store_contents import contents

ROOT = Path(__file__).resolve().parents[1]
# A small Birmingham register (lon, lat), inside the demo area.
BIRMINGHAM = [("Soho Foundry", -1.955, 52.495), ("Ladywood Hub", -1.920, 52.478), ("Winson Green", -1.947, 52.492),
              ("Summerfield Park", -1.951, 52.489), ("Dudley Road", -1.940, 52.486), ("Spring Hill", -1.925, 52.484)]


def fingerprint(store) -> dict[str, tuple[int, int]]:
    """Row count and an order-free checksum of every table in the store."""
    return {t: (len(rows), hash(tuple(rows))) for t, rows in contents(store).items()}


def refused(store, path: Path, **options) -> str:
    """Import ``path``, expecting our error; check the store is exactly as it was."""
    before = fingerprint(store)
    with pytest.raises(InvalidInput) as err:
        import_file(store, path, **options)
    assert fingerprint(store) == before
    return str(err.value)


def write_register(path: Path, rows: list[tuple[object, ...]], header=("name", "lon", "lat")) -> Path:
    pd.DataFrame(rows, columns=list(header)).to_csv(path, index=False)
    return path


def one_line_cli_error(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


# 1 -------------------------------------------------------------------------------------
def test_a_csv_mixing_utf8_and_latin1_rows_is_refused_naming_the_garbled_cell(demo_store, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(b"name,lon,lat\n" + "Caf\u00e9 Zo\u00eb,-1.95,52.48\n".encode("utf-8")
                     + "Cr\u00e8che \u00c9toile,-1.94,52.47\n".encode("latin-1"))
    message = refused(demo_store, path, as_="assets")
    assert message.startswith(f"{path} row 2, field name: 'Caf\u00c3\u00a9 Zo\u00c3\u00ab'")
    assert "mixes two encodings" in message and "UTF-8" in message


def test_the_cli_refuses_a_mixed_encoding_csv_in_one_line(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(b"name,lon,lat\n" + "Cr\u00e8che,-1.94,52.47\n".encode("latin-1")
                     + "Caf\u00e9,-1.95,52.48\n".encode("utf-8"))
    line = one_line_cli_error("import", str(path), "--as", "assets", "--db", str(tmp_path / "atlas.duckdb"))
    assert "row 3, field name" in line and "mixes two encodings" in line


# 2 -------------------------------------------------------------------------------------
def test_a_shapefile_without_its_dbf_is_refused(empty_store, tmp_path):
    names = [n for n, *_ in BIRMINGHAM]
    frame = gpd.GeoDataFrame({"name": names}, geometry=gpd.points_from_xy(
        [lon for _, lon, _ in BIRMINGHAM], [lat for *_, lat in BIRMINGHAM]), crs=4326)
    path = tmp_path / "sites.shp"
    frame.to_file(path)
    path.with_suffix(".dbf").unlink()
    for as_ in ("features", "assets"):
        message = refused(empty_store, path, as_=as_)
        assert message.startswith(f"{path}: its attribute table sites.dbf is missing beside sites.shp")
    assert empty_store.settings.metric_epsg is None


# 3 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("column", "value", "reason"), [
    ("name", "x" * 20_000_000, "it is 20,000,000 characters long, more than the 200 allowed"),
    ("name", "Soho\x00Foundry", "it holds control characters"),
    ("name", '{"name": "Soho Foundry", "id": 7}', "it is a JSON object, not a name"),
    ("description", "y" * (settings.MAX_TEXT_CHARS + 1), f"more than the {settings.MAX_TEXT_CHARS:,} allowed"),
], ids=["20M-char name", "NUL in name", "JSON object as name", "long description"])
def test_hostile_text_is_refused_naming_file_row_and_field(demo_store, tmp_path, column, value, reason):
    rows = [(n, lon, lat, "") for n, lon, lat in BIRMINGHAM]
    rows[3] = (value, *rows[3][1:]) if column == "name" else (*rows[3][:3], value)
    path = write_register(tmp_path / "register.csv", rows, ("name", "lon", "lat", "description"))
    message = refused(demo_store, path, as_="assets")
    assert message.startswith(f"{path} row 5, field {column}: ")
    assert reason in message
    assert len(message) < 600  # the value is quoted, never copied whole


# 4 -------------------------------------------------------------------------------------
def test_a_million_vertex_polygon_is_simplified_and_reported(empty_store, tmp_path):
    angles = np.linspace(0, 2 * np.pi, 1_000_000, endpoint=False)
    ring = np.column_stack([-1.93 + 0.006 * np.cos(angles), 52.48 + 0.004 * np.sin(angles)])
    big, small = shapely.Polygon(ring), shapely.box(-1.95, 52.47, -1.949, 52.471)
    path = tmp_path / "parks.gpkg"
    gpd.GeoDataFrame({"name": ["Big park", "Small park"]}, geometry=[big, small], crs=4326).to_file(path)
    summary = import_file(empty_store, path, as_="features", report_path=tmp_path / "report.csv")
    assert (summary.imported, summary.repaired, summary.skipped) == (2, 1, 0)
    corners, area_m2 = empty_store.con.execute(
        "SELECT ST_NPoints(geom), area_m2 FROM features WHERE name = 'Big park'").fetchone()
    assert corners <= settings.MAX_VERTICES
    unsimplified = gpd.GeoSeries([big], crs=4326).to_crs(27700)  # independent: geopandas, every corner
    # No corner moved more than the tolerance, so the area moved by at most a strip that wide.
    assert abs(area_m2 - unsimplified.area[0]) <= unsimplified.length[0] * settings.SIMPLIFY_TOLERANCE_M
    [row] = read_report(Path(summary.skipped_report))
    assert (row.file, row.row, row.field) == (str(path), "1", "geometry")
    # ring closed
    assert row.reason.startswith("kept, simplified: the shape had 1,000,001 corners, more than the 100,000")


def test_a_shape_that_cannot_be_simplified_under_the_limit_is_skipped(empty_store, tmp_path):
    # A hundred thousand and one separate points: simplifying moves none of them.
    x, y = np.meshgrid(np.arange(317), np.arange(316))
    cloud = shapely.MultiPoint(np.column_stack([-1.95 + x.ravel() * 1e-4, 52.47 + y.ravel() * 1e-4])[:100_001])
    path = tmp_path / "survey.gpkg"
    gpd.GeoDataFrame({"name": ["Survey", "Plot"]}, geometry=[cloud, shapely.box(-1.95, 52.47, -1.949, 52.471)],
                     crs=4326).to_file(path)
    summary = import_file(empty_store, path, as_="features", report_path=tmp_path / "report.csv")
    assert (summary.imported, summary.skipped) == (1, 1)
    [row] = read_report(Path(summary.skipped_report))
    assert (row.row, row.field) == ("1", "geometry")
    assert row.reason.startswith("the shape has 100,001 corners, more than the 100,000")


# 5 -------------------------------------------------------------------------------------
def test_a_register_with_latitude_and_longitude_swapped_is_refused_as_swapped(demo_store, tmp_path):
    path = write_register(tmp_path / "register.csv", [(n, lat, lon) for n, lon, lat in BIRMINGHAM])
    message = refused(demo_store, path, as_="assets")
    assert message.startswith(f"{path} row 2, field lon/lat: (52.495, -1.955) lies outside the area this atlas")
    assert "(-1.955, 52.495), it lies inside" in message and "6 of the 6 rows" in message
    assert "look swapped" in message


def test_a_swapped_register_is_refused_even_as_the_first_import_of_an_empty_atlas(empty_store, tmp_path):
    """With no place yet to compare with, a file wholly off Somalia but wholly in Europe
    the other way round is refused (the atlas is made for European places). The numbers
    alone cannot tell a real place near the equator from that, so a store that says
    where it measures (atlas init --metric-crs) takes a Nairobi register."""
    path = write_register(tmp_path / "register.csv", [(n, lat, lon) for n, lon, lat in BIRMINGHAM])
    message = refused(empty_store, path, as_="assets")
    assert message.startswith(f"{path} row 2, field lon/lat: (52.495, -1.955) lies outside Europe")
    assert "every row lies in Europe" in message and "look swapped" in message
    assert empty_store.settings.metric_epsg is None
    nairobi = write_register(tmp_path / "nairobi.csv", [("Kibera hub", 36.78, -1.31), ("Westlands hub", 36.80, -1.26)])
    assert "atlas init --metric-crs" in refused(empty_store, nairobi, as_="assets")
    empty_store.set_metric_crs(32737)  # UTM zone 37S, as atlas init --metric-crs 32737 does
    assert import_file(empty_store, nairobi, as_="assets", report_path=tmp_path / "r.csv").imported == 2


def test_a_swapped_row_among_others_and_latitudes_beyond_90_are_reported_as_swapped(empty_store, tmp_path):
    rows = [(n, lon, lat) for n, lon, lat in BIRMINGHAM] + [("Upside down", 52.5, -1.93)]
    path = write_register(tmp_path / "register.csv", rows)
    summary = import_file(empty_store, path, as_="assets", report_path=tmp_path / "report.csv")
    assert (summary.imported, summary.skipped) == (6, 1)
    tokyo = write_register(tmp_path / "tokyo.csv", [("Shibuya", 35.66, 139.70), ("Ueno", 35.71, 139.77)])
    again = import_file(empty_store, tokyo, as_="assets", report_path=tmp_path / "tokyo-report.csv")
    assert (again.imported, again.skipped) == (0, 2)  # latitude 139.7 is impossible: swapped
    report = read_report(Path(summary.skipped_report)) + read_report(Path(again.skipped_report))
    assert [(r.row, r.field) for r in report] == [("8", "lon/lat"), ("2", "lon/lat"), ("3", "lon/lat")]
    assert all("swapped latitude and longitude" in r.reason for r in report)


# 6 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [os.urandom(4096), b"name,lon,lat\nSoho Foundry,-1.95,52.49\n"],
                         ids=["random bytes", "a CSV renamed"])
def test_a_junk_xlsx_is_refused_in_one_line(demo_store, tmp_path, content):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"\x00" + content if content.startswith(b"PK") else content)
    message = refused(demo_store, path, as_="assets")
    assert message.startswith(f"{path} could not be read as an Excel workbook: it is called .xlsx but is ")
    assert "not an Excel workbook (a ZIP archive)" in message


def test_the_cli_refuses_a_junk_xlsx_with_exit_2_and_no_traceback(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_text("this was never a workbook\n")
    line = one_line_cli_error("import", str(path), "--as", "assets", "--db", str(tmp_path / "atlas.duckdb"))
    assert "could not be read as an Excel workbook: it is called .xlsx but is text, not an Excel" in line


def test_the_app_checks_an_upload_by_its_bytes_and_limits_its_size():
    from app.importing import upload_problem

    assert "not an Excel workbook" in upload_problem("register.xlsx", b"name,lon,lat\n")
    assert "not a GeoPackage" in upload_problem("sites.gpkg", b"PK\x03\x04rest of a zip")
    assert "not text" in upload_problem("register.csv", b"SQLite format 3\x00...")
    assert upload_problem("sites.gpkg", b"SQLite format 3\x00...") is None
    assert upload_problem("register.csv", "name\nCaf\u00e9\n".encode()) is None
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert 10 <= config["server"]["maxUploadSize"] <= 200  # megabytes


# 7 -------------------------------------------------------------------------------------
def test_nan_coordinates_are_reported_without_python_warnings(empty_store, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # writing NaN on purpose warns in shapely and pyogrio
        nan_corner = shapely.Polygon([(-1.95, 52.48), (-1.94, np.nan), (-1.94, 52.49), (-1.95, 52.48)])
        plots = gpd.GeoDataFrame({"name": ["Corner", "Plot"]},
                                 geometry=[nan_corner, shapely.box(-1.95, 52.47, -1.949, 52.471)], crs=4326)
        gpkg = tmp_path / "plots.gpkg"
        plots.to_file(gpkg)
    csv = tmp_path / "register.csv"
    csv.write_text("name,lon,lat\nA,NaN,52.48\nB,-1.95,nan\nC,inf,52.48\nD,-1.95,52.48\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        features = import_file(empty_store, gpkg, as_="features", report_path=tmp_path / "features.csv")
        assets = import_file(empty_store, csv, as_="assets", report_path=tmp_path / "assets.csv")
    assert (features.imported, features.skipped, assets.imported, assets.skipped) == (1, 1, 1, 3)
    [corner] = read_report(Path(features.skipped_report))
    assert (corner.row, corner.field, corner.reason) == (
        "1", "geometry", "coordinates are not numbers (NaN or infinity)")
    assert [(r.row, r.field, r.reason) for r in read_report(Path(assets.skipped_report))] == [
        ("2", "lon", "'NaN' is not a number"), ("3", "lat", "'nan' is not a number"),
        ("4", "lon", "'inf' is not a finite number")]


# 8 -------------------------------------------------------------------------------------
def test_points_across_the_antimeridian_are_measured_in_their_own_utm_zone(empty_store, tmp_path):
    fiji = [("Suva", 178.44, -18.14), ("Taveuni", -179.97, -16.80), ("Lau", -178.8, -17.2),
            ("Labasa", 179.39, -16.43), ("Nadi", 177.44, -17.80)]
    summary = import_file(empty_store, write_register(tmp_path / "fiji.csv", fiji), as_="assets")
    assert summary.imported == 5
    assert summary.metric_epsg in (32760, 32701)  # UTM 60S or 1S, the zones either side of 180
    distance_m = empty_store.con.execute(
        "SELECT ST_Distance(a.geom_m, b.geom_m) FROM assets a, assets b WHERE a.name = 'Suva' AND b.name = 'Taveuni'"
    ).fetchone()[0]
    geodesic_m = Geod(ellps="WGS84").inv(178.44, -18.14, -179.97, -16.80)[2]
    assert distance_m == pytest.approx(geodesic_m, rel=0.01)


def test_a_boundary_across_the_antimeridian_is_split_measured_right_and_reported(empty_store, tmp_path):
    outline = [(179.5, -17.0), (-179.5, -17.0), (-179.5, -16.5), (179.5, -16.5), (179.5, -17.0)]
    path = tmp_path / "wards.geojson"
    gpd.GeoDataFrame({"name": ["Across"]}, geometry=[shapely.Polygon(outline)], crs=4326).to_file(path)
    summary = import_file(empty_store, path, as_="boundaries", level="ward", report_path=tmp_path / "report.csv")
    assert summary.imported == 1 and summary.metric_epsg in (32760, 32701)
    area_m2 = empty_store.con.execute("SELECT ST_Area(geom_m) FROM boundaries").fetchone()[0]
    geodesic_m2 = abs(Geod(ellps="WGS84").polygon_area_perimeter(
        [179.5, 180.5, 180.5, 179.5], [-17.0, -17.0, -16.5, -16.5])[0])  # 1 degree by half a degree
    assert area_m2 == pytest.approx(geodesic_m2, rel=0.01)  # not 8.9 million km2
    [row] = read_report(Path(summary.skipped_report))
    assert (row.row, row.field) == ("1", "geometry")
    assert row.reason.startswith("kept, split at the 180th meridian into 2 parts")


def test_choose_metric_crs_takes_the_centre_across_the_antimeridian():
    points = [shapely.Point(178.4, -18.1), shapely.Point(-179.9, -16.5)]
    west, _, east, _ = lonlat_bounds(points)
    assert west == pytest.approx(178.4) and east == pytest.approx(-179.9)
    assert choose_metric_crs(lonlat_bounds(points)) in (32760, 32701)
    assert choose_metric_crs((-150.2, -17.9, -149.1, -17.4)) == 32706  # Tahiti: its own zone, not Greenwich's
    assert choose_metric_crs((-1.95, 52.4, -1.9, 52.5)) == 27700
