"""The asset register: add or change one asset at a time, as a researcher or officer does.

Bulk imports go through :mod:`atlas.writes`; so do these single edits, so an asset entered
by hand is classified (macro or micro), placed in its boundaries and stored in WGS84 and
the metric CRS exactly as an imported one is. Each call is one transaction.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely

from atlas import audit, people, writes
from atlas.access import PUBLIC, WHOLE_RECORD, Viewer
from atlas.errors import InvalidInput
from atlas.models import ASSET_TYPES, SECTORS, Asset
from atlas.projection import WGS84
from atlas.queries import get_asset
from atlas.store import Store

REGISTER_SOURCE = "asset-register"
"""The source of assets entered by hand in the register."""

REGISTER_LICENCE = "Entered in the Asset Atlas register"


@dataclass(frozen=True)
class AssetDraft:
    """An asset as typed into the register. ``lon``/``lat`` are WGS84; ``annual_spend`` is
    in the store's currency; ``land_ha`` in hectares."""

    name: str
    lon: float
    lat: float
    sector: str | None = None
    category: str | None = None
    asset_type: str | None = None
    employees: int | None = None
    annual_spend: float | None = None
    land_ha: float | None = None
    offers: tuple[str, ...] = field(default_factory=tuple)
    needs: tuple[str, ...] = field(default_factory=tuple)
    offers_text: str | None = None
    needs_text: str | None = None
    description: str | None = None
    contact: str | None = None
    person: bool = False
    """A person, not an organisation: needs a consent, and is shown at their neighbourhood."""
    consent_given_by: str | None = None
    consent_given_on: object = None
    consent_purpose: str | None = None

    def check(self) -> None:
        """Raise :class:`InvalidInput` naming the first field that cannot be stored."""
        if not self.name or not self.name.strip():
            raise InvalidInput("name: every asset needs a name.")
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)
                and -180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise InvalidInput(
                f"place: {self.lon}, {self.lat} is not a longitude and latitude; click the map or give a postcode."
            )
        if self.sector is not None and self.sector not in SECTORS:
            raise InvalidInput(f"sector: {self.sector!r} is not one of {', '.join(SECTORS)}.")
        if self.asset_type is not None and self.asset_type not in ASSET_TYPES:
            raise InvalidInput(f"asset type: {self.asset_type!r} is not one of {', '.join(ASSET_TYPES)}.")
        for label, value in (("employees", self.employees), ("annual spend", self.annual_spend),
                             ("land held (ha)", self.land_ha)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InvalidInput(f"{label}: {value} must be a number of zero or more.")
        if self.person and (problem := people.consent_problem(self.consent_given_by, self.consent_given_on,
                                                                self.consent_purpose)):
            raise InvalidInput(problem.replace("consent_given_by", "consent given by").replace(
                "consent_given_on", "consent date").replace("consent_purpose", "consent for"))


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def _write(store: Store, draft: AssetDraft, *, source: str, source_id: str, licence: str | None,
           verified_by: str | None = None, verified_on: date | None = None, feature_id: int | None = None,
           by: str, before: Asset | None = None) -> int:
    draft.check()
    row = {
        "source_id": source_id,
        "name": draft.name.strip(),
        "sector": draft.sector,
        "category": _clean(draft.category),
        "asset_type": draft.asset_type,
        "employees": draft.employees,
        "annual_spend": draft.annual_spend,
        "land_ha": draft.land_ha,
        "offers": [t for t in draft.offers if t.strip()],
        "needs": [t for t in draft.needs if t.strip()],
        "offers_text": _clean(draft.offers_text),
        "needs_text": _clean(draft.needs_text),
        "description": _clean(draft.description),
        "contact": _clean(draft.contact),
        "feature_id": feature_id,
        "verified_by": verified_by,
        "verified_on": pd.Timestamp(verified_on) if verified_on is not None else None,
        "person": draft.person,
        "consent_given_by": draft.consent_given_by,
        "consent_given_on": draft.consent_given_on,
        "consent_purpose": draft.consent_purpose,
    }
    frame = gpd.GeoDataFrame([row], geometry=[shapely.Point(draft.lon, draft.lat)], crs=WGS84)
    before_fields = audit_fields(before, store)  # read before the write changes its consent
    with store.transaction():
        writes.upsert_assets(store, frame, source=source, licence=licence, audited=False)
        asset_id = int(store.con.execute(
            "SELECT id FROM assets WHERE source = ? AND source_id = ?", [source, source_id]
        ).fetchone()[0])
        after = get_asset(store, asset_id, viewer=WHOLE_RECORD)
        audit.record(store, entity="asset", entity_id=asset_id, action="add" if before is None else "edit",
                     before=before_fields, after=audit_fields(after, store), by=by)
    return asset_id


def audit_fields(asset: Asset | None, store: Store) -> dict | None:
    """An asset's fields as the audit trail keeps them (with consent, for a person)."""
    if asset is None:
        return None
    fields = {k: v for k, v in dataclasses.asdict(asset).items() if k not in ("geom", "source", "source_id", "licence")}
    fields.update(lon=round(asset.geom.x, 6), lat=round(asset.geom.y, 6))
    if asset.person and (given := people.consent(store, asset.id)):
        fields["consent"] = given.words()
    return fields


def add_asset(store: Store, draft: AssetDraft, *, by: str) -> int:
    """Store a new asset, recorded as added ``by`` someone; returns its id."""
    return _write(store, draft, source=REGISTER_SOURCE, source_id=uuid.uuid4().hex, licence=REGISTER_LICENCE, by=by)


def update_asset(store: Store, asset_id: int, draft: AssetDraft, *, by: str, viewer: Viewer = PUBLIC) -> None:
    """Replace asset ``asset_id``'s details and place with ``draft``. Its source, licence,
    linked site and verification are kept; scale and boundaries are worked out again.
    An editor who may not see contact details or a person's precise place (``viewer``,
    by default the public, as a draft made by :func:`draft_from_asset` by default holds
    neither) leaves them as they are unless the draft gives new ones; so does a consent
    the draft does not repeat. An officer's viewer clears a contact the draft leaves out.
    Raises :class:`~atlas.errors.NotFound` for an unknown id."""
    current = get_asset(store, asset_id, viewer=WHOLE_RECORD)
    if not viewer.sees_confidential:
        if draft.contact is None:
            draft = dataclasses.replace(draft, contact=current.contact)
        if current.person and draft.person:
            shown = get_asset(store, asset_id, viewer=viewer).geom
            if abs(draft.lon - shown.x) < 1e-9 and abs(draft.lat - shown.y) < 1e-9:  # place not changed
                draft = dataclasses.replace(draft, lon=current.geom.x, lat=current.geom.y)
    if draft.person and draft.consent_given_by is None and (given := people.consent(store, asset_id)):
        draft = dataclasses.replace(draft, consent_given_by=given.given_by, consent_given_on=given.given_on,
                                    consent_purpose=given.purpose)
    _write(store, draft, source=current.source, source_id=current.source_id, licence=current.licence,
           verified_by=current.verified_by, verified_on=current.verified_on, feature_id=current.feature_id,
           by=by, before=current)


def draft_from_asset(store: Store, asset_id: int, *, viewer: Viewer = PUBLIC) -> AssetDraft:
    """The register's form filled from a stored asset: its contact and a person's precise
    place only for a ``viewer`` who may see them."""
    a = get_asset(store, asset_id, viewer=viewer)
    return AssetDraft(
        name=a.name, lon=a.geom.x, lat=a.geom.y, sector=a.sector, category=a.category, asset_type=a.asset_type,
        employees=a.employees, annual_spend=a.annual_spend, land_ha=a.land_ha, offers=tuple(a.offers),
        needs=tuple(a.needs), offers_text=a.offers_text, needs_text=a.needs_text, description=a.description,
        contact=a.contact, person=a.person,
    )


def verify_asset(store: Store, asset_id: int, *, by: str, on: date) -> None:
    """Record that a community researcher checked this asset on this day."""
    before = get_asset(store, asset_id, viewer=WHOLE_RECORD)
    with store.transaction():
        writes.verify_asset(store, asset_id, by, on)
        audit.record(store, entity="asset", entity_id=asset_id, action="verify",
                     summary=f"verified (checked on {on:%-d %B %Y})", by=by,
                     before={"verified_by": before.verified_by, "verified_on": before.verified_on},
                     after={"verified_by": by.strip(), "verified_on": on})
