"""Macro or micro: the one rule, in one place.

A macro (anchor) asset employs more than ``employees`` people, or spends more than
``spend`` a year on goods and services, or holds more than ``land_ha`` hectares of land.
Everything else is a micro asset. The reason is kept with the result so the atlas can
say *why* ("macro: 1,200 employees").
"""

from dataclasses import dataclass
from typing import Literal

from atlas import settings

Scale = Literal["macro", "micro"]

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "PLN": "zł ", "SEK": "kr ", "DKK": "kr ", "CHF": "CHF "}


@dataclass(frozen=True)
class Thresholds:
    """A store's macro thresholds. ``spend`` is in ``currency`` (ISO 4217)."""

    employees: int = settings.MACRO_EMPLOYEES
    spend: float = settings.MACRO_SPEND
    land_ha: float = settings.MACRO_LAND_HA
    currency: str = settings.CURRENCY

    def __post_init__(self) -> None:
        if self.employees < 0 or self.spend < 0 or self.land_ha < 0:
            raise ValueError("Macro thresholds must be zero or more.")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"Currency {self.currency!r} is not a three-letter ISO code such as GBP or EUR.")


@dataclass(frozen=True)
class Classification:
    scale: Scale
    reason: str


def money(amount: float, currency: str) -> str:
    """``amount`` written for people: £1,200,000 or €950,000 or 1,000 NOK."""
    symbol = _SYMBOLS.get(currency.upper())
    if symbol:
        return f"{symbol}{amount:,.0f}"
    return f"{amount:,.0f} {currency.upper()}"


def classify(
    employees: float | None,
    annual_spend: float | None,
    land_ha: float | None,
    thresholds: Thresholds = Thresholds(),
) -> Classification:
    """Macro if any measure is over its threshold, else micro; unknown measures count as none."""
    reasons = []
    if employees is not None and employees > thresholds.employees:
        reasons.append(f"{employees:,.0f} employees")
    if annual_spend is not None and annual_spend > thresholds.spend:
        reasons.append(f"spends {money(annual_spend, thresholds.currency)} a year")
    if land_ha is not None and land_ha > thresholds.land_ha:
        reasons.append(f"holds {land_ha:,.1f} ha of land")
    if reasons:
        return Classification("macro", "macro: " + "; ".join(reasons))
    return Classification(
        "micro",
        f"micro: not over {thresholds.employees:,} employees, "
        f"{money(thresholds.spend, thresholds.currency)} spend or {thresholds.land_ha:g} ha of land",
    )
