"""The ground of an OpenStreetMap extract: streets and paths (each marked walkable or not),
railways, rivers and canals, water, parks and buildings, read with pyosmium as
:mod:`atlas.importers.osm` reads assets, and kept in the store's ``ground_features`` (WGS84
longitude/latitude) with where it came from in ``ground_sources``.

The base map (:mod:`atlas.ground.tiles`) draws these layers; the walking network
(:mod:`atlas.ground.walking`) is built from the walkable lines.

Who may walk where follows OpenStreetMap's access tags, as routers read them: footways,
paths, pedestrian streets, steps, tracks and ordinary streets are walkable; motorways never
are; a trunk road only with a sidewalk or ``foot=yes``; ``foot=no`` and private or closed
ways (``access=private`` or ``no``) are not, unless ``foot`` allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import osmium
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

from atlas.errors import InvalidInput
from atlas.importers.readers import check_file
from atlas.importers.summary import ProgressCallback, no_progress
from atlas.projection import choose_metric_crs, lonlat_bounds
from atlas.store import Store

LAYERS = ("road", "path", "rail", "waterway", "water", "park", "building")
"""The layers of the ground, as ``ground_features.layer`` allows them."""

ROADS = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
    "tertiary", "tertiary_link", "unclassified", "residential", "service", "living_street", "road", "busway",
})
"""``highway`` values drawn as roads (for vehicles, most also walked); other walkable ones are paths."""

PATHS = frozenset({
    "footway", "path", "pedestrian", "steps", "track", "cycleway", "bridleway", "crossing", "corridor",
})
"""``highway`` values drawn as paths."""

_WALKED = frozenset({
    "footway", "path", "pedestrian", "steps", "track", "bridleway", "crossing", "corridor", "living_street",
    "residential", "service", "unclassified", "road", "tertiary", "tertiary_link", "secondary", "secondary_link",
    "primary", "primary_link", "cycleway",
})
"""``highway`` values a person may walk along unless the tags say otherwise."""

_NEVER_WALKED = frozenset({"motorway", "motorway_link", "busway"})
_TRUNKS = frozenset({"trunk", "trunk_link"})
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
_FOOT_REFUSED = frozenset({"no", "use_sidepath"})
_NO_ACCESS = frozenset({"private", "no"})
_SIDEWALK_TAGS = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
_NO_SIDEWALK = frozenset({"no", "none", "separate"})

RAILWAYS = frozenset({"rail", "light_rail", "subway", "tram", "narrow_gauge", "monorail", "funicular", "preserved"})
WATERWAYS = frozenset({"river", "canal", "stream", "drain", "ditch", "brook"})
_WATER = {("natural", "water"), ("landuse", "reservoir"), ("landuse", "basin"), ("waterway", "riverbank"),
          ("waterway", "dock")}
_PARK = {("leisure", v) for v in ("park", "garden", "nature_reserve", "recreation_ground", "common", "playground",
                                  "pitch")} | {("landuse", v) for v in ("grass", "recreation_ground",
                                                                         "village_green", "cemetery", "forest",
                                                                         "meadow", "allotments")} \
    | {("natural", v) for v in ("wood", "scrub", "grassland", "heath")}
_KEYS = ("highway", "railway", "waterway", "natural", "landuse", "leisure", "building")
_PROGRESS_EVERY = 20_000


@dataclass(frozen=True)
class GroundFeature:
    """One thing on the ground: ``layer`` (one of :data:`LAYERS`), ``kind`` (the OpenStreetMap
    value, such as ``residential``, ``canal`` or ``park``), its name, whether it can be
    walked along, and its geometry in WGS84 (longitude, latitude). ``osm_id`` is
    ``way/123`` or ``relation/45`` for data from an extract."""

    layer: str
    kind: str
    name: str | None
    walkable: bool
    geom: BaseGeometry
    osm_id: str | None = None


@dataclass(frozen=True)
class GroundSource:
    """Where the store's ground came from: the extract's name (or the demo's), its licence,
    whether it is approximate (drawn by us, not surveyed) and when it was saved (UTC)."""

    source: str
    licence: str | None
    approximate: bool
    imported_at: datetime


def walkable(highway: str, tag: Callable[[str], str | None]) -> bool:
    """Whether a way tagged ``highway=<highway>`` may be walked, given its other tags
    (``tag(key)`` returns a value or None). See the module's notes for the rules."""
    if highway in _NEVER_WALKED:
        return False
    foot = tag("foot")
    if foot in _FOOT_REFUSED:
        return False
    if tag("access") in _NO_ACCESS and foot not in _FOOT_ALLOWED:
        return False
    if highway in _TRUNKS:
        return foot in _FOOT_ALLOWED or any(
            (value := tag(key)) is not None and value not in _NO_SIDEWALK for key in _SIDEWALK_TAGS)
    return highway in _WALKED or foot in _FOOT_ALLOWED


def _area_layer(tag: Callable[[str], str | None]) -> tuple[str, str] | None:
    """(layer, kind) of an area, or None when it is none of water, park or building."""
    for key in ("natural", "landuse", "waterway", "leisure"):
        value = tag(key)
        if value is None:
            continue
        if (key, value) in _WATER:
            return "water", value
        if (key, value) in _PARK:
            return "park", value
    building = tag("building")
    if building is not None and building != "no":
        return "building", building
    return None


def _line_layer(tag: Callable[[str], str | None]) -> tuple[str, str, bool] | None:
    """(layer, kind, walkable) of an open line, or None."""
    highway = tag("highway")
    if highway is not None and (highway in ROADS or highway in PATHS):
        return ("road" if highway in ROADS else "path"), highway, walkable(highway, tag)
    railway = tag("railway")
    if railway in RAILWAYS:
        return "rail", railway, False
    waterway = tag("waterway")
    if waterway in WATERWAYS:
        return "waterway", waterway, False
    return None


def read_osm_ground(path: Path, progress: ProgressCallback = no_progress) -> list[GroundFeature]:
    """The ground of the extract at ``path`` (``.osm.pbf``, ``.osm`` or ``.osm.gz``), in WGS84.

    Streets, paths, railways and waterways are the extract's ways as lines (a closed way
    such as a roundabout too); water, parks and buildings are areas assembled by libosmium
    from closed ways and multipolygon relations. A way or area whose nodes are missing from
    the extract is left out. Raises :class:`~atlas.errors.InvalidInput` for a file that is not
    OpenStreetMap data."""
    path = Path(path)
    check_file(path)
    wkb = osmium.geom.WKBFactory()
    out_wkb: list[str] = []
    layers: list[str] = []
    kinds: list[str] = []
    names: list[str | None] = []
    walk: list[bool] = []
    ids: list[str] = []
    seen = 0
    progress("reading", 0, None)
    processor = (osmium.FileProcessor(str(path)).with_locations().with_areas()
                 .with_filter(osmium.filter.KeyFilter(*_KEYS)))
    try:
        for obj in processor:
            seen += 1
            if seen % _PROGRESS_EVERY == 0:
                progress("reading", seen, None)
            if isinstance(obj, osmium.osm.Area):
                decided = _area_layer(obj.tags.get)
                if decided is None:
                    continue
                try:
                    geom = wkb.create_multipolygon(obj)
                except (RuntimeError, osmium.InvalidLocationError):
                    continue
                layer, kind = decided
                is_walkable = False
                osm_id = f"{'way' if obj.from_way() else 'relation'}/{obj.orig_id()}"
            elif isinstance(obj, osmium.osm.Way):
                line = _line_layer(obj.tags.get)
                if line is None:
                    continue
                try:
                    geom = wkb.create_linestring(obj)
                except (RuntimeError, osmium.InvalidLocationError):
                    continue  # nodes missing from the extract, or fewer than two places
                layer, kind, is_walkable = line
                osm_id = f"way/{obj.id}"
            else:
                continue
            out_wkb.append(geom)
            layers.append(layer)
            kinds.append(kind)
            names.append(obj.tags.get("name"))
            walk.append(is_walkable)
            ids.append(osm_id)
    except RuntimeError as exc:
        raise InvalidInput(f"{path} could not be read as OpenStreetMap data ({exc}).") from None
    progress("reading", seen, seen)
    if not out_wkb:
        return []
    geoms = shapely.from_wkb([bytes.fromhex(h) for h in out_wkb])
    # libosmium gives every area as a multipolygon; most have one part.
    single = shapely.get_num_geometries(geoms) == 1
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    return [GroundFeature(layer=layer, kind=kind, name=name, walkable=w, geom=g, osm_id=i)
            for layer, kind, name, w, g, i in zip(layers, kinds, names, walk, geoms, ids, strict=True)]


def save_ground(store: Store, features: Sequence[GroundFeature], *, source: str, licence: str | None,
                approximate: bool) -> int:
    """Replace the store's ground with ``features`` (WGS84) from ``source``, in one
    transaction, and return how many were saved. The walking network made from the old
    ground goes with it (:func:`atlas.ground.walking.build_network` makes the new one). A
    store with no metric CRS yet gets the one the ground's extent calls for."""
    bad = sorted({f.layer for f in features} - set(LAYERS))
    if bad:
        raise InvalidInput(f"Ground layers must be one of {', '.join(LAYERS)}; not {', '.join(bad)}.")
    geoms = np.array([f.geom for f in features], dtype=object)
    if len(geoms) and (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any():
        raise InvalidInput("Some ground features have no geometry; drop them before saving.")
    data = pa.table({
        "layer": pa.array([f.layer for f in features], type=pa.string()),
        "kind": pa.array([f.kind for f in features], type=pa.string()),
        "name": pa.array([f.name for f in features], type=pa.string()),
        "walkable": pa.array([bool(f.walkable) for f in features], type=pa.bool_()),
        "osm_id": pa.array([f.osm_id for f in features], type=pa.string()),
        "wkb": pa.array(shapely.to_wkb(geoms, output_dimension=2) if len(geoms) else [], type=pa.binary()),
    })
    with store.transaction():
        if len(geoms) and store.settings.metric_epsg is None:
            store.set_metric_crs(choose_metric_crs(lonlat_bounds(geoms)))
        store.con.execute("DELETE FROM walk_edges")
        store.con.execute("DELETE FROM ground_features")
        store.con.execute("DELETE FROM ground_sources")
        if len(geoms):
            store.con.register("_ground", data)
            try:
                store.con.execute(
                    "INSERT INTO ground_features (layer, kind, name, walkable, osm_id, geom) "
                    "SELECT layer, kind, name, walkable, osm_id, ST_GeomFromWKB(wkb) FROM _ground")
            finally:
                store.con.unregister("_ground")
        store.con.execute("INSERT INTO ground_sources (source, licence, approximate, imported_at) "
                          "VALUES (?, ?, ?, current_timestamp)", [source, licence, approximate])
    return len(geoms)


_GROUND_COLUMNS = "layer, kind, name, walkable, osm_id, ST_AsWKB(geom) AS geom"


def load_ground(store: Store, *, walkable_only: bool = False) -> list[GroundFeature]:
    """The store's ground features (WGS84), in the order they were saved; with
    ``walkable_only`` just the lines that can be walked."""
    where = " WHERE walkable" if walkable_only else ""
    return store.records(GroundFeature, f"SELECT {_GROUND_COLUMNS} FROM ground_features{where} ORDER BY id",
                         wkb=("geom",))


def ground_source(store: Store) -> GroundSource | None:
    """Where the store's ground came from, or None when it has none."""
    found = store.records(GroundSource, "SELECT source, licence, approximate, imported_at FROM ground_sources "
                                        "ORDER BY imported_at DESC LIMIT 1")
    return found[0] if found else None


__all__ = ["LAYERS", "GroundFeature", "GroundSource", "ground_source", "load_ground", "read_osm_ground",
           "save_ground", "walkable"]
