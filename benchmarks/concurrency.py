"""Many programs on one PostGIS store at once: does anything get lost, and how long does
an idea take to post?

    python benchmarks/concurrency.py                      # 50 participants for 120 s, a 200k-asset import
    python benchmarks/concurrency.py --seconds 30 --import-assets 20k     # quicker
    python benchmarks/concurrency.py --server-url postgresql://me@host/postgres
    python benchmarks/concurrency.py --demo-by apps      # the two app processes load the demo, at once

On PostGIS the command line, imports and any number of app processes share one store
(issue 11). This script puts that to work on one database, all at the same time:

* **two app processes**: ``streamlit run streamlit_app.py`` on two ports with
  ``ATLAS_DB`` set to the database's URL, each driven by headless Chromium (the system's
  ``/usr/bin/chromium``; Playwright never downloads one) that joins the workshop through
  its ``?code=`` link and posts ``--browser-ideas`` ideas through the real workshop form
  (a zone chosen, a sentence typed, "Add my idea" pressed), spread over the run, and
  between them loads the Atlas map and the workshop page again;
* **an import**: ``atlas import`` of a generated GeoPackage of ``--import-assets``
  organisations (points in British National Grid, the generator of
  ``benchmarks/import.py``) into the same database, started with the participants;
* **the command line**: ``atlas info``, ``atlas search`` and ``atlas nearby`` run in turn,
  over and over, for the whole run;
* **``--participants`` workshop participants** (50) spread over ``--workers`` processes
  (5). Each process holds one store connection, shared by its participants' threads under
  a lock, as an app process shares its store among its sessions (``app/state.py``). Each
  participant joins with the workshop's code (``cedplans.workshops.join``, a device token
  of its own, so a resident on that plan alone) and then, until ``--seconds`` are up,
  pauses (exponentially, ``--pause-s`` on average: a busy room at many times a real one's
  pace), reads what the workshop page reads on each run (the plan, its ideas, the ideas
  this device voted for) and does what a person there does: adds an idea (pinned to a
  zone or to a point in one, 30 %), taps "I agree" again for an idea it voted for (10 %;
  the store must refuse it), taps a new vote twice at once through two connections (5 %),
  as two tabs on two app processes would (exactly one of the two may count), or votes
  for an idea it has not voted for (the rest). Writes go through ``Viewer.require`` and ``audit.acting``, as the
  page's ``session.writing`` does.

Only what a participant was told succeeded counts as posted. Afterwards the script reads
the store and counts what is missing (``lost``: every idea by id and text, every vote by
idea and device), duplicate votes, the import's rows (all of them must be there), and
checks that both app processes still answer. Then it checks the app's caches across
processes: a fresh workshop page on each app process must show the ideas the other's
browser posted; and after a one-row ``atlas import`` from the command line, the Atlas map
of app process A (already drawn once, so its caches are warm) must count the new asset
in its list and in its map, and find it by name. The app keys its cached queries on
``store.changes()``, a count the PostGIS engine keeps with triggers.

With ``--demo-by apps`` the demo is not loaded beforehand: two browsers open the two app
processes on the empty database at the same moment, each app finds it empty and loads the
demo unless the other holds it, and the script checks it is there once.

Times are wall clock: an idea post and a vote are the domain call (waiting for the
process's lock included), as a person waits after pressing the button, before the page
is drawn again; p50 and p95 over every successful call. Nothing here asserts a time; the
table is printed whatever happens, failures and all. The PostgreSQL server is the one
``--server-url`` names (an account that may create databases) or a throwaway one started
with ``.ci/postgis``, told to log every lock wait over a second; the database, the app
processes, the browsers and a server it started are stopped and removed at the end, also
after a failure. The app processes', the import's and that server's logs are kept in
``benchmarks/out/concurrency-RUN/``, and the lock waits and deadlocks in the server's log
are counted in the report. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import multiprocessing as mp
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make ``benchmarks``, ``atlas`` and ``tests`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks._common import fmt_ms, machine_load, parse_sizes, table  # noqa: E402

ATLAS = str(Path(sys.executable).with_name("atlas"))
POSTGIS_SCRIPT = ROOT / ".ci" / "postgis"
IDEA_SHARE = 0.30
"""Of a participant's actions, the share that add an idea; the rest vote."""
REPEAT_SHARE = 0.10
"""Of the actions, the share that tap "I agree" again for an idea already voted for."""
DOUBLE_TAP_SHARE = 0.05
"""Of the actions, the share that vote twice at once through two connections."""
PAGE_TIMEOUT_MS = 180_000
"""A generous wait for a page: the app shares two cores with everything else here."""
IMPORT_TIMEOUT_S = 1800
APPS = ("A", "B")
ATLAS_MAP = ""
"""The Atlas map's address: the app's default page, at its root (``/atlas_map`` is not a page)."""
"""The two app processes, by the letter the report calls them."""
CLI_TIMEOUT_S = 300
AGREED = re.compile(r"(\d[\d,]*) assets match the filters")
IN_VIEW = re.compile(r"(\d[\d,]*) assets in this view|Showing (\d[\d,]*) assets")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the PostgreSQL server and the database --------------------------------------------------

@dataclass
class Server:
    """A PostgreSQL server with PostGIS, reached by a URL whose account may create databases."""

    url: str
    started_dir: str | None = None
    """The folder of a throwaway server this script started (and stops), else None."""

    def url_of(self, database: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{database}"))

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(sql)


def start_server() -> Server:
    """A throwaway cluster from ``.ci/postgis start`` (which prints its exports)."""
    out = subprocess.run([str(POSTGIS_SCRIPT), "start"], cwd=ROOT, capture_output=True, text=True, check=False)
    exports = dict(re.findall(r"^export (\w+)=(.*)$", out.stdout, flags=re.M))
    if out.returncode != 0 or "ATLAS_TEST_POSTGRES" not in exports:
        raise SystemExit(f"Could not start a PostGIS server with {POSTGIS_SCRIPT} start:\n{out.stderr}")
    return Server(exports["ATLAS_TEST_POSTGRES"], started_dir=exports["ATLAS_PG_DIR"])


def stop_server(server: Server) -> None:
    if server.started_dir:
        subprocess.run([str(POSTGIS_SCRIPT), "stop", server.started_dir], cwd=ROOT, capture_output=True, check=False)


# -- the workshop every participant joins ----------------------------------------------------

@dataclass(frozen=True)
class Workshop:
    url: str
    code: str
    plan_id: int
    plan_title: str
    zones: dict[int, bytes]
    """Zone id -> the zone's WGS84 geometry as WKB (picklable, for the worker processes)."""
    site_ref: str
    """A site for ``atlas nearby``."""


def open_the_workshop(url: str) -> Workshop:
    from atlas.store import open_store
    from cedplans import repository, workshops
    from cedplans.demo import EDGBASTON_TITLE

    with open_store(url) as store:
        plan = next(p for p in repository.list_plans(store) if p.title == EDGBASTON_TITLE)
        zones = {z.id: z.geom.wkb for z in repository.get_plan(store, plan.id).zones if z.id is not None}
        code = workshops.open_workshop(store, plan.id, by="Concurrency benchmark facilitator", hours=2).code
        feature = store.con.execute("SELECT min(id) FROM features").fetchone()[0]
    return Workshop(url, code, plan.id, plan.title, zones, f"feature:{feature}")


# -- simulated participants ---------------------------------------------------------------------

@dataclass
class Outcome:
    """What one participant was told, and how long each write took."""

    number: int
    author: str
    voter: str = ""
    ideas: list[tuple[int, str]] = field(default_factory=list)
    """(idea id, text) of every idea the store said it added."""
    votes: list[int] = field(default_factory=list)
    """Ideas the store said it counted this device's vote for."""
    idea_s: list[float] = field(default_factory=list)
    vote_s: list[float] = field(default_factory=list)
    idea_at: list[float] = field(default_factory=list)
    vote_at: list[float] = field(default_factory=list)
    """When each timed write started (``time.time()``), to tell those made while the import ran."""
    repeats: int = 0
    repeats_refused: int = 0
    double_taps: int = 0
    double_taps_one_counted: int = 0
    page_reads_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    """Tracebacks of anything that was neither a success nor one of the atlas's own refusals."""


class Phone:
    """One participant: joins, then acts until the deadline, on its process's connection."""

    def __init__(self, number: int, run_id: str, ws: Workshop, store, lock: threading.Lock,
                 other_store, other_lock: threading.Lock, pause_s: float, seed: int) -> None:
        import shapely

        self.out = Outcome(number, author=f"Participant {number:02d} (run {run_id})")
        self.ws = ws
        self.store, self.lock = store, lock
        self.other_store, self.other_lock = other_store, other_lock
        self.pause_s = pause_s
        self.rng = random.Random(seed * 1000 + number)
        self.zones = {zid: shapely.from_wkb(wkb) for zid, wkb in ws.zones.items()}

    def call(self, fn: Callable, *args, other: bool = False, **kwargs):
        from atlas import audit

        store, lock = (self.other_store, self.other_lock) if other else (self.store, self.lock)
        with lock, audit.acting(self.viewer):
            return fn(store, *args, **kwargs)

    def join(self) -> None:
        from atlas.access import Role
        from cedplans import workshops

        self.out.voter = f"device:{uuid.uuid4().hex}"
        with self.lock:
            self.viewer = workshops.join(self.store, self.ws.code, participant=self.out.voter)
        assert (self.viewer.role, self.viewer.plan_id) == (Role.RESIDENT, self.ws.plan_id), self.viewer

    def take_part(self, deadline: float) -> None:
        from atlas.access import Permission

        while True:
            time.sleep(self.rng.expovariate(1 / self.pause_s) if self.pause_s > 0 else 0)
            if time.time() >= deadline:
                return
            try:
                self.viewer.require(Permission.TAKE_PART, plan_id=self.ws.plan_id)
                ideas, voted = self.page_run()
                choice = self.rng.random()
                not_voted = [i for i in ideas if i not in voted]
                if choice < IDEA_SHARE or not not_voted:
                    self.add_idea()
                elif choice < IDEA_SHARE + REPEAT_SHARE and voted:
                    self.vote_again(self.rng.choice(sorted(voted)))
                elif choice < IDEA_SHARE + REPEAT_SHARE + DOUBLE_TAP_SHARE:
                    self.double_tap(self.rng.choice(not_voted))
                else:
                    self.vote(self.rng.choice(not_voted))
            except Exception:  # noqa: BLE001 - every surprise is reported with its traceback
                self.out.failures.append(traceback.format_exc())

    def page_run(self) -> tuple[list[int], set[int]]:
        """What the workshop page reads on each run: the plan, its ideas, this device's votes."""
        from cedplans import repository

        started = time.perf_counter()
        self.call(repository.get_plan, self.ws.plan_id)
        ideas = [i.id for i in self.call(repository.list_ideas, self.ws.plan_id)]
        voted = self.call(repository.voted_ideas, self.ws.plan_id, self.out.voter)
        self.out.page_reads_s.append(time.perf_counter() - started)
        return ideas, voted

    def add_idea(self) -> None:
        import shapely

        from atlas.errors import AtlasError
        from cedplans import repository

        zone_id = self.rng.choice(sorted(self.zones))
        text = f"{self.out.author}: idea {len(self.out.ideas) + 1}, a bench by the path {self.rng.randrange(999)}"
        point = None
        if self.rng.random() < 0.5:  # pinned on the map, inside the zone, rather than the zone chosen
            zone = self.zones[zone_id]
            x0, y0, x1, y1 = zone.bounds
            for _ in range(50):
                candidate = shapely.Point(self.rng.uniform(x0, x1), self.rng.uniform(y0, y1))
                if zone.covers(candidate):
                    point = candidate
                    break
        at, started = time.time(), time.perf_counter()
        try:
            idea = self.call(repository.add_idea, self.ws.plan_id, text, category="idea", author=self.out.author,
                             point=point, zone_id=None if point is not None else zone_id)
        except AtlasError:
            self.out.failures.append(traceback.format_exc())
            return
        self.out.idea_s.append(time.perf_counter() - started)
        self.out.idea_at.append(at)
        self.out.ideas.append((idea.id, text))

    def vote(self, idea_id: int) -> None:
        from atlas.errors import AtlasError
        from cedplans import repository

        at, started = time.time(), time.perf_counter()
        try:
            self.call(repository.vote, idea_id, voter=self.out.voter)
        except AtlasError:
            self.out.failures.append(traceback.format_exc())
            return
        self.out.vote_s.append(time.perf_counter() - started)
        self.out.vote_at.append(at)
        self.out.votes.append(idea_id)

    def vote_again(self, idea_id: int) -> None:
        from atlas.errors import InvalidInput
        from cedplans import repository

        self.out.repeats += 1
        try:
            self.call(repository.vote, idea_id, voter=self.out.voter)
        except InvalidInput as exc:
            if "already voted" in str(exc):
                self.out.repeats_refused += 1
                return
            raise
        self.out.failures.append(f"a repeat vote for idea {idea_id} was counted")

    def double_tap(self, idea_id: int) -> None:
        """Two taps on "I agree" for one idea at the same moment, through two connections."""
        from atlas.errors import InvalidInput
        from cedplans import repository

        self.out.double_taps += 1
        results: list[object] = [None, None]
        gate = threading.Barrier(2)
        at = time.time()

        def tap(k: int) -> None:
            gate.wait()
            started = time.perf_counter()
            try:
                self.call(repository.vote, idea_id, voter=self.out.voter, other=k == 1)
                results[k] = time.perf_counter() - started
            except InvalidInput as exc:
                results[k] = exc
            except Exception:  # noqa: BLE001 - reported below
                results[k] = traceback.format_exc()

        taps = [threading.Thread(target=tap, args=(k,)) for k in (0, 1)]
        for t in taps:
            t.start()
        for t in taps:
            t.join()
        counted = [r for r in results if isinstance(r, float)]
        for r in results:
            if isinstance(r, str):
                self.out.failures.append(f"double tap on idea {idea_id}:\n{r}")
        if len(counted) == 1:
            self.out.double_taps_one_counted += 1
            self.out.vote_s.append(counted[0])
            self.out.vote_at.append(at)
            self.out.votes.append(idea_id)
        elif len(counted) == 2:
            self.out.failures.append(f"double tap on idea {idea_id}: both votes were counted")
            self.out.votes.append(idea_id)
        elif not any(isinstance(r, str) for r in results):
            self.out.failures.append(f"double tap on idea {idea_id}: neither vote was counted ({results})")


def participants_worker(numbers: list[int], run_id: str, ws: Workshop, pause_s: float, seed: int,
                        ready: mp.Queue, go, deadline, results: mp.Queue) -> None:
    """One process: one store connection (and a second, for the double taps) shared by
    its participants' threads, as an app process shares its store among its sessions."""
    from atlas.store import open_store

    outcomes: list[Outcome] = []
    try:
        store, other = open_store(ws.url), open_store(ws.url)
        lock, other_lock = threading.Lock(), threading.Lock()
        phones = [Phone(n, run_id, ws, store, lock, other, other_lock, pause_s, seed) for n in numbers]
        for p in phones:
            p.join()
        outcomes = [p.out for p in phones]
        ready.put(("ready", os.getpid()))
        go.wait()
        threads = [threading.Thread(target=p.take_part, args=(deadline.value,)) for p in phones]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        store.close()
        other.close()
    except Exception:  # noqa: BLE001 - handed back to the main process with the traceback
        ready.put(("failed", traceback.format_exc()))
        outcomes = outcomes or [Outcome(numbers[0], "worker", failures=[traceback.format_exc()])]
    results.put(("participants", outcomes))


# -- the browsers on the app processes ------------------------------------------------------------

@dataclass
class BrowserOutcome:
    app: str
    ideas: list[str] = field(default_factory=list)
    idea_s: list[float] = field(default_factory=list)
    loads: list[tuple[str, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    """Errors the app showed on a page (Streamlit's exception box)."""
    assets_before: int | None = None


def _chromium():
    from playwright.sync_api import sync_playwright

    from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS

    p = sync_playwright().start()
    browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    return p, browser


def _close_chromium(pw, browser) -> None:
    """Close what :func:`_chromium` opened, as far as it got."""
    with contextlib.suppress(Exception):
        if browser is not None:
            browser.close()
    with contextlib.suppress(Exception):
        if pw is not None:
            pw.stop()


def _load(page, app, path: str, out: BrowserOutcome | None = None, errors: list[str] | None = None) -> float:
    """Open ``path`` (a new session) and wait until it has settled; the seconds it took.
    An error the app shows on the page goes to ``out.page_errors`` (or ``errors``)."""
    from tests.browser_fixtures import open_settled

    started = time.perf_counter()
    open_settled(page, app, path)
    took = time.perf_counter() - started
    shown = [e.inner_text()[:1500] for e in page.locator('[data-testid="stException"]').all()]
    if out is not None:
        out.loads.append((path.split("?")[0] or "atlas_map", took))
        errors = out.page_errors
    if errors is not None:
        errors += [f"app at {app.url}, page /{path}:\n{text}" for text in shown]
    return took


def post_idea_in_browser(page, text: str, author: str) -> float:
    """Choose the first zone, type the idea and a name, press "Add my idea"; the seconds
    until the page thanks the person."""
    from tests.browser_fixtures import settle

    page.get_by_role("combobox", name="Zone").click()
    page.get_by_role("option").first.click()
    settle(page, PAGE_TIMEOUT_MS)  # choosing a zone reruns the page: type into the page it draws
    page.get_by_role("textbox", name="Your idea in a sentence").fill(text)
    page.get_by_role("textbox", name=re.compile(r"^Your name")).fill(author)
    started = time.perf_counter()
    page.get_by_role("button", name="Add my idea").click()
    thanks = page.get_by_text("Thank you! Your idea is on the wall.")
    try:
        thanks.wait_for(timeout=PAGE_TIMEOUT_MS)
    except Exception as exc:
        boxes = page.locator('[data-testid="stAlert"], [data-testid="stException"]').all()
        said = [e.inner_text()[:500] for e in boxes]
        raise RuntimeError(f"no thanks for the idea {text!r}; the page says: {said}") from exc
    took = time.perf_counter() - started
    settle(page, PAGE_TIMEOUT_MS)
    return took


def atlas_counts(page) -> tuple[int | None, int | None]:
    """(assets matching the filters in the list, assets the map says are in view) as the
    Atlas map page shows them."""
    body = page.inner_text("body")
    listed = AGREED.search(body)
    in_view = IN_VIEW.search(body)
    return (_number(listed.group(1)) if listed else None,
            _number(next((g for g in in_view.groups() if g), None)) if in_view else None)


def _number(text: str | None) -> int | None:
    return int(text.replace(",", "")) if text else None


def browser_worker(app_url: str, label: str, ws: Workshop, run_id: str, n_ideas: int, ready: mp.Queue, go,
                   deadline, started_at, results: mp.Queue) -> None:
    """Headless Chromium on one app process: joins the workshop by its link, then posts
    ``n_ideas`` ideas spread over the run, loading the Atlas map and the workshop page
    between them."""
    from tests.browser_fixtures import AppServer, local_page

    out = BrowserOutcome(app=label)
    app = AppServer(app_url, Path("."), None, Path("/dev/null"))  # type: ignore[arg-type]
    pw = browser = None
    try:
        pw, browser = _chromium()
        page = local_page(browser, app)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        _load(page, app, ATLAS_MAP, out)
        out.assets_before = atlas_counts(page)[0]
        _load(page, app, f"workshop?code={ws.code}", out)
        ready.put(("ready", os.getpid()))
        go.wait()
        seconds = deadline.value - started_at.value
        due = [started_at.value + (k + 0.5) * seconds / max(n_ideas, 1) for k in range(n_ideas)]
        # Every idea is posted, the last ones after the deadline if slow pages made them late.
        while time.time() < deadline.value or due:
            try:
                last_load_s = out.loads[-1][1] if out.loads else 0.0
                if due and time.time() < due[0] <= time.time() + last_load_s:
                    time.sleep(due[0] - time.time())  # no page load now: it would make the idea late
                if due and time.time() >= due[0]:
                    due.pop(0)
                    if "workshop" not in page.url:
                        _load(page, app, f"workshop?code={ws.code}", out)
                    text = f"Browser on app {label} (run {run_id}): idea {len(out.ideas) + 1}, a water fountain"
                    out.idea_s.append(post_idea_in_browser(page, text, f"Browser {label} (run {run_id})"))
                    out.ideas.append(text)
                else:
                    _load(page, app, ATLAS_MAP if len(out.loads) % 2 else f"workshop?code={ws.code}", out)
            except Exception:  # noqa: BLE001 - reported with the traceback, and the run goes on
                out.failures.append(traceback.format_exc())
                with contextlib.suppress(Exception):
                    page.context.close()
                page = local_page(browser, app)
                page.set_default_timeout(PAGE_TIMEOUT_MS)
    except Exception:  # noqa: BLE001
        out.failures.append(traceback.format_exc())
        ready.put(("failed", traceback.format_exc()))
    finally:
        _close_chromium(pw, browser)
    results.put(("browser", out))


# -- the command line, and the import ---------------------------------------------------------------

@dataclass
class CliOutcome:
    runs: list[tuple[str, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def cli_loop(ws: Workshop, deadline: float, out: CliOutcome) -> None:
    """``atlas info``, ``atlas search`` and ``atlas nearby`` in turn until the deadline."""
    commands = [("info", [ATLAS, "info", "--db", ws.url]),
                ("search", [ATLAS, "search", "park", "--db", ws.url]),
                ("nearby", [ATLAS, "nearby", ws.site_ref, "--radius", "800", "--db", ws.url, "--format", "json"])]
    k = 0
    while time.time() < deadline:
        name, argv = commands[k % len(commands)]
        k += 1
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CLI_TIMEOUT_S, check=False)
        took = time.perf_counter() - started
        if done.returncode == 0:
            out.runs.append((name, took))
        else:
            out.failures.append(f"atlas {name} exited {done.returncode}:\n{done.stderr[-3000:]}")


def make_import_file(folder: Path, n: int, seed: int) -> Path:
    """A GeoPackage of ``n`` organisations, as ``benchmarks/import.py`` makes them."""
    generator = importlib.import_module("benchmarks.import")  # ``import`` is a keyword: no ``from`` form
    return generator.make_points_gpkg(folder / f"organisations-{n}.gpkg", n, seed=seed)


# -- managed processes ----------------------------------------------------------------------------------

class Processes:
    """Everything this run starts, stopped at the end by its own id, whatever happens."""

    def __init__(self) -> None:
        self.apps: list = []
        self.children: list[BaseProcess] = []
        self.popens: list[subprocess.Popen] = []

    def stop(self) -> None:
        from tests.browser_fixtures import stop_app

        for p in self.popens:
            if p.poll() is None:
                p.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=20)
                if p.poll() is None:
                    p.kill()
        for c in self.children:
            c.join(timeout=5)
            if c.is_alive():
                c.terminate()
                c.join(timeout=10)
            if c.is_alive():
                c.kill()
        for app in self.apps:
            with contextlib.suppress(Exception):
                stop_app(app)


@contextlib.contextmanager
def throwaway_database(server: Server, run_id: str) -> Iterator[str]:
    name = f"atlas_concurrency_{run_id}"
    server.admin(f"CREATE DATABASE {name}")
    try:
        yield server.url_of(name)
    finally:
        with contextlib.suppress(Exception):
            server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def healthy(app) -> bool:
    try:
        with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=10) as r:
            return r.status == 200
    except OSError:
        return False


def pct(samples_s: list[float], *, unit: str = "ms") -> str:
    """p50 / p95 of times in seconds, shown in ``unit`` (ms or s)."""
    if not samples_s:
        return "n/a"
    if unit == "s":
        return f"{np.percentile(samples_s, 50):.1f} / {np.percentile(samples_s, 95):.1f}"
    ms = np.array(samples_s) * 1000
    return f"{fmt_ms(float(np.percentile(ms, 50)))} / {fmt_ms(float(np.percentile(ms, 95)))}"


# -- the run ---------------------------------------------------------------------------------------------

@dataclass
class Report:
    ws: Workshop | None = None
    participants: list[Outcome] = field(default_factory=list)
    browsers: list[BrowserOutcome] = field(default_factory=list)
    cli: CliOutcome = field(default_factory=CliOutcome)
    seconds: float = 0.0
    """From the start until the last participant stopped."""
    browsers_s: float = 0.0
    """From the start until both browsers had finished what they were doing at the end."""
    import_window: tuple[float, float] | None = None
    """When ``atlas import`` started and exited (``time.time()``)."""
    import_rows: int = 0
    import_s: float | None = None
    import_rc: int | None = None
    import_output: str = ""
    stored: dict[str, int] = field(default_factory=dict)
    checks: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run(args: argparse.Namespace, server: Server, url: str, folder: Path, procs: Processes, report: Report) -> None:
    from tests.browser_fixtures import start_app

    run_id = url.rsplit("_", 1)[1]
    ctx = mp.get_context("spawn")
    if args.demo_by == "cli":
        log(f"database {url}: loading the demo (atlas demo)")
        done = subprocess.run([ATLAS, "demo", "--db", url], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"atlas demo failed:\n{done.stdout}\n{done.stderr}")
    log("starting two app processes")
    for label in APPS:
        app = start_app(url, folder / f"streamlit-{label}.log")  # type: ignore[arg-type]
        procs.apps.append(app)
        log(f"app {label} at {app.url}")
    if args.demo_by == "apps":
        both_apps_load_the_demo(ctx, procs.apps, url, report)
    ws = open_the_workshop(url)
    report.ws = ws
    log(f"workshop code {ws.code} on plan {ws.plan_id} ({ws.plan_title}), {len(ws.zones)} zones")
    log(f"generating a GeoPackage of {args.import_assets:,} organisations")
    gpkg = make_import_file(folder, args.import_assets, args.seed)

    ready, results = ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    deadline, started_at = ctx.Value("d", 0.0), ctx.Value("d", 0.0)
    numbers = list(range(1, args.participants + 1))
    groups = [numbers[k::args.workers] for k in range(args.workers) if numbers[k::args.workers]]
    for group in groups:
        procs.children.append(ctx.Process(target=participants_worker, daemon=True,
                                          args=(group, run_id, ws, args.pause_s, args.seed, ready, go, deadline,
                                                results)))
    for app, label in zip(procs.apps, APPS, strict=True):
        procs.children.append(ctx.Process(target=browser_worker, daemon=True,
                                          args=(app.url, label, ws, run_id, args.browser_ideas, ready, go, deadline,
                                                started_at, results)))
    for child in procs.children:
        child.start()
    log(f"{args.participants} participants in {len(groups)} processes and two browsers are joining")
    for _ in procs.children:
        status, detail = ready.get(timeout=600)
        if status != "ready":
            raise RuntimeError(f"a participant or browser process could not start:\n{detail}")

    log(f"go: {args.seconds:g} s of ideas and votes, an import of {args.import_assets:,} assets, the command line")
    with started_at.get_lock(), deadline.get_lock():
        started_at.value = time.time()
        deadline.value = started_at.value + args.seconds
    go.set()
    began = time.perf_counter()
    import_log = (folder / "import.log").open("w")
    import_started = time.time()
    importer = subprocess.Popen([ATLAS, "import", str(gpkg), "--as", "assets", "--source", f"concurrency-{run_id}",
                                 "--db", url], stdout=import_log, stderr=subprocess.STDOUT, text=True)
    procs.popens.append(importer)
    import_ended: list[float] = []

    def wait_for_import() -> None:
        importer.wait()
        import_ended.append(time.time())

    watcher = threading.Thread(target=wait_for_import, daemon=True)
    watcher.start()
    cli = threading.Thread(target=cli_loop, args=(ws, deadline.value, report.cli), daemon=True)
    cli.start()

    pending = len(procs.children)
    while pending:
        try:
            kind, payload = results.get(timeout=args.seconds + 900)
        except queue.Empty:
            report.problems.append("a participant or browser process sent nothing back within 15 minutes of the end")
            break
        pending -= 1
        if kind == "participants":
            report.participants += payload
            report.seconds = time.perf_counter() - began
        else:
            report.browsers.append(payload)
            report.browsers_s = time.perf_counter() - began
    log(f"participants done after {report.seconds:.1f} s, browsers after {report.browsers_s:.1f} s; "
        "waiting for the import and the command line")
    watcher.join(timeout=IMPORT_TIMEOUT_S)
    if importer.poll() is None:
        report.problems.append(f"atlas import was still running {IMPORT_TIMEOUT_S} s after the start; stopped")
        importer.kill()
        importer.wait()
    import_log.close()
    end = import_ended[0] if import_ended else time.time()
    report.import_window = (import_started, end)
    report.import_s = end - import_started
    report.import_rc = importer.returncode
    report.import_output = (folder / "import.log").read_text(errors="replace")
    cli.join(timeout=CLI_TIMEOUT_S)
    for child in procs.children:
        child.join(timeout=30)

    log("counting what the store holds")
    count_stored(url, run_id, args.import_assets, report)
    for app, label in zip(procs.apps, APPS, strict=True):
        report.checks.append((f"app {label} answers its health check after the run", "yes" if healthy(app) else "NO"))
    log("checking the app's caches across processes")
    cross_process_checks(procs.apps, ws, run_id, folder, report)


def open_page_worker(app_url: str, path: str, go, results: mp.Queue) -> None:
    """One browser opening ``path`` on one app when ``go`` is set: (app, seconds, errors shown)."""
    from tests.browser_fixtures import AppServer, local_page

    app = AppServer(app_url, Path("."), None, Path("/dev/null"))  # type: ignore[arg-type]
    errors: list[str] = []
    pw = browser = None
    try:
        pw, browser = _chromium()
        page = local_page(browser, app)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        go.wait()
        took = _load(page, app, ATLAS_MAP, errors=errors)
    except Exception:  # noqa: BLE001 - handed back with the traceback
        took, errors = -1.0, [*errors, traceback.format_exc()]
    finally:
        _close_chromium(pw, browser)
    results.put((app_url, took, errors))


def both_apps_load_the_demo(ctx, apps: list, url: str, report: Report) -> None:
    """Two browsers open the two app processes on the empty database at the same moment:
    each app finds the store empty and loads the demo, unless the other holds it. The demo
    must end up there once."""
    from atlas.demo import DEMO_ACCOUNTS
    from atlas.store import open_store
    from cedplans.demo import EDGBASTON_TITLE

    log("both apps open the empty database at once; each may load the demo")
    go, results = ctx.Event(), ctx.Queue()
    openers = [ctx.Process(target=open_page_worker, args=(app.url, ATLAS_MAP, go, results), daemon=True)
               for app in apps]
    for p in openers:
        p.start()
    time.sleep(5)  # both browsers started, then both pages asked for at once
    go.set()
    for _ in openers:
        app_url, took, errors = results.get(timeout=900)
        report.problems += errors
        log(f"  {app_url}: first page in {took:.1f} s")
    for p in openers:
        p.join(timeout=30)
    with open_store(url, read_only=True) as store:
        plans = store.con.execute("SELECT count(*) FROM plans WHERE title = ?", [EDGBASTON_TITLE]).fetchone()[0]
        accounts = store.con.execute("SELECT count(*) FROM users").fetchone()[0]
        assets = store.con.execute("SELECT count(*) FROM assets").fetchone()[0]
    report.checks.append(("two apps starting on one empty database load the demo once",
                          f"{'yes' if plans == 1 and accounts == len(DEMO_ACCOUNTS) else 'NO'}: {plans} Edgbaston "
                          f"plan(s), {accounts} accounts, {assets} assets"))


def count_stored(url: str, run_id: str, import_assets: int, report: Report) -> None:
    from atlas.store import open_store

    with open_store(url, read_only=True) as store:
        con = store.con
        rows = con.execute("SELECT id, text, author FROM plan_ideas WHERE author LIKE ?",
                           [f"% (run {run_id})"]).fetchall()
        stored_ideas = {r[0]: r[1] for r in rows}
        browser_texts = {r[1] for r in rows if r[2].startswith("Browser ")}
        voters = [p.voter for p in report.participants if p.voter]
        votes = con.execute("SELECT idea_id, voter FROM plan_idea_votes WHERE voter LIKE 'device:%'").fetchall()
        ours = set(voters)
        stored_votes: dict[str, list[int]] = {}
        for idea_id, voter in votes:
            if voter in ours:
                stored_votes.setdefault(voter, []).append(idea_id)
        report.import_rows = con.execute("SELECT count(*) FROM assets WHERE source = ?",
                                         [f"concurrency-{run_id}"]).fetchone()[0]
        duplicates = con.execute("SELECT count(*) FROM (SELECT idea_id, voter FROM plan_idea_votes "
                                 "WHERE voter IS NOT NULL GROUP BY idea_id, voter HAVING count(*) > 1) d").fetchone()[0]
    told_ideas = [(i, t) for p in report.participants for i, t in p.ideas]
    lost_ideas = [(i, t) for i, t in told_ideas if stored_ideas.get(i) != t]
    lost_browser = [t for b in report.browsers for t in b.ideas if t not in browser_texts]
    told_votes = {(p.voter, i) for p in report.participants for i in p.votes}
    stored_vote_set = {(v, i) for v, ids in stored_votes.items() for i in ids}
    report.stored = {
        "ideas_told": len(told_ideas) + sum(len(b.ideas) for b in report.browsers),
        "ideas_stored": len(stored_ideas),
        "ideas_lost": len(lost_ideas) + len(lost_browser),
        "votes_told": len(told_votes),
        "votes_stored": len(stored_vote_set),
        "votes_lost": len(told_votes - stored_vote_set),
        "votes_extra": len(stored_vote_set - told_votes),
        "duplicate_votes": duplicates,
    }
    if lost_ideas or lost_browser:
        report.problems.append(f"ideas told added but missing: {lost_ideas[:5]} {lost_browser[:5]}")
    if told_votes - stored_vote_set:
        report.problems.append(f"votes told counted but missing: {sorted(told_votes - stored_vote_set)[:5]}")
    report.checks.append((f"every one of the {import_assets:,} imported rows is in the store",
                          "yes" if report.import_rows == import_assets else f"NO ({report.import_rows:,})"))


def cross_process_checks(apps: list, ws: Workshop, run_id: str, folder: Path, report: Report) -> None:
    """A fresh workshop page on each app shows the ideas the other's browser posted; after
    a one-row import from the command line, app A's Atlas map counts and finds it."""
    from atlas.store import open_store

    by_app = {b.app: b for b in report.browsers}
    pw = browser = None
    try:
        pw, browser = _chromium()
        from tests.browser_fixtures import local_page

        for app, label, other in ((apps[0], "A", "B"), (apps[1], "B", "A")):
            wanted = by_app[other].ideas if other in by_app else []
            if not wanted:
                report.checks.append((f"app {label} shows the ideas posted through app {other}",
                                      f"not checked: app {other}'s browser posted none"))
                continue
            page = local_page(browser, app)
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            took = _load(page, app, f"workshop?code={ws.code}")
            body = page.inner_text("body")
            shown = sum(text in body for text in wanted)
            report.checks.append((f"app {label} shows the ideas posted through app {other}'s page "
                                  f"(workshop page, {took:.0f} s to load)",
                                  f"{'yes' if shown == len(wanted) else 'NO'}: {shown} of {len(wanted)}"))
            page.context.close()

        # The Atlas map of app A, drawn now (caches warm), then again after a one-row import.
        app = apps[0]
        page = local_page(browser, app)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        _load(page, app, ATLAS_MAP, errors=report.problems)
        listed_before, in_view_before = atlas_counts(page)
        name = f"Concurrency check {run_id}"
        csv = folder / "one-more.csv"
        csv.write_text(f"name,lon,lat\n{name},-1.93,52.48\n", encoding="utf-8")
        done = subprocess.run([ATLAS, "import", str(csv), "--as", "assets", "--source", f"one-more-{run_id}",
                               "--db", ws.url], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            report.problems.append(f"the one-row import failed:\n{done.stdout}\n{done.stderr}")
            return
        with open_store(ws.url, read_only=True) as store:
            total = store.con.execute("SELECT count(*) FROM assets").fetchone()[0]
        page.context.close()
        page = local_page(browser, app)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        _load(page, app, ATLAS_MAP, errors=report.problems)
        listed_after, in_view_after = atlas_counts(page)
        report.checks.append(("app A's asset list counts an asset the command line imported after the page was drawn",
                              f"{'yes' if listed_after == (listed_before or 0) + 1 else 'NO'}: "
                              f"{listed_before} before, {listed_after} after (the store holds {total:,})"))
        report.checks.append(("app A's map counts it too",
                              f"{'yes' if in_view_after == (in_view_before or 0) + 1 else 'NO'}: "
                              f"{in_view_before} in view before, {in_view_after} after"))
        page.get_by_role("textbox", name="Find a place, site or organisation").fill(name)
        page.keyboard.press("Enter")
        from tests.browser_fixtures import settle

        settle(page, PAGE_TIMEOUT_MS)
        results = page.get_by_role("combobox", name="Results")
        chosen = results.input_value() if results.count() else ""  # the first hit, chosen for the person
        report.checks.append(("app A's search finds it by name",
                              "yes" if chosen.startswith(f"{name} · asset") else f"NO: {chosen or 'no results'}"))
        page.context.close()
    except Exception:  # noqa: BLE001 - reported, and the rest of the report still printed
        report.problems.append(f"the cross-process checks failed:\n{traceback.format_exc()}")
    finally:
        _close_chromium(pw, browser)


def _import_split(report: Report) -> list[tuple[str, str]]:
    """p50 / p95 of idea posts and votes started while ``atlas import`` ran, and of the rest."""
    if report.import_window is None:
        return []
    start, end = report.import_window
    rows = []
    for what, times, starts in (("idea post", "idea_s", "idea_at"), ("vote", "vote_s", "vote_at")):
        pairs = [(t, at) for p in report.participants for t, at in zip(getattr(p, times), getattr(p, starts),
                                                                        strict=True)]
        during = [t for t, at in pairs if start <= at <= end]
        other = [t for t, at in pairs if not start <= at <= end]
        rows.append((f"{what} p50 / p95 ms while the import ran ({end - start:.0f} s) / the rest of the run",
                     f"{pct(during)} ({len(during):,}) / {pct(other)} ({len(other):,})"))
    return rows


def print_report(args: argparse.Namespace, report: Report) -> None:
    s = report.stored
    people = report.participants
    idea_s = [x for p in people for x in p.idea_s]
    vote_s = [x for p in people for x in p.vote_s]
    loads = [t for b in report.browsers for _, t in b.loads]
    print()
    print(table(
        ["participants", "seconds", "ideas posted / stored", "votes posted / stored", "lost",
         "idea post p50 / p95 ms", "vote p50 / p95 ms", "import rows", "import s", "app page loads"],
        [[len(people), f"{report.seconds:.0f}",
          f"{s.get('ideas_told', 0):,} / {s.get('ideas_stored', 0):,}",
          f"{s.get('votes_told', 0):,} / {s.get('votes_stored', 0):,}",
          f"{s.get('ideas_lost', 0) + s.get('votes_lost', 0):,}",
          pct(idea_s), pct(vote_s), f"{report.import_rows:,}",
          "n/a" if report.import_s is None else f"{report.import_s:.1f}", f"{len(loads):,}"]]))
    print()
    cli_runs = report.cli.runs
    rows = [
        ("writes by participants", f"{len(idea_s):,} ideas and {len(vote_s):,} votes in {report.seconds:.0f} s "
                                   f"({(len(idea_s) + len(vote_s)) / max(report.seconds, 1e-9):.1f} writes/s)"),
        ("browsers finished their last step", f"{report.browsers_s:.0f} s after the start"),
        *_import_split(report),
        ("workshop page reads (plan, ideas, own votes) p50 / p95 ms",
         pct([x for p in people for x in p.page_reads_s])),
        ("repeat votes refused", f"{sum(p.repeats_refused for p in people):,} of {sum(p.repeats for p in people):,}"),
        ("double taps with exactly one vote counted",
         f"{sum(p.double_taps_one_counted for p in people):,} of {sum(p.double_taps for p in people):,}"),
        ("duplicate votes in the store", f"{s.get('duplicate_votes', 0):,}"),
        ("votes in the store no participant was told of", f"{s.get('votes_extra', 0):,}"),
        ("unexpected errors (participants)", f"{sum(len(p.failures) for p in people):,}"),
        ("ideas posted through the browsers", ", ".join(f"app {b.app}: {len(b.ideas)} ({pct(b.idea_s, unit='s')} s)"
                                                        for b in report.browsers) or "none"),
        ("app page loads p50 / p95 s",
         ", ".join(f"app {b.app}: {len(b.loads)} ({pct([t for _, t in b.loads], unit='s')})" for b in report.browsers)),
        ("browser errors", ", ".join(f"app {b.app}: {len(b.failures)}" for b in report.browsers) or "none"),
        ("errors the apps showed on a page", ", ".join(f"app {b.app}: {len(b.page_errors)}"
                                                       for b in report.browsers) or "none"),
        ("command line runs (info, search, nearby) p50 / p95 s",
         f"{len(cli_runs)} ({pct([t for _, t in cli_runs], unit='s')}), {len(report.cli.failures)} failed"),
        ("import", f"exit {report.import_rc}, {report.import_rows:,} rows"),
        *report.checks,
    ]
    print(table(["check", "result"], rows))
    print(f"\n{machine_load()}; PostgreSQL at {urlsplit(report.ws.url).netloc if report.ws else '?'}; "
          f"--seconds {args.seconds:g} --participants {args.participants} --workers {args.workers} "
          f"--pause-s {args.pause_s:g} --import-assets {args.import_assets} --browser-ideas {args.browser_ideas}")

    failures = [f for p in people for f in p.failures]
    browser_failures = [f"app {b.app}: {f}" for b in report.browsers for f in b.failures]
    page_errors = [e for b in report.browsers for e in b.page_errors]
    for title, items in (("Unexpected errors of participants", failures), ("Browser errors", browser_failures),
                         ("Errors the apps showed on a page", page_errors),
                         ("Command line failures", report.cli.failures), ("Problems", report.problems)):
        if not items:
            continue
        print(f"\n## {title} ({len(items)}; the first 5 distinct)\n")
        seen: dict[str, int] = {}
        for item in items:
            last = item.strip().splitlines()[-1] if item.strip() else item
            seen[last] = seen.get(last, 0) + 1
            if seen[last] == 1 and len(seen) <= 5:
                print(f"```\n{item.strip()}\n```")
        for last, n in seen.items():
            print(f"- {n} x {last}")
    if report.import_rc not in (0, None):
        print(f"\n## atlas import (exit {report.import_rc})\n\n```\n{report.import_output[-4000:]}\n```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-url", help="a postgresql:// URL of a PostGIS server whose account may create "
                                             "databases (default: start a throwaway one with .ci/postgis)")
    parser.add_argument("--seconds", type=float, default=120, help="how long the participants act (default 120)")
    parser.add_argument("--participants", type=int, default=50, help="simulated workshop participants (default 50)")
    parser.add_argument("--workers", type=int, default=5,
                        help="processes the participants are spread over, one store connection each (default 5)")
    parser.add_argument("--pause-s", type=float, default=2.0,
                        help="mean pause between a participant's actions, in seconds (default 2)")
    parser.add_argument("--import-assets", type=lambda t: parse_sizes(t)[0], default=200_000,
                        help="rows of the GeoPackage atlas import loads meanwhile (default 200k)")
    parser.add_argument("--browser-ideas", type=int, default=3,
                        help="ideas each app process's browser posts through the workshop page (default 3)")
    parser.add_argument("--demo-by", choices=["cli", "apps"], default="cli",
                        help="load the demo with atlas demo before the apps start (cli, the default), or let both "
                             "app processes find the database empty at the same moment (apps)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.participants < 1 or args.workers < 1 or args.seconds <= 0:
        raise SystemExit("--participants, --workers and --seconds must be more than 0.")

    report = Report()
    procs = Processes()
    run_id = uuid.uuid4().hex[:10]
    logs = ROOT / "benchmarks" / "out" / f"concurrency-{run_id}"
    server = Server(args.server_url) if args.server_url else None
    try:
        if server is None:
            log("starting a throwaway PostGIS server (.ci/postgis start)")
            server = start_server()
            # Our own server: have it log every lock wait longer than deadlock_timeout (1 s).
            server.admin("ALTER SYSTEM SET log_lock_waits = on")
            server.admin("SELECT pg_reload_conf()")
        with tempfile.TemporaryDirectory(prefix="atlas-concurrency-") as tmp, \
                throwaway_database(server, run_id) as url:
            try:
                run(args, server, url, Path(tmp), procs, report)
            except Exception:  # noqa: BLE001 - the table is still printed, with the traceback
                report.problems.append(traceback.format_exc())
            finally:
                procs.stop()
                keep_logs(Path(tmp), procs, server, logs, report)
    finally:
        procs.stop()
        if server is not None:
            stop_server(server)
    print_report(args, report)
    print(f"\nLogs of the app processes, the import and PostgreSQL: {logs.relative_to(ROOT)}/")


def keep_logs(folder: Path, procs: Processes, server: Server, logs: Path, report: Report) -> None:
    """Copy the app processes', the import's and (our own) server's logs to ``logs``, and
    report the errors and lock waits they hold."""
    logs.mkdir(parents=True, exist_ok=True)
    for app, label in zip(procs.apps, APPS, strict=False):  # fewer if one did not start
        text = app.log()
        (logs / f"streamlit-{label}.log").write_text(text)
        errors = [line for line in text.splitlines() if "Traceback" in line or "Error" in line]
        if errors:
            report.problems.append(f"app {label}'s log holds {len(errors)} error lines; the last:\n"
                                   + "\n".join(text.splitlines()[-40:]))
    if (folder / "import.log").exists():
        (logs / "import.log").write_text((folder / "import.log").read_text(errors="replace"))
    if server.started_dir:
        pg_log = Path(server.started_dir) / "log"
        text = pg_log.read_text(errors="replace") if pg_log.exists() else ""
        (logs / "postgresql.log").write_text(text)
        waits = [line for line in text.splitlines() if "still waiting for" in line]
        deadlocks = [line for line in text.splitlines() if "deadlock detected" in line]
        report.checks.append(("lock waits over 1 s that PostgreSQL logged", f"{len(waits):,}"))
        report.checks.append(("deadlocks PostgreSQL detected", f"{len(deadlocks):,}"))


if __name__ == "__main__":
    main()
