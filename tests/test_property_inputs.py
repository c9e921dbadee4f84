"""Property-based tests (hypothesis): whatever a file or a map drawing holds, the table
importer and the sketch parser end in a result or in one of our errors (an AtlasError
subclass), never in another exception, and after an error the store is unchanged."""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from atlas import open_store
from atlas.errors import AtlasError
from atlas.importers import import_file
from cedplans.sketch import Sketch, parse_drawing
from tests.test_import_hostile import fingerprint

COLUMNS = ["name", "lon", "lat", "description", "employees"]
_SETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                    st.floats(-3.0, -1.0), st.floats(52.0, 53.0))  # some land in the demo area
cells = st.one_of(st.none(), st.text(max_size=40), numbers, st.just(""), st.just("NaN"), st.just("inf"))
rows = st.lists(st.fixed_dictionaries({c: cells for c in COLUMNS}), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("property") / "atlas.duckdb") as s:
        yield s


def _write_csv(folder: Path, data: list[dict]) -> Path:
    path = folder / "register.csv"
    pd.DataFrame(data, columns=COLUMNS).to_csv(path, index=False)
    return path


def _write_xlsx(folder: Path, data: list[dict]) -> Path:
    path = folder / "register.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in data:
        values = []
        for c in COLUMNS:
            v = row[c]
            if isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)  # openpyxl cannot write control characters at all
            elif isinstance(v, float) and not math.isfinite(v):
                v = str(v)  # nor NaN or infinity as numbers
            elif isinstance(v, int) and abs(v) >= 2**53:
                v = str(v)
            values.append(v)
        sheet.append(values)
    book.save(path)
    return path


def _imports_or_refuses(store, path: Path) -> None:
    before = fingerprint(store)
    try:
        import_file(store, path, as_="assets", source="property", replace=True,
                    report_path=path.parent / "skipped.csv")
    except AtlasError:
        assert fingerprint(store) == before
    # any other exception fails the test, as it should


@_SETTINGS
@given(data=rows)
def test_any_csv_ends_in_a_result_or_our_error(store, tmp_path_factory, data):
    _imports_or_refuses(store, _write_csv(tmp_path_factory.mktemp("csv"), data))


@_SETTINGS
@given(data=rows)
def test_any_xlsx_ends_in_a_result_or_our_error(store, tmp_path_factory, data):
    _imports_or_refuses(store, _write_xlsx(tmp_path_factory.mktemp("xlsx"), data))


# -- the sketch parser ------------------------------------------------------------------
coordinate = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1.96, -1.90),
                       st.floats(52.46, 52.50), st.integers(-400, 400))
position = st.lists(coordinate, min_size=0, max_size=3)
ring = st.lists(position, min_size=0, max_size=6)
geometry = st.one_of(
    st.fixed_dictionaries({"type": st.just("Point"), "coordinates": position}),
    st.fixed_dictionaries({"type": st.sampled_from(["LineString", "MultiPoint"]), "coordinates": ring}),
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "MultiLineString"]),
                           "coordinates": st.lists(ring, max_size=3)}),
    st.fixed_dictionaries({"type": st.sampled_from(["MultiPolygon", "GeometryCollection", "Nonsense"]),
                           "coordinates": st.lists(st.lists(ring, max_size=2), max_size=2)}),
)
json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)
feature = st.fixed_dictionaries({
    "type": st.just("Feature"),
    "geometry": st.one_of(geometry, json_values),
    "properties": st.one_of(st.none(), st.fixed_dictionaries({"radius": st.one_of(numbers, json_values)}),
                            json_values),
})
drawing = st.one_of(
    geometry, feature, json_values,
    st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                           "features": st.one_of(st.lists(st.one_of(feature, geometry), max_size=3), json_values)}),
    st.lists(st.one_of(feature, geometry, json_values), max_size=3),
)


@_SETTINGS
@given(value=drawing, as_text=st.booleans())
def test_any_drawing_ends_in_a_sketch_or_our_error(demo_store, value, as_text):
    before = fingerprint(demo_store)
    try:
        result = parse_drawing(demo_store, json.dumps(value) if as_text else value)
    except AtlasError:
        pass
    else:
        assert isinstance(result, Sketch) and result.geom.is_valid
    assert fingerprint(demo_store) == before


@_SETTINGS
@given(raw=st.one_of(st.text(max_size=60), st.binary(max_size=60)))
def test_any_drawing_text_ends_in_a_sketch_or_our_error(demo_store, raw):
    try:
        parse_drawing(demo_store, raw)
    except AtlasError:
        pass
