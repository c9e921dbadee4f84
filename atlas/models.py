"""Typed records at the atlas's boundaries: what queries return and callers pass in.

Geometries are shapely objects in WGS84 with (longitude, latitude) axis order unless a
name ends in ``_m`` (the store's metric CRS).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from shapely import Point
from shapely.geometry.base import BaseGeometry

from atlas.i18n import N_, Translator

FEATURE_KINDS = ("land", "building", "green_space", "water", "other")
FEATURE_STATUSES = ("in_use", "vacant", "disused", "underused", "unknown")
SECTORS = ("public", "private", "social", "community")
ASSET_TYPES = ("physical", "financial", "community", "human")

SIDES = ("need", "offer")
NEED_KINDS = ("workforce", "supply", "space", "land", "funding", "volunteers", "other")
OFFER_KINDS = ("skills", "people", "services", "products", "space", "land", "volunteers", "reach", "funding",
               "other")
"""What an asset needs or offers; the vocabulary file lists the same kinds and says which
kinds of offer meet which kinds of need."""
NEED_OFFER_STATUSES = ("open", "in progress", "met", "closed")

COMMON_ASSET_CATEGORIES = (
    N_("arts"), N_("business network"), N_("cafe"), N_("canal volunteers"), N_("charity"), N_("charity trust"),
    N_("college"), N_("community association"), N_("community centre"), N_("community group"), N_("council"),
    N_("credit union"), N_("developer"), N_("faith group"), N_("food bank"), N_("food growing"),
    N_("heritage group"), N_("hospital"), N_("housing association"), N_("library"), N_("manufacturer"),
    N_("prison"), N_("residents association"), N_("skills"), N_("social enterprise"), N_("sports club"),
    N_("student volunteering"), N_("traders association"), N_("transport authority"), N_("university"),
    N_("youth"),
)
"""Asset categories many places use, marked for the catalogues: shown translated wherever
a category is a label (a filter, a legend); a category of a place's own is shown as entered."""

VALUE_LABELS: dict[str, str] = {
    # The stored values of the fixed lists above as people read them, marked for the
    # catalogues (atlas.i18n.N_) and translated where shown; the stored value never changes.
    "land": N_("land"), "building": N_("building"), "green_space": N_("green space"), "water": N_("water"),
    "other": N_("other"), "in_use": N_("in use"), "vacant": N_("vacant"), "disused": N_("disused"),
    "underused": N_("underused"), "unknown": N_("unknown"), "public": N_("public"), "private": N_("private"),
    "social": N_("social"), "community": N_("community"), "physical": N_("physical"),
    "financial": N_("financial"), "human": N_("human"), "need": N_("need"), "offer": N_("offer"),
    "workforce": N_("workforce"), "supply": N_("supply"), "space": N_("space"), "funding": N_("funding"),
    "volunteers": N_("volunteers"), "skills": N_("skills"), "people": N_("people"),
    "services": N_("services"), "products": N_("products"), "reach": N_("reach"), "open": N_("open"),
    "in progress": N_("in progress"), "met": N_("met"), "closed": N_("closed"), "macro": N_("macro"),
    "micro": N_("micro"),
}


def value_label(tr: Translator, value: str | None, known: Collection[str] | None = None) -> str:
    """A stored value as the reader of ``tr`` reads it: a value of the fixed lists above by
    its label, and a value of ``known`` (a caller's own fixed lists, such as a plan's
    statuses) translated; anything else (what a person typed) exactly as entered. With
    ``known`` None, any value the catalogues translate (a shipped vocabulary category, a
    common asset category) is translated too. Reports and pages both label through here."""
    if not value:
        return value or ""
    if value in VALUE_LABELS:
        return tr.gettext(VALUE_LABELS[value])
    return tr.gettext(value) if known is None or value in known else value

OPEN_STATUSES = ("open", "in progress")
"""Needs and offers in these statuses are still looking for a match."""


@dataclass(frozen=True)
class Site:
    """What 'near' is measured from: a stored feature or asset, or a drawn point or polygon."""

    name: str
    geom: BaseGeometry
    geom_m: BaseGeometry
    kind: str  # "feature", "asset" or "geometry"
    id: int | None = None

    @property
    def wkt(self) -> str:
        return self.geom.wkt


@dataclass(frozen=True)
class NearbyAsset:
    id: int
    name: str
    scale: str
    scale_reason: str
    sector: str | None
    category: str | None
    offers: list[str]
    needs: list[str]
    distance_m: float
    geom: Point  # assets are stored as points

    @property
    def wkt(self) -> str:
        return self.geom.wkt


@dataclass(frozen=True)
class NearbyFeature:
    id: int
    name: str | None
    kind: str
    land_use: str | None
    status: str
    area_m2: float | None
    distance_m: float
    geom: BaseGeometry

    @property
    def wkt(self) -> str:
        return self.geom.wkt


@dataclass(frozen=True)
class FeatureCount:
    """How many features of one kind and status lie within the distance of a site."""

    kind: str
    status: str
    count: int


@dataclass(frozen=True)
class NearbyResult:
    """What lies within ``radius_m`` metres of a site: every asset, and the nearest
    ``feature_limit`` features (all of them when it is None) with every feature within
    the distance counted by kind and status in ``feature_counts``."""

    site: Site
    radius_m: float
    assets: list[NearbyAsset]
    features: list[NearbyFeature]
    feature_counts: list[FeatureCount]
    feature_limit: int | None

    @property
    def macro(self) -> list[NearbyAsset]:
        return [a for a in self.assets if a.scale == "macro"]

    @property
    def micro(self) -> list[NearbyAsset]:
        return [a for a in self.assets if a.scale == "micro"]

    @property
    def features_found(self) -> int:
        """Every feature within the distance, including those beyond ``features``."""
        return sum(c.count for c in self.feature_counts)

    @property
    def features_truncated(self) -> bool:
        """True when ``features`` holds only the nearest of more features found."""
        return len(self.features) < self.features_found

    def features_by(self, field_name: str) -> dict[str, int]:
        """Features found by ``kind`` or by ``status``, most first (then by name)."""
        if field_name not in ("kind", "status"):
            raise ValueError(f"features are counted by kind or status, not {field_name!r}")
        totals: dict[str, int] = {}
        for c in self.feature_counts:
            key = getattr(c, field_name)
            totals[key] = totals.get(key, 0) + c.count
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Asset:
    """One organisation, group or person with skills. ``contact`` is confidential: queries
    fill it only for a viewer who may see it (atlas.confidential)."""

    id: int
    name: str
    scale: str
    scale_reason: str
    sector: str | None
    category: str | None
    asset_type: str | None
    employees: int | None
    annual_spend: float | None
    land_ha: float | None
    offers: list[str]
    needs: list[str]
    offers_text: str | None
    needs_text: str | None
    description: str | None
    feature_id: int | None
    verified_by: str | None
    verified_on: date | None
    source: str
    source_id: str
    licence: str | None
    geom: Point  # WGS84; an area is stored as a point on its surface
    contact: str | None = None
    person: bool = False
    """A person (not an organisation): shown at their neighbourhood (atlas.people)."""


@dataclass(frozen=True)
class Feature:
    id: int
    name: str | None
    kind: str
    land_use: str | None
    status: str
    owner_asset_id: int | None
    area_m2: float | None
    description: str | None
    source: str
    source_id: str
    licence: str | None
    geom: BaseGeometry


@dataclass(frozen=True)
class Boundary:
    id: int
    name: str
    level: str
    code: str | None
    geom: BaseGeometry


@dataclass(frozen=True)
class BoundaryCount:
    boundary_id: int
    boundary: str
    level: str
    scale: str
    category: str | None
    count: int


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "asset", "feature" or "boundary"
    id: int
    name: str
    detail: str | None
    lon: float
    lat: float


@dataclass(frozen=True)
class WriteResult:
    """What a bulk write did. ``updated`` rows already existed under the same source id."""

    inserted: int = 0
    updated: int = 0
    removed: int = 0


@dataclass(frozen=True)
class StoreInfo:
    path: str
    schema_version: int
    metric_epsg: int | None
    currency: str
    thresholds: dict[str, float]
    counts: dict[str, int]
    extent: tuple[float, float, float, float] | None
    place: str | None = None
    sources: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class NeedOffer:
    """A need or an offer of one asset: a macro asset's staff shortage or spare building,
    a group's need for a room or its offer of interpreters.

    ``quantity`` is in ``unit`` (people, m², hours a week ...); ``annual_value`` is in the
    store's currency a year; ``area_m2`` is the floor or land area of a space or land
    need or offer. ``feature_id`` is the atlas site it is about, if any (a building
    offered, the land wanted). ``lon``/``lat`` is where it is (the site, else the asset),
    in WGS84."""

    id: int
    side: str
    asset_id: int
    asset_name: str
    asset_scale: str
    kind: str
    title: str
    description: str | None
    tags: list[str]
    quantity: float | None
    unit: str | None
    annual_value: float | None
    area_m2: float | None
    feature_id: int | None
    status: str
    plan_id: int | None
    recorded_by: str
    recorded_at: datetime
    updated_by: str | None
    updated_at: datetime | None
    source: str
    source_id: str
    lon: float
    lat: float

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
