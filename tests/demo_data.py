"""The demo's asset file as the atlas should hold it, worked out here on its own.

People (``person`` yes) are shown at the centre of the 500 m square of British National
Grid that holds them (atlas.people); this module does that sum independently, with pyproj
and floor division, so tests that compare the store with the file still check something."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "boundaries"
CELL_M = 500.0


def demo_asset_table() -> pd.DataFrame:
    """data/boundaries/assets.csv, with each person's lon/lat moved to their square's centre
    (the precise point kept in ``precise_lon``/``precise_lat``)."""
    table = pd.read_csv(DEMO_DIR / "assets.csv", keep_default_na=False, na_values=[""])
    table["precise_lon"], table["precise_lat"] = table["lon"], table["lat"]
    person = table["person"].fillna("").astype(str).str.lower().eq("yes").to_numpy()
    to_grid = Transformer.from_crs(4326, 27700, always_xy=True)
    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True)
    x, y = to_grid.transform(table.loc[person, "lon"].to_numpy(), table.loc[person, "lat"].to_numpy())
    lon, lat = to_lonlat.transform((np.floor(x / CELL_M) + 0.5) * CELL_M, (np.floor(y / CELL_M) + 0.5) * CELL_M)
    table.loc[person, "lon"], table.loc[person, "lat"] = lon, lat
    return table
