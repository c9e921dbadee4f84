"""The site explorer on foot (issue 14): on a town written by the test (tests/canal_town.py:
a grid of streets, a canal crossed by one bridge), the page shades the 5, 10 and 15 minute
walks from the site, lists each asset's walk beside its straight line, and flags an asset
far from any street; the demo, which has no walking network, says so once and keeps
straight lines.

The walks are checked against the town's routes measured on their own (pyproj's geodesic
lengths, vertex by vertex); the catchments against where the assets stand."""

from __future__ import annotations

import json
import re

import pytest
import shapely
from shapely.geometry import Point, shape

from app.text import md
from atlas import open_store
from atlas.ground import walking
from atlas.settings import DEFAULT_WALKING_SPEED_KMH
from tests import canal_town
from tests.app_fixtures import map_args, no_exception

PAGE = "site_explorer"
METRES_PER_MINUTE = DEFAULT_WALKING_SPEED_KMH * 1000 / 60
NO_NETWORK = ("This atlas has no walking network yet: distances are in a straight line. Import an OpenStreetMap "
              "extract to add one.")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def town(store_path):
    with open_store(store_path) as store:
        built = canal_town.build(store)
    return store_path, built


def open_town(run_page, town):
    path, built = town
    at = run_page(PAGE, path, demo=False, query={"site": f"feature:{built.hall_id}", "radius": "800"})
    no_exception(at)
    return at


def catchment_layers(script: str) -> dict[float, shapely.Geometry]:
    """minutes -> the catchment's shape, read from the map's script (the shape layer that
    holds the walks)."""
    for found in re.finditer(re.escape("L.geoJSON("), script):
        data, _end = json.JSONDecoder().raw_decode(script, found.end())
        walks = {float(f["properties"]["s"].removeprefix("walk")): shape(f["geometry"])
                 for f in data["features"] if f["properties"]["s"].startswith("walk")}
        if walks:
            return walks
    return {}


def test_each_asset_is_listed_with_its_walk_beside_its_straight_line(run_page, town):
    at = open_town(run_page, town)
    micro = at.dataframe[1].value.set_index("Name")
    assert {"Straight line (m)", "Walk (m)", "Walk (min)", "On foot"} <= set(micro.columns)
    for name in canal_town.ROUTES:
        want_m = canal_town.walk_m(name)
        assert abs(micro.loc[name, "Walk (m)"] - want_m) <= 1, name
        assert micro.loc[name, "Walk (min)"] == pytest.approx(want_m / METRES_PER_MINUTE, abs=0.06), name
        assert abs(micro.loc[name, "Straight line (m)"] - canal_town.straight_line_m(name)) <= 1, name
    # The boat club is nearer than the corner shop in a straight line, but the walk goes round
    # by the bridge: three times as far. The list is nearest on foot first.
    across, shop = canal_town.ACROSS, canal_town.SAME_SIDE
    assert micro.loc[across, "Straight line (m)"] < micro.loc[shop, "Straight line (m)"]
    assert micro.loc[across, "Walk (m)"] > 3 * micro.loc[across, "Straight line (m)"]
    assert list(micro.index) == [canal_town.ON_WATER, shop, across]
    # The buoy on the canal is 90 m from the nearest street: its time is said to be approximate.
    assert flat(micro.loc[canal_town.ON_WATER, "On foot"]).endswith(
        "about 90 m from the nearest path: walking time approximate")
    assert micro.loc[shop, "On foot"] == "" and micro.loc[across, "On foot"] == ""
    assert not any(NO_NETWORK in i.value for i in at.info)
    assert any("4.8 km/h" in c.value for c in at.caption)


def test_the_map_shades_the_5_10_and_15_minute_walks(run_page, town):
    at = open_town(run_page, town)
    script = map_args(at)["script"]
    layers = catchment_layers(script)
    assert sorted(layers) == [5.0, 10.0, 15.0]
    assert layers[5.0].area < layers[10.0].area < layers[15.0].area
    assert layers[15.0].contains(layers[10.0].buffer(-1e-6)) and layers[10.0].contains(layers[5.0].buffer(-1e-6))
    point = {name: Point(canal_town.lonlat(*xy)) for name, xy in canal_town.ASSET_POINTS.items()}
    # The boat club is 218 m away in a straight line, but a walk of 900 m (11 min 15 s):
    # outside the 5 and 10 minute walks, inside the 15.
    assert not layers[10.0].contains(point[canal_town.ACROSS])
    assert layers[15.0].contains(point[canal_town.ACROSS])
    # The corner shop, 300 m along the same street (3 min 45 s), is inside all three.
    assert layers[5.0].contains(point[canal_town.SAME_SIDE])
    # Named in the layer switcher and the legend, and beneath the sites and the assets.
    assert "Walking catchments" in script
    legend = re.search(r"atlas-legend.*", script, flags=re.DOTALL).group(0)
    for words in ("5 min walk", "10 min walk", "15 min walk"):
        assert words in legend
    assert script.index("atlas-walk-5") < script.index("atlas-site") < script.index("var rows = ")


def test_the_map_as_a_list_names_the_walks(run_page, town):
    at = open_town(run_page, town)
    rows = at.table[0].value
    walks = rows[rows["Shown as"] == "Walking catchment"]
    assert list(walks["Name"]) == ["5 min walk", "10 min walk", "15 min walk"]
    across = rows.set_index("Name").loc[canal_town.ACROSS]
    want = canal_town.walk_m(canal_town.ACROSS)
    assert flat(across["On foot"]) == f"{round(want / METRES_PER_MINUTE)} min ({round(want)} m)"
    assert flat(across["Distance"]) == f"{round(canal_town.straight_line_m(canal_town.ACROSS))} m"


def test_an_assets_card_gives_its_walk(run_page, town):
    _path, built = town
    at = open_town(run_page, town)
    at.selectbox(key="explorer_card_pick").set_value(built.asset_ids[canal_town.ACROSS]).run()
    no_exception(at)
    want = canal_town.walk_m(canal_town.ACROSS)
    walk = md(f"{round(want / METRES_PER_MINUTE)} min ({round(want)}\u00a0m)")  # markdown's characters escaped
    assert f"On foot: {walk}" in [c.value for c in at.caption]


def test_a_walk_longer_than_searched_says_more_than_at_the_stores_own_speed(run_page, town):
    """At a pushchair's 3 km/h (50 m a minute) and 250 m, walks are searched for 15 minutes
    (750 m): the boat club's walk (900 m) is longer, and the page says so rather than
    searching the whole town."""
    path, built = town
    with open_store(path) as store:
        walking.set_walking_speed(store, 3.0, by="test")
    at = run_page(PAGE, path, demo=False, query={"site": f"feature:{built.hall_id}", "radius": "250"})
    no_exception(at)
    micro = at.dataframe[1].value.set_index("Name")
    assert set(micro.index) == {canal_town.ON_WATER, canal_town.ACROSS}
    assert micro.loc[canal_town.ACROSS, "Walk (m)"] is None or micro.loc[canal_town.ACROSS, "Walk (m)"] != \
        micro.loc[canal_town.ACROSS, "Walk (m)"]  # None, or NaN in a numeric column
    assert flat(micro.loc[canal_town.ACROSS, "On foot"]) == "more than 15 min on foot"
    buoy = canal_town.walk_m(canal_town.ON_WATER)
    assert micro.loc[canal_town.ON_WATER, "Walk (min)"] == pytest.approx(buoy / 50, abs=0.06)
    assert any("3.0 km/h" in c.value for c in at.caption)


def test_the_demo_says_it_has_no_walking_network_and_keeps_straight_lines(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    no_exception(at)
    said = [i.value for i in at.info if NO_NETWORK in i.value]
    assert len(said) == 1
    macro, micro = at.dataframe[0].value, at.dataframe[1].value
    for frame in (macro, micro):
        assert "Distance (m)" in frame.columns and "Walk (m)" not in frame.columns
    assert list(micro["Distance (m)"]) == sorted(micro["Distance (m)"])
    script = map_args(at)["script"]
    assert '"walk5"' not in script and "Walking catchments" not in script
