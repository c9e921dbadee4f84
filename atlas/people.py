"""People recorded as human assets: their consent and where they are.

A person (a retired nurse who mentors, an interpreter) is recorded only with their
consent: who gave it, on what day, and for what. Their place is stored twice: every map,
listing, search and export reads ``assets``, which holds the centre of the
:data:`~atlas.settings.PERSON_LOCATION_CELL_M` square they are in (a neighbourhood),
and the precise point sits apart in ``person_locations``, which only a viewer who may see
confidential fields reads. So a page cannot show a front door by forgetting to ask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from atlas.access import PUBLIC, Viewer
from atlas.store import Store

CONSENT_FIELDS = ("consent_given_by", "consent_given_on", "consent_purpose")
"""The columns a file or form gives a person's consent in."""

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "person", "x"})


@dataclass(frozen=True)
class Consent:
    asset_id: int
    given_by: str
    given_on: date
    purpose: str
    recorded_by: str
    recorded_at: datetime

    def words(self) -> str:
        return f"given by {self.given_by} on {self.given_on:%-d %B %Y} for {self.purpose}"


def are_people(values: pd.Series) -> np.ndarray:
    """A ``person`` column read as yes or no, at once (a register of a million rows):
    :data:`TRUE_WORDS` or a true boolean is yes, anything else (blank too) no."""
    if values.isna().all():
        return np.zeros(len(values), dtype=bool)
    words = values.astype("string").str.strip().str.lower()
    return (words.isin(TRUE_WORDS) | words.eq("true")).fillna(False).to_numpy(dtype=bool)


def consent_problem(given_by: object, given_on: object, purpose: object) -> str | None:
    """Why a consent cannot be recorded, field by field; None when it can."""
    if not str(given_by or "").strip() or str(given_by).strip().lower() == "nan":
        return "consent_given_by: say who gave consent to record this person (usually the person)."
    if given_on is None or (isinstance(given_on, float) and math.isnan(given_on)) or str(given_on).strip() == "":
        return "consent_given_on: give the date consent was given."
    try:
        day = np.datetime64(str(given_on)[:10], "D").astype(object)
    except ValueError:
        return f"consent_given_on: {given_on!r} is not a date (write it as 2026-03-12)."
    if day > date.today():
        return f"consent_given_on: {day} is in the future."
    if not str(purpose or "").strip() or str(purpose).strip().lower() == "nan":
        return "consent_purpose: say what the person agreed to (for example: matching with local groups)."
    return None


def write_private(store: Store, source: str, rows: pa.Table, *, by: str) -> None:
    """Keep the precise points and consents of the person rows of ``source`` (columns
    source_id, person, lon, lat, consent_given_by, consent_given_on, consent_purpose), and
    drop those of rows that are no longer people. Inside the caller's transaction."""
    con = store.con
    con.register("_people", rows)
    try:
        keyed = ("FROM _people p JOIN assets a ON a.source = ? AND a.source_id = p.source_id")
        con.execute(f"DELETE FROM person_locations WHERE asset_id IN (SELECT a.id {keyed})", [source])
        con.execute(f"INSERT INTO person_locations SELECT a.id, p.lon, p.lat {keyed} WHERE p.person", [source])
        con.execute(f"DELETE FROM consents WHERE asset_id IN (SELECT a.id {keyed} WHERE NOT p.person)", [source])
        con.execute(
            "INSERT INTO consents SELECT a.id, p.consent_given_by, CAST(p.consent_given_on AS DATE), "
            f"p.consent_purpose, ?, current_timestamp {keyed} WHERE p.person AND p.consent_given_by IS NOT NULL "
            "ON CONFLICT (asset_id) DO UPDATE SET given_by = excluded.given_by, given_on = excluded.given_on, "
            "purpose = excluded.purpose, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            [by, source],
        )
    finally:
        con.unregister("_people")


def consent(store: Store, asset_id: int) -> Consent | None:
    found = store.records(Consent, "SELECT * FROM consents WHERE asset_id = ?", [asset_id])
    return found[0] if found else None


def precise_location(store: Store, asset_id: int, *, viewer: Viewer = PUBLIC) -> shapely.Point | None:
    """Where a person is, for a viewer who may see it; None for anyone else (and for an
    asset that is not a person)."""
    if not viewer.sees_confidential:
        return None
    row = store.con.execute("SELECT lon, lat FROM person_locations WHERE asset_id = ?", [asset_id]).fetchone()
    return None if row is None else shapely.Point(row)
