"""Importing a register of organisations (Companies House, a charity register): the part
both share.

Reading: the file is read in chunks (:mod:`atlas.registers.reading`); a row is kept when
its postcode lies in the atlas's area, or when its company or charity number is one the
store already holds (the organisation is in the atlas, its registered office elsewhere).
Other rows are skipped and listed with the reason (:mod:`atlas.registers.placing`). Only
the kept rows are checked and parsed, by the register's own module, into *records*: a
frame of the columns in :data:`RECORD_COLUMNS`.

Deciding: each record is matched to the assets (:func:`atlas.org_matching.match_organisations`).
A certain match gets the record as its registration and nothing else of the asset changes,
except that a social enterprise or charity with no sector is put in the social sector. An
uncertain match is neither merged nor made a new asset: it is listed for a person to
decide. No match makes a new asset at the postcode, unless the organisation has closed.
An asset this source made before is its own: a re-import updates its name and place too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atlas import writes
from atlas.errors import InvalidInput
from atlas.importers import BULK_ROWS
from atlas.importers.columns import shown
from atlas.importers.postcodes import display as postcode_display
from atlas.importers.summary import ProgressCallback, no_progress
from atlas.models import WriteResult
from atlas.org_matching import (
    OrgMatch,
    OrgQuery,
    match_organisations,
    normalise_charity_number,
)
from atlas.projection import WGS84
from atlas.registers import reading
from atlas.registers import store as sql
from atlas.registers.placing import OUTSIDE, AreaPostcodes, SkipLog
from atlas.registers.reports import UncertainRow
from atlas.store import Store, utc_now

RECORD_COLUMNS = (
    "row", "key", "name", "company_number", "charity_number", "postcode", "lon", "lat", "in_area", "legal_form",
    "status", "active", "closed_reason", "incorporated_on", "dissolved_on", "income", "sic_codes",
    "register_sector", "social_enterprise", "social_enterprise_reason", "category", "sector", "description",
)
"""What a register module makes of each kept row. ``key`` is the number the asset is kept
under (its source id); ``active`` False with ``closed_reason`` for a closed organisation;
``social_enterprise`` None where the register says nothing of it."""


@dataclass(frozen=True)
class Context:
    """What a register module needs to parse kept rows: the file's name for messages, the
    columns found (field -> the file's column, as written) and the skipped-rows log."""

    file: str
    columns: Mapping[str, str]
    skips: SkipLog

    def column(self, field_name: str) -> str:
        return self.columns[field_name].strip()


RecordMaker = Callable[[pd.DataFrame, pd.Series, Context], pd.DataFrame]
"""Kept rows (one column per field found, plus ``postcode_key``, ``lon``, ``lat`` and
``in_area``) and their row labels -> records (RECORD_COLUMNS)."""


@dataclass(frozen=True)
class RegisterFormat:
    """One kind of register file: its name (``label``, as a summary shows it; ``what``, as
    an error says "FILE is not ..."), the columns it has (field -> the names people give
    it), which it must have, and the module that reads its rows."""

    label: str
    what: str
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    records: RecordMaker


@dataclass
class Read:
    """A register file read: its records, rows read, the skipped rows, the file's name
    and columns."""

    file: str
    records: pd.DataFrame
    read: int
    skips: SkipLog
    columns: Mapping[str, str]

    def column(self, field_name: str) -> str:
        """The file's column of a field, as a message names it (the field if it has none)."""
        return self.columns.get(field_name, field_name).strip()


def read_register(store: Store, path: Path, fmt: RegisterFormat,
                  progress: ProgressCallback = no_progress) -> Read:
    """Read, place and parse a register file (nothing is written)."""
    found = reading.layout(path)
    columns = found.columns(fmt.columns, required=fmt.required, what=fmt.what)
    file = found.file
    skips = SkipLog()
    ctx = Context(file=file, columns=columns, skips=skips)
    area = AreaPostcodes(store)
    known_companies, known_charities = sql.known_numbers(store)
    parts: list[pd.DataFrame] = []
    read = placeable = 0
    first_bad: tuple[str, object] | None = None
    postcode_column = ctx.column("postcode")
    for chunk in reading.read_chunks(path, found, columns):
        read += chunk.cells.num_rows
        raw = chunk.cells.column("postcode").combine_chunks()
        keys = reading.postcode_keys(raw)
        present = pc.is_valid(raw).to_numpy(zero_copy_only=False)
        valid = pc.is_valid(keys).to_numpy(zero_copy_only=False)
        placeable += int(valid.sum())
        if first_bad is None and (present & ~valid).any():
            i = int(np.flatnonzero(present & ~valid)[0])
            first_bad = (str(chunk.rows[i]), raw[i].as_py())
        placed = area.place(keys)
        by_number = _known_by_number(chunk, ~placed.in_area, known_companies, known_charities)
        keep = placed.in_area | by_number
        _skip(skips, file, postcode_column, chunk.rows, raw, keys, placed.outside, keep)
        if keep.any():
            kept = chunk.frame(keep)
            kept["postcode_key"] = pd.Series(keys.filter(pa.array(keep)).to_numpy(zero_copy_only=False),
                                             dtype=object)
            kept["lon"] = placed.lon[keep]
            kept["lat"] = placed.lat[keep]
            kept["in_area"] = placed.in_area[keep]
            parts.append(fmt.records(kept, pd.Series(chunk.rows[keep].astype(str)), ctx))
        progress("reading", read, None)
    if read == 0:
        raise InvalidInput(f"{file} has a header but no rows; there is nothing to import.")
    if not placeable and first_bad is not None:
        row, value = first_bad
        raise InvalidInput(f"{file} row {row}, field {postcode_column}: {shown(value)} is not a UK postcode, and "
                           "no row of the file has one; is it the right column, and the right file?")
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(RECORD_COLUMNS))
    _refuse_repeats(records, file, ctx)
    return Read(file=file, records=records, read=read, skips=skips, columns=columns)


def _known_by_number(chunk: reading.Chunk, candidates: np.ndarray, companies: set[str],
                     charities: set[str]) -> np.ndarray:
    """Which rows (among ``candidates``) carry a company or charity number the store holds."""
    hit = np.zeros(chunk.cells.num_rows, dtype=bool)
    names = chunk.cells.column_names
    if companies and "company_number" in names:
        keys = reading.company_keys(chunk.cells.column("company_number").combine_chunks())
        known = pa.array(sorted(companies), type=pa.string())
        hit |= pc.fill_null(pc.is_in(keys, value_set=known), False).to_numpy(zero_copy_only=False) & candidates
    if charities and "charity_number" in names:
        values = chunk.cells.column("charity_number").to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(candidates & ~hit):
            if normalise_charity_number(values[i]) in charities:
                hit[i] = True
    return hit


def _skip(skips: SkipLog, file: str, column: str, rows: np.ndarray, raw: pa.Array, keys: pa.Array,
          outside: np.ndarray, keep: np.ndarray) -> None:
    """List the rows not kept, each with why (asking the reason only of rows listed)."""
    present = pc.is_valid(raw).to_numpy(zero_copy_only=False)
    valid = pc.is_valid(keys).to_numpy(zero_copy_only=False)
    missing = ~present & ~keep
    invalid = present & ~valid & ~keep
    far = outside & ~keep
    unknown = valid & ~outside & ~keep

    def cell(values: pa.Array, where: np.ndarray) -> Callable[[int], object]:
        at = np.flatnonzero(where)
        return lambda j: values[int(at[j])].as_py()

    skips.add_rows(file, rows[missing], column, "no postcode",
                   lambda j: "no postcode, so the organisation cannot be placed")
    bad = cell(raw, invalid)
    skips.add_rows(file, rows[invalid], column, "not a UK postcode", lambda j: f"{shown(bad(j))} is not a UK postcode")
    unknown_key = cell(keys, unknown)
    skips.add_rows(file, rows[unknown], column, "postcode not in the lookup",
                   lambda j: f"postcode {postcode_display(str(unknown_key(j)))} is not in the postcode lookup "
                             "(load one with atlas import-postcodes)")
    far_key = cell(keys, far)
    skips.add_rows(file, rows[far], column, OUTSIDE,
                   lambda j: f"{OUTSIDE} (postcode {postcode_display(str(far_key(j)))})")


def _refuse_repeats(records: pd.DataFrame, file: str, ctx: Context) -> None:
    dupes = records["key"].duplicated(keep="first").to_numpy()
    if dupes.any():
        i = int(np.flatnonzero(dupes)[0])
        first = int(np.flatnonzero((records["key"] == records["key"].iloc[i]).to_numpy())[0])
        raise InvalidInput(f"{file} row {records['row'].iloc[i]}: number {records['key'].iloc[i]} repeats row "
                           f"{records['row'].iloc[first]}; each organisation may appear once.")


@dataclass
class Decisions:
    """What becomes of each record (by its index): a registration on another source's
    asset (``matched``: -> asset id), an update of an asset this source made (``own``:
    -> asset id), a new asset (``new``), listed as uncertain, or skipped."""

    matched: dict[int, int] = field(default_factory=dict)
    own: dict[int, int] = field(default_factory=dict)
    new: list[int] = field(default_factory=list)
    uncertain: list[UncertainRow] = field(default_factory=list)


def decide(store: Store, records: pd.DataFrame, *, source: str, file: str, skips: SkipLog,
           name_column: str, status_column: str) -> Decisions:
    """Match each record to the assets and decide what it becomes (see the module)."""
    decisions = Decisions()
    if records.empty:
        return decisions
    rows = records.to_dict("records")
    queries = [OrgQuery(name=r["name"], company_number=r["company_number"], charity_number=r["charity_number"],
                        postcode=r["postcode"]) for r in rows]
    matches = match_organisations(store, queries)
    own_assets = sql.source_assets(store, source)
    own_by_key = {key: asset_id for asset_id, key in own_assets.items()}
    claimed: dict[int, str] = {}  # asset id -> the row that claimed it
    for i, (record, match) in enumerate(zip(rows, matches, strict=True)):
        asset_id = match.asset_id
        if asset_id is None and record["key"] in own_by_key:
            # This source's asset under the same number, whose registration has gone
            # (another register's replace took it): the same organisation, whatever a
            # name at a postcode suggests.
            asset_id = own_by_key[record["key"]]
            match = OrgMatch(asset_id=asset_id, method="source id", score=100.0)
        if asset_id is not None and asset_id in claimed:
            decisions.uncertain.append(UncertainRow(
                file=file, row=record["row"], name=record["name"], candidate_asset_id=asset_id,
                candidate_name=match.candidate_name or "", score=match.score,
                reason=f"row {claimed[asset_id]} of this file matched the same asset; check which it is"))
        elif asset_id is not None:
            claimed[asset_id] = record["row"]
            (decisions.own if asset_id in own_assets else decisions.matched)[i] = asset_id
        elif match.uncertain:
            decisions.uncertain.append(UncertainRow(
                file=file, row=record["row"], name=record["name"], candidate_asset_id=match.candidate_id,
                candidate_name=match.candidate_name or "", score=match.score, reason=match.reason))
        elif not record["active"]:
            skips.add(file, record["row"], status_column, f"{record['closed_reason']}; not added as a new asset",
                      kind="closed")
        elif not record["in_area"]:
            skips.add(file, record["row"], name_column, f"{OUTSIDE}: no asset with this number", kind=OUTSIDE)
        else:
            decisions.new.append(i)
    return decisions


@dataclass(frozen=True)
class Written:
    """What the writes did, per table."""

    assets: WriteResult
    registrations: WriteResult
    made_social: int


def write(store: Store, records: pd.DataFrame, decisions: Decisions, *, source: str, licence: str | None,
          replace: bool) -> Written:
    """Write the decisions in one transaction (a bulk load from BULK_ROWS rows)."""
    frame = _asset_frame(store, records, decisions)
    with _transaction(store, 2 * len(frame) + len(decisions.matched)):
        assets = writes.upsert_assets(store, frame, source=source, licence=licence, replace=replace)
        targets: dict[int, int] = {**decisions.matched, **decisions.own}
        if decisions.new:
            by_key = {key: asset_id for asset_id, key in sql.source_assets(store, source).items()}
            targets.update({i: by_key[records["key"].iloc[i]] for i in decisions.new})
        registrations = sql.upsert_registrations(store, _registration_table(records, targets), source=source,
                                                 replace=replace, now=utc_now())
        social = [asset_id for i, asset_id in decisions.matched.items() if records["sector"].iloc[i] == "social"]
        made_social = sql.mark_social(store, social)
    return Written(assets=assets, registrations=registrations, made_social=made_social)


@contextlib.contextmanager
def _transaction(store: Store, rows: int) -> Iterator[Store]:
    with (store.bulk_load() if rows >= BULK_ROWS else store.transaction()) as s:
        yield s


def _asset_frame(store: Store, records: pd.DataFrame, decisions: Decisions) -> gpd.GeoDataFrame:
    """New assets, and the assets this source made before: their name and place from the
    register (a row placed elsewhere leaves the place as it was), the fields people keep
    (CARRIED_FIELDS) as they are. Every asset of the source is written, so that with
    ``replace`` only those the file no longer has are removed."""
    new = records.iloc[decisions.new]
    frame = pd.DataFrame({
        "source_id": new["key"].to_numpy(dtype=object),
        "name": new["name"].to_numpy(dtype=object),
        "sector": new["sector"].to_numpy(dtype=object),
        "category": new["category"].to_numpy(dtype=object),
        "asset_type": "community",
        "description": new["description"].to_numpy(dtype=object),
        "lon": new["lon"].to_numpy(dtype=float),
        "lat": new["lat"].to_numpy(dtype=float),
    })
    if decisions.own:
        order = list(decisions.own)
        own = records.iloc[order].reset_index(drop=True)
        kept = sql.carried_values(store, [decisions.own[i] for i in order])
        placed = own["in_area"].to_numpy(dtype=bool)
        kept["name"] = own["name"]
        kept["lon"] = np.where(placed, own["lon"].to_numpy(dtype=float), kept["lon"].to_numpy(dtype=float))
        kept["lat"] = np.where(placed, own["lat"].to_numpy(dtype=float), kept["lat"].to_numpy(dtype=float))
        for column in ("sector", "category"):
            kept[column] = kept[column].where(kept[column].notna(), own[column])
        frame = pd.concat([frame, kept], ignore_index=True)
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs=WGS84)
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=geometry, crs=WGS84)


def _column(rows: pd.DataFrame, name: str, type_: pa.DataType) -> pa.Array:
    """A records column as Arrow, gaps (None or NaN, as pandas mixes them) as nulls."""
    return pa.array(rows[name].to_numpy(dtype=object), type=type_, from_pandas=True)


def _registration_table(records: pd.DataFrame, targets: dict[int, int]) -> pa.Table:
    order = sorted(targets)
    rows = records.iloc[order]
    sic = [list(v) for v in rows["sic_codes"]]
    income = rows["income"].to_numpy(dtype=float, na_value=np.nan)
    return pa.table({
        "asset_id": pa.array([targets[i] for i in order], type=pa.int64()),
        "company_number": _column(rows, "company_number", pa.string()),
        "charity_number": _column(rows, "charity_number", pa.string()),
        "legal_form": _column(rows, "legal_form", pa.string()),
        "status": _column(rows, "status", pa.string()),
        "incorporated_on": _column(rows, "incorporated_on", pa.date32()),
        "dissolved_on": _column(rows, "dissolved_on", pa.date32()),
        "income": pa.array(income, mask=np.isnan(income), type=pa.float64()),
        "postcode": _column(rows, "postcode", pa.string()),
        "sic_codes": pa.array(sic, type=pa.list_(pa.string())),
        "has_sic": pa.array([bool(s) for s in sic], type=pa.bool_()),
        "register_sector": _column(rows, "register_sector", pa.string()),
        "social_enterprise": _column(rows, "social_enterprise", pa.bool_()),
        "social_enterprise_reason": _column(rows, "social_enterprise_reason", pa.string()),
    }, schema=sql.REGISTRATION_SCHEMA)


__all__ = ["RECORD_COLUMNS", "Context", "Decisions", "Read", "RegisterFormat", "Written", "decide",
           "read_register", "write"]
