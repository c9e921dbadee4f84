"""The asset register in Streamlit's AppTest: add, edit, verify, stale entries and file
import, on the demo store and on an empty one. What the page wrote is read back from the
store file after the app has let go of it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest
from pyproj import Transformer

from app import state
from atlas import open_store
from atlas.asset_lists import months_before
from tests.app_fixtures import no_exception
from tests.demo_data import demo_asset_table

PAGE = "asset_register"
HOSPITAL = "City Hospital (Sandwell and West Birmingham NHS Trust)"

# Two made-up postcodes in Code-Point Open's layout (no header; postcode, quality,
# easting, northing, ...), written here for the test.
POSTCODES_CSV = (
    '"B16 9ZZ",10,405200,286900,"E92000001","","","","E08000025",""\n'
    '"B66 9ZY",10,402900,288400,"E92000001","","","","E08000028",""\n'
)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def stored_assets(path) -> pd.DataFrame:
    state.close_all()  # the app lets go of the store, as it does when stopped
    with open_store(path, read_only=True) as store:
        return store.con.execute(
            "SELECT id, name, scale, sector, category, employees, offers, source, verified_by, verified_on, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM assets ORDER BY id"
        ).df()


def test_stale_entries_match_the_demo_file(run_page, demo_store_path):
    table = demo_asset_table()
    checked = pd.to_datetime(table["verified_on"]).dt.date
    at = run_page(PAGE, demo_store_path)
    no_exception(at)
    for months in (12, 24):
        if months != 12:
            at.number_input(key="reg_stale_months").set_value(months).run()
        cutoff = months_before(date.today(), months)
        want = table[checked.isna() | (checked < cutoff)]
        listed = next(d.value for d in at.dataframe if "Last checked" in d.value.columns)
        assert sorted(listed["Name"]) == sorted(want["name"])
        summary = next(m.value for m in at.markdown if "stale entries" in m.value)
        assert summary.startswith(f"**{len(want):,} stale entries**: {int(checked.isna().sum())} never verified")


def test_add_an_asset_at_a_postcode(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    # First the postcode lookup, through the same import as the CLI.
    at.radio(key="import_kind").set_value("postcodes").run()
    at.file_uploader(key="import_file").upload("codepoint-test.csv", POSTCODES_CSV.encode(), "text/csv").run()
    button(at, "Import").click().run()
    no_exception(at)
    assert any("Imported codepoint-test.csv" in s.value for s in at.success)
    # Then the asset, placed by its postcode as people write it.
    at.text_input(key="reg_postcode").input("b169zz")
    button(at, "Find postcode").click().run()
    no_exception(at)
    # A form sends its fields together, when it is submitted.
    at.text_input(key="reg_name").input("Rotton Park allotments")
    at.selectbox(key="reg_sector").select("community")
    at.text_input(key="reg_category").input("food growing")
    at.number_input(key="reg_employees").set_value(300)
    at.text_input(key="reg_offers").input("Land; Volunteers")
    button(at, "Save the new asset").click().run()
    no_exception(at)
    assert any("Saved “Rotton Park allotments”: macro: 300 employees" in s.value for s in at.success)

    rows = stored_assets(demo_store_path)
    new = rows[rows["name"] == "Rotton Park allotments"].iloc[0]
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(405200, 286900)
    assert (new["lon"], new["lat"]) == pytest.approx((lon, lat), abs=1e-7)
    assert (new["scale"], new["sector"], new["category"], new["employees"]) == (
        "macro", "community", "food growing", 300)
    assert list(new["offers"]) == ["land", "volunteers"] and new["source"] == "asset-register"
    assert len(rows) == 86


def test_postcodes_need_a_lookup_first(run_page, demo_store_path):
    with open_store(demo_store_path) as store:  # the demo's invented postcodes (issue 12) gone
        store.con.execute("DELETE FROM postcodes")
    at = run_page(PAGE, demo_store_path)
    at.text_input(key="reg_postcode").input("B16 9ZZ")
    button(at, "Find postcode").click().run()
    assert any("no postcode lookup yet" in e.value for e in at.error)
    at.text_input(key="reg_postcode").input("not a postcode")
    button(at, "Find postcode").click().run()
    assert any("is not a postcode" in e.value for e in at.error)


def test_a_postcode_outside_the_lookup_is_named(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    at.text_input(key="reg_postcode").input("B16 9ZZ")
    button(at, "Find postcode").click().run()
    assert any("B16 9ZZ is not in this atlas's postcode lookup" in e.value for e in at.error)
    at.text_input(key="reg_postcode").input("b16 8za")  # one of the demo's invented postcodes
    button(at, "Find postcode").click().run()
    no_exception(at)
    assert not at.error


def test_edit_an_asset_keeps_its_verification(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    pick = at.selectbox(key="reg_asset")
    pick.select_index(pick.options.index(HOSPITAL)).run()
    assert at.text_input(key="reg_name").value == HOSPITAL
    assert at.number_input(key="reg_employees").value == 1200
    at.number_input(key="reg_employees").set_value(40)
    at.number_input(key="reg_annual_spend").set_value(None)
    at.number_input(key="reg_land_ha").set_value(None)
    button(at, "Save changes").click().run()
    no_exception(at)
    rows = stored_assets(demo_store_path)
    hospital = rows[rows["name"] == HOSPITAL].iloc[0]
    assert (hospital["scale"], hospital["employees"]) == ("micro", 40)
    assert (hospital["verified_by"], hospital["verified_on"].date()) == ("Amina K.", date(2026, 3, 12))
    assert len(rows) == 85


def test_mark_an_asset_verified(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    pick = at.selectbox(key="reg_verify_asset")
    pick.select_index(pick.options.index(HOSPITAL))
    at.text_input(key="reg_verify_by").input("  Femi O. ")
    day = date.today() - timedelta(days=3)
    at.date_input(key="reg_verify_on").set_value(day)
    button(at, "Mark as verified").click().run()
    no_exception(at)
    assert any("checked by Femi O\\." in s.value for s in at.success)  # markdown-escaped
    hospital = stored_assets(demo_store_path).set_index("name").loc[HOSPITAL]
    assert (hospital["verified_by"], hospital["verified_on"].date()) == ("Femi O.", day)


def test_a_bad_entry_is_refused_and_nothing_is_written(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    at.session_state["reg_place"] = (-1.95, 52.48)
    at.text_input(key="reg_name").input("   ")
    button(at, "Save the new asset").click().run()
    assert [e.value for e in at.error] == ["name: every asset needs a name."]
    at.session_state["reg_place"] = None
    at.text_input(key="reg_name").input("Somewhere")
    button(at, "Save the new asset").click().run()
    assert any(e.value.startswith("place:") for e in at.error)
    assert len(stored_assets(demo_store_path)) == 85


def test_import_a_file_with_progress_and_a_report(run_page, demo_store_path):
    csv = ("id,name,lon,lat,sector,category,employees\n"
           "n1,Dudley Road tenants,-1.9405,52.4880,community,residents association,0\n"
           "n2,Winson Green repair cafe,-1.9468,52.4925,social,cafe,4\n"
           "n3,Nowhere group,,,community,charity,2\n")
    at = run_page(PAGE, demo_store_path)
    at.file_uploader(key="import_file").upload("new-groups.csv", csv.encode(), "text/csv").run()
    at.text_input(key="import_licence").input("CC0").run()
    button(at, "Import").click().run()
    no_exception(at)
    assert at.get("progress"), "no progress bar"
    message = next(s.value for s in at.success if s.value.startswith("Imported new-groups.csv"))
    assert re.search(r"2 new, 0 updated, 1 skipped", message)
    assert any("could not be used" in w.value for w in at.warning)
    rows = stored_assets(demo_store_path)
    assert {"Dudley Road tenants", "Winson Green repair cafe"} <= set(rows["name"])
    assert "Nowhere group" not in set(rows["name"]) and len(rows) == 87


def test_a_failed_import_writes_nothing(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    broken = b'{"type": "FeatureCollection", "feat'
    at.file_uploader(key="import_file").upload("broken.geojson", broken, "application/json")
    at.run()
    button(at, "Import").click().run()
    assert at.error and "nothing was written" in at.get("progress")[0].proto.text
    assert len(stored_assets(demo_store_path)) == 85


def test_empty_store_register_adds_the_first_asset(run_page, store_path):
    at = run_page(PAGE, store_path, demo=False)
    no_exception(at)
    assert any("no assets to verify" in i.value for i in at.info)
    at.session_state["reg_place"] = (-1.9, 52.48)
    at.text_input(key="reg_name").input("First group")
    button(at, "Save the new asset").click().run()
    no_exception(at)
    rows = stored_assets(store_path)
    assert list(rows["name"]) == ["First group"] and rows["scale"].iloc[0] == "micro"
