"""Where a register row is: its postcode's point, and whether that lies in the atlas's area.

The atlas's area is what its boundaries cover (all of them, every level). The postcodes
inside it are found once per import (those of the lookup within the boundaries' extent,
then tested against the boundaries in the store's metric CRS), so a chunk of a national
register is sorted by a set look-up: in the area, known but outside it, or unknown. A
store with no boundaries yet has no area to keep to: every known postcode is in.

Rows that cannot be used are listed in the skipped-rows report. A national file skips
millions of rows for lying elsewhere; those are listed up to :data:`LISTED_PER_REASON`
and the rest counted in one line, so the report stays a thing a person can open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from atlas.importers import postcode_store
from atlas.importers.summary import SkippedRow
from atlas.projection import WGS84, transformer
from atlas.store import Store

LISTED_PER_REASON = 10_000
"""Rows listed one by one in the skipped-rows report for each kind of reason; beyond it
the report says how many more were skipped for that reason."""

OUTSIDE = "outside the atlas's area"


@dataclass(frozen=True)
class Placed:
    """A chunk's postcodes sorted: WGS84 points (NaN where unknown), which are in the
    area, and which are known but outside it."""

    lon: np.ndarray
    lat: np.ndarray
    in_area: np.ndarray
    outside: np.ndarray


class AreaPostcodes:
    """The postcodes of the atlas's area, and a way to place a chunk's postcodes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        inside = _area_postcodes(store)
        self._keys = None if inside is None else pa.array(inside.index.to_numpy(dtype=object), type=pa.string())
        self._lon = None if inside is None else inside["lon"].to_numpy(dtype=float)
        self._lat = None if inside is None else inside["lat"].to_numpy(dtype=float)

    def place(self, keys: pa.Array | pd.Series) -> Placed:
        """Sort normalised postcodes (null where a value is no postcode)."""
        if isinstance(keys, pd.Series):
            keys = pa.array(keys.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        n = len(keys)
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        valid = pc.is_valid(keys).to_numpy(zero_copy_only=False)
        outside = np.zeros(n, dtype=bool)
        if self._keys is None or self._lon is None or self._lat is None:
            if valid.any():
                lon[valid], lat[valid] = postcode_store.lookup(self._store, keys.filter(valid).to_pylist())
            return Placed(lon, lat, ~np.isnan(lon), outside)
        at = pc.fill_null(pc.index_in(keys, value_set=self._keys), -1).to_numpy(zero_copy_only=False)
        in_area = at >= 0
        lon[in_area] = self._lon[at[in_area]]
        lat[in_area] = self._lat[at[in_area]]
        rest = valid & ~in_area
        if rest.any():
            # Known postcodes elsewhere are told apart from unknown ones: a person fixes
            # only the second kind.
            far_lon, _ = postcode_store.lookup(self._store, keys.filter(rest).to_pylist())
            outside[np.flatnonzero(rest)[~np.isnan(far_lon)]] = True
        return Placed(lon, lat, in_area, outside)


def _area_postcodes(store: Store) -> pd.DataFrame | None:
    """The lookup's postcodes inside the store's boundaries, indexed by postcode, with
    their WGS84 lon and lat; None when the store has no boundaries."""
    epsg = store.settings.metric_epsg
    rows = store.rows("SELECT ST_AsWKB(geom_m) AS geom_m FROM boundaries", wkb=("geom_m",))
    if not rows or epsg is None:
        return None
    area = shapely.union_all([r["geom_m"] for r in rows])
    to_lonlat = transformer(epsg, WGS84)
    xmin, ymin, xmax, ymax = area.bounds
    corners_lon, corners_lat = to_lonlat.transform([xmin, xmin, xmax, xmax], [ymin, ymax, ymin, ymax])
    # A rectangle in metres is not one in degrees: widen the lon/lat box a little so the
    # prefilter keeps every postcode the exact test below could find inside.
    pad = 0.01
    found = store.con.execute(
        "SELECT postcode, lon, lat FROM postcodes WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
        [min(corners_lon) - pad, max(corners_lon) + pad, min(corners_lat) - pad, max(corners_lat) + pad],
    ).fetchall()
    frame = pd.DataFrame(found, columns=["postcode", "lon", "lat"]).astype({"lon": float, "lat": float})
    if frame.empty:
        return frame.set_index("postcode")
    x, y = transformer(WGS84, epsg).transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    shapely.prepare(area)
    inside = shapely.contains_xy(area, x, y) | shapely.intersects_xy(area, x, y)
    return frame[inside].set_index("postcode")


@dataclass
class SkipLog:
    """Skipped rows for the report: every one up to LISTED_PER_REASON per kind of reason,
    then a count."""

    listed: list[SkippedRow] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, file: str, row: object, column: str, reason: str, *, kind: str) -> None:
        """One skipped row, counted under ``kind``."""
        self.add_rows(file, np.array([row]), column, kind, lambda _: reason)

    def add_rows(self, file: str, rows: np.ndarray, column: str, kind: str, reason: Callable[[int], str]) -> None:
        """Skipped rows, counted under ``kind``; ``reason(j)`` says why for ``rows[j]``,
        asked only of the rows listed (a national file skips millions)."""
        room = max(0, LISTED_PER_REASON - self.counts[kind])
        self.listed.extend(SkippedRow(file=file, row=str(rows[j]), field=column, reason=reason(j))
                           for j in range(min(room, len(rows))))
        self.counts[kind] += len(rows)
        if len(rows) > room:
            self.fields[kind] = (file, column)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rows(self) -> list[SkippedRow]:
        """The report's rows: those listed, then one line per reason with rows not listed."""
        more = [SkippedRow(file=file, row=f"{self.counts[kind] - LISTED_PER_REASON:,} more rows", field=column,
                           reason=f"{kind} (not listed one by one)")
                for kind, (file, column) in self.fields.items()]
        return [*self.listed, *more]


__all__ = ["LISTED_PER_REASON", "OUTSIDE", "AreaPostcodes", "Placed", "SkipLog"]
