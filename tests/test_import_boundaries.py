"""Boundaries: the real Birmingham and Sandwell ward files (GeoJSON and TopoJSON), checked
against geopandas' own reading of the same files; afterwards every asset and feature
knows which ward it lies in."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from atlas import open_store, queries
from atlas.importers import import_file
from atlas_cli import main

BIRMINGHAM, SANDWELL = "E08000025", "E08000028"


@pytest.fixture
def wards_dir(shared_data):
    return shared_data / "uk-geojson-martinjc"


@pytest.mark.realdata
def test_birmingham_geojson_and_sandwell_topojson_wards(wards_dir, tmp_path):
    db = tmp_path / "atlas.duckdb"
    runner = CliRunner()
    for name in (f"electoral_wards_by_lad_{BIRMINGHAM}.json", f"electoral_wards_by_lad_topo_{SANDWELL}.json"):
        result = runner.invoke(main, ["import", str(wards_dir / name), "--as", "boundaries", "--level", "ward",
                                      "--name-field", "WD13NM", "--db", str(db), "--format", "json",
                                      "--licence", "OGL-3.0; CC BY 4.0 (Martin Chorley)"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["skipped"] == 0 and summary["crs"] == "EPSG:4326"
    with open_store(db) as store:
        assert store.metric_epsg == 27700
        wards = {b.code: b for b in queries.list_boundaries(store, level="ward")}
        areas = dict(store.con.execute("SELECT code, ST_Area(geom_m) FROM boundaries").fetchall())
    assert len(wards) == 40 + 24
    expected = gpd.pd.concat([
        gpd.read_file(wards_dir / f"electoral_wards_by_lad_{BIRMINGHAM}.json"),
        gpd.read_file(wards_dir / f"electoral_wards_by_lad_{SANDWELL}.json"),
    ]).to_crs(27700)
    for row in expected.itertuples():
        assert wards[row.WD13CD].name == row.WD13NM
        # The TopoJSON is the GeoJSON quantized: the same areas to a fraction of a percent.
        assert areas[row.WD13CD] == pytest.approx(row.geometry.area, rel=5e-3)
    assert {"Soho", "Ladywood", "Smethwick", "Soho and Victoria", "St Pauls"} <= {w.name for w in wards.values()}


@pytest.mark.realdata
def test_topojson_and_geojson_of_the_same_wards_agree(wards_dir, tmp_path):
    with open_store(tmp_path / "atlas.duckdb") as store:
        for name in (f"electoral_wards_by_lad_{SANDWELL}.json", f"electoral_wards_by_lad_topo_{SANDWELL}.json"):
            s = import_file(store, wards_dir / name, as_="boundaries", level="ward", name_field="WD13NM")
            assert (s.imported, s.skipped) == (24, 0)
        rows = store.con.execute("SELECT source, code, ST_AsWKB(geom_m) FROM boundaries").fetchall()
    by_source: dict[str, dict[str, shapely.Geometry]] = {}
    for source, code, wkb in rows:
        by_source.setdefault(source, {})[code] = shapely.from_wkb(bytes(wkb))
    geo, topo = by_source.values()
    assert geo.keys() == topo.keys()
    for code in geo:
        overlap = geo[code].intersection(topo[code]).area / geo[code].area
        assert overlap > 0.99


@pytest.mark.realdata
def test_every_asset_and_feature_knows_its_ward(wards_dir, tmp_path):
    """Points placed at a known spot inside each of three wards (shapely's
    point_on_surface of the ward in the file) are found in exactly that ward."""
    sandwell = gpd.read_file(wards_dir / f"electoral_wards_by_lad_{SANDWELL}.json")
    chosen = sandwell[sandwell["WD13NM"].isin(["Smethwick", "Soho and Victoria", "St Pauls"])]
    spots = gpd.GeoDataFrame({"name": [f"Group in {n}" for n in chosen["WD13NM"]]},
                             geometry=shapely.point_on_surface(chosen.geometry.to_numpy()), crs=4326)
    spots.to_file(tmp_path / "groups.geojson", driver="GeoJSON")
    plots = spots.to_crs(27700)
    plots = (plots.set_geometry(plots.buffer(10, cap_style="square"))
             .assign(name=[f"Plot in {n}" for n in chosen["WD13NM"]]))
    plots.to_file(tmp_path / "plots.gpkg", driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        # Assets and features first, wards last: membership follows whichever comes later.
        import_file(store, tmp_path / "groups.geojson", as_="assets")
        import_file(store, tmp_path / "plots.gpkg", as_="features")
        import_file(store, wards_dir / f"electoral_wards_by_lad_topo_{SANDWELL}.json", as_="boundaries",
                    level="ward", name_field="WD13NM")
        for ward in ("Smethwick", "Soho and Victoria", "St Pauls"):
            assert [a.name for a in queries.assets_in_boundary(store, ward)] == [f"Group in {ward}"]
            assert [f.name for f in queries.features_in_boundary(store, ward)] == [f"Plot in {ward}"]
