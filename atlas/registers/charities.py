"""A charity register extract: the Charity Commission for England and Wales's public
extract (``publicextract.charity``: tab-separated .txt, or as CSV), with its column names
(``registered_charity_number``, ``charity_name``, ``charity_registration_status``,
``date_of_registration``, ``date_of_removal``, ``latest_income``,
``charity_contact_postcode``, ``charity_company_registration_number``, ``charity_type``,
``linked_charity_number`` ...), or a plainer table with the names people give those
(name, registered number, income, date of registration, postcode, classification).

A classification column holds the charity's classification descriptions separated by
``;`` (the extract's separate classification file, joined per charity); the first is
kept as the sector the register files it under. Linked charities (a main charity's
subsidiaries, ``linked_charity_number`` other than 0) are left out: the main charity
stands for them. A charity is a charity, never counted as a social enterprise on the
register's word alone (:mod:`atlas.registers.social_enterprise`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from atlas.errors import InvalidInput
from atlas.importers.columns import check_text, dates, numbers, shown
from atlas.org_matching import normalise_charity_number, normalise_company_number
from atlas.registers.organisations import RECORD_COLUMNS, Context, RegisterFormat
from atlas.registers.reading import cleaned
from atlas.registers.social_enterprise import charity_form

MAX_INCOME = 1e11
"""An income above this (100 billion a year, more than any charity has) is a wrong column
or a typing slip, refused rather than stored."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "charity_number": ("registered_charity_number", "charity_number", "registered_number", "reg_charity_number",
                       "charity_no", "regno", "registration_number"),
    "name": ("charity_name", "name", "charity"),
    "postcode": ("charity_contact_postcode", "postcode", "post_code", "contact_postcode"),
    "status": ("charity_registration_status", "registration_status", "status"),
    "registered_on": ("date_of_registration", "registration_date", "date_registered", "registered_on"),
    "removed_on": ("date_of_removal", "removal_date", "date_removed", "removed_on"),
    "income": ("latest_income", "income", "total_income", "gross_income"),
    "company_number": ("charity_company_registration_number", "company_number", "company_registration_number"),
    "classification": ("classification", "classifications", "classification_description"),
    "charity_type": ("charity_type",),
    "linked": ("linked_charity_number",),
    "cio": ("charity_is_cio",),
}
REQUIRED = ("charity_number", "name", "postcode")
_NO_COMPANY = {"0", "00000000", "n/a", "na", "none", "-", "nil"}
"""What registers write in the company number column of a charity that is no company."""


def records(kept: pd.DataFrame, rows: pd.Series, ctx: Context) -> pd.DataFrame:
    """Records (RECORD_COLUMNS) of the kept rows of a charity register, every value
    checked: one InvalidInput names file, row and column of the first bad one."""
    kept, rows = _main_charities(kept, rows, ctx)
    file = ctx.file
    n = len(kept)
    names = cleaned(kept["name"])
    check_text(names, file=file, rows=rows, column=ctx.column("name"), name=True)
    empty = np.flatnonzero(names.isna().to_numpy())
    if len(empty):
        raise InvalidInput(f"{file} row {rows.iloc[empty[0]]}, field {ctx.column('name')}: the name is empty.")
    charity_numbers = _charity_numbers(kept["charity_number"], rows, ctx)
    companies = (_company_numbers(kept["company_number"], rows, ctx) if "company_number" in kept
                 else np.full(n, None, dtype=object))
    statuses = _optional_text(kept, "status", rows, ctx)
    registered = _optional_dates(kept, "registered_on", rows, ctx)
    removed = _optional_dates(kept, "removed_on", rows, ctx)
    income = _incomes(kept, rows, ctx)
    classes = _classifications(kept, rows, ctx)
    types = _optional_text(kept, "charity_type", rows, ctx)
    cio = (cleaned(kept["cio"]).fillna("").str.lower().isin(["true", "yes", "1"]).to_numpy() if "cio" in kept
           else np.zeros(n, dtype=bool))
    forms = [charity_form(t, company_number=c, cio=bool(k)) for t, c, k in zip(types, companies, cio, strict=True)]
    out = pd.DataFrame({
        "row": rows.to_numpy(dtype=object),
        "key": charity_numbers,
        "name": names.to_numpy(dtype=object),
        "company_number": companies,
        "charity_number": charity_numbers,
        "postcode": kept["postcode_key"].to_numpy(dtype=object),
        "lon": kept["lon"].to_numpy(dtype=float),
        "lat": kept["lat"].to_numpy(dtype=float),
        "in_area": kept["in_area"].to_numpy(dtype=bool),
        "legal_form": [f.label for f in forms],
        "status": statuses,
        "incorporated_on": registered,
        "dissolved_on": removed,
        "income": income,
        "sic_codes": [[] for _ in range(n)],
        "register_sector": [c[0] if c else None for c in classes],
        "social_enterprise": None,  # the charity register says nothing of it
        "social_enterprise_reason": None,
        "category": [f.category for f in forms],
        "sector": [f.sector for f in forms],
    })
    status_ok = np.array([s is None or s.strip().lower() == "registered" for s in statuses], dtype=bool)
    out["active"] = status_ok & np.array([d is None for d in removed], dtype=bool)
    out["closed_reason"] = [
        None if a else (f"removed from the register on {d:%d/%m/%Y}" if d is not None
                        else f"registration status is {s!r}")
        for a, s, d in zip(out["active"], statuses, removed, strict=True)
    ]
    out["description"] = [_description(*v) for v in zip(charity_numbers, out["legal_form"], companies, classes,
                                                           strict=True)]
    return out[list(RECORD_COLUMNS)]


def _main_charities(kept: pd.DataFrame, rows: pd.Series, ctx: Context) -> tuple[pd.DataFrame, pd.Series]:
    """The rows of main charities; linked charities are listed as skipped."""
    if "linked" not in kept:
        return kept, rows
    linked = cleaned(kept["linked"]).fillna("0").to_numpy(dtype=object)
    subsidiary = np.array([v.strip() not in ("0", "") for v in linked], dtype=bool)
    for i in np.flatnonzero(subsidiary):
        ctx.skips.add(ctx.file, rows.iloc[i], ctx.column("linked"),
                      f"a linked charity ({linked[i]}) of charity {kept['charity_number'].iloc[i]}: "
                      "the main charity stands for it", kind="linked charity")
    keep = ~subsidiary
    return kept[keep].reset_index(drop=True), rows[keep].reset_index(drop=True)


def _charity_numbers(values: pd.Series, rows: pd.Series, ctx: Context) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values.to_numpy(dtype=object)):
        number = normalise_charity_number(value)
        if number is None:
            raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {ctx.column('charity_number')}: {shown(value)} "
                               "is not a registered charity number (digits, such as 1123456).")
        out[i] = number
    return out


def _company_numbers(values: pd.Series, rows: pd.Series, ctx: Context) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    for i, value in enumerate(values.to_numpy(dtype=object)):
        if value is None or str(value).strip().lower() in _NO_COMPANY:
            continue
        number = normalise_company_number(value)
        if number is None:
            raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {ctx.column('company_number')}: {shown(value)} "
                               "is not a Companies House number (8 characters, such as 01234567).")
        out[i] = number
    return out


def _optional_text(kept: pd.DataFrame, field: str, rows: pd.Series, ctx: Context) -> list[str | None]:
    if field not in kept:
        return [None] * len(kept)
    values = cleaned(kept[field])
    check_text(values, file=ctx.file, rows=rows, column=ctx.column(field))
    return list(values.to_numpy(dtype=object))


def _optional_dates(kept: pd.DataFrame, field: str, rows: pd.Series, ctx: Context) -> list[date | None]:
    if field not in kept:
        return [None] * len(kept)
    column = ctx.column(field)
    out = list(dates(kept[field], file=ctx.file, rows=rows, column=column))
    today = date.today()
    for i, value in enumerate(out):
        if value is not None and value > today:
            raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {column}: {value:%d/%m/%Y} is in the future.")
    return out


def _incomes(kept: pd.DataFrame, rows: pd.Series, ctx: Context) -> np.ndarray:
    if "income" not in kept:
        return np.full(len(kept), np.nan)
    column = ctx.column("income")
    values = numbers(kept["income"], file=ctx.file, rows=rows, column=column, integer=False).to_numpy(dtype=float)
    absurd = np.flatnonzero(values > MAX_INCOME)
    if len(absurd):
        i = int(absurd[0])
        raise InvalidInput(f"{ctx.file} row {rows.iloc[i]}, field {column}: {shown(kept['income'].iloc[i])} is more "
                           f"than {MAX_INCOME:,.0f} a year, more than any charity's income; is it the right column?")
    return values


def _classifications(kept: pd.DataFrame, rows: pd.Series, ctx: Context) -> list[list[str]]:
    if "classification" not in kept:
        return [[] for _ in range(len(kept))]
    values = cleaned(kept["classification"])
    check_text(values, file=ctx.file, rows=rows, column=ctx.column("classification"))
    return [[] if v is None else [p.strip() for p in str(v).split(";") if p.strip()]
            for v in values.to_numpy(dtype=object)]


def _description(number: str, legal_form: str, company: str | None, classes: list[str]) -> str:
    """A new asset's description: what the register says of it, in a sentence or two."""
    text_ = f"Registered charity {number} ({legal_form[0].lower() + legal_form[1:]}"
    text_ += f", Companies House number {company})." if company else ")."
    return text_ + (f" Classification: {'; '.join(classes)}." if classes else "")


FORMAT = RegisterFormat(label="Charity register extract", what="a charity register extract", columns=COLUMNS,
                        required=REQUIRED, records=records)

__all__ = ["COLUMNS", "FORMAT", "MAX_INCOME", "REQUIRED", "records"]
