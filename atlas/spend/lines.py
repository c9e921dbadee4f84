"""Spend lines as read from a file, before they are matched and stored, and the checks
every reader's lines go through (one place, so a CSV and an OCDS package are held to
the same rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from atlas.errors import InvalidInput
from atlas.importers.columns import check_text
from atlas.importers.summary import SkippedRow
from atlas.spend import coded

MAX_AMOUNT = 1e10
"""The largest amount (in the file's currency) one line may carry: ten billion. More is
a misread cell (an account number in the amount column), not a payment."""
EARLIEST = date(1980, 1, 1)
"""Dates before this are placeholders (01/01/1900) or misreadings, not payments."""
LATEST_YEARS_AHEAD = 10
"""Contracts are signed ahead of their start, but not by more than this many years."""

COLUMNS = ("supplier_name", "supplier_company_number", "supplier_charity_number", "supplier_postcode", "amount",
           "currency", "paid_on", "category", "source_id")
"""The columns of :attr:`SpendLines.frame`."""


@dataclass(frozen=True)
class SpendLines:
    """What a reader made of a file.

    ``frame`` has :data:`COLUMNS`: supplier name, company number (Companies House form,
    ``01234567``), charity number, postcode (normalised, ``B11AY``), currency (ISO 4217)
    and category as pandas Categoricals (see atlas.spend.coded); amount (float, negative
    for a credit note), paid_on (datetime64[D]) and source_id (text, the line's key
    within its source). ``rows`` labels each line as a person
    finds it in the file (a spreadsheet row, or an OCDS release and award) and ``fields``
    names where each field was read from (a column, or a JSON path), for messages.
    """

    frame: pd.DataFrame
    rows: pd.Series
    format: str
    fields: dict[str, str]
    columns_used: dict[str, str] = field(default_factory=dict)
    skipped: list[SkippedRow] = field(default_factory=list)
    notes: list[SkippedRow] = field(default_factory=list)
    """Lines kept but changed (an award's value split between its suppliers); each reason starts "kept,"."""
    read: int = 0
    layer: str | None = None


def check(lines: SpendLines, *, file: str) -> None:
    """Refuse the first line no store should hold: an absurd amount, an implausible date,
    garbled or overlong text, or a file that mixes currencies. One InvalidInput naming
    file, row and field."""
    frame = lines.frame
    if frame.empty:
        return
    amount = frame["amount"].to_numpy(dtype=float)
    absurd = np.flatnonzero(np.abs(amount) > MAX_AMOUNT)
    if len(absurd):
        i = int(absurd[0])
        raise InvalidInput(f"{_where(lines, file, i, 'amount')}: {amount[i]:,.2f} is more than the "
                           f"{MAX_AMOUNT:,.0f} one payment can be; check the column holds amounts.")
    paid = frame["paid_on"].to_numpy(dtype="datetime64[D]")
    latest = np.datetime64(date.today(), "D") + np.timedelta64(366 * LATEST_YEARS_AHEAD, "D")
    odd = np.flatnonzero((paid < np.datetime64(EARLIEST, "D")) | (paid > latest))
    if len(odd):
        i = int(odd[0])
        raise InvalidInput(f"{_where(lines, file, i, 'date')}: {paid[i]} is not a plausible payment date "
                           f"(from {EARLIEST:%Y} to {LATEST_YEARS_AHEAD} years ahead).")
    for key, column, name in (("supplier", "supplier_name", True), ("category", "category", False)):
        _check_distinct_text(lines, file=file, column=column, field=lines.fields.get(key, key), name=name)
    currencies = frame["currency"].cat
    used = np.unique(currencies.codes.to_numpy())
    if len(used) > 1:
        codes = currencies.codes.to_numpy()
        other = int(np.flatnonzero(codes != codes[0])[0])
        found = ", ".join(str(currencies.categories[c]) for c in used if c >= 0)
        raise InvalidInput(
            f"{_where(lines, file, other, 'currency')}: {frame['currency'].iloc[other]} where earlier lines are in "
            f"{frame['currency'].iloc[0]}; a spend file is in one currency (found {found}). "
            "Split the file by currency and import each part."
        )


def _check_distinct_text(lines: SpendLines, *, file: str, column: str, field: str, name: bool) -> None:
    """check_text over the distinct values of a coded column (a few thousand supplier
    names among a million lines), each naming the first row that holds it."""
    values = lines.frame[column].cat
    distinct = pd.Series(values.categories, dtype=object)
    if distinct.empty:
        return
    first = coded.first_rows(values.codes.to_numpy(), len(distinct))
    present = first >= 0
    check_text(distinct[present].reset_index(drop=True), file=file,
               rows=lines.rows.iloc[first[present]].reset_index(drop=True), column=field, name=name)


def _where(lines: SpendLines, file: str, position: int, key: str) -> str:
    return f"{file} row {lines.rows.iloc[position]}, field {lines.fields.get(key, key)}"
