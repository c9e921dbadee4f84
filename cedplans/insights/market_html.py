"""The market report as one self-contained HTML file (map and charts embedded), ready to
print. Every string passes through Jinja2's autoescaping, so an organisation called
``<script>`` is shown as text and never run."""

from __future__ import annotations

import base64

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
from cedplans.templates_env import TEMPLATES


def _b64(png: bytes | None) -> str | None:
    return None if png is None else base64.b64encode(png).decode("ascii")


def render_html(report: MarketReport, *, comparison: MarketComparison | None = None) -> str:
    """The report (and, when given, its comparison with another) as an HTML document."""
    tables = [(t, *table_cells(t, report.currency)[:2], shown_rows(t)[1]) for t in report.tables]
    compared = [(t, comparison_columns(t)[0], comparison_cells(comparison, t))
                for t in comparison.tables] if comparison is not None else []
    return TEMPLATES.get_template("market.html.j2").render(
        report=report, headline=headline(report), tables=tables, notes=method_notes(report),
        map_b64=_b64(market_charts.map_png(report)), profile_b64=_b64(market_charts.profile_png(report)),
        spend_b64=_b64(market_charts.spend_png(report)), comparison=comparison, compared=compared,
        headlines=(headline(comparison.a), headline(comparison.b)) if comparison else ("", ""),
    )
