"""What every ``atlas`` command shares: the ``--db`` and ``--format`` options, and the one
place where domain errors become one line on stderr and an exit code."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from atlas import access, audit, output, settings
from atlas.errors import AtlasError, InvalidInput
from atlas.store import Store, open_store

EXIT_ERROR = 1
EXIT_BAD_INPUT = 2


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db", "db", type=click.Path(dir_okay=False, path_type=Path), envvar=settings.DB_ENV_VAR,
        default=settings.DEFAULT_DB_PATH, show_default=True,
        help=f"The atlas store (a DuckDB file). Also read from ${settings.DB_ENV_VAR}.",
    )(fn)


def format_choice(choices: Sequence[str], help: str) -> Callable[[Callable], Callable]:
    """A ``--format`` option (as ``fmt``) offering ``choices``, table by default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default="table", show_default=True, help=help)


format_option = format_choice(output.FORMATS, "How to print the result.")
"""``--format table|csv|json``, for listings."""

JSON_OR_TABLE = ("table", "json")
"""What a command printing one object (a summary, a plan) offers: no CSV."""


def fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def handle_errors(fn: Callable) -> Callable:
    """Turn the atlas's own errors into one line and an exit code, with no traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except AtlasError as exc:
            fail(str(exc))

    return wrapper


@contextlib.contextmanager
def cli_store(db: Path, *, create: bool = False, read_only: bool = False) -> Iterator[Store]:
    """The store, open for one command, whose changes the audit trail records as the
    store's owner at the command line."""
    store = open_store(db, create=create, read_only=read_only)
    try:
        with audit.acting(access.command_line()):
            yield store
    finally:
        store.close()


confidential_option = click.option(
    "--include-confidential", is_flag=True,
    help="Include confidential fields (officers' notes, contact details, decision reasons, where people "
         "live). Left out unless given.")
