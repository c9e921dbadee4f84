"""Needs and offers as records: what an asset needs (staff, a room, land, contracts,
funding) and what it offers (skills, people, a building, reach into a community).

Every write checks each value first (kind, unit, sizes, garbled text, that the asset,
site and plan exist) and names the field at fault; then it writes in one transaction.
Rows are keyed by (source, source id) like every other import, so importing a file again
updates its needs and offers. Times are UTC.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pyarrow as pa
import shapely

from atlas import audit
from atlas import text as words
from atlas.errors import InvalidInput, NotFound
from atlas.models import (
    NEED_KINDS,
    NEED_OFFER_STATUSES,
    OFFER_KINDS,
    OPEN_STATUSES,
    SIDES,
    NeedOffer,
    Site,
    WriteResult,
)
from atlas.store import Store, utc_now
from atlas.vocabulary import Vocabulary

REGISTER_SOURCE = "asset-register"
"""The source of needs and offers entered by hand."""

TITLE_MAX = 200
DESCRIPTION_MAX = 4_000
TAG_MAX = 60
TAGS_MAX = 30
QUANTITY_MAX = 1_000_000
AREA_MAX_M2 = 100_000_000.0
"""10,000 hectares: more than any single site or building a city could offer."""
VALUE_MAX = 100_000_000_000.0
SPACE_KINDS = ("space", "land")
"""Kinds that have a floor or land area."""

_KINDS = {"need": NEED_KINDS, "offer": OFFER_KINDS}


@dataclass(frozen=True)
class NeedOfferDraft:
    """A need or offer as typed in or read from a file, before it is checked."""

    side: str
    asset_id: int
    kind: str
    title: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    quantity: float | None = None
    unit: str | None = None
    annual_value: float | None = None
    area_m2: float | None = None
    status: str = "open"
    feature_id: int | None = None
    plan_id: int | None = None
    recorded_by: str | None = None
    """Who found it (a researcher's name); the writer's ``by`` when None."""


@dataclass(frozen=True)
class Problem:
    """Why a draft cannot be stored: the field at fault and what to do."""

    field: str
    message: str


def problems(draft: NeedOfferDraft, vocabulary: Vocabulary) -> list[Problem]:
    """Everything wrong with ``draft`` (not looking at the store), field by field."""
    out: list[Problem] = []
    if draft.side not in SIDES:
        return [Problem("side", f"{draft.side!r} is neither need nor offer.")]
    kinds = _KINDS[draft.side]
    kind = (draft.kind or "").strip().lower()
    if kind not in kinds:
        out.append(Problem("kind", f"{draft.kind!r} is not a kind of {draft.side}; use one of {', '.join(kinds)}."))
    title = (draft.title or "").strip()
    if not title:
        out.append(Problem("title", f"every {draft.side} needs a title saying what it is."))
    elif len(title) > TITLE_MAX:
        out.append(Problem("title", f"{len(title):,} characters is too long for a title; keep it under {TITLE_MAX}."))
    if draft.description and len(draft.description) > DESCRIPTION_MAX:
        out.append(Problem("description", f"{len(draft.description):,} characters; keep it under {DESCRIPTION_MAX:,}."))
    for name, value in (("title", draft.title), ("description", draft.description), ("recorded_by", draft.recorded_by),
                        *(("tags", t) for t in draft.tags)):
        reason = words.garbled(value) if value else None
        if value and reason:
            out.append(Problem(name, f"{value[:40]!r}: {reason}; fix the file's encoding and import it again."))
    distinct = {t.strip().lower() for t in draft.tags if t and t.strip()}
    if len(distinct) > TAGS_MAX:
        out.append(Problem("tags", f"{len(distinct)} tags; keep to {TAGS_MAX} at most."))
    long_tags = [t for t in draft.tags if len(t) > TAG_MAX]
    if long_tags:
        out.append(Problem("tags", f"{long_tags[0][:40]!r}… is not a tag (over {TAG_MAX} characters); "
                                   "separate tags with ;"))
    for name, amount, largest in (("quantity", draft.quantity, QUANTITY_MAX), ("area_m2", draft.area_m2, AREA_MAX_M2),
                                  ("annual_value", draft.annual_value, VALUE_MAX)):
        if amount is None:
            continue
        if not math.isfinite(amount) or amount < 0 or (amount == 0 and name != "annual_value"):
            out.append(Problem(name, f"{amount!r} must be a number above zero."))
        elif amount > largest:
            out.append(Problem(name, f"{amount:,.0f} is not believable (more than {largest:,.0f}); check the number."))
    if draft.area_m2 is not None and kind not in SPACE_KINDS and kind in kinds:
        out.append(Problem("area_m2", f"an area is for space or land, not for a {kind} {draft.side}; "
                                      "give a quantity and unit instead."))
    if draft.unit is not None and draft.unit.strip():
        if vocabulary.unit(draft.unit) is None:
            out.append(Problem("unit", f"{draft.unit!r} is not a unit the atlas knows; use one of "
                                       f"{', '.join(vocabulary.unit_names)}."))
        elif draft.quantity is None:
            out.append(Problem("quantity", f"a unit ({draft.unit}) without a quantity; say how many."))
    elif draft.quantity is not None:
        out.append(Problem("unit", f"a quantity ({draft.quantity:g}) without a unit; say "
                                   f"{', '.join(vocabulary.unit_names)}."))
    if draft.status not in NEED_OFFER_STATUSES:
        out.append(Problem("status", f"{draft.status!r} is not one of {', '.join(NEED_OFFER_STATUSES)}."))
    return out


def clean(draft: NeedOfferDraft, vocabulary: Vocabulary) -> NeedOfferDraft:
    """``draft`` as stored: text trimmed, tags lower case and unique, the unit in its
    canonical form (``sqm`` -> ``m²``). Raises :class:`InvalidInput` naming the first
    field at fault."""
    found = problems(draft, vocabulary)
    if found:
        raise InvalidInput(f"{found[0].field}: {found[0].message}")
    tags = tuple(dict.fromkeys(t.strip().lower() for t in draft.tags if t and t.strip()))
    description = (draft.description or "").strip() or None
    unit = vocabulary.unit(draft.unit) if draft.unit and draft.unit.strip() else None
    return replace(draft, kind=draft.kind.strip().lower(), title=draft.title.strip(), description=description,
                   tags=tags, unit=unit)


def parse_tags(text: str | None) -> tuple[str, ...]:
    """Tags as people type them: separated by semicolons (or commas)."""
    return tuple(t.strip() for t in (text or "").replace(",", ";").split(";") if t.strip())



def _missing_references(store: Store, drafts: Sequence[NeedOfferDraft]) -> tuple[str, int, int] | None:
    """(field, position, id) of the first draft naming an asset, site or plan the store lacks."""
    for field, table, ids in (("asset", "assets", [d.asset_id for d in drafts]),
                              ("feature_id", "features", [d.feature_id for d in drafts]),
                              ("plan_id", "plans", [d.plan_id for d in drafts])):
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            continue
        rows = store.con.execute(f"SELECT id FROM {table} WHERE list_contains(?, id)", [wanted]).fetchall()
        known = {r[0] for r in rows}
        for position, i in enumerate(ids):
            if i is not None and i not in known:
                return field, position, i
    return None


def _table(drafts: Sequence[NeedOfferDraft], source_ids: Sequence[str], by: str, now: datetime) -> pa.Table:
    def column(name: str, type_: pa.DataType) -> pa.Array:
        return pa.array([getattr(d, name) for d in drafts], type=type_)

    return pa.table({
        "source_id": pa.array(list(source_ids), pa.string()),
        "side": column("side", pa.string()), "asset_id": column("asset_id", pa.int64()),
        "kind": column("kind", pa.string()), "title": column("title", pa.string()),
        "description": column("description", pa.string()),
        "tags": pa.array([list(d.tags) for d in drafts], pa.list_(pa.string())),
        "quantity": column("quantity", pa.float64()), "unit": column("unit", pa.string()),
        "annual_value": column("annual_value", pa.float64()), "area_m2": column("area_m2", pa.float64()),
        "feature_id": column("feature_id", pa.int64()), "status": column("status", pa.string()),
        "plan_id": column("plan_id", pa.int64()),
        # Who found it (a researcher named in a file) is kept apart from who is writing now.
        "recorded_by": pa.array([(d.recorded_by or "").strip() or by for d in drafts], pa.string()),
        "by": pa.array([by] * len(drafts), pa.string()),
        "at": pa.array([now] * len(drafts), pa.timestamp("us")),
    })


_FIELDS = ("side", "asset_id", "kind", "title", "description", "tags", "quantity", "unit", "annual_value",
           "area_m2", "feature_id", "status", "plan_id")


def write(store: Store, drafts: Sequence[NeedOfferDraft], *, source: str, source_ids: Sequence[str], by: str,
          vocabulary: Vocabulary, replace_source: bool = False) -> WriteResult:
    """Store checked ``drafts`` under (``source``, each source id), one transaction.

    A row already stored under the same key (source, side, source id) is updated in place
    (its id, who recorded it and when are kept; who updated it and when are set), so a need
    and an offer may share an id and neither overwrites the other. ``replace_source`` first
    removes the source's other rows of the same side(s). Raises :class:`InvalidInput` for a
    draft that cannot be stored.
    """
    by = (by or "").strip()
    if not by:
        raise InvalidInput("Say who is recording these needs and offers.")
    if words.garbled(by):
        raise InvalidInput(f"Who is recording: {words.garbled(by)}.")
    if len(source_ids) != len(drafts):
        raise InvalidInput("Each need or offer needs its own source id.")
    keys = list(zip((d.side for d in drafts), source_ids, strict=True))
    if len(set(keys)) != len(keys):
        raise InvalidInput("Each need or offer needs its own source id.")
    drafts = [clean(d, vocabulary) for d in drafts]
    missing = _missing_references(store, drafts)
    if missing:
        field, position, value = missing
        what = {"asset": "asset", "feature_id": "site", "plan_id": "plan"}[field]
        where = f"row {position + 1}, {field}" if len(drafts) > 1 else field
        raise InvalidInput(f"{where}: there is no {what} {value} in this atlas.")
    table = _table(drafts, source_ids, by, utc_now())
    con = store.con
    removed = updated = 0
    with store.transaction():
        con.register("_incoming_needs_offers", table)
        try:
            before = _audited(store, source, replace_source)
            if replace_source:
                removed = len(con.execute(
                    "DELETE FROM needs_offers n WHERE n.source = ? "
                    "AND n.side IN (SELECT DISTINCT side FROM _incoming_needs_offers) AND NOT EXISTS "
                    "(SELECT 1 FROM _incoming_needs_offers i WHERE i.side = n.side AND i.source_id = n.source_id) "
                    "RETURNING id", [source]
                ).fetchall())
            # The key's own columns are matched, never set: DuckDB rewrites a row whose
            # indexed column is updated, which a transaction may then refuse.
            sets = ", ".join(f"{f} = i.{f}" for f in _FIELDS if f != "side")
            updated = len(con.execute(
                f"UPDATE needs_offers SET {sets}, updated_by = i.by, updated_at = i.at FROM _incoming_needs_offers i "
                "WHERE needs_offers.source = ? AND needs_offers.side = i.side AND needs_offers.source_id = i.source_id "
                "RETURNING needs_offers.id",
                [source],
            ).fetchall())
            cols = ", ".join(_FIELDS)
            con.execute(
                f"INSERT INTO needs_offers ({cols}, recorded_by, recorded_at, source, source_id) "
                f"SELECT {', '.join('i.' + f for f in _FIELDS)}, i.recorded_by, i.at, ?, i.source_id "
                "FROM _incoming_needs_offers i WHERE NOT EXISTS "
                "(SELECT 1 FROM needs_offers n WHERE n.source = ? AND n.side = i.side AND n.source_id = i.source_id)",
                [source, source],
            )
            after = _audited(store, source, replace_source)
            audit.record_many(store, entity_of={k: k[0] for k in (*before, *after)}, action="edit",
                              befores=before, afters=after, by=by)
        finally:
            con.unregister("_incoming_needs_offers")
    return WriteResult(inserted=len(drafts) - updated, updated=updated, removed=removed)


_NOT_AUDITED = ("asset_scale", "recorded_by", "recorded_at", "updated_by", "updated_at", "source", "source_id",
                "lon", "lat")


def _audited(store: Store, source: str, whole_source: bool) -> dict[tuple[str, str], dict]:
    """The records the write in progress may touch, keyed by (side, source id), as the
    audit trail keeps them: those of ``_incoming_needs_offers``, or the whole source's."""
    touched = "" if whole_source else (
        " AND EXISTS (SELECT 1 FROM _incoming_needs_offers i WHERE i.side = n.side AND i.source_id = n.source_id)")
    return {(r.side, r.source_id): _fields(r) for r in store.records(NeedOffer, SELECT + " WHERE n.source = ?"
                                                                     + touched, [source])}


_AUDITED = [f.name for f in dataclasses.fields(NeedOffer) if f.name not in _NOT_AUDITED]


def _fields(item: NeedOffer) -> dict:
    # Field by field, not dataclasses.asdict: that deep-copies every record, eight times
    # slower for an import's 50,000 (benchmarks/trust.py).
    return {name: getattr(item, name) for name in _AUDITED}


def add(store: Store, draft: NeedOfferDraft, *, by: str, vocabulary: Vocabulary) -> int:
    """Store one new need or offer entered by hand; returns its id."""
    source_id = uuid.uuid4().hex
    write(store, [draft], source=REGISTER_SOURCE, source_ids=[source_id], by=by, vocabulary=vocabulary)
    return store.con.execute(
        "SELECT id FROM needs_offers WHERE source = ? AND source_id = ?", [REGISTER_SOURCE, source_id]
    ).fetchone()[0]


def update(store: Store, item_id: int, draft: NeedOfferDraft, *, by: str, vocabulary: Vocabulary) -> None:
    """Replace a need's or offer's details with ``draft`` (its side and asset may not change)."""
    current = get(store, item_id)
    if (draft.side, draft.asset_id) != (current.side, current.asset_id):
        raise InvalidInput(f"{current.side.capitalize()} {item_id} belongs to {current.asset_name}; "
                           "record a new one for another asset instead.")
    write(store, [draft], source=current.source, source_ids=[current.source_id], by=by, vocabulary=vocabulary)


def set_status(store: Store, item_id: int, status: str, *, by: str) -> None:
    if status not in NEED_OFFER_STATUSES:
        raise InvalidInput(f"status: {status!r} is not one of {', '.join(NEED_OFFER_STATUSES)}.")
    if not (by or "").strip():
        raise InvalidInput("Say who is changing the status.")
    current = get(store, item_id)
    with store.transaction():
        store.con.execute(
            "UPDATE needs_offers SET status = ?, updated_by = ?, updated_at = ? WHERE id = ?",
            [status, by.strip(), utc_now(), item_id],
        )
        audit.record(store, entity=current.side, entity_id=item_id, action="set status", by=by,
                     summary=f"status changed from {current.status} to {status}",
                     before=_fields(current), after=_fields(get(store, item_id)))


def remove(store: Store, item_id: int, *, by: str | None = None) -> None:
    """Delete a need or offer entered by mistake. One that a match decision names stays
    (the decision would lose its meaning): close it instead."""
    current = get(store, item_id)
    decided = store.con.execute(
        "SELECT count(*) FROM match_decisions WHERE need_id = ? OR offer_id = ?", [item_id, item_id]
    ).fetchone()[0]
    if decided:
        raise InvalidInput(f"{current.side.capitalize()} {item_id} has been matched or turned down in "
                           f"{decided} decision(s); set its status to closed instead of deleting it.")
    with store.transaction():
        store.con.execute("DELETE FROM needs_offers WHERE id = ?", [item_id])
        audit.record(store, entity=current.side, entity_id=item_id, action="remove", by=by,
                     before=_fields(current))


# -- reading ---------------------------------------------------------------------------

SELECT = """
SELECT n.id, n.side, n.asset_id, a.name AS asset_name, a.scale AS asset_scale, n.kind, n.title, n.description,
       n.tags, n.quantity, n.unit, n.annual_value, n.area_m2, n.feature_id, n.status, n.plan_id, n.recorded_by,
       n.recorded_at, n.updated_by, n.updated_at, n.source, n.source_id,
       ST_X(coalesce(ST_PointOnSurface(f.geom), a.geom)) AS lon,
       ST_Y(coalesce(ST_PointOnSurface(f.geom), a.geom)) AS lat
FROM needs_offers n JOIN assets a ON a.id = n.asset_id LEFT JOIN features f ON f.id = n.feature_id
"""
"""Every need or offer with its asset and place; callers add WHERE and ORDER BY."""

LOCATION_M = "coalesce(ST_PointOnSurface(f.geom_m), a.geom_m)"
"""Where a need or offer is, in the metric CRS: its site, else its asset (aliases of SELECT)."""


def get(store: Store, item_id: int) -> NeedOffer:
    found = store.records(NeedOffer, SELECT + " WHERE n.id = ?", [item_id])
    if not found:
        raise NotFound(f"There is no need or offer {item_id} in this atlas.")
    return found[0]


def for_asset(store: Store, asset_id: int) -> list[NeedOffer]:
    """An asset's needs and offers: needs first, open ones before the rest, by title."""
    return store.records(
        NeedOffer,
        SELECT + " WHERE n.asset_id = ? ORDER BY n.side, list_position(?, n.status), n.title, n.id",
        [asset_id, list(NEED_OFFER_STATUSES)],
    )


def listing(store: Store, *, side: str | None = None, statuses: Sequence[str] = OPEN_STATUSES,
            kinds: Sequence[str] = (), limit: int = 10_000) -> list[NeedOffer]:
    """Needs and/or offers in ``statuses`` (and ``kinds``), by asset name and title."""
    return store.records(
        NeedOffer,
        SELECT + " WHERE (? IS NULL OR n.side = ?) AND list_contains(?, n.status) "
                 "AND (len(?) = 0 OR list_contains(?, n.kind)) ORDER BY a.name, n.side, n.title, n.id LIMIT ?",
        [side, side, list(statuses), list(kinds), list(kinds), limit],
    )


@dataclass(frozen=True)
class NearbyNeedOffer:
    item: NeedOffer
    distance_m: float


def near(store: Store, site: Site, radius_m: float, *,
         statuses: Sequence[str] = OPEN_STATUSES) -> list[NearbyNeedOffer]:
    """Needs and offers whose place lies within ``radius_m`` metres of the site's edge,
    nearest first (measured in the store's metric CRS)."""
    if not (isinstance(radius_m, (int, float)) and math.isfinite(radius_m) and radius_m > 0):
        raise InvalidInput("The distance must be more than 0 metres.")
    wkb = shapely.to_wkb(site.geom_m)
    rows = store.con.execute(
        f"SELECT n.id, ST_Distance({LOCATION_M}, s.g) AS d FROM needs_offers n JOIN assets a ON a.id = n.asset_id "
        "LEFT JOIN features f ON f.id = n.feature_id, (SELECT ST_GeomFromWKB(?) AS g) s "
        f"WHERE list_contains(?, n.status) AND ST_DWithin({LOCATION_M}, s.g, ?) ORDER BY d, n.id",
        [wkb, list(statuses), float(radius_m)],
    ).fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    items = {i.id: i for i in store.records(NeedOffer, SELECT + " WHERE list_contains(?, n.id)", [ids])}
    return [NearbyNeedOffer(items[i], d) for i, d in rows]
