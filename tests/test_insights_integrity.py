"""Register facts, grants and spend lines never point at an asset that is gone (issue 12):
when a re-import with ``replace`` or an erasure removes assets, their registrations go
with them and the spend and grants that named them are unlinked, not left dangling."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from atlas import writes
from atlas.demo import DEMO_DIR, DEMO_LICENCE, DEMO_SOURCE
from atlas.projection import WGS84

GONE = ("Hockley community kitchen", "Café Kavarna")


def _dangling(store) -> dict[str, int]:
    checks = {
        "registrations": "SELECT count(*) FROM asset_registrations r WHERE r.asset_id NOT IN (SELECT id FROM assets)",
        "suppliers": "SELECT count(*) FROM spend_lines s WHERE s.supplier_asset_id NOT IN (SELECT id FROM assets)",
        "candidates": "SELECT count(*) FROM spend_lines s WHERE s.candidate_asset_id NOT IN (SELECT id FROM assets)",
        "grants": "SELECT count(*) FROM grants g WHERE g.asset_id NOT IN (SELECT id FROM assets)",
    }
    return {name: store.con.execute(sql).fetchone()[0] for name, sql in checks.items()}


def test_assets_removed_by_a_replace_take_their_links_with_them(demo_store):
    con = demo_store.con
    ids = [con.execute("SELECT id FROM assets WHERE name = ?", [n]).fetchone()[0] for n in GONE]
    linked = con.execute("SELECT count(*) FROM spend_lines WHERE supplier_asset_id = ? OR candidate_asset_id = ?",
                         [ids[0], ids[1]]).fetchone()[0]
    registered = con.execute("SELECT count(*) FROM asset_registrations WHERE asset_id IN (?, ?)", ids).fetchone()[0]
    # The demo links both: the kitchen supplies the council and City Hospital (a certain
    # match at its postcode); Midland Met's "Cafe Kavarna" line, with no postcode, is an
    # uncertain match to the café; both are in the Companies House extract.
    assert linked == 3 and registered == 2
    table = pd.read_csv(DEMO_DIR / "assets.csv", dtype={"source_id": str}, keep_default_na=False, na_values=[""])
    table = table[~table["name"].isin(GONE)]
    kept = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=WGS84)
    with demo_store.transaction():
        result = writes.upsert_assets(demo_store, kept, source=DEMO_SOURCE, licence=DEMO_LICENCE, replace=True)
    assert result.removed == 2
    assert _dangling(demo_store) == {"registrations": 0, "suppliers": 0, "candidates": 0, "grants": 0}
    # The kitchen's lines keep the place their own postcode gave them.
    kitchen = con.execute("SELECT count(*), count(placed_by) FROM spend_lines WHERE supplier_name ILIKE 'hockley%'"
                          ).fetchone()
    assert kitchen == (2, 2)
