"""Amounts and dates as spend files write them, read a whole column at a time.

Amounts: ``1234.5``, ``£1,234.50``, ``€ 950``, ``$12``, ``1 234,56`` (a file that writes
decimal commas), and credit notes as ``-500``, ``(500.00)``, ``500.00 CR`` or ``500.00-``;
each of these is negative in the result. A file either writes decimal points or decimal
commas: which one is decided for the whole file from the cells only one reading fits
(``12,5``, ``1.234,56``), so ``1,234`` is one thousand two hundred and thirty-four in a
British file, and in a file of decimal commas it is refused (money has two decimals),
never silently one point two three four.

Dates: ``31/05/2024``, ``31/05/24``, ``2024-05-31`` (a time after it is ignored),
``31-May-24``, ``31-May-2024``, ``31.05.2024``, ``31 May 2024``, ``2024/05/31``. Day
before month always, as in Britain and the rest of Europe. A spend file holds a few
hundred distinct dates among a million lines, so each distinct text is read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atlas.importers.columns import text
from atlas.spend.coded import encode

_SYMBOLS = {"GBP": ("£", "GBP"), "EUR": ("€", "EUR"), "USD": ("$", "USD")}
_SPACES = (" ", "\t", "\u00a0", "\u202f")
_DOT_DECIMAL = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$"
_COMMA_DECIMAL = r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"


@dataclass(frozen=True)
class Amounts:
    """A column of amounts: ``value`` (NaN where the cell is empty or unreadable),
    ``unreadable`` (a cell with something in it that is not an amount), and ``currency``
    (the ISO code a cell's symbol gives, null where it shows none; an Arrow array)."""

    value: np.ndarray
    unreadable: np.ndarray
    currency: pa.Array


def amounts(values: pd.Series) -> Amounts:
    """Read a column of amounts (see the module's docstring), a whole column per step in
    Arrow. Each rewrite of a million cells costs about 0.05 s, so a step runs only when
    some cell needs it (most files show no "CR", many no "£")."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        number = values.to_numpy(dtype=float, na_value=np.nan)
        return Amounts(number, np.zeros(len(number), dtype=bool), pa.nulls(len(number), pa.string()))
    cells = pa.array(text(values), type=pa.string(), from_pandas=True)
    upper = pc.utf8_upper(cells) if _anywhere(pc.match_substring_regex(cells, "[a-z]")) else cells
    currency = pa.nulls(len(cells), pa.string())
    plain = upper
    for code, marks in _SYMBOLS.items():
        for mark in marks:
            shows = pc.match_substring(upper, mark)
            if _anywhere(shows):
                currency = pc.if_else(pc.fill_null(shows, False), pa.scalar(code), currency)
                plain = pc.replace_substring(plain, mark, "")
    for space in _SPACES:
        if _anywhere(pc.match_substring(plain, space)):
            plain = pc.replace_substring(plain, space, "")
    # Credit notes: "500.00 CR", "500.00-" and "(500.00)" are all minus 500.
    trailing_cr = pc.ends_with(plain, "CR")
    dr = pc.or_(trailing_cr, pc.ends_with(plain, "DR"))
    if _anywhere(dr):
        plain = pc.if_else(dr, pc.utf8_slice_codeunits(plain, 0, -2), plain)
    trailing_minus = pc.and_(pc.ends_with(plain, "-"), pc.greater(pc.utf8_length(plain), 1))
    if _anywhere(trailing_minus):
        plain = pc.if_else(trailing_minus, pc.utf8_slice_codeunits(plain, 0, -1), plain)
    bracketed = pc.and_(pc.or_(pc.starts_with(plain, "("), pc.starts_with(plain, "-(")), pc.ends_with(plain, ")"))
    if _anywhere(bracketed):
        plain = pc.if_else(bracketed, pc.replace_substring(pc.replace_substring(plain, "(", ""), ")", ""), plain)
    credit = pc.or_kleene(pc.or_kleene(trailing_cr, trailing_minus), bracketed)
    filled = pc.fill_null(pc.not_equal(cells, ""), False)
    fits = pc.fill_null(pc.match_substring_regex(plain, _DOT_DECIMAL), False)
    if _anywhere(pc.and_(filled, pc.invert(fits))):
        # Some cell is no number with decimal points: a file of decimal commas, if its
        # cells fit that reading and none fits only the other one.
        comma_fits = pc.fill_null(pc.match_substring_regex(plain, _COMMA_DECIMAL), False)
        if _anywhere(pc.and_(comma_fits, pc.invert(fits))) and not _anywhere(pc.and_(fits, pc.invert(comma_fits))):
            # Money has two decimals: "1,234" in such a file is a British thousands
            # separator among a few odd cells, not 1.234, so it is refused, not misread.
            fits = pc.and_(comma_fits, pc.invert(pc.fill_null(pc.match_substring_regex(plain, r",\d{3}$"), False)))
            plain = pc.replace_substring(pc.replace_substring(plain, ".", ""), ",", ".")
    if _anywhere(pc.match_substring(plain, ",")):
        plain = pc.replace_substring(plain, ",", "")
    number = pc.cast(pc.if_else(fits, plain, pa.scalar(None, pa.string())), pa.float64())
    value = number.to_numpy(zero_copy_only=False).astype(float)
    negative = pc.fill_null(credit, False).to_numpy(zero_copy_only=False)
    value = np.where(negative, -np.abs(value), value)
    unreadable = filled.to_numpy(zero_copy_only=False) & ~fits.to_numpy(zero_copy_only=False)
    return Amounts(value, unreadable, currency)


def _anywhere(flags: pa.Array) -> bool:
    return bool(pc.any(flags).as_py())


_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_FORMATS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), ("%Y-%m-%d",)),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"), ("%Y/%m/%d",)),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), ("%d/%m/%Y",)),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$"), ("%d/%m/%y",)),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), ("%d.%m.%Y",)),
    (re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"), ("%d-%m-%Y",)),
    (re.compile(r"^\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{2}$"), ("%d-%b-%y", "%d-%B-%y")),
    (re.compile(r"^\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{4}$"), ("%d-%b-%Y", "%d-%B-%Y")),
)


def one_date(value: str) -> date | None:
    """One date as spend files write it (see the module's docstring), or None."""
    s = _TIME.sub("", value.strip())
    for pattern, formats in _FORMATS:
        if pattern.match(s):
            s = s.replace(" ", "-")  # strptime reads month names in any case
            for fmt in formats:
                try:
                    return datetime.strptime(s, fmt).date()
                except ValueError:
                    continue
            return None
    return None


@dataclass(frozen=True)
class Dates:
    """A column of dates: ``value`` (datetime64[D], NaT where empty or unreadable) and
    ``unreadable`` (a cell with something in it that is not a date)."""

    value: np.ndarray
    unreadable: np.ndarray


def dates(values: pd.Series) -> Dates:
    """Read a column of dates (see the module's docstring), each distinct text once."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        value = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return Dates(value, np.zeros(len(value), dtype=bool))
    codes, distinct = encode(text(values))
    read = [one_date(str(v)) for v in distinct]
    parsed = np.array([np.datetime64(d, "D") if d else np.datetime64("NaT", "D") for d in read] + [
        np.datetime64("NaT", "D")], dtype="datetime64[D]")
    value = parsed[codes]  # code -1 (an empty cell) picks the NaT at the end
    unreadable = (codes >= 0) & np.isnat(value)
    return Dates(value, unreadable)
