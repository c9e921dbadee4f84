"""The site dossier: everything an officer takes into a land negotiation about one site,
gathered once for the page, the PDF, the HTML report and the GeoPackage.

Its facts (area, owner, land use, status, the areas it lies in), its Asset of Community
Value record, the plans for it with their community evidence, the macro and micro assets
around it, the open needs and offers nearby, the matches that involve it, the walking
catchment (the assets within a ten-minute walk, when the store has a walking network;
:mod:`cedplans.walking_catchment`), and the officers' confidential notes, which are
gathered only when the caller asks for them (:mod:`atlas.confidential`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from atlas import needs_offers, queries, sites
from atlas.access import PUBLIC, Viewer
from atlas.errors import InvalidInput
from atlas.ground import walking
from atlas.ground.walking import WalkingNearby, WalkingNetwork
from atlas.models import Boundary, Feature, NearbyResult, Site
from atlas.needs_offers import NearbyNeedOffer
from atlas.site_refs import SiteQuery, SiteRef
from atlas.sites import SiteNote, SiteRecord
from atlas.store import Store, utc_now
from cedplans import linking, mapimage
from cedplans.linking import Decision
from cedplans.matching import Match, MatchIndex
from cedplans.templates_env import report_translator
from cedplans.walking_catchment import WALK_MINUTES

DEFAULT_RADIUS_M = 800.0
"""How far around the site the dossier looks, in metres: a ten-minute walk."""
MATCHES_PER_ITEM = 3


@dataclass(frozen=True)
class PlanEvidence:
    """A plan for the site and what the community has said about it."""

    id: int
    title: str
    status: str
    version: int
    ideas: int
    votes: int
    contributors: int
    """About how many people took part: named authors, anonymous ideas and voting devices."""
    hidden_ideas: int
    partners: list[tuple[str, str]]
    """(organisation, role) of each partner committed to the plan."""


@dataclass(frozen=True)
class Dossier:
    feature: Feature
    site: Site
    owner: str | None
    boundaries: list[Boundary]
    acv: SiteRecord | None
    plans: list[PlanEvidence]
    nearby: NearbyResult
    needs_offers: list[NearbyNeedOffer]
    matches: list[Match]
    decisions: list[Decision]
    notes: list[SiteNote] | None
    """None unless confidential fields were asked for."""
    include_confidential: bool
    """Whether the viewer it was made for may see confidential fields (and so it holds them)."""
    radius_m: float
    generated_at: datetime
    place: str | None
    currency: str
    metric_epsg: int
    map_png: bytes
    language: str = "en"
    """The code of the language the dossier is written in (its map is drawn in it)."""
    walking: WalkingNearby | None = None
    """The assets within :data:`~cedplans.walking_catchment.WALK_MINUTES` on foot of the
    site; None when the store has no walking network."""

    @property
    def area_m2(self) -> float | None:
        return self.feature.area_m2

    @property
    def macro(self) -> list:
        return self.nearby.macro

    @property
    def micro(self) -> list:
        return self.nearby.micro


def _site_feature(store: Store, ref: SiteQuery | int) -> Feature:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return queries.get_feature(store, int(ref))
    site = queries.resolve_site(store, ref)
    if site.kind == "feature" and site.id is not None:
        return queries.get_feature(store, site.id)
    if site.kind == "asset" and site.id is not None:
        asset = queries.get_asset(store, site.id)
        if asset.feature_id is not None:
            return queries.get_feature(store, asset.feature_id)
    raise InvalidInput(f"A dossier is about an atlas site (land or a building); {site.name!r} is not one. "
                       "Find sites with: atlas search WORD")


def _plans(store: Store, feature: Feature) -> list[PlanEvidence]:
    rows = store.con.execute(
        """
        SELECT p.id, p.title, p.status, p.latest_version,
          (SELECT count(*) FROM plan_ideas i WHERE i.plan_id = p.id AND NOT i.hidden),
          (SELECT count(*) FROM plan_idea_votes v JOIN plan_ideas i ON i.id = v.idea_id
           WHERE i.plan_id = p.id AND NOT i.hidden),
          (SELECT count(DISTINCT who) FROM (
             SELECT coalesce('author:' || lower(trim(i.author)), 'idea:' || i.id) AS who FROM plan_ideas i
             WHERE i.plan_id = p.id AND NOT i.hidden
             UNION SELECT 'voter:' || v.voter FROM plan_idea_votes v JOIN plan_ideas i ON i.id = v.idea_id
             WHERE i.plan_id = p.id AND v.voter IS NOT NULL AND NOT i.hidden)),
          (SELECT count(*) FROM plan_ideas i WHERE i.plan_id = p.id AND i.hidden)
        FROM plans p, (SELECT geom_m FROM features WHERE id = ?) f
        WHERE p.site_feature_id = ? OR (p.site_feature_id IS NULL AND ST_Intersects(p.site_geom_m, f.geom_m))
        ORDER BY p.updated_at DESC, p.id
        """,
        [feature.id, feature.id],
    ).fetchall()
    out = []
    for r in rows:
        partners = store.con.execute(
            "SELECT a.name, pp.role FROM plan_partners pp JOIN assets a ON a.id = pp.asset_id "
            "WHERE pp.plan_id = ? ORDER BY pp.ordinal", [r[0]]
        ).fetchall()
        out.append(PlanEvidence(id=r[0], title=r[1], status=r[2], version=r[3], ideas=r[4], votes=r[5],
                                contributors=r[6], hidden_ideas=r[7], partners=[(n, role) for n, role in partners]))
    return out


def _matches(store: Store, index: MatchIndex, feature: Feature,
             viewer: Viewer) -> tuple[list[Match], list[Decision]]:
    """Matches of the needs and offers at the site or of its owner, best first, and the
    decisions already taken on them (their reasons only when confidential fields are
    asked for)."""
    mine = [i for i in index.items if i.feature_id == feature.id
            or (feature.owner_asset_id is not None and i.asset_id == feature.owner_asset_id)]
    found: list[Match] = []
    for item in mine:
        rank = index.for_need if item.side == "need" else index.for_offer
        found.extend(rank(item.id, top=MATCHES_PER_ITEM).matches)
    found.sort(key=lambda m: (-m.score, m.distance_m))
    ids = {i.id for i in mine}
    taken = [*linking.decided(store, "accepted", viewer=viewer),
             *linking.decided(store, "rejected", viewer=viewer)]
    decisions = [d for d in taken if d.need_id in ids or d.offer_id in ids]
    return found, decisions


def build_dossier(store: Store, site_ref: SiteQuery | int, *, radius_m: float = DEFAULT_RADIUS_M,
                  viewer: Viewer = PUBLIC, index: MatchIndex | None = None, language: str | None = None,
                  network: WalkingNetwork | None = None) -> Dossier:
    """Gather the dossier of the site ``site_ref`` (an id, a name or ``feature:ID``), to be
    written in ``language`` (a code of atlas.i18n.LANGUAGES; None: the place's default).
    ``network``: the store's walking network when the caller holds it already (None: it
    is loaded here, if the store has one)."""
    feature = _site_feature(store, site_ref)
    site = queries.resolve_site(store, SiteRef("feature", feature.id))
    owner = None
    if feature.owner_asset_id is not None:
        owner = queries.get_asset(store, feature.owner_asset_id).name
    boundary_rows = store.con.execute(
        "SELECT boundary_id FROM feature_boundaries WHERE feature_id = ?", [feature.id]
    ).fetchall()
    inside = {r[0] for r in boundary_rows}
    boundaries = [b for b in queries.list_boundaries(store) if b.id in inside]
    nearby = queries.nearby(store, site, radius_m)
    items = needs_offers.near(store, site, radius_m)
    index = index or MatchIndex.build(store)
    matches, decisions = _matches(store, index, feature, viewer)
    net = network if network is not None else walking.load_network(store)
    walked = (None if net is None
              else walking.walking_nearby(store, net, site, WALK_MINUTES, walking.walking_speed(store)))
    settings = store.settings
    tr = report_translator(language, settings.language)
    png = mapimage.site_map_png(site, nearby=nearby, needs_offers=items, epsg=store.metric_epsg, radius_m=radius_m,
                                tr=tr, catchment=walked.catchment if walked is not None else None)
    return Dossier(
        feature=feature, site=site, owner=owner, boundaries=boundaries, acv=sites.site_record(store, feature.id),
        plans=_plans(store, feature), nearby=nearby, needs_offers=items, matches=matches, decisions=decisions,
        notes=sites.site_notes(store, feature.id, viewer=viewer),
        include_confidential=viewer.sees_confidential, radius_m=float(radius_m),
        generated_at=utc_now(), place=settings.place,
        currency=settings.thresholds.currency, metric_epsg=store.metric_epsg, map_png=png, language=tr.code,
        walking=walked,
    )
