"""Map pages on tablets and projectors (issue 13): at 1024x768 (landscape) and 768x1024
(portrait) the map takes most of the width, and no legend, heading or button is cut off.

The map's share is measured against the main column (Streamlit's block container), not the
window: the sidebar is the app's menu, which the person can fold away, and what a page lays
out is its main column. 70 % of it leaves room for a page's margins while ruling out a map
squeezed into a column beside its side panel (today: about a third of the width).

"Cut off" is checked the way a person would see it: the element's box lies inside the
window (for the legend: inside the map's frame), and its content fits its box
(``scrollWidth <= clientWidth``). Screenshots at both sizes go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.browser_fixtures import WorkshopApp, app_with_open_workshop, full_page_shot, local_page, settle, sign_in

pytestmark = pytest.mark.browser

SIZES = ((1024, 768), (768, 1024))
MAP_SHARE = 0.70
PLAN_WORD = "Holy Trinity"
"""A word of the demo plan the sketcher and the workshop are opened on."""

MAP_IFRAMES = 'iframe[src*="streamlit_folium"]'
"""st_folium's frames, found by their source: their title is the map's own (set by the map)."""

FRAMES_READY_JS = """() => Array.from(document.querySelectorAll('iframe')).every(f => {
    const d = f.contentDocument;
    if (!d || d.readyState !== 'complete') return false;
    return !(f.src || '').includes('streamlit_folium') || !!d.querySelector('.leaflet-container .atlas-legend');
})"""

MEASURE_JS = """(sel) => {
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const style = getComputedStyle(main);
    const mainWidth = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const frame = document.querySelector(sel);
    const box = frame.getBoundingClientRect();
    const W = document.documentElement.clientWidth;
    const clipped = [];
    const check = (el, what, right) => {
        const r = el.getBoundingClientRect();
        if (!el.checkVisibility() || (r.width === 0 && r.height === 0)) return;  // not shown
        if (r.left < -1 || r.right > right + 1) clipped.push(what + ': outside [' + r.left + ', ' + r.right + ']');
        if (el.scrollWidth > el.clientWidth + 1) clipped.push(what + ': ' + el.scrollWidth + ' > ' + el.clientWidth);
    };
    main.querySelectorAll('h1, h2, h3, button, [data-testid="stSelectbox"] [data-baseweb="select"] > div')
        .forEach(el => check(el, (el.innerText || el.tagName).trim().slice(0, 40), W));
    const doc = frame.contentDocument;
    const legend = doc.querySelector('.atlas-legend');
    const details = legend.querySelector('details');
    const inner = doc.documentElement.clientWidth;
    const legendOpen = details.open;
    // Folded and opened: each line of the legend must fit (opened by script, then put back).
    for (const open of [legendOpen, !legendOpen]) {
        details.open = open;
        check(legend, 'legend', inner);
        legend.querySelectorAll('.row, summary, h4').forEach(el => check(el, 'legend: ' + el.innerText.trim(), inner));
    }
    details.open = legendOpen;
    doc.querySelectorAll('.leaflet-control').forEach(el => check(el, 'control ' + el.className, inner));
    return {mainWidth, mapWidth: box.width, mapLeft: box.left, mapRight: box.right, viewport: W,
            title: frame.getAttribute('title'), legendOpen, clipped};
}"""


@dataclass(frozen=True)
class MapPage:
    name: str
    role: str
    path: str


PAGES = (
    MapPage("atlas_map", "visitor", ""),
    MapPage("site_explorer", "visitor", "site_explorer"),
    MapPage("plan_sketcher", "officer", "plan_sketcher?plan={plan}"),
    MapPage("workshop", "officer", "workshop?plan={plan}"),
)


Visit = WorkshopApp


@pytest.fixture(scope="module")
def visit(chromium_path, _demo_store_file, tmp_path_factory) -> Iterator[Visit]:
    with app_with_open_workshop(_demo_store_file, tmp_path_factory.mktemp("tablet"), PLAN_WORD) as app:
        yield app


@pytest.fixture(scope="module")
def sessions(browser, visit: Visit) -> Iterator[dict]:
    """One browser session per role and window size, made when first needed."""
    pages: dict[tuple[str, int, int], object] = {}

    def page_for(role: str, width: int, height: int):
        key = (role, width, height)
        if key not in pages:
            page = local_page(browser, visit.server, width=width, height=height)
            if role != "visitor":
                sign_in(page, visit.server, role)
            pages[key] = page
        return pages[key]

    yield page_for  # type: ignore[misc]
    for page in pages.values():
        page.context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", PAGES, ids=lambda c: c.name)
def test_the_map_fills_the_width_and_nothing_is_cut_off(sessions, visit, artifacts, case, size):
    width, height = size
    page = sessions(case.role, width, height)
    page.goto(visit.server.page_url(case.path.format(plan=visit.plan_id)))
    page.wait_for_selector('[data-testid="stApp"]')
    settle(page)
    page.wait_for_selector(MAP_IFRAMES, timeout=90_000)
    page.wait_for_function(FRAMES_READY_JS, timeout=90_000)
    settle(page)  # a map's first report may start one more run
    page.wait_for_function(FRAMES_READY_JS, timeout=90_000)
    found = page.evaluate(MEASURE_JS, MAP_IFRAMES)
    full_page_shot(page, artifacts / f"{case.name}-{width}x{height}.png")
    assert found["mapWidth"] >= MAP_SHARE * found["mainWidth"], found
    assert found["clipped"] == [], found
    assert found["title"] and "streamlit_folium" not in found["title"], found
    assert not found["legendOpen"], "on a tablet the legend starts folded"


def test_on_a_wide_screen_the_legend_is_open_at_first(browser, visit, artifacts):
    page = local_page(browser, visit.server, width=1400, height=1000)
    try:
        page.goto(visit.server.page_url(""))
        page.wait_for_selector('[data-testid="stApp"]')
        settle(page)
        page.wait_for_function(FRAMES_READY_JS, timeout=90_000)
        found = page.evaluate(MEASURE_JS, MAP_IFRAMES)
        page.screenshot(path=str(artifacts / "atlas_map-1400x1000.png"))
        assert found["legendOpen"] and found["clipped"] == [], found
    finally:
        page.context.close()


def test_a_click_on_an_asset_shows_its_card_and_the_search_stays(sessions, visit, artifacts):
    """On a tablet, a tap on an asset in the site explorer shows its card below the map and
    the search stays on the reservoir; the card's button then makes the asset the centre.
    (Replaces tests/test_browser.py's test_site_explorer_follows_a_click_on_the_map.)"""
    page = sessions("visitor", 1024, 768)
    page.goto(visit.server.page_url("site_explorer"))
    page.wait_for_selector('[data-testid="stApp"]')
    settle(page)
    page.wait_for_function(FRAMES_READY_JS, timeout=90_000)
    settle(page)
    frame = page.locator(MAP_IFRAMES).first.element_handle().content_frame()
    # The rings are labelled on the map.
    labels = frame.locator(".atlas-ring-label").all_inner_texts()
    assert [t.replace("\u00a0", " ") for t in labels] == ["400 m", "800 m"]
    marker = frame.locator(".leaflet-marker-pane .atlas-symbol").first
    name = marker.get_attribute("title")
    marker.click()
    page.get_by_role("heading", name=name).wait_for(timeout=90_000)
    settle(page)
    assert "site=feature" in page.url  # still the reservoir
    assert page.get_by_text("Last verified:").is_visible()
    page.get_by_role("heading", name=name).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "site-explorer-card-1024x768.png"))
    page.get_by_role("button", name="Explore around this asset").click()
    page.wait_for_url("**site=asset*", timeout=90_000)
    settle(page)
    assert page.get_by_role("heading", name=f"of {name}").first.is_visible()
