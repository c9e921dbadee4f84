"""Rings at set distances from a site's edge, drawn on a map to show what "near" means.

Buffers are taken in the store's metric CRS (metres) and the rings handed back in WGS84.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from atlas.projection import WGS84, reproject


@dataclass(frozen=True)
class Ring:
    """The line at ``radius_m`` metres from a site's edge, in WGS84."""

    radius_m: float
    geom: BaseGeometry


def distance_rings(site_geom_m: BaseGeometry, radii_m: Sequence[float], metric_epsg: int) -> list[Ring]:
    """Rings at each distance from the edge of a site given in the metric CRS: the same
    "within" that :func:`atlas.queries.nearby` measures, drawn for a WGS84 map."""
    return [
        Ring(float(r), reproject(site_geom_m.buffer(float(r), quad_segs=16).boundary, metric_epsg, WGS84))
        for r in sorted(set(radii_m)) if r > 0
    ]
