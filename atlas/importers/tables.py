"""Tables of places: CSV (any common delimiter and encoding), XLSX, or a plain Parquet
table, placed by longitude/latitude columns, easting/northing columns (with ``--crs``),
or a postcode column looked up in the store's postcode table.

Rows are labelled by the row number a spreadsheet program shows (the header is row 1).
"""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from atlas import text as words
from atlas.errors import InvalidInput
from atlas.importers import postcode_store, postcodes
from atlas.importers.columns import COORDINATE_FIELDS, ColumnMapping, match_columns, shown
from atlas.importers.readers import check_file
from atlas.importers.summary import ProgressCallback, SkippedRow, no_progress
from atlas.projection import WGS84, transformer
from atlas.store import Store


@dataclass
class Table:
    """A table's cells as read (strings from CSV, numbers and strings from XLSX), with the
    row numbers a person sees."""

    frame: pd.DataFrame
    rows: pd.Series
    format: str
    layer: str | None


_DECODED_UTF8 = re.compile(r"[^\x00-\x7f\ufffd]")
"""A character that only a valid multi-byte UTF-8 sequence decodes to."""


@dataclass(frozen=True)
class _Encoding:
    name: str
    mixed_from_line: int | None = None
    """The first line with UTF-8 text in a file that is not all UTF-8 (it mixes encodings)."""


def _encoding(path: Path) -> _Encoding:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as Excel writes CSV
    on Windows; either way accents survive. A file that is neither (rows of UTF-8 among
    rows of Latin-1, from two programs appending to one file) is found out here."""
    with path.open("rb") as fh:
        data = fh.read()
    try:
        data.decode("utf-8")
        return _Encoding("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    found = _DECODED_UTF8.search(text)
    return _Encoding("cp1252", None if found is None else text.count("\n", 0, found.start()) + 1)


def _refuse_mixed(frame: pd.DataFrame, rows: pd.Series, path: Path, line: int) -> None:
    """One clear error for a file that mixes UTF-8 and Windows-1252 rows, naming the first
    cell that reads garbled (ftfy's judgement, through atlas.text), else the line."""
    advice = ("the file mixes two encodings (UTF-8 and Windows-1252/Latin-1), so some rows always read "
              "garbled. Save it again as UTF-8 (in Excel: CSV UTF-8) and import it again.")
    for column in frame.columns:
        cells = frame[column]
        odd = np.flatnonzero(~cells.map(str.isascii).to_numpy(dtype=bool))
        for i in odd:
            if words.garbled(cells.iloc[i]):
                raise InvalidInput(f"{path} row {rows.iloc[i]}, field {column}: {shown(cells.iloc[i])}: {advice}")
    raise InvalidInput(f"{path} line {line}: {advice}")


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv(path: Path) -> Table:
    check_file(path)
    found = _encoding(path)
    encoding = found.name
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
    sep = "\t" if path.suffix.lower() == ".tsv" else _delimiter(sample)
    try:
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding,
                            skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{path} is empty; there is nothing to import.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} could not be read as CSV ({str(exc).strip()}).") from None
    rows = pd.Series(np.arange(2, len(frame) + 2).astype(str), index=frame.index)
    if found.mixed_from_line is not None:
        _refuse_mixed(frame, rows, path, found.mixed_from_line)
    return _without_blank_rows(Table(frame=frame, rows=rows, format="CSV", layer=None), path)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_file(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path} could not be read as an Excel workbook ({exc}).") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"{path} has no sheet {sheet!r}; its sheets are: {', '.join(book.sheetnames)}.")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        header: list[str] | None = None
        data: list[tuple] = []
        numbers: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if header is None:  # the first row with anything in it names the columns
                if any(v is not None and str(v).strip() for v in values):
                    header = unique_names(values)
                continue
            data.append(values)
            numbers.append(number)
        title = ws.title
    finally:
        book.close()
    if header is None:
        raise InvalidInput(f"{path} sheet {title!r} is empty; there is nothing to import.")
    width = len(header)
    frame = pd.DataFrame([list(r[:width]) + [None] * (width - len(r)) for r in data], columns=header, dtype=object)
    rows = pd.Series(np.array(numbers, dtype=np.int64).astype(str), index=frame.index)
    return _without_blank_rows(Table(frame=frame, rows=rows, format="XLSX", layer=title), path)


def unique_names(values: tuple) -> list[str]:
    """Column names from a header row: blanks named by position, repeats numbered."""
    names: list[str] = []
    for i, v in enumerate(values):
        name = str(v).strip() if v is not None and str(v).strip() else f"column {i + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} {n}", n + 1
        names.append(name)
    return names


def read_parquet_table(path: Path) -> Table:
    frame = pd.read_parquet(path)
    rows = pd.Series(np.arange(1, len(frame) + 1).astype(str), index=frame.index)
    return _without_blank_rows(Table(frame=frame, rows=rows, format="Parquet", layer=None), path)


def _without_blank_rows(table: Table, path: Path) -> Table:
    """Drop rows with no value at all (spreadsheets often end with some)."""
    frame = table.frame
    if frame.empty:
        raise InvalidInput(f"{path} holds no rows; there is nothing to import.")
    filled = pd.Series(False, index=frame.index)
    for column in frame.columns:
        cells = frame[column].astype("string").str.strip()
        filled |= (cells.notna() & (cells != "")).to_numpy(dtype=bool)
    if not filled.any():
        raise InvalidInput(f"{path} holds no rows; there is nothing to import.")
    if filled.all():
        return table
    keep = filled.to_numpy()
    return Table(frame=frame[keep].reset_index(drop=True), rows=table.rows[keep].reset_index(drop=True),
                 format=table.format, layer=table.layer)


def read_table(path: Path, sheet: str | None = None) -> Table:
    suffix = path.name.lower().rsplit(".", 1)[-1]
    if suffix in ("xlsx", "xlsm"):
        return read_xlsx(path, sheet)
    if suffix in ("parquet", "geoparquet"):
        return read_parquet_table(path)
    if sheet is not None:
        raise InvalidInput(f"{path} is a CSV file and has no layers or sheets; leave out --layer.")
    return read_csv(path)


def _coordinates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(numbers, not-a-number-but-filled) for a coordinate column; a decimal comma
    (52,48) is read as a decimal point."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        nums = values.to_numpy(dtype=float, na_value=np.nan, copy=True)
        return nums, np.zeros(len(nums), dtype=bool)
    text = values.astype(object).map(
        lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    nums = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float, copy=True)
    garbage = np.isnan(nums) & (text != "").to_numpy()
    return nums, garbage


@dataclass(frozen=True)
class _Columns:
    """The columns a table is placed by: x and y (longitude and latitude, or easting and
    northing) and a postcode, each None where the table has none."""

    x: str | None
    y: str | None
    postcode: str | None


def _placing_columns(frame: pd.DataFrame, *, file: str, mapping: ColumnMapping | None,
                     crs: CRS | None) -> _Columns:
    cols = match_columns(list(frame.columns), COORDINATE_FIELDS, mapping, file=file)
    if crs is not None and "easting" in cols and "northing" in cols:
        return _Columns(cols["easting"], cols["northing"], cols.get("postcode"))
    if "lon" in cols and "lat" in cols:
        return _Columns(cols["lon"], cols["lat"], cols.get("postcode"))
    if "easting" in cols and "northing" in cols:
        raise InvalidInput(
            f"{file} gives eastings and northings ({cols['easting']}, {cols['northing']}) but not their coordinate "
            "reference system; give it with --crs (for example --crs 27700 for British National Grid)."
        )
    return _Columns(None, None, cols.get("postcode"))


def coordinate_fields(table: Table, *, mapping: ColumnMapping | None, crs: CRS | None, file: str) -> str:
    """How a report names where a row's place came from: ``lon/lat`` (the columns), or
    the postcode column."""
    cols = _placing_columns(table.frame, file=file, mapping=mapping, crs=crs)
    named = [c for c in (cols.x, cols.y) if c is not None] or [c for c in (cols.postcode,) if c is not None]
    return "/".join(map(str, named)) or "geometry"


def locate(table: Table, store: Store, *, file: str, mapping: ColumnMapping | None, crs: CRS | None,
           progress: ProgressCallback = no_progress) -> tuple[gpd.GeoDataFrame, pd.Series, list[SkippedRow]]:
    """Give each row a point: from its coordinates where it has them, else from its postcode.

    Returns the frame (in the coordinates' CRS), its row labels and the rows skipped (no
    coordinates, not a postcode, postcode unknown).
    """
    frame = table.frame
    cols = _placing_columns(frame, file=file, mapping=mapping, crs=crs)
    xcol, ycol, pc_col = cols.x, cols.y, cols.postcode
    if xcol is None and pc_col is None:
        raise InvalidInput(
            f"{file} has no coordinates: it needs longitude and latitude columns, easting and northing columns "
            f"(with --crs), or a postcode column. Its columns are: {', '.join(map(str, frame.columns))}."
        )
    table_crs = crs if crs is not None else CRS.from_epsg(WGS84)
    n = len(frame)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    reasons = np.full(n, None, dtype=object)
    fields = np.full(n, "", dtype=object)
    if xcol is not None:
        x, xbad = _coordinates(frame[xcol])
        y, ybad = _coordinates(frame[ycol])
        for bad, column, values in ((xbad, xcol, frame[xcol]), (ybad, ycol, frame[ycol])):
            for i in np.flatnonzero(bad & pd.isna(reasons)):
                reasons[i] = f"{shown(values.iloc[i])} is not a number"
                fields[i] = column
        for nums, column, values in ((x, xcol, frame[xcol]), (y, ycol, frame[ycol])):
            for i in np.flatnonzero(np.isinf(nums) & pd.isna(reasons)):
                reasons[i] = f"{shown(values.iloc[i])} is not a finite number"
                fields[i] = column
        x[xbad | ybad] = np.nan
        y[xbad | ybad] = np.nan
    need = ~(np.isfinite(x) & np.isfinite(y)) & pd.isna(reasons)
    if pc_col is not None and need.any():
        if postcode_store.count(store) == 0:
            raise InvalidInput(
                f"{file} places rows by postcode, but this atlas has no postcode lookup yet: load one with "
                "atlas import-postcodes FILE (the ONS Postcode Directory or OS Code-Point Open)."
            )
        progress("checking", 0, int(need.sum()))
        values = frame[pc_col][need]
        lon, lat, keys = postcodes.lookup(store, values)
        if table_crs.to_epsg() != WGS84:
            px, py = transformer(WGS84, table_crs).transform(lon, lat)
        else:
            px, py = lon, lat
        idx = np.flatnonzero(need)
        x[idx], y[idx] = px, py
        raw = values.to_numpy(dtype=object)
        for j, i in enumerate(idx):
            if np.isfinite(lon[j]):
                continue
            fields[i] = pc_col
            text = "" if raw[j] is None else str(raw[j]).strip()
            if not text:
                reasons[i] = "no coordinates and no postcode"
            elif keys.iloc[j] is None:
                reasons[i] = f"{text!r} is not a UK postcode"
            else:
                reasons[i] = f"postcode {postcodes.display(keys.iloc[j])} is not in the postcode lookup"
    missing = ~(np.isfinite(x) & np.isfinite(y)) & pd.isna(reasons)
    reasons[missing] = "no coordinates" if pc_col is None else "no coordinates and no postcode"
    fields[missing] = xcol if pc_col is None else f"{xcol}/{pc_col}" if xcol else pc_col
    skipped = [SkippedRow(file=file, row=str(table.rows.iloc[i]), field=str(fields[i]), reason=str(reasons[i]))
               for i in np.flatnonzero(pd.notna(reasons))]
    keep = pd.isna(reasons)
    located = gpd.GeoDataFrame(
        frame[keep].reset_index(drop=True),
        geometry=gpd.points_from_xy(x[keep], y[keep]),
        crs=table_crs,
    )
    return located, table.rows[keep].reset_index(drop=True), skipped

