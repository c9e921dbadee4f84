"""Asset register: add and edit assets and their needs and offers, record who checked
them and when, find stale entries, and import files through the same importer as the
``atlas import`` command."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app import importing, maps, session, state
from app.needs_offers_editor import needs_offers_section
from app.text import md
from atlas import audit, people, register
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.asset_lists import DEFAULT_STALE_MONTHS
from atlas.classify import money
from atlas.errors import AtlasError
from atlas.models import ASSET_TYPES, SECTORS
from atlas.register import AssetDraft
from atlas.viewport import Viewport

NEW = 0  # the "asset" choice that means a new one

PLACE_ZOOM = 16
FORM_FIELDS = ("name", "sector", "category", "asset_type", "employees", "annual_spend", "land_ha",
               "offers", "needs", "offers_text", "needs_text", "description", "contact", "person")


def _asset_names() -> dict[int, str]:
    rows, _ = state.asset_rows(limit=5_000)
    return {r.id: r.name for r in rows}


def _form_key(asset_id: int) -> tuple[int, bool]:
    """What the form was filled for: an asset, and whether its viewer sees confidential
    fields (a form filled for an officer is filled again for anyone else)."""
    return asset_id, session.viewer().sees_confidential


def _load_form(asset_id: int) -> None:
    """Fill the form from the asset chosen (or empty it for a new one)."""
    draft = (state.query(register.draft_from_asset, asset_id, viewer=session.viewer())
             if asset_id != NEW else None)
    for name in FORM_FIELDS:
        value = getattr(draft, name) if draft else None
        if name == "person":
            value = bool(value)
        elif name in ("offers", "needs"):
            value = ", ".join(value or ())
        elif name in ("employees", "annual_spend", "land_ha"):
            value = value if value is not None else None
        elif value is None and name not in ("sector", "asset_type"):
            value = ""
        st.session_state[f"reg_{name}"] = value
    st.session_state["reg_place"] = (draft.lon, draft.lat) if draft else None
    given = state.query(people.consent, asset_id) if draft and draft.person else None
    st.session_state["reg_consent_by"] = given.given_by if given else ""
    st.session_state["reg_consent_on"] = given.given_on if given else None
    st.session_state["reg_consent_for"] = given.purpose if given else ""
    st.session_state["reg_loaded"] = _form_key(asset_id)


def _tags(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip().lower() for t in (text or "").replace(";", ",").split(",") if t.strip())


def _place_picker() -> None:
    """Where the asset is: click the map, or look a postcode up."""
    place = st.session_state.get("reg_place")
    postcode_col, coords_col = st.columns([2, 3])
    with postcode_col:
        with st.form("reg_postcode_form", border=False):
            code = st.text_input("Postcode", key="reg_postcode", placeholder="B16 0AA")
            found = st.form_submit_button("Find postcode")
        if found and code.strip():
            try:
                where = importing.postcode_location(code)
            except AtlasError as exc:
                st.error(str(exc))
            else:
                st.session_state["reg_place"] = place = where
    with coords_col:
        if place:
            st.markdown(f"**Place:** {place[1]:.5f}° N, {abs(place[0]):.5f}° {'W' if place[0] < 0 else 'E'}")
        else:
            st.markdown("**Place:** not chosen yet: click the map or find a postcode.")

    extent = state.map_extent()
    if place:
        view = Viewport.around(place[0], place[1], PLACE_ZOOM, height_px=420)
    elif extent:
        view = Viewport.fitting(extent, height_px=420)
    else:
        view = Viewport.around(-1.9, 52.48, 5, height_px=420)  # Britain, for an empty atlas
    contents = state.map_contents(view.snapped(), AssetFilter())
    m = maps.base_map(view, fit=not place)
    maps.add_contents(m, contents, decimals=maps.decimals_for(view.zoom))
    if place:
        maps.add_pin(m, place[0], place[1], "The asset's place")
    maps.finish(m, legend_open=False)
    clicked = maps.show_map(m, key="reg_map", height=420, returned=("last_clicked",)).new_click
    if clicked:
        st.session_state["reg_place"] = clicked
        st.rerun()


def _draft() -> AssetDraft:
    s = st.session_state
    place = s.get("reg_place") or (float("nan"), float("nan"))
    return AssetDraft(
        name=s["reg_name"], lon=place[0], lat=place[1], sector=s["reg_sector"], category=s["reg_category"],
        asset_type=s["reg_asset_type"], employees=None if s["reg_employees"] is None else int(s["reg_employees"]),
        annual_spend=s["reg_annual_spend"], land_ha=s["reg_land_ha"], offers=_tags(s["reg_offers"]),
        needs=_tags(s["reg_needs"]), offers_text=s["reg_offers_text"], needs_text=s["reg_needs_text"],
        description=s["reg_description"], contact=(s.get("reg_contact") or "").strip() or None,
        person=bool(s["reg_person"]), consent_given_by=(s.get("reg_consent_by") or "").strip() or None,
        consent_given_on=s.get("reg_consent_on"), consent_purpose=(s.get("reg_consent_for") or "").strip() or None,
    )


def _registration(asset_id: int) -> None:
    """What the registers (Companies House, the charity register) say of the asset; read
    only here, since a register import keeps it."""
    found = state.registration_of(asset_id)
    if found is None:
        return
    facts = {
        "Legal form": found.legal_form,
        "Company number": found.company_number,
        "Charity number": found.charity_number,
        "Status": found.status,
        "Incorporated or registered": None if found.incorporated_on is None else f"{found.incorporated_on:%d %B %Y}",
        "Income a year": None if found.income is None else money(found.income, state.info().currency),
        "Sector (SIC or classification)": found.register_sector,
        "Social enterprise": (f"yes: {found.social_enterprise_reason}" if found.social_enterprise else "no"),
        "From": found.source,
    }
    with st.expander("On the registers", icon=":material/badge:"):
        st.dataframe(pd.DataFrame({"": [k for k, v in facts.items() if v], "value": [str(v) for v in facts.values()
                                                                                      if v]}),
                     hide_index=True, width="stretch", key="reg_registration")


def _edit_section(names: dict[int, str]) -> None:
    asset_id = st.selectbox("Asset", [NEW, *names], key="reg_asset",
                            format_func=lambda i: "A new asset" if i == NEW else names[i])
    if st.session_state.get("reg_loaded") != _form_key(asset_id):
        _load_form(asset_id)
    if asset_id != NEW:
        _registration(asset_id)
    _place_picker()
    categories = state.asset_categories()
    with st.form("reg_form"):
        st.text_input("Name", key="reg_name")
        a, b, c = st.columns(3)
        a.selectbox("Sector", [None, *SECTORS], key="reg_sector", format_func=lambda s: "—" if s is None else s)
        b.text_input("Category", key="reg_category",
                     help="For example: " + ", ".join(categories[:8]) if categories else None)
        c.selectbox("Asset type", [None, *ASSET_TYPES], key="reg_asset_type",
                    format_func=lambda s: "—" if s is None else s)
        a, b, c = st.columns(3)
        a.number_input("Employees", min_value=0, step=1, key="reg_employees")
        b.number_input("Annual spend on goods and services", min_value=0.0, step=10_000.0, key="reg_annual_spend",
                       help="In the atlas's currency.")
        c.number_input("Land held (hectares)", min_value=0.0, step=0.5, key="reg_land_ha")
        a, b = st.columns(2)
        a.text_input("Offers (tags, separated by commas)", key="reg_offers", placeholder="space, volunteers")
        b.text_input("Needs (tags, separated by commas)", key="reg_needs", placeholder="funding, translation")
        a.text_area("What it offers", key="reg_offers_text", height=80)
        b.text_area("What it needs", key="reg_needs_text", height=80)
        st.text_area("Description", key="reg_description", height=80)
        who = session.viewer()
        if who.sees_confidential:
            st.text_input("Contact (confidential: only officers see it; never on maps or in exports)",
                          key="reg_contact")
        else:
            st.text_input("Contact (confidential: only officers see it; type one to replace what is kept)",
                          key="reg_contact", placeholder="kept as it is unless you type a new one")
        st.checkbox("This is a person, not an organisation", key="reg_person",
                    help="A person is recorded only with their consent, and shown on maps at their "
                         "neighbourhood, never their address.")
        # Always drawn: a form does not rerun when the box is ticked, so fields shown only
        # after it would appear only once a save had failed for want of them.
        st.caption("A person's consent (needed for a person, ignored for an organisation):")
        a, b, c = st.columns(3)
        a.text_input("Consent given by", key="reg_consent_by", placeholder="usually the person")
        b.date_input("Consent given on", key="reg_consent_on", max_value=date.today())
        c.text_input("Consent for", key="reg_consent_for",
                     placeholder="e.g. listing in the atlas and matching with local groups")
        saved = st.form_submit_button("Save the new asset" if asset_id == NEW else "Save changes", type="primary")
    if saved:
        try:
            draft = _draft()
            with session.writing(Permission.EDIT_REGISTER) as store:
                if asset_id == NEW:
                    new_id = register.add_asset(store, draft, by=who.label)
                else:
                    register.update_asset(store, asset_id, draft, by=who.label, viewer=who)
                    new_id = asset_id
            saved_asset = state.get_asset(new_id)
        except AtlasError as exc:
            st.error(str(exc))
            return
        state.flash("reg", "success", f"Saved “{saved_asset.name}”: {saved_asset.scale_reason}.",
                    icon=":material/check_circle:")
        st.session_state["reg_loaded"] = _form_key(new_id)
        st.session_state["reg_pending_asset"] = new_id
        st.rerun()


def _verify_section(names: dict[int, str]) -> None:
    if not names:
        st.info("There are no assets to verify yet.")
        return
    with st.form("reg_verify_form"):
        asset_id = st.selectbox("Asset checked", list(names), format_func=names.__getitem__, key="reg_verify_asset")
        if "reg_verify_by" not in st.session_state:
            st.session_state["reg_verify_by"] = session.viewer().label
        who = st.text_input("Checked by", key="reg_verify_by", placeholder="Your name or initials")
        when = st.date_input("Checked on", value=date.today(), max_value=date.today(), key="reg_verify_on")
        done = st.form_submit_button("Mark as verified")
    if done:
        try:
            with session.writing(Permission.EDIT_REGISTER) as store:
                register.verify_asset(store, asset_id, by=who, on=when)
        except AtlasError as exc:
            st.error(str(exc))
        else:
            st.success(f"Recorded: {md(names[asset_id])} checked by {md(who.strip())} on {when:%d %B %Y}.")


def _history_section(names: dict[int, str]) -> None:
    """Who found, changed and verified the asset, and when: its whole record."""
    if not names:
        st.info("There are no assets yet.")
        return
    asset_id = st.selectbox("Whose history", list(names), format_func=names.__getitem__, key="reg_history_asset")
    changes = state.query(audit.asset_history, asset_id, viewer=session.viewer())
    if not changes:
        st.info("No changes are recorded for this asset yet.")
        return
    st.markdown("; ".join(md(c.words()) for c in changes[:5]) + ("; …" if len(changes) > 5 else "."))
    st.dataframe(
        pd.DataFrame({
            "When": [c.at for c in changes],
            "Who": [c.actor for c in changes],
            "Role": [c.role or "" for c in changes],
            "What": [c.summary for c in changes],
            "Changed": [", ".join(c.changed) for c in changes],
        }),
        hide_index=True, width="stretch", key="reg_history_table",
    )


def _stale_section() -> None:
    months = st.number_input("Not checked for more than (months)", min_value=1, max_value=120,
                             value=DEFAULT_STALE_MONTHS, key="reg_stale_months")
    rows = state.stale_assets(months=int(months))
    never = sum(r.verified_on is None for r in rows)
    st.markdown(f"**{len(rows):,} stale entries**: {never:,} never verified, "
                f"{len(rows) - never:,} last checked more than {months} months ago.")
    st.dataframe(
        pd.DataFrame({
            "Name": [r.name for r in rows],
            "Scale": [r.scale for r in rows],
            "Category": [r.category for r in rows],
            "Last checked": [r.verified_on for r in rows],
            "By": [r.verified_by for r in rows],
        }),
        hide_index=True, width="stretch", key="reg_stale_table",
    )


st.title("Asset register")
st.caption("Add or correct an asset, record that it was checked, and keep the atlas fresh.")
state.handle_or_stop()
session.gate(Permission.EDIT_REGISTER, "The asset register")
state.show_flashes("reg")
if "reg_pending_asset" in st.session_state:
    st.session_state["reg_asset"] = st.session_state.pop("reg_pending_asset")
names = _asset_names()
# A key keeps the open tab across the rerun a save makes (a message drawn above the tabs
# would otherwise send the person back to the first one).
edit_tab, needs_tab, verify_tab, history_tab, stale_tab, import_tab = st.tabs(
    ["Add or edit", "Needs and offers", "Verify", "History", "Stale entries", "Import a file"], key="reg_tab")
with edit_tab:
    _edit_section(names)
with needs_tab:
    needs_offers_section(names)
with verify_tab:
    _verify_section(names)
with history_tab:
    _history_section(names)
with stale_tab:
    _stale_section()
with import_tab:
    importing.import_section()
