"""The SQL of the spend import: finding the anchor, the matched assets' points, and
writing the lines (as atlas.writes does for assets: an Arrow table registered with the
connection, then one INSERT ... SELECT, so a million lines never pass through Python)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from rapidfuzz import fuzz, process

from atlas import audit
from atlas.errors import InvalidInput, NotFound
from atlas.models import WriteResult
from atlas.queries import id_by_name
from atlas.spend import coded
from atlas.store import Store
from atlas.writes import remove_missing

FIELDS = ("anchor_id", "supplier_name", "supplier_company_number", "supplier_postcode", "amount", "currency",
          "paid_on", "category", "supplier_asset_id", "match_method", "match_score", "candidate_asset_id",
          "supplier_lon", "supplier_lat", "placed_by")
"""The columns of spend_lines an import writes, besides source and source_id."""
_CLOSE_NAMES = 5


def anchor_id(store: Store, anchor: str | int) -> int:
    """The asset ``anchor`` names: its name (case and accents ignored; the lowest id if
    several share it), or its id (``12`` or ``asset:12``). NotFound lists close names."""
    text = str(anchor).strip()
    if not text:
        raise InvalidInput("Say whose spending the file lists: the name of an asset in the atlas.")
    found = id_by_name(store, "assets", text)
    if found is not None:
        return int(found)
    number = re.fullmatch(r"(?:asset:)?(\d+)", text)
    if number:
        row = store.con.execute("SELECT id FROM assets WHERE id = ?", [int(number.group(1))]).fetchone()
        if row:
            return int(row[0])
    names = [r[0] for r in store.con.execute("SELECT name FROM assets WHERE NOT person").fetchall()]
    close = [name for name, _score, _i in process.extract(text, names, scorer=fuzz.WRatio, limit=_CLOSE_NAMES,
                                                          score_cutoff=60)]
    hint = f" Close names: {'; '.join(dict.fromkeys(close))}." if close else " Import the anchor as an asset first."
    raise NotFound(f"No asset is called {text!r}, so the spend cannot be given to it.{hint}")


def asset_points(store: Store, ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    """WGS84 (lon, lat) of a point on each asset (assets are stored as points; a point on
    the surface keeps this true of any shape)."""
    if not ids:
        return {}
    table = pa.table({"id": pa.array(list(ids), type=pa.int64())})
    store.con.register("_spend_assets", table)
    try:
        rows = store.con.execute(
            "SELECT a.id, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom)) "
            "FROM assets a JOIN _spend_assets i ON a.id = i.id"
        ).fetchall()
    finally:
        store.con.unregister("_spend_assets")
    return {int(i): (float(x), float(y)) for i, x, y in rows}


def other_anchors(store: Store, source: str, anchor: int) -> list[str]:
    """Names of the other anchors whose spend is stored under ``source``: importing
    this anchor's file under the same source would take their lines over."""
    rows = store.con.execute(
        "SELECT DISTINCT a.name FROM spend_lines s JOIN assets a ON a.id = s.anchor_id "
        "WHERE s.source = ? AND s.anchor_id <> ? ORDER BY a.name",
        [source, anchor],
    ).fetchall()
    return [r[0] for r in rows]


def upsert_lines(store: Store, data: pa.Table, *, source: str, replace: bool) -> WriteResult:
    """Write spend lines keyed by (source, source_id): new keys are added, known ones
    updated in place where any field changed, and with ``replace`` the source's lines
    missing from ``data`` are removed. Runs inside the caller's transaction (or its own)."""
    con = store.con
    with store.transaction():
        con.register("_spend_in", data)
        try:
            # Lines still in the file are updated below, not deleted and inserted again.
            removed = remove_missing(store, "spend_lines", "_spend_in", source=source) if replace else 0
            updated = con.execute(
                "SELECT count(*) FROM spend_lines s JOIN _spend_in i ON s.source = ? AND s.source_id = i.source_id",
                [source],
            ).fetchone()[0]
            only_new, params = "", [source]
            if updated:
                # Only lines that changed are rewritten: DuckDB rewrites an updated row
                # whole, and importing the same file again (the usual re-import) then
                # costs a comparison, not a million row rewrites (70 s for 1M lines).
                sets = ", ".join(f"{f} = i.{f}" for f in FIELDS)
                changed = " OR ".join(f"spend_lines.{f} IS DISTINCT FROM i.{f}" for f in FIELDS)
                con.execute(
                    f"UPDATE spend_lines SET {sets}, imported_at = current_timestamp FROM _spend_in i "
                    f"WHERE spend_lines.source = ? AND spend_lines.source_id = i.source_id AND ({changed})",
                    [source],
                )
                only_new = " WHERE NOT EXISTS (SELECT 1 FROM spend_lines s WHERE s.source = ? " \
                           "AND s.source_id = i.source_id)"
                params.append(source)
            cols = ", ".join(FIELDS)
            con.execute(
                f"INSERT INTO spend_lines (source, source_id, imported_at, {cols}) "
                f"SELECT ?, i.source_id, current_timestamp, {', '.join(f'i.{f}' for f in FIELDS)} "
                f"FROM _spend_in i{only_new}",
                params,
            )
        finally:
            con.unregister("_spend_in")
        result = WriteResult(inserted=data.num_rows - int(updated), updated=int(updated), removed=int(removed))
        audit.record(store, entity="import", entity_id=f"spend_lines:{source}", action="import",
                     summary=f"spend lines from {source}: {result.inserted:,} added, {result.updated:,} updated, "
                             f"{result.removed:,} removed")
    return result


def arrow_lines(frame: pd.DataFrame, anchor: int, matched: dict[str, pa.Array]) -> pa.Table:
    """The lines of ``frame`` (atlas.spend.lines) for ``anchor``, with the supplier
    columns of ``matched`` (NULL where absent), as the Arrow table :func:`upsert_lines`
    writes. Coded text columns go over as dictionary arrays: no string per line."""
    n = len(frame)
    numbers = {"supplier_asset_id": pa.int64(), "candidate_asset_id": pa.int64(), "match_score": pa.float64(),
               "supplier_lon": pa.float64(), "supplier_lat": pa.float64()}
    columns: dict[str, pa.Array] = {
        "source_id": pa.array(frame["source_id"], type=pa.string(), from_pandas=True),
        "anchor_id": pa.array(np.full(n, anchor, dtype=np.int64)),
        "amount": pa.array(frame["amount"].to_numpy(dtype=float), type=pa.float64()),
        "paid_on": pa.array(frame["paid_on"].to_numpy(dtype="datetime64[D]"), type=pa.date32()),
    }
    for name in ("supplier_name", "supplier_company_number", "supplier_postcode", "currency", "category"):
        values = frame[name].cat
        columns[name] = coded.dictionary(values.codes.to_numpy(), values.categories.to_numpy(dtype=object))
    for name in ("supplier_asset_id", "match_method", "match_score", "candidate_asset_id", "supplier_lon",
                 "supplier_lat", "placed_by"):
        columns[name] = matched[name] if name in matched else pa.nulls(n, numbers.get(name, pa.string()))
    return pa.table({name: columns[name] for name in ("source_id", *FIELDS)})
