"""``atlas nearby --walk`` and ``atlas basemap build`` (issue 14), through the real command
line on both engines: the canal town of tests/test_walking_network.py, imported with
``atlas import``, and the demo, which has no walking network and says so."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from atlas_cli import main
from tests.test_walking_network import LIBRARY, ORIGIN, bridge_route, to_metric, walkable_length, write_town

ORIGIN_ARG = f"{ORIGIN[0]},{ORIGIN[1]}"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def town_db(store_path, tmp_path) -> str:
    extract = write_town(tmp_path)
    result = run("import", str(extract), "--db", str(store_path))
    assert result.exit_code == 0, result.output
    # The import summary says what was made of the extract's ground.
    assert "Walking network: 26 junctions, 37 street and path segments" in result.output
    assert "Base map: " in result.output
    return str(store_path)


def _nearby_json(db: str, *args: str) -> dict:
    result = run("nearby", ORIGIN_ARG, *args, "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_nearby_walk_gives_walking_time_beside_the_straight_line(town_db):
    data = _nearby_json(town_db, "--walk", "15")
    library = next(a for a in data["assets"] if a["name"] == "Canal Library")
    m = to_metric(27700)
    expected = bridge_route(27700)
    straight = math.dist(m(ORIGIN), m(LIBRARY))
    assert library["walk_m"] == pytest.approx(expected, abs=0.1)
    assert library["walk_min"] == pytest.approx(expected / 80, abs=0.1)
    assert library["distance_m"] == pytest.approx(straight, abs=0.1)
    assert library["snap_m"] < 0.1 and library["far_from_street"] is False and library["within_walk"] is True
    walking = data["walking"]
    assert (walking["minutes"], walking["speed_kmh"], walking["reach_m"]) == (15, 4.8, 1200)
    assert walking["assets_within"] == len([a for a in data["assets"] if a["within_walk"]])
    assert walking["site_snap_m"] < 0.1 and walking["catchment_area_m2"] > 0
    assert walking["catchment_wkt"].startswith(("POLYGON", "MULTIPOLYGON"))
    # Without --radius the features are listed within the distance walked: 15 minutes, 1,200 m.
    assert data["radius_m"] == 1200


def test_nearby_walk_lists_what_is_near_in_a_straight_line_but_far_on_foot(town_db):
    data = _nearby_json(town_db, "--walk", "10")
    library = next(a for a in data["assets"] if a["name"] == "Canal Library")
    assert library["within_walk"] is False and library["walk_m"] is None and library["walk_min"] is None
    assert data["walking"]["assets_beyond"] >= 1

    table = run("nearby", ORIGIN_ARG, "--walk", "10", "--db", town_db)
    assert table.exit_code == 0, table.output
    assert "Within a 10-minute walk of" in table.stdout and "at 4.8 km/h" in table.stdout
    line = next(row for row in table.stdout.splitlines() if "Canal Library" in row)
    assert "more than 10 min on foot" in line


def test_nearby_walk_at_a_slower_speed(town_db):
    slow = _nearby_json(town_db, "--walk", "15", "--speed", "3")
    expected = bridge_route(27700)
    library = next(a for a in slow["assets"] if a["name"] == "Canal Library")
    assert library["within_walk"] is False  # 15 minutes at 3 km/h is 750 m
    fast = _nearby_json(town_db, "--walk", "25", "--speed", "3")
    library = next(a for a in fast["assets"] if a["name"] == "Canal Library")
    assert library["walk_min"] == pytest.approx(expected / 50, abs=0.1)  # 3 km/h is 50 m a minute


def test_speed_without_walk_and_a_bad_walk_are_refused(town_db):
    result = run("nearby", ORIGIN_ARG, "--speed", "3", "--db", town_db)
    assert result.exit_code == 2 and "--speed goes with --walk" in result.stderr
    result = run("nearby", ORIGIN_ARG, "--walk", "-5", "--db", town_db)
    assert result.exit_code == 2 and "Walking time" in result.stderr
    result = run("nearby", ORIGIN_ARG, "--walk", "10", "--speed", "0", "--db", town_db)
    assert result.exit_code == 2 and "walking pace" in result.stderr


def test_the_demo_says_it_has_no_walking_network_and_keeps_straight_lines(demo_store_path):
    result = run("nearby", "asset:1", "--walk", "10", "--db", str(demo_store_path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("\n") == 1 and "no walking network" in result.stderr
    data = json.loads(result.stdout)
    assert data["walking"] is None and "no walking network" in data["walking_note"]
    assert data["radius_m"] == 800  # ten minutes at 4.8 km/h, as the crow flies
    assert data["assets"] and all("walk_m" not in a and a["distance_m"] <= 800 for a in data["assets"])

    table = run("nearby", "asset:1", "--walk", "10", "--db", str(demo_store_path))
    assert table.exit_code == 0 and "no walking network" in table.stderr
    assert "Within 800 m of" in table.stdout


def test_basemap_build_from_the_store_and_from_an_extract(town_db, tmp_path):
    result = run("basemap", "build", "--db", town_db, "--format", "json")
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout)
    assert built["source"] == "canal-town.osm" and built["approximate"] is False
    assert (built["network"]["nodes"], built["network"]["edges"]) == (26, 37)
    assert built["network"]["length_m"] == pytest.approx(walkable_length(27700), abs=0.01)
    assert built["basemap"]["tiles"] > 0 and built["basemap"]["bytes"] > 0

    fresh = tmp_path / "fresh.duckdb"
    result = run("basemap", "build", "--from", str(tmp_path / "canal-town.osm"), "--db", str(fresh))
    assert result.exit_code == 0, result.output
    assert "Walking network: 26 junctions, 37 street and path segments" in result.stdout
    assert "Base map: " in result.stdout and "tiles" in result.stdout


def test_basemap_build_without_ground_says_how_to_get_some(tmp_path):
    db = str(tmp_path / "empty.duckdb")
    assert run("init", "--db", db).exit_code == 0
    result = run("basemap", "build", "--db", db)
    assert result.exit_code == 1
    assert "no ground" in result.stderr and "atlas basemap build --from" in result.stderr
    assert "atlas import" in result.stderr and result.stderr.count("\n") == 1
    result = run("basemap", "build", "--source", "x", "--db", db)
    assert result.exit_code == 2 and "--source and --licence go with --from" in result.output
