"""Assets as rows of a table: the register, the atlas page's list, the stale list.

Each row carries what a table shows (names, scale, open needs and offers, when last
checked) and a WGS84 point to find it on a map; full records come from
:func:`atlas.queries.get_asset`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from atlas.asset_filter import ANY_ASSET, ENVELOPE_SQL, AssetFilter
from atlas.store import Store
from atlas.viewport import Viewport

DEFAULT_STALE_MONTHS = 12
"""An asset not verified for longer than this many months is listed as stale."""


@dataclass(frozen=True)
class AssetRow:
    """An asset as listed in a table: the register, the atlas list, a stale list."""

    id: int
    name: str
    scale: str
    sector: str | None
    category: str | None
    offers: list[str]
    """Titles of its open offers (records, see :mod:`atlas.needs_offers`)."""
    needs: list[str]
    """Titles of its open needs."""
    verified_by: str | None
    verified_on: date | None
    lon: float
    lat: float


_OPEN_TITLES = ("coalesce((SELECT list(n.title ORDER BY n.title) FROM needs_offers n WHERE n.asset_id = a.id "
                "AND n.side = '{side}' AND n.status IN ('open', 'in progress')), [])")
# Columns named as AssetRow's fields, so rows become records by name.
_ROW_COLUMNS = (f"a.id, a.name, a.scale, a.sector, a.category, {_OPEN_TITLES.format(side='offer')} AS offers, "
                f"{_OPEN_TITLES.format(side='need')} AS needs, a.verified_by, "
                "a.verified_on, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat")


def asset_rows(store: Store, filters: AssetFilter = ANY_ASSET, *, viewport: Viewport | None = None,
               limit: int = 500) -> tuple[list[AssetRow], int]:
    """Assets passing ``filters`` (and within ``viewport`` if given), by name, at most
    ``limit`` of them; and how many there are in all."""
    where, params = filters.sql()
    if viewport is not None:
        where = f"ST_Intersects(a.geom, {ENVELOPE_SQL}) AND {where}"
        params = [*viewport.bounds, *params]
    total = store.con.execute(f"SELECT count(*) FROM assets a WHERE {where}", params).fetchone()[0]
    rows = store.records(
        AssetRow, f"SELECT {_ROW_COLUMNS} FROM assets a WHERE {where} ORDER BY a.name, a.id LIMIT ?", [*params, limit]
    )
    return rows, total


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    if months < 0:
        raise ValueError("months must be zero or more")
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_assets(store: Store, *, months: int = DEFAULT_STALE_MONTHS, today: date | None = None,
                 limit: int = 1000) -> list[AssetRow]:
    """Assets never verified, or last verified more than ``months`` months before ``today``:
    never-verified first, then the oldest check first."""
    cutoff = months_before(today or date.today(), months)
    return store.records(
        AssetRow,
        f"SELECT {_ROW_COLUMNS} FROM assets a WHERE a.verified_on IS NULL OR a.verified_on < ? "
        "ORDER BY a.verified_on NULLS FIRST, a.name, a.id LIMIT ?",
        [cutoff, limit],
    )
