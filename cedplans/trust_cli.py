"""``atlas person erase``, ``atlas history`` and ``atlas workshop``: people's records, the
audit trail, and workshop join codes."""

from __future__ import annotations

from pathlib import Path

import click

from atlas import access, audit, output
from atlas.cli_support import (
    cli_store,
    confidential_option,
    db_option,
    format_option,
    handle_errors,
)
from cedplans import erasure, workshops
from cedplans.cli import author_option


@click.group("person")
def person() -> None:
    """People recorded as human assets."""


@person.command("erase")
@click.argument("asset_id", type=int)
@click.option("--ideas-by", "idea_authors", multiple=True,
              help="A name the person signed workshop ideas with (repeat for several); their ideas go too.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@author_option
@db_option
@handle_errors
def erase(asset_id: int, idea_authors: tuple[str, ...], yes: bool, author: str, db: Path) -> None:
    """Erase person ASSET_ID everywhere (right to erasure); only the fact of an erasure is kept."""
    if not yes:
        click.confirm(f"Erase person {asset_id} and everything about them? This cannot be undone", abort=True)
    with cli_store(db) as store:
        done = erasure.erase_person(store, asset_id, by=author, idea_authors=idea_authors)
    click.echo(f"Erased person {asset_id}: {done.needs_offers} needs and offers, {done.decisions} match decisions, "
               f"{done.plan_versions} plan versions changed, {done.ideas} ideas, {done.audit_entries} history "
               "entries. The history records that an erasure happened, not whom it was about.")


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
    click.echo(output.render(rows, fmt, ["at", "by", "role", "what", "id", "action", "summary"]))


@click.group("workshop")
def workshop() -> None:
    """Workshop join codes for the projector."""


@workshop.command("open")
@click.argument("plan_id", type=int)
@click.option("--hours", type=float, default=4.0, show_default=True, help="How long the code lets people in.")
@click.option("--url", default="http://localhost:8501/workshop", show_default=True,
              help="The app's workshop page, for the QR code.")
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the QR code to this .svg or .png file.")
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
    click.echo(f"Workshop code {w.code} for plan {plan_id}, until {w.expires_at:%H:%M on %d %b %Y} UTC: {link}")


@workshop.command("close")
@click.argument("code")
@author_option
@db_option
@handle_errors
def close_cmd(code: str, author: str, db: Path) -> None:
    """Close a workshop code before it runs out."""
    with cli_store(db) as store:
        workshops.close_workshop(store, code, by=author)
    click.echo(f"Closed workshop code {workshops.normalise(code)}.")


COMMANDS = [person, history, workshop]
