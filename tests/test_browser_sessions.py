"""What people do across time and sessions, in headless Chromium: two browsers on one app,
and a reload in the middle of a workshop (issue 9's two bugs)."""

from __future__ import annotations

import re
import shutil

import pytest

from atlas import open_store
from cedplans import repository, workshops
from tests.browser_fixtures import (
    local_page,
    map_frame,
    open_app,
    sign_in,
    start_app,
    stop_app,
    wait_idle,
)

pytestmark = pytest.mark.browser


def _shown_count(page) -> int:
    caption = page.get_by_text(re.compile(r"^Showing \d+ assets")).first
    caption.wait_for()
    return int(re.match(r"Showing (\d+) assets", caption.inner_text()).group(1))


def test_a_write_in_one_browser_shows_in_another_without_a_restart(browser, app_server, artifacts):
    officer = local_page(browser, app_server)
    researcher = local_page(browser, app_server)
    try:
        # The officer has the atlas open (so its queries are cached).
        sign_in(officer, app_server, "officer")
        open_app(officer, app_server)
        map_frame(officer)
        before = _shown_count(officer)

        # A researcher, in another browser, signs in and adds an asset in the register (a
        # link typed into the address bar is a new session: the sign-in is kept).
        sign_in(researcher, app_server, "researcher")
        open_app(researcher, app_server, "asset_register")
        frame = map_frame(researcher)
        box = frame.locator(".leaflet-container").bounding_box()
        frame.locator(".leaflet-container").click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.4})
        researcher.get_by_text("° N,").wait_for()
        wait_idle(researcher)
        researcher.get_by_label("Name", exact=True).fill("Two-browser test growers")
        researcher.get_by_role("button", name="Save the new asset").click()
        researcher.get_by_text("Saved “Two-browser test growers”").wait_for()
        researcher.screenshot(path=str(artifacts / "researcher-saved.png"))

        # The officer reloads the atlas, still signed in: the asset is counted, listed and in
        # the register.
        officer.reload()
        wait_idle(officer)
        map_frame(officer)
        assert _shown_count(officer) == before + 1
        officer.get_by_role("button", name="Download this list (CSV)").wait_for()
        officer.screenshot(path=str(artifacts / "officer-after-reload.png"), full_page=True)
        open_app(officer, app_server, "asset_register")
        officer.get_by_label("Asset", exact=True).click()
        officer.keyboard.type("Two-browser")  # the list is long: search it as a person would
        officer.get_by_role("option", name="Two-browser test growers").wait_for()
        assert officer.external_requests == [] and researcher.external_requests == []
    finally:
        officer.context.close()
        researcher.context.close()


@pytest.fixture(scope="module")
def workshop_server(chromium_path, _demo_store_file, tmp_path_factory):
    """The app on a copy of the demo whose Edgbaston plan has an open workshop code:
    (server, plan, code)."""
    folder = tmp_path_factory.mktemp("workshop-app")
    db_path = folder / "atlas.duckdb"
    shutil.copy(_demo_store_file, db_path)
    with open_store(db_path) as store:
        plan = next(p for p in repository.list_plans(store) if "Edgbaston" in p.title)
        code = workshops.open_workshop(store, plan.id, by="Sam (facilitator)", hours=2).code
    server = start_app(db_path, folder / "streamlit.log")
    yield server, plan, code
    stop_app(server)


def test_a_reload_does_not_give_a_workshop_participant_a_second_vote(browser, workshop_server, artifacts):
    """A participant joins with the code typed into the form; the code stays in the
    address and the device's token in a cookie, so a reload is the same participant."""
    app_server, plan, code = workshop_server
    page = local_page(browser, app_server)
    try:
        open_app(page, app_server, "workshop")
        page.get_by_role("textbox", name="Workshop code").fill(code.lower())
        page.get_by_role("button", name="Join").click()
        wait_idle(page)
        first = page.get_by_role("button", name=re.compile(r"^I agree · \d+ votes?$")).first
        first.wait_for()
        votes = int(re.search(r"(\d+) votes?", first.inner_text()).group(1))
        first.click()
        agreed = page.get_by_role("button", name=re.compile(r"^You agreed"))
        agreed.first.wait_for()
        assert agreed.count() == 1
        assert f"{votes + 1} vote" in agreed.first.inner_text()

        page.reload()
        wait_idle(page)
        agreed = page.get_by_role("button", name=re.compile(r"^You agreed"))
        agreed.first.wait_for()
        assert agreed.count() == 1 and agreed.first.is_disabled()
        assert f"{votes + 1} vote" in agreed.first.inner_text()
        page.screenshot(path=str(artifacts / "workshop-after-reload.png"), full_page=True)

        assert f"code={code}" in page.url and plan.title in page.inner_text("body")

        # Someone else's browser, joining from the QR code's link, may vote for the same idea.
        other = local_page(browser, app_server)
        try:
            open_app(other, app_server, f"workshop?code={code}")
            label = re.compile(rf"^I agree · {votes + 1} votes?$")
            other.get_by_role("button", name=label).first.click()
            other.get_by_role("button", name=re.compile(rf"^You agreed · {votes + 2} votes")).wait_for()
        finally:
            other.context.close()
    finally:
        page.context.close()
