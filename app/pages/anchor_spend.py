"""Anchor spend: where an anchor's money goes. For an anchor and a period, the share of its
spend with suppliers in the area, the city and the region; the categories leaking out
most, with local micro assets that could supply them; the suppliers the atlas could not
place or match; the LM3 local multiplier with every assumption beside it; and a map of
suppliers sized by spend. Officers import spend files here, seeing (and correcting)
which column is which before anything is written."""

from __future__ import annotations

import functools
import hashlib
import math
import tempfile
from datetime import date
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import author, importing, maps, session, state
from app.language import N_, _, current, fmt
from app.text import leaflet_html, md
from atlas.access import Permission
from atlas.errors import AtlasError
from atlas.importers import import_file
from atlas.projection import lonlat_bounds
from atlas.spend import columns_of
from atlas.spend.spend_columns import FIELDS, REQUIRED
from atlas.viewport import Viewport
from cedplans.insights import spend as spend_insights
from cedplans.insights.lm3 import Lm3Survey, parse_survey
from cedplans.insights.spend import SpendReport, anchors_with_spend, record_leak_needs, spend_report

ss = st.session_state
flash = functools.partial(state.flash, "spd")

FIELD_WORDS = {"supplier": N_("Supplier name"), "amount": N_("Amount"), "date": N_("Payment date"),
               "category": N_("Category (expense type)"), "company_number": N_("Supplier company number"),
               "postcode": N_("Supplier postcode"), "id": N_("Transaction id"), "currency": N_("Currency")}
NONE = "(not in the file)"
"""The column choice that means none (a value; shown as NONE_WORDS)."""
NONE_WORDS = N_("(not in the file)")
SUPPLIER_COLOURS = {"area": "#1b7837", "city": "#5aae61", "region": "#a6dba0", "outside": "#762a83"}
IN_RING = {"area": N_("In the area"), "city": N_("In the city"), "region": N_("In the region")}
"""The headline's short labels of the rings (SpendReport.rings: area, city, region)."""
RING_WORDS = {"area": N_("area"), "city": N_("city"), "region": N_("region"), "outside": N_("outside")}


def _money(report: SpendReport, amount: float) -> str:
    """``amount`` in the report's currency, written the reader's way (-£500 for a credit)."""
    return fmt().money(amount, report.currency)


def _share(share: float | None) -> str:
    return "-" if share is None else fmt().percent(share)


def _report(anchor_id: int, date_from: date | None, date_to: date | None, area: tuple[str, ...],
            survey: Lm3Survey | None, survey_key: str) -> SpendReport:
    language = current()
    key = f"spend:{anchor_id}:{date_from}:{date_to}:{area}:{survey_key}:{language}"
    index = state.match_index()
    return state.per_revision(key, lambda store: spend_report(store, anchor_id, date_from=date_from, date_to=date_to,
                                                              area_names=area, survey=survey, index=index,
                                                              language=language))


def _survey() -> tuple[Lm3Survey | None, str]:
    upload = st.file_uploader(_("Supplier survey for LM3 (optional CSV)"), type=["csv"], key="spd.survey",
                              help=_("Columns: supplier (name or asset id), local_supplier_share, "
                                     "local_staff_share, staff_cost_share. Without it, documented default shares "
                                     "are used."))
    if upload is None:
        return None, ""
    data = upload.getvalue()
    try:
        # Keyed by its content: a corrected file uploaded again has the same name, often the same size.
        return parse_survey(data.decode("utf-8-sig"), upload.name), hashlib.sha256(data).hexdigest()
    except (AtlasError, UnicodeDecodeError) as exc:
        st.error(str(exc))
        return None, ""


def _headline(report: SpendReport) -> None:
    st.header(_("{anchor}, {period}").format(anchor=md(report.anchor), period=md(report.period_words)))
    cols = st.columns(5)
    cols[0].metric(_("Total spend"), _money(report, report.total),
                   help=_("{count} payments, credit notes included.").format(count=fmt().number(report.payments)))
    # Short labels, the rest in the help: a fifth of the page cuts longer ones short.
    for col, ring in zip(cols[1:4], report.rings, strict=True):
        col.metric(_(IN_RING[ring.ring]) if ring.ring in IN_RING else ring.ring, _share(ring.share),
                   help=_("Share of the total spent with suppliers in {area}: {amount}").format(
                       area=ring.name, amount=_money(report, ring.amount)))
    cols[4].metric(_("Unknown location"), _share(report.unknown_share),
                   help=_("Share of the total spent with suppliers of unknown location: {amount}. Counted in the "
                          "total and never as local.").format(amount=_money(report, report.unknown)))
    if report.message:
        st.warning(report.message)


def _categories(report: SpendReport) -> None:
    st.subheader(_("Spend by category"))
    if not report.by_category:
        return
    frame = pd.DataFrame({
        _("Category"): [c.category for c in report.by_category],
        _("In the area"): [max(c.local, 0.0) for c in report.by_category],
        _("Elsewhere or unknown"): [max(c.leak, 0.0) for c in report.by_category],
    }).set_index(_("Category"))
    st.bar_chart(frame, horizontal=True, sort=False, height=max(160, 36 * len(frame)),
                 color=["#1b7837", "#762a83"])
    st.dataframe(pd.DataFrame({
        _("Category"): [c.category for c in report.by_category],
        _("Total"): [_money(report, c.total) for c in report.by_category],
        _("In the area"): [_money(report, c.local) for c in report.by_category],
        _("Share in the area"): [_share(c.share) for c in report.by_category],
        _("Leaking out"): [_money(report, c.leak) for c in report.by_category],
    }), hide_index=True, width="stretch")


def _leaks(report: SpendReport) -> None:
    st.subheader(_("Where local suppliers could take a share"))
    if not report.leaks:
        st.caption(_("No category leaks out of the area."))
        return
    for leak in report.leaks:
        with st.expander(_("{category}: {amount} leaking out").format(category=md(leak.category),
                                                                       amount=md(_money(report, leak.leak))),
                         expanded=leak is report.leaks[0]):
            if leak.message:
                st.caption(md(leak.message))
            if leak.suggestions:
                st.dataframe(pd.DataFrame({
                    _("Local supplier"): [s.asset_name for s in leak.suggestions],
                    _("Offers"): [s.offer_title for s in leak.suggestions],
                    _("Distance"): [fmt().distance_m(s.distance_m) for s in leak.suggestions],
                    _("Why"): [s.why for s in leak.suggestions],
                    _("What does not fit"): ["; ".join(s.gaps) for s in leak.suggestions],
                }), hide_index=True, width="stretch")
    if session.can(Permission.PLAN):
        if st.button(_("Record the leaks as supply needs of the anchor"), key="spd.record",
                     icon=":material/add_task:",
                     help=_("Each leaking category becomes an open 'supply' need of the anchor, so the Matches "
                            "page ranks local offers for it. Recording again updates them.")):
            try:
                with session.writing(Permission.PLAN) as store:
                    result = record_leak_needs(store, report, by=author.remembered("spd.author"))
            except AtlasError as exc:
                st.error(str(exc))
            else:
                flash("success", _("Recorded {new} new and {updated} updated supply needs of {anchor}; see them "
                                   "on the Matches page.").format(new=fmt().number(result.inserted),
                                                                  updated=fmt().number(result.updated),
                                                                  anchor=md(report.anchor)),
                      icon=":material/check_circle:")
                st.rerun()


def _suppliers(report: SpendReport) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader(_("Suppliers not matched to an asset"))
        if report.unmatched_suppliers:
            st.dataframe(pd.DataFrame({
                _("Supplier"): [u.name for u in report.unmatched_suppliers],
                _("Spend"): [_money(report, u.total) for u in report.unmatched_suppliers],
                _("Placed by"): [u.placed_by or _("unknown location") for u in report.unmatched_suppliers],
                _("Why"): [u.reason for u in report.unmatched_suppliers],
            }), hide_index=True, width="stretch", height=260)
        else:
            st.caption(_("Every supplier matched an asset."))
    with right:
        st.subheader(_("Uncertain matches to check"))
        if report.uncertain_matches:
            st.dataframe(pd.DataFrame({
                _("Supplier"): [u.supplier for u in report.uncertain_matches],
                _("Might be"): [u.candidate_name or _("asset {id}").format(id=u.candidate_asset_id)
                                for u in report.uncertain_matches],
                _("Name alike"): ["-" if u.score is None else fmt().percent(u.score / 100)
                                  for u in report.uncertain_matches],
                _("Spend"): [_money(report, u.total) for u in report.uncertain_matches],
            }), hide_index=True, width="stretch", height=260)
            st.caption(_("These were not merged: an uncertain match counts by the postcode the file gives, never "
                         "by the candidate's place."))
        else:
            st.caption(_("No uncertain matches."))


def _lm3(report: SpendReport) -> None:
    st.subheader(_("Local multiplier (LM3)"))
    lm = report.lm3
    a, b, c, d = st.columns(4)
    a.metric(_("LM3"), "-" if lm.value is None else fmt().number(lm.value, digits=2))
    for col, label, amount in zip((b, c, d), (_("Round 1: the spend"), _("Round 2: suppliers' local re-spend"),
                                              _("Round 3: staff's local spend")), lm.rounds, strict=True):
        col.metric(label, _money(report, amount))
    st.caption(md(lm.method))
    with st.expander(_("Every assumption behind the figure"), expanded=True):
        for line in lm.assumptions:
            st.markdown(f"- {md(line)}")


def _map(report: SpendReport) -> None:
    st.subheader(_("Where the suppliers are"))
    placed = [p for p in report.suppliers if not (math.isnan(p.lon) or math.isnan(p.lat))]
    if not placed:
        st.caption(_("No supplier could be placed."))
        return
    bounds = lonlat_bounds([report.areas.city.geom])
    m = maps.base_map(Viewport.fitting(bounds), fit=True)
    folium.GeoJson(report.areas.area.geom.__geo_interface__,
                   name=_("The area: {name}").format(name=leaflet_html(report.areas.area.name)),
                   style_function=lambda _: {"color": "#1b7837", "weight": 2, "fill": False}).add_to(m)
    largest = max(abs(p.amount) for p in placed) or 1.0
    layer = folium.FeatureGroup(name=_("Suppliers, sized by spend")).add_to(m)
    for p in placed:
        ring = "area" if p.in_area else "city" if p.in_city else "region" if p.in_region else "outside"
        folium.CircleMarker(
            location=(p.lat, p.lon), radius=4 + 26 * math.sqrt(abs(p.amount) / largest),
            color=SUPPLIER_COLOURS[ring], fill=True, fill_opacity=0.6, weight=1,
            tooltip=folium.Tooltip(_("{name}: {amount} ({where})").format(
                name=leaflet_html(p.name), amount=leaflet_html(_money(report, p.amount)),
                where=_(RING_WORDS[ring]))),
        ).add_to(layer)
    maps.show_map(maps.finish(m, legend=False), key="spd.map", returned=(),
                  title=_("Map of the anchor's suppliers, sized by spend"), visible_title=False)
    # The map opens on the city, so say what lies beyond it: often most of the money.
    away = [p for p in placed if not p.in_city]
    beyond = _("{count} of the suppliers, paid {amount}, are outside the city, beyond this first view: zoom out "
               "to see them.").format(count=fmt().number(len(away)), amount=_money(report, sum(p.amount for p in away)))
    # Two sentences, each whole in the catalogue; the second only when some lie beyond.
    st.caption(_("Circles sized by spend: dark green in the area, green in the city, pale green in the region, "
                 "purple further away. Suppliers of unknown location are not on the map.")
               + (" " + beyond if away else ""))


def _downloads(report: SpendReport) -> None:
    st.download_button(_("Download the report (JSON)"), spend_insights.to_json(report),
                       file_name=f"spend-{report.anchor_id}.json", mime="application/json", key="spd.json",
                       icon=":material/download:", on_click="ignore")


def _import_section() -> None:
    with st.expander(_("Import a spend file (officers)"), expanded=False):
        st.markdown(_("A council's *spend over £500* CSV or Excel file, or an OCDS release package (JSON) from "
                      "Contracts Finder, Find a Tender or TED. Every row is checked before anything is written."))
        upload = st.file_uploader(_("Spend file"), key="spd.upload",
                                  type=["csv", "tsv", "txt", "xlsx", "json", "jsonl"])
        assets = state.list_assets()
        anchors = {a.id: a.name for a in assets if a.scale == "macro"} or {a.id: a.name for a in assets}
        anchor = st.selectbox(_("Whose spending it is"), list(anchors), format_func=anchors.__getitem__,
                              key="spd.anchor_in", index=None, placeholder=_("Choose the anchor"))
        if upload is None:
            return
        problem = importing.upload_problem(upload.name, upload.getvalue())
        if problem:
            st.error(problem)
            return
        with tempfile.TemporaryDirectory(prefix="atlas-spend-") as folder:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            given: dict[str, str] = {}
            if path.suffix.lower() not in (".json", ".jsonl"):
                try:
                    found = columns_of(path)
                except AtlasError as exc:
                    st.error(str(exc))
                    return
                st.markdown(_("**Which column is which** (the atlas's guess; correct any that are wrong):"))
                options = [NONE, *found.columns]
                cols = st.columns(4)
                for i, field in enumerate(FIELDS):
                    guessed = found.guess.get(field)
                    label = _(FIELD_WORDS[field]) if field in FIELD_WORDS else field
                    choice = cols[i % 4].selectbox(
                        label + (" *" if field in REQUIRED else ""), options,
                        index=options.index(guessed) if guessed in options else 0, key=f"spd.col.{field}",
                        format_func=lambda c: _(NONE_WORDS) if c == NONE else c)
                    if choice != NONE and choice != guessed:
                        given[field] = choice
            # The payments are kept under a source name (the file's, unless changed): without this box
            # a second anchor's file of the same name could not be imported here at all.
            source = st.text_input(_("Source name"), value=upload.name, key=f"spd.source.{upload.file_id}",
                                   help=_("The payments are kept under this name: importing a file under the "
                                          "same name again updates them. Give another anchor's file its own name."))
            go = st.button(_("Import the spend"), type="primary", disabled=anchor is None, key="spd.import")
            if not go or anchor is None:
                return
            try:
                with session.writing(Permission.IMPORT) as store:
                    summary = import_file(store, path, as_="spend", anchor=str(anchor), columns_given=given,
                                          source=source, progress=importing.ProgressBar())
            except AtlasError as exc:
                st.error(_("Nothing was written. {reason}").format(
                    reason=importing.named_as_chosen(str(exc), path, upload.name)))
                return
        counts = {"new": fmt().number(summary.imported), "updated": fmt().number(summary.updated),
                  "anchor": md(anchors[anchor]), "unsure": fmt().number(summary.uncertain)}
        said = (_("Imported {new} new and {updated} updated payments of {anchor}; {unsure} suppliers need checking.")
                if summary.uncertain else _("Imported {new} new and {updated} updated payments of {anchor}."))
        flash("success", said.format(**counts), icon=":material/task_alt:")
        st.rerun()


def _period_end(col: DeltaGenerator, label: str, key: str, default: date) -> date | None:
    """A date box of the period, starting at ``default`` (the anchor's first or last
    payment). While the officer has not changed it, it follows ``default``: payments
    imported later, after the last one shown, would otherwise be left out of the figures
    without a word (a keyed box keeps its first value)."""
    seeded = f"{key}.default"
    if ss.get(seeded) != default and ss.get(key) in (None, ss.get(seeded)):
        ss[key] = default
    ss[seeded] = default
    return col.date_input(label, key=key, format="DD/MM/YYYY")


def main() -> None:
    state.handle_or_stop()
    session.gate(Permission.PLAN, _("Anchor spend"))
    state.show_flashes("spd")
    st.title(_("Where anchors' money goes"))
    if session.can(Permission.IMPORT):
        _import_section()
    anchors = {a.anchor_id: a for a in state.query(anchors_with_spend)}
    if not anchors:
        st.info(_("No spend is recorded yet. Import an anchor's spend file above (officers) or with "
                  "`atlas import FILE --as spend --anchor NAME`."))
        return
    top = st.columns([2, 1, 1, 2])
    anchor_id = top[0].selectbox(_("Anchor"), list(anchors), format_func=lambda i: anchors[i].name, key="spd.anchor")
    chosen = anchors[anchor_id]
    date_from = _period_end(top[1], _("From"), f"spd.from.{anchor_id}", chosen.first_paid)
    date_to = _period_end(top[2], _("To"), f"spd.to.{anchor_id}", chosen.last_paid)
    boundaries = sorted({b.name for b in state.list_boundaries()})
    area = top[3].multiselect(_("Area (empty: every boundary of the atlas)"), boundaries, key="spd.area")
    survey, survey_key = _survey()
    try:
        with st.spinner(_("Adding up the spend...")):
            report = _report(anchor_id, date_from, date_to, tuple(area), survey, survey_key)
    except AtlasError as exc:
        st.error(str(exc))
        return
    _headline(report)
    _downloads(report)
    _categories(report)
    _map(report)
    _leaks(report)
    _suppliers(report)
    _lm3(report)


main()
