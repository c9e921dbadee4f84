"""Signing in, roles and workshop codes in the app's pages (Streamlit AppTest on real
stores), across sessions: what one person does in one session is what another sees."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from app import navigation, state
from atlas import accounts, audit, people
from atlas.access import PUBLIC, Role
from atlas.errors import NotAllowed
from atlas.store import open_store
from cedplans import repository, workshops
from tests.app_fixtures import ROOT, SESSION_VIEWER, no_exception

VISITOR_PAGES = {"Atlas map", "Site explorer", "Workshop", "Market report", "Sign in"}


def nav_titles(at) -> set[str]:
    """The page titles the app's menu lists for this session's viewer."""
    viewer = at.session_state[SESSION_VIEWER] if SESSION_VIEWER in at.session_state else None
    return {p.title for p in navigation.pages_for(viewer or PUBLIC)}


def texts(at) -> str:
    """Every string the page drew (markdown, messages, labels, table cells), for searching."""
    out = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "subheader"):
        out += [str(e.value) for e in at.get(kind)]
    for kind in ("text_input", "text_area", "button", "selectbox", "checkbox"):
        for e in at.get(kind):
            out.append(str(getattr(e, "label", "")))
            out.append(str(getattr(e, "value", "")))
    for frame in at.get("arrow_data_frame"):
        out.append(frame.value.to_csv())
    return "\n".join(out)


def test_a_visitor_sees_the_public_pages_only_and_the_register_is_locked(run_page, demo_store_path):
    at = run_page("atlas_map", demo_store_path, role=None)
    no_exception(at)
    assert nav_titles(at) == VISITOR_PAGES
    # A link to the register sends a visitor to the atlas map (the menu has no such page) ...
    register = run_page("asset_register", demo_store_path, role=None)
    no_exception(register)
    assert [t.value for t in register.title] == ["Atlas"]
    assert not any(b.label == "Save the new asset" for b in register.button)
    assert all(t.key != "reg_name" for t in register.text_input)
    # ... and the page itself, run on its own, stops at a lock.
    page = AppTest.from_file(str(ROOT / "app" / "pages" / "asset_register.py"), default_timeout=90).run()
    assert [w.value for w in page.warning] == [
        "The asset register: Sign in to add, edit and verify assets, needs and offers (allowed to: researchers, "
        "officers, admins)."]
    assert not page.get("text_input") and not any(b.label == "Save the new asset" for b in page.button)


def test_signing_in_with_the_demo_password_opens_the_roles_pages(run_page, demo_store_path):
    at = run_page("sign_in", demo_store_path, role=None)
    no_exception(at)
    at.text_input(key="signin.user").input("researcher")
    at.text_input(key="signin.password").input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["That user name and password do not match an account."]
    assert SESSION_VIEWER not in at.session_state
    at.text_input(key="signin.password").input("researcher-demo")
    at.button[0].click().run()
    no_exception(at)
    who = at.session_state[SESSION_VIEWER]
    assert (who.role, who.name) == (Role.RESEARCHER, "Amina K. (demo researcher)")
    assert nav_titles(at) == VISITOR_PAGES - {"Sign in"} | {"Asset register", "Sign out"}
    at.button(key="signout").click().run()
    assert nav_titles(at) == VISITOR_PAGES


def test_roles_see_their_pages(run_page, demo_store_path):
    expected = {
        "resident": VISITOR_PAGES - {"Sign in"} | {"Sign out"},
        "developer": VISITOR_PAGES - {"Sign in"} | {"Sign out", "Tenant finder"},
        "officer": VISITOR_PAGES - {"Sign in"} | {"Sign out", "Matches", "Tenant finder", "Plan sketcher",
                                                  "Site dossier", "Asset register", "Anchor spend"},
    }
    for role, pages in expected.items():
        assert nav_titles(run_page("atlas_map", demo_store_path, role=role)) == pages, role
    admin = nav_titles(run_page("atlas_map", demo_store_path, role="admin"))
    assert admin == expected["officer"] | {"Admin"}


def test_a_workshop_code_in_the_link_lets_a_visitor_add_an_idea_to_that_plan_only(run_page, demo_store_path):
    with open_store(demo_store_path) as store:
        plans = repository.list_plans(store)
        code = workshops.open_workshop(store, plans[0].id, by="Sam", hours=1).code
        before = len(repository.list_ideas(store, plans[0].id))
    at = run_page("workshop", demo_store_path, role=None, query={"code": code})
    no_exception(at)
    who = at.session_state[SESSION_VIEWER]
    assert (who.role, who.plan_id) == (Role.RESIDENT, plans[0].id) and who.name.startswith("device:")
    assert at.title[0].value == plans[0].title
    # Only that plan can be chosen.
    at.query_params["plan"] = str(plans[1].id)
    at.run()
    assert [t.value for t in at.title] == ["Workshop"]
    assert "your workshop code is for another plan" in at.warning[0].value
    assert [b.label for b in at.button if b.key.startswith("ws.open.")] == [plans[0].title + " · " +
                                                                         plans[0].site_name]
    at.query_params["plan"] = str(plans[0].id)
    at.run()
    zone = at.selectbox(key="ws.zone")
    zone.select_index(0)
    at.text_area(key="ws.text").input("A book swap in the lodge")
    at.button(key="ws.add").click().run()
    no_exception(at)
    state.close_all()
    with open_store(demo_store_path) as store:
        ideas = repository.list_ideas(store, plans[0].id)
        assert len(ideas) == before + 1
        change = audit.recent(store, entity="idea")[0]
        assert (change.role, change.actor) == ("resident", "anonymous")


def test_a_wrong_or_run_out_code_is_refused(run_page, demo_store_path):
    with open_store(demo_store_path) as store:
        plan_id = repository.list_plans(store)[0].id
        code = workshops.open_workshop(store, plan_id, by="Sam", hours=1).code
        workshops.close_workshop(store, code, by="Sam")
    for wrong in (code, "NOPE42"):
        at = run_page("workshop", demo_store_path, role=None, query={"code": wrong})
        assert not at.exception
        assert any("code" in e.value for e in at.error)
        assert SESSION_VIEWER not in at.session_state
        assert not any(b.key == "ws.add" for b in at.button)


def test_an_officer_opens_a_code_and_sees_it_with_its_qr_code(run_page, demo_store_path):
    with open_store(demo_store_path) as store:
        plan_id = repository.list_plans(store)[0].id
    at = run_page("workshop", demo_store_path, role="officer", query={"plan": str(plan_id)})
    at.button(key="ws.open_code").click().run()
    no_exception(at)
    state.close_all()
    with open_store(demo_store_path) as store:
        [opened] = workshops.open_workshops(store, plan_id)
    assert any(opened.code in m.value for m in at.markdown)
    assert at.get("image"), "no QR code image"
    resident = run_page("workshop", demo_store_path, role="resident", query={"plan": str(plan_id)})
    assert not any(b.key == "ws.open_code" for b in resident.button)


def test_a_researcher_edits_a_person_without_seeing_or_losing_their_contact_and_place(run_page, demo_store_path):
    with open_store(demo_store_path) as store:
        person_id, name = store.con.execute(
            "SELECT id, name FROM assets WHERE person ORDER BY id LIMIT 1").fetchone()
        contact = store.con.execute("SELECT contact FROM assets WHERE id = ?", [person_id]).fetchone()[0]
        precise = people.precise_location(store, person_id, viewer=accounts.get_user(store, "officer").viewer())
    at = run_page("asset_register", demo_store_path, role="researcher")
    no_exception(at)
    at.selectbox(key="reg_asset").select(person_id).run()
    assert at.text_input(key="reg_contact").value == ""
    assert contact not in texts(at)
    at.text_area(key="reg_description").input("Also runs a repair cafe")
    next(b for b in at.button if b.label == "Save changes").click().run()
    no_exception(at)
    state.close_all()
    with open_store(demo_store_path) as store:
        kept = store.con.execute("SELECT contact, description FROM assets WHERE id = ?", [person_id]).fetchone()
        assert kept == (contact, "Also runs a repair cafe")
        assert people.precise_location(store, person_id,
                                       viewer=accounts.get_user(store, "officer").viewer()) == precise
        change = audit.asset_history(store, person_id)[0]
        assert (change.actor, change.role, change.summary) == ("Test researcher", "researcher",
                                                               "description changed")
    officer = run_page("asset_register", demo_store_path, role="officer")
    officer.selectbox(key="reg_asset").select(person_id).run()
    assert officer.text_input(key="reg_contact").value == contact
    history = run_page("asset_register", demo_store_path, role="officer")
    history.selectbox(key="reg_history_asset").select(person_id).run()
    assert "description changed by Test researcher" in texts(history).replace("\\", "")
    assert name


def test_an_admin_adds_an_account_who_can_then_sign_in(run_page, demo_store_path):
    at = run_page("admin", demo_store_path, role="admin")
    no_exception(at)
    at.text_input(key="admin.new_user").input("grace@council.example")
    at.text_input(key="admin.new_name").input("Grace M.")
    at.selectbox(key="admin.new_role").select("officer")
    at.text_input(key="admin.new_password").input("a long enough password")
    next(b for b in at.button if b.label == "Add the account").click().run()
    no_exception(at)
    signin = run_page("sign_in", demo_store_path, role=None)
    signin.text_input(key="signin.user").input("grace@council.example")
    signin.text_input(key="signin.password").input("a long enough password")
    signin.button[0].click().run()
    assert signin.session_state[SESSION_VIEWER].role == Role.OFFICER
    for role in ("officer", "researcher"):
        locked = run_page("admin", demo_store_path, role=role)
        assert not any(b.label == "Add the account" for b in locked.button), role


def test_pages_write_only_through_the_session(tmp_path):
    """Every write in a page goes through app.session.writing, which checks the viewer's
    role before the store is touched: no page calls state.writing itself."""
    offenders = []
    for path in [*(ROOT / "app").rglob("*.py"), ROOT / "streamlit_app.py"]:
        if path.name == "session.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "state.writing":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    assert "def writing(permission: Permission" in Path(ROOT / "app" / "session.py").read_text()


def test_an_admin_downloads_a_backup_that_opens_as_the_same_atlas(run_page, demo_store_path, tmp_path):
    at = run_page("admin", demo_store_path, role="admin")
    at.button(key="admin.backup").click().run()
    no_exception(at)
    [download] = [d for d in at.get("download_button") if "backup" in d.proto.label.lower()]
    data = at.session_state["admin.backup_bytes"]
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(data)
    state.close_all()
    with open_store(demo_store_path) as live, open_store(copy) as restored:
        for table in ("assets", "needs_offers", "plans", "users", "audit_log", "person_locations"):
            assert live.con.execute(f"SELECT count(*) FROM {table}").fetchone() == \
                restored.con.execute(f"SELECT count(*) FROM {table}").fetchone(), table
    assert download.proto.label == "Download the backup"


def test_identity_provider_sign_in_takes_the_accounts_role_else_resident(demo_store):
    accounts.add_user(demo_store, "grace@council.example", role="officer", password=None, by="test")
    assert accounts.for_identity(demo_store, "GRACE@council.example", "Grace").role == Role.OFFICER
    stranger = accounts.for_identity(demo_store, "someone@example.org", "Some One")
    assert (stranger.role, stranger.name) == (Role.RESIDENT, "Some One")
    # An account made for the identity provider has no password to guess.
    with pytest.raises(NotAllowed):
        accounts.sign_in(demo_store, "grace@council.example", "")


def test_an_account_removed_or_demoted_by_an_admin_loses_its_rights_at_once(run_page, demo_store_path):
    at = run_page("sign_in", demo_store_path, role=None)
    at.text_input(key="signin.user").input("officer")
    at.text_input(key="signin.password").input("officer-demo")
    at.button[0].click().run()
    assert at.session_state[SESSION_VIEWER].role == Role.OFFICER
    state.close_all()
    with open_store(demo_store_path) as store:
        accounts.set_role(store, "officer", "resident", by="admin")
    at.run()
    assert at.session_state[SESSION_VIEWER].role == Role.RESIDENT
    state.close_all()
    with open_store(demo_store_path) as store:
        accounts.remove_user(store, "officer", by="admin")
    at.run()
    assert at.session_state[SESSION_VIEWER] is None
    assert nav_titles(at) == VISITOR_PAGES


def test_a_researcher_adds_a_person_with_their_consent_in_one_save(run_page, demo_store_path):
    """The consent fields are drawn with the form (a form does not rerun when its box is
    ticked), so one save records the person, their consent and their neighbourhood point."""
    at = run_page("asset_register", demo_store_path, role="researcher")
    at.session_state["reg_place"] = (-1.9301, 52.4790)
    at.text_input(key="reg_name").input("Retired baker (volunteer)")
    at.checkbox(key="reg_person").check()
    at.text_input(key="reg_consent_by").input("The person")
    at.date_input(key="reg_consent_on").set_value(date(2026, 11, 1))
    at.text_input(key="reg_consent_for").input("matching with local food groups")
    next(b for b in at.button if b.label == "Save the new asset").click().run()
    no_exception(at)
    state.close_all()
    with open_store(demo_store_path) as store:
        asset_id, geom = store.con.execute(
            "SELECT id, ST_AsText(geom) FROM assets WHERE name = 'Retired baker (volunteer)'").fetchone()
        assert people.consent(store, asset_id).purpose == "matching with local food groups"
        assert geom != "POINT (-1.9301 52.479)"
        assert people.precise_location(store, asset_id, viewer=accounts.get_user(store, "officer").viewer()) \
            == shapely.Point(-1.9301, 52.4790)
