"""Everything made from the ground, made again: the ground saved from an extract (or kept),
then the walking network (:mod:`atlas.ground.walking`) and the base map
(:mod:`atlas.ground.tiles`), in one transaction. Used by ``atlas basemap build`` and by the
import of an OpenStreetMap extract."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.errors import NotFound
from atlas.ground.layers import GroundFeature, ground_source, read_osm_ground, save_ground
from atlas.ground.walking import NetworkSummary, build_network
from atlas.importers.osm import OSM_LICENCE
from atlas.importers.summary import ProgressCallback, no_progress
from atlas.store import Store

if TYPE_CHECKING:
    from atlas.ground.tiles import BasemapSummary

NO_GROUND = ("This atlas keeps no ground (streets, paths, water) to build a walking network and base map from. "
             "Import an OpenStreetMap extract (atlas import EXTRACT.osm.pbf), or give one: "
             "atlas basemap build --from EXTRACT.osm.pbf")


@dataclass(frozen=True)
class GroundBuild:
    """What :func:`build_ground` did: the ground's ``source`` and whether it is approximate,
    how many ground ``features`` it holds, the walking ``network`` and the ``basemap`` (None,
    with the reason in ``basemap_note``, when none could be built), in ``seconds``.
    ``network_note`` says why the network is empty when it is."""

    source: str
    approximate: bool
    features: int
    network: NetworkSummary
    basemap: BasemapSummary | None
    seconds: float
    network_note: str | None = None
    basemap_note: str | None = None


def build_ground(store: Store, features: Sequence[GroundFeature] | None = None, *, source: str | None = None,
                 licence: str | None = None, approximate: bool = False,
                 progress: ProgressCallback = no_progress) -> GroundBuild:
    """Make the walking network and base map again, in one transaction (all or nothing).

    With ``features`` (WGS84), they first replace the store's ground, from ``source``
    (required then) under ``licence``. Without, the ground the store keeps is used; a store
    with none raises :class:`~atlas.errors.NotFound` saying how to give it some."""
    started = time.perf_counter()
    with store.transaction():
        if features is not None:
            if not source:
                raise ValueError("build_ground: name the source of the features")
            save_ground(store, features, source=source, licence=licence, approximate=approximate)
        kept = ground_source(store)
        if kept is None:
            raise NotFound(NO_GROUND)
        count = int(store.con.execute("SELECT count(*) FROM ground_features").fetchone()[0])
        network = build_network(store)
        network_note = None
        if not network.edges:
            network_note = ("the ground is approximate (drawn for the demo, not surveyed), so walks are not measured "
                            "on it" if kept.approximate else "the ground has no walkable streets or paths")
        basemap, basemap_note = _basemap(store, count, progress)
    return GroundBuild(source=kept.source, approximate=kept.approximate, features=count, network=network,
                       basemap=basemap, seconds=time.perf_counter() - started, network_note=network_note,
                       basemap_note=basemap_note)


def build_from_extract(store: Store, path: Path, *, source: str | None = None, licence: str | None = None,
                       progress: ProgressCallback = no_progress) -> GroundBuild:
    """Read the ground of an OpenStreetMap extract and build everything from it
    (:func:`build_ground`). The file is read before anything is written."""
    path = Path(path)
    features = read_osm_ground(path, progress=progress)
    return build_ground(store, features, source=source or path.name, licence=licence or OSM_LICENCE,
                        progress=progress)


def _basemap(store: Store, features: int, progress: ProgressCallback) -> tuple[BasemapSummary | None, str | None]:
    if not features:
        return None, "the ground holds nothing to draw"
    try:
        from atlas.ground import tiles  # the vector tiles' libraries, loaded only to build
    except ImportError as exc:
        return None, f"the base map builder could not be loaded ({exc}); reinstall Asset Atlas"
    return tiles.build_basemap(store, progress=progress), None


__all__ = ["NO_GROUND", "GroundBuild", "build_from_extract", "build_ground"]
