"""``atlas demo``: the USE-IT! demo area and its example plans, which span both floors."""

from __future__ import annotations

from pathlib import Path

import click

from atlas.cli_support import cli_store, cli_translator, db_option, handle_errors
from cedplans.demo import load_full_demo


@click.command("demo")
@db_option
@handle_errors
def demo_cmd(db: Path) -> None:
    """Load the USE-IT! demo area (approximate data) into the store."""
    with cli_store(db, create=True) as store:
        counts = load_full_demo(store)
        tr = cli_translator()
    click.echo(tr.gettext(
        "Loaded the USE-IT! demo (approximate) into {db}: {wards} wards, {sites} sites, {assets} assets with "
        "{needs} needs and {offers} offers, {plans} example plans.").format(
        db=db, wards=tr.number(counts["boundaries"]), sites=tr.number(counts["features"]),
        assets=tr.number(counts["assets"]), needs=tr.number(counts["needs"]), offers=tr.number(counts["offers"]),
        plans=tr.number(counts.get("plans", 0))))


COMMANDS = (demo_cmd,)
