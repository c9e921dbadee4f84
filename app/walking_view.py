"""Walking on the site explorer: the store's walking network, loaded once per store
revision; a site's 5, 10 and 15 minute catchments and the walk to each nearby asset,
cached like the atlas's other queries; and how a map draws the catchments.

The network and the walks come from :mod:`atlas.ground.walking`; this module only keeps
them between reruns and puts them into words and map layers. A store with no walking
network gives None throughout, and pages keep their straight-line distances.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import numpy as np
import shapely
import streamlit as st
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from app import maps, state
from app.language import _, fmt
from app.map_layers import ShapeLayer
from app.text import leaflet_html
from atlas.ground import walking
from atlas.ground.walking import Catchment, WalkingNetwork, WalkTime
from atlas.models import NearbyAsset, NearbyResult
from atlas.settings import WALKING_CATCHMENT_MINUTES
from atlas.site_refs import SiteQuery
from cedplans import walking_catchment

DETOUR_LIMIT = 3.0
"""Walks are searched up to this many times the straight-line distance the explorer asks
about (at least the largest catchment, at most :data:`LONGEST_WALK_MIN`): a walk longer
than that, round a canal or a railway, is given as "more than N min" rather than searched
across the whole city."""

LONGEST_WALK_MIN = 120.0
"""The longest walk searched, in minutes (the most :mod:`atlas.ground.walking` accepts)."""

CATCHMENT_COLOURS = {5.0: "#1d6f6a", 10.0: "#4f9a92", 15.0: "#8fc1b5"}
"""Outline colours of the catchments, darkest for the nearest walk: one quiet blue-green,
away from the site's purple and the assets' navy and orange. Any other minutes take the
lightest."""

CATCHMENT_FILL_OPACITY = 0.10
"""Each catchment is filled this lightly, so where they nest the nearest walk reads
darkest and the map beneath stays legible."""


def network() -> WalkingNetwork | None:
    """The store's walking network (None when it has none), loaded once per store revision
    and kept on the app's handle (:func:`app.state.per_revision`)."""
    return state.per_revision("walking_network", walking.load_network)


def speed_kmh() -> float:
    """The store's walking speed, in km/h (:func:`atlas.ground.walking.walking_speed`)."""
    return state.per_revision("walking_speed", walking.walking_speed)


@dataclass(frozen=True)
class SiteWalks:
    """What the explorer shows on foot around a site: the catchments of
    :data:`~atlas.settings.WALKING_CATCHMENT_MINUTES`, the walk to each asset of the nearby
    result by asset id, the site's own join to the network (``origin``), and the walking
    speed. Walks longer than ``limit_min`` were not searched (their ``walk_m`` is None)."""

    speed_kmh: float
    catchments: list[Catchment]
    walks: dict[int, WalkTime]
    origin: WalkTime
    limit_min: float

    def walk_of(self, asset: NearbyAsset) -> WalkTime | None:
        return self.walks.get(asset.id)


def _walks(result: NearbyResult, net: WalkingNetwork, speed: float) -> SiteWalks:
    origin_m = result.site.geom_m
    straight_min = result.radius_m / walking.metres_per_minute(speed)
    limit = min(LONGEST_WALK_MIN, max(WALKING_CATCHMENT_MINUTES[-1], straight_min * DETOUR_LIMIT))
    found = walking.catchments(net, origin_m, WALKING_CATCHMENT_MINUTES, speed)
    # The assets' points as the store measures them, as walking_nearby does: an asset made
    # from an area has its point chosen in each CRS on its own, a metre or more apart.
    points_m = state.query(walking.asset_points_m, [a.id for a in result.assets])
    times = walking.walk_times(net, origin_m, [points_m[a.id] for a in result.assets], speed, max_minutes=limit)
    _where, snap_m = net.attach(origin_m)  # how far the site itself lies from a path
    origin = WalkTime.start(snap_m)
    return SiteWalks(speed_kmh=speed, catchments=found, walks={a.id: w for a, w in zip(result.assets, times,
                                                                                          strict=True)},
                     origin=origin, limit_min=limit)


@st.cache_data(max_entries=32, show_spinner=False)
def _cached_walks(store_key: tuple[str, int, int], ref: SiteQuery, radius_m: float) -> SiteWalks | None:
    # store_key is part of the cache key (never name it _store_key: st.cache_data leaves
    # underscored arguments out), so a new network or a moved asset shows at once.
    net = network()
    if net is None:
        return None
    return _walks(state.nearby(ref, radius_m), net, speed_kmh())


def site_walks(ref: SiteQuery, radius_m: float) -> SiteWalks | None:
    """The walks around the site ``ref`` to the assets within ``radius_m`` (as
    :func:`app.state.nearby` finds them), cached until the next write; None when the store
    has no walking network."""
    return _cached_walks(state.handle().key, ref, radius_m)


# -- words ------------------------------------------------------------------------------

def no_network_words() -> str:
    return _(walking_catchment.NO_NETWORK)


def walk_words(walks: SiteWalks, walk: WalkTime) -> str:
    """"7 min (560 m)", "more than 30 min on foot", with the distance from the nearest path
    when the place is far from any."""
    return walking_catchment.walk_words(fmt(), walk, limit_min=walks.limit_min)


def minutes_words(minutes: float) -> str:
    """ "7 min"."""
    return walking_catchment.minutes_words(fmt(), minutes)


def catchment_words(minutes: float) -> str:
    """ "10 min walk": a catchment's name on the map, in its legend and in the list."""
    return _("{minutes} walk").format(minutes=minutes_words(minutes))


# -- the map ----------------------------------------------------------------------------

def _geojson(geom: BaseGeometry, decimals: int) -> dict:
    rounded: BaseGeometry = shapely.transform(geom, lambda xy: np.round(xy, decimals))
    return mapping(rounded)


def catchment_style(minutes: float) -> dict[str, object]:
    colour = CATCHMENT_COLOURS.get(minutes, CATCHMENT_COLOURS[max(CATCHMENT_COLOURS)])
    return {"color": colour, "weight": 2, "opacity": 0.9, "fillColor": colour,
            "fillOpacity": CATCHMENT_FILL_OPACITY}


def legend_swatch(minutes: float) -> str:
    """The inline style of a catchment's swatch in the map's legend."""
    style = catchment_style(minutes)
    return f"background:{style['fillColor']}33;border:2px solid {style['color']}"


def add_catchments(m: folium.Map, walks: SiteWalks, *, decimals: int = maps.FULL_PRECISION_DECIMALS) -> None:
    """The catchments as nested shapes, the longest walk underneath, each named (tooltip
    and assistive name) by its minutes, and a row for each in the map's legend. Add them
    before the sites and assets, so those stay on top and take the clicks."""
    shown = sorted((c for c in walks.catchments if not c.area.is_empty), key=lambda c: -c.minutes)
    if not shown:
        return
    features, styles = [], {}
    for c in shown:
        name = f"walk{c.minutes:g}"
        styles[name] = dict(catchment_style(c.minutes), className=f"atlas-walk atlas-walk-{c.minutes:g}")
        features.append({"type": "Feature", "geometry": _geojson(c.area, decimals),
                         "properties": {"s": name, "t": html.escape(catchment_words(c.minutes))}})
    ShapeLayer(features, styles, name=leaflet_html(_("Walking catchments"))).add_to(m)
    for c in reversed(shown):
        maps.add_legend_row(m, legend_swatch(c.minutes), catchment_words(c.minutes))
