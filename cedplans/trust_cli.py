"""``atlas person erase``, ``atlas history`` and ``atlas workshop``: people's records, the
audit trail, and workshop join codes."""

from __future__ import annotations

from pathlib import Path

import click

from atlas import access, audit, output
from atlas.cli_support import (
    cli_store,
    cli_translator,
    confidential_option,
    db_option,
    format_option,
    handle_errors,
)
from atlas.i18n import N_
from cedplans import erasure, workshops
from cedplans.cli import author_option


@click.group("person")
def person() -> None:
    """People recorded as human assets."""


@person.command("erase")
@click.argument("asset_id", type=int)
@click.option("--ideas-by", "idea_authors", multiple=True,
              help=N_("A name the person signed workshop ideas with (repeat for several); their ideas go too."))
@click.option("--yes", is_flag=True, help=N_("Do not ask for confirmation."))
@author_option
@db_option
@handle_errors
def erase(asset_id: int, idea_authors: tuple[str, ...], yes: bool, author: str, db: Path) -> None:
    """Erase person ASSET_ID everywhere (right to erasure); only the fact of an erasure is kept."""
    if not yes:
        click.confirm(cli_translator().gettext(
            "Erase person {id} and everything about them? This cannot be undone").format(id=asset_id), abort=True)
    with cli_store(db) as store:
        done = erasure.erase_person(store, asset_id, by=author, idea_authors=idea_authors)
    tr = cli_translator()
    click.echo(tr.gettext(
        "Erased person {id}: {needs_offers} needs and offers, {decisions} match decisions, {versions} plan versions "
        "changed, {ideas} ideas, {entries} history entries. The history records that an erasure happened, not "
        "whom it was about.").format(id=asset_id, needs_offers=tr.number(done.needs_offers),
                                     decisions=tr.number(done.decisions), versions=tr.number(done.plan_versions),
                                     ideas=tr.number(done.ideas), entries=tr.number(done.audit_entries)))


@click.command("history")
@click.argument("entity", type=click.Choice(["asset", "plan", "idea", "need", "offer", "user", "settings", "all"]))
@click.argument("record_id", required=False)
@click.option("--limit", type=int, default=200, show_default=True)
@confidential_option
@db_option
@format_option
@handle_errors
def history(entity: str, record_id: str | None, limit: int, include_confidential: bool, db: Path, fmt: str) -> None:
    """Who changed what and when: one record's history (an asset's includes its needs and
    offers), or the latest changes to a kind of record, or to anything (all)."""
    viewer = access.command_line(include_confidential)
    with cli_store(db) as store:
        if entity == "asset" and record_id:
            changes = audit.asset_history(store, int(record_id), viewer=viewer)
        elif record_id:
            changes = audit.history(store, entity, record_id, viewer=viewer)
        else:
            changes = audit.recent(store, viewer=viewer, entity=None if entity == "all" else entity, limit=limit)
    rows = [{"at": c.at, "by": c.actor, "role": c.role or "", "what": c.entity, "id": c.entity_id or "",
             "action": c.action, "summary": c.summary,
             **({"before": c.before, "after": c.after} if fmt == "json" else {})}
            for c in changes]
    click.echo(output.render(rows, fmt, ["at", "by", "role", "what", "id", "action", "summary"],
                             none=cli_translator().gettext("(none)")))


@click.group("workshop")
def workshop() -> None:
    """Workshop join codes for the projector."""


@workshop.command("open")
@click.argument("plan_id", type=int)
@click.option("--hours", type=float, default=4.0, show_default=True, help=N_("How long the code lets people in."))
@click.option("--url", default="http://localhost:8501/workshop", show_default=True,
              help=N_("The app's workshop page, for the QR code."))
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Write the QR code to this .svg or .png file."))
@author_option
@db_option
@handle_errors
def open_cmd(plan_id: int, hours: float, url: str, qr_path: Path | None, author: str, db: Path) -> None:
    """Open PLAN_ID's workshop: prints a join code and its link."""
    with cli_store(db) as store:
        w = workshops.open_workshop(store, plan_id, by=author, hours=hours)
    link = f"{url}?code={w.code}"
    if qr_path is not None:
        data = workshops.qr_png(link) if qr_path.suffix.lower() == ".png" else workshops.qr_svg(link).encode()
        qr_path.write_bytes(data)
    tr = cli_translator()
    click.echo(tr.gettext("Workshop code {code} for plan {plan}, until {time} on {date} UTC: {link}").format(
        code=w.code, plan=plan_id, time=f"{w.expires_at:%H:%M}", date=tr.date(w.expires_at), link=link))


@workshop.command("close")
@click.argument("code")
@author_option
@db_option
@handle_errors
def close_cmd(code: str, author: str, db: Path) -> None:
    """Close a workshop code before it runs out."""
    with cli_store(db) as store:
        workshops.close_workshop(store, code, by=author)
    click.echo(cli_translator().gettext("Closed workshop code {code}.").format(code=workshops.normalise(code)))


COMMANDS = [person, history, workshop]
