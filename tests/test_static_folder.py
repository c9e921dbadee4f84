"""``streamlit run`` on a fresh copy of the project starts without warning that the static
folder is missing (issue 13). Streamlit looks for ``static/`` beside the main script when
its server starts (streamlit/web/bootstrap.py, ``_maybe_print_static_folder_warning``),
before any page has run, while app/static_assets.py fills the folder on the first page
view: so the folder itself is part of the repository (``static/.gitignore``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser_fixtures import free_port

ROOT = Path(__file__).resolve().parents[1]
WARNING = "no static folder found"
START_TIMEOUT_S = 90


def fresh_copy(folder: Path) -> Path:
    """The project as a clone of it would be: the files git keeps (committed, or new and not
    ignored), without the libraries copied into static/ or anything else ignored."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


def startup_output(project: Path, db: Path) -> str:
    """What ``streamlit run streamlit_app.py`` prints from its start until it answers."""
    port = free_port()
    env = {**os.environ, "ATLAS_DB": str(db), "ATLAS_DEMO": "0"}
    env.pop("CI", None)
    log_path = db.with_suffix(".log")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                assert process.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"the app did not start within {START_TIMEOUT_S} s:\n{log_path.read_text()}")
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=15)
    return log_path.read_text()


def test_a_fresh_copy_starts_without_the_static_folder_warning(tmp_path):
    project = fresh_copy(tmp_path / "project")
    assert (project / "static" / ".gitignore").is_file(), (
        "static/ is not in the repository: the top .gitignore must leave static/.gitignore in (it ignores the "
        "folder's contents itself)")
    assert not any(p.is_dir() for p in (project / "static").iterdir())  # no library copied in yet
    assert (project / ".streamlit" / "config.toml").exists()  # static serving is on, as in the real app
    output = startup_output(project, tmp_path / "atlas.duckdb")
    assert WARNING not in output, output

    # Without the folder Streamlit does warn: the check above would have seen it.
    shutil.rmtree(project / "static")
    assert WARNING in startup_output(project, tmp_path / "atlas2.duckdb")
