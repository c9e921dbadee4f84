"""The demo's ground: a few main roads, the Birmingham Canal's main line and Edgbaston
Reservoir, drawn by the Asset Atlas project for the demo area (west Birmingham and Smethwick).

Written by the project from general knowledge of the area, as the rest of the demo data is
(``data/boundaries/README.md``): every coordinate below is our own rough sketch, copied from
no map, survey or dataset, and may be a hundred metres or more out. It is saved as
approximate, and the base map made from it says so on the map.

The demo has no walking network: these few lines are not the streets a person walks along,
so none is marked walkable, and walking distances in the demo stay straight lines (the app
and ``atlas nearby --walk`` say so).
"""

from __future__ import annotations

import math

import shapely
from shapely.geometry import LineString, Polygon

from atlas.ground.layers import GroundFeature, save_ground
from atlas.ground.tiles import BasemapSummary, build_basemap
from atlas.importers.summary import ProgressCallback, no_progress
from atlas.store import Store

DEMO_GROUND_SOURCE = "Asset Atlas demo: main roads, canal and reservoir sketched by the project"
DEMO_GROUND_LICENCE = "Asset Atlas demo data, sketched by the project (approximate, not surveyed)"

# (name, highway kind, [(lon, lat), ...]): rough lines through the demo's own places (the
# shop units on Dudley Road and Cape Hill, City Hospital's frontage, Five Ways).
_ROADS: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
    ("Hagley Road", "primary", ((-1.9155, 52.4727), (-1.9260, 52.4718), (-1.9370, 52.4711), (-1.9480, 52.4704),
                                (-1.9600, 52.4700), (-1.9700, 52.4702))),
    ("Dudley Road", "primary", ((-1.9180, 52.4835), (-1.9278, 52.4863), (-1.9372, 52.4871), (-1.9420, 52.4889),
                                (-1.9480, 52.4893))),
    ("Cape Hill", "primary", ((-1.9480, 52.4893), (-1.9530, 52.4885), (-1.9592, 52.4872), (-1.9680, 52.4875))),
    ("Soho Road", "primary", ((-1.9230, 52.4975), (-1.9300, 52.5005), (-1.9380, 52.5040), (-1.9450, 52.5072))),
    ("Ladywood Middleway", "trunk", ((-1.9160, 52.4740), (-1.9172, 52.4790), (-1.9180, 52.4835),
                                     (-1.9195, 52.4880), (-1.9215, 52.4930))),
    ("Icknield Port Road", "secondary", ((-1.9345, 52.4870), (-1.9340, 52.4845), (-1.9333, 52.4815))),
    ("Monument Road", "secondary", ((-1.9315, 52.4714), (-1.9322, 52.4760), (-1.9305, 52.4790))),
    ("Grove Lane", "tertiary", ((-1.9560, 52.4876), (-1.9556, 52.4930), (-1.9548, 52.4985))),
)

_CANAL = ("Birmingham Canal (main line)", ((-1.9120, 52.4792), (-1.9200, 52.4812), (-1.9262, 52.4828),
                                           (-1.9310, 52.4838), (-1.9360, 52.4880), (-1.9400, 52.4925),
                                           (-1.9470, 52.4950), (-1.9540, 52.4968), (-1.9605, 52.4982),
                                           (-1.9700, 52.4998), (-1.9795, 52.5010), (-1.9890, 52.5035)))

_RESERVOIR_NAME = "Edgbaston Reservoir"
_RESERVOIR_CENTRE = (-1.9394, 52.4799)
_RESERVOIR_HALF_WIDTH_M = 230.0
_RESERVOIR_HALF_HEIGHT_M = 350.0
_METRES_PER_DEGREE_LAT = 111_320.0


def _reservoir() -> Polygon:
    """An oval of our own making where the reservoir is: about 460 m by 700 m."""
    lon0, lat0 = _RESERVOIR_CENTRE
    per_lon = _METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0))
    ring = [(lon0 + _RESERVOIR_HALF_WIDTH_M * math.cos(a) / per_lon,
             lat0 + _RESERVOIR_HALF_HEIGHT_M * math.sin(a) / _METRES_PER_DEGREE_LAT)
            for a in (2 * math.pi * i / 24 for i in range(24))]
    return Polygon(ring)


def demo_ground() -> list[GroundFeature]:
    """The demo's ground features (WGS84), none of them walkable."""
    features = [GroundFeature(layer="road", kind=kind, name=name, walkable=False, geom=LineString(points))
                for name, kind, points in _ROADS]
    features.append(GroundFeature(layer="waterway", kind="canal", name=_CANAL[0], walkable=False,
                                  geom=LineString(_CANAL[1])))
    features.append(GroundFeature(layer="water", kind="reservoir", name=_RESERVOIR_NAME, walkable=False,
                                  geom=shapely.normalize(_reservoir())))
    return features


def load_demo_ground(store: Store, progress: ProgressCallback = no_progress) -> BasemapSummary:
    """Save the demo's ground into ``store`` (marked approximate, replacing any ground it
    held) and build its base map from it."""
    save_ground(store, demo_ground(), source=DEMO_GROUND_SOURCE, licence=DEMO_GROUND_LICENCE, approximate=True)
    return build_basemap(store, progress)


__all__ = ["DEMO_GROUND_LICENCE", "DEMO_GROUND_SOURCE", "demo_ground", "load_demo_ground"]
