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

FIELD_WORDS = {"supplier": "Supplier name", "amount": "Amount", "date": "Payment date", "category": "Category "
               "(expense type)", "company_number": "Supplier company number", "postcode": "Supplier postcode",
               "id": "Transaction id", "currency": "Currency"}
NONE = "(not in the file)"
SUPPLIER_COLOURS = {"area": "#1b7837", "city": "#5aae61", "region": "#a6dba0", "outside": "#762a83"}


def _report(anchor_id: int, date_from: date | None, date_to: date | None, area: tuple[str, ...],
            survey: Lm3Survey | None, survey_key: str) -> SpendReport:
    key = f"spend:{anchor_id}:{date_from}:{date_to}:{area}:{survey_key}"
    index = state.match_index()
    return state.per_revision(key, lambda store: spend_report(store, anchor_id, date_from=date_from, date_to=date_to,
                                                              area_names=area, survey=survey, index=index))


def _survey() -> tuple[Lm3Survey | None, str]:
    upload = st.file_uploader("Supplier survey for LM3 (optional CSV)", type=["csv"], key="spd.survey",
                              help="Columns: supplier (name or asset id), local_supplier_share, local_staff_share, "
                                   "staff_cost_share. Without it, documented default shares are used.")
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
    st.header(md(f"{report.anchor}, {report.period_words}"))
    cols = st.columns(5)
    cols[0].metric("Total spend", report.money(report.total), help=f"{report.payments:,} payments, credit notes "
                   "included.")
    # Short labels, the rest in the help: a fifth of the page cuts longer ones short.
    for col, ring in zip(cols[1:4], report.rings, strict=True):
        col.metric(f"In the {ring.ring}", "-" if ring.share is None else f"{ring.share:.0%}",
                   help=f"Share of the total spent with suppliers in {ring.name}: {report.money(ring.amount)}")
    cols[4].metric("Unknown location", "-" if report.unknown_share is None else f"{report.unknown_share:.0%}",
                   help=f"Share of the total spent with suppliers of unknown location: {report.money(report.unknown)}. "
                        "Counted in the total and never as local.")
    if report.message:
        st.warning(report.message)


def _categories(report: SpendReport) -> None:
    st.subheader("Spend by category")
    if not report.by_category:
        return
    frame = pd.DataFrame({
        "Category": [c.category for c in report.by_category],
        "In the area": [max(c.local, 0.0) for c in report.by_category],
        "Elsewhere or unknown": [max(c.leak, 0.0) for c in report.by_category],
    }).set_index("Category")
    st.bar_chart(frame, horizontal=True, sort=False, height=max(160, 36 * len(frame)),
                 color=["#1b7837", "#762a83"])
    st.dataframe(pd.DataFrame({
        "Category": [c.category for c in report.by_category],
        "Total": [report.money(c.total) for c in report.by_category],
        "In the area": [report.money(c.local) for c in report.by_category],
        "Share in the area": ["-" if c.share is None else f"{c.share:.0%}" for c in report.by_category],
        "Leaking out": [report.money(c.leak) for c in report.by_category],
    }), hide_index=True, width="stretch")


def _leaks(report: SpendReport) -> None:
    st.subheader("Where local suppliers could take a share")
    if not report.leaks:
        st.caption("No category leaks out of the area.")
        return
    for leak in report.leaks:
        with st.expander(f"{md(leak.category)}: {md(report.money(leak.leak))} leaking out",
                         expanded=leak is report.leaks[0]):
            if leak.message:
                st.caption(md(leak.message))
            if leak.suggestions:
                st.dataframe(pd.DataFrame({
                    "Local supplier": [s.asset_name for s in leak.suggestions],
                    "Offers": [s.offer_title for s in leak.suggestions],
                    "Distance": [f"{s.distance_m:,.0f} m" for s in leak.suggestions],
                    "Why": [s.why for s in leak.suggestions],
                    "What does not fit": ["; ".join(s.gaps) for s in leak.suggestions],
                }), hide_index=True, width="stretch")
    if session.can(Permission.PLAN):
        if st.button("Record the leaks as supply needs of the anchor", key="spd.record", icon=":material/add_task:",
                     help="Each leaking category becomes an open 'supply' need of the anchor, so the Matches page "
                          "ranks local offers for it. Recording again updates them."):
            try:
                with session.writing(Permission.PLAN) as store:
                    result = record_leak_needs(store, report, by=author.remembered("spd.author"))
            except AtlasError as exc:
                st.error(str(exc))
            else:
                flash("success", f"Recorded {result.inserted} new and {result.updated} updated supply needs of "
                      f"{md(report.anchor)}; see them on the Matches page.", icon=":material/check_circle:")
                st.rerun()


def _suppliers(report: SpendReport) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Suppliers not matched to an asset")
        if report.unmatched_suppliers:
            st.dataframe(pd.DataFrame({
                "Supplier": [u.name for u in report.unmatched_suppliers],
                "Spend": [report.money(u.total) for u in report.unmatched_suppliers],
                "Placed by": [u.placed_by or "unknown location" for u in report.unmatched_suppliers],
                "Why": [u.reason for u in report.unmatched_suppliers],
            }), hide_index=True, width="stretch", height=260)
        else:
            st.caption("Every supplier matched an asset.")
    with right:
        st.subheader("Uncertain matches to check")
        if report.uncertain_matches:
            st.dataframe(pd.DataFrame({
                "Supplier": [u.supplier for u in report.uncertain_matches],
                "Might be": [u.candidate_name or f"asset {u.candidate_asset_id}" for u in report.uncertain_matches],
                "Name alike": ["-" if u.score is None else f"{u.score:.0f}%" for u in report.uncertain_matches],
                "Spend": [report.money(u.total) for u in report.uncertain_matches],
            }), hide_index=True, width="stretch", height=260)
            st.caption("These were not merged: an uncertain match counts by the postcode the file gives, never "
                       "by the candidate's place.")
        else:
            st.caption("No uncertain matches.")


def _lm3(report: SpendReport) -> None:
    st.subheader("Local multiplier (LM3)")
    lm = report.lm3
    a, b, c, d = st.columns(4)
    a.metric("LM3", "-" if lm.value is None else f"{lm.value:.2f}")
    for col, label, amount in zip((b, c, d), ("Round 1: the spend", "Round 2: suppliers' local re-spend",
                                              "Round 3: staff's local spend"), lm.rounds, strict=True):
        col.metric(label, report.money(amount))
    st.caption(md(lm.method))
    with st.expander("Every assumption behind the figure", expanded=True):
        for line in lm.assumptions:
            st.markdown(f"- {md(line)}")


def _map(report: SpendReport) -> None:
    st.subheader("Where the suppliers are")
    placed = [p for p in report.suppliers if not (math.isnan(p.lon) or math.isnan(p.lat))]
    if not placed:
        st.caption("No supplier could be placed.")
        return
    bounds = lonlat_bounds([report.areas.city.geom])
    m = maps.base_map(Viewport.fitting(bounds), fit=True)
    folium.GeoJson(report.areas.area.geom.__geo_interface__, name=leaflet_html(f"The area: {report.areas.area.name}"),
                   style_function=lambda _: {"color": "#1b7837", "weight": 2, "fill": False}).add_to(m)
    largest = max(abs(p.amount) for p in placed) or 1.0
    layer = folium.FeatureGroup(name="Suppliers, sized by spend").add_to(m)
    for p in placed:
        ring = "area" if p.in_area else "city" if p.in_city else "region" if p.in_region else "outside"
        folium.CircleMarker(
            location=(p.lat, p.lon), radius=4 + 26 * math.sqrt(abs(p.amount) / largest),
            color=SUPPLIER_COLOURS[ring], fill=True, fill_opacity=0.6, weight=1,
            tooltip=folium.Tooltip(leaflet_html(f"{p.name}: {report.money(p.amount)} ({ring})")),
        ).add_to(layer)
    maps.show_map(maps.finish(m, legend=False), key="spd.map", returned=())
    # The map opens on the city, so say what lies beyond it: often most of the money.
    away = [p for p in placed if not p.in_city]
    beyond = (f" {len(away):,} of the suppliers, paid {report.money(sum(p.amount for p in away))}, are outside the "
              "city, beyond this first view: zoom out to see them." if away else "")
    st.caption("Circles sized by spend: dark green in the area, green in the city, pale green in the region, "
               "purple further away. Suppliers of unknown location are not on the map." + beyond)


def _downloads(report: SpendReport) -> None:
    st.download_button("Download the report (JSON)", spend_insights.to_json(report),
                       file_name=f"spend-{report.anchor_id}.json", mime="application/json", key="spd.json",
                       icon=":material/download:", on_click="ignore")


def _import_section() -> None:
    with st.expander("Import a spend file (officers)", expanded=False):
        st.markdown("A council's *spend over £500* CSV or Excel file, or an OCDS release package (JSON) from "
                    "Contracts Finder, Find a Tender or TED. Every row is checked before anything is written.")
        upload = st.file_uploader("Spend file", key="spd.upload", type=["csv", "tsv", "txt", "xlsx", "json", "jsonl"])
        assets = state.list_assets()
        anchors = {a.id: a.name for a in assets if a.scale == "macro"} or {a.id: a.name for a in assets}
        anchor = st.selectbox("Whose spending it is", list(anchors), format_func=anchors.__getitem__,
                              key="spd.anchor_in", index=None, placeholder="Choose the anchor")
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
                st.markdown("**Which column is which** (the atlas's guess; correct any that are wrong):")
                options = [NONE, *found.columns]
                cols = st.columns(4)
                for i, field in enumerate(FIELDS):
                    guessed = found.guess.get(field)
                    choice = cols[i % 4].selectbox(
                        FIELD_WORDS.get(field, field) + (" *" if field in REQUIRED else ""), options,
                        index=options.index(guessed) if guessed in options else 0, key=f"spd.col.{field}")
                    if choice != NONE and choice != guessed:
                        given[field] = choice
            # The payments are kept under a source name (the file's, unless changed): without this box
            # a second anchor's file of the same name could not be imported here at all.
            source = st.text_input("Source name", value=upload.name, key=f"spd.source.{upload.file_id}",
                                   help="The payments are kept under this name: importing a file under the same "
                                        "name again updates them. Give another anchor's file its own name.")
            go = st.button("Import the spend", type="primary", disabled=anchor is None, key="spd.import")
            if not go or anchor is None:
                return
            try:
                with session.writing(Permission.IMPORT) as store:
                    summary = import_file(store, path, as_="spend", anchor=str(anchor), columns_given=given,
                                          source=source, progress=importing.ProgressBar())
            except AtlasError as exc:
                st.error(f"Nothing was written. {exc}")
                return
        flash("success", f"Imported {summary.imported:,} new and {summary.updated:,} updated payments of "
              f"{md(anchors[anchor])}" + (f"; {summary.uncertain:,} suppliers need checking." if summary.uncertain
                                      else "."), icon=":material/task_alt:")
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
    session.gate(Permission.PLAN, "Anchor spend")
    state.show_flashes("spd")
    st.title("Where anchors' money goes")
    if session.can(Permission.IMPORT):
        _import_section()
    anchors = {a.anchor_id: a for a in state.query(anchors_with_spend)}
    if not anchors:
        st.info("No spend is recorded yet. Import an anchor's spend file above (officers) or with "
                "`atlas import FILE --as spend --anchor NAME`.")
        return
    top = st.columns([2, 1, 1, 2])
    anchor_id = top[0].selectbox("Anchor", list(anchors), format_func=lambda i: anchors[i].name, key="spd.anchor")
    chosen = anchors[anchor_id]
    date_from = _period_end(top[1], "From", f"spd.from.{anchor_id}", chosen.first_paid)
    date_to = _period_end(top[2], "To", f"spd.to.{anchor_id}", chosen.last_paid)
    boundaries = sorted({b.name for b in state.list_boundaries()})
    area = top[3].multiselect("Area (empty: every boundary of the atlas)", boundaries, key="spd.area")
    survey, survey_key = _survey()
    try:
        with st.spinner("Adding up the spend..."):
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
