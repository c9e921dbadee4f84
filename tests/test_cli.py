"""The atlas command: output formats, --db and ATLAS_DB, one-line errors, documentation."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import shapely
from click.testing import CliRunner

from atlas.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_init_demo_info(store_path):
    assert run("init", "--db", str(store_path)).exit_code == 0
    result = run("demo", "--db", str(store_path))
    assert result.exit_code == 0 and "approximate" in result.output
    info = json.loads(run("info", "--db", str(store_path), "--format", "json").output)
    assert info["metric_epsg"] == 27700
    assert info["counts"]["assets"] >= 60 and info["counts"]["features"] >= 10
    assert info["schema_version"] >= 2
    minx, miny, maxx, maxy = info["extent"]
    assert -2.1 < minx < maxx < -1.8 and 52.4 < miny < maxy < 52.6


def test_nearby_json_shape(demo_store_path):
    out = run("nearby", "Edgbaston Reservoir", "--radius", "800", "--db", str(demo_store_path), "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) == {"site", "radius_m", "assets", "features"}
    assert data["site"]["name"] == "Edgbaston Reservoir" and data["radius_m"] == 800
    site = shapely.from_wkt(data["site"]["wkt"])
    assert -2.1 < site.centroid.x < -1.8 and 52.4 < site.centroid.y < 52.6, "WKT is longitude, latitude"
    assert {a["scale"] for a in data["assets"]} == {"macro", "micro"}
    for a in data["assets"]:
        assert {"id", "name", "scale", "sector", "category", "distance_m", "wkt"} <= set(a)
        point = shapely.from_wkt(a["wkt"])
        assert -2.1 < point.x < -1.8 and 52.4 < point.y < 52.6
        assert 0 <= a["distance_m"] <= 800
    distances = [a["distance_m"] for a in data["assets"]]
    assert distances == sorted(distances)


def test_nearby_table_and_csv(demo_store_path):
    table = run("nearby", "Edgbaston Reservoir", "--radius", "800", "--db", str(demo_store_path)).output
    assert "Macro assets" in table and "Micro assets" in table and "Friends of Edgbaston Reservoir" in table
    text = run("nearby", "Edgbaston Reservoir", "--db", str(demo_store_path), "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["type"] for r in rows} == {"asset", "feature"}


def test_search_formats(demo_store_path):
    rows = json.loads(run("search", "kavarna", "--db", str(demo_store_path), "--format", "json").output)
    assert rows[0]["name"] == "Café Kavarna"
    assert abs(rows[0]["lon"] - -1.9) < 0.2 and abs(rows[0]["lat"] - 52.48) < 0.2
    assert "Café Kavarna" in run("search", "CAFE", "--db", str(demo_store_path)).output


def test_atlas_db_environment_variable(demo_store_path):
    out = run("info", "--format", "json", env={"ATLAS_DB": str(demo_store_path)})
    assert json.loads(out.output)["path"] == str(demo_store_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nearby", "Nowhere Park"], "No site or asset is called 'Nowhere Park'"),
        (["nearby", "Summerfield Park", "--radius", "-5"], "more than 0 metres"),
        (["search", "  "], "Type part of a name"),
    ],
)
def test_errors_are_one_line_without_traceback(demo_store_path, args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "atlas", *args, "--db", str(demo_store_path)],
        capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_not_a_store_is_a_one_line_error(tmp_path):
    other = tmp_path / "notes.duckdb"
    other.write_text("shopping list")
    proc = subprocess.run([sys.executable, "-m", "atlas", "info", "--db", str(other)], capture_output=True, text=True)
    assert proc.returncode == 1 and "not an atlas store" in proc.stderr and proc.stderr.count("\n") == 1
    assert other.read_text() == "shopping list"


def test_missing_store_is_not_created_by_info(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "atlas", "info", "--db", str(tmp_path / "x.duckdb")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "atlas init" in proc.stderr
    assert not (tmp_path / "x.duckdb").exists()


def _commands(group: click.Group, prefix: str = "atlas"):
    for name, cmd in group.commands.items():
        yield f"{prefix} {name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix} {name}")


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name, cmd in _commands(main):
        assert (cmd.help or "").strip(), f"{name} has no help text"
        if name.count(" ") == 1:
            assert re.search(rf"`?{re.escape(name)}\b", readme), f"{name} is not in README.md"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    test_command = next(b for b in blocks if "pytest" in b and b.count("\n") == 0)
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
