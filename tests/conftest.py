"""Shared fixtures: real stores, never mocks, on both engines.

``store_path`` and the demo fixtures are parametrised: each test that takes one runs on a
DuckDB file in tmp_path and on a database of a real PostGIS server
(:mod:`tests.postgis_fixtures`). The demo store is built once per session and engine and
copied for each test that wants one, so a test may change its copy freely. A test given
``store_path`` gets a Path for DuckDB and a ``postgresql://`` URL for PostGIS.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from atlas import open_store
from atlas.store import Store
from cedplans.demo import load_full_demo

# The real open-data samples: ../shared/data beside the project, or wherever
# ATLAS_SHARED_DATA points (a CI runner that keeps them elsewhere).
SHARED_DATA = Path(os.environ.get("ATLAS_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")

# Fixture modules of each area, kept apart so each stays small.
pytest_plugins: list[str] = ["tests.browser_fixtures", "tests.app_fixtures", "tests.postgis_fixtures"]


@pytest.fixture(params=["duckdb", "postgis"])
def engine(request) -> str:
    """The engine a store-taking test runs on: ``duckdb`` or ``postgis``."""
    return request.param


def pytest_collection_modifyitems(config, items):
    """A test marked ``duckdb_only`` (with its reason) is about what only a DuckDB file has
    (its lock, its write-ahead log, its file backups): its PostGIS case is not collected."""
    keep, dropped = [], []
    for item in items:
        engine = getattr(getattr(item, "callspec", None), "params", {}).get("engine")
        (dropped if engine == "postgis" and item.get_closest_marker("duckdb_only") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def store_path(engine: str, tmp_path: Path, request) -> Path | str:
    if engine == "postgis":
        return request.getfixturevalue("postgis_database")
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


@pytest.fixture(scope="session")
def _demo_postgis_template(postgis_server) -> Iterator[str]:
    name = postgis_server.create(template=postgis_server.template, name=f"atlas_demo_{os.getpid()}")
    with open_store(postgis_server.url_of(name)) as store:
        load_full_demo(store)
    yield name
    postgis_server.drop(name)


@pytest.fixture
def demo_store_path(engine: str, tmp_path: Path, request) -> Iterator[Path | str]:
    if engine == "postgis":
        server = request.getfixturevalue("postgis_server")
        name = server.create(template=request.getfixturevalue("_demo_postgis_template"))
        yield server.url_of(name)
        server.drop(name)
        return
    path = tmp_path / "demo.duckdb"
    shutil.copy(request.getfixturevalue("_demo_store_file"), path)
    yield path


@pytest.fixture
def demo_store(demo_store_path: Path):
    store: Store = open_store(demo_store_path)
    yield store
    store.close()


@pytest.fixture
def shared_data() -> Path:
    """The real open-data samples beside the project; tests using them skip where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data samples not found at {SHARED_DATA} "
                    "(they sit in ../shared/data beside the project, or set ATLAS_SHARED_DATA)")
    return SHARED_DATA
