"""Reading what the registers say of assets: for the asset card, and for the market
report (many assets at once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from atlas.registers.social_enterprise import kind_of
from atlas.store import Store


@dataclass(frozen=True)
class Registration:
    """What a register (Companies House, a charity register) says of one asset.

    ``legal_form`` is in plain words ("Community interest company", "Registered society",
    "Company limited by guarantee", "Charitable company" ...); ``status`` as the register
    writes it ("Active", "Registered", "Liquidation", "Removed"). ``incorporated_on`` is the
    date of incorporation, or of registration for a charity; ``income`` the latest annual
    income a charity reported, in the store's currency (None when unknown: Companies House
    publishes none). ``sic_codes`` are SIC codes as listed, principal first;
    ``register_sector`` the SIC 2007 section's name, or a charity's first classification.
    ``social_enterprise_reason`` says why ``social_enterprise`` holds ("community interest
    company" ...); ``source`` names the register file that last wrote it. ``postcode`` is
    the lookup's key (``B11AY``)."""

    asset_id: int
    company_number: str | None
    charity_number: str | None
    legal_form: str | None
    status: str | None
    incorporated_on: date | None
    dissolved_on: date | None
    income: float | None
    postcode: str | None
    sic_codes: tuple[str, ...]
    register_sector: str | None
    social_enterprise: bool
    social_enterprise_reason: str | None
    source: str
    updated_at: datetime

    @property
    def kind(self) -> str:
        """Co-operative, community business, social enterprise, charity or company
        (:func:`atlas.registers.social_enterprise.kind_of`)."""
        return kind_of(self.legal_form, charity=self.charity_number is not None,
                       social_enterprise=self.social_enterprise)

    def trading_years(self, on: date) -> float | None:
        """Years from incorporation (or registration) to ``on``, or to dissolution if
        earlier; None when the date is not known."""
        if self.incorporated_on is None:
            return None
        end = min(on, self.dissolved_on) if self.dissolved_on is not None else on
        return max(0.0, (end - self.incorporated_on).days / 365.25)


_COLUMNS = ", ".join(f.name for f in fields(Registration))


def _record(row: dict[str, Any]) -> Registration:
    return Registration(**{**row, "sic_codes": tuple(row["sic_codes"] or ()),
                           "social_enterprise": bool(row["social_enterprise"])})


def registration_of(store: Store, asset_id: int) -> Registration | None:
    """The registration of one asset, or None when no register describes it."""
    rows = store.rows(f"SELECT {_COLUMNS} FROM asset_registrations WHERE asset_id = ?", [asset_id])
    return _record(rows[0]) if rows else None


def registrations_of(store: Store, asset_ids: Sequence[int] | None = None) -> dict[int, Registration]:
    """Registrations by asset id: of the given assets, or of every asset with one."""
    if asset_ids is None:
        rows = store.rows(f"SELECT {_COLUMNS} FROM asset_registrations ORDER BY asset_id")
    elif not asset_ids:
        return {}
    else:
        rows = store.rows(f"SELECT {_COLUMNS} FROM asset_registrations WHERE asset_id IN "
                          "(SELECT unnest(?::BIGINT[])) ORDER BY asset_id", [list(asset_ids)])
    return {int(r["asset_id"]): _record(r) for r in rows}


__all__ = ["Registration", "registration_of", "registrations_of"]
