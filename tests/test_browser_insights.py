"""The insight pages of issue 12 as a person sees them, in headless Chromium (the system's
Chromium, no network): the Market report for a visitor (its headline, a chart drawn, the
map of the organisations, the tables as CSV) and Anchor spend for the demo officer (the
total of the council's spend and the map of its suppliers). Screenshots are kept in
``test-artifacts/``. The figures are worked out from the demo's own files where they can
be, else from the demo store the app was copied from.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from atlas import open_store
from cedplans.insights.areas import resolve_area
from cedplans.insights.market import market_report
from tests.app_fixtures import DEMO_DIR
from tests.browser_fixtures import MAP_FRAME, SLOW_MS, full_page_shot, map_frame, open_settled, settle

pytestmark = pytest.mark.browser

BCC = "Birmingham City Council"


def _amount(text: str) -> float:
    """A spend file's amount as a person reads it: "£1,250.00", "-860.00"."""
    return float(text.strip().replace(",", "").replace("£", ""))


def _metric(page, label: str) -> str:
    """The value of the metric labelled ``label``."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


CUT_OFF_JS = """() => [...document.querySelectorAll('[data-testid="stMetricLabel"]')].filter(label =>
    [label, ...label.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)).map(l => l.innerText)"""


def _cut_off_metric_labels(page) -> list[str]:
    """The labels of metrics shown cut short (with an ellipsis): the figure says nothing then."""
    return page.evaluate(CUT_OFF_JS)


def _no_error_boxes(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert [e.inner_text() for e in page.locator('[data-testid="stAlertContentError"]').all()] == []


@pytest.fixture(scope="module")
def whole_atlas(_demo_store_file):
    """The market report of the whole demo atlas, computed from the demo store itself."""
    with open_store(_demo_store_file, read_only=True) as store:
        return market_report(store, resolve_area(store))


def test_market_report_shows_headline_charts_map_and_tables(app_page, app_server, artifacts, whole_atlas):
    page = app_page
    open_settled(page, app_server, "market_report")
    page.get_by_role("heading", name="The social-enterprise market").wait_for()
    page.get_by_role("heading", name=whole_atlas.label).wait_for()
    assert _metric(page, "Organisations") == f"{len(whole_atlas.organisations):,}"
    page.get_by_test_id("stMetric").first.screenshot(path=str(artifacts / "market-headline.png"))
    assert _cut_off_metric_labels(page) == []

    # The charts are Streamlit's own (Vega-Lite), drawn in the page.
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.first.wait_for()
    page.wait_for_function(
        "() => !!document.querySelector('[data-testid=\"stVegaLiteChart\"] canvas, "
        "[data-testid=\"stVegaLiteChart\"] svg')", timeout=SLOW_MS)
    drawn = charts.first.locator("canvas, svg").first.bounding_box()
    assert drawn and drawn["width"] > 100 and drawn["height"] > 50
    page.get_by_test_id("stVegaLiteChart").first.screenshot(path=str(artifacts / "market-type-chart.png"))

    # The map of the organisations: the last map on the page (the drawing map is in a closed expander).
    maps = page.locator(MAP_FRAME)
    frame = map_frame(page, maps.count() - 1, timeout_ms=SLOW_MS)
    placed = sum(1 for o in whole_atlas.organisations if o.lon is not None and o.lat is not None)
    frame.wait_for_function("n => document.querySelectorAll('.leaflet-marker-pane .atlas-asset').length === n",
                            arg=placed, timeout=SLOW_MS)
    full_page_shot(page, artifacts / "market-report.png")

    # The tables as CSV, as the page offers them.
    with page.expect_download(timeout=SLOW_MS) as info:
        page.get_by_role("button", name="Download Tables (CSV)").click()
    target = artifacts / "market-report.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    legal = {r["group"]: int(r["count"]) for r in rows if r["table"] == "legal_form"}
    with (DEMO_DIR / "companies.csv").open(newline="", encoding="utf-8") as fh:
        cics = [c for c in csv.DictReader(fh) if c["CompanyCategory"] == "Community Interest Company"]
    assert legal["Community interest company"] == len(cics) == 5
    assert {r["area"] for r in rows} == {whole_atlas.area.name}
    settle(page)
    _no_error_boxes(page)
    assert page.external_requests == []


def test_anchor_spend_shows_the_councils_total_and_its_suppliers_on_a_map(officer_page, app_server, artifacts):
    page = officer_page
    open_settled(page, app_server, "anchor_spend")
    page.get_by_role("heading", name="Where anchors' money goes").wait_for()
    assert page.get_by_role("combobox", name="Anchor").input_value() == BCC
    page.get_by_role("heading", name=f"{BCC}, 2026-04-03 to 2026-07-31").wait_for()

    with (DEMO_DIR / "spend-birmingham-city-council.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    total = sum(_amount(r["Amount"]) for r in rows)  # the -860.00 credit note included
    assert _metric(page, "Total spend") == f"£{total:,.0f}"
    assert _cut_off_metric_labels(page) == []

    # The suppliers the file places (by postcode), one circle each, sized by spend; the
    # area's outline is drawn unfilled.
    frame = map_frame(page, timeout_ms=SLOW_MS)
    placed = {r["Supplier Name"] for r in rows if r["Supplier Postcode"].strip()}
    circles = frame.locator("path.leaflet-interactive:not([fill='none'])")
    frame.wait_for_function("n => document.querySelectorAll(\"path.leaflet-interactive:not([fill='none'])\")"
                            ".length === n", arg=len(placed), timeout=SLOW_MS)
    assert circles.count() == len(placed) == 14
    page.get_by_role("heading", name="Where the suppliers are").scroll_into_view_if_needed()
    # Most of the money goes beyond the city the map opens on, and the page says so: by hand,
    # the suppliers in Leeds, Manchester, London, Wolverhampton and Solihull.
    page.get_by_text(re.compile(r"5 of the suppliers, paid £129,100, are outside the city")).wait_for()
    page.screenshot(path=str(artifacts / "anchor-spend-map.png"))
    full_page_shot(page, artifacts / "anchor-spend.png")

    # The largest circle is the largest supplier (in Leeds, off the city's map): moved to it,
    # as a person drags the map, and pointed at, it names the supplier and its spend.
    frame.evaluate("""() => { let big = null;
                              map.eachLayer(l => { if (l.getRadius && (!big || l.getRadius() > big.getRadius()))
                                                     big = l; });
                              map.setView(big.getLatLng(), map.getZoom(), {animate: false}); }""")
    radii = circles.evaluate_all("ps => ps.map(p => p.getBoundingClientRect().width)")
    circles.nth(radii.index(max(radii))).hover()
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for()
    northshire = sum(_amount(r["Amount"]) for r in rows if r["Supplier Name"].startswith("Northshire"))
    assert re.fullmatch(rf"Northshire Facilities Management Ltd: £{northshire:,.0f} \(outside\)",
                        tooltip.inner_text().strip())
    page.screenshot(path=str(artifacts / "anchor-spend-largest-supplier.png"))
    _no_error_boxes(page)
    assert page.external_requests == []
