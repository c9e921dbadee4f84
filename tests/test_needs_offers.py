"""Needs and offers as records (atlas.needs_offers) and their import from CSV and XLSX
(atlas.importers.needs_offers), on real stores.

Every refusal is checked twice: the message names the field (and, for a file, the file
and the row as a spreadsheet shows it), and the needs_offers table is exactly as it was.
Distances are checked against geopandas in EPSG:27700, computed from the demo's source
files rather than from the store.
"""

from __future__ import annotations

import csv
import dataclasses
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import Workbook

from atlas import needs_offers, open_store, queries, register, vocabulary
from atlas.demo import DEMO_DIR, DEMO_SOURCE
from atlas.errors import InvalidInput, NotFound
from atlas.importers import import_file
from atlas.needs_offers import NeedOfferDraft
from cedplans import linking
from tests.demo_data import demo_asset_table

BNG = 27700
HOSPITAL = "City Hospital (Sandwell and West Birmingham NHS Trust)"
HEADER = ["id", "asset", "kind", "title", "description", "tags", "quantity", "unit", "area_m2", "annual_value",
          "status", "site", "recorded_by"]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Needs"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def table_rows(store) -> list[tuple]:
    """The whole needs_offers table, to show a refused write changed nothing at all."""
    return store.con.execute("SELECT * FROM needs_offers ORDER BY id").fetchall()


def asset_id(store, name: str) -> int:
    return store.con.execute("SELECT id FROM assets WHERE name = ?", [name]).fetchone()[0]


def feature_id(store, name: str) -> int:
    return store.con.execute("SELECT id FROM features WHERE name = ?", [name]).fetchone()[0]


@pytest.fixture
def voc(demo_store):
    return vocabulary.load(demo_store)


@pytest.fixture
def kavarna(demo_store) -> int:
    return asset_id(demo_store, "Café Kavarna")


def room_need(asset: int, **changes) -> NeedOfferDraft:
    """A plausible need for a room; each test changes what it is about."""
    draft = NeedOfferDraft(side="need", asset_id=asset, kind="space", title="A room for Saturday language classes",
                           description="Twenty chairs and a whiteboard.", tags=("community space",),
                           quantity=4, unit="hours a week", area_m2=40.0, annual_value=1_200.0)
    return dataclasses.replace(draft, **changes)


# -- add, get, update, set_status, remove ---------------------------------------------------

def test_a_need_added_by_hand_comes_back_typed_with_unit_and_tags_cleaned(demo_store, voc, kavarna):
    site = feature_id(demo_store, "Port Loop historic building")
    before = datetime.now(UTC).replace(tzinfo=None)
    draft = room_need(kavarna, title="  A room for Saturday classes  ", tags=("Meeting Room", "meeting room ", "HALL"),
                      quantity=3, unit="sqm", area_m2=45.5, feature_id=site, description="  Twenty chairs.  ")
    new_id = needs_offers.add(demo_store, draft, by="  Amina K.  ", vocabulary=voc)
    item = needs_offers.get(demo_store, new_id)
    assert (item.side, item.asset_id, item.asset_name, item.kind, item.title, item.description) == (
        "need", kavarna, "Café Kavarna", "space", "A room for Saturday classes", "Twenty chairs.")
    assert item.tags == ["meeting room", "hall"], "lower case, trimmed, each once, in the order given"
    assert (item.quantity, item.unit, item.area_m2, item.annual_value) == (3.0, "m²", 45.5, 1_200.0)
    assert isinstance(item.quantity, float) and isinstance(item.recorded_at, datetime)
    assert (item.status, item.feature_id, item.plan_id) == ("open", site, None)
    assert item.recorded_by == "Amina K."
    assert before - timedelta(seconds=1) <= item.recorded_at <= datetime.now(UTC).replace(tzinfo=None)
    assert (item.updated_by, item.updated_at) == (None, None)
    assert item.source == needs_offers.REGISTER_SOURCE and len(item.source_id) == 32
    assert len(table_rows(demo_store)) == 59 + 76 + 1


def test_a_need_without_a_site_is_placed_at_its_asset_and_with_a_site_at_the_site(demo_store, voc, kavarna):
    site = feature_id(demo_store, "Port Loop historic building")
    at_asset = needs_offers.get(demo_store, needs_offers.add(demo_store, room_need(kavarna), by="T", vocabulary=voc))
    at_site = needs_offers.get(demo_store, needs_offers.add(
        demo_store, room_need(kavarna, title="Another room", feature_id=site), by="T", vocabulary=voc))
    assert (at_asset.lon, at_asset.lat) == pytest.approx((-1.9298, 52.4866))  # assets.csv, Café Kavarna
    sites = gpd.read_file(DEMO_DIR / "sites.geojson")
    outline = sites.loc[sites.name == "Port Loop historic building", "geometry"].iloc[0]
    assert outline.buffer(1e-6).contains(gpd.points_from_xy([at_site.lon], [at_site.lat])[0])


def test_recorded_by_in_the_draft_names_the_researcher_who_found_it(demo_store, voc, kavarna):
    new_id = needs_offers.add(demo_store, room_need(kavarna, recorded_by="Joel R."), by="Officer", vocabulary=voc)
    assert needs_offers.get(demo_store, new_id).recorded_by == "Joel R."


def test_update_changes_details_and_says_who_and_when_but_keeps_the_recording(demo_store, voc, kavarna):
    new_id = needs_offers.add(demo_store, room_need(kavarna), by="Amina K.", vocabulary=voc)
    first = needs_offers.get(demo_store, new_id)
    needs_offers.update(demo_store, new_id, room_need(kavarna, title="A bigger room", area_m2=80.0, unit="m2",
                                                      quantity=80, tags=("Halls",), status="in progress"),
                        by="Tomasz W.", vocabulary=voc)
    item = needs_offers.get(demo_store, new_id)
    assert (item.title, item.area_m2, item.unit, item.quantity, item.tags, item.status) == (
        "A bigger room", 80.0, "m²", 80.0, ["halls"], "in progress")
    assert (item.recorded_by, item.recorded_at, item.source, item.source_id) == (
        first.recorded_by, first.recorded_at, first.source, first.source_id)
    assert item.updated_by == "Tomasz W." and item.updated_at >= first.recorded_at
    assert len(table_rows(demo_store)) == 59 + 76 + 1, "updated in place, not added again"


def test_update_records_the_person_updating_even_when_the_draft_names_its_researcher(demo_store, voc, kavarna):
    new_id = needs_offers.add(demo_store, room_need(kavarna, recorded_by="Joel R."), by="Amina K.", vocabulary=voc)
    needs_offers.update(demo_store, new_id, room_need(kavarna, title="A bigger room", recorded_by="Joel R."),
                        by="Tomasz W.", vocabulary=voc)
    item = needs_offers.get(demo_store, new_id)
    assert (item.recorded_by, item.updated_by) == ("Joel R.", "Tomasz W.")


def test_update_cannot_turn_a_need_into_an_offer_or_move_it_to_another_asset(demo_store, voc, kavarna):
    new_id = needs_offers.add(demo_store, room_need(kavarna), by="T", vocabulary=voc)
    before = table_rows(demo_store)
    other = asset_id(demo_store, HOSPITAL)
    with pytest.raises(InvalidInput, match="belongs to Café Kavarna; record a new one"):
        needs_offers.update(demo_store, new_id, room_need(other), by="T", vocabulary=voc)
    with pytest.raises(InvalidInput, match="belongs to Café Kavarna"):
        needs_offers.update(demo_store, new_id, room_need(kavarna, side="offer"), by="T", vocabulary=voc)
    assert table_rows(demo_store) == before
    with pytest.raises(NotFound, match="no need or offer 999999"):
        needs_offers.update(demo_store, 999_999, room_need(kavarna), by="T", vocabulary=voc)


def test_set_status_closes_a_need_and_names_who_did(demo_store, voc, kavarna):
    new_id = needs_offers.add(demo_store, room_need(kavarna), by="Amina K.", vocabulary=voc)
    needs_offers.set_status(demo_store, new_id, "closed", by="Joel R.")
    item = needs_offers.get(demo_store, new_id)
    assert (item.status, item.updated_by, item.is_open) == ("closed", "Joel R.", False)
    assert new_id not in {i.id for i in needs_offers.listing(demo_store)}, "closed needs are not listed as open"
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput, match=r"^status: 'done' is not one of open, in progress, met, closed"):
        needs_offers.set_status(demo_store, new_id, "done", by="Joel R.")
    with pytest.raises(InvalidInput, match="Say who"):
        needs_offers.set_status(demo_store, new_id, "met", by="  ")
    with pytest.raises(NotFound):
        needs_offers.set_status(demo_store, 999_999, "met", by="Joel R.")
    assert table_rows(demo_store) == before


def test_remove_deletes_a_need_entered_by_mistake(demo_store, voc, kavarna):
    new_id = needs_offers.add(demo_store, room_need(kavarna), by="T", vocabulary=voc)
    needs_offers.remove(demo_store, new_id)
    with pytest.raises(NotFound):
        needs_offers.get(demo_store, new_id)
    assert len(table_rows(demo_store)) == 59 + 76


def test_remove_is_refused_once_a_decision_names_it_and_says_close_it_instead(demo_store, voc, kavarna):
    need = needs_offers.add(demo_store, room_need(kavarna), by="T", vocabulary=voc)
    offer = needs_offers.listing(demo_store, side="offer", kinds=["space"])[0]
    linking.decide(demo_store, need, offer.id, "rejected", reason="Too far for the children", by="Amina K.")
    before = table_rows(demo_store)
    for item in (need, offer.id):
        with pytest.raises(InvalidInput, match=r"1 decision\(s\); set its status to closed instead of deleting it"):
            needs_offers.remove(demo_store, item)
    assert table_rows(demo_store) == before


# -- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "skills"}, "kind"),  # an offer's kind, not a need's
    ({"side": "request"}, "side"),
    ({"unit": "furlongs"}, "unit"),
    ({"unit": None}, "unit"),  # a quantity without a unit
    ({"quantity": None}, "quantity"),  # a unit without a quantity
    ({"kind": "workforce", "area_m2": 40.0, "quantity": 3, "unit": "people"}, "area_m2"),
    ({"area_m2": 1e12}, "area_m2"),
    ({"quantity": 1e9}, "quantity"),
    ({"annual_value": 1e15}, "annual_value"),
    ({"quantity": -2}, "quantity"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": float("nan")}, "quantity"),
    ({"area_m2": -40.0}, "area_m2"),
    ({"area_m2": float("inf")}, "area_m2"),
    ({"annual_value": -1.0}, "annual_value"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "CafÃ© premises"}, "title"),
    ({"description": "Rooms for the caf\ufffd"}, "description"),
    ({"title": "Room\x07for hire"}, "title"),
    ({"tags": ("meeting room", "hall\x00")}, "tags"),
    ({"tags": tuple(f"tag {i}" for i in range(31))}, "tags"),
    ({"tags": ("meeting room, hall, room for twenty people, chairs, tables, and a kitchen we can use",)}, "tags"),
    ({"status": "pending"}, "status"),
])
def test_a_bad_draft_is_refused_naming_the_field_and_nothing_is_written(demo_store, voc, kavarna, change, field):
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput, match=f"^{field}: "):
        needs_offers.add(demo_store, room_need(kavarna, **change), by="T", vocabulary=voc)
    assert table_rows(demo_store) == before


def test_the_limits_themselves_are_accepted(demo_store, voc, kavarna):
    """The refusals above are about the value, not a blanket refusal: the largest
    believable sizes and exactly thirty tags are stored."""
    new_id = needs_offers.add(demo_store, room_need(kavarna, kind="land", area_m2=needs_offers.AREA_MAX_M2,
                                                    quantity=needs_offers.QUANTITY_MAX, unit="items",
                                                    tags=tuple(f"tag {i}" for i in range(30)), annual_value=0.0),
                              by="T", vocabulary=voc)
    item = needs_offers.get(demo_store, new_id)
    assert (item.area_m2, item.quantity, item.annual_value, len(item.tags)) == (1e8, 1e6, 0.0, 30)


def test_a_need_naming_an_asset_or_site_the_atlas_lacks_is_refused(demo_store, voc, kavarna):
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput, match="asset: there is no asset 999999"):
        needs_offers.add(demo_store, room_need(999_999), by="T", vocabulary=voc)
    with pytest.raises(InvalidInput, match="feature_id: there is no site 888888"):
        needs_offers.add(demo_store, room_need(kavarna, feature_id=888_888), by="T", vocabulary=voc)
    with pytest.raises(InvalidInput, match="Say who"):
        needs_offers.add(demo_store, room_need(kavarna), by=" ", vocabulary=voc)
    assert table_rows(demo_store) == before


def test_a_garbled_name_of_who_recorded_it_is_refused(demo_store, voc, kavarna):
    before = table_rows(demo_store)
    for by, recorded_by in (("Jo\u00c3\u00abl R.", None), ("Officer", "Jo\u00c3\u00abl R."), ("Joel\x07", None)):
        with pytest.raises(InvalidInput):
            needs_offers.add(demo_store, room_need(kavarna, recorded_by=recorded_by), by=by, vocabulary=voc)
    assert table_rows(demo_store) == before

# -- near ------------------------------------------------------------------------------------------

def _expected_near(site_name: str, radius_m: float) -> dict[str, float]:
    """Source id -> distance in metres of every open demo need and offer within
    ``radius_m`` of the site's edge, from the CSV and GeoJSON files with geopandas: a
    need or offer is where its site is (a point on the site's surface), else at its asset."""
    sites = gpd.read_file(DEMO_DIR / "sites.geojson").to_crs(BNG).set_index("name")
    table = demo_asset_table()
    assets = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326).to_crs(BNG)
    assets = assets.set_index("name")
    items = pd.concat([pd.read_csv(DEMO_DIR / f, keep_default_na=False) for f in ("needs.csv", "offers.csv")])
    items = items[items.status.isin(["open", "in progress"])]
    places = [sites.geometry[r.site].representative_point() if r.site else assets.geometry[r.asset]
              for r in items.itertuples()]
    distance = gpd.GeoSeries(places, crs=BNG).distance(sites.geometry[site_name])
    return {i: d for i, d in zip(items["id"], distance, strict=True) if d <= radius_m}


@pytest.mark.parametrize("radius_m", [300, 800])
def test_near_agrees_with_geopandas_on_the_port_loop_building(demo_store, radius_m):
    site = queries.resolve_site(demo_store, "Port Loop historic building")
    found = needs_offers.near(demo_store, site, radius_m)
    got = {n.item.source_id: n.distance_m for n in found}
    want = _expected_near("Port Loop historic building", radius_m)
    near_edge = {i for i, d in {**want, **got}.items() if abs(d - radius_m) < 1}
    assert set(got) ^ set(want) <= near_edge
    for source_id, d in got.items():
        assert d == pytest.approx(want.get(source_id, d), abs=1.0), source_id
    assert [n.distance_m for n in found] == sorted(n.distance_m for n in found), "nearest first"
    assert got["o-port-loop-building"] == pytest.approx(0.0, abs=0.01), "the building offered is on the site"
    assert "n-port-loop-residents-room" in got and len(got) >= 3


def test_near_leaves_out_met_and_closed_unless_asked(demo_store, voc, kavarna):
    site = queries.resolve_site(demo_store, "Café Kavarna")
    new_id = needs_offers.add(demo_store, room_need(kavarna), by="T", vocabulary=voc)
    assert new_id in {n.item.id for n in needs_offers.near(demo_store, site, 10)}
    needs_offers.set_status(demo_store, new_id, "met", by="T")
    assert new_id not in {n.item.id for n in needs_offers.near(demo_store, site, 10)}
    assert new_id in {n.item.id for n in needs_offers.near(demo_store, site, 10, statuses=("met",))}


@pytest.mark.parametrize("radius_m", [-5.0, float("nan")])
def test_near_refuses_a_radius_that_is_not_a_distance(demo_store, radius_m):
    site = queries.resolve_site(demo_store, "Port Loop historic building")
    with pytest.raises(InvalidInput):
        needs_offers.near(demo_store, site, radius_m)

# -- import ------------------------------------------------------------------------------------------

def _stored(store, source: str) -> dict[str, needs_offers.NeedOffer]:
    return {i.source_id: i for i in needs_offers.listing(store, statuses=("open", "in progress", "met", "closed"))
            if i.source == source}


def test_importing_needs_names_assets_by_name_or_id_and_stores_every_column(demo_store, tmp_path):
    hospital = asset_id(demo_store, HOSPITAL)
    rows = [
        ["r1", "cafe kavarna", "Space", "Kitchen for a supper club", "Evenings only.", "Kitchen; Catering ;kitchen",
         "6", "hours per week", "35", "2400", "open", "port loop HISTORIC building", "Joel R."],
        ["r2", str(hospital), "workforce", "Porters", "", "jobs", "3", "staff", "", "", "in progress", "", ""],
        ["r3", "CITY HOSPITAL (Sandwell and West Birmingham NHS Trust)", "funding", "Money for a garden", "", "",
         "", "", "", "5000", "", "", ""],
    ]
    path = write_csv(tmp_path / "needs.csv", HEADER, rows)
    summary = import_file(demo_store, path, as_="needs")
    assert (summary.read, summary.imported, summary.updated, summary.removed) == (3, 3, 0, 0)
    assert (summary.source, summary.stored_as) == ("needs.csv", "needs")
    got = _stored(demo_store, "needs.csv")
    kitchen, porters, garden = got["r1"], got["r2"], got["r3"]
    assert (kitchen.side, kitchen.asset_name, kitchen.kind, kitchen.title, kitchen.description) == (
        "need", "Café Kavarna", "space", "Kitchen for a supper club", "Evenings only.")
    assert kitchen.tags == ["kitchen", "catering"]
    assert (kitchen.quantity, kitchen.unit, kitchen.area_m2, kitchen.annual_value) == (
        6.0, "hours a week", 35.0, 2400.0)
    assert (kitchen.status, kitchen.feature_id, kitchen.recorded_by) == (
        "open", feature_id(demo_store, "Port Loop historic building"), "Joel R.")
    assert (porters.asset_id, porters.unit, porters.status, porters.description, porters.feature_id) == (
        hospital, "people", "in progress", None, None)
    assert porters.recorded_by == "import of needs.csv", "no researcher named: the import is who recorded it"
    assert (garden.asset_id, garden.status, garden.annual_value, garden.tags) == (hospital, "open", 5000.0, [])
    assert len(table_rows(demo_store)) == 59 + 76 + 3


def test_importing_offers_stores_them_as_offers(demo_store, tmp_path):
    path = write_csv(tmp_path / "offers.csv", ["asset", "kind", "title", "tags"],
                     [["Café Kavarna", "skills", "Food hygiene training", "training; food hygiene"]])
    summary = import_file(demo_store, path, as_="offers")
    assert (summary.imported, summary.stored_as) == (1, "offers")
    [offer] = _stored(demo_store, "offers.csv").values()
    assert (offer.side, offer.kind, offer.tags) == ("offer", "skills", ["training", "food hygiene"])


def test_importing_the_same_file_again_updates_in_place_and_keeps_ids(demo_store, tmp_path):
    rows = [["r1", "Café Kavarna", "space", "Kitchen", "", "", "", "", "30", "", "", "", ""],
            ["r2", "Café Kavarna", "volunteers", "Washers-up", "", "", "2", "people", "", "", "", "", ""]]
    path = write_csv(tmp_path / "needs.csv", HEADER, rows)
    import_file(demo_store, path, as_="needs")
    first = {k: v.id for k, v in _stored(demo_store, "needs.csv").items()}
    rows[0][3] = "A bigger kitchen"
    rows.append(["r3", "Café Kavarna", "funding", "Money for an oven", "", "", "", "", "", "3000", "", "", ""])
    summary = import_file(demo_store, write_csv(path, HEADER, rows), as_="needs")
    assert (summary.read, summary.imported, summary.updated, summary.removed) == (3, 1, 2, 0)
    got = _stored(demo_store, "needs.csv")
    assert {k: v.id for k, v in got.items() if k in first} == first, "ids kept"
    assert got["r1"].title == "A bigger kitchen" and got["r1"].updated_by == "import of needs.csv"
    assert len(table_rows(demo_store)) == 59 + 76 + 3, "no duplicates"


def test_without_an_id_column_a_reimport_still_recognises_each_row(demo_store, tmp_path):
    """The key is then asset, kind and title: the same rows update rather than double."""
    path = write_csv(tmp_path / "needs.csv", ["asset", "kind", "title", "quantity", "unit"],
                     [["Café Kavarna", "volunteers", "Washers-up", "2", "people"]])
    import_file(demo_store, path, as_="needs")
    write_csv(path, ["asset", "kind", "title", "quantity", "unit"],
              [["Café Kavarna", "volunteers", "Washers-up", "5", "people"]])
    summary = import_file(demo_store, path, as_="needs")
    assert (summary.imported, summary.updated) == (0, 1)
    [item] = _stored(demo_store, "needs.csv").values()
    assert item.quantity == 5.0


def test_replace_removes_rows_no_longer_in_the_file_and_only_those_of_its_source(demo_store, tmp_path):
    rows = [["r1", "Café Kavarna", "space", "Kitchen", "", "", "", "", "30", "", "", "", ""],
            ["r2", "Café Kavarna", "volunteers", "Washers-up", "", "", "2", "people", "", "", "", "", ""]]
    path = write_csv(tmp_path / "needs.csv", HEADER, rows)
    import_file(demo_store, path, as_="needs")
    kept_id = _stored(demo_store, "needs.csv")["r1"].id
    summary = import_file(demo_store, write_csv(path, HEADER, rows[:1]), as_="needs", replace=True)
    assert (summary.imported, summary.updated, summary.removed) == (0, 1, 1)
    assert {k: v.id for k, v in _stored(demo_store, "needs.csv").items()} == {"r1": kept_id}
    assert len(_stored(demo_store, DEMO_SOURCE)) == 59 + 76, "other sources untouched"


def test_replacing_offers_does_not_delete_the_needs_of_the_same_source(demo_store):
    summary = import_file(demo_store, DEMO_DIR / "offers.csv", as_="offers", source=DEMO_SOURCE, replace=True)
    assert summary.removed == 0
    counts = dict(demo_store.con.execute("SELECT side, count(*) FROM needs_offers GROUP BY side").fetchall())
    assert counts == {"need": 59, "offer": 76}


def test_an_offer_never_overwrites_a_need_that_shares_its_source_and_id(demo_store, tmp_path):
    need = _stored(demo_store, DEMO_SOURCE)["n-port-loop-residents-room"]
    path = write_csv(tmp_path / "offers.csv", ["id", "asset", "kind", "title"],
                     [["n-port-loop-residents-room", "Café Kavarna", "skills", "Barista training"]])
    try:
        import_file(demo_store, path, as_="offers", source=DEMO_SOURCE)
    except InvalidInput:
        pass  # refusing the clash would be fine too
    assert needs_offers.get(demo_store, need.id).side == "need"


def test_an_xlsx_workbook_imports_like_a_csv(demo_store, tmp_path):
    hospital = asset_id(demo_store, HOSPITAL)
    path = write_xlsx(tmp_path / "needs.xlsx", HEADER, [
        ["x1", hospital, "workforce", "Pharmacists", None, "pharmacists; clinical staff", 4, "FTE", None, None, "open",
         None, "Amina K."],
        ["x2", "Café Kavarna", "space", "Storage", None, "storage", None, None, 12.5, 600, None, None, None],
    ])
    summary = import_file(demo_store, path, as_="needs")
    assert (summary.format, summary.imported) == ("XLSX", 2)
    got = _stored(demo_store, "needs.xlsx")
    assert (got["x1"].asset_id, got["x1"].quantity, got["x1"].unit, got["x1"].tags) == (
        hospital, 4.0, "people", ["pharmacists", "clinical staff"])
    assert (got["x2"].area_m2, got["x2"].annual_value, got["x2"].quantity) == (12.5, 600.0, None)


def test_the_demo_files_reimport_as_updates_only(demo_store):
    """The demo's own needs.csv, read again under its source: nothing new, nothing lost."""
    summary = import_file(demo_store, DEMO_DIR / "needs.csv", as_="needs", source=DEMO_SOURCE)
    assert (summary.read, summary.imported, summary.updated, summary.removed) == (59, 0, 59, 0)
    assert len(table_rows(demo_store)) == 59 + 76


# -- bad files ------------------------------------------------------------------------------------------

GOOD_ROW = {"id": "g1", "asset": "Café Kavarna", "kind": "space", "title": "Kitchen", "description": "",
            "tags": "kitchen", "quantity": "6", "unit": "hours a week", "area_m2": "30", "annual_value": "",
            "status": "open", "site": "", "recorded_by": ""}


@pytest.mark.parametrize(("column", "value", "message"), [
    ("asset", "Cafe Nowhere", "there is no asset 'Cafe Nowhere' in this atlas"),
    ("asset", "999999", "there is no asset '999999' in this atlas"),
    ("asset", "", "the asset is empty"),
    ("kind", "skills", "'skills' is not a kind of need"),
    ("unit", "furlongs", "'furlongs' is not a unit the atlas knows"),
    ("quantity", "a dozen", "'a dozen' is not a number."),
    ("quantity", "-4", "'-4' is below zero."),
    ("area_m2", "1000000000000", "is not believable"),
    ("site", "Nowhere Park", "there is no site 'Nowhere Park' in this atlas"),
    ("status", "done", "'done' is not one of open, in progress, met, closed."),
    ("title", "CafÃ© premises", "looks garbled"),
    ("title", "", "every need needs a title"),
])
def test_a_bad_cell_names_file_row_and_column_and_the_store_is_unchanged(demo_store, tmp_path, column, value, message):
    bad = GOOD_ROW | {"id": "g2", column: value}
    path = write_csv(tmp_path / "needs.csv", HEADER, [[GOOD_ROW[h] for h in HEADER], [bad[h] for h in HEADER]])
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput) as err:
        import_file(demo_store, path, as_="needs")
    assert str(err.value).startswith(f"{path} row 3, field {column}: ")
    assert message in str(err.value)
    assert table_rows(demo_store) == before


def test_an_asset_name_shared_by_two_assets_asks_for_the_id(demo_store, tmp_path):
    first = asset_id(demo_store, "Café Kavarna")
    second = register.add_asset(demo_store, register.AssetDraft(name="Cafe KAVARNA", lon=-1.95, lat=52.49), by="test")
    path = write_csv(tmp_path / "needs.csv", ["asset", "kind", "title"], [["café kavarna", "space", "Kitchen"]])
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput) as err:
        import_file(demo_store, path, as_="needs")
    assert str(err.value).startswith(f"{path} row 2, field asset: 2 assets are called 'café kavarna'")
    assert f"({min(first, second)}, {max(first, second)})" in str(err.value)
    assert table_rows(demo_store) == before


def test_a_file_without_a_title_column_is_refused_naming_file_and_column(demo_store, tmp_path):
    path = write_csv(tmp_path / "needs.csv", ["asset", "kind", "what"], [["Café Kavarna", "space", "Kitchen"]])
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput) as err:
        import_file(demo_store, path, as_="needs")
    assert str(err.value).startswith(f"{path} has no title column")
    assert "Its columns are: asset, kind, what." in str(err.value)
    assert table_rows(demo_store) == before


def test_the_same_need_twice_without_ids_is_refused_at_the_second_row(demo_store, tmp_path):
    path = write_csv(tmp_path / "needs.csv", ["asset", "kind", "title"],
                     [["Café Kavarna", "space", "Kitchen"], ["Café Kavarna", "space", "Tables"],
                      ["cafe kavarna", "space", "KITCHEN"]])
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput, match=r"row 4, field title: the same need .* is listed twice"):
        import_file(demo_store, path, as_="needs")
    assert table_rows(demo_store) == before


def test_a_bad_row_in_an_xlsx_is_named_by_its_spreadsheet_row(demo_store, tmp_path):
    path = write_xlsx(tmp_path / "needs.xlsx", ["asset", "kind", "title", "unit", "quantity"],
                      [["Café Kavarna", "space", "Kitchen", None, None],
                       ["Café Kavarna", "supply", "Coffee beans", "sacks", 4]])
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput) as err:
        import_file(demo_store, path, as_="needs")
    assert str(err.value).startswith(f"{path} row 3, field unit: 'sacks' is not a unit")
    assert table_rows(demo_store) == before


def test_a_garbled_researcher_in_a_file_is_refused_naming_the_cell(demo_store, tmp_path):
    path = write_csv(tmp_path / "needs.csv", HEADER, [[(GOOD_ROW | {"recorded_by": "Jo\u00c3\u00abl R."})[h]
                                                       for h in HEADER]])
    before = table_rows(demo_store)
    with pytest.raises(InvalidInput, match=r"row 2, field recorded_by: "):
        import_file(demo_store, path, as_="needs")
    assert table_rows(demo_store) == before


def test_a_misspelt_column_is_not_dropped_silently(demo_store, tmp_path):
    path = write_csv(tmp_path / "needs.csv", ["asset", "kind", "title", "Quantiy"],
                     [["Café Kavarna", "volunteers", "Helpers", "4"]])
    with pytest.raises(InvalidInput, match="Quantiy"):
        import_file(demo_store, path, as_="needs")

# -- the command line --------------------------------------------------------------------------------------

def _atlas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atlas_cli", *args], check=False, capture_output=True, text=True,
                          timeout=300)


def test_atlas_import_as_needs_prints_a_summary(demo_store_path, tmp_path):
    path = write_csv(tmp_path / "needs.csv", HEADER,
                     [[GOOD_ROW[h] for h in HEADER], [(GOOD_ROW | {"id": "g2", "title": "Tables"})[h] for h in HEADER]])
    proc = _atlas("import", str(path), "--as", "needs", "--db", str(demo_store_path))
    assert proc.returncode == 0, proc.stderr
    assert f"Imported {path}" in proc.stdout and "as needs from source 'needs.csv'" in proc.stdout
    assert [line.split() for line in proc.stdout.splitlines() if line.split()[:1] in (["imported"], ["updated"])] == [
        ["imported", "2"], ["updated", "0"]]
    with open_store(demo_store_path) as store:
        assert sorted(i.title for i in _stored(store, "needs.csv").values()) == ["Kitchen", "Tables"]


def test_atlas_import_with_a_bad_row_exits_2_with_one_line_naming_file_row_and_field(demo_store_path, tmp_path):
    path = write_csv(tmp_path / "needs.csv", HEADER,
                     [[GOOD_ROW[h] for h in HEADER],
                      [(GOOD_ROW | {"id": "g2", "kind": "premises"})[h] for h in HEADER]])
    with open_store(demo_store_path) as store:
        before = table_rows(store)
    proc = _atlas("import", str(path), "--as", "needs", "--db", str(demo_store_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"Error: {path} row 3, field kind: 'premises' is not a kind of need")
    with open_store(demo_store_path) as store:
        assert table_rows(store) == before


def test_a_kind_typed_in_capitals_is_stored_in_the_atlas_words(demo_store, voc, kavarna):
    """Imports and the register agree: "Space" is the kind space, not a refusal."""
    item_id = needs_offers.add(demo_store, room_need(kavarna, kind=" Space "), by="T", vocabulary=voc)
    assert needs_offers.get(demo_store, item_id).kind == "space"
