"""The printable workshop pack (issue 13, "Paper"): its PDF read back as text and as an
image whose QR codes are decoded, its letter-number grid, and paper ideas typed back in
by grid square (domain, command line and the officer's form), on both engines."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import duckdb
import pypdf
import pytest
import shapely
import zxingcpp
from click.testing import CliRunner
from PIL import Image
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from atlas import migrations, open_store
from atlas.engines.duckdb_file import attach, load_spatial
from atlas.errors import InvalidInput
from atlas.store import Store, _migrate
from atlas_cli import main
from cedplans import paper_grid, repository, workshop_pack, workshops
from cedplans.demo import HOLY_TRINITY_TITLE

BASE_URL = "https://atlas.example.org/plan_sketcher"
"""The app's address as an officer's browser shows it: the QR codes must open /workshop."""

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                reason="poppler-utils (pdftotext, pdftoppm) is not installed")


@pytest.fixture
def plan_id(demo_store) -> int:
    return next(p.id for p in repository.list_plans(demo_store) if p.title == HOLY_TRINITY_TITLE)


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "pack") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def square_centre_lonlat(grid: paper_grid.PaperGrid, column: int, row: int) -> tuple[float, float]:
    """The centre of the square in ``column`` and ``row`` (both from 1, rows counted from
    the top), worked out from the grid's box here rather than by the grid itself, and
    projected with pyproj directly."""
    width = (grid.maxx_m - grid.minx_m) / grid.columns
    height = (grid.maxy_m - grid.miny_m) / grid.rows
    x = grid.minx_m + (column - 0.5) * width
    y = grid.maxy_m - (row - 0.5) * height
    return Transformer.from_crs(grid.epsg, 4326, always_xy=True).transform(x, y)


def idea_rows(store: Store) -> int:
    return store.con.execute("SELECT count(*) FROM plan_ideas").fetchone()[0]


# -- the grid ---------------------------------------------------------------------------

def test_grid_squares_and_labels_round_trip():
    grid = paper_grid.PaperGrid(27700, 401_000, 287_000, 401_700, 287_500, 7, 5)
    assert grid.column_labels == list("ABCDEFG") and grid.row_labels == ["1", "2", "3", "4", "5"]
    assert grid.square_centre_m("A1") == (401_050, 287_450)  # top left: rows count from the north
    assert grid.square_centre_m("g5") == (401_650, 287_050)
    assert grid.square("B3") == pytest.approx(square_centre_lonlat(grid, 2, 3), abs=1e-9)
    for label in grid.labels:
        assert grid.label_at(grid.square(label)) == label
    with pytest.raises(InvalidInput, match=r"no square 'Z99'.*A1 to G5.*such as B3"):
        grid.square("Z99")
    for bad in ("", "B", "3B", "B0", "H1", "A6"):
        with pytest.raises(InvalidInput):
            grid.square_centre_m(bad)
    with pytest.raises(InvalidInput, match="outside the map's grid"):
        grid.label_at_m(400_000, 287_100)


def test_grid_around_covers_the_plan_with_round_squares():
    site = shapely.box(401_930, 287_980, 402_010, 288_040)
    grid = paper_grid.grid_around(site, 27700, margin_m=250)
    assert grid.square_width_m == grid.square_height_m == 100  # a round number of metres
    assert grid.minx_m % 100 == 0 and grid.miny_m % 100 == 0
    assert shapely.box(grid.minx_m, grid.miny_m, grid.maxx_m, grid.maxy_m).contains(site.buffer(250))
    assert grid.columns <= paper_grid.TARGET_SQUARES + 1 and grid.rows <= paper_grid.TARGET_SQUARES + 1


# -- the pack's PDF -------------------------------------------------------------------------

def test_pack_prints_map_grid_assets_questions_and_cards(demo_store, plan_id, tmp_path):
    plan = repository.get_plan(demo_store, plan_id)
    workshop = workshop_pack.pack_workshop(demo_store, plan_id, by="Test officer")
    pack = workshop_pack.gather(demo_store, plan_id, workshop=workshop, base_url=BASE_URL)
    a4 = workshop_pack.render_pack(pack, "A4")
    a3 = workshop_pack.render_pack(pack, "A3")

    text = pdf_text(a4, tmp_path)
    words = text.split()
    assert " ".join(plan.title.split()[:4]) in " ".join(words)
    # The grid's letters along the top and bottom and numbers down both sides, the north arrow.
    for label in pack.grid.column_labels + pack.grid.row_labels + ["N"]:
        assert words.count(label) >= 2 if label != "N" else label in words, label
    assert pack.grid.columns >= 3 and pack.grid.rows >= 3
    # The nearby assets, each inside the map and numbered (names as stored in the atlas).
    assert pack.assets, "the demo plan has assets nearby"
    flat = " ".join(words)
    for asset in pack.assets:
        assert asset.name.split()[0] in flat
        assert pack.grid.label_at_m(asset.x_m, asset.y_m) == asset.square
    assert "Sandwell Council" in flat
    for question in workshop_pack.DEFAULT_QUESTIONS:
        assert " ".join(question.split()) in flat
    assert flat.count("Grid square") == workshop_pack.CARD_COLUMNS * workshop_pack.CARD_ROWS * workshop_pack.CARD_PAGES
    assert f"code {workshop.code}" in flat

    # Page sizes, in points: A4 is 595 × 842, A3 is 842 × 1191.
    for pdf, size in ((a4, (595.28, 841.89)), (a3, (841.89, 1190.55))):
        pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
        assert len(pages) == 2 + workshop_pack.CARD_PAGES
        assert all((float(p.mediabox.width), float(p.mediabox.height)) == pytest.approx(size, abs=0.5) for p in pages)
    assert pdf_text(a3, tmp_path, "a3").split() == words  # the same pack, larger


def test_the_cards_qr_codes_open_the_workshop_on_a_phone(demo_store, plan_id, tmp_path):
    pdf = workshop_pack.build_pack(demo_store, plan_id, size="A4", base_url=BASE_URL, by="Test officer")
    code = workshops.open_workshops(demo_store, plan_id)[0].code
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-f", "3", "-l", "3", "-png", str(path), str(tmp_path / "cards")],
                   check=True)
    image = Image.open(next(tmp_path.glob("cards*.png")))
    found = [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == workshop_pack.CARD_COLUMNS * workshop_pack.CARD_ROWS
    assert set(found) == {f"https://atlas.example.org/workshop?code={code}"}
    # The code lets a phone in: it is the plan's open workshop.
    assert workshops.join(demo_store, code, participant="device:phone").plan_id == plan_id
    # A second pack reuses the open code rather than opening another.
    workshop_pack.build_pack(demo_store, plan_id, size="A3", base_url=BASE_URL, by="Test officer")
    assert [w.code for w in workshops.open_workshops(demo_store, plan_id)] == [code]


def test_the_pack_is_printed_in_the_language_asked_for(demo_store, plan_id, tmp_path):
    workshop = workshop_pack.pack_workshop(demo_store, plan_id, by="Test officer")
    pack = workshop_pack.gather(demo_store, plan_id, workshop=workshop, base_url=BASE_URL, language="de")
    assert pack.language == "de"
    text = " ".join(pdf_text(workshop_pack.render_pack(pack, "A4"), tmp_path).split())
    # Dates as German writes them, by Babel (the words follow once the catalogue has them).
    months = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
              "November", "Dezember")
    assert any(f"{pack.made_at.day}. {m} {pack.made_at.year}" in text for m in months)
    with pytest.raises(InvalidInput, match="Paper size 'A5'"):
        workshop_pack.render_pack(pack, "A5")


# -- paper ideas typed back in --------------------------------------------------------------

def test_a_paper_idea_is_stored_at_its_squares_centre_and_marked(demo_store, plan_id):
    grid = workshop_pack.plan_grid(demo_store, repository.get_plan(demo_store, plan_id))
    idea = workshop_pack.add_paper_idea(demo_store, plan_id, " c 2 ", "Benches along the canal",
                                        category="idea", author="Amira", typed_by="Test officer")
    lon, lat = square_centre_lonlat(grid, column=3, row=2)
    assert (idea.point.x, idea.point.y) == pytest.approx((lon, lat), abs=1e-7)
    listed = {i.id: i for i in repository.list_ideas(demo_store, plan_id)}
    assert {i.id: i.paper_square for i in listed.values() if i.paper_square} == {idea.id: "C2"}
    assert listed[idea.id].text == "Benches along the canal" and listed[idea.id].by == "Amira"
    # Ideas given on a screen are not marked.
    assert all(i.paper_square is None for i in listed.values() if i.id != idea.id)
    entry = demo_store.con.execute(
        "SELECT actor, summary FROM audit_log WHERE entity = 'idea' AND entity_id = ? AND action = 'add'",
        [str(idea.id)]).fetchone()
    assert entry is not None and "paper card (square C2)" in entry[1]


def test_a_square_off_the_grid_is_refused_and_nothing_written(demo_store, plan_id):
    before = idea_rows(demo_store)
    with pytest.raises(InvalidInput, match=r"There is no square 'Z99' on this plan's grid: squares run from A1 to"):
        workshop_pack.add_paper_idea(demo_store, plan_id, "Z99", "Somewhere far away")
    with pytest.raises(InvalidInput, match="Write the idea"):
        workshop_pack.add_paper_idea(demo_store, plan_id, "B2", "   ")
    assert idea_rows(demo_store) == before


def test_pack_and_paper_idea_from_the_command_line(demo_store_path, tmp_path):
    runner = CliRunner()
    with open_store(demo_store_path) as store:
        pid = next(p.id for p in repository.list_plans(store) if p.title == HOLY_TRINITY_TITLE)
        grid = workshop_pack.plan_grid(store, repository.get_plan(store, pid))
        before = idea_rows(store)
    out = tmp_path / "pack-a3.pdf"
    result = runner.invoke(main, ["plan", "pack", str(pid), "--size", "A3", "--out", str(out), "--url", BASE_URL,
                                  "--language", "fr", "--db", str(demo_store_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Wrote the A3 workshop pack" in result.output and out.exists()
    assert float(pypdf.PdfReader(out).pages[0].mediabox.width) == pytest.approx(841.89, abs=0.5)

    result = runner.invoke(main, ["plan", "paper-idea", str(pid), "--square", "B3", "--text", "A repair cafe",
                                  "--category", "offer of help", "--db", str(demo_store_path)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "from a paper card, at square B3" in result.output

    bad = runner.invoke(main, ["plan", "paper-idea", str(pid), "--square", "Z99", "--text", "Lost",
                               "--db", str(demo_store_path)], catch_exceptions=False)
    assert bad.exit_code == 2 and "There is no square 'Z99'" in bad.output

    shown = runner.invoke(main, ["plan", "show", str(pid), "--db", str(demo_store_path)], catch_exceptions=False)
    assert "anonymous (paper card, square B3)" in shown.output
    as_json = runner.invoke(main, ["plan", "show", str(pid), "--format", "json", "--db", str(demo_store_path)],
                            catch_exceptions=False)
    assert '"paper_square": "B3"' in as_json.output

    with open_store(demo_store_path) as store:
        assert idea_rows(store) == before + 1
        idea, = [i for i in repository.list_ideas(store, pid) if i.paper_square]
        square = idea.paper_square
    assert (square, idea.text, idea.category, idea.author) == ("B3", "A repair cafe", "offer of help", None)
    assert (idea.point.x, idea.point.y) == pytest.approx(square_centre_lonlat(grid, 2, 3), abs=1e-7)


# -- the store's schema ----------------------------------------------------------------------

def test_a_new_store_has_the_paper_column(empty_store):
    assert empty_store.schema_version == migrations.SCHEMA_VERSION
    empty_store.con.execute("SELECT paper_square FROM plan_ideas").fetchall()


@pytest.mark.duckdb_only("builds a schema-9 store by hand in a DuckDB file; PostGIS stores are made at the latest")
def test_an_older_store_keeps_its_ideas_unmarked_after_the_upgrade(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect()
    load_spatial(con)
    attach(con, path, read_only=False)
    old = Store(con, path, read_only=False)
    _migrate(old, target=9)
    con.execute("INSERT INTO plan_ideas (plan_id, text, category, created_at) VALUES (1, 'Old idea', 'idea', now())")
    old.close()
    with open_store(path) as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
        assert store.con.execute("SELECT text, paper_square FROM plan_ideas").fetchall() == [("Old idea", None)]


# -- the officer's form ----------------------------------------------------------------------

def _typing_in_page() -> None:
    import streamlit as st

    from app.paper_ideas import render_pack_downloads, render_typing_in

    plan_id = int(st.session_state["test.plan_id"])
    render_pack_downloads(plan_id)
    render_typing_in(plan_id)


def test_an_officer_types_in_a_paper_idea(demo_store_path, monkeypatch):
    from app import state
    from atlas.access import as_role

    with open_store(demo_store_path) as store:
        pid = next(p.id for p in repository.list_plans(store) if p.title == HOLY_TRINITY_TITLE)
        before = idea_rows(store)
    monkeypatch.setenv("ATLAS_DB", str(demo_store_path))
    monkeypatch.setenv("ATLAS_DEMO", "0")
    try:
        at = AppTest.from_function(_typing_in_page, default_timeout=90)
        at.session_state["session.viewer"] = as_role("officer", "Test officer")
        at.session_state["test.plan_id"] = pid
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert [b.label for b in at.get("download_button")] == ["Workshop pack (A4 PDF)", "Workshop pack (A3 PDF)"]

        at.text_input(key=f"paper.{pid}.square").input("Z99")
        at.text_area(key=f"paper.{pid}.text").input("Lost card")
        at.button[0].click().run()
        assert [e.value for e in at.error][0].startswith("There is no square 'Z99'")

        at.text_input(key=f"paper.{pid}.square").input("d4")
        at.text_area(key=f"paper.{pid}.text").input("A night market in the car park")
        at.selectbox(key=f"paper.{pid}.category").select("question")
        at.button[0].click().run()
        assert not at.error and not at.exception
        assert "Added the idea from square D4" in at.success[0].value
        assert "D4: A night market in the car park" in " ".join(m.value for m in at.markdown)
        assert at.text_input(key=f"paper.{pid}.square").value == ""  # ready for the next card

        at.session_state["language"] = "de"
        at.run()
        assert not at.exception
    finally:
        state.close_all()
    with open_store(demo_store_path) as store:
        assert idea_rows(store) == before + 1
        idea, = [i for i in repository.list_ideas(store, pid) if i.paper_square]
        assert idea.paper_square == "D4" and idea.category == "question"

