"""The state of the social-enterprise market in an area: who is there (by type, sector,
size, legal form and trading history), what they offer against what anchors buy and
need, where anchors spend or need and nobody local offers, and what support the
organisations themselves need. The figures only; the PDF, HTML, CSV and charts are
drawn from them elsewhere (``market_pdf``, ``market_html``, ``market_csv``,
``market_charts``) and the app charts the same tables.

**Who is counted.** An asset (never a person) is one of the market's organisations when

1. its register entry (``asset_registrations``) says so, first match wins: a community
   benefit society (run for its community) is a *community business*; a co-operative,
   registered or industrial and provident society is a *co-operative* (a "registered
   society" may be either kind, and the register does not say which); an entry marked
   ``social_enterprise`` (a community interest company, say) is a *social enterprise*;
   an entry with a charity number or a charitable legal form is a *charity*; else
2. its atlas category names one of those types ("charity", "social enterprise",
   "co-operative"): the atlas's own record of what it is; else
3. its atlas sector is ``social`` or ``community``: a *community business* (a group, a
   café, a food bank the registers do not know, or a company the atlas calls social).

An ordinary company in the registers whose atlas record is neither social nor community
is not counted.

**Where.** Assets are points in the store (a shape is reduced to a point on its surface
when written). For an area made of boundaries an asset is in it when the atlas's
boundary membership (``asset_boundaries``, by which every per-boundary figure of the
atlas is counted) puts it in one of them; for a drawn area when its point lies in the
area or on its edge, tested in the store's metric CRS.

**When.** A report is as of a date (today by default). An organisation counts from its
incorporation or registration date (else from the day the atlas imported it) and stops
counting once dissolved or removed before the date; one whose register status says
dissolved or removed without a date is left out at every date, since when it closed is
not known. Needs and offers count when recorded on or before the date and still open
(their past status is not kept); spend counts when paid on or before the date.

**Anchors.** What anchors buy is the spend the store holds (every spend file is an
anchor's), by category, in the store's currency; what they need is the open needs of
macro assets. Both come from every anchor, or with ``anchors_in_area`` only from anchors
inside the area.

**Matching what is bought to what is offered** is by the shared vocabulary
(``atlas/vocabulary.toml``): a spend category, a need and an offer each name categories
(the offer and need by their tags and title); a spend category or need is offered locally
when an offer of one of the counted organisations names one of its categories. Where the
vocabulary finds no category the words themselves are compared, stemmed ("Room hire"
meets an offer tagged "room hires"). For spend any offer of something a buyer pays for
counts (:data:`SALEABLE_KINDS`); for a need only offers of a kind the vocabulary says can
meet it. "Contracts and local buying" names the buying itself, not what is bought, and is
left out of the comparison (:data:`GENERIC_CATEGORIES`). A **gap** is a spend category
or an anchor's need that no counted organisation offers.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import shapely

from atlas import i18n, vocabulary
from atlas import text as words
from atlas.errors import InvalidInput
from atlas.i18n import N_, Translator, translator
from atlas.models import NEED_KINDS, OFFER_KINDS, OPEN_STATUSES, VALUE_LABELS
from atlas.store import Store, utc_now
from atlas.vocabulary import Vocabulary
from cedplans.insights.areas import Area

TYPES = (N_("social enterprise"), N_("co-operative"), N_("charity"), N_("community business"))
"""The kinds of organisation the report counts, in the order they are shown."""

UNKNOWN = "unknown"

INCOME_BANDS: tuple[tuple[float, str], ...] = (
    (100_000, N_("under 100k")), (1_000_000, N_("100k to 1m")), (10_000_000, N_("1m to 10m")),
    (math.inf, N_("10m and over")))
"""(upper limit, exclusive; label) of each income band, in the store's currency a year."""

EMPLOYEE_BANDS: tuple[tuple[float, str], ...] = ((10, "0-9"), (50, "10-49"), (250, "50-249"), (math.inf, "250+"))
"""(upper limit, exclusive; label) of each band of employees (the usual micro, small,
medium and large)."""

TRADING_BANDS: tuple[tuple[float, str], ...] = (
    (2, N_("under 2 years")), (5, N_("2 to 5 years")), (10, N_("5 to 10 years")), (math.inf, N_("10 years or more")))
"""(upper limit, exclusive, in whole years since incorporation; label) of each band of
trading history."""

YOUNG_YEARS = int(TRADING_BANDS[0][0])
"""An organisation trading for fewer whole years than this (the first trading band) is
young, for the maturity figures."""

SALEABLE_KINDS = ("skills", "people", "services", "products", "space", "land", "reach", "other")
"""Kinds of offer a buyer can pay for, so that spend in a category they name counts as
offered locally (volunteers and funding are given, not sold)."""

GENERIC_CATEGORIES = frozenset({"procurement"})
"""Vocabulary categories about buying itself ("contracts", "suppliers", "spend"): every
spend line is one, so they would match everything."""

CLOSED_STATUSES = ("dissolved", "removed", "closed", "converted/closed", "converted / closed", "struck off")
"""Register statuses of an organisation that no longer exists (compared without case)."""

_COOPERATIVE_FORMS = ("co-operative", "cooperative", "co-op", "registered society", "industrial and provident")
_CHARITABLE_FORMS = ("charit",)
_UNCATEGORISED = "uncategorised"
_OWN_GROUPS = frozenset({*TYPES, *(label for _u, label in (*INCOME_BANDS, *TRADING_BANDS))})
"""Groups the report names itself, translated where shown (employee bands are numbers)."""


# -- records -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Organisation:
    """One counted organisation, with the bands it falls in on the report's date."""

    asset_id: int
    name: str
    type: str
    """One of :data:`TYPES`."""
    type_reason: str
    sector: str
    legal_form: str
    income: float | None
    """A year, in the store's currency (the register's latest income or turnover)."""
    employees: int | None
    incorporated_on: date | None
    years_trading: float | None
    """Days since incorporation / 365.25, on the report's date."""
    income_band: str
    employees_band: str
    trading_band: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Maturity:
    """How established the organisations are: of the ``known`` with a start date, the
    median years trading and how many (and what share) trade under :data:`YOUNG_YEARS`."""

    known: int
    median_years: float | None
    young: int
    share_young: float | None


@dataclass(frozen=True)
class Demand:
    """Something anchors buy (a spend category) or need (one open need), and who local
    offers it. ``amount`` is in the store's currency: the spend, or the need's annual value."""

    source: str
    """``spend`` or ``need``."""
    label: str
    kind: str
    """The need's kind; ``supply`` for spend."""
    amount: float | None
    lines: int
    """Payments (spend) or 1 (a need)."""
    anchors: tuple[str, ...]
    local_offers: tuple[str, ...]
    """Names of the counted organisations whose offers name what is bought or needed."""
    paid_locally: float = 0.0
    """Spend in this category already paid to counted organisations."""
    categorised: bool = True
    """False for spend without a category: it cannot be compared with offers."""

    @property
    def gap(self) -> bool:
        return self.categorised and not self.local_offers


@dataclass(frozen=True)
class TableRow:
    """A row of a report table: a group, how many, and a figure whose ``unit`` is
    ``money`` (the store's currency), ``years``, ``share`` (0 to 1) or empty."""

    group: str
    count: int
    value: float | None = None
    unit: str = ""
    detail: str = ""


@dataclass(frozen=True)
class MarketTable:
    """One table of the report, as the PDF, HTML, CSV and app show it. A heading of None
    means the table has no such column."""

    key: str
    title: str
    group_heading: str
    count_heading: str
    value_heading: str | None
    detail_heading: str | None
    rows: tuple[TableRow, ...]
    note: str = ""

    def row(self, group: str) -> TableRow | None:
        return next((r for r in self.rows if r.group == group), None)

    def count(self, group: str) -> int:
        """The count of ``group`` (0 when the table has no such row)."""
        row = self.row(group)
        return row.count if row else 0


@dataclass(frozen=True)
class MarketReport:
    """The market of ``area`` on ``as_of``: the organisations, the demand from anchors,
    and every table in :attr:`tables` (keys in :data:`TABLE_KEYS`)."""

    area: Area
    as_of: date
    currency: str
    place: str | None
    anchors_scope: str
    """``all`` anchors of the store, or those in the ``area``."""
    organisations: tuple[Organisation, ...]
    maturity: Maturity
    spend: tuple[Demand, ...]
    anchor_needs: tuple[Demand, ...]
    spend_total: float
    spend_paid_locally: float
    spend_period: tuple[date, date] | None
    other_currency_lines: int
    tables: tuple[MarketTable, ...]
    generated_at: datetime
    language: str = "en"
    """The code of the language its words are in (a code of atlas.i18n.LANGUAGES)."""

    @property
    def tr(self) -> Translator:
        return translator(self.language)

    @property
    def label(self) -> str:
        return self.tr.gettext("{area} on {date}").format(area=self.area.name,
                                                          date=self.tr.date(self.as_of, form="long"))

    @property
    def gaps(self) -> tuple[Demand, ...]:
        return tuple(d for d in (*self.spend, *self.anchor_needs) if d.gap)

    def table(self, key: str) -> MarketTable:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


@dataclass(frozen=True)
class ComparedRow:
    group: str
    count_a: int
    count_b: int
    value_a: float | None
    value_b: float | None
    unit: str = ""

    @property
    def count_change(self) -> int:
        return self.count_b - self.count_a

    @property
    def value_change(self) -> float | None:
        if self.value_a is None and self.value_b is None:
            return None
        return (self.value_b or 0.0) - (self.value_a or 0.0)


@dataclass(frozen=True)
class ComparedTable:
    key: str
    title: str
    group_heading: str
    count_heading: str
    value_heading: str | None
    rows: tuple[ComparedRow, ...]

    def row(self, group: str) -> ComparedRow | None:
        return next((r for r in self.rows if r.group == group), None)


@dataclass(frozen=True)
class MarketComparison:
    """Two reports (two areas, or one area at two dates) and, table by table, each
    group's count and figure in both; changes are ``b`` less ``a``."""

    a: MarketReport
    b: MarketReport
    tables: tuple[ComparedTable, ...]

    def table(self, key: str) -> ComparedTable:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


TABLE_KEYS = ("type", "sector", "income", "employees", "legal_form", "trading", "maturity", "offers_kind",
              "offers_tag", "anchor_spend", "anchor_needs", "gaps", "support", "directory")
"""Every table of a report, in the order shown."""


# -- classifying one organisation ----------------------------------------------------------

def organisation_type(*, registered: bool, legal_form: str | None, charity_number: str | None,
                      social_enterprise: bool | None, sector: str | None, category: str | None
                      ) -> tuple[str, str] | None:
    """(type, reason) of an asset by the rule in the module's description, or None when
    it is not one of the market's organisations."""
    form = words.fold(legal_form or "")
    if registered:
        if "community benefit society" in form or "bencom" in form:  # run for its community, not its members
            return "community business", f"registered as {legal_form}"
        if any(f in form for f in _COOPERATIVE_FORMS):
            return "co-operative", f"registered as {legal_form}"
        if social_enterprise:
            return "social enterprise", f"the register's {legal_form or 'entry'} is a social enterprise"
        number = (charity_number or "").strip()
        if number or any(f in form for f in _CHARITABLE_FORMS):
            return "charity", f"registered charity {number}" if number else f"registered as {legal_form}"
    named = words.fold(category or "")
    if any(f in named for f in ("co-operative", "cooperative", "co-op")):
        return "co-operative", f"the atlas's category is {category}"
    if "social enterprise" in named:
        return "social enterprise", f"the atlas's category is {category}"
    if "charit" in named:
        return "charity", f"the atlas's category is {category}"
    if sector in ("social", "community"):
        return "community business", f"the atlas's sector is {sector}"
    return None


def band(value: float | None, bands: Sequence[tuple[float, str]]) -> str:
    """The label of the first band whose upper limit ``value`` is under; unknown for None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN
    return next(label for upper, label in bands if value < upper)


def whole_years(start: date, end: date) -> int:
    """Whole calendar years from ``start`` to ``end`` (an anniversary completes a year)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def trading_band(incorporated_on: date | None, as_of: date) -> str:
    if incorporated_on is None:
        return UNKNOWN
    return band(whole_years(incorporated_on, as_of), TRADING_BANDS)


def maturity(organisations: Iterable[Organisation]) -> Maturity:
    started = [o for o in organisations if o.incorporated_on is not None]
    years = [o.years_trading for o in started if o.years_trading is not None]
    young = sum(1 for o in started if o.trading_band == TRADING_BANDS[0][1])
    return Maturity(known=len(started), median_years=statistics.median(years) if years else None, young=young,
                    share_young=young / len(started) if started else None)


# -- the report ----------------------------------------------------------------------------

def market_report(store: Store, area: Area, *, as_of: date | None = None, anchors_in_area: bool = False,
                  language: str | None = None) -> MarketReport:
    """The market of ``area`` (from :func:`cedplans.insights.areas.resolve_area`) on
    ``as_of`` (default: today, UTC), its titles, headings and notes written in ``language``
    (a code of atlas.i18n.LANGUAGES; None: the place's default language). Groups from the
    data (sectors, legal forms, tags, names) stay as entered."""
    as_of = as_of or utc_now().date()
    if as_of > utc_now().date():
        raise InvalidInput(f"as of {as_of:%d %B %Y}: that is in the future; give today or an earlier date.")
    voc = vocabulary.load(store)
    currency = store.settings.thresholds.currency
    orgs = _organisations(store, area, as_of)
    ids = [o.asset_id for o in orgs]
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())  # recorded on or before as_of
    items = _needs_offers(store, ids, end)
    offers = [i for i in items if i["side"] == "offer"]
    support = [i for i in items if i["side"] == "need"]
    local = [_LocalOffer(i["asset_id"], i["asset_name"], i["kind"], _offer_terms(voc, i["tags"], i["title"]))
             for i in offers]
    anchors = _anchors(store, area, anchors_in_area)
    spend, spend_total, paid_locally, period, other = _spend(store, voc, as_of, anchors, set(ids), local, currency)
    needs = _anchor_needs(store, voc, end, anchors, local)
    mature = maturity(orgs)
    tr = i18n.translator(i18n.supported(language) or i18n.supported(store.settings.language))
    tables = _tables(orgs, as_of, offers, support, spend, needs, currency, mature, other, tr)
    return MarketReport(
        area=area, as_of=as_of, currency=currency, place=store.settings.place,
        anchors_scope="area" if anchors_in_area else "all", organisations=tuple(orgs), maturity=mature,
        spend=tuple(spend), anchor_needs=tuple(needs), spend_total=spend_total,
        spend_paid_locally=paid_locally, spend_period=period, other_currency_lines=other, tables=tables,
        generated_at=utc_now(), language=tr.code,
    )


_CANDIDATES = """
SELECT a.id, a.name, a.sector, a.category, a.employees, a.imported_at,
       ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, ST_X(a.geom_m) AS x, ST_Y(a.geom_m) AS y,
       r.asset_id IS NOT NULL AS registered, r.charity_number, r.legal_form, r.status, r.incorporated_on,
       r.dissolved_on, r.income, r.register_sector, r.social_enterprise
FROM assets a LEFT JOIN asset_registrations r ON r.asset_id = a.id
WHERE NOT coalesce(a.person, false) AND {area}
ORDER BY a.name, a.id
"""


def _organisations(store: Store, area: Area, as_of: date) -> list[Organisation]:
    where, params = _area_condition(area)
    rows = store.rows(_CANDIDATES.format(area=where), params)
    inside = _inside(area, rows)
    out = []
    for r, here in zip(rows, inside, strict=True):
        if not here:
            continue
        typed = organisation_type(registered=bool(r["registered"]), legal_form=r["legal_form"],
                                  charity_number=r["charity_number"], social_enterprise=r["social_enterprise"],
                                  sector=r["sector"], category=r["category"])
        if typed is None or not existed_on(as_of, incorporated_on=r["incorporated_on"], dissolved_on=r["dissolved_on"],
                                           status=r["status"], imported_on=r["imported_at"].date()):
            continue
        started = r["incorporated_on"]
        years = (as_of - started).days / 365.25 if started else None
        employees = None if r["employees"] is None else int(r["employees"])
        out.append(Organisation(
            asset_id=int(r["id"]), name=r["name"], type=typed[0], type_reason=typed[1],
            sector=(r["register_sector"] or r["category"] or UNKNOWN).strip() or UNKNOWN,
            legal_form=r["legal_form"] or ("not given" if r["registered"] else "not registered"),
            income=r["income"], employees=employees, incorporated_on=started, years_trading=years,
            income_band=band(r["income"], INCOME_BANDS), employees_band=band(employees, EMPLOYEE_BANDS),
            trading_band=trading_band(started, as_of), lon=float(r["lon"]), lat=float(r["lat"]),
        ))
    return out


def existed_on(as_of: date, *, incorporated_on: date | None, dissolved_on: date | None, status: str | None,
               imported_on: date) -> bool:
    """Whether an organisation existed on ``as_of``: incorporated (else imported into the
    atlas) on or before it, and not dissolved before it; one whose status says it closed,
    with no date, never (see the module's description)."""
    if (incorporated_on or imported_on) > as_of:
        return False
    if dissolved_on is not None:
        return dissolved_on >= as_of
    return (status or "").strip().lower() not in CLOSED_STATUSES


def _area_condition(area: Area) -> tuple[str, list]:
    """SQL on assets ``a`` (and its parameters) that keeps those in ``area``: its
    boundaries' members, or for a drawn area those in its bounding box (:func:`_inside`
    then tests the shape)."""
    if area.boundary_ids:
        return ("a.id IN (SELECT asset_id FROM asset_boundaries WHERE boundary_id IN "
                "(SELECT unnest(?::BIGINT[])))", [list(area.boundary_ids)])
    minx, miny, maxx, maxy = area.geom_m.bounds
    return "ST_X(a.geom_m) BETWEEN ? AND ? AND ST_Y(a.geom_m) BETWEEN ? AND ?", [minx, maxx, miny, maxy]


def _inside(area: Area, rows: Sequence[dict]) -> np.ndarray:
    """Which of ``rows`` (assets with ``x``, ``y`` in metres, already kept by
    :func:`_area_condition`) lie in ``area``."""
    if area.boundary_ids or not rows:
        return np.ones(len(rows), dtype=bool)
    x = np.array([r["x"] for r in rows], dtype=float)
    y = np.array([r["y"] for r in rows], dtype=float)
    shapely.prepare(area.geom_m)
    return shapely.intersects_xy(area.geom_m, x, y)  # the edge counts as inside


def _needs_offers(store: Store, asset_ids: Sequence[int], before: datetime) -> list[dict]:
    if not asset_ids:
        return []
    return store.rows(
        "SELECT n.side, n.asset_id, a.name AS asset_name, n.kind, n.title, n.tags, n.annual_value "
        "FROM needs_offers n JOIN assets a ON a.id = n.asset_id "
        "WHERE n.asset_id IN (SELECT unnest(?::BIGINT[])) AND n.status IN (SELECT unnest(?::VARCHAR[])) "
        "AND n.recorded_at < ? ORDER BY n.id",
        [list(asset_ids), list(OPEN_STATUSES), before])


@dataclass(frozen=True)
class _LocalOffer:
    asset_id: int
    name: str
    kind: str
    terms: frozenset[str]


def _phrase(text: str, voc: Vocabulary) -> str:
    """Words stemmed and joined: the key a phrase is compared by when the vocabulary has none."""
    return "~" + " ".join(words.stems(text, voc.language))


def _offer_terms(voc: Vocabulary, tags: Sequence[str], title: str) -> frozenset[str]:
    cats = set(voc.weights(tags, title, None)) - GENERIC_CATEGORIES
    return frozenset(cats | {_phrase(t, voc) for t in (*tags, title) if t and t.strip()})


def _demand_terms(voc: Vocabulary, phrases: Sequence[str]) -> frozenset[str]:
    """The vocabulary categories ``phrases`` name, else the phrases themselves (stemmed)."""
    cats = {c for p in phrases for c in voc.categories_in(p)} - GENERIC_CATEGORIES
    return frozenset(cats or {_phrase(p, voc) for p in phrases if p and p.strip()})


def _offered_by(terms: frozenset[str], offers: Iterable[_LocalOffer]) -> tuple[str, ...]:
    return tuple(sorted({o.name for o in offers if o.terms & terms}))


def _anchors(store: Store, area: Area, in_area: bool) -> dict[int, str] | None:
    """The anchors whose spend and needs count (id -> name): None for every anchor."""
    if not in_area:
        return None
    where, params = _area_condition(area)
    rows = store.rows("SELECT a.id, a.name, ST_X(a.geom_m) AS x, ST_Y(a.geom_m) AS y FROM assets a "
                      f"WHERE a.scale = 'macro' AND {where} ORDER BY a.id", params)
    inside = _inside(area, rows)
    return {int(r["id"]): r["name"] for r, here in zip(rows, inside, strict=True) if here}


def _spend(store: Store, voc: Vocabulary, as_of: date, anchors: dict[int, str] | None, market: set[int],
           offers: Sequence[_LocalOffer], currency: str
           ) -> tuple[list[Demand], float, float, tuple[date, date] | None, int]:
    rows = store.rows(
        "SELECT s.anchor_id, a.name AS anchor, s.amount, s.currency, s.category, s.supplier_asset_id, s.paid_on "
        "FROM spend_lines s LEFT JOIN assets a ON a.id = s.anchor_id WHERE s.paid_on <= ? ORDER BY s.id", [as_of])
    if anchors is not None:
        rows = [r for r in rows if r["anchor_id"] in anchors]
    other = sum(1 for r in rows if (r["currency"] or "").upper() != currency.upper())
    rows = [r for r in rows if (r["currency"] or "").upper() == currency.upper()]
    groups: dict[str, list[dict]] = defaultdict(list)
    labels: dict[str, str] = {}
    for r in rows:
        label = (r["category"] or "").strip() or _UNCATEGORISED
        key = words.fold(label)
        labels.setdefault(key, label)
        groups[key].append(r)
    saleable = [o for o in offers if o.kind in SALEABLE_KINDS]
    out = []
    for key, lines in groups.items():
        label = labels[key]
        categorised = label != _UNCATEGORISED
        local = _offered_by(_demand_terms(voc, [label]), saleable) if categorised else ()
        out.append(Demand(
            source="spend", label=label, kind="supply", amount=sum(r["amount"] for r in lines), lines=len(lines),
            anchors=tuple(sorted({r["anchor"] or f"asset {r['anchor_id']}" for r in lines})), local_offers=local,
            paid_locally=sum(r["amount"] for r in lines if r["supplier_asset_id"] in market),
            categorised=categorised))
    out.sort(key=lambda d: (-(d.amount or 0.0), d.label))
    total = sum(r["amount"] for r in rows)
    paid_locally = sum(r["amount"] for r in rows if r["supplier_asset_id"] in market)
    period = (min(r["paid_on"] for r in rows), max(r["paid_on"] for r in rows)) if rows else None
    return out, total, paid_locally, period, other


def _anchor_needs(store: Store, voc: Vocabulary, before: datetime, anchors: dict[int, str] | None,
                  offers: Sequence[_LocalOffer]) -> list[Demand]:
    rows = store.rows(
        "SELECT n.asset_id, a.name AS anchor, n.kind, n.title, n.tags, n.annual_value FROM needs_offers n "
        "JOIN assets a ON a.id = n.asset_id WHERE n.side = 'need' AND a.scale = 'macro' "
        "AND n.status IN (SELECT unnest(?::VARCHAR[])) AND n.recorded_at < ? ORDER BY n.id",
        [list(OPEN_STATUSES), before])
    out = []
    for r in rows:
        if anchors is not None and r["asset_id"] not in anchors:
            continue
        meeting = [o for o in offers if voc.can_meet(r["kind"], o.kind) and o.asset_id != r["asset_id"]]
        terms = _demand_terms(voc, [*r["tags"], r["title"]])
        out.append(Demand(source="need", label=r["title"], kind=r["kind"], amount=r["annual_value"], lines=1,
                          anchors=(r["anchor"],), local_offers=_offered_by(terms, meeting)))
    return out


# -- tables --------------------------------------------------------------------------------

def _counted(values: Iterable[str], order: Sequence[str] | None = None) -> tuple[TableRow, ...]:
    """Rows of a tally: in ``order`` with zeros kept (then unknown, when any), else by
    count, largest first, then name."""
    tally = Counter(values)
    if order is not None:
        groups = [*order, *([UNKNOWN] if tally.get(UNKNOWN) else [])]
        return tuple(TableRow(g, tally.get(g, 0)) for g in groups)
    return tuple(TableRow(g, n) for g, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))


def _tables(orgs: Sequence[Organisation], as_of: date, offers: Sequence[dict], support: Sequence[dict],
            spend: Sequence[Demand], needs: Sequence[Demand], currency: str, mature: Maturity,
            other_currency: int, tr: Translator) -> tuple[MarketTable, ...]:
    _, ngettext = tr.gettext, tr.ngettext

    def fixed(rows: Iterable[TableRow]) -> tuple[TableRow, ...]:
        """Rows whose groups are the report's own words (types, bands, kinds), in the reader's language."""
        return tuple(replace(r, group=group_label(r.group, tr)) for r in rows)

    def organisations(n: int) -> str:
        return ngettext("{count} organisation", "{count} organisations", n).format(count=tr.number(n))

    orgs_heading = _("Organisations")
    tables = [
        MarketTable("type", _("Organisations by type"), _("Type"), orgs_heading, None, None,
                    fixed(_counted((o.type for o in orgs), TYPES))),
        MarketTable("sector", _("By sector"), _("Sector"), orgs_heading, None, None,
                    fixed(_counted(o.sector for o in orgs)),
                    note=_("The register's sector (SIC section or charity classification), else the atlas's "
                           "category.")),
        MarketTable("income", _("By income ({currency} a year)").format(currency=currency), _("Income"),
                    orgs_heading, None, None,
                    fixed(_counted((o.income_band for o in orgs), [label for _b, label in INCOME_BANDS]))),
        MarketTable("employees", _("By employees"), _("Employees"), orgs_heading, None, None,
                    fixed(_counted((o.employees_band for o in orgs), [label for _b, label in EMPLOYEE_BANDS]))),
        MarketTable("legal_form", _("By legal form"), _("Legal form"), orgs_heading, None, None,
                    fixed(_counted(o.legal_form for o in orgs))),
        MarketTable("trading", _("By trading history"), _("Trading for"), orgs_heading, None, None,
                    fixed(_counted((o.trading_band for o in orgs), [label for _b, label in TRADING_BANDS])),
                    note=_("Whole years from incorporation or registration to {date}.").format(
                        date=tr.date(as_of, form="long"))),
        MarketTable("maturity", _("Maturity"), _("Measure"), orgs_heading, _("Figure"), None, (
            TableRow(_("with a known start date"), mature.known),
            TableRow(_("median years trading"), mature.known, mature.median_years, "years"),
            TableRow(_("trading under {years} years").format(years=tr.number(YOUNG_YEARS)), mature.young,
                     mature.share_young, "share"),
        )),
    ]
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for o in offers:
        by_kind[o["kind"]].append(o)
    tables.append(MarketTable(
        "offers_kind", _("What they offer, by kind"), _("Kind"), _("Offers"), None, _("Offered by"),
        fixed(TableRow(k, len(by_kind[k]), detail=organisations(len({o["asset_id"] for o in by_kind[k]})))
              for k in OFFER_KINDS if by_kind[k])))
    tables.append(MarketTable(
        "offers_tag", _("What they offer, by tag"), _("Tag"), _("Offers"), None, None,
        _counted(t for o in offers for t in dict.fromkeys(words.fold(x).strip() for x in o["tags"] if x.strip()))))
    tables.append(MarketTable(
        "anchor_spend", _("What anchors buy: spend by category"), _("Category"), _("Payments"), _("Amount"),
        _("Offered locally by"),
        tuple(TableRow(_("uncategorised") if not d.categorised else d.label, d.lines, d.amount, "money",
                       _spend_detail(d, currency, tr)) for d in spend),
        note=(ngettext("{count} payment in other currencies than {currency} left out.",
                       "{count} payments in other currencies than {currency} left out.", other_currency).format(
                           count=tr.number(other_currency), currency=currency)
              if other_currency else "")))
    need_rows = []
    for kind in NEED_KINDS:
        these = [d for d in needs if d.kind == kind]
        if these:
            met = sum(1 for d in these if d.local_offers)
            need_rows.append(TableRow(kind, len(these), _total(d.amount for d in these), "money",
                                      _("{met} offered locally, {not_met} not").format(
                                          met=tr.number(met), not_met=tr.number(len(these) - met))))
    tables.append(MarketTable("anchor_needs", _("What anchors need, by kind"), _("Kind"), _("Needs"),
                              _("Annual value"), _("Offered locally"), fixed(need_rows)))
    gaps = sorted((d for d in (*spend, *needs) if d.gap), key=lambda d: (-(d.amount or 0.0), d.source, d.label))
    tables.append(MarketTable(
        "gaps", _("Gaps: anchors buy or need it, no local organisation offers it"), _("What"),
        _("Payments or needs"), _("Amount"), _("Where from"),
        tuple(TableRow(d.label, d.lines, d.amount, "money",
                       _("spend by {anchors}").format(anchors=", ".join(d.anchors)) if d.source == "spend"
                       else _("{kind} need of {anchors}").format(kind=group_label(d.kind, tr),
                                                                 anchors=", ".join(d.anchors)))
              for d in gaps)))
    support_rows = []
    for kind in NEED_KINDS:
        asked = [s for s in support if s["kind"] == kind]
        support_rows.append(TableRow(kind, len(asked), _total(s["annual_value"] for s in asked), "money",
                                     organisations(len({s["asset_id"] for s in asked}))))
    tables.append(MarketTable("support", _("Support needs of these organisations"), _("Need"), _("Needs"),
                              _("Annual value"), _("From"), fixed(support_rows)))
    titles: dict[int, list[str]] = defaultdict(list)
    for o in offers:
        titles[o["asset_id"]].append(o["title"])
    tables.append(MarketTable(
        "directory", _("Who they are and what they offer"), _("Organisation"), _("Offers"), None, _("About"),
        tuple(TableRow(o.name, len(titles[o.asset_id]),
                       detail=_("{type}; {legal_form}; trading: {trading}; {offers}").format(
                           type=group_label(o.type, tr), legal_form=group_label(o.legal_form, tr),
                           trading=group_label(o.trading_band, tr),
                           offers=(_("offers: {titles}").format(titles="; ".join(titles[o.asset_id]))
                                   if titles[o.asset_id] else _("no offers recorded"))))
              for o in orgs)))
    return tuple(tables)


def group_label(group: str, tr: Translator) -> str:
    """A group of the report's own (a type, a band, a kind, unknown) in the reader's
    language; a group from the data (a sector, a legal form) as it is."""
    if group in _OWN_GROUPS:
        return tr.gettext(group)
    label = VALUE_LABELS.get(group)
    return tr.gettext(label) if label and group in (*NEED_KINDS, *OFFER_KINDS, UNKNOWN) else group


def _total(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _spend_detail(d: Demand, currency: str, tr: Translator) -> str:
    if not d.categorised:
        return tr.gettext("no category given, so not compared with offers")
    if not d.local_offers:
        return tr.gettext("no local offer (a gap)")
    offered = ", ".join(d.local_offers)
    if not d.paid_locally:
        return offered
    return tr.gettext("{organisations}; {amount} already paid to them").format(
        organisations=offered, amount=tr.money(d.paid_locally, currency))


def money_text(amount: float, currency: str, tr: Translator | None = None) -> str:
    """An amount of money for people, a credit (below zero) with a minus sign."""
    tr = tr or translator(None)
    return tr.money(amount, currency) if amount >= 0 else "-" + tr.money(-amount, currency)


def value_text(row: TableRow | None, currency: str, value: float | None = None, tr: Translator | None = None) -> str:
    """A row's figure (or ``value`` in the row's unit) for people: money, years or a
    percentage, written as the reader of ``tr`` writes them (English when None)."""
    tr = tr or translator(None)
    if row is None:
        return ""
    value = row.value if value is None else value
    if value is None:
        return ""
    if row.unit == "money":
        return money_text(value, currency, tr)
    if row.unit == "years":
        return tr.gettext("{years} years").format(years=tr.number(value, digits=1))
    if row.unit == "share":
        return tr.percent(value)
    text = f"{value:.10g}"
    return tr.number(value, digits=len(text.partition(".")[2]) if "e" not in text else 0)


# -- comparing -----------------------------------------------------------------------------

def compare_reports(a: MarketReport, b: MarketReport) -> MarketComparison:
    """Table by table, every group either report has, with both counts and figures."""
    tables = []
    for ta in a.tables:
        tb = b.table(ta.key)
        groups = list(dict.fromkeys([*(r.group for r in ta.rows), *(r.group for r in tb.rows)]))
        rows = []
        for g in groups:
            ra, rb = ta.row(g), tb.row(g)
            unit = ra.unit if ra is not None else rb.unit if rb is not None else ""
            rows.append(ComparedRow(g, ra.count if ra else 0, rb.count if rb else 0, ra.value if ra else None,
                                    rb.value if rb else None, unit))
        tables.append(ComparedTable(ta.key, ta.title, ta.group_heading, ta.count_heading, ta.value_heading,
                                    tuple(rows)))
    return MarketComparison(a=a, b=b, tables=tuple(tables))
