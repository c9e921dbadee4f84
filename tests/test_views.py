"""Map and list queries (atlas.map_contents, atlas.asset_lists, atlas.view_index, atlas.site_picking ...)
on real stores, checked against the demo's own files read with pandas, geopandas and pyproj."""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from atlas.asset_filter import AssetFilter, asset_categories
from atlas.asset_lists import asset_rows, months_before, stale_assets
from atlas.demo import DEMO_DIR
from atlas.distance_rings import distance_rings
from atlas.errors import InvalidInput
from atlas.map_contents import CELL_PX, map_contents, map_extent
from atlas.register import AssetDraft, add_asset
from atlas.site_picking import site_choices, what_is_here
from atlas.view_index import ViewIndex, build_view_index, drop_view_index
from atlas.viewport import Viewport, degrees_per_pixel, metres_per_pixel
from tests.demo_data import demo_asset_table


@pytest.fixture(scope="module")
def demo_assets() -> pd.DataFrame:
    table = demo_asset_table()
    table["scale"] = ((table["employees"].fillna(0) > 250) | (table["annual_spend"].fillna(0) > 1_000_000)
                       | (table["land_ha"].fillna(0) > 5)).map({True: "macro", False: "micro"})
    return table


@pytest.fixture(scope="module")
def demo_sites() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO_DIR / "sites.geojson")


def whole(store, zoom: int = 13) -> Viewport:
    return Viewport(*map_extent(store), zoom=zoom)


def test_everything_in_a_view_within_budget(demo_store, demo_assets, demo_sites):
    contents = map_contents(demo_store, whole(demo_store))
    assert not contents.assets_aggregated and not contents.features_truncated
    assert sorted(a.name for a in contents.assets) == sorted(demo_assets["name"])
    assert sorted(f.name for f in contents.features) == sorted(demo_sites["name"])
    assert contents.assets_in_view == len(demo_assets)
    by_name = {a.name: a for a in contents.assets}
    for name, lon, lat, scale in demo_assets[["name", "lon", "lat", "scale"]].itertuples(index=False):
        got = by_name[name]
        assert (got.lon, got.lat, got.scale) == (pytest.approx(lon), pytest.approx(lat), scale)


def test_a_small_view_holds_only_what_is_in_it(demo_store, demo_assets):
    box = (-1.96, 52.47, -1.93, 52.49)
    inside = demo_assets[demo_assets["lon"].between(box[0], box[2]) & demo_assets["lat"].between(box[1], box[3])]
    contents = map_contents(demo_store, Viewport(*box, zoom=15))
    assert 0 < len(inside) < len(demo_assets)
    assert sorted(a.name for a in contents.assets) == sorted(inside["name"])


def test_over_budget_assets_become_grid_counts(demo_store, demo_assets):
    view = whole(demo_store, zoom=13)
    contents = map_contents(demo_store, view, asset_budget=20, render_budget=0)
    assert contents.assets_aggregated and not contents.assets
    # Count the demo's points on the same grid, here, with numpy.
    cell = degrees_per_pixel(13) * CELL_PX
    keys = list(zip(np.floor(demo_assets["lon"] / cell).astype(int), np.floor(demo_assets["lat"] / cell).astype(int),
                    strict=True))
    expected = pd.Series(keys).value_counts().to_dict()
    got = {(round(c.west / cell), round(c.south / cell)): c.count for c in contents.asset_cells}
    assert got == expected
    assert contents.assets_in_view == len(demo_assets)
    assert sum(c.macro_count for c in contents.asset_cells) == int((demo_assets["scale"] == "macro").sum())
    for c in contents.asset_cells:
        assert c.west <= c.lon <= c.east and c.south <= c.lat <= c.north


def test_over_budget_features_keep_the_largest(demo_store, demo_sites):
    areas = demo_sites.to_crs(27700).area
    largest = set(demo_sites.loc[areas.sort_values(ascending=False).index[:5], "name"])
    contents = map_contents(demo_store, whole(demo_store), feature_budget=5)
    assert {f.name for f in contents.features} == largest
    assert contents.features_truncated and contents.features_in_view == 6  # counted to budget + 1


def test_the_view_index_gives_the_same_answers(demo_store):
    view = whole(demo_store, zoom=14)
    filters = AssetFilter(scales=("micro",), verified_since=date(2025, 1, 1))
    index = build_view_index(demo_store)
    try:
        for f in (AssetFilter(), filters):
            budgets = {"asset_budget": 10, "feature_budget": 4, "render_budget": 0}
            plain = map_contents(demo_store, view, f, **budgets)
            indexed = map_contents(demo_store, view, f, index=index, **budgets)
            assert [(c.west, c.south, c.count, c.macro_count) for c in plain.asset_cells] == \
                   [(c.west, c.south, c.count, c.macro_count) for c in indexed.asset_cells]
            for a, b in zip(plain.asset_cells, indexed.asset_cells, strict=True):
                assert (a.lon, a.lat) == (pytest.approx(b.lon), pytest.approx(b.lat))
            assert [x.id for x in plain.features] == [x.id for x in indexed.features]
            # within budget the markers come from the index too
            assert map_contents(demo_store, view, f).assets == \
                map_contents(demo_store, view, f, index=index).assets != []
    finally:
        drop_view_index(demo_store, index)
    with pytest.raises(ValueError):
        drop_view_index(demo_store, ViewIndex("atlas.main.assets", "x"))


def test_shapes_are_simplified_to_half_a_pixel(demo_store):
    fine = {f.id: f.geom for f in map_contents(demo_store, whole(demo_store, zoom=20)).features}
    coarse = map_contents(demo_store, whole(demo_store, zoom=11)).features
    tolerance = degrees_per_pixel(11) / 2
    vertices = shapely.get_num_coordinates
    assert sum(vertices(f.geom) for f in coarse) < sum(vertices(g) for g in fine.values())
    for f in coarse:
        assert shapely.hausdorff_distance(f.geom, fine[f.id]) <= tolerance * 1.01


@pytest.mark.duckdb_only("reads DuckDB's plan; PostgreSQL's planner picks GiST or a scan by table size")
def test_view_queries_use_the_rtree(demo_store):
    plan = demo_store.con.execute(
        "EXPLAIN SELECT count(*) FROM (SELECT 1 FROM assets a WHERE ST_Intersects(a.geom, ST_MakeEnvelope(?, ?, ?, ?)) "
        "AND TRUE LIMIT ?)", [-2, 52, -1.9, 52.5, 10]).fetchall()[0][1]
    assert "RTREE_INDEX_SCAN" in plan


@pytest.mark.parametrize(
    ("filters", "select"),
    [
        (AssetFilter(scales=("macro",)), lambda t: t["scale"] == "macro"),
        (AssetFilter(sectors=("public", "private")), lambda t: t["sector"].isin(["public", "private"])),
        (AssetFilter(categories=("faith group",), scales=("micro",)),
         lambda t: (t["category"] == "faith group") & (t["scale"] == "micro")),
        (AssetFilter(verified_since=date(2026, 1, 1)),
         lambda t: pd.to_datetime(t["verified_on"]).dt.date.ge(date(2026, 1, 1)).fillna(False).astype(bool)),
    ],
)
def test_filters_list_what_pandas_selects(demo_store, demo_assets, filters, select):
    rows, total = asset_rows(demo_store, filters)
    want = demo_assets[select(demo_assets)]
    assert 0 < total == len(want) < len(demo_assets)
    assert sorted(r.name for r in rows) == sorted(want["name"])


def test_list_is_limited_but_counts_all(demo_store, demo_assets):
    rows, total = asset_rows(demo_store, limit=10)
    assert len(rows) == 10 and total == len(demo_assets)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2026, 1, 15), 1, date(2025, 12, 15)),
    (date(2026, 11, 24), 24, date(2024, 11, 24)),
    (date(2026, 5, 1), 0, date(2026, 5, 1)),
])
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_stale_entries_match_the_demo_file(demo_store, demo_assets):
    today = date(2026, 11, 24)
    cutoff = date(2025, 11, 24)
    checked = pd.to_datetime(demo_assets["verified_on"]).dt.date
    want = demo_assets[checked.isna() | (checked < cutoff)]
    stale = stale_assets(demo_store, months=12, today=today)
    assert sorted(r.name for r in stale) == sorted(want["name"])
    never = int(checked.isna().sum())
    assert all(r.verified_on is None for r in stale[:never]) and all(r.verified_on for r in stale[never:])
    assert [r.verified_on for r in stale[never:]] == sorted(r.verified_on for r in stale[never:])


def test_what_is_here(demo_store, demo_assets, demo_sites):
    row = demo_assets.iloc[0]
    place = what_is_here(demo_store, row["lon"], row["lat"])
    assert (place.kind, place.name) == ("asset", row["name"])
    # Inside the reservoir, well away from every asset.
    reservoir = demo_sites.loc[demo_sites["name"] == "Edgbaston Reservoir", "geometry"].iloc[0]
    inner = reservoir.buffer(-0.0015)
    point = inner.representative_point()
    place = what_is_here(demo_store, point.x, point.y)
    assert (place.kind, place.name) == ("feature", "Edgbaston Reservoir")
    assert place.ref.kind == "feature" and str(place.ref).startswith("feature:")
    assert what_is_here(demo_store, -1.5, 52.0) is None


def test_distance_rings_lie_at_their_distance(demo_store, demo_sites):
    site = demo_sites.loc[demo_sites["name"] == "Edgbaston Reservoir"].to_crs(27700)
    geom_m = site.geometry.iloc[0]
    rings = distance_rings(geom_m, [800, 400, 400, 0], 27700)
    assert [r.radius_m for r in rings] == [400, 800]
    for ring in rings:
        back = gpd.GeoSeries([ring.geom], crs=4326).to_crs(27700).iloc[0]
        distances = [geom_m.distance(shapely.Point(xy)) for xy in back.coords]
        assert min(distances) == pytest.approx(ring.radius_m, abs=0.05)
        assert max(distances) == pytest.approx(ring.radius_m, abs=0.05)


def test_viewports():
    v = Viewport(-1.95, 52.47, -1.93, 52.49, 15)
    snapped = v.snapped()
    assert snapped.west <= v.west and snapped.east >= v.east and snapped.south <= v.south and snapped.north >= v.north
    nudged = Viewport(v.west + 0.0005, v.south + 0.0003, v.east + 0.0005, v.north + 0.0003, 15)
    assert nudged.snapped() == snapped  # a small pan needs no new map
    # The zoom that fits a 1000 x 600 map, worked out in Web Mercator metres with pyproj:
    # the view fits at that zoom and not one deeper.
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform([v.west, v.east], [v.south, v.north])
    def size_px(zoom: int) -> tuple[float, float]:
        metres_per_px = 40_075_016.686 / (256 * 2**zoom)
        return (x[1] - x[0]) / metres_per_px, (y[1] - y[0]) / metres_per_px
    fit = Viewport.fitting(v.bounds, 1000, 600)
    w, h = size_px(fit.zoom)
    assert w <= 1000 and h <= 600
    w, h = size_px(fit.zoom + 1)
    assert w > 1000 or h > 600
    around = Viewport.around(-1.94, 52.48, 17, 800, 400)
    assert around.centre == pytest.approx((-1.94, 52.48))
    assert (around.east - around.west) == pytest.approx(800 * degrees_per_pixel(17))
    with pytest.raises(ValueError):
        Viewport(1, 0, 0, 1, 3)
    # metres per pixel agrees with the Web Mercator definition (40,075,016.686 m at zoom 0 / 256)
    assert metres_per_pixel(0, 0) == pytest.approx(40_075_016.686 / 256, rel=1e-6)
    assert metres_per_pixel(10, 60) == pytest.approx(40_075_016.686 / 256 / 1024 * math.cos(math.radians(60)))


def test_site_choices_and_categories(demo_store, demo_assets, demo_sites):
    choices = site_choices(demo_store)
    assert [c.label for c in choices[: len(demo_sites)]] == [f"Site · {n}" for n in sorted(demo_sites["name"])]
    assert len(choices) == len(demo_sites) + len(demo_assets)
    assert asset_categories(demo_store) == sorted(demo_assets["category"].dropna().unique())


def test_empty_store(empty_store):
    assert map_extent(empty_store) is None
    assert stale_assets(empty_store) == [] and site_choices(empty_store) == []
    assert what_is_here(empty_store, -1.9, 52.4) is None
    contents = map_contents(empty_store, Viewport(-2, 52, -1, 53, 10))
    assert contents.shape_count == 0


def test_new_assets_show_up_in_views(demo_store):
    with pytest.raises(InvalidInput):
        add_asset(demo_store, AssetDraft(name="", lon=-1.9, lat=52.48), by="test")
    new_id = add_asset(demo_store, AssetDraft(name="Pop-up library", lon=-1.9401, lat=52.4801), by="test")
    contents = map_contents(demo_store, Viewport(-1.941, 52.479, -1.939, 52.481, 18))
    assert new_id in {a.id for a in contents.assets}


def test_assets_get_what_the_shapes_leave_of_the_render_budget(demo_store, demo_assets, demo_sites):
    view = whole(demo_store)
    shapes = len(demo_sites) + 6  # the demo's sites and wards
    tight = map_contents(demo_store, view, asset_budget=0, render_budget=shapes + len(demo_assets) - 1)
    assert tight.assets_aggregated
    roomy = map_contents(demo_store, view, asset_budget=0, render_budget=shapes + len(demo_assets))
    assert not roomy.assets_aggregated and roomy.shape_count == shapes + len(demo_assets)
