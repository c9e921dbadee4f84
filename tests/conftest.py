"""Shared fixtures: real DuckDB stores in tmp_path, never mocks.

The demo store is built once per session and copied for each test that wants one, so a
test may change its copy freely.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from atlas import open_store
from cedplans.demo import load_full_demo
from atlas.store import Store

# The real open-data samples: ../shared/data beside the project, or wherever
# ATLAS_SHARED_DATA points (a CI runner that keeps them elsewhere).
SHARED_DATA = Path(os.environ.get("ATLAS_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")

# Fixture modules of each area, kept apart so each stays small.
pytest_plugins: list[str] = ["tests.browser_fixtures", "tests.app_fixtures"]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "atlas.duckdb"


@pytest.fixture
def empty_store(store_path: Path):
    store = open_store(store_path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def _demo_store_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with open_store(path) as store:
        load_full_demo(store)
    return path


@pytest.fixture
def demo_store_path(_demo_store_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(_demo_store_file, path)
    return path


@pytest.fixture
def demo_store(demo_store_path: Path):
    store: Store = open_store(demo_store_path)
    yield store
    store.close()


@pytest.fixture
def shared_data() -> Path:
    """The real open-data samples beside the project; tests using them skip where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data samples not found at {SHARED_DATA} (they sit in ../shared/data beside the project, or set ATLAS_SHARED_DATA)")
    return SHARED_DATA
