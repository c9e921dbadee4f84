"""``atlas plan`` through click's CliRunner, against real stores."""

from __future__ import annotations

import csv
import io
import json

import pyogrio
import pypdf
import pytest
from click.testing import CliRunner

from atlas import open_store
from atlas_cli import main
from cedplans import repository
from cedplans.cli import plan as plan_group
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE


@pytest.fixture
def run(demo_store_path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["plan", *args, "--db", str(demo_store_path)], catch_exceptions=False)

    return invoke


def test_every_plan_command_has_help():
    runner = CliRunner()
    assert plan_group.help
    for name, command in plan_group.commands.items():
        assert command.help, name
        result = runner.invoke(main, ["plan", name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_list_in_each_format(run):
    as_json = json.loads(run("list", "--format", "json").output)
    assert {p["title"] for p in as_json} == {EDGBASTON_TITLE, HOLY_TRINITY_TITLE}
    edgbaston = next(p for p in as_json if p["title"] == EDGBASTON_TITLE)
    assert (edgbaston["status"], edgbaston["version"], edgbaston["zones"], edgbaston["ideas"]) == ("consulted", 3, 6, 5)
    rows = list(csv.DictReader(io.StringIO(run("list", "--format", "csv").output)))
    assert {r["title"] for r in rows} == {EDGBASTON_TITLE, HOLY_TRINITY_TITLE}
    table = run("list").output
    assert table.splitlines()[0].split()[:3] == ["id", "title", "status"]
    assert "Holy Trinity Church, Smethwick" in table


def test_new_then_show(run, demo_store_path):
    result = run("new", "Repair cafe at the Community Centre", "--site", "Summerfield Community Centre",
                 "--vision", "Fix things together.", "--author", "Tomasz W.")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created plan 3: Repair cafe at the Community Centre (idea, version 1)")
    shown = run("show", "3").output
    assert "Site: Summerfield Community Centre" in shown
    assert "Vision: Fix things together." in shown
    assert "can move to: draft, dropped" in shown
    assert "saved by Tomasz W." in shown
    with open_store(demo_store_path) as store:
        assert repository.get_plan(store, 3).site_feature_id == repository.find_feature_id(
            store, "Summerfield Community Centre")


def test_show_by_title_and_as_json(run):
    shown = run("show", HOLY_TRINITY_TITLE.upper()).output
    for text in ("Partners (6)", "Smethwick CAN", "Nave co-working", "1,005 m²", "Workshop ideas (4)"):
        assert text in shown
    data = json.loads(run("show", HOLY_TRINITY_TITLE, "--format", "json").output)
    assert data["title"] == HOLY_TRINITY_TITLE
    assert data["partners"][0]["role"] == "lead"
    assert data["zones"][0]["geometry"]["type"] == "Polygon"
    assert len(data["ideas"]) == 4


def test_history_lists_versions_and_changes(run):
    out = run("history", "1", "--diff", "2").output
    lines = out.splitlines()
    assert lines[2].split()[0] == "3" and "Amina K." in lines[2]
    assert "Changes since version 2:" in out
    assert "  - Status changed from 'draft' to 'consulted'" in out
    versions = json.loads(run("history", "1", "--format", "json").output)
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[2]["summary"] == "Plan started"


def test_export_each_format(run, tmp_path):
    for fmt in ("geojson", "gpkg", "html", "pdf"):
        out = tmp_path / f"plan.{fmt}"
        result = run("export", "2", "--to", fmt, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"Wrote plan 2 as {fmt} to {out}"
    assert json.loads((tmp_path / "plan.geojson").read_text())["plan"]["title"] == HOLY_TRINITY_TITLE
    assert len(pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer="partners")) == 6
    assert "Smethwick CAN" in (tmp_path / "plan.html").read_text()
    assert "Holy Trinity" in pypdf.PdfReader(tmp_path / "plan.pdf").pages[0].extract_text()


def test_errors_are_one_line_with_an_exit_code(run, tmp_path):
    missing = run("show", "99")
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: There is no plan 99. List the plans with: atlas plan list"
    bad_site = run("new", "X", "--site", "Brushstrokes Community Project", "--author", "Ann")
    assert bad_site.exit_code == 2 and "is not an atlas site" in bad_site.output
    bad_folder = run("export", "1", "--to", "pdf", "--out", str(tmp_path / "nowhere" / "plan.pdf"))
    assert bad_folder.exit_code == 2 and "does not exist" in bad_folder.output
    unknown = run("show", "No such plan")
    assert unknown.exit_code == 1 and "No plan is called 'No such plan'" in unknown.output
    assert "Traceback" not in missing.output + bad_site.output + bad_folder.output
