"""The linking pages in Streamlit's AppTest (issue 9): Matches, Tenant finder, Site dossier,
needs and offers in the register, and links and untapped assets on the Atlas map. What a
page wrote is read back from the store the app holds."""

from __future__ import annotations

import html

import pytest

from app import state
from atlas import needs_offers, sites
from atlas.access import as_role
from cedplans import linking, repository, tenants
from tests.app_fixtures import map_args, no_exception

NOTE_TOKEN = "NOTE-5e1b"


def source_ids() -> dict[str, int]:
    return dict(state.query(lambda store: store.con.execute("SELECT source_id, id FROM needs_offers").fetchall()))


def button(at, label: str):
    return next(b for b in at.button if (b.label or "").startswith(label))


# -- Matches -----------------------------------------------------------------------------------

def test_matches_page_ranks_offers_for_a_linked_need_and_records_decisions(run_page, demo_store_path):
    run_page("atlas_map", demo_store_path)  # the app opens the store
    ids = source_ids()
    need = ids["n-city-hospital-clinical-staff"]
    at = run_page("matches", demo_store_path, query={"need": str(need)})
    no_exception(at)
    first = next(m.value for m in at.markdown if m.value.startswith("**1."))
    assert "Refugee Doctors Bridge" in first
    offer = ids["o-refugee-doctors"]
    key = f"match.{need}.{offer}"

    # No reason: refused, nothing stored.
    at.text_input(key="match.author").input("Officer O.")
    at.button(key=f"{key}.accept").click().run()
    assert any("Give a reason" in e.value for e in at.error)
    assert state.query(linking.current_decision, need, offer) is None

    at.text_input(key=f"{key}.reason").input("Meeting booked")
    at.button(key=f"{key}.accept").click().run()
    no_exception(at)
    decision = state.query(linking.current_decision, need, offer, viewer=as_role("officer"))
    assert (decision.decision, decision.reason, decision.decided_by) == ("accepted", "Meeting booked", "Officer O.")
    at.button(key=f"{key}.plan").click().run()
    no_exception(at)
    plan_id = state.query(linking.current_decision, need, offer).plan_id
    assert plan_id is not None
    assert {p.asset_id for p in state.query(repository.get_plan, plan_id).partners} == {
        state.query(needs_offers.get, need).asset_id, state.query(needs_offers.get, offer).asset_id}
    assert any(f"({plan_id})" in (p.proto.label or "") for p in at.get("page_link"))

    # Turned down: it leaves the list.
    second = ids["o-brushstrokes-refugee-doctors"]
    at.text_input(key=f"match.{need}.{second}.reason").input("Already working with them")
    at.button(key=f"match.{need}.{second}.reject").click().run()
    no_exception(at)
    assert f"match.{need}.{second}.accept" not in {b.key for b in at.button}

    # Reasons are confidential: shown only when asked for.
    tables = [d.value for d in at.dataframe if "Reason" in d.value.columns]
    assert "Meeting booked" not in set().union(*(set(t["Reason"]) for t in tables))
    at.toggle(key="match.confidential").set_value(True).run()
    tables = [d.value for d in at.dataframe if "Reason" in d.value.columns]
    assert {"Meeting booked", "Already working with them"} <= set().union(*(set(t["Reason"]) for t in tables))


def test_matches_page_says_when_nothing_meets_a_need(run_page, demo_store_path):
    run_page("atlas_map", demo_store_path)
    hospital = state.query(lambda store: store.con.execute(
        "SELECT id FROM assets WHERE name LIKE 'City Hospital (%'").fetchone()[0])
    with state.writing() as store:
        need = needs_offers.add(store, needs_offers.NeedOfferDraft(
            side="need", asset_id=hospital, kind="other", title="A licensed firearms range", tags=("firearms",)),
            by="Test", vocabulary=state.vocabulary_of_store())
    at = run_page("matches", demo_store_path, query={"need": str(need)})
    no_exception(at)
    assert any(i.value.startswith("Nothing meets “A licensed firearms range”") for i in at.info)


# -- Tenant finder -----------------------------------------------------------------------------

def test_tenant_finder_lists_groups_and_saves_a_shortlist(run_page, demo_store_path):
    at = run_page("tenant_finder", demo_store_path)
    no_exception(at)
    assert any("Describe the space" in i.value for i in at.info)
    button(at, "Find tenants").click().run()
    no_exception(at)
    heading = next(s.value for s in at.subheader if "fit" in s.value)
    search = state.query(lambda store: tenants.find_tenants(store, state.match_index(), at.session_state["ten.space"]))
    fits = sum(t.fits for t in search.tenants)
    assert heading == f"{fits} group(s) fit, {len(search.tenants) - fits} partly"
    table = next(d.value for d in at.dataframe if "Shortlist" in d.value.columns)
    assert list(table["Shortlist"]) == [t.fits for t in search.tenants]
    assert map_args(at)["script"].count("atlas-asset") > 0
    at.text_input(key="ten.shortlist_name").input("Port Loop building, spring")
    at.text_input(key="ten.author").input("Developer D.")
    button(at, "Save the shortlist").click().run()
    no_exception(at)
    saved = state.query(tenants.list_shortlists)
    assert [(r[1], r[2], r[4]) for r in saved] == [("Port Loop building, spring", "Developer D.", fits)]


# -- Site dossier -------------------------------------------------------------------------------

def test_site_dossier_keeps_notes_behind_the_switch(run_page, demo_store_path):
    at = run_page("site_dossier", demo_store_path)
    no_exception(at)
    subheaders = [s.value for s in at.subheader]
    assert subheaders[:2] == ["The site", "Plans and community evidence"]
    facts = next(d.value for d in at.dataframe if "Details" in d.value.columns or "What" in d.value.columns)
    assert "Port Loop housing developer" in set(facts.iloc[:, 1])
    assert any("not included in this copy" in c.value for c in at.caption)

    at.toggle(key="dos.confidential").set_value(True).run()
    no_exception(at)
    at.text_area(key="dos.note").input(f"The developer wants a tenant by June. {NOTE_TOKEN}")
    at.text_input(key="dos.note_author").input("Officer O.")
    button(at, "Add the note").click().run()
    no_exception(at)
    site_id = at.session_state["dos.site"]
    notes = state.query(sites.site_notes, site_id, viewer=as_role("officer"))
    assert [n.author for n in notes] == ["Officer O."] and NOTE_TOKEN in notes[0].note
    shown = " ".join(str(d.value.to_dict()) for d in at.dataframe)
    assert NOTE_TOKEN in shown

    at.toggle(key="dos.confidential").set_value(False).run()
    hidden = " ".join(str(d.value.to_dict()) for d in at.dataframe) + " ".join(m.value for m in at.markdown)
    assert NOTE_TOKEN not in hidden


def test_site_dossier_records_the_acv_status(run_page, demo_store_path):
    from datetime import date

    at = run_page("site_dossier", demo_store_path)
    at.selectbox(key="dos.acv_status").set_value("listed")
    at.date_input(key="dos.acv_nominated").set_value(date(2025, 1, 10))
    at.date_input(key="dos.acv_listed").set_value(date(2025, 3, 1))
    at.text_input(key="dos.author").input("Officer O.")
    button(at, "Save the status").click().run()
    no_exception(at)
    record = state.query(sites.site_record, at.session_state["dos.site"])
    assert (record.acv_status, record.listing_ends_on) == ("listed", date(2030, 3, 1))
    facts = next(d.value for d in at.dataframe if "Details" in d.value.columns or "What" in d.value.columns)
    assert any("Listed as an Asset of Community Value" in str(v) for v in facts.iloc[:, 1])


# -- the register's needs and offers -----------------------------------------------------------

def test_register_adds_and_changes_needs_and_names_the_field_at_fault(run_page, demo_store_path):
    at = run_page("asset_register", demo_store_path)
    no_exception(at)
    asset_id = state.query(lambda store: store.con.execute(
        "SELECT id FROM assets WHERE name LIKE 'City Hospital (%'").fetchone()[0])
    at.selectbox(key="reg_no_asset").set_value(asset_id).run()
    before = len(state.needs_offers_of(asset_id))

    # An area on a staff need is refused, naming the field; nothing is stored.
    at.selectbox(key="reg_no_kind").set_value("workforce")
    at.text_input(key="reg_no_title").input("Porters for the outpatient centre")
    at.number_input(key="reg_no_area_m2").set_value(40.0)
    at.text_input(key="reg_no_author").input("Amina K.")
    button(at, "Save the new need").click().run()
    assert any(e.value.startswith("area_m2:") for e in at.error)
    assert len(state.needs_offers_of(asset_id)) == before

    at.number_input(key="reg_no_area_m2").set_value(None)
    at.number_input(key="reg_no_quantity").set_value(3.0)
    at.selectbox(key="reg_no_unit").set_value("people")
    at.multiselect(key="reg_no_tags").set_value(["jobs"])
    button(at, "Save the new need").click().run()
    no_exception(at)
    items = state.needs_offers_of(asset_id)
    new = next(i for i in items if i.title == "Porters for the outpatient centre")
    assert (new.kind, new.quantity, new.unit, new.tags, new.recorded_by) == ("workforce", 3.0, "people", ["jobs"],
                                                                            "Amina K.")
    # Change its status: the same record, updated.
    at.selectbox(key="reg_no_item").set_value(new.id).run()
    at.selectbox(key="reg_no_status").set_value("met")
    button(at, "Save changes").click().run()
    no_exception(at)
    assert state.query(needs_offers.get, new.id).status == "met"
    assert len(state.needs_offers_of(asset_id)) == len(items)


# -- the Atlas map -------------------------------------------------------------------------------

def test_atlas_map_draws_links_and_lists_untapped_assets(run_page, demo_store_path):
    at = run_page("atlas_map", demo_store_path)
    no_exception(at)
    script = map_args(at)["script"]
    links = state.links()
    assert links and script.count('"s":"plan"') == len(links)
    found = state.untapped()
    expander = next(e for e in at.expander if e.label.startswith("Untapped assets"))
    assert expander.label.startswith(f"Untapped assets ({len(found)})")
    listed = {html.unescape(m.value.split("**")[1].replace("\\", "")) for m in expander.markdown}
    assert listed == {u.asset for u in found}
    at.toggle(key="atlas_links").set_value(False).run()
    assert '"s":"plan"' not in map_args(at)["script"]


@pytest.mark.parametrize("page", ["matches", "tenant_finder", "site_dossier"])
def test_linking_pages_open_on_an_empty_atlas(run_page, tmp_path, page):
    at = run_page(page, tmp_path / "empty.duckdb", demo=False)
    no_exception(at)
