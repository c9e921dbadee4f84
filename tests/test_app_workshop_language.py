"""The workshop page in other languages, and an idea added without the map (issue 13).

The page runs through ``streamlit_app.py`` (the language switcher and the right-to-left
style are drawn there) on a real copy of the demo store, on both engines. An idea pinned
by choosing a place from the list, or a place found by a search, must land where that
place is: the stored point is checked against the place's geometry read from the store
with plain SQL and compared with shapely, not with the page's code.
"""

from __future__ import annotations

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from app import state
from atlas.store import Store
from cedplans import repository
from cedplans.model import Plan
from tests.app_fixtures import RunPage, no_exception

PLAN_WORD = "Edgbaston"
"""A word of the demo plan the workshop runs on: its site is sketched, with named places
round it."""


def store_now() -> Store:
    """The store the app holds (the same object the page uses)."""
    return state.open_app_store(state.store_target(), load_demo=False).store


def demo_plan(store: Store) -> Plan:
    summary = next(p for p in repository.list_plans(store) if PLAN_WORD in p.title)
    return repository.get_plan(store, summary.id)


def plan_id_of(path) -> int:
    from atlas.store import open_store

    with open_store(path) as store:
        return demo_plan(store).id


def geometry(store: Store, table: str, id_: int) -> shapely.Geometry:
    """A stored asset's or feature's shape (WGS84), read with SQL, not through the atlas's code."""
    assert table in ("assets", "features")
    wkt = store.con.execute(f"SELECT ST_AsText(geom) FROM {table} WHERE id = ?", [id_]).fetchone()[0]
    return shapely.from_wkt(wkt)


def nearest(store: Store, table: str, site: shapely.Geometry) -> int:
    """The id of the named asset or feature nearest ``site`` (the plan's sketched site, WGS84)."""
    rows = store.con.execute(f"SELECT id, ST_AsText(geom) FROM {table} WHERE name IS NOT NULL").fetchall()
    return min(rows, key=lambda r: (shapely.from_wkt(r[1]).distance(site), r[0]))[0]


def open_workshop(run_page: RunPage, path, *, language: str = "en") -> AppTest:
    at = run_page("workshop", path, role="officer", session={"language": language},
                  query={"plan": str(plan_id_of(path))})
    no_exception(at)
    return at


def add_idea(at: AppTest, text: str) -> None:
    at.text_area(key="ws.text").input(text)
    at.button(key="ws.add").click().run()
    no_exception(at)


@pytest.mark.parametrize("language", ["de", "fr", "pl", "ar"])
def test_the_workshop_runs_in_other_languages(run_page, demo_store_path, language):
    at = open_workshop(run_page, demo_store_path, language=language)
    assert at.session_state["language"] == language
    assert at.button(key="ws.add") is not None and at.selectbox(key="ws.place").options
    right_to_left = any("direction: rtl" in h.proto.body for h in at.get("html"))
    assert right_to_left == (language == "ar")
    # An idea goes in, in any language, and the thank-you is right under the button.
    at.selectbox(key="ws.place").select_index(0).run()
    add_idea(at, "Ein Markt am Samstag")
    assert len(at.success) == 1


def test_an_idea_chosen_from_the_list_lands_at_that_place(run_page, demo_store_path):
    at = open_workshop(run_page, demo_store_path)
    store = store_now()
    plan = demo_plan(store)
    before = {i.id for i in repository.list_ideas(store, plan.id)}
    options = at.selectbox(key="ws.place").options
    assert options[0].startswith("The plan's site")
    # The plan's site, the nearest asset and the nearest named feature: each is in the list.
    site = plan.site_geom
    near = nearest(store, "assets", site)
    other = nearest(store, "features", site)
    chosen = {"site": ("plan", plan.id), f"asset:{near}": ("assets", near),
              f"feature:{other}": ("features", other)}
    for key in chosen:
        at.selectbox(key="ws.place").set_value(key).run()
        no_exception(at)
        assert at.session_state["ws.pin"] is not None and at.session_state["ws.zone"] is None
        assert any("Your idea goes at" in s.value for s in at.success)
        add_idea(at, f"An idea at {key}")
        assert [s.value for s in at.success] == ["Thank you! Your idea is on the wall."]
        assert at.session_state["ws.place"] is None and "ws.pin" not in at.session_state

    new = {i.text: i for i in repository.list_ideas(store, plan.id) if i.id not in before}
    assert set(new) == {f"An idea at {key}" for key in chosen}
    for key, (table, id_) in chosen.items():
        idea = new[f"An idea at {key}"]
        place = site if table == "plan" else geometry(store, table, id_)
        assert idea.zone_id is None and idea.point is not None
        if place.geom_type == "Point":
            assert idea.point.distance(place) < 1e-9, (key, idea.point, place)
        else:
            assert place.covers(idea.point), (key, idea.point.wkt)


def test_an_idea_found_by_a_search_lands_at_that_place(run_page, demo_store_path):
    at = open_workshop(run_page, demo_store_path)
    store = store_now()
    plan = demo_plan(store)
    asset_id = nearest(store, "assets", plan.site_geom)
    name = store.con.execute("SELECT name FROM assets WHERE id = ?", [asset_id]).fetchone()[0]
    at.text_input(key="ws.search").input(name).run()
    no_exception(at)
    at.selectbox(key="ws.found").set_value(f"asset:{asset_id}").run()
    assert at.session_state["ws.place"] is None
    add_idea(at, "Found by its name")
    idea = next(i for i in repository.list_ideas(store, plan.id) if i.text == "Found by its name")
    assert idea.point.distance(geometry(store, "assets", asset_id)) < 1e-9
    assert at.text_input(key="ws.search").value == ""


def test_a_zone_chosen_after_a_place_replaces_it(run_page, demo_store_path):
    at = open_workshop(run_page, demo_store_path)
    plan = demo_plan(store_now())
    at.selectbox(key="ws.place").select_index(0).run()
    assert at.session_state["ws.pin"] is not None
    at.selectbox(key="ws.zone").set_value(plan.zones[0].id).run()
    no_exception(at)
    assert "ws.pin" not in at.session_state and at.session_state["ws.place"] is None
    add_idea(at, "In the first zone")
    idea = next(i for i in repository.list_ideas(store_now(), plan.id) if i.text == "In the first zone")
    assert (idea.zone_id, idea.point) == (plan.zones[0].id, None)


def test_an_idea_at_a_typed_postcode_lands_where_the_lookup_puts_it(run_page, demo_store_path):
    at = open_workshop(run_page, demo_store_path)
    store = store_now()
    plan = demo_plan(store)
    lon, lat = store.con.execute("SELECT lon, lat FROM postcodes WHERE postcode = 'B168ZA'").fetchone()
    at.text_input(key="ws.search").input("b16 8za").run()
    no_exception(at)
    assert at.selectbox(key="ws.found").options[0] == "Postcode B16 8ZA"
    at.selectbox(key="ws.found").select_index(0).run()
    add_idea(at, "Near the postcode")
    idea = next(i for i in repository.list_ideas(store, plan.id) if i.text == "Near the postcode")
    assert idea.point.equals_exact(shapely.Point(lon, lat), 1e-9)
