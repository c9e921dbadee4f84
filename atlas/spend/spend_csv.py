"""A council's "spend over £500" file (CSV or XLSX) as spend lines.

The header is found rather than assumed: published files often start with a title line
or two ("Payments over £500, April 2025") above it, so the header is the opening row
that most looks like one (naming a supplier, an amount, a date ..., or the columns
given). Everything is read a column at a time (Arrow's CSV reader, then
:mod:`atlas.spend.values`), so a million lines take seconds.

Rows are numbered as a spreadsheet program shows them (the first line of the file is
row 1). A blank row is passed over; a row with no supplier, no amount or no date is
skipped and listed, so a footer of totals is never counted as a payment; an amount or
date that cannot be read stops the import.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from atlas.errors import InvalidInput
from atlas.importers.columns import shown, text
from atlas.importers.postcodes import normalise as normalise_postcode
from atlas.importers.summary import SkippedRow
from atlas.importers.tables import unique_names
from atlas.org_matching import normalise_company_number
from atlas.spend import coded, spend_columns, values
from atlas.spend.lines import SpendLines

HEADER_SEARCH_ROWS = 30
"""How many opening rows may hold the header (the rest is preamble)."""
_DELIMITERS = (",", ";", "\t", "|")
_CURRENCY_IN_NAME = {"£": "GBP", "gbp": "GBP", "€": "EUR", "eur": "EUR", "$": "USD", "usd": "USD"}


def read(path: Path, given: Mapping[str, str], *, currency: str) -> SpendLines:
    """The spend lines of a CSV or XLSX file; ``given`` corrects the guessed columns and
    ``currency`` is the store's, for files that show none."""
    file = str(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, lines, fmt, sheet = _read_xlsx(path, given)
    else:
        frame, lines, fmt, sheet = (*_read_csv(path, given), "CSV", None)
    mapping = spend_columns.resolve([str(c) for c in frame.columns], given, file=file)
    return _lines(frame, lines, mapping, file=file, fmt=fmt, sheet=sheet, currency=currency)


def table(path: Path) -> pd.DataFrame:
    """The file's rows under its header, as text (the app shows its columns to choose from)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, {})[0]
    return _read_csv(path, {})[0]


def _decoding(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252 as Excel writes CSV.
    Text garbled by a wrong guess is caught later (ftfy, through lines.check)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _read_csv(path: Path, given: Mapping[str, str]) -> tuple[pd.DataFrame, np.ndarray]:
    data = path.read_bytes()
    encoding = _decoding(data)
    sample = data[:64 * 1024].decode(encoding, errors="replace")
    best: tuple[int, str, int, list[str]] = (-1, ",", 0, [])  # (score, delimiter, lines above the header, header)
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        before = 0
        try:
            for _ in range(HEADER_SEARCH_ROWS):
                record = next(reader)
                found = spend_columns.score(record, given)
                if found > best[0]:
                    best = (found, delimiter, before, record)
                before = reader.line_num
        except (StopIteration, csv.Error):
            pass
    _score, delimiter, skip, header = best
    fast = _read_csv_arrow(data, encoding, delimiter, skip, header)
    if fast is not None:
        frame = fast
    else:
        try:
            frame = pd.read_csv(io.BytesIO(data), sep=delimiter, dtype=str, keep_default_na=False, encoding=encoding,
                                skiprows=skip, skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise InvalidInput(f"{path} is empty; there is nothing to import.") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path} could not be read as CSV ({str(exc).strip()}).") from None
        frame.columns = [str(c).strip() for c in frame.columns]
    # The header is line skip + 1; its first row below it is skip + 2.
    return frame, np.arange(skip + 2, skip + 2 + len(frame))


def _read_csv_arrow(data: bytes, encoding: str, delimiter: str, skip: int, header: list[str]) -> pd.DataFrame | None:
    """The rows below the header read by Arrow's CSV reader (a million lines in about a
    second, against pandas' five), or None for a file it would read differently from
    pandas: blank lines among the rows (Arrow drops them, which would shift the row
    numbers in messages), rows of another length, or a header with blank or repeated names."""
    names = [h.strip() for h in header]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        return None
    start = 0
    for _ in range(skip + 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return None
    body = data[start:].rstrip()
    if b"\n\n" in body or b"\n\r\n" in body or b"\r\r" in body:
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(column_names=names, encoding=encoding.replace("-sig", "")),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None  # pandas reads it, or says what is wrong with it
    return table.to_pandas()


def _read_xlsx(path: Path, given: Mapping[str, str]) -> tuple[pd.DataFrame, np.ndarray, str, str]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path} could not be read as an Excel workbook ({exc}).") from None
    try:
        sheet = book.worksheets[0]
        title = sheet.title
        cells = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    opening = cells[:HEADER_SEARCH_ROWS]
    scores = [spend_columns.score(r, given) for r in opening]
    if not opening or max(scores) <= 0:
        raise InvalidInput(f"{path} sheet {title!r} has no header row naming a supplier and an amount "
                           "in its first rows; there is nothing to import.")
    at = scores.index(max(scores))
    header = unique_names(cells[at])
    width = len(header)
    data = [list(r[:width]) + [None] * (width - len(r)) for r in cells[at + 1:]]
    frame = pd.DataFrame(data, columns=header, dtype=object)
    return frame, np.arange(at + 2, at + 2 + len(frame)), "XLSX", title


def _lines(frame: pd.DataFrame, numbers: np.ndarray, mapping: dict[str, str], *, file: str, fmt: str,
           sheet: str | None, currency: str) -> SpendLines:
    cells = {f: text(frame[c]) for f, c in mapping.items() if f not in ("amount", "date")}
    amount = values.amounts(frame[mapping["amount"]])
    paid = values.dates(frame[mapping["date"]])
    for key, unreadable, what in (("amount", amount.unreadable, "an amount (write 1234.56, or (1234.56) "
                                   "for a credit note)"), ("date", paid.unreadable, "a date (write 31/05/2024)")):
        bad = np.flatnonzero(unreadable)
        if len(bad):
            i = int(bad[0])
            raise InvalidInput(f"{file} row {numbers[i]}, field {mapping[key]}: "
                               f"{shown(frame[mapping[key]].iloc[i])} is not {what}.")
    has_supplier = cells["supplier"].notna().to_numpy()
    has_amount = ~np.isnan(amount.value)
    has_date = ~np.isnat(paid.value)
    empty = ~has_supplier & ~has_amount & ~has_date
    blank = empty
    if empty.any():  # blank lines, or only other columns filled (a footer's label)
        required = {mapping["supplier"], mapping["amount"], mapping["date"]}
        others = [text(frame[c]).notna().to_numpy() for c in frame.columns if c not in required]
        if others:
            blank = empty & ~np.logical_or.reduce(others)
    skipped: list[SkippedRow] = []
    for missing, key, reason in (
        (empty & ~blank, "supplier", "no supplier, amount or date: a note or a total, not a payment"),
        (~empty & ~has_supplier, "supplier", "no supplier named; the payment cannot be attributed"),
        (~empty & has_supplier & ~has_amount, "amount", "no amount"),
        (~empty & has_supplier & has_amount & ~has_date, "date", "no date; the payment cannot be put in a period"),
    ):
        skipped.extend(SkippedRow(file=file, row=str(numbers[i]), field=mapping[key], reason=reason)
                       for i in np.flatnonzero(missing))
    keep = has_supplier & has_amount & has_date
    n = int(keep.sum())
    nothing = (np.full(n, -1, dtype=np.int64), np.array([], dtype=object))

    def coded_column(field: str, normalise: Callable[[object], object] | None = None) -> pd.Categorical:
        if field not in cells:
            return coded.categorical(*nothing)
        codes, distinct = coded.encode(cells[field][keep])
        if normalise is not None:
            codes, distinct = coded.mapped(codes, distinct, normalise)
        return coded.categorical(codes, distinct)

    out = pd.DataFrame({
        "supplier_name": coded_column("supplier"),
        "supplier_company_number": coded_column("company_number", normalise_company_number),
        "supplier_charity_number": coded.categorical(*nothing),
        "supplier_postcode": coded_column("postcode", normalise_postcode),
        "amount": amount.value[keep],
        "currency": coded.categorical(*coded.encode(_currency(cells.get("currency"), amount.currency,
                                                              mapping["amount"], currency, rows=numbers, file=file,
                                                              column=mapping.get("currency")).filter(pa.array(keep)))),
        "paid_on": paid.value[keep],
        "category": coded_column("category"),
        "source_id": _source_ids(cells.get("id"), numbers, keep).to_pandas(),
    })
    fields = {"supplier": mapping["supplier"], "amount": mapping["amount"], "date": mapping["date"],
              "category": mapping.get("category", "category"), "currency": mapping.get("currency", mapping["amount"])}
    return SpendLines(frame=out, rows=pd.Series(numbers[keep]), format=fmt, fields=fields,
                      columns_used=dict(mapping), skipped=skipped, read=int((~blank).sum()), layer=sheet)


def _currency(given: pd.Series | None, symbols: pa.Array, amount_column: str, default: str, *, rows: np.ndarray,
              file: str, column: str | None) -> pa.Array:
    """Each line's currency: its currency column, else the symbol in its amount, else the
    one symbol the other amounts show (a file that writes "€" on some lines only), else
    a symbol or code in the amount column's name ("Amount (£)"), else the store's."""
    marks = set(re.split(r"[^0-9a-z£€$]+", amount_column.lower()))
    named = next((code for mark, code in _CURRENCY_IN_NAME.items() if mark in marks), None)
    shown_codes = pc.unique(symbols.drop_null()).to_pylist()
    out = pc.fill_null(symbols, shown_codes[0] if len(shown_codes) == 1 else named or default)
    if given is not None:
        codes = pc.utf8_upper(pa.array(given, type=pa.string(), from_pandas=True))
        bad = np.flatnonzero(pc.invert(pc.fill_null(pc.match_substring_regex(codes, r"^[A-Z]{3}$"), True))
                             .to_numpy(zero_copy_only=False))
        if len(bad):
            i = int(bad[0])
            raise InvalidInput(f"{file} row {rows[i]}, field {column}: {shown(given.iloc[i])} is not a "
                               "three-letter currency code such as GBP or EUR.")
        out = pc.coalesce(codes, out)
    return out


def _source_ids(ids: pd.Series | None, numbers: np.ndarray, keep: np.ndarray) -> pa.Array:
    """The file's id column where every kept line has one and no two share it (a
    transaction number); else the row number, which is stable for a re-import of the
    same file."""
    if ids is not None:
        kept = pa.array(ids[keep], type=pa.string(), from_pandas=True)
        if kept.null_count == 0 and pc.count_distinct(kept).as_py() == len(kept):
            return kept
    return pa.array(numbers[keep]).cast(pa.string())
