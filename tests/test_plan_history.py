"""Every save is a version: readable diffs, restoring, and refusing stale saves."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import shapely

from atlas import open_store
from atlas.errors import AtlasError, InvalidInput, NotFound
from atlas.projection import WGS84, reproject
from cedplans import repository
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE
from cedplans.errors import StalePlan
from cedplans.model import Action, Indicator, Partner, Plan, Zone


def plan_id(store, title: str) -> int:
    return next(p.id for p in repository.list_plans(store) if p.title == title)


def test_each_save_is_a_version_with_author_time_and_summary(demo_store):
    plan = repository.create_plan(demo_store, "Community orchard", author="Ann")
    assert (plan.version, plan.saved_by) == (1, "Ann")
    plan.vision = "Fruit trees for everyone."
    plan.partners.append(Partner(repository.find_asset_id(demo_store, "Smethwick CAN"), "lead"))
    saved = repository.save_plan(demo_store, plan, author="Bea", summary="After the walkabout")
    assert saved.version == 2
    assert saved == repository.get_plan(demo_store, plan.id)  # what save returns is what was stored
    versions = repository.list_versions(demo_store, plan.id)
    assert [(v.version, v.author) for v in versions] == [(2, "Bea"), (1, "Ann")]
    assert versions[0].summary == "After the walkabout (vision changed; 1 partner added)"
    assert versions[0].saved_at >= versions[1].saved_at
    # The earlier version is still there as it was.
    assert repository.get_plan(demo_store, plan.id, 1).vision == ""


def test_the_diff_reads_as_sentences(demo_store):
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    plan = repository.get_plan(demo_store, pid)
    trust = next(p for p in plan.partners if p.role == "landowner")
    lawn = next(z for z in plan.zones if z.name == "Festival lawn")
    wardens = next(a for a in plan.actions if a.what == "Recruit volunteer path wardens")
    plan.title = "Edgbaston Reservoir for everyone"
    plan.partners = [replace(p, role="funder") if p is trust else p for p in plan.partners
                     if p.role != "supporter"]
    plan.actions = [replace(a, status="done") if a is wardens else a for a in plan.actions]
    plan.actions.append(Action("Install benches", "Canal & River Trust", date(2027, 6, 1)))
    bigger = reproject(reproject(lawn.geom, WGS84, 27700).buffer(10), 27700, WGS84)
    plan.zones = [replace(z, geom=bigger) if z is lawn else z for z in plan.zones]
    plan.indicators = [replace(i, actual=3) if i.name == "people trained" else i for i in plan.indicators]
    saved = repository.save_plan(demo_store, plan, author="Joel R.")

    diff = repository.diff_versions(demo_store, pid, saved.version - 1, saved.version)
    lines = diff.lines()
    assert lines[0] == ("Title changed from 'A community vision for Edgbaston Reservoir and its open spaces' "
                        "to 'Edgbaston Reservoir for everyone'")
    assert "Partner removed: University of Birmingham (supporter)" in lines
    assert "Partner Canal & River Trust: role changed from 'landowner' to 'funder'" in lines
    assert "Action 'Recruit volunteer path wardens': status changed from 'to do' to 'done'" in lines
    assert "Action added: 'Install benches'" in lines
    assert "Indicator 'people trained': actual changed from 8 people to 3 people" in lines
    zone_line = next(line for line in lines if line.startswith("Zone 'Festival lawn'"))
    assert "shape changed from 1.72 ha to" in zone_line
    assert len(lines) == 7, lines
    assert repository.list_versions(demo_store, pid)[0].summary == diff.summary()
    assert diff.summary() == ("title changed; 1 partner removed; 1 partner changed; 1 action changed; "
                              "1 action added; 1 zone changed; 1 indicator changed")


def test_reordering_is_not_a_change_and_an_unchanged_save_is_refused(demo_store):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    plan = repository.get_plan(demo_store, pid)
    plan.partners.reverse()
    plan.zones.reverse()
    with pytest.raises(InvalidInput, match="Nothing has changed since version 1"):
        repository.save_plan(demo_store, plan, author="Ann")
    assert repository.latest_version(demo_store, pid).version == 1


def test_restore_makes_an_old_version_the_newest_and_keeps_the_status(demo_store):
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    latest = repository.get_plan(demo_store, pid)
    assert (latest.version, latest.status) == (3, "consulted")

    restored = repository.restore_version(demo_store, pid, 1, author="Amina K.")
    assert restored.version == 4
    assert restored.status == "consulted"  # status only moves by transitions
    assert (restored.partners, restored.zones, restored.indicators) == ([], [], [])
    assert restored.vision == repository.get_plan(demo_store, pid, 1).vision
    v4 = repository.list_versions(demo_store, pid)[0]
    assert v4.restored_from == 1
    assert v4.summary.startswith("Restored version 1 (")
    assert "6 partners removed" in v4.summary

    # Nothing was lost: restoring version 3 brings back its zones with the same ids, so
    # the ideas pinned to them find their zones again.
    back = repository.restore_version(demo_store, pid, 3, author="Amina K.")
    assert back.version == 5
    assert [z.id for z in back.zones] == [z.id for z in latest.zones]
    pinned = [i for i in repository.list_ideas(demo_store, pid) if i.zone_id is not None]
    assert pinned and all(back.zone(i.zone_id) is not None for i in pinned)
    assert not repository.diff_versions(demo_store, pid, 3, 5).section("zones")


def test_restore_refuses_the_latest_and_unknown_versions(demo_store):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    with pytest.raises(InvalidInput, match="already the latest"):
        repository.restore_version(demo_store, pid, 1, author="Ann")
    with pytest.raises(NotFound, match="has no version 9"):
        repository.restore_version(demo_store, pid, 9, author="Ann")


def test_two_editors_the_second_save_is_refused_and_shown_the_newer_version(demo_store):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    mine = repository.get_plan(demo_store, pid)
    theirs = repository.get_plan(demo_store, pid)

    theirs.vision = "Their vision."
    repository.save_plan(demo_store, theirs, author="Harpreet B.", summary="Rewrote the vision")
    mine.vision = "My vision."
    mine.objectives.append("My objective.")
    with pytest.raises(StalePlan) as info:
        repository.save_plan(demo_store, mine, author="Tomasz W.")
    error = info.value
    assert isinstance(error, AtlasError)
    assert (error.based_on_version, error.latest.version, error.latest.author) == (1, 2, "Harpreet B.")
    assert "Harpreet B. saved version 2" in str(error) and "Nothing was saved" in str(error)

    stored = repository.get_plan(demo_store, pid)
    assert (stored.version, stored.vision) == (2, "Their vision.")
    assert "My objective." not in stored.objectives
    # Saving again on top of the version shown works.
    assert repository.save_plan(demo_store, mine, author="Tomasz W.", based_on_version=2).version == 3


def test_a_stale_save_is_refused_across_separate_openings_of_the_store(demo_store_path):
    # Writer A (say the CLI) reads version 1 and goes away; writer B (the app) saves; A returns.
    with open_store(demo_store_path) as store:
        pid = plan_id(store, HOLY_TRINITY_TITLE)
        plan_a = repository.get_plan(store, pid)
    with open_store(demo_store_path) as store:
        plan_b = repository.get_plan(store, pid)
        plan_b.indicators.append(Indicator("volunteers recruited", target=20))
        repository.save_plan(store, plan_b, author="B")
    with open_store(demo_store_path) as store:
        plan_a.indicators = []
        with pytest.raises(StalePlan, match="B saved version 2"):
            repository.save_plan(store, plan_a, author="A")
        assert len(repository.get_plan(store, pid).indicators) == 5
        assert repository.latest_version(store, pid).version == 2


def test_zones_keep_their_ids_and_get_measured_on_save(demo_store):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    plan = repository.get_plan(demo_store, pid)
    c = repository.site_geometry(demo_store, plan).centroid
    e, n = reproject(c, WGS84, 27700).coords[0]
    square_m = shapely.box(e, n, e + 20, n + 30)  # 20 m x 30 m, drawn in British National Grid
    plan.zones.append(Zone("play", reproject(square_m, 27700, WGS84), name="Play corner"))
    saved = repository.save_plan(demo_store, plan, author="Ann")
    new = saved.zones[-1]
    assert new.id is not None and new.id not in {z.id for z in plan.zones[:-1]}
    assert new.area_m2 == pytest.approx(600, rel=1e-6)
    assert new.length_m == pytest.approx(100, rel=1e-6)


def test_plan_references_are_checked_against_the_atlas(demo_store):
    with pytest.raises(InvalidInput, match="Partner 1 .* is not in the atlas"):
        repository.create_plan(demo_store, Plan(title="Ghost", partners=[Partner(999_999, "funder")]), author="Ann")
    with pytest.raises(InvalidInput, match="one lead organisation"):
        repository.create_plan(demo_store, Plan(title="Two leads", partners=[Partner(1, "lead"), Partner(2, "lead")]),
                               author="Ann")
    with pytest.raises(InvalidInput, match="say in words what the zone is for"):
        repository.create_plan(demo_store, Plan(title="Vague", zones=[Zone("other", shapely.Point(-1.93, 52.48))]),
                               author="Ann")
    with pytest.raises(InvalidInput, match="Say who is saving"):
        repository.create_plan(demo_store, "Anonymous plan", author="  ")
    with pytest.raises(NotFound, match="There is no plan 424242"):
        repository.get_plan(demo_store, 424242)
    assert repository.list_plans(demo_store) and all(p.title != "Ghost" for p in repository.list_plans(demo_store))
