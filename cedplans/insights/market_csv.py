"""The market report's tables as CSV: one long table, a row per group of every table, so
a spreadsheet can filter or pivot it and nothing depends on a file per table.

A report's columns are :data:`REPORT_COLUMNS`: the area and date on every row, the
table's key and title, the group, its count, its figure as a plain number (``unit`` says
what it is: ``money`` in ``currency``, ``years``, ``share`` from 0 to 1, or empty) and the
detail the PDF shows beside it. A comparison's are :data:`COMPARISON_COLUMNS`: both
reports' labels, and each group's count and figure in A and in B with the change (B less A).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cedplans.exports import atomic_file
from cedplans.insights.market import MarketComparison, MarketReport

REPORT_COLUMNS = ("area", "as_of", "table", "title", "group", "count", "value", "unit", "currency", "detail")
COMPARISON_COLUMNS = ("a", "b", "table", "title", "group", "count_a", "count_b", "count_change", "value_a",
                      "value_b", "value_change", "unit", "currency")


def report_rows(report: MarketReport) -> Iterator[dict[str, Any]]:
    """Every row of every table of ``report``, as :data:`REPORT_COLUMNS`."""
    for table in report.tables:
        for r in table.rows:
            yield {"area": report.area.name, "as_of": report.as_of.isoformat(), "table": table.key,
                   "title": table.title, "group": r.group, "count": r.count, "value": r.value, "unit": r.unit,
                   "currency": report.currency if r.unit == "money" else "", "detail": r.detail}


def comparison_rows(comparison: MarketComparison) -> Iterator[dict[str, Any]]:
    """Every row of every compared table, as :data:`COMPARISON_COLUMNS`."""
    for table in comparison.tables:
        for r in table.rows:
            yield {"a": comparison.a.label, "b": comparison.b.label, "table": table.key, "title": table.title,
                   "group": r.group, "count_a": r.count_a, "count_b": r.count_b, "count_change": r.count_change,
                   "value_a": r.value_a, "value_b": r.value_b, "value_change": r.value_change, "unit": r.unit,
                   "currency": comparison.a.currency if r.unit == "money" else ""}


def render_csv(report: MarketReport, *, comparison: MarketComparison | None = None,
               language: str | None = None) -> str:
    """The report's long table, or the comparison's when one is given. The column names
    stay the same in every language, so a spreadsheet built on them keeps working; the
    titles and groups are in the language the report was made in (``language`` is taken
    for the same signature as the PDF and HTML writers: a CSV holds no other words)."""
    del language
    buf = io.StringIO()
    columns: Sequence[str]
    rows: Iterator[dict[str, Any]]
    if comparison is None:
        columns, rows = REPORT_COLUMNS, report_rows(report)
    else:
        columns, rows = COMPARISON_COLUMNS, comparison_rows(comparison)
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_csv(path: str | Path, report: MarketReport, *, comparison: MarketComparison | None = None,
              language: str | None = None) -> Path:
    """Write :func:`render_csv` to ``path`` (UTF-8), replacing it only once it is whole."""
    with atomic_file(path, ".csv") as tmp:
        tmp.write_text(render_csv(report, comparison=comparison, language=language), encoding="utf-8", newline="")
    return Path(path)
