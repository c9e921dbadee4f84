"""From a file's own columns to the atlas's fields.

Columns are matched by name (case, spaces and punctuation ignored) against a short list of
names people use (``Organisation``, ``No. of employees``, ``Post code`` ...), or named
outright in a mapping file with the columns ``field,column,value``: ``column`` is the
file's column to read the atlas ``field`` from, ``value`` a constant for every row (for
example ``kind,,building``). Values are checked here, so a bad one is reported with the
file, row and column it came from, before anything is written.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atlas import settings
from atlas import text as words
from atlas.errors import InvalidInput
from atlas.models import ASSET_TYPES, FEATURE_KINDS, FEATURE_STATUSES, SECTORS

# Names people give each atlas field, normalised by name_key(). First match wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "source_id": ("source_id", "id", "identifier", "uid", "unique_id", "ref", "reference"),
    "name": ("name", "title", "organisation", "organisation_name", "organization", "organization_name",
             "org_name", "asset_name", "site_name", "group_name", "business_name", "label"),
    "code": ("code", "gss_code", "area_code", "ref_gss"),
    "kind": ("kind", "feature_kind", "site_kind"),
    "land_use": ("land_use", "landuse", "use", "current_use"),
    "status": ("status", "site_status"),
    "description": ("description", "notes", "note", "comment", "comments", "desc"),
    "category": ("category", "asset_category", "type", "activity"),
    "sector": ("sector",),
    "asset_type": ("asset_type",),
    "employees": ("employees", "staff", "headcount", "number_of_employees", "no_of_employees",
                  "employee_count", "staff_count", "fte"),
    "annual_spend": ("annual_spend", "spend", "annual_procurement_spend", "procurement_spend",
                     "spend_per_year", "annual_spend_gbp", "annual_spend_eur"),
    "land_ha": ("land_ha", "land_hectares", "hectares", "land_area_ha"),
    "offers": ("offers", "can_offer", "offer"),
    "needs": ("needs", "need"),
    "offers_text": ("offers_text",),
    "needs_text": ("needs_text",),
    "contact": ("contact", "email", "contact_email", "phone", "telephone"),
    "verified_by": ("verified_by",),
    "verified_on": ("verified_on", "verified_date"),
    "person": ("person", "is_person", "individual"),
    "consent_given_by": ("consent_given_by", "consent_by"),
    "consent_given_on": ("consent_given_on", "consent_date", "consent_on"),
    "consent_purpose": ("consent_purpose", "consent_for"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "lat": ("lat", "latitude", "y"),
    "easting": ("easting", "eastings", "east", "oseast1m", "x_coordinate"),
    "northing": ("northing", "northings", "north", "osnrth1m", "y_coordinate"),
    "postcode": ("postcode", "post_code", "postal_code", "pcd", "pcds", "zip", "zip_code"),
}

# ONS geography names and codes (WD13NM, LSOA11CD ...) for boundaries.
_ONS_NAME = re.compile(r"^[a-z]{2,6}\d{2}nm$")
_ONS_CODE = re.compile(r"^[a-z]{2,6}\d{2}cd$")

COORDINATE_FIELDS = ("lon", "lat", "easting", "northing", "postcode")
TARGET_FIELDS: dict[str, tuple[str, ...]] = {
    "features": ("source_id", "name", "kind", "land_use", "status", "description"),
    "assets": ("source_id", "name", "category", "sector", "asset_type", "employees", "annual_spend", "land_ha",
               "offers", "needs", "offers_text", "needs_text", "description", "contact", "verified_by",
               "verified_on", "person", "consent_given_by", "consent_given_on", "consent_purpose"),
    "boundaries": ("source_id", "name", "code"),
}
TARGETS = tuple(TARGET_FIELDS)
_VOCABULARIES = {"kind": FEATURE_KINDS, "status": FEATURE_STATUSES, "sector": SECTORS, "asset_type": ASSET_TYPES}
_INTEGERS = ("employees",)
_DECIMALS = ("annual_spend", "land_ha")
_NAMES = ("name", "code")
"""Fields that name a row: held to MAX_NAME_CHARS and refused when they are data (JSON)."""
_SHOWN_CHARS = 60
"""How much of a bad value a message quotes: enough to find it, never a whole document."""


def name_key(name: object) -> str:
    """A column or field name as compared: lower case, runs of other characters as "_"."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnMapping:
    """A mapping file's content: atlas field -> the file's column, and atlas field -> a
    constant value for every row."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def read_column_mapping(path: Path) -> ColumnMapping:
    """Read a ``field,column,value`` mapping from CSV (lines starting with # are notes)."""
    known = {f for fields in TARGET_FIELDS.values() for f in fields} | set(COORDINATE_FIELDS)
    columns: dict[str, str] = {}
    values: dict[str, str] = {}
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    if not reader.fieldnames or "field" not in [name_key(f) for f in reader.fieldnames]:
        raise InvalidInput(f"{path}: a column mapping needs the columns field,column,value.")
    for number, raw in enumerate(reader, start=2):
        row = {name_key(k): (v or "").strip() for k, v in raw.items() if k is not None}
        name = name_key(row.get("field", ""))
        if name not in known:
            raise InvalidInput(
                f"{path} row {number}, field field: {row.get('field')!r} is not an atlas field "
                f"(one of {', '.join(sorted(known))})."
            )
        if row.get("column"):
            columns[name] = row["column"]
        if row.get("value"):
            values[name] = row["value"]
    return ColumnMapping(columns=columns, values=values)


def match_columns(columns: Sequence[str], wanted: Iterable[str], mapping: ColumnMapping | None = None,
                  *, file: str = "the file", boundaries: bool = False) -> dict[str, str]:
    """Atlas field -> the file's column, for each of ``wanted`` the file holds."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(name_key(c), c)
    found: dict[str, str] = {}
    for name in wanted:
        explicit = (mapping.columns if mapping else {}).get(name)
        if explicit is not None:
            if explicit not in columns:
                match = by_norm.get(name_key(explicit))
                if match is None:
                    raise InvalidInput(
                        f"{file} has no column {explicit!r} (named for {name} in the mapping); "
                        f"its columns are {', '.join(map(str, columns))}."
                    )
                explicit = match
            found[name] = explicit
            continue
        for synonym in SYNONYMS.get(name, (name,)):
            if synonym in by_norm:
                found[name] = by_norm[synonym]
                break
        else:
            if boundaries and name in ("name", "code"):
                pattern = _ONS_NAME if name == "name" else _ONS_CODE
                hits = [c for c in columns if pattern.match(name_key(c))]
                if hits:
                    found[name] = hits[0]
    return found


def require_column(columns: Sequence[str], column: str, *, file: str, option: str) -> str:
    """The file's column called ``column`` (case and spacing forgiven), or one clear error."""
    if column in columns:
        return column
    for c in columns:
        if name_key(c) == name_key(column):
            return c
    raise InvalidInput(f"{file} has no field {column!r} (given with {option}); "
                       f"its fields are {', '.join(map(str, columns))}.")


def _where(file: str, rows: pd.Series, position: int, column: str) -> str:
    return f"{file} row {rows.iloc[position]}, field {column}"


def shown(value: object) -> str:
    """A value as a message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}…"


def check_text(values: pd.Series, *, file: str, rows: pd.Series, column: str, name: bool = False) -> None:
    """Refuse the first cell of ``values`` (text() output) that is too long, garbled
    (mojibake, control characters) or, for a ``name``, another program's data: one
    InvalidInput naming file, row and column. Arrow finds the few cells worth a look
    (long, not ASCII, with control characters, starting with a bracket), so a million
    plain names cost milliseconds; :func:`atlas.text.unfit` judges those."""
    max_chars = settings.MAX_NAME_CHARS if name else settings.MAX_TEXT_CHARS
    cells = pa.array(values.astype(object).where(values.notna(), None), type=pa.string(), from_pandas=True)
    worth_a_look = pc.or_kleene(pc.greater(pc.utf8_length(cells), max_chars),
                                pc.invert(pc.string_is_ascii(cells)))
    worth_a_look = pc.or_kleene(worth_a_look, pc.match_substring_regex(cells, words.CONTROL_CHARACTERS))
    if name:
        worth_a_look = pc.or_kleene(worth_a_look, pc.match_substring_regex(cells, r"^\s*[\[{]"))
    looked_at = np.flatnonzero(worth_a_look.fill_null(False).to_numpy(zero_copy_only=False))
    if not len(looked_at):
        return
    # Read once as a plain array (pandas' per-cell indexing cost more than the judging),
    # and judge each distinct value once: accented names repeat in a register.
    cell_values = values.to_numpy(dtype=object)
    judged: dict[str, str | None] = {}
    for i in looked_at:
        value = cell_values[i]
        if value not in judged:
            judged[value] = words.unfit(value, max_chars=max_chars, name=name)
        if judged[value]:
            raise InvalidInput(f"{_where(file, rows, int(i), column)}: {shown(value)}: {judged[value]}.")


def text(values: pd.Series) -> pd.Series:
    """Values as stripped strings; empty cells become None. Whole numbers read from
    spreadsheets (``123.0``) are written without the decimal point."""
    if pd.api.types.is_integer_dtype(values.dtype):
        out = values.astype("string").astype(object)
        return out.where(values.notna(), None)
    if pd.api.types.is_float_dtype(values.dtype):
        nums = values.to_numpy(dtype=float)
        whole = np.isfinite(nums) & (nums == np.round(nums))
        out = pd.Series(
            np.where(whole, np.char.mod("%d", np.where(whole, nums, 0).astype(np.int64)).astype(object),
                     values.astype(str).to_numpy(dtype=object)),
            index=values.index, dtype=object,
        )
        return out.where(values.notna(), None)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # Arrow trims a million strings in a few milliseconds; pandas' .str takes a second.
        # Strings stay in Arrow (pandas' own string columns are Arrow arrays): no copies.
        trimmed = pc.utf8_trim_whitespace(pa.array(values, type=pa.string(), from_pandas=True))
        trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        out = trimmed.to_pandas()
        out.index = values.index  # by position: the values may be a filtered selection
        return out
    return values.astype(object).map(_text_cell)


def _text_cell(v: object) -> str | None:
    if v is None or (isinstance(v, float) and (np.isnan(v))) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


_MONEY = re.compile(r"^(?P<num>[-+]?\d+(?:\.\d+)?)(?P<unit>k|m|bn|million|thousand)?$")
_UNIT = {None: 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9}


def _number_cell(v: object) -> float | None:
    """A number as people write it: ``1,200``, ``£1.2m``, ``€950k``, ``35 000``."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return None if np.isnan(v) else float(v)
    s = str(v).strip().lower()
    if not s:
        return None
    s = re.sub(r"[£€$\s,\u00a0\u202f]|gbp|eur|usd", "", s)
    m = _MONEY.match(s)
    if not m:
        raise ValueError(v)
    return float(m.group("num")) * _UNIT[m.group("unit")]


def numbers(values: pd.Series, *, file: str, rows: pd.Series, column: str, integer: bool) -> pd.Series:
    """Values as floats (NaN where empty); a value that is not a number is an error
    naming the file, row and column."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        out = values.astype(float)
    else:
        parsed = []
        for i, v in enumerate(values.to_numpy(dtype=object)):
            try:
                parsed.append(_number_cell(v))
            except ValueError:
                raise InvalidInput(f"{_where(file, rows, i, column)}: {shown(v)} is not a number.") from None
        out = pd.Series(np.array([np.nan if p is None else p for p in parsed], dtype=float), index=values.index)
    endless = np.flatnonzero(np.isinf(out.to_numpy()))
    if len(endless):  # "inf" and 1e999 read as numbers, but no count or amount is infinite
        raise InvalidInput(f"{_where(file, rows, int(endless[0]), column)}: {shown(values.iloc[endless[0]])} "
                           "is not a finite number.")
    bad = np.flatnonzero(out.to_numpy() < 0)
    if len(bad):
        raise InvalidInput(f"{_where(file, rows, int(bad[0]), column)}: {values.iloc[bad[0]]!r} is below zero.")
    if integer:
        out = out.round()
    return out


def vocabulary(values: pd.Series, allowed: Sequence[str], *, file: str, rows: pd.Series, column: str) -> pd.Series:
    """Values put in the atlas's words (``In use`` -> ``in_use``); anything else is an
    error naming the file, row and column and listing the words allowed."""
    cells = text(values)
    # A vocabulary column holds a handful of distinct values: clean each once.
    words = {v: re.sub(r"[\s-]+", "_", v.lower()) for v in cells.dropna().unique()}
    cleaned = cells.map(words).astype(object).where(cells.notna(), None)
    bad = np.flatnonzero(cleaned.notna().to_numpy() & ~cleaned.isin(allowed).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise InvalidInput(
            f"{_where(file, rows, i, column)}: {shown(values.iloc[i])} is not one of {', '.join(allowed)}."
        )
    return cleaned


def dates(values: pd.Series, *, file: str, rows: pd.Series, column: str) -> pd.Series:
    """Dates in ISO form (2024-05-31) or as Britons write them (31/05/2024)."""
    out: list[date | None] = []
    for i, v in enumerate(values.to_numpy(dtype=object)):
        s = _text_cell(v)
        if s is None:
            out.append(None)
            continue
        fmt = "%Y-%m-%d" if re.match(r"^\d{4}-", s) else "%d/%m/%Y"
        try:
            out.append(pd.to_datetime(s[:10] if fmt == "%Y-%m-%d" else s, format=fmt).date())
        except (ValueError, TypeError):
            raise InvalidInput(
                f"{_where(file, rows, i, column)}: {shown(v)} is not a date (write 2024-05-31).") from None
    return pd.Series(out, index=values.index, dtype=object)


def to_schema(frame: pd.DataFrame, target: str, matched: Mapping[str, str], constants: Mapping[str, str],
              *, file: str, rows: pd.Series, default_kind: pd.Series | None = None) -> pd.DataFrame:
    """The atlas's columns for ``target`` from the file's, every value checked.

    ``matched`` maps atlas fields to the file's columns, ``constants`` gives values for
    fields the file lacks. Raises :class:`InvalidInput` naming file, row and column.
    """
    out = pd.DataFrame(index=frame.index)
    for name in TARGET_FIELDS[target]:
        if name == "source_id":
            continue
        column = matched.get(name)
        if column is not None:
            values = frame[column]
        elif name in constants:
            values = pd.Series([constants[name]] * len(frame), index=frame.index, dtype=object)
            column = f"{name} (from the mapping)"
        else:
            continue
        if name in _VOCABULARIES:
            out[name] = vocabulary(values, _VOCABULARIES[name], file=file, rows=rows, column=column)
        elif name in _INTEGERS or name in _DECIMALS:
            out[name] = numbers(values, file=file, rows=rows, column=column, integer=name in _INTEGERS)
        elif name == "verified_on":
            out[name] = dates(values, file=file, rows=rows, column=column)
        else:
            out[name] = text(values)
            check_text(out[name], file=file, rows=rows, column=column, name=name in _NAMES)
    if target == "features":
        kind = out["kind"] if "kind" in out else pd.Series([None] * len(out), index=out.index, dtype=object)
        if default_kind is not None:
            kind = kind.where(kind.notna(), default_kind)
        out["kind"] = kind.fillna("other")
    if target in ("assets", "boundaries"):
        names = out.get("name")
        if names is None:
            what = "boundary" if target == "boundaries" else "asset"
            hint = " (name it with --name-field)" if target == "boundaries" else " (or name it in a --mapping file)"
            raise InvalidInput(
                f"{file} has no name column; every {what} needs a name{hint}. "
                f"Its columns are {', '.join(map(str, frame.columns))}."
            )
        empty = np.flatnonzero(names.isna().to_numpy())
        if len(empty):
            i = int(empty[0])
            raise InvalidInput(f"{_where(file, rows, i, matched.get('name', 'name'))}: the name is empty.")
    return out


def source_ids(frame: pd.DataFrame, column: str | None, *, file: str, rows: pd.Series) -> pd.Series:
    """The key each row is imported under: the id column's value, else the row number.
    Repeated ids are an error, since a re-import could not tell the rows apart."""
    if column is None:
        return rows.astype(str)
    ids = text(frame[column])
    check_text(ids, file=file, rows=rows, column=column, name=True)
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        raise InvalidInput(f"{_where(file, rows, int(missing[0]), column)}: the id is empty; every row needs one.")
    dupes = ids.duplicated(keep="first").to_numpy()
    if dupes.any():
        i = int(np.flatnonzero(dupes)[0])
        first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
        raise InvalidInput(
            f"{_where(file, rows, i, column)}: {shown(ids.iloc[i])} repeats row {rows.iloc[first]}; "
            "ids must be unique (or name another column with --id-field)."
        )
    return ids
