"""Bounding-box columns: each feature's and asset's extent in the store's metric CRS.

``bbox_xmin``, ``bbox_ymin``, ``bbox_xmax`` and ``bbox_ymax`` (metres; ``xmin`` is a system
column in PostgreSQL) are kept beside ``geom_m`` in the
features and assets tables (migration 7) and written with it on every write
(:mod:`atlas.writes`), computed here from the very geometry written. They are plain
numbers, so DuckDB keeps a minimum and a maximum of each per stored segment and a filter
on them skips whole segments of a table kept in Hilbert order
(:mod:`atlas.spatial_order`); :func:`atlas.queries.nearby` filters on them and measures
exact distances only on the rows left. They mean the same on PostgreSQL, where nearby()
uses the GiST index instead.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

BBOX_COLUMNS = ("bbox_xmin", "bbox_ymin", "bbox_xmax", "bbox_ymax")
"""The columns, in shapely's ``bounds`` order."""

BBOX_TABLES = ("features", "assets")
"""The tables that carry them: what nearby() searches."""


def bbox_arrays(geoms_m: np.ndarray) -> dict[str, pa.Array]:
    """The four columns for metric geometries, as Arrow arrays named by column, in one
    vectorised call."""
    bounds = shapely.bounds(np.asarray(geoms_m, dtype=object)).reshape(-1, 4)
    return {name: pa.array(bounds[:, i], type=pa.float64()) for i, name in enumerate(BBOX_COLUMNS)}


def overlap_sql(alias: str) -> str:
    """SQL that is true where the row's box meets the box given by :func:`overlap_params`."""
    return f"{alias}.bbox_xmin <= ? AND {alias}.bbox_xmax >= ? AND {alias}.bbox_ymin <= ? AND {alias}.bbox_ymax >= ?"


def overlap_params(geom_m: BaseGeometry, margin_m: float = 0.0) -> list[float]:
    """The parameters of :func:`overlap_sql` for ``geom_m``'s box grown by ``margin_m``
    metres on every side. A geometry within ``margin_m`` of ``geom_m`` always has a box
    that meets this one, so the filter never loses a row that an exact test would keep."""
    minx, miny, maxx, maxy = geom_m.bounds
    return [maxx + margin_m, minx - margin_m, maxy + margin_m, miny - margin_m]
