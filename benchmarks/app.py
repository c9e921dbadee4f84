"""How long does the Atlas page take to prepare its map, and how much goes to the browser?

    python benchmarks/app.py [--sizes 10000,100000,1000000] [--repeat 3] [--keep DIR]

For each size a city of that many assets (and a quarter as many features: buildings,
parcels and points, with square wards) is generated around Birmingham by the generator
of ``benchmarks/nearby.py`` and bulk-loaded into a fresh store. Then, for three views of
a 1,200 x 600 pixel map:

* **whole area**: the whole city at the zoom that fits it;
* **district**: zoom 14 on the busiest centre;
* **street**: zoom 17 on the busiest centre;

it times what the Atlas page does before anything reaches the browser (capped counts,
:func:`atlas.map_contents.map_contents` with its render budget, and building and rendering the
folium map to HTML) and measures that HTML in bytes. The target is under 0.5 s and under
5 MB for every view at every size.

The baseline, in the same run on the same store, is what a folium app does without a
budget: every asset in the view from one unbudgeted query, drawn with folium's own
``FastMarkerCluster`` (all points sent to the browser as one array, no popups, no sites
or boundaries) and rendered the same way. It is cheaper on a street, where it has little
to draw and draws less than the atlas (which also sends sites, popups and a margin round
the view), and it grows with the store where the atlas does not. Times are the median of
``--repeat`` runs after one warm-up run. On stores large enough for it, the atlas's
:class:`~atlas.view_index.ViewIndex` is built once first (the app keeps one per store revision)
and its build time is printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

if __package__ in (None, ""):  # run as a script: make ``benchmarks``, ``app`` and ``atlas`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import folium  # noqa: E402
from folium.plugins import FastMarkerCluster  # noqa: E402

from app import maps  # noqa: E402
from atlas.map_contents import map_contents, map_extent, view_counts  # noqa: E402
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84, reproject  # noqa: E402
from atlas.store import Store, open_store  # noqa: E402
from atlas.view_index import ViewIndex, build_view_index, wants_index  # noqa: E402
from atlas.viewport import Viewport  # noqa: E402
from benchmarks._common import fmt_ms, fmt_ratio, parse_sizes, stopwatch, table  # noqa: E402
from benchmarks.nearby import build_store, city_model, make_assets, make_features, make_wards  # noqa: E402

MAP_WIDTH_PX, MAP_HEIGHT_PX = 1200, 600
FEATURES_PER_ASSET = 0.25
TARGET_S = 0.5
TARGET_BYTES = 5_000_000
SEED = 20261124

# Every asset in the view, no budget: the baseline's query (read-only, so kept here in
# the benchmark; the app never runs it).
_ALL_IN_VIEW_SQL = "SELECT ST_Y(geom), ST_X(geom) FROM assets WHERE ST_Intersects(geom, ST_MakeEnvelope(?, ?, ?, ?))"


@dataclass(frozen=True)
class Measure:
    seconds: float
    html_bytes: int
    detail: str


def atlas_page_map(store: Store, view: Viewport, index: ViewIndex | None) -> Measure:
    """What the Atlas page does for a view, up to the HTML for the browser."""
    extent = map_extent(store)
    assert extent is not None
    if view_counts(store, Viewport(*extent, zoom=18)).within_budget:
        contents = map_contents(store, Viewport(*extent, zoom=18))
        m = maps.atlas_map(contents, decimals=maps.FULL_PRECISION_DECIMALS, view=view)
    else:
        contents = map_contents(store, view.snapped(), index=index)
        m = maps.atlas_map(contents, decimals=maps.decimals_for(view.zoom), view=view)
    html = m.get_root().render()
    if contents.assets_aggregated:
        detail = f"{len(contents.asset_cells):,} cells of {contents.assets_in_view:,} assets"
    else:
        detail = f"{len(contents.assets):,} markers"
    detail += f", {len(contents.features):,}{'+' if contents.features_truncated else ''} features"
    return Measure(0.0, len(html.encode("utf-8")), detail)


def baseline_map(store: Store, view: Viewport, index: ViewIndex | None = None) -> Measure:
    """Every asset in view, no budget, folium's FastMarkerCluster."""
    rows = store.con.execute(_ALL_IN_VIEW_SQL, list(view.bounds)).fetchall()
    lon, lat = view.centre
    m = folium.Map(location=[lat, lon], zoom_start=view.zoom, tiles=None)
    FastMarkerCluster([list(r) for r in rows]).add_to(m)
    html = m.get_root().render()
    return Measure(0.0, len(html.encode("utf-8")), f"{len(rows):,} markers")


def timed(fn: Callable[[Store, Viewport, ViewIndex | None], Measure], store: Store,
          view: Viewport, index: ViewIndex | None, repeat: int) -> Measure:
    result = fn(store, view, index)  # warm-up: file pages, query plans, template compilation
    times = []
    for _ in range(repeat):
        with stopwatch() as t:
            result = fn(store, view, index)
        times.append(t[0])
    return Measure(statistics.median(times), result.html_bytes, result.detail)


def fmt_bytes(n: int) -> str:
    return f"{n / 1_000_000:.2f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def study_views(store: Store, busiest_lonlat: tuple[float, float]) -> dict[str, Viewport]:
    extent = map_extent(store)
    assert extent is not None
    lon, lat = busiest_lonlat
    return {
        "whole area": Viewport.fitting(extent, MAP_WIDTH_PX, MAP_HEIGHT_PX),
        "district (z14)": Viewport.around(lon, lat, 14, MAP_WIDTH_PX, MAP_HEIGHT_PX),
        "street (z17)": Viewport.around(lon, lat, 17, MAP_WIDTH_PX, MAP_HEIGHT_PX),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="asset counts (10k, 100k, 1M ...)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per view (median reported)")
    parser.add_argument("--keep", type=Path, help="build the stores in this folder and keep them")
    args = parser.parse_args(argv)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="atlas-app-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    index_ms: dict[int, float] = {}
    worst_s, worst_bytes = 0.0, 0
    for n in parse_sizes(args.sizes):
        rng = np.random.default_rng(SEED)
        model = city_model(n, rng)
        path = folder / f"app-{n}.duckdb"
        if not path.exists():
            features = make_features(model, max(1, int(n * FEATURES_PER_ASSET)), rng)
            assets = make_assets(model, n, rng)
            seconds = build_store(path, make_wards(model), features, assets)
            print(f"built {n:,} assets + {len(features):,} features in {seconds:.1f} s: {path}", flush=True)
        busiest = reproject(shapely.Point(*model.centres_m[int(np.argmax(model.weights))]),
                            BRITISH_NATIONAL_GRID, WGS84)
        with open_store(path) as store:
            index = None
            if wants_index(store):
                with stopwatch() as t:
                    index = build_view_index(store)
                print(f"  view index of {n:,} assets built in {t[0] * 1000:.0f} ms (once per store revision)")
                index_ms[n] = t[0] * 1000
            for name, view in study_views(store, (busiest.x, busiest.y)).items():
                ours = timed(atlas_page_map, store, view, index, args.repeat)
                base = timed(baseline_map, store, view, None, args.repeat)
                worst_s, worst_bytes = max(worst_s, ours.seconds), max(worst_bytes, ours.html_bytes)
                rows.append([f"{n:,}", name, f"z{view.zoom}", ours.detail,
                             fmt_ms(ours.seconds * 1000), fmt_bytes(ours.html_bytes),
                             base.detail, fmt_ms(base.seconds * 1000), fmt_bytes(base.html_bytes),
                             fmt_ratio(ours.seconds, base.seconds), fmt_ratio(ours.html_bytes, base.html_bytes)])
                print(f"  {n:,} {name}: {ours.seconds * 1000:.0f} ms, {fmt_bytes(ours.html_bytes)}", flush=True)
    print()
    print(table(["assets", "view", "zoom", "atlas draws", "atlas ms", "atlas HTML",
                 "baseline draws", "baseline ms", "baseline HTML", "time ratio", "bytes ratio"], rows))
    for n, ms in index_ms.items():
        print(f"View index for {n:,} assets: built in {ms:,.0f} ms, once after each write (the app keeps it).")
    verdict = "meets" if worst_s < TARGET_S and worst_bytes < TARGET_BYTES else "MISSES"
    print(f"\nWorst view: {worst_s * 1000:.0f} ms and {fmt_bytes(worst_bytes)}; {verdict} the target of "
          f"{TARGET_S * 1000:.0f} ms and {fmt_bytes(TARGET_BYTES)}.")
    if not args.keep:
        print(f"(stores in {folder}; pass --keep DIR to reuse them)")


if __name__ == "__main__":
    main()
