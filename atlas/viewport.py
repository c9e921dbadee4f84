"""Web-map zoom maths: how much ground a screen pixel spans, and the view a map shows.

Zoom levels are those of web maps: 0 shows the world in one 256-pixel tile and each
level doubles the scale. Everything here is WGS84 (longitude, latitude) and pure
arithmetic: no store, no SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TILE_PX = 256
"""Width of a web-map tile in pixels; a zoom level's pixel size follows from it."""

SNAP_PX = 128
"""Grid (in screen pixels) to which the area fetched for a view is snapped."""

MAX_ZOOM = 20


def degrees_per_pixel(zoom: float) -> float:
    """Longitude degrees one screen pixel spans at a web-map ``zoom`` level."""
    return 360.0 / (TILE_PX * 2.0 ** zoom)


def metres_per_pixel(zoom: float, lat: float) -> float:
    """Ground metres one screen pixel spans on a web map at ``zoom`` and latitude ``lat``."""
    return 156_543.033_92 * math.cos(math.radians(lat)) / 2.0 ** zoom


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
