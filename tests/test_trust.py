"""Accounts, roles, the audit trail, people's consent and places, erasure and workshop
join codes: on real DuckDB stores, checked against independent computations."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

import duckdb
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

from atlas import access, accounts, audit, migrations, people, register, settings
from atlas.access import PUBLIC, Permission, Role, Viewer, as_role
from atlas.errors import InvalidInput, NotAllowed, NotFound
from atlas.queries import get_asset
from atlas.store import open_store
from atlas_cli import main as cli
from cedplans import erasure, repository, workshops

# -- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), [
    (None, set()),
    ("resident", {Permission.TAKE_PART}),
    ("researcher", {Permission.TAKE_PART, Permission.EDIT_REGISTER, Permission.IMPORT}),
    ("developer", {Permission.TAKE_PART, Permission.FIND_TENANTS}),
    ("officer", set(Permission) - {Permission.ADMINISTER}),
    ("admin", set(Permission)),
])
def test_each_role_may_do_exactly_its_permissions(role, allowed):
    viewer = PUBLIC if role is None else as_role(role)
    assert {p for p in Permission if viewer.can(p)} == allowed
    for p in set(Permission) - allowed:
        with pytest.raises(NotAllowed, match="Sign in" if role is None else f"As a {role}"):
            viewer.require(p)
    assert viewer.sees_confidential == (role in ("officer", "admin"))


def test_a_join_code_gives_resident_rights_on_its_plan_alone():
    joined = Viewer(name="device:abc", role=Role.RESIDENT, plan_id=7)
    assert joined.can(Permission.TAKE_PART, plan_id=7)
    assert not joined.can(Permission.TAKE_PART, plan_id=8)
    with pytest.raises(NotAllowed, match="plan 7 only"):
        joined.require(Permission.TAKE_PART, plan_id=8)
    assert not joined.can(Permission.EDIT_REGISTER)


def test_the_command_line_withholds_confidential_fields_unless_asked():
    assert not access.command_line().sees_confidential
    assert access.command_line(include_confidential=True).sees_confidential
    assert access.command_line().can(Permission.ADMINISTER)


# -- accounts ----------------------------------------------------------------------------------


def test_accounts_hash_passwords_and_sign_in(empty_store):
    accounts.add_user(empty_store, "amina@example.org", role="researcher", password="correct horse battery",
                      display_name="Amina K.", by="test")
    stored = empty_store.con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    account = accounts.sign_in(empty_store, "AMINA@example.org", "correct horse battery")
    assert account.viewer() == Viewer(name="Amina K.", role=Role.RESEARCHER, username="amina@example.org")
    for name, password in (("amina@example.org", "wrong password!"), ("nobody", "correct horse battery")):
        with pytest.raises(NotAllowed, match="do not match an account"):
            accounts.sign_in(empty_store, name, password)


@pytest.mark.parametrize(("username", "role", "password", "field"), [
    ("a", "officer", "long enough password", "user name"),
    ("sam", "mayor", "long enough password", "role"),
    ("sam", "officer", "short", "password"),
    ("sam <script>", "officer", "long enough password", "user name"),
])
def test_accounts_refuse_bad_values(empty_store, username, role, password, field):
    with pytest.raises(InvalidInput, match=field):
        accounts.add_user(empty_store, username, role=role, password=password, by="test")
    assert empty_store.con.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_the_last_admin_cannot_be_removed_or_demoted(empty_store):
    accounts.add_user(empty_store, "alex", role="admin", password="long enough password", by="test")
    with pytest.raises(NotAllowed, match="last admin"):
        accounts.set_role(empty_store, "alex", "officer", by="test")
    with pytest.raises(NotAllowed, match="last admin"):
        accounts.remove_user(empty_store, "alex", by="test")
    accounts.add_user(empty_store, "jo", role="admin", password="long enough password", by="test")
    accounts.remove_user(empty_store, "alex", by="jo")
    assert [a.username for a in accounts.list_users(empty_store)] == ["jo"]
    actions = [c.action for c in audit.recent(empty_store, entity="user")]
    assert actions == ["remove", "add", "add"]


def test_a_real_store_starts_with_no_accounts_and_the_demo_with_one_per_role(empty_store, demo_store):
    assert accounts.list_users(empty_store) == []
    assert sorted(a.role for a in accounts.list_users(demo_store)) == sorted(r.value for r in Role)


def test_cli_user_commands(store_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("ATLAS_PASSWORD", "a long admin password")
    done = runner.invoke(cli, ["user", "add", "alex", "--role", "admin", "--name", "Alex", "--db", str(store_path)])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(cli, ["user", "list", "--format", "json", "--db", str(store_path)])
    rows = json.loads(listed.output)
    assert [(r["username"], r["role"], r["password"]) for r in rows] == [("alex", "admin", True)]
    assert "argon2" not in listed.output
    bad = runner.invoke(cli, ["user", "add", "sam", "--role", "mayor", "--db", str(store_path)])
    assert bad.exit_code == 2
    refused = runner.invoke(cli, ["user", "remove", "alex", "--db", str(store_path)])
    assert refused.exit_code == 1 and "last admin" in refused.output
    with open_store(store_path) as store:
        assert accounts.sign_in(store, "alex", "a long admin password").role == "admin"


# -- people: consent and neighbourhood places ------------------------------------------------


def _person(**changes) -> register.AssetDraft:
    draft = register.AssetDraft(
        name="Retired pharmacist (volunteer)", lon=-1.9301, lat=52.4790, sector="community", category="skills",
        asset_type="human", contact="pharmacist@example.org", person=True, consent_given_by="The person",
        consent_given_on=date(2026, 5, 1), consent_purpose="matching with local groups")
    return dataclasses.replace(draft, **changes)


@pytest.mark.parametrize(("changes", "field"), [
    ({"consent_given_by": None}, "consent given by"),
    ({"consent_given_on": None}, "consent date"),
    ({"consent_given_on": date.today() + timedelta(days=3)}, "future"),
    ({"consent_purpose": " "}, "consent for"),
])
def test_a_person_needs_a_recorded_consent(demo_store, changes, field):
    before = demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0]
    with pytest.raises(InvalidInput, match=field):
        register.add_asset(demo_store, _person(**changes), by="test")
    assert demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == before


def test_a_person_is_shown_at_their_neighbourhood_and_only_officers_see_where(demo_store):
    asset_id = register.add_asset(demo_store, _person(), by="Amina K.")
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    x, y = to_bng.transform(-1.9301, 52.4790)
    cell = settings.PERSON_LOCATION_CELL_M
    centre = ((np.floor(x / cell) + 0.5) * cell, (np.floor(y / cell) + 0.5) * cell)
    shown = get_asset(demo_store, asset_id, viewer=as_role("researcher")).geom
    sx, sy = to_bng.transform(shown.x, shown.y)
    assert (sx, sy) == pytest.approx(centre, abs=0.01)  # the WGS84 copy, to a centimetre
    assert 0 < shapely.Point(x, y).distance(shapely.Point(sx, sy)) <= cell / 2 ** 0.5 + 1e-6
    stored_m = demo_store.con.execute("SELECT ST_X(geom_m), ST_Y(geom_m) FROM assets WHERE id = ?",
                                      [asset_id]).fetchone()
    assert stored_m == pytest.approx(centre)
    officer = get_asset(demo_store, asset_id, viewer=as_role("officer"))
    assert (officer.geom.x, officer.geom.y) == (-1.9301, 52.4790)
    assert officer.contact == "pharmacist@example.org"
    for viewer in (PUBLIC, as_role("resident"), as_role("researcher"), as_role("developer")):
        assert people.precise_location(demo_store, asset_id, viewer=viewer) is None
        assert get_asset(demo_store, asset_id, viewer=viewer).contact is None
    assert people.consent(demo_store, asset_id).words() == \
        "given by The person on 1 May 2026 for matching with local groups"


def test_a_researcher_editing_a_person_keeps_their_place_contact_and_consent(demo_store):
    asset_id = register.add_asset(demo_store, _person(), by="Amina K.")
    researcher = as_role("researcher", "Grace M.")
    draft = register.draft_from_asset(demo_store, asset_id, viewer=researcher)
    assert draft.contact is None  # the form never holds what the editor may not see
    register.update_asset(demo_store, asset_id, dataclasses.replace(draft, description="Also speaks Tigrinya"),
                          by="Grace M.", viewer=researcher)
    officer = get_asset(demo_store, asset_id, viewer=as_role("officer"))
    assert (officer.geom.x, officer.geom.y, officer.contact) == (-1.9301, 52.4790, "pharmacist@example.org")
    assert officer.description == "Also speaks Tigrinya"
    assert people.consent(demo_store, asset_id).given_by == "The person"


@pytest.mark.duckdb_only("builds a schema-5 store by hand in a DuckDB file; PostGIS stores begin at schema 8")
def test_migration_to_version_6_moves_stored_people_to_their_neighbourhood(store_path):
    """A version-5 store with a person (a community 'skills' human asset) upgrades: the
    person is marked, their precise point kept apart and their shown point generalised."""
    con = duckdb.connect(str(store_path))
    from duckdb_extensions import import_extension

    import_extension("spatial", con=con)
    con.execute("LOAD spatial")
    for sql in migrations.MIGRATIONS[:5]:
        con.execute(sql)
    con.execute("INSERT INTO atlas_meta VALUES ('schema_version', '5'), ('metric_epsg', '27700')")
    con.execute("INSERT INTO assets (name, scale, scale_reason, sector, category, asset_type, source, source_id, "
                "geom, geom_m) VALUES ('Old volunteer', 'micro', 'micro', 'community', 'skills', 'human', 's', '1', "
                "ST_Point(-1.9301, 52.4790), ST_Transform(ST_Point(52.4790, -1.9301), 'EPSG:4326', 'EPSG:27700'))")
    con.close()
    with open_store(store_path) as store:
        assert store.schema_version == migrations.SCHEMA_VERSION
        person, lon, lat = store.con.execute(
            "SELECT a.person, p.lon, p.lat FROM assets a JOIN person_locations p ON p.asset_id = a.id").fetchone()
        assert (person, lon, lat) == (True, -1.9301, 52.4790)
        shown = store.con.execute("SELECT ST_X(geom_m), ST_Y(geom_m) FROM assets").fetchone()
        assert all(abs((v / settings.PERSON_LOCATION_CELL_M) % 1 - 0.5) < 1e-6 for v in shown)


# -- the audit trail ---------------------------------------------------------------------------


def test_the_register_records_who_changed_what_and_when(demo_store):
    asset_id = register.add_asset(demo_store, _person(person=False, name="Ladywood tool library"), by="Amina K.")
    draft = register.draft_from_asset(demo_store, asset_id, viewer=as_role("officer"))
    with audit.acting(as_role("researcher", "Grace M.")):
        register.update_asset(demo_store, asset_id, dataclasses.replace(draft, offers=("tools", "repairs")),
                              by="Grace M.")
    register.verify_asset(demo_store, asset_id, by="Amina K.", on=date(2026, 3, 12))
    changes = audit.asset_history(demo_store, asset_id, viewer=PUBLIC)
    assert [c.action for c in changes] == ["verify", "edit", "add"]
    assert changes[0].words().startswith("verified (checked on 12 March 2026) by Amina K. on ")
    assert changes[1].summary == "offers changed" and changes[1].role == "researcher"
    assert changes[1].before["offers"] == [] and changes[1].after["offers"] == ["tools", "repairs"]
    assert changes[2].after["contact"] == "(confidential: not included)"
    assert audit.asset_history(demo_store, asset_id, viewer=as_role("officer"))[2].after["contact"] == \
        "pharmacist@example.org"


def test_needs_offers_plans_ideas_moderation_and_decisions_are_audited(demo_store):
    from atlas import needs_offers, vocabulary
    from cedplans import linking

    voc = vocabulary.load(demo_store)
    asset_id = demo_store.con.execute("SELECT id FROM assets WHERE name LIKE 'Ladywood health%'").fetchone()[0]
    need_id = needs_offers.add(demo_store, needs_offers.NeedOfferDraft(
        side="need", asset_id=asset_id, kind="space", title="A room on Tuesdays", area_m2=40), by="Amina K.",
        vocabulary=voc)
    needs_offers.set_status(demo_store, need_id, "met", by="Sam")
    plan = repository.create_plan(demo_store, "Audit test plan", author="Sam")
    idea = repository.add_idea(demo_store, plan.id, "A bench", zone_id=None,
                               point=shapely.Point(-1.93, 52.479), author="Rosa")
    repository.hide_idea(demo_store, idea.id, reason="Duplicate", moderator="Sam")
    offer_id = demo_store.con.execute("SELECT id FROM needs_offers WHERE side = 'offer' LIMIT 1").fetchone()[0]
    other_need = demo_store.con.execute("SELECT id FROM needs_offers WHERE side = 'need' AND id <> ? LIMIT 1",
                                        [need_id]).fetchone()[0]
    linking.decide(demo_store, other_need, offer_id, "rejected", reason="REASON-SECRET", by="Sam")
    seen = {(c.entity, c.action) for c in audit.recent(demo_store, viewer=PUBLIC, limit=50)}
    assert {("need", "add"), ("need", "set status"), ("plan", "add"), ("idea", "add"), ("idea", "hide"),
            ("match", "rejected")} <= seen
    rejected = audit.recent(demo_store, entity="match", viewer=PUBLIC)[0]
    assert rejected.after["reason"] == "(confidential: not included)"
    assert audit.recent(demo_store, entity="match", viewer=as_role("officer"))[0].after["reason"] == "REASON-SECRET"
    history = audit.asset_history(demo_store, asset_id)
    assert [c.action for c in history if c.entity == "need"][:2] == ["set status", "add"]


def test_a_failed_write_leaves_no_audit_entry(demo_store):
    before = demo_store.con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(InvalidInput):
        register.add_asset(demo_store, _person(consent_purpose=None), by="test")
    assert demo_store.con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


# -- erasure -----------------------------------------------------------------------------------


def test_erasing_a_person_removes_them_everywhere_and_records_only_that_it_happened(demo_store, tmp_path):
    from atlas import needs_offers, vocabulary
    from cedplans import exports, linking

    asset_id = register.add_asset(demo_store, _person(name="Zofia Nowak-Erasable"), by="Amina K.")
    voc = vocabulary.load(demo_store)
    offer_id = needs_offers.add(demo_store, needs_offers.NeedOfferDraft(
        side="offer", asset_id=asset_id, kind="skills", title="Medicines advice, Zofia"), by="Amina K.",
        vocabulary=voc)
    need_id = demo_store.con.execute("SELECT id FROM needs_offers WHERE side = 'need' LIMIT 1").fetchone()[0]
    linking.decide(demo_store, need_id, offer_id, "accepted", reason="Zofia agreed", by="Sam")
    plan = repository.get_plan(demo_store, repository.list_plans(demo_store)[0].id)
    plan.partners.append(repository.Partner(asset_id=asset_id, role="supporter"))
    repository.save_plan(demo_store, plan, author="Sam")
    repository.add_idea(demo_store, plan.id, "Zofia's idea", point=shapely.Point(-1.93, 52.479),
                        author="Zofia Nowak-Erasable")

    done = erasure.erase_person(demo_store, asset_id, by="Sam (officer)")
    assert (done.needs_offers, done.decisions, done.ideas) == (1, 1, 1) and done.plan_versions >= 1

    # Nothing anywhere mentions her: every text column of every table, searched.
    tables = sorted(demo_store.engine.table_names(demo_store.con))
    for table in tables:
        text = json.dumps(demo_store.con.execute(f"SELECT * FROM {table}").fetchall(), default=str)
        assert "Zofia" not in text and "pharmacist@example.org" not in text, table
    for table in ("person_locations", "consents"):
        assert demo_store.con.execute(f"SELECT count(*) FROM {table} WHERE asset_id = ?", [asset_id]).fetchone()[0] == 0
    assert demo_store.con.execute("SELECT erased_by, what FROM erasures").fetchall() == \
        [("Sam (officer)", "a person recorded as a human asset")]
    erased = audit.recent(demo_store, entity="person")[0]
    assert (erased.entity_id, erased.before, erased.after) == (None, None, None)
    # An export made afterwards cannot hold her.
    path = exports.export_plan(demo_store, plan.id, tmp_path / "plan.geojson") if hasattr(exports, "export_plan") \
        else None
    if path is not None:
        assert "Zofia" not in path.read_text()


def test_erasing_refuses_an_organisation(demo_store):
    org = demo_store.con.execute("SELECT id FROM assets WHERE NOT person LIMIT 1").fetchone()[0]
    with pytest.raises(InvalidInput, match="not a person"):
        erasure.erase_person(demo_store, org, by="Sam")
    with pytest.raises(NotFound):
        erasure.erase_person(demo_store, 999_999, by="Sam")


def test_cli_person_erase(demo_store_path):
    with open_store(demo_store_path) as store:
        person = store.con.execute("SELECT id FROM assets WHERE person ORDER BY id LIMIT 1").fetchone()[0]
    runner = CliRunner()
    done = runner.invoke(cli, ["person", "erase", str(person), "--yes", "--author", "Sam", "--db",
                               str(demo_store_path)])
    assert done.exit_code == 0, done.output
    again = runner.invoke(cli, ["person", "erase", str(person), "--yes", "--db", str(demo_store_path)])
    assert again.exit_code == 1 and "no asset" in again.output


# -- workshop join codes -----------------------------------------------------------------------


def test_a_workshop_code_lets_people_in_to_one_plan_until_it_runs_out_or_closes(demo_store):
    plan_id = repository.list_plans(demo_store)[0].id
    w = workshops.open_workshop(demo_store, plan_id, by="Sam", hours=2)
    assert len(w.code) == workshops.CODE_LENGTH and set(w.code) <= set(workshops.ALPHABET)
    assert (w.expires_at - w.opened_at) == timedelta(hours=2)
    viewer = workshops.join(demo_store, f" {w.code.lower()[:3]}-{w.code.lower()[3:]} ", participant="device:1")
    assert (viewer.role, viewer.plan_id) == (Role.RESIDENT, plan_id)
    demo_store.con.execute("UPDATE workshop_codes SET expires_at = opened_at WHERE code = ?", [w.code])
    with pytest.raises(NotAllowed, match="run out"):
        workshops.join(demo_store, w.code, participant="device:1")
    other = workshops.open_workshop(demo_store, plan_id, by="Sam")
    workshops.close_workshop(demo_store, other.code, by="Sam")
    with pytest.raises(NotAllowed, match="run out"):
        workshops.join(demo_store, other.code, participant="device:1")
    with pytest.raises(NotAllowed, match="not known"):
        workshops.join(demo_store, "ZZZZZZ", participant="device:1")
    with pytest.raises(InvalidInput, match="hours"):
        workshops.open_workshop(demo_store, plan_id, by="Sam", hours=0)


def test_the_qr_code_holds_the_link(demo_store):
    svg = workshops.qr_svg("http://atlas.example.org/workshop?code=ABC234")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    png = workshops.qr_png("http://atlas.example.org/workshop?code=ABC234")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_imported_register_with_people_needs_their_consent_and_hides_their_door(demo_store, tmp_path):
    from atlas.importers import import_file

    header = "name,lon,lat,sector,category,asset_type,person,consent_given_by,consent_given_on,consent_purpose\n"
    good = tmp_path / "people.csv"
    good.write_text(header + "Retired joiner,-1.9402,52.4811,community,skills,human,yes,The person,2026-02-01,"
                    "matching\nSummerfield tenants,-1.9450,52.4850,community,residents,community,,,,\n")
    summary = import_file(demo_store, good, as_="assets", report_path=tmp_path / "r.csv")
    assert summary.imported == 2
    joiner = demo_store.con.execute("SELECT id FROM assets WHERE name = 'Retired joiner'").fetchone()[0]
    assert people.precise_location(demo_store, joiner, viewer=as_role("officer")) == shapely.Point(-1.9402, 52.4811)
    assert get_asset(demo_store, joiner).geom != shapely.Point(-1.9402, 52.4811)
    assert people.consent(demo_store, joiner).purpose == "matching"
    bad = tmp_path / "no-consent.csv"
    bad.write_text(header + "Retired plumber,-1.9402,52.4811,community,skills,human,yes,,,\n")
    before = demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0]
    with pytest.raises(InvalidInput, match="consent_given_by"):
        import_file(demo_store, bad, as_="assets", report_path=tmp_path / "r2.csv")
    assert demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == before


def test_init_can_fix_the_metric_crs_and_refuses_one_in_degrees(store_path):
    runner = CliRunner()
    refused = runner.invoke(cli, ["init", "--metric-crs", "4326", "--db", str(store_path)])
    assert refused.exit_code == 2 and "does not measure in metres" in refused.output
    done = runner.invoke(cli, ["init", "--metric-crs", "32737", "--db", str(store_path)])
    assert done.exit_code == 0, done.output
    with open_store(store_path) as store:
        assert store.settings.metric_epsg == 32737


def test_a_sign_in_session_lasts_its_hours_and_ends_with_sign_out_or_the_account(empty_store):
    accounts.add_user(empty_store, "amina", role="researcher", password="a long enough password", by="test")
    token = accounts.start_session(empty_store, "amina", hours=1)
    stored = empty_store.con.execute("SELECT token_hash FROM sign_in_sessions").fetchone()[0]
    assert token not in stored and len(stored) == 64  # only its hash is kept
    assert accounts.resume_session(empty_store, token).username == "amina"
    assert accounts.resume_session(empty_store, token + "x") is None
    assert accounts.resume_session(empty_store, None) is None
    accounts.end_session(empty_store, token)
    assert accounts.resume_session(empty_store, token) is None
    expired = accounts.start_session(empty_store, "amina", hours=1)
    empty_store.con.execute("UPDATE sign_in_sessions SET expires_at = started_at")
    assert accounts.resume_session(empty_store, expired) is None
    kept = accounts.start_session(empty_store, "amina")
    accounts.add_user(empty_store, "alex", role="admin", password="a long enough password", by="test")
    accounts.remove_user(empty_store, "amina", by="alex")
    assert accounts.resume_session(empty_store, kept) is None
