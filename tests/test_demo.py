"""The embedded demo: what the issue promises it holds, and that it says it is approximate."""

from __future__ import annotations

from collections import Counter

import geopandas as gpd

from atlas import queries
from atlas.demo import DEMO_DIR

REQUIRED_SITES = {
    "Edgbaston Reservoir", "Edgbaston Reservoir open spaces", "Holy Trinity Church, Smethwick",
    "Port Loop historic building", "Summerfield Park", "Ladywood Leisure Centre",
}
REQUIRED_WARDS = {
    "Ladywood", "Soho & Jewellery Quarter", "North Edgbaston", "Edgbaston", "Smethwick", "Soho & Victoria",
}


def test_demo_holds_the_use_it_area(demo_store):
    assert {b.name for b in queries.list_boundaries(demo_store, "ward")} == REQUIRED_WARDS
    features = queries.list_features(demo_store)
    assert len(features) >= 10 and REQUIRED_SITES <= {f.name for f in features}
    statuses = Counter(f.status for f in features)
    assert statuses["vacant"] and statuses["disused"]
    assets = queries.list_assets(demo_store)
    assert len(assets) >= 60
    scales = Counter(a.scale for a in assets)
    assert scales["macro"] >= 9 and scales["micro"] >= 30
    names = " | ".join(a.name for a in assets)
    for must in ("City Hospital", "Midland Metropolitan University Hospital", "University of Birmingham",
                 "Birmingham City Council", "Sandwell", "Port Loop", "Canal & River Trust", "Brushstrokes",
                 "Smethwick CAN", "Summerfield Residents Association"):
        assert must in names, must
    assert sum(bool(a.offers) for a in assets) >= 50 and sum(bool(a.needs) for a in assets) >= 50


def test_every_asset_lies_in_a_ward(demo_store):
    in_wards = demo_store.con.execute("SELECT count(DISTINCT asset_id) FROM asset_boundaries").fetchone()[0]
    assert in_wards == demo_store.con.execute("SELECT count(*) FROM assets").fetchone()[0]


def test_demo_is_labelled_approximate(demo_store):
    for name in ("wards.geojson", "sites.geojson"):
        frame = gpd.read_file(DEMO_DIR / name)
        assert frame["approximate"].all(), name
    assert "approximate" in (DEMO_DIR / "README.md").read_text().lower()
    assert "approximate" in queries.info(demo_store).place
    assert all("approximate" in s["licence"] for s in queries.info(demo_store).sources)


def test_site_owners_are_linked(demo_store):
    port_loop = next(f for f in queries.list_features(demo_store) if f.name == "Port Loop historic building")
    owner = queries.get_asset(demo_store, port_loop.owner_asset_id)
    assert "Port Loop" in owner.name and owner.scale == "macro"
