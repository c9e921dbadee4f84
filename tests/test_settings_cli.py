"""``atlas settings`` (issue 13): a city sets its place once, its name, default language,
currency and macro thresholds, on real stores of both engines.

A new currency or threshold reclassifies every asset: the count the command prints is
checked against one computed here from the assets' own employees, spend and land, and each
reason must name the new currency. A bad value is refused, naming its option, and leaves
the store exactly as it was."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from atlas import open_store, place_settings
from atlas.classify import money
from atlas_cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _assets(path) -> list[dict]:
    with open_store(path) as store:
        return store.rows("SELECT id, employees, annual_spend, land_ha, scale, scale_reason FROM assets ORDER BY id")


def _snapshot(path) -> tuple:
    """Everything a refused command must leave as it was: the settings, every asset's scale
    and reason, and the audit trail's length."""
    with open_store(path) as store:
        settings = place_settings.read(store)
        audit_rows = store.rows("SELECT count(*) AS n FROM audit_log")[0]["n"]
    return settings, [(a["id"], a["scale"], a["scale_reason"]) for a in _assets(path)], audit_rows


def _macro(asset: dict, employees: int, spend: float, land_ha: float) -> bool:
    # The rule as the README states it, written out again here: over any one threshold.
    return bool((asset["employees"] is not None and asset["employees"] > employees)
                or (asset["annual_spend"] is not None and asset["annual_spend"] > spend)
                or (asset["land_ha"] is not None and asset["land_ha"] > land_ha))


def test_settings_shows_the_place(demo_store_path):
    with open_store(demo_store_path) as store:
        s = place_settings.read(store)
    table = run("settings", "--db", str(demo_store_path))
    assert table.exit_code == 0, table.output
    assert s.place and s.place in table.output
    assert "en (English)" in table.output and "GBP" in table.output and "£1,000,000" in table.output
    assert re.search(r"macro: employees over\s+250", table.output)
    data = json.loads(run("settings", "--db", str(demo_store_path), "--format", "json").output)
    assert data == {"place": s.place, "language": "en", "currency": "GBP", "employees": 250,
                    "spend": 1_000_000.0, "land_ha": 5.0, "walking_speed_kmh": 4.8}
    assert re.search(r"walking speed\s+4\.8 km/h", table.output)


def test_walking_speed_is_kept_and_a_wrong_one_changes_nothing(demo_store_path):
    assert run("settings", "--db", str(demo_store_path), "--walking-speed", "3").exit_code == 0
    data = json.loads(run("settings", "--db", str(demo_store_path), "--format", "json").output)
    assert data["walking_speed_kmh"] == 3.0
    refused = run("settings", "--db", str(demo_store_path), "--walking-speed", "99", "--place", "Elsewhere")
    assert refused.exit_code != 0 and "Walking speed" in refused.output
    data = json.loads(run("settings", "--db", str(demo_store_path), "--format", "json").output)
    assert data["walking_speed_kmh"] == 3.0 and data["place"] != "Elsewhere"


def test_new_currency_and_spend_threshold_reclassify_every_asset(demo_store_path):
    before = _assets(demo_store_path)
    spend = 100_000
    want_changed = sum(_macro(a, 250, spend, 5.0) != (a["scale"] == "macro") for a in before)
    assert want_changed > 0, "the demo has assets spending between 100,000 and 1,000,000: the test needs some"

    out = run("settings", "--currency", "eur", "--spend", str(spend), "--db", str(demo_store_path))
    assert out.exit_code == 0, out.output
    assert f"Reclassified every asset: {want_changed} assets changed scale." in out.output
    assert "€100,000" in out.output

    after = _assets(demo_store_path)
    assert len(after) == len(before)
    for a in after:
        assert (a["scale"] == "macro") == _macro(a, 250, spend, 5.0), a
        assert "£" not in a["scale_reason"], a
        if a["scale"] == "micro":
            assert money(spend, "EUR") in a["scale_reason"], a  # "not over ... €100,000 spend"
        elif a["annual_spend"] is not None and a["annual_spend"] > spend:
            assert f"spends {money(a['annual_spend'], 'EUR')} a year" in a["scale_reason"], a
    with open_store(demo_store_path) as store:
        t = place_settings.read(store).thresholds
        assert (t.currency, t.spend, t.employees, t.land_ha) == ("EUR", spend, 250, 5.0)
        changes = store.rows("SELECT summary FROM audit_log WHERE entity = 'settings' ORDER BY id")
    assert changes and changes[-1]["summary"] == f"macro thresholds changed; {want_changed} assets changed scale"


def test_place_and_every_threshold_change_together(demo_store_path):
    before = _assets(demo_store_path)
    want = sum(_macro(a, 50, 2_000_000, 1.0) != (a["scale"] == "macro") for a in before)
    out = run("settings", "--place", "Stadt Beispiel", "--employees", "50", "--spend", "2000000", "--land-ha", "1",
              "--db", str(demo_store_path), "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["changed_scale"] == want
    assert (data["place"], data["employees"], data["spend"], data["land_ha"]) == ("Stadt Beispiel", 50, 2e6, 1.0)


@pytest.mark.parametrize(("args", "option"), [
    (["--spend", "-1"], "--spend"),
    (["--employees", "-5"], "--employees"),
    (["--land-ha", "-0.5"], "--land-ha"),
    (["--land-ha", "nan"], "--land-ha"),
    (["--currency", "XYZ"], "--currency"),
    (["--currency", "EURO"], "--currency"),
    (["--currency", "€"], "--currency"),
    (["--language", "xx"], "--language"),
    (["--language", "de-AT"], "--language"),
    (["--place", "  "], "--place"),
    # one good value beside a bad one: the good one is not written either
    (["--place", "Somewhere else", "--currency", "EUR", "--spend", "-100"], "--spend"),
    (["--language", "de", "--currency", "ZZZ"], "--currency"),
])
def test_bad_values_are_refused_naming_the_option_and_change_nothing(demo_store_path, args, option):
    before = _snapshot(demo_store_path)
    out = run("settings", *args, "--db", str(demo_store_path))
    assert out.exit_code == 2
    assert f"Error: {option}" in out.output and "Traceback" not in out.output
    assert _snapshot(demo_store_path) == before


def test_the_language_set_is_what_a_fresh_session_reads(store_path):
    assert run("init", "--db", str(store_path)).exit_code == 0
    out = run("settings", "--language", "de", "--place", "Köln", "--db", str(store_path))
    assert out.exit_code == 0, out.output
    with open_store(store_path) as store:  # a new connection, as a new app session opens
        s = place_settings.read(store)
    assert (s.language, s.place) == ("de", "Köln")
    with open_store(store_path) as store:
        rows = store.rows("SELECT entity_id, action FROM audit_log WHERE entity = 'settings' ORDER BY id")
    assert [(r["entity_id"], r["action"]) for r in rows] == [("place", "edit"), ("language", "edit")]


def test_settings_is_documented():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "atlas settings --place" in readme and "--land-ha" in readme
    assert run("settings", "--help").exit_code == 0
