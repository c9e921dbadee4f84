"""The market report as a PDF (A4), laid out with reportlab in the reports' shared style
(:mod:`cedplans.pdf_layout`, which escapes every string, so an organisation's name is
never read as markup). With a comparison, a last section sets the two reports' tables
side by side."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, SimpleDocTemplate, Spacer

from atlas.i18n import Translator
from cedplans.html_report import when
from cedplans.insights import market_charts
from cedplans.insights.market import MarketComparison, MarketReport
from cedplans.insights.market_text import (
    comparison_cells,
    comparison_columns,
    headline,
    method_notes,
    shown_rows,
    table_cells,
)
from cedplans.pdf_layout import Layout
from cedplans.templates_env import report_translator

_WIDTH_MM = 170.0


def _image(png: bytes, width_mm: float = _WIDTH_MM) -> Image:
    image = Image(io.BytesIO(png))
    scale = width_mm * mm / image.imageWidth
    return Image(io.BytesIO(png), width=width_mm * mm, height=image.imageHeight * scale)


def render_pdf(report: MarketReport, *, comparison: MarketComparison | None = None,
               language: str | None = None) -> bytes:
    """The report (and, when given, its comparison with another) as PDF bytes, its own words
    in ``language`` (None: the language the report was made in, see
    :func:`~cedplans.insights.market.market_report`)."""
    tr = report_translator(language, report.language)
    _ = tr.gettext
    layout = Layout(rtl=tr.rtl)
    p = layout.p
    title = _("The social-enterprise market: {area}").format(area=report.area.name)
    story: list = [
        p(title, "title"),
        p(_("As of {date}.").format(date=tr.date(report.as_of, form="long"))
          + (f" {report.place}." if report.place else ""), "small"),
        p(headline(report, tr)),
        Spacer(1, 2 * mm),
        _image(market_charts.map_png(report, tr=tr)),
        p(_("The area's outline and each organisation counted, by type."), "small"),
        p(_("The organisations"), "h2"),
        _image(market_charts.profile_png(report, tr=tr), 150),
    ]
    spend_chart = market_charts.spend_png(report, tr=tr)
    for table in report.tables:
        if table.key == "anchor_spend" and spend_chart is not None:
            story.append(_image(spend_chart, 150))
        header, rows, widths = table_cells(table, report.currency, tr)
        story.append(p(table.title, "h2"))
        story.append(layout.table(header, rows, widths) if rows else p(_("None."), "small"))
        for note in (table.note, shown_rows(table, tr)[1]):
            if note:
                story.append(p(note, "small"))
    if comparison is not None:
        story += _comparison(layout, comparison, tr)
    story.append(p(_("How the figures are made"), "h2"))
    story += [p(line, "small") for line in method_notes(report, tr)]
    story += [Spacer(1, 4 * mm),
              p(_("Report made by Asset Atlas on {when} UTC. Places are tested in EPSG:{epsg}.").format(
                  when=when(tr, report.generated_at), epsg=report.area.epsg), "small")]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=title, subject=_("Market report"), creator="Asset Atlas",
                            lang=tr.code)
    doc.build(story)
    return buf.getvalue()


def _comparison(layout: Layout, comparison: MarketComparison, tr: Translator) -> list:
    _ = tr.gettext
    p = layout.p
    out: list = [p(_("Compared: {a} (A) and {b} (B)").format(a=comparison.a.label, b=comparison.b.label), "h2"),
                 p(_("A: {headline}").format(headline=headline(comparison.a, tr)), "small"),
                 p(_("B: {headline}").format(headline=headline(comparison.b, tr)), "small"),
                 p(_("Changes are B less A."), "small")]
    for table in comparison.tables:
        header, widths = comparison_columns(table, tr)
        rows = comparison_cells(comparison, table, tr)
        # A heading and its table on one page (reportlab still splits a table longer than a page).
        out.append(KeepTogether([Spacer(1, 2 * mm), p(_("{title} (A and B)").format(title=table.title), "head"),
                                 layout.table(header, rows, widths) if rows else p(_("None in either."), "small")]))
    return out
