"""Tenant finder: a developer (or a council, a congregation) describes a space kept for
community use and sees the community groups and social enterprises whose space needs it
could meet, nearest first, each with why it fits and what does not; then saves a
shortlist and downloads it as CSV."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from app import author, maps, session, state
from app.language import N_, _, currency, fmt, ngettext
from app.text import md
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.errors import AtlasError
from atlas.viewport import Viewport
from cedplans import tenants
from cedplans.tenants import SpaceDescription, TenantSearch

ss = st.session_state
flash = functools.partial(state.flash, "ten")

USES = (N_("community hall"), N_("meeting rooms"), N_("co-working"), N_("workshop space"), N_("studio space"),
        N_("cafe premises"), N_("kitchen"), N_("shop front"), N_("storage"), N_("childcare"), N_("sports hall"),
        N_("growing space"), N_("heritage display"), N_("classes"), N_("events"))
"""Uses to pick from (any other can be typed): words the shared vocabulary knows. The
search matches the English words, so they are kept as values and only shown translated."""
RENT_WORDS = {"free": N_("Free"), "peppercorn": N_("Peppercorn (nominal)"), "amount": N_("An amount a year")}

# Column names of the results table: keys of the table (stable), shown translated.
SHORTLIST, FITS, DISTANCE, GROUP, NEEDS, AREA, SCORE, GAPS = (
    "Shortlist", "Fits", "Distance (m)", "Group", "Needs", "m² needed", "Score", "What does not fit")


def _use_label(use: str) -> str:
    # A typed use is not in the catalogue and is shown as typed.
    return _(use) if use else use


def _rent_words(space: SpaceDescription, code: str) -> str:
    """The rent asked, in words of the reader's language and money of the atlas's currency."""
    if space.rent == "free":
        return _("free")
    if space.rent == "peppercorn":
        return _("a peppercorn rent")
    return _("{amount} a year").format(amount=fmt().money(space.annual_rent or 0, code))


def _space_form() -> SpaceDescription | None:
    """The description of the space, as last submitted (kept across reruns)."""
    choices = {c.ref: c.label for c in state.site_choices()}
    if not choices:
        st.info(_("This atlas has no sites yet. Import some on the Asset register page."))
        return None
    default = next((r for r, label in choices.items() if "Port Loop historic building" in label), next(iter(choices)))
    with st.form("ten.form"):
        site = st.selectbox(_("Where the space is"), list(choices), format_func=choices.__getitem__, key="ten.site",
                            index=list(choices).index(default))
        name = st.text_input(_("Name of the space (optional)"), key="ten.name",
                             placeholder=_("e.g. the old pump house"))
        a, b = st.columns(2)
        area = a.number_input(_("Floor area (m²)"), min_value=1.0, max_value=100_000.0, value=300.0, step=10.0,
                              key="ten.area")
        hours = b.number_input(_("Hours a week it can be used (0 = any time)"), min_value=0.0, max_value=168.0,
                               value=0.0, step=1.0, key="ten.hours")
        use_labels = {u: _(u) for u in USES}

        def use_words(use: str) -> str:
            return use_labels.get(use, use)  # a typed use is shown as typed

        uses = st.multiselect(_("Uses it suits"), USES, default=["community hall", "co-working"], key="ten.uses",
                              accept_new_options=True, format_func=use_words,
                              help=_("Pick or type the uses the space suits."))
        # Labels translated now, in this run: a format_func may also be called outside the run.
        rent_words = {r: _(w) for r, w in RENT_WORDS.items()}
        rent = st.radio(_("Rent"), list(RENT_WORDS), format_func=rent_words.__getitem__, horizontal=True,
                        key="ten.rent")
        amount = st.number_input(_("Rent a year (for an amount)"), min_value=0.0, value=0.0, step=500.0,
                                 key="ten.amount", help=_("In the atlas's currency ({currency}).").format(
                                     currency=currency()))
        step_free = st.checkbox(_("Step-free access"), key="ten.step_free")
        found = st.form_submit_button(_("Find tenants"), type="primary", icon=":material/search:", key="ten.find")
    if found:
        ss["ten.space"] = SpaceDescription(site=site, area_m2=float(area), uses=tuple(uses), rent=rent,
                                           rent_per_year=float(amount) if rent == "amount" else None,
                                           hours_per_week=float(hours) or None, step_free=step_free, name=name.strip())
    return ss.get("ten.space")


def _table(search: TenantSearch) -> pd.DataFrame:
    return pd.DataFrame({
        SHORTLIST: [t.fits for t in search.tenants],
        FITS: [_("yes") if t.fits else _("partly") for t in search.tenants],
        DISTANCE: [round(t.distance_m) for t in search.tenants],
        GROUP: [t.asset for t in search.tenants],
        NEEDS: [t.need for t in search.tenants],
        AREA: [t.need_area_m2 for t in search.tenants],
        SCORE: [t.score for t in search.tenants],
        GAPS: ["; ".join(t.gaps) for t in search.tenants],
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
    maps.add_pin(m, search.lon, search.lat, _("The space: {name}").format(name=search.space.name or search.site_name))
    maps.add_points(m, [maps.MapPoint(t.lon, t.lat, t.asset_scale, t.asset, t.sector, None,
                                      (t.need, (_("Fits · {distance} away") if t.fits
                                                else _("Partly fits · {distance} away")).format(
                                          distance=fmt().distance_m(t.distance_m))))
                        for t in search.tenants], name=_("Possible tenants"))
    maps.finish(m, legend_open=False)
    maps.show_map(m, key="ten.map", height=420, returned=(), title=_("Map of the groups that fit the space"),
                  visible_title=False)


def _save(search: TenantSearch, chosen: list[int]) -> None:
    try:
        with session.writing(Permission.FIND_TENANTS) as store:
            shortlist_id = tenants.save_shortlist(store, ss.get("ten.shortlist_name", ""), search, chosen,
                                                  by=_owner() or author.remembered("ten.author"))
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["ten.shortlist_name"] = ""  # a second press must not save the same list twice
    flash("success", ngettext("Saved shortlist {id} with {count} group.", "Saved shortlist {id} with {count} groups.",
                              len(chosen)).format(id=shortlist_id, count=fmt().number(len(chosen))),
          icon=":material/bookmark_added:")


def _results(space: SpaceDescription) -> None:
    try:
        with state.reading() as store:
            search = tenants.find_tenants(store, state.match_index(), space)
            code = store.settings.thresholds.currency
    except AtlasError as exc:
        st.error(str(exc))
        return
    fits = sum(t.fits for t in search.tenants)
    # Worded as before ("group(s)"): the count of those that fit may be 0, 1 or many.
    st.subheader(_("{count} group(s) fit, {partly} partly").format(
        count=fmt().number(fits), partly=fmt().number(len(search.tenants) - fits)))
    st.caption(_("{area} at {site} for {uses}; rent {rent}. Those that fit are listed nearest first, then "
                 "partial fits, best first.").format(
        area=fmt().area_m2(space.area_m2), site=md(search.site_name),
        uses=md(", ".join(_use_label(u) for u in space.uses)), rent=_rent_words(space, code)))
    if not search.tenants:
        st.info(search.message or _("No group's need fits this space."), icon=":material/search_off:")
        return
    _map(search)
    frame = _table(search)
    edited = st.data_editor(
        frame, hide_index=True, key="ten.table", disabled=[c for c in frame.columns if c != SHORTLIST],
        column_order=[c for c in frame.columns if c != "need_id"],
        column_config={SHORTLIST: st.column_config.CheckboxColumn(_("Shortlist"), help=_("Put on the shortlist"),
                                                                  width="small"),
                       FITS: st.column_config.TextColumn(_("Fits"), width="small"),
                       DISTANCE: st.column_config.NumberColumn(_("Distance (m)"), width="small"),
                       GROUP: st.column_config.TextColumn(_("Group"), width="medium"),
                       NEEDS: st.column_config.TextColumn(_("Needs"), width="medium"),
                       AREA: st.column_config.NumberColumn(_("m² needed"), width="small"),
                       SCORE: st.column_config.ProgressColumn(_("Score"), min_value=0.0, max_value=1.0,
                                                              format="%.2f", width="small"),
                       GAPS: st.column_config.TextColumn(_("What does not fit"), width="large")},
    )
    for t in search.tenants[:10]:
        with st.expander(_("{group}: why").format(group=t.asset)):
            st.markdown(md(t.why))
            if t.gaps:
                st.markdown("\n".join(f"- {md(g)}" for g in t.gaps))
    st.download_button(_("Download the list (CSV)"), tenants.to_csv(search.tenants).encode("utf-8"),
                       file_name="tenants.csv", mime="text/csv", key="ten.csv", icon=":material/download:")
    chosen = [int(n) for n in edited.loc[edited[SHORTLIST], "need_id"]]
    with st.form("ten.save"):
        st.markdown("**{}**".format(ngettext("Save the {count} ticked as a shortlist",
                                             "Save the {count} ticked as a shortlist", len(chosen)).format(
            count=fmt().number(len(chosen)))))
        st.text_input(_("Shortlist name"), key="ten.shortlist_name",
                      placeholder=_("e.g. Port Loop building, spring 2027"))
        if _owner() is None:
            author.author_input("ten.author")
        st.form_submit_button(_("Save the shortlist"), on_click=_save, args=(search, chosen),
                              icon=":material/bookmark_add:", key="ten.save_go")


def _owner() -> str | None:
    """A developer's own name, under which their shortlists are kept and which alone they
    see; None for officers, who see every shortlist."""
    who = session.viewer()
    return None if who.can(Permission.PLAN) else who.label


def _saved() -> None:
    with state.reading() as store:
        lists = tenants.list_shortlists(store, owner=_owner())
    if not lists:
        st.caption(_("No shortlist saved yet."))
        return
    labels = {r[0]: _("{name} · {count} group(s) · {by}, {date}").format(
        name=r[1], count=fmt().number(r[4]), by=r[2], date=fmt().date(r[3])) for r in lists}
    pick = st.selectbox(_("Shortlist"), list(labels), format_func=labels.__getitem__, key="ten.saved_pick")
    with state.reading() as store:
        shortlist = tenants.get_shortlist(store, pick)
    st.dataframe(pd.DataFrame({_("Group"): [t.asset for t in shortlist.tenants],
                               _("Needs"): [t.need for t in shortlist.tenants],
                               _("Distance (m)"): [round(t.distance_m) for t in shortlist.tenants],
                               _("Why"): [t.why for t in shortlist.tenants]}),
                 hide_index=True, key="ten.saved_table")
    st.download_button(_("Download this shortlist (CSV)"), tenants.to_csv(shortlist.tenants).encode("utf-8"),
                       file_name=f"shortlist-{pick}.csv", mime="text/csv", key="ten.saved_csv")


def main() -> None:
    st.title(_("Tenant finder"))
    st.caption(_("Describe a space kept for community use: see the groups and social enterprises whose space needs "
                 "it could meet, nearest first, with why each fits and what does not."))
    state.handle_or_stop()
    session.gate(Permission.FIND_TENANTS, _("The tenant finder"))
    state.show_flashes("ten")
    form, results = st.columns([1, 2], gap="large")
    with form:
        space = _space_form()
    with results:
        if space is None:
            st.info(_("Describe the space and press Find tenants."), icon=":material/storefront:")
        else:
            _results(space)
    st.divider()
    st.subheader(_("Saved shortlists"))
    _saved()


main()
