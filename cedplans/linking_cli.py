"""``atlas match``, ``atlas tenants``, ``atlas dossier``, ``atlas needs``/``offers`` and
``atlas vocabulary``: linking macro and micro assets from the terminal.

Thin commands over :mod:`cedplans.matching`, :mod:`cedplans.linking`,
:mod:`cedplans.tenants`, :mod:`cedplans.dossier_exports` and :mod:`atlas.vocabulary`;
registered on the ``atlas`` command by :mod:`atlas_cli`.
"""

from __future__ import annotations

from pathlib import Path

import click

from atlas import access, needs_offers, output, vocabulary
from atlas.classify import money
from atlas.cli_support import (
    SITE,
    SiteCommand,
    cli_store,
    cli_translator,
    confidential_option,
    db_option,
    format_option,
    handle_errors,
)
from atlas.errors import InvalidInput
from atlas.i18n import N_
from atlas.models import NEED_OFFER_STATUSES, OPEN_STATUSES, NeedOffer
from atlas.site_refs import SiteQuery
from cedplans import dossier_exports, linking, tenants
from cedplans.cli import author_option
from cedplans.matching import DEFAULT_TOP, Match, MatchIndex, Ranking
from cedplans.repository import find_asset_id


def _side(item: NeedOffer) -> dict:
    return {"id": item.id, "asset_id": item.asset_id, "asset": item.asset_name, "kind": item.kind, "title": item.title}


def _match_json(m: Match) -> dict:
    return {"need": _side(m.need), "offer": _side(m.offer), "score": m.score, "distance_m": m.distance_m,
            "why": m.why, "gaps": list(m.gaps), "components": m.components.__dict__, "cross_scale": m.cross_scale,
            "decision": m.decision}


_CSV_COLUMNS = ["need_id", "need_asset", "need", "offer_id", "offer_asset", "offer", "score", "vocabulary", "text",
                "size", "distance", "recency", "scale", "distance_m", "why", "gaps", "decision"]


def _print_ranking(ranking: Ranking, fmt: str) -> None:
    if fmt == "json":
        data: dict = {"matches": [_match_json(m) for m in ranking.matches]}
        if not ranking.matches:
            data["message"] = ranking.message
        click.echo(output.to_json(data))
        return
    if fmt == "csv":
        click.echo(output.to_csv([{
            "need_id": m.need.id, "need_asset": m.need.asset_name, "need": m.need.title, "offer_id": m.offer.id,
            "offer_asset": m.offer.asset_name, "offer": m.offer.title, "score": m.score, **m.components.__dict__,
            "distance_m": m.distance_m, "why": m.why, "gaps": list(m.gaps), "decision": m.decision or "",
        } for m in ranking.matches], _CSV_COLUMNS))
        return
    tr = cli_translator()
    if not ranking.matches:
        click.echo(ranking.message or tr.gettext("No match."))
        return
    rows = [{"#": n, "score": f"{m.score:.2f}", "need": f"{m.need.id} {m.need.asset_name}: {m.need.title}"[:60],
             "offer": f"{m.offer.id} {m.offer.asset_name}: {m.offer.title}"[:60],
             "apart": m.distance_m, "decided": m.decision or ""} for n, m in enumerate(ranking.matches, 1)]
    click.echo(output.table(rows))
    click.echo("")
    for n, m in enumerate(ranking.matches, 1):
        c = m.components
        click.echo(f"{n}. {m.why}")
        click.echo("   " + tr.gettext(
            "score {score} = vocabulary {vocabulary}, text {text}, size {size}, distance {distance}, recency "
            "{recency}, scale {scale} (weighted)").format(
            score=tr.number(m.score, digits=2), vocabulary=tr.number(c.vocabulary, digits=2),
            text=tr.number(c.text, digits=2), size=tr.number(c.size, digits=2),
            distance=tr.number(c.distance, digits=2), recency=tr.number(c.recency, digits=2),
            scale=tr.number(c.scale)))
        for gap in m.gaps:
            click.echo(f"   - {gap}")


@click.group("match", invoke_without_command=True)
@click.option("--need", "need_id", type=int, help=N_("Rank the offers for this need (its id)."))
@click.option("--offer", "offer_id", type=int, help=N_("Rank the needs this offer could meet (its id)."))
@click.option("--asset", help=N_("Rank matches for every open need and offer of this asset (its name)."))
@click.option("--top", type=click.IntRange(1, 1000), default=DEFAULT_TOP, show_default=True,
              help=N_("How many matches (per need or offer)."))
@click.option("--radius", "radius_m", type=click.FloatRange(1, 100_000), help=N_("Only pairs within this many metres."))
@db_option
@format_option
@click.pass_context
@handle_errors
def match(ctx: click.Context, need_id: int | None, offer_id: int | None, asset: str | None, top: int,
          radius_m: float | None, db: Path, fmt: str) -> None:
    """Offers that can meet needs, best first, each with why and what does not fit.

    \b
    Examples:
      atlas match                              the best match of every open need
      atlas match --need 1 --format json       offers for need 1
      atlas match --asset "Port Loop housing developer"
      atlas match accept 1 62 --reason "Met both; they will talk in May"
    """
    if ctx.invoked_subcommand is not None:
        return
    if sum(x is not None for x in (need_id, offer_id, asset)) > 1:
        raise InvalidInput(cli_translator().gettext("Ask about one thing: --need, --offer or --asset."))
    with cli_store(db) as store:
        index = MatchIndex.build(store)
        if need_id is not None:
            ranking = index.for_need(need_id, top=top, radius_m=radius_m)
        elif offer_id is not None:
            ranking = index.for_offer(offer_id, top=top, radius_m=radius_m)
        elif asset is not None:
            ranking = index.for_asset(find_asset_id(store, asset), top=top, radius_m=radius_m)
        else:
            ranking = index.best(top=top, radius_m=radius_m)
    _print_ranking(ranking, fmt)


def _decision_command(name: str, decision: str, help_text: str) -> None:
    @match.command(name, help=help_text)
    @click.argument("need_id", type=int)
    @click.argument("offer_id", type=int)
    @click.option("--reason", required=True, help=N_("Why: kept with the decision (confidential)."))
    @author_option
    @db_option
    @handle_errors
    def command(need_id: int, offer_id: int, reason: str, author: str, db: Path) -> None:
        with cli_store(db) as store:
            score = None
            if decision == "accepted":
                index = MatchIndex.build(store)
                score = index.pair(need_id, offer_id).score
            d = linking.decide(store, need_id, offer_id, decision, reason=reason, by=author, score=score)
        click.echo(cli_translator().gettext("Need {need} and offer {offer}: {decision} by {by}.").format(
            need=d.need_id, offer=d.offer_id, decision=d.decision, by=d.decided_by))


_decision_command("accept", "accepted", N_("Accept the match of NEED_ID and OFFER_ID (with a reason)."))
_decision_command("reject", "rejected", N_("Turn down the match of NEED_ID and OFFER_ID; it is not suggested again."))
_decision_command("reopen", "reopened",
                  N_("Undo a decision on NEED_ID and OFFER_ID: the pair may be suggested again."))


@match.command("plan")
@click.argument("need_id", type=int)
@click.argument("offer_id", type=int)
@author_option
@db_option
@handle_errors
def match_plan(need_id: int, offer_id: int, author: str, db: Path) -> None:
    """Turn the accepted match of NEED_ID and OFFER_ID into a draft plan."""
    with cli_store(db) as store:
        plan = linking.plan_from_match(store, need_id, offer_id, by=author)
    click.echo(cli_translator().gettext(
        "Plan {id} “{title}” started as a draft with {partners} partners. Open it with: atlas plan show {id}").format(
        id=plan.id, title=plan.title, partners=len(plan.partners)))


def _rent(value: str) -> tuple[str, float | None]:
    text = value.strip().lower()
    if text in ("free", "peppercorn"):
        return text, None
    try:
        return "amount", float(text.replace(",", "").lstrip("£€$"))
    except ValueError:
        raise InvalidInput(cli_translator().gettext(
            "--rent {value!r}: say free, peppercorn or an amount a year such as 3000.").format(value=value)) from None


@click.command("tenants")
@click.option("--site", type=SITE, required=True,
              help=N_('Where the space is: an atlas site\'s name, "feature:ID" or "lon,lat".'))
@click.option("--area", "area_m2", type=float, required=True, help=N_("Floor area, in square metres."))
@click.option("--use", "uses", required=True, help=N_('Uses it suits, separated by ";": "community hall;co-working".'))
@click.option("--rent", default="free", show_default=True, help=N_("free, peppercorn, or an amount a year."))
@click.option("--hours", "hours_per_week", type=float, help=N_("Hours a week it can be used (default: any time)."))
@click.option("--step-free", is_flag=True, help=N_("The space has step-free access."))
@click.option("--name", default="", help=N_("A name for the space, such as 'the old pump house'."))
@click.option("--top", type=click.IntRange(1, 500), default=tenants.DEFAULT_TOP, show_default=True)
@click.option("--radius", "radius_m", type=click.FloatRange(1, 100_000),
              help=N_("Only groups within this many metres."))
@click.option("--save", "save_as", help=N_("Save every candidate that fits as a shortlist with this name."))
@author_option
@db_option
@format_option
@handle_errors
def tenants_cmd(site: SiteQuery, area_m2: float, uses: str, rent: str, hours_per_week: float | None, step_free: bool,
                name: str, top: int, radius_m: float | None, save_as: str | None, author: str, db: Path,
                fmt: str) -> None:
    """Community groups and social enterprises whose space needs a space could meet, nearest first.

    \b
    Example:
      atlas tenants --site "Port Loop historic building" --area 300 --use "community hall;co-working" --rent free
    """
    kind, amount = _rent(rent)
    space = tenants.SpaceDescription(site=site, area_m2=area_m2, uses=needs_offers.parse_tags(uses), rent=kind,
                                     rent_per_year=amount, hours_per_week=hours_per_week, step_free=step_free,
                                     name=name)
    with cli_store(db) as store:
        search = tenants.find_tenants(store, MatchIndex.build(store), space, top=top, radius_m=radius_m)
        currency = store.settings.thresholds.currency
        saved = None
        fitting = [t.need_id for t in search.tenants if t.fits]
        if save_as and fitting:
            saved = tenants.save_shortlist(store, save_as, search, fitting, by=author)
    if fmt == "json":
        click.echo(output.to_json({
            "space": {"site": search.site_name, "lon": search.lon, "lat": search.lat, "area_m2": space.area_m2,
                      "uses": list(space.uses), "rent": space.rent, "rent_per_year": space.annual_rent,
                      "hours_per_week": space.hours_per_week, "step_free": space.step_free},
            "tenants": [{"asset_id": t.asset_id, "asset": t.asset, "need_id": t.need_id, "need": t.need,
                         "score": t.score, "distance_m": t.distance_m, "fits": t.fits, "why": t.why,
                         "gaps": list(t.gaps)} for t in search.tenants],
            **({"message": search.message} if search.message else {}),
            **({"shortlist_id": saved} if saved else {}),
        }))
        return
    if fmt == "csv":
        click.echo(tenants.to_csv(search.tenants).rstrip("\n"))
        return
    tr = cli_translator()
    click.echo(tr.gettext("Tenants for {area} m² at {site} ({uses}; {rent}):").format(
        area=tr.number(space.area_m2), site=search.site_name, uses=", ".join(space.uses),
        rent=space.rent_words(lambda v: money(v, currency))) + "\n")
    if not search.tenants:
        click.echo(search.message or tr.gettext("None."))
    rows = [{"fits": "yes" if t.fits else "partly", "distance_m": t.distance_m, "asset": t.asset, "need": t.need,
             "m2": t.need_area_m2, "score": f"{t.score:.2f}", "need_id": t.need_id} for t in search.tenants]
    if rows:
        click.echo(output.table(rows))
        click.echo("")
        for t in search.tenants:
            if t.gaps:
                click.echo(f"- {t.asset}: " + " ".join(t.gaps))
    if saved:
        click.echo("\n" + tr.gettext("Saved the {count} that fit as shortlist {id} “{name}”.").format(
            count=len(fitting), id=saved, name=save_as))
    elif save_as:
        click.echo("\n" + tr.gettext("Nothing fits, so no shortlist was saved."))


@click.command("dossier", cls=SiteCommand)
@click.argument("site", type=SITE)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help=N_("The file to write: .pdf, .html or .gpkg (for QGIS)."))
@click.option("--radius", "radius_m", type=click.FloatRange(10, 20_000), default=800.0, show_default=True,
              help=N_("How far around the site to look, in metres."))
@confidential_option
@db_option
@handle_errors
def dossier_cmd(site: SiteQuery, out: Path, radius_m: float, include_confidential: bool, db: Path) -> None:
    """Write the dossier of SITE for a land negotiation: facts, ACV status, plans and their
    evidence, assets, needs, offers and matches around it."""
    dossier_exports.fmt_of(out)
    with cli_store(db) as store:
        path = dossier_exports.export_dossier(store, site, out, radius_m=radius_m,
                                              viewer=access.command_line(include_confidential),
                                              language=cli_translator().code)
    tr = cli_translator()
    click.echo(tr.gettext("Wrote the dossier to {path}.").format(path=path)
               + (" " + tr.gettext("It holds confidential notes: share it with officers only.")
                  if include_confidential else ""))


def _listing(side: str):
    @click.command(f"{side}s")
    @click.option("--asset", help=N_("Only this asset's (by name)."))
    @click.option("--all", "all_", is_flag=True, help=N_("Met and closed ones too, not only open ones."))
    @db_option
    @format_option
    @handle_errors
    def command(asset: str | None, all_: bool, db: Path, fmt: str) -> None:
        with cli_store(db) as store:
            statuses = NEED_OFFER_STATUSES if all_ else OPEN_STATUSES
            if asset:
                items = [i for i in needs_offers.for_asset(store, find_asset_id(store, asset))
                         if i.side == side and i.status in statuses]
            else:
                items = needs_offers.listing(store, side=side, statuses=statuses)
        rows = [{"id": i.id, "asset": i.asset_name, "kind": i.kind, "title": i.title, "status": i.status,
                 "quantity": i.quantity, "unit": i.unit, "area_m2": i.area_m2, "annual_value": i.annual_value,
                 "tags": i.tags, "recorded_by": i.recorded_by} for i in items]
        click.echo(output.render(rows, fmt, ["id", "asset", "kind", "title", "status", "quantity", "unit", "area_m2",
                                             "annual_value", "tags", "recorded_by"]))

    command.help = f"List the {side}s of the atlas (open ones unless --all)."
    return command


needs_cmd = _listing("need")
offers_cmd = _listing("offer")


@click.group("vocabulary")
def vocabulary_cmd() -> None:
    """The shared vocabulary of needs and offers: list it, or add to it for this store."""


@vocabulary_cmd.command("list")
@db_option
@format_option
@handle_errors
def vocabulary_list(db: Path, fmt: str) -> None:
    """Every category with its synonyms and related categories."""
    with cli_store(db) as store:
        voc = vocabulary.load(store)
    rows = [{"category": c.id, "label": c.label, "synonyms": list(c.synonyms), "related": list(c.related),
             "added here": "yes" if c.local else ""} for c in voc.categories.values()]
    click.echo(output.render(rows, fmt))


@vocabulary_cmd.command("add")
@click.argument("category")
@click.option("--label", help=N_("What people read (needed for a new category)."))
@click.option("--synonym", "synonyms", multiple=True, help=N_("Another word for it (repeat for more)."))
@click.option("--related", "related", multiple=True, help=N_("A related category's id (repeat for more)."))
@author_option
@db_option
@handle_errors
def vocabulary_add(category: str, label: str | None, synonyms: tuple[str, ...], related: tuple[str, ...],
                   author: str, db: Path) -> None:
    """Add CATEGORY to this store's vocabulary, or synonyms and relations to it."""
    with cli_store(db) as store:
        cat = vocabulary.add_terms(store, category, label=label, synonyms=synonyms, related=related, added_by=author)
    tr = cli_translator()
    click.echo(tr.gettext("{id} ({label}): {count} synonyms, related to {related}.").format(
        id=cat.id, label=cat.label, count=len(cat.synonyms), related=", ".join(cat.related) or tr.gettext("none")))


COMMANDS = (match, tenants_cmd, dossier_cmd, needs_cmd, offers_cmd, vocabulary_cmd)
