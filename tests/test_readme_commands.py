"""Every ``atlas`` command the README's code blocks show, run as written through the
installed ``atlas`` script (GH issue 11: ``atlas nearby "-1.9585,52.4977" --radius 400``
failed as documented, with "No such option: -1").

The commands run in the README's order, in a scratch folder, on one fresh store that
``$ATLAS_DB`` names: ``atlas init`` makes it and ``atlas demo`` fills it, as a reader would.
A command with its own ``--db`` keeps it, relative to that folder. The files the commands
read (an OpenStreetMap extract, a GeoJSON, a Code-Point Open CSV, a workbook, a GeoPackage,
a needs CSV) are written first, in the formats their names say.

Each command is listed in RUNS with words its output must hold, or in SKIPPED with the
reason it cannot run here; a command the README gains that is in neither fails the test,
so the README cannot drift from what the command line does.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import string
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import shapely

from atlas.demo import DEMO_DIR
from tests.test_import_osm import town
from tests.test_import_postcodes import ROWS as CODEPOINT_ROWS
from tests.test_import_postcodes import write_rows
from tests.test_import_tables import write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
ATLAS = Path(sys.executable).with_name("atlas")
"""The script ``pip install -e .`` made from pyproject's [project.scripts]."""

RUNS: dict[str, str] = {
    "atlas init": "Atlas store ready at",
    "atlas demo": "Loaded the USE-IT! demo (approximate)",
    "atlas info --format json": '"metric_epsg": 27700',
    'atlas nearby "Edgbaston Reservoir" --radius 800': "Within 800 m of Edgbaston Reservoir",
    'atlas nearby "-1.9585,52.4977" --radius 400': "Within 400 m of -1.95850, 52.49770",
    "atlas nearby asset:1 --format json": '"assets": [',
    'atlas nearby "Edgbaston Reservoir" --all': "Within 800 m of Edgbaston Reservoir",
    # 10 minutes at 4.8 km/h; the demo has no walking network (stderr says so: tests/test_cli_walk.py)
    'atlas nearby "Edgbaston Reservoir" --walk 10': "Within 800 m of Edgbaston Reservoir",
    "atlas basemap build": "Base map: ",
    'atlas search "cafe"': "Café Kavarna",
    "atlas import city.osm.pbf": "Imported city.osm.pbf",
    "atlas import wards.geojson --as boundaries --name-field WD13NM --level ward": "Imported wards.geojson",
    "atlas import-postcodes codepoint/b.csv": "b.csv",
    "atlas import register.xlsx --as assets": "Imported register.xlsx",
    "atlas import sites.gpkg --as features --layer land --licence OGL-3.0 --format json": '"layer": "land"',
    "atlas import BasicCompanyData.csv --as companies": "as companies",
    "atlas import publicextract.charity.txt --as charities": "as charities",
    "atlas import grants.json --as grants": "as grants",
    'atlas import spend-2026.csv --as spend --anchor "Birmingham City Council"': "as spend",
    'atlas import spend.csv --as spend --anchor asset:1 --column category="Expense Area"': "Expense Area",
    "atlas report market --area Ladywood --out market.pdf": "Wrote the market report for Ladywood",
    'atlas report spend --anchor "Birmingham City Council" --from 2026-04-01 --to 2026-07-31 --format json':
        '"local_share"',
    'atlas report spend --anchor "Midland Metropolitan University Hospital" --survey suppliers.csv --record-needs':
        "supply need",
    "atlas plan list": "A community vision for Edgbaston Reservoir",
    'atlas plan new "Community growing at Summerfield" --site "Summerfield Park" --author "Amina K."':
        "Community growing at Summerfield",
    "atlas plan show 1": "Plan 1: A community vision for Edgbaston Reservoir",
    "atlas plan history 1 --diff 2": "Changes since version 2",
    "atlas plan export 1 --to pdf --out plan.pdf": "Wrote plan 1 as pdf to plan.pdf",
    "atlas plan pack 1 --size A3 --out pack.pdf --language de": "pack.pdf",
    'atlas plan paper-idea 1 --square B3 --text "Benches by the water"': "B3",
    "atlas needs --asset \"Port Loop residents' group\"": "Port Loop residents' group",
    "atlas import needs.csv --as needs": "Imported needs.csv",
    "atlas match": "score",
    "atlas match --need 1 --top 5 --format json": '"matches": [',
    'atlas match accept 1 62 --reason "Both keen"': "62",
    "atlas match plan 1 62": "plan",
    'atlas tenants --site "Port Loop historic building" --area 300 --use "community hall;co-working" --rent free':
        "Tenants for 300 m² at Port Loop historic building",
    'atlas dossier "Port Loop historic building" --out dossier.pdf': "Wrote the dossier to dossier.pdf",
    "atlas vocabulary list": "clinical staff",
    'atlas user add alex --role admin --name "Alex, data team"': "alex",
    "atlas user list": "Alex, data team",
    "atlas user set-role amina officer": "amina",
    "atlas history asset 12": "asset",
    "atlas history all --limit 50 --format json": '"action"',
    "atlas backup backups/atlas-2025-06-01.duckdb": "Restore it with: atlas restore",
    "atlas restore backups/atlas-2025-06-01.duckdb --db data/atlas.duckdb": "Restored",
    "atlas settings": "GBP",
    'atlas settings --place "Birmingham" --currency EUR --employees 250 --spend 1000000 --land-ha 5': "€1,000,000",
    "atlas settings --language de": "Deutsch",
    "atlas --language fr info": "EPSG:27700",
}
"""README command -> words its output must hold (exit code 0 for all of them)."""

_ON_POSTGIS = "ATLAS_DB=postgresql://atlas:change-me@localhost:5432/atlas "
_NEEDS_A_SERVER = ("runs on the PostgreSQL server the README's block starts and exports as ATLAS_DB; no server "
                   "here (the PostGIS engine has its own tests)")

SKIPPED: dict[str, str] = {
    _ON_POSTGIS + "atlas init": _NEEDS_A_SERVER,
    _ON_POSTGIS + 'atlas copy --from data/atlas.duckdb --to "$ATLAS_DB"': _NEEDS_A_SERVER,
}
"""README command -> why it cannot run here (it needs the app running, a PostgreSQL server,
or would destroy the store the rest run on)."""

BEFORE: dict[str, list[list[str]]] = {
    # The README's example account: a real store has her from an earlier ``atlas user add``.
    "atlas user set-role amina officer": [["user", "add", "amina", "--role", "researcher", "--name", "Amina K."]],
}
"""README command -> commands to run first, for what the example takes as already there."""

WRITES: dict[str, str] = {
    "atlas report market --area Ladywood --out market.pdf": "market.pdf",
    "atlas plan export 1 --to pdf --out plan.pdf": "plan.pdf",
    "atlas plan pack 1 --size A3 --out pack.pdf --language de": "pack.pdf",
    'atlas dossier "Port Loop historic building" --out dossier.pdf': "dossier.pdf",
    "atlas backup backups/atlas-2025-06-01.duckdb": "backups/atlas-2025-06-01.duckdb",
    "atlas restore backups/atlas-2025-06-01.duckdb --db data/atlas.duckdb": "data/atlas.duckdb",
}
"""README command -> the file (in the scratch folder) it must have written."""


def _drop_comment(line: str) -> str:
    """``line`` without a shell comment: a ``#`` after a space, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_commands(markdown: str) -> list[str]:
    """Every ``atlas`` command inside the fenced code blocks of ``markdown``, in order, as
    written (comments dropped; lines continued with a backslash joined). A variable the
    block exported before it (``export ATLAS_DB=postgresql://...``) is part of the command,
    written in front of it as a shell would take it: ``ATLAS_DB=postgresql://... atlas init``."""
    commands: list[str] = []
    in_block, pending, exported = False, "", {}
    for raw in markdown.splitlines():
        if raw.lstrip().startswith("```"):
            in_block, pending, exported = not in_block, "", {}
            continue
        if not in_block:
            continue
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        pending = ""
        command = _drop_comment(line)
        if command.startswith("export ") and "=" in command:
            name, value = command.removeprefix("export ").split("=", 1)
            exported[name.strip()] = shlex.split(value)[0] if value.strip() else ""
        elif command.split(None, 1)[:1] == ["atlas"]:
            commands.append(" ".join([*(f"{k}={shlex.quote(v)}" for k, v in exported.items()), command]))
    return commands


def _environment_and_words(command: str, env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """What a shell would run for ``command``: its leading ``NAME=value`` words added to
    ``env``, then the words after ``atlas`` with ``$NAME`` expanded."""
    words = shlex.split(command)
    env = dict(env)
    while words[0] != "atlas":
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, [string.Template(w).safe_substitute(env) for w in words[1:]]


def test_the_extractor_reads_fences_comments_and_continuations():
    markdown = "\n".join([
        "atlas info  # not in a block", "```bash", "atlas nearby \"A # B\" --radius 400   # near a site",
        "atlas import x.gpkg \\", "    --as features", "atlas/   the package, not a command", "```",
        "```", "export ATLAS_DB=postgresql://u@h/db", "atlas copy --to \"$ATLAS_DB\"", "```",
        "```", "atlas search cafe", "```",
    ])
    commands = readme_commands(markdown)
    assert commands == ['atlas nearby "A # B" --radius 400', "atlas import x.gpkg --as features",
                        'ATLAS_DB=postgresql://u@h/db atlas copy --to "$ATLAS_DB"', "atlas search cafe"]
    env, words = _environment_and_words(commands[2], {"ATLAS_DB": "atlas.duckdb"})
    assert (env["ATLAS_DB"], words) == ("postgresql://u@h/db", ["copy", "--to", "postgresql://u@h/db"])


def test_every_readme_command_is_run_or_skipped_with_a_reason():
    shown = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert shown, "README.md shows no atlas commands in its code blocks: has the extractor broken?"
    unlisted = [c for c in shown if c not in RUNS and c not in SKIPPED]
    assert not unlisted, ("README.md shows commands this test neither runs nor skips; add each to RUNS (with words "
                          f"its output must hold) or to SKIPPED (with why): {unlisted}")
    stale = [c for c in [*RUNS, *SKIPPED] if c not in shown]
    assert not stale, f"These commands are no longer in README.md; remove them here: {stale}"
    assert all(reason.strip() for reason in SKIPPED.values())
    assert not set(RUNS) & set(SKIPPED)


def _write_registers_and_spend(folder: Path) -> None:
    """The demo's invented register extracts and spend files under the names the README
    gives them (the charity extract tab-separated, as the Charity Commission publishes it),
    a 360Giving package and an LM3 supplier survey."""
    shutil.copy(DEMO_DIR / "companies.csv", folder / "BasicCompanyData.csv")
    with (DEMO_DIR / "charities.csv").open(newline="", encoding="utf-8") as src, \
            (folder / "publicextract.charity.txt").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, delimiter="\t").writerows(csv.reader(src))
    shutil.copy(DEMO_DIR / "spend-birmingham-city-council.csv", folder / "spend-2026.csv")
    shutil.copy(DEMO_DIR / "spend-city-hospital.csv", folder / "spend.csv")
    (folder / "grants.json").write_text(json.dumps({"grants": [{
        "id": "360G-demo-0001", "title": "Growing space for Ladywood", "currency": "GBP", "amountAwarded": 12000,
        "awardDate": "2026-03-01", "fundingOrganization": [{"id": "GB-CHC-1990099", "name": "A demo funder"}],
        "recipientOrganization": [{"id": "GB-CHC-1990005", "name": "Ladywood Land Trust", "charityNumber": "1990005",
                                   "postalCode": "B16 8ZC"}],
    }]}), encoding="utf-8")
    (folder / "suppliers.csv").write_text("supplier,local_supplier_share,local_staff_share,staff_cost_share\n"
                                          "Brushstrokes Community Project,40%,80%,60%\n", encoding="utf-8")


def _write_inputs(folder: Path) -> None:
    """The files the README's commands read, each a real file of the format its name says."""
    _write_registers_and_spend(folder)
    town().write(folder / "city.osm.pbf")
    wards = gpd.read_file(DEMO_DIR / "wards.geojson").rename(columns={"name": "WD13NM"})
    wards.to_file(folder / "wards.geojson", driver="GeoJSON")
    (folder / "codepoint").mkdir()
    write_rows(folder / "codepoint" / "b.csv", CODEPOINT_ROWS)
    write_xlsx(folder / "register.xlsx", ["Name", "Sector", "Employees", "lng", "lat", "Offers"],
               [["Rolfe Street Men's Shed", "community", 0, -1.9612, 52.4968, "woodwork; repairs"],
                ["Smethwick Print Works", "private", 14, -1.9570, 52.4952, "printing"]])
    land = gpd.GeoDataFrame(
        {"name": ["Rolfe Street yard", "Canal-side plot"], "kind": ["land", "land"], "status": ["vacant", "disused"]},
        geometry=[shapely.box(-1.9630, 52.4960, -1.9615, 52.4970), shapely.box(-1.9560, 52.4985, -1.9540, 52.4995)],
        crs=4326)
    land.to_file(folder / "sites.gpkg", layer="land", driver="GPKG")
    write_csv(folder / "needs.csv",
              ["asset", "kind", "title", "description", "tags", "quantity", "unit", "area_m2", "annual_value",
               "status"],
              [["Port Loop residents' group", "space", "A room for the monthly meeting",
                "Somewhere for forty people one evening a month, step-free.", "meeting rooms", "", "", "60", "",
                "open"]])
    (folder / "backups").mkdir()  # where the README's backup goes; atlas backup makes no folders


def _run(env: dict[str, str], argv: list[str], folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ATLAS), *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def test_readme_commands_run_as_written(tmp_path):
    _write_inputs(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env.update(ATLAS_DB=str(tmp_path / "atlas.duckdb"), ATLAS_PASSWORD="readme-example-password",
               ATLAS_AUTHOR="README test", MPLBACKEND="Agg")
    failures = []
    for command in readme_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        if command in SKIPPED:
            continue
        if command not in RUNS:  # test_every_readme_command_is_run_or_skipped_with_a_reason says more
            failures.append(f"{command}\n  is in neither RUNS nor SKIPPED")
            continue
        for setup in BEFORE.get(command, []):
            done = _run(env, setup, tmp_path)
            assert done.returncode == 0, f"setting up for {command}: atlas {shlex.join(setup)}: {done.stderr}"
        proc = _run(*_environment_and_words(command, env), tmp_path)
        out = proc.stdout + proc.stderr
        written = WRITES.get(command)
        if proc.returncode != 0:
            failures.append(f"{command}\n  exit {proc.returncode}: {out.strip()[-600:]}")
        elif RUNS[command] not in proc.stdout:
            failures.append(f"{command}\n  printed no {RUNS[command]!r}: {out.strip()[:600]}")
        elif written and not ((tmp_path / written).is_file() and (tmp_path / written).stat().st_size > 0):
            failures.append(f"{command}\n  wrote no {written}")
    assert not failures, "README commands that do not work as written:\n" + "\n".join(failures)

