"""The market report as one self-contained HTML file (map and charts embedded), ready to
print. Every string passes through Jinja2's autoescaping, so an organisation called
``<script>`` is shown as text and never run."""

from __future__ import annotations

import base64

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
from cedplans.templates_env import render, report_translator


def _b64(png: bytes | None) -> str | None:
    return None if png is None else base64.b64encode(png).decode("ascii")


def render_html(report: MarketReport, *, comparison: MarketComparison | None = None,
                language: str | None = None) -> str:
    """The report (and, when given, its comparison with another) as an HTML document, its
    own words in ``language`` (None: the language the report was made in)."""
    tr = report_translator(language, report.language)
    tables = [(t, *table_cells(t, report.currency, tr)[:2], shown_rows(t, tr)[1]) for t in report.tables]
    compared = [(t, comparison_columns(t, tr)[0], comparison_cells(comparison, t, tr))
                for t in comparison.tables] if comparison is not None else []
    return render(
        "market.html.j2", tr,
        report=report, headline=headline(report, tr), tables=tables, notes=method_notes(report, tr),
        map_b64=_b64(market_charts.map_png(report, tr=tr)), profile_b64=_b64(market_charts.profile_png(report, tr=tr)),
        spend_b64=_b64(market_charts.spend_png(report, tr=tr)), comparison=comparison, compared=compared,
        headlines=(headline(comparison.a, tr), headline(comparison.b, tr)) if comparison else ("", ""),
        as_of=tr.date(report.as_of, form="long"), generated_on=when(tr, report.generated_at),
    )
