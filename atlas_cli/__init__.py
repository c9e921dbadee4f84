"""The ``atlas`` command, composed above both floors.

:mod:`atlas` (the store, importers, queries, accounts, backups) and :mod:`cedplans` (plans
and linking) each bring their own commands, listed in each command module's ``COMMANDS``;
this package depends on both, and neither depends on it, so the ground floor never imports
the floor above. ``atlas demo`` lives here (:mod:`atlas_cli.demo`) because the demo spans
both floors: the atlas's area and the example plans on it.

:data:`COMMAND_MODULES` says where each command lives, and a command's module is imported
only when the command runs or help describes it, so ``atlas info`` does not wait for the
matcher's scikit-learn or the reports' matplotlib.
"""

from __future__ import annotations

import importlib

import click

COMMAND_MODULES: dict[str, str] = {
    "init": "atlas.cli",
    "info": "atlas.cli",
    "nearby": "atlas.cli",
    "search": "atlas.cli",
    "import": "atlas.importers.cli",
    "import-postcodes": "atlas.importers.cli",
    "user": "atlas.accounts_cli",
    "backup": "atlas.backup_cli",
    "restore": "atlas.backup_cli",
    "copy": "atlas.copy_cli",
    "plan": "cedplans.cli",
    "match": "cedplans.linking_cli",
    "tenants": "cedplans.linking_cli",
    "dossier": "cedplans.linking_cli",
    "needs": "cedplans.linking_cli",
    "offers": "cedplans.linking_cli",
    "vocabulary": "cedplans.linking_cli",
    "person": "cedplans.trust_cli",
    "history": "cedplans.trust_cli",
    "workshop": "cedplans.trust_cli",
    "report": "cedplans.insights_cli",
    "demo": "atlas_cli.demo",
}
"""Command name -> the module whose ``COMMANDS`` holds it (tests/test_cli.py checks that
the two agree, so a new command cannot be left out)."""


class _Floors(click.Group):
    """The root group: its commands come from :data:`COMMAND_MODULES`, imported on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(COMMAND_MODULES[cmd_name])
        return {command.name: command for command in module.COMMANDS}[cmd_name]


@click.group(cls=_Floors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asset-atlas")
def main() -> None:
    """Asset Atlas: find a place's assets and put them to work."""


__all__ = ["COMMAND_MODULES", "main"]
