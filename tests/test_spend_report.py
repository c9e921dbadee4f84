"""The anchor spend report (issue 12, item 3): local shares by ring and category, leaks with
local suppliers, unmatched and uncertain suppliers, the LM3 multiplier, and
``atlas report spend``, on both engines.

Each test builds a small atlas of its own around Birmingham: a ward ("Ward A", the area),
a city boundary ("Testham", level city) and no region boundary, so the region is the city
widened by 40 km. Spend lines are written by SQL as the spend importer (atlas.spend) writes
them: suppliers placed by a postcode of the postcodes table, or by their matched asset, or
not at all. Every expected figure is worked out by hand in the comments.

The lines of the anchor, Testham General Hospital (ten payments, £50,000 in all):

====  ======================  ============  ==========  =======  ==================================
line  supplier                category      paid on     amount   placed / matched
====  ======================  ============  ==========  =======  ==================================
1     Kitchen Co-op           Catering      2024-01-15   10,000  asset in Ward A / certain
2     Kitchen Co-op           Catering      2024-02-15     -500  (credit note) as line 1
3     Sparkle Cleaning CIC    Cleaning      2024-03-01    6,000  postcode in Ward A / certain
4     Sparkle Clean Ltd       Cleaning      2024-03-10    1,500  postcode in Ward A / uncertain
5     City Print Ltd          Printing      2024-04-01    4,000  postcode in the city, not the ward
6     Regional Foods Ltd      Catering      2024-05-01    8,000  postcode 17 km east of the city
7     Faraway Supplies plc    IT equipment  2024-06-01   12,000  asset in London / certain
8     Mystery Trading         Cleaning      2024-07-01    2,000  no postcode, no match: unknown
9     Kitchen Co-op           Catering      2023-12-20    3,000  as line 1
10    Faraway Supplies plc    IT equipment  2023-11-01    4,000  as line 7
====  ======================  ============  ==========  =======  ==================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from atlas import needs_offers, open_store, vocabulary, writes
from atlas.errors import InvalidInput, NotFound
from atlas.importers import postcode_store
from atlas.needs_offers import NeedOfferDraft
from atlas.register import AssetDraft, add_asset
from atlas.store import Store
from atlas_cli import main
from cedplans.insights.lm3 import read_survey
from cedplans.insights.spend import SPEND_NEED_SOURCE, report_dict, spend_report
from cedplans.matching import MatchIndex

WARD = box(-1.95, 52.47, -1.91, 52.49)
CITY = box(-2.00, 52.42, -1.85, 52.54)
POSTCODES = {
    "B11AA": (-1.921, 52.486),  # Sparkle Cleaning CIC: in Ward A
    "B12BB": (-1.915, 52.475),  # Sparkle Clean Ltd: in Ward A
    "B55PP": (-1.880, 52.500),  # City Print Ltd: in Testham, east of Ward A
    "CV11FF": (-1.600, 52.450),  # Regional Foods: 0.25 degrees (about 17 km) east of the city, inside 40 km
}
HOSPITAL = "Testham General Hospital"


@dataclass(frozen=True)
class Place:
    path: Path | str
    hospital: int
    council: int
    kitchen: int
    sparkle: int
    faraway: int
    town_caterer: int
    big_caterer: int


def _asset(store: Store, name: str, lon: float, lat: float, *, macro: bool = False) -> int:
    return add_asset(store, AssetDraft(name=name, lon=lon, lat=lat, employees=900 if macro else 3), by="test")


def _offer(store: Store, asset_id: int, title: str, tag: str) -> None:
    needs_offers.add(store, NeedOfferDraft(side="offer", asset_id=asset_id, kind="services", title=title,
                                           tags=(tag,)), by="Test researcher", vocabulary=vocabulary.load(store))


_COLUMNS = ("anchor_id", "supplier_name", "supplier_postcode", "amount", "currency", "paid_on", "category",
            "supplier_asset_id", "match_method", "match_score", "candidate_asset_id", "supplier_lon", "supplier_lat",
            "placed_by", "source", "source_id")


def _lines(store: Store, rows: list[tuple], source: str = "test-spend.csv") -> None:
    """Spend lines as the importer writes them: a postcode's place from the postcodes table,
    else the matched asset's place, else none."""
    lon, lat = postcode_store.lookup(store, [r[2] for r in rows])
    values = []
    for n, (anchor, supplier, postcode, amount, paid, category, asset, score, candidate, asset_at) in enumerate(rows):
        if postcode is not None:
            where, placed = (float(lon[n]), float(lat[n])), "postcode"
        elif asset_at is not None:
            where, placed = asset_at, "asset"
        else:
            where, placed = (None, None), None
        method = "company number" if asset else None  # an uncertain match keeps only its score and candidate
        values.append((anchor, supplier, postcode, amount, "GBP", paid, category, asset, method, score, candidate,
                       *where, placed, source, f"line {n + 1}"))
    with store.transaction():
        store.con.executemany(f"INSERT INTO spend_lines ({', '.join(_COLUMNS)}) "
                              f"VALUES ({', '.join('?' * len(_COLUMNS))})", values)


@pytest.fixture
def place(store_path) -> Place:
    with open_store(store_path) as store:
        boundaries = gpd.GeoDataFrame({"name": ["Ward A", "Testham"], "level": ["ward", "city"]},
                                      geometry=[WARD, CITY], crs=4326)
        writes.upsert_boundaries(store, boundaries, source="test boundaries")
        postcode_store.upsert(store, list(POSTCODES), [p[0] for p in POSTCODES.values()],
                              [p[1] for p in POSTCODES.values()], source="test postcodes")
        hospital = _asset(store, HOSPITAL, -1.930, 52.480, macro=True)
        council = _asset(store, "Testham Council", -1.925, 52.482, macro=True)
        kitchen = _asset(store, "Kitchen Co-op", -1.935, 52.478)
        sparkle = _asset(store, "Sparkle Cleaning CIC", -1.920, 52.485)
        faraway = _asset(store, "Faraway Supplies plc", -0.120, 51.500, macro=True)
        # Two caterers the leak must not suggest: one outside the ward, one macro.
        town_caterer = _asset(store, "Town Caterers", -1.880, 52.510)
        big_caterer = _asset(store, "Big Catering Group", -1.940, 52.475, macro=True)
        _offer(store, kitchen, "Hot meals and catering", "catering")
        _offer(store, sparkle, "Office and ward cleaning", "cleaning")
        _offer(store, town_caterer, "Catering for events", "catering")
        _offer(store, big_caterer, "Catering contracts", "catering")
        k_at, f_at = (-1.935, 52.478), (-0.120, 51.500)
        # (anchor, supplier, postcode, amount, paid on, category, asset, score, candidate, asset's place)
        _lines(store, [
            (hospital, "Kitchen Co-op", None, 10_000.0, date(2024, 1, 15), "Catering", kitchen, 100.0, None, k_at),
            (hospital, "Kitchen Co-op", None, -500.0, date(2024, 2, 15), "Catering", kitchen, 100.0, None, k_at),
            (hospital, "Sparkle Cleaning CIC", "B11AA", 6_000.0, date(2024, 3, 1), "Cleaning", sparkle, 100.0, None,
             None),
            (hospital, "Sparkle Clean Ltd", "B12BB", 1_500.0, date(2024, 3, 10), "Cleaning", None, 78.0, sparkle,
             None),
            (hospital, "City Print Ltd", "B55PP", 4_000.0, date(2024, 4, 1), "Printing", None, None, None, None),
            (hospital, "Regional Foods Ltd", "CV11FF", 8_000.0, date(2024, 5, 1), "Catering", None, None, None, None),
            (hospital, "Faraway Supplies plc", None, 12_000.0, date(2024, 6, 1), "IT equipment", faraway, 100.0,
             None, f_at),
            (hospital, "Mystery Trading", None, 2_000.0, date(2024, 7, 1), "Cleaning", None, None, None, None),
            (hospital, "Kitchen Co-op", None, 3_000.0, date(2023, 12, 20), "Catering", kitchen, 100.0, None, k_at),
            (hospital, "Faraway Supplies plc", None, 4_000.0, date(2023, 11, 1), "IT equipment", faraway, 100.0,
             None, f_at),
        ])
    return Place(store_path, hospital, council, kitchen, sparkle, faraway, town_caterer, big_caterer)


def _run(place: Place, *args: str) -> tuple[int, str, str]:
    """``atlas report spend ARGS`` on the place's store: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["report", "spend", *args, "--db", str(place.path)])
    if result.exit_code and result.exc_info and not isinstance(result.exc_info[1], SystemExit):
        raise result.exc_info[1]
    return result.exit_code, result.stdout, result.stderr


# -- the figures ---------------------------------------------------------------------------

def test_the_cli_json_holds_the_hand_worked_figures_key_by_key(place):
    code, out, err = _run(place, "--anchor", HOSPITAL, "--area", "Ward A", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["anchor"] == HOSPITAL and data["anchor_id"] == place.hospital
    assert data["currency"] == "GBP"
    assert data["period"] == {"from": "2023-11-01", "to": "2024-07-01", "first_payment": "2023-11-01",
                              "last_payment": "2024-07-01", "payments": 10}
    # Total: 10,000 - 500 + 6,000 + 1,500 + 4,000 + 8,000 + 12,000 + 2,000 + 3,000 + 4,000 = 50,000,
    # the credit note of line 2 included.
    assert data["total"] == 50_000.0
    # Area (Ward A): Kitchen Co-op 10,000 - 500 + 3,000 = 12,500; Sparkle Cleaning CIC 6,000;
    # Sparkle Clean Ltd 1,500 (placed by its postcode, though its match is uncertain) = 20,000.
    # City: + City Print 4,000 = 24,000. Region (city + 40 km): + Regional Foods 8,000 = 32,000.
    # Faraway (London, 16,000) is in no ring; Mystery Trading (2,000) has no place: unknown.
    assert data["local_spend"] == {"area": 20_000.0, "city": 24_000.0, "region": 32_000.0}
    assert data["local_share"] == {"area": 0.4, "city": 0.48, "region": 0.64}
    assert data["unknown_spend"] == 2_000.0 and data["unknown_share"] == 0.04
    assert data["areas"]["area"] == "Ward A" and data["areas"]["city"] == "city (Testham)"
    assert data["areas"]["region"].startswith("region (within 40 km")
    # By category, largest leak first (leak = total - spend inside Ward A):
    #   IT equipment 4,000 + 12,000 = 16,000, none local: leak 16,000;
    #   Catering 12,500 (Kitchen Co-op) + 8,000 (Regional Foods) = 20,500, local 12,500 (12,500 / 20,500
    #     = 0.609756): leak 8,000;
    #   Printing 4,000, none local: leak 4,000;
    #   Cleaning 6,000 + 1,500 + 2,000 (Mystery, unknown, not local) = 9,500, local 7,500 (7,500 / 9,500
    #     = 0.789474): leak 2,000.
    assert data["by_category"] == [
        {"category": "IT equipment", "total": 16_000.0, "local": 0.0, "share": 0.0, "leak": 16_000.0},
        {"category": "Catering", "total": 20_500.0, "local": 12_500.0, "share": 0.6098, "leak": 8_000.0},
        {"category": "Printing", "total": 4_000.0, "local": 0.0, "share": 0.0, "leak": 4_000.0},
        {"category": "Cleaning", "total": 9_500.0, "local": 7_500.0, "share": 0.7895, "leak": 2_000.0},
    ]
    # No certain match: Regional Foods 8,000, City Print 4,000, Mystery Trading 2,000 (no place),
    # Sparkle Clean Ltd 1,500 (uncertain), by spend.
    unmatched = data["unmatched_suppliers"]
    assert [(u["name"], u["total"]) for u in unmatched] == [
        ("Regional Foods Ltd", 8_000.0), ("City Print Ltd", 4_000.0), ("Mystery Trading", 2_000.0),
        ("Sparkle Clean Ltd", 1_500.0)]
    assert "counts as unknown, not local" in unmatched[2]["reason"]
    assert unmatched[3]["reason"].startswith(f"uncertain match: it may be Sparkle Cleaning CIC (asset {place.sparkle}")
    assert data["uncertain_matches"] == [{"supplier": "Sparkle Clean Ltd", "candidate_asset_id": place.sparkle,
                                          "candidate_name": "Sparkle Cleaning CIC", "score": 78.0, "total": 1_500.0}]
    # LM3 with the default shares (no survey). Local suppliers by category:
    #   Catering 12,500 (food and catering: re-spend 30 %, staff cost 35 %, local staff 60 %);
    #   Cleaning 6,000 + 1,500 = 7,500 (care, cleaning and security: 15 %, 60 %, 60 %).
    # Round 2: 12,500 x 0.30 + 7,500 x 0.15 = 3,750 + 1,125 = 4,875.
    # Round 3: 12,500 x 0.35 x 0.60 + 7,500 x 0.60 x 0.60 = 2,625 + 2,700 = 5,325.
    # LM3 = (50,000 + 4,875 + 5,325) / 50,000 = 60,200 / 50,000 = 1.204.
    assert data["lm3"]["rounds"] == [50_000.0, 4_875.0, 5_325.0]
    assert data["lm3"]["value"] == 1.204
    assumptions = data["lm3"]["assumptions"]
    assert "Period: 2023-11-01 to 2024-07-01 (10 payments). Credit notes are netted against each supplier's " \
           "payments." in assumptions
    assert "Suppliers of unknown location (£2,000) count as non-local." in assumptions
    assert any(a.startswith("Default shares for food and catering (categories: Catering): 30% of a local supplier's "
                            "income re-spent with local suppliers; staff costs 35% of its income, 60% of its staff "
                            "living locally. Why: ") for a in assumptions)
    assert any(a.startswith("Default shares for care, cleaning and security (categories: Cleaning): 15%")
               for a in assumptions)
    assert data["lm3"]["method"].startswith("LM3")
    # The supplier map: the six placed suppliers by spend; Mystery Trading has no place.
    assert [(p["name"], p["amount"], p["placed_by"], p["in_area"], p["in_city"], p["in_region"])
            for p in data["suppliers"]] == [
        ("Faraway Supplies plc", 16_000.0, "asset", False, False, False),
        ("Kitchen Co-op", 12_500.0, "asset", True, True, True),
        ("Regional Foods Ltd", 8_000.0, "postcode", False, False, True),
        ("Sparkle Cleaning CIC", 6_000.0, "postcode", True, True, True),
        ("City Print Ltd", 4_000.0, "postcode", False, True, True),
        ("Sparkle Clean Ltd", 1_500.0, "postcode", True, True, True),
    ]
    assert data["suppliers"][3]["lon"] == -1.921 and data["suppliers"][3]["lat"] == 52.486
    assert data["message"] is None


def test_leaks_suggest_local_micro_suppliers_through_the_matcher_and_write_nothing(place):
    with open_store(place.path) as store:
        before = store.con.execute("SELECT count(*) FROM needs_offers").fetchone()[0]
        report = spend_report(store, HOSPITAL, area_names=["Ward A"])
        after = store.con.execute("SELECT count(*) FROM needs_offers").fetchone()[0]
    assert before == after == 4  # the four offers; the report records no need
    leaks = {leak.category: leak for leak in report.leaks}
    assert [leak.category for leak in report.leaks] == ["IT equipment", "Catering", "Printing", "Cleaning"]
    # Catering: the local micro caterer, not the caterer outside the ward nor the macro one.
    catering = leaks["Catering"]
    assert catering.leak == 8_000.0
    assert [s.asset_id for s in catering.suggestions] == [place.kitchen]
    assert catering.suggestions[0].why.startswith("Kitchen Co-op offers “Hot meals and catering”")
    assert [s.asset_id for s in leaks["Cleaning"].suggestions][:1] == [place.sparkle]
    assert leaks["IT equipment"].suggestions == ()
    assert leaks["IT equipment"].message.startswith("No local micro asset's offer fits “IT equipment”")
    suggested = {s.asset_id for leak in report.leaks for s in leak.suggestions}
    assert suggested <= {place.kitchen, place.sparkle}


def test_a_date_filter_keeps_the_payments_of_its_days_both_ends_included(place):
    with open_store(place.path) as store:
        report = spend_report(store, place.hospital, date_from=date(2024, 1, 15), date_to=date(2024, 6, 1),
                              area_names=["Ward A"])
    # Lines 1 to 7 (paid 2024-01-15 to 2024-06-01): 10,000 - 500 + 6,000 + 1,500 + 4,000 + 8,000 + 12,000
    # = 41,000. Area 9,500 + 6,000 + 1,500 = 17,000; city + 4,000 = 21,000; region + 8,000 = 29,000.
    # Mystery Trading's payment (2024-07-01) is outside, so nothing is unknown.
    assert report.payments == 7 and report.total == pytest.approx(41_000.0)
    assert report.local_share == pytest.approx({"area": 17_000 / 41_000, "city": 21_000 / 41_000,
                                                "region": 29_000 / 41_000})
    assert report.unknown == 0.0 and report.unknown_share == 0.0
    assert (report.date_from, report.date_to) == (date(2024, 1, 15), date(2024, 6, 1))
    assert (report.first_paid, report.last_paid) == (date(2024, 1, 15), date(2024, 6, 1))
    # LM3: Catering 9,500 x 0.30 = 2,850 and Cleaning 7,500 x 0.15 = 1,125: round 2 3,975;
    # 9,500 x 0.35 x 0.60 = 1,995 and 7,500 x 0.36 = 2,700: round 3 4,695;
    # (41,000 + 3,975 + 4,695) / 41,000 = 49,670 / 41,000.
    assert report.lm3.rounds == pytest.approx((41_000.0, 3_975.0, 4_695.0))
    assert report.lm3.value == pytest.approx(49_670 / 41_000)


def test_a_survey_changes_rounds_two_and_three_as_worked_by_hand(place, tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_text("supplier,local_supplier_share,local_staff_share,staff_cost_share\n"
                      "Kitchen Co-op,0.5,0.9,0.4\n"
                      f"{place.sparkle},40%,0.8,\n"
                      "Regional Foods Ltd,0.2,0.5,0.3\n", encoding="utf-8")
    code, out, err = _run(place, "--anchor", HOSPITAL, "--area", "Ward A", "--survey", str(survey),
                          "--format", "json")
    assert code == 0, err
    lm3 = json.loads(out)["lm3"]
    # Kitchen Co-op (row 2, by name): round 2 12,500 x 0.5 = 6,250; round 3 12,500 x 0.4 x 0.9 = 4,500.
    # Sparkle Cleaning CIC (row 3, by asset id; staff cost blank, so the cleaning default 60 %):
    #   round 2 6,000 x 0.40 = 2,400; round 3 6,000 x 0.60 x 0.8 = 2,880.
    # Sparkle Clean Ltd is not in the survey (and its match is uncertain, so the asset id does
    # not reach it): cleaning defaults, 1,500 x 0.15 = 225 and 1,500 x 0.60 x 0.60 = 540.
    # Regional Foods is not local: row 4 is not used.
    # Round 2: 6,250 + 2,400 + 225 = 8,875. Round 3: 4,500 + 2,880 + 540 = 7,920.
    # LM3 = (50,000 + 8,875 + 7,920) / 50,000 = 66,795 / 50,000 = 1.3359.
    assert lm3["rounds"] == [50_000.0, 8_875.0, 7_920.0]
    assert lm3["value"] == 1.3359
    assert "Survey survey.csv: shares for 2 of the 3 local suppliers; the rest use the default shares for their " \
           "category." in lm3["assumptions"]
    assert "Survey survey.csv, row 4 (Regional Foods Ltd) names no supplier inside Ward A in this period: " \
           "not used." in lm3["assumptions"]


@pytest.mark.parametrize(("row", "message"), [
    ("Kitchen Co-op,0.5,1.5,0.4", "survey.csv, row 3, local_staff_share: '1.5' is not a share"),
    ("Kitchen Co-op,0.7,0.5,0.6", "survey.csv, row 3, staff_cost_share: 60% on staff and 70% with local"),
    (",0.5,0.5,0.4", "survey.csv, row 3, supplier: name the supplier"),
    ("Sparkle Cleaning CIC,0.1,0.1,0.1", "survey.csv, row 3, supplier: 'Sparkle Cleaning CIC' is already on row 2"),
])
def test_a_bad_survey_is_refused_naming_file_row_and_field(tmp_path, row, message):
    survey = tmp_path / "survey.csv"
    survey.write_text(f"supplier,local_supplier_share,local_staff_share,staff_cost_share\n"
                      f"Sparkle Cleaning C.I.C.,0.1,0.1,0.1\n{row}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_survey(survey)


def test_a_survey_without_its_columns_is_refused(tmp_path):
    survey = tmp_path / "shares.csv"
    survey.write_text("name,share\nKitchen Co-op,0.5\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="shares.csv: the survey has no supplier, local_supplier_share"):
        read_survey(survey)


# -- no spend, and credit notes only -------------------------------------------------------------

def test_an_anchor_with_no_spend_gets_a_clear_message_not_a_division_by_zero(place):
    code, out, err = _run(place, "--anchor", "Testham Council", "--format", "json")
    assert code == 1 and out == ""
    assert "No spend is recorded for Testham Council" in err and "ZeroDivision" not in err
    with open_store(place.path) as store, pytest.raises(NotFound, match=(
            f"{HOSPITAL} made no payments from 2025-01-01; its 10 recorded payments run from 2023-11-01 to "
            "2024-07-01")):
        spend_report(store, HOSPITAL, date_from=date(2025, 1, 1))


def test_a_period_of_credit_notes_only_gives_no_shares_and_says_why(place):
    with open_store(place.path) as store:
        report = spend_report(store, HOSPITAL, date_from=date(2024, 2, 1), date_to=date(2024, 2, 29),
                              area_names=["Ward A"])
    # Only line 2, the credit note of -500: no share of a negative total means anything.
    assert report.total == -500.0
    assert report.local_share == {"area": None, "city": None, "region": None}
    assert report.lm3.value is None
    assert report.message.startswith("Credit notes outweigh payments from 2024-02-01 to 2024-02-29 (net -£500)")
    assert report_dict(report)["by_category"] == [
        {"category": "Catering", "total": -500.0, "local": -500.0, "share": None, "leak": 0.0}]


def test_spend_with_no_category_is_listed_as_such_and_gets_no_suggestion(place):
    with open_store(place.path) as store:
        # Two payments of the council whose file gave no expense type (one blank, one spaces),
        # to Regional Foods (outside Ward A): 700 + 300 = 1,000, all leaking.
        _lines(store, [
            (place.council, "Regional Foods Ltd", "CV11FF", 700.0, date(2024, 5, 2), None, None, None, None, None),
            (place.council, "Regional Foods Ltd", "CV11FF", 300.0, date(2024, 5, 3), "  ", None, None, None, None),
        ], source="council-spend.csv")
        report = spend_report(store, "Testham Council", area_names=["Ward A"])
    assert [(c.category, c.total, c.leak) for c in report.by_category] == [("(no category)", 1_000.0, 1_000.0)]
    assert report.local_share == {"area": 0.0, "city": 0.0, "region": 1.0}
    assert report.leaks[0].suggestions == ()
    assert report.leaks[0].message.startswith("The spend file gives no category")
    # Not local, so no round 2 or 3: LM3 = 1,000 / 1,000 = 1.
    assert report.lm3.rounds == (1_000.0, 0.0, 0.0) and report.lm3.value == 1.0


def test_a_start_after_the_end_and_an_unknown_anchor_or_area_are_refused(place):
    with open_store(place.path) as store:
        with pytest.raises(InvalidInput, match="starts"):
            spend_report(store, HOSPITAL, date_from=date(2024, 6, 1), date_to=date(2024, 1, 1))
        with pytest.raises(NotFound, match="No asset is called 'Nowhere Hospital'"):
            spend_report(store, "Nowhere Hospital")
        with pytest.raises(NotFound, match="No boundary called 'Ward Z'"):
            spend_report(store, HOSPITAL, area_names=["Ward Z"])


# -- the table, and needs recorded on request -----------------------------------------------------

def test_the_table_shows_the_shares_the_multiplier_and_its_assumptions(place):
    code, out, err = _run(place, "--anchor", str(place.hospital), "--area", "Ward A", "--from", "2023-01-01",
                          "--to", "2024-12-31")
    assert code == 0, err
    assert out.startswith(f"Spend of {HOSPITAL}, 2023-01-01 to 2024-12-31: £50,000 in 10 payments (GBP)")
    assert "Ward A" in out and "40.0%" in out and "48.0%" in out and "64.0%" in out
    assert "Local multiplier (LM3): 1.20  (rounds: £50,000, £4,875, £5,325)" in out
    assert "- Suppliers of unknown location (£2,000) count as non-local." in out
    assert "Uncertain matches (not merged" in out and "Sparkle Clean Ltd" in out


def test_record_needs_writes_the_leaks_as_supply_needs_once_and_the_matcher_finds_them(place):
    args = ("--anchor", HOSPITAL, "--area", "Ward A", "--record-needs", "--author", "Spend officer")
    for _ in range(2):  # recording again updates the same needs
        code, out, err = _run(place, *args)
        assert code == 0, err
    assert "Recorded 4 supply needs of Testham General Hospital (0 new, 4 updated)" in out
    with open_store(place.path) as store:
        rows = store.con.execute(
            "SELECT title, annual_value, kind, side, asset_id, recorded_by FROM needs_offers WHERE source = ? "
            "ORDER BY annual_value DESC", [SPEND_NEED_SOURCE]).fetchall()
        assert rows == [("IT equipment", 16_000.0, "supply", "need", place.hospital, "Spend officer"),
                        ("Catering", 8_000.0, "supply", "need", place.hospital, "Spend officer"),
                        ("Printing", 4_000.0, "supply", "need", place.hospital, "Spend officer"),
                        ("Cleaning", 2_000.0, "supply", "need", place.hospital, "Spend officer")]
        need = store.con.execute("SELECT id FROM needs_offers WHERE source = ? AND title = 'Catering'",
                                 [SPEND_NEED_SOURCE]).fetchone()[0]
        offers = [m.offer.asset_id for m in MatchIndex.build(store).for_need(need).matches]
    assert offers[0] == place.kitchen  # the Matches page shows the local caterer first
