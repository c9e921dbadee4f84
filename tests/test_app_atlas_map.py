"""The Atlas page in Streamlit's AppTest, on the demo store and on an empty one.

What the page lists and maps is checked against the demo's own files read with pandas
and geopandas (the macro rule and the ward membership worked out here, independently of
the store)."""

from __future__ import annotations

import re
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from atlas import open_store
from atlas.asset_lists import months_before
from atlas.register import AssetDraft, add_asset
from tests.app_fixtures import DEMO_DIR, map_args, map_asset_rows, no_exception
from tests.demo_data import demo_asset_table

PAGE = "atlas_map"


@pytest.fixture(scope="module")
def demo_assets() -> pd.DataFrame:
    table = demo_asset_table()
    # The community wealth building rule, written out here on its own.
    table["macro"] = ((table["employees"].fillna(0) > 250) | (table["annual_spend"].fillna(0) > 1_000_000)
                      | (table["land_ha"].fillna(0) > 5))
    return table


def listed_count(at) -> int:
    heading = next(s.value for s in at.subheader if "match the filters" in s.value)
    return int(re.match(r"([\d,]+) assets", heading).group(1).replace(",", ""))


def test_demo_store_maps_and_lists_every_asset(run_page, demo_store_path, demo_assets):
    at = run_page(PAGE, demo_store_path)
    no_exception(at)
    assert listed_count(at) == len(demo_assets)
    assert len(at.dataframe[0].value) == len(demo_assets)
    rows = map_asset_rows(at)
    assert sorted(r[3] for r in rows) == sorted(demo_assets["name"])
    assert sum(r[2] == "macro" for r in rows) == int(demo_assets["macro"].sum())
    # Every marker sits where the demo file puts its asset.
    where = {n: (lat, lon)
             for n, lat, lon in zip(demo_assets["name"], demo_assets["lat"], demo_assets["lon"], strict=True)}
    for lat, lon, _scale, name, _popup in rows:
        assert (lat, lon) == pytest.approx(where[name], abs=1e-6)


def test_map_loads_nothing_from_the_internet(run_page, demo_store_path):
    args = map_args(run_page(PAGE, demo_store_path))
    assert args["js_links"] and args["css_links"]
    for link in args["js_links"] + args["css_links"]:
        assert link.startswith("/app/static/"), link
    everything = " ".join(str(args[k]) for k in ("script", "header", "html", "js_links", "css_links"))
    # Only the online street map names an address elsewhere: offered in the layer switcher and
    # left off the map, it fetches nothing (Leaflet asks a tile layer for tiles once it is on
    # the map); the offline base map is the one shown (tests/test_browser_basemap_offline.py).
    hosts = set(re.findall(r"https?://[^/\"'\\]+", everything))
    assert hosts <= {"https://tile.openstreetmap.org", "https://www.openstreetmap.org"}, hosts
    online = re.search(r"var (tile_layer_\w+) = L\.tileLayer", args["script"])
    assert online is None or f"{online.group(1)}.addTo(" not in args["script"]


@pytest.mark.parametrize(
    ("widget", "value", "expected"),
    [
        ("atlas_scales", ["macro"], lambda t: t["macro"]),
        ("atlas_scales", ["micro"], lambda t: ~t["macro"]),
        ("atlas_sectors", ["community"], lambda t: t["sector"] == "community"),
        ("atlas_categories", ["faith group", "cafe"], lambda t: t["category"].isin(["faith group", "cafe"])),
    ],
)
def test_filters_change_what_is_listed_and_mapped(run_page, demo_store_path, demo_assets, widget, value, expected):
    at = run_page(PAGE, demo_store_path)
    at.sidebar.multiselect(key=widget).set_value(value).run()
    no_exception(at)
    want = demo_assets[expected(demo_assets)]
    assert 0 < len(want) < len(demo_assets)
    assert listed_count(at) == len(want)
    assert sorted(at.dataframe[0].value["Name"]) == sorted(want["name"])
    assert sorted(r[3] for r in map_asset_rows(at)) == sorted(want["name"])


def test_area_filter_matches_a_spatial_join(run_page, demo_store_path, demo_assets):
    wards = gpd.read_file(DEMO_DIR / "wards.geojson").to_crs(27700)
    points = gpd.GeoDataFrame(demo_assets, geometry=gpd.points_from_xy(demo_assets["lon"], demo_assets["lat"]),
                              crs=4326).to_crs(27700)
    inside = gpd.sjoin(points, wards.loc[wards["name"] == "Ladywood", ["geometry"]], predicate="within")
    at = run_page(PAGE, demo_store_path)
    area = at.sidebar.selectbox(key="atlas_boundary")
    ladywood = next(o for o in area.options if o.startswith("Ladywood"))
    area.select(ladywood).run()
    no_exception(at)
    assert 0 < len(inside) < len(demo_assets)
    assert sorted(at.dataframe[0].value["Name"]) == sorted(inside["name"])


def test_verified_filter_keeps_recent_checks_only(run_page, demo_store_path, demo_assets):
    since = months_before(date.today(), 12)
    checked = pd.to_datetime(demo_assets["verified_on"]).dt.date
    want = demo_assets[checked.notna() & (checked >= since)]
    at = run_page(PAGE, demo_store_path)
    at.sidebar.selectbox(key="atlas_verified").select(12).run()
    no_exception(at)
    assert 0 < len(want) < len(demo_assets)
    assert listed_count(at) == len(want)


def test_search_moves_the_map_to_the_result(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    before = map_args(at)["script"]
    at.text_input(key="atlas_search").input("summerfield park").run()
    no_exception(at)
    hits = at.selectbox(key="atlas_search_hit")
    assert hits.value.name == "Summerfield Park"
    script = map_args(at)["script"]
    assert script != before
    # The map opens on the result (zoomed in, with a pin named after it).
    centre = re.search(r"center: \[([-\d.]+), ([-\d.]+)\]", script)
    assert (float(centre.group(2)), float(centre.group(1))) == pytest.approx((hits.value.lon, hits.value.lat), abs=1e-6)
    assert "Summerfield Park" in script and "atlas-pin" in script


def test_search_with_no_result_says_so(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    at.text_input(key="atlas_search").input("zzzz no such place").run()
    no_exception(at)
    assert any("Nothing in the atlas" in c.value for c in at.caption)


def test_popups_escape_what_users_typed(run_page, demo_store_path):
    nasty = '<img src=x onerror="alert(1)">&co'
    jinja = "{{ 7 * 7 }} {% raw %}"  # folium compiles rendered scripts as Jinja templates
    with open_store(demo_store_path) as store:
        add_asset(store, AssetDraft(name=nasty, lon=-1.93, lat=52.48, category="<b>bold</b>"), by="test")
        add_asset(store, AssetDraft(name=jinja, lon=-1.931, lat=52.481), by="test")
    at = run_page(PAGE, demo_store_path)
    no_exception(at)
    script = map_args(at)["script"]
    assert "<img" not in script and "<b>bold" not in script
    popup = next(r[4] for r in map_asset_rows(at) if r[3] == nasty)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;co" in popup
    assert "&lt;b&gt;bold&lt;/b&gt;" in popup
    assert jinja in {r[3] for r in map_asset_rows(at)}  # shown as typed, not evaluated


def test_empty_store_says_what_to_do(run_page, store_path):
    at = run_page(PAGE, store_path, demo=False)
    no_exception(at)
    assert any("This atlas is empty" in i.value for i in at.info)
    assert not at.get("component_instance")


def test_empty_store_gets_the_demo_unless_told_not_to(run_page, store_path, demo_assets):
    at = run_page(PAGE, store_path)
    no_exception(at)
    assert listed_count(at) == len(demo_assets)
