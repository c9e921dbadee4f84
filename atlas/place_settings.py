"""A place's settings: its name, currency and the macro thresholds, changed with a record
in the audit trail. Changing the thresholds reclassifies every asset."""

from __future__ import annotations

from dataclasses import asdict

from atlas import audit, i18n, writes
from atlas.classify import Thresholds
from atlas.errors import InvalidInput
from atlas.store import Store, StoreSettings


def set_thresholds(store: Store, thresholds: Thresholds, *, by: str) -> int:
    """Change the macro thresholds (and currency) and reclassify every asset.
    Returns how many assets changed scale."""
    if thresholds.employees < 0 or thresholds.spend < 0 or thresholds.land_ha < 0:
        raise InvalidInput("Thresholds are numbers of zero or more.")
    if len(thresholds.currency.strip()) != 3 or not thresholds.currency.strip().isalpha():
        raise InvalidInput(f"currency: {thresholds.currency!r} is not a three-letter ISO 4217 code such as EUR.")
    before = store.settings.thresholds
    with store.transaction():
        store.set_meta("macro_employees", str(thresholds.employees))
        store.set_meta("macro_spend", repr(float(thresholds.spend)))
        store.set_meta("macro_land_ha", repr(float(thresholds.land_ha)))
        store.set_meta("currency", thresholds.currency.strip().upper())
        changed = writes.reclassify_assets(store)
        audit.record(store, entity="settings", entity_id="thresholds", action="edit", by=by,
                     before=asdict(before), after=asdict(store.settings.thresholds),
                     summary=f"macro thresholds changed; {changed} assets changed scale")
    return changed


def set_place(store: Store, place: str, *, by: str) -> None:
    place = (place or "").strip()
    if not place or len(place) > 200:
        raise InvalidInput("place: give the place's name, under 200 characters.")
    before = store.settings.place
    with store.transaction():
        store.set_place(place)
        audit.record(store, entity="settings", entity_id="place", action="edit", by=by,
                     before={"place": before}, after={"place": place})


def read(store: Store) -> StoreSettings:
    """The place's settings as they are now (for a cached read in the app)."""
    return store.settings


def set_language(store: Store, code: str, *, by: str) -> None:
    """Make ``code`` (one of atlas.i18n.LANGUAGES) the place's default language: the one
    shown to a reader whose browser asks for none we have, and by the command line."""
    if i18n.supported(code) != code.strip().lower():
        known = ", ".join(i18n.LANGUAGES)
        raise InvalidInput(f"language: {code!r} is not one we have; choose one of {known}.")
    before = store.settings.language
    with store.transaction():
        store.set_meta("language", code.strip().lower())
        audit.record(store, entity="settings", entity_id="language", action="edit", by=by,
                     before={"language": before}, after={"language": code.strip().lower()})
