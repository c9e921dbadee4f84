"""``atlas report market`` and ``atlas report spend``: thin commands over
:mod:`cedplans.insights`. Each subcommand lives beside its report
(:mod:`cedplans.insights.market_cli`, :mod:`cedplans.insights.spend_cli`)."""

from __future__ import annotations

import click

from cedplans.insights.market_cli import market_cmd
from cedplans.insights.spend_cli import spend_cmd


@click.group("report")
def report() -> None:
    """Insight reports: the social-enterprise market of an area, and where an anchor's spend goes."""


report.add_command(market_cmd)
report.add_command(spend_cmd)

COMMANDS = (report,)
