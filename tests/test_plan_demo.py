"""The demo's two example plans: complete, on their sites, and loaded once."""

from __future__ import annotations

import shutil

import pytest
import shapely

from atlas import demo as atlas_demo
from atlas import open_store
from atlas.errors import InvalidInput, NotFound
from cedplans import repository
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE, load_full_demo


def by_title(store, title):
    return repository.get_plan(store, next(p.id for p in repository.list_plans(store) if p.title == title))


@pytest.mark.parametrize("title", [EDGBASTON_TITLE, HOLY_TRINITY_TITLE])
def test_each_example_plan_is_complete(demo_store, title):
    plan = by_title(demo_store, title)
    assert plan.vision and plan.objectives and plan.macro_focus
    assert plan.lead is not None
    assert len(plan.partners) >= 5 and len(plan.zones) >= 4 and len(plan.actions) >= 4
    assert {i.name for i in plan.indicators} == {"jobs created", "enterprises started", "people trained",
                                                 "money spent locally"}
    assert len(repository.list_ideas(demo_store, plan.id)) >= 4
    # Every zone lies on or beside the site.
    site = repository.site_geometry(demo_store, plan)
    from atlas.projection import WGS84, reproject

    site_m = reproject(site, WGS84, demo_store.metric_epsg)
    for z in plan.zones:
        assert reproject(z.geom, WGS84, demo_store.metric_epsg).distance(site_m) < 100, z.name


def test_the_plans_name_the_demo_partners(demo_store):
    edgbaston = by_title(demo_store, EDGBASTON_TITLE)
    assert {"Canal & River Trust", "Friends of Edgbaston Reservoir"} <= {p.asset_name for p in edgbaston.partners}
    assert edgbaston.site_feature_id is None and edgbaston.site_name == "Edgbaston Reservoir and its open spaces"
    assert len(repository.list_versions(demo_store, edgbaston.id)) == 3
    holy_trinity = by_title(demo_store, HOLY_TRINITY_TITLE)
    names = {p.asset_name for p in holy_trinity.partners}
    assert {"Smethwick CAN", "Brushstrokes Community Project"} <= names
    assert holy_trinity.site_name == "Holy Trinity Church, Smethwick"
    assert holy_trinity.site_feature_id == repository.find_feature_id(demo_store, "Holy Trinity Church, Smethwick")
    assert holy_trinity.zones[0].use == "co-working"
    assert {f.kind for f in holy_trinity.macro_focus} == {"supply chain", "land and property"}


def test_loading_again_keeps_the_plans_and_their_edits(demo_store):
    plan = by_title(demo_store, HOLY_TRINITY_TITLE)
    plan.vision = "Edited after the demo was loaded."
    repository.save_plan(demo_store, plan, author="Ann")
    counts = load_full_demo(demo_store)
    assert counts["plans"] == 2 and counts["ideas"] == 9
    assert by_title(demo_store, HOLY_TRINITY_TITLE).vision == "Edited after the demo was loaded."


def test_a_missing_demo_asset_fails_clearly_and_leaves_no_half_plan(tmp_path):
    folder = tmp_path / "demo"
    shutil.copytree(atlas_demo.DEMO_DIR, folder)
    assets = folder / "assets.csv"
    lines = assets.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("smethwick-can,")]
    assert len(kept) == len(lines) - 1
    assets.write_text("".join(kept), encoding="utf-8")
    with open_store(tmp_path / "atlas.duckdb") as store:
        # The demo's needs name the asset first: the file, row and field are named, and
        # nothing of the demo is left half-loaded.
        with pytest.raises(InvalidInput, match=r"needs\.csv row \d+, field asset: there is no asset 'Smethwick CAN'"):
            load_full_demo(store, folder)
        assert repository.list_plans(store) == []
        assert store.con.execute("SELECT count(*) FROM plan_versions").fetchone()[0] == 0
        assert store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 0
        assert store.con.execute("SELECT count(*) FROM needs_offers").fetchone()[0] == 0
    # Without the needs and offers that name it, the plans still fail clearly.
    for name in ("needs.csv", "offers.csv"):
        table = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text("".join(line for line in table if "Smethwick CAN" not in line), encoding="utf-8")
    with open_store(tmp_path / "atlas2.duckdb") as store:
        with pytest.raises(NotFound, match="need the asset 'Smethwick CAN', which the demo data lacks"):
            load_full_demo(store, folder)
        assert repository.list_plans(store) == []


def test_example_zone_shapes_are_valid_and_measured(demo_store):
    for title in (EDGBASTON_TITLE, HOLY_TRINITY_TITLE):
        for z in by_title(demo_store, title).zones:
            assert z.geom.is_valid and z.geom.geom_type in ("Polygon", "LineString", "Point"), z.name
            dim = shapely.get_dimensions(z.geom)
            assert (z.area_m2 is not None) == (dim == 2) and (z.length_m is not None) == (dim >= 1)
