"""A workshop under load: 20 people in one room, each on their own phone, join with the
code on the projector and add ideas and votes to one plan for a minute, all at once.

Each participant is a real Streamlit session of ``app/pages/workshop.py`` (AppTest, in
the same process as the app's store, as the server would run them), with its own session
state and so its own device token; all twenty run concurrently in threads. Each joins
through the page's own ``?code=`` path, adds ideas through the idea form (a zone chosen,
a sentence typed, "Add my idea" pressed) and votes with the "I agree" buttons. Each also
has a second tab open on the same device (the same token, as the cookie gives a reload),
and after every vote that tab presses its stale "I agree" for the same idea: a double tap,
or a forged second vote, which the store must refuse.

Afterwards the store holds every idea each participant added (counted as they went), no
voter has two votes on one idea, every participant's votes are all there, and every
repeat vote was refused. Throughput is printed, never asserted.

AppTest was not written for threads: each run points ``Runtime._instance`` at a fresh mock
and patches ``config.get_option``, then puts both back, so concurrent runs would undo each
other's set-up (and could leave ``config.get_option`` patched for later tests). The
``concurrent_apptest`` fixture sets both once for the whole test, as the one server
process has one runtime, and makes AppTest's per-run swaps no-ops.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from streamlit import config as st_config
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime import Runtime
from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from streamlit.testing.v1.util import build_mock_config_get_option

from app import state
from atlas import open_store
from atlas.access import Role
from atlas.store import utc_now
from cedplans import repository, workshops
from cedplans.demo import EDGBASTON_TITLE

LOAD_SECONDS = 60
"""How long the twenty participants keep adding ideas and voting: one busy minute."""
PARTICIPANTS = 20
WORKSHOP = str(Path(__file__).resolve().parents[1] / "app" / "pages" / "workshop.py")
RUN_TIMEOUT_S = 120  # twenty sessions share two cores; a run may wait its turn a while
AGREE = re.compile(r"^I agree · (\d+) votes?$")
AGREED = re.compile(r"^You agreed · (\d+) votes?$")


# -- fixtures ------------------------------------------------------------------------------

@pytest.fixture
def concurrent_apptest(monkeypatch):
    """Let AppTest sessions run in several threads at once: one shared (mock) runtime and
    one config patch for the whole test, instead of each run swapping them in and out."""
    shared = MagicMock(spec=Runtime)
    shared.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    shared.dataframe_source_mgr = DataframeSourceManager()
    shared.cache_storage_manager = MemoryCacheStorageManager()
    registry = BidiComponentManager()
    registry.discover_and_register_components(start_file_watching=False)
    shared.bidi_component_registry = registry

    class _PerRunRuntime(Runtime):
        """What AppTest assigns ``_instance`` on: its per-run swaps land here, harmlessly."""

    monkeypatch.setattr(Runtime, "_instance", shared)
    monkeypatch.setattr(app_test_module, "Runtime", _PerRunRuntime)
    monkeypatch.setattr(app_test_module, "patch_config_options", lambda _overrides: contextlib.nullcontext())
    monkeypatch.setattr(st_config, "get_option", build_mock_config_get_option({"global.appTest": True}))
    yield shared


@pytest.fixture
def workshop(demo_store_path, monkeypatch):
    """The demo's Edgbaston plan (it has zones) with a workshop code open on it; the app
    pointed at that store, and its cached store closed afterwards."""
    with open_store(demo_store_path) as store:
        plan = next(p for p in repository.list_plans(store) if p.title == EDGBASTON_TITLE)
        zones = [z.id for z in repository.get_plan(store, plan.id).zones]
        code = workshops.open_workshop(store, plan.id, by="Load test facilitator", hours=2).code
    monkeypatch.setenv("ATLAS_DB", str(demo_store_path))
    monkeypatch.setenv("ATLAS_DEMO", "0")
    state.close_all()
    yield demo_store_path, plan.id, zones, code
    state.close_all()


# -- one participant -----------------------------------------------------------------------

@dataclass
class Participant:
    number: int
    code: str
    plan_id: int
    zones: list[int]
    token: str = ""
    ideas: list[str] = field(default_factory=list)
    votes: set[int] = field(default_factory=set)
    repeats_tried: int = 0
    repeats_refused: int = 0
    runs: int = 0
    run_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def author(self) -> str:
        return f"Load participant {self.number:02d}"

    def _run(self, at: AppTest) -> AppTest:
        started = time.perf_counter()
        at.run(timeout=RUN_TIMEOUT_S)
        self.run_seconds += time.perf_counter() - started
        self.runs += 1
        if at.exception:
            raise AssertionError(f"{self.author}: {[e.message for e in at.exception]}")
        return at

    def join(self) -> None:
        """Open the workshop link with the code (``/workshop?code=...``), as the QR code does,
        on this phone; then a second tab on the same phone (the same device token)."""
        self.phone = AppTest.from_file(WORKSHOP, default_timeout=RUN_TIMEOUT_S)
        self.phone.query_params["code"] = self.code
        self._run(self.phone)
        who = self.phone.session_state["session.viewer"]
        assert (who.role, who.plan_id) == (Role.RESIDENT, self.plan_id), who
        self.token = self.phone.session_state["participant.token"]
        assert who.name == f"device:{self.token}"
        self.tab = AppTest.from_file(WORKSHOP, default_timeout=RUN_TIMEOUT_S)
        self.tab.session_state["participant.token"] = self.token  # what the cookie gives a second tab
        self.tab.query_params["code"] = self.code
        self._run(self.tab)
        assert self.tab.session_state["session.viewer"].name == who.name

    def add_idea(self, rng: random.Random) -> None:
        text = f"{self.author} idea {len(self.ideas) + 1}: a bench by zone {rng.randrange(99)}"
        at = self.phone
        at.selectbox(key="ws.zone").set_value(rng.choice(self.zones))
        at.text_area(key="ws.text").input(text)
        at.text_input(key="ws.name").input(self.author)
        at.button(key="ws.add").click()
        self._run(at)
        if not any(s.value.startswith("Thank you!") for s in at.success):
            self.problems.append(f"idea not added: {[e.value for e in at.error + at.warning]}")
            return
        self.ideas.append(text)

    def vote_and_tap_again(self, rng: random.Random) -> None:
        """Vote for an idea this phone has not voted for; then the second tab, drawn before
        the vote, presses its (stale) "I agree" for the same idea: that must be refused."""
        self._run(self.tab)  # the second tab, as it stands before the vote
        open_here = {_idea_id(b.key) for b in self.phone.button if AGREE.match(b.label or "")}
        open_there = {_idea_id(b.key) for b in self.tab.button if AGREE.match(b.label or "")}
        choices = sorted((open_here & open_there) - self.votes)
        if not choices:
            return
        idea_id = rng.choice(choices)
        self.phone.button(key=f"ws.vote.{idea_id}").click()
        self._run(self.phone)
        after = self.phone.button(key=f"ws.vote.{idea_id}")
        if not (AGREED.match(after.label) and after.disabled):
            self.problems.append(f"vote for idea {idea_id} not shown as given: {after.label!r}")
            return
        self.votes.add(idea_id)

        self.repeats_tried += 1
        self.tab.button(key=f"ws.vote.{idea_id}").click()
        self._run(self.tab)
        errors = [e.value for e in self.tab.error]
        if any("already voted for this idea" in e for e in errors):
            self.repeats_refused += 1
        else:
            self.problems.append(f"repeat vote for idea {idea_id} not refused: errors {errors}")

    def take_part(self, start: threading.Barrier, until: list[float]) -> None:
        rng = random.Random(self.number)
        try:
            start.wait()
            while time.monotonic() < until[0]:
                if rng.random() < 0.4 or not self.ideas:
                    self.add_idea(rng)
                else:
                    self.vote_and_tap_again(rng)
        except Exception as exc:  # noqa: BLE001 - reported by the test, with the participant
            self.problems.append(f"{type(exc).__name__}: {exc}")


def _idea_id(key: str | None) -> int:
    return int((key or "").rsplit(".", 1)[1])


# -- the test ------------------------------------------------------------------------------

def test_twenty_participants_add_ideas_and_vote_for_a_minute(concurrent_apptest, workshop):
    db_path, plan_id, zones, code = workshop
    people = [Participant(n, code, plan_id, zones) for n in range(1, PARTICIPANTS + 1)]

    # Everyone scans the code (at once), each on their own phone.
    joined_at = time.perf_counter()
    joiners = [threading.Thread(target=p.join, name=f"join-{p.number}") for p in people]
    for t in joiners:
        t.start()
    for t in joiners:
        t.join()
    join_s = time.perf_counter() - joined_at
    assert all(p.token for p in people), "someone could not join with the code"
    assert len({p.token for p in people}) == PARTICIPANTS, "two phones share a device token"

    # One busy minute.
    loaded_at = utc_now()
    start = threading.Barrier(PARTICIPANTS + 1)
    until = [0.0]
    threads = [threading.Thread(target=p.take_part, args=(start, until), name=f"p-{p.number}") for p in people]
    for t in threads:
        t.start()
    until[0] = time.monotonic() + LOAD_SECONDS
    began = time.perf_counter()
    start.wait()
    for t in threads:
        t.join(timeout=LOAD_SECONDS + 3 * RUN_TIMEOUT_S)
    elapsed = time.perf_counter() - began
    assert not any(t.is_alive() for t in threads), "a participant's session never finished"

    ideas = sum(len(p.ideas) for p in people)
    votes = sum(len(p.votes) for p in people)
    refused = sum(p.repeats_refused for p in people)
    runs = sum(p.runs for p in people)
    print(f"\nworkshop load: {PARTICIPANTS} participants, joined in {join_s:.1f} s, then {elapsed:.1f} s of "
          f"{ideas} ideas + {votes} votes = {(ideas + votes) / elapsed:.2f} writes/s "
          f"({ideas / elapsed:.2f} ideas/s, {votes / elapsed:.2f} votes/s); {refused} repeat votes refused; "
          f"{runs} page runs, {sum(p.run_seconds for p in people) / max(runs, 1):.2f} s a run on average")

    assert [(p.author, p.problems) for p in people if p.problems] == []
    assert ideas > 0 and votes > 0

    state.close_all()  # the app's hold on the store, so it can be read on its own
    with open_store(db_path, read_only=True) as store:
        con = store.con
        # Every idea each participant added is there, under their name, on the plan.
        for p in people:
            stored = [r[0] for r in con.execute(
                "SELECT text FROM plan_ideas WHERE plan_id = ? AND author = ? ORDER BY id",
                [plan_id, p.author]).fetchall()]
            assert stored == p.ideas, p.author
        # Nobody has two votes on one idea. (Anonymous votes, voter NULL, are a facilitator's
        # tally of paper dots, counted as they come: the demo has some, by design.)
        assert con.execute("SELECT idea_id, voter, count(*) FROM plan_idea_votes WHERE voter IS NOT NULL "
                           "GROUP BY idea_id, voter HAVING count(*) > 1").fetchall() == []
        assert con.execute("SELECT count(*) FROM plan_idea_votes WHERE voter IS NULL AND voted_at >= ?",
                           [loaded_at]).fetchone()[0] == 0
        # Each phone's votes are exactly the ones it gave, under its own device token.
        for p in people:
            stored = {r[0] for r in con.execute("SELECT idea_id FROM plan_idea_votes WHERE voter = ?",
                                                [f"device:{p.token}"]).fetchall()}
            assert stored == p.votes, p.author
    # Every participant tried a second vote, and every one was refused.
    assert all(p.repeats_tried > 0 for p in people), [(p.author, p.repeats_tried) for p in people]
    assert [(p.author, p.repeats_tried, p.repeats_refused) for p in people
            if p.repeats_refused != p.repeats_tried] == []
