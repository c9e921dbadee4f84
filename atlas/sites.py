"""What officers record about a site for a land negotiation: its Asset of Community
Value status and dates, and confidential notes.

Assets of Community Value (England, Localism Act 2011): a community group nominates a
building or land; the council lists it for five years; when the owner wants to sell, a
six-week interim moratorium lets a community group say it wants to bid, and a full
moratorium runs six months from the owner's notice. The dates are typed in by an
officer; the atlas checks their order and fills in the usual end dates.
Notes are confidential as a whole (:mod:`atlas.confidential`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from atlas import audit
from atlas import text as words
from atlas.access import PUBLIC, Viewer
from atlas.confidential import CONFIDENTIAL_FIELDS
from atlas.errors import InvalidInput, NotFound
from atlas.i18n import N_
from atlas.store import Store, utc_now

ACV_STATUSES = (N_("not nominated"), N_("nominated"), N_("listed"), N_("not listed"), N_("removed"))
LISTING_YEARS = 5
FULL_MORATORIUM_MONTHS = 6
NOTE_MAX = 4_000


@dataclass(frozen=True)
class SiteRecord:
    feature_id: int
    acv_status: str = "not nominated"
    nominated_by: str | None = None
    nominated_on: date | None = None
    listed_on: date | None = None
    listing_ends_on: date | None = None
    moratorium_starts_on: date | None = None
    moratorium_ends_on: date | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def listed(self) -> bool:
        return self.acv_status == "listed"

    def in_moratorium(self, on: date) -> bool:
        return (self.moratorium_starts_on is not None and self.moratorium_ends_on is not None
                and self.moratorium_starts_on <= on <= self.moratorium_ends_on)

    def words(self, today: date | None = None) -> str:
        """The ACV position in a sentence, for reports."""
        today = today or date.today()
        text = {"not nominated": "Not nominated as an Asset of Community Value",
                "nominated": "Nominated as an Asset of Community Value",
                "listed": "Listed as an Asset of Community Value",
                "not listed": "Nominated as an Asset of Community Value but not listed",
                "removed": "Removed from the list of Assets of Community Value"}[self.acv_status]
        if self.nominated_by:
            text += f" (nominated by {self.nominated_by})"
        if self.nominated_on:
            text += f"; nominated {self.nominated_on:%d %B %Y}"
        if self.listed_on:
            text += f"; listed {self.listed_on:%d %B %Y}"
        if self.listing_ends_on:
            text += f" until {self.listing_ends_on:%d %B %Y}"
        if self.moratorium_starts_on and self.moratorium_ends_on:
            state = ("in force" if self.in_moratorium(today)
                     else "ran" if self.moratorium_ends_on < today else "will run")
            text += (f"; a moratorium on sale {state} from {self.moratorium_starts_on:%d %B %Y} "
                     f"to {self.moratorium_ends_on:%d %B %Y}")
        return text + "."


def default_listing_end(listed_on: date) -> date:
    """When a listing made on ``listed_on`` ends unless an officer says otherwise."""
    return _add_years(listed_on, LISTING_YEARS)


def default_moratorium_end(starts_on: date) -> date:
    """When a full moratorium starting on ``starts_on`` ends."""
    return _add_months(starts_on, FULL_MORATORIUM_MONTHS)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(day)


def _feature_exists(store: Store, feature_id: int) -> None:
    if not store.con.execute("SELECT EXISTS (SELECT 1 FROM features WHERE id = ?)", [feature_id]).fetchone()[0]:
        raise NotFound(f"There is no site {feature_id} in this atlas.")


def site_record(store: Store, feature_id: int) -> SiteRecord | None:
    found = store.records(SiteRecord, "SELECT * FROM site_records WHERE feature_id = ?", [feature_id])
    return found[0] if found else None


def save_site_record(store: Store, record: SiteRecord, *, by: str) -> SiteRecord:
    """Store an officer's ACV record for a site (replacing the last one), with the end
    of the listing (five years) and of a moratorium (six months) filled in when left
    empty. Dates out of order are refused, naming the field."""
    by = (by or "").strip()
    if not by:
        raise InvalidInput("Say who is recording the site's status.")
    _feature_exists(store, record.feature_id)
    if record.acv_status not in ACV_STATUSES:
        raise InvalidInput(f"ACV status: {record.acv_status!r} is not one of {', '.join(ACV_STATUSES)}.")
    if record.acv_status in ("nominated", "listed", "not listed") and record.nominated_on is None:
        raise InvalidInput("Nominated on: give the date of the nomination.")
    if record.acv_status == "listed" and record.listed_on is None:
        raise InvalidInput("Listed on: give the date the council listed it.")
    for end, start, name in (("listing_ends_on", "listed_on", "Listing ends on"),
                             ("moratorium_ends_on", "moratorium_starts_on", "Moratorium until")):
        if getattr(record, end) and not getattr(record, start):
            raise InvalidInput(f"{name}: an end date needs its start date too.")
    if record.listed_on and not record.listing_ends_on:
        record = replace(record, listing_ends_on=default_listing_end(record.listed_on))
    if record.moratorium_starts_on and not record.moratorium_ends_on:
        record = replace(record, moratorium_ends_on=default_moratorium_end(record.moratorium_starts_on))
    for earlier, later, name in (("nominated_on", "listed_on", "Listed on"),
                                 ("listed_on", "listing_ends_on", "Listing ends on"),
                                 ("listed_on", "moratorium_starts_on", "Moratorium from"),
                                 ("moratorium_starts_on", "moratorium_ends_on", "Moratorium ends on")):
        a, b = getattr(record, earlier), getattr(record, later)
        if a and b and b < a:
            raise InvalidInput(f"{name}: {b:%d %B %Y} is before {a:%d %B %Y}.")
    if record.moratorium_starts_on and record.acv_status not in ("listed", "removed"):
        raise InvalidInput("Moratorium: a moratorium on sale applies to a listed asset; set the status to listed.")
    if record.nominated_by and words.garbled(record.nominated_by):
        raise InvalidInput(f"Nominated by: {words.garbled(record.nominated_by)}.")
    now = utc_now()
    record = replace(record, nominated_by=(record.nominated_by or "").strip() or None, updated_by=by, updated_at=now)
    values = [record.acv_status, record.nominated_by, record.nominated_on, record.listed_on, record.listing_ends_on,
              record.moratorium_starts_on, record.moratorium_ends_on, by, now]
    with store.transaction():
        if site_record(store, record.feature_id) is None:
            store.con.execute("INSERT INTO site_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              [record.feature_id, *values])
        else:
            store.con.execute(
                "UPDATE site_records SET acv_status = ?, nominated_by = ?, nominated_on = ?, listed_on = ?, "
                "listing_ends_on = ?, moratorium_starts_on = ?, moratorium_ends_on = ?, updated_by = ?, updated_at = ? "
                "WHERE feature_id = ?", [*values, record.feature_id])
    return record


@dataclass(frozen=True)
class SiteNote:
    """An officer's note on a site: confidential, never shown unless asked for."""

    id: int
    feature_id: int
    note: str
    author: str
    created_at: datetime


def add_site_note(store: Store, feature_id: int, note: str, *, author: str) -> int:
    note, author = (note or "").strip(), (author or "").strip()
    if not note:
        raise InvalidInput("Write the note before adding it.")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"The note is {len(note):,} characters; keep it under {NOTE_MAX:,}.")
    if words.garbled(note):
        raise InvalidInput(f"Note: {words.garbled(note)}.")
    if not author:
        raise InvalidInput("Say who is writing the note.")
    _feature_exists(store, feature_id)
    with store.transaction():
        note_id = store.con.execute(
            "INSERT INTO site_notes (feature_id, note, author, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [feature_id, note, author, utc_now()],
        ).fetchone()[0]
        audit.record(store, entity="site", entity_id=feature_id, action="add note", by=author,
                     summary="confidential note added", after={"note": note})
    return note_id


def site_notes(store: Store, feature_id: int, *, viewer: Viewer = PUBLIC) -> list[SiteNote] | None:
    """The site's confidential notes, newest first; None (withheld) unless ``viewer`` may
    see confidential fields."""
    if not viewer.sees_confidential and CONFIDENTIAL_FIELDS["site_notes"]:
        return None
    return store.records(SiteNote, "SELECT id, feature_id, note, author, created_at FROM site_notes "
                                   "WHERE feature_id = ? ORDER BY created_at DESC, id DESC", [feature_id])
