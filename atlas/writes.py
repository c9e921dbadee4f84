"""Bulk writes into the store, keyed by (source, source_id) so a re-import updates.

Callers hand over GeoDataFrames in any CRS; here they are put in WGS84 for display and in
the store's metric CRS for measurement. Every function runs inside one transaction: a
failure leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS

from atlas import audit, people
from atlas.bbox import BBOX_COLUMNS, bbox_arrays
from atlas.classify import classify
from atlas.errors import InvalidInput
from atlas.generalise import generalise
from atlas.models import ASSET_TYPES, FEATURE_KINDS, FEATURE_STATUSES, SECTORS, WriteResult
from atlas.projection import WGS84, choose_metric_crs, lonlat_bounds, transformer
from atlas.store import Store

# Features and assets carry their metric bounding box (atlas.bbox), written as plain
# fields beside the geometry it is computed from.
_FEATURE_FIELDS = ["name", "kind", "land_use", "status", "owner_asset_id", "area_m2", "description", *BBOX_COLUMNS]
_ASSET_FIELDS = [
    "name", "scale", "scale_reason", "sector", "category", "asset_type", "employees", "annual_spend",
    "land_ha", "offers", "needs", "offers_text", "needs_text", "description", "contact", "feature_id",
    "verified_by", "verified_on", "person", *BBOX_COLUMNS,
]
_BOUNDARY_FIELDS = ["name", "level", "code"]
_LIST_FIELDS = ("offers", "needs")


def _geometries(store: Store, gdf: gpd.GeoDataFrame, what: str) -> tuple[gpd.GeoSeries, gpd.GeoSeries]:
    """(WGS84, metric) copies of the frame's geometry; fixes the store's metric CRS on first fill."""
    if gdf.crs is None:
        raise InvalidInput(f"The {what} have no coordinate reference system; say which one (for example EPSG:27700).")
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        raise InvalidInput(f"Some {what} have no geometry; drop or fix them before writing.")
    lonlat = _to_crs(gdf.geometry, WGS84)
    if store.settings.metric_epsg is None:
        store.set_metric_crs(choose_metric_crs(lonlat_bounds(lonlat.to_numpy())))
    metric = _to_crs(gdf.geometry, store.metric_epsg)
    return lonlat, metric


def _to_crs(geoms: gpd.GeoSeries, epsg: int) -> gpd.GeoSeries:
    """``geoms.to_crs(epsg)``, with points moved as two coordinate arrays: the same
    transformer and numbers, three times quicker for a register of a million points."""
    values = geoms.to_numpy()
    if geoms.crs is None or not len(values) or not (shapely.get_type_id(values) == 0).all():
        return geoms.to_crs(epsg)  # (which refuses geometries without a CRS)
    if geoms.crs.equals(CRS.from_epsg(epsg)):
        return geoms.set_crs(epsg, allow_override=True)
    x, y = transformer(geoms.crs, epsg).transform(shapely.get_x(values), shapely.get_y(values))
    return gpd.GeoSeries(shapely.points(x, y), index=geoms.index, crs=epsg)


def _check_keys(gdf: pd.DataFrame, what: str) -> None:
    if "source_id" not in gdf or gdf["source_id"].isna().any():
        raise InvalidInput(f"Every one of the {what} needs a source_id.")
    dupes = gdf["source_id"][gdf["source_id"].duplicated()].unique()
    if len(dupes):
        raise InvalidInput(f"The {what} repeat source ids: {', '.join(map(str, dupes[:5]))}.")


def _check_vocab(values: pd.Series, allowed: Sequence[str], field: str, what: str, nullable: bool) -> None:
    bad = values[~values.isin(allowed) & ~(values.isna() if nullable else False)]
    if len(bad):
        row = bad.index[0]
        raise InvalidInput(
            f"{what} row {row}: {field} {bad.iloc[0]!r} is not one of {', '.join(allowed)}."
        )


def _column(gdf: pd.DataFrame, name: str, default=None) -> pd.Series:
    if name in gdf:
        return gdf[name]
    return pd.Series([default] * len(gdf), index=gdf.index, dtype=object)


def _arrow(frame: dict[str, object], lonlat: gpd.GeoSeries, metric: gpd.GeoSeries, *,
           bbox: bool = False) -> pa.Table:
    """The rows to write, with both geometries as WKB and, with ``bbox``, the metric
    geometry's bounding box (atlas.bbox) from the very geometry written."""
    columns = {k: v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v) for k, v in frame.items()}
    columns["wkb"] = pa.array(shapely.to_wkb(lonlat.values, output_dimension=2), type=pa.binary())
    columns["wkb_m"] = pa.array(shapely.to_wkb(metric.values, output_dimension=2), type=pa.binary())
    if bbox:
        columns.update(bbox_arrays(metric.to_numpy()))
    return pa.table(columns)


def _upsert(store: Store, table: str, fields: list[str], data: pa.Table, source: str,
            licence: str | None, replace: bool, audited: bool = True) -> WriteResult:
    con = store.con
    removed = 0
    con.register("_incoming", data)
    try:
        if replace:
            # The source ends up holding exactly the incoming rows: the rest are deleted,
            # and rows still present are updated in place below, keeping their ids (so
            # links to them hold).
            removed = remove_missing(store, table, "_incoming", source=source,
                                     before=forget_assets if table == "assets" else None)
        updated = con.execute(
            f"SELECT count(*) FROM {table} t JOIN _incoming i ON t.source = ? AND t.source_id = i.source_id",
            [source],
        ).fetchone()[0]
        cols = ", ".join(fields)
        only_new, params = "", [source, licence]
        if updated:
            # Rows already stored are updated in place (their ids stay) in two steps: the
            # plain fields of every row, then lists and geometries only where they changed.
            # DuckDB 1.5 rewrites a whole row to update a list or geometry column, which
            # with the spatial indexes takes minutes at COMMIT for 100k rows; a
            # re-import mostly brings the same shapes and tags back.
            key = f"{table}.source = ? AND {table}.source_id = i.source_id"
            plain = [f for f in fields if f not in _LIST_FIELDS]
            lists = [f for f in fields if f in _LIST_FIELDS]
            sets = ", ".join(f"{f} = i.{f}" for f in plain)
            con.execute(
                f"UPDATE {table} SET {sets}, licence = ?, imported_at = current_timestamp FROM _incoming i "
                f"WHERE {key}",
                [licence, source],
            )
            changed = " OR ".join([f"ST_AsWKB({table}.geom) <> i.wkb", f"ST_AsWKB({table}.geom_m) <> i.wkb_m",
                                   *(f"{table}.{f} IS DISTINCT FROM i.{f}" for f in lists)])
            con.execute(
                f"UPDATE {table} SET {''.join(f'{f} = i.{f}, ' for f in lists)}"
                f"geom = ST_GeomFromWKB(i.wkb), geom_m = ST_GeomFromWKB(i.wkb_m) "
                f"FROM _incoming i WHERE {key} AND ({changed})",
                [source],
            )
            only_new = f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.source = ? AND t.source_id = i.source_id)"
            params.append(source)
        con.execute(
            f"INSERT INTO {table} (source, source_id, licence, imported_at, {cols}, geom, geom_m) "
            f"SELECT ?, i.source_id, ?, current_timestamp, {', '.join(f'i.{f}' for f in fields)}, "
            f"ST_GeomFromWKB(i.wkb), ST_GeomFromWKB(i.wkb_m) FROM _incoming i{only_new}",
            params,
        )
    finally:
        con.unregister("_incoming")
    result = WriteResult(inserted=data.num_rows - updated, updated=updated, removed=removed)
    # One entry per write of a source; a register edit records its own, field by field.
    if audited:
        audit.record(store, entity="import", entity_id=f"{table}:{source}", action="import",
                     summary=f"{table} from {source}: {result.inserted:,} added, {result.updated:,} updated, "
                             f"{result.removed:,} removed")
    return result


def remove_missing(store: Store, table: str, incoming: str, *, source: str, key: str = "source_id",
                   before: Callable[[Store, str, Sequence[object]], None] | None = None) -> int:
    """Delete ``source``'s rows of ``table`` whose ``key`` is not in the registered table
    ``incoming``, for a replace; returns how many. ``before(store, ids_sql, params)`` runs
    first when there are any (``ids_sql`` selects their ids), for what must go with them.
    Rows still present are left for the caller to update in place: deleting and
    re-inserting the same keys in one transaction makes DuckDB 1.5's COMMIT take minutes
    from about 100k rows."""
    gone = f"{table} WHERE source = ? AND {key} NOT IN (SELECT {key} FROM {incoming})"
    removed = int(store.con.execute(f"SELECT count(*) FROM {gone}", [source]).fetchone()[0])
    if removed:
        if before is not None:
            before(store, f"SELECT id FROM {gone}", [source])
        store.con.execute(f"DELETE FROM {gone}", [source])
    return removed


def forget_assets(store: Store, ids_sql: str, params: Sequence[object]) -> None:
    """Before assets go (``ids_sql`` selects their ids): a register's description of them
    (atlas.registers) goes with them, and grants and spend lines that named them as
    recipient, supplier or uncertain candidate are unlinked, so no id points at nothing.
    A supplier placed only through its asset loses its place: its spend becomes of
    unknown location, as it would have been without the match."""
    con = store.con
    con.execute(f"DELETE FROM asset_registrations WHERE asset_id IN ({ids_sql})", list(params))
    con.execute("UPDATE spend_lines SET supplier_lon = NULL, supplier_lat = NULL, placed_by = NULL "
                f"WHERE placed_by = 'asset' AND supplier_asset_id IN ({ids_sql})", list(params))
    con.execute("UPDATE spend_lines SET supplier_asset_id = NULL, match_method = NULL, match_score = NULL "
                f"WHERE supplier_asset_id IN ({ids_sql})", list(params))
    con.execute(f"UPDATE spend_lines SET candidate_asset_id = NULL WHERE candidate_asset_id IN ({ids_sql})",
                list(params))
    con.execute("UPDATE grants SET asset_id = NULL, match_method = NULL, match_score = NULL "
                f"WHERE asset_id IN ({ids_sql})", list(params))
    con.execute(f"UPDATE grants SET candidate_asset_id = NULL WHERE candidate_asset_id IN ({ids_sql})",
                list(params))


def _strings(series: pd.Series) -> pa.Array:
    # Columns of strings and gaps (nearly all of them) go to Arrow in one C call; others
    # are converted value by value. A million rows take 0.05 s instead of 0.8 s.
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        values = pa.array(series, type=pa.string(), from_pandas=True)
        return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pa.array([None if _missing(v) else str(v) for v in series], type=pa.string())


def _numbers(series: pd.Series, type_: pa.DataType) -> pa.Array:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    # Unsafe cast: a fractional value in an integer column is truncated, as before.
    return pa.array(values, mask=np.isnan(values), type=pa.float64()).cast(type_, safe=False)


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT


def _tags(series: pd.Series) -> pa.Array:
    """Tags as lists of lower-case words; a string is split on semicolons or commas."""
    if series.isna().all():
        return pa.ListArray.from_arrays(pa.array(np.zeros(len(series) + 1, dtype=np.int32)),
                                        pa.array([], type=pa.string()))
    out: list[list[str]] = []
    for v in series:
        if _missing(v):
            out.append([])
        elif isinstance(v, str):
            out.append([t.strip().lower() for t in v.replace(",", ";").split(";") if t.strip()])
        else:
            out.append([str(t).strip().lower() for t in v if str(t).strip()])
    return pa.array(out, type=pa.list_(pa.string()))


def _dates(series: pd.Series) -> pa.Array:
    if series.isna().all():
        return pa.nulls(len(series), type=pa.date32())
    values = pd.to_datetime(series, errors="coerce")
    return pa.array([None if pd.isna(v) else v.date() for v in values], type=pa.date32())


def upsert_features(store: Store, gdf: gpd.GeoDataFrame, *, source: str, licence: str | None = None,
                    replace: bool = False) -> WriteResult:
    """Write physical assets (land, buildings, green spaces, water). Columns: ``source_id``,
    ``kind`` and the geometry are required; ``name``, ``land_use``, ``status``,
    ``owner_asset_id`` and ``description`` are optional. Area is computed here, in m2."""
    _check_keys(gdf, "features")
    status = _column(gdf, "status", "unknown").fillna("unknown")
    _check_vocab(_column(gdf, "kind"), FEATURE_KINDS, "kind", "features", nullable=False)
    _check_vocab(status, FEATURE_STATUSES, "status", "features", nullable=False)
    with store.transaction():
        lonlat, metric = _geometries(store, gdf, "features")
        areas = metric.area.where(np.isin(shapely.get_type_id(metric.values), (3, 6)))  # (Multi)Polygon
        data = _arrow(
            {
                "source_id": _strings(gdf["source_id"]),
                "name": _strings(_column(gdf, "name")),
                "kind": _strings(gdf["kind"]),
                "land_use": _strings(_column(gdf, "land_use")),
                "status": _strings(status),
                "owner_asset_id": _numbers(_column(gdf, "owner_asset_id"), pa.int64()),
                "area_m2": _numbers(areas, pa.float64()),
                "description": _strings(_column(gdf, "description")),
            },
            lonlat,
            metric,
            bbox=True,
        )
        result = _upsert(store, "features", _FEATURE_FIELDS, data, source, licence, replace)
        refresh_membership(store, ("features",), source=source)
    return result


def upsert_assets(store: Store, gdf: gpd.GeoDataFrame, *, source: str, licence: str | None = None,
                  replace: bool = False, audited: bool = True) -> WriteResult:
    """Write organisations, groups and people with skills, classifying each as macro or
    micro by the store's thresholds. Required: ``source_id``, ``name`` and a point geometry.
    A person (``person`` yes) needs ``consent_given_by``, ``consent_given_on`` and
    ``consent_purpose``, and is stored at their neighbourhood (atlas.people). The audit
    trail gets one entry for the write unless ``audited`` is False (the register records
    its own, field by field)."""
    _check_keys(gdf, "assets")
    names = _column(gdf, "name")
    if names.isna().any() or (names.astype(str).str.strip() == "").any():
        row = names.index[(names.isna() | (names.astype(str).str.strip() == "")).to_numpy()][0]
        raise InvalidInput(f"assets row {row}: name is empty; every asset needs a name.")
    _check_vocab(_column(gdf, "sector"), SECTORS, "sector", "assets", nullable=True)
    _check_vocab(_column(gdf, "asset_type"), ASSET_TYPES, "asset_type", "assets", nullable=True)
    thresholds = store.settings.thresholds
    employees = pd.to_numeric(_column(gdf, "employees"), errors="coerce")
    spend = pd.to_numeric(_column(gdf, "annual_spend"), errors="coerce")
    land = pd.to_numeric(_column(gdf, "land_ha"), errors="coerce")
    classes = _classify_all(employees, spend, land, thresholds)
    person = people.are_people(_column(gdf, "person"))
    consent = [_column(gdf, f) for f in people.CONSENT_FIELDS]
    for i in np.flatnonzero(person):
        if problem := people.consent_problem(*(c.iloc[i] for c in consent)):
            raise InvalidInput(f"assets row {gdf.index[int(i)]}: {problem}")
    with store.transaction():
        lonlat, metric = _geometries(store, gdf, "assets")
        # An asset is drawn and measured as a point: a polygon given for it is reduced to a
        # point on its surface (inside it, unlike a centroid).
        if not (shapely.get_type_id(lonlat.values) == 0).all():  # not all points
            lonlat = lonlat.representative_point()
            metric = metric.representative_point()
        precise = lonlat.to_numpy()
        if person.any():  # people are stored at their neighbourhood (atlas.people)
            near_ll, near_m = generalise(metric.to_numpy()[person], store.metric_epsg)
            ll, mm = precise.copy(), metric.to_numpy().copy()
            ll[person], mm[person] = near_ll, near_m
            lonlat = gpd.GeoSeries(ll, index=lonlat.index, crs=lonlat.crs)
            metric = gpd.GeoSeries(mm, index=metric.index, crs=metric.crs)
        data = _arrow(
            {
                "source_id": _strings(gdf["source_id"]),
                "name": _strings(names),
                "scale": pa.array([c.scale for c in classes], type=pa.string()),
                "scale_reason": pa.array([c.reason for c in classes], type=pa.string()),
                "sector": _strings(_column(gdf, "sector")),
                "category": _strings(_column(gdf, "category")),
                "asset_type": _strings(_column(gdf, "asset_type")),
                "employees": _numbers(employees, pa.int64()),
                "annual_spend": _numbers(spend, pa.float64()),
                "land_ha": _numbers(land, pa.float64()),
                "offers": _tags(_column(gdf, "offers")),
                "needs": _tags(_column(gdf, "needs")),
                "offers_text": _strings(_column(gdf, "offers_text")),
                "needs_text": _strings(_column(gdf, "needs_text")),
                "description": _strings(_column(gdf, "description")),
                "contact": _strings(_column(gdf, "contact")),
                "feature_id": _numbers(_column(gdf, "feature_id"), pa.int64()),
                "verified_by": _strings(_column(gdf, "verified_by")),
                "verified_on": _dates(_column(gdf, "verified_on")),
                "person": pa.array(person, type=pa.bool_()),
            },
            lonlat,
            metric,
            bbox=True,
        )
        result = _upsert(store, "assets", _ASSET_FIELDS, data, source, licence, replace, audited)
        people.write_private(store, source, pa.table({
            "source_id": data["source_id"],
            "person": pa.array(person, type=pa.bool_()),
            "lon": pa.array(shapely.get_x(precise), type=pa.float64()),
            "lat": pa.array(shapely.get_y(precise), type=pa.float64()),
            "consent_given_by": _strings(consent[0]),
            "consent_given_on": _dates(consent[1]),
            "consent_purpose": _strings(consent[2]),
        }), by=audit.actor(None, default=source))
        refresh_membership(store, ("assets",), source=source)
    return result


def upsert_boundaries(store: Store, gdf: gpd.GeoDataFrame, *, source: str, level: str | None = None,
                      licence: str | None = None, replace: bool = False) -> WriteResult:
    """Write named areas (wards, neighbourhoods ...), all of one ``level`` or each of the
    level in its ``level`` column (an extract's several admin levels, in one source).
    Requires ``name``; ``source_id`` defaults to the name and ``code`` is optional."""
    gdf = gdf.copy()
    if "source_id" not in gdf:
        gdf["source_id"] = gdf["name"]
    if level is not None:
        gdf["level"] = level
    elif "level" not in gdf:
        raise InvalidInput("boundaries: say what level the areas are (ward, neighbourhood, district ...).")
    _check_keys(gdf, "boundaries")
    with store.transaction():
        lonlat, metric = _geometries(store, gdf, "boundaries")
        data = _arrow(
            {
                "source_id": _strings(gdf["source_id"]),
                "name": _strings(gdf["name"]),
                "level": _strings(gdf["level"]),
                "code": _strings(_column(gdf, "code")),
            },
            lonlat,
            metric,
        )
        result = _upsert(store, "boundaries", _BOUNDARY_FIELDS, data, source, licence, replace)
        refresh_membership(store)
    return result


def _num(v: float) -> float | None:
    return None if pd.isna(v) else float(v)


def _classify_all(employees: pd.Series, spend: pd.Series, land: pd.Series, thresholds) -> list:
    """classify() for every row. Rows over no threshold share one micro classification,
    so classify() itself runs only for macro rows: the same result, a hundred times faster
    on a register of a million mostly small organisations."""
    emp, spd, lnd = (v.to_numpy(dtype=float, na_value=np.nan) for v in (employees, spend, land))
    over = (emp > thresholds.employees) | (spd > thresholds.spend) | (lnd > thresholds.land_ha)
    micro = classify(None, None, None, thresholds)
    classes = [micro] * len(over)
    for i in np.flatnonzero(over):
        classes[i] = classify(_num(emp[i]), _num(spd[i]), _num(lnd[i]), thresholds)
    return classes


def refresh_membership(store: Store, tables: Sequence[str] = ("assets", "features"),
                       source: str | None = None) -> None:
    """Recompute which boundaries each asset and feature lies in, by a point on its surface,
    so a shape on a border is counted in one area of each level only. ``tables`` limits
    the work to the assets or the features when only they changed, and ``source`` to the
    rows of one source (and rows gone) when only that source's rows were written: one
    asset saved in the register does not recompute a million others."""
    con = store.con
    with store.transaction():
        for table, member, key in (("asset_boundaries", "assets", "asset_id"),
                                   ("feature_boundaries", "features", "feature_id")):
            if member not in tables:
                continue
            of_source = "m.source = ?" if source is not None else "true"
            params = [source] if source is not None else []
            # Only the differences are written: deleting and re-inserting the same keys
            # twice in one transaction (features, then wards, in one import) makes DuckDB
            # 1.5 report duplicate keys once there are more than a row group of them.
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _membership AS SELECT m.id AS {key}, b.id AS boundary_id "
                f"FROM {member} m JOIN boundaries b ON ST_Contains(b.geom_m, ST_PointOnSurface(m.geom_m)) "
                f"WHERE {of_source}",
                params,
            )
            con.execute(
                f"DELETE FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM _membership n "
                f"WHERE n.{key} = t.{key} AND n.boundary_id = t.boundary_id) "
                f"AND NOT EXISTS (SELECT 1 FROM {member} m WHERE m.id = t.{key} AND NOT ({of_source}))",
                params,
            )
            con.execute(
                f"INSERT INTO {table} SELECT n.{key}, n.boundary_id FROM _membership n WHERE NOT EXISTS "
                f"(SELECT 1 FROM {table} t WHERE t.{key} = n.{key} AND t.boundary_id = n.boundary_id)"
            )
            con.execute("DROP TABLE _membership")


def reclassify_assets(store: Store) -> int:
    """Apply the store's current thresholds to every asset; returns how many changed scale."""
    thresholds = store.settings.thresholds
    rows = store.con.execute(
        "SELECT id, employees, annual_spend, land_ha, scale, scale_reason FROM assets"
    ).fetchall()
    changes = []
    changed_scale = 0
    for id_, emp, spend, land, scale, reason in rows:
        c = classify(emp, spend, land, thresholds)
        if (c.scale, c.reason) != (scale, reason):
            changes.append((id_, c.scale, c.reason))
            changed_scale += c.scale != scale
    if changes:
        table = pa.table({
            "id": pa.array([c[0] for c in changes], type=pa.int64()),
            "scale": pa.array([c[1] for c in changes]),
            "scale_reason": pa.array([c[2] for c in changes]),
        })
        with store.transaction():
            store.con.register("_scales", table)
            try:
                store.con.execute(
                    "UPDATE assets SET scale = s.scale, scale_reason = s.scale_reason "
                    "FROM _scales s WHERE assets.id = s.id"
                )
            finally:
                store.con.unregister("_scales")
    return changed_scale


def verify_asset(store: Store, asset_id: int, verified_by: str, verified_on: date) -> None:
    """Record that a community researcher checked this asset on this day."""
    if not verified_by.strip():
        raise InvalidInput("Say who verified the asset.")
    with store.transaction():
        n = store.con.execute(
            "UPDATE assets SET verified_by = ?, verified_on = ? WHERE id = ? RETURNING id",
            [verified_by.strip(), verified_on, asset_id],
        ).fetchall()
    if not n:
        from atlas.errors import NotFound

        raise NotFound(f"There is no asset {asset_id}.")


def link_assets_to_features(store: Store, source: str) -> int:
    """Point each asset of ``source`` at the feature imported from the same source object
    (same source and source id: an OpenStreetMap school building and the school in it).
    Returns how many links were set."""
    with store.transaction():
        rows = store.con.execute(
            "UPDATE assets SET feature_id = f.id FROM features f "
            "WHERE assets.source = ? AND f.source = ? AND f.source_id = assets.source_id "
            "AND assets.feature_id IS DISTINCT FROM f.id RETURNING assets.id",
            [source, source],
        ).fetchall()
    return len(rows)
