"""Which assets a map or a list shows: the filter a person sets, as SQL.

A filter becomes a WHERE fragment over table alias ``a`` with bound parameters; column
names come from constants here, never from what was typed. Boxes are WGS84 and use the
R-tree index on ``geom``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from atlas.store import Store

ENVELOPE_SQL = "ST_MakeEnvelope(?, ?, ?, ?)"
"""A WGS84 box from four bound parameters: west, south, east, north."""


@dataclass(frozen=True)
class AssetFilter:
    """Which assets to show. An empty tuple means "any"."""

    scales: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    boundary_id: int | None = None
    verified_since: date | None = None
    """Only assets verified on or after this day (see :func:`atlas.asset_lists.months_before`)."""

    def sql(self) -> tuple[str, list[object]]:
        """A WHERE fragment over table alias ``a`` and its parameters; "TRUE" for no filter."""
        clauses: list[str] = []
        params: list[object] = []
        for column, values in (("scale", self.scales), ("sector", self.sectors),
                               ("category", self.categories)):
            if values:
                # column names come from this tuple of constants, never from input
                clauses.append(f"list_contains(?::VARCHAR[], a.{column})")
                params.append(list(values))
        if self.boundary_id is not None:
            clauses.append("a.id IN (SELECT asset_id FROM asset_boundaries WHERE boundary_id = ?)")
            params.append(self.boundary_id)
        if self.verified_since is not None:
            clauses.append("a.verified_on >= ?")
            params.append(self.verified_since)
        return (" AND ".join(clauses) or "TRUE"), params

    def feature_sql(self) -> tuple[str, list[object]]:
        """The filter's WHERE fragment for features (alias ``a``): of the asset filters
        only the boundary applies to them."""
        if self.boundary_id is None:
            return "TRUE", []
        return "a.id IN (SELECT feature_id FROM feature_boundaries WHERE boundary_id = ?)", [self.boundary_id]


ANY_ASSET = AssetFilter()
"""The filter that lets every asset through (frozen, so safe as a default argument)."""


def asset_categories(store: Store) -> list[str]:
    """Every category in use, alphabetically: the choices of the category filter."""
    rows = store.con.execute(
        "SELECT DISTINCT category FROM assets WHERE category IS NOT NULL ORDER BY category"
    ).fetchall()
    return [r[0] for r in rows]
