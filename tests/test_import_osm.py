"""OpenStreetMap extracts written here with pyosmium's SimpleWriter (.osm.pbf, .osm and
.osm.gz), imported, and checked against the shapes they were drawn from; and the real
Monaco extract against GDAL's own OSM reader."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pyogrio
import pytest
import shapely
from osmium.osm.mutable import Node, Relation, Way
from pyproj import Transformer

from atlas import open_store, queries
from atlas.errors import InvalidInput
from atlas.importers import import_file
from atlas.importers.report import read_report

TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)
ORIGIN = (401_000.0, 287_000.0)  # Smethwick, British National Grid


class Extract:
    """A small town drawn in British National Grid metres and written as OSM data."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.ways: list[Way] = []
        self.relations: list[Relation] = []
        self.shapes: dict[str, shapely.Geometry] = {}  # source id -> shape in BNG

    def node(self, x: float, y: float, tags: dict | None = None) -> int:
        lon, lat = TO_WGS84.transform(ORIGIN[0] + x, ORIGIN[1] + y)
        nid = len(self.nodes) + 1
        self.nodes.append(Node(id=nid, location=(lon, lat), tags=tags or {}))
        if tags:
            self.shapes[f"node/{nid}"] = shapely.Point(ORIGIN[0] + x, ORIGIN[1] + y)
        return nid

    def ring(self, x0: float, y0: float, w: float, h: float, tags: dict | None = None, closed: bool = True) -> int:
        corners = [self.node(x0, y0), self.node(x0 + w, y0), self.node(x0 + w, y0 + h), self.node(x0, y0 + h)]
        wid = len(self.ways) + 1
        self.ways.append(Way(id=wid, nodes=corners + ([corners[0]] if closed else []), tags=tags or {}))
        self.shapes[f"way/{wid}"] = shapely.box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x0 + w, ORIGIN[1] + y0 + h)
        return wid

    def multipolygon(self, members: list[tuple[int, str]], tags: dict, missing: list[int] = ()) -> int:
        rid = len(self.relations) + 1
        self.relations.append(Relation(id=rid, members=[("w", w, role) for w, role in members]
                                       + [("w", m, "outer") for m in missing], tags=tags))
        outer = [self.shapes[f"way/{w}"] for w, role in members if role == "outer"]
        inner = [self.shapes[f"way/{w}"] for w, role in members if role == "inner"]
        self.shapes[f"relation/{rid}"] = shapely.difference(shapely.union_all(outer), shapely.union_all(inner))
        return rid

    def write(self, path: Path) -> Path:
        writer = osmium.SimpleWriter(str(path))
        try:
            for n in self.nodes:
                writer.add_node(n)
            for w in self.ways:
                writer.add_way(w)
            for r in self.relations:
                writer.add_relation(r)
        finally:
            writer.close()
        return path


def town() -> Extract:
    t = Extract()
    t.node(10, 10, {"amenity": "cafe", "name": "Café Zoë", "addr:housenumber": "12", "addr:street": "High Street",
                    "addr:postcode": "B66 1AA"})
    t.node(20, 10, {"amenity": "bench"})  # not in the mapping
    t.node(30, 10, {"shop": "convenience", "brand": "Żabka"})  # no name: the brand stands in
    t.node(40, 10, {"amenity": "place_of_worship", "name": "Gurdwara ਸਿੰਘ Sabha"})
    t.ring(0, 50, 30, 20, {"building": "yes", "name": "Soho Foundry"})
    t.ring(50, 50, 40, 25, {"building": "school", "amenity": "school", "name": "École Saint-Michel"})
    t.ring(100, 0, 60, 40, {"landuse": "brownfield"})
    t.ring(200, 0, 10, 10, {"building": "yes"}, closed=False)  # broken: not closed
    t.ring(0, 100, 10, 10, {"highway": "pedestrian", "area": "yes"})  # not in the mapping
    outer = t.ring(300, 0, 200, 150)
    pond = t.ring(380, 60, 40, 30)
    t.multipolygon([(outer, "outer"), (pond, "inner")], {"type": "multipolygon", "leisure": "park",
                                                          "name": "Parc Montfleury"})
    gone = t.ring(600, 0, 50, 50)
    t.multipolygon([(gone, "outer")], {"type": "multipolygon", "landuse": "allotments"}, missing=[999])
    border = t.ring(-50, -50, 700, 300)
    t.multipolygon([(border, "outer")], {"type": "boundary", "boundary": "administrative", "admin_level": "10",
                                         "name": "Quartier Nord"})
    return t


WRITE = {
    "pbf": lambda t, d: t.write(d / "town.osm.pbf"),
    "xml": lambda t, d: t.write(d / "town.osm"),
    "gzipped xml": lambda t, d: t.write(d / "town.osm.gz"),
}


def _by_source_id(items):
    return {i.source_id: i for i in items}


@pytest.mark.parametrize("fmt", list(WRITE))
def test_extract_becomes_features_and_assets(fmt, tmp_path):
    t = town()
    path = WRITE[fmt](t, tmp_path)
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, report_path=tmp_path / "skipped.csv")
        assert summary.format == ("OpenStreetMap PBF" if fmt == "pbf" else "OpenStreetMap XML")
        assert summary.stored_as == "features and assets" and summary.metric_epsg == 27700
        assert summary.licence == "© OpenStreetMap contributors, ODbL 1.0"
        features = _by_source_id(queries.list_features(store))
        assets = _by_source_id(queries.list_assets(store))

    assert sorted(features) == ["relation/1", "way/1", "way/2", "way/3"]
    assert (features["way/1"].name, features["way/1"].kind) == ("Soho Foundry", "building")
    assert (features["way/2"].kind, features["way/2"].land_use) == ("building", "school")
    assert (features["way/3"].kind, features["way/3"].land_use, features["way/3"].status) == \
        ("land", "brownfield", "vacant")
    park = features["relation/1"]
    assert (park.name, park.kind, park.land_use) == ("Parc Montfleury", "green_space", "park")
    # The multipolygon is a polygon with its pond cut out: 200x150 - 40x30 m.
    for sid, f in features.items():
        expected = t.shapes[sid]
        assert f.area_m2 == pytest.approx(expected.area, abs=1.0)  # 7 decimals: corners within ~1 cm
        back = gpd.GeoSeries([f.geom], crs=4326).to_crs(27700).iloc[0]
        assert shapely.hausdorff_distance(back, expected) < 0.05  # OSM stores 7 decimals (~1 cm)
    assert park.area_m2 == pytest.approx(200 * 150 - 40 * 30, abs=5.0)
    assert len(shapely.get_interior_ring(park.geom, 0).coords) == 5

    assert sorted(assets) == ["node/1", "node/3", "node/4", "way/2"]
    cafe = assets["node/1"]
    assert (cafe.name, cafe.category, cafe.sector) == ("Café Zoë", "cafe", "private")
    assert cafe.description == "12 High Street, B66 1AA"
    lon, lat = TO_WGS84.transform(ORIGIN[0] + 10, ORIGIN[1] + 10)
    assert (cafe.geom.x, cafe.geom.y) == pytest.approx((lon, lat), abs=1e-7)
    assert assets["node/3"].name == "Żabka"
    assert (assets["node/4"].name, assets["node/4"].sector) == ("Gurdwara ਸਿੰਘ Sabha", "community")
    school = assets["way/2"]
    assert (school.name, school.category, school.sector) == ("École Saint-Michel", "school", "public")
    assert school.feature_id == features["way/2"].id  # the school is linked to its building
    assert features["way/2"].geom.contains(school.geom)

    report = {r.row: r.reason for r in read_report(tmp_path / "skipped.csv")}
    assert set(report) == {"way/4", "relation/2"}
    assert "tagged building=yes but is not closed" in report["way/4"]
    assert "could not be assembled" in report["relation/2"]


def test_reimport_is_idempotent_and_replace_starts_the_source_again(tmp_path):
    path = town().write(tmp_path / "town.osm.pbf")
    with open_store(tmp_path / "atlas.duckdb") as store:
        first = import_file(store, path)
        again = import_file(store, path)
        assert (again.imported, again.updated) == (0, first.imported)
        assert len(queries.list_features(store)) == 4 and len(queries.list_assets(store)) == 4
        smaller = town()
        smaller.nodes[0] = Node(id=1, location=smaller.nodes[0].location)  # the café closed: tags gone
        path2 = smaller.write(tmp_path / "town2.osm.pbf")
        replaced = import_file(store, path2, replace=True, source="town.osm.pbf")
        assert (replaced.removed, replaced.imported, replaced.updated) == (1, 0, 7)
        assert "node/1" not in {a.source_id for a in queries.list_assets(store)}


def test_boundaries_from_an_extract(tmp_path):
    path = town().write(tmp_path / "town.osm.pbf")
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path, as_="boundaries", level="neighbourhood", admin_level="10")
        assert summary.imported == 1
        (b,) = queries.list_boundaries(store)
        assert (b.name, b.level) == ("Quartier Nord", "neighbourhood")
        assert queries.list_features(store) == []
        import_file(store, path, as_="features")
        # Every feature lies in the neighbourhood: membership is refreshed on import.
        assert len(queries.features_in_boundary(store, b.id)) == 4


def test_boundaries_of_several_levels_keep_their_ids_when_imported_again_with_replace(tmp_path):
    t = town()
    district = t.ring(-100, -100, 800, 400)
    t.multipolygon([(district, "outer")], {"type": "boundary", "boundary": "administrative", "admin_level": "9",
                                           "name": "Arrondissement"})
    path = t.write(tmp_path / "town.osm.pbf")
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="boundaries")
        before = {(b.name, b.level): b.id for b in queries.list_boundaries(store)}
        assert set(before) == {("Arrondissement", "admin_level 9"), ("Quartier Nord", "admin_level 10")}
        again = import_file(store, path, as_="boundaries", replace=True)
        assert (again.imported, again.updated, again.removed) == (0, 2, 0)
        assert {(b.name, b.level): b.id for b in queries.list_boundaries(store)} == before


def test_a_replacement_mapping_decides_what_is_imported(tmp_path):
    path = town().write(tmp_path / "town.osm.pbf")
    mapping = tmp_path / "mine.csv"
    with mapping.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["key", "value", "imports_as", "kind", "land_use", "status", "category", "sector", "asset_type"])
        w.writerow(["amenity", "cafe", "asset", "", "", "", "coffee", "private", ""])
        w.writerow(["amenity", "bench", "asset", "", "", "", "seating", "public", "physical"])
        w.writerow(["leisure", "*", "feature", "green_space", "*", "in_use", "", "", ""])
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, mapping=mapping)
        assets = sorted((a.category, a.name) for a in queries.list_assets(store))
        features = [(f.name, f.land_use, f.status) for f in queries.list_features(store)]
    assert assets == [("coffee", "Café Zoë"), ("seating", "Seating (no name)")]
    assert features == [("Parc Montfleury", "park", "in_use")]


@pytest.mark.parametrize("row, message", [
    (["building", "*", "feature", "castle", "", "", "", "", ""], "row 2, field kind: 'castle' is not one of"),
    (["shop", "*", "maybe", "", "", "", "", "", ""], "row 2, field imports_as: 'maybe' is not one of feature"),
    (["shop", "*", "asset", "", "", "", "shop", "charity", ""], "row 2, field sector: 'charity' is not one of"),
])
def test_a_bad_mapping_row_is_named(tmp_path, row, message):
    path = town().write(tmp_path / "town.osm.pbf")
    mapping = tmp_path / "mine.csv"
    with mapping.open("w", newline="") as fh:
        csv.writer(fh).writerows([["key", "value", "imports_as", "kind", "land_use", "status", "category", "sector",
                                   "asset_type"], row])
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match=message):
            import_file(store, path, mapping=mapping)


def test_shipped_mapping_is_a_readable_csv_with_every_row_valid():
    from atlas.importers import osm

    mapping = osm.read_mapping()
    assert len(mapping.rules) > 50
    keys = set(mapping.keys)
    assert {"building", "landuse", "leisure", "natural", "amenity", "shop", "office"} <= keys
    assert mapping.decide("amenity", "place_of_worship").category == "place_of_worship"
    assert mapping.decide("building", "no").imports_as == "none"


def test_an_empty_extract_is_refused(tmp_path):
    path = Extract().write(tmp_path / "empty.osm.pbf")
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match="holds no OpenStreetMap objects"):
            import_file(store, path)


def test_a_file_that_is_not_osm_is_refused(tmp_path):
    path = tmp_path / "notes.osm"
    path.write_text("these are my notes, not a map")
    with open_store(tmp_path / "atlas.duckdb") as store:
        with pytest.raises(InvalidInput, match=r"could not be read as OpenStreetMap data"):
            import_file(store, path)


@pytest.mark.realdata
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # GDAL's notes on Monaco's broken relations
def test_monaco_extract_measures_in_utm_32n_and_matches_gdal(shared_data, tmp_path):
    path = shared_data / "osm-monaco" / "monaco.osm.gz"
    with open_store(tmp_path / "atlas.duckdb") as store:
        summary = import_file(store, path)
        assert store.metric_epsg == 32632  # Monaco lies in UTM zone 32N
        assert summary.metric_epsg == 32632 and summary.skipped == 0
        features = _by_source_id(queries.list_features(store))
        assets = queries.list_assets(store)
        again = import_file(store, path)
        assert (again.imported, again.updated) == (0, summary.imported)
    names = {f.name for f in features.values()}
    assert {"Musée Océanographique", "Cathédrale Notre-Dame-Immaculée", "Grimaldi Forum"} <= names
    assert any(a.name == "Café Place d'Armes" for a in assets)
    buildings = {k: f for k, f in features.items() if f.kind == "building"}
    assert len(buildings) > 900

    # GDAL's own OSM reader, projected by geopandas: the same buildings, the same areas.
    gdal = pyogrio.read_dataframe(f"/vsigzip/{path}", layer="multipolygons")
    gdal = gdal[gdal["building"].notna() & gdal["osm_way_id"].notna()].to_crs(32632)
    gdal_area = dict(zip("way/" + gdal["osm_way_id"], gdal.area, strict=True))
    common = set(gdal_area) & set(buildings)
    assert len(common) > 0.95 * len(buildings)
    diffs = np.array([abs(buildings[k].area_m2 - gdal_area[k]) for k in common])
    assert diffs.max() < 0.5  # m2


@pytest.mark.realdata
def test_monaco_boundaries_by_admin_level(shared_data, tmp_path):
    path = shared_data / "osm-monaco" / "monaco.osm.gz"
    with open_store(tmp_path / "atlas.duckdb") as store:
        import_file(store, path, as_="boundaries", admin_level="10", level="quartier")
        import_file(store, path, as_="features")
        quartiers = {b.name: b for b in queries.list_boundaries(store, level="quartier")}
        assert set(quartiers) == {"Monaco-Ville", "La Condamine"}
        inside = queries.features_in_boundary(store, quartiers["Monaco-Ville"].id)
    # Independent check: shapely on the stored outlines.
    ville = quartiers["Monaco-Ville"].geom
    assert inside and all(ville.contains(shapely.point_on_surface(f.geom)) for f in inside)
    assert any(f.name == "Musée Océanographique" for f in inside)
