"""Fixtures for tests that drive the real app in headless Chromium.

``app_server`` starts ``streamlit run streamlit_app.py`` on a free port with its own copy
of the demo store (one server per test module); ``app_page`` is a fresh Playwright page
that refuses every request not to that server, so a test fails if the app reaches for a
CDN. ``artifacts`` is a folder under ``test-artifacts/`` for screenshots.

Chromium is the system's (``/usr/bin/chromium``); Playwright never downloads a browser.
Where it is missing these tests skip, except when ``CI`` is set: then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_TIMEOUT_S = 60
MAP_FRAME = 'iframe[src*="streamlit_folium"]'
"""The app's maps (streamlit-folium's frames), found by where they load from: each map
names its own frame (the page's words for it), so the title is no handle."""


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests must run: apt-get install -y chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing_browser(f"Chromium not found at {CHROMIUM}; install it with: apt-get install -y chromium")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing_browser("the playwright Python package is not installed (pip install -e '.[test]')")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A running app: its base URL, the store it uses and its process."""

    url: str
    db_path: Path
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def page_url(self, page: str = "") -> str:
        """URL of a page by its url path (``site_explorer``), or the default page."""
        return f"{self.url}/{page}"


def start_app(db_path: Path, log_path: Path, *, extra_env: dict[str, str] | None = None) -> AppServer:
    """Start the app on a free port and wait until it answers its health check."""
    port = free_port()
    env = {**os.environ, "ATLAS_DB": str(db_path), **(extra_env or {})}
    env.pop("CI", None)  # the app behaves the same in CI; keep streamlit from changing mode
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.enableStaticServing", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = AppServer(f"http://127.0.0.1:{port}", db_path, process, log_path, env)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited ({process.returncode}):\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_app(server)
    raise RuntimeError(f"the app did not start within {SERVER_START_TIMEOUT_S} s:\n{server.log()}")


def stop_app(server: AppServer) -> None:
    """Stop the server we started (its own process group, by id)."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=15)


@pytest.fixture(scope="module")
def app_server(chromium_path: Path, _demo_store_file: Path, tmp_path_factory) -> Iterator[AppServer]:
    """The app running on the demo store (a copy of its own, for this test module)."""
    folder = tmp_path_factory.mktemp("app")
    db_path = folder / "atlas.duckdb"
    shutil.copy(_demo_store_file, db_path)
    server = start_app(db_path, folder / "streamlit.log")
    yield server
    stop_app(server)


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def local_page(browser, server: AppServer, *, width: int = 1400, height: int = 1000):
    """A page in a browser context of its own (its own cookies: another person's
    browser) that may talk to ``server`` only. Requests elsewhere are refused and listed
    in ``page.external_requests``. Close it with ``page.context.close()``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    external: list[str] = []
    local = re.compile(rf"^(https?|wss?)://127\.0\.0\.1:{server.url.rsplit(':', 1)[1]}/")

    def guard(route) -> None:
        url = route.request.url
        if local.match(url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.external_requests = external  # type: ignore[attr-defined]
    page.set_default_timeout(45_000)
    return page


def sign_in(page, server: AppServer, username: str, password: str | None = None) -> None:
    """Sign in through the Sign in page's form, as a person would (a demo account's
    password by default). The sign-in outlives reloads and typed links (a cookie)."""
    from atlas.demo import DEMO_ACCOUNTS

    open_app(page, server, "sign_in")
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password or DEMO_ACCOUNTS[username][1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    wait_idle(page)


@pytest.fixture
def officer_page(app_page, app_server: AppServer):
    """:func:`app_page` signed in as the demo officer."""
    sign_in(app_page, app_server, "officer")
    return app_page


@pytest.fixture
def app_page(browser, app_server: AppServer, request):
    """A fresh page (1400x1000) that may talk to the app only (see :func:`local_page`)."""
    page = local_page(browser, app_server)
    context = page.context
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # What the browser showed when the test failed, for whoever reads the CI log.
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "failure.png"), full_page=True)
        (folder / "streamlit.log").write_text(app_server.log())
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item, so fixtures can tell a failed test.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def artifacts(request) -> Path:
    """``test-artifacts/<test name>/``, emptied first: screenshots go here."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def open_app(page, server: AppServer, path: str = "") -> None:
    """Open a page of the app and wait until the script has finished running."""
    page.goto(server.page_url(path))
    wait_idle(page)


IDLE_JS = """() => { const app = document.querySelector('[data-testid="stApp"]');
                     const status = document.querySelector('[data-testid="stStatusWidget"]');
                     return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
                            && !(status && status.innerText.match(/Running|Connecting/)); }"""


def wait_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished its run. Streamlit 1.67 shows no "Running" status
    widget here, so the app element's ``data-test-script-state`` is what says so."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


SLOW_MS = 90_000
"""A generous wait: other heavy jobs may share this machine's two cores."""

SETTLED_JS = """() => { const app = document.querySelector('[data-testid="stApp"]');
                        return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
                               && !document.querySelector('[data-testid="stSkeleton"]'); }"""


def settle(page, timeout_ms: int = SLOW_MS) -> None:
    """Wait until Streamlit has finished its run and drawn every element, twice a moment
    apart, so a rerun that starts just after a click is waited for too."""
    wait_idle(page, timeout_ms)
    for _ in range(2):
        page.wait_for_function(SETTLED_JS, timeout=timeout_ms)
        page.wait_for_timeout(250)
    page.wait_for_function(SETTLED_JS, timeout=timeout_ms)


def open_settled(page, server: AppServer, path: str = "") -> None:
    """Load ``path`` (a new session) and wait until its first run has settled."""
    page.goto(server.page_url(path))
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           ".getAttribute('data-test-script-state') !== 'initial'", timeout=SLOW_MS)
    settle(page)


def map_frame(page, index: int = 0, timeout_ms: int = 45_000):
    """The Leaflet map's frame, once its map exists (streamlit-folium sets ``window.map``
    after the map script ran). The frames are looked up afresh while waiting, because a
    rerun may replace a map's frame with a new one."""
    page.wait_for_function(
        """([sel, i]) => { const f = document.querySelectorAll(sel)[i];
                           return !!(f && f.contentWindow && f.contentWindow.map && f.contentWindow.L
                                     && f.contentDocument.querySelector('.leaflet-container')); }""",
        arg=[MAP_FRAME, index], timeout=timeout_ms,
    )
    return page.locator(MAP_FRAME).nth(index).element_handle().content_frame()


def full_page_shot(page, path) -> None:
    """A screenshot of the whole page. Streamlit scrolls its main block, not the document,
    so a full-page screenshot would stop at the window: the window is made as tall as the
    page for the picture (tables below the fold are drawn once in view), then put back."""
    size = page.viewport_size
    height_js = "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
    try:
        for _ in range(4):
            height = min(int(page.evaluate(height_js)), 9_000)
            if height <= page.viewport_size["height"]:
                break
            page.set_viewport_size({"width": size["width"], "height": height})
            settle(page)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


@dataclass(frozen=True)
class WorkshopApp:
    """The app on a copy of the demo store in which one plan's workshop is open."""

    server: AppServer
    plan_id: int
    code: str


@contextmanager
def app_with_open_workshop(demo_store_file: Path, folder: Path, plan_word: str) -> Iterator[WorkshopApp]:
    """Start the app on a copy of the demo store (in ``folder``) after opening a workshop
    code on the plan whose title holds ``plan_word``; stopped when the block ends."""
    from atlas.store import open_store
    from cedplans import repository, workshops

    db_path = folder / "atlas.duckdb"
    shutil.copy(demo_store_file, db_path)
    with open_store(db_path) as store:
        plan_id = next(p.id for p in repository.list_plans(store) if plan_word in p.title)
        code = workshops.open_workshop(store, plan_id, by="browser test", hours=8).code
    server = start_app(db_path, folder / "streamlit.log", extra_env={"ATLAS_DEMO": "0"})
    try:
        yield WorkshopApp(server, plan_id, code)
    finally:
        stop_app(server)
