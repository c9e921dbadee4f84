"""Where a plan may go next: idea -> draft -> consulted -> agreed -> in delivery -> done,
and dropped from any of them. There is no way back: a plan that needs rethinking carries
on in its status (an earlier version's content can be restored), or is dropped and
started again as a new plan, so the history never claims a step that was undone.
"""

from __future__ import annotations

from itertools import pairwise

from cedplans.errors import InvalidTransition
from cedplans.model import PLAN_STATUSES, Plan

_FORWARD = dict(pairwise(PLAN_STATUSES[:-1]))


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses a plan in ``status`` may move to, next step first."""
    if status not in PLAN_STATUSES:
        raise InvalidTransition(f"{status!r} is not a plan status ({', '.join(PLAN_STATUSES)}).")
    if status == "dropped":
        return ()
    forward = (_FORWARD[status],) if status in _FORWARD else ()
    return (*forward, "dropped")


def can_move(current: str, new: str) -> bool:
    """Whether ``new`` is ``current`` or a status it may move to (lead not checked)."""
    return new == current or new in next_statuses(current)


def check_transition(current: str, new: str, plan: Plan | None = None) -> None:
    """Raise :class:`InvalidTransition` unless a plan may go from ``current`` to ``new``.

    Staying put is always allowed. A plan cannot be agreed (or go beyond) without a lead
    organisation, because an agreed plan needs someone to answer for it.
    """
    if new == current:
        return
    allowed = next_statuses(current)
    if new not in allowed:
        if current == "dropped":
            hint = "A dropped plan stays dropped; start a new plan to pick the idea up again."
        elif current == "done":
            hint = "A finished plan can only be marked dropped."
        else:
            hint = f"From {current!r} it can go to {' or '.join(repr(s) for s in allowed)}."
        raise InvalidTransition(f"A plan cannot go from {current!r} to {new!r}. {hint}")
    if plan is not None and new in ("agreed", "in delivery", "done") and plan.lead is None:
        raise InvalidTransition(
            f"Name a lead organisation (a partner with the role 'lead') before the plan is {new}."
        )


def advance(plan: Plan, new: str) -> Plan:
    """Move ``plan`` to status ``new`` in place (checked); save it to make that a version."""
    check_transition(plan.status, new, plan)
    plan.status = new
    return plan
