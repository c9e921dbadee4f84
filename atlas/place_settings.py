"""A place's settings: its name, currency and the macro thresholds, changed with a record
in the audit trail. Changing the thresholds reclassifies every asset."""

from __future__ import annotations

from dataclasses import asdict

from atlas import audit, writes
from atlas.classify import Thresholds
from atlas.errors import InvalidInput
from atlas.store import Store


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
