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
from atlas.cli_support import JSON_OR_TABLE, SITE, cli_store, db_option, format_choice, format_option, handle_errors
from atlas.errors import InvalidInput, NotFound
from atlas.site_refs import SiteQuery
from atlas.store import Store
from cedplans import document, exports, repository, workflow
from cedplans.model import Plan


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "atlas command line"


author_option = click.option(
    "--author", default=_default_author, show_default="your user name", envvar="ATLAS_AUTHOR",
    help="Who is making the change, for the plan's history. Also read from $ATLAS_AUTHOR.",
)


def _plan_id(store: Store, ref: str) -> int:
    """A plan given by number or by its exact title (case ignored)."""
    if ref.strip().isdigit():
        return int(ref)
    matches = [p for p in repository.list_plans(store) if p.title.casefold() == ref.strip().casefold()]
    if not matches:
        raise NotFound(f"No plan is called {ref!r}. List the plans with: atlas plan list")
    return matches[0].id


@click.group("plan")
def plan() -> None:
    """Community economic development plans: create, list, show, history and export."""


@plan.command("new")
@click.argument("title")
@click.option("--site", type=SITE, help='The plan\'s site: an atlas site by name or "feature:ID".')
@click.option("--vision", default="", help="The plan's vision, in a sentence or two.")
@click.option("--status", type=click.Choice(["idea", "draft"]), default="idea", show_default=True,
              help="Where the plan starts.")
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
                raise InvalidInput(f"{str(site)!r} is not an atlas site; give a site's name or feature:ID "
                                   "(find one with: atlas search WORD).")
            site_id = found.id
        created = repository.create_plan(store, Plan(title=title, status=status, site_feature_id=site_id,
                                                     vision=vision), author=author)
    click.echo(f"Created plan {created.id}: {created.title} ({created.status}, version {created.version}).")


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
@click.option("--version", "version", type=int, help="Show this version instead of the latest.")
@format_choice(JSON_OR_TABLE, "How to print the plan.")
@db_option
@handle_errors
def show(plan_ref: str, version: int | None, fmt: str, db: Path) -> None:
    """Show PLAN (its number or title): vision, partners, zones, actions, indicators, ideas."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        p = repository.get_plan(store, plan_id, version)
        every_idea = repository.list_ideas(store, plan_id, include_hidden=True)
    ideas = [i for i in every_idea if not i.hidden]
    hidden = len(every_idea) - len(ideas)
    if fmt == "json":
        doc = document.to_document(p)
        doc.update(id=p.id, version=p.version, saved_by=p.saved_by, saved_at=p.saved_at,
                   ideas=[{"id": i.id, "text": i.text, "category": i.category, "author": i.author,
                           "votes": i.votes, "zone_id": i.zone_id} for i in ideas])
        click.echo(output.to_json(doc))
        return
    nxt = workflow.next_statuses(p.status)
    lines = [
        f"Plan {p.id}: {p.title}",
        f"Status: {p.status}" + (f" (can move to: {', '.join(nxt)})" if nxt else "")
        + f". Version {p.version}, saved by {p.saved_by} on {p.saved_at:%Y-%m-%d %H:%M} UTC.",
        f"Site: {p.site_name or 'none yet'}",
        "",
        f"Vision: {p.vision or '(none yet)'}",
    ]
    lines += [f"  {i}. {o}" for i, o in enumerate(p.objectives, 1)]
    sections: list[tuple[str, list[dict[str, Any]]]] = [
        ("Macro assets", [{"asset": f.asset_name, "kind": f.kind, "problem or opportunity": f.text}
                          for f in p.macro_focus]),
        ("Partners", [{"organisation": x.asset_name, "role": x.role, "note": x.note} for x in p.partners]),
        ("Zones", [{"no": n, "zone": z.label, "use": z.use, "size": z.size_text}
                   for n, z in enumerate(p.zones, 1)]),
        ("Actions", [{"what": a.what, "who": a.who, "by when": a.by_when.isoformat() if a.by_when else "",
                      "status": a.status} for a in p.actions]),
        ("Indicators", [{"indicator": i.name, "target": i.target, "actual": i.actual, "unit": i.unit}
                        for i in p.indicators]),
        ("Workshop ideas", [{"votes": i.votes, "idea": i.text, "category": i.category, "from": i.by}
                            for i in ideas]),
    ]
    for title, rows in sections:
        lines += ["", f"{title} ({len(rows)})", output.table(rows)]
    if hidden:
        lines.append(f"({hidden} hidden by moderators)")
    click.echo("\n".join(lines))


@plan.command("history")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--diff", "diff_from", type=int, metavar="VERSION",
              help="Also list what changed from VERSION to the latest.")
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
        click.echo(f"\nChanges since version {diff_from}:")
        click.echo("\n".join(f"  - {c}" for c in changes) or "  (none)")


@plan.command("export")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--to", "fmt", type=click.Choice(exports.FORMATS), required=True,
              help="geojson or gpkg (for GIS), html or pdf (printable report).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write. Default: plan-ID.FORMAT in this folder.")
@db_option
@handle_errors
def export_cmd(plan_ref: str, fmt: str, out: Path | None, db: Path) -> None:
    """Export PLAN as GeoJSON, a GeoPackage, or a printable HTML or PDF report."""
    with cli_store(db) as store:
        plan_id = _plan_id(store, plan_ref)
        path = exports.export(store, plan_id, out or Path(f"plan-{plan_id}.{fmt}"), fmt)
    click.echo(f"Wrote plan {plan_id} as {fmt} to {path}")


COMMANDS = (plan,)
