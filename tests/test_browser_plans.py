"""The plan sketcher in headless Chromium: draw a zone with Leaflet.draw, save, reload.

The app runs as people run it (``streamlit run``) on its own copy of the demo store; the
page may talk to that server only. The zone is drawn with the real draw tool (polygon
button, clicks on the map, click on the first corner to finish); after saving and
reloading it must still be on the map and in the zone list, and, once the app has let go
of the store, in the store too, where it is the shape that was clicked (the corners'
coordinates are read from Leaflet itself, not from our code).
"""

from __future__ import annotations

import re
import shutil
import time

import geopandas as gpd
import pytest
import shapely

from atlas.projection import BRITISH_NATIONAL_GRID, WGS84
from atlas.store import open_store
from cedplans import repository
from tests.browser_fixtures import MAP_FRAME, sign_in, start_app, stop_app, wait_idle

pytestmark = pytest.mark.browser

PLAN_TITLE_WORD = "Holy Trinity"
CORNERS_PX = ((-70, -150), (-10, -150), (-10, -105), (-70, -105))
"""Where the zone's corners are clicked, in pixels from the map's centre: a small square
north-west of the plan's site (which the map is centred on), clear of the draw toolbar,
the legend and the markers of the zones already there."""


@pytest.fixture
def sketch_server(chromium_path, _demo_store_file, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    shutil.copy(_demo_store_file, db_path)
    with open_store(db_path, read_only=True) as store:
        plan_id = next(p.id for p in repository.list_plans(store) if PLAN_TITLE_WORD in p.title)
    server = start_app(db_path, tmp_path / "streamlit.log", extra_env={"ATLAS_DEMO": "0"})
    server.plan_id = plan_id  # type: ignore[attr-defined]
    yield server
    stop_app(server)


@pytest.fixture
def page(browser, sketch_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    port = sketch_server.url.rsplit(":", 1)[1]
    local = re.compile(rf"^(https?|wss?)://127\.0\.0\.1:{port}/")
    external: list[str] = []

    def guard(route) -> None:
        if local.match(route.request.url) or route.request.url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.external_requests = external  # type: ignore[attr-defined]
    pg.script_errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.script_errors.append(str(exc)))  # type: ignore[attr-defined]
    sign_in(pg, sketch_server, "officer")
    yield pg
    context.close()


def map_frame(page, timeout_s: float = 30.0):
    """The map's frame once Leaflet has drawn it. Streamlit may replace the frame while a
    run finishes, so it is looked up afresh until the map in it is ready."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        handle = page.locator(MAP_FRAME).first.element_handle(timeout=int(timeout_s * 1000))
        frame = handle.content_frame() if handle else None
        try:
            if frame is not None and frame.evaluate(
                    "() => !!(window.map && window.L && document.querySelector('.leaflet-container'))"):
                return frame
        except PlaywrightError:
            pass  # the frame went away under us: look again
        page.wait_for_timeout(250)
    raise AssertionError(f"the map did not appear within {timeout_s:.0f} s")


def zone_paths(frame) -> tuple[int, int]:
    """(zones on the map, of which drawn and not yet saved)."""
    return tuple(frame.evaluate(
        "() => [document.querySelectorAll('path.plan-zone').length,"
        " document.querySelectorAll('path.plan-zone-new').length]"))


def zones_heading(page) -> int:
    text = page.get_by_role("heading", name=re.compile(r"^Zones \(\d+\)")).first.inner_text()
    return int(re.search(r"\((\d+)\)", text).group(1))


def test_a_zone_drawn_with_the_draw_tool_is_saved_and_still_there_after_reload(page, sketch_server, artifacts):
    url = f"{sketch_server.url}/plan_sketcher?plan={sketch_server.plan_id}"
    page.goto(url)
    wait_idle(page)
    frame = map_frame(page)
    saved_before, new_before = zone_paths(frame)
    assert new_before == 0 and saved_before > 0
    assert zones_heading(page) == saved_before
    page.screenshot(path=artifacts / "1-opened.png")

    # Where the clicks land, in Leaflet's own coordinates (lat, lng).
    size = frame.evaluate("() => { const s = window.map.getSize(); return [s.x, s.y]; }")
    cx, cy = size[0] / 2, size[1] / 2
    corners_lonlat = []
    for dx, dy in CORNERS_PX:
        lat, lng = frame.evaluate(
            "([x, y]) => { const p = window.map.containerPointToLatLng([x, y]); return [p.lat, p.lng]; }",
            [cx + dx, cy + dy])
        corners_lonlat.append((lng, lat))

    frame.click(".leaflet-draw-draw-polygon")
    box = page.locator(MAP_FRAME).bounding_box()  # after the click, which may scroll the page
    for dx, dy in [*CORNERS_PX, CORNERS_PX[0]]:  # clicking the first corner again finishes the shape
        page.mouse.click(box["x"] + cx + dx, box["y"] + cy + dy)
        page.wait_for_timeout(250)

    # The shape becomes a zone (drawn, not saved yet) in the list and on the redrawn map.
    page.get_by_role("heading", name=f"Zones ({saved_before + 1})").wait_for()
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_selector("path.plan-zone-new")
    assert zone_paths(frame) == (saved_before + 1, 1)
    page.screenshot(path=artifacts / "2-drawn.png")

    author = page.get_by_role("textbox", name="Your name or role")
    author.fill("Browser tester")
    author.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(re.compile(r"Saved as version \d+")).wait_for()
    page.screenshot(path=artifacts / "3-saved.png")

    page.goto(url)
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_selector("path.plan-zone")
    assert zone_paths(frame) == (saved_before + 1, 0)
    assert zones_heading(page) == saved_before + 1
    page.screenshot(path=artifacts / "4-reloaded.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.external_requests == []  # type: ignore[attr-defined]
    assert page.script_errors == []  # type: ignore[attr-defined]

    stop_app(sketch_server)  # DuckDB has one writer: let go of the store to read it here
    with open_store(sketch_server.db_path, read_only=True) as store:
        plan = repository.get_plan(store, sketch_server.plan_id)
        versions = repository.list_versions(store, plan.id)
    assert len(plan.zones) == saved_before + 1
    assert versions[0].author == "Browser tester" and "1 zone added" in versions[0].summary
    drawn = shapely.Polygon(corners_lonlat)
    new_zone = plan.zones[-1]
    assert new_zone.use == "food growing"  # the page's default use for new zones
    # The stored shape is the clicked one, to within a pixel or so at this zoom.
    metric = gpd.GeoSeries([drawn, new_zone.geom], crs=WGS84).to_crs(BRITISH_NATIONAL_GRID)
    assert metric.iloc[0].symmetric_difference(metric.iloc[1]).area < 0.05 * metric.iloc[0].area
    assert new_zone.area_m2 == pytest.approx(metric.iloc[1].area, rel=1e-6)
