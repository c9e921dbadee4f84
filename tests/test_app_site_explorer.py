"""The site explorer in Streamlit's AppTest. What it lists is checked against distances
worked out here with geopandas in British National Grid from the demo's own files."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from atlas import open_store, writes
from tests.app_fixtures import DEMO_DIR, map_args, map_asset_rows, no_exception
from tests.demo_data import demo_asset_table

PAGE = "site_explorer"


@pytest.fixture(scope="module")
def demo() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    table = demo_asset_table()
    table["scale"] = ((table["employees"].fillna(0) > 250) | (table["annual_spend"].fillna(0) > 1_000_000)
                      | (table["land_ha"].fillna(0) > 5)).map({True: "macro", False: "micro"})
    assets = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326)
    sites = gpd.read_file(DEMO_DIR / "sites.geojson")
    return assets.to_crs(27700), sites.to_crs(27700)


def expected(demo, site_name: str, radius_m: float) -> gpd.GeoDataFrame:
    assets, sites = demo
    site = sites.loc[sites["name"] == site_name, "geometry"].iloc[0]
    near = assets.assign(distance_m=assets.distance(site))
    return near[near["distance_m"] <= radius_m].sort_values("distance_m")


def tab_frames(at) -> tuple[pd.DataFrame, pd.DataFrame]:
    return at.dataframe[0].value, at.dataframe[1].value


@pytest.mark.parametrize("radius_m", [400, 800, 1600])
def test_reservoir_lists_what_lies_within_each_distance(run_page, demo_store_path, demo, radius_m):
    at = run_page(PAGE, demo_store_path)
    if radius_m != 800:
        at.radio(key="explorer_distance").set_value(radius_m).run()
    no_exception(at)
    assert at.session_state["explorer_site"].kind == "feature"
    want = expected(demo, "Edgbaston Reservoir", radius_m)
    macro, micro = tab_frames(at)
    assert sorted(macro["Name"]) == sorted(want.loc[want["scale"] == "macro", "name"])
    assert sorted(micro["Name"]) == sorted(want.loc[want["scale"] == "micro", "name"])
    # Distances from the reservoir's edge, to the metre, nearest first.
    got = pd.concat([macro, micro]).set_index("Name")["Distance (m)"]
    for name, distance in zip(want["name"], want["distance_m"], strict=True):
        assert abs(got[name] - distance) <= 1
    assert list(macro["Distance (m)"]) == sorted(macro["Distance (m)"])
    # The map shows the same assets, the site and a ring for each distance up to the chosen one.
    assert sorted(r[3] for r in map_asset_rows(at)) == sorted(want["name"])
    script = map_args(at)["script"]
    assert script.count('"s":"ring"') == len([d for d in (400, 800, 1600) if d <= radius_m])
    assert "atlas-site" in script


def test_a_typed_distance(run_page, demo_store_path, demo):
    at = run_page(PAGE, demo_store_path)
    at.radio(key="explorer_distance").set_value("Other").run()
    at.number_input(key="explorer_distance_m").set_value(250).run()
    no_exception(at)
    want = expected(demo, "Edgbaston Reservoir", 250)
    macro, micro = tab_frames(at)
    assert len(macro) + len(micro) == len(want)
    assert any("Within 250\u00a0m" in s.value for s in at.subheader)


def test_another_site_from_the_list(run_page, demo_store_path, demo):
    at = run_page(PAGE, demo_store_path)
    pick = at.selectbox(key="explorer_pick")
    pick.select_index(pick.options.index("Site · Summerfield Park")).run()
    no_exception(at)
    park = at.session_state["explorer_site"]
    want = expected(demo, "Summerfield Park", 800)
    macro, micro = tab_frames(at)
    assert sorted([*macro["Name"], *micro["Name"]]) == sorted(want["name"])
    assert at.query_params["site"] == str(park)


def test_assets_can_be_downloaded_as_csv(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    button = at.get("download_button")[0]
    assert "CSV" in button.proto.label and button.proto.url.endswith(".csv")


def test_link_reopens_the_same_site_and_distance(run_page, demo_store_path, demo):
    at = run_page(PAGE, demo_store_path)
    pick = at.selectbox(key="explorer_pick")
    pick.select_index(pick.options.index("Site · Summerfield Park")).run()
    park = at.session_state["explorer_site"]
    at2 = run_page(PAGE, demo_store_path, query={"site": str(park), "radius": "400"})
    no_exception(at2)
    assert at2.session_state["explorer_site"] == park
    assert at2.selectbox(key="explorer_pick").value == park
    assert at2.radio(key="explorer_distance").value == 400


@pytest.mark.parametrize("linked, shown", [("5", 10), ("50000", 20_000), ("1250", 1250)])
def test_a_linked_distance_outside_the_box_is_brought_into_it(run_page, demo_store_path, linked, shown):
    at = run_page(PAGE, demo_store_path, query={"radius": linked})
    no_exception(at)
    assert at.number_input(key="explorer_distance_m").value == shown


def test_empty_store_says_what_to_do(run_page, store_path):
    at = run_page(PAGE, store_path, demo=False)
    no_exception(at)
    assert any("no sites or assets" in i.value for i in at.info)


def test_a_busy_site_shows_the_nearest_features_and_counts_them_all(run_page, store_path):
    """Issue 11: the map and the list carry the nearest 200 features, never thousands; every
    feature within the distance is counted by kind and status, and the page says so."""
    frame = gpd.GeoDataFrame(
        {"source_id": [str(i) for i in range(300)], "name": [f"Unit {i}" for i in range(300)],
         "kind": ["building" if i % 3 else "land" for i in range(300)],
         "status": ["vacant" if i % 5 == 0 else "in_use" for i in range(300)]},
        geometry=[shapely.box(400_000 + 2 * i, 286_000, 400_001 + 2 * i, 286_001) for i in range(300)], crs=27700,
    )
    with open_store(store_path) as store:
        writes.upsert_features(store, frame, source="t")
        first = store.con.execute("SELECT id FROM features WHERE source_id = '0'").fetchone()[0]
    at = run_page(PAGE, store_path, demo=False, query={"site": f"feature:{first}", "radius": "800"})
    no_exception(at)
    land, counts = at.dataframe[2].value, at.dataframe[3].value
    assert len(land) == 200 and list(land["Distance (m)"]) == sorted(land["Distance (m)"])
    assert counts["All"].sum() == 299
    assert counts.set_index("Kind").loc["Land", "All"] == 99  # every third, less the site itself
    assert any("nearest 200" in c.value and "299" in c.value for c in at.caption)
    script = map_args(at)["script"]
    assert "Nearest 200 sites and land" in script
    assert script.count("\u00a0m away") == 200, "only the nearest 200 are drawn"
    assert '"t":"Unit 200"' in script and '"t":"Unit 201"' not in script
