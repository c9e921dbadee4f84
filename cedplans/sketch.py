"""Turn what a person drew on the map into a checked, measured shape.

The map's draw tool (Leaflet.draw through streamlit-folium) returns GeoJSON in WGS84:
a Feature, a FeatureCollection (``all_drawings``), a list of Features, or a bare geometry.
Self-intersecting outlines are repaired with ``make_valid``; empty, degenerate and
implausibly distant shapes are refused with a message that says what to do. Areas and
lengths are measured in the store's metric CRS, never in degrees.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from atlas import settings
from atlas.errors import InvalidInput
from atlas.projection import WGS84, choose_metric_crs, lonlat_bounds, reproject
from atlas.queries import data_extent
from atlas.store import Store

MAX_DISTANCE_M = 5_000.0
"""How far, in metres, a drawing may lie from the plan's site (or, with no site, from the
atlas's data) before it is taken for a slip of the mouse at a low zoom level."""

MAX_SIZE_M = 20_000.0
"""The widest a drawing may be, in metres: a plan's zones are local places, not regions."""

MIN_AREA_M2 = 1.0
"""An outline enclosing less than this many square metres has collapsed to a line or point."""

MIN_LENGTH_M = 0.5
"""A line shorter than this many metres is taken as a double click, not a line."""

_KINDS = {0: "point", 1: "line", 2: "area"}
# One multi-part shape from parts of one dimension.
_MULTI: dict[int, Callable[..., BaseGeometry]] = {0: shapely.MultiPoint, 1: shapely.MultiLineString,
                                                  2: shapely.MultiPolygon}


@dataclass(frozen=True)
class Sketch:
    """A checked drawing. ``geom`` is WGS84 (lon, lat), ``geom_m`` the store's metric CRS.

    ``kind`` is "area", "line" or "point". ``length_m`` is a line's length or an area's
    perimeter. ``repaired`` says whether the outline had to be mended; ``note`` says how.
    """

    geom: BaseGeometry
    geom_m: BaseGeometry
    kind: str
    area_m2: float
    area_ha: float
    length_m: float
    repaired: bool = False
    note: str = ""


def parse_drawing(store: Store, drawing: Any, *, near: BaseGeometry | None = None,
                  max_distance_m: float = MAX_DISTANCE_M) -> Sketch:
    """Check and measure a drawing returned by the map (GeoJSON as a dict, list or text).

    ``near`` (WGS84) is the plan's site or extent; the drawing must lie within
    ``max_distance_m`` metres of it, or of the atlas's data when ``near`` is None. Several
    drawn shapes of one kind become one multi-part shape; a drawn circle (a Point with a
    ``radius`` property in metres) becomes a round area.
    """
    geom, radius_m = _geometry_from_geojson(drawing)
    return check_geometry(store, geom, near=near, max_distance_m=max_distance_m, radius_m=radius_m)


def check_geometry(store: Store, geom: BaseGeometry | None, *, near: BaseGeometry | None = None,
                   max_distance_m: float = MAX_DISTANCE_M, what: str = "The drawing",
                   radius_m: float | None = None, frame: Frame | None = None) -> Sketch:
    """Check, repair and measure a WGS84 geometry; ``what`` names it in error messages.
    ``frame``, if given, stands for ``store`` and ``near`` (see :class:`Frame`)."""
    frame = frame or Frame(store, store.settings.metric_epsg, near)
    return _check(geom, frame, max_distance_m, what, radius_m)


def check_geometries(store: Store, geoms: Sequence[BaseGeometry | None], whats: Sequence[str], *,
                     near: BaseGeometry | None = None, max_distance_m: float = MAX_DISTANCE_M,
                     frame: Frame | None = None) -> list[Sketch]:
    """:func:`check_geometry` for many shapes (a plan's zones), sharing the work of finding
    the metric CRS and the place they are measured from."""
    frame = frame or Frame(store, store.settings.metric_epsg, near)
    return [_check(g, frame, max_distance_m, what, None) for g, what in zip(geoms, whats, strict=True)]


class Frame:
    """What drawings are measured against: the metric CRS and the shape they must be near,
    each worked out once however many drawings are checked.

    ``metric_epsg`` is the store's metric CRS (None for an empty atlas: drawings are then
    measured in the CRS the first of them calls for). ``near`` is the plan's site in WGS84
    and ``near_m`` the same site in ``metric_epsg``, when the caller already has it (it
    saves reprojecting the site); with neither, drawings must lie near the atlas's data.
    A caller that has read the store's settings builds one and passes it to
    :func:`check_geometry` or :func:`check_geometries`, so they are not read again.
    """

    def __init__(self, store: Store, metric_epsg: int | None, near: BaseGeometry | None = None,
                 near_m: BaseGeometry | None = None) -> None:
        self.store = store
        self.near = near
        self._epsg = metric_epsg
        self._anchor: tuple[BaseGeometry | None, str] | None = None
        if near_m is not None and metric_epsg is not None and not near_m.is_empty:
            self._anchor = (near_m, "the plan's site")

    def epsg(self, geom: BaseGeometry) -> int:
        if self._epsg is None:  # an empty atlas: measure in the CRS the drawing itself calls for
            self._epsg = choose_metric_crs(lonlat_bounds([geom]))
        return self._epsg

    def anchor(self, epsg: int) -> tuple[BaseGeometry | None, str]:
        if self._anchor is None:
            if self.near is not None and not self.near.is_empty:
                self._anchor = (reproject(self.near, WGS84, epsg), "the plan's site")
            else:
                extent = data_extent(self.store)
                self._anchor = (None if extent is None else reproject(shapely.box(*extent), WGS84, epsg),
                                "the atlas's data")
        return self._anchor


def _check(geom: BaseGeometry | None, frame: Frame, max_distance_m: float, what: str,
           radius_m: float | None) -> Sketch:
    if geom is None or geom.is_empty:
        raise InvalidInput(f"{what} is empty: draw a point, a line or an area on the map, then save.")
    _check_lonlat(geom, what)
    corners = int(shapely.get_num_coordinates(geom))
    if corners > settings.MAX_VERTICES:  # no hand draws this many: it is a pasted file
        raise InvalidInput(f"{what} has {corners:,} corners, more than the {settings.MAX_VERTICES:,} a shape may "
                           "have; simplify it, or import the file it came from with atlas import.")
    geom = _simple_type(shapely.force_2d(geom), what)
    epsg = frame.epsg(geom)
    if radius_m:
        circle = reproject(geom, WGS84, epsg).buffer(radius_m, quad_segs=16)
        geom = reproject(circle, epsg, WGS84)
    dim = int(shapely.get_dimensions(geom))
    repaired, note = False, ""
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        fixed = _keep_dimension(shapely.make_valid(geom), dim)
        if fixed is None or fixed.is_empty:
            raise InvalidInput(_degenerate(what, dim))
        if dim == 2:
            parts = len(shapely.get_parts(fixed))
            note = (f"The outline crossed itself ({reason}); it was mended into {parts} "
                    f"area{'s' if parts != 1 else ''} along the crossing.")
        else:
            note = f"The shape was mended ({reason})."
        geom, repaired = fixed, True
    geom_m = reproject(geom, WGS84, epsg)
    area_m2 = float(geom_m.area) if dim == 2 else 0.0
    length_m = float(geom_m.length) if dim >= 1 else 0.0
    if (dim == 2 and area_m2 < MIN_AREA_M2) or (dim == 1 and length_m < MIN_LENGTH_M):
        raise InvalidInput(_degenerate(what, dim))
    _check_distance(geom_m, frame, epsg, max_distance_m, what)
    return Sketch(geom=geom, geom_m=geom_m, kind=_KINDS[dim], area_m2=area_m2, area_ha=area_m2 / 10_000,
                  length_m=length_m, repaired=repaired, note=note)


# -- GeoJSON ----------------------------------------------------------------------------

def _geometry_from_geojson(drawing: Any) -> tuple[BaseGeometry | None, float | None]:
    """One shapely geometry (and a circle's radius, if drawn as one) from GeoJSON."""
    if isinstance(drawing, (str, bytes)):
        try:
            drawing = json.loads(drawing)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"The drawing is not GeoJSON ({exc.msg} at character {exc.pos}).") from exc
        except (ValueError, RecursionError) as exc:  # bytes that are not UTF-8; nesting past Python's limit
            raise InvalidInput(f"The drawing is not GeoJSON text ({type(exc).__name__}).") from exc
    if drawing is None:
        return None, None
    if isinstance(drawing, Sequence) and not isinstance(drawing, dict):
        features = list(drawing)
    elif not isinstance(drawing, dict) or "type" not in drawing:
        raise InvalidInput("The drawing is not GeoJSON: expected a Feature, FeatureCollection or geometry.")
    elif drawing["type"] == "FeatureCollection":
        features = drawing.get("features") or []
        if not isinstance(features, list):
            raise InvalidInput("The drawing is not GeoJSON: a FeatureCollection's features must be a list.")
    else:
        features = [drawing]
    geoms: list[BaseGeometry] = []
    radius_m: float | None = None
    for i, item in enumerate(features, 1):
        if not isinstance(item, dict):
            raise InvalidInput(f"Drawn shape {i} is not a GeoJSON object.")
        if item.get("type") == "Feature":
            props = item.get("properties") or {}
            geometry = item.get("geometry")
            radius = props.get("radius") if isinstance(props, dict) else None
            is_point = isinstance(geometry, dict) and geometry.get("type") == "Point"
            if isinstance(radius, (int, float)) and not isinstance(radius, bool) and radius > 0 and is_point:
                if not math.isfinite(radius) or 2 * radius > MAX_SIZE_M:
                    raise InvalidInput(f"Drawn circle {i} has a radius of {radius:g} m, too big for a plan's zone "
                                       f"(at most {MAX_SIZE_M / 1000:g} km across). Zoom in and draw it again.")
                if len(features) > 1:
                    raise InvalidInput("Draw a circle on its own, not together with other shapes.")
                radius_m = float(radius)
        else:
            geometry = item
        if geometry is None:
            continue
        try:
            with np.errstate(invalid="ignore"):  # NaN corners are refused by _check_lonlat, with a message
                geoms.append(shape(geometry))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError,
                shapely.errors.ShapelyError) as exc:
            kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
            raise InvalidInput(f"Drawn shape {i} ({kind}) is not a valid GeoJSON geometry: {exc}.") from exc
    geoms = [g for g in geoms if not g.is_empty]
    if not geoms:
        return None, None
    if len(geoms) == 1:
        return geoms[0], radius_m
    return _combine(geoms, "The drawing"), None


def _combine(geoms: Sequence[BaseGeometry], what: str) -> BaseGeometry:
    """Shapes of one kind as one multi-part shape; mixed kinds are refused."""
    dims = {int(shapely.get_dimensions(g)) for g in geoms}
    if len(dims) > 1:
        raise InvalidInput(
            f"{what} mixes points, lines and areas; draw one kind of shape per zone "
            "(make a separate zone for each kind)."
        )
    parts = [p for g in geoms for p in shapely.get_parts(g)]
    parts = [shapely.LineString(p.coords) if p.geom_type == "LinearRing" else p for p in parts]
    return _MULTI[dims.pop()](parts)


def _simple_type(geom: BaseGeometry, what: str) -> BaseGeometry:
    """A geometry of a type every GIS format holds: a ring becomes a line and a collection
    becomes one multi-part shape, so exports to GeoJSON and GeoPackage stay readable."""
    if geom.geom_type == "LinearRing":
        return shapely.LineString(geom.coords)
    if geom.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(geom) if not p.is_empty]
        return parts[0] if len(parts) == 1 else _combine(parts, what)
    return geom


# -- checks -----------------------------------------------------------------------------

def _check_lonlat(geom: BaseGeometry, what: str) -> None:
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise InvalidInput(f"{what} has coordinates that are not numbers; draw it again.")
    x, y = coords[:, 0], coords[:, 1]
    if (np.abs(x) > 180).any() or (np.abs(y) > 90).any():
        sample = coords[(np.abs(x) > 180) | (np.abs(y) > 90)][0]
        raise InvalidInput(
            f"{what} has coordinates ({sample[0]:g}, {sample[1]:g}) that are not longitude and latitude. "
            "The map must send WGS84 (EPSG:4326) longitude, latitude; convert metres "
            "(for example British National Grid) first."
        )


def _keep_dimension(geom: BaseGeometry, dim: int) -> BaseGeometry | None:
    """The parts of a repaired geometry with the dimension that was drawn: a mended area
    stays an area, and slivers reduced to lines are dropped."""
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim and not p.is_empty]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    if dim == 2:
        return shapely.unary_union(parts)
    return _MULTI[dim](parts)


def _degenerate(what: str, dim: int) -> str:
    if dim == 2:
        return (f"{what} has no area: its corners lie on one line or on top of each other. "
                "Draw the outline again with at least three corners spread apart.")
    if dim == 1:
        return f"{what} has no length: its ends are in the same place. Draw the line again between two places."
    return f"{what} could not be read as a point; place the marker again."


def _check_distance(geom_m: BaseGeometry, frame: Frame, epsg: int, max_distance_m: float, what: str) -> None:
    minx, miny, maxx, maxy = geom_m.bounds
    size_m = math.hypot(maxx - minx, maxy - miny)
    if size_m > MAX_SIZE_M:
        raise InvalidInput(
            f"{what} is {size_m / 1000:,.0f} km across, too big for a plan's zone. "
            "Zoom in on the site and draw it again."
        )
    anchor, name = frame.anchor(epsg)
    if anchor is None:
        return
    distance_m = float(anchor.distance(geom_m))
    if distance_m > max_distance_m:
        raise InvalidInput(
            f"{what} is {distance_m / 1000:,.1f} km from {name}, further than the "
            f"{max_distance_m / 1000:,.1f} km a plan's drawing may be. Zoom to the site and draw it there; "
            "if you typed coordinates, check they are longitude, latitude in that order."
        )

