"""The social-enterprise market report (cedplans.insights.market) and its PDF, HTML, CSV
and command, on a small store each test builds on both engines.

The store: two wards side by side in EPSG:27700 ("North" above "South"), eleven assets
written through atlas.writes, register entries, needs and offers, and anchors' spend
written by SQL. Every expected figure below is worked out by hand from those rows
(see ORGANISATIONS and the comments); the report date is AS_OF, 30 June 2025.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import geopandas as gpd
import pypdf
import pytest
import shapely
from click.testing import CliRunner

from atlas import needs_offers, open_store, vocabulary, writes
from atlas.errors import InvalidInput, NotFound
from atlas.needs_offers import NeedOfferDraft
from atlas.projection import reproject
from atlas_cli import main
from cedplans.insights.areas import resolve_area
from cedplans.insights.market import (
    TABLE_KEYS,
    compare_reports,
    existed_on,
    market_report,
    organisation_type,
    whole_years,
)
from cedplans.insights.market_cli import market_cmd
from cedplans.insights.market_csv import COMPARISON_COLUMNS, REPORT_COLUMNS, render_csv
from cedplans.insights.market_html import render_html
from cedplans.insights.market_pdf import render_pdf
from cedplans.insights.market_text import table_cells

BNG = 27700
AS_OF = date(2025, 6, 30)
EARLIER = date(2023, 1, 1)
IMPORTED = datetime(2024, 1, 1)
"""When the test says every asset was imported and every need and offer recorded: before
AS_OF, after EARLIER."""
SCRIPT = "<script>alert('food')</script> Southside Food Bank"

NORTH = shapely.box(400_000, 287_000, 401_000, 288_000)
SOUTH = shapely.box(400_000, 286_000, 401_000, 287_000)

# name, ward (or "outside"), x, y, sector, category, employees
ASSETS = [
    ("Canal Makers CIC", 400_100, 287_100, "social", "makers", 4),
    ("Hillside Co-op", 400_200, 287_200, "private", "shop", 12),
    ("Friends of the Park", 400_300, 287_300, "community", "friends group", None),
    ("Northern Care Trust", 400_400, 287_400, "social", "charity", 60),
    ("Acme Widgets Ltd", 400_500, 287_500, "private", "manufacturer", 30),
    ("Old Mill CIC", 400_600, 287_600, "social", "social enterprise", 3),
    ("Southside Kitchen CIC", 400_100, 286_100, "social", "cafe", 8),
    (SCRIPT, 400_200, 286_200, "community", "food bank", None),
    ("General Hospital", 400_500, 286_500, "public", "hospital", 3_000),
    ("Far Away CIC", 402_500, 286_500, "social", "social enterprise", 5),
    ("Big Council", 402_600, 286_600, "public", "council", 5_000),
]

# name: (company, charity, legal form, status, incorporated, dissolved, income, register sector, social enterprise)
REGISTRATIONS = {
    "Canal Makers CIC": ("12000001", None, "Community Interest Company", "Active", date(2024, 1, 15), None,
                         150_000, "Arts, entertainment and recreation", True),
    "Hillside Co-op": ("IP030002", None, "Registered Society", "Active", date(2019, 6, 30), None, 950_000,
                       "Wholesale and retail trade", True),
    "Northern Care Trust": (None, "1100001", "Charitable Incorporated Organisation", "Registered", date(2010, 5, 1),
                            None, 2_500_000, "Health", False),
    "Acme Widgets Ltd": ("03000004", None, "Private Limited Company", "Active", date(2000, 1, 1), None, 4_000_000,
                         "Manufacturing", False),
    "Old Mill CIC": ("09000005", None, "Community Interest Company", "Dissolved", date(2015, 1, 1), date(2023, 6, 30),
                     40_000, "Manufacturing", True),
    "Southside Kitchen CIC": ("14000006", None, "Community Interest Company", "Active", date(2023, 6, 30), None,
                              80_000, "Accommodation and food service activities", True),
    "Far Away CIC": ("15000007", None, "Community Interest Company", "Active", date(2020, 1, 1), None, 10_000,
                     "Education", True),
}

# asset name, side, kind, title, tags, annual value
NEEDS_OFFERS = [
    ("Canal Makers CIC", "offer", "products", "Handmade signage", ["signage", "furniture"], None),
    ("Southside Kitchen CIC", "offer", "services", "Catering for events and meetings", ["catering", "hot meals"],
     None),
    ("Northern Care Trust", "offer", "skills", "Community interpreters", ["interpreting", "community languages"],
     None),
    ("Hillside Co-op", "offer", "space", "Meeting room hire", ["meeting rooms"], None),
    (SCRIPT, "offer", "volunteers", "Volunteers for events", ["volunteers"], None),
    ("Old Mill CIC", "offer", "products", "Reclaimed furniture", ["furniture"], None),   # dissolved: not counted
    ("Acme Widgets Ltd", "offer", "services", "Office cleaning", ["cleaning"], None),     # not in the market
    ("Canal Makers CIC", "need", "funding", "Start-up grant", ["funding"], 20_000),
    ("Canal Makers CIC", "need", "space", "Workshop unit", ["workspace"], None),
    (SCRIPT, "need", "volunteers", "Drivers for deliveries", ["volunteers"], None),
    (SCRIPT, "need", "funding", "Core costs", ["funding"], 5_000),
    ("Friends of the Park", "need", "other", "Insurance advice", ["advice"], None),
    ("Acme Widgets Ltd", "need", "funding", "Loan", ["funding"], 100_000),                 # not in the market
    ("General Hospital", "need", "supply", "Patient meals", ["catering"], 300_000),
    ("General Hospital", "need", "supply", "Medical gases", ["medical gases"], 60_000),
    ("General Hospital", "need", "workforce", "Interpreters", ["interpreting"], 50_000),
    ("Big Council", "need", "supply", "Road salt", ["road salt"], 10_000),
]

# anchor, category, amount, currency, paid on, supplier asset
SPEND = [
    ("General Hospital", "Catering", 100_000.0, "GBP", date(2025, 1, 10), None),
    ("General Hospital", "Catering", 50_000.0, "GBP", date(2025, 2, 10), "Southside Kitchen CIC"),
    ("General Hospital", "Catering", -10_000.0, "GBP", date(2025, 5, 1), None),          # a credit note
    ("General Hospital", "Catering", 99_999.0, "GBP", date(2025, 7, 15), None),          # after AS_OF
    ("General Hospital", "Catering", 1_000.0, "EUR", date(2025, 3, 1), None),            # another currency
    ("General Hospital", "Interpreting services", 30_000.0, "GBP", date(2024, 11, 1), None),
    ("General Hospital", "Medical supplies", 200_000.0, "GBP", date(2025, 3, 1), None),
    ("General Hospital", "Signage", 12_000.0, "GBP", date(2025, 3, 5), None),
    ("General Hospital", None, 5_000.0, "GBP", date(2025, 4, 1), None),
    ("Big Council", "signage", 3_000.0, "GBP", date(2025, 2, 1), None),
    ("Big Council", "Road gritting", 40_000.0, "GBP", date(2025, 2, 1), None),
]


def _ids(store) -> dict[str, int]:
    return {name: i for i, name in store.con.execute("SELECT id, name FROM assets").fetchall()}


def build(store) -> dict[str, int]:
    """Fill ``store`` with the wards, assets, registrations, needs, offers and spend above."""
    wards = gpd.GeoDataFrame({"name": ["North", "South"]}, geometry=[NORTH, SOUTH], crs=BNG)
    writes.upsert_boundaries(store, wards, source="wards", level="ward")
    frame = gpd.GeoDataFrame(
        {"source_id": [f"a{i}" for i in range(len(ASSETS))], "name": [a[0] for a in ASSETS],
         "sector": [a[3] for a in ASSETS], "category": [a[4] for a in ASSETS],
         "employees": [a[5] for a in ASSETS]},
        geometry=[shapely.Point(a[1], a[2]) for a in ASSETS], crs=BNG)
    # A person with skills is a community asset too, but never an organisation of the market.
    person = gpd.GeoDataFrame(
        {"source_id": ["p1"], "name": ["Amina the bookkeeper"], "sector": ["community"], "category": ["skills"],
         "asset_type": ["human"], "person": ["yes"], "consent_given_by": ["Amina"],
         "consent_given_on": ["2024-01-01"], "consent_purpose": ["asset mapping"]},
        geometry=[shapely.Point(400_700, 287_700)], crs=BNG)
    writes.upsert_assets(store, frame, source="test")
    writes.upsert_assets(store, person, source="people")
    ids = _ids(store)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction():
        store.con.execute("UPDATE assets SET imported_at = ?", [IMPORTED])
        for name, (company, charity, form, status, started, ended, income, sector, social) in REGISTRATIONS.items():
            store.con.execute(
                "INSERT INTO asset_registrations (asset_id, company_number, charity_number, legal_form, status, "
                "incorporated_on, dissolved_on, income, register_sector, social_enterprise, source, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ids[name], company, charity, form, status, started, ended, income, sector, social, "test", now])
    voc = vocabulary.load(store)
    drafts = [NeedOfferDraft(side=side, asset_id=ids[name], kind=kind, title=title, tags=tuple(tags),
                             annual_value=value) for name, side, kind, title, tags, value in NEEDS_OFFERS]
    needs_offers.write(store, drafts, source="test", source_ids=[f"n{i}" for i in range(len(drafts))], by="tester",
                       vocabulary=voc)
    with store.transaction():
        store.con.execute("UPDATE needs_offers SET recorded_at = ?", [IMPORTED])
        for i, (anchor, category, amount, currency, paid, supplier) in enumerate(SPEND):
            store.con.execute(
                "INSERT INTO spend_lines (anchor_id, supplier_name, amount, currency, paid_on, category, "
                "supplier_asset_id, source, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ids[anchor], supplier or "A supplier Ltd", amount, currency, paid, category,
                 ids[supplier] if supplier else None, "spend-test", f"s{i}"])
    return ids


@pytest.fixture
def market_store(empty_store):
    build(empty_store)
    return empty_store


def counts(report, key: str) -> dict[str, int]:
    return {r.group: r.count for r in report.table(key).rows}


def values(report, key: str) -> dict[str, float | None]:
    return {r.group: r.value for r in report.table(key).rows}


# -- the rule, without a store --------------------------------------------------------------

@pytest.mark.parametrize(("registered", "form", "charity", "social", "sector", "category", "expected"), [
    (True, "Registered Society", None, True, "private", None, "co-operative"),
    (True, "Industrial and provident society", None, True, None, None, "co-operative"),
    (True, "Community benefit society", None, True, "social", None, "community business"),
    (True, "Community Interest Company", None, True, None, None, "social enterprise"),
    (True, "Charitable Incorporated Organisation", None, False, None, None, "charity"),
    (True, "Private Limited Company", "1100009", False, None, None, "charity"),
    (True, "Private Limited Company", None, False, "private", "shop", None),
    (True, "Private Limited Company", None, False, "social", "cafe", "community business"),
    (False, None, None, None, "private", "Workers' Co-operative", "co-operative"),
    (False, None, None, None, "social", "charity trust", "charity"),
    (False, None, None, None, "community", "residents association", "community business"),
    (False, None, None, None, "public", "library", None),
    (False, None, None, None, None, None, None),
])
def test_which_assets_are_organisations_of_the_market(registered, form, charity, social, sector, category,
                                                      expected):
    typed = organisation_type(registered=registered, legal_form=form, charity_number=charity,
                              social_enterprise=social, sector=sector, category=category)
    assert (typed[0] if typed else None) == expected
    if typed:
        assert typed[1], "every type comes with its reason"


@pytest.mark.parametrize(("started", "ended", "status", "expected"), [
    (date(2020, 1, 1), None, "Active", True),
    (date(2025, 7, 1), None, "Active", False),                 # not yet incorporated
    (None, None, None, True),                                   # unregistered, imported 1 January 2024
    (date(2020, 1, 1), date(2025, 6, 30), "Dissolved", True),   # dissolved on the day, not before it
    (date(2020, 1, 1), date(2025, 6, 29), "Dissolved", False),
    (date(2020, 1, 1), date(2026, 1, 1), "Removed", True),      # removed later
    (date(2020, 1, 1), None, "Converted/Closed", False),        # closed, no one knows when
    (date(2020, 1, 1), None, "Liquidation", True),              # still there, for now
])
def test_which_organisations_existed_on_a_date(started, ended, status, expected):
    assert existed_on(AS_OF, incorporated_on=started, dissolved_on=ended, status=status,
                      imported_on=IMPORTED.date()) is expected
    assert existed_on(date(2023, 12, 31), incorporated_on=None, dissolved_on=None, status=None,
                      imported_on=IMPORTED.date()) is False


def test_whole_years_complete_on_the_anniversary():
    assert whole_years(date(2023, 6, 30), date(2025, 6, 29)) == 1
    assert whole_years(date(2023, 6, 30), date(2025, 6, 30)) == 2
    assert whole_years(date(2020, 2, 29), date(2021, 2, 28)) == 0
    assert whole_years(date(2020, 2, 29), date(2021, 3, 1)) == 1


# -- the figures -----------------------------------------------------------------------------

def test_the_market_of_both_wards(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    # Counted: Canal Makers (CIC), Hillside (society), Friends of the Park (community), Northern Care
    # (charity), Southside Kitchen (CIC), the food bank (community). Not: Acme (an ordinary company),
    # Old Mill (dissolved 30 June 2023), Far Away (outside both wards), the hospital and council
    # (public), the person.
    assert sorted(o.name for o in report.organisations) == sorted([
        "Canal Makers CIC", "Hillside Co-op", "Friends of the Park", "Northern Care Trust",
        "Southside Kitchen CIC", SCRIPT])
    assert counts(report, "type") == {"social enterprise": 2, "co-operative": 1, "charity": 1,
                                      "community business": 2}
    assert counts(report, "sector") == {"Arts, entertainment and recreation": 1, "Wholesale and retail trade": 1,
                                        "friends group": 1, "Health": 1,
                                        "Accommodation and food service activities": 1, "food bank": 1}
    # Income: 80k; 150k and 950k; 2.5m; two unregistered.
    assert counts(report, "income") == {"under 100k": 1, "100k to 1m": 2, "1m to 10m": 1, "10m and over": 0,
                                        "unknown": 2}
    # Employees: 4 and 8; 12; 60; two not given.
    assert counts(report, "employees") == {"0-9": 2, "10-49": 1, "50-249": 1, "250+": 0, "unknown": 2}
    assert counts(report, "legal_form") == {"Community Interest Company": 2, "Registered Society": 1,
                                            "Charitable Incorporated Organisation": 1, "not registered": 2}
    # On 30 June 2025: Canal Makers 1 whole year; Southside Kitchen exactly 2 (its anniversary);
    # Hillside exactly 6; Northern Care 15.
    assert counts(report, "trading") == {"under 2 years": 1, "2 to 5 years": 1, "5 to 10 years": 1,
                                         "10 years or more": 1, "unknown": 2}
    # Median of four: the mean of the middle two, Southside Kitchen (731 days: 2024 was a leap
    # year) and Hillside (6 x 365 + 2 leap days = 2,192 days).
    m = report.maturity
    assert (m.known, m.young) == (4, 1)
    assert m.median_years == pytest.approx((731 + 2192) / 2 / 365.25)
    assert m.share_young == pytest.approx(0.25)
    assert values(report, "maturity")["median years trading"] == pytest.approx(4.0014, abs=1e-4)


def test_what_they_offer_and_need(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    # Old Mill's furniture and Acme's cleaning are not the market's offers.
    assert counts(report, "offers_kind") == {"skills": 1, "services": 1, "products": 1, "space": 1, "volunteers": 1}
    assert counts(report, "offers_tag") == {t: 1 for t in ["catering", "community languages", "furniture",
                                                           "hot meals", "interpreting", "meeting rooms", "signage",
                                                           "volunteers"]}
    # Support: funding from Canal Makers (20k) and the food bank (5k); Acme's loan is not counted.
    support = report.table("support")
    assert counts(report, "support") == {"workforce": 0, "supply": 0, "space": 1, "land": 0, "funding": 2,
                                         "volunteers": 1, "other": 1}
    assert support.row("funding").value == 25_000
    assert support.row("funding").detail == "2 organisations"
    assert support.row("space").value is None
    directory = report.table("directory")
    assert directory.count("Canal Makers CIC") == 1
    assert "offers: Handmade signage" in directory.row("Canal Makers CIC").detail
    assert "no offers recorded" in directory.row("Friends of the Park").detail


def test_what_anchors_buy_and_the_gaps(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    spend = {d.label: d for d in report.spend}
    # Catering: 100,000 + 50,000 - 10,000 (the credit note); the July payment is after the
    # report's date and the euro payment is in another currency.
    assert spend["Catering"].amount == 140_000 and spend["Catering"].lines == 3
    assert spend["Catering"].local_offers == ("Southside Kitchen CIC",)
    assert spend["Catering"].paid_locally == 50_000
    # "Interpreting services" names the translation category, which Northern Care offers.
    assert spend["Interpreting services"].local_offers == ("Northern Care Trust",)
    # No category for signage in the vocabulary: the words meet Canal Makers' tag. The council's
    # "signage" is the same category.
    assert spend["Signage"].amount == 15_000 and spend["Signage"].lines == 2
    assert spend["Signage"].anchors == ("Big Council", "General Hospital")
    assert spend["Signage"].local_offers == ("Canal Makers CIC",)
    assert spend["uncategorised"].amount == 5_000 and not spend["uncategorised"].gap
    assert [d.label for d in report.spend] == ["Medical supplies", "Catering", "Road gritting",
                                               "Interpreting services", "Signage", "uncategorised"]
    assert report.spend_total == 200_000 + 140_000 + 40_000 + 30_000 + 15_000 + 5_000
    assert report.spend_paid_locally == 50_000
    assert report.spend_period == (date(2024, 11, 1), date(2025, 5, 1))
    assert report.other_currency_lines == 1
    needs = {d.label: d for d in report.anchor_needs}
    assert needs["Patient meals"].local_offers == ("Southside Kitchen CIC",)
    assert needs["Interpreters"].local_offers == ("Northern Care Trust",)
    assert needs["Medical gases"].gap and needs["Road salt"].gap
    assert counts(report, "anchor_needs") == {"workforce": 1, "supply": 3}
    assert values(report, "anchor_needs") == {"workforce": 50_000, "supply": 370_000}
    assert report.table("anchor_needs").row("supply").detail == "1 offered locally, 2 not"
    gaps = report.table("gaps")
    assert [(r.group, r.count, r.value) for r in gaps.rows] == [
        ("Medical supplies", 1, 200_000), ("Medical gases", 1, 60_000), ("Road gritting", 1, 40_000),
        ("Road salt", 1, 10_000)]
    assert gaps.row("Road salt").detail == "supply need of Big Council"


def test_only_anchors_in_the_area(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF, anchors_in_area=True)
    # The council lies outside both wards: its road gritting, signage and road salt go.
    assert [r.group for r in report.table("gaps").rows] == ["Medical supplies", "Medical gases"]
    assert report.spend_total == 200_000 + 140_000 + 30_000 + 12_000 + 5_000
    assert {d.label: d.anchors for d in report.spend}["Signage"] == ("General Hospital",)


def test_one_ward_and_a_drawn_area(market_store):
    north = market_report(market_store, resolve_area(market_store, ["north"]), as_of=AS_OF)
    assert counts(north, "type") == {"social enterprise": 1, "co-operative": 1, "charity": 1, "community business": 1}
    south = market_report(market_store, resolve_area(market_store, ["South"]), as_of=AS_OF)
    assert sorted(o.name for o in south.organisations) == sorted(["Southside Kitchen CIC", SCRIPT])
    # A triangle drawn in WGS84 over North's south-west corner, its long side where x + y is 500 m
    # from the corner: Canal Makers (100 + 100) and Hillside (200 + 200) lie in it; Friends of the
    # Park (300 + 300) and Northern Care (400 + 400) lie in its bounding box but not in it.
    drawn = reproject(shapely.Polygon([(400_000, 287_000), (400_500, 287_000), (400_000, 287_500)]), BNG, 4326)
    area = resolve_area(market_store, polygon=drawn)
    report = market_report(market_store, area, as_of=AS_OF)
    assert sorted(o.name for o in report.organisations) == ["Canal Makers CIC", "Hillside Co-op"]
    assert report.label == "drawn area on 30 June 2025"


def test_the_market_on_an_earlier_date(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=EARLIER)
    # On 1 January 2023: Old Mill (dissolved later, on 30 June 2023), Hillside and Northern Care.
    # Canal Makers (2024) and Southside Kitchen (June 2023) had not started; the two
    # unregistered groups were imported in 2024.
    assert sorted(o.name for o in report.organisations) == ["Hillside Co-op", "Northern Care Trust", "Old Mill CIC"]
    assert counts(report, "type") == {"social enterprise": 1, "co-operative": 1, "charity": 1,
                                      "community business": 0}
    # Old Mill: 8 whole years; Hillside: 3; Northern Care: 12.
    assert counts(report, "trading") == {"under 2 years": 0, "2 to 5 years": 1, "5 to 10 years": 1,
                                         "10 years or more": 1}
    # Needs, offers and spend were all recorded or paid after that date.
    assert report.table("offers_kind").rows == () and report.spend == () and report.anchor_needs == ()
    assert report.spend_period is None


def test_compare_two_dates_and_two_areas(market_store):
    before = market_report(market_store, resolve_area(market_store), as_of=EARLIER)
    after = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    comparison = compare_reports(before, after)
    kinds = comparison.table("type")
    assert [(r.group, r.count_a, r.count_b, r.count_change) for r in kinds.rows] == [
        ("social enterprise", 1, 2, 1), ("co-operative", 1, 1, 0), ("charity", 1, 1, 0),
        ("community business", 0, 2, 2)]
    # A group only one report has is compared with zero.
    sector = comparison.table("sector")
    assert (sector.row("Manufacturing").count_a, sector.row("Manufacturing").count_b) == (1, 0)
    assert (sector.row("food bank").count_a, sector.row("food bank").count_b) == (0, 1)
    median = comparison.table("maturity").row("median years trading")
    assert median.value_b == pytest.approx((731 + 2192) / 2 / 365.25)
    # Then the median of three was Old Mill's: 8 years to the day, two of them leap years.
    assert median.value_a == pytest.approx((8 * 365 + 2) / 365.25)
    assert [t.key for t in comparison.tables] == list(TABLE_KEYS)
    areas = compare_reports(market_report(market_store, resolve_area(market_store, ["North"]), as_of=AS_OF),
                            market_report(market_store, resolve_area(market_store, ["South"]), as_of=AS_OF))
    assert [(r.group, r.count_a, r.count_b, r.count_change) for r in areas.table("type").rows] == [
        ("social enterprise", 1, 1, 0), ("co-operative", 1, 0, -1), ("charity", 1, 0, -1),
        ("community business", 1, 1, 0)]


def test_bad_requests_are_refused(market_store):
    with pytest.raises(NotFound, match="No boundary called 'Nowhere'"):
        resolve_area(market_store, ["Nowhere"])
    with pytest.raises(InvalidInput, match="in the future"):
        market_report(market_store, resolve_area(market_store), as_of=date(2999, 1, 1))


# -- the outputs -----------------------------------------------------------------------------

def pdf_text(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return " ".join(text.split()), images


def test_the_pdf_holds_every_table(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    text, images = pdf_text(render_pdf(report))
    assert "The social-enterprise market:" in text
    assert report.area.name in text and "As of 30 June 2025." in text
    assert "6 organisations in" in text and "2 social enterprises, 1 co-operative, 1 charity and 2 community" in text
    assert "£430,000, of which £50,000 was paid to these organisations" in text
    for table in report.tables:
        assert table.title in text
        header, rows, _ = table_cells(table, report.currency)
        for heading in header:
            assert heading in text, (table.key, heading)
        for row in rows:
            assert " ".join(f"{row[0]} {row[1]}".split()) in text, (table.key, row)
    assert "£140,000" in text and "no local offer (a gap)" in text
    assert SCRIPT in text, "the name is printed as it is, not read as markup"
    assert images == 3, "the map, the profile and the spend chart"


def test_an_area_with_no_organisations_still_reports(market_store):
    empty = resolve_area(market_store, polygon=reproject(shapely.box(410_000, 290_000, 410_500, 290_500), BNG, 4326))
    report = market_report(market_store, empty, as_of=AS_OF)
    assert report.organisations == () and report.maturity.median_years is None
    assert counts(report, "type") == dict.fromkeys(("social enterprise", "co-operative", "charity",
                                                    "community business"), 0)
    # Every anchor's spend still shows, and with no one here to offer anything it is all gaps
    # (but the payments with no category), largest first.
    assert [r.group for r in report.table("gaps").rows] == [
        "Patient meals", "Medical supplies", "Catering", "Medical gases", "Interpreters", "Road gritting",
        "Interpreting services", "Signage", "Road salt"]
    text, images = pdf_text(render_pdf(report))
    assert "0 organisations in drawn area." in text and images == 3
    assert "0 organisations in drawn area." in render_html(report)


def test_the_pdf_of_a_comparison(market_store):
    a = market_report(market_store, resolve_area(market_store, ["North"]), as_of=AS_OF)
    b = market_report(market_store, resolve_area(market_store, ["South"]), as_of=AS_OF)
    text, _ = pdf_text(render_pdf(a, comparison=compare_reports(a, b)))
    assert "Compared: North on 30 June 2025 (A) and South on 30 June 2025 (B)" in text
    assert "Organisations by type (A and B)" in text
    assert "co-operative 1 0 -1" in text


def test_the_html_escapes_names(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    html = render_html(report)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;food&#39;)&lt;/script&gt; Southside Food Bank" in html
    for table in report.tables:
        assert f'<h2 id="{table.key}">{table.title}</h2>' in html
    assert html.count("data:image/png;base64,") == 3
    a = market_report(market_store, resolve_area(market_store), as_of=EARLIER)
    compared = render_html(report, comparison=compare_reports(a, report))
    assert "Compared: " in compared and "<script>" not in compared


def test_the_csv_is_one_long_table(market_store):
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert {r["table"] for r in rows} == set(TABLE_KEYS)
    assert all(r["area"] == report.area.name and r["as_of"] == "2025-06-30" for r in rows)
    by = {(r["table"], r["group"]): r for r in rows}
    assert by[("type", "community business")]["count"] == "2"
    assert float(by[("anchor_spend", "Catering")]["value"]) == 140_000
    assert by[("anchor_spend", "Catering")]["currency"] == "GBP"
    assert float(by[("maturity", "trading under 2 years")]["value"]) == 0.25
    assert by[("directory", SCRIPT)]["count"] == "1"
    assert len(rows) == sum(len(t.rows) for t in report.tables)
    before = market_report(market_store, resolve_area(market_store), as_of=EARLIER)
    compared = list(csv.DictReader(io.StringIO(render_csv(report, comparison=compare_reports(before, report)))))
    assert tuple(compared[0]) == COMPARISON_COLUMNS
    social = next(r for r in compared if r["table"] == "type" and r["group"] == "social enterprise")
    assert (social["count_a"], social["count_b"], social["count_change"]) == ("1", "2", "1")


# -- the command -----------------------------------------------------------------------------

def run(*args: str) -> str:
    result = CliRunner().invoke(market_cmd, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_prints_writes_and_compares(store_path, tmp_path):
    with open_store(store_path) as store:
        build(store)
    db = str(store_path)
    table = run("--db", db, "--as-of", "2025-06-30")
    assert "Organisations by type" in table and "community business" in table and "Medical supplies" in table
    data = json.loads(run("--db", db, "--as-of", "2025-06-30", "--area", "North", "--format", "json"))
    assert data["area"] == "North" and data["organisations"] == 4
    # The same through the atlas command, where it lives as ``atlas report market``.
    whole = CliRunner().invoke(main, ["report", "market", "--db", db, "--as-of", "2025-06-30", "--area", "North",
                                      "--format", "json"])
    assert whole.exit_code == 0, whole.output
    assert json.loads(whole.output)["tables"] == data["tables"]
    assert {r["group"]: r["count"] for r in data["tables"]["type"]["rows"]}["co-operative"] == 1
    data = json.loads(run("--db", db, "--as-of", "2025-06-30", "--compare-as-of", "2023-01-01", "--format", "json"))
    assert data["compared_with"]["as_of"] == "2023-01-01" and data["compared_with"]["organisations"] == 3
    for suffix in ("pdf", "html", "csv"):
        out = tmp_path / f"market.{suffix}"
        said = run("--db", db, "--as-of", "2025-06-30", "--area", "North", "--compare-area", "South",
                   "--out", str(out))
        assert f"to {out}" in said and out.stat().st_size > 0
    assert "Compared: North on 30 June 2025 (A) and South" in pdf_text((tmp_path / "market.pdf").read_bytes())[0]
    assert tuple(next(csv.reader((tmp_path / "market.csv").open(encoding="utf-8")))) == COMPARISON_COLUMNS
    html = (tmp_path / "market.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html  # the food bank, in South


def test_the_command_refuses_what_it_cannot_do(store_path, tmp_path):
    with open_store(store_path) as store:
        build(store)
    result = CliRunner().invoke(market_cmd, ["--db", str(store_path), "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "end the file name in .pdf, .html or .csv" in result.output
    assert not (tmp_path / "r.docx").exists()
    result = CliRunner().invoke(market_cmd, ["--db", str(store_path), "--area", "Nowhere"])
    assert result.exit_code == 1 and "No boundary called 'Nowhere'" in result.output
    result = CliRunner().invoke(market_cmd, ["--db", str(store_path), "--out", str(tmp_path / "missing" / "r.pdf"),
                                             "--as-of", "2025-06-30"])
    assert result.exit_code == 2 and "does not exist" in result.output
