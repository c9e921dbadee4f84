"""Trust, as people meet it in headless Chromium: what a resident, an officer and a visitor
who has not signed in can see and do (issue 10).

The app runs on a copy of the demo store with secrets planted before it starts: a
confidential officers' note on the Port Loop historic building (the site dossier's first
site) and a match decision with a confidential reason; the demo's assets all have
contacts (``data/boundaries/assets.csv``). Everyone signs in through the real form.

"Not leaked" is checked where a person could find it: the HTML of the page and of every
frame (the map is one), the value of every input, every message the server sent over the
page's websocket (a table's data travels there, and would not all be in the HTML), and
the CSV downloads. Screenshots are kept in ``test-artifacts/<test name>/``.

A Streamlit session is one websocket: a signed-in person who types a URL (or reloads) gets
a new session, a visitor's. So the resident "types" the officers' pages twice: in the same
session, as the browser's history does (``pushState`` and ``popstate``), and as a new
page load. The last tests run the officers' pages directly in-process (AppTest, past the
menu) to show each page locks itself, and forge writes under a visitor's session.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import state
from atlas import open_store, sites
from atlas.access import Permission, Role, Viewer, as_role
from cedplans import linking, repository, workshops
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE
from tests.app_fixtures import SESSION_VIEWER
from tests.browser_fixtures import (
    MAP_FRAME,
    ROOT,
    SLOW_MS,
    full_page_shot,
    local_page,
    open_settled,
    settle,
    start_app,
    stop_app,
)

pytestmark = pytest.mark.browser

NOTE = "NOTE-CONFIDENTIAL-4242"
REASON = "REASON-CONFIDENTIAL-9090"
NOTE_SITE = "Port Loop historic building"  # the site dossier opens on it
CONTACT_ASSET = "University of Birmingham"
CONTACT = "civic@uob.example.org"
OFFICER_PAGES = ("asset_register", "site_dossier", "matches", "admin", "plan_sketcher", "tenant_finder",
                 "anchor_spend")
FORBIDDEN_BUTTONS = re.compile(
    r"^(Save|Hide|Show again|Accept|Turn down|Reopen|Add the|Mark as verified|Make a backup|Make a draft plan|"
    r"Open the workshop|Open a new code|Import|Remove the account|Change the role)")
PAGES = ROOT / "app" / "pages"

INPUT_VALUES_JS = """() => Array.from(document.querySelectorAll('input, textarea, select'))
                              .map(e => e.value).join('\\n')"""


def _demo_contacts() -> list[str]:
    with (ROOT / "data" / "boundaries" / "assets.csv").open(newline="", encoding="utf-8") as f:
        return sorted({row["contact"].strip() for row in csv.DictReader(f) if row["contact"].strip()})


CONTACTS = _demo_contacts()
SECRETS = [*CONTACTS, NOTE, REASON]


# -- the store with its secrets, and the app on it -------------------------------------------

@dataclass(frozen=True)
class Planted:
    db_path: Path
    note_site_id: int
    edgbaston_id: int
    holy_trinity_id: int
    code: str
    """An open workshop code, for the Holy Trinity plan."""


@pytest.fixture(scope="module")
def planted(_demo_store_file, tmp_path_factory) -> Planted:
    """A copy of the demo store with a confidential note, a decision reason and a workshop
    code in it, written before the app opens it."""
    db_path = tmp_path_factory.mktemp("trust") / "atlas.duckdb"
    db_path.write_bytes(_demo_store_file.read_bytes())
    with open_store(db_path) as store:
        site_id = store.con.execute("SELECT id FROM features WHERE name = ?", [NOTE_SITE]).fetchone()[0]
        sites.add_site_note(store, site_id, NOTE, author="Sam (demo officer)")
        ids = dict(store.con.execute("SELECT source_id, id FROM needs_offers").fetchall())
        linking.decide(store, ids["n-city-hospital-interpreters"], ids["o-refugee-doctors"], "rejected",
                       reason=REASON, by="Sam (demo officer)")
        plans = {p.title: p.id for p in repository.list_plans(store)}
        code = workshops.open_workshop(store, plans[HOLY_TRINITY_TITLE], by="Sam (demo officer)", hours=6).code
        assert len(CONTACTS) > 50 and CONTACT in CONTACTS  # the demo's contacts, all of them
    return Planted(db_path, site_id, plans[EDGBASTON_TITLE], plans[HOLY_TRINITY_TITLE], code)


@pytest.fixture(scope="module")
def app_server(chromium_path, planted: Planted, tmp_path_factory):
    """The app on the store with its secrets (this module's own server)."""
    server = start_app(planted.db_path, tmp_path_factory.mktemp("trust-app") / "streamlit.log")
    yield server
    stop_app(server)


# -- helpers ---------------------------------------------------------------------------------



def _watch_websocket(page) -> list[bytes]:
    """Every message the server sends this page over its websocket, from now on."""
    received: list[bytes] = []

    def on_socket(ws) -> None:
        ws.on("framereceived", lambda payload: received.append(
            payload if isinstance(payload, bytes) else payload.encode("utf-8")))

    page.on("websocket", on_socket)
    return received


def _shown(page) -> str:
    """The HTML of the page and of every frame in it, and the value of every input."""
    for attempt in range(3):
        try:
            parts = [page.content()]
            for frame in page.frames:
                parts += [frame.content(), frame.evaluate(INPUT_VALUES_JS)]
            return "\n".join(parts)
        except Exception:  # a frame replaced by a rerun while being read
            if attempt == 2:
                raise
            settle(page)
    raise AssertionError("unreachable")


def _leaks(text: str | bytes, secrets: list[str] = SECRETS) -> list[str]:
    if isinstance(text, bytes):
        return [s for s in secrets if s.encode("utf-8") in text]
    return [s for s in secrets if s in text]


def _sent(received: list[bytes]) -> bytes:
    return b"\n".join(received)


def _sign_in(page, server, username: str, password: str, role: str) -> None:
    """Sign in through the real form on the Sign in page."""
    open_settled(page, server, "sign_in")
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text(re.compile(rf"signed in as an? {role}")).wait_for(timeout=SLOW_MS)
    settle(page)


def _menu(page) -> list[str]:
    return [a.inner_text().split("\n")[-1].strip()
            for a in page.locator('[data-testid="stSidebarNav"] a').all()]


def _go(page, title: str) -> None:
    """Open a page from the menu (the same session, as a person clicks it)."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=re.compile(rf"{title}$")).click()
    settle(page)


def _go_in_session(page, path: str) -> None:
    """Type a page's address without leaving the session: the browser's history API, which
    the app's front end follows as it does the back and forward buttons."""
    page.evaluate("p => { history.pushState({}, '', '/' + p); dispatchEvent(new PopStateEvent('popstate')); }",
                  path)
    page.wait_for_timeout(500)
    settle(page)


def _buttons(page) -> list[str]:
    return [b.strip() for b in page.get_by_role("button").all_inner_texts()]


def _forbidden_buttons(page) -> list[str]:
    return [b for b in _buttons(page) if FORBIDDEN_BUTTONS.match(b.split("\n")[-1])]



def _download(page, button) -> str:
    with page.expect_download(timeout=SLOW_MS) as info:
        button.click()
    return Path(info.value.path()).read_text(encoding="utf-8")


# -- (a) the demo resident sees no secret anywhere ---------------------------------------------

def test_the_demo_resident_sees_no_contact_note_or_reason_on_any_page(browser, app_server, planted, artifacts):
    page = local_page(browser, app_server)
    received = _watch_websocket(page)
    checked: dict[str, list[str]] = {}

    def check(where: str) -> None:
        checked[where] = _leaks(_shown(page))
        name = re.sub(r"\W+", "-", where)
        full_page_shot(page, artifacts / f"{len(checked):02d}-{name}.png")

    try:
        _sign_in(page, app_server, "resident", "resident-demo", "resident")
        assert page.get_by_text("You are Rosa (demo resident), signed in as a resident").is_visible()
        assert _menu(page) == ["Atlas map", "Site explorer", "Workshop", "Market report", "Sign out"]
        check("sign in page")

        _go(page, "Atlas map")
        page.get_by_text(re.compile(r"^Showing \d+ assets")).first.wait_for()
        page.get_by_text(re.compile(r"^Untapped assets")).click()  # its list opens
        settle(page)
        check("atlas map")
        atlas_csv = _download(page, page.get_by_role("button", name="Download this list (CSV)"))
        assert CONTACT_ASSET in atlas_csv and _leaks(atlas_csv) == []

        _go(page, "Site explorer")
        page.get_by_role("combobox", name="Site", exact=True).click()
        page.keyboard.type("Port Loop historic")
        page.get_by_role("option", name=re.compile(NOTE_SITE)).first.click()
        settle(page)
        page.get_by_text(re.compile(rf"^Within [\d,]+\s+m of {NOTE_SITE}")).wait_for()
        check("site explorer, Port Loop")
        explorer_csv = _download(page, page.get_by_role("button", name="Download the assets (CSV)"))
        assert explorer_csv.count("\n") > 1 and _leaks(explorer_csv) == []

        _go(page, "Workshop")
        page.get_by_text("Choose the plan for this workshop.").wait_for()
        for title in (EDGBASTON_TITLE, HOLY_TRINITY_TITLE):
            page.get_by_role("button", name=re.compile(re.escape(title))).click()
            settle(page)
            page.get_by_role("heading", name=title).wait_for()
            page.get_by_role("button", name=re.compile(r"^I agree · ")).first.wait_for()
            check(f"workshop {title[:30]}")
            page.get_by_role("button", name="Choose another plan").click()
            settle(page)

        # The officers' pages, typed without leaving the session: the menu does not know
        # them, so the app runs its main page (the atlas), and the resident stays signed in.
        for path in OFFICER_PAGES:
            _go_in_session(page, path)
            assert _forbidden_buttons(page) == [], path
            assert "Sign out" in _menu(page) and _menu(page) == ["Atlas map", "Site explorer", "Workshop",
                                                                 "Market report", "Sign out"]
            check(f"typed in session {path}")

        # ... and typed as a new page load: a new session, still the resident's (the sign-in
        # is kept in a cookie); the page is not found.
        for path in OFFICER_PAGES:
            open_settled(page, app_server, path)
            page.get_by_text("Page not found").wait_for()
            assert _forbidden_buttons(page) == [], path
            assert _menu(page)[-1] == "Sign out", path
            assert page.get_by_role("heading", name="Atlas", exact=True).is_visible()
            check(f"loaded {path}")

        assert {where: found for where, found in checked.items() if found} == {}
        # Nor did the server send one to this browser, in any message, on any page.
        assert _leaks(_sent(received)) == []
        assert page.external_requests == []
    finally:
        page.context.close()


# -- (b) the demo officer sees them, where they belong -----------------------------------------

def test_the_demo_officer_sees_the_contact_the_note_and_the_reason(browser, app_server, artifacts):
    page = local_page(browser, app_server)
    received = _watch_websocket(page)
    try:
        _sign_in(page, app_server, "officer", "officer-demo", "officer")
        menu = _menu(page)
        assert {"Asset register", "Site dossier", "Matches"} <= set(menu) and "Admin" not in menu

        # The register's edit form shows the asset's contact.
        _go(page, "Asset register")
        page.get_by_role("combobox", name="Asset", exact=True).click()
        page.keyboard.type("University of Birm")
        page.get_by_role("option", name=CONTACT_ASSET, exact=True).click()
        settle(page)
        contact = page.get_by_role("textbox", name=re.compile(r"^Contact \(confidential"))
        assert contact.input_value() == CONTACT
        assert CONTACT in page.content()  # in the HTML itself (the input's value attribute)
        full_page_shot(page, artifacts / "officer-register.png")

        # The site dossier: the note only with the switch on.
        _go(page, "Site dossier")
        page.get_by_role("combobox", name="Site").wait_for()
        assert page.get_by_role("combobox", name="Site").input_value() == NOTE_SITE
        assert NOTE not in _shown(page)
        before = len(received)
        assert NOTE.encode() not in _sent(received)
        page.get_by_text("Show confidential notes (officers only)").click()
        settle(page)
        # The notes are a table: its cells are drawn on a canvas and kept, for screen
        # readers, in a hidden table as well.
        page.get_by_role("gridcell", name=NOTE, exact=True, include_hidden=True).wait_for(state="attached")
        assert NOTE in _shown(page) and NOTE.encode() in _sent(received[before:])
        full_page_shot(page, artifacts / "officer-dossier-notes.png")

        # The matches page: the decision's reason only with its switch on.
        _go(page, "Matches")
        page.get_by_role("tab", name=re.compile(r"^Turned down \(1\)")).click()
        settle(page)
        assert REASON.encode() not in _sent(received)
        before = len(received)
        page.get_by_text("Show decision reasons (officers only)").click()
        settle(page)
        page.get_by_role("tab", name=re.compile(r"^Turned down \(1\)")).click()
        settle(page)
        assert REASON.encode() in _sent(received[before:])  # the table's data, sent to this officer
        full_page_shot(page, artifacts / "officer-matches-reasons.png")
        assert page.external_requests == []
    finally:
        page.context.close()


def test_the_demo_researcher_edits_the_register_without_seeing_a_contact(browser, app_server, artifacts):
    """The researcher is the role beside the line: the register, but no contacts in it."""
    page = local_page(browser, app_server)
    received = _watch_websocket(page)
    try:
        _sign_in(page, app_server, "researcher", "researcher-demo", "researcher")
        assert _menu(page) == ["Atlas map", "Site explorer", "Workshop", "Market report", "Asset register", "Sign out"]
        _go(page, "Asset register")
        page.get_by_role("combobox", name="Asset", exact=True).click()
        page.keyboard.type("University of Birm")
        page.get_by_role("option", name=CONTACT_ASSET, exact=True).click()
        settle(page)
        contact = page.get_by_role("textbox", name=re.compile(r"^Contact \(confidential"))
        assert contact.input_value() == ""
        assert contact.get_attribute("placeholder") == "kept as it is unless you type a new one"
        assert _leaks(_shown(page)) == []
        full_page_shot(page, artifacts / "researcher-register.png")
        for tab in ("Needs and offers", "Verify", "History", "Stale entries"):
            page.get_by_role("tab", name=tab).click()
            settle(page)
            assert _leaks(_shown(page)) == [], tab
        assert _leaks(_sent(received)) == []
        assert page.external_requests == []
    finally:
        page.context.close()


# -- (c) a visitor: no editing, no moderation, no way into a workshop without its code ----------

def test_a_visitor_gets_no_officer_page_and_no_editing_or_moderation_controls(app_page, app_server, artifacts):
    page = app_page
    received = _watch_websocket(page)
    open_settled(page, app_server)
    assert _menu(page) == ["Atlas map", "Site explorer", "Workshop", "Market report", "Sign in"]
    for path in OFFICER_PAGES:
        open_settled(page, app_server, path)
        # The page is not in this visitor's app at all: Streamlit says so and runs the atlas.
        page.get_by_text("Page not found").wait_for()
        assert page.get_by_role("heading", name="Atlas", exact=True).is_visible()
        assert _forbidden_buttons(page) == [], path
        officer_heading = re.compile(
            r"^(Asset register|Site dossier|Matches|Admin|Plan sketcher|Tenant finder|Where anchors)")
        assert page.get_by_role("heading", name=officer_heading).count() == 0
        assert _leaks(_shown(page)) == [], path
        full_page_shot(page, artifacts / f"visitor-{path}.png")
    assert _leaks(_sent(received)) == []
    assert page.external_requests == []


def test_a_visitor_on_the_workshop_page_gets_only_the_join_form(app_page, app_server, planted, artifacts):
    page = app_page

    def only_the_join_form() -> None:
        page.get_by_role("textbox", name="Workshop code").wait_for()
        assert _buttons(page).count("Join") == 1
        assert not [b for b in _buttons(page) if re.search(r"I agree|You agreed|Add my idea|Choose", b)]
        assert page.get_by_role("textbox", name="Your idea in a sentence").count() == 0
        assert page.locator(MAP_FRAME).count() == 0

    open_settled(page, app_server, "workshop")
    only_the_join_form()
    full_page_shot(page, artifacts / "visitor-workshop.png")

    # A plan's link without a code opens nothing either.
    open_settled(page, app_server, f"workshop?plan={planted.edgbaston_id}")
    only_the_join_form()

    # A wrong code is refused, with the reason.
    open_settled(page, app_server, "workshop?code=ZZZZZZ")
    page.get_by_text("That workshop code is not known").wait_for()
    only_the_join_form()
    full_page_shot(page, artifacts / "visitor-wrong-code.png")

    # The right code, typed into the form, opens its plan and that plan only.
    open_settled(page, app_server, "workshop")
    page.get_by_role("textbox", name="Workshop code").fill(planted.code.lower())
    page.get_by_role("button", name="Join").click()
    settle(page)
    page.get_by_role("heading", name=HOLY_TRINITY_TITLE).wait_for()
    assert page.get_by_role("button", name="Add my idea").is_visible()
    page.get_by_role("button", name="Choose another plan").click()
    settle(page)
    page.get_by_text("Choose the plan for this workshop.").wait_for()
    plans = [b for b in _buttons(page) if "Holy Trinity" in b or "Edgbaston" in b]
    assert len(plans) == 1 and HOLY_TRINITY_TITLE in plans[0]
    full_page_shot(page, artifacts / "joined-by-code.png")

    # A link with the code and another plan's number still opens only the code's plan.
    open_settled(page, app_server, f"workshop?code={planted.code}&plan={planted.edgbaston_id}")
    page.get_by_role("heading", name=HOLY_TRINITY_TITLE).wait_for()
    assert page.get_by_role("heading", name=EDGBASTON_TITLE).count() == 0
    assert page.external_requests == []


def test_a_workshop_participant_is_not_shown_their_device_token(app_page, app_server, planted, artifacts):
    page = app_page
    open_settled(page, app_server, "workshop")
    page.get_by_role("textbox", name="Workshop code").fill(planted.code)
    page.get_by_role("button", name="Join").click()
    settle(page)
    page.get_by_role("heading", name=HOLY_TRINITY_TITLE).wait_for()
    seen = page.inner_text("body")
    full_page_shot(page, artifacts / "participant-workshop.png")
    _go(page, "Sign out")  # the Sign in page, in the same session
    page.get_by_role("button", name="Sign out").wait_for()
    seen += page.inner_text("body")
    full_page_shot(page, artifacts / "participant-sign-in-page.png")
    assert "device:" not in seen and not re.search(r"\b[0-9a-f]{32}\b", seen)


def test_joining_from_the_link_updates_the_menu(app_page, app_server, planted):
    page = app_page
    open_settled(page, app_server, f"workshop?code={planted.code}")
    page.get_by_role("heading", name=HOLY_TRINITY_TITLE).wait_for()
    assert _menu(page)[-1] == "Sign out"


# -- the pages lock themselves, past the menu; forged writes are refused (in-process) ---------

@pytest.fixture
def app_on_planted(planted, tmp_path, monkeypatch):
    """This process's app on a copy of the planted store (the server keeps its own)."""
    path = tmp_path / "atlas.duckdb"
    path.write_bytes(planted.db_path.read_bytes())
    monkeypatch.setenv("ATLAS_DB", str(path))
    monkeypatch.setenv("ATLAS_DEMO", "0")
    state.close_all()
    yield path
    state.close_all()


PAGE_PERMISSION = {"asset_register": "EDIT_REGISTER", "site_dossier": "PLAN", "matches": "PLAN",
                   "admin": "ADMINISTER", "plan_sketcher": "PLAN", "tenant_finder": "FIND_TENANTS"}


@pytest.mark.parametrize("page,role", [
    (page, role) for page, permission in PAGE_PERMISSION.items()
    for role in ("resident", "researcher", "developer", "officer")
    if not as_role(role).can(Permission[permission])
])
def test_an_officer_page_run_past_the_menu_locks_itself(app_on_planted, page, role):
    """Each page checks the viewer itself, should the menu ever list it for the wrong
    role. (Run on its own, past ``streamlit_app.py``'s menu; a visitor's lock message links
    to the Sign in page, which needs the menu, so the visitor is the browser tests'.)"""
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=90)
    at.session_state[SESSION_VIEWER] = as_role(role, f"Test {role}")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    locks = [w.value for w in at.warning]
    assert len(locks) == 1 and f"As a {role} you cannot" in locks[0], locks
    assert [b.label for b in at.button if FORBIDDEN_BUTTONS.match(b.label or "")] == []
    assert len(at.text_input) == len(at.text_area) == len(at.toggle) == len(at.selectbox) == 0


def _forged_write(permission: str, plan_id: int) -> None:
    """A page's action, forged: an idea written through ``session.writing``."""
    import streamlit as st

    from app import session
    from atlas.access import Permission
    from atlas.errors import NotAllowed
    from cedplans import repository

    try:
        with session.writing(Permission[permission], plan_id=plan_id) as store:
            plan = repository.get_plan(store, plan_id)
            repository.add_idea(store, plan_id, "FORGED idea", zone_id=plan.zones[0].id)
        st.session_state["outcome"] = "written"
    except NotAllowed as exc:
        st.session_state["outcome"] = f"refused: {exc}"


@pytest.mark.parametrize("who,permission,target,refusal", [
    (None, "TAKE_PART", "edgbaston", "Sign in to pin ideas and vote"),
    (None, "EDIT_REGISTER", "edgbaston", "Sign in to add, edit and verify"),
    ("code", "TAKE_PART", "edgbaston", "Your workshop code is for plan"),
    ("resident", "MODERATE", "edgbaston", "As a resident you cannot moderate"),
    ("code", "TAKE_PART", "holy_trinity", None),  # the code's own plan: allowed
])
def test_a_forged_write_is_refused_before_the_store_is_touched(app_on_planted, planted, who, permission, target,
                                                               refusal):
    plan_id = planted.edgbaston_id if target == "edgbaston" else planted.holy_trinity_id
    viewers = {None: None, "resident": as_role(Role.RESIDENT, "Rosa"),
               "code": Viewer(name="device:" + "a" * 32, role=Role.RESIDENT, plan_id=planted.holy_trinity_id)}
    at = AppTest.from_function(_forged_write, args=(permission, plan_id), default_timeout=60)
    if viewers[who] is not None:
        at.session_state[SESSION_VIEWER] = viewers[who]
    handle = state.open_app_store(state.store_target(), load_demo=False)  # the store the app holds
    revision = handle.revision
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    with handle.lock:
        written = handle.store.con.execute("SELECT count(*) FROM plan_ideas WHERE text = 'FORGED idea'").fetchone()[0]
    if refusal is None:
        assert at.session_state["outcome"] == "written" and written == 1
    else:
        assert at.session_state["outcome"].startswith(f"refused: {refusal}")
        assert written == 0 and handle.revision == revision  # the store was never opened to write


# -- the participant's cookie (one vote per idea, over a reload) -------------------------------

def _join_in_process(planted: Planted, *, link: bool) -> AppTest:
    """The workshop page (through the app's menu, as a visitor), joined with the code from
    the link (``?code=``) or typed into the form."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    if link:
        at.query_params["code"] = planted.code
    at.switch_page("app/pages/workshop.py")
    at.run()
    if not link:
        at.text_input(key="ws.code").input(planted.code)
        next(b for b in at.button if b.label == "Join").click()
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state[SESSION_VIEWER].plan_id == planted.holy_trinity_id
    return at


def _cookie_scripts(at: AppTest) -> list[str]:
    """The scripts on the page that store the participant's token in the browser's cookie."""
    return [str(h.proto) for h in at.get("html") if "document.cookie" in str(h.proto)]


def test_joining_from_the_link_stores_the_participant_token_in_a_cookie(app_on_planted, planted):
    at = _join_in_process(planted, link=True)
    token = at.session_state["participant.token"]
    assert [s for s in _cookie_scripts(at) if f"atlas_participant={token}" in s]


def test_joining_with_the_typed_code_stores_the_participant_token_in_a_cookie(app_on_planted, planted):
    at = _join_in_process(planted, link=False)
    token = at.session_state["participant.token"]
    shown = _cookie_scripts(at)
    at.run()  # ... or on any later run of the page
    shown += _cookie_scripts(at)
    assert [s for s in shown if f"atlas_participant={token}" in s]
