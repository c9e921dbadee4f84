"""Fixtures and helpers for Streamlit AppTest tests of the app's pages.

Each test runs the real ``streamlit_app.py`` (navigation and all) on a real store in
``tmp_path`` named by ``ATLAS_DB``; after the test the app's cached store is closed, so
the next test starts clean.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from atlas.access import as_role

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data" / "boundaries"
APP_TIMEOUT_S = 90

RunPage = Callable[..., AppTest]
SESSION_VIEWER = "session.viewer"
"""Where app.session keeps the signed-in viewer (signing in through the form is tested
on its own, in tests/test_app_trust.py)."""


@pytest.fixture
def run_page(monkeypatch) -> Iterator[RunPage]:
    """``run_page(page, db_path, demo=True, session=None, query=None, role="admin")`` runs
    one page of the app on the store at ``db_path`` (with these session state values and
    URL query parameters), signed in with ``role`` (None: a visitor who has not signed
    in), and returns the AppTest, run once. ``demo=False`` leaves an empty store empty."""
    from app import state

    def run(page: str, db_path: Path, *, demo: bool = True, session: dict | None = None,
            query: dict[str, str] | None = None, role: str | None = "admin") -> AppTest:
        monkeypatch.setenv("ATLAS_DB", str(db_path))
        monkeypatch.setenv("ATLAS_DEMO", "1" if demo else "0")
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=APP_TIMEOUT_S)
        if role is not None:
            at.session_state[SESSION_VIEWER] = as_role(role, f"Test {role}")
        for key, value in (session or {}).items():
            at.session_state[key] = value
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.switch_page(f"app/pages/{page}.py")
        return at.run()

    yield run
    state.close_all()


def map_args(at: AppTest, index: int = 0) -> dict:
    """The arguments the page sent to its st_folium map: script, html, header, links ..."""
    components = at.get("component_instance")
    assert components, "the page drew no map"
    return json.loads(components[index].proto.json_args)


def map_asset_rows(at: AppTest, index: int = 0) -> list[list]:
    """The asset markers of a map: [lat, lon, scale, name, popup] each, from every asset
    layer in its script."""
    script = map_args(at, index)["script"]
    rows: list[list] = []
    for found in re.finditer(r"var rows = (\[.*\]);$", script, flags=re.MULTILINE):
        data = json.loads(found.group(1))
        rows.extend(r for r in data if len(r) == 5)
    return rows


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
