"""The linking pages as a person uses them, in headless Chromium (the system's Chromium,
no browser download, no network): accept a match and make a plan of it, find tenants for
a space and keep a shortlist, take a site dossier (with and without the confidential
notes), see the links on the atlas and the untapped assets, and record an offer in the
register. Screenshots are kept in ``test-artifacts/``.

The tests share one app (module scope) on a copy of the demo store. The atlas test reads
the links of the demo itself, so it runs before the tests that add links.
"""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from pypdf import PdfReader

from atlas import open_store
from cedplans import linking
from tests.browser_fixtures import MAP_FRAME, local_page, map_frame, open_app, wait_idle

pytestmark = pytest.mark.browser

PLAN_TITLE = "Clinical staff for outpatient and community clinics – with Refugee Doctors Bridge"
WHO = "Sam, ward officer"


@pytest.fixture(scope="module")
def demo_ids(_demo_store_file) -> dict[str, int]:
    """The demo's needs and offers: source id -> id (the server's copy has the same ids)."""
    with open_store(_demo_store_file, read_only=True) as store:
        return dict(store.con.execute("SELECT source_id, id FROM needs_offers").fetchall())


@pytest.fixture(scope="module")
def demo_links(_demo_store_file) -> list[linking.Link]:
    with open_store(_demo_store_file, read_only=True) as store:
        return linking.links(store)


def _download(page, button_name: str, artifacts, name: str) -> bytes:
    """Press a download button and return the file's bytes (kept in ``artifacts`` too)."""
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name=button_name).click()
    target = artifacts / name
    info.value.save_as(target)
    wait_idle(page, timeout_ms=60_000)
    return target.read_bytes()


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def _no_error_boxes(page) -> None:
    """No Streamlit exception and no error box on the page."""
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = [e.inner_text() for e in page.locator('[data-testid="stAlertContentError"]').all()]
    assert errors == []


def _choose(page, scope, label: str, typed: str, option: str) -> None:
    """Open a selectbox, search its long list by typing, pick an option."""
    scope.get_by_label(label, exact=True).click()
    page.keyboard.type(typed)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


# -- the atlas (first: it counts the demo's own links) -------------------------------------

def test_atlas_draws_plan_links_and_lists_untapped_assets(app_page, app_server, artifacts, demo_links):
    plan_links = sum(link.kind == "plan" for link in demo_links)
    assert plan_links > 0
    open_app(app_page, app_server)
    frame = map_frame(app_page)
    frame.wait_for_function("n => document.querySelectorAll('path.atlas-link-plan').length === n",
                            arg=plan_links)
    assert frame.locator("path.atlas-link-plan").count() == plan_links
    assert frame.locator("path.atlas-link-match").count() == 0  # the demo has no accepted match
    legend = frame.locator(".atlas-legend").inner_text()
    assert "Partners in a plan" in legend
    app_page.screenshot(path=str(artifacts / "atlas-links.png"))

    # A plan line's popup names the two partners and the plan.
    link = next(link for link in demo_links if link.kind == "plan")
    frame.locator("path.atlas-link-plan").first.click(force=True)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Plan: " in popup.inner_text()
    app_page.screenshot(path=str(artifacts / "atlas-link-popup.png"))
    del link

    expander = app_page.get_by_text(re.compile(r"^Untapped assets \(\d+\)"))
    count = int(re.search(r"\((\d+)\)", expander.inner_text()).group(1))
    assert count >= 1
    expander.click()
    see = app_page.get_by_role("link", name=re.compile(r"^See the matches of "))
    see.first.wait_for()
    assert see.count() == count
    app_page.screenshot(path=str(artifacts / "untapped.png"), full_page=True)
    asset = re.sub(r"^.*See the matches of ", "", see.first.inner_text()).strip()
    see.first.click()
    app_page.get_by_role("heading", name="Matches").wait_for()
    wait_idle(app_page)
    assert re.search(r"[?&]asset=\d+", app_page.url)
    # The page is on that asset: "One asset's needs and offers", the asset chosen.
    assert app_page.get_by_label("One asset's needs and offers").is_checked()
    chosen = app_page.locator('[data-testid="stSelectbox"]').filter(has=app_page.get_by_text("Asset", exact=True))
    assert asset in chosen.inner_text()
    app_page.get_by_text(re.compile(r"match(es)?, best first$")).wait_for()
    app_page.screenshot(path=str(artifacts / "untapped-matches.png"), full_page=True)
    _no_error_boxes(app_page)
    assert app_page.external_requests == []


# -- matches -> plan, and the link seen by another officer ------------------------------------

def test_accept_a_match_make_a_plan_and_another_officer_sees_the_link(browser, app_page, app_server, artifacts,
                                                                        demo_ids):
    page = app_page
    need = demo_ids["n-city-hospital-clinical-staff"]
    open_app(page, app_server, f"matches?need={need}")
    first = page.get_by_text(re.compile(r"^1\. "))
    first.wait_for()
    assert "Refugee Doctors Bridge" in first.inner_text()
    page.screenshot(path=str(artifacts / "matches.png"), full_page=True)

    page.get_by_label("Your name or role").fill(WHO)
    page.get_by_label("Your name or role").press("Enter")
    wait_idle(page)
    reason = page.get_by_label("Reason (kept with the decision; officers only)").first
    reason.fill("Both keen; meeting booked for May")
    reason.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Accept").first.click()
    page.get_by_text(re.compile(r"^The match of Refugee Doctors Bridge .* was accepted\.")).wait_for()
    wait_idle(page)
    page.get_by_text(f"Accepted by {WHO}.").wait_for()
    make = page.get_by_role("button", name="Make a draft plan from this match")
    make.wait_for()
    page.screenshot(path=str(artifacts / "match-accepted.png"), full_page=True)

    make.click()
    link = page.get_by_role("link", name=re.compile(r"Open the new draft plan \(\d+\) in the plan sketcher"))
    link.wait_for()
    wait_idle(page)
    plan_id = re.search(r"\((\d+)\)", link.inner_text()).group(1)
    page.get_by_role("link", name=f"Accepted: open its plan ({plan_id})").wait_for()
    page.screenshot(path=str(artifacts / "match-plan-made.png"), full_page=True)
    _no_error_boxes(page)

    link.click()
    page.get_by_role("heading", name="Plan sketcher").wait_for()
    wait_idle(page, timeout_ms=60_000)
    assert f"plan={plan_id}" in page.url
    title = page.get_by_label("Title", exact=True)
    title.wait_for()
    assert title.input_value().startswith(PLAN_TITLE)
    plan_box = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Plan", exact=True))
    assert PLAN_TITLE in plan_box.inner_text()
    page.screenshot(path=str(artifacts / "plan-sketcher.png"), full_page=True)
    assert page.external_requests == []

    # Another officer, in a browser of their own, sees the new match line on the atlas.
    other = local_page(browser, app_server)
    try:
        open_app(other, app_server)
        frame = map_frame(other)
        frame.locator("path.atlas-link-match").first.wait_for(state="attached")
        assert frame.locator("path.atlas-link-match").count() == 1
        assert "Accepted match" in frame.locator(".atlas-legend").inner_text()
        other.screenshot(path=str(artifacts / "other-officer-atlas.png"))
        assert other.external_requests == []
    finally:
        other.context.close()


# -- tenant finder ----------------------------------------------------------------------------

def test_tenant_finder_finds_saves_and_downloads(app_page, app_server, artifacts):
    page = app_page
    open_app(page, app_server, "tenant_finder")
    page.get_by_text("Describe the space and press Find tenants.").wait_for()
    page.get_by_role("button", name="Find tenants").click()
    heading = page.get_by_role("heading", name=re.compile(r"^\d+ group\(s\) fit, \d+ partly"))
    heading.wait_for()
    wait_idle(page)
    fit, partly = map(int, re.findall(r"\d+", heading.inner_text())[:2])
    assert fit >= 1

    frame = map_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-marker-pane .atlas-asset').length > 0")
    assert frame.locator(".leaflet-marker-pane .atlas-asset").count() >= 1
    assert frame.locator("path.atlas-pin").count() == 1
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.get_by_role("gridcell", name="Port Loop residents' group").first.wait_for(state="attached")
    page.screenshot(path=str(artifacts / "tenants.png"), full_page=True)

    csv_text = _download(page, "Download the list (CSV)", artifacts, "tenants.csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0][:2] == ["asset_id", "asset"]
    assert len(rows) - 1 == fit + partly
    assert "Port Loop residents' group" in {r[1] for r in rows[1:]}

    name = f"Port Loop building {uuid.uuid4().hex[:6]}"
    page.get_by_label("Shortlist name").fill(name)
    page.get_by_label("Your name or role").fill(WHO)
    page.get_by_role("button", name="Save the shortlist").click()
    page.get_by_text(re.compile(rf"^Saved shortlist \d+ with {fit} group\(s\)\.")).wait_for()
    wait_idle(page)
    saved = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Shortlist", exact=True))
    saved.get_by_text(name, exact=False).wait_for()
    assert f"{fit} group(s)" in saved.inner_text() and WHO in saved.inner_text()
    page.screenshot(path=str(artifacts / "tenants-saved.png"), full_page=True)
    _no_error_boxes(page)
    assert page.external_requests == []


# -- site dossier -----------------------------------------------------------------------------

def test_site_dossier_keeps_confidential_notes_out_of_downloads_unless_asked(app_page, app_server, artifacts):
    page = app_page
    open_app(page, app_server, "site_dossier")
    for heading in ("The site", "Plans and community evidence", "Matches that involve the site or its owner"):
        page.get_by_role("heading", name=heading).first.wait_for()
        assert page.get_by_role("heading", name=heading).first.is_visible()
    page.screenshot(path=str(artifacts / "dossier.png"), full_page=True)
    _no_error_boxes(page)

    text = _pdf_text(_download(page, "Download PDF", artifacts, "dossier.pdf"))
    assert "Port Loop historic building" in text

    page.get_by_text("Show confidential notes (officers only)").click()
    wait_idle(page)
    token = f"NOTE-{uuid.uuid4().hex[:10]}"
    note = page.get_by_label("Add a confidential note")
    note.wait_for()
    note.fill(f"The owner would consider a transfer ({token}).")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("The confidential note was added.").wait_for()
    wait_idle(page)
    page.get_by_text(token).first.wait_for()
    page.screenshot(path=str(artifacts / "dossier-note.png"), full_page=True)

    include = page.get_by_text("Include the confidential notes in the downloads")
    assert not page.get_by_label("Include the confidential notes in the downloads").is_checked()
    assert token not in _pdf_text(_download(page, "Download PDF", artifacts, "dossier-public.pdf"))
    include.click()
    wait_idle(page)
    assert page.get_by_label("Include the confidential notes in the downloads").is_checked()
    assert token in _pdf_text(_download(page, "Download PDF", artifacts, "dossier-confidential.pdf"))
    page.screenshot(path=str(artifacts / "dossier-include-notes.png"), full_page=True)
    _no_error_boxes(page)
    assert page.external_requests == []


# -- the register's needs and offers ----------------------------------------------------------

def test_register_records_a_new_offer(app_page, app_server, artifacts):
    page = app_page
    open_app(page, app_server, "asset_register")
    page.get_by_role("tab", name="Needs and offers").click()
    panel = page.get_by_role("tabpanel", name="Needs and offers")
    panel.wait_for()
    _choose(page, panel, "Asset", "Kavarna", "Café Kavarna")
    table = panel.locator('[data-testid="stDataFrame"]')
    table.get_by_role("gridcell", name="Permanent café premises with a kitchen").wait_for(state="attached")
    table.get_by_role("gridcell", name="Catering for meetings and community events").wait_for(state="attached")
    page.screenshot(path=str(artifacts / "register-needs-offers.png"), full_page=True)

    panel.get_by_text("A offer", exact=True).click()
    wait_idle(page)
    _choose(page, panel, "Kind", "services", "services")
    panel.get_by_label("Title", exact=True).fill("Polish cooking classes")
    panel.get_by_label("Your name or role").fill(WHO)
    panel.get_by_role("button", name="Save the new offer").click()
    page.get_by_text("Saved the offer “Polish cooking classes”.").wait_for()
    wait_idle(page)
    panel.locator('[data-testid="stDataFrame"]').get_by_role("gridcell", name="Polish cooking classes") \
        .wait_for(state="attached")
    page.screenshot(path=str(artifacts / "register-offer-saved.png"), full_page=True)
    _no_error_boxes(page)
    assert page.external_requests == []
