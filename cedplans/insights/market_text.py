"""The market report's words, shared by the PDF, the HTML and the command line: the
headline, the cells of each table, and the notes on method, so every output says the same."""

from __future__ import annotations

from cedplans.insights.market import (
    SALEABLE_KINDS,
    TYPES,
    YOUNG_YEARS,
    ComparedTable,
    MarketComparison,
    MarketReport,
    MarketTable,
    TableRow,
    money_text,
    value_text,
)

_PLURALS = {"social enterprise": "social enterprises", "co-operative": "co-operatives", "charity": "charities",
            "community business": "community businesses"}


def _count(n: int, kind: str) -> str:
    return f"{n} {kind if n == 1 else _PLURALS.get(kind, kind + 's')}"


def headline(report: MarketReport) -> str:
    """One paragraph: how many organisations of each type, the anchors' spend and the gaps."""
    n = len(report.organisations)
    kinds = report.table("type")
    parts = [_count(kinds.count(t), t) for t in TYPES if kinds.count(t)]
    said = (", ".join(parts[:-1]) + " and " + parts[-1]) if len(parts) > 1 else "".join(parts)
    text = f"{n} organisation{'' if n == 1 else 's'} in {report.area.name}" + (f": {said}." if said else ".")
    if report.spend_period is not None:
        first, last = report.spend_period
        text += (f" Anchors' spend from {first:%d %b %Y} to {last:%d %b %Y}: "
                 f"{money_text(report.spend_total, report.currency)}, of which "
                 f"{money_text(report.spend_paid_locally, report.currency)} was paid to these organisations.")
    gaps = len(report.gaps)
    text += f" {gaps} gap{'' if gaps == 1 else 's'} where anchors buy or need what no organisation here offers."
    return text


_GROUP_MM, _COUNT_MM, _VALUE_MM = 56.0, 30.0, 28.0
_PAGE_MM = 170.0


SHOWN_TAGS = 30
"""The PDF, HTML and terminal show the most used tags up to this many (the CSV has all)."""


def shown_rows(table: MarketTable) -> tuple[tuple[TableRow, ...], str]:
    """The rows a printed report shows of ``table``, and a note on any left out."""
    if table.key != "offers_tag" or len(table.rows) <= SHOWN_TAGS:
        return table.rows, ""
    rest = len(table.rows) - SHOWN_TAGS
    return table.rows[:SHOWN_TAGS], f"The {SHOWN_TAGS} most used tags; {rest} more are in the CSV report."


def table_cells(table: MarketTable, currency: str) -> tuple[list[str], list[list[object]], list[float]]:
    """(header, rows, column widths in mm) of ``table`` as the PDF and the terminal show it
    (see :func:`shown_rows`)."""
    header = [table.group_heading, table.count_heading]
    widths = [_GROUP_MM, _COUNT_MM]
    if table.value_heading:
        header.append(table.value_heading)
        widths.append(_VALUE_MM)
    if table.detail_heading:
        header.append(table.detail_heading)
        widths.append(_PAGE_MM - sum(widths))
    else:
        widths[0] += _PAGE_MM - sum(widths)
    rows: list[list[object]] = []
    for r in shown_rows(table)[0]:
        cells: list[object] = [r.group, r.count]
        if table.value_heading:
            cells.append(value_text(r, currency))
        if table.detail_heading:
            cells.append(r.detail)
        rows.append(cells)
    return header, rows, widths


def comparison_columns(table: ComparedTable) -> tuple[list[str], list[float]]:
    """(header, widths in mm) of a compared table: group, A, B, change, and A's and B's figures."""
    header = [table.group_heading, f"{table.count_heading} A", f"{table.count_heading} B", "Change"]
    widths = [0.0, 31.0, 31.0, 17.0]
    if table.value_heading:
        header += [f"{table.value_heading} A", f"{table.value_heading} B"]
        widths += [24.0, 24.0]
    widths[0] = _PAGE_MM - sum(widths)
    return header, widths


def method_notes(report: MarketReport) -> list[str]:
    """How the figures are made, in a few sentences a reader can check."""
    anchors = ("anchors in the area" if report.anchors_scope == "area" else "every anchor in the atlas")
    return [
        "Counted: assets whose register entry makes them a co-operative (or registered society), a social "
        "enterprise (such as a community interest company) or a charity, or a community business (a community "
        "benefit society); else whose atlas category names one of those; else whose atlas sector is social or "
        "community (a community business). People are never counted.",
        "In the area: by the atlas's boundary membership for named boundaries, by the point's place for a "
        "drawn area.",
        f"On {report.as_of:%d %B %Y}: organisations incorporated or registered on or before that date (else "
        "imported into the atlas by then) and not dissolved before it; needs and offers recorded by then and "
        "still open; spend paid by then.",
        f"Trading history in whole years since incorporation; young means under {YOUNG_YEARS} years. Income is "
        f"the register's latest, in {report.currency} a year.",
        f"What anchors buy and need: the spend and the open needs of {anchors}. A spend category or need is "
        "offered locally when an offer of one of these organisations names one of its categories in the atlas's "
        "shared vocabulary (or, where the vocabulary has none, the same words); for spend, offers of "
        f"{', '.join(SALEABLE_KINDS)} count. A gap is one that no organisation here offers.",
    ]


def comparison_cells(comparison: MarketComparison, table: ComparedTable) -> list[list[object]]:
    """The rows of a compared table: group, count in A, in B, the change, and A's and B's figures."""
    a, b = comparison.a, comparison.b
    rows: list[list[object]] = []
    for r in table.rows:
        cells: list[object] = [r.group, r.count_a, r.count_b, f"{r.count_change:+d}" if r.count_change else "0"]
        if table.value_heading:
            cells += [value_text(a.table(table.key).row(r.group), a.currency),
                      value_text(b.table(table.key).row(r.group), b.currency)]
        rows.append(cells)
    return rows
