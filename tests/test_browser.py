"""What a person sees: the app in headless Chromium (Playwright, the system's Chromium,
no browser download, no network). The demo's assets are counted in Leaflet's panes and
compared with the demo's own files; screenshots are kept in ``test-artifacts/``."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import geopandas as gpd
import pandas as pd
import pytest

from app import static_assets
from tests.app_fixtures import DEMO_DIR
from tests.browser_fixtures import ROOT, map_frame, open_app, wait_idle
from tests.demo_data import demo_asset_table

pytestmark = pytest.mark.browser

COUNT_JS = """() => ({
    assets: document.querySelectorAll('.leaflet-marker-pane .atlas-asset').length,
    macro: document.querySelectorAll('.leaflet-marker-pane .atlas-macro').length,
    features: document.querySelectorAll('.leaflet-overlay-pane path.atlas-feature').length,
    boundaries: document.querySelectorAll('.leaflet-overlay-pane path.atlas-boundary').length,
    rings: document.querySelectorAll('.leaflet-overlay-pane path.atlas-ring').length,
    legend: (document.querySelector('.atlas-legend') || {}).innerText || ''
})"""


@pytest.fixture(scope="module")
def demo_files() -> dict[str, pd.DataFrame]:
    table = demo_asset_table()
    table["macro"] = ((table["employees"].fillna(0) > 250) | (table["annual_spend"].fillna(0) > 1_000_000)
                      | (table["land_ha"].fillna(0) > 5))
    return {"assets": table, "sites": gpd.read_file(DEMO_DIR / "sites.geojson"),
            "wards": gpd.read_file(DEMO_DIR / "wards.geojson")}


def test_atlas_map_shows_every_demo_asset(app_page, app_server, artifacts, demo_files):
    open_app(app_page, app_server)
    frame = map_frame(app_page)
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-marker-pane .atlas-asset').length > 0")
    counts = frame.evaluate(COUNT_JS)
    app_page.screenshot(path=str(artifacts / "atlas.png"))
    assets = demo_files["assets"]
    assert counts["assets"] == len(assets)
    assert counts["macro"] == int(assets["macro"].sum())
    assert counts["features"] == len(demo_files["sites"])
    assert counts["boundaries"] == len(demo_files["wards"])
    assert "Macro (anchor) asset" in counts["legend"] and "Vacant" in counts["legend"]
    assert app_page.external_requests == []

    # A marker's popup names its asset.
    frame.locator(".leaflet-marker-pane .atlas-symbol").first.click()
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("b").inner_text() in set(assets["name"])
    app_page.screenshot(path=str(artifacts / "atlas-popup.png"))


def test_filter_redraws_the_map(app_page, app_server, artifacts, demo_files):
    open_app(app_page, app_server)
    map_frame(app_page)
    app_page.get_by_label("Scale").first.click()
    app_page.get_by_role("option", name="Macro (anchor) asset").click()
    app_page.keyboard.press("Escape")
    wait_idle(app_page)
    macro = int(demo_files["assets"]["macro"].sum())
    app_page.wait_for_function(
        """n => { const f = document.querySelector('iframe[src*="streamlit_folium"]');
                  return f && f.contentDocument &&
                         f.contentDocument.querySelectorAll('.leaflet-marker-pane .atlas-asset').length === n; }""",
        arg=macro,
    )
    counts = map_frame(app_page).evaluate(COUNT_JS)
    assert counts["assets"] == counts["macro"] == macro
    app_page.screenshot(path=str(artifacts / "atlas-macro-only.png"))


def test_site_explorer_lists_assets_near_the_reservoir(app_page, app_server, artifacts, demo_files):
    assets = demo_files["assets"]
    points = gpd.GeoDataFrame(assets, geometry=gpd.points_from_xy(assets["lon"], assets["lat"]), crs=4326).to_crs(27700)
    sites = demo_files["sites"].to_crs(27700)
    reservoir = sites.loc[sites["name"] == "Edgbaston Reservoir", "geometry"].iloc[0]
    near = points[points.distance(reservoir) <= 800]

    open_app(app_page, app_server, "site_explorer")
    frame = map_frame(app_page)
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-marker-pane .atlas-asset').length > 0")
    metrics = [m.inner_text() for m in app_page.locator('[data-testid="stMetricValue"]').all()]
    assert metrics[:2] == [str(int(near["macro"].sum())), str(int((~near["macro"]).sum()))]
    counts = frame.evaluate(COUNT_JS)
    assert counts["assets"] == len(near)
    assert counts["rings"] == 2  # 400 m and 800 m
    assert app_page.get_by_text("Within 800 m of Edgbaston Reservoir").is_visible()
    app_page.screenshot(path=str(artifacts / "site-explorer.png"), full_page=True)
    assert app_page.external_requests == []


def test_register_map_click_chooses_the_place(officer_page, app_server, artifacts):
    app_page = officer_page
    open_app(app_page, app_server, "asset_register")
    frame = map_frame(app_page)
    assert app_page.get_by_text("not chosen yet").is_visible()
    box = frame.locator(".leaflet-container").bounding_box()
    frame.locator(".leaflet-container").click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.2})
    app_page.get_by_text("° N,").wait_for()
    wait_idle(app_page)
    map_frame(app_page).locator("path.atlas-pin").wait_for()
    app_page.screenshot(path=str(artifacts / "register-place.png"))


def test_cli_is_told_the_app_holds_the_store(app_page, app_server):
    open_app(app_page, app_server)  # a visit makes the app open its store
    map_frame(app_page)
    done = subprocess.run([sys.executable, "-c", "from atlas_cli import main; main()", "info"], cwd=ROOT,
                          env={**os.environ, "ATLAS_DB": str(app_server.db_path)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "open in another program (the Asset Atlas app, process " in done.stderr  # names the holder
    assert len(done.stderr.strip().splitlines()) == 1


def test_web_libraries_are_served_by_the_app(app_server):
    """Each library file comes from the app, byte for byte the installed package's."""
    for lib in static_assets.LIBRARIES:
        source, _version = lib.locate()
        for file in (*lib.js, *lib.css):
            with urllib.request.urlopen(app_server.url + static_assets.url(lib, file), timeout=10) as r:
                kind = "javascript" if file.endswith(".js") else "css"
                assert r.status == 200 and kind in r.headers["Content-Type"], file
                assert r.read() == (source / file).read_bytes(), file


