"""The embedded demo: the USE-IT! area of west Birmingham and Smethwick.

Written by the Asset Atlas project with approximate coordinates (see
``data/boundaries/README.md``); good for trying the atlas, not for surveying.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from atlas import accounts, writes
from atlas.errors import NotFound
from atlas.ground.demo_ground import DEMO_GROUND_SOURCE, load_demo_ground
from atlas.ground.layers import ground_source
from atlas.importers.needs_offers import import_needs_offers
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84
from atlas.store import Store

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "boundaries"
DEMO_SOURCE = "asset-atlas-demo"
DEMO_LICENCE = "Asset Atlas demo data (approximate, written by the project)"
DEMO_PLACE = "USE-IT! area, west Birmingham and Smethwick (approximate demo data)"
DEMO_SPEND = {
    "spend-birmingham-city-council.csv": "Birmingham City Council",
    "spend-city-hospital.csv": "City Hospital (Sandwell and West Birmingham NHS Trust)",
    "spend-midland-met.csv": "Midland Metropolitan University Hospital",
}
"""Invented spend files of three anchors (file -> the anchor's asset name)."""


def demo_files(directory: Path = DEMO_DIR) -> dict[str, Path]:
    files = {name: directory / name for name in ("wards.geojson", "sites.geojson", "assets.csv", "needs.csv",
                                                 "offers.csv", "postcodes.csv", "companies.csv", "charities.csv",
                                                 *DEMO_SPEND)}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise NotFound(f"The demo data is missing ({', '.join(missing)}); run from a full checkout of Asset Atlas.")
    return files


def load_demo(store: Store, directory: Path = DEMO_DIR) -> dict[str, int]:
    """Load (or reload) the demo into ``store``; returns counts of what it holds."""
    files = demo_files(directory)
    wards = gpd.read_file(files["wards.geojson"])
    sites = gpd.read_file(files["sites.geojson"])
    table = pd.read_csv(files["assets.csv"], dtype={"source_id": str}, keep_default_na=False, na_values=[""])
    assets = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=WGS84
    )
    with store.bulk_load():
        store.set_metric_crs(BRITISH_NATIONAL_GRID)
        store.set_place(DEMO_PLACE)
        writes.upsert_boundaries(store, wards, level="ward", source=DEMO_SOURCE, licence=DEMO_LICENCE)
        writes.upsert_features(store, sites.drop(columns=["owner"]), source=DEMO_SOURCE, licence=DEMO_LICENCE)
        site_ids = _ids(store, "features")
        assets["feature_id"] = assets["site"].map(site_ids)
        writes.upsert_assets(store, assets, source=DEMO_SOURCE, licence=DEMO_LICENCE)
        asset_ids = _ids(store, "assets")
        sites["owner_asset_id"] = sites["owner"].map(asset_ids)
        writes.upsert_features(store, sites, source=DEMO_SOURCE, licence=DEMO_LICENCE)
        for as_ in ("needs", "offers"):
            import_needs_offers(store, files[f"{as_}.csv"], as_, source=DEMO_SOURCE)
        _load_registers_and_spend(store, files)
        add_demo_accounts(store)
        _load_ground(store)
    counts = {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("boundaries", "features", "assets")}
    for side in ("need", "offer"):
        counts[f"{side}s"] = store.con.execute("SELECT count(*) FROM needs_offers WHERE side = ?", [side]).fetchone()[0]
    return counts


def _load_ground(store: Store) -> None:
    """The demo's approximate ground and its base map (:mod:`atlas.ground.demo_ground`), unless
    the store already holds ground from somewhere else (an OpenStreetMap extract imported
    before the demo was loaded again), which is better than a sketch."""
    held = ground_source(store)
    if held is None or held.source == DEMO_GROUND_SOURCE:
        load_demo_ground(store)


def _load_registers_and_spend(store: Store, files: dict[str, Path]) -> None:
    """The invented register extracts and spend files, placed through invented postcodes
    (real districts, made-up units, at the demo's own approximate points)."""
    from atlas.importers import postcode_store
    from atlas.importers.postcodes import normalise
    from atlas.registers import import_register
    from atlas.spend import import_spend

    table = pd.read_csv(files["postcodes.csv"], dtype={"postcode": str})
    postcode_store.upsert(store, [str(normalise(p)) for p in table["postcode"]], table["lon"].to_numpy(float),
                          table["lat"].to_numpy(float), source=DEMO_SOURCE)
    for kind in ("companies", "charities"):
        import_register(store, files[f"{kind}.csv"], kind=kind, source=f"{DEMO_SOURCE}-{kind}", licence=DEMO_LICENCE)
    # One supplier is an uncertain match on purpose (the Anchor spend page lists it); its
    # CSV report is not wanted beside the store, since the store itself keeps the candidate.
    with tempfile.TemporaryDirectory(prefix="atlas-demo-") as folder:
        for name, anchor in DEMO_SPEND.items():
            import_spend(store, files[name], anchor=anchor, columns_given={}, source=f"{DEMO_SOURCE}-{Path(name).stem}",
                         report_path=Path(folder) / f"{name}-report.csv")


DEMO_ACCOUNTS: dict[str, tuple[str, str]] = {
    "resident": ("Rosa (demo resident)", "resident-demo"),
    "researcher": ("Amina K. (demo researcher)", "researcher-demo"),
    "officer": ("Sam (demo officer)", "officer-demo"),
    "developer": ("Dev (demo developer)", "developer-demo"),
    "admin": ("Alex (demo admin)", "admin-demo"),
}
"""role -> (display name, password): one demo account per role, user name = the role.
Documented in the README, and only ever made in the demo: a real store starts with no
accounts until ``atlas user add NAME --role admin``."""


def add_demo_accounts(store: Store) -> int:
    """Make the documented demo accounts that are missing; returns how many were made."""
    made = 0
    existing = {a.username for a in accounts.list_users(store)}
    for role, (name, password) in DEMO_ACCOUNTS.items():
        if role not in existing:
            accounts.add_user(store, role, role=role, password=password, display_name=name, by="demo")
            made += 1
    return made


def has_demo_accounts(store: Store) -> bool:
    """Whether the documented demo passwords open this store (so it must not face the public)."""
    return store.con.execute("SELECT count(*) FROM users WHERE created_by = 'demo'").fetchone()[0] > 0


def _ids(store: Store, table: str) -> dict[str, int]:
    rows = store.con.execute(f"SELECT name, id FROM {table} WHERE source = ?", [DEMO_SOURCE]).fetchall()
    return {name: id_ for name, id_ in rows}


def is_empty(store: Store) -> bool:
    return not any(
        store.con.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]
        for t in ("features", "assets", "boundaries")
    )
