"""Site dossier: what an officer takes into a land negotiation about one site, on one
page and as PDF, HTML and GeoPackage downloads with the same sections.

Officers' notes are confidential: they are gathered (and can be added) only when the
"Show confidential notes" switch is on, and go into a download only when its own box is
ticked as well. A link with ``?site=ID`` opens a site."""

from __future__ import annotations

import functools
import re
from datetime import date

import pandas as pd
import streamlit as st

from app import author, session, state
from app.language import N_, _, current, fmt
from app.text import md
from atlas import settings, sites
from atlas.access import PUBLIC, Permission
from atlas.errors import AtlasError
from atlas.sites import ACV_STATUSES, SiteRecord
from cedplans import dossier_exports
from cedplans.dossier import DEFAULT_RADIUS_M, Dossier, build_dossier

ss = st.session_state
flash = functools.partial(state.flash, "dos")

RADII = settings.WALKING_DISTANCES_M
MIME = {"pdf": "application/pdf", "html": "text/html", "gpkg": "application/geopackage+sqlite3"}
FORMATS = (("pdf", N_("Download PDF")), ("html", N_("Download HTML report")),
           ("gpkg", N_("Download GeoPackage for QGIS")))


def _choose_site() -> int | None:
    named = {f.id: f.name or "" for f in state.list_features(named_only=True)}
    if not named:
        st.info(_("This atlas has no named sites yet. Import some on the Asset register page."))
        return None
    if "dos.site" not in ss or ss["dos.site"] not in named:
        wanted = st.query_params.get("site", "")
        first = next((i for i, n in named.items() if n == "Port Loop historic building"), next(iter(named)))
        ss["dos.site"] = int(wanted) if wanted.isdigit() and int(wanted) in named else first
    chosen = st.selectbox(_("Site"), list(named), format_func=named.__getitem__, key="dos.site")
    st.query_params["site"] = str(chosen)
    return chosen


def _dossier(site_id: int, radius_m: float, confidential: bool) -> Dossier:
    """The dossier for the public, or (``confidential``) for this session's viewer, who
    gets confidential notes only if their role may see them."""
    viewer = session.viewer() if confidential else PUBLIC
    index = state.match_index()
    language = current()
    return state.per_revision(
        f"dossier:{site_id}:{radius_m:g}:{viewer.sees_confidential}:{language}",
        lambda store: build_dossier(store, site_id, radius_m=radius_m, viewer=viewer, index=index,
                                    language=language),
    )


def _show_section(section: dossier_exports.Section) -> None:
    box = st.container(border=True) if section.confidential else st.container()
    with box:
        if section.confidential:
            st.markdown(f"### :red[{md(section.title)}]")
        else:
            st.subheader(section.title, anchor=False)
        for line in section.lines:
            (st.warning if section.confidential else st.caption)(md(line))
        if section.rows:
            header = section.header if any(section.header) else [_("What"), _("Details")]
            key = "dos.table." + re.sub(r"\W+", "_", section.title)
            st.dataframe(pd.DataFrame(section.rows, columns=header), hide_index=True, key=key)
        elif section.empty:
            st.markdown(md(section.empty))


def _save_acv(site_id: int) -> None:
    def day(key: str) -> date | None:
        return ss.get(key) or None

    record = SiteRecord(feature_id=site_id, acv_status=ss["dos.acv_status"], nominated_by=ss.get("dos.acv_by") or None,
                        nominated_on=day("dos.acv_nominated"), listed_on=day("dos.acv_listed"),
                        listing_ends_on=day("dos.acv_ends"), moratorium_starts_on=day("dos.acv_mor_start"),
                        moratorium_ends_on=day("dos.acv_mor_end"))
    try:
        with session.writing(Permission.PLAN) as store:
            sites.save_site_record(store, record, by=author.remembered("dos.author"))
    except AtlasError as exc:
        ss["dos.acv_error"] = str(exc)  # shown under the form, where the person is
        return
    flash("success", _("Recorded the site's Asset of Community Value status."), icon=":material/check_circle:")


def _acv_form(site_id: int, current: SiteRecord | None) -> None:
    with st.expander(_("Record the Asset of Community Value status (officers)")):
        if ss.get("dos.acv_for") != site_id:
            ss["dos.acv_for"] = site_id
            values = current or SiteRecord(feature_id=site_id)
            # End dates the atlas worked out are left empty, so they follow a corrected start.
            ends = values.listing_ends_on
            if ends and values.listed_on and ends == sites.default_listing_end(values.listed_on):
                ends = None
            until = values.moratorium_ends_on
            starts = values.moratorium_starts_on
            if until and starts and until == sites.default_moratorium_end(starts):
                until = None
            for key, value in (("dos.acv_status", values.acv_status), ("dos.acv_by", values.nominated_by or ""),
                               ("dos.acv_nominated", values.nominated_on), ("dos.acv_listed", values.listed_on),
                               ("dos.acv_ends", ends), ("dos.acv_mor_start", values.moratorium_starts_on),
                               ("dos.acv_mor_end", until)):
                ss[key] = value
        with st.form("dos.acv"):
            a, b = st.columns(2)
            a.selectbox(_("Status"), ACV_STATUSES, key="dos.acv_status", format_func=_)
            b.text_input(_("Nominated by"), key="dos.acv_by", placeholder=_("e.g. Friends of the park"))
            a, b, c = st.columns(3)
            a.date_input(_("Nominated on"), key="dos.acv_nominated", value=None, format="DD/MM/YYYY")
            b.date_input(_("Listed on"), key="dos.acv_listed", value=None, format="DD/MM/YYYY")
            c.date_input(_("Listing ends on"), key="dos.acv_ends", value=None, format="DD/MM/YYYY",
                         help=_("Left empty: five years after listing."))
            a, b = st.columns(2)
            a.date_input(_("Moratorium on sale from"), key="dos.acv_mor_start", value=None, format="DD/MM/YYYY")
            b.date_input(_("Moratorium until"), key="dos.acv_mor_end", value=None, format="DD/MM/YYYY",
                         help=_("Left empty: six months after it starts."))
            author.author_input("dos.author")
            st.form_submit_button(_("Save the status"), on_click=_save_acv, args=(site_id,), key="dos.acv_save")
        if "dos.acv_error" in ss:
            st.error(ss.pop("dos.acv_error"))


def _add_note(site_id: int) -> None:
    try:
        with session.writing(Permission.CONFIDENTIAL) as store:
            sites.add_site_note(store, site_id, ss.get("dos.note", ""), author=author.remembered("dos.note_author"))
    except AtlasError as exc:
        ss["dos.note_error"] = str(exc)  # shown under the form, where the person is
        return
    ss["dos.note"] = ""
    flash("success", _("The confidential note was added."), icon=":material/lock:")


def _downloads(public: Dossier, confidential: Dossier | None) -> None:
    include = False
    if confidential is not None:
        include = st.checkbox(_("Include the confidential notes in the downloads"), key="dos.include_notes",
                              help=_("Only for copies that stay with officers."))
    chosen = confidential if include and confidential is not None else public
    stem = re.sub(r"[^\w-]+", "-", (public.feature.name or f"site-{public.feature.id}").lower()).strip("-")
    stem += "-confidential" if include else ""
    cols = st.columns(3)
    for col, (kind, label) in zip(cols, FORMATS, strict=True):
        col.download_button(_(label), functools.partial(dossier_exports.render, chosen, kind, current()),
                            file_name=f"dossier-{stem}.{kind}", mime=MIME[kind], key=f"dos.download.{kind}",
                            icon=":material/download:")


def main() -> None:
    st.title(_("Site dossier"))
    st.caption(_("One site for a land negotiation: its facts and Asset of Community Value status, the plans for it "
                 "and the community's evidence, the assets, needs, offers and matches around it."))
    state.handle_or_stop()
    session.gate(Permission.PLAN, _("Site dossiers"))
    state.show_flashes("dos")
    left, right = st.columns([3, 1])
    with left:
        site_id = _choose_site()
    if site_id is None:
        return
    with right:
        radius = st.selectbox(_("How far around"), RADII, index=RADII.index(DEFAULT_RADIUS_M),
                              format_func=lambda r: fmt().distance_m(r), key="dos.radius")
    show_notes = st.toggle(_("Show confidential notes (officers only)"), key="dos.confidential",
                           help=_("Officers' notes are confidential: they are left out unless you switch this on."))
    try:
        public = _dossier(site_id, radius, False)
        confidential = _dossier(site_id, radius, True) if show_notes else None
    except AtlasError as exc:
        st.error(str(exc))
        return
    shown = confidential or public
    _downloads(public, confidential)
    st.image(shown.map_png, caption=_("The site (dashed), the line {distance} from its edge (dotted), macro assets "
                                      "(squares), micro assets (dots), open needs (▽) and offers (△).").format(
        distance=fmt().distance_m(radius)), width="stretch",
        alt=_("Map of {site}: the site, the line {distance} from its edge, and the assets, open needs and offers "
              "around it, which the sections below list.").format(site=shown.feature.name or "",
                                                                 distance=fmt().distance_m(radius)))
    for section in dossier_exports.sections(shown, current()):
        _show_section(section)
    _acv_form(site_id, shown.acv)
    if show_notes:
        with st.form("dos.note_form"):
            st.text_area(_("Add a confidential note"), key="dos.note", max_chars=sites.NOTE_MAX,
                         placeholder=_("e.g. The owner would consider a community asset transfer at a "
                                       "peppercorn rent."))
            author.author_input("dos.note_author")
            st.form_submit_button(_("Add the note"), on_click=_add_note, args=(site_id,), icon=":material/lock:",
                                  key="dos.note_add")
        if "dos.note_error" in ss:
            st.error(ss.pop("dos.note_error"))


main()
