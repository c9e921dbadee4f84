"""``atlas report market``: the social-enterprise market of an area, printed or written
as PDF, HTML or CSV; a thin command over :mod:`cedplans.insights.market`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from atlas import output
from atlas.cli_support import JSON_OR_TABLE, cli_store, cli_translator, db_option, format_choice, handle_errors
from atlas.errors import InvalidInput
from atlas.i18n import N_
from cedplans.exports import atomic_file
from cedplans.insights.areas import resolve_area
from cedplans.insights.market import MarketComparison, MarketReport, compare_reports, market_report
from cedplans.insights.market_csv import comparison_rows, write_csv
from cedplans.insights.market_text import comparison_cells, comparison_columns, headline, shown_rows, table_cells

OUT_SUFFIXES = (".pdf", ".html", ".csv")


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.command("market")
@click.option("--area", "areas", multiple=True, metavar="NAME",
              help=N_("A boundary to report on (repeat for several). Default: every boundary in the atlas."))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help=N_("The market as it stood on this date. Default: today."))
@click.option("--compare-area", "compare_areas", multiple=True, metavar="NAME",
              help=N_("Compare with this boundary (repeat for several)."))
@click.option("--compare-as-of", "compare_as_of", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help=N_("Compare with the same area (or --compare-area) on this date."))
@click.option("--anchors-in-area", is_flag=True,
              help=N_("Count only the spend and needs of anchors inside the area (default: every anchor)."))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Write the report to this file: .pdf, .html or .csv. Without it, print the tables."))
@format_choice(JSON_OR_TABLE, "How to print the report when there is no --out.")
@db_option
@handle_errors
def market_cmd(areas: tuple[str, ...], as_of: datetime | None, compare_areas: tuple[str, ...],
               compare_as_of: datetime | None, anchors_in_area: bool, out: Path | None, fmt: str,
               db: Path) -> None:
    """The social-enterprise market of an area: organisations by type, sector, size, legal form and
    trading history; what they offer against what anchors buy and need; the gaps; their support needs."""
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        raise InvalidInput(cli_translator().gettext(
            "--out {out}: end the file name in .pdf, .html or .csv to say which report to write.").format(out=out))
    with cli_store(db) as store:
        language = cli_translator().code
        report = market_report(store, resolve_area(store, areas), as_of=_day(as_of), anchors_in_area=anchors_in_area,
                               language=language)
        comparison = None
        if compare_areas or compare_as_of:
            other = market_report(store, resolve_area(store, compare_areas or areas),
                                  as_of=_day(compare_as_of) or report.as_of, anchors_in_area=anchors_in_area,
                                  language=language)
            comparison = compare_reports(report, other)
    if out is not None:
        _write(out, report, comparison, language)
        click.echo(cli_translator().gettext("Wrote the market report for {label} to {out}").format(
            label=report.label, out=out))
    elif fmt == "json":
        click.echo(output.to_json(_json(report, comparison)))
    else:
        click.echo(_text(report, comparison))


def _write(out: Path, report: MarketReport, comparison: MarketComparison | None, language: str) -> None:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        write_csv(out, report, comparison=comparison, language=language)
        return
    if suffix == ".pdf":
        from cedplans.insights.market_pdf import render_pdf

        data = render_pdf(report, comparison=comparison, language=language)
        with atomic_file(out, suffix) as tmp:
            tmp.write_bytes(data)
        return
    from cedplans.insights.market_html import render_html

    html = render_html(report, comparison=comparison, language=language)
    with atomic_file(out, suffix) as tmp:
        tmp.write_text(html, encoding="utf-8")


def _report_json(report: MarketReport) -> dict[str, Any]:
    m = report.maturity
    return {
        "area": report.area.name, "as_of": report.as_of.isoformat(), "currency": report.currency,
        "anchors": report.anchors_scope, "organisations": len(report.organisations),
        "maturity": {"known": m.known, "median_years": m.median_years, "young": m.young,
                     "share_young": m.share_young},
        "spend": {"total": report.spend_total, "paid_to_these_organisations": report.spend_paid_locally,
                  "from": report.spend_period[0].isoformat() if report.spend_period else None,
                  "to": report.spend_period[1].isoformat() if report.spend_period else None},
        "tables": {t.key: {"title": t.title, "rows": [
            {"group": r.group, "count": r.count, "value": r.value, "unit": r.unit, "detail": r.detail}
            for r in t.rows]} for t in report.tables},
    }


def _json(report: MarketReport, comparison: MarketComparison | None) -> dict[str, Any]:
    data = _report_json(report)
    if comparison is not None:
        data["compared_with"] = _report_json(comparison.b)
        data["comparison"] = {"a": comparison.a.label, "b": comparison.b.label,
                              "rows": list(comparison_rows(comparison))}
    return data


def _text(report: MarketReport, comparison: MarketComparison | None) -> str:
    tr = cli_translator()
    lines = [tr.gettext("The social-enterprise market: {label}").format(label=report.label), headline(report, tr)]
    for t in report.tables:
        header, rows, _ = table_cells(t, report.currency, tr)
        lines += ["", f"{t.title}", output.table([dict(zip(header, r, strict=True)) for r in rows], header)]
        lines += [note for note in (t.note, shown_rows(t, tr)[1]) if note]
    if comparison is not None:
        lines += ["", tr.gettext("Compared: {a} (A) and {b} (B); changes are B less A.").format(
            a=comparison.a.label, b=comparison.b.label)]
        for ct in comparison.tables:
            header, _ = comparison_columns(ct, tr)
            rows = comparison_cells(comparison, ct, tr)
            lines += ["", tr.gettext("{title} (A and B)").format(title=ct.title),
                      output.table([dict(zip(header, r, strict=True)) for r in rows], header)]
    return "\n".join(lines)

