"""What a store holds, read the same way on either engine, for before/after comparisons."""

from __future__ import annotations

from atlas.spatial_order import META_PREFIX
from atlas.store_copy import columns


def contents(store, tables=None) -> dict[str, list[tuple]]:
    """Every row of every table (or of ``tables``), geometry as WKB, sorted: equal for
    two stores exactly when their tables hold the same data."""
    out = {}
    for table in sorted(tables or store.engine.table_names(store.con)):
        cols = columns(store, table)
        select = ", ".join(f"ST_AsWKB({c.name})" if c.geometry else c.name for c in cols)
        rows = store.con.execute(f"SELECT {select} FROM {table}").fetchall()
        out[table] = sorted((tuple(_plain(v) for v in r) for r in rows), key=repr)
    if "atlas_meta" in out:  # an engine's own bookkeeping is not the store's data
        out["atlas_meta"] = [r for r in out["atlas_meta"] if not r[0].startswith(META_PREFIX)]
    return out


def _plain(value):
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, list):
        return tuple(value)
    return value
