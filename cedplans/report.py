"""Everything a printable plan report shows, gathered once for the HTML and PDF writers.

Hidden workshop ideas are left out (and counted). Nearby assets are those within
``radius_m`` metres of the site and zones, measured in the store's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from atlas import queries
from atlas.classify import money
from atlas.models import NearbyAsset, NearbyResult
from atlas.store import utc_now
from cedplans import mapimage, repository
from cedplans.model import Idea, Indicator, Partner, Plan, Version

NEARBY_RADIUS_M = 500.0
"""How far from the site and zones, in metres, the report looks for assets: a short walk."""


@dataclass(frozen=True)
class PartnerRow:
    partner: Partner
    scale: str | None
    sector: str | None
    category: str | None
    geom: BaseGeometry | None


@dataclass(frozen=True)
class IdeaRow:
    idea: Idea
    place: str
    geom: BaseGeometry | None


@dataclass(frozen=True)
class PlanReport:
    """A plan as one version holds it, with its setting and its workshop ideas."""

    plan: Plan
    version: Version
    partners: list[PartnerRow]
    ideas: list[IdeaRow]
    hidden_ideas: int
    nearby: NearbyResult | None
    others_nearby: list[NearbyAsset]
    currency: str
    place: str | None
    map_png: bytes
    generated_at: datetime
    radius_m: float

    def indicator_text(self, ind: Indicator, value: float | None) -> str:
        if value is None:
            return "–"
        if ind.unit.upper() == self.currency.upper():
            return money(value, self.currency)
        return f"{value:,.10g}"


def build_report(store, plan_id: int, *, version: int | None = None, radius_m: float = NEARBY_RADIUS_M) -> PlanReport:
    """Gather the report of ``plan_id`` (its latest version, or ``version``)."""
    plan = repository.get_plan(store, plan_id, version)
    version_row = next(v for v in repository.list_versions(store, plan_id) if v.version == plan.version)
    site = repository.site_geometry(store, plan)
    partners = [PartnerRow(p, None, None, None, None) if a is None
                else PartnerRow(p, a.scale, a.sector, a.category, a.geom)
                for p, a in repository.partner_assets(store, plan)]
    all_ideas = repository.list_ideas(store, plan_id, include_hidden=True)
    ideas = []
    for idea in (i for i in all_ideas if not i.hidden):
        zone = plan.zone(idea.zone_id)
        place = (f"zone: {zone.label}" if zone
                 else "a point on the map" if idea.point is not None else "a zone since removed")
        ideas.append(IdeaRow(idea, place, repository.idea_location(plan, idea)))
    extent = repository.plan_extent(store, plan)
    nearby = None
    if extent is not None:
        around = queries.site_from_geometry(store, extent, plan.site_name or plan.title)
        nearby = queries.nearby(store, around, radius_m)
    partner_ids = {p.asset_id for p in plan.partners}
    others = [a for a in nearby.assets if a.id not in partner_ids] if nearby else []
    png = mapimage.plan_map_png(
        plan, epsg=store.metric_epsg, site=site, nearby=nearby,
        partners=[(r.partner, r.geom) for r in partners],
        # Ideas pinned to a zone are listed by zone; a marker would sit on the zone's number.
        ideas=[(r.idea, r.geom) for r in ideas if r.idea.point is not None],
    )
    settings = store.settings
    return PlanReport(
        plan=plan, version=version_row, partners=partners, ideas=ideas,
        hidden_ideas=len(all_ideas) - len(ideas), nearby=nearby, others_nearby=others,
        currency=settings.thresholds.currency, place=settings.place, map_png=png,
        generated_at=utc_now(), radius_m=radius_m,
    )
