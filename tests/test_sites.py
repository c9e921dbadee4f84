"""What officers record about a site (atlas.sites): its Asset of Community Value record,
with the usual end dates filled in, and confidential notes.

End dates are checked against dateutil's calendar arithmetic (relativedelta keeps the day
of the month and falls back to the month's last day), not against the module's own
helpers.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from atlas import sites
from atlas.access import PUBLIC, as_role
from atlas.confidential import CONFIDENTIAL_FIELDS, is_confidential
from atlas.errors import InvalidInput, NotFound
from atlas.sites import SiteRecord

SITE = "Port Loop historic building"


@pytest.fixture
def site_id(demo_store) -> int:
    return demo_store.con.execute("SELECT id FROM features WHERE name = ?", [SITE]).fetchone()[0]


def records(store) -> list[tuple]:
    return store.con.execute("SELECT * FROM site_records ORDER BY feature_id").fetchall()


def notes(store) -> list[tuple]:
    return store.con.execute("SELECT * FROM site_notes ORDER BY id").fetchall()


def listed(feature_id: int, **changes) -> SiteRecord:
    record = SiteRecord(feature_id=feature_id, acv_status="listed", nominated_by="Port Loop residents' group",
                        nominated_on=date(2025, 11, 3), listed_on=date(2026, 1, 12))
    return dataclasses.replace(record, **changes)


# -- the ACV record ----------------------------------------------------------------------------

@pytest.mark.parametrize(("listed_on", "moratorium_starts_on"), [
    (date(2026, 1, 12), date(2026, 8, 31)),  # 31 August: six months on, February has no 31st
    (date(2024, 2, 29), date(2024, 2, 29)),  # a leap day: five years on there is no 29 February
    (date(2025, 6, 30), date(2025, 12, 31)),
])
def test_saving_fills_the_listing_and_moratorium_end_dates(demo_store, site_id, listed_on, moratorium_starts_on):
    before = datetime.now(UTC).replace(tzinfo=None)
    saved = sites.save_site_record(demo_store, listed(site_id, nominated_on=listed_on - timedelta(days=60),
                                                      listed_on=listed_on, moratorium_starts_on=moratorium_starts_on),
                                   by="  Grace M. ")
    want_listing = listed_on + relativedelta(years=5)
    want_moratorium = moratorium_starts_on + relativedelta(months=6)
    assert (saved.listing_ends_on, saved.moratorium_ends_on) == (want_listing, want_moratorium)
    stored = sites.site_record(demo_store, site_id)
    assert stored == saved
    assert (stored.listing_ends_on, stored.moratorium_ends_on) == (want_listing, want_moratorium)
    assert stored.updated_by == "Grace M." and before <= stored.updated_at
    assert isinstance(stored.listed_on, date) and not isinstance(stored.listed_on, datetime)


def test_the_leap_day_listing_ends_on_28_february(demo_store, site_id):
    saved = sites.save_site_record(demo_store, listed(site_id, nominated_on=date(2024, 1, 2),
                                                      listed_on=date(2024, 2, 29)), by="Grace M.")
    assert saved.listing_ends_on == date(2029, 2, 28)


def test_explicit_end_dates_are_kept(demo_store, site_id):
    """A listing can end early (removed on review) and a moratorium's end is whatever the
    council's notice says: typed dates are not overwritten."""
    saved = sites.save_site_record(demo_store, listed(site_id, listing_ends_on=date(2027, 3, 1),
                                                      moratorium_starts_on=date(2026, 5, 1),
                                                      moratorium_ends_on=date(2026, 6, 12)), by="Grace M.")
    stored = sites.site_record(demo_store, site_id)
    assert (saved.listing_ends_on, saved.moratorium_ends_on) == (date(2027, 3, 1), date(2026, 6, 12))
    assert (stored.listing_ends_on, stored.moratorium_ends_on) == (date(2027, 3, 1), date(2026, 6, 12))


def test_a_second_save_updates_the_record_in_place(demo_store, site_id):
    nominated = SiteRecord(feature_id=site_id, acv_status="nominated", nominated_by="Residents",
                           nominated_on=date(2025, 11, 3))
    sites.save_site_record(demo_store, nominated, by="Grace M.")
    assert sites.site_record(demo_store, site_id).listing_ends_on is None
    sites.save_site_record(demo_store, listed(site_id), by="Joel R.")
    [row] = records(demo_store)
    stored = sites.site_record(demo_store, site_id)
    assert (stored.acv_status, stored.listed_on, stored.listing_ends_on, stored.updated_by) == (
        "listed", date(2026, 1, 12), date(2031, 1, 12), "Joel R.")
    assert row[0] == site_id
    assert sites.site_record(demo_store, site_id + 10_000) is None


def test_a_blank_nominated_by_is_stored_as_nothing(demo_store, site_id):
    sites.save_site_record(demo_store, listed(site_id, nominated_by="   "), by="Grace M.")
    assert sites.site_record(demo_store, site_id).nominated_by is None


@pytest.mark.parametrize(("record", "message"), [
    ({"listed_on": None}, "^Listed on: give the date the council listed it"),
    ({"acv_status": "nominated", "nominated_on": None, "listed_on": None}, "^Nominated on: give the date"),
    ({"acv_status": "not listed", "nominated_on": None, "listed_on": None}, "^Nominated on: give the date"),
    ({"nominated_on": date(2026, 2, 1)}, "^Listed on: 12 January 2026 is before 01 February 2026"),
    ({"listing_ends_on": date(2025, 12, 31)}, "^Listing ends on: 31 December 2025 is before 12 January 2026"),
    ({"moratorium_starts_on": date(2026, 5, 1), "moratorium_ends_on": date(2026, 4, 30)},
     "^Moratorium ends on: 30 April 2026 is before 01 May 2026"),
    ({"acv_status": "nominated", "listed_on": None, "moratorium_starts_on": date(2026, 5, 1)},
     "^Moratorium: a moratorium on sale applies to a listed asset"),
    ({"acv_status": "not nominated", "nominated_on": None, "listed_on": None, "moratorium_starts_on": date(2026, 5, 1)},
     "^Moratorium: "),
    ({"acv_status": "Listed"}, "^ACV status: 'Listed' is not one of not nominated, nominated, listed"),
    ({"acv_status": "pending"}, "^ACV status: 'pending'"),
    ({"nominated_by": "Caf\u00c3\u00a9 Kavarna"}, "^Nominated by: it looks garbled"),
])
def test_a_bad_record_is_refused_naming_the_field_and_nothing_is_written(demo_store, site_id, record, message):
    sites.save_site_record(demo_store, SiteRecord(feature_id=site_id), by="Grace M.")
    before = records(demo_store)
    with pytest.raises(InvalidInput, match=message):
        sites.save_site_record(demo_store, listed(site_id, **record), by="Joel R.")
    assert records(demo_store) == before


def test_an_unknown_site_or_no_author_is_refused(demo_store, site_id):
    with pytest.raises(NotFound, match="There is no site 999999 in this atlas"):
        sites.save_site_record(demo_store, listed(999_999), by="Grace M.")
    with pytest.raises(InvalidInput, match="Say who is recording"):
        sites.save_site_record(demo_store, listed(site_id), by="  ")
    assert records(demo_store) == []


def test_a_moratorium_before_the_listing_is_refused(demo_store, site_id):
    with pytest.raises(InvalidInput, match="^Moratorium"):
        sites.save_site_record(demo_store, listed(site_id, moratorium_starts_on=date(2025, 6, 1)), by="Grace M.")
    assert records(demo_store) == []


def test_a_moratorium_end_without_a_start_is_refused(demo_store, site_id):
    with pytest.raises(InvalidInput, match="^Moratorium"):
        sites.save_site_record(demo_store, listed(site_id, moratorium_ends_on=date(2026, 9, 1)), by="Grace M.")
    assert records(demo_store) == []


# -- the record in words ----------------------------------------------------------------------------------

def test_words_say_listed_and_moratorium_in_force_then_ran(demo_store, site_id):
    saved = sites.save_site_record(demo_store, listed(site_id, moratorium_starts_on=date(2026, 5, 1)), by="Grace M.")
    during = saved.words(today=date(2026, 8, 15))
    assert during.startswith("Listed as an Asset of Community Value (nominated by Port Loop residents' group)")
    assert "listed 12 January 2026 until 12 January 2031" in during
    assert during.endswith("a moratorium on sale in force from 01 May 2026 to 01 November 2026.")
    assert saved.in_moratorium(date(2026, 11, 1)) and not saved.in_moratorium(date(2026, 11, 2))
    after = saved.words(today=date(2026, 11, 2))
    assert after.endswith("a moratorium on sale ran from 01 May 2026 to 01 November 2026.")
    assert "will run from" in saved.words(today=date(2026, 4, 30))


def test_words_for_a_site_never_nominated(site_id):
    assert SiteRecord(feature_id=site_id).words() == "Not nominated as an Asset of Community Value."


# -- notes --------------------------------------------------------------------------------------------------

def test_notes_are_withheld_unless_asked_for_and_come_newest_first(demo_store, site_id):
    first = sites.add_site_note(demo_store, site_id, "  Owner open to a lease at a peppercorn rent.  ",
                                author=" Grace M. ")
    second = sites.add_site_note(demo_store, site_id, "Surveyor says the roof needs £40k of work.", author="Joel R.")
    assert sites.site_notes(demo_store, site_id, viewer=PUBLIC) is None
    got = sites.site_notes(demo_store, site_id, viewer=as_role("officer"))
    assert [(n.id, n.note, n.author) for n in got] == [
        (second, "Surveyor says the roof needs £40k of work.", "Joel R."),
        (first, "Owner open to a lease at a peppercorn rent.", "Grace M.")]
    assert got[0].created_at >= got[1].created_at and got[0].feature_id == site_id
    other = demo_store.con.execute("SELECT min(id) FROM features WHERE id <> ?", [site_id]).fetchone()[0]
    assert sites.site_notes(demo_store, other, viewer=as_role("officer")) == [], "notes belong to their site"


@pytest.mark.parametrize(("note", "author", "message"), [
    ("", "Grace M.", "Write the note"),
    ("   ", "Grace M.", "Write the note"),
    ("Owner wants to sell to the Caf\u00c3\u00a9", "Grace M.", "^Note: it looks garbled"),
    ("Rent \ufffd negotiable", "Grace M.", "^Note: it holds the replacement character"),
    ("Call back\x1b[0m", "Grace M.", "^Note: it holds control characters"),
    ("x" * (sites.NOTE_MAX + 1), "Grace M.", "keep it under 4,000"),
    ("Owner open to a lease.", "  ", "Say who is writing"),
])
def test_a_bad_note_is_refused_and_nothing_is_written(demo_store, site_id, note, author, message):
    with pytest.raises(InvalidInput, match=message):
        sites.add_site_note(demo_store, site_id, note, author=author)
    assert notes(demo_store) == []


def test_a_note_on_an_unknown_site_is_refused(demo_store):
    with pytest.raises(NotFound, match="no site 999999"):
        sites.add_site_note(demo_store, 999_999, "Owner open to a lease.", author="Grace M.")
    assert notes(demo_store) == []


def test_the_confidential_fields_are_listed_in_one_place():
    assert set(CONFIDENTIAL_FIELDS["site_notes"]) >= {"note", "author"}
    assert is_confidential("assets", "contact") and is_confidential("match_decisions", "reason")
    assert not is_confidential("assets", "name") and not is_confidential("site_records", "acv_status")
