"""An import never damages the store: re-imports update, --replace starts a source again, a
bad row or a cancelled import leaves everything as it was, unusable rows are skipped and
reported, and every bad input gets one clear line (exit code 2 from the CLI)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from atlas import open_store, queries
from atlas.errors import InvalidInput
from atlas.importers import import_file
from atlas.importers.report import read_report
from atlas_cli import main
from tests.store_contents import contents

NAMES = ["Café Zoë", "Soho Foundry", "Crèche Étoile", "Ladywood Hub", "Winson Green Allotments", "Łódź Bakery"]


def places(n: int = 6, lon0: float = -1.95, lat0: float = 52.48) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"org-{i}" for i in range(n)], "name": [NAMES[i % len(NAMES)] + f" {i}" for i in range(n)],
         "sector": ["community"] * n},
        geometry=gpd.points_from_xy([lon0 + 0.004 * i for i in range(n)], [lat0 + 0.002 * i for i in range(n)]),
        crs=4326,
    )


def snapshot(store) -> dict[str, list[tuple]]:
    """Everything in the store's tables, geometry as WKB, for before/after comparisons."""
    out: dict[str, list] = contents(
        store, ("features", "assets", "boundaries", "asset_boundaries", "feature_boundaries", "atlas_meta"))
    out["indexes"] = sorted(store.engine.index_names(store.con))
    return out


def run_cli(*args: str) -> click.testing.Result:  # noqa: F821
    return CliRunner().invoke(main, list(args))


# -- idempotence ------------------------------------------------------------------------
def test_reimport_updates_instead_of_duplicating_and_replace_drops_rows_gone_from_the_file(tmp_path):
    path = tmp_path / "groups.geojson"
    places(6).to_file(path, driver="GeoJSON")
    with open_store(tmp_path / "atlas.duckdb") as store:
        first = import_file(store, path, as_="assets", licence="CC-BY-4.0")
        assert (first.imported, first.updated) == (6, 0)
        stamp = store.con.execute("SELECT max(imported_at) FROM assets").fetchone()[0]
        again = import_file(store, path, as_="assets", licence="CC-BY-4.0")
        assert (again.imported, again.updated) == (0, 6)
        assert len(queries.list_assets(store)) == 6
        assert store.con.execute("SELECT min(imported_at) FROM assets").fetchone()[0] > stamp
        assert sorted(a.source_id for a in queries.list_assets(store)) == [f"org-{i}" for i in range(6)]

        places(4).to_file(path, driver="GeoJSON")  # two organisations closed
        kept = import_file(store, path, as_="assets")
        assert len(queries.list_assets(store)) == 6 and (kept.imported, kept.updated) == (0, 4)
        ids = {a.source_id: a.id for a in queries.list_assets(store)}
        replaced = import_file(store, path, as_="assets", replace=True)
        assert (replaced.removed, replaced.updated, replaced.imported) == (2, 4, 0)
        assert {a.source_id: a.id for a in queries.list_assets(store)} == {
            k: v for k, v in ids.items() if k in {f"org-{i}" for i in range(4)}}  # the rest keep their ids
        assert {(a.source, a.licence) for a in queries.list_assets(store)} == {("groups.geojson", None)}


def test_source_names_the_data_and_keys_it(tmp_path):
    a, b = tmp_path / "a.geojson", tmp_path / "b.geojson"
    places(3).to_file(a, driver="GeoJSON")
    places(3).to_file(b, driver="GeoJSON")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, a, as_="assets", source="council register")
        s = import_file(store, b, as_="assets", source="council register")
        assert s.updated == 3 and len(queries.list_assets(store)) == 3


# -- all or nothing ----------------------------------------------------------------------
@pytest.fixture
def filled_store(tmp_path):
    """A store holding wards and a register, so 'unchanged' has something to lose."""
    wards = gpd.GeoDataFrame({"name": ["North", "South"]},
                             geometry=[shapely.box(-2.0, 52.48, -1.9, 52.52), shapely.box(-2.0, 52.44, -1.9, 52.48)],
                             crs=4326)
    wards.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    places(6).to_file(tmp_path / "register.geojson", driver="GeoJSON")
    store = open_store(tmp_path / "atlas.duckdb")
    import_file(store, tmp_path / "wards.geojson", as_="boundaries", level="ward")
    import_file(store, tmp_path / "register.geojson", as_="assets")
    yield store
    store.close()


def test_a_file_whose_last_row_is_bad_leaves_the_store_unchanged(filled_store, tmp_path):
    frame = places(6)
    frame.loc[5, "sector"] = "charitable"
    path = tmp_path / "register.geojson"  # the same source: rows 1-5 would update
    frame.to_file(path, driver="GeoJSON")
    before = snapshot(filled_store)
    with pytest.raises(InvalidInput, match=r"register\.geojson row 6, field sector: 'charitable' is not one of"):
        import_file(filled_store, path, as_="assets", replace=True)
    assert snapshot(filled_store) == before


@pytest.mark.parametrize("bulk", [False, True], ids=["transaction", "bulk load"])
def test_an_import_cancelled_while_writing_leaves_the_store_unchanged(filled_store, tmp_path, monkeypatch, bulk):
    """Raising from the progress callback (the app's Cancel) after the first table is
    written rolls the whole import back, spatial indexes included."""
    from atlas import importers
    from tests.test_import_osm import town

    if bulk:
        monkeypatch.setattr(importers, "BULK_ROWS", 1)
    path = town().write(tmp_path / "town.osm.pbf")
    before = snapshot(filled_store)
    calls = []

    def cancel_after_features(stage, done, total):
        calls.append((stage, done))
        if stage == "writing" and done > 0:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        import_file(filled_store, path, progress=cancel_after_features)
    assert ("writing", 4) in calls  # the features had been written when it was cancelled
    assert snapshot(filled_store) == before
    assert len(before["indexes"]) >= 6  # the R-tree indexes are back


def test_progress_reports_each_stage_in_order(tmp_path):
    path = tmp_path / "groups.gpkg"
    places(6).to_file(path, driver="GPKG")
    seen = []
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="assets", progress=lambda s, d, t: seen.append((s, d, t)))
    stages = [s for s, _, _ in seen]
    assert stages == sorted(stages, key=["reading", "checking", "writing"].index)
    assert ("reading", 6, 6) in seen and ("writing", 6, 6) in seen


# -- skipped, repaired -------------------------------------------------------------------
def test_unusable_rows_are_skipped_and_listed_and_invalid_shapes_repaired(tmp_path):
    bowtie = shapely.Polygon([(-1.95, 52.48), (-1.94, 52.49), (-1.94, 52.48), (-1.95, 52.49)])  # self-crossing
    sliver = shapely.Polygon([(-1.95, 52.48), (-1.94, 52.48), (-1.93, 52.48)])  # no area at all
    square = shapely.box(-1.93, 52.47, -1.92, 52.48)
    frame = gpd.GeoDataFrame(
        {"name": ["Bow tie", "Sliver", "Square", "Nothing", "Swapped", "Far out", "Square 2"]},
        geometry=[bowtie, sliver, square, None, shapely.box(52.47, -1.93, 52.48, -1.92),
                  shapely.box(-1.93, 95.0, -1.92, 96.0), square],
        crs=4326,
    )
    path = tmp_path / "plots.geojson"
    frame.to_file(path, driver="GeoJSON")
    assert not bowtie.is_valid
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="features", report_path=tmp_path / "skipped.csv")
        stored = {f.name: f for f in queries.list_features(store)}
    assert (summary.read, summary.imported, summary.repaired, summary.skipped) == (7, 3, 1, 4)
    assert sorted(stored) == ["Bow tie", "Square", "Square 2"]
    assert stored["Bow tie"].geom.is_valid and stored["Bow tie"].geom.geom_type == "MultiPolygon"
    assert stored["Bow tie"].geom.area == pytest.approx(shapely.make_valid(bowtie).area)
    report = {r.row: r for r in read_report(Path(summary.skipped_report))}
    assert {k: (v.field, v.reason.split(" (")[0]) for k, v in report.items()} == {
        "2": ("geometry", "the geometry is invalid and could not be repaired"),
        "4": ("geometry", "no geometry"),
        "5": ("geometry", "the coordinates look like swapped latitude and longitude"),
        "6": ("geometry", "the coordinates lie outside the area where EPSG:4326 is valid"),
    }


def test_british_national_grid_rows_outside_britain_are_skipped(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["Smethwick", "Atlantic"]},
                             geometry=[shapely.Point(401_000, 287_000), shapely.Point(-2_000_000, 287_000)], crs=27700)
    path = tmp_path / "grid.gpkg"
    frame.to_file(path, driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        s = import_file(store, path, as_="assets", report_path=tmp_path / "r.csv")
        assert (s.imported, s.skipped) == (1, 1)
    (row,) = read_report(tmp_path / "r.csv")
    assert row.row == "2" and row.reason.startswith("the coordinates lie outside the area where EPSG:27700 is valid")


def test_first_import_outside_britain_measures_in_the_local_utm_zone(tmp_path):
    krakow = places(5, lon0=19.93, lat0=50.06)
    krakow.to_file(tmp_path / "krakow.geojson", driver="GeoJSON")
    places(3).to_file(tmp_path / "birmingham.geojson", driver="GeoJSON")
    with open_store(tmp_path / "atlas.duckdb") as store:
        s = import_file(store, tmp_path / "krakow.geojson", as_="assets")
        assert s.metric_epsg == store.metric_epsg == 32634  # UTM zone 34N
        before = snapshot(store)
        with pytest.raises(InvalidInput, match=r"lies outside the area this atlas covers \(it measures in EPSG:32634"):
            import_file(store, tmp_path / "birmingham.geojson", as_="assets")
        assert snapshot(store) == before


# -- bad input: one clear line, exit code 2 ----------------------------------------------
def _non_spatial_gpkg(path: Path) -> Path:
    pyogrio.write_dataframe(pd.DataFrame({"name": ["a", "b"]}), path, layer="contacts", driver="GPKG")
    return path


def _no_crs_shapefile(path: Path) -> Path:
    import warnings

    with warnings.catch_warnings():  # pyogrio warns that the file will lack a CRS: the point
        warnings.simplefilter("ignore", UserWarning)
        places(3).set_crs(None, allow_override=True).to_file(path, driver="ESRI Shapefile")
    return path


BAD_INPUTS = {
    "missing file": (lambda d: d / "nowhere.gpkg", ["--as", "assets"], "nowhere.gpkg does not exist."),
    "empty file": (lambda d: (d / "empty.geojson").write_bytes(b"") and None or d / "empty.geojson",
                   ["--as", "assets"], "empty.geojson is empty (0 bytes); there is nothing to import."),
    "unreadable file": (lambda d: (d / "junk.gpkg").write_bytes(b"not a geopackage at all") and d / "junk.gpkg",
                        ["--as", "assets"], "junk.gpkg could not be read as a GIS file"),
    "wrong layer": (lambda d: (places(2).to_file(d / "p.gpkg", layer="orgs"), d / "p.gpkg")[1],
                    ["--as", "assets", "--layer", "groups"], "p.gpkg has no layer 'groups'; its layers are: orgs."),
    "not spatial": (lambda d: _non_spatial_gpkg(d / "contacts.gpkg"), ["--as", "assets"],
                    "contacts.gpkg holds no geometry (it is not a spatial file)"),
    "empty layer": (lambda d: (places(2).iloc[:0].to_file(d / "none.gpkg", layer="orgs"), d / "none.gpkg")[1],
                    ["--as", "assets"], "none.gpkg layer 'orgs' holds no rows; there is nothing to import."),
    "no CRS": (lambda d: _no_crs_shapefile(d / "nocrs.shp"), ["--as", "assets"],
               "nocrs.shp does not say which coordinate reference system its coordinates are in; give it with --crs"),
    "contradicting CRS": (lambda d: (places(2).to_crs(27700).to_file(d / "bng.gpkg"), d / "bng.gpkg")[1],
                          ["--as", "assets", "--crs", "4326"],
                          "bng.gpkg says its coordinates are in EPSG:27700 but --crs says EPSG:4326"),
    "unknown CRS": (lambda d: (places(2).to_file(d / "p.gpkg"), d / "p.gpkg")[1], ["--as", "assets", "--crs", "99999"],
                    "--crs '99999' is not a coordinate reference system"),
    "no --as": (lambda d: (places(2).to_file(d / "p.gpkg"), d / "p.gpkg")[1], [],
                "Say what p.gpkg holds: --as features, --as assets or --as boundaries."),
    "boundaries without level": (lambda d: (places(2).to_file(d / "w.gpkg"), d / "w.gpkg")[1],
                                 ["--as", "boundaries"], "Say which level the boundaries in w.gpkg are: --level ward"),
    "missing name field": (lambda d: (places(2).to_file(d / "w.gpkg"), d / "w.gpkg")[1],
                           ["--as", "boundaries", "--level", "ward", "--name-field", "WD13NM"],
                           "w.gpkg has no field 'WD13NM' (given with --name-field); its fields are id, name, sector."),
    "repeated ids": (lambda d: (places(3).assign(id="same").to_file(d / "dup.geojson"), d / "dup.geojson")[1],
                     ["--as", "assets"], "dup.geojson row 2, field id: 'same' repeats row 1; ids must be unique"),
    "table with a header only": (lambda d: (d / "head.csv").write_text("name,lon,lat\n") and d / "head.csv",
                                 ["--as", "assets"], "head.csv holds no rows; there is nothing to import."),
    "osm mapping for a table": (lambda d: (places(2).to_file(d / "p.gpkg"), d / "p.gpkg")[1],
                                ["--as", "assets", "--mapping", "OSM"],
                                "is an OpenStreetMap tag mapping; "
                                "it applies to .osm.pbf, .osm and .osm.gz files only."),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_each_bad_input_gets_one_clear_line_and_exit_code_2(case, tmp_path):
    from atlas.importers.osm import DEFAULT_MAPPING

    make, options, message = BAD_INPUTS[case]
    path = make(tmp_path)
    options = [str(DEFAULT_MAPPING) if o == "OSM" else o for o in options]
    db = tmp_path / "atlas.duckdb"
    with open_store(db) as store:
        with pytest.raises(InvalidInput) as err:
            import_file(store, path, **_as_kwargs(options))
        assert message in str(err.value)
    result = run_cli("import", str(path), "--db", str(db), *options)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def _as_kwargs(options: list[str]) -> dict:
    names = {"--as": "as_", "--layer": "layer", "--crs": "crs", "--level": "level", "--name-field": "name_field",
             "--mapping": "mapping"}
    return {names[k]: v for k, v in zip(options[::2], options[1::2], strict=True)}


# -- the command line --------------------------------------------------------------------
def test_cli_prints_a_summary_table_and_json(tmp_path):
    path = tmp_path / "groups.gpkg"
    frame = places(4)
    frame.loc[3, "geometry"] = None
    frame.to_file(path, driver="GPKG")
    db = str(tmp_path / "atlas.duckdb")
    result = run_cli("import", str(path), "--as", "assets", "--db", db, "--licence", "OGL-3.0")
    assert result.exit_code == 0, result.output
    assert re.search(r"^read\s+4$", result.output, re.MULTILINE)
    assert re.search(r"^imported\s+3$", result.output, re.MULTILINE)
    assert re.search(r"^skipped\s+1$", result.output, re.MULTILINE)
    assert "Skipped rows and why: " in result.output
    result = run_cli("import", str(path), "--as", "assets", "--db", db, "--format", "json",
                     "--report", str(tmp_path / "skipped.csv"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {k: summary[k] for k in ("read", "imported", "updated", "repaired", "skipped")} == \
        {"read": 4, "imported": 0, "updated": 3, "repaired": 0, "skipped": 1}
    assert summary["skipped_report"] == str(tmp_path / "skipped.csv")
    assert [r.row for r in read_report(tmp_path / "skipped.csv")] == ["4"]


def test_cli_help_documents_the_import_commands():
    result = run_cli("--help")
    assert "import " in result.output and "import-postcodes" in result.output
    help_text = run_cli("import", "--help").output
    for option in ("--as", "--layer", "--mapping", "--crs", "--source", "--licence", "--replace", "--format",
                   "--name-field", "--level"):
        assert option in help_text


def test_swapped_coordinates_are_told_apart_from_far_away_places():
    import numpy as np

    from atlas.importers.checks import looks_swapped

    rng = np.random.default_rng(3)
    lon = rng.uniform(-2.05, -1.75, 200)  # Birmingham and the Black Country
    lat = rng.uniform(52.38, 52.60, 200)
    lon[7], lat[7] = lat[7], lon[7]  # one row written latitude first
    lon[9], lat[9] = 19.94, 50.06  # Kraków: far away, but not swapped
    flagged = looks_swapped(lon, lat, geographic=True)
    assert np.flatnonzero(flagged).tolist() == [7]
    # British National Grid eastings and northings the wrong way round, likewise.
    e, n = rng.uniform(395_000, 415_000, 50), rng.uniform(280_000, 295_000, 50)
    e[3], n[3] = n[3], e[3]
    assert np.flatnonzero(looks_swapped(e, n, geographic=False)).tolist() == [3]
    # Too few rows to know where the data lies: only impossible latitudes count.
    assert looks_swapped(np.array([52.5, -1.9]), np.array([-1.9, 52.5]), geographic=True).tolist() == [False, False]
    assert looks_swapped(np.array([52.5]), np.array([100.0]), geographic=True).tolist() == [True]


def test_cli_progress_bar_shows_each_stage_with_rows_per_second():
    import io

    from atlas.importers.cli import ProgressBar

    out = io.StringIO()
    with ProgressBar(out, enabled=True, delay_s=0, every_s=0) as bar:
        bar("reading", 0, None)
        bar("reading", 50_000, None)
        bar("checking", 10, 100)
        bar("writing", 100, 100)
    text = out.getvalue()
    assert "reading" in text and "50.0k rows" in text and "rows/s" in text
    assert "writing" in text and "100/100" in text


def test_a_boundary_must_be_an_area(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["North", "A pin"]},
                             geometry=[shapely.box(-2.0, 52.48, -1.9, 52.52), shapely.Point(-1.95, 52.5)], crs=4326)
    frame.to_file(tmp_path / "areas.geojson", driver="GeoJSON")
    with open_store(tmp_path / "atlas.duckdb") as store:
        s = import_file(store, tmp_path / "areas.geojson", as_="boundaries", level="ward",
                        report_path=tmp_path / "r.csv")
        assert (s.imported, s.skipped) == (1, 1)
    (row,) = read_report(tmp_path / "r.csv")
    assert (row.row, row.reason) == ("2", "a boundary must be an area (a polygon), not a point or a line")
