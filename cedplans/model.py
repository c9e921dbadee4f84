"""Typed records of a community economic development (CED) plan and its vocabularies.

Geometries are shapely objects in WGS84 with (longitude, latitude) axis order; areas and
lengths (``area_m2``, ``length_m``) are measured in the store's metric CRS when a plan is
saved. Items are frozen: change one with :func:`dataclasses.replace` and put it back in
the plan's list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

import shapely
from shapely.geometry.base import BaseGeometry

from atlas.errors import InvalidInput
from atlas.i18n import N_
from atlas.output import area_words

PLAN_STATUSES = (N_("idea"), N_("draft"), N_("consulted"), N_("agreed"), N_("in delivery"), N_("done"), N_("dropped"))
"""A plan's life, in order; ``dropped`` can be reached from any other status."""

FOCUS_KINDS = (N_("land and property"), N_("workforce"), N_("supply chain"), N_("other"))
"""Which side of a macro asset the plan works on."""

PARTNER_ROLES = (N_("lead"), N_("delivery partner"), N_("landowner"), N_("funder"), N_("tenant"), N_("supporter"))

ZONE_USES = (
    N_("food growing"), N_("co-working"), N_("community cafe"), N_("play"), N_("training space"), N_("market"),
    N_("events"), N_("nature"), N_("other"),
)
"""Proposed uses of a zone; ``other`` needs a description saying what."""

ACTION_STATUSES = (N_("to do"), N_("in progress"), N_("done"), N_("blocked"), N_("dropped"))

STANDARD_INDICATORS = (N_("jobs created"), N_("enterprises started"), N_("people trained"), N_("money spent locally"))
"""The indicators every CED plan is encouraged to track; others may be added by name."""

IDEA_CATEGORIES = (N_("idea"), N_("comment"), N_("concern"), N_("question"), N_("offer of help"))


@dataclass(frozen=True)
class MacroFocus:
    """A macro asset whose problem or opportunity the plan addresses, and which kind."""

    asset_id: int
    kind: str
    text: str = ""
    asset_name: str = ""
    """Filled from the atlas when the plan is saved or loaded."""


@dataclass(frozen=True)
class Partner:
    """An asset taking part in the plan in one role (an asset may hold several roles)."""

    asset_id: int
    role: str
    note: str = ""
    asset_name: str = ""
    """Filled from the atlas when the plan is saved or loaded."""


@dataclass(frozen=True)
class Action:
    """One step of the plan: what, who, by when, and how far it has got."""

    what: str
    who: str = ""
    by_when: date | None = None
    status: str = "to do"
    id: int | None = None
    """Given by the store on first save and kept across versions."""


@dataclass(frozen=True)
class Zone:
    """An area, line or point of proposed use drawn on the map (WGS84)."""

    use: str
    geom: BaseGeometry
    name: str = ""
    description: str = ""
    id: int | None = None
    """Given by the store on first save and kept across versions (ideas pin to it)."""
    area_m2: float | None = None
    """Measured in the store's metric CRS on save; None for lines and points."""
    length_m: float | None = None
    """Line length, or a polygon's perimeter, in metres; None for points."""

    @property
    def label(self) -> str:
        return self.name or self.use

    @property
    def size_text(self) -> str:
        """Its size for people: an area, a length, or "a point"."""
        if self.area_m2:
            return area_words(self.area_m2)
        if self.length_m:
            return f"{self.length_m:,.0f} m long"
        return "a point"


@dataclass(frozen=True)
class Indicator:
    """A measure of the plan's results, such as jobs created, with a target and the actual."""

    name: str
    target: float | None = None
    actual: float | None = None
    unit: str = ""


@dataclass
class Plan:
    """A CED plan as one version holds it.

    The site is either a feature of the atlas (``site_feature_id``) or an area sketched
    for the plan (``site_geom``, WGS84). ``version`` is the stored version this object was
    loaded from or saved as (0 before the first save); saving it again is refused if
    someone else has saved a newer version meanwhile.
    """

    title: str
    status: str = "idea"
    site_feature_id: int | None = None
    site_geom: BaseGeometry | None = None
    site_name: str = ""
    macro_focus: list[MacroFocus] = field(default_factory=list)
    vision: str = ""
    objectives: list[str] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    id: int | None = None
    version: int = 0
    saved_by: str = ""
    saved_at: datetime | None = None

    @property
    def lead(self) -> Partner | None:
        """The lead organisation, if one has been named."""
        return next((p for p in self.partners if p.role == "lead"), None)

    def zone(self, zone_id: int | None) -> Zone | None:
        """The zone with this id; None for none (unsaved zones have no id to match)."""
        if zone_id is None:
            return None
        return next((z for z in self.zones if z.id == zone_id), None)


@dataclass(frozen=True)
class Version:
    """One saved version of a plan: who saved it, when, and what changed."""

    plan_id: int
    version: int
    author: str
    saved_at: datetime
    summary: str
    title: str
    status: str
    restored_from: int | None = None


@dataclass(frozen=True)
class PlanSummary:
    """A plan as listed: enough to choose one."""

    id: int
    title: str
    status: str
    version: int
    site_name: str
    partners: int
    zones: int
    ideas: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Idea:
    """A workshop contribution pinned to a point (WGS84) or to one of the plan's zones.

    ``author`` is None for an anonymous contribution. A hidden idea stays in the store
    with who hid it, when and why.
    """

    id: int
    plan_id: int
    text: str
    category: str
    author: str | None
    created_at: datetime
    votes: int
    point: shapely.Point | None = None
    zone_id: int | None = None
    hidden: bool = False
    hidden_reason: str | None = None
    hidden_by: str | None = None
    hidden_at: datetime | None = None
    paper_square: str | None = None
    """The grid square of the paper card the idea was typed in from; None: given on a screen."""

    @property
    def by(self) -> str:
        return self.author or "anonymous"


def check_plan(plan: Plan) -> None:
    """Refuse a plan whose words or vocabularies cannot be stored; geometry is checked
    against the store by the repository. Messages name the item at fault."""
    if not plan.title or not plan.title.strip():
        raise InvalidInput("The plan needs a title.")
    _one_of(plan.status, PLAN_STATUSES, "status", "The plan")
    if plan.site_feature_id is not None and plan.site_geom is not None:
        raise InvalidInput("The plan's site is either an atlas site or a sketched area, not both.")
    for i, focus in enumerate(plan.macro_focus, 1):
        _one_of(focus.kind, FOCUS_KINDS, "kind", f"Macro asset {i} ({focus.asset_name or focus.asset_id})")
    seen_partners = set()
    for i, p in enumerate(plan.partners, 1):
        what = f"Partner {i} ({p.asset_name or p.asset_id})"
        _one_of(p.role, PARTNER_ROLES, "role", what)
        if (p.asset_id, p.role) in seen_partners:
            raise InvalidInput(f"{what} is listed twice as {p.role}; keep one.")
        seen_partners.add((p.asset_id, p.role))
    leads = [p for p in plan.partners if p.role == "lead"]
    if len(leads) > 1:
        raise InvalidInput(
            f"A plan has one lead organisation; {len(leads)} partners are marked lead. "
            "Make the others delivery partners."
        )
    for i, a in enumerate(plan.actions, 1):
        if not a.what or not a.what.strip():
            raise InvalidInput(f"Action {i} needs to say what will be done.")
        _one_of(a.status, ACTION_STATUSES, "status", f"Action {i} ({a.what})")
    for i, z in enumerate(plan.zones, 1):
        what = f"Zone {i} ({z.label})"
        _one_of(z.use, ZONE_USES, "use", what)
        if z.use == "other" and not (z.description.strip() or z.name.strip()):
            raise InvalidInput(f"{what}: say in words what the zone is for when its use is 'other'.")
    names = set()
    for i, ind in enumerate(plan.indicators, 1):
        if not ind.name or not ind.name.strip():
            raise InvalidInput(f"Indicator {i} needs a name, such as 'jobs created'.")
        if ind.name.strip().lower() in names:
            raise InvalidInput(f"Indicator {ind.name!r} is listed twice; keep one.")
        names.add(ind.name.strip().lower())
        for label, value in (("target", ind.target), ("actual", ind.actual)):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise InvalidInput(f"Indicator {ind.name!r}: the {label} must be a number of zero or more.")


def _one_of(value: str, allowed: tuple[str, ...], field_name: str, what: str) -> None:
    if value not in allowed:
        raise InvalidInput(f"{what}: {field_name} {value!r} is not one of: {', '.join(allowed)}.")


@dataclass(frozen=True)
class Moderation:
    """One moderation of an idea: hidden or shown again, why, by whom and when."""

    idea_id: int
    action: str
    reason: str
    moderator: str
    moderated_at: datetime
