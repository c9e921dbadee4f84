"""Sketches from the map's draw tool: parsing, repair, rejection and measurement.

Areas and lengths are checked against independent computations: shapes built in British
National Grid metres, pyproj's geodesic (ellipsoidal) measures, and geopandas in
EPSG:27700.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import mapping

from atlas import open_store
from atlas.errors import InvalidInput
from cedplans.sketch import MAX_DISTANCE_M, parse_drawing

# A spot in the demo area beside Edgbaston Reservoir, in British National Grid metres.
E0, N0 = 404_100.0, 287_000.0
TO_LONLAT = Transformer.from_crs(27700, 4326, always_xy=True)
GEOD = Geod(ellps="WGS84")


def lonlat(coords_m: list[tuple[float, float]]) -> list[list[float]]:
    return [list(TO_LONLAT.transform(e, n)) for e, n in coords_m]


def polygon_feature(coords_m: list[tuple[float, float]]) -> dict:
    ring = lonlat(coords_m + [coords_m[0]])
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def square_m(e: float, n: float, side: float) -> list[tuple[float, float]]:
    return [(e, n), (e + side, n), (e + side, n + side), (e, n + side)]


@pytest.fixture(scope="module")
def store(_demo_store_file):
    """The demo store, opened read-only once: sketching never writes."""
    with open_store(_demo_store_file, read_only=True) as s:
        yield s


def test_a_square_drawn_in_metres_measures_its_own_area(store):
    sketch = parse_drawing(store, polygon_feature(square_m(E0, N0, 100)))
    assert sketch.kind == "area"
    # Built as 100 m x 100 m in EPSG:27700, so the store (which measures in 27700) must agree closely.
    assert sketch.area_m2 == pytest.approx(10_000, rel=1e-6)
    assert sketch.area_ha == pytest.approx(1.0, rel=1e-6)
    assert sketch.length_m == pytest.approx(400, rel=1e-6)
    assert not sketch.repaired


def test_area_and_length_agree_with_geodesic_and_geopandas(store):
    coords = [(E0, N0), (E0 + 230, N0 + 40), (E0 + 180, N0 + 260), (E0 + 20, N0 + 190)]
    feature = polygon_feature(coords)
    sketch = parse_drawing(store, feature)
    polygon = shapely.geometry.shape(feature["geometry"])
    geodesic_area, geodesic_perimeter = GEOD.geometry_area_perimeter(polygon)
    # British National Grid's scale factor near Birmingham is about 0.9996, so its areas are
    # about 0.08% under the ellipsoid's; 0.2% leaves room for nothing else.
    assert sketch.area_m2 == pytest.approx(abs(geodesic_area), rel=2e-3)
    assert sketch.length_m == pytest.approx(geodesic_perimeter, rel=2e-3)
    in_bng = gpd.GeoSeries([polygon], crs=4326).to_crs(27700)
    assert sketch.area_m2 == pytest.approx(in_bng.area.iloc[0], rel=1e-9)


def test_a_line_is_measured_in_metres(store):
    line = {"type": "LineString", "coordinates": lonlat([(E0, N0), (E0 + 300, N0), (E0 + 300, N0 + 400)])}
    sketch = parse_drawing(store, line)
    assert sketch.kind == "line"
    assert sketch.area_m2 == 0
    assert sketch.length_m == pytest.approx(700, rel=1e-6)
    assert sketch.length_m == pytest.approx(GEOD.geometry_length(shapely.geometry.shape(line)), rel=2e-3)


def test_a_marker_is_a_point_with_no_size(store):
    sketch = parse_drawing(store, {"type": "Feature", "properties": {},
                                   "geometry": {"type": "Point", "coordinates": lonlat([(E0, N0)])[0]}})
    assert sketch.kind == "point"
    assert (sketch.area_m2, sketch.length_m) == (0, 0)


def test_a_drawn_circle_becomes_a_round_area(store):
    circle = {"type": "Feature", "properties": {"radius": 50},
              "geometry": {"type": "Point", "coordinates": lonlat([(E0, N0)])[0]}}
    sketch = parse_drawing(store, circle)
    assert sketch.kind == "area"
    assert sketch.area_m2 == pytest.approx(3.14159265 * 50**2, rel=5e-3)


def test_all_drawings_of_one_kind_become_one_shape(store):
    collection = {"type": "FeatureCollection", "features": [
        polygon_feature(square_m(E0, N0, 50)), polygon_feature(square_m(E0 + 100, N0, 50)),
    ]}
    sketch = parse_drawing(store, json.dumps(collection))
    assert sketch.geom.geom_type == "MultiPolygon"
    assert sketch.area_m2 == pytest.approx(5_000, rel=1e-6)
    # A plain list of Features (streamlit-folium's all_drawings) reads the same way.
    assert parse_drawing(store, collection["features"]).area_m2 == pytest.approx(sketch.area_m2)


def test_a_self_crossing_outline_is_repaired_and_keeps_its_area(store):
    # A bow tie: two 100 m x 50 m triangles meeting at the crossing point.
    bowtie = polygon_feature([(E0, N0), (E0 + 100, N0 + 100), (E0 + 100, N0), (E0, N0 + 100)])
    assert not shapely.geometry.shape(bowtie["geometry"]).is_valid
    sketch = parse_drawing(store, bowtie)
    assert sketch.repaired
    assert "crossed itself" in sketch.note
    assert sketch.geom.is_valid
    assert sketch.kind == "area"
    assert sketch.area_m2 == pytest.approx(2 * (100 * 50 / 2), rel=1e-6)


@pytest.mark.parametrize("drawing", [
    None,
    {"type": "FeatureCollection", "features": []},
    {"type": "Feature", "properties": {}, "geometry": None},
    {"type": "Polygon", "coordinates": []},
])
def test_an_empty_drawing_is_refused(store, drawing):
    with pytest.raises(InvalidInput, match="empty: draw"):
        parse_drawing(store, drawing)


def test_an_outline_with_no_area_is_refused(store):
    flat = polygon_feature([(E0, N0), (E0 + 100, N0), (E0 + 200, N0)])
    with pytest.raises(InvalidInput, match="no area.*three corners"):
        parse_drawing(store, flat)


def test_a_line_with_no_length_is_refused(store):
    here = lonlat([(E0, N0)])[0]
    with pytest.raises(InvalidInput, match="no length"):
        parse_drawing(store, {"type": "LineString", "coordinates": [here, here]})


def test_a_shape_far_from_the_site_is_refused(store):
    site = shapely.geometry.shape(polygon_feature(square_m(E0, N0, 100))["geometry"])
    far = polygon_feature(square_m(E0 + MAX_DISTANCE_M + 1_000, N0, 100))
    with pytest.raises(InvalidInput, match=r"5\.9 km from the plan's site.*Zoom to the site"):
        parse_drawing(store, far, near=site)
    # Without a site it is measured from the atlas's data, which is in Birmingham.
    with pytest.raises(InvalidInput, match="from the atlas's data"):
        parse_drawing(store, {"type": "Point", "coordinates": [2.35, 48.85]})  # Paris


def test_swapped_latitude_and_longitude_are_caught(store):
    lon, lat = lonlat([(E0, N0)])[0]
    with pytest.raises(InvalidInput, match="longitude, latitude in that order"):
        parse_drawing(store, {"type": "Point", "coordinates": [lat, lon]})


def test_metre_coordinates_are_refused_with_a_hint(store):
    with pytest.raises(InvalidInput, match="not longitude and latitude.*EPSG:4326"):
        parse_drawing(store, {"type": "Polygon", "coordinates": [[(E0, N0), (E0 + 10, N0), (E0, N0 + 10), (E0, N0)]]})


def test_a_shape_as_big_as_a_region_is_refused(store):
    with pytest.raises(InvalidInput, match="km across"):
        parse_drawing(store, polygon_feature(square_m(E0 - 15_000, N0 - 15_000, 30_000)))


def test_mixed_kinds_and_broken_json_are_refused(store):
    point = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": lonlat([(E0, N0)])[0]}}
    with pytest.raises(InvalidInput, match="one kind of shape per zone"):
        parse_drawing(store, [point, polygon_feature(square_m(E0, N0, 50))])
    with pytest.raises(InvalidInput, match="not GeoJSON"):
        parse_drawing(store, '{"type": "Feature", ')
    with pytest.raises(InvalidInput, match="not GeoJSON"):
        parse_drawing(store, {"coordinates": [1, 2]})


def test_three_dimensional_drawings_are_flattened(store):
    ring = [c + [120.0] for c in lonlat(square_m(E0, N0, 100) + [(E0, N0)])]
    sketch = parse_drawing(store, {"type": "Polygon", "coordinates": [ring]})
    assert not sketch.geom.has_z
    assert sketch.area_m2 == pytest.approx(10_000, rel=1e-6)


def test_an_empty_atlas_measures_in_a_crs_chosen_from_the_drawing(empty_store):
    drawn = shapely.geometry.shape(polygon_feature(square_m(E0, N0, 100))["geometry"])
    sketch = parse_drawing(empty_store, mapping(drawn))
    assert sketch.area_m2 == pytest.approx(10_000, rel=1e-6)


def test_rings_and_collections_become_types_every_format_holds(store):
    ring = shapely.LinearRing(lonlat(square_m(E0, N0, 100)))
    sketch = parse_drawing(store, mapping(ring))
    assert (sketch.geom.geom_type, sketch.kind) == ("LineString", "line")
    assert sketch.length_m == pytest.approx(400, rel=1e-6)
    squares = [shapely.Polygon(lonlat(square_m(E0 + dx, N0, 50))) for dx in (0, 100)]
    collection = parse_drawing(store, mapping(shapely.GeometryCollection(squares)))
    assert collection.geom.geom_type == "MultiPolygon"
    with pytest.raises(InvalidInput, match="mixes points, lines and areas"):
        parse_drawing(store, mapping(shapely.GeometryCollection([squares[0], squares[1].centroid])))
