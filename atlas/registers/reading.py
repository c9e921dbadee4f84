"""Reading a register's delimited text file in chunks, whatever its size.

Companies House's basic company data is one CSV of about five million rows (2 GB, or a
.zip holding it); the Charity Commission's extract is a tab-separated .txt. Both are
read in record batches with Arrow's streaming CSV reader, only the columns wanted, so
memory stays at one chunk and the whole file never has to fit. Column names are
compared trimmed and without case or punctuation (Companies House's header has leading
spaces: ``CompanyName, CompanyNumber``). Rows are numbered as a spreadsheet shows them
(the header is row 1).
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from atlas.errors import InvalidInput
from atlas.importers.columns import name_key, shown, text
from atlas.importers.postcodes import _POSTCODE

CHUNK_BYTES = 32 << 20
"""Bytes of the file parsed at a time (a chunk of about 150,000 Companies House rows)."""
_SAMPLE_BYTES = 1 << 20
_TEXT_MEMBERS = (".csv", ".txt", ".tsv")
POSTCODE_PATTERN = _POSTCODE.pattern


@dataclass(frozen=True)
class Chunk:
    """Some rows of the file: ``cells`` has one column per wanted field (trimmed strings,
    null for empty cells), kept in Arrow so that a national file's millions of rows
    elsewhere are sorted without becoming Python objects; ``rows`` the row number a
    person sees for each."""

    cells: pa.Table
    rows: np.ndarray

    def frame(self, keep: np.ndarray) -> pd.DataFrame:
        """The rows picked by ``keep`` as a frame of objects (None for empty cells)."""
        picked = self.cells.filter(pa.array(keep, type=pa.bool_()))
        return pd.DataFrame({name: pd.Series(picked.column(name).to_numpy(zero_copy_only=False), dtype=object)
                             for name in picked.column_names})


@dataclass(frozen=True)
class Layout:
    """How a file is laid out: its shown name, delimiter, encoding and header."""

    file: str
    delimiter: str
    encoding: str
    header: tuple[str, ...]

    def columns(self, wanted: Mapping[str, Sequence[str]], *, required: Sequence[str] = (),
                what: str = "the file") -> dict[str, str]:
        """Field -> the file's column (as written, spaces and all), for each field of
        ``wanted`` (field -> names people give it) that the header holds. A missing
        ``required`` field is one InvalidInput listing what the file has."""
        by_key: dict[str, str] = {}
        for column in self.header:
            by_key.setdefault(name_key(column), column)
        found: dict[str, str] = {}
        for field, names in wanted.items():
            for name in names:
                if name_key(name) in by_key:
                    found[field] = by_key[name_key(name)]
                    break
        missing = [f for f in required if f not in found]
        if missing:
            looked = "; ".join(f"{f}: {' or '.join(wanted[f][:3])}" for f in missing)
            raise InvalidInput(
                f"{self.file} is not {what}: it has no column for {looked}. "
                f"Its columns are {', '.join(c.strip() for c in self.header[:40])}"
                f"{' ...' if len(self.header) > 40 else ''}."
            )
        return found


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """(shown name, binary stream) of the table: the file, or the one text file in a .zip
    (as Companies House publishes it)."""
    if not zipfile.is_zipfile(path):
        with path.open("rb") as stream:
            yield str(path), stream
        return
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(_TEXT_MEMBERS)
                   and not m.filename.startswith("__MACOSX")]
        if len(members) != 1:
            names = ", ".join(m.filename for m in members) or "none"
            raise InvalidInput(f"{path} should hold one CSV or TXT file to import; it holds {names}.")
        with archive.open(members[0]) as stream:
            yield f"{path}!{members[0].filename}", stream


def _encoding(sample: bytes) -> str:
    """UTF-8 when the sample decodes as UTF-8 (a sequence cut at the sample's end aside),
    else Windows-1252, as spreadsheet programs save CSV on Windows."""
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:
            return "utf-8"
    return "cp1252"


def layout(path: Path) -> Layout:
    """Read the first lines of a register file to learn its delimiter, encoding and header."""
    with _open(path) as (file, stream):
        sample = stream.read(_SAMPLE_BYTES)
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    encoding = _encoding(sample)
    text = sample.decode(encoding, errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise InvalidInput(f"{file} is empty or starts with a blank line; a register file starts with its header.")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    if delimiter == "," and first.count(",") == 0 and first.count(";") > 0:
        delimiter = ";"
    if delimiter == "\t":
        header = tuple(first.split("\t"))
    else:
        header = tuple(next(iter(pd.read_csv(io.StringIO(first + "\n"), sep=delimiter, dtype=str,
                                             header=None).itertuples(index=False))))
    header = tuple("" if (isinstance(h, float) and np.isnan(h)) else str(h) for h in header)
    return Layout(file=file, delimiter=delimiter, encoding=encoding, header=header)


def read_chunks(path: Path, found: Layout, columns: Mapping[str, str]) -> Iterator[Chunk]:
    """The rows of the file in chunks, with only ``columns`` (field -> the file's column),
    renamed to their fields. A row with the wrong number of fields stops the import
    with one InvalidInput naming it."""
    wanted = list(dict.fromkeys(columns.values()))
    names = [f"c{i}" for i in range(len(found.header))]  # the header's names may repeat or be blank
    by_column = {c: names[found.header.index(c)] for c in wanted}
    broken: list[str] = []

    def refuse(row: pacsv.InvalidRow) -> str:
        # With quoted line breaks allowed the parser cannot count lines: quote the row.
        where = f"line {row.number}" if row.number is not None else f"the row {shown(row.text)}"
        broken.append(f"{found.file}: {where} has {row.actual_columns} fields where the header has "
                      f"{row.expected_columns}; fix the row (an unquoted delimiter in a value?) and import again.")
        return "error"

    tab = found.delimiter == "\t"
    with _open(path) as (file, stream):
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=found.encoding,
                                               block_size=CHUNK_BYTES),
                # The Charity Commission's tab-separated extract does not quote; a stray
                # quote in a charity's activities must not swallow the next rows.
                parse_options=pacsv.ParseOptions(delimiter=found.delimiter, quote_char=False if tab else '"',
                                                 newlines_in_values=not tab, invalid_row_handler=refuse),
                convert_options=pacsv.ConvertOptions(include_columns=[by_column[c] for c in wanted],
                                                     column_types={by_column[c]: pa.string() for c in wanted},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
            done = 0
            for batch in reader:
                cells = pa.table({field: _cells(batch.column(by_column[column]))
                                  for field, column in columns.items()})
                rows = np.arange(done + 2, done + 2 + batch.num_rows)
                done += batch.num_rows
                yield Chunk(cells=cells, rows=rows)
        except pa.ArrowInvalid as exc:
            if broken:
                raise InvalidInput(broken[0]) from None
            if "utf8" in str(exc).lower():
                raise InvalidInput(f"{file} mixes encodings: it starts as UTF-8 but has other text further on. "
                                   "Save it again as UTF-8 and import it again.") from None
            raise InvalidInput(f"{file} could not be read as a delimited table ({str(exc).strip()}).") from None


def cleaned(values: pd.Series) -> pd.Series:
    """Cells as :func:`atlas.importers.columns.text` makes them (trimmed, whole numbers
    without ``.0``), as objects with None in the gaps, never NaN: a gap is not a string."""
    out = text(values).astype(object)
    return out.where(out.notna(), None)


def _cells(values: pa.Array) -> pa.Array:
    """Trimmed strings, null where a cell is empty."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def postcode_keys(values: pa.Array) -> pa.Array:
    """:func:`atlas.importers.postcodes.normalise` in Arrow: upper case without spaces,
    null where the value is not a UK postcode (a million cells in a few milliseconds)."""
    keys = pc.utf8_upper(pc.replace_substring_regex(values, pattern=r"\s+", replacement=""))
    valid = pc.fill_null(pc.match_substring_regex(keys, POSTCODE_PATTERN), False)
    return pc.if_else(valid, keys, pa.scalar(None, pa.string()))


def company_keys(values: pa.Array) -> pa.Array:
    """:func:`atlas.org_matching.normalise_company_number` in Arrow: eight characters,
    digits zero-padded, null where the value is no company number."""
    text_ = pc.utf8_upper(pc.replace_substring_regex(values, pattern=r"\s+", replacement=""))
    digits = pc.fill_null(pc.match_substring_regex(text_, r"^\d{1,8}$"), False)
    prefixed = pc.fill_null(pc.match_substring_regex(text_, r"^[A-Z]{2}\d{1,6}$"), False)
    padded = pc.utf8_lpad(text_, width=8, padding="0")
    return pc.if_else(digits, padded, pc.if_else(prefixed, text_, pa.scalar(None, pa.string())))


__all__ = ["CHUNK_BYTES", "Chunk", "Layout", "cleaned", "company_keys", "layout", "postcode_keys", "read_chunks"]
