"""Read queries shared by the CLI and the app. All distances are in metres, measured in
the store's metric CRS; geometries come back in WGS84 (longitude, latitude)."""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from atlas import bbox, confidential, settings
from atlas.access import PUBLIC, Viewer
from atlas.errors import InvalidInput, NotFound
from atlas.models import (
    Asset,
    Boundary,
    BoundaryCount,
    Feature,
    FeatureCount,
    NearbyAsset,
    NearbyFeature,
    NearbyResult,
    SearchHit,
    Site,
    StoreInfo,
)
from atlas.projection import WGS84, reproject
from atlas.site_refs import LonLat, SiteQuery, SiteRef, parse_site
from atlas.store import Store

# nearby() (issue 11). The site is bound as WKB in the metric CRS. Which rows may lie
# within the distance is the one part that differs by engine (_nearby_candidates); the
# exact distance then decides, so no corner is cut, and records are built only for what
# is returned: every asset, and the nearest features with all of them counted by kind and
# status, in one scan (the 'count' rows of the UNION). The display geometry is turned
# into WKB only for the rows returned.
_NEARBY_ASSETS_SQL = """
SELECT id, name, scale, scale_reason, sector, category, offers, needs, distance_m, ST_AsWKB(geom) AS geom
FROM (
    SELECT a.id, a.name, a.scale, a.scale_reason, a.sector, a.category, a.offers, a.needs,
           ST_Distance(a.geom_m, ST_GeomFromWKB(?)) AS distance_m, a.geom
    FROM assets a
    WHERE {candidates} AND a.id <> ?
) hits
WHERE distance_m <= ?
ORDER BY distance_m, id
"""

_NEARBY_FEATURES_SQL = """
WITH hits AS MATERIALIZED (
    SELECT * FROM (
        SELECT f.id, f.name, f.kind, f.land_use, f.status, f.area_m2,
               ST_Distance(f.geom_m, ST_GeomFromWKB(?)) AS distance_m, f.geom
        FROM features f
        WHERE {candidates} AND f.id <> ?
    ) c
    WHERE distance_m <= ?
)
SELECT * FROM (
    SELECT 'feature' AS part, id, name, kind, land_use, status, area_m2, distance_m, ST_AsWKB(geom) AS geom,
           CAST(NULL AS BIGINT) AS count
    FROM hits ORDER BY distance_m, id LIMIT ?
) nearest
UNION ALL
SELECT 'count', NULL, NULL, kind, NULL, status, NULL, NULL, NULL, count(*) FROM hits GROUP BY kind, status
"""

_NEARBY_FEATURE_FIELDS = ("id", "name", "kind", "land_use", "status", "area_m2", "distance_m", "geom")


def _nearby_candidates(store: Store, alias: str, site_m: BaseGeometry, radius_m: float) -> tuple[str, list]:
    """SQL and parameters for the rows of ``alias`` that may lie within ``radius_m`` of
    the site: the engine-specific part of nearby().

    DuckDB: rows whose bounding-box columns (atlas.bbox) meet the site's box grown by the
    radius. These plain comparisons let DuckDB skip every row group of the
    Hilbert-ordered table (atlas.spatial_order) that lies elsewhere. DuckDB spatial
    1.5.5's R-tree, which fetches matching rows one at a time, lost to this in the
    measurements behind issue 11, so ST_DWithin, which it would answer, is not used here.

    PostGIS: ST_DWithin, answered by the GiST index on ``geom_m``.
    """
    if store.engine.name == "postgis":
        return f"ST_DWithin({alias}.geom_m, ST_GeomFromWKB(?), ?)", [shapely.to_wkb(site_m), radius_m]
    return bbox.overlap_sql(alias), bbox.overlap_params(site_m, radius_m)


def nearby_statements(store: Store, site: Site, radius_m: float,
                      limit: int | None) -> tuple[tuple[str, list], tuple[str, list]]:
    """The (SQL, parameters) nearby() runs for assets and for features, for reading
    their plans (tests, benchmarks/nearby.py)."""
    wkb = shapely.to_wkb(site.geom_m)
    statements = []
    for sql, alias, kind in ((_NEARBY_ASSETS_SQL, "a", "asset"), (_NEARBY_FEATURES_SQL, "f", "feature")):
        candidates, params = _nearby_candidates(store, alias, site.geom_m, radius_m)
        itself = site.id if site.kind == kind else -1
        tail = [limit] if kind == "feature" else []
        statements.append((sql.format(candidates=candidates), [wkb, *params, itself, radius_m, *tail]))
    return statements[0], statements[1]


# Accent- and case-insensitive comparison of names.
_FOLD = "strip_accents(lower({}))"


def site_from_geometry(store: Store, geom: BaseGeometry, name: str = "drawn site") -> Site:
    """A site from a WGS84 geometry in (longitude, latitude) order."""
    if geom is None or geom.is_empty:
        raise InvalidInput("The site has no shape: draw a point or an area on the map.")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput("The site's coordinates are not longitude and latitude (WGS84).")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return Site(name=name, geom=geom, geom_m=reproject(geom, WGS84, store.metric_epsg), kind="geometry")


_SITE_COLUMNS = "id, name, ST_AsWKB(geom) AS geom, ST_AsWKB(geom_m) AS geom_m"


def resolve_site(store: Store, ref: SiteQuery | BaseGeometry) -> Site:
    """The site ``ref`` names: a geometry (WGS84), a :class:`~atlas.site_refs.LonLat`, a
    :class:`~atlas.site_refs.SiteRef`, or a name (a feature first, then an asset; case and
    accents ignored). Text not parsed yet is parsed by :func:`~atlas.site_refs.parse_site`."""
    if isinstance(ref, BaseGeometry):
        return site_from_geometry(store, ref)
    ref = parse_site(ref)
    if isinstance(ref, LonLat):
        return site_from_geometry(store, ref.point, name=f"{ref.lon:.5f}, {ref.lat:.5f}")
    if isinstance(ref, SiteRef):
        table = {"feature": "features", "asset": "assets"}[ref.kind]
        found = store.rows(f"SELECT {_SITE_COLUMNS} FROM {table} WHERE id = ?", [ref.id], wkb=("geom", "geom_m"))
        if not found:
            raise NotFound(f"There is no {ref.kind} {ref.id} in this atlas.")
        row = found[0]
        return Site(**{**row, "name": row["name"] or f"{ref.kind} {row['id']}"}, kind=ref.kind)
    text = ref
    for kind, table in (("feature", "features"), ("asset", "assets")):
        found = store.rows(
            f"SELECT {_SITE_COLUMNS} FROM {table} "
            f"WHERE {_FOLD.format('name')} = {_FOLD.format('?')} ORDER BY id LIMIT 2",
            [text], wkb=("geom", "geom_m"),
        )
        if found:
            return Site(**found[0], kind=kind)
    hits = search(store, text, limit=5)
    hint = f" Did you mean: {'; '.join(h.name for h in hits)}?" if hits else " Try atlas search WORD."
    raise NotFound(f"No site or asset is called {text!r}.{hint}")


def nearby(store: Store, site: Site | SiteQuery | BaseGeometry, radius_m: float, *,
           limit: int | None = settings.NEARBY_FEATURE_LIMIT) -> NearbyResult:
    """Every asset within ``radius_m`` metres of the site's edge and the nearest ``limit``
    features (every one when ``limit`` is None), nearest first, with every feature within
    the distance counted by kind and status (``NearbyResult.feature_counts``).

    Distance is 0 for anything touching or inside a polygon site. The site itself is left
    out of the results. Ties in distance are broken by id, so the nearest ``limit`` are
    always the same features.
    """
    if not isinstance(site, Site):
        site = resolve_site(store, site)
    radius_m = float(radius_m)
    if not radius_m > 0:
        raise InvalidInput("The distance must be more than 0 metres.")
    if limit is not None and limit < 0:
        raise InvalidInput("The number of features to list cannot be negative.")
    asset_sql, feature_sql = nearby_statements(store, site, radius_m, limit)
    assets = store.records(NearbyAsset, *asset_sql, wkb=("geom",))
    rows = store.rows(*feature_sql, wkb=("geom",))
    features = sorted(
        (NearbyFeature(**{f: r[f] for f in _NEARBY_FEATURE_FIELDS}) for r in rows if r["part"] == "feature"),
        key=lambda f: (f.distance_m, f.id),
    )
    counts = sorted(
        (FeatureCount(kind=r["kind"], status=r["status"], count=int(r["count"])) for r in rows if r["part"] == "count"),
        key=lambda c: (c.kind, c.status),
    )
    return NearbyResult(site=site, radius_m=radius_m, assets=assets, features=features, feature_counts=counts,
                        feature_limit=limit)


# Columns named as the records' fields, so rows become records by name.
_ASSET_COLUMNS = (
    "a.id, a.name, a.scale, a.scale_reason, a.sector, a.category, a.asset_type, a.employees, a.annual_spend, "
    "a.land_ha, a.offers, a.needs, a.offers_text, a.needs_text, a.description, a.feature_id, a.verified_by, "
    "a.verified_on, a.source, a.source_id, a.licence, ST_AsWKB(a.geom) AS geom"
)


def get_asset(store: Store, asset_id: int, *, viewer: Viewer = PUBLIC) -> Asset:
    """One asset. Its confidential contact field (:mod:`atlas.confidential`), and a
    person's precise place instead of their neighbourhood's (:mod:`atlas.people`), only
    for a ``viewer`` who may see them."""
    found = store.rows(
        f"SELECT {_ASSET_COLUMNS}, a.contact, a.person, p.lon AS person_lon, p.lat AS person_lat FROM assets a "
        "LEFT JOIN person_locations p ON p.asset_id = a.id WHERE a.id = ?", [asset_id], wkb=("geom",)
    )
    if not found:
        raise NotFound(f"There is no asset {asset_id} in this atlas.")
    row = found[0]
    lon, lat = row.pop("person_lon"), row.pop("person_lat")
    row["contact"] = confidential.disclosed("assets", "contact", row["contact"], viewer)
    row["person"] = bool(row["person"])
    if lon is not None and viewer.sees_confidential:
        row["geom"] = shapely.Point(lon, lat)
    return Asset(**row)


_FEATURE_COLUMNS = (
    "id, name, kind, land_use, status, owner_asset_id, area_m2, description, source, source_id, "
    "licence, ST_AsWKB(geom) AS geom"
)


def get_feature(store: Store, feature_id: int) -> Feature:
    found = store.records(Feature, f"SELECT {_FEATURE_COLUMNS} FROM features WHERE id = ?", [feature_id],
                          wkb=("geom",))
    if not found:
        raise NotFound(f"There is no site or feature {feature_id} in this atlas.")
    return found[0]


def list_features(store: Store, *, named_only: bool = False) -> list[Feature]:
    where = "WHERE name IS NOT NULL" if named_only else ""
    return store.records(Feature, f"SELECT {_FEATURE_COLUMNS} FROM features {where} ORDER BY name, id",
                         wkb=("geom",))


def list_assets(store: Store) -> list[Asset]:
    return store.records(Asset, f"SELECT {_ASSET_COLUMNS} FROM assets a ORDER BY a.name, a.id", wkb=("geom",))


def list_boundaries(store: Store, level: str | None = None) -> list[Boundary]:
    return store.records(
        Boundary,
        "SELECT id, name, level, code, ST_AsWKB(geom) AS geom FROM boundaries "
        "WHERE ? IS NULL OR level = ? ORDER BY level, name",
        [level, level], wkb=("geom",),
    )


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
    return store.records(
        Asset,
        f"SELECT {_ASSET_COLUMNS} FROM assets a WHERE a.id IN "
        "(SELECT asset_id FROM asset_boundaries WHERE boundary_id = ?) ORDER BY a.name, a.id",
        [bid], wkb=("geom",),
    )


def features_in_boundary(store: Store, boundary: int | str) -> list[Feature]:
    """Features whose point on surface lies in the boundary (an id or a name)."""
    bid = _boundary_id(store, boundary)
    return store.records(
        Feature,
        f"SELECT {_FEATURE_COLUMNS} FROM features WHERE id IN "
        "(SELECT feature_id FROM feature_boundaries WHERE boundary_id = ?) ORDER BY name, id",
        [bid], wkb=("geom",),
    )


def counts_by_boundary(store: Store, level: str | None = None) -> list[BoundaryCount]:
    """How many assets of each scale and category lie in each boundary."""
    # GROUP BY names its columns: GROUP BY ALL is DuckDB's alone.
    return store.records(
        BoundaryCount,
        "SELECT b.id AS boundary_id, b.name AS boundary, b.level, a.scale, a.category, count(*) AS count "
        "FROM boundaries b JOIN asset_boundaries ab ON ab.boundary_id = b.id "
        "JOIN assets a ON a.id = ab.asset_id WHERE ? IS NULL OR b.level = ? "
        "GROUP BY b.id, b.name, b.level, a.scale, a.category ORDER BY b.level, b.name, a.scale, a.category",
        [level, level],
    )


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
    if row[0] is None:
        return None
    minx, miny, maxx, maxy = (float(v) for v in row)
    return minx, miny, maxx, maxy


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
            "SELECT 'features', source, any_value(licence), count(*), max(imported_at) FROM features "
            "GROUP BY source "
            "UNION ALL SELECT 'assets', source, any_value(licence), count(*), max(imported_at) FROM assets "
            "GROUP BY source "
            "UNION ALL SELECT 'boundaries', source, any_value(licence), count(*), max(imported_at) FROM boundaries "
            "GROUP BY source "
            "ORDER BY 1, 2"
        ).fetchall()
    ]
    s = store.settings
    return StoreInfo(
        path=store.location,
        schema_version=store.schema_version,
        metric_epsg=s.metric_epsg,
        currency=s.thresholds.currency,
        thresholds={"employees": s.thresholds.employees, "spend": s.thresholds.spend, "land_ha": s.thresholds.land_ha},
        counts=counts,
        extent=extent,
        place=s.place,
        sources=sources,
    )
