"""Where an anchor's money goes: the share of its spend with suppliers inside the area, the
city and the region, by category; the categories leaking out most, each with the local
micro assets whose offers could supply it; the suppliers not matched to an asset; a local
multiplier (:mod:`.lm3`); and where the suppliers are, for a map sized by spend.

Every share is of the *total* spend of the period, credit notes included, so spend with
suppliers of unknown location (no postcode in the file and no matched asset) lowers the
local shares: it counts in the total and in no ring, never as local. A supplier is placed
where the spend file's postcode puts it, else where the asset it was matched to is (the
importer, :mod:`atlas.spend`, records which in ``placed_by``); whether it lies inside a ring
is tested in metres (:meth:`~cedplans.insights.areas.Area.contains_lonlat`).

The report reads the store and writes nothing. :func:`record_leak_needs` writes the leaks
as supply needs of the anchor, when an officer asks, so they show in the Matches page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from atlas import needs_offers, output, vocabulary
from atlas.errors import InvalidInput, NotFound
from atlas.i18n import Translator, translator
from atlas.models import NEED_KINDS, NeedOffer, WriteResult
from atlas.needs_offers import NeedOfferDraft
from atlas.store import Store, utc_now
from cedplans.insights.areas import Area, SpendAreas, spend_areas
from cedplans.insights.lm3 import Lm3, Lm3Survey, LocalSpend, lm3
from cedplans.matching import TEXT_MIN, MatchIndex
from cedplans.repository import find_asset_id
from cedplans.templates_env import report_translator

RINGS = ("area", "city", "region")
"""The rings local shares are measured against, from the smallest."""
NO_CATEGORY = "(no category)"
"""How spend whose file gives no category (expense type) is listed."""
DEFAULT_TOP_LEAKS = 5
"""How many of the largest leaking categories get suggested local suppliers."""
DEFAULT_SUGGESTIONS = 5
"""How many local suppliers are suggested for each leaking category."""
SPEND_NEED_SOURCE = "spend-report"
"""The source of the supply needs :func:`record_leak_needs` writes."""


@dataclass(frozen=True)
class RingSpend:
    """Spend with suppliers placed inside one ring (``area``, ``city`` or ``region``)."""

    ring: str
    name: str
    amount: float
    share: float | None
    """Of the total spend; None when the total is not above zero."""


@dataclass(frozen=True)
class CategorySpend:
    """One category's spend: ``local`` is with suppliers inside the area, ``leak`` the rest
    (suppliers elsewhere or of unknown location)."""

    category: str
    total: float
    local: float
    share: float | None
    leak: float


@dataclass(frozen=True)
class Suggestion:
    """A local micro asset whose open offer could supply a leaking category, scored by the
    matcher (:mod:`cedplans.matching`) as if the category were a supply need of the anchor."""

    asset_id: int
    asset_name: str
    offer_id: int
    offer_title: str
    offer_kind: str
    score: float
    distance_m: float
    why: str
    gaps: tuple[str, ...]
    lon: float
    lat: float


@dataclass(frozen=True)
class Leak:
    """A category whose spend goes outside the area, with local suppliers who could take it."""

    category: str
    total: float
    local: float
    leak: float
    suggestions: tuple[Suggestion, ...]
    message: str | None = None
    """Why nothing is suggested, when nothing is."""


class UnmatchedSupplier(NamedTuple):
    """A supplier no asset was matched to for certain, with its spend and why. (A typed
    named tuple rather than a dataclass, as :class:`SupplierPoint`: a council's file may
    name 50,000 suppliers.)"""

    name: str
    total: float
    reason: str
    placed_by: str | None
    candidate_asset_id: int | None = None


@dataclass(frozen=True)
class UncertainMatch:
    """A supplier that may be an asset of the atlas: listed, never merged, until an officer decides."""

    supplier: str
    candidate_asset_id: int
    candidate_name: str | None
    score: float | None
    total: float


class SupplierPoint(NamedTuple):
    """A placed supplier for the map (WGS84), its spend in the period and the rings it is in.
    A typed named tuple, immutable and built by name like the dataclasses here, because a
    report has one per supplier (100,000 for a large file) and a frozen dataclass takes three
    times as long to build."""

    name: str
    asset_id: int | None
    lon: float
    lat: float
    amount: float
    placed_by: str
    in_area: bool
    in_city: bool
    in_region: bool


@dataclass(frozen=True)
class SpendReport:
    """Where an anchor's spend went in a period. Amounts are in ``currency``; shares are
    fractions (0.4 is 40 %) of ``total``, None when ``total`` is not above zero."""

    anchor_id: int
    anchor: str
    currency: str
    date_from: date
    date_to: date
    """The period: as asked, else the first and last payment."""
    first_paid: date
    last_paid: date
    payments: int
    total: float
    rings: tuple[RingSpend, ...]
    unknown: float
    unknown_share: float | None
    by_category: tuple[CategorySpend, ...]
    leaks: tuple[Leak, ...]
    unmatched_suppliers: tuple[UnmatchedSupplier, ...]
    uncertain_matches: tuple[UncertainMatch, ...]
    suppliers: tuple[SupplierPoint, ...]
    lm3: Lm3
    areas: SpendAreas
    message: str | None = None

    @property
    def local_share(self) -> dict[str, float | None]:
        return {r.ring: r.share for r in self.rings}

    @property
    def period_words(self) -> str:
        return f"{self.date_from.isoformat()} to {self.date_to.isoformat()}"

    def money(self, amount: float) -> str:
        """``amount`` in the report's currency, for people (-£500 for a credit)."""
        return signed_money(amount, self.currency)


def signed_money(amount: float, currency: str, tr: Translator | None = None) -> str:
    """``amount`` for people, a credit with its sign before the symbol: -£500; written as
    the reader of ``tr`` writes money (English when None)."""
    return ("-" if amount < 0 else "") + (tr or translator(None)).money(abs(amount), currency)


@dataclass(frozen=True)
class _Anchor:
    id: int
    name: str
    scale: str
    lon: float
    lat: float
    x_m: float
    y_m: float


def spend_report(store: Store, anchor: str | int, *, date_from: date | None = None, date_to: date | None = None,
                 area_names: Sequence[str] = (), survey: Lm3Survey | None = None,
                 top_leaks: int = DEFAULT_TOP_LEAKS, suggestions: int = DEFAULT_SUGGESTIONS,
                 index: MatchIndex | None = None, language: str | None = None) -> SpendReport:
    """The spend report of ``anchor`` (an asset's name or id) for payments made from
    ``date_from`` to ``date_to`` (both included; either open), against the area of
    ``area_names`` (the store's boundaries when empty), its city and region. ``survey``
    gives suppliers' own shares for the multiplier. ``index`` is a matcher index to reuse
    (one is built from the store when None and a category leaks). Its sentences (the
    message, why a leak has no suggestion, why a supplier is suggested) are written in
    ``language`` (a code of atlas.i18n.LANGUAGES; None: the place's default language).
    Raises :class:`NotFound` when the anchor has no spend in the period."""
    tr = report_translator(language, store.settings.language)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput(f"The period starts ({date_from.isoformat()}) after it ends ({date_to.isoformat()}).")
    if top_leaks < 0 or suggestions < 0:
        raise InvalidInput("The number of leaks and of suggestions cannot be negative.")
    who = _anchor(store, anchor)
    frame = _spend(store, who.id, date_from, date_to)
    if frame.empty:
        raise NotFound(_no_spend(store, who, date_from, date_to))
    currency = _currency(frame, who.name)
    areas = spend_areas(store, area_names)
    amount = frame["amount"].to_numpy(dtype=float)
    placed = frame["placed"].to_numpy(dtype=bool)
    inside = {ring: getattr(areas, ring).contains_lonlat(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
              for ring in RINGS}
    frame = frame.assign(**{f"in_{ring}": inside[ring] for ring in RINGS})
    total = float(amount.sum())
    unknown = float(amount[~placed].sum())
    rings = tuple(RingSpend(ring, getattr(areas, ring).name, float(amount[inside[ring]].sum()),
                            _share(float(amount[inside[ring]].sum()), total)) for ring in RINGS)
    categories = _categories(frame)
    first_paid, last_paid = min(frame["first_paid"]), max(frame["last_paid"])
    period_from, period_to = date_from or first_paid, date_to or last_paid
    period = f"{period_from.isoformat()} to {period_to.isoformat()} ({int(frame['payments'].sum()):,} payments)"

    def write(value: float) -> str:
        return signed_money(value, currency, tr)

    local = frame[frame["in_area"]]
    local_spend = [LocalSpend(supplier=str(name), asset_id=_int(asset_id), category=given, amount=float(spent))
                   for name, asset_id, given, spent in _rows(_by_supplier(local, ["key", "category"]), "name",
                                                             "asset_id", "category_given", "amount")]
    multiplier = lm3(local_spend, total=total, unknown=unknown, area=areas.area.name, period=period, money=write,
                     survey=survey)
    leaking = [c for c in categories if c.leak > 0][:top_leaks]
    names = _asset_names(store, frame)
    message = None if total > 0 else tr.gettext(
        "Credit notes outweigh payments from {start} to {end} (net {net}), so no share of the spend can be "
        "given.").format(start=period_from.isoformat(), end=period_to.isoformat(), net=write(total))
    return SpendReport(
        anchor_id=who.id, anchor=who.name, currency=currency, date_from=period_from, date_to=period_to,
        first_paid=first_paid, last_paid=last_paid, payments=int(frame["payments"].sum()), total=total, rings=rings,
        unknown=unknown, unknown_share=_share(unknown, total), by_category=tuple(categories),
        leaks=_leaks(store, leaking, who, areas.area, suggestions, index, tr),
        unmatched_suppliers=_unmatched(frame, names), uncertain_matches=_uncertain(frame, names),
        suppliers=_points(frame), lm3=multiplier, areas=areas, message=message)


# -- reading the spend ----------------------------------------------------------------------

def _anchor(store: Store, anchor: str | int) -> _Anchor:
    if isinstance(anchor, int):
        asset_id = anchor
    else:
        text = (anchor or "").strip()
        if not text:
            raise InvalidInput("Say whose spend to report: the anchor's name or asset id.")
        try:
            asset_id = find_asset_id(store, text)
        except NotFound:
            if not text.isdigit():
                raise
            asset_id = int(text)
    rows = store.rows("SELECT id, name, scale, ST_X(ST_PointOnSurface(geom)) AS lon, "
                      "ST_Y(ST_PointOnSurface(geom)) AS lat, ST_X(ST_PointOnSurface(geom_m)) AS x_m, "
                      "ST_Y(ST_PointOnSurface(geom_m)) AS y_m FROM assets WHERE id = ?", [asset_id])
    if not rows:
        raise NotFound(f"There is no asset {asset_id} in this atlas.")
    return _Anchor(**rows[0])


_GROUPED = ("supplier_name", "supplier_asset_id", "candidate_asset_id", "category", "currency", "placed_by",
            "supplier_lon", "supplier_lat")


def _spend(store: Store, anchor_id: int, date_from: date | None, date_to: date | None) -> pd.DataFrame:
    """The anchor's payments in the period, summed by supplier, category and place (the
    database does the summing: an anchor may have a million payments)."""
    where, params = ["anchor_id = ?"], list[object]([anchor_id])
    if date_from is not None:
        where.append("paid_on >= ?")
        params.append(date_from)
    if date_to is not None:
        where.append("paid_on <= ?")
        params.append(date_to)
    columns = ", ".join(_GROUPED)
    sql = (f"SELECT {columns}, sum(amount) AS amount, count(*) AS payments, max(match_score) AS match_score, "
           f"min(paid_on) AS first_paid, max(paid_on) AS last_paid FROM spend_lines WHERE {' AND '.join(where)} "
           f"GROUP BY {columns}")
    raw = store.con.execute(sql, params).to_arrow_table().to_pandas()
    if raw.empty:
        return raw
    lon = pd.to_numeric(raw["supplier_lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(raw["supplier_lat"], errors="coerce").to_numpy(float)
    # Unknown location: no placement recorded, or no coordinates; it is never local.
    placed = raw["placed_by"].notna().to_numpy() & np.isfinite(lon) & np.isfinite(lat)
    lon, lat = np.where(placed, lon, np.nan), np.where(placed, lat, np.nan)
    asset_id = pd.to_numeric(raw["supplier_asset_id"], errors="coerce").astype(float)
    name = raw["supplier_name"].astype(str).str.strip()
    stripped = raw["category"].astype("string").str.strip()
    given = stripped.astype(object).where(stripped.fillna("").ne("").astype(bool), None)
    # A supplier matched to an asset is that asset whatever the file calls it; an unmatched
    # one is its name, without case.
    key = ("name:" + name.str.lower()).where(asset_id.isna(), "asset:" + asset_id.fillna(0).astype("int64").astype(str))
    return pd.DataFrame({
        "key": key, "name": name, "asset_id": asset_id,
        "candidate_id": pd.to_numeric(raw["candidate_asset_id"], errors="coerce").astype(float),
        "category_given": given, "category": given.where(given.notna(), NO_CATEGORY), "currency": raw["currency"],
        "placed_by": raw["placed_by"].astype(object).where(placed, None), "placed": placed, "lon": lon, "lat": lat,
        "amount": pd.to_numeric(raw["amount"]).astype(float), "payments": pd.to_numeric(raw["payments"]).astype(int),
        "match_score": pd.to_numeric(raw["match_score"], errors="coerce").astype(float),
        "first_paid": raw["first_paid"], "last_paid": raw["last_paid"],
    })


def _int(value: float) -> int | None:
    """An id read as a float (NaN for none) as an int or None."""
    return None if value != value else int(value)


def _rows(frame: pd.DataFrame, *names: str) -> Iterator[tuple[Any, ...]]:
    """The values of columns ``names``, row by row (column lists zipped: ten times quicker than
    ``to_dict("records")`` for the 100,000 suppliers of a large council)."""
    return zip(*(frame[n].tolist() for n in names), strict=True)


def _largest_first(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` by spend, largest (either sign) first, then by name: so a group's first
    name is the name its largest payments were made under."""
    return frame.assign(_size=-frame["amount"].abs()).sort_values(["_size", "name"], kind="stable")


def _by_amount(frame: pd.DataFrame, name: str = "name") -> pd.DataFrame:
    return frame.sort_values(["amount", name], ascending=[False, True], kind="stable")


def _currency(frame: pd.DataFrame, anchor: str) -> str:
    found = sorted({str(c).upper() for c in frame["currency"].dropna().unique()})
    if len(found) > 1:
        raise InvalidInput(f"The spend of {anchor} in this period is in more than one currency "
                           f"({', '.join(found)}); report a period in one currency.")
    if not found:
        raise InvalidInput(f"The spend of {anchor} has no currency recorded; import it again.")
    return found[0]


def _no_spend(store: Store, who: _Anchor, date_from: date | None, date_to: date | None) -> str:
    count, first, last = store.con.execute(
        "SELECT count(*), min(paid_on), max(paid_on) FROM spend_lines WHERE anchor_id = ?", [who.id]).fetchone()
    if not count:
        return (f"No spend is recorded for {who.name}, so there is nothing to report: import its payments first "
                f"(atlas import FILE --as spend --anchor \"{who.name}\").")
    asked = " and ".join(filter(None, [f"from {date_from.isoformat()}" if date_from else "",
                                       f"to {date_to.isoformat()}" if date_to else ""]))
    return (f"{who.name} made no payments {asked}; its {count:,} recorded payments run from {first.isoformat()} "
            f"to {last.isoformat()}.")


def _share(part: float, total: float) -> float | None:
    return part / total if total > 0 else None


def _by_supplier(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` summed over ``keys``: a group's name is its name with the most spend."""
    return _largest_first(frame).groupby(keys, sort=False, dropna=False).agg(
        name=("name", "first"), asset_id=("asset_id", "first"), category_given=("category_given", "first"),
        amount=("amount", "sum")).reset_index()


def _categories(frame: pd.DataFrame) -> list[CategorySpend]:
    data = frame.assign(local=np.where(frame["in_area"], frame["amount"], 0.0))
    sums = data.groupby("category", sort=False)[["amount", "local"]].sum()
    out = [CategorySpend(category=str(c), total=float(r.amount), local=float(r.local),
                         share=_share(float(r.local), float(r.amount)), leak=float(r.amount - r.local))
           for c, r in sums.iterrows()]
    return sorted(out, key=lambda c: (-round(c.leak, 6), c.category))


def _asset_names(store: Store, frame: pd.DataFrame) -> dict[int, str]:
    ids = sorted({int(i) for i in frame["candidate_id"].dropna().tolist()})
    if not ids:
        return {}
    return dict(store.con.execute("SELECT id, name FROM assets WHERE list_contains(?, id)", [ids]).fetchall())


def _unmatched(frame: pd.DataFrame, names: dict[int, str]) -> tuple[UnmatchedSupplier, ...]:
    loose = frame[frame["asset_id"].isna()]
    if loose.empty:
        return ()
    # One row a supplier, summed in one pass: a council's file may name 50,000 of them.
    grouped = _by_amount(_largest_first(loose).groupby("key", sort=False).agg(
        name=("name", "first"), amount=("amount", "sum"), candidate=("candidate_id", "first"),
        score=("match_score", "max"), placed_by=("placed_by", "first")).reset_index())
    out = []
    for name, amount, candidate_id, score, placed in _rows(grouped, "name", "amount", "candidate", "score",
                                                          "placed_by"):
        candidate = _int(candidate_id)
        placed_by = placed if isinstance(placed, str) else None
        if candidate is not None:
            scored = "" if score != score else f", name score {score:.0f}"
            reason = (f"uncertain match: it may be {names.get(candidate, 'asset')} (asset {candidate}{scored}); "
                      "not merged until an officer confirms it")
        else:
            reason = "no asset in the atlas matched its company number, or its name at its postcode"
        where = (f"; placed by its {placed_by}" if placed_by == "postcode"
                 else "; no location, so its spend counts as unknown, not local" if placed_by is None else "")
        out.append(UnmatchedSupplier(name=str(name), total=float(amount), reason=reason + where,
                                     placed_by=placed_by, candidate_asset_id=candidate))
    return tuple(out)


def _uncertain(frame: pd.DataFrame, names: dict[int, str]) -> tuple[UncertainMatch, ...]:
    rows = frame[frame["asset_id"].isna() & frame["candidate_id"].notna()]
    if rows.empty:
        return ()
    grouped = _by_amount(_largest_first(rows).groupby(["key", "candidate_id"], sort=False).agg(
        name=("name", "first"), score=("match_score", "max"), amount=("amount", "sum")).reset_index())
    return tuple(UncertainMatch(supplier=str(name), candidate_asset_id=int(candidate),
                                candidate_name=names.get(int(candidate)),
                                score=None if score != score else float(score), total=float(amount))
                 for name, candidate, score, amount in _rows(grouped, "name", "candidate_id", "score", "amount"))


def _points(frame: pd.DataFrame) -> tuple[SupplierPoint, ...]:
    placed = frame[frame["placed"]]
    if placed.empty:
        return ()
    grouped = _by_amount(_largest_first(placed).groupby(["key", "lon", "lat"], sort=False).agg(
        name=("name", "first"), asset_id=("asset_id", "first"), amount=("amount", "sum"),
        placed_by=("placed_by", "first"), in_area=("in_area", "first"), in_city=("in_city", "first"),
        in_region=("in_region", "first")).reset_index())
    return tuple(SupplierPoint(name=str(name), asset_id=_int(asset_id), lon=float(lon), lat=float(lat),
                               amount=float(amount), placed_by=str(placed_by), in_area=bool(area),
                               in_city=bool(city), in_region=bool(region))
                 for name, asset_id, lon, lat, amount, placed_by, area, city, region in _rows(
                     grouped, "name", "asset_id", "lon", "lat", "amount", "placed_by", "in_area", "in_city",
                     "in_region"))


# -- leaks and the local suppliers who could take them ----------------------------------------

def _leaks(store: Store, leaking: Sequence[CategorySpend], who: _Anchor, area: Area, top: int,
           index: MatchIndex | None, tr: Translator) -> tuple[Leak, ...]:
    _ = tr.gettext
    if not leaking:
        return ()
    if top and any(c.category != NO_CATEGORY for c in leaking):
        index = index or MatchIndex.build(store)
        candidates = _local_offers(index, who, area)
    else:
        candidates = np.zeros(0, dtype=np.int64)
    out = []
    found: tuple[Suggestion, ...]
    for c in leaking:
        if c.category == NO_CATEGORY:
            found, message = (), _("The spend file gives no category for this spend, so no supplier can be "
                                   "suggested.")
        elif not top:
            found, message = (), None
        elif not len(candidates):
            found, message = (), _("No micro asset inside {area} has an open offer of products, services or "
                                   "skills yet.").format(area=area.name)
        else:
            assert index is not None  # built above whenever a named category leaks
            found = _suggest(index, who, c, candidates, top, tr)
            message = None if found else _("No local micro asset's offer fits “{category}”: no shared category "
                                           "or words.").format(category=c.category)
        out.append(Leak(category=c.category, total=c.total, local=c.local, leak=c.leak, suggestions=found,
                        message=message))
    return tuple(out)


def _local_offers(index: MatchIndex, who: _Anchor, area: Area) -> np.ndarray:
    """Positions in ``index`` of the open offers that can meet a supply need, of micro
    assets (not the anchor) placed inside ``area``."""
    offers = index.offer_pos
    if not len(offers):
        return offers
    supply = NEED_KINDS.index("supply")
    ok = index.meets[supply, index.kind[offers]] & ~index.macro[offers] & (index.asset[offers] != who.id)
    lon = np.array([index.items[i].lon for i in offers], dtype=float)
    lat = np.array([index.items[i].lat for i in offers], dtype=float)
    return offers[ok & area.contains_lonlat(lon, lat)]


def _suggest(index: MatchIndex, who: _Anchor, leak: CategorySpend, candidates: np.ndarray,
             top: int, tr: Translator) -> tuple[Suggestion, ...]:
    """The local offers best fitting ``leak`` as a supply need of the anchor, scored as the
    matcher scores a need against offers (the need is a probe: nothing is written)."""
    need = NeedOffer(id=-1, side="need", asset_id=who.id, asset_name=who.name, asset_scale=who.scale,
                     kind="supply", title=leak.category, description=None, tags=[], quantity=None, unit=None,
                     annual_value=leak.leak, area_m2=None, feature_id=None, status="open", plan_id=None,
                     recorded_by="", recorded_at=utc_now(), updated_by=None, updated_at=None, source="",
                     source_id="", lon=who.lon, lat=who.lat)
    probe = index.probe(need, who.x_m, who.y_m, len(candidates))
    total, parts, d = index.score_pairs(probe, index.side(candidates))
    # The matcher's own rule for a candidate: a shared category, or alike words.
    fits = np.flatnonzero((parts["vocabulary"] > 0) | (parts["text"] >= TEXT_MIN))
    order = fits[np.lexsort((d[fits], -np.round(total[fits], 6)))][:top]
    out = []
    for k in order:
        offer = index.items[int(candidates[k])]
        distance = round(float(d[k]), 1)
        out.append(Suggestion(
            asset_id=offer.asset_id, asset_name=offer.asset_name, offer_id=offer.id, offer_title=offer.title,
            offer_kind=offer.kind, score=round(float(total[k]), 4), distance_m=distance,
            why=tr.gettext("{asset} offers “{offer}”; {distance} from {anchor}.").format(
                asset=offer.asset_name, offer=offer.title, anchor=who.name,
                distance=tr.distance_m(distance)),
            gaps=tuple(index.size_gaps(need, offer)), lon=offer.lon, lat=offer.lat))
    return tuple(out)


def record_leak_needs(store: Store, report: SpendReport, *, by: str) -> WriteResult:
    """Write the report's leaking categories (those with a category) as open supply needs
    of the anchor, worth the leak, under :data:`SPEND_NEED_SOURCE`, so officers can act on
    them in the Matches page. One need per anchor and category: recording again updates it."""
    drafts, ids = [], []
    for leak in report.leaks:
        if leak.category == NO_CATEGORY or leak.leak <= 0:
            continue
        drafts.append(NeedOfferDraft(
            side="need", asset_id=report.anchor_id, kind="supply", title=leak.category[:needs_offers.TITLE_MAX],
            description=(f"{report.money(leak.leak)} of {report.anchor}'s {leak.category} spend went to suppliers "
                         f"outside {report.areas.area.name} from {report.period_words} (spend report): local "
                         "suppliers could bid for it."),
            annual_value=round(leak.leak, 2)))
        ids.append(f"anchor-{report.anchor_id}:{leak.category.lower()}")
    if not drafts:
        return WriteResult(inserted=0, updated=0, removed=0)
    return needs_offers.write(store, drafts, source=SPEND_NEED_SOURCE, source_ids=ids, by=by,
                              vocabulary=vocabulary.load(store))


# -- JSON ---------------------------------------------------------------------------------

def report_dict(report: SpendReport) -> dict[str, Any]:
    """The report as plain data: money to the penny, shares to four decimal places."""
    m, s = _round_money, _round_share
    return {
        "anchor": report.anchor,
        "anchor_id": report.anchor_id,
        "currency": report.currency,
        "period": {"from": report.date_from.isoformat(), "to": report.date_to.isoformat(),
                   "first_payment": report.first_paid.isoformat(), "last_payment": report.last_paid.isoformat(),
                   "payments": report.payments},
        "total": m(report.total),
        "areas": {r.ring: r.name for r in report.rings},
        "local_spend": {r.ring: m(r.amount) for r in report.rings},
        "local_share": {r.ring: s(r.share) for r in report.rings},
        "unknown_spend": m(report.unknown),
        "unknown_share": s(report.unknown_share),
        "by_category": [{"category": c.category, "total": m(c.total), "local": m(c.local), "share": s(c.share),
                         "leak": m(c.leak)} for c in report.by_category],
        "leaks": [{"category": leak.category, "total": m(leak.total), "local": m(leak.local), "leak": m(leak.leak),
                   "message": leak.message,
                   "suggestions": [{"asset_id": g.asset_id, "asset": g.asset_name, "offer_id": g.offer_id,
                                    "offer": g.offer_title, "kind": g.offer_kind, "score": g.score,
                                    "distance_m": g.distance_m, "why": g.why, "gaps": list(g.gaps)}
                                   for g in leak.suggestions]} for leak in report.leaks],
        "unmatched_suppliers": [{"name": u.name, "total": m(u.total), "reason": u.reason}
                                for u in report.unmatched_suppliers],
        "uncertain_matches": [{"supplier": u.supplier, "candidate_asset_id": u.candidate_asset_id,
                               "candidate_name": u.candidate_name, "score": u.score, "total": m(u.total)}
                              for u in report.uncertain_matches],
        "lm3": {"value": None if report.lm3.value is None else round(report.lm3.value, 4),
                "rounds": [m(r) for r in report.lm3.rounds], "method": report.lm3.method,
                "assumptions": list(report.lm3.assumptions)},
        "suppliers": [{"name": p.name, "asset_id": p.asset_id, "lon": round(p.lon, 6), "lat": round(p.lat, 6),
                       "amount": m(p.amount), "placed_by": p.placed_by, "in_area": p.in_area, "in_city": p.in_city,
                       "in_region": p.in_region} for p in report.suppliers],
        "message": report.message,
    }


def to_json(report: SpendReport) -> str:
    """The report as JSON text (:func:`report_dict`)."""
    return output.to_json(report_dict(report))


def _round_money(value: float) -> float:
    return round(float(value), 2) + 0.0  # + 0.0: never "-0.0"


def _round_share(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4) + 0.0


@dataclass(frozen=True)
class AnchorSpend:
    """An asset with spend in the store: how many payments, and over which dates."""

    anchor_id: int
    name: str
    payments: int
    first_paid: date
    last_paid: date


def anchors_with_spend(store: Store) -> list[AnchorSpend]:
    """Every asset whose spend the store holds, by name."""
    rows = store.rows(
        "SELECT s.anchor_id, a.name, count(*) AS payments, min(s.paid_on) AS first_paid, "
        "max(s.paid_on) AS last_paid FROM spend_lines s JOIN assets a ON a.id = s.anchor_id "
        "GROUP BY s.anchor_id, a.name ORDER BY a.name"
    )
    return [AnchorSpend(anchor_id=r["anchor_id"], name=r["name"], payments=r["payments"],
                        first_paid=r["first_paid"], last_paid=r["last_paid"]) for r in rows]
