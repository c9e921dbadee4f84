"""OpenStreetMap extracts (``.osm.pbf``, ``.osm``, ``.osm.gz``) through pyosmium.

Closed ways and multipolygon relations are assembled into polygons by libosmium's area
assembler; tags are turned into atlas features and assets by a mapping table
(``osm_mapping.csv`` beside this module, replaceable with ``--mapping``).

Why pyosmium: measured on a generated city of 1.06M objects (300k buildings, 1k
multipolygon relations with holes; ``make_city_pbf`` in ``benchmarks/import.py``) on
this project's 2-core machine, reading every mapped node and area with its geometry:
pyosmium 2.2 s, 270 MB peak (PBF and XML, streaming, multipolygons assembled by
libosmium); GDAL's OSM driver 2.2 s, 580 MB (and it failed to parse pyosmium-written
PBFs of very regular synthetic data, which pyosmium reads back); DuckDB's ST_ReadOSM with ways
joined to nodes in SQL 1.3 s, 590 MB, but PBF only and without multipolygon relations, which would need ring
assembly written in SQL; QuackOSM 15.4 s (PBF only, many dependencies). pyosmium is
the fastest reader that does the whole job, and the leanest.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import osmium
import shapely

from atlas.errors import InvalidInput
from atlas.importers.readers import check_file
from atlas.importers.summary import ProgressCallback, SkippedRow, no_progress
from atlas.models import ASSET_TYPES, FEATURE_KINDS, FEATURE_STATUSES, SECTORS
from atlas.projection import WGS84

DEFAULT_MAPPING = Path(__file__).with_name("osm_mapping.csv")
OSM_LICENCE = "© OpenStreetMap contributors, ODbL 1.0"
_COLUMNS = ("key", "value", "imports_as", "kind", "land_use", "status", "category", "sector", "asset_type")
_IMPORTS_AS = ("feature", "asset", "none")
_PROGRESS_EVERY = 20_000


@dataclass(frozen=True)
class Rule:
    """One row of the mapping table. ``order`` is its place in the file (first wins)."""

    order: int
    key: str
    value: str
    imports_as: str
    kind: str | None = None
    land_use: str | None = None
    status: str | None = None
    category: str | None = None
    sector: str | None = None
    asset_type: str | None = None


class OsmMapping:
    """The mapping table, with a cache of which rule each (key, value) pair meets."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.keys = tuple(dict.fromkeys(r.key for r in self.rules))
        self._decided: dict[tuple[str, str], Rule | None] = {}

    def decide(self, key: str, value: str) -> Rule | None:
        """The first rule for this key that matches this value (None if none does)."""
        hit = (key, value)
        if hit in self._decided:
            return self._decided[hit]
        rule = next((r for r in self.rules if r.key == key and r.value in (value, "*")), None)
        self._decided[hit] = rule
        return rule

    def match(self, get: Callable[[str, None], str | None]) -> tuple[Rule | None, Rule | None, str | None]:
        """(feature rule, asset rule, the value of the feature rule's key) for an object,
        given its tag lookup ``get(key, None)``."""
        feature = asset = None
        feature_value = None
        for key in self.keys:
            value = get(key, None)
            if value is None:
                continue
            rule: Rule | Literal[False] | None = self._decided.get((key, value), False)
            if rule is False:
                rule = self.decide(key, value)
            if rule is None or rule.imports_as == "none":
                continue
            if rule.imports_as == "feature":
                if feature is None or rule.order < feature.order:
                    feature, feature_value = rule, value
            elif asset is None or rule.order < asset.order:
                asset = rule
        return feature, asset, feature_value


def read_mapping(path: Path | None = None) -> OsmMapping:
    """Read and check a mapping table (CSV; lines starting with # are notes). A bad value
    is reported with the file, row and column."""
    path = Path(path) if path is not None else DEFAULT_MAPPING
    check_file(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        numbered = [(n, line) for n, line in enumerate(fh, start=1)
                    if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise InvalidInput(f"{path} holds no mapping rows.")
    reader = csv.reader([line for _, line in numbered])
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in ("key", "value", "imports_as") if c not in header]
    if missing:
        raise InvalidInput(
            f"{path} is not an OpenStreetMap mapping table: it lacks the column(s) {', '.join(missing)} "
            f"(expected {','.join(_COLUMNS)})."
        )
    checks = {"imports_as": _IMPORTS_AS, "kind": FEATURE_KINDS, "status": FEATURE_STATUSES, "sector": SECTORS,
              "asset_type": ASSET_TYPES}
    rules = []
    for order, ((line, _), cells) in enumerate(zip(numbered[1:], reader, strict=True)):
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        for column, allowed in checks.items():
            if row.get(column) and row[column] not in allowed:
                raise InvalidInput(f"{path} row {line}, field {column}: {row[column]!r} "
                                   f"is not one of {', '.join(allowed)}.")
        if not row["key"] or not row["value"]:
            raise InvalidInput(f"{path} row {line}, field {'key' if not row['key'] else 'value'}: it is empty.")
        if row["imports_as"] == "feature" and not row.get("kind"):
            raise InvalidInput(f"{path} row {line}, field kind: "
                               f"a feature row needs a kind ({', '.join(FEATURE_KINDS)}).")
        rules.append(Rule(order=order, key=row["key"], value=row["value"], imports_as=row["imports_as"],
                          **{c: row.get(c) or None for c in _COLUMNS[3:]}))
    return OsmMapping(rules)


@dataclass
class OsmData:
    """What an extract held, ready for the atlas (WGS84). ``read`` counts the objects the
    mapping selected; an object can give both a feature and an asset."""

    features: gpd.GeoDataFrame | None
    assets: gpd.GeoDataFrame | None
    boundaries: gpd.GeoDataFrame | None
    read: int
    skipped: list[SkippedRow]
    format: str


def _frame(columns: dict[str, list], wkb: list) -> gpd.GeoDataFrame | None:
    if not wkb:
        return None
    # pyosmium writes hex; shapely parses bytes three times faster than hex.
    geoms = shapely.from_wkb([bytes.fromhex(h) for h in wkb])
    # libosmium gives every area as a multipolygon; most have one part.
    single = shapely.get_num_geometries(geoms) == 1
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=WGS84)


def _tag_lookup(obj: osmium.osm.OSMObject | osmium.osm.Changeset) -> Callable[[str, None], str | None]:
    """The object's tag lookup. pyosmium's TagList.get wraps a C++ call in Python; calling
    the C++ method itself halves the time of matching a city's tags (9 million lookups)."""
    tags = obj.tags
    data = getattr(tags, "_pyosmium_data", None)
    lookup = getattr(data, "tags_get_value_by_key", None)
    return lookup if lookup is not None else tags.get


def _label(category: str | None) -> str:
    return (category or "place").replace("_", " ").capitalize() + " (no name)"


def _address(tags: osmium.osm.TagList) -> str | None:
    street = " ".join(v for v in (tags.get("addr:housenumber"), tags.get("addr:street")) if v)
    parts = [p for p in (street, tags.get("addr:city"), tags.get("addr:postcode")) if p]
    return ", ".join(parts) or None


def read_osm(path: Path, *, mapping: OsmMapping, want: set[str], level: str | None = None,
             admin_level: str | None = None, progress: ProgressCallback = no_progress) -> OsmData:
    """Read an extract: ``want`` names what to make of it (``features``, ``assets``,
    ``boundaries``). Boundaries are areas tagged ``boundary=administrative`` with a name,
    of ``admin_level`` if given, their level named ``level`` (else ``admin_level N``)."""
    check_file(path)
    name_lower = path.name.lower()
    fmt = "OpenStreetMap PBF" if name_lower.endswith(".pbf") else "OpenStreetMap XML"
    keys = set(mapping.keys) if want & {"features", "assets"} else set()
    if "boundaries" in want:
        keys.add("boundary")
    wkb = osmium.geom.WKBFactory()
    feat: dict[str, list[str | None]] = {"source_id": [], "name": [], "kind": [], "land_use": [], "status": []}
    feat_wkb: list = []
    asset: dict[str, list[str | None]] = {"source_id": [], "name": [], "category": [], "sector": [], "asset_type": [],
                                          "description": []}
    asset_wkb: list = []
    bound: dict[str, list[str | None]] = {"source_id": [], "name": [], "code": [], "level": []}
    bound_wkb: list = []
    skipped: list[SkippedRow] = []
    pending_ways: set[int] = set()
    pending_relations: set[int] = set()
    built_ways: set[int] = set()
    built_relations: set[int] = set()
    want_features, want_assets, want_boundaries = "features" in want, "assets" in want, "boundaries" in want
    file = str(path)
    seen = 0
    progress("reading", 0, None)
    processor = (osmium.FileProcessor(str(path)).with_locations().with_areas()
                 .with_filter(osmium.filter.KeyFilter(*sorted(keys))))
    try:
        for obj in processor:
            seen += 1
            if seen % _PROGRESS_EVERY == 0:
                progress("reading", seen, None)
            if isinstance(obj, osmium.osm.Changeset):
                continue  # the processor yields changesets too; they place nothing
            tags = obj.tags
            # isinstance, as pyosmium's own is_area() does, so the type checker knows it too
            area = obj if isinstance(obj, osmium.osm.Area) else None
            if area is not None:
                kind, oid = ("way", area.orig_id()) if area.from_way() else ("relation", area.orig_id())
                (built_ways if kind == "way" else built_relations).add(oid)
            elif isinstance(obj, osmium.osm.Way) and obj.is_closed():
                # Its area follows at once if it can be built; the few that cannot are
                # looked at again after the pass (see _unbuilt).
                pending_ways.add(obj.id)
                continue
            elif isinstance(obj, osmium.osm.Relation):
                if tags.get("type") in ("multipolygon", "boundary"):
                    pending_relations.add(obj.id)
                continue
            if (want_boundaries and area is not None and tags.get("boundary") == "administrative" and tags.get("name")
                    and (admin_level is None or tags.get("admin_level") == admin_level)):
                try:
                    bound_wkb.append(wkb.create_multipolygon(area))
                except RuntimeError as exc:
                    skipped.append(SkippedRow(file, f"{kind}/{oid}", "geometry",
                                              f"the area could not be built ({exc})"))
                else:
                    bound["source_id"].append(f"{kind}/{oid}")
                    bound["name"].append(tags.get("name"))
                    bound["code"].append(tags.get("ref:gss") or tags.get("ref"))
                    bound["level"].append(level or f"admin_level {tags.get('admin_level', '?')}")
            if not (want_features or want_assets):
                continue
            feature, asset_rule, feature_value = mapping.match(_tag_lookup(obj))
            if feature is None and asset_rule is None:
                continue
            if not want_features:
                feature = None
            if not want_assets:
                asset_rule = None
            if feature is None and asset_rule is None:
                continue
            if area is not None:
                try:
                    geom = wkb.create_multipolygon(area)
                except RuntimeError as exc:
                    skipped.append(SkippedRow(file, f"{kind}/{oid}", "geometry",
                                              f"the area could not be built ({exc})"))
                    continue
                source_id = f"{kind}/{oid}"
            elif isinstance(obj, osmium.osm.Node):
                if asset_rule is None:
                    continue  # features are areas; a node's position alone is not a site
                feature = None
                try:
                    geom = wkb.create_point(obj)
                except (RuntimeError, osmium.InvalidLocationError):
                    skipped.append(SkippedRow(file, f"node/{obj.id}", "geometry", "the node has no valid location"))
                    continue
                source_id = f"node/{obj.id}"
            else:  # an open way: no area can be made of it
                if feature is not None:
                    skipped.append(SkippedRow(file, f"way/{obj.id}", "geometry",
                                              f"the way is tagged {feature.key}={feature_value} but is not closed, "
                                              "so it is not an area"))
                continue
            if feature is not None:
                feat["source_id"].append(source_id)
                feat["name"].append(tags.get("name"))
                feat["kind"].append(feature.kind)
                feat["land_use"].append(feature_value if feature.land_use == "*" else feature.land_use)
                status = feature.status or "unknown"
                if tags.get("disused") == "yes" or tags.get("abandoned") == "yes":
                    status = "disused"
                feat["status"].append(status)
                feat_wkb.append(geom)
            if asset_rule is not None:
                asset["source_id"].append(source_id)
                asset["name"].append(tags.get("name") or tags.get("brand") or tags.get("operator")
                                     or _label(asset_rule.category))
                asset["category"].append(asset_rule.category)
                asset["sector"].append(asset_rule.sector)
                asset["asset_type"].append(asset_rule.asset_type)
                asset["description"].append(_address(tags))
                asset_wkb.append(geom)
    except RuntimeError as exc:
        raise InvalidInput(f"{path} could not be read as OpenStreetMap data ({exc}).") from None
    progress("reading", seen, seen)
    skipped.extend(_unbuilt(path, pending_ways - built_ways, pending_relations - built_relations,
                            mapping=mapping, want=want, admin_level=admin_level))
    if seen == 0 and not skipped:
        _check_not_empty(path)
    read = len(set(feat["source_id"]) | set(asset["source_id"]) | set(bound["source_id"])) + len(skipped)
    return OsmData(
        features=_frame(feat, feat_wkb),
        assets=_frame(asset, asset_wkb),
        boundaries=_frame(bound, bound_wkb),
        read=read,
        skipped=skipped,
        format=fmt,
    )


def _unbuilt(path: Path, ways: set[int], relations: set[int], *, mapping: OsmMapping, want: set[str],
             admin_level: str | None) -> list[SkippedRow]:
    """Closed ways and multipolygon relations whose area could not be assembled, among
    those the import wanted: a second, filtered read of just those objects (rare)."""
    if not ways and not relations:
        return []
    out = []
    file = str(path)
    ids = osmium.filter.IdFilter
    for kind, wanted, entity in (("way", ways, osmium.osm.WAY), ("relation", relations, osmium.osm.RELATION)):
        if not wanted:
            continue
        for obj in osmium.FileProcessor(str(path), entity).with_filter(ids(wanted)):
            tags = obj.tags
            feature, asset, _ = mapping.match(_tag_lookup(obj)) if want & {"features", "assets"} else (None, None, None)
            boundary = ("boundaries" in want and tags.get("boundary") == "administrative"
                        and (admin_level is None or tags.get("admin_level") == admin_level))
            if not ((feature and "features" in want) or (asset and "assets" in want) or boundary):
                continue
            reason = ("the closed way could not be made into a polygon (its outline crosses itself or nodes are "
                      "missing from the extract)" if kind == "way" else
                      "the multipolygon could not be assembled (members missing from the extract, or rings that "
                      "do not close)")
            out.append(SkippedRow(file, f"{kind}/{obj.id}", "geometry", reason))
    return out


def _check_not_empty(path: Path) -> None:
    """An extract with no objects at all is an error; one with nothing mapped is not."""
    for _ in osmium.FileProcessor(str(path)):
        return
    raise InvalidInput(f"{path} holds no OpenStreetMap objects; there is nothing to import.")


__all__ = ["DEFAULT_MAPPING", "OSM_LICENCE", "OsmData", "OsmMapping", "Rule", "read_mapping", "read_osm"]
