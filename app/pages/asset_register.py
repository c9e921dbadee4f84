"""Asset register: add and edit assets and their needs and offers, record who checked
them and when, find stale entries, and import files through the same importer as the
``atlas import`` command."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app import importing, maps, session, state
from app.language import _, currency, fmt, value_label
from app.needs_offers_editor import needs_offers_section
from app.text import md
from atlas import audit, people, register
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.asset_lists import DEFAULT_STALE_MONTHS
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
            code = st.text_input(_("Postcode"), key="reg_postcode", placeholder="B16 0AA")
            found = st.form_submit_button(_("Find postcode"))
        if found and code.strip():
            try:
                where = importing.postcode_location(code)
            except AtlasError as exc:
                st.error(str(exc))
            else:
                st.session_state["reg_place"] = place = where
    with coords_col:
        if place:
            template = (_("**Place:** {lat}° N, {lon}° W") if place[0] < 0 else _("**Place:** {lat}° N, {lon}° E"))
            st.markdown(template.format(lat=fmt().number(place[1], digits=5),
                                        lon=fmt().number(abs(place[0]), digits=5)))
        else:
            st.markdown(_("**Place:** not chosen yet: click the map or find a postcode."))

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
        maps.add_pin(m, place[0], place[1], _("The asset's place"))
    maps.finish(m, legend_open=False)
    clicked = maps.show_map(m, key="reg_map", height=420, returned=("last_clicked",),
                            title=_("Map for placing the asset: click where it is"), visible_title=False).new_click
    if clicked:
        st.session_state["reg_place"] = clicked
        st.rerun()


def _value_words(value: str | None) -> str:
    """A stored value of a fixed list (sector, asset type, scale) as people read it."""
    return "—" if value is None else value_label(value)


def _scale(asset_id: int) -> None:
    """The asset's scale and the reason for it, as the place's thresholds and currency
    classify it now (the admin page reclassifies every asset when they change)."""
    asset = state.get_asset(asset_id)
    st.caption(_("Scale: {scale}. Why: {reason}.").format(scale=_value_words(asset.scale),
                                                          reason=md(asset.scale_reason)))


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
        _("Legal form"): found.legal_form,
        _("Company number"): found.company_number,
        _("Charity number"): found.charity_number,
        _("Status"): found.status,
        _("Incorporated or registered"): None if found.incorporated_on is None else fmt().date(found.incorporated_on,
                                                                                              form="long"),
        _("Income a year"): None if found.income is None else fmt().money(found.income, currency()),
        _("Sector (SIC or classification)"): found.register_sector,
        _("Social enterprise"): (_("yes: {reason}").format(reason=found.social_enterprise_reason)
                                 if found.social_enterprise else _("no")),
        _("From"): found.source,
    }
    with st.expander(_("On the registers"), icon=":material/badge:"):
        st.dataframe(pd.DataFrame({"": [k for k, v in facts.items() if v], _("value"): [str(v) for v in facts.values()
                                                                                         if v]}),
                     hide_index=True, width="stretch", key="reg_registration")


def _edit_section(names: dict[int, str]) -> None:
    asset_id = st.selectbox(_("Asset"), [NEW, *names], key="reg_asset",
                            format_func=lambda i: _("A new asset") if i == NEW else names[i])
    if st.session_state.get("reg_loaded") != _form_key(asset_id):
        _load_form(asset_id)
    if asset_id != NEW:
        _scale(asset_id)
        _registration(asset_id)
    _place_picker()
    categories = state.asset_categories()
    with st.form("reg_form"):
        st.text_input(_("Name"), key="reg_name")
        a, b, c = st.columns(3)
        a.selectbox(_("Sector"), [None, *SECTORS], key="reg_sector", format_func=_value_words)
        b.text_input(_("Category"), key="reg_category",
                     help=_("For example: {categories}").format(categories=", ".join(categories[:8]))
                     if categories else None)
        c.selectbox(_("Asset type"), [None, *ASSET_TYPES], key="reg_asset_type", format_func=_value_words)
        a, b, c = st.columns(3)
        a.number_input(_("Employees"), min_value=0, step=1, key="reg_employees")
        b.number_input(_("Annual spend on goods and services"), min_value=0.0, step=10_000.0, key="reg_annual_spend",
                       help=_("In the atlas's currency ({currency}).").format(currency=currency()))
        c.number_input(_("Land held (hectares)"), min_value=0.0, step=0.5, key="reg_land_ha")
        a, b = st.columns(2)
        a.text_input(_("Offers (tags, separated by commas)"), key="reg_offers",
                     placeholder=_("space, volunteers"))
        b.text_input(_("Needs (tags, separated by commas)"), key="reg_needs", placeholder=_("funding, translation"))
        a.text_area(_("What it offers"), key="reg_offers_text", height=80)
        b.text_area(_("What it needs"), key="reg_needs_text", height=80)
        st.text_area(_("Description"), key="reg_description", height=80)
        who = session.viewer()
        if who.sees_confidential:
            st.text_input(_("Contact (confidential: only officers see it; never on maps or in exports)"),
                          key="reg_contact")
        else:
            st.text_input(_("Contact (confidential: only officers see it; type one to replace what is kept)"),
                          key="reg_contact", placeholder=_("kept as it is unless you type a new one"))
        st.checkbox(_("This is a person, not an organisation"), key="reg_person",
                    help=_("A person is recorded only with their consent, and shown on maps at their "
                           "neighbourhood, never their address."))
        # Always drawn: a form does not rerun when the box is ticked, so fields shown only
        # after it would appear only once a save had failed for want of them.
        st.caption(_("A person's consent (needed for a person, ignored for an organisation):"))
        a, b, c = st.columns(3)
        a.text_input(_("Consent given by"), key="reg_consent_by", placeholder=_("usually the person"))
        b.date_input(_("Consent given on"), key="reg_consent_on", max_value=date.today())
        c.text_input(_("Consent for"), key="reg_consent_for",
                     placeholder=_("e.g. listing in the atlas and matching with local groups"))
        saved = st.form_submit_button(_("Save the new asset") if asset_id == NEW else _("Save changes"),
                                      type="primary")
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
        state.flash("reg", "success", _("Saved “{name}”: {reason}.").format(name=md(saved_asset.name),
                                                                              reason=md(saved_asset.scale_reason)),
                    icon=":material/check_circle:")
        st.session_state["reg_loaded"] = _form_key(new_id)
        st.session_state["reg_pending_asset"] = new_id
        st.rerun()


def _verify_section(names: dict[int, str]) -> None:
    if not names:
        st.info(_("There are no assets to verify yet."))
        return
    with st.form("reg_verify_form"):
        asset_id = st.selectbox(_("Asset checked"), list(names), format_func=names.__getitem__,
                                key="reg_verify_asset")
        if "reg_verify_by" not in st.session_state:
            st.session_state["reg_verify_by"] = session.viewer().label
        who = st.text_input(_("Checked by"), key="reg_verify_by", placeholder=_("Your name or initials"))
        when = st.date_input(_("Checked on"), value=date.today(), max_value=date.today(), key="reg_verify_on")
        done = st.form_submit_button(_("Mark as verified"))
    if done:
        try:
            with session.writing(Permission.EDIT_REGISTER) as store:
                register.verify_asset(store, asset_id, by=who, on=when)
        except AtlasError as exc:
            st.error(str(exc))
        else:
            st.success(_("Recorded: {name} checked by {who} on {day}.").format(
                name=md(names[asset_id]), who=md(who.strip()), day=fmt().date(when, form="long")))


def _history_section(names: dict[int, str]) -> None:
    """Who found, changed and verified the asset, and when: its whole record."""
    if not names:
        st.info(_("There are no assets yet."))
        return
    asset_id = st.selectbox(_("Whose history"), list(names), format_func=names.__getitem__,
                            key="reg_history_asset")
    changes = state.query(audit.asset_history, asset_id, viewer=session.viewer())
    if not changes:
        st.info(_("No changes are recorded for this asset yet."))
        return
    st.markdown("; ".join(md(c.words()) for c in changes[:5]) + ("; …" if len(changes) > 5 else "."))
    st.dataframe(
        pd.DataFrame({
            _("When"): [c.at for c in changes],
            _("Who"): [c.actor for c in changes],
            _("Role"): [_(c.role) if c.role else "" for c in changes],
            _("What"): [c.summary for c in changes],
            _("Changed"): [", ".join(c.changed) for c in changes],
        }),
        hide_index=True, width="stretch", key="reg_history_table",
    )


def _stale_section() -> None:
    months = st.number_input(_("Not checked for more than (months)"), min_value=1, max_value=120,
                             value=DEFAULT_STALE_MONTHS, key="reg_stale_months")
    rows = state.stale_assets(months=int(months))
    never = sum(r.verified_on is None for r in rows)
    st.markdown(_("**{count} stale entries**: {never} never verified, {older} last checked more than "
                  "{months} months ago.").format(count=fmt().number(len(rows)), never=fmt().number(never),
                                                 older=fmt().number(len(rows) - never),
                                                 months=fmt().number(months)))
    st.dataframe(
        pd.DataFrame({
            _("Name"): [r.name for r in rows],
            _("Scale"): [_value_words(r.scale) for r in rows],
            _("Category"): [r.category for r in rows],
            _("Last checked"): [r.verified_on for r in rows],
            _("By"): [r.verified_by for r in rows],
        }),
        hide_index=True, width="stretch", key="reg_stale_table",
    )


st.title(_("Asset register"))
st.caption(_("Add or correct an asset, record that it was checked, and keep the atlas fresh."))
state.handle_or_stop()
session.gate(Permission.EDIT_REGISTER, _("The asset register"))
state.show_flashes("reg")
if "reg_pending_asset" in st.session_state:
    st.session_state["reg_asset"] = st.session_state.pop("reg_pending_asset")
names = _asset_names()
# A key keeps the open tab across the rerun a save makes (a message drawn above the tabs
# would otherwise send the person back to the first one).
edit_tab, needs_tab, verify_tab, history_tab, stale_tab, import_tab = st.tabs(
    [_("Add or edit"), _("Needs and offers"), _("Verify"), _("History"), _("Stale entries"), _("Import a file")],
    key="reg_tab")
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
