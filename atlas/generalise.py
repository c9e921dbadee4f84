"""Where a person is shown: the centre of the square that holds them, not their door.

Kept apart from :mod:`atlas.people` so the schema migration that generalises people
already stored can use it without importing the store."""

from __future__ import annotations

import numpy as np
import shapely

from atlas import settings
from atlas.projection import WGS84, transformer


def neighbourhood_points(x_m: np.ndarray, y_m: np.ndarray,
                         cell_m: float = settings.PERSON_LOCATION_CELL_M) -> tuple[np.ndarray, np.ndarray]:
    """The centre of the ``cell_m`` square (metres, in the store's metric CRS) holding each point."""
    return (np.floor(x_m / cell_m) + 0.5) * cell_m, (np.floor(y_m / cell_m) + 0.5) * cell_m


def generalise(metric: np.ndarray, metric_epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """(WGS84, metric) neighbourhood points for an array of metric points."""
    x, y = neighbourhood_points(shapely.get_x(metric), shapely.get_y(metric))
    lon, lat = transformer(metric_epsg, WGS84).transform(x, y)
    # asarray (no copy) says to the type checker what shapely's stubs cannot: arrays in, array out
    return np.asarray(shapely.points(lon, lat)), np.asarray(shapely.points(x, y))
