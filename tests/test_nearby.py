"""nearby(): every distance checked against geopandas in EPSG:27700, computed straight from
the demo's source files rather than from the store."""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas import queries, settings, writes
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput, NotFound
from atlas.models import Site
from atlas.site_refs import LonLat, SiteRef
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
    return dict(zip(hits["name"], hits["distance_m"], strict=True))


def _check(result, source, site_m, radius_m, exclude=None):
    sites, assets = source
    want_assets = _expected(assets, site_m, radius_m, exclude)
    want_sites = _expected(sites, site_m, radius_m, exclude)
    got_assets = {a.name: a.distance_m for a in result.assets}
    got_sites = {f.name: f.distance_m for f in result.features}
    # Names exactly right except where a distance sits within 1 m of the radius.
    assert set(got_assets) ^ set(want_assets) <= {
        n for n, d in {**want_assets, **got_assets}.items() if abs(d - radius_m) < 1}
    assert set(got_sites) ^ set(want_sites) <= {
        n for n, d in {**want_sites, **got_sites}.items() if abs(d - radius_m) < 1}
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


@pytest.mark.duckdb_only("DuckDB's plan: bounding-box columns instead of its R-tree")
def test_nearby_filters_on_bounding_boxes_not_the_rtree(demo_store):
    """DuckDB spatial 1.5.5's R-tree fetches rows one at a time and lost to a scan of the
    Hilbert-ordered table filtered on its box columns (issue 11, benchmarks/nearby.py):
    the filters reach the table scan, where they skip stored segments by their ranges."""
    site = queries.resolve_site(demo_store, "Edgbaston Reservoir")
    for sql, params in queries.nearby_statements(demo_store, site, 800.0, 200):
        text = "\n".join(row[1] for row in demo_store.con.execute("EXPLAIN " + sql, params).fetchall())
        assert "RTREE_INDEX_SCAN" not in text and "rtree" not in text
        # DuckDB leaves out a filter its statistics show every row passes, so which of the
        # four remain depends on the data; at least one reaches the scan.
        scan = text[text.index("SEQ_SCAN"):]
        assert "Filters:" in scan and "bbox_" in scan[scan.index("Filters:"):]


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


def test_a_typed_reference_is_the_same_site_as_its_text(demo_store):
    """The same site whether named by text (a library caller) or by the value parsed at the
    edge (a command's argument, a page's widget)."""
    site = queries.resolve_site(demo_store, "Edgbaston Reservoir")
    ref = SiteRef(site.kind, site.id)
    assert queries.resolve_site(demo_store, ref) == queries.resolve_site(demo_store, str(ref)) == site
    point = queries.resolve_site(demo_store, LonLat(-1.9585, 52.4977))
    assert point == queries.resolve_site(demo_store, "-1.9585,52.4977")
    assert (point.kind, point.geom.x, point.geom.y) == ("geometry", -1.9585, 52.4977)
    with pytest.raises(NotFound, match="no asset 999999"):
        queries.resolve_site(demo_store, SiteRef("asset", 999_999))


# -- the nearest N features and the counts (issue 11), against shapely by brute force --------

def _city(n: int, seed: int, prefix: str = "f", side_m: float = 2_500.0) -> gpd.GeoDataFrame:
    """``n`` features over a ``side_m`` square in British National Grid: points, footprints
    and parcels, of every kind and status, dense enough that 800 m holds well over 200."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side_m, (n, 2)) + (400_000, 286_000)
    size = rng.uniform(4, 40, (n, 2))
    shapes = [shapely.Point(x, y) if i % 3 == 0 else shapely.box(x, y, x + w, y + h)
              for i, ((x, y), (w, h)) in enumerate(zip(xy, size, strict=True))]
    return gpd.GeoDataFrame(
        {"source_id": [f"{prefix}{i}" for i in range(n)],
         "kind": rng.choice(["land", "building", "green_space", "water", "other"], n, p=[.2, .5, .1, .05, .15]),
         "status": rng.choice(["in_use", "vacant", "disused", "underused", "unknown"], n)},
        geometry=shapes, crs=BNG,
    )


def _brute_force(store, city: gpd.GeoDataFrame, site_m: shapely.Geometry, radius_m: float, exclude_id=None):
    """Every feature of ``city`` within ``radius_m`` of ``site_m`` by shapely, as
    [(distance, id, kind, status)] nearest first (ties by id, as nearby() breaks them)."""
    ids = dict(store.con.execute("SELECT source_id, id FROM features").fetchall())
    d = shapely.distance(city.geometry.to_numpy(), site_m)
    hits = [(float(dist), ids[sid], kind, status)
            for dist, sid, kind, status in zip(d, city["source_id"], city["kind"], city["status"], strict=True)
            if dist <= radius_m and ids[sid] != exclude_id]
    return sorted(hits, key=lambda h: (h[0], h[1]))


def _check_top_and_counts(result, want, limit):
    shown = want if limit is None else want[:limit]
    assert [f.id for f in result.features] == [h[1] for h in shown]
    assert [f.distance_m for f in result.features] == pytest.approx([h[0] for h in shown], abs=1e-6)
    counted = {(c.kind, c.status): c.count for c in result.feature_counts}
    assert counted == dict(Counter((h[2], h[3]) for h in want))
    assert result.features_found == len(want)
    assert result.features_truncated == (len(shown) < len(want))
    for field, column in (("kind", 2), ("status", 3)):
        totals = Counter(h[column] for h in want)
        assert result.features_by(field) == dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


@pytest.fixture
def city_store(empty_store):
    empty_store.set_metric_crs(BNG)
    city = _city(6_000, seed=3)
    with empty_store.bulk_load():  # the load ends in the Hilbert sort (on DuckDB)
        writes.upsert_features(empty_store, city, source="city")
    return empty_store, city


@pytest.mark.parametrize("radius_m", [400, 800])
@pytest.mark.parametrize("limit", ["default", 0, 7, None], ids=["default", "counts-only", "seven", "all"])
def test_nearest_features_and_counts_match_shapely(city_store, radius_m, limit):
    store, city = city_store
    rng = np.random.default_rng(radius_m)
    sites = [shapely.Point(rng.uniform(400_000, 402_500), rng.uniform(286_000, 288_500)) for _ in range(3)]
    sites.append(shapely.box(401_000, 287_000, 401_300, 287_100))  # a drawn area
    for site_m in sites:
        site = Site(name="site", geom=gpd.GeoSeries([site_m], crs=BNG).to_crs(4326).iloc[0], geom_m=site_m,
                    kind="geometry")
        if limit == "default":
            result, limit_used = queries.nearby(store, site, radius_m), settings.NEARBY_FEATURE_LIMIT
        else:
            result, limit_used = queries.nearby(store, site, radius_m, limit=limit), limit
        want = _brute_force(store, city, site_m, radius_m)
        assert len(want) > 200 or radius_m == 400, "the city is dense enough to truncate at 800 m"
        _check_top_and_counts(result, want, limit_used)
        assert result.feature_limit == limit_used


def test_a_feature_as_the_site_is_not_its_own_neighbour(city_store):
    store, city = city_store
    site_id = store.con.execute("SELECT id FROM features WHERE source_id = 'f10'").fetchone()[0]
    result = queries.nearby(store, f"feature:{site_id}", 400, limit=50)
    site_m = city.loc[city["source_id"] == "f10", "geometry"].iloc[0]
    _check_top_and_counts(result, _brute_force(store, city, site_m, 400, exclude_id=site_id), 50)


def test_rows_written_after_the_hilbert_sort_are_still_found(city_store):
    """Rows written since the last sort sit at the end of the table, out of order; the
    box filter reads the columns, not the order, so they are found all the same. So is a
    feature moved across the map by a re-import, at its new place and not its old."""
    store, city = city_store
    later = _city(300, seed=9, prefix="later")  # 5% of the city: too few to sort again
    writes.upsert_features(store, later, source="later")
    moved = city[city["source_id"] == "f20"].assign(geometry=[shapely.Point(402_400, 286_100)])
    old_place = city.loc[city["source_id"] == "f20", "geometry"].iloc[0]
    writes.upsert_features(store, moved, source="city")
    everything = pd.concat([city[city["source_id"] != "f20"], moved, later], ignore_index=True)
    assert store.con.execute("SELECT count(*) FROM features").fetchone()[0] == len(everything)

    for site_m in [*later.geometry[:5], shapely.Point(402_400, 286_100), old_place.centroid]:
        site = Site(name="site", geom=gpd.GeoSeries([site_m], crs=BNG).to_crs(4326).iloc[0], geom_m=site_m,
                    kind="geometry")
        result = queries.nearby(store, site, 800, limit=None)
        _check_top_and_counts(result, _brute_force(store, everything, site_m, 800), None)
    f20 = store.con.execute("SELECT id FROM features WHERE source_id = 'f20'").fetchone()[0]
    site = Site(name="there", geom=shapely.Point(0, 0), geom_m=shapely.Point(402_400, 286_101), kind="geometry")
    assert f20 in [f.id for f in queries.nearby(store, site, 5).features]


def test_limit_cannot_be_negative(demo_store):
    with pytest.raises(InvalidInput, match="cannot be negative"):
        queries.nearby(demo_store, "Summerfield Park", 800, limit=-1)
