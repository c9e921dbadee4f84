"""Tables of places: CSV (any common delimiter and encoding), XLSX, or a plain Parquet
table, placed by longitude/latitude columns, easting/northing columns (with ``--crs``),
or a postcode column looked up in the store's postcode table.

Rows are labelled by the row number a spreadsheet program shows (the header is row 1).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from atlas.errors import InvalidInput
from atlas.importers import postcode_store, postcodes
from atlas.importers.columns import COORDINATE_FIELDS, ColumnMapping, match_columns
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


def _encoding(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as Excel writes CSV
    on Windows; either way accents survive."""
    with path.open("rb") as fh:
        data = fh.read()
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv(path: Path) -> Table:
    check_file(path)
    encoding = _encoding(path)
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
    return _without_blank_rows(Table(frame=frame, rows=rows, format="CSV", layer=None), path)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_file(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
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
                    header = _unique_names(values)
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


def _unique_names(values: tuple) -> list[str]:
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
    text = values.astype(object).map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    nums = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float, copy=True)
    garbage = np.isnan(nums) & (text != "").to_numpy()
    return nums, garbage


def locate(table: Table, store: Store, *, file: str, mapping: ColumnMapping | None, crs: CRS | None,
           progress: ProgressCallback = no_progress) -> tuple[gpd.GeoDataFrame, pd.Series, list[SkippedRow]]:
    """Give each row a point: from its coordinates where it has them, else from its postcode.

    Returns the frame (in the coordinates' CRS), its row labels and the rows skipped (no
    coordinates, not a postcode, postcode unknown).
    """
    frame = table.frame
    cols = match_columns(list(frame.columns), COORDINATE_FIELDS, mapping, file=file)
    if crs is not None and "easting" in cols and "northing" in cols:
        xcol, ycol = cols["easting"], cols["northing"]
    elif "lon" in cols and "lat" in cols:
        xcol, ycol = cols["lon"], cols["lat"]
    elif "easting" in cols and "northing" in cols:
        raise InvalidInput(
            f"{file} gives eastings and northings ({cols['easting']}, {cols['northing']}) but not their coordinate "
            "reference system; give it with --crs (for example --crs 27700 for British National Grid)."
        )
    else:
        xcol = ycol = None
    pc_col = cols.get("postcode")
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
            for i in np.flatnonzero(bad & (reasons == None)):
                reasons[i] = f"{values.iloc[i]!r} is not a number"
                fields[i] = column
        x[xbad | ybad] = np.nan
        y[xbad | ybad] = np.nan
    need = ~(np.isfinite(x) & np.isfinite(y)) & (reasons == None)
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
    missing = ~(np.isfinite(x) & np.isfinite(y)) & (reasons == None)
    reasons[missing] = "no coordinates" if pc_col is None else "no coordinates and no postcode"
    fields[missing] = xcol if pc_col is None else f"{xcol}/{pc_col}" if xcol else pc_col
    skipped = [SkippedRow(file=file, row=str(table.rows.iloc[i]), field=str(fields[i]), reason=str(reasons[i]))
               for i in np.flatnonzero(reasons != None)]
    keep = reasons == None
    located = gpd.GeoDataFrame(
        frame[keep].reset_index(drop=True),
        geometry=gpd.points_from_xy(x[keep], y[keep]),
        crs=table_crs,
    )
    return located, table.rows[keep].reset_index(drop=True), skipped

