"""UK postcodes: one spelling for each (``B1  1AY``, ``b11ay`` and ``B1 1AY`` are one
postcode), and the lookup table filled from the ONS Postcode Directory (ONSPD/NSPL) or
OS Code-Point Open, as a CSV (with or without its header row), a folder of them, or
the .zip they are published in.

With a header, columns are found by name (``pcds``/``pcd``/``Postcode``; ``lat``/``long``
preferred, else ``oseast1m``/``osnrth1m``/``Eastings``/``Northings``). Without one, the
postcode column is the one whose values are postcodes and the coordinates the first
pair of number columns that look like British National Grid eastings and northings (as
in Code-Point Open: postcode, quality, easting, northing, ...).
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atlas.errors import InvalidInput
from atlas.importers import postcode_store
from atlas.importers.columns import name_key
from atlas.importers.report import default_report_path, write_report
from atlas.importers.summary import PostcodeSummary, ProgressCallback, SkippedRow, no_progress
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84, transformer
from atlas.store import Store

_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")
_HEADER_POSTCODE = ("pcds", "pcd", "pcd2", "postcode", "pc", "post_code")
_HEADER_LAT = ("lat", "latitude")
_HEADER_LON = ("long", "lon", "longitude")
_HEADER_EAST = ("oseast1m", "eastings", "easting", "ea", "east")
_HEADER_NORTH = ("osnrth1m", "northings", "northing", "no", "north")
_CHUNK_ROWS = 250_000
# Great Britain on the National Grid, in metres; anything else is not a GB grid reference.
_GB_EASTING = (1_000.0, 700_000.0)
_GB_NORTHING = (1_000.0, 1_300_000.0)


def normalise(value: object) -> str | None:
    """A postcode as the lookup keys it: upper case, no spaces (``B11AY``); None when the
    value is not a UK postcode."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    key = re.sub(r"\s+", "", str(value)).upper()
    return key if _POSTCODE.match(key) else None


def normalise_many(values: pd.Series) -> pd.Series:
    """:func:`normalise` for a column, vectorised; None where a value is not a postcode."""
    keys = values.astype("string").str.replace(r"\s+", "", regex=True).str.upper()
    ok = keys.str.fullmatch(_POSTCODE.pattern).fillna(False).astype(bool)
    return keys.where(ok, None).astype(object).where(ok, None)


def display(key: str) -> str:
    """``B11AY`` as people write it: ``B1 1AY``."""
    return f"{key[:-3]} {key[-3:]}"


@dataclass(frozen=True)
class _Layout:
    header: bool
    postcode: int
    x: int
    y: int
    lonlat: bool
    columns: int


def _find(names: list[str], wanted: tuple[str, ...]) -> int | None:
    for w in wanted:
        if w in names:
            return names.index(w)
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _layout(sample: list[list[str]], file: str) -> _Layout:
    """Where the postcode and coordinates are, from the first rows of a file."""
    if not sample:
        raise InvalidInput(f"{file} is empty; there are no postcodes in it.")
    first = [name_key(c) for c in sample[0]]
    width = len(sample[0])
    pc = _find(first, _HEADER_POSTCODE)
    if pc is not None and normalise(sample[0][pc]) is None:
        lat, lon = _find(first, _HEADER_LAT), _find(first, _HEADER_LON)
        if lat is not None and lon is not None:
            return _Layout(True, pc, lon, lat, True, width)
        east, north = _find(first, _HEADER_EAST), _find(first, _HEADER_NORTH)
        if east is not None and north is not None:
            return _Layout(True, pc, east, north, False, width)
        raise InvalidInput(
            f"{file} has a postcode column but no coordinates (lat/long or easting/northing); "
            f"its columns are {', '.join(sample[0])}."
        )
    rest = [r for r in sample[1:] if len(r) == width] or sample
    for col in range(width):
        if sum(normalise(r[col]) is not None for r in rest) >= max(1, len(rest) * 0.8):
            pc = col
            break
    else:
        raise InvalidInput(f"{file} has no column of UK postcodes (looked for values such as B1 1AY).")
    header = normalise(sample[0][pc]) is None
    rows = rest if header or len(sample) == 1 else [sample[0], *rest]
    for col in range(width - 1):
        if col == pc:
            continue
        xs = [r[col] for r in rows]
        ys = [r[col + 1] for r in rows]
        if not all(_is_number(v) for v in xs + ys if v.strip()):
            continue
        xv = np.array([float(v) for v in xs if v.strip()] or [np.nan])
        yv = np.array([float(v) for v in ys if v.strip()] or [np.nan])
        xm, ym = np.nanmedian(xv), np.nanmedian(yv)
        if _GB_EASTING[0] <= xm <= _GB_EASTING[1] and _GB_NORTHING[0] <= ym <= _GB_NORTHING[1]:
            return _Layout(header, pc, col, col + 1, False, width)
        if 49 <= xm <= 61 and -9 <= ym <= 2:  # latitude then longitude, as ONSPD orders them
            return _Layout(header, pc, col + 1, col, True, width)
    raise InvalidInput(
        f"{file} has postcodes but no columns that look like coordinates (British National Grid "
        "eastings and northings, or latitude and longitude)."
    )


def _csv_sources(path: Path) -> Iterator[tuple[str, io.TextIOBase]]:
    """(name, text stream) of each CSV of postcodes: the file itself, each CSV in a folder,
    or each data CSV in a .zip (documentation and split copies left out)."""
    def wanted(name: str) -> bool:
        low = name.lower()
        return (low.endswith(".csv") and "/doc" not in f"/{low}" and "multi_csv" not in low
                and not any(w in low for w in ("column_headers", "metadata", "licence", "readme", "codelist")))

    if path.is_dir():
        for member in sorted(p for p in path.rglob("*.csv") if wanted(str(p.relative_to(path)))):
            yield str(member), member.open(newline="", encoding="utf-8-sig", errors="replace")
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for name in sorted(n for n in zf.namelist() if wanted(n)):
                yield f"{path}!{name}", io.TextIOWrapper(zf.open(name), encoding="utf-8-sig", errors="replace",
                                                         newline="")
    else:
        yield str(path), path.open(newline="", encoding="utf-8-sig", errors="replace")


def read_lookup(path: Path, *, progress: ProgressCallback = no_progress
                ) -> Iterator[tuple[str, pd.DataFrame, list[SkippedRow], int]]:
    """Chunks of ``(file, frame[postcode, lon, lat], skipped, rows read)`` from a postcode
    file; coordinates are WGS84 whatever the file holds."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist.")
    if path.is_file() and path.stat().st_size == 0:
        raise InvalidInput(f"{path} is empty (0 bytes); there are no postcodes in it.")
    done = 0
    found_any = False
    for name, stream in _csv_sources(path):
        found_any = True
        with stream:
            head = stream.read(64 * 1024)
            sample = [r for r in csv.reader(io.StringIO(head)) if r][:50]
            if head and not head.endswith("\n") and len(sample) > 1:
                sample = sample[:-1]
            layout = _layout(sample, name)
            stream.seek(0)
            reader = pd.read_csv(
                stream, header=0 if layout.header else None, usecols=[layout.postcode, layout.x, layout.y],
                dtype=str, keep_default_na=False, chunksize=_CHUNK_ROWS, skipinitialspace=True,
            )
            line_of_next = 2 if layout.header else 1  # in this file; ``done`` counts across files
            for chunk in reader:
                cols = list(chunk.columns)
                # file position -> label
                pos = dict(zip(sorted({layout.postcode, layout.x, layout.y}), cols, strict=True))
                raw_pc = chunk[pos[layout.postcode]]
                x = pd.to_numeric(chunk[pos[layout.x]], errors="coerce").to_numpy(dtype=float)
                y = pd.to_numeric(chunk[pos[layout.y]], errors="coerce").to_numpy(dtype=float)
                keys = normalise_many(raw_pc)
                line = np.arange(len(chunk)) + line_of_next
                line_of_next += len(chunk)
                if layout.lonlat:
                    lon, lat = x, y
                    no_coords = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lat) > 90) | ((lon == 0) & (lat == 0))
                else:
                    no_coords = ~np.isfinite(x) | ~np.isfinite(y) | (x <= 0) | (y <= 0)
                    lon, lat = transformer(BRITISH_NATIONAL_GRID, WGS84).transform(x, y)
                bad_pc = keys.isna().to_numpy()
                skipped = [
                    SkippedRow(file=name, row=str(line[i]), field="postcode",
                               reason=f"{raw_pc.iloc[i]!r} is not a UK postcode")
                    for i in np.flatnonzero(bad_pc)
                ] + [
                    SkippedRow(file=name, row=str(line[i]), field="coordinates",
                               reason=f"postcode {raw_pc.iloc[i].strip()} has no coordinates in this file")
                    for i in np.flatnonzero(no_coords & ~bad_pc)
                ]
                keep = ~bad_pc & ~no_coords
                frame = pd.DataFrame({"postcode": keys.to_numpy()[keep], "lon": np.asarray(lon)[keep],
                                      "lat": np.asarray(lat)[keep]})
                done += len(chunk)
                progress("reading", done, None)
                yield name, frame, skipped, len(chunk)
    if not found_any:
        raise InvalidInput(f"{path} holds no CSV files of postcodes.")


def import_postcodes(store: Store, path: str | Path, *, source: str | None = None,
                     report_path: str | Path | None = None,
                     progress: ProgressCallback = no_progress) -> PostcodeSummary:
    """Load (or refresh) the postcode lookup from an ONSPD or Code-Point Open file, in one
    transaction. A postcode listed twice keeps its last coordinates."""
    started = time.perf_counter()
    path = Path(path)
    source = source or path.name
    read = inserted = updated = 0
    skipped: list[SkippedRow] = []
    fmt = "postcodes"
    with store.transaction():
        for _name, frame, skipped_rows, n in read_lookup(path, progress=progress):
            read += n
            skipped.extend(skipped_rows)
            frame = frame.drop_duplicates("postcode", keep="last")
            if len(frame):
                progress("writing", read, None)
                i, u = postcode_store.upsert(store, frame["postcode"].tolist(), frame["lon"].to_numpy(),
                                             frame["lat"].to_numpy(), source=source)
                inserted += i
                updated += u
    if read == 0:
        raise InvalidInput(f"{path} holds no rows of postcodes.")
    report = None
    if skipped:
        report = str(write_report(skipped, Path(report_path) if report_path
                                  else default_report_path(store.path, source)))
    return PostcodeSummary(path=str(path), format=fmt, read=read, imported=inserted, updated=updated,
                           skipped=len(skipped), skipped_report=report, seconds=time.perf_counter() - started)


def lookup(store: Store, values: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """WGS84 (lon, lat) for a column of postcodes as people write them, NaN where the
    value is not a postcode or not in the lookup; and the normalised keys."""
    keys = normalise_many(values)
    lon, lat = postcode_store.lookup(store, keys.tolist())
    return lon, lat, keys


def locate(store: Store, postcode: str) -> tuple[float, float] | None:
    """WGS84 (lon, lat) of one postcode, or None when it is not a postcode or not known."""
    key = normalise(postcode)
    if key is None:
        return None
    lon, lat = postcode_store.lookup(store, [key])
    return None if np.isnan(lon[0]) else (float(lon[0]), float(lat[0]))
