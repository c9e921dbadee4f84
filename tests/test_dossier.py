"""The site dossier: its facts, plans, assets and needs checked against geopandas in
EPSG:27700 from the demo's source files, its reports and GeoPackage written to real files
and read back, and the confidential notes and decision reasons kept out unless asked for."""

from __future__ import annotations

import base64
import csv
import html as htmllib
import io
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pypdf
import pytest
from PIL import Image

from atlas import needs_offers, queries, sites, vocabulary
from atlas.access import PUBLIC, as_role
from atlas.confidential import WITHHELD
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput, NotFound
from atlas.needs_offers import NeedOfferDraft
from atlas.sites import SiteNote, SiteRecord
from cedplans import dossier_exports, linking, repository
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE
from cedplans.dossier import build_dossier
from tests.demo_data import demo_asset_table

BNG = 27700
ROOT = Path(__file__).resolve().parents[1]
PORT_LOOP = "Port Loop historic building"
HOLY_TRINITY = "Holy Trinity Church, Smethwick"
NOTE_TOKEN = "TOKEN-7f3a"
NOTE_AUTHOR = "Officer AUTHOR-2b6e"
REASON_TOKEN = "REASON-9c1d"
SCRIPT = "<script>alert(1)</script>"


# -- the independent side: the demo's source files, measured by geopandas ----------------------

@pytest.fixture(scope="module")
def source():
    sites_m = gpd.read_file(DEMO_DIR / "sites.geojson").to_crs(BNG).set_index("name", drop=False)
    wards_m = gpd.read_file(DEMO_DIR / "wards.geojson").to_crs(BNG)
    table = demo_asset_table()
    assets_m = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326).to_crs(BNG)
    return sites_m, wards_m, assets_m.set_index("name", drop=False)


@pytest.fixture(scope="module")
def contacts() -> list[str]:
    """Every asset's contact (an e-mail address) in the demo's source file."""
    with open(DEMO_DIR / "assets.csv", encoding="utf-8", newline="") as f:
        found = [r["contact"].strip() for r in csv.DictReader(f) if r["contact"].strip()]
    assert len(found) > 50 and all("@" in c for c in found)
    return found


def place_of_items(source) -> dict[str, object]:
    """Where each demo need and offer is (source id -> point in EPSG:27700): its site's point
    on surface, else its asset's point, as the atlas places them."""
    sites_m, _, assets_m = source
    out = {}
    for name in ("needs.csv", "offers.csv"):
        table = pd.read_csv(DEMO_DIR / name, keep_default_na=False, na_values=[""])
        for _, row in table.iterrows():
            if row["status"] not in ("open", "in progress"):
                continue
            if isinstance(row["site"], str) and row["site"].strip():
                out[row["id"]] = sites_m.geometry[row["site"]].representative_point()
            else:
                out[row["id"]] = assets_m.geometry[row["asset"]]
    return out


# -- reading what was written ----------------------------------------------------------------

def words(text: str) -> str:
    """Text with every run of whitespace made one space (PDF tables wrap lines)."""
    return " ".join(text.split())


def pdf_text(data: bytes | Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
    return words(" ".join(page.extract_text() for page in reader.pages))


def sections_text(found: list[dossier_exports.Section]) -> str:
    parts = []
    for s in found:
        parts += [s.title, *s.lines, *s.header, s.empty, *(c for row in s.rows for c in row)]
    return "\n".join(parts)


def gpkg_text(path: Path) -> str:
    """Every layer's name, column names and text values, plus the file's raw bytes decoded:
    nothing in the file can hide from a search of this."""
    parts = []
    for layer, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=layer)
        parts += [layer, *map(str, frame.columns)]
        for column in frame.columns:
            if column == "geometry":
                continue
            parts += [str(v) for v in frame[column].tolist() if v is not None]
    parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def item_id(store, source_id: str) -> int:
    return store.con.execute("SELECT id FROM needs_offers WHERE source_id = ?", [source_id]).fetchone()[0]


def plan_id(store, title: str) -> int:
    return next(p.id for p in repository.list_plans(store) if p.title == title)


def add_secrets(store) -> None:
    """A confidential note on Port Loop, and an accepted match of an offer at the site with a
    confidential reason."""
    feature = repository.find_feature_id(store, PORT_LOOP)
    sites.add_site_note(store, feature, f"{NOTE_TOKEN}: the developer would take £1 for a 99-year lease.",
                        author=NOTE_AUTHOR)
    linking.decide(store, item_id(store, "n-port-loop-residents-room"), item_id(store, "o-port-loop-building"),
                   "accepted", reason=f"{REASON_TOKEN} met both groups; the residents start in May", by="Grace M.")


# -- the facts -----------------------------------------------------------------------------------

def test_port_loop_facts_are_its_polygons_area_owner_ward_use_and_status(demo_store, source):
    sites_m, wards_m, _ = source
    polygon = sites_m.geometry[PORT_LOOP]
    d = build_dossier(demo_store, PORT_LOOP)

    assert d.feature.name == PORT_LOOP
    assert d.area_m2 == pytest.approx(polygon.area, abs=1.0)
    assert 500 < polygon.area < 1_000  # a building, not a field: the comparison means something
    assert d.owner == "Port Loop housing developer"
    inside = wards_m[wards_m.contains(polygon.representative_point())]["name"].tolist()
    assert inside == ["Ladywood"]
    assert [(b.name, b.level) for b in d.boundaries] == [("Ladywood", "ward")]
    assert (d.feature.land_use, d.feature.status) == ("community use", "vacant")

    facts = dict(dossier_exports.sections(d)[0].rows)
    m2, ha = re.fullmatch(r"([\d,]+) m² \(([\d.]+) ha\)", facts["Area"]).groups()
    assert float(m2.replace(",", "")) == pytest.approx(polygon.area, abs=1.0)
    assert float(ha) == pytest.approx(polygon.area / 10_000, abs=0.005)
    assert facts["Owner"] == "Port Loop housing developer"
    assert facts["Lies in"] == "Ladywood (ward)"
    assert (facts["Land use"], facts["Status"], facts["Kind"]) == ("community use", "vacant", "building")
    assert facts["Asset of Community Value"] == "Not recorded by an officer yet."


@pytest.mark.parametrize("name", [HOLY_TRINITY, "Summerfield Park", "Soho Foundry yard", "Edgbaston Reservoir"])
def test_the_ward_a_site_lies_in_is_where_its_point_on_surface_falls(demo_store, source, name):
    sites_m, wards_m, _ = source
    point = sites_m.geometry[name].representative_point()
    expected = sorted(wards_m[wards_m.contains(point)]["name"])
    assert len(expected) == 1
    d = build_dossier(demo_store, name)
    assert sorted(b.name for b in d.boundaries) == expected
    assert d.area_m2 == pytest.approx(sites_m.geometry[name].area, abs=1.0)


def test_macro_and_micro_assets_within_800_m_of_the_site_edge_are_those_geopandas_finds(demo_store, source):
    sites_m, _, assets_m = source
    polygon = sites_m.geometry[PORT_LOOP]
    distance = assets_m.geometry.distance(polygon)
    want = {n: float(m) for n, m in distance.items() if m <= 800}
    scale = {a.name: a.scale for a in queries.list_assets(demo_store)}
    d = build_dossier(demo_store, PORT_LOOP)
    assert d.radius_m == 800

    got_macro = {a.name: a.distance_m for a in d.macro}
    got_micro = {a.name: a.distance_m for a in d.micro}
    near_edge = {n for n, m in distance.items() if abs(m - 800) < 1}
    assert set(got_macro) ^ {n for n in want if scale[n] == "macro"} <= near_edge
    assert set(got_micro) ^ {n for n in want if scale[n] == "micro"} <= near_edge
    assert "Port Loop housing developer" in got_macro and "Port Loop residents' group" in got_micro
    assert "Ladywood Youth Club" in got_micro
    for name, m in {**got_macro, **got_micro}.items():
        assert m == pytest.approx(want.get(name, m), abs=1.0), name
    for group in (d.macro, d.micro):
        assert [a.distance_m for a in group] == sorted(a.distance_m for a in group), "nearest first"

    # The report's tables list the same assets in the same order.
    found = {s.title: s for s in dossier_exports.sections(d)}
    assert [r[0] for r in found["Macro (anchor) assets nearby: within 800 m"].rows] == [a.name for a in d.macro]
    assert [r[0] for r in found["Micro (community) assets nearby: within 800 m"].rows] == [a.name for a in d.micro]


def test_a_smaller_radius_keeps_only_the_assets_within_it(demo_store, source):
    sites_m, _, assets_m = source
    distance = assets_m.geometry.distance(sites_m.geometry[PORT_LOOP])
    d = build_dossier(demo_store, PORT_LOOP, radius_m=300)
    assert d.radius_m == 300
    assert {a.name for a in d.nearby.assets} == {n for n, m in distance.items() if m <= 300}
    assert any(t.startswith("Macro (anchor) assets nearby: within 300 m") for t in
               (s.title for s in dossier_exports.sections(d)))


def test_open_needs_and_offers_nearby_are_sorted_by_distance_and_measured_from_the_edge(demo_store, source):
    sites_m, _, _ = source
    polygon = sites_m.geometry[PORT_LOOP]
    places = place_of_items(source)
    want = {sid: p.distance(polygon) for sid, p in places.items() if p.distance(polygon) <= 800}
    d = build_dossier(demo_store, PORT_LOOP)
    got = {n.item.source_id: n.distance_m for n in d.needs_offers}
    assert set(got) == set(want)
    for sid, m in got.items():
        assert m == pytest.approx(want[sid], abs=1.0), sid
    distances = [n.distance_m for n in d.needs_offers]
    assert distances == sorted(distances) and len(distances) > 10
    # The building's own offer is on the site: distance 0, first.
    assert d.needs_offers[0].item.source_id == "o-port-loop-building" and d.needs_offers[0].distance_m == 0
    assert all(n.item.status in ("open", "in progress") for n in d.needs_offers)


def test_matches_involve_the_sites_needs_and_offers_or_its_owner_best_first(demo_store):
    d = build_dossier(demo_store, PORT_LOOP)
    feature = repository.find_feature_id(demo_store, PORT_LOOP)
    owner = repository.find_asset_id(demo_store, "Port Loop housing developer")
    assert d.matches
    for m in d.matches:
        assert any(i.feature_id == feature or i.asset_id == owner for i in (m.need, m.offer)), m.why
    scores = [m.score for m in d.matches]
    assert scores == sorted(scores, reverse=True)
    assert any(m.offer.source_id == "o-port-loop-building" and m.need.source_id == "n-port-loop-residents-room"
               for m in d.matches)


# -- plans and community evidence ------------------------------------------------------------------

def _expected_evidence(store, pid: int) -> dict:
    """Ideas, votes and contributors counted from the repository and the votes table, as the
    dossier's docstring describes: named authors (case and spaces ignored), each anonymous
    idea, and each named voter, over visible ideas only."""
    visible = repository.list_ideas(store, pid)
    ids = [i.id for i in visible]
    voters = {r[0] for r in store.con.execute(
        "SELECT voter FROM plan_idea_votes WHERE voter IS NOT NULL AND list_contains(?, idea_id)", [ids]).fetchall()}
    people = {("author", i.author.strip().lower()) if i.author else ("idea", i.id) for i in visible}
    people |= {("voter", v) for v in voters}
    hidden = len(repository.list_ideas(store, pid, include_hidden=True)) - len(visible)
    plan = repository.get_plan(store, pid)
    return {"ideas": len(visible), "votes": sum(i.votes for i in visible), "contributors": len(people),
            "hidden_ideas": hidden, "partners": [(p.asset_name, p.role) for p in plan.partners],
            "status": plan.status, "version": plan.version}


def _evidence(plan) -> dict:
    return {"ideas": plan.ideas, "votes": plan.votes, "contributors": plan.contributors,
            "hidden_ideas": plan.hidden_ideas, "partners": plan.partners, "status": plan.status,
            "version": plan.version}


def test_holy_trinity_dossier_carries_its_plans_ideas_votes_and_partners(demo_store):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    d = build_dossier(demo_store, HOLY_TRINITY)
    assert [p.title for p in d.plans] == [HOLY_TRINITY_TITLE]
    want = _expected_evidence(demo_store, pid)
    assert _evidence(d.plans[0]) == want
    assert (want["ideas"], want["votes"], want["contributors"]) == (4, 17, 4)  # 2 named authors, 2 anonymous ideas
    assert ("Smethwick CAN", "lead") in want["partners"] and len(want["partners"]) == 6

    row = next(s for s in dossier_exports.sections(d) if s.title == "Plans and community evidence").rows[0]
    assert row[:5] == [HOLY_TRINITY_TITLE, f"{want['status']} (v{want['version']})", "4", "17", "4"]
    assert row[5] == "; ".join(f"{n} ({r})" for n, r in want["partners"])


def test_contributors_follow_new_ideas_votes_and_moderation(demo_store):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    zone = repository.get_plan(demo_store, pid).zones[0].id
    ideas = {i.author: i for i in repository.list_ideas(demo_store, pid) if i.author}
    # The same person typed differently is one contributor; an anonymous idea is one more.
    repository.add_idea(demo_store, pid, "Bike racks by the west door.", author="  amina k. ", zone_id=zone)
    repository.add_idea(demo_store, pid, "Open on Sundays after the service?", zone_id=zone)
    # A browser voting twice is one person; anonymous tallies add votes but nobody new.
    repository.vote(demo_store, ideas["Amina K."].id, "device:8d1e")
    repository.vote(demo_store, ideas["Harpreet B."].id, "device:8d1e")
    repository.vote(demo_store, ideas["Harpreet B."].id)
    # Hiding Harpreet's only idea takes her and its votes away; the device stays, as it also voted for Amina's.
    repository.hide_idea(demo_store, ideas["Harpreet B."].id, reason="Off topic", moderator="Grace M.")

    d = build_dossier(demo_store, HOLY_TRINITY)
    want = _expected_evidence(demo_store, pid)
    assert _evidence(d.plans[0]) == want
    # 4 at the start, + the anonymous idea, + the device, - Harpreet (her only idea is hidden).
    assert want["contributors"] == 5 and want["hidden_ideas"] == 1 and want["ideas"] == 5


def test_a_plan_drawn_over_a_site_without_linking_it_is_in_that_sites_dossier(demo_store):
    """The Edgbaston plan has a sketched site, not an atlas site: it counts where it overlaps."""
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    d = build_dossier(demo_store, "Edgbaston Reservoir")
    assert [p.title for p in d.plans] == [EDGBASTON_TITLE]
    want = _expected_evidence(demo_store, pid)
    assert _evidence(d.plans[0]) == want
    assert want["hidden_ideas"] == 1 and want["contributors"] == 12  # 3 authors, 2 anonymous ideas, 7 voters
    assert build_dossier(demo_store, PORT_LOOP).plans == []
    empty = next(s for s in dossier_exports.sections(build_dossier(demo_store, PORT_LOOP))
                 if s.title == "Plans and community evidence")
    assert empty.rows == [] and empty.empty == "No plan in the atlas is about this site yet."


# -- the Asset of Community Value record -----------------------------------------------------------

def test_an_acv_record_is_in_the_sections_the_pdf_the_html_and_the_geopackage(demo_store, tmp_path):
    feature = repository.find_feature_id(demo_store, PORT_LOOP)
    saved = sites.save_site_record(demo_store, SiteRecord(
        feature_id=feature, acv_status="listed", nominated_by="Ladywood Land Trust",
        nominated_on=date(2025, 3, 3), listed_on=date(2025, 6, 2)), by="Grace M.")
    assert saved.listing_ends_on == date(2030, 6, 2)
    expected = ("Listed as an Asset of Community Value (nominated by Ladywood Land Trust); nominated 03 March 2025; "
                "listed 02 June 2025 until 02 June 2030.")
    assert saved.words() == expected

    d = build_dossier(demo_store, PORT_LOOP)
    assert d.acv is not None and d.acv.acv_status == "listed"
    assert dict(dossier_exports.sections(d)[0].rows)["Asset of Community Value"] == expected
    pdf = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "d.pdf", dossier=d)
    assert expected in pdf_text(pdf)
    page = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "d.html", dossier=d)
    assert expected in words(htmllib.unescape(page.read_text(encoding="utf-8")))
    gpkg = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "d.gpkg", dossier=d)
    assert pyogrio.read_dataframe(gpkg, layer="site")["acv_status"].tolist() == ["listed"]
    assert pyogrio.read_dataframe(gpkg, layer="dossier")["acv"].tolist() == [expected]


# -- the PDF and the HTML ---------------------------------------------------------------------------

def test_pdf_names_the_site_its_facts_its_assets_and_a_match(demo_store, tmp_path):
    d = build_dossier(demo_store, PORT_LOOP)
    path = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "port-loop.pdf", dossier=d)
    reader = pypdf.PdfReader(path)
    assert reader.metadata.title == f"Site dossier: {PORT_LOOP}"
    text = pdf_text(path)
    assert f"Site dossier: {PORT_LOOP}" in text
    assert f"{d.area_m2:,.0f} m² ({d.area_m2 / 10_000:,.2f} ha)" in text
    assert "Port Loop housing developer" in text and "Ladywood (ward)" in text
    assert "community use" in text and "vacant" in text
    assert "Asset of Community Value" in text
    assert d.macro and d.micro
    for a in [*d.macro, *d.micro]:
        assert words(a.name) in text, a.name
    assert any(words(m.why) in text for m in d.matches)
    assert "Confidential notes are not included in this copy." in text
    assert "Measured in EPSG:27700".lower() in text.lower()
    # The map is in it: an image on the first page.
    assert len(reader.pages[0].images) == 1


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def test_html_holds_the_same_facts_and_an_embedded_map(demo_store, tmp_path):
    d = build_dossier(demo_store, PORT_LOOP)
    raw = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "d.html", dossier=d).read_text("utf-8")
    text = words(htmllib.unescape(raw))
    assert f"Site dossier: {PORT_LOOP}" in text
    assert f"{d.area_m2:,.0f} m² ({d.area_m2 / 10_000:,.2f} ha)" in text
    assert "Port Loop housing developer" in text and "Ladywood (ward)" in text and "Asset of Community Value" in text
    for a in [*d.macro, *d.micro]:
        assert a.name in text, a.name
    assert any(m.why in text for m in d.matches)
    assert "http://" not in raw and "https://" not in raw  # works offline

    parser = _Tags()
    parser.feed(raw)
    assert len(parser.images) == 1 and parser.images[0].startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(parser.images[0].split(",", 1)[1])))
    assert image.format == "PNG" and image.width > 500
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 20  # drawn, not blank

    # The PDF and the HTML are made from the same sections: each section title is in both.
    pdf = pdf_text(dossier_exports.render_pdf(d))
    for s in dossier_exports.sections(d):
        assert s.title in text and s.title in pdf


def test_a_note_and_a_need_typed_with_a_script_are_escaped_in_the_html(demo_store, tmp_path):
    feature = repository.find_feature_id(demo_store, PORT_LOOP)
    residents = repository.find_asset_id(demo_store, "Port Loop residents' group")
    sites.add_site_note(demo_store, feature, f"Note {SCRIPT} from the site visit", author=f"Officer {SCRIPT}")
    needs_offers.add(demo_store, NeedOfferDraft(side="need", asset_id=residents, kind="space",
                                                title=f"Storage {SCRIPT} for chairs", area_m2=10),
                     by="Tomasz W.", vocabulary=vocabulary.load(demo_store))
    d = build_dossier(demo_store, PORT_LOOP, viewer=as_role("officer"))
    raw = dossier_exports.render_html(d)
    assert SCRIPT not in raw and "<script" not in raw
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"Note {escaped} from the site visit" in raw
    assert f"Officer {escaped}" in raw
    assert f"Storage {escaped} for chairs" in raw
    parser = _Tags()
    parser.feed(raw)
    assert "script" not in parser.tags and parser.tags.count("img") == 1
    # The PDF prints the same words as text.
    pdf = pdf_text(dossier_exports.render_pdf(d))
    assert f"Note {SCRIPT} from the site visit" in pdf and f"Storage {SCRIPT} for chairs" in pdf


# -- the GeoPackage -------------------------------------------------------------------------------

def test_geopackage_has_its_layers_in_27700_with_the_nearby_assets_and_the_sites_area(demo_store, source, tmp_path):
    sites_m, _, assets_m = source
    polygon = sites_m.geometry[PORT_LOOP]
    d = build_dossier(demo_store, PORT_LOOP)
    path = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "port-loop.gpkg", dossier=d)
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {*dossier_exports.GPKG_LAYERS, "plans", "decisions", "dossier"}
    assert layers["plans"] is None and layers["dossier"] is None
    for name in dossier_exports.GPKG_LAYERS:
        assert pyogrio.read_info(path, layer=name)["crs"] == "EPSG:27700", name

    site = gpd.read_file(path, layer="site")
    assert site.crs.to_epsg() == BNG and len(site) == 1
    assert site["name"].iloc[0] == PORT_LOOP and site["owner"].iloc[0] == "Port Loop housing developer"
    assert site["area_m2"].iloc[0] == pytest.approx(polygon.area, abs=1.0)
    assert site.geometry.area.iloc[0] == pytest.approx(polygon.area, abs=1.0)
    assert site.geometry.iloc[0].symmetric_difference(polygon).area < 1.0  # the same shape, in metres

    nearby = gpd.read_file(path, layer="assets_nearby")
    distance = assets_m.geometry.distance(polygon)
    want = {n: float(m) for n, m in distance.items() if m <= 800}
    assert set(nearby["name"]) == set(want)
    for name, m in zip(nearby["name"], nearby["distance_m"], strict=True):
        assert m == pytest.approx(want[name], abs=1.0), name
    # Each point sits where the source file puts the asset.
    for name, point in zip(nearby["name"], nearby.geometry, strict=True):
        assert point.distance(assets_m.geometry[name]) < 1.0, name
    assert set(nearby["scale"]) == {"macro", "micro"}

    boundaries = gpd.read_file(path, layer="boundaries")
    assert boundaries["name"].tolist() == ["Ladywood"]
    items = pyogrio.read_dataframe(path, layer="needs_offers_nearby")
    assert sorted(items["id"]) == sorted(n.item.id for n in d.needs_offers)
    matches = pyogrio.read_dataframe(path, layer="matches")
    assert len(matches) == len(d.matches) and set(matches["why"]) == {m.why for m in d.matches}
    summary = pyogrio.read_dataframe(path, layer="dossier")
    assert summary["site"].tolist() == [PORT_LOOP] and summary["metric_crs"].tolist() == ["EPSG:27700"]
    assert not summary["includes_confidential"].iloc[0]


def test_render_gives_the_bytes_of_each_format(demo_store, tmp_path):
    d = build_dossier(demo_store, PORT_LOOP)
    assert dossier_exports.render(d, "pdf").startswith(b"%PDF")
    assert dossier_exports.render(d, "html").decode("utf-8").startswith("<!DOCTYPE html>")
    data = dossier_exports.render(d, "gpkg")
    path = tmp_path / "from-bytes.gpkg"
    path.write_bytes(data)
    assert set(dict(pyogrio.list_layers(path))) == {*dossier_exports.GPKG_LAYERS, "plans", "decisions", "dossier"}


# -- confidentiality ---------------------------------------------------------------------------------

def _viewer(include_confidential: bool):
    return as_role("officer") if include_confidential else PUBLIC


def _all_outputs(store, tmp_path: Path, include_confidential: bool) -> dict[str, str]:
    """The text of every output of Port Loop's dossier: page sections, PDF, HTML, GeoPackage."""
    d = build_dossier(store, PORT_LOOP, viewer=_viewer(include_confidential))
    folder = tmp_path / ("with" if include_confidential else "without")
    folder.mkdir()
    pdf = dossier_exports.export_dossier(store, PORT_LOOP, folder / "d.pdf", viewer=_viewer(include_confidential))
    page = dossier_exports.export_dossier(store, PORT_LOOP, folder / "d.html",
                                          viewer=_viewer(include_confidential))
    gpkg = dossier_exports.export_dossier(store, PORT_LOOP, folder / "d.gpkg",
                                          viewer=_viewer(include_confidential))
    return {"sections": sections_text(dossier_exports.sections(d)), "pdf": pdf_text(pdf),
            "html": htmllib.unescape(page.read_text(encoding="utf-8")), "gpkg": gpkg_text(gpkg)}


def test_confidential_notes_and_reasons_are_in_no_output_unless_asked_for(demo_store, tmp_path, contacts):
    add_secrets(demo_store)
    d = build_dossier(demo_store, PORT_LOOP)
    assert d.notes is None and d.decisions and all(x.reason is None for x in d.decisions)
    outputs = _all_outputs(demo_store, tmp_path, include_confidential=False)
    for kind, text in outputs.items():
        assert NOTE_TOKEN not in text, kind
        assert "AUTHOR-2b6e" not in text, kind
        assert REASON_TOKEN not in text, kind
        assert dossier_exports.CONFIDENTIAL_TITLE not in text, kind
        for contact in contacts:
            assert contact not in text, (kind, contact)
    # The reports say something was left out, and still show that a decision was taken.
    for kind in ("sections", "pdf", "html"):
        assert "Confidential notes are not included in this copy." in outputs[kind], kind
        assert WITHHELD in outputs[kind], kind
        assert "Decisions taken" in outputs[kind], kind
    assert "confidential_notes" not in dict(pyogrio.list_layers(tmp_path / "without" / "d.gpkg"))


def test_confidential_notes_and_reasons_are_in_the_reports_when_asked_for(demo_store, tmp_path, contacts):
    add_secrets(demo_store)
    d = build_dossier(demo_store, PORT_LOOP, viewer=as_role("officer"))
    assert [n.author for n in d.notes] == [NOTE_AUTHOR]
    assert [x.reason.split()[0] for x in d.decisions] == [REASON_TOKEN]
    outputs = _all_outputs(demo_store, tmp_path, include_confidential=True)
    for kind in ("sections", "pdf", "html"):
        text = outputs[kind]
        assert NOTE_TOKEN in text and "AUTHOR-2b6e" in text, kind
        assert REASON_TOKEN in text, kind
        assert dossier_exports.CONFIDENTIAL_TITLE in text, kind
        assert WITHHELD not in text and "Confidential notes are not included" not in text, kind
    assert all("this copy holds confidential notes" in outputs[kind] for kind in ("pdf", "html"))
    # The GeoPackage holds the notes in their own layer, and says it is a confidential copy.
    path = tmp_path / "with" / "d.gpkg"
    assert set(dict(pyogrio.list_layers(path))) == {*dossier_exports.GPKG_LAYERS, "plans", "decisions", "dossier",
                                                    "confidential_notes"}
    notes = pyogrio.read_dataframe(path, layer="confidential_notes")
    assert notes["author"].tolist() == [NOTE_AUTHOR] and notes["note"].str.startswith(NOTE_TOKEN).all()
    assert bool(pyogrio.read_dataframe(path, layer="dossier")["includes_confidential"].iloc[0])
    # Contacts are never part of a dossier, not even a confidential one.
    for kind, text in outputs.items():
        for contact in contacts:
            assert contact not in text, (kind, contact)


def test_a_confidential_geopackage_holds_the_decision_reasons_too(demo_store, tmp_path):
    add_secrets(demo_store)
    path = dossier_exports.export_dossier(demo_store, PORT_LOOP, tmp_path / "d.gpkg", viewer=as_role("officer"))
    assert REASON_TOKEN in gpkg_text(path)


def test_a_confidential_dossier_with_no_notes_still_writes_an_empty_notes_layer(demo_store, tmp_path):
    path = dossier_exports.export_dossier(demo_store, HOLY_TRINITY, tmp_path / "ht.gpkg", viewer=as_role("officer"))
    assert "confidential_notes" in dict(pyogrio.list_layers(path))
    assert len(pyogrio.read_dataframe(path, layer="confidential_notes")) == 0
    html = dossier_exports.render_html(build_dossier(demo_store, HOLY_TRINITY, viewer=as_role("officer")))
    assert "No notes yet." in html


# -- writing files ----------------------------------------------------------------------------------

def test_a_failing_export_raises_and_leaves_no_file(demo_store, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    older = out / "port-loop.pdf"
    older.write_bytes(b"an older dossier")
    with pytest.raises(InvalidInput, match="does not exist"):
        dossier_exports.export_dossier(demo_store, PORT_LOOP, out / "missing" / "d.pdf")
    with pytest.raises(InvalidInput, match="is a folder"):
        dossier_exports.export_dossier(demo_store, PORT_LOOP, out, fmt="pdf")
    (out / "sub.gpkg").mkdir()
    with pytest.raises(InvalidInput, match="is a folder"):
        dossier_exports.export_dossier(demo_store, PORT_LOOP, out / "sub.gpkg")
    assert not (out / "missing").exists()

    # A dossier that fails half way through the GeoPackage (a note without a date, after the
    # spatial layers are written) leaves neither a half file nor a temporary one.
    d = build_dossier(demo_store, PORT_LOOP, viewer=as_role("officer"))
    broken = replace(d, notes=[SiteNote(id=1, feature_id=d.feature.id, note="x", author="y", created_at=None)])
    with pytest.raises(AttributeError):
        dossier_exports.export_dossier(demo_store, PORT_LOOP, out / "half.gpkg", dossier=broken)
    # A map that is not a PNG fails the PDF before the older file is touched.
    with pytest.raises(OSError, match="cannot identify image"):
        dossier_exports.export_dossier(demo_store, PORT_LOOP, older, dossier=replace(d, map_png=b"not a png"))
    assert older.read_bytes() == b"an older dossier"
    assert sorted(p.name for p in out.iterdir()) == ["port-loop.pdf", "sub.gpkg"]  # no temporary files left


def test_an_unknown_ending_is_refused_naming_the_allowed_ones(demo_store, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidInput, match=r"pdf, html, gpkg.*'d\.docx'"):
        dossier_exports.export_dossier(demo_store, PORT_LOOP, out / "d.docx")
    with pytest.raises(InvalidInput, match="pdf, html, gpkg"):
        dossier_exports.fmt_of(out / "dossier")
    assert list(out.iterdir()) == []
    assert dossier_exports.fmt_of("Dossier.PDF") == "pdf"
    assert dossier_exports.fmt_of("dossier.bin", "gpkg") == "gpkg"


# -- wrong sites ------------------------------------------------------------------------------------

def test_a_site_that_does_not_exist_is_a_clear_not_found(demo_store):
    with pytest.raises(NotFound, match="No site or asset is called 'Nowhere Wharf'"):
        build_dossier(demo_store, "Nowhere Wharf")
    with pytest.raises(NotFound, match="no site or feature 9999"):
        build_dossier(demo_store, 9999)
    with pytest.raises(NotFound, match="no feature 9999"):
        build_dossier(demo_store, "feature:9999")


def test_an_asset_that_is_not_a_site_is_refused_and_an_asset_on_a_site_gives_its_site(demo_store):
    with pytest.raises(InvalidInput, match="'Ladywood Youth Club' is not one.*atlas search"):
        build_dossier(demo_store, "Ladywood Youth Club")
    # An asset housed on an atlas site leads to that site.
    d = build_dossier(demo_store, "Friends of Edgbaston Reservoir")
    assert d.feature.name == "Edgbaston Reservoir open spaces"
    # A site by its id and by "feature:ID" is the same dossier.
    feature = repository.find_feature_id(demo_store, PORT_LOOP)
    assert build_dossier(demo_store, feature).feature.name == PORT_LOOP
    assert build_dossier(demo_store, f"feature:{feature}").feature.name == PORT_LOOP


# -- the command line -------------------------------------------------------------------------------

def atlas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atlas_cli", *args], check=False, capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.mark.parametrize("ending", ["pdf", "html", "gpkg"])
def test_cli_writes_the_dossier_in_each_format(demo_store_path, tmp_path, ending):
    out = tmp_path / f"port-loop.{ending}"
    result = atlas("dossier", PORT_LOOP, "--out", str(out), "--db", str(demo_store_path))
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    assert result.stdout.strip() == f"Wrote the dossier to {out}."
    if ending == "pdf":
        assert PORT_LOOP in pdf_text(out)
    elif ending == "html":
        assert PORT_LOOP in out.read_text(encoding="utf-8")
    else:
        assert set(dict(pyogrio.list_layers(out))) == {*dossier_exports.GPKG_LAYERS, "plans", "decisions", "dossier"}
    store_file = [] if isinstance(demo_store_path, str) else [Path(demo_store_path).name]  # a PostGIS URL has none
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*store_file, out.name])


def test_cli_include_confidential_puts_the_note_in_and_says_so(demo_store_path, tmp_path):
    from atlas import open_store

    with open_store(demo_store_path) as store:
        add_secrets(store)
    plain, secret = tmp_path / "plain.html", tmp_path / "secret.html"
    result = atlas("dossier", PORT_LOOP, "--out", str(plain), "--db", str(demo_store_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote the dossier to {plain}."
    assert NOTE_TOKEN not in plain.read_text(encoding="utf-8")
    result = atlas("dossier", PORT_LOOP, "--out", str(secret), "--include-confidential", "--db", str(demo_store_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"Wrote the dossier to {secret}. It holds confidential notes: "
                                     "share it with officers only.")
    text = htmllib.unescape(secret.read_text(encoding="utf-8"))
    assert NOTE_TOKEN in text and REASON_TOKEN in text


def test_cli_refuses_a_bad_ending_in_one_line_with_exit_2(demo_store_path, tmp_path):
    out = tmp_path / "port-loop.docx"
    result = atlas("dossier", PORT_LOOP, "--out", str(out), "--db", str(demo_store_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "pdf, html, gpkg" in lines[0]
    assert "Traceback" not in result.stderr and not out.exists()


def test_cli_names_a_missing_site_in_one_line(demo_store_path, tmp_path):
    out = tmp_path / "x.pdf"
    result = atlas("dossier", "Nowhere Wharf", "--out", str(out), "--db", str(demo_store_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Nowhere Wharf" in lines[0] and not out.exists()
