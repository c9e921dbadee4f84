"""The areas an insight report is about: one or more of the store's boundaries, a drawn
polygon, or (by default) everything the store's boundaries cover; and, for spend, the
city and the region around it. Geometries are kept in the store's metric CRS for every
test of what lies inside, and in WGS84 for maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from atlas import settings
from atlas.errors import InvalidInput, NotFound
from atlas.projection import WGS84, reproject, transformer
from atlas.store import Store


@dataclass(frozen=True)
class Area:
    """A named area: ``geom_m`` in the store's metric CRS (EPSG ``epsg``), ``geom`` in WGS84."""

    name: str
    geom_m: BaseGeometry
    geom: BaseGeometry
    epsg: int
    boundary_ids: tuple[int, ...] = ()

    def contains_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which WGS84 points lie in the area (NaN coordinates: False), tested in metres."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        inside = np.zeros(len(lon), dtype=bool)
        known = ~(np.isnan(lon) | np.isnan(lat))
        if known.any():
            x, y = transformer(WGS84, self.epsg).transform(lon[known], lat[known])
            prepared = self.geom_m
            shapely.prepare(prepared)
            inside[known] = shapely.contains_xy(prepared, x, y) | shapely.intersects_xy(prepared, x, y)
        return inside


@dataclass(frozen=True)
class SpendAreas:
    """The three rings a spend report measures local shares against."""

    area: Area
    city: Area
    region: Area


def resolve_area(store: Store, names: Sequence[str] = (), polygon: BaseGeometry | None = None) -> Area:
    """The area named by boundary ``names`` (their union), or a drawn ``polygon`` (WGS84),
    or with neither the union of every boundary in the store."""
    epsg = _epsg(store)
    if polygon is not None:
        if polygon.is_empty or shapely.get_type_id(polygon) not in (3, 6):
            raise InvalidInput("Draw an area (a polygon) for the report, not a point or a line.")
        metric = reproject(polygon, WGS84, epsg)
        return Area("drawn area", metric, polygon, epsg)
    names = [n.strip() for n in names if n and n.strip()]
    if names:
        rows = store.rows("SELECT id, name, ST_AsWKB(geom_m) AS geom_m FROM boundaries "
                          "WHERE lower(name) IN (SELECT unnest(?::VARCHAR[]))",
                          [[n.lower() for n in names]], wkb=("geom_m",))
        found = {r["name"].lower() for r in rows}
        missing = [n for n in names if n.lower() not in found]
        if missing:
            raise NotFound(f"No boundary called {', '.join(repr(m) for m in missing)}; "
                           "see the boundaries with: atlas info.")
        label = " and ".join(dict.fromkeys(r["name"] for r in rows))
    else:
        rows = store.rows("SELECT id, name, ST_AsWKB(geom_m) AS geom_m FROM boundaries", wkb=("geom_m",))
        if not rows:
            raise NotFound("The atlas has no boundaries yet, so there is no area to report on: "
                           "import some (atlas import wards.geojson --as boundaries --level ward) or draw one.")
        label = store.settings.place or "the atlas's area"
    return _area(label, [r["geom_m"] for r in rows], epsg, tuple(r["id"] for r in rows))


def spend_areas(store: Store, names: Sequence[str] = ()) -> SpendAreas:
    """The area (``names``, else all boundaries), the city (boundaries of a
    :data:`~atlas.settings.CITY_LEVELS` level, else all boundaries) and the region
    (boundaries of a :data:`~atlas.settings.REGION_LEVELS` level, else the city widened by
    :data:`~atlas.settings.REGION_RADIUS_M`)."""
    epsg = _epsg(store)
    area = resolve_area(store, names)
    city = _by_levels(store, settings.CITY_LEVELS, epsg) or resolve_area(store)
    city = Area(f"city ({city.name})", city.geom_m, city.geom, epsg, city.boundary_ids)
    region = _by_levels(store, settings.REGION_LEVELS, epsg)
    if region is None:
        widened = shapely.union(city.geom_m.buffer(settings.REGION_RADIUS_M), area.geom_m)
        region = Area(f"region (within {settings.REGION_RADIUS_M / 1000:,.0f} km of the city)", widened,
                      reproject(widened, epsg, WGS84), epsg)
    return SpendAreas(area=area, city=city, region=region)


def _by_levels(store: Store, levels: Sequence[str], epsg: int) -> Area | None:
    rows = store.rows("SELECT id, name, ST_AsWKB(geom_m) AS geom_m FROM boundaries "
                      "WHERE lower(level) IN (SELECT unnest(?::VARCHAR[]))", [list(levels)], wkb=("geom_m",))
    if not rows:
        return None
    label = " and ".join(dict.fromkeys(r["name"] for r in rows))
    return _area(label, [r["geom_m"] for r in rows], epsg, tuple(r["id"] for r in rows))


def _area(name: str, shapes: list[BaseGeometry], epsg: int, ids: tuple[int, ...]) -> Area:
    metric = shapely.union_all(shapes)
    return Area(name, metric, reproject(metric, epsg, WGS84), epsg, ids)


def _epsg(store: Store) -> int:
    epsg = store.settings.metric_epsg
    if epsg is None:
        raise NotFound("The atlas is empty: import boundaries and assets before asking for a report.")
    return epsg

