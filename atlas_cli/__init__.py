"""The ``atlas`` command, composed above both floors.

:mod:`atlas` (the store, importers, queries, accounts, backups) and :mod:`cedplans` (plans
and linking) each bring their own commands, listed in each command module's ``COMMANDS``;
this package depends on both, and neither depends on it, so the ground floor never imports
the floor above. ``atlas demo`` lives here (:mod:`atlas_cli.demo`) because the demo spans
both floors: the atlas's area and the example plans on it.

:data:`COMMAND_MODULES` says where each command lives, and a command's module is imported
only when the command runs or help describes it, so ``atlas info`` does not wait for the
matcher's scikit-learn or the reports' matplotlib.

The global ``--language CODE`` (or ``$ATLAS_LANGUAGE``, else the place's language) sets the
language of every message, and of the help: help texts are marked with ``N_`` where they
are written and translated here, when help is shown (:class:`_TranslatedHelp`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator

import click

from atlas.cli_support import cli_translator, language_option

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
    "settings": "atlas.settings_cli",
    "basemap": "atlas.ground.cli",
}
"""Command name -> the module whose ``COMMANDS`` holds it (tests/test_cli.py checks that
the two agree, so a new command cannot be left out)."""


_EXTRAS = re.compile(r"^(?P<help>.*?)(?P<extras>\s+\[[^\[\]]*\])?$", re.DOTALL)
"""An option's help and click's own note after it ("  [default: 800.0]")."""


class _TranslatedHelp(click.HelpFormatter):
    """Help in the command line's language: each text and each option's help looked up in
    the catalogue (messages not in it, such as the commands' docstrings, stay English)."""

    def write_text(self, text: str) -> None:
        super().write_text(cli_translator().gettext(text) if text else text)

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, self._translated(help_text)) for term, help_text in rows], col_max, col_spacing)

    @staticmethod
    def _translated(help_text: str) -> str:
        parts = _EXTRAS.match(help_text)
        if not help_text or parts is None:
            return help_text
        return cli_translator().gettext(parts["help"]) + (parts["extras"] or "")


class _TranslatedContext(click.Context):
    formatter_class = _TranslatedHelp


def _speaking(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _speaking(sub)


class _Floors(click.Group):
    """The root group: its commands come from :data:`COMMAND_MODULES`, imported on use."""

    context_class = _TranslatedContext

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(COMMAND_MODULES[cmd_name])
        command: click.Command = {command.name: command for command in module.COMMANDS}[cmd_name]
        for each in _speaking(command):
            each.context_class = _TranslatedContext
        return command


@click.group(cls=_Floors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asset-atlas")
@language_option
def main() -> None:
    """Asset Atlas: find a place's assets and put them to work."""


__all__ = ["COMMAND_MODULES", "main"]
