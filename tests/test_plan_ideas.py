"""Workshop contributions: pinned, voted on, moderated, never deleted."""

from __future__ import annotations

import pytest
import shapely

from atlas.errors import InvalidInput
from atlas.projection import WGS84, reproject
from cedplans import repository
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE


@pytest.fixture
def plan(demo_store):
    pid = next(p.id for p in repository.list_plans(demo_store) if p.title == HOLY_TRINITY_TITLE)
    return repository.get_plan(demo_store, pid)


def near_site(store, plan, de_m: float = 0, dn_m: float = 0) -> shapely.Point:
    e, n = reproject(repository.site_geometry(store, plan).centroid, WGS84, 27700).coords[0]
    return reproject(shapely.Point(e + de_m, n + dn_m), 27700, WGS84)


def test_an_idea_pinned_to_a_point_and_one_to_a_zone(demo_store, plan):
    at = near_site(demo_store, plan, 30, 10)
    a = repository.add_idea(demo_store, plan.id, "  Bike racks by the gate  ", author="Dele O.", point=at)
    assert (a.text, a.author, a.by, a.category, a.votes) == ("Bike racks by the gate", "Dele O.", "Dele O.", "idea", 0)
    assert a.point.equals_exact(at, 1e-12) and a.zone_id is None
    zone = plan.zones[0]
    b = repository.add_idea(demo_store, plan.id, "Is there step-free access?", category="question", zone_id=zone.id)
    assert (b.author, b.by, b.zone_id) == (None, "anonymous", zone.id)
    assert repository.idea_location(plan, b).within(zone.geom)
    # The map's GeoJSON for a marker works as well as a shapely point.
    c = repository.add_idea(demo_store, plan.id, "Mural here", point=shapely.geometry.mapping(at))
    assert c.point.equals_exact(at, 1e-12)


@pytest.mark.parametrize("kwargs,message", [
    ({"text": "  "}, "Write the idea"),
    ({"text": "x" * 2001}, "keep it under 2,000"),
    ({"category": "rant"}, "not one of: idea, comment"),
    ({"zone_id": None}, "Pin the idea to one place"),
    ({"zone_id": 987654}, "has no zone 987654"),
])
def test_bad_ideas_are_refused(demo_store, plan, kwargs, message):
    args = {"text": "Something", "category": "idea", "zone_id": plan.zones[0].id, **kwargs}
    with pytest.raises(InvalidInput, match=message):
        repository.add_idea(demo_store, plan.id, args.pop("text"), **args)


def test_an_idea_must_be_near_the_plan_and_a_point(demo_store, plan):
    with pytest.raises(InvalidInput, match="km from the plan's site"):
        repository.add_idea(demo_store, plan.id, "Far away", point=near_site(demo_store, plan, 9_000))
    with pytest.raises(InvalidInput, match="Pin the idea to one place"):
        repository.add_idea(demo_store, plan.id, "Both", point=near_site(demo_store, plan), zone_id=plan.zones[0].id)
    line = shapely.LineString([near_site(demo_store, plan), near_site(demo_store, plan, 20)])
    with pytest.raises(InvalidInput, match="single point"):
        repository.add_idea(demo_store, plan.id, "A line", point=line)


def test_votes_named_once_anonymous_as_they_come(demo_store, plan):
    idea = repository.add_idea(demo_store, plan.id, "Solar panels on the roof", zone_id=plan.zones[0].id)
    assert repository.vote(demo_store, idea.id, "Ann") == 1
    with pytest.raises(InvalidInput, match="Ann has already voted"):
        repository.vote(demo_store, idea.id, " Ann ")
    assert repository.vote(demo_store, idea.id) == 2
    assert repository.vote(demo_store, idea.id, "") == 3
    assert repository.get_idea(demo_store, idea.id).votes == 3


def test_ideas_are_listed_by_votes(demo_store):
    pid = next(p.id for p in repository.list_plans(demo_store) if p.title == EDGBASTON_TITLE)
    ideas = repository.list_ideas(demo_store, pid)
    votes = [i.votes for i in ideas]
    assert votes == sorted(votes, reverse=True) and votes[0] == 7
    assert ideas[0].text == "Make the path wheelchair-friendly all the way round."


def test_hiding_keeps_the_idea_and_records_who_and_why(demo_store, plan):
    idea = repository.add_idea(demo_store, plan.id, "Rude remark", zone_id=plan.zones[0].id)
    before = len(repository.list_ideas(demo_store, plan.id))
    with pytest.raises(InvalidInput, match="Give a reason"):
        repository.hide_idea(demo_store, idea.id, reason=" ", moderator="Mo")
    hidden = repository.hide_idea(demo_store, idea.id, reason="Personal attack", moderator="Mo")
    assert (hidden.hidden, hidden.hidden_reason, hidden.hidden_by) == (True, "Personal attack", "Mo")
    assert hidden.hidden_at is not None
    assert idea.id not in {i.id for i in repository.list_ideas(demo_store, plan.id)}
    assert len(repository.list_ideas(demo_store, plan.id)) == before - 1
    assert idea.id in {i.id for i in repository.list_ideas(demo_store, plan.id, include_hidden=True)}
    assert repository.get_idea(demo_store, idea.id).text == "Rude remark"
    with pytest.raises(InvalidInput, match="cannot be voted for"):
        repository.vote(demo_store, idea.id)
    with pytest.raises(InvalidInput, match="already hidden"):
        repository.hide_idea(demo_store, idea.id, reason="again", moderator="Mo")

    shown = repository.show_idea(demo_store, idea.id, reason="Apology received", moderator="Kay")
    assert (shown.hidden, shown.hidden_reason) == (False, None)
    log = repository.moderation_log(demo_store, idea.id)
    assert [(m.action, m.reason, m.moderator) for m in log] == [
        ("hidden", "Personal attack", "Mo"), ("shown", "Apology received", "Kay"),
    ]


def test_the_demo_plan_shows_its_hidden_contribution_only_to_moderators(demo_store):
    pid = next(p.id for p in repository.list_plans(demo_store) if p.title == EDGBASTON_TITLE)
    hidden = [i for i in repository.list_ideas(demo_store, pid, include_hidden=True) if i.hidden]
    assert [i.hidden_reason for i in hidden] == ["Advertising, not about the plan."]
    summary = next(p for p in repository.list_plans(demo_store) if p.id == pid)
    assert summary.ideas == len(repository.list_ideas(demo_store, pid)) == 5
