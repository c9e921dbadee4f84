"""The audit trail: every change to assets, needs, offers, plans, ideas, users and
settings, with who made it, when, and the record before and after.

Writes call :func:`record` inside their own transaction, so a change and its trail stand
or fall together. Who acted comes from the write itself (the name it records) and the
role from :func:`acting`, which the app and the command line wrap around their writes.
The trail is append-only; only an erasure of a person rewrites it, replacing what it held
about them with the fact that something was erased.

Reading it back (:func:`history`) withholds confidential fields from anyone who may not
see them, as every other query does.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import pyarrow as pa

from atlas import confidential
from atlas.access import PUBLIC, Viewer
from atlas.store import Store, utc_now

_ACTING: contextvars.ContextVar[Viewer | None] = contextvars.ContextVar("atlas_acting", default=None)

ENTITY_TABLES = {"asset": "assets", "need": "needs_offers", "offer": "needs_offers", "site": "site_notes",
                 "match": "match_decisions"}
"""Entity -> the table whose confidential fields (atlas.confidential) its records carry."""

PERSON_FIELDS = ("lon", "lat", "consent")
"""Fields of a person's record that only a viewer who may see where people live sees."""

Key = TypeVar("Key")
"""Whatever keys the records of one :func:`record_many` call (a row's source and id, say)."""


@contextlib.contextmanager
def acting(viewer: Viewer) -> Iterator[Viewer]:
    """Record ``viewer`` (their role, and their name where a write names no one) on every
    change made inside the block."""
    token = _ACTING.set(viewer)
    try:
        yield viewer
    finally:
        _ACTING.reset(token)


def current() -> Viewer | None:
    return _ACTING.get()


def actor(by: str | None, *, default: str = "unknown") -> str:
    """Who made a change: the name the write gives, else the acting viewer's, else ``default``."""
    viewer = current()
    return (by or "").strip() or (viewer.label if viewer else default)


def _role() -> str | None:
    viewer = current()
    return viewer.role.value if viewer and viewer.role else None


@dataclass(frozen=True)
class Change:
    """One entry of the trail. ``before`` and ``after`` are the record's fields (None for
    a record created or removed)."""

    id: int
    at: datetime
    actor: str
    role: str | None
    entity: str
    entity_id: str | None
    action: str
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changed(self) -> list[str]:
        """Fields whose value differs between before and after."""
        before, after = self.before or {}, self.after or {}
        return [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]

    def words(self) -> str:
        """The change for people: 'offers, description changed by Grace M. on 12 March 2026'."""
        return f"{self.summary} by {self.actor} on {self.at:%-d %B %Y}"


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "wkt"):
        return value.wkt
    return value


def _json(fields: Mapping[str, object] | None) -> str | None:
    if fields is None:
        return None
    return json.dumps({k: _plain(v) for k, v in fields.items()}, ensure_ascii=False, default=str, sort_keys=True)


def diff_summary(before: Mapping[str, object] | None, after: Mapping[str, object] | None, noun: str) -> str:
    """'created', 'removed', or '<fields> changed' for a change from ``before`` to ``after``."""
    if before is None:
        return f"{noun} added"
    if after is None:
        return f"{noun} removed"
    changed = [k for k in dict.fromkeys([*before, *after]) if _plain(before.get(k)) != _plain(after.get(k))]
    return f"{', '.join(changed) or 'nothing'} changed"


def record(store: Store, *, entity: str, entity_id: object, action: str, summary: str | None = None,
           before: Mapping[str, object] | None = None, after: Mapping[str, object] | None = None,
           by: str | None = None) -> None:
    """Append one change to the trail (inside the caller's transaction)."""
    if summary is None:
        summary = diff_summary(before, after, entity)
    store.con.execute(
        "INSERT INTO audit_log (changed_at, actor, role, entity, entity_id, action, summary, before_fields, "
        "after_fields) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [utc_now(), actor(by), _role(), entity,
         None if entity_id is None else str(entity_id), action, summary, _json(before), _json(after)],
    )


def record_many(store: Store, *, entity_of: Mapping[Key, str], action: str,
                befores: Mapping[Key, Mapping[str, object]], afters: Mapping[Key, Mapping[str, object]],
                by: str | None = None) -> int:
    """Append a change for every key whose record differs between ``befores`` and
    ``afters`` (an import: one entry per row added, changed or removed), in one insert.
    ``entity_of`` maps each key to its entity ('need' or 'offer'); the key's ``id`` field
    names the record. Returns how many entries were written."""
    who, role, now = actor(by), _role(), utc_now()
    rows = []
    for key in dict.fromkeys([*befores, *afters]):
        before, after = befores.get(key), afters.get(key)
        before_json, after_json = _json(before), _json(after)
        if before_json == after_json:
            continue
        entity = entity_of[key]
        record_id = (after or before or {}).get("id")
        rows.append((now, who, role, entity, None if record_id is None else str(record_id),
                     "add" if before is None else "remove" if after is None else action,
                     diff_summary(before, after, entity), before_json, after_json))
    if rows:
        names = ["changed_at", "actor", "role", "entity", "entity_id", "action", "summary", "before_fields",
                 "after_fields"]
        table = pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})
        store.con.register("_audit_rows", table)
        try:
            store.con.execute(f"INSERT INTO audit_log ({', '.join(names)}) SELECT * FROM _audit_rows")
        finally:
            store.con.unregister("_audit_rows")
    return len(rows)


def _withheld(entity: str, fields: dict[str, Any] | None, viewer: Viewer, person: bool) -> dict[str, Any] | None:
    """``fields`` for ``viewer``: confidential values replaced, and a person's place too
    (``person``: the record is about someone who is a person now, whatever it said then)."""
    if fields is None or viewer.sees_confidential:
        return fields
    table = ENTITY_TABLES.get(entity, entity)
    out = {k: (confidential.WITHHELD if confidential.is_confidential(table, k) else v) for k, v in fields.items()}
    if person or fields.get("person"):
        out.update({k: confidential.WITHHELD for k in PERSON_FIELDS if k in out})
    return out


_COLUMNS = ("id, changed_at AS at, actor, role, entity, entity_id, action, summary, before_fields AS before, "
            "after_fields AS after")
_FIELDS = ("id", "at", "actor", "role", "entity", "entity_id", "action", "summary", "before", "after")


def _changes(store: Store, where: str, params: list[object], viewer: Viewer, limit: int | None) -> list[Change]:
    sql = f"SELECT {_COLUMNS} FROM audit_log {where} ORDER BY changed_at DESC, id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    people = set() if viewer.sees_confidential else {
        str(r[0]) for r in store.con.execute("SELECT id FROM assets WHERE person").fetchall()}
    out = []
    for row in store.con.execute(sql, params).fetchall():
        fields = dict(zip(_FIELDS, row, strict=True))
        person = fields["entity"] == "asset" and fields["entity_id"] in people
        for side in ("before", "after"):
            fields[side] = _withheld(fields["entity"], json.loads(fields[side]) if fields[side] else None, viewer,
                                     person)
        out.append(Change(**fields))
    return out


def history(store: Store, entity: str, entity_id: object, *, viewer: Viewer = PUBLIC) -> list[Change]:
    """Every change to one record, newest first, confidential fields withheld unless
    ``viewer`` may see them."""
    return _changes(store, "WHERE entity = ? AND entity_id = ?", [entity, str(entity_id)], viewer, None)


def recent(store: Store, *, viewer: Viewer = PUBLIC, entity: str | None = None, limit: int = 200) -> list[Change]:
    """The latest changes to anything (or to one kind of record), newest first."""
    if entity is None:
        return _changes(store, "", [], viewer, limit)
    return _changes(store, "WHERE entity = ?", [entity], viewer, limit)


def asset_history(store: Store, asset_id: int, *, viewer: Viewer = PUBLIC) -> list[Change]:
    """An asset's record, the records of its needs and offers, and the imports of its
    source, newest first: the continuous identification of the asset, not only its last
    check."""
    source = store.con.execute("SELECT source FROM assets WHERE id = ?", [asset_id]).fetchone()
    return _changes(
        store,
        "WHERE (entity = 'asset' AND entity_id = ?) OR (entity IN ('need', 'offer') "
        "AND json_extract_string(coalesce(after_fields, before_fields), '$.asset_id') = ?) "
        "OR (entity = 'import' AND entity_id = ?)",
        [str(asset_id), str(asset_id), f"assets:{source[0] if source else ''}"], viewer, None,
    )
