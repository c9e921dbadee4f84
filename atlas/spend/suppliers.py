"""Who each line's supplier is, and where.

Suppliers are matched once each, not once a line: a million lines name a few thousand
distinct (name, company number, charity number, postcode) suppliers, and the decision of
:func:`atlas.org_matching.match_organisations` for each is spread back over its lines
with one array take. A certain match sets the line's ``supplier_asset_id``; an uncertain
one only its ``candidate_asset_id`` and score, and the supplier is listed for a person to
decide (never merged).

Place, in order: the postcode the file gives, looked up in the store's postcode table
(``placed_by`` "postcode"); else the point of the asset the supplier certainly matched
("asset"); else none (``placed_by`` NULL: a report counts the spend as of unknown
location, never as local). A candidate of an uncertain match never places a supplier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.importers import postcode_store
from atlas.org_matching import OrgQuery, match_organisations
from atlas.spend import coded
from atlas.spend import store as spend_store
from atlas.store import Store

KEY = ("supplier_name", "supplier_company_number", "supplier_charity_number", "supplier_postcode")
"""What makes two lines' suppliers the same supplier."""


@dataclass(frozen=True)
class Uncertain:
    """A supplier that may be an asset already: listed, not merged."""

    supplier_name: str
    company_number: str | None
    postcode: str | None
    lines: int
    amount: float
    candidate_asset_id: int
    candidate_name: str | None
    score: float | None
    reason: str


@dataclass(frozen=True)
class Matched:
    """Per line, as Arrow arrays ready for the store: the matched asset and how, the
    candidate of an uncertain match, and the supplier's WGS84 point with what placed it.
    ``suppliers`` counts distinct suppliers."""

    columns: dict[str, pa.Array]
    uncertain: list[Uncertain]
    suppliers: int


def supplier_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(code of each line's supplier, the first line of each supplier). The key columns
    are coded (atlas.spend.coded), so suppliers are told apart by integers."""
    keys = pd.DataFrame({c: frame[c].cat.codes.to_numpy() for c in KEY})
    codes = keys.groupby(list(KEY), sort=False).ngroup().to_numpy(dtype=np.int64)
    first = np.unique(codes, return_index=True)[1]
    return codes, first


def match(store: Store, frame: pd.DataFrame) -> Matched:
    """Match and place the suppliers of ``frame`` (the columns of atlas.spend.lines)."""
    codes, first = supplier_codes(frame)

    def column(name: str) -> list[str | None]:
        values = frame[name].iloc[first]
        return [None if pd.isna(v) else str(v) for v in values.to_numpy(dtype=object)]

    names, companies, charities, postcodes = (column(c) for c in KEY)
    found = match_organisations(store, [
        OrgQuery(name=nm or "", company_number=co, charity_number=ch, postcode=pc_)
        for nm, co, ch, pc_ in zip(names, companies, charities, postcodes, strict=True)
    ])
    k = len(first)
    asset = np.array([m.asset_id if m.asset_id is not None else -1 for m in found], dtype=np.int64)
    candidate = np.array([m.candidate_id if m.uncertain else -1 for m in found], dtype=np.int64)
    method = [m.method if m.asset_id is not None else None for m in found]
    score = np.array([m.score if (m.asset_id is not None or m.uncertain) and m.score is not None else np.nan
                      for m in found], dtype=float)

    lon, lat = postcode_store.lookup(store, postcodes)
    placed: list[str | None] = [None if np.isnan(x) else "postcode" for x in lon]
    points = spend_store.asset_points(store, sorted({int(a) for a in asset if a >= 0}))
    for i in np.flatnonzero(np.isnan(lon) & (asset >= 0)):
        point = points.get(int(asset[i]))
        if point is not None:
            lon[i], lat[i] = point
            placed[i] = "asset"

    amounts = frame["amount"].to_numpy(dtype=float)
    total = np.bincount(codes, weights=amounts, minlength=k)
    count = np.bincount(codes, minlength=k)
    uncertain = [
        Uncertain(supplier_name=names[i] or "", company_number=companies[i], postcode=postcodes[i],
                  lines=int(count[i]), amount=float(total[i]), candidate_asset_id=int(candidate[i]),
                  candidate_name=found[i].candidate_name, score=found[i].score, reason=found[i].reason)
        for i in np.flatnonzero(candidate >= 0)
    ]
    columns = {
        "supplier_asset_id": _ids(asset[codes]),
        "match_method": _texts(method, codes),
        "match_score": pa.array(score[codes], type=pa.float64(), from_pandas=True),
        "candidate_asset_id": _ids(candidate[codes]),
        "supplier_lon": pa.array(lon[codes], type=pa.float64(), from_pandas=True),
        "supplier_lat": pa.array(lat[codes], type=pa.float64(), from_pandas=True),
        "placed_by": _texts(placed, codes),
    }
    return Matched(columns=columns, uncertain=uncertain, suppliers=k)


def _ids(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=values < 0, type=pa.int64())


def _texts(per_supplier: list[str | None], codes: np.ndarray) -> pa.Array:
    """A per-supplier text spread over the lines, as a dictionary array."""
    again, distinct = coded.mapped(np.arange(len(per_supplier)), np.asarray(per_supplier, dtype=object),
                                   lambda v: v)
    return coded.dictionary(again[codes], distinct)
