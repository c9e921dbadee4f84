"""Market report: the state of the social-enterprise market in an area, so anchors can
see what they could buy locally. Choose boundaries (or draw an area), a date, and
optionally a second area or date to compare; the same tables as the PDF, HTML and CSV
downloads, charted with Streamlit's own charts."""

from __future__ import annotations

import functools
from datetime import date

import folium
import pandas as pd
import streamlit as st
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from app import maps, state
from app.language import N_, _, fmt
from app.language import current as current_language
from app.maps import MapPoint
from app.text import md
from atlas.errors import AtlasError
from atlas.projection import lonlat_bounds
from atlas.store import Store, utc_now
from atlas.viewport import Viewport
from cedplans.insights import market_csv, market_html, market_pdf
from cedplans.insights.areas import resolve_area
from cedplans.insights.market import MarketComparison, MarketReport, MarketTable, compare_reports, market_report

ss = st.session_state

CHARTED = ("type", "sector", "income", "employees", "legal_form", "trading", "support")
"""Tables shown as bar charts as well as tables (the rest are lists)."""
MIME = {"pdf": "application/pdf", "html": "text/html", "csv": "text/csv"}
COMPARE = {"none": N_("Nothing"), "area": N_("Another area"), "date": N_("The same area on another date")}


def _report(names: tuple[str, ...], drawn: BaseGeometry | None, as_of: date) -> MarketReport:
    language = current_language()
    key = f"market:{names}:{drawn.wkt if drawn is not None else ''}:{as_of}:{language}"

    def build(store: Store) -> MarketReport:
        area = resolve_area(store, names, drawn)
        return market_report(store, area, as_of=as_of, language=language)

    return state.per_revision(key, build)


def _boundary_names() -> list[str]:
    return sorted({b.name for b in state.list_boundaries()})


def _drawn_area() -> BaseGeometry | None:
    """An area drawn on the map, when the person chose to draw one."""
    with st.expander(_("Draw an area on the map instead"), expanded=bool(ss.get("mkt.drawn"))):
        extent = state.map_extent()
        if extent is None:
            st.info(_("The atlas is empty."))
            return None
        m = maps.base_map(Viewport.fitting(extent), fit=True)
        maps.add_draw_tool(m, shapes=("polygon", "rectangle"))
        view = maps.show_map(maps.finish(m, legend=False), key="mkt.draw_map", returned=("all_drawings",),
                             title=_("Map for drawing the area of the report"), visible_title=False)
        shapes = [g for g in view.drawn_geometries() if g.geom_type in ("Polygon", "MultiPolygon")]
        if shapes:
            ss["mkt.drawn"] = shapes[-1].wkt
        if ss.get("mkt.drawn") and st.button(_("Forget the drawn area"), key="mkt.forget"):
            ss.pop("mkt.drawn", None)
            st.rerun()
    if ss.get("mkt.drawn"):
        from shapely import from_wkt

        return from_wkt(ss["mkt.drawn"])
    return None


def _frame(table: MarketTable, currency: str) -> pd.DataFrame:
    from cedplans.insights.market import value_text

    data: dict[str, list] = {table.group_heading: [r.group for r in table.rows],
                             table.count_heading: [r.count for r in table.rows]}
    if table.value_heading:
        data[table.value_heading] = [value_text(r, currency) for r in table.rows]
    if table.detail_heading:
        data[table.detail_heading] = [r.detail for r in table.rows]
    return pd.DataFrame(data)


def _show_table(table: MarketTable, currency: str) -> None:
    st.subheader(table.title)
    if not table.rows:
        st.caption(_("Nothing to show for this area."))
        return
    if table.key in CHARTED:
        chart = pd.DataFrame({table.count_heading: [r.count for r in table.rows]},
                             index=pd.Index([r.group for r in table.rows], name=table.group_heading))
        st.bar_chart(chart, horizontal=True, sort=False, height=max(120, 32 * len(table.rows)))
    st.dataframe(_frame(table, currency), hide_index=True, width="stretch")
    if table.note:
        st.caption(md(table.note))


def _show_comparison(comparison: MarketComparison) -> None:
    st.subheader(_("{first} compared with {second}").format(first=md(comparison.a.label),
                                                             second=md(comparison.b.label)))
    for table in comparison.tables:
        if table.key not in CHARTED or not table.rows:
            continue
        frame = pd.DataFrame({comparison.a.label: [r.count_a for r in table.rows],
                              comparison.b.label: [r.count_b for r in table.rows]},
                             index=pd.Index([r.group for r in table.rows], name=table.group_heading))
        st.markdown(f"**{md(table.title)}**")
        st.bar_chart(frame, horizontal=True, stack=False, sort=False, height=max(140, 40 * len(table.rows)))


def _map(report: MarketReport) -> None:
    bounds = lonlat_bounds([report.area.geom])
    m = maps.base_map(Viewport.fitting(bounds), fit=True)
    folium.GeoJson(mapping(report.area.geom), name=_("The area"),
                   style_function=lambda _: {"color": "#333333", "weight": 2, "fill": False, "dashArray": "6 4"},
                   ).add_to(m)
    points = [MapPoint(lon=o.lon, lat=o.lat, scale="micro", name=o.name, sector=o.type, category=o.sector,
                       extra=tuple(x for x in (o.legal_form, o.trading_band) if x))
              for o in report.organisations if o.lon is not None and o.lat is not None]
    maps.add_points(m, points, name=_("Organisations"))
    maps.show_map(maps.finish(m), key="mkt.map", returned=(), title=_("Map of the organisations counted"),
                  visible_title=False)


def _downloads(report: MarketReport, comparison: MarketComparison | None) -> None:
    renderers = {"pdf": market_pdf.render_pdf, "html": market_html.render_html, "csv": market_csv.render_csv}
    labels = {"pdf": _("Download PDF report"), "html": _("Download Web page report"),
              "csv": _("Download Tables (CSV)")}
    for col, (kind, render) in zip(st.columns(len(renderers)), renderers.items(), strict=True):
        col.download_button(labels[kind], functools.partial(render, report, comparison=comparison),
                            file_name=f"market-report.{kind}", mime=MIME[kind], key=f"mkt.dl.{kind}",
                            icon=":material/download:", on_click="ignore")


def main() -> None:
    state.handle_or_stop()
    st.title(_("The social-enterprise market"))
    st.caption(_("Social enterprises, co-operatives, community businesses and charities in an area: what they "
                 "offer, what anchors buy and need, and where nobody local offers it yet."))
    names_all = _boundary_names()
    left, right = st.columns([3, 1])
    names = left.multiselect(_("Area (leave empty for the whole atlas)"), names_all, key="mkt.area")
    # Today as the report counts it (UTC, the store's clock): the server's own date may be a
    # day ahead of it (Birmingham in summer, just after midnight), a date the report refuses.
    today = utc_now().date()
    as_of = right.date_input(_("On"), value=today, max_value=today, key="mkt.as_of", format="DD/MM/YYYY")
    drawn = _drawn_area()
    compare = st.radio(_("Compare with"), list(COMPARE), format_func=lambda k: _(COMPARE[k]), horizontal=True,
                       key="mkt.compare")
    other_names: tuple[str, ...] = tuple(names)
    other_date = as_of
    if compare == "area":
        other_names = tuple(st.multiselect(_("The other area"), names_all, key="mkt.other_area"))
    elif compare == "date":
        other_date = st.date_input(_("The other date"), value=date(as_of.year - 1, as_of.month, min(as_of.day, 28)),
                                   max_value=today, key="mkt.other_date", format="DD/MM/YYYY")
    try:
        with st.spinner(_("Counting the area's organisations...")):
            report = _report(tuple(names), drawn, as_of)
            comparison = None
            if compare == "area" and other_names:
                comparison = compare_reports(report, _report(other_names, None, as_of))
            elif compare == "date":
                comparison = compare_reports(_report(tuple(names), drawn, other_date), report)
    except AtlasError as exc:
        st.error(str(exc))
        return
    st.header(md(report.label))
    counts = st.columns(4)
    counts[0].metric(_("Organisations"), fmt().number(len(report.organisations)))
    mat = report.maturity
    counts[1].metric(_("Median years trading"),
                     _("unknown") if mat.median_years is None else fmt().number(mat.median_years, digits=1))
    counts[2].metric(_("Trading under 2 years"),
                     _("unknown") if mat.share_young is None else fmt().percent(mat.share_young))
    counts[3].metric(_("Gaps"), fmt().number(len(report.gaps)),
                     help=_("Things anchors buy or need that no organisation in the area offers: the gaps table "
                            "below."))
    _downloads(report, comparison)
    if comparison is not None:
        _show_comparison(comparison)
    _map(report)
    for table in report.tables:
        _show_table(table, report.currency)


main()
