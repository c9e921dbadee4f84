"""``atlas demo``: the USE-IT! demo area and its example plans, which span both floors."""

from __future__ import annotations

from pathlib import Path

import click

from atlas.cli_support import cli_store, db_option, handle_errors
from cedplans.demo import load_full_demo


@click.command("demo")
@db_option
@handle_errors
def demo_cmd(db: Path) -> None:
    """Load the USE-IT! demo area (approximate data) into the store."""
    with cli_store(db, create=True) as store:
        counts = load_full_demo(store)
    click.echo(
        f"Loaded the USE-IT! demo (approximate) into {db}: {counts['boundaries']} wards, "
        f"{counts['features']} sites, {counts['assets']} assets with {counts['needs']} needs and "
        f"{counts['offers']} offers, {counts.get('plans', 0)} example plans."
    )


COMMANDS = (demo_cmd,)
