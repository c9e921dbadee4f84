"""What is in a map view, within a budget.

A map of a million assets cannot send a million markers to a browser. :func:`map_contents`
returns only what lies in the view, and when that is more than the render budget it
returns an aggregate instead: assets counted on a grid of cells a few screen pixels wide,
and only the largest features. Shapes are simplified to about half a screen pixel at the
view's zoom, which is all the detail a screen can show.

Everything here is WGS84 (longitude, latitude): these queries feed a web map, they do not
measure. Every spatial filter uses the R-tree index on ``geom``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import shapely

from atlas.asset_filter import ANY_ASSET, ENVELOPE_SQL, AssetFilter
from atlas.store import Store
from atlas.view_index import ASSETS_IN_BOX_SQL, FEATURES_OVERLAPPING_SQL, ViewIndex
from atlas.viewport import Viewport, degrees_per_pixel

RENDER_BUDGET = 5_000
"""Shapes and markers sent to the browser for one map render, at most."""

ASSET_BUDGET = 3_000
"""Share of the render budget for asset markers; above it assets are drawn as grid cells."""

FEATURE_BUDGET = 1_800
"""Share of the render budget for features; above it only the largest are drawn."""

BOUNDARY_BUDGET = RENDER_BUDGET - ASSET_BUDGET - FEATURE_BUDGET
"""Share of the render budget for boundaries (the largest are kept)."""

CELL_PX = 64
"""Width of an aggregate grid cell, in screen pixels."""


@dataclass(frozen=True)
class AssetPoint:
    """An asset as drawn on a map."""

    id: int
    name: str
    scale: str
    sector: str | None
    category: str | None
    lon: float
    lat: float
    verified_on: date | None


@dataclass(frozen=True)
class AssetCell:
    """Assets of one grid cell, drawn as one symbol when a view holds too many to show."""

    lon: float
    """Mean longitude of the cell's assets (so the symbol sits where they are)."""
    lat: float
    count: int
    macro_count: int
    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True)
class FeatureShape:
    """A feature as drawn on a map, its geometry simplified for the view's zoom."""

    id: int
    name: str | None
    kind: str
    status: str
    land_use: str | None
    area_m2: float | None
    geom: shapely.Geometry


@dataclass(frozen=True)
class BoundaryShape:
    id: int
    name: str
    level: str
    geom: shapely.Geometry


@dataclass(frozen=True)
class MapContents:
    """What one map render shows. When ``asset_cells`` is not empty the view held more
    than :data:`ASSET_BUDGET` assets and they are drawn as cells, not markers."""

    viewport: Viewport
    boundaries: list[BoundaryShape]
    features: list[FeatureShape]
    features_in_view: int
    """Features in the view, counted no further than the feature budget plus one."""
    assets: list[AssetPoint]
    asset_cells: list[AssetCell]
    assets_in_view: int
    filters: AssetFilter = field(default_factory=AssetFilter)

    @property
    def assets_aggregated(self) -> bool:
        return bool(self.asset_cells)

    @property
    def features_truncated(self) -> bool:
        return self.features_in_view > len(self.features)

    @property
    def shape_count(self) -> int:
        """Symbols this render draws: markers, cells, features and boundaries."""
        return len(self.assets) + len(self.asset_cells) + len(self.features) + len(self.boundaries)


def _capped_count(store: Store, table: str, where: str, params: list[object], cap: int) -> int:
    """How many rows match, counting no further than ``cap + 1`` (cheap on huge views)."""
    return store.con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} a WHERE {where} LIMIT ?) capped", [*params, cap + 1]
    ).fetchone()[0]


@dataclass(frozen=True)
class ViewCounts:
    """How many assets and features a view holds, each counted no further than its budget
    plus one (so a huge view costs no more to count than a small one)."""

    assets: int
    features: int

    @property
    def within_budget(self) -> bool:
        return self.assets <= ASSET_BUDGET and self.features <= FEATURE_BUDGET


def view_counts(store: Store, viewport: Viewport, filters: AssetFilter = ANY_ASSET) -> ViewCounts:
    """Capped counts of what :func:`map_contents` would draw in ``viewport``."""
    asset_where, asset_params = filters.sql()
    feature_where, feature_params = filters.feature_sql()
    box = list(viewport.bounds)
    return ViewCounts(
        assets=_capped_count(store, "assets", f"ST_Intersects(a.geom, {ENVELOPE_SQL}) AND {asset_where}",
                             [*box, *asset_params], ASSET_BUDGET),
        features=_capped_count(store, "features", f"ST_Intersects(a.geom, {ENVELOPE_SQL}) AND {feature_where}",
                               [*box, *feature_params], FEATURE_BUDGET),
    )


def map_contents(store: Store, viewport: Viewport, filters: AssetFilter = ANY_ASSET, *,
                 index: ViewIndex | None = None, asset_budget: int = ASSET_BUDGET,
                 feature_budget: int = FEATURE_BUDGET, boundary_budget: int = BOUNDARY_BUDGET,
                 render_budget: int = RENDER_BUDGET) -> MapContents:
    """Boundaries, features and assets in ``viewport`` that pass ``filters``, within budget.

    Assets over ``asset_budget`` (or over what of ``render_budget`` the shapes leave, if
    that is more) come back as :class:`AssetCell` counts on a grid
    :data:`CELL_PX` screen pixels wide; features over ``feature_budget`` are cut to the
    largest; shapes are simplified to half a screen pixel. A boundary filter also limits
    features to those in the boundary. ``index`` (see
    :class:`~atlas.view_index.ViewIndex`) makes views over budget quick on large stores;
    it must be as new as the store.
    """
    west, south, east, north = box = viewport.bounds
    tolerance = degrees_per_pixel(viewport.zoom) / 2
    feature_filter, feature_filter_params = filters.feature_sql()
    feature_where = f"ST_Intersects(a.geom, {ENVELOPE_SQL}) AND {feature_filter}"
    feature_params: list[object] = [*box, *feature_filter_params]
    n_features = _capped_count(store, "features", feature_where, feature_params, feature_budget)
    # Over budget, the largest are kept: they give the view its form.
    if n_features > feature_budget and index is not None:
        chosen = (f"SELECT a.id FROM {index.features_table} a WHERE {FEATURES_OVERLAPPING_SQL} "
                  f"AND {feature_filter} ORDER BY a.area_m2 DESC NULLS LAST, a.id LIMIT ?")
        chosen_params: list[object] = [west, east, south, north, *feature_filter_params, feature_budget]
    else:
        chosen = (f"SELECT a.id FROM features a WHERE {feature_where} "
                  "ORDER BY a.area_m2 DESC NULLS LAST, a.id LIMIT ?")
        chosen_params = [*feature_params, feature_budget]
    ids = [r[0] for r in store.con.execute(chosen, chosen_params).fetchall()]
    features = store.records(
        FeatureShape,
        "SELECT id, name, kind, status, land_use, area_m2, ST_AsWKB(ST_SimplifyPreserveTopology(geom, ?)) AS geom "
        "FROM features WHERE id = ANY(?::BIGINT[]) ORDER BY area_m2 DESC NULLS LAST, id",
        [tolerance, ids], wkb=("geom",),
    ) if ids else []

    boundaries = store.records(
        BoundaryShape,
        f"SELECT a.id, a.name, a.level, ST_AsWKB(ST_SimplifyPreserveTopology(a.geom, ?)) AS geom "
        f"FROM boundaries a WHERE ST_Intersects(a.geom, {ENVELOPE_SQL}) "
        f"ORDER BY ST_Area(a.geom) DESC, a.id LIMIT ?",
        [tolerance, *box, boundary_budget], wkb=("geom",),
    )

    # Assets may use whatever of the render budget the shapes left.
    asset_budget = max(asset_budget, render_budget - len(features) - len(boundaries))
    asset_where, asset_params = filters.sql()
    if index is not None:  # the index's numeric boxes and coordinates, quicker over many rows
        table, x, y = index.assets_table, "a.x", "a.y"
        where, params = f"{ASSETS_IN_BOX_SQL} AND {asset_where}", [west, east, south, north, *asset_params]
    else:
        table, x, y = "assets", "ST_X(a.geom)", "ST_Y(a.geom)"
        where, params = f"ST_Intersects(a.geom, {ENVELOPE_SQL}) AND {asset_where}", [*box, *asset_params]
    n_assets = _capped_count(store, table, where, params, asset_budget)
    assets: list[AssetPoint] = []
    cells: list[AssetCell] = []
    if n_assets <= asset_budget:
        assets = store.records(
            AssetPoint,
            f"SELECT a.id, a.name, a.scale, a.sector, a.category, {x} AS lon, {y} AS lat, a.verified_on "
            f"FROM {table} a WHERE {where} ORDER BY a.scale, a.id",
            params,
        )
    else:
        cell_deg = degrees_per_pixel(viewport.zoom) * CELL_PX
        cells = _asset_cells(store, f"SELECT {x} AS x, {y} AS y, a.scale FROM {table} a WHERE {where}", params,
                             cell_deg)
        n_assets = sum(c.count for c in cells)

    return MapContents(viewport=viewport, boundaries=boundaries, features=features,
                       features_in_view=n_features, assets=assets, asset_cells=cells,
                       assets_in_view=n_assets, filters=filters)


def _asset_cells(store: Store, source: str, params: list[object], cell_deg: float) -> list[AssetCell]:
    """Counts on a grid of ``cell_deg`` degrees over ``source``, a query of (x, y, scale)."""
    # Cells are aligned on a grid fixed by the zoom (not by the view), so a cell keeps its
    # count while the map pans.
    rows = store.rows(
        f"""
        SELECT gx, gy, count(*) AS count, count(*) FILTER (WHERE scale = 'macro') AS macro_count,
               avg(x) AS lon, avg(y) AS lat
        FROM (SELECT floor(s.x / ?)::BIGINT AS gx, floor(s.y / ?)::BIGINT AS gy, s.x, s.y, s.scale
              FROM ({source}) s) gridded
        GROUP BY gx, gy ORDER BY gx, gy
        """,
        [cell_deg, cell_deg, *params],
    )
    return [
        AssetCell(lon=r["lon"], lat=r["lat"], count=r["count"], macro_count=r["macro_count"],
                  west=r["gx"] * cell_deg, south=r["gy"] * cell_deg,
                  east=(r["gx"] + 1) * cell_deg, north=(r["gy"] + 1) * cell_deg)
        for r in rows
    ]


def map_extent(store: Store) -> tuple[float, float, float, float] | None:
    """WGS84 (west, south, east, north) a map of the store first shows; None when empty.

    Boundaries frame the place when there are any; otherwise assets and features do.
    (:func:`atlas.queries.data_extent` is the extent of everything.)"""
    for tables in (("boundaries",), ("features", "assets")):
        parts = " UNION ALL ".join(
            f"SELECT ST_XMin(geom) x1, ST_YMin(geom) y1, ST_XMax(geom) x2, ST_YMax(geom) y2 FROM {t}"
            for t in tables
        )
        row = store.con.execute(f"SELECT min(x1), min(y1), max(x2), max(y2) FROM ({parts}) framed").fetchone()
        if row[0] is not None:
            minx, miny, maxx, maxy = (float(v) for v in row)
            return minx, miny, maxx, maxy
    return None
