"""Companies House "basic company data": the monthly CSV of every live company (about
five million rows), with its header as published::

    CompanyName, CompanyNumber,RegAddress.CareOf,...,RegAddress.PostCode,CompanyCategory,
    CompanyStatus,CountryOfOrigin,DissolutionDate,IncorporationDate,...,SICCode.SicText_1,
    ...,SICCode.SicText_4,...,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName,...

Dates are written ``31/12/2019``; SIC entries ``"88990 - Other social work activities
without accommodation n.e.c."``. A company is placed by its registered office's postcode;
its legal form (``CompanyCategory``) says whether it is a social enterprise
(:mod:`atlas.registers.social_enterprise`) and its first SIC code its sector
(:mod:`atlas.registers.sectors`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from atlas.errors import InvalidInput
from atlas.importers.columns import check_text, dates, shown
from atlas.org_matching import normalise_company_number
from atlas.registers.organisations import RECORD_COLUMNS, Context, RegisterFormat
from atlas.registers.reading import cleaned
from atlas.registers.sectors import register_sector, sic_code
from atlas.registers.social_enterprise import companies_house_form

_SIC_FIELDS = ("sic_1", "sic_2", "sic_3", "sic_4")
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("CompanyName", "company_name"),
    "company_number": ("CompanyNumber", "company_number"),
    "postcode": ("RegAddress.PostCode", "reg_address_post_code", "postcode"),
    "category": ("CompanyCategory", "company_category", "company_type"),
    "status": ("CompanyStatus", "company_status"),
    "incorporated_on": ("IncorporationDate", "incorporation_date", "date_of_creation"),
    "dissolved_on": ("DissolutionDate", "dissolution_date", "date_of_cessation"),
    **{f: (f"SICCode.SicText_{i}", f"sic_code_sic_text_{i}", f"sic_text_{i}") for i, f in enumerate(_SIC_FIELDS, 1)},
}
REQUIRED = ("name", "company_number", "postcode", "category", "status", "incorporated_on")
_NO_SIC = {"none supplied"}
_LIVE_STATUSES = ("active", "active - proposal to strike off")
"""Statuses of a company that is still there. Liquidation, administration, receivership,
dissolved and converted/closed companies are not made new assets."""


def records(kept: pd.DataFrame, rows: pd.Series, ctx: Context) -> pd.DataFrame:
    """Records (RECORD_COLUMNS) of the kept rows of a basic company data file, every
    value checked: one InvalidInput names file, row and column of the first bad one."""
    file = ctx.file
    names = cleaned(kept["name"])
    check_text(names, file=file, rows=rows, column=ctx.column("name"), name=True)
    empty = np.flatnonzero(names.isna().to_numpy())
    if len(empty):
        raise InvalidInput(f"{file} row {rows.iloc[empty[0]]}, field {ctx.column('name')}: the name is empty.")
    numbers = _company_numbers(kept["company_number"], rows, ctx)
    categories = cleaned(kept["category"])
    check_text(categories, file=file, rows=rows, column=ctx.column("category"))
    statuses = cleaned(kept["status"])
    check_text(statuses, file=file, rows=rows, column=ctx.column("status"))
    incorporated = _past_dates(kept["incorporated_on"], rows, ctx, "incorporated_on")
    dissolved = (_past_dates(kept["dissolved_on"], rows, ctx, "dissolved_on") if "dissolved_on" in kept
                 else pd.Series([None] * len(kept), dtype=object))
    sic = _sic_codes(kept, rows, ctx)
    forms = [companies_house_form(c) for c in categories]
    out = pd.DataFrame({
        "row": rows.to_numpy(dtype=object),
        "key": numbers,
        "name": names.to_numpy(dtype=object),
        "company_number": numbers,
        "charity_number": None,
        "postcode": kept["postcode_key"].to_numpy(dtype=object),
        "lon": kept["lon"].to_numpy(dtype=float),
        "lat": kept["lat"].to_numpy(dtype=float),
        "in_area": kept["in_area"].to_numpy(dtype=bool),
        "legal_form": [f.label for f in forms],
        "status": statuses.to_numpy(dtype=object),
        "incorporated_on": incorporated.to_numpy(dtype=object),
        "dissolved_on": dissolved.to_numpy(dtype=object),
        "income": np.nan,
        "sic_codes": sic,
        "register_sector": [register_sector(codes) for codes in sic],
        "social_enterprise": [f.social_enterprise for f in forms],
        "social_enterprise_reason": [f.social_enterprise_reason for f in forms],
        "category": [f.category for f in forms],
        "sector": [f.sector for f in forms],
    })
    live = np.array([(s or "").strip().lower() in _LIVE_STATUSES for s in out["status"]], dtype=bool)
    out["active"] = live & out["dissolved_on"].isna().to_numpy()
    out["closed_reason"] = [
        None if a else (f"dissolved on {d:%d/%m/%Y}" if d is not None else f"company status is {s!r}")
        for a, s, d in zip(out["active"], out["status"], out["dissolved_on"], strict=True)
    ]
    out["description"] = [_description(*values) for values in zip(
        out["legal_form"], out["company_number"], out["incorporated_on"], _first_sic_text(kept), strict=True)]
    return out[list(RECORD_COLUMNS)]


def _company_numbers(values: pd.Series, rows: pd.Series, ctx: Context) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values.to_numpy(dtype=object)):
        number = normalise_company_number(value)
        if number is None:
            raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {ctx.column('company_number')}: {shown(value)} "
                               "is not a Companies House number (8 characters, such as 01234567 or SC123456).")
        out[i] = number
    return out


def _past_dates(values: pd.Series, rows: pd.Series, ctx: Context, field: str) -> pd.Series:
    column = ctx.column(field)
    out = dates(values, file=ctx.file, rows=rows, column=column)
    today = date.today()
    for i, value in enumerate(out.to_numpy(dtype=object)):
        if value is not None and value > today:
            raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {column}: {value:%d/%m/%Y} is in the future.")
    return out


def _sic_codes(kept: pd.DataFrame, rows: pd.Series, ctx: Context) -> list[list[str]]:
    """Each row's SIC codes, in the file's order; an entry that is not a SIC code (other
    than Companies House's "None Supplied") is refused."""
    codes: list[list[str]] = [[] for _ in range(len(kept))]
    for field in _SIC_FIELDS:
        if field not in kept:
            continue
        for i, value in enumerate(kept[field].to_numpy(dtype=object)):
            if value is None or str(value).strip().lower() in _NO_SIC:
                continue
            code = sic_code(value)
            if code is None:
                raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {ctx.column(field)}: {shown(value)} is not "
                                   "a SIC entry (such as '88990 - Other social work activities ...').")
            if code not in codes[i]:
                codes[i].append(code)
    return codes


def _first_sic_text(kept: pd.DataFrame) -> list[str | None]:
    if "sic_1" not in kept:
        return [None] * len(kept)
    out: list[str | None] = []
    for value in kept["sic_1"].to_numpy(dtype=object):
        code = sic_code(value)
        out.append(str(value).split("-", 1)[1].strip() if code and "-" in str(value) else None)
    return out


def _description(legal_form: str, number: str, incorporated: date | None, activity: str | None) -> str:
    """A new asset's description: what the register says of it, in a sentence or two."""
    text_ = f"{legal_form}, Companies House number {number}"
    if incorporated is not None:
        text_ += f", incorporated {incorporated:%d %B %Y}"
    return text_ + "." + (f" Activity: {activity}." if activity else "")


FORMAT = RegisterFormat(label="Companies House basic company data", what="Companies House basic company data",
                        columns=COLUMNS, required=REQUIRED, records=records)

__all__ = ["COLUMNS", "FORMAT", "REQUIRED", "records"]
