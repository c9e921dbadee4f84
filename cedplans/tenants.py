"""The tenant finder: a developer (or a council, a church) describes a space kept for
community use, and gets the community groups and social enterprises whose space needs
fit it, nearest first, each with why it fits and what does not. A shortlist can be saved
and exported.

The space is scored against open space and land needs with the matcher's own scoring
(:mod:`cedplans.matching`), as an offer that is not stored. Candidates come in two
bands: those that fit (a use of the space is a category the need asks for, the space is
big enough, the rent within what they can pay, step-free where they need it), nearest
first; then partial fits, best first.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np

from atlas import queries
from atlas.errors import InvalidInput, NotFound
from atlas.models import NeedOffer
from atlas.site_refs import SiteQuery, parse_site
from atlas.store import Store, utc_now
from cedplans.matching import Components, MatchIndex, distance_words

RENTS = ("free", "peppercorn", "amount")
"""How the space is let: free, at a peppercorn rent, or for an amount a year."""
PEPPERCORN = 1.0
"""A peppercorn rent, in the store's currency a year: nominal."""
SPACE_NEED_KINDS = ("space", "land")
TENANT_SCALES = ("micro",)
TENANT_SECTORS = ("social", "community")
"""Who the finder proposes: micro assets, and social enterprises and community
organisations of any size."""
DEFAULT_TOP = 25
MISFITS = ("Too small", "The rent", "Step-free", "Open ", "Hired by the hour")
"""Gaps that make a candidate a partial fit: too small, too dear, steps, too few hours."""


@dataclass(frozen=True)
class SpaceDescription:
    """A space offered for community use. ``site`` is where: an atlas site or a point, as
    :func:`atlas.site_refs.parse_site` reads it (text is parsed when searched); ``rent`` is
    one of :data:`RENTS` (``rent_per_year`` for an amount, in the store's currency);
    ``hours_per_week`` is when it can be used (None: any time)."""

    site: SiteQuery
    area_m2: float
    uses: tuple[str, ...]
    rent: str = "free"
    rent_per_year: float | None = None
    hours_per_week: float | None = None
    step_free: bool = False
    name: str = ""

    def check(self) -> None:
        if isinstance(self.site, str) and not self.site.strip():
            raise InvalidInput("Say where the space is: an atlas site, or a point as longitude,latitude.")
        if not (isinstance(self.area_m2, (int, float)) and math.isfinite(self.area_m2) and 0 < self.area_m2 <= 100_000):
            raise InvalidInput(f"Floor area: {self.area_m2!r} m² is not a believable floor area (give 1 to 100,000).")
        if not [u for u in self.uses if u.strip()]:
            raise InvalidInput("Say what uses the space suits, such as community hall; co-working; cafe.")
        if self.rent not in RENTS:
            raise InvalidInput(f"Rent: say {', '.join(RENTS)} (with the amount a year), not {self.rent!r}.")
        if self.rent == "amount" and (self.rent_per_year is None or not math.isfinite(self.rent_per_year)
                                      or self.rent_per_year < 0):
            raise InvalidInput("Rent: give the amount a year, zero or more.")
        if self.hours_per_week is not None and not (0 < self.hours_per_week <= 168):
            raise InvalidInput(f"Hours: {self.hours_per_week!r} hours a week is not possible (a week has 168).")

    @property
    def annual_rent(self) -> float:
        return {"free": 0.0, "peppercorn": PEPPERCORN}.get(self.rent, self.rent_per_year or 0.0)

    def rent_words(self, currency_money) -> str:
        if self.rent == "free":
            return "free"
        if self.rent == "peppercorn":
            return "a peppercorn rent"
        return f"{currency_money(self.annual_rent)} a year"

    def to_json(self) -> str:
        """The space as JSON, its site in its text form (``feature:12``, ``lon,lat`` or a name)."""
        return json.dumps({**asdict(self), "site": str(self.site)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SpaceDescription:
        data = json.loads(text)
        data["uses"] = tuple(data.get("uses", ()))
        data["site"] = parse_site(data["site"])
        return cls(**data)


@dataclass(frozen=True)
class Tenant:
    """A group whose space need the described space could meet."""

    asset_id: int
    asset: str
    asset_scale: str
    sector: str | None
    need_id: int
    need: str
    need_area_m2: float | None
    score: float
    components: Components
    distance_m: float
    fits: bool
    why: str
    lon: float
    lat: float
    """Where the group's need is (its site, else the group), WGS84."""
    gaps: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TenantSearch:
    space: SpaceDescription
    site_name: str
    lon: float
    lat: float
    tenants: list[Tenant]
    message: str | None = None


def find_tenants(store: Store, index: MatchIndex, space: SpaceDescription, *, top: int = DEFAULT_TOP,
                 radius_m: float | None = None) -> TenantSearch:
    """The groups whose open space needs ``space`` could meet: fits nearest first, then
    partial fits best first."""
    space.check()
    site = queries.resolve_site(store, space.site)
    point_m = site.geom_m.representative_point()
    point = site.geom.representative_point()
    sectors = dict(store.con.execute("SELECT id, sector FROM assets").fetchall())
    # The space's own asset (or the site's owner) is not its own tenant.
    if site.kind == "asset":
        landlord = site.id
    else:
        landlord = store.con.execute("SELECT owner_asset_id FROM features WHERE id = ?", [site.id]).fetchone()[0] \
            if site.kind == "feature" else None
    candidates = np.array([i for i in index.need_pos
                           if index.items[i].kind in SPACE_NEED_KINDS
                           and (index.items[i].asset_scale in TENANT_SCALES
                                or sectors.get(index.items[i].asset_id) in TENANT_SECTORS)
                           and index.items[i].asset_id != landlord], dtype=np.int64)
    probe = NeedOffer(
        id=-1, side="offer", asset_id=-1, asset_name=space.name or site.name, asset_scale="macro", kind="space",
        title=space.name or f"Space at {site.name}", description="; ".join(space.uses),
        tags=[*space.uses, *(["step-free"] if space.step_free else [])], quantity=space.hours_per_week,
        unit="hours a week" if space.hours_per_week else None, annual_value=space.annual_rent, area_m2=space.area_m2,
        feature_id=site.id if site.kind == "feature" else None, status="open", plan_id=None, recorded_by="",
        recorded_at=utc_now(), updated_by=None, updated_at=None, source="", source_id="",
        lon=point.x, lat=point.y,
    )
    if not len(candidates):
        return TenantSearch(space, site.name, point.x, point.y, [],
                            "No community group or social enterprise in the atlas has an open need for space yet.")
    offer = index.probe(probe, point_m.x, point_m.y, len(candidates))
    total, parts, d = index.score_pairs(index.side(candidates), offer)
    keep = (parts["vocabulary"] > 0) | (parts["text"] >= 0.10)
    if radius_m is not None:
        keep &= d <= radius_m
    out: list[Tenant] = []
    for k in np.flatnonzero(keep):
        need = index.items[int(candidates[k])]
        comp = Components(**{p: round(float(v[k]), 4) for p, v in parts.items()})
        distance = round(float(d[k]), 1)
        gaps = _gaps(index, need, space, probe, distance)
        exact = bool((index.W[int(candidates[k])] * offer.W[0] > 0).any())
        fits = exact and not [g for g in gaps if g.startswith(MISFITS)]
        why = (f"{need.asset_name} needs “{need.title}”"
               + (f" ({need.area_m2:,.0f} m²)" if need.area_m2 else "")
               + f"; the space is {space.area_m2:,.0f} m² for {', '.join(space.uses)}; "
               + f"{distance_words(distance)} away.")
        out.append(Tenant(asset_id=need.asset_id, asset=need.asset_name, asset_scale=need.asset_scale,
                          sector=sectors.get(need.asset_id), need_id=need.id, need=need.title,
                          need_area_m2=need.area_m2, score=round(float(total[k]), 4), components=comp,
                          distance_m=distance, fits=fits, why=why, lon=need.lon, lat=need.lat, gaps=tuple(gaps)))
    out.sort(key=lambda t: (not t.fits, t.distance_m if t.fits else -t.score, t.need_id))
    message = None if out else (f"No open space need fits {', '.join(space.uses)}"
                                + (f" within {distance_words(radius_m)}" if radius_m else "") + ".")
    return TenantSearch(space, site.name, point.x, point.y, out[:top], message)


def _gaps(index: MatchIndex, need: NeedOffer, space: SpaceDescription, probe: NeedOffer, d: float) -> list[str]:
    gaps = list(index.size_gaps(need, probe, offered="the space is"))
    shared = set(index.vocabulary.weights(need.tags, need.title, need.description)) & set(
        index.vocabulary.weights(probe.tags, probe.title, probe.description))
    if not shared:
        gaps.insert(0, f"Only a related use: {', '.join(space.uses)} is not quite what they ask for.")
    if d > 2 * index.vocabulary.distance_half_m["space"]:
        gaps.append(f"{distance_words(d)} away: further than a short walk for the group.")
    return gaps


# -- shortlists -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shortlist:
    id: int
    name: str
    space: SpaceDescription
    created_by: str
    created_at: datetime
    tenants: list[Tenant]


CSV_COLUMNS = ("asset_id", "asset", "sector", "need_id", "need", "need_area_m2", "fits", "score", "distance_m", "why",
               "gaps")


def to_csv(tenants: Sequence[Tenant]) -> str:
    """The tenants as CSV (UTF-8), one row each, gaps joined by " | "."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in tenants:
        writer.writerow([t.asset_id, t.asset, t.sector or "", t.need_id, t.need,
                         "" if t.need_area_m2 is None else f"{t.need_area_m2:g}", "yes" if t.fits else "partly",
                         f"{t.score:.3f}", f"{t.distance_m:.0f}", t.why, " | ".join(t.gaps)])
    return buf.getvalue()


def save_shortlist(store: Store, name: str, search: TenantSearch, need_ids: Sequence[int], *, by: str) -> int:
    """Keep the chosen candidates of a search as a named shortlist; returns its id."""
    name, by = (name or "").strip(), (by or "").strip()
    if not name:
        raise InvalidInput("Give the shortlist a name, such as 'Port Loop building, spring 2027'.")
    if not by:
        raise InvalidInput("Say who is saving the shortlist.")
    chosen = [t for t in search.tenants if t.need_id in set(need_ids)]
    if not chosen:
        raise InvalidInput("Tick at least one group to put on the shortlist.")
    with store.transaction():
        shortlist_id = store.con.execute(
            "INSERT INTO tenant_shortlists (name, space, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [name, search.space.to_json(), by, utc_now()],
        ).fetchone()[0]
        for t in chosen:
            store.con.execute(
                "INSERT INTO tenant_shortlist_entries (shortlist_id, need_id, asset_id, score, components, distance_m, "
                "fits, why, gaps, lon, lat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [shortlist_id, t.need_id, t.asset_id, t.score, json.dumps(asdict(t.components)), t.distance_m, t.fits,
                 t.why, list(t.gaps), t.lon, t.lat],
            )
    return shortlist_id


def list_shortlists(store: Store, *, owner: str | None = None) -> list[tuple[int, str, str, datetime, int]]:
    """(id, name, saved by, saved at, how many) of every shortlist (or those ``owner``
    saved: a developer sees their own), newest first."""
    return store.con.execute(
        "SELECT s.id, s.name, s.created_by, s.created_at, count(e.need_id) FROM tenant_shortlists s "
        "LEFT JOIN tenant_shortlist_entries e ON e.shortlist_id = s.id WHERE ? IS NULL OR s.created_by = ? "
        "GROUP BY s.id, s.name, s.created_by, s.created_at ORDER BY s.created_at DESC, s.id DESC", [owner, owner]
    ).fetchall()


def get_shortlist(store: Store, shortlist_id: int) -> Shortlist:
    row = store.con.execute(
        "SELECT id, name, space, created_by, created_at FROM tenant_shortlists WHERE id = ?", [shortlist_id]
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no tenant shortlist {shortlist_id}.")
    entries = store.con.execute(
        "SELECT e.need_id, e.asset_id, a.name, a.scale, a.sector, n.title, n.area_m2, e.score, e.components, "
        "e.distance_m, e.fits, e.why, e.gaps, e.lon, e.lat "
        "FROM tenant_shortlist_entries e JOIN assets a ON a.id = e.asset_id "
        "LEFT JOIN needs_offers n ON n.id = e.need_id WHERE e.shortlist_id = ? "
        "ORDER BY NOT e.fits, e.distance_m, e.need_id",
        [shortlist_id],
    ).fetchall()
    tenants = [Tenant(asset_id=r[1], asset=r[2], asset_scale=r[3], sector=r[4], need_id=r[0], need=r[5] or "(removed)",
                      need_area_m2=r[6], score=r[7], components=Components(**json.loads(r[8])), distance_m=r[9],
                      fits=r[10], why=r[11], lon=r[13], lat=r[14], gaps=tuple(r[12])) for r in entries]
    return Shortlist(row[0], row[1], SpaceDescription.from_json(row[2]), row[3], row[4], tenants)
