"""CRS policy: WGS84 (longitude, latitude) for storage and display, a metric CRS for every
distance and area. British National Grid in Great Britain, the local UTM zone elsewhere.

Every transformer here is built with ``always_xy=True`` so coordinates are always in
(x, y) = (longitude, latitude) or (easting, northing) order, whatever the CRS's own axis
order says.

Data on both sides of the 180th meridian (Fiji, Chukotka, the Aleutians) has bounds with
west > east, as GeoJSON writes them (RFC 7946, section 5.2): its centre, and so its UTM
zone, is found across the meridian, not half a world away at Greenwich.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from shapely.geometry.base import BaseGeometry

WGS84 = 4326
BRITISH_NATIONAL_GRID = 27700

GeometryT = TypeVar("GeometryT", bound=BaseGeometry)
"""Any one kind of shapely geometry: a point reprojected is still a point."""

# Great Britain's mainland and islands, the area of use of EPSG:27700, as lon/lat bounds.
_GB_BOUNDS = (-9.01, 49.75, 2.01, 61.01)


def _inside(bounds: tuple[float, float, float, float], outer: tuple[float, float, float, float]) -> bool:
    return (bounds[0] <= bounds[2] and bounds[0] >= outer[0] and bounds[1] >= outer[1]
            and bounds[2] <= outer[2] and bounds[3] <= outer[3])


def wrap_lon(lon: float) -> float:
    """A longitude in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def lonlat_bounds(geoms: np.ndarray | Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of WGS84 geometries, with west > east when they lie
    across the 180th meridian: the narrower of the two ways round the world."""
    coords = shapely.get_coordinates(np.asarray(geoms, dtype=object))
    coords = coords[np.isfinite(coords).all(axis=1)]
    if not len(coords):
        raise ValueError("There are no coordinates to take bounds of.")
    lon, lat = coords[:, 0], coords[:, 1]
    west, east = float(lon.min()), float(lon.max())
    shifted = lon % 360.0  # the same places, counted eastwards from Greenwich to 360
    if east - west > 180.0 and float(shifted.max() - shifted.min()) < east - west:
        west, east = wrap_lon(float(shifted.min())), wrap_lon(float(shifted.max()))
    return (west, float(lat.min()), east, float(lat.max()))


def choose_metric_crs(lonlat_bounds: tuple[float, float, float, float]) -> int:
    """EPSG code of the metric CRS for data with these WGS84 (minx, miny, maxx, maxy) bounds.

    British National Grid for data inside Great Britain; otherwise the UTM zone (WGS84
    datum) in which the data's centre lies. Bounds with west > east lie across the 180th
    meridian (see :func:`lonlat_bounds`); their centre is taken across it.
    """
    if _inside(lonlat_bounds, _GB_BOUNDS):
        return BRITISH_NATIONAL_GRID
    minx, miny, maxx, maxy = lonlat_bounds
    width = (maxx - minx) % 360.0 if minx > maxx else maxx - minx
    cx, cy = wrap_lon(minx + width / 2), (miny + maxy) / 2
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(cx, cy, cx, cy),
    )
    if not infos:
        raise ValueError(f"No UTM zone covers longitude {cx:.4f}, latitude {cy:.4f}.")
    return int(infos[0].code)


@lru_cache(maxsize=32)
def transformer(src: int | CRS, dst: int | CRS) -> Transformer:
    """A cached (x, y)-ordered transformer between two CRSs, each an EPSG code or a pyproj
    CRS (a file's own CRS may have no EPSG code)."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def reproject(geom: GeometryT, src_epsg: int | CRS, dst_epsg: int | CRS) -> GeometryT:
    """``geom`` moved from one CRS to another, coordinates in (x, y) order both sides; each
    CRS an EPSG code or a pyproj CRS (a file's own CRS may have no EPSG code)."""
    if src_epsg == dst_epsg:
        return geom
    t = transformer(src_epsg, dst_epsg)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
