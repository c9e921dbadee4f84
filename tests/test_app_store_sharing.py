"""A DuckDB store is a single-writer file: while the app holds it, the ``atlas`` command
says so in one line, naming the program, and changes nothing; when the app lets go, the
command works again. And when a command holds it, the app says so instead of failing.
A PostGIS store has no such hold: the command works while the app has it open.

The app's hold is taken in a real second process through the app's own opener
(:func:`app.state.open_app_store`), exactly as a running app holds it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.app_fixtures import no_exception

ATLAS = [sys.executable, "-c", "from atlas_cli import main; main()"]
ROOT = Path(__file__).resolve().parents[1]

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from app.state import open_app_store
    handle = open_app_store(sys.argv[1])
    print("holding", flush=True)
    sys.stdin.read()   # hold the store until the test closes our stdin
    handle.store.close()
""")


@pytest.fixture
def app_holds(demo_store_path: Path):
    """A second process holding the demo store as the app does; released at the end."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(demo_store_path)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.strip() == "holding", process.stderr.read()
        yield process
    finally:
        if process.poll() is None:
            process.stdin.close()
            process.wait(timeout=30)


def atlas(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATLAS_DB": str(db)}
    return subprocess.run([*ATLAS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.duckdb_only("one writer at a time is the DuckDB file's rule")
def test_cli_says_the_app_holds_the_store(app_holds, demo_store_path):
    for command in (["info"], ["nearby", "Edgbaston Reservoir"]):
        done = atlas(*command, db=demo_store_path)
        assert done.returncode == 1, done
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr  # one line, no traceback
        assert f"is open in another program (process {app_holds.pid}: python" in lines[0]
        assert str(demo_store_path) in lines[0]

    app_holds.stdin.close()
    assert app_holds.wait(timeout=30) == 0
    done = atlas("info", "--format", "json", db=demo_store_path)
    assert done.returncode == 0, done.stderr
    assert '"assets": 85' in done.stdout


@pytest.mark.duckdb_only("one writer at a time is the DuckDB file's rule")
def test_app_says_when_a_command_holds_the_store(app_holds, demo_store_path, run_page):
    at = run_page("atlas_map", demo_store_path)
    assert not at.exception
    assert any("is open in another program" in e.value for e in at.error)

    app_holds.stdin.close()
    app_holds.wait(timeout=30)
    at.run()  # the next visit opens it
    no_exception(at)
    assert at.title[0].value == "Atlas"


def test_on_postgis_commands_read_and_write_while_the_app_holds_the_store(engine, app_holds, demo_store_path,
                                                                         tmp_path):
    if engine != "postgis":
        pytest.skip("a DuckDB file has one writer: the tests above")
    done = atlas("info", "--format", "json", db=demo_store_path)
    assert done.returncode == 0, done.stderr
    assert '"assets": 85' in done.stdout
    register = tmp_path / "more.csv"
    register.write_text("name,lon,lat,category,employees\nSoho Road bakery,-1.9412,52.4981,cafe,4\n", encoding="utf-8")
    done = atlas("import", str(register), "--as", "assets", db=demo_store_path)
    assert done.returncode == 0, done.stderr
    done = atlas("search", "Soho Road bakery", db=demo_store_path)
    assert "Soho Road bakery" in done.stdout
