"""The workshop without a pointer and in Arabic, in headless Chromium (issue 13).

A participant joins from the QR code's link and, with the keyboard alone (Tab, arrow
keys, typing, Enter and Space; no click, no tap), chooses the plan's site from the list
of places, writes an idea, adds it and votes. Once the app has let go of the store, the
idea is in it at the site and the vote is counted. A second participant whose browser
speaks Arabic sees the page laid out right to left.

The app runs as people run it (``streamlit run``) on a copy of the demo store of its own
per test, and the page may talk to that server only.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely

from atlas.store import open_store
from cedplans import repository, workshops
from tests.browser_fixtures import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    AppServer,
    full_page_shot,
    local_page,
    settle,
    start_app,
    stop_app,
)

pytestmark = pytest.mark.browser

PLAN_WORD = "Edgbaston"
"""A word of the demo plan whose workshop is open (its site is sketched, with zones)."""

MAX_TABS = 400
"""Tab presses allowed to reach a control: the map's frame and the menu lie on the way to
some of them."""

ACTIVE_JS = """() => { let el = document.activeElement;
  while (el && el.tagName === 'IFRAME') { try { el = el.contentDocument.activeElement; } catch (e) { break; } }
  if (!el) return {label: '', text: '', tag: ''};
  return {label: el.getAttribute('aria-label') || '', text: (el.innerText || '').trim(), tag: el.tagName,
          inMain: !!el.closest('[data-testid="stMain"]')}; }"""


@dataclass
class Workshop:
    server: AppServer
    plan_id: int
    code: str


@pytest.fixture
def workshop(chromium_path, _demo_store_file, tmp_path) -> Iterator[Workshop]:
    """The app on a copy of the demo with a workshop open on the Edgbaston plan."""
    db_path = tmp_path / "atlas.duckdb"
    shutil.copy(_demo_store_file, db_path)
    with open_store(db_path) as store:
        plan = next(p for p in repository.list_plans(store) if PLAN_WORD in p.title)
        code = workshops.open_workshop(store, plan.id, by="Sam (facilitator)", hours=2).code
    server = start_app(db_path, tmp_path / "streamlit.log", extra_env={"ATLAS_DEMO": "0"})
    yield Workshop(server, plan.id, code)
    stop_app(server)


@pytest.fixture
def keyboard_browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def tab_to(page, wanted, what: str, *, backwards: bool = False) -> dict:
    """Press Tab (Shift+Tab) until the focused element is ``wanted`` (a test of the dict
    ACTIVE_JS gives); the element it stopped at."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        active = page.evaluate(ACTIVE_JS)
        if wanted(active):
            return active
    raise AssertionError(f"Tab never reached {what}; the last element focused: {active}")


def stop_on_label(label: str):
    return lambda a: a["label"] == label


def test_a_participant_adds_an_idea_from_the_list_and_votes_with_the_keyboard_alone(
        keyboard_browser, workshop, artifacts):
    server = workshop.server
    with open_store(server.db_path, read_only=True) as store:
        before = {i.id: i.votes for i in repository.list_ideas(store, workshop.plan_id)}
        site = repository.site_geometry(store, repository.get_plan(store, workshop.plan_id))
    page = local_page(keyboard_browser, server, width=1024, height=768)
    try:
        page.goto(server.page_url(f"workshop?code={workshop.code}"))  # the link of the QR code
        settle(page)
        page.get_by_role("heading", name="Add your idea").wait_for()

        # The list of places, before the map in keyboard order: type to find the site, Enter.
        tab_to(page, stop_on_label("A place from the list"), "the list of places")
        page.keyboard.type("The plan's site")
        page.get_by_role("option", name=re.compile(r"^The plan's site")).wait_for()
        page.keyboard.press("Enter")
        settle(page)
        page.get_by_text("Your idea goes at").wait_for()

        # The idea in a sentence (Tab leaves the box and keeps what was typed), then Add.
        tab_to(page, stop_on_label("Your idea in a sentence"), "the idea's text box")
        page.keyboard.type("A reading bench by the water, for the keyboard test")
        tab_to(page, stop_on_label("Your name (leave it empty to stay anonymous)"), "the name box")
        settle(page)
        tab_to(page, lambda a: a["tag"] == "BUTTON" and a["text"] == "Add my idea", "the Add button")
        page.keyboard.press("Enter")
        settle(page)
        thanks = page.get_by_text("Thank you! Your idea is on the wall.")
        thanks.wait_for()
        # The thank-you is right under the button, where the person is looking, and a
        # status region that a screen reader reads out.
        button = page.get_by_role("button", name="Add my idea").bounding_box()
        said = thanks.bounding_box()
        assert 0 <= said["y"] - (button["y"] + button["height"]) < 120, (button, said)
        assert page.locator("[data-testid='stAlertContainer'][role='status']",
                            has_text="Thank you!").count() == 1
        page.screenshot(path=str(artifacts / "workshop-keyboard-added.png"))

        # A vote with Space, for the first idea on the wall (Tab passes the map on the way).
        # (A button's text begins with its icon's name, which is hidden from screen readers.)
        agree = tab_to(page, lambda a: a["tag"] == "BUTTON" and "I agree · " in a["text"], "an I agree button")
        votes = int(re.search(r"I agree · (\d+) votes?", agree["text"]).group(1))
        page.keyboard.press("Space")
        settle(page)
        page.get_by_role("button", name=re.compile(rf"^You agreed · {votes + 1} votes?$")).wait_for()
        full_page_shot(page, artifacts / "workshop-keyboard-voted.png")
        assert page.external_requests == []
    finally:
        page.context.close()

    stop_app(server)  # the app lets go of the store; the fixture's stop is then a no-op
    with open_store(server.db_path, read_only=True) as store:
        ideas = {i.id: i for i in repository.list_ideas(store, workshop.plan_id)}
    new = [i for i in ideas.values() if i.id not in before]
    assert [(i.text, i.zone_id, i.author) for i in new] == [
        ("A reading bench by the water, for the keyboard test", None, None)]
    assert site.covers(new[0].point)
    assert shapely.equals_exact(new[0].point, site.representative_point(), 1e-9)
    changed = {i: ideas[i].votes - v for i, v in before.items() if ideas[i].votes != v}
    changed.update({i.id: i.votes for i in new if i.votes})
    assert list(changed.values()) == [1], changed


def test_the_workshop_in_arabic_is_laid_out_right_to_left(keyboard_browser, workshop):
    """A browser that speaks Arabic (``st.context.locale``) gets the page in Arabic, right
    to left; the screenshot is one of the issue's artefacts."""
    server = workshop.server
    context = keyboard_browser.new_context(viewport={"width": 1024, "height": 768}, locale="ar")
    port = server.url.rsplit(":", 1)[1]
    local = re.compile(rf"^(https?|wss?)://127\.0\.0\.1:{port}/")
    context.route("**/*", lambda route: route.continue_() if local.match(route.request.url)
                  or route.request.url.startswith(("data:", "blob:", "about:")) else route.abort())
    page = context.new_page()
    page.set_default_timeout(45_000)
    try:
        page.goto(server.page_url(f"workshop?code={workshop.code}"))
        settle(page)
        page.locator("[data-testid='stMain'] h1").first.wait_for()
        direction = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stMain\"]')).direction")
        assert direction == "rtl"
        # The form's own block is right to left too (it inherits, nothing turns it back).
        form_direction = page.evaluate(
            "() => getComputedStyle(document.querySelector('.st-key-ws-layout')).direction")
        assert form_direction == "rtl"
        ARTIFACTS.mkdir(exist_ok=True)
        full_page_shot(page, ARTIFACTS / "workshop-ar.png")
        assert Path(ARTIFACTS / "workshop-ar.png").stat().st_size > 10_000
    finally:
        context.close()
