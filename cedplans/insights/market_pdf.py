"""The market report as a PDF (A4), laid out with reportlab in the reports' shared style
(:mod:`cedplans.pdf_layout`, which escapes every string, so an organisation's name is
never read as markup). With a comparison, a last section sets the two reports' tables
side by side."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, SimpleDocTemplate, Spacer

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

_WIDTH_MM = 170.0


def _image(png: bytes, width_mm: float = _WIDTH_MM) -> Image:
    image = Image(io.BytesIO(png))
    scale = width_mm * mm / image.imageWidth
    return Image(io.BytesIO(png), width=width_mm * mm, height=image.imageHeight * scale)


def render_pdf(report: MarketReport, *, comparison: MarketComparison | None = None) -> bytes:
    """The report (and, when given, its comparison with another) as PDF bytes."""
    layout = Layout()
    p = layout.p
    story: list = [
        p(f"The social-enterprise market: {report.area.name}", "title"),
        p(f"As of {report.as_of:%d %B %Y}." + (f" {report.place}." if report.place else ""), "small"),
        p(headline(report)),
        Spacer(1, 2 * mm),
        _image(market_charts.map_png(report)),
        p("The area's outline and each organisation counted, by type.", "small"),
        p("The organisations", "h2"),
        _image(market_charts.profile_png(report), 150),
    ]
    spend_chart = market_charts.spend_png(report)
    for table in report.tables:
        if table.key == "anchor_spend" and spend_chart is not None:
            story.append(_image(spend_chart, 150))
        header, rows, widths = table_cells(table, report.currency)
        story.append(p(table.title, "h2"))
        story.append(layout.table(header, rows, widths) if rows else p("None.", "small"))
        for note in (table.note, shown_rows(table)[1]):
            if note:
                story.append(p(note, "small"))
    if comparison is not None:
        story += _comparison(layout, comparison)
    story.append(p("How the figures are made", "h2"))
    story += [p(line, "small") for line in method_notes(report)]
    story += [Spacer(1, 4 * mm),
              p(f"Report made by Asset Atlas on {report.generated_at:%d %B %Y %H:%M} UTC. Places are tested in "
                f"EPSG:{report.area.epsg}.", "small")]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"The social-enterprise market: {report.area.name}",
                            subject="Market report", creator="Asset Atlas")
    doc.build(story)
    return buf.getvalue()


def _comparison(layout: Layout, comparison: MarketComparison) -> list:
    p = layout.p
    out: list = [p(f"Compared: {comparison.a.label} (A) and {comparison.b.label} (B)", "h2"),
                 p(f"A: {headline(comparison.a)}", "small"), p(f"B: {headline(comparison.b)}", "small"),
                 p("Changes are B less A.", "small")]
    for table in comparison.tables:
        header, widths = comparison_columns(table)
        rows = comparison_cells(comparison, table)
        # A heading and its table on one page (reportlab still splits a table longer than a page).
        out.append(KeepTogether([Spacer(1, 2 * mm), p(f"{table.title} (A and B)", "head"),
                                 layout.table(header, rows, widths) if rows else p("None in either.", "small")]))
    return out
