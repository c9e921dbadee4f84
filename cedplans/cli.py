"""``atlas plan``: create, list, show, trace and export CED plans from the terminal.

A thin layer over :mod:`cedplans.repository` and :mod:`cedplans.exports`; registered on
the ``atlas`` command by :mod:`atlas_cli`.
"""

from __future__ import annotations

import getpass
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from atlas import output, queries
from atlas.cli_support import (
    JSON_OR_TABLE,
    SITE,
    cli_store,
    cli_translator,
    db_option,
    format_choice,
    format_option,
    handle_errors,
)
from atlas.errors import InvalidInput, NotFound
from atlas.i18n import LANGUAGES, N_
from atlas.site_refs import SiteQuery
from atlas.store import Store
from cedplans import document, exports, repository, workflow, workshop_pack
from cedplans.model import IDEA_CATEGORIES, Plan


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "atlas command line"


author_option = click.option(
    "--author", default=_default_author, show_default="your user name", envvar="ATLAS_AUTHOR",
    help=N_("Who is making the change, for the plan's history. Also read from $ATLAS_AUTHOR."),
)


def _plan_id(store: Store, ref: str) -> int:
    """A plan given by number or by its exact title (case ignored)."""
    if ref.strip().isdigit():
        return int(ref)
    matches = [p for p in repository.list_plans(store) if p.title.casefold() == ref.strip().casefold()]
    if not matches:
        raise NotFound(cli_translator().gettext("No plan is called {name!r}. List the plans with: atlas plan list")
                       .format(name=ref))
    return matches[0].id


@click.group("plan")
def plan() -> None:
    """Community economic development plans: create, list, show, history and export."""


@plan.command("new")
@click.argument("title")
@click.option("--site", type=SITE, help=N_('The plan\'s site: an atlas site by name or "feature:ID".'))
@click.option("--vision", default="", help=N_("The plan's vision, in a sentence or two."))
@click.option("--status", type=click.Choice(["idea", "draft"]), default="idea", show_default=True,
              help=N_("Where the plan starts."))
@author_option
@db_option
@handle_errors
def new(title: str, site: SiteQuery | None, vision: str, status: str, author: str, db: Path) -> None:
    """Start a new plan called TITLE (saved as version 1)."""
    with cli_store(db) as store:
        site_id = None
        if site:
            found = queries.resolve_site(store, site)
            if found.kind != "feature":
                raise InvalidInput(cli_translator().gettext(
                    "{site!r} is not an atlas site; give a site's name or feature:ID (find one with: atlas search "
                    "WORD).").format(site=str(site)))
            site_id = found.id
        created = repository.create_plan(store, Plan(title=title, status=status, site_feature_id=site_id,
                                                     vision=vision), author=author)
    click.echo(cli_translator().gettext("Created plan {id}: {title} ({status}, version {version}).").format(
        id=created.id, title=created.title, status=created.status, version=created.version))


@plan.command("list")
@db_option
@format_option
@handle_errors
def list_cmd(db: Path, fmt: str) -> None:
    """Every plan, most recently saved first."""
    with cli_store(db) as store:
        rows = [asdict(p) for p in repository.list_plans(store)]
    for r in rows:
        r["updated_at"] = r["updated_at"].strftime("%Y-%m-%d %H:%M")
    click.echo(output.render(rows, fmt, ["id", "title", "status", "version", "site_name", "partners", "zones",
                                         "ideas", "updated_by", "updated_at"]))


@plan.command("show")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--version", "version", type=int, help=N_("Show this version instead of the latest."))
@format_choice(JSON_OR_TABLE, N_("How to print the plan."))
@db_option
@handle_errors
def show(plan_ref: str, version: int | None, fmt: str, db: Path) -> None:
    """Show PLAN (its number or title): vision, partners, zones, actions, indicators, ideas."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        p = repository.get_plan(store, plan_id, version)
        every_idea = repository.list_ideas(store, plan_id, include_hidden=True)
    ideas = [i for i in every_idea if not i.hidden]
    tr = cli_translator()
    hidden = len(every_idea) - len(ideas)
    if fmt == "json":
        doc = document.to_document(p)
        doc.update(id=p.id, version=p.version, saved_by=p.saved_by, saved_at=p.saved_at,
                   ideas=[{"id": i.id, "text": i.text, "category": i.category, "author": i.author,
                           "votes": i.votes, "zone_id": i.zone_id, "paper_square": i.paper_square}
                          for i in ideas])
        click.echo(output.to_json(doc))
        return
    nxt = workflow.next_statuses(p.status)
    _ = tr.gettext
    status = (_("Status: {status} (can move to: {next}).") if nxt else _("Status: {status}.")).format(
        status=p.status, next=", ".join(nxt))
    lines = [
        _("Plan {id}: {title}").format(id=p.id, title=p.title),
        status + " " + _("Version {version}, saved by {author} on {when} UTC.").format(
            version=p.version, author=p.saved_by, when=f"{p.saved_at:%Y-%m-%d %H:%M}"),
        _("Site: {site}").format(site=p.site_name or _("none yet")),
        "",
        _("Vision: {vision}").format(vision=p.vision or _("(none yet)")),
    ]
    lines += [f"  {i}. {o}" for i, o in enumerate(p.objectives, 1)]
    sections: list[tuple[str, list[dict[str, Any]]]] = [
        (_("Macro assets"), [{_("asset"): f.asset_name, _("kind"): f.kind, _("problem or opportunity"): f.text}
                             for f in p.macro_focus]),
        (_("Partners"), [{_("organisation"): x.asset_name, _("role"): x.role, _("note"): x.note}
                         for x in p.partners]),
        (_("Zones"), [{_("no"): n, _("zone"): z.label, _("use"): z.use, _("size"): z.size_text}
                      for n, z in enumerate(p.zones, 1)]),
        (_("Actions"), [{_("what"): a.what, _("who"): a.who,
                         _("by when"): a.by_when.isoformat() if a.by_when else "", _("status"): a.status}
                        for a in p.actions]),
        (_("Indicators"), [{_("indicator"): i.name, _("target"): i.target, _("actual"): i.actual,
                            _("unit"): i.unit} for i in p.indicators]),
        (_("Workshop ideas"), [{_("votes"): i.votes, _("idea"): i.text, _("category"): i.category,
                                _("from"): i.by if not i.paper_square else _(
                                    "{name} (paper card, square {square})").format(name=i.by, square=i.paper_square)}
                               for i in ideas]),
    ]
    for title, rows in sections:
        lines += ["", f"{title} ({len(rows)})", output.table(rows)]
    if hidden:
        lines.append(_("({count} hidden by moderators)").format(count=hidden))
    click.echo("\n".join(lines))


@plan.command("history")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--diff", "diff_from", type=int, metavar="VERSION",
              help=N_("Also list what changed from VERSION to the latest."))
@db_option
@format_option
@handle_errors
def history(plan_ref: str, diff_from: int | None, db: Path, fmt: str) -> None:
    """The saved versions of PLAN, newest first: who, when and what changed."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        rows = [asdict(v) for v in repository.list_versions(store, plan_id)]
        changes = repository.diff_versions(store, plan_id, diff_from).lines() if diff_from else None
    for r in rows:
        r["saved_at"] = r["saved_at"].strftime("%Y-%m-%d %H:%M")
    click.echo(output.render(rows, fmt, ["version", "saved_at", "author", "status", "summary", "restored_from"]))
    if changes is not None and fmt == "table":
        tr = cli_translator()
        click.echo("\n" + tr.gettext("Changes since version {version}:").format(version=diff_from))
        click.echo("\n".join(f"  - {c}" for c in changes) or "  " + tr.gettext("(none)"))


@plan.command("export")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--to", "fmt", type=click.Choice(exports.FORMATS), required=True,
              help=N_("geojson or gpkg (for GIS), html or pdf (printable report)."))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("File to write. Default: plan-ID.FORMAT in this folder."))
@db_option
@handle_errors
def export_cmd(plan_ref: str, fmt: str, out: Path | None, db: Path) -> None:
    """Export PLAN as GeoJSON, a GeoPackage, or a printable HTML or PDF report."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        path = exports.export(store, plan_id, out or Path(f"plan-{plan_id}.{fmt}"), fmt, language=cli_translator().code)
    click.echo(cli_translator().gettext("Wrote plan {id} as {format} to {path}").format(id=plan_id, format=fmt,
                                                                                        path=path))


APP_URL_ENV_VAR = "ATLAS_APP_URL"
"""Where a shell sets the app's address, for the QR codes of a printed workshop pack."""


@plan.command("pack")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--size", type=click.Choice(list(workshop_pack.PAPER_SIZES), case_sensitive=False), default="A4",
              show_default=True, help=N_("Paper size: A4, or A3 for a wall or a table."))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help=N_("The PDF file to write."))
@click.option("--language", "pack_language", type=click.Choice(list(LANGUAGES)), default=None,
              help=N_("The language the pack is printed in. Default: the place's language."))
@click.option("--url", "app_url", envvar=APP_URL_ENV_VAR, default="http://localhost:8501", show_default=True,
              help=N_("The app's address, which the cards' QR codes open. Also read from $ATLAS_APP_URL."))
@author_option
@db_option
@handle_errors
def pack_cmd(plan_ref: str, size: str, out: Path, pack_language: str | None, app_url: str, author: str,
             db: Path) -> None:
    """A printable workshop pack of PLAN: the site map with a letter-number grid, the nearby
    assets, the workshop's questions, and idea cards with a QR code. Opens a workshop code
    if the plan has none open."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        pdf = workshop_pack.build_pack(store, plan_id, size=size, base_url=app_url, by=author,
                                       language=pack_language)
        code = workshop_pack.pack_workshop(store, plan_id, by=author).code
    out.write_bytes(pdf)
    click.echo(cli_translator().gettext("Wrote the {size} workshop pack of plan {id} to {path} (workshop code "
                                        "{code}).").format(size=size.upper(), id=plan_id, path=out, code=code))


@plan.command("paper-idea")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--square", required=True, help=N_("The grid square written on the card, such as B3."))
@click.option("--text", required=True, help=N_("The idea, as written on the card."))
@click.option("--category", type=click.Choice(IDEA_CATEGORIES), default="idea", show_default=True,
              help=N_("What kind of contribution the card is."))
@click.option("--written-by", "written_by", default=None,
              help=N_("The name on the card, if the writer gave one. Default: anonymous."))
@author_option
@db_option
@handle_errors
def paper_idea_cmd(plan_ref: str, square: str, text: str, category: str, written_by: str | None, author: str,
                   db: Path) -> None:
    """Type in an idea written on a paper card of PLAN's workshop pack: it is stored at the
    centre of its grid square and marked as from paper."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        idea = workshop_pack.add_paper_idea(store, plan_id, square, text, category=category, author=written_by,
                                            typed_by=author)
        square_label = idea.paper_square
    click.echo(cli_translator().gettext("Added idea {id} to plan {plan} from a paper card, at square {square}.")
               .format(id=idea.id, plan=plan_id, square=square_label))


COMMANDS = (plan,)
