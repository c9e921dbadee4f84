"""360Giving grant data: who funded which organisation, how much, when.

Read as the standard publishes it: a JSON package (``{"grants": [{"id", "title",
"currency", "amountAwarded", "awardDate", "recipientOrganization": [{"id", "name",
"charityNumber", "companyNumber", "postalCode"}], "fundingOrganization": [{"id",
"name"}]}]}``) or its flat spreadsheet form (CSV or XLSX) with the standard's column
titles (``Identifier``, ``Title``, ``Currency``, ``Amount Awarded``, ``Award Date``,
``Recipient Org:Identifier``, ``Recipient Org:Name``, ``Recipient Org:Charity Number``,
``Recipient Org:Company Number``, ``Recipient Org:Postal Code``, ``Funding Org:Identifier``,
``Funding Org:Name``).

A recipient's numbers come from its own fields or from its org-id (``GB-CHC-1123456`` is
a charity number, ``GB-COH-01234567`` a company number). Each grant is linked to the
asset its recipient certainly is (:mod:`atlas.org_matching`); an uncertain match keeps
its candidate beside the grant, unlinked, and is listed; a recipient in the atlas's area
that is no asset is kept unlinked (grants never make assets). Grants to organisations
elsewhere, and to individuals, are skipped and listed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.errors import InvalidInput
from atlas.importers.columns import check_text, dates, name_key, numbers, shown
from atlas.importers.postcodes import display as postcode_display
from atlas.importers.postcodes import normalise_many
from atlas.importers.tables import read_table
from atlas.org_matching import (
    OrgMatch,
    OrgQuery,
    match_organisations,
    normalise_charity_number,
    normalise_company_number,
)
from atlas.registers.placing import OUTSIDE, AreaPostcodes, SkipLog
from atlas.registers.reading import cleaned
from atlas.registers.reports import UncertainRow
from atlas.store import Store

MAX_AMOUNT = 1e11
"""A grant above this (100 billion) is a wrong column or a slip, refused."""

FIELDS = ("id", "title", "currency", "amount", "award_date", "recipient_id", "recipient_name", "charity_number",
          "company_number", "postcode", "funder_id", "funder_name")
"""A grant's fields as read, from either form."""

# The standard's spreadsheet titles, and the JSON path each field is read from.
TITLES: dict[str, str] = {
    "id": "Identifier", "title": "Title", "currency": "Currency", "amount": "Amount Awarded",
    "award_date": "Award Date", "recipient_id": "Recipient Org:Identifier", "recipient_name": "Recipient Org:Name",
    "charity_number": "Recipient Org:Charity Number", "company_number": "Recipient Org:Company Number",
    "postcode": "Recipient Org:Postal Code", "funder_id": "Funding Org:Identifier", "funder_name": "Funding Org:Name",
}
JSON_PATHS: dict[str, str] = {
    "id": "id", "title": "title", "currency": "currency", "amount": "amountAwarded", "award_date": "awardDate",
    "recipient_id": "recipientOrganization/0/id", "recipient_name": "recipientOrganization/0/name",
    "charity_number": "recipientOrganization/0/charityNumber",
    "company_number": "recipientOrganization/0/companyNumber",
    "postcode": "recipientOrganization/0/postalCode", "funder_id": "fundingOrganization/0/id",
    "funder_name": "fundingOrganization/0/name",
}
_REQUIRED = ("id", "amount")
_INDIVIDUAL_TITLE = "Recipient Ind:Identifier"


@dataclass(frozen=True)
class Grants:
    """A grant file read: one row per grant (FIELDS, plus ``individual``), the row labels
    a person finds them by, each field's name in the file (for messages) and the format."""

    file: str
    frame: pd.DataFrame
    rows: pd.Series
    names: dict[str, str]
    format: str


def read_grants(path: Path) -> Grants:
    """Read a 360Giving JSON package or spreadsheet (nothing is checked yet)."""
    if path.suffix.lower() == ".json":
        return _read_json(path)
    return _read_sheet(path)


def _read_json(path: Path) -> Grants:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            package = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} could not be read as JSON ({exc}).") from None
    grants = package.get("grants") if isinstance(package, dict) else None
    if not isinstance(grants, list):
        raise InvalidInput(f"{path} is not a 360Giving package: it has no \"grants\" list at its top.")
    if not grants:
        raise InvalidInput(f"{path} holds no grants; there is nothing to import.")
    columns: dict[str, list[Any]] = {f: [] for f in FIELDS}
    individual: list[bool] = []
    for k, grant in enumerate(grants):
        if not isinstance(grant, dict):
            raise InvalidInput(f"{path} grant {k + 1}: is not an object with the grant's fields.")
        for f in FIELDS:
            columns[f].append(_at(grant, JSON_PATHS[f]))
        individual.append(bool(grant.get("recipientIndividual")) and not grant.get("recipientOrganization"))
    frame = pd.DataFrame({f: pd.Series(v, dtype=object) for f, v in columns.items()})
    frame["individual"] = individual
    rows = pd.Series([str(k + 1) for k in range(len(grants))])
    return Grants(file=str(path), frame=frame, rows=rows, names=JSON_PATHS, format="360Giving JSON")


def _at(value: Any, path: str) -> Any:
    """The value at a JSON path such as ``recipientOrganization/0/name`` (None if absent).
    Numbers stay numbers; objects and lists where text belongs are kept, to be refused."""
    for part in path.split("/"):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _read_sheet(path: Path) -> Grants:
    table = read_table(path)
    by_key = {name_key(c): c for c in table.frame.columns}
    names: dict[str, str] = {}
    for f, title in TITLES.items():
        if name_key(title) in by_key:
            names[f] = by_key[name_key(title)]
    missing = [TITLES[f] for f in (*_REQUIRED, "recipient_name") if f not in names]
    if missing:
        raise InvalidInput(f"{path} is not 360Giving grant data: it has no column {', '.join(missing)} "
                           f"(the standard's titles). Its columns are {', '.join(map(str, table.frame.columns))}.")
    frame = pd.DataFrame({f: table.frame[names[f]].astype(object).to_numpy() if f in names else None
                          for f in FIELDS})
    individual_column = by_key.get(name_key(_INDIVIDUAL_TITLE))
    frame["individual"] = (cleaned(table.frame[individual_column]).notna().to_numpy() if individual_column
                           else np.zeros(len(frame), dtype=bool))
    frame = frame.replace({"": None})
    return Grants(file=str(path), frame=frame, rows=table.rows.reset_index(drop=True), names=names,
                  format=f"360Giving {table.format}")


@dataclass(frozen=True)
class CheckedGrants:
    """Grants checked and ready to match: FIELDS parsed (``amount`` a float, ``award_date``
    a date, numbers normalised, ``postcode`` the lookup's key), with their row labels."""

    frame: pd.DataFrame
    rows: pd.Series


def check(grants: Grants, *, currency: str, skips: SkipLog) -> CheckedGrants:
    """Check every grant: one InvalidInput names the file, grant (row) and field of the
    first bad value. Grants to individuals are listed as skipped."""
    file, rows = grants.file, grants.rows
    frame = grants.frame
    individual = frame["individual"].to_numpy(dtype=bool) & cleaned(_column(frame, "recipient_name")).isna().to_numpy()
    for i in np.flatnonzero(individual):
        skips.add(file, rows.iloc[i], grants.names.get("recipient_name", TITLES["recipient_name"]),
                  "a grant to an individual, not an organisation", kind="individual")
    frame = frame[~individual].reset_index(drop=True)
    rows = rows[~individual].reset_index(drop=True)

    def where(f: str) -> str:
        return grants.names.get(f, TITLES[f])

    out = pd.DataFrame(index=frame.index)
    for f in ("id", "title", "recipient_id", "recipient_name", "funder_id", "funder_name"):
        values = _texts(_column(frame, f), file=file, rows=rows, column=where(f))
        check_text(values, file=file, rows=rows, column=where(f), name=f in ("id", "recipient_name", "funder_name"))
        out[f] = values
    for f in ("id", "recipient_name"):
        empty = np.flatnonzero(out[f].isna().to_numpy())
        if len(empty):
            raise InvalidInput(f"{file} row {rows.iloc[empty[0]]}, field {where(f)}: it is empty; every grant "
                               f"needs {'an identifier' if f == 'id' else 'its recipient named'}.")
    dupes = out["id"].duplicated(keep="first").to_numpy()
    if dupes.any():
        at = int(np.flatnonzero(dupes)[0])
        first = int(np.flatnonzero((out["id"] == out["id"].iloc[at]).to_numpy())[0])
        raise InvalidInput(f"{file} row {rows.iloc[at]}, field {where('id')}: {shown(out['id'].iloc[at])} repeats "
                           f"row {rows.iloc[first]}; grant identifiers are unique.")
    out["amount"] = _amounts(_column(frame, "amount"), file=file, rows=rows, column=where("amount"))
    out["currency"] = _currencies(_column(frame, "currency"), currency, file=file, rows=rows,
                                  column=where("currency"))
    out["award_date"] = dates(_column(frame, "award_date"), file=file, rows=rows, column=where("award_date"))
    recipient_ids = out["recipient_id"].fillna("").str.upper().to_numpy(dtype=object)
    out["charity_number"] = [
        normalise_charity_number(v) or (normalise_charity_number(r[7:]) if r.startswith("GB-CHC-") else None)
        for v, r in zip(_column(frame, "charity_number").to_numpy(dtype=object), recipient_ids, strict=True)]
    out["company_number"] = [
        normalise_company_number(v) or (normalise_company_number(r[7:]) if r.startswith("GB-COH-") else None)
        for v, r in zip(_column(frame, "company_number").to_numpy(dtype=object), recipient_ids, strict=True)]
    out["postcode_raw"] = cleaned(_column(frame, "postcode"))
    out["postcode"] = normalise_many(out["postcode_raw"])
    return CheckedGrants(frame=out, rows=rows)


def _column(frame: pd.DataFrame, f: str) -> pd.Series:
    return frame[f] if f in frame else pd.Series([None] * len(frame), dtype=object)


def _texts(values: pd.Series, *, file: str, rows: pd.Series, column: str) -> pd.Series:
    """Text cells; a JSON object or list where text belongs is refused."""
    cells = values.to_numpy(dtype=object)
    for i, v in enumerate(cells):
        if isinstance(v, (dict, list)):
            raise InvalidInput(f"{file} row {rows.iloc[i]}, field {column}: {shown(v)} is not text.")
    return cleaned(pd.Series(cells, dtype=object))


def _amounts(values: pd.Series, *, file: str, rows: pd.Series, column: str) -> np.ndarray:
    """Amounts as numbers: ``1200``, ``"1,200"`` and ``"£1,200"`` alike; anything else,
    an empty amount, a negative one or an absurd one is refused."""
    cells = values.to_numpy(dtype=object)
    for i, v in enumerate(cells):
        if isinstance(v, (bool, dict, list)):
            raise InvalidInput(f"{file} row {rows.iloc[i]}, field {column}: {shown(v)} is not an amount.")
    amounts = numbers(pd.Series(cells, dtype=object), file=file, rows=rows, column=column,
                      integer=False).to_numpy(dtype=float)
    for bad, why in ((np.isnan(amounts), "is empty; every grant has the amount awarded"),
                     (amounts > MAX_AMOUNT, f"is more than {MAX_AMOUNT:,.0f}; is it the right column?")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInput(f"{file} row {rows.iloc[i]}, field {column}: {shown(cells[i])} {why}.")
    return amounts


def _currencies(values: pd.Series, default: str, *, file: str, rows: pd.Series, column: str) -> list[str]:
    out: list[str] = []
    for i, v in enumerate(cleaned(values.astype(object)).to_numpy(dtype=object)):
        if v is None:
            out.append(default)
        elif re.fullmatch(r"[A-Za-z]{3}", v):
            out.append(v.upper())
        else:
            raise InvalidInput(f"{file} row {rows.iloc[i]}, field {column}: {shown(v)} is not a three-letter "
                               "currency code (such as GBP).")
    return out


@dataclass(frozen=True)
class Linked:
    """The grants to keep, as the Arrow table ``upsert_grants`` takes, and the uncertain ones."""

    table: pa.Table
    uncertain: list[UncertainRow]


def link(store: Store, grants: CheckedGrants, *, file: str, names: dict[str, str], skips: SkipLog) -> Linked:
    """Match each grant's recipient to the assets and keep the grants of the area."""
    frame, rows = grants.frame, grants.rows
    queries = [OrgQuery(name=r["recipient_name"], company_number=r["company_number"],
                        charity_number=r["charity_number"], postcode=r["postcode"]) for r in frame.to_dict("records")]
    matches: list[OrgMatch] = match_organisations(store, queries)
    placed = AreaPostcodes(store).place(frame["postcode"])
    keep = np.zeros(len(frame), dtype=bool)
    uncertain: list[UncertainRow] = []
    postcode_column = names.get("postcode", TITLES["postcode"])
    for i, match in enumerate(matches):
        if match.uncertain:
            uncertain.append(UncertainRow(file=file, row=rows.iloc[i], name=frame["recipient_name"].iloc[i],
                                          candidate_asset_id=match.candidate_id,
                                          candidate_name=match.candidate_name or "", score=match.score,
                                          reason=match.reason))
        if match.asset_id is not None or match.uncertain or placed.in_area[i]:
            keep[i] = True
        else:
            skips.add(file, rows.iloc[i], postcode_column, _why_not(frame, placed.outside, i),
                      kind=_kind(frame, placed.outside, i))
    kept = frame[keep]
    kept_matches = [m for m, k in zip(matches, keep, strict=True) if k]
    amount = kept["amount"].to_numpy(dtype=float)
    table = pa.table({
        "source_id": _arrow(kept["id"], pa.string()),
        "title": _arrow(kept["title"], pa.string()),
        "funder": _arrow(kept["funder_name"], pa.string()),
        "recipient_name": _arrow(kept["recipient_name"], pa.string()),
        "recipient_company_number": _arrow(kept["company_number"], pa.string()),
        "recipient_charity_number": _arrow(kept["charity_number"], pa.string()),
        "recipient_postcode": _arrow(kept["postcode"], pa.string()),
        "amount": pa.array(amount, type=pa.float64()),
        "currency": _arrow(kept["currency"], pa.string()),
        "awarded_on": _arrow(kept["award_date"], pa.date32()),
        "asset_id": pa.array([m.asset_id for m in kept_matches], type=pa.int64()),
        "match_method": pa.array([m.method for m in kept_matches], type=pa.string()),
        "match_score": pa.array([m.score for m in kept_matches], type=pa.float64()),
        "candidate_asset_id": pa.array([m.candidate_id for m in kept_matches], type=pa.int64()),
    })
    return Linked(table=table, uncertain=uncertain)


def _arrow(values: pd.Series, type_: pa.DataType) -> pa.Array:
    """A column as Arrow, gaps (None or NaN, as pandas mixes them) as nulls."""
    return pa.array(values.to_numpy(dtype=object), type=type_, from_pandas=True)


def _why_not(frame: pd.DataFrame, outside: np.ndarray, i: int) -> str:
    raw, key = frame["postcode_raw"].iloc[i], frame["postcode"].iloc[i]
    if raw is None:
        return "the recipient is no asset of the atlas and the grant gives no postcode to place it"
    if key is None:
        return f"the recipient is no asset of the atlas and {shown(raw)} is not a UK postcode"
    if outside[i]:
        return f"{OUTSIDE} (postcode {postcode_display(key)}); the recipient is no asset of the atlas"
    return (f"the recipient is no asset of the atlas and postcode {postcode_display(key)} is not in the postcode "
            "lookup (load one with atlas import-postcodes)")


def _kind(frame: pd.DataFrame, outside: np.ndarray, i: int) -> str:
    if frame["postcode"].iloc[i] is None:
        return "no postcode"
    return OUTSIDE if outside[i] else "postcode not in the lookup"


__all__ = ["FIELDS", "JSON_PATHS", "MAX_AMOUNT", "TITLES", "CheckedGrants", "Grants", "Linked", "check", "link",
           "read_grants"]
