"""Search and boundary queries, checked against geopandas on the demo's source files."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from atlas import queries
from atlas.access import as_role
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput, NotFound
from tests.demo_data import demo_asset_table


@pytest.fixture(scope="module")
def wards_and_assets():
    wards = gpd.read_file(DEMO_DIR / "wards.geojson").to_crs(27700)
    table = demo_asset_table()
    assets = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326).to_crs(27700)
    return wards, assets


@pytest.mark.parametrize("text", ["cafe kavarna", "CAFÉ", "kavárna", "Kavarna"])
def test_search_ignores_case_and_accents(demo_store, text):
    names = [h.name for h in queries.search(demo_store, text)]
    assert "Café Kavarna" in names


def test_search_puts_exact_names_first(demo_store):
    hits = queries.search(demo_store, "summerfield park")
    assert hits[0].name == "Summerfield Park" and hits[0].kind == "feature"
    assert -2.1 < hits[0].lon < -1.8 and 52.4 < hits[0].lat < 52.6


def test_search_needs_text(demo_store):
    with pytest.raises(InvalidInput):
        queries.search(demo_store, "  ")


def test_search_is_parameterised(demo_store):
    assert queries.search(demo_store, "'; DROP TABLE assets; --") == []
    assert demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0] > 0


def test_assets_in_each_ward_match_a_spatial_join(demo_store, wards_and_assets):
    wards, assets = wards_and_assets
    joined = gpd.sjoin(assets, wards[["name", "geometry"]].rename(columns={"name": "ward"}), predicate="within")
    for ward in wards["name"]:
        want = sorted(joined.loc[joined.ward == ward, "name"])
        got = sorted(a.name for a in queries.assets_in_boundary(demo_store, ward))
        assert got == want, ward


def test_writing_one_source_moves_its_rows_between_wards_and_leaves_the_others(demo_store, wards_and_assets):
    """Membership is refreshed for the written source only; the result is still the whole
    store's spatial join."""
    from atlas import writes

    wards, assets = wards_and_assets
    west, east = wards.geometry.iloc[0].representative_point(), wards.geometry.iloc[1].representative_point()
    mine = gpd.GeoDataFrame({"source_id": ["a", "b"], "name": ["Moving group", "Closing group"]},
                            geometry=[west, west], crs=27700)
    writes.upsert_assets(demo_store, mine, source="mine")
    moved = gpd.GeoDataFrame({"source_id": ["a"], "name": ["Moving group"]}, geometry=[east], crs=27700)
    writes.upsert_assets(demo_store, moved, source="mine", replace=True)  # b is gone, a has moved
    everyone = pd.concat([assets[["name", "geometry"]], moved[["name", "geometry"]]], ignore_index=True)
    joined = gpd.sjoin(everyone, wards[["name", "geometry"]].rename(columns={"name": "ward"}), predicate="within")
    for ward in wards["name"]:
        want = sorted(joined.loc[joined.ward == ward, "name"])
        got = sorted(a.name for a in queries.assets_in_boundary(demo_store, ward))
        assert got == want, ward
    links = demo_store.con.execute("SELECT count(*) FROM asset_boundaries").fetchone()[0]
    assert links == len(joined)  # no link left behind by the asset that is gone


def test_every_feature_is_counted_in_exactly_one_ward(demo_store, wards_and_assets):
    wards, _ = wards_and_assets
    sites = gpd.read_file(DEMO_DIR / "sites.geojson").to_crs(27700)
    points = sites.set_geometry(sites.representative_point())
    joined = gpd.sjoin(points, wards[["name", "geometry"]].rename(columns={"name": "ward"}), predicate="within")
    total = 0
    for ward in wards["name"]:
        got = sorted(f.name for f in queries.features_in_boundary(demo_store, ward))
        assert got == sorted(joined.loc[joined.ward == ward, "name"]), ward
        total += len(got)
    assert total == len(sites)


def test_counts_by_scale_and_category(demo_store, wards_and_assets):
    wards, assets = wards_and_assets
    counts = queries.counts_by_boundary(demo_store, level="ward")
    joined = gpd.sjoin(assets, wards[["name", "geometry"]].rename(columns={"name": "ward"}), predicate="within")
    per_ward = {}
    for c in counts:
        per_ward[c.boundary] = per_ward.get(c.boundary, 0) + c.count
    assert per_ward == joined.groupby("ward").size().to_dict()
    assert {c.scale for c in counts} == {"macro", "micro"}


def test_unknown_boundary(demo_store):
    with pytest.raises(NotFound, match="No area is called"):
        queries.assets_in_boundary(demo_store, "Atlantis")


def test_info(demo_store):
    info = queries.info(demo_store)
    assert info.metric_epsg == 27700
    assert info.counts["assets"] == info.counts["macro_assets"] + info.counts["micro_assets"]
    minx, miny, maxx, maxy = info.extent
    assert -2.1 < minx < maxx < -1.8 and 52.4 < miny < maxy < 52.6


def test_contact_is_restricted(demo_store):
    asset = queries.list_assets(demo_store)[0]
    assert asset.contact is None
    assert queries.get_asset(demo_store, asset.id).contact is None
    assert queries.get_asset(demo_store, asset.id, viewer=as_role("officer")).contact
