"""Everything a printable plan report shows, gathered once for the HTML and PDF writers.

Hidden workshop ideas are left out (and counted). Nearby assets are those within
``radius_m`` metres of the site and zones, measured in the store's metric CRS. When the
store has a walking network, the report also gives the walking catchment: the assets within
a ten-minute walk of the site and zones (:mod:`cedplans.walking_catchment`), each with its
walk beside its straight line; without one it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from atlas import queries
from atlas.ground import walking
from atlas.ground.walking import WalkingNearby, WalkingNetwork
from atlas.i18n import Translator
from atlas.models import NearbyAsset, NearbyResult
from atlas.store import utc_now
from cedplans import mapimage, repository
from cedplans.model import Idea, Indicator, Partner, Plan, Version
from cedplans.templates_env import report_translator
from cedplans.walking_catchment import WALK_MINUTES, WalkingSection, walking_section

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
    language: str = "en"
    """The code of the language the report is written in (its map is drawn in it)."""
    walking: WalkingNearby | None = None
    """The assets within :data:`~cedplans.walking_catchment.WALK_MINUTES` on foot of the
    site and zones; None without a walking network (or a site)."""
    walking_network: bool = False
    """Whether the store has a walking network (if not, the report says distances are in a
    straight line)."""

    @property
    def tr(self) -> Translator:
        return report_translator(self.language)

    def walking_section(self, tr: Translator | None = None) -> WalkingSection | None:
        """The walking catchment section as the HTML and PDF print it (None: no section)."""
        return walking_section(tr or self.tr, self.walking, network=self.walking_network)

    def indicator_text(self, ind: Indicator, value: float | None, tr: Translator | None = None) -> str:
        tr = tr or self.tr
        if value is None:
            return "–"
        if ind.unit.upper() == self.currency.upper():
            return tr.money(value, self.currency)
        return _figure(tr, value)


def _figure(tr: Translator, value: float) -> str:
    """A figure as typed (up to ten significant digits), in the reader's way of writing numbers."""
    text = f"{value:.10g}"
    digits = len(text.partition(".")[2]) if "e" not in text else 0 if abs(value) >= 1 else 10
    return tr.number(value, digits=digits)


def build_report(store, plan_id: int, *, version: int | None = None, radius_m: float = NEARBY_RADIUS_M,
                 language: str | None = None, network: WalkingNetwork | None = None) -> PlanReport:
    """Gather the report of ``plan_id`` (its latest version, or ``version``), written in
    ``language`` (a code of atlas.i18n.LANGUAGES; None: the place's default language).
    ``network``: the store's walking network when the caller holds it already (None: it
    is loaded here, if the store has one)."""
    settings = store.settings
    tr = report_translator(language, settings.language)
    _ = tr.gettext
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
        place = (_("zone: {zone}").format(zone=zone.label) if zone
                 else _("a point on the map") if idea.point is not None else _("a zone since removed"))
        ideas.append(IdeaRow(idea, place, repository.idea_location(plan, idea)))
    extent = repository.plan_extent(store, plan)
    nearby = walked = None
    net = network if network is not None else walking.load_network(store)
    if extent is not None:
        around = queries.site_from_geometry(store, extent, plan.site_name or plan.title)
        nearby = queries.nearby(store, around, radius_m)
        if net is not None:
            walked = walking.walking_nearby(store, net, around, WALK_MINUTES, walking.walking_speed(store))
    partner_ids = {p.asset_id for p in plan.partners}
    others = [a for a in nearby.assets if a.id not in partner_ids] if nearby else []
    png = mapimage.plan_map_png(
        plan, epsg=store.metric_epsg, site=site, nearby=nearby,
        partners=[(r.partner, r.geom) for r in partners],
        # Ideas pinned to a zone are listed by zone; a marker would sit on the zone's number.
        ideas=[(r.idea, r.geom) for r in ideas if r.idea.point is not None], tr=tr,
        catchment=walked.catchment if walked is not None else None,
    )
    return PlanReport(
        plan=plan, version=version_row, partners=partners, ideas=ideas,
        hidden_ideas=len(all_ideas) - len(ideas), nearby=nearby, others_nearby=others,
        currency=settings.thresholds.currency, place=settings.place, map_png=png,
        generated_at=utc_now(), radius_m=radius_m, language=tr.code, walking=walked,
        walking_network=net is not None,
    )
