"""What every ``atlas`` command shares: the ``--db`` and ``--format`` options, the one
place where domain errors become one line on stderr and an exit code, and the language the
command line speaks (:func:`cli_translator`)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from atlas import access, audit, i18n, output, settings
from atlas.engines import is_server_url
from atlas.errors import AtlasError, InvalidInput
from atlas.i18n import N_, Translator
from atlas.site_refs import SIGNED_POINT, LonLat, SiteQuery, SiteRef, parse_site
from atlas.store import Store, open_store

EXIT_ERROR = 1
EXIT_BAD_INPUT = 2

LANGUAGE_ENV_VAR = "ATLAS_LANGUAGE"
"""Where a shell sets the command line's language (a code of :data:`atlas.i18n.LANGUAGES`)
for every command, unless ``--language`` says otherwise."""

_CHOSEN_LANGUAGE = "atlas.language"
_STORE_LANGUAGE = "atlas.store_language"
# Keys in click's ``Context.meta``, which every context of one command line shares.


def _remember_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = i18n.supported(value)
    if code is None:
        raise click.BadParameter(
            cli_translator().gettext("{value!r} is not a language we have; choose one of {known}.").format(
                value=value, known=", ".join(i18n.LANGUAGES)), ctx, param)
    ctx.meta[_CHOSEN_LANGUAGE] = code
    return code


language_option = click.option(
    "--language", "language", envvar=LANGUAGE_ENV_VAR, is_eager=True, expose_value=False,
    callback=_remember_language, metavar="CODE",
    help=N_("The language of the messages (en, de, fr, es, it, nl, pl, ar, ur). Also read from $ATLAS_LANGUAGE; "
            "by default the place's language (atlas settings --language), else English."))
"""The command line's global ``--language CODE`` (on the root ``atlas`` group)."""


def cli_translator() -> Translator:
    """The language the command line speaks now: ``--language``, else ``$ATLAS_LANGUAGE``,
    else the place's default language (known once :func:`cli_store` has opened the store),
    else English. Commands call it after opening the store: ``tr = cli_translator()``."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    chosen = meta.get(_CHOSEN_LANGUAGE) or i18n.supported(os.environ.get(LANGUAGE_ENV_VAR))
    return i18n.translator(chosen or meta.get(_STORE_LANGUAGE))


def remember_store_language(store: Store) -> None:
    """Speak ``store``'s default language from now on (unless one was chosen): after
    :func:`cli_store` opens it, and after ``atlas settings --language`` changes it."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_STORE_LANGUAGE] = store.settings.language


class StoreLocation(click.ParamType):
    """A DuckDB file (as a Path) or a ``postgresql://`` URL (as it is)."""

    name = "PATH|URL"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Path | str:
        if isinstance(value, Path) or is_server_url(value):
            return value
        path = Path(str(value))
        if path.is_dir():
            self.fail(f"{path} is a folder; give the store's file, e.g. {path / 'atlas.duckdb'}", param, ctx)
        return path


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db", "db", type=StoreLocation(), envvar=settings.DB_ENV_VAR,
        default=settings.DEFAULT_DB_PATH, show_default=True,
        help=N_("The atlas store: a DuckDB file, or a postgresql:// URL of a PostGIS database. "
                "Also read from $ATLAS_DB."),
    )(fn)


def format_choice(choices: Sequence[str], help: str) -> Callable[[Callable], Callable]:
    """A ``--format`` option (as ``fmt``) offering ``choices``, table by default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default="table", show_default=True, help=help)


format_option = format_choice(output.FORMATS, N_("How to print the result."))
"""``--format table|csv|json``, for listings."""

JSON_OR_TABLE = ("table", "json")
"""What a command printing one object (a summary, a plan) offers: no CSV."""


def fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(cli_translator().gettext("Error: {message}").format(message=message), err=True)
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
def cli_store(db: Path | str, *, create: bool = False, read_only: bool = False) -> Iterator[Store]:
    """The store (a DuckDB file or a ``postgresql://`` URL), open for one command, whose
    changes the audit trail records as the store's owner at the command line."""
    store = open_store(db, create=create, read_only=read_only)
    remember_store_language(store)
    try:
        with audit.acting(access.command_line()):
            yield store
    finally:
        store.close()


confidential_option = click.option(
    "--include-confidential", is_flag=True,
    help=N_("Include confidential fields (officers' notes, contact details, decision reasons, where people "
            "live). Left out unless given."))


class SiteType(click.ParamType):
    """A site as a command takes it: a name, ``feature:ID``, ``asset:ID`` or ``"lon,lat"``,
    parsed once into a :data:`~atlas.site_refs.SiteQuery`."""

    name = "SITE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> SiteQuery:
        try:
            return parse_site(value if isinstance(value, SiteRef | LonLat) else str(value))
        except InvalidInput as exc:
            self.fail(str(exc), param, ctx)


SITE = SiteType()


class SiteCommand(click.Command):
    """A command whose one argument, SITE, may be a point west of Greenwich.

    Click reads every word that starts with "-" as an option, so ``atlas nearby
    "-1.9585,52.4977"`` would stop at "No such option: -1". Before click parses, a signed
    point that is not the value of an option is moved behind ``--``, click's own end of
    the options, where it is read as the argument. Everything else is parsed as usual, so a
    mistyped option is still refused with click's message and suggestions.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {opt for p in self.get_params(ctx) if isinstance(p, click.Option)
                       and not (p.is_flag or p.count) for opt in p.opts}
        end = args.index("--") if "--" in args else len(args)
        points = [i for i in range(end)
                  if SIGNED_POINT.match(args[i]) and (i == 0 or args[i - 1] not in takes_value)]
        if points:
            options = [a for i, a in enumerate(args[:end]) if i not in points]
            args = [*options, "--", *(args[i] for i in points), *args[end + 1:]]
        return super().parse_args(ctx, args)
