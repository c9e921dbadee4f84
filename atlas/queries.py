"""Read queries shared by the CLI and the app. All distances are in metres, measured in
the store's metric CRS; geometries come back in WGS84 (longitude, latitude)."""

from __future__ import annotations

import dataclasses
import re

import shapely

from atlas import confidential
from atlas.access import PUBLIC, Viewer
from atlas.errors import InvalidInput, NotFound
from atlas.models import (
    Asset,
    Boundary,
    BoundaryCount,
    Feature,
    NearbyAsset,
    NearbyFeature,
    NearbyResult,
    SearchHit,
    Site,
    StoreInfo,
)
from atlas.projection import WGS84, reproject
from atlas.store import Store

# The site is bound once as WKB in the metric CRS. ST_DWithin lets DuckDB use the R-tree
# index on geom_m and, unlike intersecting a buffer, misses no corners. The index scan
# fetches candidate rows one at a time at a cost that grows with the columns it reads, so
# it reads only what it must (id, distance, display geometry); the other columns join in
# afterwards by id. At a million features this is several times quicker than one wide scan
# (benchmarks/nearby.py).
NEARBY_ASSETS_SQL = """
WITH hits AS MATERIALIZED (
    SELECT a.id, ST_Distance(a.geom_m, s.g) AS distance_m, ST_AsWKB(a.geom) AS wkb
    FROM assets a, (SELECT ST_GeomFromWKB(?) AS g) s
    WHERE ST_DWithin(a.geom_m, s.g, ?) AND a.id <> ?
)
SELECT h.id, a.name, a.scale, a.scale_reason, a.sector, a.category, a.offers, a.needs, h.distance_m, h.wkb
FROM hits h JOIN assets a ON a.id = h.id
ORDER BY h.distance_m, h.id
"""

NEARBY_FEATURES_SQL = """
WITH hits AS MATERIALIZED (
    SELECT f.id, ST_Distance(f.geom_m, s.g) AS distance_m, ST_AsWKB(f.geom) AS wkb
    FROM features f, (SELECT ST_GeomFromWKB(?) AS g) s
    WHERE ST_DWithin(f.geom_m, s.g, ?) AND f.id <> ?
)
SELECT h.id, f.name, f.kind, f.land_use, f.status, f.area_m2, h.distance_m, h.wkb
FROM hits h JOIN features f ON f.id = h.id
ORDER BY h.distance_m, h.id
"""

_LONLAT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")

# Accent- and case-insensitive comparison of names.
_FOLD = "strip_accents(lower({}))"


def _geom(wkb: bytes | bytearray) -> shapely.Geometry:
    return shapely.from_wkb(bytes(wkb))


def _columns(store: Store, sql: str, params: list) -> list[list]:
    """Run ``sql`` and return its columns as lists, the last (WKB) decoded to geometries in
    one vectorised call rather than row by row."""
    table = store.con.execute(sql, params).to_arrow_table()
    *plain, wkb = table.columns
    return [*(c.to_pylist() for c in plain), list(shapely.from_wkb(wkb.to_numpy(zero_copy_only=False)))]


def site_from_geometry(store: Store, geom: shapely.Geometry, name: str = "drawn site") -> Site:
    """A site from a WGS84 geometry in (longitude, latitude) order."""
    if geom is None or geom.is_empty:
        raise InvalidInput("The site has no shape: draw a point or an area on the map.")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput("The site's coordinates are not longitude and latitude (WGS84).")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return Site(name=name, geom=geom, geom_m=reproject(geom, WGS84, store.metric_epsg), kind="geometry")


def resolve_site(store: Store, ref: str | int | shapely.Geometry) -> Site:
    """The site named by ``ref``: a geometry (WGS84), "lon,lat", ``feature:ID`` or
    ``asset:ID``, or a name (a feature first, then an asset; case and accents ignored)."""
    if isinstance(ref, shapely.Geometry):
        return site_from_geometry(store, ref)
    text = str(ref).strip()
    m = _LONLAT.match(text)
    if m:
        lon, lat = float(m.group(1)), float(m.group(2))
        return site_from_geometry(store, shapely.Point(lon, lat), name=f"{lon:.5f}, {lat:.5f}")
    for kind, table in (("feature", "features"), ("asset", "assets")):
        if text.lower().startswith(kind + ":") and text[len(kind) + 1:].isdigit():
            row = store.con.execute(
                f"SELECT id, name, ST_AsWKB(geom), ST_AsWKB(geom_m) FROM {table} WHERE id = ?",
                [int(text[len(kind) + 1:])],
            ).fetchone()
            if row is None:
                raise NotFound(f"There is no {kind} {text[len(kind) + 1:]} in this atlas.")
            return Site(name=row[1] or f"{kind} {row[0]}", geom=_geom(row[2]), geom_m=_geom(row[3]), kind=kind, id=row[0])
    for kind, table in (("feature", "features"), ("asset", "assets")):
        rows = store.con.execute(
            f"SELECT id, name, ST_AsWKB(geom), ST_AsWKB(geom_m) FROM {table} "
            f"WHERE {_FOLD.format('name')} = {_FOLD.format('?')} ORDER BY id LIMIT 2",
            [text],
        ).fetchall()
        if rows:
            row = rows[0]
            return Site(name=row[1], geom=_geom(row[2]), geom_m=_geom(row[3]), kind=kind, id=row[0])
    hits = search(store, text, limit=5)
    hint = f" Did you mean: {'; '.join(h.name for h in hits)}?" if hits else " Try atlas search WORD."
    raise NotFound(f"No site or asset is called {text!r}.{hint}")


def nearby(store: Store, site: Site | str | shapely.Geometry, radius_m: float) -> NearbyResult:
    """Every asset and feature within ``radius_m`` metres of the site's edge, nearest first.

    Distance is 0 for anything touching or inside a polygon site. The site itself is left
    out of the results.
    """
    if not isinstance(site, Site):
        site = resolve_site(store, site)
    radius_m = float(radius_m)
    if not radius_m > 0:
        raise InvalidInput("The distance must be more than 0 metres.")
    wkb = shapely.to_wkb(site.geom_m)
    asset_self = site.id if site.kind == "asset" else -1
    feature_self = site.id if site.kind == "feature" else -1
    # The queries select the records' fields in their order.
    assets = [NearbyAsset(*row) for row in zip(*_columns(store, NEARBY_ASSETS_SQL, [wkb, radius_m, asset_self]))]
    features = [NearbyFeature(*row)
                for row in zip(*_columns(store, NEARBY_FEATURES_SQL, [wkb, radius_m, feature_self]))]
    return NearbyResult(site=site, radius_m=radius_m, assets=assets, features=features)


_ASSET_COLUMNS = (
    "id, name, scale, scale_reason, sector, category, asset_type, employees, annual_spend, land_ha, "
    "offers, needs, offers_text, needs_text, description, feature_id, verified_by, verified_on, "
    "source, source_id, licence, ST_AsWKB(geom)"
)


def _asset(row: tuple, contact: str | None = None) -> Asset:
    return Asset(*row[:21], geom=_geom(row[21]), contact=contact)


def get_asset(store: Store, asset_id: int, *, viewer: Viewer = PUBLIC) -> Asset:
    """One asset. Its confidential contact field (:mod:`atlas.confidential`), and a
    person's precise place instead of their neighbourhood's (:mod:`atlas.people`), only
    for a ``viewer`` who may see them."""
    row = store.con.execute(
        f"SELECT {_ASSET_COLUMNS}, contact, person, p.lon, p.lat FROM assets "
        "LEFT JOIN person_locations p ON p.asset_id = assets.id WHERE id = ?", [asset_id]
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no asset {asset_id} in this atlas.")
    asset = _asset(row[:-4], contact=confidential.disclosed("assets", "contact", row[-4], viewer))
    asset = dataclasses.replace(asset, person=bool(row[-3]))
    if row[-2] is not None and viewer.sees_confidential:
        asset = dataclasses.replace(asset, geom=shapely.Point(row[-2], row[-1]))
    return asset


_FEATURE_COLUMNS = (
    "id, name, kind, land_use, status, owner_asset_id, area_m2, description, source, source_id, "
    "licence, ST_AsWKB(geom)"
)


def _feature(row: tuple) -> Feature:
    return Feature(*row[:11], geom=_geom(row[11]))


def get_feature(store: Store, feature_id: int) -> Feature:
    row = store.con.execute(f"SELECT {_FEATURE_COLUMNS} FROM features WHERE id = ?", [feature_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no site or feature {feature_id} in this atlas.")
    return _feature(row)


def list_features(store: Store, *, named_only: bool = False) -> list[Feature]:
    where = "WHERE name IS NOT NULL" if named_only else ""
    rows = store.con.execute(f"SELECT {_FEATURE_COLUMNS} FROM features {where} ORDER BY name, id").fetchall()
    return [_feature(r) for r in rows]


def list_assets(store: Store) -> list[Asset]:
    rows = store.con.execute(f"SELECT {_ASSET_COLUMNS} FROM assets ORDER BY name, id").fetchall()
    return [_asset(r) for r in rows]


def list_boundaries(store: Store, level: str | None = None) -> list[Boundary]:
    rows = store.con.execute(
        "SELECT id, name, level, code, ST_AsWKB(geom) FROM boundaries "
        "WHERE ? IS NULL OR level = ? ORDER BY level, name",
        [level, level],
    ).fetchall()
    return [Boundary(id=r[0], name=r[1], level=r[2], code=r[3], geom=_geom(r[4])) for r in rows]


def id_by_name(store: Store, table: str, name: str) -> int | None:
    """The id of the row of ``table`` (assets, features or boundaries) called ``name``,
    ignoring case and accents; the lowest id where several share the name, None where none does."""
    if table not in ("assets", "features", "boundaries"):
        raise ValueError(f"{table!r} is not a table of named things")
    return store.con.execute(
        f"SELECT min(id) FROM {table} WHERE {_FOLD.format('name')} = {_FOLD.format('?')}", [name]
    ).fetchone()[0]


def _boundary_id(store: Store, boundary: int | str) -> int:
    if isinstance(boundary, int):
        return boundary
    found = id_by_name(store, "boundaries", boundary)
    if found is None:
        raise NotFound(f"No area is called {boundary!r}.")
    return found


def assets_in_boundary(store: Store, boundary: int | str) -> list[Asset]:
    """Assets whose point lies in the boundary (an id or a name)."""
    bid = _boundary_id(store, boundary)
    rows = store.con.execute(
        f"SELECT {_ASSET_COLUMNS} FROM assets WHERE id IN "
        "(SELECT asset_id FROM asset_boundaries WHERE boundary_id = ?) ORDER BY name, id",
        [bid],
    ).fetchall()
    return [_asset(r) for r in rows]


def features_in_boundary(store: Store, boundary: int | str) -> list[Feature]:
    """Features whose point on surface lies in the boundary (an id or a name)."""
    bid = _boundary_id(store, boundary)
    rows = store.con.execute(
        f"SELECT {_FEATURE_COLUMNS} FROM features WHERE id IN "
        "(SELECT feature_id FROM feature_boundaries WHERE boundary_id = ?) ORDER BY name, id",
        [bid],
    ).fetchall()
    return [_feature(r) for r in rows]


def counts_by_boundary(store: Store, level: str | None = None) -> list[BoundaryCount]:
    """How many assets of each scale and category lie in each boundary."""
    rows = store.con.execute(
        "SELECT b.id, b.name, b.level, a.scale, a.category, count(*) "
        "FROM boundaries b JOIN asset_boundaries ab ON ab.boundary_id = b.id "
        "JOIN assets a ON a.id = ab.asset_id WHERE ? IS NULL OR b.level = ? "
        "GROUP BY ALL ORDER BY b.level, b.name, a.scale, a.category",
        [level, level],
    ).fetchall()
    return [BoundaryCount(*r) for r in rows]


def search(store: Store, text: str, limit: int = 50) -> list[SearchHit]:
    """Assets, features and boundaries whose name contains ``text``, ignoring case and
    accents; exact matches first, then names that start with it."""
    text = text.strip()
    if not text:
        raise InvalidInput("Type part of a name to search for.")
    rows = store.con.execute(
        f"""
        WITH q AS (SELECT {_FOLD.format('?')} AS t),
        hits AS (
            SELECT 'asset' AS kind, id, name, category AS detail, geom FROM assets
            UNION ALL SELECT 'feature', id, name, kind, ST_PointOnSurface(geom) FROM features WHERE name IS NOT NULL
            UNION ALL SELECT 'boundary', id, name, level, ST_PointOnSurface(geom) FROM boundaries
        )
        SELECT kind, id, name, detail, ST_X(geom), ST_Y(geom),
               CASE WHEN {_FOLD.format('name')} = q.t THEN 0
                    WHEN starts_with({_FOLD.format('name')}, q.t) THEN 1 ELSE 2 END AS rank
        FROM hits, q
        WHERE contains({_FOLD.format('name')}, q.t)
        ORDER BY rank, length(name), name, kind, id
        LIMIT ?
        """,
        [text, limit],
    ).fetchall()
    return [SearchHit(kind=r[0], id=r[1], name=r[2], detail=r[3], lon=r[4], lat=r[5]) for r in rows]


def data_extent(store: Store) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of every feature, asset and boundary; None when empty."""
    row = store.con.execute(
        "SELECT min(x1), min(y1), max(x2), max(y2) FROM ("
        " SELECT ST_XMin(geom) x1, ST_YMin(geom) y1, ST_XMax(geom) x2, ST_YMax(geom) y2 FROM features"
        " UNION ALL SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM assets"
        " UNION ALL SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM boundaries)"
    ).fetchone()
    return None if row[0] is None else tuple(float(v) for v in row)


def info(store: Store) -> StoreInfo:
    """Counts, CRS, schema version and WGS84 extent of the store."""
    con = store.con
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("features", "assets", "boundaries")}
    for scale in ("macro", "micro"):
        counts[f"{scale}_assets"] = con.execute("SELECT count(*) FROM assets WHERE scale = ?", [scale]).fetchone()[0]
    for side in ("need", "offer"):
        counts[f"open_{side}s"] = con.execute(
            "SELECT count(*) FROM needs_offers WHERE side = ? AND status IN ('open', 'in progress')", [side]
        ).fetchone()[0]
    extent = data_extent(store)
    sources = [
        {"table": r[0], "source": r[1], "licence": r[2], "rows": r[3], "imported_at": str(r[4])}
        for r in con.execute(
            "SELECT 'features', source, any_value(licence), count(*), max(imported_at) FROM features GROUP BY source "
            "UNION ALL SELECT 'assets', source, any_value(licence), count(*), max(imported_at) FROM assets GROUP BY source "
            "UNION ALL SELECT 'boundaries', source, any_value(licence), count(*), max(imported_at) FROM boundaries GROUP BY source "
            "ORDER BY 1, 2"
        ).fetchall()
    ]
    s = store.settings
    return StoreInfo(
        path=str(store.path),
        schema_version=store.schema_version,
        metric_epsg=s.metric_epsg,
        currency=s.thresholds.currency,
        thresholds={"employees": s.thresholds.employees, "spend": s.thresholds.spend, "land_ha": s.thresholds.land_ha},
        counts=counts,
        extent=extent,
        place=s.place,
        sources=sources,
    )
