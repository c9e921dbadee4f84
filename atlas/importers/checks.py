"""Geometry checks before anything is written.

Rows without a geometry, with coordinates that are not numbers (NaN, infinity), outside
the area where the file's CRS is valid, with latitude and longitude that look swapped, or
outside the area this atlas measures in are skipped and reported. A file whose every row
lies outside that area is refused, and when the rows would lie inside it the other way
round the message says the columns look swapped. Invalid geometries are repaired with
make_valid and counted; shapes across the 180th meridian are split there, and shapes of
more than ``settings.MAX_VERTICES`` corners simplified, each listed in the report.
Everything here is vectorised: a million points take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from atlas import settings
from atlas.errors import InvalidInput
from atlas.importers.readers import crs_label
from atlas.importers.summary import SkippedRow
from atlas.projection import WGS84, choose_metric_crs, lonlat_bounds, reproject, transformer, wrap_lon

# How far (degrees) beyond a CRS's published area of use a coordinate may lie. Areas of
# use are drawn tightly around land; a survey point on a beach or a pier is still fine.
_AREA_MARGIN_DEG = 0.5
# A UTM zone is 6 degrees wide but measures well a little way beyond it; a city that
# straddles a zone edge must not lose its far side.
_UTM_MARGIN_DEG = 3.0
_SWAP_MIN_ROWS = 5


_SWAPPED = "the coordinates look like swapped latitude and longitude (or x and y)"


@dataclass
class Checked:
    """Rows that passed, how many were repaired, the rows skipped (with reasons), and the
    repairs that changed a shape beyond mending it (listed in the report beside the skips)."""

    frame: gpd.GeoDataFrame
    repaired: int
    skipped: list[SkippedRow]
    repairs: list[SkippedRow] = field(default_factory=list)


def _area_bounds(crs: CRS, margin: float) -> tuple[float, float, float, float] | None:
    area = crs.area_of_use
    if area is None:
        return None
    return (area.west - margin, area.south - margin, area.east + margin, area.north + margin)


def _inside(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


def _inside_lonlat(lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """:func:`_inside` for longitudes, either way round the world: an area of use that
    reaches past 180 degrees (a UTM zone by Fiji, widened) holds -179.9 as well as 180.1."""
    return _inside(lon, lat, box) | _inside(lon + 360.0, lat, box) | _inside(lon - 360.0, lat, box)


def _not_numbers(geoms: np.ndarray) -> np.ndarray:
    """Geometries with any corner that is NaN or infinite (a bounding box hides them)."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[owner[~np.isfinite(coords).all(axis=1)]] = True
    return bad


def looks_swapped(x: np.ndarray, y: np.ndarray, geographic: bool) -> np.ndarray:
    """Rows whose x and y look the wrong way round.

    A latitude beyond 90 degrees with an x that would be a fine latitude is swapped. So is
    a row far from where the rest of the file lies whose coordinates, swapped, fall
    among the others (Birmingham written as 52.48, -1.90 among rows at -1.9, 52.5).
    """
    swapped = np.zeros(len(x), dtype=bool)
    ok = np.isfinite(x) & np.isfinite(y)
    if geographic:
        ok &= (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if ok.sum() < _SWAP_MIN_ROWS:
        if geographic:  # too few rows to say where the data lies: only the impossible
            swapped |= (np.abs(y) > 90) & (np.abs(x) <= 90) & (np.abs(y) <= 180)
        return swapped
    # Where most rows lie: the middle half, widened; robust to a few stray rows.
    x_lo, x_hi = np.percentile(x[ok], [25, 75])
    y_lo, y_hi = np.percentile(y[ok], [25, 75])
    pad = max(2 * (x_hi - x_lo), 2 * (y_hi - y_lo), 0.05 if geographic else 5_000.0)
    box = (x_lo - pad, y_lo - pad, x_hi + pad, y_hi + pad)
    swapped |= np.isfinite(x) & np.isfinite(y) & ~_inside(x, y, box) & _inside(y, x, box)
    return swapped


def _anchor_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One (x, y) per geometry: the point itself, or its bounding box's centre."""
    bounds = shapely.bounds(geoms)
    return (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2


def _polygonal_parts(geom: BaseGeometry, dimension: int) -> BaseGeometry | None:
    """Keep the parts of a repaired geometry of the original's dimension (make_valid may
    add stray lines or points where a polygon touched itself)."""
    if geom is None or geom.is_empty:
        return None
    if shapely.get_dimensions(geom) == dimension and geom.geom_type != "GeometryCollection":
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dimension and not p.is_empty]
    if not parts:
        return None
    if dimension == 2:
        polys = [q for p in parts for q in (p.geoms if hasattr(p, "geoms") else [p])]
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return parts[0] if len(parts) == 1 else shapely.GeometryCollection(parts)


def check(frame: gpd.GeoDataFrame, rows: pd.Series, *, file: str, store_epsg: int | None,
          areas_only: bool = False, fields: str = "geometry") -> Checked:
    """Skip unusable rows and repair invalid geometries of ``frame`` (in any CRS).
    With ``areas_only`` (boundaries) points and lines are skipped too.

    ``rows`` labels each row for the report and ``fields`` names where its coordinates
    came from (``lon/lat`` for a table's columns). Raises :class:`InvalidInput` when rows exist
    but none lies in the area the atlas measures in: the file belongs to another place.
    """
    crs = CRS.from_user_input(frame.crs)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object).copy()
    n = len(geoms)
    reasons = np.full(n, None, dtype=object)

    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reasons[missing] = "no geometry"
    blanked = geoms.copy()
    blanked[missing] = None
    finite = ~_not_numbers(blanked)
    reasons[~missing & ~finite] = "coordinates are not numbers (NaN or infinity)"
    usable = ~missing & finite
    repairs: list[tuple[int, str]] = []
    if crs.is_geographic and usable.any():
        _split_at_antimeridian(geoms, usable, reasons, repairs)
    placed = geoms.copy()
    placed[~usable] = shapely.Point(0, 0)
    x, y = _anchor_points(placed)
    for i, _ in repairs:  # a shape split at 180 degrees has its middle at 0: use a point on it
        x[i], y[i] = shapely.get_coordinates(shapely.point_on_surface(geoms[i]))[0]

    if areas_only:
        not_area = usable & ~np.isin(shapely.get_type_id(geoms), (3, 6, 7))  # (multi)polygons, collections
        reasons[not_area] = "a boundary must be an area (a polygon), not a point or a line"
        usable &= ~not_area
    swapped = usable & looks_swapped(np.where(usable, x, np.nan), np.where(usable, y, np.nan), crs.is_geographic)
    reasons[swapped] = _SWAPPED
    usable &= ~swapped

    if not crs.is_geographic and usable.any() and (
            (np.abs(x[usable]) <= 180).all() and (np.abs(y[usable]) <= 90).all()):
        # Every point within 180 m of the projection's origin: these are degrees.
        raise InvalidInput(
            f"The coordinates in {file} look like longitudes and latitudes (degrees), but its coordinate "
            f"reference system is {crs_label(crs)}, which is in metres; give --crs 4326 for longitude/latitude "
            "(or fix the file's CRS)."
        )
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if usable.any():
        lon[usable], lat[usable] = transformer(crs, WGS84).transform(x[usable], y[usable])
    if crs.is_geographic:
        box = (-180.0, -90.0, 180.0, 90.0)
    else:
        box = _area_bounds(crs, _AREA_MARGIN_DEG) or (-180.0, -90.0, 180.0, 90.0)
    outside = usable & ~(np.isfinite(lon) & np.isfinite(lat) & _inside(lon, lat, box))
    reasons[outside] = (
        f"the coordinates lie outside the area where {crs_label(crs)} is valid "
        f"(longitude {box[0]:.1f} to {box[2]:.1f}, latitude {box[1]:.1f} to {box[3]:.1f})"
    )
    if usable.any() and outside.sum() == usable.sum():
        hint = ("if they are eastings and northings, give their CRS with --crs (for example --crs 27700 for "
                "British National Grid)" if crs.is_geographic else
                "check that the file's coordinate reference system (or --crs) is the one they are in")
        raise InvalidInput(
            f"None of the coordinates in {file} lie where {crs_label(crs)} is valid (longitude {box[0]:.1f} to "
            f"{box[2]:.1f}, latitude {box[1]:.1f} to {box[3]:.1f}); {hint}."
        )
    usable &= ~outside

    if store_epsg is None and usable.any():
        _check_first_place(x, y, lon, lat, crs, usable, rows=rows, file=file, fields=fields)
    if store_epsg is not None and usable.any():
        _check_store_area(x, y, lon, lat, crs, usable, reasons, rows=rows, file=file, fields=fields,
                          store_epsg=store_epsg)

    if usable.any():
        _limit_vertices(geoms, usable, reasons, repairs, crs, store_epsg, lon, lat)
    repaired = len(repairs)
    if usable.any():
        idx = np.flatnonzero(usable)
        valid = shapely.is_valid(geoms[idx])
        if not valid.all():
            bad = idx[~valid]
            fixed = shapely.make_valid(geoms[bad])
            dims = shapely.get_dimensions(geoms[bad])
            for i, g, d in zip(bad, fixed, dims, strict=True):
                part = _polygonal_parts(g, int(d))
                if part is None:
                    reasons[i] = "the geometry is invalid and could not be repaired"
                    usable[i] = False
                else:
                    geoms[i] = part
                    repaired += 1
    skipped = [
        SkippedRow(file=file, row=str(rows.iloc[i]), field=fields, reason=str(reasons[i]))
        for i in np.flatnonzero(~usable)
    ]
    listed = [SkippedRow(file=file, row=str(rows.iloc[i]), field=fields, reason=note)
              for i, note in repairs if usable[i]]
    out = frame if usable.all() else frame.iloc[np.flatnonzero(usable)].copy()
    if repaired:
        out = out.set_geometry(gpd.GeoSeries(geoms[usable], index=out.index, crs=frame.crs))
    return Checked(frame=out, repaired=repaired - len(repairs) + len(listed), skipped=skipped, repairs=listed)


def _check_first_place(x: np.ndarray, y: np.ndarray, lon: np.ndarray, lat: np.ndarray, crs: CRS,
                       usable: np.ndarray, *, rows: pd.Series, file: str, fields: str) -> None:
    """The first import fixes where an empty atlas is, so it has no place to compare a
    swapped file with; but the atlas is made for European places: a file whose every row
    lies outside Europe and, the other way round, inside it, is refused as swapped (a
    Birmingham register with latitude in the longitude column lands off Somalia)."""
    idx = np.flatnonzero(usable)
    if _inside_lonlat(lon[idx], lat[idx], settings.EUROPE_LONLAT_BOUNDS).any():
        return
    with np.errstate(invalid="ignore"):
        slon, slat = transformer(crs, WGS84).transform(y[idx], x[idx])
    if not (np.isfinite(slon) & np.isfinite(slat) & _inside_lonlat(slon, slat, settings.EUROPE_LONLAT_BOUNDS)).all():
        return
    i = int(idx[0])
    raise InvalidInput(
        f"{file} row {rows.iloc[i]}, field {fields}: ({x[i]:g}, {y[i]:g}) lies outside Europe, and so does every "
        f"row of the file, but the other way round, ({y[i]:g}, {x[i]:g}), every row lies in Europe. The longitude "
        "and latitude (or x and y) columns look swapped: swap their names and import again. If the place really "
        "is there, outside Europe, create the atlas with its metric CRS first (atlas init --metric-crs EPSG, its "
        "UTM zone) and import again."
    )


def _check_store_area(x: np.ndarray, y: np.ndarray, lon: np.ndarray, lat: np.ndarray, crs: CRS,
                      usable: np.ndarray, reasons: np.ndarray, *, rows: pd.Series, file: str, fields: str,
                      store_epsg: int) -> None:
    """Skip rows outside the area the store measures in (``usable`` and ``reasons`` are
    updated); refuse a file with no row inside it, saying so when its rows would lie
    inside it with x and y swapped (a Birmingham register with latitude in the
    longitude column lands off Somalia, but only on one side of the swap)."""
    store_crs = CRS.from_epsg(store_epsg)
    margin = _UTM_MARGIN_DEG if "UTM" in store_crs.name else _AREA_MARGIN_DEG
    store_box = _area_bounds(store_crs, margin)
    if store_box is None:
        return
    away = usable & ~_inside_lonlat(lon, lat, store_box)
    if not away.any():
        return
    idx = np.flatnonzero(away)
    with np.errstate(invalid="ignore"):
        slon, slat = transformer(crs, WGS84).transform(y[idx], x[idx])  # each row the other way round
    swapped = np.zeros(len(x), dtype=bool)
    swapped[idx] = np.isfinite(slon) & np.isfinite(slat) & _inside_lonlat(slon, slat, store_box)
    area = store_crs.area_of_use.name if store_crs.area_of_use else store_crs.name
    if away.sum() == usable.sum():
        if swapped.any():
            i = int(np.flatnonzero(swapped)[0])
            raise InvalidInput(
                f"{file} row {rows.iloc[i]}, field {fields}: ({x[i]:g}, {y[i]:g}) lies outside the area this "
                f"atlas covers ({area}), but the other way round, ({y[i]:g}, {x[i]:g}), it lies inside; "
                f"{int(swapped.sum()):,} of the {int(usable.sum()):,} rows are like this. The longitude and "
                "latitude (or x and y) columns look swapped: swap their names and import again."
            )
        raise InvalidInput(
            f"{file} lies outside the area this atlas covers (it measures in EPSG:{store_epsg}, {area}). "
            "Import it into a new atlas for that place (use --db with a new file)."
        )
    reasons[away & swapped] = f"{_SWAPPED}: the other way round it lies in the area this atlas covers"
    reasons[away & ~swapped] = (
        f"the place lies outside the area this atlas covers (EPSG:{store_epsg}); start a new atlas for it"
    )
    usable &= ~away


def _split_at_antimeridian(geoms: np.ndarray, usable: np.ndarray, reasons: np.ndarray,
                           repairs: list[tuple[int, str]]) -> None:
    """Shapes whose longitudes jump across the 180th meridian (179.5 to -179.5, the short
    way) would otherwise be read the long way round the world and measured as a band
    round the Earth. Each is split at 180 degrees into parts on either side and listed;
    a shape wider than half the world either way cannot be measured and is skipped."""
    bounds = shapely.bounds(geoms[usable])
    wide = np.flatnonzero(usable)[(bounds[:, 2] - bounds[:, 0]) > 180.0]
    for i in wide:
        geom = geoms[i]
        west, _, east, _ = lonlat_bounds([geom])
        if west <= east:
            reasons[i] = ("the shape spans more than half the world (longitude "
                          f"{_bounds_text(geom)}), too wide to measure; split it into local parts")
            usable[i] = False
            continue
        shifted = shapely.transform(geom, lambda xy: np.column_stack([xy[:, 0] % 360.0, xy[:, 1]]))
        east_side = shapely.clip_by_rect(shifted, 0.0, -90.0, 180.0, 90.0)
        west_side = shapely.transform(shapely.clip_by_rect(shifted, 180.0, -90.0, 360.0, 90.0),
                                      lambda xy: np.column_stack([xy[:, 0] - 360.0, xy[:, 1]]))
        parts = [p for p in shapely.get_parts([east_side, west_side]) if not p.is_empty]
        geoms[i] = shapely.multipolygons(parts) if geom.geom_type in ("Polygon", "MultiPolygon") else (
            shapely.multilinestrings(parts) if geom.geom_type in ("LineString", "MultiLineString")
            else shapely.geometrycollections(parts))
        note = (f"kept, split at the 180th meridian into {len(parts)} parts: the shape crosses it (longitude "
                f"{wrap_lon(west):g} to {wrap_lon(east):g}), and unsplit it would be read as a band round the world")
        repairs.append((int(i), note))


def _bounds_text(geom: BaseGeometry) -> str:
    minx, _, maxx, _ = geom.bounds
    return f"{minx:g} to {maxx:g}"


def _limit_vertices(geoms: np.ndarray, usable: np.ndarray, reasons: np.ndarray, repairs: list[tuple[int, str]],
                    crs: CRS, store_epsg: int | None, lon: np.ndarray, lat: np.ndarray) -> None:
    """Simplify shapes of more than MAX_VERTICES corners by SIMPLIFY_TOLERANCE_M metres
    (in the store's metric CRS, or the one the shape itself calls for) and list each;
    skip those still over the limit. Why simplify rather than refuse: a boundary file
    digitised at survey detail is still the right boundary, and a metre is below the
    accuracy of the data the atlas takes, so a ward is not lost over invisible detail."""
    limit, tolerance_m = settings.MAX_VERTICES, settings.SIMPLIFY_TOLERANCE_M
    counts = shapely.get_num_coordinates(geoms)
    for i in np.flatnonzero(usable & (counts > limit)):
        epsg = store_epsg or choose_metric_crs(lonlat_bounds([shapely.Point(lon[i], lat[i])]))
        metric = reproject(geoms[i], crs, epsg)
        simpler = shapely.simplify(metric, tolerance_m, preserve_topology=True)
        kept = int(shapely.get_num_coordinates(simpler))
        if kept > limit:
            reasons[i] = (f"the shape has {int(counts[i]):,} corners, more than the {limit:,} the atlas keeps for "
                          f"one shape, and simplifying it by {tolerance_m:g} m still leaves {kept:,}; simplify it "
                          "in a GIS (in QGIS: Vector, Geometry Tools, Simplify) and import it again")
            usable[i] = False
            continue
        geoms[i] = reproject(simpler, epsg, crs)
        note = (f"kept, simplified: the shape had {int(counts[i]):,} corners, more than the {limit:,} the atlas "
                f"keeps for one shape; now {kept:,}, none moved more than {tolerance_m:g} m")
        repairs.append((int(i), note))
