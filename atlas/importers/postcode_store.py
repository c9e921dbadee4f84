"""The store side of the postcode lookup: the only SQL of the importers, kept here (as
in atlas.writes and atlas.queries) so the readers hold none."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from atlas.store import Store


def count(store: Store) -> int:
    """How many postcodes the lookup holds."""
    return int(store.con.execute("SELECT count(*) FROM postcodes").fetchone()[0])


def upsert(store: Store, postcodes: Sequence[str], lon: np.ndarray, lat: np.ndarray, *, source: str) -> tuple[int, int]:
    """Add or update postcodes (normalised, see :func:`atlas.importers.postcodes.normalise`)
    with WGS84 coordinates. One transaction. Returns (inserted, updated)."""
    data = pa.table({
        "postcode": pa.array(postcodes, type=pa.string()),
        "lon": pa.array(lon, type=pa.float64()),
        "lat": pa.array(lat, type=pa.float64()),
    })
    con = store.con
    with store.transaction():
        con.register("_postcodes_in", data)
        try:
            updated = con.execute(
                "SELECT count(*) FROM postcodes p JOIN _postcodes_in i ON p.postcode = i.postcode"
            ).fetchone()[0]
            con.execute(
                "INSERT INTO postcodes (postcode, lon, lat, source, imported_at) "
                "SELECT postcode, lon, lat, ?, current_timestamp FROM _postcodes_in "
                "ON CONFLICT (postcode) DO UPDATE SET lon = excluded.lon, lat = excluded.lat, "
                "source = excluded.source, imported_at = excluded.imported_at",
                [source],
            )
        finally:
            con.unregister("_postcodes_in")
    return data.num_rows - updated, updated


def lookup(store: Store, postcodes: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (lon, lat) of each normalised postcode, NaN where unknown, in the given order."""
    if not len(postcodes):
        return np.array([], dtype=float), np.array([], dtype=float)
    data = pa.table({
        "i": pa.array(np.arange(len(postcodes)), type=pa.int64()),
        "postcode": pa.array(list(postcodes), type=pa.string()),
    })
    con = store.con
    con.register("_postcodes_wanted", data)
    try:
        found = con.execute(
            "SELECT w.i, p.lon, p.lat FROM _postcodes_wanted w JOIN postcodes p ON p.postcode = w.postcode"
        ).fetchnumpy()
    finally:
        con.unregister("_postcodes_wanted")
    lon = np.full(len(postcodes), np.nan)
    lat = np.full(len(postcodes), np.nan)
    idx = np.asarray(found["i"], dtype=np.int64)
    lon[idx] = np.asarray(found["lon"], dtype=float)
    lat[idx] = np.asarray(found["lat"], dtype=float)
    return lon, lat
