"""A plan's status: the allowed path, the refused moves, and the store enforcing them."""

from __future__ import annotations

from itertools import pairwise

import pytest

from atlas.errors import InvalidInput
from cedplans import repository, workflow
from cedplans.errors import InvalidTransition
from cedplans.model import PLAN_STATUSES, Partner, Plan

PATH = ["idea", "draft", "consulted", "agreed", "in delivery", "done"]


def with_lead() -> Plan:
    return Plan(title="Test", partners=[Partner(asset_id=1, role="lead")])


@pytest.mark.parametrize("current,new", list(pairwise(PATH)))
def test_each_step_forward_is_allowed(current, new):
    workflow.check_transition(current, new, with_lead())
    assert workflow.next_statuses(current)[0] == new


@pytest.mark.parametrize("current", [s for s in PLAN_STATUSES if s != "dropped"])
def test_a_plan_can_be_dropped_from_any_status(current):
    workflow.check_transition(current, "dropped", Plan(title="Test"))


@pytest.mark.parametrize("current,new", [
    ("idea", "consulted"),      # skipping a step
    ("idea", "done"),
    ("draft", "in delivery"),
    ("consulted", "draft"),     # going back
    ("agreed", "idea"),
    ("done", "in delivery"),
    ("dropped", "idea"),        # reviving a dropped plan
    ("dropped", "draft"),
])
def test_other_moves_are_refused_with_the_way_forward(current, new):
    with pytest.raises(InvalidTransition, match=f"cannot go from '{current}' to '{new}'") as info:
        workflow.check_transition(current, new, with_lead())
    assert isinstance(info.value, InvalidInput)  # the CLI shows it as bad input
    assert workflow.can_move(current, new) is False


def test_the_messages_say_what_is_possible():
    with pytest.raises(InvalidTransition, match="'draft' or 'dropped'"):
        workflow.check_transition("idea", "agreed")
    with pytest.raises(InvalidTransition, match="stays dropped"):
        workflow.check_transition("dropped", "draft")
    with pytest.raises(InvalidTransition, match="only be marked dropped"):
        workflow.check_transition("done", "agreed")


def test_a_plan_needs_a_lead_to_be_agreed():
    with pytest.raises(InvalidTransition, match="lead organisation"):
        workflow.advance(Plan(title="No lead", status="consulted"), "agreed")
    plan = workflow.advance(with_lead(), "draft")
    assert plan.status == "draft"


def test_staying_put_is_not_a_move():
    workflow.check_transition("agreed", "agreed")
    assert workflow.next_statuses("dropped") == ()


def test_the_store_refuses_a_status_jump_and_writes_nothing(demo_store):
    plan = repository.create_plan(demo_store, "Community shop", author="Ann")
    plan.status = "agreed"
    with pytest.raises(InvalidTransition, match="from 'idea' to 'agreed'"):
        repository.save_plan(demo_store, plan, author="Ann")
    assert [v.version for v in repository.list_versions(demo_store, plan.id)] == [1]
    assert repository.get_plan(demo_store, plan.id).status == "idea"


def test_the_store_walks_a_plan_through_its_life(demo_store):
    lead = repository.find_asset_id(demo_store, "Smethwick CAN")
    plan = repository.create_plan(demo_store, Plan(title="Repair cafe", partners=[Partner(lead, "lead")]),
                                  author="Ann")
    for status in PATH[1:]:
        plan = repository.set_status(demo_store, plan.id, status, author="Ann")
    assert plan.status == "done"
    history = repository.list_versions(demo_store, plan.id)
    assert [v.status for v in reversed(history)] == PATH
    assert history[0].summary == "status changed"
    with pytest.raises(InvalidTransition):
        repository.set_status(demo_store, plan.id, "agreed", author="Ann")


def test_a_new_plan_starts_as_an_idea_or_a_draft(demo_store):
    with pytest.raises(InvalidInput, match="starts as an idea or a draft"):
        repository.create_plan(demo_store, Plan(title="Skip ahead", status="agreed"), author="Ann")
    assert repository.create_plan(demo_store, Plan(title="Drafted", status="draft"), author="Ann").status == "draft"
