"""Geometry checks before anything is written.

Rows without a geometry, with coordinates outside the area where the file's CRS is valid,
with latitude and longitude that look swapped, or outside the area this atlas measures in
are skipped and reported; invalid geometries are repaired with make_valid and counted.
Everything here is vectorised: a million points take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from atlas.errors import InvalidInput
from atlas.importers.readers import crs_label
from atlas.importers.summary import SkippedRow
from atlas.projection import WGS84, transformer

# How far (degrees) beyond a CRS's published area of use a coordinate may lie. Areas of
# use are drawn tightly around land; a survey point on a beach or a pier is still fine.
_AREA_MARGIN_DEG = 0.5
# A UTM zone is 6 degrees wide but measures well a little way beyond it; a city that
# straddles a zone edge must not lose its far side.
_UTM_MARGIN_DEG = 3.0
_SWAP_MIN_ROWS = 5


@dataclass
class Checked:
    """Rows that passed, how many were repaired, and the rows skipped (with reasons)."""

    frame: gpd.GeoDataFrame
    repaired: int
    skipped: list[SkippedRow]


def _area_bounds(crs: CRS, margin: float) -> tuple[float, float, float, float] | None:
    area = crs.area_of_use
    if area is None:
        return None
    return (area.west - margin, area.south - margin, area.east + margin, area.north + margin)


def _inside(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


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


def _polygonal_parts(geom: shapely.Geometry, dimension: int) -> shapely.Geometry | None:
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
          areas_only: bool = False) -> Checked:
    """Skip unusable rows and repair invalid geometries of ``frame`` (in any CRS).
    With ``areas_only`` (boundaries) points and lines are skipped too.

    ``rows`` labels each row for the report. Raises :class:`InvalidInput` when rows exist
    but none lies in the area the atlas measures in: the file belongs to another place.
    """
    crs = CRS.from_user_input(frame.crs)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object).copy()
    n = len(geoms)
    reasons = np.full(n, None, dtype=object)

    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reasons[missing] = "no geometry"
    x, y = _anchor_points(np.where(missing, shapely.Point(0, 0), geoms))
    finite = np.isfinite(x) & np.isfinite(y)
    reasons[~missing & ~finite] = "coordinates are not numbers"

    usable = ~missing & finite
    if areas_only:
        not_area = usable & ~np.isin(shapely.get_type_id(geoms), (3, 6, 7))  # (multi)polygons, collections
        reasons[not_area] = "a boundary must be an area (a polygon), not a point or a line"
        usable &= ~not_area
    swapped = usable & looks_swapped(np.where(usable, x, np.nan), np.where(usable, y, np.nan), crs.is_geographic)
    reasons[swapped] = "the coordinates look like swapped latitude and longitude (or x and y)"
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

    if store_epsg is not None and usable.any():
        store_crs = CRS.from_epsg(store_epsg)
        margin = _UTM_MARGIN_DEG if "UTM" in store_crs.name else _AREA_MARGIN_DEG
        store_box = _area_bounds(store_crs, margin)
        if store_box is not None:
            away = usable & ~_inside(lon, lat, store_box)
            if away.sum() == usable.sum():
                raise InvalidInput(
                    f"{file} lies outside the area this atlas covers (it measures in EPSG:{store_epsg}, "
                    f"{store_crs.area_of_use.name if store_crs.area_of_use else store_crs.name}). "
                    "Import it into a new atlas for that place (use --db with a new file)."
                )
            reasons[away] = (
                f"the place lies outside the area this atlas covers (EPSG:{store_epsg}); "
                "start a new atlas for it"
            )
            usable &= ~away

    repaired = 0
    if usable.any():
        idx = np.flatnonzero(usable)
        valid = shapely.is_valid(geoms[idx])
        if not valid.all():
            bad = idx[~valid]
            fixed = shapely.make_valid(geoms[bad])
            dims = shapely.get_dimensions(geoms[bad])
            for j, (i, g, d) in enumerate(zip(bad, fixed, dims)):
                part = _polygonal_parts(g, int(d))
                if part is None:
                    reasons[i] = "the geometry is invalid and could not be repaired"
                    usable[i] = False
                else:
                    geoms[i] = part
                    repaired += 1
    skipped = [
        SkippedRow(file=file, row=str(rows.iloc[i]), field="geometry", reason=str(reasons[i]))
        for i in np.flatnonzero(~usable)
    ]
    out = frame if usable.all() else frame.iloc[np.flatnonzero(usable)].copy()
    if repaired:
        out = out.set_geometry(gpd.GeoSeries(geoms[usable], index=out.index, crs=frame.crs))
    return Checked(frame=out, repaired=repaired, skipped=skipped)
