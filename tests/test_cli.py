"""The atlas command: output formats, --db and ATLAS_DB, one-line errors, documentation."""

from __future__ import annotations

import ast
import csv
import importlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from atlas import open_store, writes
from atlas_cli import COMMAND_MODULES, main

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
    assert set(data) == {"site", "radius_m", "assets", "features", "features_found", "features_truncated",
                         "feature_counts"}
    assert data["features_found"] == len(data["features"]) and not data["features_truncated"]
    assert sum(c["count"] for c in data["feature_counts"]) == data["features_found"]
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


def test_nearby_lists_the_nearest_features_and_all_with_all(store_path):
    """Issue 11: the nearest 200 features by default, every one with --all, and every one
    counted by kind and status either way."""
    frame = gpd.GeoDataFrame(
        {"source_id": [str(i) for i in range(260)], "kind": "building",
         "status": ["vacant" if i % 4 == 0 else "in_use" for i in range(260)]},
        geometry=[shapely.Point(400_000 + 2 * i, 286_000) for i in range(260)], crs=27700,
    )
    with open_store(store_path) as store:
        writes.upsert_features(store, frame, source="t")
        first = store.con.execute("SELECT id FROM features WHERE source_id = '0'").fetchone()[0]
    args = ("nearby", f"feature:{first}", "--radius", "800", "--db", str(store_path))
    nearest = json.loads(run(*args, "--format", "json").output)
    every = json.loads(run(*args, "--all", "--format", "json").output)
    assert len(nearest["features"]) == 200 and nearest["features_truncated"]
    assert len(every["features"]) == every["features_found"] == nearest["features_found"] == 259
    assert every["features"][:200] == nearest["features"]
    want = {("building", "vacant"): 64, ("building", "in_use"): 195}  # the site itself (vacant) left out
    for data in (nearest, every):
        assert {(c["kind"], c["status"]): c["count"] for c in data["feature_counts"]} == want
    text = run(*args).output
    assert "the nearest 200 of 259 listed (--all lists every one)" in text and "by status: in_use 195" in text


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
        [sys.executable, "-m", "atlas_cli", *args, "--db", str(demo_store_path)],
        capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_not_a_store_is_a_one_line_error(tmp_path):
    other = tmp_path / "notes.duckdb"
    other.write_text("shopping list")
    proc = subprocess.run([sys.executable, "-m", "atlas_cli", "info", "--db", str(other)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "not an atlas store" in proc.stderr and proc.stderr.count("\n") == 1
    assert other.read_text() == "shopping list"


def test_missing_store_is_not_created_by_info(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "atlas_cli", "info", "--db", str(tmp_path / "x.duckdb")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "atlas init" in proc.stderr
    assert not (tmp_path / "x.duckdb").exists()


def _commands(group: click.Group, prefix: str = "atlas"):
    ctx = click.Context(group)  # the root group loads its commands on use: ask it, not .commands
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
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


# -- the command composed above both floors (issue 11) ----------------------------------

def test_the_command_table_names_every_command_where_it_lives():
    """atlas_cli lists each command with its module, so a command's module is imported only
    when it runs; the table and each module's COMMANDS must agree both ways."""
    for module_name in set(COMMAND_MODULES.values()):
        listed = {name for name, module in COMMAND_MODULES.items() if module == module_name}
        assert {c.name for c in importlib.import_module(module_name).COMMANDS} == listed, module_name


def test_the_ground_floor_does_not_import_the_floor_above():
    """Nothing in atlas/ imports cedplans or atlas_cli, not even inside a function."""
    above = ("cedplans", "atlas_cli")
    for path in sorted((ROOT / "atlas").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.split(".")[0] in above], f"{path.relative_to(ROOT)}:{node.lineno}"


def test_a_command_imports_only_what_it_needs(demo_store_path):
    code = ("import sys; from atlas_cli import main; main(sys.argv[1:], standalone_mode=False); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'cedplans', 'sklearn', 'matplotlib'}))")
    proc = subprocess.run([sys.executable, "-c", code, "info", "--db", str(demo_store_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# -- a point west of Greenwich is a site, not an option ----------------------------------

POINT = "-1.9585,52.4977"  # Smethwick High Street, as in the README


@pytest.mark.parametrize("args", [
    ["nearby", POINT, "--radius", "400", "--format", "json"],
    ["nearby", "--radius", "400", POINT, "--format", "json"],
    ["nearby", "--format", "json", "--radius", "400", POINT],
    ["nearby", "--radius", "400", "--format", "json", "--", POINT],
])
def test_a_point_with_a_negative_longitude_is_the_site(demo_store_path, args):
    out = run(args[0], "--db", str(demo_store_path), *args[1:])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["radius_m"] == 400 and shapely.from_wkt(data["site"]["wkt"]).equals(shapely.Point(-1.9585, 52.4977))
    assert data["assets"] and all(a["distance_m"] <= 400 for a in data["assets"])


def test_a_negative_point_is_still_an_options_value(demo_store_path):
    out = run("tenants", "--site", POINT, "--area", "300", "--use", "community hall", "--db", str(demo_store_path),
              "--format", "json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["space"]["lon"] == pytest.approx(-1.9585)
    # A dossier takes the point as its site, then says a point is not a site it can write about.
    out = run("dossier", POINT, "--out", "x.pdf", "--db", str(demo_store_path))
    assert out.exit_code == 2 and "is not one" in out.output and "No such option" not in out.output


@pytest.mark.parametrize(("args", "message"), [
    (["nearby", POINT, "--radios", "400"], "No such option '--radios'. Did you mean '--radius'?"),
    (["nearby", "-x", POINT], "No such option '-x'"),
    (["nearby", POINT, POINT], "unexpected extra argument"),
    (["nearby", "-1.9585,252.4977"], "not a longitude,latitude"),
])
def test_mistakes_around_a_point_are_still_named(demo_store_path, args, message):
    out = CliRunner().invoke(main, [*args, "--db", str(demo_store_path)])
    assert out.exit_code == 2 and message in out.output, out.output


def test_the_installed_command_takes_a_negative_point(demo_store_path):
    """Through the ``atlas`` script pip installed (pyproject's [project.scripts]), as the
    README runs it."""
    atlas = Path(sys.executable).with_name("atlas")
    proc = subprocess.run([str(atlas), "nearby", POINT, "--radius", "400", "--db", str(demo_store_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Within 400 m of -1.95850, 52.49770") and "Macro assets" in proc.stdout
