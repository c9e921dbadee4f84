"""Import needs or offers from a CSV or XLSX table (``atlas import FILE --as needs``).

Columns (names matched as for every table: case and punctuation ignored): ``asset`` (an
asset's id or exact name), ``kind``, ``title``, ``description``, ``tags`` (separated by
``;``), ``quantity``, ``unit``, ``area_m2``, ``annual_value``, ``status``; optionally
``id`` (a stable key, so a re-import updates), ``site`` (the atlas site it is about, by
id or name) and ``recorded_by``. Every row is checked before anything is written: an
unknown asset, kind or unit stops the import with the file, row and field named, and
the store stays as it was.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from atlas import needs_offers, vocabulary
from atlas.errors import InvalidInput
from atlas.importers import columns, tables
from atlas.importers.summary import ImportSummary, ProgressCallback, TableCounts, no_progress
from atlas.models import NEED_OFFER_STATUSES
from atlas.needs_offers import NeedOfferDraft
from atlas.store import Store
from atlas.text import fold

SIDES = {"needs": "need", "offers": "offer"}
FIELDS: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "source_id", "ref", "reference"),
    "asset": ("asset", "asset_id", "asset_name", "organisation", "organization", "name"),
    "kind": ("kind", "type"),
    "title": ("title", "need", "offer", "summary"),
    "description": ("description", "details", "notes"),
    "tags": ("tags", "tag", "categories", "keywords"),
    "quantity": ("quantity", "how_many", "number"),
    "unit": ("unit", "units"),
    "area_m2": ("area_m2", "area", "floor_area", "floor_area_m2", "area_sqm"),
    "annual_value": ("annual_value", "value", "value_per_year", "budget"),
    "status": ("status",),
    "site": ("site", "site_id", "feature_id", "site_name"),
    "recorded_by": ("recorded_by", "recorded by", "researcher"),
}
REQUIRED = ("asset", "kind", "title")


def _where(file: str, row: str, column: str) -> str:
    return f"{file} row {row}, field {column}"


def _match(frame: pd.DataFrame) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for c in frame.columns:
        by_key.setdefault(columns.name_key(c), c)
    found = {}
    for field, names in FIELDS.items():
        for name in names:
            if columns.name_key(name) in by_key:
                found[field] = by_key[columns.name_key(name)]
                break
    return found


def _lookup(store: Store, table: str) -> tuple[set[int], dict[str, list[int]]]:
    """Ids, and ids by folded name, of every row of ``table`` (assets or features)."""
    rows = store.con.execute(f"SELECT id, name FROM {table}").fetchall()
    by_name: dict[str, list[int]] = {}
    for id_, name in rows:
        if name:
            by_name.setdefault(fold(name).strip(), []).append(id_)
    return {r[0] for r in rows}, by_name


def _resolve(value: str, ids: set[int], by_name: dict[str, list[int]], what: str, where: str) -> int:
    if value.isdigit() and int(value) in ids:
        return int(value)
    found = by_name.get(fold(value).strip(), [])
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise InvalidInput(f"{where}: {len(found)} {what}s are called {value!r}; give the id of the one you mean "
                           f"({', '.join(map(str, sorted(found)[:5]))}).")
    raise InvalidInput(f"{where}: there is no {what} {value!r} in this atlas (give its id or its exact name).")


def import_needs_offers(store: Store, path: Path, as_: str, *, layer: str | None = None, source: str,
                        replace: bool = False, progress: ProgressCallback = no_progress) -> ImportSummary:
    """Import every row of the table at ``path`` as a need (``as_="needs"``) or an offer."""
    started = time.perf_counter()
    side = SIDES[as_]
    file = str(path)
    progress("reading", 0, None)
    table = tables.read_table(path, layer)
    frame, rows = table.frame, table.rows
    progress("reading", len(frame), len(frame))
    matched = _match(frame)
    missing = [f for f in REQUIRED if f not in matched]
    if missing:
        raise InvalidInput(f"{file} has no {' or '.join(missing)} column; needs and offers are read from the columns "
                           "asset, kind, title, description, tags, quantity, unit, area_m2, annual_value and status. "
                           f"Its columns are: {', '.join(map(str, frame.columns))}.")
    unread = [c for c in frame.columns if c not in matched.values() and columns.text(frame[c]).notna().any()]
    if unread:
        # A misspelt column ("Quantiy") would otherwise lose every value in it without a word.
        raise InvalidInput(f"{file} has columns the atlas does not read: {', '.join(map(str, unread))}. Rename each "
                           f"to one of {', '.join(FIELDS)}, or remove it, and import again.")
    voc = vocabulary.load(store)
    asset_ids, asset_names = _lookup(store, "assets")
    feature_ids, feature_names = _lookup(store, "features")

    def cells(field: str) -> pd.Series:
        column = matched.get(field)
        if column is None:
            return pd.Series([None] * len(frame), index=frame.index, dtype=object)
        values = columns.text(frame[column]).astype(object)
        return values.where(values.notna(), None)

    def numbers(field: str) -> pd.Series:
        column = matched.get(field)
        if column is None:
            return pd.Series([float("nan")] * len(frame), index=frame.index)
        return columns.numbers(frame[column], file=file, rows=rows, column=column, integer=False)

    progress("checking", 0, len(frame))
    text = {f: cells(f) for f in ("source_id", "asset", "kind", "title", "description", "tags", "unit", "status",
                                  "site", "recorded_by")}
    nums = {f: numbers(f) for f in ("quantity", "area_m2", "annual_value")}
    ids = (columns.source_ids(frame, matched.get("source_id"), file=file, rows=rows)
           if "source_id" in matched else None)
    drafts: list[NeedOfferDraft] = []
    keys: list[str] = []
    for i in range(len(frame)):
        row = str(rows.iloc[i])

        def at(field: str, i: int = i, row: str = row) -> str:
            return _where(file, row, matched.get(field, field))

        asset = text["asset"].iloc[i]
        if asset is None:
            raise InvalidInput(f"{at('asset')}: the asset is empty; name the asset this {side} belongs to.")
        asset_id = _resolve(asset, asset_ids, asset_names, "asset", at("asset"))
        site = text["site"].iloc[i]
        feature_id = _resolve(site, feature_ids, feature_names, "site", at("site")) if site else None
        kind = (text["kind"].iloc[i] or "").strip().lower()
        status = (text["status"].iloc[i] or "open").strip().lower()
        if status not in NEED_OFFER_STATUSES:
            raise InvalidInput(f"{at('status')}: {status!r} is not one of {', '.join(NEED_OFFER_STATUSES)}.")

        def number(field: str, i: int = i) -> float | None:
            value = nums[field].iloc[i]
            return None if pd.isna(value) else float(value)

        draft = NeedOfferDraft(
            side=side, asset_id=asset_id, kind=kind, title=text["title"].iloc[i] or "",
            description=text["description"].iloc[i], tags=needs_offers.parse_tags(text["tags"].iloc[i]),
            quantity=number("quantity"), unit=text["unit"].iloc[i], annual_value=number("annual_value"),
            area_m2=number("area_m2"), status=status, feature_id=feature_id, recorded_by=text["recorded_by"].iloc[i],
        )
        found = needs_offers.problems(draft, voc)
        if found:
            problem = found[0]
            raise InvalidInput(f"{at(problem.field)}: {problem.message}")
        drafts.append(draft)
        keys.append(ids.iloc[i] if ids is not None else f"{asset_id}:{kind}:{fold(draft.title).strip()}")
    duplicate = pd.Series(keys).duplicated()
    if duplicate.any():
        i = int(duplicate.to_numpy().nonzero()[0][0])
        raise InvalidInput(f"{_where(file, str(rows.iloc[i]), matched['title'])}: the same {side} (asset, kind and "
                           "title) is listed twice; keep one, or give each row an id column.")
    progress("checking", len(frame), len(frame))
    progress("writing", 0, len(drafts))
    result = needs_offers.write(store, drafts, source=source, source_ids=keys, by=f"import of {path.name}",
                                vocabulary=voc, replace_source=replace)
    progress("writing", len(drafts), len(drafts))
    return ImportSummary(
        path=file, format=table.format, layer=table.layer, stored_as=as_, source=source, licence=None,
        crs="none (a table of records)", metric_epsg=store.settings.metric_epsg, read=len(frame),
        imported=result.inserted, updated=result.updated, removed=result.removed, repaired=0, skipped=0,
        skipped_report=None, seconds=time.perf_counter() - started,
        tables={as_: TableCounts(imported=result.inserted, updated=result.updated, removed=result.removed)},
    )
