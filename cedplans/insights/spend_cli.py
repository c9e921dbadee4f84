"""``atlas report spend``: where an anchor's money goes, as a table or JSON; a thin layer
over :func:`cedplans.insights.spend.spend_report`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from atlas import output
from atlas.cli_support import JSON_OR_TABLE, cli_store, cli_translator, db_option, format_choice, handle_errors
from atlas.i18n import N_, Translator
from cedplans.cli import author_option
from cedplans.insights.lm3 import read_survey
from cedplans.insights.spend import (
    DEFAULT_TOP_LEAKS,
    SpendReport,
    record_leak_needs,
    spend_report,
    to_json,
)

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _percent(share: float | None, tr: Translator) -> str:
    return "-" if share is None else tr.percent(share, digits=1)


@click.command("spend")
@click.option("--anchor", required=True, help=N_("The anchor whose spend to report: an asset's name or id."))
@click.option("--from", "date_from", type=_DATE, metavar="YYYY-MM-DD", help=N_("First day of the period, included."))
@click.option("--to", "date_to", type=_DATE, metavar="YYYY-MM-DD", help=N_("Last day of the period, included."))
@click.option("--area", "areas", multiple=True,
              help=N_("A boundary the local share is measured against (repeat for several); all the store's "
                      "boundaries by default."))
@click.option("--survey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=N_("A CSV of suppliers' own shares for the local multiplier: supplier, local_supplier_share, "
                      "local_staff_share, staff_cost_share. Without it, documented default shares by category."))
@click.option("--top", default=DEFAULT_TOP_LEAKS, show_default=True, type=click.IntRange(min=0),
              help=N_("How many of the largest leaking categories get suggested local suppliers."))
@click.option("--record-needs", is_flag=True,
              help=N_("Record the leaking categories as supply needs of the anchor (source spend-report), so "
                      "officers can act on them in the Matches page."))
@author_option
@format_choice(JSON_OR_TABLE, N_("How to print the report."))
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
                              survey=shares, top_leaks=top, language=cli_translator().code)
        recorded = record_leak_needs(store, report, by=author) if record_needs else None
    tr = cli_translator()
    click.echo(to_json(report) if fmt == "json" else render_table(report, tr))
    if recorded is not None:
        count = recorded.inserted + recorded.updated
        click.echo(tr.ngettext(
            "Recorded {count} supply need of {anchor} ({new} new, {updated} updated); see its matches with: "
            "atlas match --asset \"{anchor}\"",
            "Recorded {count} supply needs of {anchor} ({new} new, {updated} updated); see their matches with: "
            "atlas match --asset \"{anchor}\"", count).format(
            count=count, anchor=report.anchor, new=recorded.inserted, updated=recorded.updated), err=fmt == "json")


_HEADERS = {"ring": N_("ring"), "area": N_("area"), "spend": N_("spend"), "share": N_("share"),
            "category": N_("category"), "local": N_("local"), "leak": N_("leak"), "supplier": N_("supplier"),
            "reason": N_("reason"), "may be": N_("may be"), "score": N_("score")}
"""Column headers of the terminal tables, translated where they are shown."""


def render_table(report: SpendReport, tr: Translator | None = None) -> str:
    """The report for a terminal, in ``tr``'s language (the command line's by default):
    headline figures, then one table per part. Money is the report's own (its currency)."""
    tr = tr or cli_translator()
    m = report.money
    headers = {key: tr.gettext(word) for key, word in _HEADERS.items()}
    none = tr.gettext("(none)")
    lines = [tr.gettext("Spend of {anchor}, {period}: {total} in {payments} payments ({currency}); credit notes "
                        "included.").format(anchor=report.anchor, period=report.period_words, total=m(report.total),
                                            payments=tr.number(report.payments), currency=report.currency)]
    if report.message:
        lines.append(report.message)
    lines += ["", tr.gettext("Local share (suppliers placed inside each area, of all the spend):"),
              output.table([{"ring": r.ring, "area": r.name, "spend": m(r.amount), "share": _percent(r.share, tr)}
                            for r in report.rings]
                           + [{"ring": tr.gettext("unknown"), "area": tr.gettext("suppliers of unknown location"),
                               "spend": m(report.unknown), "share": _percent(report.unknown_share, tr)}],
                           headers=headers, none=none)]
    lm3 = report.lm3
    value = "-" if lm3.value is None else tr.number(lm3.value, digits=2)
    lines += ["", tr.gettext("Local multiplier (LM3): {value}  (rounds: {rounds})").format(
                  value=value, rounds=", ".join(m(r) for r in lm3.rounds)),
              "  " + tr.gettext("Method: {method}").format(method=lm3.method), "  " + tr.gettext("Assumptions:"),
              *(f"  - {a}" for a in lm3.assumptions)]
    lines += ["", tr.gettext("By category (local = inside {area}), largest leak first:").format(
                  area=report.areas.area.name),
              output.table([{"category": c.category, "spend": m(c.total), "local": m(c.local),
                             "share": _percent(c.share, tr), "leak": m(c.leak)} for c in report.by_category],
                           headers=headers, none=none)]
    if report.leaks:
        lines += ["", tr.gettext("Largest leaks, and local micro assets whose offers could supply them:")]
        for leak in report.leaks:
            lines.append("* " + tr.gettext("{category}: {leak} not spent with suppliers inside the area").format(
                category=leak.category, leak=m(leak.leak)))
            lines += [f"    {tr.number(g.score, digits=2)}  {g.why}" for g in leak.suggestions]
            if leak.message:
                lines.append(f"    {leak.message}")
    lines += ["", tr.gettext("Suppliers with no certain match to an asset:"),
              output.table([{"supplier": u.name, "spend": m(u.total), "reason": u.reason}
                            for u in report.unmatched_suppliers], headers=headers, none=none)]
    if report.uncertain_matches:
        lines += ["", tr.gettext("Uncertain matches (not merged; confirm or correct them):"),
                  output.table([{"supplier": u.supplier, "may be": f"{u.candidate_asset_id} {u.candidate_name or ''}",
                                 "score": "-" if u.score is None else tr.number(u.score), "spend": m(u.total)}
                                for u in report.uncertain_matches], headers=headers, none=none)]
    return "\n".join(lines)
