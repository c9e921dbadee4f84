"""Read queries for maps and registers: what is in a map view, within a budget.

A map of a million assets cannot send a million markers to a browser. :func:`map_contents`
returns only what lies in the view, and when that is more than the render budget it
returns an aggregate instead: assets counted on a grid of cells a few screen pixels wide,
and only the largest features. Shapes are simplified to about half a screen pixel at the
view's zoom, which is all the detail a screen can show.

Everything here is WGS84 (longitude, latitude): these queries feed a web map, they do not
measure. Zoom levels are those of web maps (0 shows the world in one 256-pixel tile; each
level doubles the scale). Every spatial filter uses the R-tree index on ``geom``.
"""

from __future__ import annotations

import calendar
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import shapely

from atlas.projection import WGS84, reproject
from atlas.store import Store

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

TILE_PX = 256
"""Width of a web-map tile in pixels; a zoom level's pixel size follows from it."""

SNAP_PX = 128
"""Grid (in screen pixels) to which the area fetched for a view is snapped."""

MAX_ZOOM = 20

DEFAULT_STALE_MONTHS = 12
"""An asset not verified for longer than this many months is listed as stale."""


def degrees_per_pixel(zoom: float) -> float:
    """Longitude degrees one screen pixel spans at a web-map ``zoom`` level."""
    return 360.0 / (TILE_PX * 2.0 ** zoom)


@dataclass(frozen=True)
class Viewport:
    """A map view: WGS84 bounds and a web-map zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    def __post_init__(self) -> None:
        if not (self.west <= self.east and self.south <= self.north):
            raise ValueError(f"A viewport's west/south must not exceed its east/north: {self}")

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.west, self.south, self.east, self.north)

    @property
    def centre(self) -> tuple[float, float]:
        """(longitude, latitude) of the middle of the view."""
        return ((self.west + self.east) / 2, (self.south + self.north) / 2)

    def snapped(self, margin: float = 0.15) -> Viewport:
        """The view grown by ``margin`` of its size on each side and snapped outward to the
        grid of :data:`SNAP_PX` screen pixels at its zoom.

        Small pans then give the same snapped view, so the map sent to the browser does
        not change (and is not sent again) until the view moves well away."""
        step = degrees_per_pixel(self.zoom) * SNAP_PX
        dx = (self.east - self.west) * margin
        dy = (self.north - self.south) * margin
        west = max(-180.0, math.floor((self.west - dx) / step) * step)
        east = min(180.0, math.ceil((self.east + dx) / step) * step)
        south = max(-90.0, math.floor((self.south - dy) / step) * step)
        north = min(90.0, math.ceil((self.north + dy) / step) * step)
        return Viewport(west, south, east, north, self.zoom)

    @classmethod
    def around(cls, lon: float, lat: float, zoom: int, width_px: int = 1000, height_px: int = 600) -> Viewport:
        """The view of a map this size centred on (lon, lat) at ``zoom``."""
        half_x = degrees_per_pixel(zoom) * width_px / 2
        half_y = degrees_per_pixel(zoom) * height_px / 2 * max(math.cos(math.radians(lat)), 0.01)
        return cls(max(-180.0, lon - half_x), max(-90.0, lat - half_y), min(180.0, lon + half_x),
                   min(90.0, lat + half_y), zoom)

    @classmethod
    def fitting(cls, bounds: tuple[float, float, float, float], width_px: int = 1000,
                height_px: int = 600) -> Viewport:
        """The view that shows ``bounds`` on a map of this size, at the deepest zoom that fits."""
        west, south, east, north = bounds
        span_x = max(east - west, 1e-9)
        span_y = max(north - south, 1e-9)
        # Web Mercator stretches latitude by 1/cos(lat); use the middle latitude.
        stretch = 1 / max(math.cos(math.radians((south + north) / 2)), 0.01)
        zoom_x = math.log2(width_px * 360.0 / (TILE_PX * span_x))
        zoom_y = math.log2(height_px * 360.0 / (TILE_PX * span_y * stretch))
        zoom = int(max(0, min(MAX_ZOOM, math.floor(min(zoom_x, zoom_y)))))
        return cls(west, south, east, north, zoom)


@dataclass(frozen=True)
class AssetFilter:
    """Which assets to show. An empty tuple means "any"."""

    scales: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    boundary_id: int | None = None
    verified_since: date | None = None
    """Only assets verified on or after this day (see :func:`months_before`)."""

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


_ENVELOPE = "ST_MakeEnvelope(?, ?, ?, ?)"


def _capped_count(store: Store, table: str, where: str, params: list[object], cap: int) -> int:
    """How many rows match, counting no further than ``cap + 1`` (cheap on huge views)."""
    return store.con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} a WHERE {where} LIMIT ?)", [*params, cap + 1]
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


def view_counts(store: Store, viewport: Viewport, filters: AssetFilter = AssetFilter()) -> ViewCounts:
    """Capped counts of what :func:`map_contents` would draw in ``viewport``."""
    asset_where, asset_params = filters.sql()
    feature_where, feature_params = _feature_filter(filters)
    box = list(viewport.bounds)
    return ViewCounts(
        assets=_capped_count(store, "assets", f"ST_Intersects(a.geom, {_ENVELOPE}) AND {asset_where}",
                             [*box, *asset_params], ASSET_BUDGET),
        features=_capped_count(store, "features", f"ST_Intersects(a.geom, {_ENVELOPE}) AND {feature_where}",
                               [*box, *feature_params], FEATURE_BUDGET),
    )


def _feature_filter(filters: AssetFilter) -> tuple[str, list[object]]:
    # Of the asset filters only the boundary applies to features.
    if filters.boundary_id is None:
        return "TRUE", []
    return "a.id IN (SELECT feature_id FROM feature_boundaries WHERE boundary_id = ?)", [filters.boundary_id]


@dataclass(frozen=True)
class ViewIndex:
    """Plain columns of every asset (what a marker shows: name, position, scale, sector,
    category, verified on) and every feature (area and bounding box), copied into
    temporary tables of the store's connection by :func:`build_view_index`.

    A view over budget aggregates over all it holds; reading a million geometries for
    that takes seconds, reading these columns tens of milliseconds. The index is a
    snapshot: build a new one after the store is written (and :func:`drop_view_index`
    the old one). Without an index :func:`map_contents` gives the same answers, slower.
    """

    assets_table: str
    features_table: str


def build_view_index(store: Store) -> ViewIndex:
    """Copy what map aggregates need into temporary tables (works on read-only stores).
    Rows are ordered by position so that DuckDB's zone maps skip most of them for a
    small view."""
    token = uuid.uuid4().hex[:12]
    assets_table, features_table = f"temp.main.view_assets_{token}", f"temp.main.view_features_{token}"
    con = store.con
    con.execute(
        f"CREATE TEMP TABLE view_assets_{token} AS "
        "SELECT id, name, ST_X(geom) AS x, ST_Y(geom) AS y, scale, sector, category, verified_on "
        "FROM assets ORDER BY round(ST_Y(geom), 2), ST_X(geom)"
    )
    con.execute(
        f"CREATE TEMP TABLE view_features_{token} AS "
        "SELECT id, area_m2, ST_XMin(geom) AS minx, ST_YMin(geom) AS miny, ST_XMax(geom) AS maxx, "
        "ST_YMax(geom) AS maxy FROM features ORDER BY round(ST_YMin(geom), 2), ST_XMin(geom)"
    )
    return ViewIndex(assets_table, features_table)


def drop_view_index(store: Store, index: ViewIndex) -> None:
    for table in (index.assets_table, index.features_table):
        if not table.startswith("temp.main.view_"):  # names come from build_view_index only
            raise ValueError(f"not a view index table: {table}")
        store.con.execute(f"DROP TABLE IF EXISTS {table}")


_INDEX_BOX = "a.x BETWEEN ? AND ? AND a.y BETWEEN ? AND ?"
_INDEX_OVERLAP = "a.maxx >= ? AND a.minx <= ? AND a.maxy >= ? AND a.miny <= ?"


def map_contents(store: Store, viewport: Viewport, filters: AssetFilter = AssetFilter(), *,
                 index: ViewIndex | None = None, asset_budget: int = ASSET_BUDGET,
                 feature_budget: int = FEATURE_BUDGET, boundary_budget: int = BOUNDARY_BUDGET,
                 render_budget: int = RENDER_BUDGET) -> MapContents:
    """Boundaries, features and assets in ``viewport`` that pass ``filters``, within budget.

    Assets over ``asset_budget`` (or over what of ``render_budget`` the shapes leave, if
    that is more) come back as :class:`AssetCell` counts on a grid
    :data:`CELL_PX` screen pixels wide; features over ``feature_budget`` are cut to the
    largest; shapes are simplified to half a screen pixel. A boundary filter also limits
    features to those in the boundary. ``index`` (see :class:`ViewIndex`) makes views
    over budget quick on large stores; it must be as new as the store.
    """
    west, south, east, north = box = viewport.bounds
    tolerance = degrees_per_pixel(viewport.zoom) / 2
    feature_filter, feature_filter_params = _feature_filter(filters)
    feature_where = f"ST_Intersects(a.geom, {_ENVELOPE}) AND {feature_filter}"
    feature_params: list[object] = [*box, *feature_filter_params]
    n_features = _capped_count(store, "features", feature_where, feature_params, feature_budget)
    # Over budget, the largest are kept: they give the view its form.
    if n_features > feature_budget and index is not None:
        chosen = (f"SELECT a.id FROM {index.features_table} a WHERE {_INDEX_OVERLAP} AND {feature_filter} "
                  "ORDER BY a.area_m2 DESC NULLS LAST, a.id LIMIT ?")
        chosen_params: list[object] = [west, east, south, north, *feature_filter_params, feature_budget]
    else:
        chosen = (f"SELECT a.id FROM features a WHERE {feature_where} "
                  "ORDER BY a.area_m2 DESC NULLS LAST, a.id LIMIT ?")
        chosen_params = [*feature_params, feature_budget]
    ids = [r[0] for r in store.con.execute(chosen, chosen_params).fetchall()]
    rows = store.con.execute(
        "SELECT id, name, kind, status, land_use, area_m2, ST_AsWKB(ST_SimplifyPreserveTopology(geom, ?)) "
        "FROM features WHERE id = ANY(?::BIGINT[]) ORDER BY area_m2 DESC NULLS LAST, id",
        [tolerance, ids],
    ).fetchall() if ids else []
    shapes = _from_wkb([r[6] for r in rows])
    features = [FeatureShape(*r[:6], geom=g) for r, g in zip(rows, shapes)]

    rows = store.con.execute(
        f"SELECT a.id, a.name, a.level, ST_AsWKB(ST_SimplifyPreserveTopology(a.geom, ?)) "
        f"FROM boundaries a WHERE ST_Intersects(a.geom, {_ENVELOPE}) "
        f"ORDER BY ST_Area(a.geom) DESC, a.id LIMIT ?",
        [tolerance, *box, boundary_budget],
    ).fetchall()
    shapes = _from_wkb([r[3] for r in rows])
    boundaries = [BoundaryShape(*r[:3], geom=g) for r, g in zip(rows, shapes)]

    # Assets may use whatever of the render budget the shapes left.
    asset_budget = max(asset_budget, render_budget - len(features) - len(boundaries))
    asset_where, asset_params = filters.sql()
    if index is not None:  # the index's numeric boxes and coordinates, quicker over many rows
        table, xy = index.assets_table, "a.x AS x, a.y AS y"
        where, params = f"{_INDEX_BOX} AND {asset_where}", [west, east, south, north, *asset_params]
    else:
        table, xy = "assets", "ST_X(a.geom) AS x, ST_Y(a.geom) AS y"
        where, params = f"ST_Intersects(a.geom, {_ENVELOPE}) AND {asset_where}", [*box, *asset_params]
    n_assets = _capped_count(store, table, where, params, asset_budget)
    assets: list[AssetPoint] = []
    cells: list[AssetCell] = []
    if n_assets <= asset_budget:
        rows = store.con.execute(
            f"SELECT a.id, a.name, a.scale, a.sector, a.category, {xy}, a.verified_on "
            f"FROM {table} a WHERE {where} ORDER BY a.scale, a.id",
            params,
        ).fetchall()
        assets = [AssetPoint(*r) for r in rows]
    else:
        cell_deg = degrees_per_pixel(viewport.zoom) * CELL_PX
        cells = _asset_cells(store, f"SELECT {xy}, a.scale FROM {table} a WHERE {where}", params, cell_deg)
        n_assets = sum(c.count for c in cells)

    return MapContents(viewport=viewport, boundaries=boundaries, features=features,
                       features_in_view=n_features, assets=assets, asset_cells=cells,
                       assets_in_view=n_assets, filters=filters)


def _from_wkb(blobs: Sequence[bytes]) -> list[shapely.Geometry]:
    # One vectorised call: per-row from_wkb costs more than the query at a few thousand rows.
    return list(shapely.from_wkb([bytes(b) for b in blobs])) if blobs else []


def _asset_cells(store: Store, source: str, params: list[object], cell_deg: float) -> list[AssetCell]:
    """Counts on a grid of ``cell_deg`` degrees over ``source``, a query of (x, y, scale)."""
    # Cells are aligned on a grid fixed by the zoom (not by the view), so a cell keeps its
    # count while the map pans.
    rows = store.con.execute(
        f"""
        SELECT gx, gy, count(*), count(*) FILTER (WHERE scale = 'macro'), avg(x), avg(y)
        FROM (SELECT floor(s.x / ?)::BIGINT AS gx, floor(s.y / ?)::BIGINT AS gy, s.x, s.y, s.scale
              FROM ({source}) s)
        GROUP BY gx, gy ORDER BY gx, gy
        """,
        [cell_deg, cell_deg, *params],
    ).fetchall()
    return [
        AssetCell(lon=r[4], lat=r[5], count=r[2], macro_count=r[3],
                  west=r[0] * cell_deg, south=r[1] * cell_deg,
                  east=(r[0] + 1) * cell_deg, north=(r[1] + 1) * cell_deg)
        for r in rows
    ]


def extent(store: Store) -> tuple[float, float, float, float] | None:
    """WGS84 (west, south, east, north) of everything in the store; None when empty.

    Boundaries frame the place when there are any; otherwise assets and features do."""
    for tables in (("boundaries",), ("features", "assets")):
        parts = " UNION ALL ".join(
            f"SELECT ST_XMin(geom) x1, ST_YMin(geom) y1, ST_XMax(geom) x2, ST_YMax(geom) y2 FROM {t}"
            for t in tables
        )
        row = store.con.execute(f"SELECT min(x1), min(y1), max(x2), max(y2) FROM ({parts})").fetchone()
        if row[0] is not None:
            return tuple(float(v) for v in row)  # type: ignore[return-value]
    return None


def asset_categories(store: Store) -> list[str]:
    """Every category in use, alphabetically."""
    rows = store.con.execute(
        "SELECT DISTINCT category FROM assets WHERE category IS NOT NULL ORDER BY category"
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class AssetRow:
    """An asset as listed in a table: the register, the atlas list, a stale list."""

    id: int
    name: str
    scale: str
    sector: str | None
    category: str | None
    offers: list[str]
    """Titles of its open offers (records, see :mod:`atlas.needs_offers`)."""
    needs: list[str]
    """Titles of its open needs."""
    verified_by: str | None
    verified_on: date | None
    lon: float
    lat: float


_OPEN_TITLES = ("coalesce((SELECT list(n.title ORDER BY n.title) FROM needs_offers n WHERE n.asset_id = a.id "
                "AND n.side = '{side}' AND n.status IN ('open', 'in progress')), [])")
_ROW_COLUMNS = (f"a.id, a.name, a.scale, a.sector, a.category, {_OPEN_TITLES.format(side='offer')}, "
                f"{_OPEN_TITLES.format(side='need')}, a.verified_by, "
                "a.verified_on, ST_X(a.geom), ST_Y(a.geom)")


def _rows(raw: Sequence[tuple]) -> list[AssetRow]:
    return [AssetRow(*r[:5], offers=list(r[5]), needs=list(r[6]), verified_by=r[7], verified_on=r[8],
                     lon=r[9], lat=r[10]) for r in raw]


def list_assets(store: Store, filters: AssetFilter = AssetFilter(), *, viewport: Viewport | None = None,
                limit: int = 500) -> tuple[list[AssetRow], int]:
    """Assets passing ``filters`` (and within ``viewport`` if given), by name, at most
    ``limit`` of them; and how many there are in all."""
    where, params = filters.sql()
    if viewport is not None:
        where = f"ST_Intersects(a.geom, {_ENVELOPE}) AND {where}"
        params = [*viewport.bounds, *params]
    total = store.con.execute(f"SELECT count(*) FROM assets a WHERE {where}", params).fetchone()[0]
    raw = store.con.execute(
        f"SELECT {_ROW_COLUMNS} FROM assets a WHERE {where} ORDER BY a.name, a.id LIMIT ?", [*params, limit]
    ).fetchall()
    return _rows(raw), total


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    if months < 0:
        raise ValueError("months must be zero or more")
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_assets(store: Store, *, months: int = DEFAULT_STALE_MONTHS, today: date | None = None,
                 limit: int = 1000) -> list[AssetRow]:
    """Assets never verified, or last verified more than ``months`` months before ``today``:
    never-verified first, then the oldest check first."""
    cutoff = months_before(today or date.today(), months)
    raw = store.con.execute(
        f"SELECT {_ROW_COLUMNS} FROM assets a WHERE a.verified_on IS NULL OR a.verified_on < ? "
        "ORDER BY a.verified_on NULLS FIRST, a.name, a.id LIMIT ?",
        [cutoff, limit],
    ).fetchall()
    return _rows(raw)


def metres_per_pixel(zoom: float, lat: float) -> float:
    """Ground metres one screen pixel spans on a web map at ``zoom`` and latitude ``lat``."""
    return 156_543.033_92 * math.cos(math.radians(lat)) / 2.0 ** zoom


@dataclass(frozen=True)
class PlaceRef:
    """What lies at a clicked point: a stored asset or feature, by reference."""

    kind: str  # "asset" or "feature"
    id: int
    name: str

    @property
    def ref(self) -> str:
        """The reference :func:`atlas.queries.resolve_site` understands: ``asset:ID``."""
        return f"{self.kind}:{self.id}"


def what_is_here(store: Store, lon: float, lat: float, *, tolerance_m: float = 15.0) -> PlaceRef | None:
    """The asset within ``tolerance_m`` metres of a clicked point (the nearest), else the
    smallest feature containing or within ``tolerance_m`` of it, else None. Measured in the
    store's metric CRS."""
    if store.settings.metric_epsg is None:
        return None
    wkb = shapely.to_wkb(reproject(shapely.Point(lon, lat), WGS84, store.metric_epsg))
    row = store.con.execute(
        "SELECT a.id, a.name FROM assets a, (SELECT ST_GeomFromWKB(?) AS g) p "
        "WHERE ST_DWithin(a.geom_m, p.g, ?) ORDER BY ST_Distance(a.geom_m, p.g), a.id LIMIT 1",
        [wkb, tolerance_m],
    ).fetchone()
    if row:
        return PlaceRef("asset", row[0], row[1])
    row = store.con.execute(
        "SELECT a.id, coalesce(a.name, 'feature ' || a.id) FROM features a, (SELECT ST_GeomFromWKB(?) AS g) p "
        "WHERE ST_DWithin(a.geom_m, p.g, ?) "
        "ORDER BY ST_Distance(a.geom_m, p.g), a.area_m2 NULLS LAST, a.id LIMIT 1",
        [wkb, tolerance_m],
    ).fetchone()
    return PlaceRef("feature", row[0], row[1]) if row else None


@dataclass(frozen=True)
class Ring:
    """The line at ``radius_m`` metres from a site's edge, in WGS84."""

    radius_m: float
    geom: shapely.Geometry


def distance_rings(site_geom_m: shapely.Geometry, radii_m: Sequence[float], metric_epsg: int) -> list[Ring]:
    """Rings at each distance from the edge of a site given in the metric CRS: the same
    "within" that :func:`atlas.queries.nearby` measures, drawn for a WGS84 map."""
    return [
        Ring(float(r), reproject(site_geom_m.buffer(float(r), quad_segs=16).boundary, metric_epsg, WGS84))
        for r in sorted(set(radii_m)) if r > 0
    ]


@dataclass(frozen=True)
class SiteChoice:
    """A site to pick from a list: ``ref`` is what :func:`atlas.queries.resolve_site` takes."""

    ref: str
    label: str


def site_choices(store: Store, limit: int = 2_000) -> list[SiteChoice]:
    """Named sites and land first, then assets, each by name, at most ``limit`` of each."""
    features = store.con.execute(
        "SELECT id, name FROM features WHERE name IS NOT NULL ORDER BY name, id LIMIT ?", [limit]
    ).fetchall()
    assets = store.con.execute("SELECT id, name FROM assets ORDER BY name, id LIMIT ?", [limit]).fetchall()
    return ([SiteChoice(f"feature:{i}", f"Site · {n}") for i, n in features]
            + [SiteChoice(f"asset:{i}", f"Asset · {n}") for i, n in assets])


INDEX_FROM_ROWS = 50_000
"""Assets plus features above which a :class:`ViewIndex` pays for itself."""


def wants_index(store: Store) -> bool:
    """Whether the store is large enough for map views to use a :class:`ViewIndex`."""
    n = store.con.execute("SELECT (SELECT count(*) FROM assets) + (SELECT count(*) FROM features)").fetchone()[0]
    return n >= INDEX_FROM_ROWS
