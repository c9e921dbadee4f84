"""``atlas report spend``: where an anchor's money goes, as a table or JSON; a thin layer
over :func:`cedplans.insights.spend.spend_report`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from atlas import output
from atlas.cli_support import JSON_OR_TABLE, cli_store, db_option, format_choice, handle_errors
from cedplans.cli import author_option
from cedplans.insights.lm3 import read_survey
from cedplans.insights.spend import (
    DEFAULT_TOP_LEAKS,
    SPEND_NEED_SOURCE,
    SpendReport,
    record_leak_needs,
    spend_report,
    to_json,
)

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


@click.command("spend")
@click.option("--anchor", required=True, help="The anchor whose spend to report: an asset's name or id.")
@click.option("--from", "date_from", type=_DATE, metavar="YYYY-MM-DD", help="First day of the period, included.")
@click.option("--to", "date_to", type=_DATE, metavar="YYYY-MM-DD", help="Last day of the period, included.")
@click.option("--area", "areas", multiple=True,
              help="A boundary the local share is measured against (repeat for several); all the store's "
                   "boundaries by default.")
@click.option("--survey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV of suppliers' own shares for the local multiplier: supplier, local_supplier_share, "
                   "local_staff_share, staff_cost_share. Without it, documented default shares by category.")
@click.option("--top", default=DEFAULT_TOP_LEAKS, show_default=True, type=click.IntRange(min=0),
              help="How many of the largest leaking categories get suggested local suppliers.")
@click.option("--record-needs", is_flag=True,
              help=f"Record the leaking categories as supply needs of the anchor (source {SPEND_NEED_SOURCE}), "
                   "so officers can act on them in the Matches page.")
@author_option
@format_choice(JSON_OR_TABLE, "How to print the report.")
@db_option
@handle_errors
def spend_cmd(anchor: str, date_from: datetime | None, date_to: datetime | None, areas: tuple[str, ...],
              survey: Path | None, top: int, record_needs: bool, author: str, fmt: str, db: Path) -> None:
    """Where an anchor's spend goes: the share with suppliers in the area, the city and the
    region, by category; the largest leaks with local suppliers who could take them; the
    suppliers not matched to an asset; and a local multiplier (LM3) with its assumptions.

    \b
    Examples:
      atlas report spend --anchor "City Hospital" --from 2024-04-01 --to 2025-03-31
      atlas report spend --anchor "City Council" --area Ladywood --survey suppliers.csv --format json
    """
    shares = read_survey(survey) if survey is not None else None
    with cli_store(db, read_only=not record_needs) as store:
        report = spend_report(store, anchor, date_from=_day(date_from), date_to=_day(date_to), area_names=areas,
                              survey=shares, top_leaks=top)
        recorded = record_leak_needs(store, report, by=author) if record_needs else None
    click.echo(to_json(report) if fmt == "json" else render_table(report))
    if recorded is not None:
        count = recorded.inserted + recorded.updated
        click.echo(f"Recorded {count} supply need(s) of {report.anchor} ({recorded.inserted} new, "
                   f"{recorded.updated} updated); see their matches with: atlas match --asset "
                   f"\"{report.anchor}\"", err=fmt == "json")


def render_table(report: SpendReport) -> str:
    """The report for a terminal: headline figures, then one table per part."""
    m = report.money
    lines = [f"Spend of {report.anchor}, {report.period_words}: {m(report.total)} in {report.payments:,} payments "
             f"({report.currency}); credit notes included."]
    if report.message:
        lines.append(report.message)
    lines += ["", "Local share (suppliers placed inside each area, of all the spend):",
              output.table([{"ring": r.ring, "area": r.name, "spend": m(r.amount), "share": _percent(r.share)}
                            for r in report.rings]
                           + [{"ring": "unknown", "area": "suppliers of unknown location",
                               "spend": m(report.unknown), "share": _percent(report.unknown_share)}])]
    lm3 = report.lm3
    value = "-" if lm3.value is None else f"{lm3.value:.2f}"
    lines += ["", f"Local multiplier (LM3): {value}  (rounds: {', '.join(m(r) for r in lm3.rounds)})",
              f"  Method: {lm3.method}", "  Assumptions:", *(f"  - {a}" for a in lm3.assumptions)]
    lines += ["", f"By category (local = inside {report.areas.area.name}), largest leak first:",
              output.table([{"category": c.category, "spend": m(c.total), "local": m(c.local),
                             "share": _percent(c.share), "leak": m(c.leak)} for c in report.by_category])]
    if report.leaks:
        lines += ["", "Largest leaks, and local micro assets whose offers could supply them:"]
        for leak in report.leaks:
            lines.append(f"* {leak.category}: {m(leak.leak)} not spent with suppliers inside the area")
            lines += [f"    {g.score:.2f}  {g.why}" for g in leak.suggestions]
            if leak.message:
                lines.append(f"    {leak.message}")
    lines += ["", "Suppliers with no certain match to an asset:",
              output.table([{"supplier": u.name, "spend": m(u.total), "reason": u.reason}
                            for u in report.unmatched_suppliers])]
    if report.uncertain_matches:
        lines += ["", "Uncertain matches (not merged; confirm or correct them):",
                  output.table([{"supplier": u.supplier, "may be": f"{u.candidate_asset_id} {u.candidate_name or ''}",
                                 "score": "-" if u.score is None else f"{u.score:.0f}", "spend": m(u.total)}
                                for u in report.uncertain_matches])]
    return "\n".join(lines)
