"""Tenant finder: a developer (or a council, a congregation) describes a space kept for
community use and sees the community groups and social enterprises whose space needs it
could meet, nearest first, each with why it fits and what does not; then saves a
shortlist and downloads it as CSV."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from app import author, maps, session, state
from app.text import md
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.classify import money
from atlas.errors import AtlasError
from atlas.viewport import Viewport
from cedplans import tenants
from cedplans.tenants import SpaceDescription, TenantSearch

ss = st.session_state
flash = functools.partial(state.flash, "ten")

USES = ("community hall", "meeting rooms", "co-working", "workshop space", "studio space", "cafe premises",
        "kitchen", "shop front", "storage", "childcare", "sports hall", "growing space", "heritage display",
        "classes", "events")
"""Uses to pick from (any other can be typed): words the shared vocabulary knows."""
RENT_WORDS = {"free": "Free", "peppercorn": "Peppercorn (nominal)", "amount": "An amount a year"}


def _space_form() -> SpaceDescription | None:
    """The description of the space, as last submitted (kept across reruns)."""
    choices = {c.ref: c.label for c in state.site_choices()}
    if not choices:
        st.info("This atlas has no sites yet. Import some on the Asset register page.")
        return None
    default = next((r for r, label in choices.items() if "Port Loop historic building" in label), next(iter(choices)))
    with st.form("ten.form"):
        site = st.selectbox("Where the space is", list(choices), format_func=choices.__getitem__, key="ten.site",
                            index=list(choices).index(default))
        name = st.text_input("Name of the space (optional)", key="ten.name", placeholder="e.g. the old pump house")
        a, b = st.columns(2)
        area = a.number_input("Floor area (m²)", min_value=1.0, max_value=100_000.0, value=300.0, step=10.0,
                              key="ten.area")
        hours = b.number_input("Hours a week it can be used (0 = any time)", min_value=0.0, max_value=168.0,
                               value=0.0, step=1.0, key="ten.hours")
        uses = st.multiselect("Uses it suits", USES, default=["community hall", "co-working"], key="ten.uses",
                              accept_new_options=True, help="Pick or type the uses the space suits.")
        rent = st.radio("Rent", list(RENT_WORDS), format_func=RENT_WORDS.__getitem__, horizontal=True,
                        key="ten.rent")
        amount = st.number_input("Rent a year (for an amount)", min_value=0.0, value=0.0, step=500.0,
                                 key="ten.amount", help="In the atlas's currency.")
        step_free = st.checkbox("Step-free access", key="ten.step_free")
        found = st.form_submit_button("Find tenants", type="primary", icon=":material/search:")
    if found:
        ss["ten.space"] = SpaceDescription(site=site, area_m2=float(area), uses=tuple(uses), rent=rent,
                                           rent_per_year=float(amount) if rent == "amount" else None,
                                           hours_per_week=float(hours) or None, step_free=step_free, name=name.strip())
    return ss.get("ten.space")


def _table(search: TenantSearch) -> pd.DataFrame:
    return pd.DataFrame({
        "Shortlist": [t.fits for t in search.tenants],
        "Fits": ["yes" if t.fits else "partly" for t in search.tenants],
        "Distance (m)": [round(t.distance_m) for t in search.tenants],
        "Group": [t.asset for t in search.tenants],
        "Needs": [t.need for t in search.tenants],
        "m² needed": [t.need_area_m2 for t in search.tenants],
        "Score": [t.score for t in search.tenants],
        "What does not fit": ["; ".join(t.gaps) for t in search.tenants],
        "need_id": [t.need_id for t in search.tenants],
    })


def _map(search: TenantSearch) -> None:
    points = [(search.lon, search.lat)] + [(t.lon, t.lat) for t in search.tenants]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    view = Viewport.fitting((min(lons), min(lats), max(lons), max(lats)), height_px=420)
    m = maps.base_map(view, fit=True)
    context = state.map_contents(view.snapped(), AssetFilter())  # areas and sites, for bearings
    maps.add_boundaries(m, context.boundaries, decimals=maps.FULL_PRECISION_DECIMALS)
    maps.add_features(m, context.features, decimals=maps.FULL_PRECISION_DECIMALS)
    maps.add_pin(m, search.lon, search.lat, f"The space: {search.space.name or search.site_name}")
    maps.add_points(m, [maps.MapPoint(t.lon, t.lat, t.asset_scale, t.asset, t.sector, None,
                                      (t.need, f"{'Fits' if t.fits else 'Partly fits'} · {t.distance_m:,.0f} m away"))
                        for t in search.tenants], name="Possible tenants")
    maps.finish(m, legend_open=False)
    maps.show_map(m, key="ten.map", height=420, returned=())


def _save(search: TenantSearch, chosen: list[int]) -> None:
    try:
        with session.writing(Permission.FIND_TENANTS) as store:
            shortlist_id = tenants.save_shortlist(store, ss.get("ten.shortlist_name", ""), search, chosen,
                                                  by=_owner() or author.remembered("ten.author"))
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["ten.shortlist_name"] = ""  # a second press must not save the same list twice
    flash("success", f"Saved shortlist {shortlist_id} with {len(chosen)} group(s).", icon=":material/bookmark_added:")


def _results(space: SpaceDescription) -> None:
    try:
        with state.reading() as store:
            search = tenants.find_tenants(store, state.match_index(), space)
            currency = store.settings.thresholds.currency
    except AtlasError as exc:
        st.error(str(exc))
        return
    fits = sum(t.fits for t in search.tenants)
    st.subheader(f"{fits} group(s) fit, {len(search.tenants) - fits} partly")
    st.caption(f"{space.area_m2:,.0f} m² at {md(search.site_name)} for {md(', '.join(space.uses))}; rent "
               f"{space.rent_words(lambda v: money(v, currency))}. Those that fit are listed nearest first, then "
               "partial fits, best first.")
    if not search.tenants:
        st.info(search.message or "No group's need fits this space.", icon=":material/search_off:")
        return
    _map(search)
    frame = _table(search)
    edited = st.data_editor(
        frame, hide_index=True, key="ten.table", disabled=[c for c in frame.columns if c != "Shortlist"],
        column_order=[c for c in frame.columns if c != "need_id"],
        column_config={"Shortlist": st.column_config.CheckboxColumn("Shortlist", help="Put on the shortlist",
                                                                     width="small"),
                       "Fits": st.column_config.TextColumn("Fits", width="small"),
                       "Distance (m)": st.column_config.NumberColumn("Distance (m)", width="small"),
                       "Group": st.column_config.TextColumn("Group", width="medium"),
                       "Needs": st.column_config.TextColumn("Needs", width="medium"),
                       "m² needed": st.column_config.NumberColumn("m² needed", width="small"),
                       "Score": st.column_config.ProgressColumn("Score", min_value=0.0, max_value=1.0, format="%.2f",
                                                                width="small"),
                       "What does not fit": st.column_config.TextColumn("What does not fit", width="large")},
    )
    for t in search.tenants[:10]:
        with st.expander(f"{t.asset}: why"):
            st.markdown(md(t.why))
            if t.gaps:
                st.markdown("\n".join(f"- {md(g)}" for g in t.gaps))
    st.download_button("Download the list (CSV)", tenants.to_csv(search.tenants).encode("utf-8"),
                       file_name="tenants.csv", mime="text/csv", key="ten.csv", icon=":material/download:")
    chosen = [int(n) for n in edited.loc[edited["Shortlist"], "need_id"]]
    with st.form("ten.save"):
        st.markdown(f"**Save the {len(chosen)} ticked as a shortlist**")
        st.text_input("Shortlist name", key="ten.shortlist_name", placeholder="e.g. Port Loop building, spring 2027")
        if _owner() is None:
            author.author_input("ten.author")
        st.form_submit_button("Save the shortlist", on_click=_save, args=(search, chosen),
                              icon=":material/bookmark_add:")


def _owner() -> str | None:
    """A developer's own name, under which their shortlists are kept and which alone they
    see; None for officers, who see every shortlist."""
    who = session.viewer()
    return None if who.can(Permission.PLAN) else who.label


def _saved() -> None:
    with state.reading() as store:
        lists = tenants.list_shortlists(store, owner=_owner())
    if not lists:
        st.caption("No shortlist saved yet.")
        return
    labels = {r[0]: f"{r[1]} · {r[4]} group(s) · {r[2]}, {r[3]:%d %b %Y}" for r in lists}
    pick = st.selectbox("Shortlist", list(labels), format_func=labels.__getitem__, key="ten.saved_pick")
    with state.reading() as store:
        shortlist = tenants.get_shortlist(store, pick)
    st.dataframe(pd.DataFrame({"Group": [t.asset for t in shortlist.tenants],
                               "Needs": [t.need for t in shortlist.tenants],
                               "Distance (m)": [round(t.distance_m) for t in shortlist.tenants],
                               "Why": [t.why for t in shortlist.tenants]}),
                 hide_index=True, key="ten.saved_table")
    st.download_button("Download this shortlist (CSV)", tenants.to_csv(shortlist.tenants).encode("utf-8"),
                       file_name=f"shortlist-{pick}.csv", mime="text/csv", key="ten.saved_csv")


def main() -> None:
    st.title("Tenant finder")
    st.caption("Describe a space kept for community use: see the groups and social enterprises whose space needs it "
               "could meet, nearest first, with why each fits and what does not.")
    state.handle_or_stop()
    session.gate(Permission.FIND_TENANTS, "The tenant finder")
    state.show_flashes("ten")
    form, results = st.columns([1, 2], gap="large")
    with form:
        space = _space_form()
    with results:
        if space is None:
            st.info("Describe the space and press Find tenants.", icon=":material/storefront:")
        else:
            _results(space)
    st.divider()
    st.subheader("Saved shortlists")
    _saved()


main()
