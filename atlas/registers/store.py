"""The SQL of the registers: registrations written onto assets, grants, and what an
import needs to know first (the numbers the store holds, the assets of a source).

Each write takes an Arrow table registered as a temporary table, so a register of any
size is one statement per step, on DuckDB and PostGIS alike. Callers hold the
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import pyarrow as pa

from atlas.models import WriteResult
from atlas.store import Store
from atlas.writes import remove_missing

REGISTRATION_FIELDS = (
    "company_number", "charity_number", "legal_form", "status", "incorporated_on", "dissolved_on", "income",
    "postcode", "sic_codes", "register_sector", "social_enterprise", "social_enterprise_reason",
)
"""The columns of ``asset_registrations`` a register row fills (besides asset, source and time)."""

GRANT_FIELDS = (
    "title", "funder", "recipient_name", "recipient_company_number", "recipient_charity_number",
    "recipient_postcode", "amount", "currency", "awarded_on", "asset_id", "match_method", "match_score",
    "candidate_asset_id",
)

REGISTRATION_SCHEMA = pa.schema([
    ("asset_id", pa.int64()),
    ("company_number", pa.string()),
    ("charity_number", pa.string()),
    ("legal_form", pa.string()),
    ("status", pa.string()),
    ("incorporated_on", pa.date32()),
    ("dissolved_on", pa.date32()),
    ("income", pa.float64()),
    ("postcode", pa.string()),
    ("sic_codes", pa.list_(pa.string())),
    ("has_sic", pa.bool_()),
    ("register_sector", pa.string()),
    ("social_enterprise", pa.bool_()),
    ("social_enterprise_reason", pa.string()),
])
"""The Arrow table :func:`upsert_registrations` takes. ``social_enterprise`` None means
the register has no opinion (a charity register says nothing of it), so a value another
register gave is kept; ``has_sic`` False likewise keeps the codes already stored."""


def known_numbers(store: Store) -> tuple[set[str], set[str]]:
    """(company numbers, charity numbers) the store's registrations hold."""
    rows = store.con.execute(
        "SELECT company_number, charity_number FROM asset_registrations "
        "WHERE company_number IS NOT NULL OR charity_number IS NOT NULL"
    ).fetchall()
    return {r[0] for r in rows if r[0]}, {r[1] for r in rows if r[1]}


def source_assets(store: Store, source: str) -> dict[int, str]:
    """Asset id -> source id of every asset of ``source``."""
    return {int(r[0]): str(r[1]) for r in store.con.execute(
        "SELECT id, source_id FROM assets WHERE source = ?", [source]).fetchall()}


CARRIED_FIELDS = ("sector", "category", "asset_type", "employees", "annual_spend", "land_ha", "offers", "needs",
                  "offers_text", "needs_text", "description", "contact", "feature_id", "verified_by", "verified_on")
"""Fields of an asset a register made that a re-import leaves as people have kept them:
a register gives only a name and a place, and an officer may have added the rest."""


def carried_values(store: Store, asset_ids: Sequence[int]) -> pd.DataFrame:
    """The source id, WGS84 ``lon`` and ``lat`` and CARRIED_FIELDS of the given assets,
    in the order given."""
    columns = ["id", "source_id", "lon", "lat", *CARRIED_FIELDS]
    if not asset_ids:
        return pd.DataFrame(columns=columns)
    rows = store.rows(f"SELECT id, source_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, {', '.join(CARRIED_FIELDS)} "
                      "FROM assets WHERE id IN (SELECT unnest(?::BIGINT[]))", [list(asset_ids)])
    return pd.DataFrame(rows, columns=columns).set_index("id").loc[list(asset_ids)].reset_index(drop=True)


def _merged(field: str) -> str:
    """The value written for ``field``: the row's, when this source wrote the registration
    before (a refresh) or the row has one; else the one stored (another register's)."""
    if field == "sic_codes":
        return "CASE WHEN i.has_sic OR r.source = ? THEN i.sic_codes ELSE COALESCE(r.sic_codes, i.sic_codes) END"
    if field == "social_enterprise":
        return "COALESCE(i.social_enterprise, r.social_enterprise, false)"
    if field == "social_enterprise_reason":
        return ("CASE WHEN i.social_enterprise IS NULL THEN r.social_enterprise_reason "
                "ELSE i.social_enterprise_reason END")
    return f"CASE WHEN r.source = ? THEN i.{field} ELSE COALESCE(i.{field}, r.{field}) END"


def upsert_registrations(store: Store, data: pa.Table, *, source: str, replace: bool, now: datetime) -> WriteResult:
    """Write one registration per row of ``data`` (REGISTRATION_SCHEMA, ``asset_id`` set
    and unique), merged with what another register wrote for the asset. With
    ``replace``, the source's registrations of other assets are removed."""
    con = store.con
    con.register("_registrations_in", data)
    try:
        updated = con.execute("SELECT count(*) FROM asset_registrations r JOIN _registrations_in i "
                              "ON r.asset_id = i.asset_id").fetchone()[0]
        expressions = [_merged(f) for f in REGISTRATION_FIELDS]
        params: list[object] = [source for e in expressions for _ in range(e.count("?"))]
        fields = ", ".join(REGISTRATION_FIELDS)
        con.execute(
            f"INSERT INTO asset_registrations (asset_id, {fields}, source, updated_at) "
            f"SELECT i.asset_id, {', '.join(expressions)}, ?, ? "
            "FROM _registrations_in i LEFT JOIN asset_registrations r ON r.asset_id = i.asset_id "
            f"ON CONFLICT (asset_id) DO UPDATE SET {', '.join(f'{f} = excluded.{f}' for f in REGISTRATION_FIELDS)}, "
            "source = excluded.source, updated_at = excluded.updated_at",
            [*params, source, now],
        )
        removed = (remove_missing(store, "asset_registrations", "_registrations_in", source=source, key="asset_id")
                   if replace else 0)
    finally:
        con.unregister("_registrations_in")
    return WriteResult(inserted=data.num_rows - updated, updated=updated, removed=removed)


def mark_social(store: Store, asset_ids: Sequence[int]) -> int:
    """Put the given assets in the social sector where they have no sector yet; how many."""
    if not asset_ids:
        return 0
    where = "sector IS NULL AND id IN (SELECT unnest(?::BIGINT[]))"
    count = store.con.execute(f"SELECT count(*) FROM assets WHERE {where}", [list(asset_ids)]).fetchone()[0]
    if count:
        store.con.execute(f"UPDATE assets SET sector = 'social' WHERE {where}", [list(asset_ids)])
    return int(count)


def upsert_grants(store: Store, data: pa.Table, *, source: str, replace: bool) -> WriteResult:
    """Write grants keyed by (source, ``source_id``); ``data`` has ``source_id`` and
    GRANT_FIELDS. With ``replace``, the source's grants not in ``data`` are removed."""
    con = store.con
    con.register("_grants_in", data)
    try:
        removed = remove_missing(store, "grants", "_grants_in", source=source) if replace else 0
        updated = con.execute("SELECT count(*) FROM grants g JOIN _grants_in i "
                              "ON g.source = ? AND g.source_id = i.source_id", [source]).fetchone()[0]
        fields = ", ".join(GRANT_FIELDS)
        con.execute(
            f"INSERT INTO grants ({fields}, source, source_id, imported_at) "
            f"SELECT {', '.join(f'i.{f}' for f in GRANT_FIELDS)}, ?, i.source_id, current_timestamp FROM _grants_in i "
            f"ON CONFLICT (source, source_id) DO UPDATE SET {', '.join(f'{f} = excluded.{f}' for f in GRANT_FIELDS)}, "
            "imported_at = excluded.imported_at",
            [source],
        )
    finally:
        con.unregister("_grants_in")
    return WriteResult(inserted=data.num_rows - updated, updated=updated, removed=removed)


__all__ = [
    "CARRIED_FIELDS",
    "GRANT_FIELDS",
    "REGISTRATION_FIELDS",
    "REGISTRATION_SCHEMA",
    "carried_values",
    "known_numbers",
    "mark_social",
    "source_assets",
    "upsert_grants",
    "upsert_registrations",
]
