"""Confidential fields for every role, through every way out (issue 10, "Trust").

One store, built once from the demo, holds a distinctive secret of each kind: an
organisation's contact, a person's contact and precise place (their shown place is the
centre of a 500 m square), an officer's site note and a match decision's reason. Each
test looks for all of them (and every contact the demo holds) in what one way out
gives a viewer: the query layer, each page's whole rendered output and downloads, map
popups, the plan and dossier exports read back, and the command line's JSON. Each
search is shown to be real: the officer's copy holds the secret where it should, and a
positive control proves the page or file was read.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import streamlit.elements.widgets.button as st_button
from click.testing import CliRunner
from pypdf import PdfReader
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from atlas import access, audit, people, queries, register, settings, sites
from atlas.access import PUBLIC, Permission, Role, Viewer, as_role
from atlas.demo import DEMO_ACCOUNTS
from atlas.store import Store, open_store
from atlas_cli import main as cli
from cedplans import dossier_exports, exports, linking, repository, workshops
from cedplans.dossier import build_dossier
from cedplans.tenants import SpaceDescription
from tests.app_fixtures import APP_TIMEOUT_S, ROOT, SESSION_VIEWER, map_args, map_asset_rows

ORG_CONTACT = "secret-contact-7731@example.org"
PERSON_CONTACT = "secret-person-5512@example.org"
NOTE = "NOTE-CONFIDENTIAL-4242"
REASON = "REASON-CONFIDENTIAL-9090"
PERSON_NAME = "Retired surveyor Zed (volunteer)"
SITE_NAME = "Port Loop historic building"
OFFICER = as_role("officer", "Test officer")

ROLES = (None, "resident", "researcher", "developer", "officer", "admin")
SEES = {"officer", "admin"}
"""The roles that may see confidential fields."""
KINDS = frozenset({"contact", "note", "reason", "place"})


# -- the store with its secrets ----------------------------------------------------------------


@dataclass(frozen=True)
class World:
    path: Path
    feature_id: int
    org_id: int
    """An organisation whose contact is ORG_CONTACT; the offer side of the decided match."""
    person_id: int
    """PERSON_NAME: a person with PERSON_CONTACT whose precise place is ``precise``."""
    need_id: int
    offer_id: int
    need_title: str
    offer_title: str
    org_name: str
    plan_id: int
    plan_title: str
    workshop_code: str
    """A join code of the plan: a visitor who follows its link is a resident on that plan."""
    precise: tuple[float, float]
    shown: tuple[float, float]
    contacts: frozenset[str]
    """Every contact in the store: the demo's and the two secrets."""
    people: dict[str, tuple[int, tuple[float, float], tuple[float, float]]]
    """Each person's name -> (asset id, precise lon/lat, shown lon/lat)."""
    metric_epsg: int


def _corner_point() -> tuple[float, float]:
    """A point near a corner of its 500 m square (so its shown place is some 300 m away),
    with seven decimals that nothing else in the atlas has."""
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    x, y = to_bng.transform(-1.9301, 52.4790)
    cell = settings.PERSON_LOCATION_CELL_M
    lon, lat = to_bng.transform(np.floor(x / cell) * cell + 37.3, np.floor(y / cell) * cell + 461.7,
                                direction="INVERSE")
    return round(float(lon), 7), round(float(lat), 7)


def _add_secrets(store: Store, path: Path) -> World:
    feature_id = queries.id_by_name(store, "features", SITE_NAME)
    dossier = build_dossier(store, feature_id, viewer=OFFICER)
    match = dossier.matches[0]
    org_id = match.offer.asset_id
    draft = register.draft_from_asset(store, org_id, viewer=OFFICER)
    register.update_asset(store, org_id, dataclasses.replace(draft, contact=ORG_CONTACT), by="Test officer",
                          viewer=OFFICER)
    lon, lat = _corner_point()
    person_id = register.add_asset(store, register.AssetDraft(
        name=PERSON_NAME, lon=lon, lat=lat, sector="community", category="skills", asset_type="human",
        offers=("surveying",), contact=PERSON_CONTACT, person=True, consent_given_by="The person",
        consent_given_on=date(2026, 5, 1), consent_purpose="matching with local groups"), by="Test officer")
    sites.add_site_note(store, feature_id, NOTE, author="Test officer")
    linking.decide(store, match.need.id, match.offer.id, "accepted", reason=REASON, by="Test officer")
    plan = repository.get_plan(store, repository.list_plans(store)[0].id)
    plan.partners.append(repository.Partner(asset_id=person_id, role="supporter"))
    plan.partners.append(repository.Partner(asset_id=org_id, role="supporter"))
    repository.save_plan(store, plan, author="Test officer")
    found = store.con.execute(
        "SELECT a.id, a.name, p.lon, p.lat, ST_X(a.geom), ST_Y(a.geom) FROM assets a "
        "JOIN person_locations p ON p.asset_id = a.id WHERE a.person").fetchall()
    everyone = {r[1]: (r[0], (r[2], r[3]), (r[4], r[5])) for r in found}
    contacts = frozenset(r[0] for r in store.con.execute(
        "SELECT contact FROM assets WHERE contact IS NOT NULL").fetchall())
    return World(path=path, feature_id=feature_id, org_id=org_id, person_id=person_id, need_id=match.need.id,
                 offer_id=match.offer.id, need_title=match.need.title,
                 offer_title=match.offer.title, org_name=queries.get_asset(store, org_id).name,
                 plan_id=plan.id, plan_title=plan.title,
                 workshop_code=workshops.open_workshop(store, plan.id, by="Test officer", hours=24).code,
                 precise=(lon, lat), shown=everyone[PERSON_NAME][2], contacts=contacts, people=everyone,
                 metric_epsg=store.metric_epsg)


@pytest.fixture(scope="module")
def world(_demo_store_file: Path, tmp_path_factory) -> World:
    path = tmp_path_factory.mktemp("confidential") / "secrets.duckdb"
    shutil.copy(_demo_store_file, path)
    with open_store(path) as store:
        made = _add_secrets(store, path)
    # The set-up is what every test below relies on: check it once here.
    assert len(made.people) == 10 and {"skills.engineer@example.org", ORG_CONTACT, PERSON_CONTACT} <= made.contacts
    for _, precise, shown in made.people.values():
        assert _metres(precise, shown) > 5  # each person's shown place is told apart from their own
    assert _metres(made.precise, made.shown) > 250
    return made


@pytest.fixture(scope="module")
def store(world: World, tmp_path_factory) -> Iterator[Store]:
    """The secrets store, for reading only."""
    path = tmp_path_factory.mktemp("confidential-read") / "read.duckdb"
    shutil.copy(world.path, path)
    with open_store(path) as opened:
        yield opened


@pytest.fixture
def db(world: World, tmp_path: Path) -> Path:
    """A copy of the secrets store for this test alone."""
    path = tmp_path / "atlas.duckdb"
    shutil.copy(world.path, path)
    return path


# -- finding secrets -----------------------------------------------------------------------------


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Rough ground distance between two lon/lat points (ample to tell 1 m from 20 m)."""
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_574)


def leaks(text: str, world: World) -> set[str]:
    """The kinds of secret in ``text``: any contact the store holds, the note, the reason,
    the person's precise place (to five decimals, a metre: its sixth and seventh do not
    round the fifth up). PDF text is also searched
    with its line breaks taken out, so a wrapped contact is still found."""
    squeezed = "".join(text.split())
    found = set()
    for haystack in (text, squeezed):
        if any(c in haystack for c in world.contacts):
            found.add("contact")
        if NOTE in haystack:
            found.add("note")
        if REASON in haystack:
            found.add("reason")
        lon, lat = world.precise
        if f"{lat:.5f}" in haystack and f"{abs(lon):.5f}" in haystack:
            found.add("place")
    return found


def _points(value: object) -> Iterator[tuple[float, float]]:
    """Every pair of numbers in decoded JSON (GeoJSON positions, lon/lat fields), both orders."""
    if isinstance(value, dict):
        if isinstance(value.get("lon"), (int, float)) and isinstance(value.get("lat"), (int, float)):
            yield (value["lon"], value["lat"])
        for v in value.values():
            yield from _points(v)
    elif isinstance(value, list):
        if len(value) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[:2]):
            yield (value[0], value[1])
            yield (value[1], value[0])
        for v in value:
            yield from _points(v)


def precise_places_in(data: object, world: World) -> set[str]:
    """Names of the people whose precise place (within 2 m) is among the points of ``data``."""
    points = list(_points(data))
    return {name for name, (_, precise, _) in world.people.items()
            if any(_metres(p, precise) < 2 for p in points if -90 <= p[1] <= 90)}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def gpkg_text(path: Path) -> str:
    """Every column (geometry as WKT) of every layer of a GeoPackage, as CSV text."""
    parts = []
    for name, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name)
        parts.append(f"# {name}\n" + pd.DataFrame(frame).astype(str).to_csv(index=False))
    return "\n".join(parts)


def file_text(name: str, data: object, folder: Path) -> str:
    """What a download holds, as text: a PDF's text, a GeoPackage's every column, or the text."""
    if callable(data):
        data = data()
    if isinstance(data, str):
        return data
    assert isinstance(data, bytes), (name, type(data))
    if name.endswith(".pdf"):
        return pdf_text(data)
    if name.endswith(".gpkg"):
        path = folder / name
        path.write_bytes(data)
        return gpkg_text(path)
    return data.decode("utf-8")


# -- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch) -> dict[str, object]:
    """file name -> the data (or the callable that makes it) of every st.download_button
    the page drew: AppTest keeps neither once the run ends."""
    caught: dict[str, object] = {}
    real = st_button.marshall_file

    def spy(coordinates, data, proto, mimetype, file_name=None, **kwargs):
        caught[file_name] = data
        return real(coordinates, data, proto, mimetype, file_name, **kwargs)

    monkeypatch.setattr(st_button, "marshall_file", spy)
    return caught


def _element_text(node: object, parts: list[str]) -> None:
    proto = getattr(node, "proto", None)
    if proto is not None:
        parts.append(str(proto))
        if getattr(proto, "json_args", ""):
            parts.append(proto.json_args)  # a map's script, popups and all, unescaped
    value = getattr(node, "value", None)  # blocks and some elements have none
    if isinstance(value, pd.DataFrame):
        parts.append(value.to_csv())
    elif value is not None:
        parts.append(str(value))
    for child in getattr(node, "children", {}).values():
        _element_text(child, parts)


def page_text(at: AppTest, downloads: dict[str, object], folder: Path) -> str:
    """The page's whole output: every element's proto and value (widget values, markdown,
    dataframes' data, maps' json arguments), and what each download holds."""
    parts: list[str] = []
    for root in (at.main, at.sidebar):
        _element_text(root, parts)
    parts += [file_text(name, data, folder) for name, data in downloads.items()]
    return "\n".join(parts)


@dataclass(frozen=True)
class PageSpec:
    permission: Permission | None
    """What the page needs (None: open to everyone)."""
    officer_sees: frozenset[str]
    """The kinds of secret the page shows an officer (and an admin)."""
    files: tuple[str, ...] = ()
    """Downloads the page offers (endings of their file names), all searched."""


PAGES = {
    "atlas_map": PageSpec(None, frozenset(), ("assets.csv",)),
    "site_explorer": PageSpec(None, frozenset(), ("assets-within-1600m.csv",)),
    "workshop": PageSpec(None, frozenset()),
    "asset_register": PageSpec(Permission.EDIT_REGISTER, frozenset({"contact", "place"})),
    "matches": PageSpec(Permission.PLAN, frozenset({"reason"})),
    "site_dossier": PageSpec(Permission.PLAN, frozenset({"note", "reason"}),
                             ("confidential.pdf", "confidential.html", "confidential.gpkg")),
    "plan_sketcher": PageSpec(Permission.PLAN, frozenset(), (".geojson", ".gpkg", ".pdf", ".html")),
    "tenant_finder": PageSpec(Permission.FIND_TENANTS, frozenset(), ("tenants.csv",)),
    "admin": PageSpec(Permission.ADMINISTER, frozenset()),
}


def page_state(page: str, world: World) -> tuple[dict, dict, str]:
    """(session state, query parameters, a string the page must show anyone allowed on it)
    that open ``page`` on the secrets: the person in the register, the reasons shown on
    Matches, the notes shown and put in the downloads on the dossier."""
    site = f"feature:{world.feature_id}"
    return {
        "atlas_map": ({}, {}, PERSON_NAME),
        "site_explorer": ({}, {"site": site, "radius": "1600"}, PERSON_NAME),
        "workshop": ({}, {"plan": str(world.plan_id), "code": world.workshop_code}, world.plan_title),
        "asset_register": ({"reg_asset": world.person_id, "reg_history_asset": world.org_id}, {}, PERSON_NAME),
        "matches": ({"match.confidential": True}, {}, world.need_title),
        "site_dossier": ({"dos.confidential": True, "dos.include_notes": True}, {"site": str(world.feature_id)},
                         SITE_NAME),
        "plan_sketcher": ({}, {"plan": str(world.plan_id)}, world.plan_title),
        "tenant_finder": ({"ten.space": SpaceDescription(site=site, area_m2=300.0,
                                                         uses=("community hall", "co-working"))}, {}, SITE_NAME),
        "admin": ({}, {}, "confidential note added"),
    }[page]


def _allowed(spec: PageSpec, role: str | None) -> bool:
    return spec.permission is None or (role is not None and as_role(role).can(spec.permission))


NO_MENU = ("Could not find page: `app/pages/sign_in.py`. You must provide a `Page` object or file path relative to "
           "the entrypoint file. Only pages previously defined by `st.Page` and passed to `st.navigation` are allowed.")
ALLOWED = [(page, role) for page, spec in PAGES.items() for role in ROLES if _allowed(spec, role)]
REFUSED = [(page, role) for page, spec in PAGES.items() for role in ROLES if not _allowed(spec, role)]


@pytest.mark.parametrize(("page", "role"), ALLOWED)
def test_a_page_shows_secrets_to_officers_alone(run_page, downloads, world, db, tmp_path, page, role):
    spec = PAGES[page]
    session, query, control = page_state(page, world)
    at = run_page(page, db, session=session, query=query, role=role)
    assert not at.exception, [e.value for e in at.exception]
    assert not [w for w in at.warning if w.proto.icon == ":material/lock:"]
    if page == "workshop" and role is None:  # the visitor joined with the code: a resident on the plan
        assert at.session_state[SESSION_VIEWER].plan_id == world.plan_id
    text = page_text(at, downloads, tmp_path)
    assert control in text  # the search read the page's content
    for ending in spec.files:
        assert any(name.endswith(ending) for name in downloads), (ending, list(downloads))
    assert leaks(text, world) == (set(spec.officer_sees) if role in SEES else set())
    if page in ("atlas_map", "site_explorer"):
        check_people_on_map(at, world, every_person=page == "atlas_map")
    if page == "tenant_finder":  # its CSV lists groups (each with a contact in the store, none in it)
        tenants = pd.read_csv(io.StringIO(file_text("tenants.csv", downloads["tenants.csv"], tmp_path)))
        assert len(tenants) > 3 and tenants["asset"].notna().all()  # searched with the page, above


@pytest.mark.parametrize(("page", "role"), REFUSED)
def test_a_page_a_role_may_not_open_shows_a_lock_and_nothing_else(monkeypatch, downloads, world, db, tmp_path,
                                                                     page, role):
    """Run alone (the menu never lists it for them), the page stops at its lock."""
    from app import state

    monkeypatch.setenv("ATLAS_DB", str(db))
    monkeypatch.setenv("ATLAS_DEMO", "1")
    session, query, control = page_state(page, world)
    at = AppTest.from_file(str(ROOT / "app" / "pages" / f"{page}.py"), default_timeout=APP_TIMEOUT_S)
    if role is not None:
        at.session_state[SESSION_VIEWER] = as_role(role)
    for key, value in session.items():
        at.session_state[key] = value
    for key, value in query.items():
        at.query_params[key] = value
    try:
        at.run()
    finally:
        state.close_all()
    # Run alone, a visitor's "Sign in" link has no menu to point into: that is the only error.
    assert [e.value for e in at.exception] == ([] if role is not None else [NO_MENU])
    locks = [w.value for w in at.warning if w.proto.icon == ":material/lock:"]
    assert len(locks) == 1 and ("Sign in" if role is None else f"As a {role}") in locks[0]
    assert not at.dataframe and not at.get("component_instance")
    assert not downloads and not at.text_input and not at.selectbox
    text = page_text(at, downloads, tmp_path)
    assert control not in text and leaks(text, world) == set()


@pytest.mark.parametrize("page", [p for p, spec in PAGES.items() if spec.permission is not None])
def test_the_menu_sends_a_role_that_may_not_open_a_page_to_the_atlas(run_page, downloads, world, db, tmp_path,
                                                                      page):
    spec = PAGES[page]
    refused = [r for r in ROLES if not _allowed(spec, r)]
    role = refused[-1]  # the most trusted role refused
    session, query, _ = page_state(page, world)
    at = run_page(page, db, session=session, query=query, role=role)
    assert not at.exception
    assert [t.value for t in at.title] == ["Atlas"]
    text = page_text(at, downloads, tmp_path)
    assert list(downloads) == ["assets.csv"]  # the atlas page's, not the refused page's
    assert leaks(text, world) == set()


# -- maps ----------------------------------------------------------------------------------------


def check_people_on_map(at: AppTest, world: World, *, every_person: bool) -> None:
    """Maps read assets.geom: every person on the map (popups and all) is drawn at the
    centre of their 500 m square, whoever looks, and the map names no contact."""
    rows = map_asset_rows(at)
    drawn = {r[3]: (r[1], r[0]) for r in rows if r[3] in world.people}
    assert PERSON_NAME in drawn and len(drawn) >= 3  # the people near the site, or all of them
    if every_person:
        assert set(drawn) == set(world.people)
    for name, place in drawn.items():
        _, precise, shown = world.people[name]
        assert place == pytest.approx(shown, abs=2e-6), name
        assert _metres(place, precise) > 5, name
    assert precise_places_in([[r[1], r[0]] for r in rows], world) == set()
    assert leaks(json.dumps(map_args(at)), world) == set()


def test_the_atlas_search_pins_a_person_at_their_neighbourhood(run_page, world, db):
    at = run_page("atlas_map", db, session={"atlas_search": "surveyor Zed"}, role="officer")
    assert at.selectbox(key="atlas_search_hit").value.name == PERSON_NAME
    script = map_args(at)["script"]
    assert f"{world.shown[1]:.6f}"[:-1] in script  # the pin, at the square's centre
    assert leaks(script, world) == set()


# -- downloads on pages --------------------------------------------------------------------------


@pytest.mark.parametrize(("show", "include", "expected"), [
    (False, False, set()),
    (True, False, set()),
    (True, True, {"note", "reason"}),
])
def test_dossier_downloads_hold_notes_only_with_the_include_box(run_page, downloads, world, db, tmp_path, show,
                                                                 include, expected):
    session = {"dos.confidential": show, "dos.include_notes": include}
    at = run_page("site_dossier", db, session=session, query={"site": str(world.feature_id)}, role="officer")
    assert not at.exception
    assert sorted(Path(n).suffix for n in downloads) == [".gpkg", ".html", ".pdf"]
    for name, data in downloads.items():
        text = file_text(name, data, tmp_path)
        assert SITE_NAME in text, name
        assert leaks(text, world) == expected, name
        assert ("confidential" in name) == include
    on_page = page_text(at, {}, tmp_path)
    assert leaks(on_page, world) == ({"note", "reason"} if show else set())
    assert [c.label for c in at.checkbox if "confidential notes" in c.label] == (
        ["Include the confidential notes in the downloads"] if show else [])


# -- the query layer ---------------------------------------------------------------------------

VIEWERS = {
    "visitor": PUBLIC,
    **{r: as_role(r) for r in ROLES if r},
    "workshop code": Viewer(name="device:1", role=Role.RESIDENT, plan_id=1),
    "command line": access.command_line(),
    "command line, asked": access.command_line(include_confidential=True),
}
SEEING = {"officer", "admin", "command line, asked"}


@pytest.mark.parametrize("who", VIEWERS)
def test_query_layer_discloses_only_to_officers(store, world, who):
    viewer, sees = VIEWERS[who], who in SEEING
    assert viewer.sees_confidential == sees
    org = queries.get_asset(store, world.org_id, viewer=viewer)
    assert org.contact == (ORG_CONTACT if sees else None)
    person = queries.get_asset(store, world.person_id, viewer=viewer)
    assert person.contact == (PERSON_CONTACT if sees else None)
    assert (person.geom.x, person.geom.y) == pytest.approx(world.precise if sees else world.shown, abs=1e-9)
    for name, (asset_id, precise, shown) in world.people.items():
        place = people.precise_location(store, asset_id, viewer=viewer)
        assert (place is not None and (place.x, place.y) == pytest.approx(precise)) if sees else place is None, name
        geom = queries.get_asset(store, asset_id, viewer=viewer).geom
        assert (geom.x, geom.y) == pytest.approx(precise if sees else shown), name

    notes = sites.site_notes(store, world.feature_id, viewer=viewer)
    assert [n.note for n in notes] == [NOTE] if sees else notes is None

    pair = (world.need_id, world.offer_id)
    accepted = [d for d in linking.decided(store, "accepted", viewer=viewer) if (d.need_id, d.offer_id) == pair]
    history = linking.history(store, *pair, viewer=viewer)
    current = linking.current_decision(store, *pair, viewer=viewer)
    for decisions in (accepted, history, [current]):
        assert [d.reason for d in decisions] == [REASON if sees else None]

    trails = [audit.asset_history(store, world.org_id, viewer=viewer),
              audit.asset_history(store, world.person_id, viewer=viewer),
              audit.history(store, "site", world.feature_id, viewer=viewer),
              audit.history(store, "match", f"{world.need_id}-{world.offer_id}", viewer=viewer),
              audit.recent(store, viewer=viewer, limit=50)]
    expected = [{"contact"}, {"contact", "place"}, {"note"}, {"reason"}, set(KINDS)]
    for trail, kinds in zip(trails, expected, strict=True):
        text = json.dumps([[c.before, c.after, c.summary] for c in trail], default=str)
        assert trail and leaks(text, world) == (kinds if sees else set())
        assert (audit.confidential.WITHHELD in text) != sees


def test_marking_an_asset_a_person_withholds_its_earlier_places_in_the_trail(db, world):
    with open_store(db) as opened:
        lon, lat = world.precise
        asset_id = register.add_asset(opened, register.AssetDraft(
            name="Volunteer first recorded as a group", lon=lon + 0.001, lat=lat, sector="community",
            category="skills", asset_type="human"), by="Grace M.")
        draft = register.draft_from_asset(opened, asset_id, viewer=OFFICER)
        register.update_asset(opened, asset_id, dataclasses.replace(
            draft, person=True, consent_given_by="The person", consent_given_on=date(2026, 5, 1),
            consent_purpose="matching"), by="Test officer", viewer=OFFICER)
        shown = queries.get_asset(opened, asset_id, viewer=PUBLIC).geom
        assert _metres((shown.x, shown.y), (lon + 0.001, lat)) > 20  # the maps show the neighbourhood now
        officer = [(c.before or {}).get("lon") for c in audit.asset_history(opened, asset_id, viewer=OFFICER)]
        assert pytest.approx(lon + 0.001, abs=1e-6) in officer  # the officer's trail has it: the search is real
        trail = audit.asset_history(opened, asset_id, viewer=PUBLIC)
    places = [(side.get("lon"), side.get("lat")) for c in trail for side in (c.before or {}, c.after or {})]
    assert all(p == (audit.confidential.WITHHELD,) * 2 for p in places if p != (None, None)), places


# -- exports -------------------------------------------------------------------------------------


def _to_metric(world: World, point: tuple[float, float]) -> tuple[float, float]:
    x, y = Transformer.from_crs(4326, world.metric_epsg, always_xy=True).transform(*point)
    return float(x), float(y)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "pdf", "html"])
def test_plan_exports_hold_no_secret_and_show_people_at_their_neighbourhood(store, world, tmp_path, fmt):
    path = exports.export(store, world.plan_id, tmp_path / f"plan.{fmt}", fmt)
    text = file_text(path.name, path.read_bytes() if fmt in ("pdf", "gpkg") else path.read_text(), tmp_path)
    assert PERSON_NAME in text  # the person is a partner: the search is real
    assert leaks(text, world) == set()
    if fmt == "geojson":
        data = json.loads(text)
        partner = next(f for f in data["features"] if f["properties"].get("name") == PERSON_NAME)
        assert partner["geometry"]["coordinates"] == pytest.approx(list(world.shown), abs=1e-7)
        assert precise_places_in(data, world) == set()
    if fmt == "gpkg":
        partners = pyogrio.read_dataframe(path, layer="partners")
        drawn = partners.loc[partners["name"] == PERSON_NAME].geometry.iloc[0]
        assert (drawn.x, drawn.y) == pytest.approx(_to_metric(world, world.shown), abs=0.01)
        assert math.dist((drawn.x, drawn.y), _to_metric(world, world.precise)) > 250


@pytest.mark.parametrize("role", ROLES)
def test_dossier_exports_hold_notes_and_reasons_for_officers_alone(store, world, tmp_path, role):
    viewer = PUBLIC if role is None else as_role(role)
    for fmt in ("pdf", "html", "gpkg"):
        path = dossier_exports.export_dossier(store, world.feature_id, tmp_path / f"dossier.{fmt}", viewer=viewer)
        text = file_text(path.name, path.read_bytes(), tmp_path)
        assert SITE_NAME in text, fmt
        kinds = leaks(text, world)
        assert kinds == ({"note", "reason"} if role in SEES else set()), fmt
        if fmt == "gpkg":
            layers = {name for name, _ in pyogrio.list_layers(path)}
            assert ("confidential_notes" in layers) == (role in SEES)
            nearby = pyogrio.read_dataframe(path, layer="assets_nearby")
            name_column = next(c for c in nearby.columns if (nearby[c] == PERSON_NAME).any())
            drawn = nearby.loc[nearby[name_column] == PERSON_NAME].geometry.iloc[0]
            assert (drawn.x, drawn.y) == pytest.approx(_to_metric(world, world.shown), abs=0.01)


# -- the command line ----------------------------------------------------------------------------


def _cli(db: Path, *args: str) -> str:
    done = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert done.exit_code == 0, done.output
    return done.output


LISTINGS = [
    (("nearby", SITE_NAME, "--radius", "1600", "--format", "json"), "{person}"),
    (("nearby", "asset:{person_id}", "--format", "json"), "{person}"),
    (("search", "volunteer", "--format", "json"), "{person}"),
    (("needs", "--all", "--format", "json"), "{need_title}"),
    (("offers", "--all", "--format", "json"), "{offer_title}"),
    (("match", "--format", "json"), "{need_title}"),
    (("match", "--need", "{need_id}", "--format", "json"), "{offer_title}"),
    (("tenants", "--site", SITE_NAME, "--area", "300", "--use", "community hall;co-working", "--format", "json"),
     '"need_id"'),
    (("plan", "show", "{plan_id}", "--format", "json"), "{person}"),
    (("history", "all", "--format", "json"), "confidential note added"),
    (("history", "asset", "{person_id}", "--format", "json"), "{person}"),
    (("history", "asset", "{org_id}", "--format", "json"), "{org_name}"),
]
"""(arguments, a string the output must hold: the positive control)."""


@pytest.mark.parametrize(("args", "control"), LISTINGS, ids=[" ".join(a[:2]) for a, _ in LISTINGS])
def test_cli_listings_hold_no_secret(db, world, args, control):
    names = {**dataclasses.asdict(world), "person": PERSON_NAME}
    output = _cli(db, *(a.format(**names) for a in args))
    data = json.loads(output)
    assert control.format(**names) in output
    assert leaks(output, world) == set()
    assert precise_places_in(data, world) == set()


@pytest.mark.parametrize("include", [False, True])
def test_cli_history_holds_secrets_only_when_asked(db, world, include):
    flag = ["--include-confidential"] if include else []
    person = _cli(db, "history", "asset", str(world.person_id), "--format", "json", *flag)
    org = _cli(db, "history", "asset", str(world.org_id), "--format", "json", *flag)
    everything = _cli(db, "history", "all", "--format", "json", *flag)
    assert leaks(person, world) == ({"contact", "place"} if include else set())
    assert leaks(org, world) == ({"contact"} if include else set())
    assert leaks(everything, world) == (set(KINDS) if include else set())
    precise = precise_places_in(json.loads(person), world)
    assert precise == ({PERSON_NAME} if include else set())


@pytest.mark.parametrize("include", [False, True])
@pytest.mark.parametrize("fmt", ["pdf", "html", "gpkg"])
def test_cli_dossier_holds_notes_only_when_asked(db, world, tmp_path, fmt, include):
    out = tmp_path / f"dossier.{fmt}"
    _cli(db, "dossier", SITE_NAME, "--out", str(out), *(["--include-confidential"] if include else []))
    text = file_text(out.name, out.read_bytes(), tmp_path)
    assert SITE_NAME in text
    assert leaks(text, world) == ({"note", "reason"} if include else set())


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "html"])
def test_cli_plan_export_holds_no_secret(db, world, tmp_path, fmt):
    out = tmp_path / f"plan.{fmt}"
    _cli(db, "plan", "export", str(world.plan_id), "--to", fmt, "--out", str(out))
    text = file_text(out.name, out.read_bytes() if fmt == "gpkg" else out.read_text(), tmp_path)
    assert PERSON_NAME in text and leaks(text, world) == set()


# -- one browser, two people -----------------------------------------------------------------------


def _sign_in(at: AppTest, role: str) -> AppTest:
    at.switch_page("app/pages/sign_in.py").run()
    at.text_input(key="signin.user").input(role)
    at.text_input(key="signin.password").input(DEMO_ACCOUNTS[role][1])
    at.button(key="FormSubmitter:signin-Sign in").click().run()
    assert at.session_state[SESSION_VIEWER].role == role
    return at


def test_signing_out_leaves_nothing_confidential_on_the_register_for_the_next_person(run_page, world, db, tmp_path):
    at = run_page("asset_register", db, session={"reg_asset": world.person_id}, role=None)
    _sign_in(at, "officer")
    at.switch_page("app/pages/asset_register.py").run()
    at.selectbox(key="reg_asset").set_value(world.person_id).run()
    officer_text = page_text(at, {}, tmp_path)
    assert leaks(officer_text, world) == {"contact", "place"}  # the officer sees both: the search is real
    at.switch_page("app/pages/sign_in.py").run()
    at.button(key="signout").click().run()
    assert SESSION_VIEWER not in at.session_state
    _sign_in(at, "researcher")
    at.switch_page("app/pages/asset_register.py").run()
    assert not at.exception
    assert at.selectbox(key="reg_asset").value == 0  # signing out forgot the officer's form
    assert at.session_state["reg_place"] is None  # the form was filled afresh, for a new asset
    at.selectbox(key="reg_asset").set_value(world.person_id).run()
    assert leaks(page_text(at, {}, tmp_path), world) == set()
