"""Every GIS format `atlas import` reads, written here by the libraries themselves
(geopandas/pyogrio, json for TopoJSON, which no library here writes), imported into a
real store and checked against the source: counts, attributes (accents kept) and
geometries, the latter against pyproj rather than against our own output."""

from __future__ import annotations

import json
import zipfile
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from atlas import open_store, queries
from atlas.importers import import_file

PLACES = [
    # name, sector, employees, lon, lat
    ("Café Zoë", "private", 4, -1.9301, 52.4803),
    ("Smethwick Gurdwara ਸਿੰਘ", "community", 12, -1.9712, 52.4951),
    ("Żabka Ladywood", "private", 7, -1.9254, 52.4781),
    ("Crèche Étoile", "social", 30, -1.9502, 52.4899),
    ("Midland Metropolitan Hospital", "public", 4200, -1.9630, 52.4972),
]
TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)


def places_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [p[0] for p in PLACES], "sector": [p[1] for p in PLACES], "employees": [p[2] for p in PLACES]},
        geometry=gpd.points_from_xy([p[3] for p in PLACES], [p[4] for p in PLACES]),
        crs=4326,
    )


def plots_frame() -> gpd.GeoDataFrame:
    """A 40 m x 25 m plot (in British National Grid) around each place."""
    pts = places_frame().to_crs(27700)
    plots = [shapely.box(p.x - 20, p.y - 12.5, p.x + 20, p.y + 12.5) for p in pts.geometry]
    return gpd.GeoDataFrame({"name": [p[0] for p in PLACES], "kind": "land", "land_use": "vacant lot"},
                            geometry=plots, crs=27700)


def stored_assets(store) -> dict[str, object]:
    return {a.name: a for a in queries.list_assets(store)}


def check_assets_match_places(store, *, tolerance_deg: float = 1e-9) -> None:
    assets = stored_assets(store)
    assert sorted(assets) == sorted(p[0] for p in PLACES)
    for name, sector, employees, lon, lat in PLACES:
        a = assets[name]
        assert a.sector == sector
        assert a.employees == employees
        assert a.geom.x == pytest.approx(lon, abs=tolerance_deg)
        assert a.geom.y == pytest.approx(lat, abs=tolerance_deg)
    # The one with 4,200 employees is the anchor; the rule lives in atlas.classify.
    assert assets["Midland Metropolitan Hospital"].scale == "macro"
    assert assets["Café Zoë"].scale == "micro"


def _write_shapefile_zip(frame: gpd.GeoDataFrame, folder: Path) -> Path:
    shp = folder / "shp" / "places.shp"
    shp.parent.mkdir()
    frame.to_file(shp, driver="ESRI Shapefile", engine="pyogrio")
    archive = folder / "places.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    return archive


WRITERS = {
    "GeoPackage": lambda f, d: (f.to_file(d / "places.gpkg", layer="places", driver="GPKG"), d / "places.gpkg")[1],
    "Shapefile": lambda f, d: (f.to_file(d / "places.shp", driver="ESRI Shapefile"), d / "places.shp")[1],
    "Shapefile in a zip": _write_shapefile_zip,
    "GeoJSON": lambda f, d: (f.to_file(d / "places.geojson", driver="GeoJSON"), d / "places.geojson")[1],
    "newline-delimited GeoJSON": lambda f, d: (f.to_file(d / "places.geojsonl", driver="GeoJSONSeq"),
                                               d / "places.geojsonl")[1],
    "GeoParquet": lambda f, d: (f.to_parquet(d / "places.parquet"), d / "places.parquet")[1],
    "FlatGeobuf": lambda f, d: (f.to_file(d / "places.fgb", driver="FlatGeobuf"), d / "places.fgb")[1],
    "KML": lambda f, d: (f.to_file(d / "places.kml", driver="KML"), d / "places.kml")[1],
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_points_in_every_gis_format_import_as_assets(fmt, tmp_path):
    path = WRITERS[fmt](places_frame(), tmp_path)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="assets", licence="OGL-3.0")
        assert (summary.read, summary.imported, summary.updated, summary.skipped) == (5, 5, 0, 0)
        assert summary.format == fmt.replace(" in a zip", "")
        check_assets_match_places(store)
        assert {a.source for a in queries.list_assets(store)} == {path.name}
        assert {a.licence for a in queries.list_assets(store)} == {"OGL-3.0"}


def test_ndjson_extension_is_read_as_newline_delimited_geojson(tmp_path):
    path = tmp_path / "places.ndjson"
    places_frame().to_file(path, driver="GeoJSONSeq")
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="assets")
        assert summary.format == "newline-delimited GeoJSON"
        check_assets_match_places(store)


def _topojson(frame: gpd.GeoDataFrame, quantized: bool) -> dict:
    """A TopoJSON topology of one object of polygons, written by hand (RFC-free but
    simple: each ring is one arc). With ``quantized`` the arcs are delta-encoded
    integers under a transform, as most TopoJSON files are."""
    arcs, geometries = [], []
    scale = (1e-6, 1e-6)
    translate = (-2.0, 52.0)
    for row in frame.itertuples():
        ring = list(row.geometry.exterior.coords)
        if quantized:
            q = [(round((x - translate[0]) / scale[0]), round((y - translate[1]) / scale[1])) for x, y in ring]
            ring = [q[0]] + [(b[0] - a[0], b[1] - a[1]) for a, b in pairwise(q)]
        arcs.append([list(p) for p in ring])
        geometries.append({"type": "Polygon", "arcs": [[len(arcs) - 1]],
                           "properties": {"WD13CD": row.code, "WD13NM": row.name}})
    topology = {"type": "Topology", "objects": {"wards": {"type": "GeometryCollection", "geometries": geometries}},
                "arcs": arcs}
    if quantized:
        topology["transform"] = {"scale": list(scale), "translate": list(translate)}
    return topology


def wards_frame() -> gpd.GeoDataFrame:
    """Three adjoining made-up wards of 1 km x 1.5 km (British National Grid) in WGS84."""
    boxes = [shapely.box(400_000 + i * 1000, 286_000, 401_000 + i * 1000, 287_500) for i in range(3)]
    return gpd.GeoDataFrame(
        {"code": ["E05000001", "E05000002", "E05000003"], "name": ["Soho & Jewellery Quarter", "Nechells", "Brücke"]},
        geometry=boxes, crs=27700,
    ).to_crs(4326)


@pytest.mark.parametrize("quantized", [False, True], ids=["plain arcs", "quantized arcs"])
def test_topojson_boundaries_are_wgs84_by_definition(quantized, tmp_path):
    wards = wards_frame()
    path = tmp_path / "wards.topojson"
    path.write_text(json.dumps(_topojson(wards, quantized)), encoding="utf-8")
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="boundaries", level="ward", name_field="WD13NM")
        assert summary.format == "TopoJSON" and summary.crs == "EPSG:4326"
        assert summary.imported == 3
        stored = {b.name: b for b in queries.list_boundaries(store, level="ward")}
        assert sorted(stored) == sorted(wards["name"])
        for row in wards.itertuples():
            b = stored[row.name]
            assert b.code == row.code  # the ONS code column (..CD) is found without being named
            # 1.5 km2 each, measured independently in British National Grid.
            area = gpd.GeoSeries([b.geom], crs=4326).to_crs(27700).area.iloc[0]
            assert area == pytest.approx(1_500_000, rel=1e-3)
            # Vertices where they were, to within the quantization step (1e-6 degrees).
            assert shapely.hausdorff_distance(b.geom, row.geometry) <= (1e-6 if quantized else 1e-12)


def test_polygons_import_as_features_with_areas_in_square_metres(tmp_path):
    plots = plots_frame()
    path = tmp_path / "plots.gpkg"
    plots.to_file(path, layer="plots", driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="features")
        assert summary.imported == 5 and summary.metric_epsg == 27700
        features = {f.name: f for f in queries.list_features(store)}
        assert sorted(features) == sorted(plots["name"])
        for f in features.values():
            assert (f.kind, f.land_use, f.status) == ("land", "vacant lot", "unknown")
            assert f.area_m2 == pytest.approx(40 * 25, rel=1e-6)
        # Stored in WGS84: back in British National Grid it is the same box to the centimetre
        # (a pyproj round trip through the Helmert transformation alone moves it < 1 mm).
        for row in plots.itertuples():
            back = gpd.GeoSeries([features[row.name].geom], crs=4326).to_crs(27700).iloc[0]
            assert shapely.hausdorff_distance(back, row.geometry) < 0.01


def test_british_national_grid_and_wgs84_files_of_the_same_places_agree_within_a_metre(tmp_path):
    wgs84 = places_frame()
    bng = wgs84.to_crs(27700)
    wgs84.to_file(tmp_path / "places_wgs84.geojson", driver="GeoJSON")
    bng.to_file(tmp_path / "places_bng.gpkg", driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, tmp_path / "places_wgs84.geojson", as_="assets")
        s = import_file(store, tmp_path / "places_bng.gpkg", as_="assets")
        assert s.crs == "EPSG:27700"
        rows = store.con.execute(
            "SELECT source, name, ST_X(geom_m), ST_Y(geom_m), ST_X(geom), ST_Y(geom) FROM assets"
        ).fetchall()
    by_source: dict[str, dict[str, tuple]] = {}
    for source, name, x, y, lon, lat in rows:
        by_source.setdefault(source, {})[name] = (x, y, lon, lat)
    a, b = by_source["places_wgs84.geojson"], by_source["places_bng.gpkg"]
    assert sorted(a) == sorted(b) == sorted(p[0] for p in PLACES)
    for name, _sector, _emp, lon, lat in PLACES:
        ex, ey = TO_BNG.transform(lon, lat)  # independent: pyproj, not our code
        for got in (a[name], b[name]):
            assert np.hypot(got[0] - ex, got[1] - ey) < 1.0
            assert np.hypot(got[2] - lon, got[3] - lat) < 1e-5
        assert np.hypot(a[name][0] - b[name][0], a[name][1] - b[name][1]) < 1.0


def test_geopackage_layer_is_chosen_with_layer_and_several_layers_need_one(tmp_path):
    path = tmp_path / "council.gpkg"
    places_frame().to_file(path, layer="organisations", driver="GPKG")
    plots_frame().to_file(path, layer="land", driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="features", layer="land")
        assert summary.layer == "land" and summary.imported == 5
        from atlas.errors import InvalidInput

        with pytest.raises(InvalidInput, match=r"several layers \(organisations, land\); choose one with --layer"):
            import_file(store, path, as_="assets")


def test_geopackage_fid_keys_rows_so_an_edited_file_updates_them(tmp_path):
    path = tmp_path / "plots.gpkg"
    plots = plots_frame()
    plots.to_file(path, layer="plots", driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="features")
        ids = {f.name: f.source_id for f in queries.list_features(store)}
        assert sorted(ids.values()) == ["1", "2", "3", "4", "5"]
        plots.loc[0, "name"] = "Plot renamed"
        plots.to_file(path, layer="plots", driver="GPKG")
        s = import_file(store, path, as_="features")
        assert (s.imported, s.updated) == (0, 5)
        names = {f.source_id: f.name for f in queries.list_features(store)}
        assert names[ids["Café Zoë"]] == "Plot renamed"


def test_z_coordinates_are_dropped(tmp_path):
    frame = places_frame()
    frame = frame.set_geometry(shapely.force_3d(frame.geometry.to_numpy(), 120.0))
    path = tmp_path / "places3d.gpkg"
    frame.to_file(path, driver="GPKG")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="assets")
        assert not any(a.geom.has_z for a in queries.list_assets(store))
        check_assets_match_places(store)
