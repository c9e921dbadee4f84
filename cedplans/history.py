"""What changed between two versions of a plan, in words a person can read.

Items are matched by identity, not position: partners by asset and role, actions and
zones by the id the store gave them, indicators and macro assets by name and asset. So
reordering a list is no change, and editing an action is one change, not a removal and
an addition.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from atlas.output import area_words
from cedplans.model import Plan

T = TypeVar("T")

_TEXT_MAX = 70


@dataclass(frozen=True)
class Change:
    """One difference. ``kind`` is "added", "removed" or "changed"; ``field`` is set for
    a change to one field of an item (or of the plan itself)."""

    section: str
    kind: str
    item: str
    field: str = ""
    before: str = ""
    after: str = ""

    @property
    def text(self) -> str:
        if self.kind == "changed" and self.field:
            subject = self.field.capitalize() if self.section == "plan" else f"{self.item}: {self.field}"
            if self.section != "plan":
                subject = f"{_singular(self.section).capitalize()} {subject}"
            return f"{subject} changed from {self.before} to {self.after}"
        return f"{_singular(self.section).capitalize()} {self.kind}: {self.item}"


@dataclass(frozen=True)
class VersionDiff:
    """The changes from version ``from_version`` to ``to_version`` of one plan."""

    plan_id: int | None
    from_version: int
    to_version: int
    changes: tuple[Change, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def lines(self) -> list[str]:
        """One readable sentence per change, plan fields first, then each list."""
        return [c.text for c in self.changes]

    def section(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.section == name]

    def summary(self) -> str:
        """A short account such as "title changed; 2 partners added; 1 zone changed"."""
        return summarise(self.changes)


def summarise(changes: Sequence[Change]) -> str:
    """Count changes by list and kind; plan fields are named one by one."""
    if not changes:
        return "no changes"
    parts: list[str] = []
    counts: dict[tuple[str, str], int] = {}
    for c in changes:
        if c.section == "plan":
            part = f"{c.field} changed"
            if part not in parts:
                parts.append(part)
        else:
            counts[(c.section, c.kind)] = counts.get((c.section, c.kind), 0) + 1
    for (section, kind), n in counts.items():
        noun = _singular(section) if n == 1 else section
        parts.append(f"{n} {noun} {kind}")
    return "; ".join(parts)


def diff_plans(old: Plan, new: Plan, plan_id: int | None = None, from_version: int = 0,
               to_version: int = 0) -> VersionDiff:
    """Every difference between two versions of a plan, in reading order."""
    changes: list[Change] = []
    for name in ("title", "status", "vision"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(Change("plan", "changed", "", name, _q(before), _q(after)))
    if _site_key(old) != _site_key(new):
        changes.append(Change("plan", "changed", "", "site", _site(old), _site(new)))
    changes += _list_diff("objectives", old.objectives, new.objectives, key=lambda o: o, label=_q, fields={})
    changes += _list_diff(
        "macro assets", old.macro_focus, new.macro_focus,
        key=lambda f: (f.asset_id, f.kind), label=lambda f: f"{f.asset_name or f.asset_id} ({f.kind})",
        fields={"problem or opportunity": lambda f: _q(f.text)},
    )
    changes += _partner_diff(old, new)
    changes += _list_diff(
        "actions", old.actions, new.actions, key=lambda a: ("id", a.id) if a.id is not None else ("new", id(a)),
        label=lambda a: _q(a.what),
        fields={"what": lambda a: _q(a.what), "who": lambda a: _q(a.who),
                "by when": lambda a: a.by_when.isoformat() if a.by_when else "no date",
                "status": lambda a: _q(a.status)},
    )
    changes += _list_diff(
        "zones", old.zones, new.zones, key=lambda z: ("id", z.id) if z.id is not None else ("new", id(z)),
        label=lambda z: f"{_q(z.label)} ({z.use}{_size(z)})",
        fields={"name": lambda z: _q(z.name), "use": lambda z: _q(z.use),
                "description": lambda z: _q(z.description), "shape": _shape_text},
    )
    changes += _list_diff(
        "indicators", old.indicators, new.indicators, key=lambda i: i.name.strip().lower(),
        label=lambda i: _q(i.name),
        fields={"target": lambda i: _num(i.target, i.unit), "actual": lambda i: _num(i.actual, i.unit)},
    )
    return VersionDiff(plan_id, from_version, to_version, tuple(changes))


def _partner_diff(old: Plan, new: Plan) -> list[Change]:
    def name(p: Any) -> str:
        return p.asset_name or f"asset {p.asset_id}"

    old_by = {(p.asset_id, p.role): p for p in old.partners}
    new_by = {(p.asset_id, p.role): p for p in new.partners}
    removed = [p for k, p in old_by.items() if k not in new_by]
    added = [p for k, p in new_by.items() if k not in old_by]
    # An asset swapping its one role for another reads better as a change of role.
    swaps = {}
    for asset_id in {p.asset_id for p in removed} & {p.asset_id for p in added}:
        gone = [p for p in removed if p.asset_id == asset_id]
        came = [p for p in added if p.asset_id == asset_id]
        if len(gone) == 1 and len(came) == 1:
            swaps[asset_id] = (gone[0], came[0])
    out = [Change("partners", "removed", f"{name(p)} ({p.role})") for p in removed if p.asset_id not in swaps]
    for r, a in swaps.values():
        out.append(Change("partners", "changed", name(r), "role", _q(r.role), _q(a.role)))
        if r.note != a.note:
            out.append(Change("partners", "changed", name(r), "note", _q(r.note), _q(a.note)))
    for k, p in new_by.items():
        if k in old_by and old_by[k].note != p.note:
            out.append(Change("partners", "changed", f"{name(p)} ({p.role})", "note", _q(old_by[k].note), _q(p.note)))
    out += [Change("partners", "added", f"{name(p)} ({p.role})") for p in added if p.asset_id not in swaps]
    return out


def _list_diff(section: str, old: Sequence[T], new: Sequence[T], *, key: Callable[[T], Hashable],
               label: Callable[[T], str], fields: dict[str, Callable[[T], Any]]) -> list[Change]:
    old_by = {key(o): o for o in old}
    new_keys = {key(n) for n in new}
    out = [Change(section, "removed", label(o)) for k, o in old_by.items() if k not in new_keys]
    for n in new:
        k = key(n)
        if k not in old_by:
            out.append(Change(section, "added", label(n)))
            continue
        o = old_by[k]
        for name, get in fields.items():
            before, after = get(o), get(n)
            if before != after:
                before, after = str(before), str(after)
                if before == after:  # a shape moved without changing size
                    after += ", moved or reshaped"
                out.append(Change(section, "changed", label(o), name, before, after))
    return out


def _q(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        return "(empty)"
    if len(text) > _TEXT_MAX:
        text = text[: _TEXT_MAX - 1].rstrip() + "…"
    return f"'{text}'"


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "not set"
    return f"{value:,.10g}{' ' + unit if unit else ''}"


def _size(z: Any) -> str:
    if z.area_m2:
        return f", {area_words(z.area_m2)}"
    if z.length_m:
        return f", {z.length_m:,.0f} m"
    return ""


class _Shape:
    """A zone's shape compared by geometry, shown by its size."""

    def __init__(self, z: Any) -> None:
        self.geom = z.geom
        self.text = z.size_text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Shape) and self.geom.equals_exact(other.geom, 0.0)

    def __str__(self) -> str:
        return self.text


def _shape_text(z: Any) -> Any:
    return _Shape(z)


def _site_key(p: Plan) -> tuple:
    return (p.site_feature_id, p.site_geom.wkb if p.site_geom is not None else None, p.site_name)


def _site(p: Plan) -> str:
    if p.site_feature_id is not None:
        return _q(p.site_name or f"site {p.site_feature_id}")
    if p.site_geom is not None:
        return f"a sketched area {_q(p.site_name)}" if p.site_name else "a sketched area"
    return "no site"


def _singular(section: str) -> str:
    return {"macro assets": "macro asset", "partners": "partner", "actions": "action", "zones": "zone",
            "indicators": "indicator", "objectives": "objective", "plan": "plan"}.get(section, section)
