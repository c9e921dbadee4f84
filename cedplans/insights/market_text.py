"""The market report's words, shared by the PDF, the HTML and the command line: the
headline, the cells of each table, and the notes on method, so every output says the same."""

from __future__ import annotations

from collections import Counter

from atlas.i18n import Translator, translator
from cedplans.insights.market import (
    SALEABLE_KINDS,
    TYPES,
    YOUNG_YEARS,
    ComparedTable,
    MarketComparison,
    MarketReport,
    MarketTable,
    TableRow,
    group_label,
    money_text,
    value_text,
)


def _kind_counted(kind: str, n: int, tr: Translator) -> str:
    ngettext = tr.ngettext
    if kind == "social enterprise":
        text = ngettext("{count} social enterprise", "{count} social enterprises", n)
    elif kind == "co-operative":
        text = ngettext("{count} co-operative", "{count} co-operatives", n)
    elif kind == "charity":
        text = ngettext("{count} charity", "{count} charities", n)
    else:
        text = ngettext("{count} community business", "{count} community businesses", n)
    return text.format(count=tr.number(n))


def headline(report: MarketReport, tr: Translator | None = None) -> str:
    """One paragraph: how many organisations of each type, the anchors' spend and the gaps,
    in the language of ``tr`` (None: the report's)."""
    tr = tr or report.tr
    _, ngettext = tr.gettext, tr.ngettext
    n = len(report.organisations)
    kinds = Counter(o.type for o in report.organisations)
    parts = [_kind_counted(t, kinds[t], tr) for t in TYPES if kinds[t]]
    said = (_("{items} and {last}").format(items=", ".join(parts[:-1]), last=parts[-1]) if len(parts) > 1
            else "".join(parts))
    text = (ngettext("{count} organisation in {area}: {types}.", "{count} organisations in {area}: {types}.", n)
            if said else ngettext("{count} organisation in {area}.", "{count} organisations in {area}.", n)
            ).format(count=tr.number(n), area=report.area.name, types=said)
    if report.spend_period is not None:
        first, last = report.spend_period
        text += " " + _("Anchors' spend from {first} to {last}: {total}, of which {local} was paid to these "
                        "organisations.").format(first=tr.date(first), last=tr.date(last),
                                                 total=money_text(report.spend_total, report.currency, tr),
                                                 local=money_text(report.spend_paid_locally, report.currency, tr))
    gaps = len(report.gaps)
    text += " " + ngettext("{count} gap where anchors buy or need what no organisation here offers.",
                           "{count} gaps where anchors buy or need what no organisation here offers.",
                           gaps).format(count=tr.number(gaps))
    return text


_GROUP_MM, _COUNT_MM, _VALUE_MM = 56.0, 30.0, 28.0
_PAGE_MM = 170.0


SHOWN_TAGS = 30
"""The PDF, HTML and terminal show the most used tags up to this many (the CSV has all)."""


def shown_rows(table: MarketTable, tr: Translator | None = None) -> tuple[tuple[TableRow, ...], str]:
    """The rows a printed report shows of ``table``, and a note on any left out (in the
    language of ``tr``; English when None)."""
    if table.key != "offers_tag" or len(table.rows) <= SHOWN_TAGS:
        return table.rows, ""
    tr = tr or translator(None)
    rest = len(table.rows) - SHOWN_TAGS
    return table.rows[:SHOWN_TAGS], tr.ngettext(
        "The {shown} most used tags; {count} more is in the CSV report.",
        "The {shown} most used tags; {count} more are in the CSV report.", rest).format(
            shown=tr.number(SHOWN_TAGS), count=tr.number(rest))


def table_cells(table: MarketTable, currency: str, tr: Translator | None = None
                ) -> tuple[list[str], list[list[object]], list[float]]:
    """(header, rows, column widths in mm) of ``table`` as the PDF and the terminal show it
    (see :func:`shown_rows`), figures written as the reader of ``tr`` writes them (English
    when None; the table's words are already in the report's language)."""
    tr = tr or translator(None)
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
    for r in shown_rows(table, tr)[0]:
        cells: list[object] = [r.group, tr.number(r.count)]
        if table.value_heading:
            cells.append(value_text(r, currency, tr=tr))
        if table.detail_heading:
            cells.append(r.detail)
        rows.append(cells)
    return header, rows, widths


def comparison_columns(table: ComparedTable, tr: Translator | None = None) -> tuple[list[str], list[float]]:
    """(header, widths in mm) of a compared table: group, A, B, change, and A's and B's
    figures (in the language of ``tr``; English when None)."""
    tr = tr or translator(None)
    _ = tr.gettext
    header = [table.group_heading, _("{heading} A").format(heading=table.count_heading),
              _("{heading} B").format(heading=table.count_heading), _("Change")]
    widths = [0.0, 31.0, 31.0, 17.0]
    if table.value_heading:
        header += [_("{heading} A").format(heading=table.value_heading),
                   _("{heading} B").format(heading=table.value_heading)]
        widths += [24.0, 24.0]
    widths[0] = _PAGE_MM - sum(widths)
    return header, widths


def method_notes(report: MarketReport, tr: Translator | None = None) -> list[str]:
    """How the figures are made, in a few sentences a reader can check (in the language of
    ``tr``; None: the report's)."""
    tr = tr or report.tr
    _ = tr.gettext
    anchors = (_("anchors in the area") if report.anchors_scope == "area" else _("every anchor in the atlas"))
    return [
        _("Counted: assets whose register entry makes them a co-operative (or registered society), a social "
          "enterprise (such as a community interest company) or a charity, or a community business (a community "
          "benefit society); else whose atlas category names one of those; else whose atlas sector is social or "
          "community (a community business). People are never counted."),
        _("In the area: by the atlas's boundary membership for named boundaries, by the point's place for a "
          "drawn area."),
        _("On {date}: organisations incorporated or registered on or before that date (else "
          "imported into the atlas by then) and not dissolved before it; needs and offers recorded by then and "
          "still open; spend paid by then.").format(date=tr.date(report.as_of, form="long")),
        _("Trading history in whole years since incorporation; young means under {years} years. Income is "
          "the register's latest, in {currency} a year.").format(years=tr.number(YOUNG_YEARS),
                                                                 currency=report.currency),
        _("What anchors buy and need: the spend and the open needs of {anchors}. A spend category or need is "
          "offered locally when an offer of one of these organisations names one of its categories in the atlas's "
          "shared vocabulary (or, where the vocabulary has none, the same words); for spend, offers of "
          "{kinds} count. A gap is one that no organisation here offers.").format(
              anchors=anchors, kinds=", ".join(group_label(k, tr) for k in SALEABLE_KINDS)),
    ]


def comparison_cells(comparison: MarketComparison, table: ComparedTable,
                     tr: Translator | None = None) -> list[list[object]]:
    """The rows of a compared table: group, count in A, in B, the change, and A's and B's
    figures (written as the reader of ``tr`` writes them; None: as report A's)."""
    a, b = comparison.a, comparison.b
    tr = tr or a.tr
    rows: list[list[object]] = []
    for r in table.rows:
        change = (("+" if r.count_change > 0 else "-") + tr.number(abs(r.count_change))) if r.count_change else "0"
        cells: list[object] = [r.group, tr.number(r.count_a), tr.number(r.count_b), change]
        if table.value_heading:
            cells += [value_text(a.table(table.key).row(r.group), a.currency, tr=tr),
                      value_text(b.table(table.key).row(r.group), b.currency, tr=tr)]
        rows.append(cells)
    return rows
