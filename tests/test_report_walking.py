"""The walking catchment in the plan report and the site dossier (issue 14): on a town written
by the test (tests/canal_town.py: a grid of streets, a canal crossed by one bridge), both
list the assets within a ten-minute walk of the site with their walks, say which are near
in a straight line but further on foot, and flag a place far from any street; the dossier's
GeoPackage holds the catchment and each asset's walk. The demo, which has no walking
network, says so in one sentence and keeps straight lines.

Walks are checked against the town's routes measured on their own (pyproj's geodesic
lengths, vertex by vertex)."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pypdf
import pytest
from PIL import Image
from pyproj import Transformer
from shapely.geometry import Point

from atlas import open_store
from atlas.settings import DEFAULT_WALKING_SPEED_KMH
from cedplans import dossier_exports, mapimage, repository
from cedplans.demo import EDGBASTON_TITLE
from cedplans.dossier import build_dossier
from cedplans.html_report import render_html as plan_html
from cedplans.model import Plan
from cedplans.pdf_report import render_pdf as plan_pdf
from cedplans.report import build_report
from tests import canal_town

METRES_PER_MINUTE = DEFAULT_WALKING_SPEED_KMH * 1000 / 60
NO_NETWORK = ("This atlas has no walking network yet: distances are in a straight line. Import an OpenStreetMap "
              "extract to add one.")
PORT_LOOP = "Port Loop historic building"


def flat(text: str) -> str:
    """Text with every run of white space (the no-break spaces in numbers too) as one space."""
    return " ".join(text.split())


def pdf_words(data: bytes) -> str:
    return flat(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages))


def walk_text(name: str) -> str:
    """An asset's walk as the reports should print it, from the independent measure."""
    metres = canal_town.walk_m(name)
    return f"{round(metres / METRES_PER_MINUTE)} min ({round(metres)} m)"


EXPECTED_ROWS = {
    canal_town.ON_WATER: walk_text(canal_town.ON_WATER) + " · about 90 m from the nearest path: walking time "
                                                          "approximate",
    canal_town.SAME_SIDE: walk_text(canal_town.SAME_SIDE),
}
"""The ten-minute catchment: the buoy (150 m, flagged: it is on the canal) and the corner shop
(300 m), nearest on foot first. The boat club, 218 m away in a straight line, is a 900 m walk."""


@pytest.fixture
def town(store_path):
    with open_store(store_path) as store:
        built = canal_town.build(store)
        yield store, built


def check_rows(rows: list[list[str]]) -> None:
    assert [r[0] for r in rows] == list(EXPECTED_ROWS)
    for name, scale, walk, straight in rows:
        assert scale == "micro"
        assert flat(walk) == flat(EXPECTED_ROWS[name]), name
        assert flat(straight) == f"{round(canal_town.straight_line_m(name))} m", name


def check_text(text: str) -> None:
    """The section as a reader sees it in the HTML or the PDF."""
    assert "Walking catchment: 10 min on foot" in text
    assert "at 4.8 km/h along streets and paths" in text
    for name, walk in EXPECTED_ROWS.items():
        assert name in text and flat(walk) in text, name
    across = round(canal_town.straight_line_m(canal_town.ACROSS))
    assert (f"Near in a straight line but more than 10 min on foot: {canal_town.ACROSS} ({across} m in a straight "
            "line)." in text)
    assert NO_NETWORK not in text


def test_the_plan_report_lists_the_ten_minute_walk(town):
    store, built = town
    plan = repository.create_plan(store, Plan(title="Hall garden", site_feature_id=built.hall_id), author="test")
    report = build_report(store, plan.id)
    assert report.walking_network and report.walking is not None
    assert [a.name for a, _w in report.walking.assets] == list(EXPECTED_ROWS)
    assert [a.name for a, _w in report.walking.beyond] == [canal_town.ACROSS]
    section = report.walking_section()
    assert section is not None
    check_rows(section.rows)

    html = flat(plan_html(report, epsg=store.metric_epsg))
    assert "<h2>Walking catchment: 10 min on foot</h2>" in html
    check_text(html)
    check_text(pdf_words(plan_pdf(report, epsg=store.metric_epsg)))


def test_the_dossier_lists_the_ten_minute_walk_and_its_geopackage_holds_it(town, tmp_path):
    store, built = town
    d = build_dossier(store, built.hall_id)
    titles = [s.title for s in dossier_exports.sections(d)]
    assert "Walking catchment: 10 min on foot" in titles
    # After the assets nearby, as the reader goes from the straight line to the walk.
    assert titles.index("Walking catchment: 10 min on foot") == titles.index(
        "Micro (community) assets nearby: within 800 m") + 1
    section = next(s for s in dossier_exports.sections(d) if s.title.startswith("Walking catchment"))
    check_rows(section.rows)
    check_text(flat(dossier_exports.render_html(d)))
    check_text(pdf_words(dossier_exports.render_pdf(d)))

    path = dossier_exports.export_dossier(store, built.hall_id, tmp_path / "hall.gpkg", dossier=d)
    catchment = gpd.read_file(path, layer="walking_catchment")
    assert catchment.crs.to_epsg() == canal_town.BNG and len(catchment) == 1
    assert catchment["minutes"].iloc[0] == 10 and catchment["speed_kmh"].iloc[0] == DEFAULT_WALKING_SPEED_KMH
    area = catchment.geometry.iloc[0]
    to_bng = Transformer.from_crs(4326, canal_town.BNG, always_xy=True)

    def at(name: str) -> Point:
        return Point(to_bng.transform(*canal_town.lonlat(*canal_town.ASSET_POINTS[name])))

    assert area.contains(at(canal_town.SAME_SIDE)) and not area.contains(at(canal_town.ACROSS))
    assets = gpd.read_file(path, layer="assets_nearby").set_index("name")
    for name in canal_town.ROUTES:
        assert abs(assets.loc[name, "distance_m"] - canal_town.straight_line_m(name)) <= 1, name
        assert assets.loc[name, "snap_m"] == pytest.approx(canal_town.SNAP_M[name], abs=0.1), name
    for name in EXPECTED_ROWS:
        assert abs(assets.loc[name, "walk_m"] - canal_town.walk_m(name)) <= 1, name
        assert assets.loc[name, "walk_min"] == pytest.approx(canal_town.walk_m(name) / METRES_PER_MINUTE, abs=0.05)
    # Not within the ten minutes: no walk given, rather than a wrong one.
    assert assets["walk_m"].isna()[canal_town.ACROSS]
    assert bool(assets.loc[canal_town.ON_WATER, "far_from_street"])
    assert not bool(assets.loc[canal_town.SAME_SIDE, "far_from_street"])


def test_the_demo_says_it_has_no_walking_network(demo_store, tmp_path):
    plan = next(p for p in repository.list_plans(demo_store) if p.title == EDGBASTON_TITLE)
    report = build_report(demo_store, plan.id)
    assert not report.walking_network and report.walking is None
    html = flat(plan_html(report, epsg=demo_store.metric_epsg))
    assert "<h2>Walking catchment</h2>" in html and html.count(NO_NETWORK) == 1
    pdf = pdf_words(plan_pdf(report, epsg=demo_store.metric_epsg))
    assert NO_NETWORK in pdf

    d = build_dossier(demo_store, PORT_LOOP)
    assert d.walking is None
    section = next(s for s in dossier_exports.sections(d) if s.title == "Walking catchment")
    assert section.lines == [NO_NETWORK] and not section.rows
    assert NO_NETWORK in pdf_words(dossier_exports.render_pdf(d))
    path = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "port-loop.gpkg", dossier=d)
    assert gpd.read_file(path, layer="walking_catchment").empty
    assets = gpd.read_file(path, layer="assets_nearby")
    assert len(assets) and assets["walk_m"].isna().all() and assets["walk_min"].isna().all()


def washed_pixels(png: bytes) -> int:
    """Pixels of a map image in the walking catchment's wash (its colour at 35% on white)."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    colour = np.array([int(mapimage.WALK_COLOUR[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    wash = 0.35 * colour + 0.65 * 255
    return int((np.abs(rgb - wash).max(axis=2) <= 3).sum())


def test_the_maps_show_the_ten_minute_walk(town, demo_store):
    store, built = town
    plan = repository.create_plan(store, Plan(title="Hall garden", site_feature_id=built.hall_id), author="test")
    assert washed_pixels(build_report(store, plan.id).map_png) > 10_000
    assert washed_pixels(build_dossier(store, built.hall_id).map_png) > 10_000
    assert washed_pixels(build_dossier(demo_store, PORT_LOOP).map_png) == 0
