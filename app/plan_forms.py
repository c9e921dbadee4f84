"""Between a plan and the tables and lists the plan sketcher edits, and back again.

The page edits a plan through widgets: tables (actions, indicators) come back
as rows of plain values, and the map's draw tool sends GeoJSON. These functions turn
those into the plan's own typed records and the other way round. They know nothing of
Streamlit, so they are tested directly and the page stays a thin layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from app.language import _, fmt
from atlas.errors import InvalidInput
from atlas.models import NearbyAsset
from atlas.store import Store
from cedplans import sketch
from cedplans.model import ACTION_STATUSES, Action, Indicator, Partner, Plan, Zone

ACTION_COLUMNS = ("id", "what", "who", "by_when", "status")
INDICATOR_COLUMNS = ("name", "target", "actual", "unit")


@dataclass(frozen=True)
class DraftZone:
    """A zone on the page before it is saved. ``key`` stays the same across reruns (the
    stored zone's id, or a number given when it was drawn), so its widgets keep their
    values while other zones come and go."""

    key: str
    zone: Zone

    @property
    def is_new(self) -> bool:
        return self.zone.id is None


@dataclass(frozen=True)
class DraftPartner:
    """A partner on the page before it is saved; ``key`` as for :class:`DraftZone`."""

    key: str
    partner: Partner


@dataclass
class Draft:
    """The page's working copy of one plan, based on one stored version.

    The plan's words live in the page's widgets; the lists a person adds to and removes
    from (zones, partners) and the site live here. ``edit`` is bumped to throw the
    widgets' values away ("discard my changes"); ``map_gen`` is bumped so the map starts
    afresh once what was drawn on it has become zones.
    """

    plan_id: int
    version: int
    zones: list[DraftZone]
    partners: list[DraftPartner]
    site_feature_id: int | None = None
    site_geom: Any = None
    edit: int = 0
    map_gen: int = 0
    counter: int = 0
    notes: list[str] = field(default_factory=list)
    """Problems with the last drawings, shown once."""

    @classmethod
    def of(cls, plan: Plan, *, edit: int = 0) -> Draft:
        assert plan.id is not None
        return cls(plan_id=plan.id, version=plan.version, zones=drafts_from_zones(plan.zones),
                   partners=[DraftPartner(f"p{i}", p) for i, p in enumerate(plan.partners)],
                   site_feature_id=plan.site_feature_id, site_geom=plan.site_geom, edit=edit,
                   counter=len(plan.partners))

    @property
    def prefix(self) -> str:
        """Widget keys start with this, so another plan, version or a discard starts afresh."""
        return f"sk.{self.plan_id}.{self.version}.{self.edit}"

    def next_key(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}{self.counter}"

    def add_zones(self, zones: Iterable[Zone]) -> None:
        self.zones.extend(DraftZone(self.next_key("n"), z) for z in zones)

    def remove_last_new_zone(self) -> DraftZone | None:
        """Undo the last drawing: the newest zone not yet saved, if any."""
        for i in range(len(self.zones) - 1, -1, -1):
            if self.zones[i].is_new:
                return self.zones.pop(i)
        return None

    def remove_zone(self, key: str) -> None:
        self.zones = [z for z in self.zones if z.key != key]

    def add_partner(self, partner: Partner) -> None:
        same = (partner.asset_id, partner.role)
        if any((p.partner.asset_id, p.partner.role) == same for p in self.partners):
            name = partner.asset_name or f"asset {partner.asset_id}"
            raise InvalidInput(f"{name} is already a partner as {partner.role}.")
        self.partners.append(DraftPartner(self.next_key("p"), partner))

    def remove_partner(self, key: str) -> None:
        self.partners = [p for p in self.partners if p.key != key]

    def carry_new_zones_to(self, plan: Plan, *, edit: int = 0) -> Draft:
        """A fresh draft of ``plan`` (a newer version) that keeps the zones drawn here and
        not yet saved, so a refused save does not lose the drawing work."""
        fresh = Draft.of(plan, edit=edit)
        fresh.counter = max(fresh.counter, self.counter)
        fresh.add_zones(z.zone for z in self.zones if z.is_new)
        return fresh


def drafts_from_zones(zones: Iterable[Zone]) -> list[DraftZone]:
    return [DraftZone(key=f"z{z.id}", zone=z) for z in zones]


def with_zone_fields(zone: Zone, *, use: str, name: str, description: str) -> Zone:
    return replace(zone, use=use, name=(name or "").strip(), description=(description or "").strip())


@dataclass(frozen=True)
class DrawnZones:
    """What became of the shapes drawn since the last rerun."""

    zones: list[Zone]
    problems: list[str]


def zones_from_drawings(store: Store, drawings: Sequence[Mapping[str, Any]] | None, *, use: str,
                        near: Any = None) -> DrawnZones:
    """One zone per drawn shape (GeoJSON Features from the draw tool), each checked,
    repaired and measured by :mod:`cedplans.sketch`. A shape that cannot be used is left
    out and its problem reported in words, so one slip does not lose the others."""
    zones: list[Zone] = []
    problems: list[str] = []
    for i, feature in enumerate(drawings or [], 1):
        try:
            s = sketch.parse_drawing(store, feature, near=near)
        except InvalidInput as exc:
            problems.append(_("Shape {number} was not added: {reason}").format(number=i, reason=exc))
            continue
        if s.repaired and s.note:
            problems.append(_("Shape {number}: {note}").format(number=i, note=s.note))
        zones.append(Zone(use=use, geom=s.geom, area_m2=s.area_m2 if s.kind == "area" else None,
                          length_m=s.length_m if s.kind != "point" else None))
    return DrawnZones(zones, problems)


# -- tables -----------------------------------------------------------------------------

def action_frame(actions: Iterable[Action]) -> pd.DataFrame:
    rows = [{"id": a.id, "what": a.what, "who": a.who, "by_when": a.by_when, "status": a.status}
            for a in actions]
    frame = pd.DataFrame(rows, columns=list(ACTION_COLUMNS))
    # Typed columns even when empty, so the table's editors know a date from a number.
    frame = frame.astype({"id": "Int64", "what": "string", "who": "string", "status": "string"})
    frame["by_when"] = pd.to_datetime(frame["by_when"])
    return frame


def actions_from_rows(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[Action]:
    """Actions from the table; blank rows (added and left empty) are dropped."""
    out: list[Action] = []
    for i, row in enumerate(_records(rows), 1):
        what, who = _text(row.get("what")), _text(row.get("who"))
        by_when = _date(row.get("by_when"), _("Action {number}").format(number=i))
        status = _text(row.get("status")) or "to do"
        if not what and not who and by_when is None:
            continue
        if status not in ACTION_STATUSES:
            raise InvalidInput(_("Action {number}: status {status!r} is not one of: {statuses}.").format(
                number=i, status=status, statuses=", ".join(ACTION_STATUSES)))
        out.append(Action(what=what, who=who, by_when=by_when, status=status, id=_int(row.get("id"))))
    return out


def indicator_frame(indicators: Iterable[Indicator]) -> pd.DataFrame:
    rows = [{"name": i.name, "target": i.target, "actual": i.actual, "unit": i.unit} for i in indicators]
    frame = pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))
    return frame.astype({"name": "string", "target": "float64", "actual": "float64", "unit": "string"})


def indicators_from_rows(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[Indicator]:
    out: list[Indicator] = []
    for row in _records(rows):
        name = _text(row.get("name"))
        target, actual, unit = _float(row.get("target")), _float(row.get("actual")), _text(row.get("unit"))
        if not name and target is None and actual is None and not unit:
            continue
        out.append(Indicator(name=name, target=target, actual=actual, unit=unit))
    return out


def asset_label(asset_id: int, name: str, detail: str = "") -> str:
    """How an asset is named in a pick list: unique (the id is part of it) and readable."""
    return f"{name} ({detail}) #{asset_id}" if detail else f"{name} #{asset_id}"


def nearby_label(asset: NearbyAsset) -> str:
    detail = ", ".join(x for x in (_(asset.scale) if asset.scale else "", _(asset.category) if asset.category else "",
                                   fmt().distance_m(asset.distance_m)) if x)
    return asset_label(asset.id, asset.name, detail)


def objectives_from_text(text: str) -> list[str]:
    """One objective per line; blank lines and list bullets are dropped."""
    lines = (line.strip().lstrip("-*•").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


# -- cell values ------------------------------------------------------------------------

def _records(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(rows, pd.DataFrame):
        return [{str(k): v for k, v in row.items()} for row in rows.to_dict("records")]
    return list(rows)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value).strip()


def _int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def _float(value: Any) -> float | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("{value!r} is not a number.").format(value=value)) from exc


def _date(value: Any, what: str) -> date | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise InvalidInput(_("{what}: {value!r} is not a date; write it as YYYY-MM-DD.").format(
            what=what, value=value)) from exc
