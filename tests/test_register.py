"""The asset register's writes (atlas.register) on real stores: classification, both
geometries, boundary membership and refusals, checked with pyproj and geopandas."""

from __future__ import annotations

import dataclasses
from datetime import date

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer

from atlas import register
from atlas.access import as_role
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput, NotFound
from atlas.queries import get_asset
from atlas.register import AssetDraft

DRAFT = AssetDraft(name="Ladywood Community Fridge", lon=-1.9380, lat=52.4795, sector="community",
                   category="food", asset_type="community", employees=2, offers=("food", "space"),
                   needs=("volunteers",), contact="fridge@example.org")


def stored(store, asset_id: int) -> dict:
    row = store.con.execute(
        "SELECT ST_X(geom_m), ST_Y(geom_m), source, source_id, licence FROM assets WHERE id = ?", [asset_id]
    ).fetchone()
    wards = [r[0] for r in store.con.execute(
        "SELECT b.name FROM asset_boundaries ab JOIN boundaries b ON b.id = ab.boundary_id WHERE ab.asset_id = ?",
        [asset_id]).fetchall()]
    return {"x": row[0], "y": row[1], "source": row[2], "source_id": row[3], "licence": row[4], "wards": wards}


def ward_of(lon: float, lat: float) -> list[str]:
    wards = gpd.read_file(DEMO_DIR / "wards.geojson").to_crs(27700)
    point = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(27700).iloc[0]
    return list(wards.loc[wards.contains(point), "name"])


def test_add_asset(demo_store):
    new_id = register.add_asset(demo_store, DRAFT, by="test")
    asset = get_asset(demo_store, new_id, viewer=as_role("officer"))
    assert (asset.name, asset.scale, asset.sector, asset.offers, asset.contact) == (
        DRAFT.name, "micro", "community", ["food", "space"], "fridge@example.org")
    facts = stored(demo_store, new_id)
    easting, northing = Transformer.from_crs(4326, 27700, always_xy=True).transform(DRAFT.lon, DRAFT.lat)
    assert (facts["x"], facts["y"]) == (pytest.approx(easting, abs=0.01), pytest.approx(northing, abs=0.01))
    assert facts["source"] == register.REGISTER_SOURCE and len(facts["source_id"]) == 32
    assert facts["wards"] == ward_of(DRAFT.lon, DRAFT.lat) != []


def test_update_asset_moves_and_reclassifies_but_keeps_provenance(demo_store):
    hospital = get_asset(demo_store, 1, viewer=as_role("officer"))
    before = stored(demo_store, 1)
    moved = dataclasses.replace(register.draft_from_asset(demo_store, 1), lon=-1.9900, lat=52.4950,
                                employees=10, annual_spend=None, land_ha=None)
    register.update_asset(demo_store, 1, moved, by="test")
    after = get_asset(demo_store, 1, viewer=as_role("officer"))
    assert (after.scale, after.employees) == ("micro", 10)
    assert (after.verified_by, after.verified_on, after.contact) == (hospital.verified_by, hospital.verified_on,
                                                                     hospital.contact)
    facts = stored(demo_store, 1)
    assert (facts["source"], facts["source_id"], facts["licence"]) == (before["source"], before["source_id"],
                                                                       before["licence"])
    assert facts["wards"] == ward_of(-1.99, 52.495) != before["wards"]
    assert demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 85


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "  "}, "name:"),
    ({"lon": float("nan")}, "place:"),
    ({"lat": 95.0}, "place:"),
    ({"sector": "charity"}, "sector:"),
    ({"asset_type": "spiritual"}, "asset type:"),
    ({"employees": -1}, "employees:"),
    ({"annual_spend": float("inf")}, "annual spend:"),
])
def test_bad_drafts_are_refused_naming_the_field(demo_store, change, field):
    with pytest.raises(InvalidInput, match=f"^{field}"):
        register.add_asset(demo_store, dataclasses.replace(DRAFT, **change), by="test")
    assert demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 85


def test_update_of_an_unknown_asset(demo_store):
    with pytest.raises(NotFound):
        register.update_asset(demo_store, 99_999, DRAFT, by="test")


def test_first_asset_fixes_the_metric_crs(empty_store):
    register.add_asset(empty_store, DRAFT, by="test")
    assert empty_store.metric_epsg == 27700
    register.add_asset(empty_store, dataclasses.replace(DRAFT, name="Second", lon=2.35, lat=48.85), by="test")
    assert empty_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] == 2


def test_verification_survives_an_edit_and_can_be_renewed(demo_store):
    from atlas.writes import verify_asset

    new_id = register.add_asset(demo_store, DRAFT, by="test")
    verify_asset(demo_store, new_id, "Femi O.", date(2026, 10, 1))
    register.update_asset(demo_store, new_id, dataclasses.replace(DRAFT, category="food bank"), by="test")
    asset = get_asset(demo_store, new_id)
    assert (asset.category, asset.verified_by, asset.verified_on) == ("food bank", "Femi O.", date(2026, 10, 1))
