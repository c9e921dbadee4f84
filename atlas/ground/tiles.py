"""The offline base map: the store's ground drawn as vector tiles in one PMTiles archive,
kept in the store's ``basemaps`` table (name ``ground``) and served by the app itself.

Why vector tiles in one PMTiles archive, not pre-rendered pictures: measured on the Monaco
extract (the closing note of issue 14 has the figures), the archive for every zoom from a
district to a street is built in a few seconds and is a few hundred kilobytes, where
pictures of the same tiles drawn with matplotlib take minutes and tens of megabytes, and
grow four times with each zoom level added. Labels drawn by the browser stay upright and
readable at any zoom. The browser draws the tiles with protomaps-leaflet, which reads the
archive with HTTP range requests from the app's own static folder (``app/basemap.py``).

What is in a tile (each layer's features carry ``kind``, the OpenStreetMap value, and
``name`` where they have one)::

    roads       lines; class: major, medium, minor or service (see ROAD_CLASS)
    paths       lines (footways, steps, cycleways ...)
    rail        lines
    waterways   lines (rivers, canals, streams)
    water       areas
    parks       areas
    buildings   areas, from BUILDINGS_MIN_ZOOM
    labels      points: the names of water and parks, at a point inside each

Zoom levels are the archive's own (tile zoom). Tiles are 512 pixels wide on the map, as
protomaps-leaflet draws them by default (``levelDiff`` 1), so a map at zoom ``z`` shows
tiles of zoom ``z - 1``: :data:`MAX_ZOOM` 16 gives street detail at map zoom 17, and the
browser enlarges the last level beyond that.

Geometry is projected to Web Mercator (EPSG:3857) with pyproj, simplified to half a pixel
for each zoom, clipped to each tile (with a margin, so lines and labels cross tile edges
cleanly) with shapely, and encoded with mapbox-vector-tile; tiles are gzip-compressed and
written by the ``pmtiles`` package.
"""

from __future__ import annotations

import gzip
import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import mapbox_vector_tile
import numpy as np
import pyproj
import shapely
from pmtiles.reader import MemorySource, Reader
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from atlas.errors import NotFound
from atlas.ground.layers import GroundFeature, GroundSource, ground_source, load_ground
from atlas.importers.summary import ProgressCallback, no_progress
from atlas.store import Store, utc_now

BASEMAP_NAME = "ground"
"""The row of ``basemaps`` that holds the base map drawn from the store's ground."""

MIN_ZOOM = 11
"""The archive's lowest zoom (a map at zoom 12: a town)."""
MAX_ZOOM = 16
"""The archive's highest zoom (a map at zoom 17: street names); the browser enlarges it beyond."""
BUILDINGS_MIN_ZOOM = 14
"""Buildings are in tiles from this zoom (on a map from zoom 15): below it they are specks."""
LEVEL_DIFF = 1
"""A map at zoom ``z`` draws tiles of zoom ``z - LEVEL_DIFF`` (tiles 512 px wide); the app
passes it to protomaps-leaflet."""

TILE_EXTENT = 4096
"""Coordinates across a tile (the vector-tile convention): 8 to a pixel of a 512 px tile."""
BUFFER_UNITS = 128
"""How far beyond its edges a tile's shapes reach, in tile units (16 px): lines and
outlines cross tile edges without a seam, and street names near an edge still fit."""
SIMPLIFY_UNITS = 4.0
"""Shapes are simplified to half a pixel (4 tile units) at each zoom."""
MIN_AREA_UNITS2 = 64.0 * 4
"""Areas smaller than about 4 square pixels at a zoom are left out of its tiles."""
MIN_LENGTH_UNITS = 8.0
"""Lines shorter than a pixel at a zoom are left out of its tiles."""

WEB_MERCATOR_EPSG = 3857
HALF_WORLD_M = 20037508.342789244
"""Half the width of the Web Mercator world, in its metres (pi times the earth's radius)."""
MAX_LATITUDE = 85.05112878
"""Web Mercator's edge: latitudes beyond it are drawn at it."""

ROAD_CLASS = {
    "motorway": "major", "motorway_link": "major", "trunk": "major", "trunk_link": "major",
    "primary": "major", "primary_link": "major",
    "secondary": "medium", "secondary_link": "medium", "tertiary": "medium", "tertiary_link": "medium",
    "service": "service", "busway": "service",
}
"""A road's drawing class by its ``highway`` value; any other road is ``minor``."""

_ROAD_MIN_ZOOM = {"major": MIN_ZOOM, "medium": 12, "minor": 13, "service": 14}
_RAIL_MIN_ZOOM = {"rail": MIN_ZOOM, "light_rail": 12, "subway": 12}
_WATERWAY_MIN_ZOOM = {"river": MIN_ZOOM, "canal": MIN_ZOOM}


@dataclass(frozen=True)
class _LayerSpec:
    """How one layer of the ground goes into the tiles."""

    tile_layer: str
    ground_layer: str
    areas: bool = False


_LAYERS = (
    _LayerSpec("water", "water", areas=True),
    _LayerSpec("parks", "park", areas=True),
    _LayerSpec("buildings", "building", areas=True),
    _LayerSpec("waterways", "waterway"),
    _LayerSpec("rail", "rail"),
    _LayerSpec("paths", "path"),
    _LayerSpec("roads", "road"),
)
PROGRESS_STAGE = "base map"
"""The stage :func:`build_basemap` reports to its progress callback, counting zoom levels drawn."""

LABEL_LAYER = "labels"
TILE_LAYERS = tuple(s.tile_layer for s in _LAYERS) + (LABEL_LAYER,)
"""The layers of a tile, as the app's paint and label rules name them."""


@dataclass(frozen=True)
class BasemapSummary:
    """What :func:`build_basemap` wrote: how many tiles, the archive's size in bytes, its zoom
    levels (tile zoom; see :data:`LEVEL_DIFF`) and how long the build took, in seconds."""

    tiles: int
    bytes: int
    min_zoom: int
    max_zoom: int
    seconds: float


@dataclass(frozen=True)
class Basemap:
    """The store's base map: the PMTiles ``archive`` and what it is.

    ``approximate`` is true for ground drawn by hand (the demo's), not surveyed, and a map
    must say so; ``attribution`` is the words the map must show (the data's licence);
    ``bounds`` is (west, south, east, north) in WGS84; zooms are tile zooms (:data:`LEVEL_DIFF`)."""

    archive: bytes
    built_at: datetime
    source: str
    approximate: bool
    attribution: str
    min_zoom: int
    max_zoom: int
    tiles: int
    bounds: tuple[float, float, float, float]


# -- building ---------------------------------------------------------------------------

def build_basemap(store: Store, progress: ProgressCallback = no_progress) -> BasemapSummary:
    """Draw the store's ground (:func:`atlas.ground.layers.load_ground`) as one PMTiles archive
    and keep it in ``basemaps`` as ``ground``, replacing the one before. Needs no network.

    Raises :class:`~atlas.errors.NotFound` when the store has no ground: import an
    OpenStreetMap extract first (``atlas basemap build --from EXTRACT``)."""
    started = time.perf_counter()
    source = ground_source(store)
    features = load_ground(store)
    if source is None or not features:
        raise NotFound("The store has no streets or other ground to draw a base map from. Import an "
                       "OpenStreetMap extract first: atlas basemap build --from EXTRACT.osm.pbf")
    archive, tiles = build_archive(features, source=source, progress=progress)
    header = Reader(MemorySource(archive)).header()
    with store.transaction():
        store.con.execute("DELETE FROM basemaps WHERE name = ?", [BASEMAP_NAME])
        store.con.execute(
            "INSERT INTO basemaps (name, built_at, source, approximate, min_zoom, max_zoom, tiles, archive) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [BASEMAP_NAME, utc_now(), source.source, source.approximate, header["min_zoom"], header["max_zoom"],
             tiles, archive])
    return BasemapSummary(tiles=tiles, bytes=len(archive), min_zoom=header["min_zoom"],
                          max_zoom=header["max_zoom"], seconds=time.perf_counter() - started)


def attribution_for(source: GroundSource) -> str:
    """The words a map of this ground must show: its licence (OpenStreetMap's for an extract),
    else where it came from. (That it is approximate is a flag of its own, which the app puts
    into words in the reader's language.)"""
    return source.licence or source.source


def build_archive(features: Sequence[GroundFeature], *, source: GroundSource, min_zoom: int = MIN_ZOOM,
                  max_zoom: int = MAX_ZOOM, progress: ProgressCallback = no_progress) -> tuple[bytes, int]:
    """The PMTiles archive (bytes) of ``features`` (WGS84) for zooms ``min_zoom``..``max_zoom``,
    and how many tiles it holds. Tiles with nothing in them are left out."""
    prepared = [_prepare(spec, [f for f in features if f.layer == spec.ground_layer]) for spec in _LAYERS]
    labels = _area_labels(prepared)
    every = np.concatenate([p.geoms for p in prepared if len(p.geoms)] or [np.empty(0, dtype=object)])
    if not len(every):
        raise NotFound("The ground holds nothing a base map can draw.")
    west, south, east, north = _lonlat_bounds(every)

    out = io.BytesIO()
    writer = Writer(out)
    tiles = 0
    total_zooms = max_zoom - min_zoom + 1
    for step, z in enumerate(range(min_zoom, max_zoom + 1)):
        progress(PROGRESS_STAGE, step, total_zooms)
        for tile_id, data in _zoom_tiles(z, prepared, labels):
            writer.write_tile(tile_id, data)
            tiles += 1
    progress(PROGRESS_STAGE, total_zooms, total_zooms)
    if not tiles:
        raise NotFound("The ground holds nothing a base map can draw.")
    centre_lon, centre_lat = (west + east) / 2, (south + north) / 2
    header: dict[str, Any] = {
        "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
        "min_lon_e7": _e7(west), "min_lat_e7": _e7(south), "max_lon_e7": _e7(east), "max_lat_e7": _e7(north),
        "center_zoom": min(max_zoom, max(min_zoom, 14)), "center_lon_e7": _e7(centre_lon),
        "center_lat_e7": _e7(centre_lat),
    }
    metadata = {
        "name": "Asset Atlas base map",
        "format": "pbf",
        "type": "baselayer",
        "attribution": attribution_for(source),
        "description": f"The ground of {source.source}",
        "approximate": source.approximate,
        "level_diff": LEVEL_DIFF,
        "vector_layers": [
            {"id": name, "fields": {"kind": "String", "name": "String"}
             | ({"class": "String"} if name == "roads" else {}),
             "minzoom": BUILDINGS_MIN_ZOOM if name == "buildings" else min_zoom, "maxzoom": max_zoom}
            for name in TILE_LAYERS],
    }
    writer.finalize(header, metadata)
    return out.getvalue(), tiles


def _e7(degrees: float) -> int:
    return int(round(degrees * 10_000_000))


@dataclass
class _Prepared:
    """One layer's features in Web Mercator metres, with their tile properties and the
    lowest zoom each is drawn at."""

    spec: _LayerSpec
    geoms: np.ndarray
    props: list[dict[str, str]]
    min_zoom: np.ndarray


_TO_MERCATOR = pyproj.Transformer.from_crs(4326, WEB_MERCATOR_EPSG, always_xy=True)
_FROM_MERCATOR = pyproj.Transformer.from_crs(WEB_MERCATOR_EPSG, 4326, always_xy=True)


def _to_mercator(xy: np.ndarray) -> np.ndarray:
    x, y = _TO_MERCATOR.transform(xy[:, 0], np.clip(xy[:, 1], -MAX_LATITUDE, MAX_LATITUDE))
    return np.column_stack([x, y])


def _lonlat_bounds(geoms_m: np.ndarray) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = shapely.total_bounds(geoms_m)
    (west, east), (south, north) = _FROM_MERCATOR.transform([minx, maxx], [miny, maxy])
    return float(west), float(south), float(east), float(north)


def _feature_min_zoom(spec: _LayerSpec, kind: str) -> int:
    layer = spec.tile_layer
    if layer == "roads":
        return _ROAD_MIN_ZOOM[ROAD_CLASS.get(kind, "minor")]
    if layer == "rail":
        return _RAIL_MIN_ZOOM.get(kind, 13)
    if layer == "waterways":
        return _WATERWAY_MIN_ZOOM.get(kind, 13)
    if layer == "paths":
        return 14
    if layer == "buildings":
        return BUILDINGS_MIN_ZOOM
    return MIN_ZOOM  # water and parks: the smallest are dropped by size at each zoom


def _prepare(spec: _LayerSpec, features: Sequence[GroundFeature]) -> _Prepared:
    """``features`` of one layer projected to Web Mercator. Named streets (and waterways) of
    the same name and kind are joined end to end first, so a name has a whole street to be
    written along rather than the short OpenStreetMap ways it is mapped in."""
    keep = [f for f in features if f.geom is not None and not f.geom.is_empty]
    if spec.areas:
        keep = [f for f in keep if f.geom.geom_type in ("Polygon", "MultiPolygon")]
        geoms = np.array([f.geom for f in keep], dtype=object)
        props = [_props(spec, f.kind, f.name) for f in keep]
        kinds = [f.kind for f in keep]
    else:
        keep = [f for f in keep if f.geom.geom_type in ("LineString", "MultiLineString", "LinearRing")]
        geoms_list: list[Any] = []
        props = []
        kinds = []
        named: dict[tuple[str, str], list[Any]] = {}
        for f in keep:
            if f.name:
                named.setdefault((f.name, f.kind), []).append(f.geom)
            else:
                geoms_list.append(f.geom)
                props.append(_props(spec, f.kind, None))
                kinds.append(f.kind)
        for (name, kind), lines in named.items():
            parts = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(
                shapely.get_parts(np.array(lines, dtype=object)))))
            geoms_list.extend(parts)
            props.extend(_props(spec, kind, name) for _ in parts)
            kinds.extend(kind for _ in parts)
        geoms = np.array(geoms_list, dtype=object)
    if len(geoms):
        geoms = shapely.transform(geoms, _to_mercator)
        if spec.areas:
            geoms = shapely.make_valid(geoms)
    min_zoom = np.array([_feature_min_zoom(spec, k) for k in kinds], dtype=np.int16)
    return _Prepared(spec, geoms, props, min_zoom)


def _props(spec: _LayerSpec, kind: str, name: str | None) -> dict[str, str]:
    props = {"kind": kind}
    if name:
        props["name"] = name
    if spec.tile_layer == "roads":
        props["class"] = ROAD_CLASS.get(kind, "minor")
    return props


def _area_labels(prepared: Sequence[_Prepared]) -> _Prepared:
    """A point inside each named water and park area, to write its name at; drawn from the
    zoom at which the area is about 64 pixels across."""
    geoms: list[Any] = []
    props: list[dict[str, str]] = []
    zooms: list[int] = []
    for p in prepared:
        if p.spec.tile_layer not in ("water", "parks"):
            continue
        for geom, prop in zip(p.geoms, p.props, strict=True):
            if "name" not in prop:
                continue
            geoms.append(shapely.point_on_surface(geom))
            props.append({"kind": p.spec.ground_layer, "name": prop["name"]})
            size_m = math.sqrt(max(shapely.area(geom), 1.0))
            # One pixel is 2*HALF_WORLD_M / 2**z / 512 metres: solve for 64 pixels across.
            zoom = math.ceil(math.log2(2 * HALF_WORLD_M * 64 / (512 * size_m)))
            zooms.append(max(MIN_ZOOM, zoom))
    return _Prepared(_LayerSpec(LABEL_LAYER, ""), np.array(geoms, dtype=object), props,
                     np.array(zooms, dtype=np.int16))


_ENCODING = {"y_coord_down": True, "extents": TILE_EXTENT, "check_winding_order": False}
"""Coordinates are already whole tile units, y down, with rings turned the right way."""


def _zoom_tiles(z: int, prepared: Sequence[_Prepared], labels: _Prepared) -> list[tuple[int, bytes]]:
    """Every tile of zoom ``z`` that holds something, as (PMTiles tile id, gzip-compressed
    vector tile), in tile-id order."""
    tile_m = 2 * HALF_WORLD_M / (1 << z)
    unit_m = tile_m / TILE_EXTENT
    buffer_m = BUFFER_UNITS * unit_m
    # Per layer: the features drawn at this zoom, simplified, and the tiles each reaches.
    layers: list[tuple[_LayerSpec, np.ndarray, list[dict[str, str]]]] = []
    per_tile: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = {}
    for p in (*prepared, labels):
        chosen = np.flatnonzero(p.min_zoom <= z)
        if not len(chosen):
            continue
        geoms = p.geoms[chosen]
        is_label = p.spec.tile_layer == LABEL_LAYER
        if not is_label:
            geoms = shapely.simplify(geoms, SIMPLIFY_UNITS * unit_m, preserve_topology=p.spec.areas)
            if p.spec.areas:
                big = shapely.area(geoms) >= MIN_AREA_UNITS2 * unit_m * unit_m
            else:
                big = shapely.length(geoms) >= MIN_LENGTH_UNITS * unit_m
            chosen, geoms = chosen[big], geoms[big]
        if not len(geoms):
            continue
        layers.append((p.spec, geoms, [p.props[i] for i in chosen]))
        for tile, members in _tiles_reached(geoms, z, 0.0 if is_label else buffer_m).items():
            per_tile.setdefault(tile, []).append((len(layers) - 1, members))

    out: list[tuple[int, bytes]] = []
    for (tx, ty), entries in per_tile.items():
        x0 = tx * tile_m - HALF_WORLD_M
        y_top = HALF_WORLD_M - ty * tile_m
        tile_layers = []
        for layer_no, members in entries:
            spec, geoms, props = layers[layer_no]
            mine = geoms[members]
            if spec.tile_layer != LABEL_LAYER:
                mine = shapely.clip_by_rect(mine, x0 - buffer_m, y_top - tile_m - buffer_m,
                                            x0 + tile_m + buffer_m, y_top + buffer_m)
            mine = _to_tile_units(mine, x0, y_top, unit_m)
            if spec.areas:
                # Outer rings anticlockwise in tile units (y down), as the vector-tile
                # specification asks; done here for the whole layer at once, so the encoder
                # need not check each shape (it spent a third of the build doing so).
                mine = shapely.orient_polygons(mine, exterior_cw=False)
                keep = shapely.area(mine) > 0
            else:
                keep = ~shapely.is_empty(mine)
            features = []
            for geom, i in zip(mine[keep], members[keep], strict=True):
                drawn = _drawable(geom, spec.areas)
                if drawn is not None:
                    features.append({"geometry": drawn, "properties": props[i]})
            if features:
                tile_layers.append({"name": spec.tile_layer, "features": features})
        if tile_layers:
            data = mapbox_vector_tile.encode(tile_layers, default_options=_ENCODING)
            out.append((zxy_to_tileid(z, tx, ty), gzip.compress(data, mtime=0)))
    out.sort(key=lambda t: t[0])
    return out


def _to_tile_units(geoms: np.ndarray, x0: float, y_top: float, unit_m: float) -> np.ndarray:
    """``geoms`` (Web Mercator metres) in a tile's whole units: x right and y down from its
    top-left corner (``x0``, ``y_top``)."""
    coords = shapely.get_coordinates(geoms)
    tile = np.rint(np.column_stack([(coords[:, 0] - x0) / unit_m, (y_top - coords[:, 1]) / unit_m]))
    return shapely.set_coordinates(geoms.copy(), tile)


def _tiles_reached(geoms: np.ndarray, z: int, reach_m: float) -> dict[tuple[int, int], np.ndarray]:
    """(x, y) of each tile of zoom ``z`` that ``geoms`` (Web Mercator) reach, with ``reach_m``
    of margin, mapped to the indexes of the geometries in it."""
    n = 1 << z
    tile_m = 2 * HALF_WORLD_M / n
    b = shapely.bounds(geoms)
    tx0 = np.clip(np.floor((b[:, 0] - reach_m + HALF_WORLD_M) / tile_m), 0, n - 1).astype(np.int64)
    tx1 = np.clip(np.floor((b[:, 2] + reach_m + HALF_WORLD_M) / tile_m), 0, n - 1).astype(np.int64)
    ty0 = np.clip(np.floor((HALF_WORLD_M - b[:, 3] - reach_m) / tile_m), 0, n - 1).astype(np.int64)
    ty1 = np.clip(np.floor((HALF_WORLD_M - b[:, 1] + reach_m) / tile_m), 0, n - 1).astype(np.int64)
    width = tx1 - tx0 + 1
    counts = width * (ty1 - ty0 + 1)
    feature = np.repeat(np.arange(len(geoms)), counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    tx = tx0[feature] + k % width[feature]
    ty = ty0[feature] + k // width[feature]
    # A long line or a big area's box covers many tiles it does not touch: test those.
    spread = counts[feature] > 2
    if spread.any():
        sx, sy = tx[spread], ty[spread]
        boxes = shapely.box(sx * tile_m - HALF_WORLD_M - reach_m, HALF_WORLD_M - (sy + 1) * tile_m - reach_m,
                            (sx + 1) * tile_m - HALF_WORLD_M + reach_m, HALF_WORLD_M - sy * tile_m + reach_m)
        touched = np.ones(len(feature), dtype=bool)
        touched[spread] = shapely.intersects(geoms[feature[spread]], boxes)
        feature, tx, ty = feature[touched], tx[touched], ty[touched]
    key = tx * n + ty
    order = np.argsort(key, kind="stable")
    key, feature = key[order], feature[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return {(int(key[s] // n), int(key[s] % n)): members
            for s, members in zip(starts, np.split(feature, starts[1:]), strict=True)}


def _drawable(geom: Any, areas: bool) -> Any:
    """``geom`` (clipped, in tile units) as the vector tile can hold it: only its areas for an
    area layer, only its lines (or label points) for the others; None when nothing is left."""
    if geom.geom_type != "GeometryCollection":
        return geom
    wanted = ("Polygon", "MultiPolygon") if areas else ("LineString", "MultiLineString")
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in wanted and not g.is_empty]
    if not parts:
        return None
    return shapely.multipolygons(shapely.get_parts(parts)) if areas else shapely.multilinestrings(
        shapely.get_parts(parts))


# -- reading -----------------------------------------------------------------------------

def basemap_archive(store: Store) -> Basemap | None:
    """The store's base map (archive and what it is), or None when it has none."""
    rows = store.rows("SELECT built_at, source, approximate, min_zoom, max_zoom, tiles, archive FROM basemaps "
                      "WHERE name = ?", [BASEMAP_NAME])
    if not rows:
        return None
    row = rows[0]
    archive = bytes(row["archive"])
    reader = Reader(MemorySource(archive))
    header, metadata = reader.header(), reader.metadata()
    bounds = (header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
              header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7)
    return Basemap(archive=archive, built_at=row["built_at"], source=row["source"],
                   approximate=bool(row["approximate"]), attribution=str(metadata.get("attribution", "")),
                   min_zoom=int(row["min_zoom"]), max_zoom=int(row["max_zoom"]), tiles=int(row["tiles"]),
                   bounds=bounds)


def basemap_built_at(store: Store) -> datetime | None:
    """When the store's base map was built (UTC), without reading the archive; None if none."""
    row = store.con.execute("SELECT built_at FROM basemaps WHERE name = ?", [BASEMAP_NAME]).fetchone()
    return None if row is None else row[0]


__all__ = ["BASEMAP_NAME", "BUILDINGS_MIN_ZOOM", "LEVEL_DIFF", "MAX_ZOOM", "MIN_ZOOM", "TILE_LAYERS", "Basemap",
           "BasemapSummary", "attribution_for", "basemap_archive", "basemap_built_at", "build_archive",
           "build_basemap"]
