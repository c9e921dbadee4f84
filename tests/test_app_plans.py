"""The plan sketcher and workshop pages, run with Streamlit's AppTest on real stores.

The pages run exactly as in the app (same process, real DuckDB files in tmp_path). What
the map's draw tool and a tap on the map would send is put where the page reads it
(``sk.drawn``, ``ws.pin``), because AppTest cannot drive the Leaflet map; the browser
test drives the real one.
"""

from __future__ import annotations

import ast
import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from app import plan_downloads, plan_forms, plan_maps, state
from atlas.access import as_role
from atlas.errors import InvalidInput
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84
from cedplans import document, repository
from cedplans.model import Action, Idea, Partner, Plan, Zone
from tests.app_fixtures import SESSION_VIEWER

PAGES = Path(__file__).resolve().parents[1] / "app" / "pages"
SKETCHER = str(PAGES / "plan_sketcher.py")
WORKSHOP = str(PAGES / "workshop.py")
TIMEOUT_S = 60


# -- fixtures ------------------------------------------------------------------------------

@pytest.fixture
def app_store(monkeypatch, tmp_path):
    """Point the app at a store file and close it after the test (the app keeps stores
    open for the life of the process)."""

    def use(path: Path, *, demo: bool = False) -> Path:
        monkeypatch.setenv("ATLAS_DB", str(path))
        monkeypatch.setenv("ATLAS_DEMO", "1" if demo else "0")
        return path

    state.close_all()
    yield use
    state.close_all()


@pytest.fixture
def demo_app(app_store, demo_store_path):
    """The app on a copy of the demo store (two example plans)."""
    return app_store(demo_store_path)


@pytest.fixture
def empty_app(app_store, tmp_path):
    return app_store(tmp_path / "empty.duckdb")


def store_now():
    """The store the app holds (the same object the pages use)."""
    return state.open_app_store(state.store_target(), load_demo=False).store


def run(page: str, *, role: str | None = "officer", **query: str) -> AppTest:
    """The page run once, signed in as ``role`` (None: a visitor who has not signed in)."""
    at = AppTest.from_file(page, default_timeout=TIMEOUT_S)
    if role is not None:
        at.session_state[SESSION_VIEWER] = as_role(role, f"Test {role}")
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def snapshot(plan_id: int) -> dict:
    """Everything about a plan except its ideas: its content, version and stored rows."""
    store = store_now()
    plan = repository.get_plan(store, plan_id)
    row = store.con.execute(
        "SELECT title, status, latest_version, site_feature_id, site_name, updated_by, updated_at, "
        "ST_AsText(site_geom) FROM plans WHERE id = ?", [plan_id]).fetchone()
    zones = store.con.execute(
        "SELECT zone_id, name, use, description, area_m2, ST_AsText(geom) FROM plan_zones WHERE plan_id = ? "
        "ORDER BY zone_id", [plan_id]).fetchall()
    partners = store.con.execute(
        "SELECT asset_id, role FROM plan_partners WHERE plan_id = ? ORDER BY asset_id, role", [plan_id]).fetchall()
    return {"document": document.to_document(plan), "version": plan.version, "row": row, "zones": zones,
            "partners": partners, "versions": len(repository.list_versions(store, plan_id))}


def demo_plan(title_word: str) -> Plan:
    store = store_now()
    summary = next(p for p in repository.list_plans(store) if title_word in p.title)
    return repository.get_plan(store, summary.id)


def open_sketcher(plan_id: int) -> AppTest:
    at = run(SKETCHER, plan=str(plan_id))
    assert at.selectbox(key="sk.plan").value == plan_id
    return at


def prefix(at: AppTest) -> str:
    return at.session_state["sk.draft"].prefix


def save_as(at: AppTest, author: str = "Test officer") -> AppTest:
    """Type the name and press Save, as a person would: the page runs between the two."""
    at.text_input(key="sk.author.main").input(author).run()
    at.button(key=f"{prefix(at)}.save").click().run()
    assert_clean(at)
    return at


def square_feature(lon: float, lat: float, half_deg: float = 0.0004) -> dict:
    """A drawn square as Leaflet.draw sends it (GeoJSON Feature, lon/lat)."""
    ring = [[lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg], [lon + half_deg, lat + half_deg],
            [lon - half_deg, lat + half_deg], [lon - half_deg, lat - half_deg]]
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


# -- plan sketcher ---------------------------------------------------------------------------

def test_sketcher_opens_each_demo_plan_with_its_zones_and_partners(demo_app):
    plans = repository.list_plans(store_now())
    assert len(plans) == 2
    for summary in plans:
        at = open_sketcher(summary.id)
        plan = repository.get_plan(store_now(), summary.id)
        p = prefix(at)
        assert at.text_input(key=f"{p}.title").value == plan.title
        assert at.text_area(key=f"{p}.vision").value == plan.vision
        zone_uses = [s.value for s in at.selectbox
                     if s.key and s.key.startswith(f"{p}.zone.") and s.key.endswith(".use")]
        assert zone_uses == [z.use for z in plan.zones]
        partner_roles = [s.value for s in at.selectbox if s.key and s.key.startswith(f"{p}.partner.")]
        assert partner_roles == [x.role for x in plan.partners]
        assert at.query_params["plan"] == str(summary.id)


def test_sketcher_on_an_empty_store_starts_a_plan(empty_app):
    at = run(SKETCHER)
    assert at.selectbox(key="sk.plan").value == 0  # nothing to open: the new-plan form
    at.text_input(key="sk.new.title").input("Pop-up market on the car park")
    at.text_input(key="sk.author.new").input("Ana")
    at.button[0].click().run()  # the form's only button: "Start the plan"
    assert_clean(at)
    plans = repository.list_plans(store_now())
    assert [(p.title, p.version, p.updated_by) for p in plans] == [("Pop-up market on the car park", 1, "Ana")]
    assert at.selectbox(key="sk.plan").value == plans[0].id
    assert at.query_params["plan"] == str(plans[0].id)


def test_a_new_plan_needs_a_title_and_a_name(empty_app):
    at = run(SKETCHER)
    at.text_input(key="sk.author.new").input("Ana")
    at.button[0].click().run()
    assert_clean(at)
    assert any("title" in e.value for e in at.error)
    assert repository.list_plans(store_now()) == []


def test_saving_a_plan_creates_a_version(demo_app):
    plan = demo_plan("Holy Trinity")
    before = repository.list_versions(store_now(), plan.id)
    at = open_sketcher(plan.id)
    p = prefix(at)
    at.text_area(key=f"{p}.vision").input("A warm, open workspace for people starting social enterprises.")
    at.run()
    assert not at.button(key=f"{p}.save").disabled
    assert any("unsaved: vision changed" in m.value for m in at.markdown)
    save_as(at, "Priya")

    versions = repository.list_versions(store_now(), plan.id)
    assert len(versions) == len(before) + 1
    newest = versions[0]
    assert (newest.version, newest.author) == (before[0].version + 1, "Priya")
    assert "vision changed" in newest.summary
    stored = repository.get_plan(store_now(), plan.id)
    assert stored.vision == "A warm, open workspace for people starting social enterprises."
    # Nothing else moved: zones and partners are as they were.
    assert [z.id for z in stored.zones] == [z.id for z in plan.zones]
    assert stored.partners == plan.partners
    # The page now works on the new version and says so.
    assert at.session_state["sk.draft"].version == newest.version
    assert any(f"version {newest.version}" in s.value for s in at.success)


def test_save_waits_for_a_change(demo_app):
    plan = demo_plan("Holy Trinity")
    at = open_sketcher(plan.id)
    save_button = at.button(key=f"{prefix(at)}.save")
    assert save_button.disabled
    assert any("no unsaved changes" in m.value for m in at.markdown)
    at.text_input(key=f"{prefix(at)}.title").input(plan.title + " ")  # spaces only: no change
    at.run()
    assert at.button(key=f"{prefix(at)}.save").disabled
    assert repository.latest_version(store_now(), plan.id).version == plan.version


def test_moving_the_plan_on_a_stage(demo_app):
    plan = demo_plan("Holy Trinity")
    assert plan.status == "draft"
    at = open_sketcher(plan.id)
    stages = at.selectbox(key=f"{prefix(at)}.status")
    assert stages.options == ["draft (now)", "move on to: consulted", "move on to: dropped"]
    stages.set_value("consulted")
    save_as(at)
    assert repository.get_plan(store_now(), plan.id).status == "consulted"
    assert at.selectbox(key=f"{prefix(at)}.status").options[0] == "consulted (now)"


def test_a_drawn_area_can_become_the_site_of_a_plan_without_one(demo_app):
    store = store_now()
    plan = repository.create_plan(store, Plan(title="Allotments on the old depot"), author="A")
    at = open_sketcher(plan.id)
    area = square_feature(-1.95, 52.48, 0.001)
    at.session_state["sk.drawn"] = [area]
    at.run()
    key = next(z.key for z in at.session_state["sk.draft"].zones if z.is_new)
    at.button(key=f"{prefix(at)}.zone.{key}.site").click().run()
    assert_clean(at)
    assert at.selectbox(key=f"{prefix(at)}.site").value == "sketched"
    save_as(at)
    stored = repository.get_plan(store_now(), plan.id)
    assert stored.zones == []
    assert stored.site_geom.equals_exact(shapely.geometry.shape(area["geometry"]), 1e-9)


def test_a_drawn_zone_is_measured_can_be_undone_and_is_saved(demo_app):
    plan = demo_plan("Holy Trinity")
    at = open_sketcher(plan.id)
    site = repository.site_geometry(store_now(), plan)
    lon, lat = site.centroid.x, site.centroid.y

    # Draw a square: it becomes a new zone with the chosen use.
    at.selectbox(key="sk.draw_use").select("market")
    at.session_state["sk.drawn"] = [square_feature(lon, lat)]
    at.run()
    assert_clean(at)
    draft = at.session_state["sk.draft"]
    assert [z.zone.use for z in draft.zones if z.is_new] == ["market"]

    # Undo takes it back; draw it again.
    at.button(key=f"{prefix(at)}.undo").click().run()
    assert not any(z.is_new for z in at.session_state["sk.draft"].zones)
    at.session_state["sk.drawn"] = [square_feature(lon, lat)]
    at.run()
    new_key = next(z.key for z in at.session_state["sk.draft"].zones if z.is_new)
    at.text_input(key=f"{prefix(at)}.zone.{new_key}.name").input("Saturday market")
    at.text_area(key=f"{prefix(at)}.zone.{new_key}.note").input("Stalls for local makers")
    save_as(at)

    stored = repository.get_plan(store_now(), plan.id)
    assert stored.version == plan.version + 1
    added = [z for z in stored.zones if z.id not in {z.id for z in plan.zones}]
    assert [(z.use, z.name, z.description) for z in added] == [("market", "Saturday market", "Stalls for local makers")]
    # Area checked independently: geopandas in British National Grid.
    expected = gpd.GeoSeries([shapely.geometry.shape(square_feature(lon, lat)["geometry"])], crs=WGS84) \
        .to_crs(BRITISH_NATIONAL_GRID).area.iloc[0]
    assert added[0].area_m2 == pytest.approx(expected, rel=1e-6)


def test_a_drawing_far_from_the_site_is_refused_with_a_reason(demo_app):
    plan = demo_plan("Holy Trinity")
    at = open_sketcher(plan.id)
    at.session_state["sk.drawn"] = [square_feature(2.35, 48.85)]  # Paris
    at.run()
    assert_clean(at)
    assert not any(z.is_new for z in at.session_state["sk.draft"].zones)
    assert any("km from" in w.value for w in at.warning)


def test_a_stale_save_is_refused_and_the_newer_version_shown(demo_app):
    plan = demo_plan("Edgbaston")
    at = open_sketcher(plan.id)
    at.session_state["sk.drawn"] = [square_feature(*repository.site_geometry(store_now(), plan).centroid.coords[0])]
    at.run()
    p = prefix(at)
    at.text_area(key=f"{p}.vision").input("My vision")

    # Meanwhile someone else saves the plan.
    other = repository.get_plan(store_now(), plan.id)
    other.title = "Edgbaston Reservoir: a plan for everyone"
    theirs = repository.save_plan(store_now(), other, author="Other editor")

    save_as(at, "Me")
    assert any("has changed since you opened" in e.value for e in at.error)
    latest = repository.get_plan(store_now(), plan.id)
    assert (latest.version, latest.title, latest.vision) == (theirs.version, other.title, plan.vision)
    # The newer version is shown, with what changed in it.
    assert any("Other editor saved version" in e.value for e in at.error)
    assert any("Title changed" in m.value for m in at.markdown)

    # Opening it keeps the zone drawn here; saving then works.
    at.button(key=f"{p}.open_latest").click().run()
    assert_clean(at)
    draft = at.session_state["sk.draft"]
    assert draft.version == theirs.version and sum(z.is_new for z in draft.zones) == 1
    save_as(at, "Me")
    final = repository.get_plan(store_now(), plan.id)
    assert final.version == theirs.version + 1
    assert final.title == other.title and len(final.zones) == len(plan.zones) + 1


def test_adding_and_removing_partners(demo_app):
    plan = demo_plan("Holy Trinity")
    at = open_sketcher(plan.id)
    p = prefix(at)
    choices = at.selectbox(key=f"{p}.add.asset").options
    assert choices, "the site has assets nearby to pick from"
    current = {x.asset_id for x in plan.partners}
    nearby = repository.plan_site(store_now(), plan)
    from atlas import queries

    candidates = [a for a in queries.nearby(store_now(), nearby, 800).assets if a.id not in current]
    pick = candidates[0]
    at.selectbox(key=f"{p}.add.asset").set_value(pick.id)
    at.selectbox(key=f"{p}.add.role").select("funder")
    at.text_input(key=f"{p}.add.note").input("Small grants")
    at.button(key=f"{p}.add.go").click().run()
    assert_clean(at)
    removed = at.session_state["sk.draft"].partners[0]
    at.button(key=f"{p}.partner.{removed.key}.remove").click().run()
    save_as(at)

    stored = repository.get_plan(store_now(), plan.id)
    pairs = {(x.asset_id, x.role, x.note) for x in stored.partners}
    assert (pick.id, "funder", "Small grants") in pairs
    assert (removed.partner.asset_id, removed.partner.role, removed.partner.note) not in pairs
    assert len(stored.partners) == len(plan.partners)


def test_history_compares_and_restores_versions(demo_app):
    plan = demo_plan("Holy Trinity")
    at = open_sketcher(plan.id)
    at.text_input(key=f"{prefix(at)}.title").input("Holy Trinity co-working hub")
    save_as(at)
    key = f"sk.{plan.id}"
    assert any("Title changed" in m.value for m in at.markdown)  # the diff of the two newest versions
    at.selectbox(key=f"{key}.restore_pick").set_value(plan.version)
    at.button(key=f"{key}.restore").click().run()
    assert_clean(at)
    versions = repository.list_versions(store_now(), plan.id)
    assert versions[0].version == plan.version + 2 and versions[0].restored_from == plan.version
    assert repository.get_plan(store_now(), plan.id).title == plan.title


def test_discard_throws_unsaved_changes_away(demo_app):
    plan = demo_plan("Holy Trinity")
    at = open_sketcher(plan.id)
    p = prefix(at)
    at.text_input(key=f"{p}.title").input("Something else")
    at.run()
    at.button(key=f"{p}.discard").click().run()
    assert_clean(at)
    assert at.text_input(key=f"{prefix(at)}.title").value == plan.title


def test_sketcher_exports_download_real_files(demo_app, tmp_path):
    plan = demo_plan("Edgbaston")
    at = open_sketcher(plan.id)
    plan_buttons = [b for b in at.get("download_button") if str(b.key).startswith(f"sk.{plan.id}.dl.")]
    assert len(plan_buttons) == len(plan_downloads.DOWNLOADS)
    store = store_now()
    leftovers = set(Path(tempfile.gettempdir()).glob("atlas-export-*"))

    geojson = json.loads(plan_downloads.export_bytes(store, plan.id, "geojson"))
    assert geojson["type"] == "FeatureCollection"
    assert sum(f["properties"]["layer"] == "zones" for f in geojson["features"]) == len(plan.zones)

    gpkg = tmp_path / "plan.gpkg"
    gpkg.write_bytes(plan_downloads.export_bytes(store, plan.id, "gpkg"))
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"site", "partners"} <= layers

    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(plan_downloads.export_bytes(store, plan.id, "pdf"))
    text = " ".join((page.extract_text() or "") for page in PdfReader(pdf).pages)
    assert "Edgbaston Reservoir" in " ".join(text.split())
    assert plan_downloads.file_name(plan.title, 3, "gpkg").endswith("-v3.gpkg")
    assert set(Path(tempfile.gettempdir()).glob("atlas-export-*")) == leftovers  # nothing left behind


def test_ideas_are_hidden_with_a_reason_and_shown_again(demo_app):
    plan = demo_plan("Edgbaston")
    idea = repository.list_ideas(store_now(), plan.id)[0]
    at = open_sketcher(plan.id)
    key = f"sk.{plan.id}.idea.{idea.id}"
    at.text_input(key="sk.author.main").input("Moderator Mo").run()
    at.button(key=f"{key}.moderate").click().run()  # no reason yet: refused
    assert any("reason" in e.value for e in at.error)
    assert not repository.get_idea(store_now(), idea.id).hidden
    at.text_input(key=f"{key}.reason").input("Names a private person")
    at.button(key=f"{key}.moderate").click().run()
    assert_clean(at)
    hidden = repository.get_idea(store_now(), idea.id)
    assert (hidden.hidden, hidden.hidden_by, hidden.hidden_reason) == (True, "Moderator Mo", "Names a private person")
    workshop = run(WORKSHOP, plan=str(plan.id))
    assert f"ws.vote.{idea.id}" not in {b.key for b in workshop.button}
    at.text_input(key=f"{key}.reason").input("Checked with the group")
    at.button(key=f"{key}.moderate").click().run()
    assert not repository.get_idea(store_now(), idea.id).hidden
    assert [m.action for m in repository.moderation_log(store_now(), idea.id)] == ["hidden", "shown"]


# -- workshop mode ---------------------------------------------------------------------------

def test_workshop_on_an_empty_store_says_there_is_nothing_yet(empty_app):
    at = run(WORKSHOP)
    assert any("no plans yet" in i.value for i in at.info)


def test_workshop_lists_plans_and_a_link_opens_one(demo_app):
    plans = repository.list_plans(store_now())
    at = run(WORKSHOP)
    assert [b.label.split(" · ")[0] for b in at.button] == [p.title for p in plans]
    at.button(key=f"ws.open.{plans[1].id}").click().run()
    assert_clean(at)
    assert at.query_params["plan"] == str(plans[1].id)
    assert at.title[0].value == plans[1].title

    linked = run(WORKSHOP, plan=str(plans[0].id))
    assert linked.title[0].value == plans[0].title
    ideas = repository.list_ideas(store_now(), plans[0].id)
    assert len([b for b in linked.button if (b.key or "").startswith("ws.vote.")]) == len(ideas)


def test_workshop_adds_ideas_and_votes_but_cannot_change_the_plan(demo_app):
    plan = demo_plan("Edgbaston")
    before = snapshot(plan.id)
    ideas_before = {i.id: i.votes for i in repository.list_ideas(store_now(), plan.id)}
    at = run(WORKSHOP, plan=str(plan.id))

    # An idea pinned to a zone, named.
    zone = plan.zones[0]
    at.selectbox(key="ws.zone").set_value(zone.id)
    at.radio(key="ws.category").set_value("offer of help")
    at.text_area(key="ws.text").input("I can run a bike repair stall")
    at.text_input(key="ws.name").input("Kofi")
    at.button(key="ws.add").click().run()
    assert_clean(at)
    # An idea pinned where someone tapped (longitude, latitude), anonymous.
    site = repository.site_geometry(store_now(), plan)
    tap = site.representative_point()
    at.session_state["ws.pin"] = (tap.x, tap.y)
    at.text_area(key="ws.text").input("Benches facing the water")
    at.button(key="ws.add").click().run()
    assert_clean(at)
    # A vote for an old idea; the button then shows it was counted and cannot count twice.
    old_id = next(iter(ideas_before))
    at.button(key=f"ws.vote.{old_id}").click().run()
    assert_clean(at)
    assert at.button(key=f"ws.vote.{old_id}").disabled

    ideas = {i.id: i for i in repository.list_ideas(store_now(), plan.id)}
    new = [i for i in ideas.values() if i.id not in ideas_before]
    assert sorted((i.text, i.category, i.author, i.zone_id) for i in new) == [
        ("Benches facing the water", "idea", None, None),
        ("I can run a bike repair stall", "offer of help", "Kofi", zone.id),
    ]
    pinned = next(i for i in new if i.point is not None)
    assert pinned.point.equals_exact(shapely.Point(tap.x, tap.y), 1e-9)
    assert ideas[old_id].votes == ideas_before[old_id] + 1
    # Everything else about the plan is exactly as it was.
    assert snapshot(plan.id) == before


def test_a_participant_votes_once_per_idea_even_after_a_reload(demo_app):
    """Issue 9: reloading the page gave a participant a fresh vote ("You agreed · 2 votes").
    A reload keeps the browser's participant token (a cookie; here the session's value is
    carried over, as the cookie carries it) and the store holds one vote per token."""
    plan = demo_plan("Edgbaston")
    idea = repository.list_ideas(store_now(), plan.id)[0]
    at = run(WORKSHOP, plan=str(plan.id))
    token = at.session_state["participant.token"]
    at.button(key=f"ws.vote.{idea.id}").click().run()
    assert_clean(at)
    assert repository.get_idea(store_now(), idea.id).votes == idea.votes + 1

    reloaded = AppTest.from_file(WORKSHOP, default_timeout=TIMEOUT_S)
    reloaded.session_state[SESSION_VIEWER] = at.session_state[SESSION_VIEWER]
    reloaded.query_params["plan"] = str(plan.id)
    reloaded.session_state["participant.token"] = token
    reloaded.run()
    assert_clean(reloaded)
    button = reloaded.button(key=f"ws.vote.{idea.id}")
    assert button.disabled and button.label.startswith("You agreed")
    # Even a click that reaches the store (two tabs open at once) is refused there.
    with pytest.raises(InvalidInput, match="You have already voted"):
        repository.vote(store_now(), idea.id, voter=f"device:{token}")
    assert repository.get_idea(store_now(), idea.id).votes == idea.votes + 1

    # "Next person" on a shared tablet starts a new participant, who may vote.
    reloaded.button(key="ws.next_person").click().run()
    assert reloaded.session_state["participant.token"] != token
    reloaded.button(key=f"ws.vote.{idea.id}").click().run()
    assert_clean(reloaded)
    assert repository.get_idea(store_now(), idea.id).votes == idea.votes + 2


def test_workshop_needs_a_place_for_an_idea(demo_app):
    plan = demo_plan("Edgbaston")
    n = len(repository.list_ideas(store_now(), plan.id))
    at = run(WORKSHOP, plan=str(plan.id))
    at.text_area(key="ws.text").input("Somewhere, something")
    at.button(key="ws.add").click().run()
    assert any("Tap the map" in w.value or "tap the map" in w.value for w in at.warning)
    assert len(repository.list_ideas(store_now(), plan.id)) == n


def test_workshop_escapes_what_people_typed(demo_app):
    store = store_now()
    evil = "<script>alert('x')</script>"
    plan = repository.create_plan(store, Plan(title="Plan " + evil, vision=evil), author="A")
    repository.add_idea(store, plan.id, evil, zone_id=None,
                        point=shapely.Point(-1.95, 52.48))
    at = run(WORKSHOP, plan=str(plan.id))
    html_blocks = [m.value for m in at.markdown if "<" in m.value]
    assert html_blocks, "the idea wall is HTML"
    assert not any("<script>" in b for b in html_blocks)
    assert any("&lt;script&gt;" in b for b in html_blocks)


def test_workshop_keeps_line_breaks_of_an_idea_inside_its_html(demo_app):
    """A blank line would end the HTML block and let markdown after it (an image from
    anywhere on the internet) be drawn on the projector."""
    store = store_now()
    plan = repository.create_plan(store, Plan(title="Plan", vision="First.\n\n![v](http://example.invalid/v.png)"),
                                  author="A")
    repository.add_idea(store, plan.id, "Line one\n\n![i](http://example.invalid/i.png)", zone_id=None,
                        point=shapely.Point(-1.95, 52.48))
    at = run(WORKSHOP, plan=str(plan.id))
    blocks = [m.value for m in at.markdown if "example.invalid" in m.value]
    assert len(blocks) == 2, blocks
    for block in blocks:
        assert block.startswith("<p") and "\n" not in block and "<br><br>" in block


def test_workshop_only_calls_idea_functions_to_write():
    """The page's only writes are add_idea and vote, and it reads nothing it could save."""
    tree = ast.parse(Path(WORKSHOP).read_text())
    used = {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "repository"}
    assert used <= {"list_plans", "get_plan", "list_ideas", "site_geometry", "idea_location", "voted_ideas",
                    "add_idea", "vote"}
    imported = {a.name for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("cedplans")
                for a in n.names}
    assert imported <= {"repository", "workshops", "IDEA_CATEGORIES", "Plan", "IDEA_TEXT_MAX"}
    writes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and "writing" in ast.unparse(node.items[0].context_expr):
            permission = ast.unparse(node.items[0].context_expr)
            writes += [(ast.unparse(c.func), permission) for stmt in node.body for c in ast.walk(stmt)
                       if isinstance(c, ast.Call) and ast.unparse(c.func).startswith(("repository.", "workshops."))]
    # Participants add ideas and vote on their plan; only an officer opens a join code.
    assert sorted(writes) == [
        ("repository.add_idea", "session.writing(Permission.TAKE_PART, plan_id=plan_id)"),
        ("repository.vote", "session.writing(Permission.TAKE_PART, plan_id=plan_id)"),
        ("workshops.open_workshop", "session.writing(Permission.PLAN)"),
    ]


# -- the pages' helpers ---------------------------------------------------------------------

def test_tables_turn_into_actions_and_indicators():
    import pandas as pd

    frame = plan_forms.action_frame([Action("Open the cafe", "Friends", None, "to do", id=7)])
    frame.loc[1] = [pd.NA, "Run a survey", pd.NA, pd.Timestamp("2026-05-01"), "in progress"]
    frame.loc[2] = [pd.NA, pd.NA, pd.NA, pd.NaT, pd.NA]  # a row added and left empty
    actions = plan_forms.actions_from_rows(frame)
    assert [(a.id, a.what, a.by_when and a.by_when.isoformat(), a.status) for a in actions] == [
        (7, "Open the cafe", None, "to do"), (None, "Run a survey", "2026-05-01", "in progress")]
    with pytest.raises(InvalidInput, match="Action 1.*not a date"):
        plan_forms.actions_from_rows([{"what": "x", "by_when": "next week"}])
    rows = [{"name": "jobs created", "target": 4, "actual": float("nan"), "unit": "jobs"}, {"name": None}]
    indicators = plan_forms.indicators_from_rows(rows)
    assert [(i.name, i.target, i.actual) for i in indicators] == [("jobs created", 4.0, None)]
    assert plan_forms.objectives_from_text("- one\n\n• two \n") == ["one", "two"]
    assert plan_forms.asset_label(12, "Cafe", "micro") == "Cafe (micro) #12"


def test_draft_undo_and_partners():
    plan = Plan(title="t", id=1, version=2, zones=[Zone("play", shapely.Point(0, 0), id=5)],
                partners=[Partner(3, "lead", asset_name="A")])
    draft = plan_forms.Draft.of(plan)
    draft.add_zones([Zone("market", shapely.Point(1, 1)), Zone("events", shapely.Point(2, 2))])
    assert draft.remove_last_new_zone().zone.use == "events"
    assert draft.remove_last_new_zone().zone.use == "market"
    assert draft.remove_last_new_zone() is None and [z.zone.id for z in draft.zones] == [5]
    with pytest.raises(InvalidInput, match="already a partner as lead"):
        draft.add_partner(Partner(3, "lead", asset_name="A"))
    draft.add_partner(Partner(3, "funder"))
    assert [(p.partner.asset_id, p.partner.role) for p in draft.partners] == [(3, "lead"), (3, "funder")]


def test_plan_map_escapes_zone_and_idea_text():
    from datetime import datetime

    evil = "<img src=x onerror=alert(1)>"
    zone = Zone("other", shapely.box(-1.96, 52.48, -1.95, 52.49), name=evil, description=evil)
    idea = Idea(1, 1, evil, "idea", evil, datetime(2026, 1, 1), 2, point=shapely.Point(-1.955, 52.485))
    view = plan_maps.plan_viewport(zone.geom, None)
    m = plan_maps.plan_map(view, zones=[plan_maps.MapZone(zone, 1, new=True)],
                           ideas=[plan_maps.MapIdea(idea, 1, idea.point)])
    page = m.get_root().render()
    assert "<img src=x" not in page
    assert "\\u0026lt;img src=x" in page  # escaped for HTML, then for the script
    assert "plan-zone-new" in page and "plan-idea" in page


def test_problems_with_drawings_are_reported_not_lost(empty_store):
    empty_store.set_metric_crs(BRITISH_NATIONAL_GRID)
    good = square_feature(-1.95, 52.48)
    flat = {"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon",
                         "coordinates": [[[-1.95, 52.48], [-1.94, 52.48], [-1.93, 52.48], [-1.95, 52.48]]]}}
    result = plan_forms.zones_from_drawings(empty_store, [flat, good], use="play")
    assert [z.use for z in result.zones] == ["play"]
    assert len(result.problems) == 1 and result.problems[0].startswith("Shape 1 was not added")
