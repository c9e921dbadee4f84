"""The insight pages of issue 12 in Streamlit's AppTest, on both engines: the Market report
(every visitor) and Anchor spend (officers). The figures are checked against the demo's
own files, read here with the csv module and placed with shapely and pyproj, not with the
atlas's code; where a figure is only the domain's, it is checked against the domain call.
Writes made through a page (supply needs, an imported spend file) are read back in the same
session, in another session, and, on PostGIS, after another program's write."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import time
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from streamlit.testing.v1 import AppTest

from app import state
from atlas.access import as_role
from atlas.importers import import_file
from atlas.store import open_store, utc_now
from cedplans.insights.areas import resolve_area
from cedplans.insights.market import market_report
from cedplans.insights.spend import SPEND_NEED_SOURCE
from tests.app_fixtures import DEMO_DIR, ROOT, SESSION_VIEWER, map_args, no_exception

BCC = "Birmingham City Council"
CITY_HOSPITAL = "City Hospital (Sandwell and West Birmingham NHS Trust)"
MIDLAND_MET = "Midland Metropolitan University Hospital"
HMP = "HMP Birmingham"
METRIC_EPSG = 27700  # the demo's metric CRS (British National Grid)


# -- reading the demo's files by hand ------------------------------------------------------

def _amount(text: str) -> float:
    """A spend file's amount as a person reads it: "£1,250.00", "-860.00", "(£4,250.00)"."""
    text = text.strip().replace(",", "").replace("£", "")
    if text.startswith("(") and text.endswith(")"):
        return -float(text[1:-1])
    return float(text)


def _spend_rows(name: str) -> list[dict[str, str]]:
    with (DEMO_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _in_the_wards() -> set[str]:
    """The demo postcodes (postcodes.csv) whose point lies in one of the six demo wards,
    tested in metres (EPSG:27700)."""
    to_m = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)
    wards = json.loads((DEMO_DIR / "wards.geojson").read_text(encoding="utf-8"))
    area = shapely.union_all([shapely.transform(shape(f["geometry"]), lambda xy: _project(to_m, xy))
                              for f in wards["features"]])
    inside = set()
    with (DEMO_DIR / "postcodes.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            x, y = to_m.transform(float(row["lon"]), float(row["lat"]))
            if area.covers(shapely.Point(x, y)):
                inside.add(row["postcode"])
    return inside


def _project(transformer: Transformer, xy):
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _companies() -> list[dict[str, str]]:
    with (DEMO_DIR / "companies.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- reading what a page drew ----------------------------------------------------------------

def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _metric_help(at, label: str) -> str:
    return next(m.proto.help for m in at.metric if m.label == label)


def _table(at, first_column: str, *, containing: str | None = None, having: str | None = None) -> pd.DataFrame:
    """The first table whose first column is ``first_column`` (and, given ``containing``,
    that has it in that column; given ``having``, that has a column of that name)."""
    for frame in at.dataframe:
        value = frame.value
        if (value.columns[0] == first_column and (containing is None or containing in set(value[first_column]))
                and (having is None or having in value.columns)):
            return value
    raise AssertionError(f"no table starting with {first_column!r}")


def _charts(at) -> list[tuple[dict, pd.DataFrame]]:
    """(spec, data) of every Streamlit chart (Vega-Lite) on the page; the data is the Arrow
    table the page sent with it."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        [dataset] = chart.proto.datasets
        out.append((spec, pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()))
    return out


def _chart(at, group_field: str) -> pd.DataFrame:
    return next(data for spec, data in _charts(at) if spec["encoding"]["y"]["field"] == group_field)


def _compared(at, group_field: str) -> dict[str, dict[str, int]]:
    """A comparison chart's bars: series (the report's label) -> group -> count."""
    spec, data = next((spec, data) for spec, data in _charts(at) if spec["encoding"]["y"]["field"] == group_field)
    series, value = spec["encoding"]["color"]["field"], spec["encoding"]["x"]["field"]
    out: dict[str, dict[str, int]] = {}
    for label, group, count in zip(data[series], data[group_field], data[value], strict=True):
        out.setdefault(label, {})[group] = int(count)
    return out


def _plain(value: str) -> str:
    """A page's text as a person reads it: app.text.md's backslash escapes and HTML
    character references undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", value))


def _texts(at) -> str:
    out = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "header", "subheader"):
        out += [str(e.value) for e in at.get(kind)]
    return "\n".join(out).replace("\\", "")


def _asset_id(name: str) -> int:
    return state.query(lambda store: store.con.execute("SELECT id FROM assets WHERE name = ?", [name]).fetchone()[0])


def _utc_today() -> date:
    return utc_now().date()


# -- the market report ------------------------------------------------------------------------

def test_market_report_for_a_visitor_counts_the_atlas_and_a_ward(run_page, demo_store_path):
    at = run_page("market_report", demo_store_path, role=None)
    no_exception(at)
    expected = state.query(lambda store: market_report(store, resolve_area(store)))
    assert [_plain(h.value) for h in at.header] == [expected.label]
    assert expected.label.endswith(f"on {_utc_today().day} {_utc_today():%B %Y}")
    whole = _metrics(at)
    assert whole["Organisations"] == f"{len(expected.organisations):,}"
    assert whole["Gaps"] == f"{len(expected.gaps):,}"

    # By hand, from the demo's Companies House file: every community interest company there
    # is an asset of the atlas, in one of its wards.
    cics = [c for c in _companies() if c["CompanyCategory"] == "Community Interest Company"]
    assert len(cics) == 5
    legal = _table(at, "Legal form")
    assert dict(zip(legal["Legal form"], legal["Organisations"], strict=True))["Community interest company"] == 5
    types = _chart(at, "Type")
    assert dict(zip(types["Type"], types["Organisations"], strict=True))["social enterprise"] == len(cics)

    # Charts: one for each table charted that has rows, each with the table's counts.
    charted = [t for t in expected.tables if t.key in ("type", "sector", "income", "employees", "legal_form",
                                                       "trading", "support") and t.rows]
    assert len(_charts(at)) == len(charted)
    # Each chart lists its groups as its table does (bands from the smallest, else the largest
    # count first), not from A to Z: a Vega-Lite axis without "sort": null sorts its labels.
    for spec, _data in _charts(at):
        assert spec["encoding"]["y"].get("sort", "A to Z") is None, spec["encoding"]["y"]["field"]
    income = _chart(at, "Income")
    assert income["Income"].tolist() == ["under 100k", "100k to 1m", "1m to 10m", "10m and over", "unknown"]
    assert {d.proto.label for d in at.get("download_button")} == {
        "Download PDF report", "Download Web page report", "Download Tables (CSV)"}
    assert all(d.proto.deferred_file_id for d in at.get("download_button"))  # made when pressed

    # One ward: other figures, those of the ward.
    at.multiselect(key="mkt.area").set_value(["Ladywood"]).run()
    no_exception(at)
    ward = state.query(lambda store: market_report(store, resolve_area(store, ("Ladywood",))))
    assert [_plain(h.value) for h in at.header] == [ward.label]
    assert ward.label.startswith("Ladywood on ")
    assert _metrics(at)["Organisations"] == f"{len(ward.organisations):,}"
    assert 0 < len(ward.organisations) < len(expected.organisations)
    ward_types = _chart(at, "Type")
    assert dict(zip(ward_types["Type"], ward_types["Organisations"], strict=True)) == {
        r.group: r.count for r in ward.table("type").rows}


def test_market_report_compares_two_dates_and_two_areas(run_page, demo_store_path):
    at = run_page("market_report", demo_store_path, role=None)
    at.radio(key="mkt.compare").set_value("date").run()
    at.date_input(key="mkt.other_date").set_value(date(2020, 1, 1)).run()
    no_exception(at)
    title = _plain(at.subheader[0].value)
    assert title.endswith(f"on 1 January 2020 compared with {_plain(at.header[0].value)}")
    # By hand: community interest companies incorporated on or before 1 January 2020.
    cics = [c for c in _companies() if c["CompanyCategory"] == "Community Interest Company"]
    older = [c for c in cics if date(*reversed([int(p) for p in c["IncorporationDate"].split("/")]))
             <= date(2020, 1, 1)]
    assert len(older) == 2  # Rolfe Street Arts Collective (2018), Ladywood Makers Collective (2019)
    area = _plain(at.header[0].value).rsplit(" on ", 1)[0]
    by_date = _compared(at, "Legal form")
    assert list(by_date) == [f"{area} on 1 January 2020", _plain(at.header[0].value)]
    assert [counts["Community interest company"] for counts in by_date.values()] == [len(older), len(cics)]

    at.radio(key="mkt.compare").set_value("area").run()
    at.multiselect(key="mkt.area").set_value(["Ladywood"]).run()
    at.multiselect(key="mkt.other_area").set_value(["Smethwick"]).run()
    no_exception(at)
    assert _plain(at.subheader[0].value).startswith("Ladywood on ")
    assert " compared with Smethwick on " in _plain(at.subheader[0].value)
    reports = state.query(lambda store: [market_report(store, resolve_area(store, (n,)))
                                         for n in ("Ladywood", "Smethwick")])
    assert _compared(at, "Type") == {r.label: {row.group: row.count for row in r.table("type").rows} for r in reports}
    assert all(r.organisations for r in reports)


def test_market_report_opens_on_todays_date_in_any_time_zone(run_page, demo_store_path):
    """The report refuses a date after today, UTC (the store's clock). The page's date box
    must offer that same today, so a server whose clock is ahead of UTC (Birmingham in summer,
    just after midnight) does not open the page on a date the report refuses."""
    hour = utc_now().hour
    # A zone where the local date differs from the UTC date right now: 14 h ahead from 10:00
    # UTC, else 12 h behind (before 12:00 UTC the date there is yesterday's).
    zone = "Etc/GMT-14" if hour >= 10 else "Etc/GMT+12"
    kept = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        assert date.today() != _utc_today()
        at = run_page("market_report", demo_store_path, role=None)
        no_exception(at)
        assert at.date_input(key="mkt.as_of").value == _utc_today()
        assert _plain(at.header[0].value).endswith(f"on {_utc_today().day} {_utc_today():%B %Y}")
    finally:
        if kept is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = kept
        time.tzset()


# -- anchor spend: who may see it --------------------------------------------------------------

@pytest.mark.parametrize("role", [None, "resident"])
def test_anchor_spend_is_for_officers(run_page, demo_store_path, role):
    at = run_page("anchor_spend", demo_store_path, role=role)
    no_exception(at)
    # The menu does not list it, so a link to it opens the atlas map ...
    assert [t.value for t in at.title] == ["Atlas"]
    assert "Total spend" not in _metrics(at)
    # ... and the page run on its own stops at a lock, showing no figure.
    page = AppTest.from_file(str(ROOT / "app" / "pages" / "anchor_spend.py"), default_timeout=90)
    if role is not None:
        page.session_state[SESSION_VIEWER] = as_role(role, f"Test {role}")
    page.run()
    # Run alone, the page has no menu, so the visitor's link to the sign-in page cannot be drawn.
    assert [e.value for e in page.exception if "app/pages/sign_in.py" not in e.value] == []
    [warning] = [w.value for w in page.warning]
    assert warning.startswith("Anchor spend: ")
    assert not page.metric and not page.dataframe and not page.get("download_button")
    assert not page.title


# -- anchor spend: the figures ----------------------------------------------------------------

def test_officer_sees_each_anchors_spend_worked_out_by_hand(run_page, demo_store_path):
    at = run_page("anchor_spend", demo_store_path, role="officer")
    no_exception(at)
    anchors = at.selectbox(key="spd.anchor")
    assert anchors.options == [BCC, CITY_HOSPITAL, MIDLAND_MET]  # the three with spend, by name

    # Birmingham City Council, by hand from its file (the -860.00 credit note included).
    anchors.set_value(_asset_id(BCC)).run()
    no_exception(at)
    rows = _spend_rows("spend-birmingham-city-council.csv")
    total = sum(_amount(r["Amount"]) for r in rows)
    assert any(_amount(r["Amount"]) == -860.0 for r in rows)
    assert total == pytest.approx(154_520.00)
    local_postcodes = _in_the_wards()
    local = sum(_amount(r["Amount"]) for r in rows if r["Supplier Postcode"].strip() in local_postcodes)
    unknown = sum(_amount(r["Amount"]) for r in rows if not r["Supplier Postcode"].strip())
    shown = _metrics(at)
    assert shown["Total spend"] == f"£{total:,.0f}"
    assert _metric_help(at, "Total spend") == f"{len(rows)} payments, credit notes included."
    assert shown["In the area"] == f"{local / total:.0%}"
    assert _metric_help(at, "In the area").endswith(f": £{local:,.0f}")
    assert shown["Unknown location"] == f"{unknown / total:.0%}"
    assert _metric_help(at, "Unknown location").startswith(
        f"Share of the total spent with suppliers of unknown location: £{unknown:,.0f}.")
    assert _plain(at.header[0].value) == f"{BCC}, 2026-04-03 to 2026-07-31"
    by_category = _table(at, "Category")
    grounds = by_category[by_category["Category"] == "Grounds maintenance"].iloc[0]
    grounds_total = sum(_amount(r["Amount"]) for r in rows if r["Expense Type"] == "Grounds maintenance")
    assert grounds["Total"] == f"£{grounds_total:,.0f}"
    # The map opens on the city; it says what lies beyond.
    away = [r for r in rows if r["Supplier Postcode"].strip() and r["Supplier Postcode"].strip() not in local_postcodes]
    assert (f" {len({r['Supplier Name'] for r in away})} of the suppliers, paid "
            f"£{sum(_amount(r['Amount']) for r in away):,.0f}, are outside the city") in _texts(at)
    [(spec, chart)] = _charts(at)
    assert spec["encoding"]["y"].get("sort", "A to Z") is None  # the chart in the table's order
    assert list(dict.fromkeys(chart["Category"])) == by_category["Category"].tolist()
    assert "Uncertain matches to check" in [s.value for s in at.subheader]
    assert "No uncertain matches." in _texts(at)

    # Midland Met: Cafe Kavarna, given without a postcode, may be the atlas's Café Kavarna:
    # listed to check, not merged, and its spend is of unknown location, never local.
    anchors.set_value(_asset_id(MIDLAND_MET)).run()
    no_exception(at)
    uncertain = _table(at, "Supplier", having="Might be")
    assert list(uncertain.columns) == ["Supplier", "Might be", "Name alike", "Spend"]
    kavarna = uncertain[uncertain["Supplier"] == "Cafe Kavarna"].iloc[0]
    mm_rows = _spend_rows("spend-midland-met.csv")
    kavarna_spend = sum(_amount(r["Amount"]) for r in mm_rows if r["Supplier"] == "Cafe Kavarna")
    assert (kavarna["Might be"], kavarna["Spend"]) == ("Café Kavarna", f"£{kavarna_spend:,.0f}")
    unmatched = _table(at, "Supplier", having="Placed by")
    assert unmatched[unmatched["Supplier"] == "Cafe Kavarna"]["Placed by"].tolist() == ["unknown location"]
    mm_total = sum(_amount(r["Amount"]) for r in mm_rows)
    mm_unknown = sum(_amount(r["Amount"]) for r in mm_rows if not r["Supplier Postcode"].strip())
    assert _metrics(at)["Total spend"] == f"£{mm_total:,.0f}"
    assert _metrics(at)["Unknown location"] == f"{mm_unknown / mm_total:.0%}"


def _leaks_by_hand() -> dict[str, float]:
    """Birmingham City Council's spend, by category, with suppliers outside the wards or of
    unknown location: the five largest, as the page lists them."""
    inside = _in_the_wards()
    leaks: dict[str, float] = {}
    for r in _spend_rows("spend-birmingham-city-council.csv"):
        if r["Supplier Postcode"].strip() not in inside:
            leaks[r["Expense Type"]] = leaks.get(r["Expense Type"], 0.0) + _amount(r["Amount"])
    return dict(sorted(leaks.items(), key=lambda kv: -kv[1])[:5])


def test_recording_the_leaks_writes_supply_needs_the_other_pages_see(run_page, demo_store_path):
    at = run_page("market_report", demo_store_path, role="officer")
    before = _table(at, "Kind", containing="supply")
    supply_before = before[before["Kind"] == "supply"].iloc[0]

    at.switch_page("app/pages/anchor_spend.py").run()
    at.selectbox(key="spd.anchor").set_value(_asset_id(BCC)).run()
    expected = _leaks_by_hand()
    assert list(expected) == ["Grounds maintenance", "Childcare", "Interpreting services", "Training", "Catering"]
    shown = [_plain(e.label) for e in at.expander if "leaking out" in e.label]
    assert shown == [f"{c}: £{v:,.0f} leaking out" for c, v in expected.items()]
    at.button(key="spd.record").click().run()
    no_exception(at)
    assert [_plain(s.value) for s in at.success] == [
        f"Recorded 5 new and 0 updated supply needs of {BCC}; see them on the Matches page."]
    needs = state.query(lambda store: store.rows(
        "SELECT n.title, n.kind, n.annual_value, n.status FROM needs_offers n JOIN assets a ON a.id = n.asset_id "
        "WHERE n.source = ? AND a.name = ? ORDER BY n.annual_value DESC", [SPEND_NEED_SOURCE, BCC]))
    assert [(n["title"], n["kind"], n["annual_value"], n["status"]) for n in needs] == [
        (c, "supply", pytest.approx(v), "open") for c, v in expected.items()]

    # Recording again updates the same needs.
    at.button(key="spd.record").click().run()
    assert [_plain(s.value) for s in at.success] == [
        f"Recorded 0 new and 5 updated supply needs of {BCC}; see them on the Matches page."]

    # The market report of the same session counts them among what anchors need.
    at.switch_page("app/pages/market_report.py").run()
    no_exception(at)
    after = _table(at, "Kind", containing="supply")
    supply = after[after["Kind"] == "supply"].iloc[0]
    assert supply["Needs"] == supply_before["Needs"] + 5
    value_before = _amount(supply_before["Annual value"] or "0")
    assert _amount(supply["Annual value"]) == pytest.approx(value_before + sum(expected.values()))


def test_a_changed_survey_file_of_the_same_name_and_size_changes_the_multiplier(run_page, demo_store_path):
    """The LM3 survey is read from the upload; an officer who corrects a share and uploads the
    file again (same name, same size) gets the figure of the corrected file."""
    header = "supplier,local_supplier_share,local_staff_share,staff_cost_share\n"
    first = header + "Ladywood Childcare Co-operative Ltd,0.20,0.50,0.40\n"
    corrected = header + "Ladywood Childcare Co-operative Ltd,0.90,0.50,0.10\n"
    assert len(first) == len(corrected)
    at = run_page("anchor_spend", demo_store_path, role="officer")
    at.selectbox(key="spd.anchor").set_value(_asset_id(BCC)).run()
    round_2 = "Round 2: suppliers' local re-spend"
    at.file_uploader(key="spd.survey").set_value(("survey.csv", first.encode(), "text/csv"))
    at.run()
    no_exception(at)
    before = _amount(_metrics(at)[round_2])
    at.file_uploader(key="spd.survey").set_value(("survey.csv", corrected.encode(), "text/csv"))
    at.run()
    no_exception(at)
    # By hand: the childcare co-operative, paid £6,750 in the area, re-spends 90 % locally, not 20 %.
    childcare = sum(_amount(r["Amount"]) for r in _spend_rows("spend-birmingham-city-council.csv")
                    if r["Supplier Name"] == "Ladywood Childcare Co-operative Ltd")
    assert _amount(_metrics(at)[round_2]) - before == pytest.approx(childcare * (0.90 - 0.20), abs=1)


# -- anchor spend: an import through the page, seen across sessions and programs -----------------

HMP_FILE = (
    "Trader,Supplier Postcode,Expense Type,Payment Date,Transaction Number,Amount\n"
    "Northshire Facilities Management Ltd,LS1 9ZA,Catering,02/09/2026,HMP-001,\"£12,400.00\"\n"
    "Northshire Facilities Management Ltd,LS1 9ZA,Catering,16/09/2026,HMP-002,\"-£1,150.50\"\n"
    "Midshire Print Ltd,WV1 9ZA,Printing,30/09/2026,HMP-003,\"£2,075.25\"\n"
)
"""An invented spend file of HMP Birmingham: its supplier column, "Trader", is one the
importer does not guess, so the officer names it; one credit note."""
HMP_TOTAL = 12_400.00 - 1_150.50 + 2_075.25


def test_a_spend_file_imported_in_the_page_shows_in_every_session(run_page, demo_store_path, tmp_path):
    other = run_page("anchor_spend", demo_store_path, role="officer")  # someone else, with the page open
    assert len(other.selectbox(key="spd.anchor").options) == 3

    at = run_page("anchor_spend", demo_store_path, role="officer")
    at.file_uploader(key="spd.upload").set_value(("hmp-spend-2026.csv", HMP_FILE.encode("utf-8"), "text/csv"))
    at.run()
    no_exception(at)
    # The guess, shown to be corrected: the supplier column is not guessed.
    guessed = {f: at.selectbox(key=f"spd.col.{f}").value for f in ("supplier", "amount", "date", "category",
                                                                     "postcode", "id")}
    assert guessed == {"supplier": "(not in the file)", "amount": "Amount", "date": "Payment Date",
                       "category": "Expense Type", "postcode": "Supplier Postcode", "id": "Transaction Number"}
    assert at.button(key="spd.import").disabled  # no anchor chosen yet
    at.selectbox(key="spd.col.supplier").set_value("Trader")
    at.selectbox(key="spd.anchor_in").set_value(_asset_id(HMP))
    at.run()
    at.button(key="spd.import").click().run()
    no_exception(at)
    assert [_plain(s.value) for s in at.success] == [f"Imported 3 new and 0 updated payments of {HMP}."]

    at.selectbox(key="spd.anchor").set_value(_asset_id(HMP)).run()
    no_exception(at)
    assert _metrics(at)["Total spend"] == f"£{HMP_TOTAL:,.0f}"
    assert _metric_help(at, "Total spend") == "3 payments, credit notes included."
    assert _plain(at.header[0].value) == f"{HMP}, 2026-09-02 to 2026-09-30"

    # The other session, run again, lists the new anchor with the same figures.
    other.run()
    no_exception(other)
    assert other.selectbox(key="spd.anchor").options == [BCC, CITY_HOSPITAL, HMP, MIDLAND_MET]
    other.selectbox(key="spd.anchor").set_value(_asset_id(HMP)).run()
    assert _metrics(other)["Total spend"] == f"£{HMP_TOTAL:,.0f}"


def test_another_anchors_file_of_the_same_name_is_imported_under_its_own_source(run_page, demo_store_path):
    """Payments are kept by source, the file's name unless the officer gives another: a second
    anchor's "spend.csv" is refused, nothing written, until it is given a source of its own."""
    spend = "Supplier Name,Supplier Postcode,Payment Date,Amount\nMidshire Print Ltd,WV1 9ZA,01/09/2026,\"£1,000.00\"\n"
    at = run_page("anchor_spend", demo_store_path, role="officer")
    university = "University of Birmingham"
    for anchor in (HMP, university):
        at.file_uploader(key="spd.upload").set_value(("spend.csv", spend.encode("utf-8"), "text/csv"))
        at.selectbox(key="spd.anchor_in").set_value(_asset_id(anchor))
        at.run()
        at.button(key="spd.import").click().run()
    [refused] = [e.value for e in at.error]
    assert refused.startswith("Nothing was written. Source 'spend.csv' already holds the spend of HMP Birmingham")
    assert university not in at.selectbox(key="spd.anchor").options
    [source] = [t for t in at.text_input if t.label == "Source name"]
    assert source.value == "spend.csv"
    source.input("University spend.csv")
    at.button(key="spd.import").click().run()
    no_exception(at)
    assert [_plain(s.value) for s in at.success] == [f"Imported 1 new and 0 updated payments of {university}."]
    assert at.selectbox(key="spd.anchor").options == [BCC, CITY_HOSPITAL, HMP, MIDLAND_MET, university]
    sources = state.query(lambda store: store.rows(
        "SELECT a.name, s.source FROM spend_lines s JOIN assets a ON a.id = s.anchor_id "
        "WHERE a.name IN (?, ?) ORDER BY a.name", [HMP, university]))
    assert [(r["name"], r["source"]) for r in sources] == [(HMP, "spend.csv"), (university, "University spend.csv")]


def test_another_programs_spend_import_shows_on_the_open_page(engine, run_page, demo_store_path, tmp_path):
    """The page's cached report is keyed by the store's revision, which on PostGIS also counts
    other programs' writes (a DuckDB file has one writer: the app; the test above covers a
    write through another session)."""
    if engine != "postgis":
        pytest.skip("a DuckDB file has one writer, the app: another program cannot write while it runs")
    first = tmp_path / "hmp-spend-2026.csv"
    first.write_text(HMP_FILE.replace("Trader", "Supplier Name"), encoding="utf-8")
    with open_store(demo_store_path) as store:
        import_file(store, first, as_="spend", anchor=HMP, report_path=tmp_path / "first-skipped.csv")

    at = run_page("anchor_spend", demo_store_path, role="officer")
    at.selectbox(key="spd.anchor").set_value(_asset_id(HMP)).run()
    assert _metrics(at)["Total spend"] == f"£{HMP_TOTAL:,.0f}"

    # Another program imports more of its payments, within the period shown, while the page is open.
    more = tmp_path / "hmp-spend-2026-more.csv"
    more.write_text("Supplier Name,Supplier Postcode,Expense Type,Payment Date,Transaction Number,Amount\n"
                    "Midshire Print Ltd,WV1 9ZA,Printing,20/09/2026,HMP-101,\"£1,000.00\"\n", encoding="utf-8")
    with open_store(demo_store_path) as store:
        import_file(store, more, as_="spend", anchor=HMP, report_path=tmp_path / "more-skipped.csv")
    at.run()
    no_exception(at)
    assert _metrics(at)["Total spend"] == f"£{HMP_TOTAL + 1_000:,.0f}"
    assert _metric_help(at, "Total spend") == "4 payments, credit notes included."


def test_the_period_follows_payments_imported_later(run_page, demo_store_path, tmp_path):
    """An officer who has not changed the period sees every payment, also those imported
    after the page was first drawn with a later date than the last one then."""
    at = run_page("anchor_spend", demo_store_path, role="officer")
    at.selectbox(key="spd.anchor").set_value(_asset_id(BCC)).run()
    assert _plain(at.header[0].value) == f"{BCC}, 2026-04-03 to 2026-07-31"
    later = tmp_path / "bcc-august.csv"
    later.write_text("Supplier Name,Supplier Postcode,Expense Type,Payment Date,Transaction Number,Amount\n"
                     "Midshire Print Ltd,WV1 9ZA,Printing and design,14/08/2026,BCC-26-0019,\"£1,000.00\"\n",
                     encoding="utf-8")
    with state.writing() as store:  # as another officer's import does
        import_file(store, later, as_="spend", anchor=BCC, report_path=tmp_path / "skipped.csv")
    at.run()
    no_exception(at)
    total = sum(_amount(r["Amount"]) for r in _spend_rows("spend-birmingham-city-council.csv")) + 1_000
    assert _plain(at.header[0].value) == f"{BCC}, 2026-04-03 to 2026-08-14"
    assert _metrics(at)["Total spend"] == f"£{total:,.0f}"

    # A period the officer chose is kept when more payments arrive.
    at.date_input(key=f"spd.to.{_asset_id(BCC)}").set_value(date(2026, 6, 30)).run()
    assert _plain(at.header[0].value) == f"{BCC}, 2026-04-03 to 2026-06-30"
    later.write_text("Supplier Name,Supplier Postcode,Expense Type,Payment Date,Transaction Number,Amount\n"
                     "Midshire Print Ltd,WV1 9ZA,Printing and design,21/08/2026,BCC-26-0020,\"£500.00\"\n",
                     encoding="utf-8")
    with state.writing() as store:
        import_file(store, later, as_="spend", anchor=BCC, source="bcc-august-2.csv",
                    report_path=tmp_path / "skipped-2.csv")
    at.run()
    no_exception(at)
    assert at.date_input(key=f"spd.to.{_asset_id(BCC)}").value == date(2026, 6, 30)
    assert _plain(at.header[0].value) == f"{BCC}, 2026-04-03 to 2026-06-30"


def test_what_a_spend_file_says_reaches_the_page_as_text(run_page, demo_store_path, tmp_path):
    """Rule 8: a supplier and a category from a file are escaped on the page and on the
    map, whose tooltips folium writes into a JavaScript template literal shown as HTML."""
    hostile_supplier = "Evil `${alert(1)}` <img src=x onerror=alert(2)> Ltd"
    hostile_category = "<b>Bold</b> **cleaning** [x](javascript:alert(3))"
    path = tmp_path / "hostile.csv"
    path.write_text("Supplier Name,Supplier Postcode,Expense Type,Payment Date,Transaction Number,Amount\n"
                    f"\"{hostile_supplier}\",LS1 9ZA,\"{hostile_category}\",01/09/2026,H-1,\"£90,000.00\"\n",
                    encoding="utf-8")
    with open_store(demo_store_path) as store:
        import_file(store, path, as_="spend", anchor=BCC, report_path=tmp_path / "skipped.csv")
    at = run_page("anchor_spend", demo_store_path, role="officer")
    at.selectbox(key="spd.anchor").set_value(_asset_id(BCC)).run()
    no_exception(at)
    labels = [e.label for e in at.expander if "leaking out" in e.label]
    hostile = next(label for label in labels if "Bold" in label)
    assert "<b>" not in hostile and "**cleaning**" not in hostile and "](javascript" not in hostile
    assert _plain(hostile).startswith(hostile_category)
    script = json.dumps(map_args(at))
    assert "<img src=x" not in script and "${alert(1)}" not in script and "`${" not in script
    assert "&lt;img src=x onerror=alert(2)&gt;" in script and "&#96;&#36;{alert(1)}&#96;" in script
