"""``atlas user``: the accounts that may sign in to the app, and their roles."""

from __future__ import annotations

import os
from pathlib import Path

import click

from atlas import accounts, output
from atlas.access import ROLES, command_line
from atlas.cli_support import cli_store, cli_translator, db_option, format_option, handle_errors
from atlas.i18n import N_

PASSWORD_ENV_VAR = "ATLAS_PASSWORD"
"""Where a script gives a new password without a prompt (never on the command line, where
other users of the machine can read it)."""


def _password(prompt: bool) -> str | None:
    if os.environ.get(PASSWORD_ENV_VAR):
        return os.environ[PASSWORD_ENV_VAR]
    if not prompt:
        return None
    tr = cli_translator()
    return click.prompt(tr.gettext("Password"), hide_input=True,
                        confirmation_prompt=tr.gettext("Repeat for confirmation"))


def _by() -> str:
    return command_line().label


@click.group("user")
def user() -> None:
    """Accounts that may sign in to the app: add, list, change role, remove."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help=N_("What the account may do."))
@click.option("--name", "display_name", help=N_("The name shown beside their changes (default: the user name)."))
@click.option("--no-password", is_flag=True,
              help=N_("Signs in only through the identity provider (st.login), by this e-mail address."))
@db_option
@handle_errors
def add(username: str, role: str, display_name: str | None, no_password: bool, db: Path) -> None:
    """Add an account USERNAME (asks for the password, or reads $ATLAS_PASSWORD)."""
    password = None if no_password else _password(prompt=True)
    with cli_store(db, create=True) as store:
        account = accounts.add_user(store, username, role=role, password=password, display_name=display_name,
                                    by=_by())
    click.echo(cli_translator().gettext("Added {username} ({name}) as {role}.").format(
        username=account.username, name=account.display_name, role=account.role))


@user.command("list")
@db_option
@format_option
@handle_errors
def list_(db: Path, fmt: str) -> None:
    """Every account with its role (never a password)."""
    with cli_store(db) as store:
        rows = [{"username": a.username, "name": a.display_name, "role": a.role, "password": a.has_password,
                 "created_at": a.created_at, "created_by": a.created_by} for a in accounts.list_users(store)]
    click.echo(output.render(rows, fmt, ["username", "name", "role", "password", "created_at", "created_by"],
                             none=cli_translator().gettext("(none)")))


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@db_option
@handle_errors
def set_role(username: str, role: str, db: Path) -> None:
    """Change USERNAME's role to ROLE."""
    with cli_store(db) as store:
        account = accounts.set_role(store, username, role, by=_by())
    click.echo(cli_translator().gettext("{username} is now {role}.").format(username=account.username,
                                                                              role=account.role))


@user.command("set-password")
@click.argument("username")
@db_option
@handle_errors
def set_password(username: str, db: Path) -> None:
    """Give USERNAME a new password (asks for it, or reads $ATLAS_PASSWORD)."""
    password = _password(prompt=True)
    with cli_store(db) as store:
        accounts.set_password(store, username, password or "", by=_by())
    click.echo(cli_translator().gettext("{username}'s password is changed.").format(username=username))


@user.command("remove")
@click.argument("username")
@db_option
@handle_errors
def remove(username: str, db: Path) -> None:
    """Remove USERNAME's account (their changes stay in the history under their name)."""
    with cli_store(db) as store:
        accounts.remove_user(store, username, by=_by())
    click.echo(cli_translator().gettext("Removed {username}.").format(username=username))


COMMANDS = (user,)
