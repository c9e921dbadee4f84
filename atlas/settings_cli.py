"""``atlas settings``: show and change the place's name, default language, currency and
macro thresholds, a thin command over :mod:`atlas.place_settings`.

Every value is checked before anything is written, and the changes are made in one
transaction, so a refused value leaves the store as it was. A new currency or threshold
reclassifies every asset; the command says how many changed scale."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from babel.numbers import is_currency

from atlas import i18n, output, place_settings
from atlas.access import command_line
from atlas.classify import Thresholds
from atlas.cli_support import (
    JSON_OR_TABLE,
    cli_store,
    cli_translator,
    db_option,
    format_choice,
    handle_errors,
    remember_store_language,
)
from atlas.errors import InvalidInput
from atlas.ground import walking
from atlas.i18n import N_, Translator
from atlas.store import StoreSettings


def _check(place: str | None, language: str | None, currency: str | None, employees: int | None,
           spend: float | None, land_ha: float | None, tr: Translator) -> None:
    """Refuse a bad value, naming its option, before anything is written."""
    if place is not None and (not place.strip() or len(place.strip()) > 200):
        raise InvalidInput(tr.gettext("--place: give the place's name, under 200 characters."))
    if language is not None and i18n.supported(language) != language.strip().lower():
        raise InvalidInput(tr.gettext("--language: {value!r} is not a language we have; choose one of {known}.")
                           .format(value=language, known=", ".join(i18n.LANGUAGES)))
    if currency is not None and not is_currency(currency.strip().upper()):
        raise InvalidInput(tr.gettext("--currency: {value!r} is not an ISO 4217 currency code such as EUR or GBP.")
                           .format(value=currency))
    for option, value in (("--employees", employees), ("--spend", spend), ("--land-ha", land_ha)):
        if value is not None and not value >= 0:  # "not >=" also refuses NaN
            raise InvalidInput(tr.gettext("{option}: give a number of zero or more.").format(option=option))


def _as_json(s: StoreSettings) -> dict[str, object]:
    t = s.thresholds
    return {"place": s.place, "language": s.language or i18n.SOURCE_LANGUAGE, "currency": t.currency,
            "employees": t.employees, "spend": t.spend, "land_ha": t.land_ha}


def _rows(s: StoreSettings, tr: Translator) -> list[dict[str, str]]:
    t = s.thresholds
    language = s.language or i18n.SOURCE_LANGUAGE
    return [
        {"what": tr.gettext("place"), "value": s.place or tr.gettext("not set")},
        {"what": tr.gettext("default language"), "value": f"{language} ({i18n.LANGUAGES[language]})"},
        {"what": tr.gettext("currency"), "value": t.currency},
        {"what": tr.gettext("macro: employees over"), "value": tr.number(t.employees)},
        {"what": tr.gettext("macro: spend a year over"), "value": tr.money(t.spend, t.currency)},
        {"what": tr.gettext("macro: land over"), "value": tr.area_m2(t.land_ha * 10_000)},
    ]


@click.command("settings")
@click.option("--place", help=N_("The place's name, as the app and reports show it."))
@click.option("--language", metavar="CODE",
              help=N_("The place's default language: en, de, fr, es, it, nl, pl, ar or ur."))
@click.option("--currency", help=N_("The ISO 4217 code of the place's money, such as EUR; reclassifies every asset."))
@click.option("--employees", type=int,
              help=N_("Macro when an asset employs more than this many people; reclassifies every asset."))
@click.option("--spend", type=float,
              help=N_("Macro when an asset spends more than this a year, in the currency; reclassifies every asset."))
@click.option("--land-ha", "land_ha", type=float,
              help=N_("Macro when an asset holds more than this many hectares; reclassifies every asset."))
@click.option("--walking-speed", "walking_speed_kmh", type=float, metavar="KMH",
              help=N_("Walking pace in km/h for walking times and catchments (4.8 by default; "
                      "about 3 with a pushchair)."))
@db_option
@format_choice(JSON_OR_TABLE, N_("How to print the settings."))
@handle_errors
def settings_cmd(place: str | None, language: str | None, currency: str | None, employees: int | None,
                 spend: float | None, land_ha: float | None, walking_speed_kmh: float | None, db: Path,
                 fmt: str) -> None:
    """Show the place's settings (name, default language, currency, macro thresholds, walking
    speed), or change those given. A new currency or threshold reclassifies every asset."""
    changed: int | None = None
    with cli_store(db) as store:
        tr = cli_translator()
        _check(place, language, currency, employees, spend, land_ha, tr)
        by = command_line().label
        with store.transaction():
            if place is not None:
                place_settings.set_place(store, place, by=by)
            if language is not None:
                place_settings.set_language(store, language, by=by)
            if any(v is not None for v in (currency, employees, spend, land_ha)):
                now = store.settings.thresholds
                new = dataclasses.replace(
                    now, currency=(currency or now.currency).strip().upper(),
                    employees=now.employees if employees is None else employees,
                    spend=now.spend if spend is None else spend,
                    land_ha=now.land_ha if land_ha is None else land_ha)
                changed = place_settings.set_thresholds(store, Thresholds(**dataclasses.asdict(new)), by=by)
            if walking_speed_kmh is not None:
                walking.set_walking_speed(store, walking_speed_kmh, by=by)
        result = place_settings.read(store)
        speed = walking.walking_speed(store)
        remember_store_language(store)  # a new default language speaks from this answer on
        tr = cli_translator()
    if fmt == "json":
        extra = {} if changed is None else {"changed_scale": changed}
        click.echo(output.to_json({**_as_json(result), "walking_speed_kmh": speed, **extra}))
        return
    rows = [*_rows(result, tr), {"what": tr.gettext("walking speed"), "value": f"{tr.number(speed, digits=1)} km/h"}]
    click.echo(output.table(rows, ["what", "value"],
                            headers={"what": tr.gettext("setting"), "value": tr.gettext("value")}))
    if changed is not None:
        click.echo(tr.ngettext("Reclassified every asset: {count} asset changed scale.",
                               "Reclassified every asset: {count} assets changed scale.", changed)
                   .format(count=tr.number(changed)))


COMMANDS = (settings_cmd,)
