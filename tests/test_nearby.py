"""nearby(): every distance checked against geopandas in EPSG:27700, computed straight from
the demo's source files rather than from the store."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from atlas import queries, writes
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput, NotFound
from tests.demo_data import demo_asset_table

BNG = 27700


@pytest.fixture(scope="module")
def source():
    sites = gpd.read_file(DEMO_DIR / "sites.geojson").to_crs(BNG)
    table = demo_asset_table()
    assets = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326).to_crs(BNG)
    return sites, assets


def _expected(frame: gpd.GeoDataFrame, site_m: shapely.Geometry, radius_m: float, exclude: str | None = None):
    d = frame.geometry.distance(site_m)
    hits = frame.assign(distance_m=d)[d <= radius_m]
    if exclude is not None:
        hits = hits[hits["name"] != exclude]
    return dict(zip(hits["name"], hits["distance_m"]))


def _check(result, source, site_m, radius_m, exclude=None):
    sites, assets = source
    want_assets = _expected(assets, site_m, radius_m, exclude)
    want_sites = _expected(sites, site_m, radius_m, exclude)
    got_assets = {a.name: a.distance_m for a in result.assets}
    got_sites = {f.name: f.distance_m for f in result.features}
    # Names exactly right except where a distance sits within 1 m of the radius.
    assert set(got_assets) ^ set(want_assets) <= {n for n, d in {**want_assets, **got_assets}.items() if abs(d - radius_m) < 1}
    assert set(got_sites) ^ set(want_sites) <= {n for n, d in {**want_sites, **got_sites}.items() if abs(d - radius_m) < 1}
    for name, d in got_assets.items():
        assert d == pytest.approx(want_assets.get(name, d), abs=1.0), name
    for name, d in got_sites.items():
        assert d == pytest.approx(want_sites.get(name, d), abs=1.0), name
    distances = [a.distance_m for a in result.assets]
    assert distances == sorted(distances), "nearest first"
    return got_assets, got_sites


def test_polygon_site_edgbaston_reservoir(demo_store, source):
    sites, _ = source
    site_m = sites.loc[sites.name == "Edgbaston Reservoir", "geometry"].iloc[0]
    result = queries.nearby(demo_store, "Edgbaston Reservoir", 800)
    got_assets, got_sites = _check(result, source, site_m, 800, exclude="Edgbaston Reservoir")
    assert result.macro and result.micro
    assert all(a.scale == "macro" for a in result.macro) and all(a.scale == "micro" for a in result.micro)
    assert "Edgbaston Reservoir" not in got_sites, "the site itself is not its own neighbour"
    assert got_sites["Edgbaston Reservoir open spaces"] == pytest.approx(0.0, abs=1.0)


@pytest.mark.parametrize("radius_m", [400, 1600])
def test_point_site_from_an_asset(demo_store, source, radius_m):
    _, assets = source
    hospital = "City Hospital (Sandwell and West Birmingham NHS Trust)"
    site_m = assets.loc[assets.name == hospital, "geometry"].iloc[0]
    result = queries.nearby(demo_store, hospital, radius_m)
    got_assets, _ = _check(result, source, site_m, radius_m, exclude=hospital)
    assert hospital not in got_assets


def test_point_typed_as_lon_lat(demo_store, source):
    lon, lat = -1.9585, 52.4977  # around Smethwick High Street
    site_m = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(BNG).iloc[0]
    result = queries.nearby(demo_store, f"{lon},{lat}", 800)
    _check(result, source, site_m, 800)
    assert result.assets


def test_drawn_polygon_site(demo_store, source):
    drawn = shapely.Polygon([(-1.945, 52.478), (-1.935, 52.478), (-1.935, 52.484), (-1.945, 52.484)])
    site_m = gpd.GeoSeries([drawn], crs=4326).to_crs(BNG).iloc[0]
    result = queries.nearby(demo_store, drawn, 800)
    _check(result, source, site_m, 800)


def test_corner_of_a_square_site_is_not_missed(empty_store):
    """A point diagonally off a corner, inside the radius, is found; one just beyond is not.
    (Intersecting a coarse buffer would cut corners.)"""
    square = shapely.box(400_000, 286_000, 400_100, 286_100)
    near = shapely.Point(400_100 + 790 / 2**0.5, 286_100 + 790 / 2**0.5)
    far = shapely.Point(400_100 + 810 / 2**0.5, 286_100 + 810 / 2**0.5)
    frame = gpd.GeoDataFrame({"source_id": ["near", "far"], "name": ["near", "far"]}, geometry=[near, far], crs=BNG)
    writes.upsert_assets(empty_store, frame, source="t")
    site = gpd.GeoSeries([square], crs=BNG).to_crs(4326).iloc[0]
    result = queries.nearby(empty_store, site, 800)
    assert [a.name for a in result.assets] == ["near"]
    assert result.assets[0].distance_m == pytest.approx(790, abs=0.5)


@pytest.mark.parametrize("sql", [queries.NEARBY_ASSETS_SQL, queries.NEARBY_FEATURES_SQL], ids=["assets", "features"])
def test_nearby_uses_the_rtree_index(demo_store, sql):
    site = queries.resolve_site(demo_store, "Edgbaston Reservoir")
    plan = demo_store.con.execute("EXPLAIN " + sql, [shapely.to_wkb(site.geom_m), 800.0, -1]).fetchall()
    text = "\n".join(row[1] for row in plan)
    assert "RTREE_INDEX_SCAN" in text or "Index:" in text
    table = "assets" if "FROM assets" in sql else "features"
    assert f"{table}_geom_m_rtree" in text, "the metric geometry's R-tree answers ST_DWithin"


def test_results_carry_wgs84_geometry(demo_store):
    result = queries.nearby(demo_store, "Holy Trinity Church, Smethwick", 800)
    for a in result.assets:
        assert -2.1 < a.geom.x < -1.8 and 52.4 < a.geom.y < 52.6  # longitude first


def test_unknown_site_suggests_names(demo_store):
    with pytest.raises(NotFound, match="Did you mean: .*Edgbaston Reservoir"):
        queries.nearby(demo_store, "Edgbaston", 800)


def test_radius_must_be_positive(demo_store):
    with pytest.raises(InvalidInput, match="more than 0 metres"):
        queries.nearby(demo_store, "Summerfield Park", 0)
