"""How fast is "what is near this site"? ``atlas.queries.nearby`` at 800 m against two
baselines, on the same generated city, in the same run.

    python benchmarks/nearby.py [--sizes 10000,100000,1000000] [--queries 300] [--profile]

For each size a city of that many features is generated around Birmingham in British
National Grid (EPSG:27700) metres, written into a fresh atlas store in a temporary folder
(boundaries, features and assets inside one ``store.bulk_load()``), and queried from sites
drawn from the same city. The baselines hold the same metric geometries in memory:

* **strtree**: geopandas' spatial index (a shapely STRtree),
  ``sindex.query(site, predicate="dwithin", distance=800)``;
* **fullscan**: ``shapely.dwithin`` over every geometry, no index.

Both do what ``nearby()`` does for each hit, for assets and features alike: id, name,
distance in metres from the site's edge, WGS84 geometry, nearest first. Before timing, the
first queries of each size are checked to give the same hits and distances (to 1 mm) in
all three, so the table compares equal work.

The city keeps the same density at every size (a town, a city, a conurbation): a few
dense centres with Gaussian falloff over a sparse background, so an 800 m query returns
about as many hits at 10k as at 1M and the table shows how each method scales with the
size of the store rather than with the size of the answer.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and ``atlas`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.models import Site  # noqa: E402
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84, reproject  # noqa: E402
from atlas.queries import nearby  # noqa: E402
from atlas.store import open_store  # noqa: E402
from atlas.writes import upsert_assets, upsert_boundaries, upsert_features  # noqa: E402
from benchmarks._common import (  # noqa: E402
    Latency,
    fmt_ms,
    fmt_ratio,
    machine_load,
    parse_sizes,
    stopwatch,
    table,
    time_interleaved,
)

RADIUS_M = 800.0
DEFAULT_SIZES = "10000,100000,1000000"
DEFAULT_QUERIES = 300
WARMUP_QUERIES = 20
CHECKED_QUERIES = 25  # queries compared across the three methods before timing
DISTANCE_TOLERANCE_M = 1e-3

# The city model. Birmingham's centre in British National Grid (approximate).
CENTRE_E_M, CENTRE_N_M = 406_800.0, 286_900.0
MEAN_DENSITY_PER_KM2 = 1_200  # features per km2 over the whole area, as in an English conurbation
PEAK_DENSITY_PER_KM2 = 3_000  # at a centre, over the background: dense terraces and a high street
BACKGROUND_DENSITY_SHARE = 0.25  # features spread evenly; the rest cluster round the centres
FEATURES_PER_CENTRE = 25_000  # a district centre, with its streets
ASSETS_PER_FEATURE = 1 / 20  # organisations and groups, clustered like the buildings they use
WARD_SIDE_M = 4_000.0  # square "wards" tile the area so membership is computed as in real use

# Share of features by shape; parcels are land, green space or water.
POINT_SHARE, BUILDING_SHARE = 0.25, 0.60  # the remaining 0.15 are parcels
STATUSES = np.array(["in_use", "vacant", "disused", "underused", "unknown"])
STATUS_WEIGHTS = np.array([0.70, 0.08, 0.05, 0.07, 0.10])
LAND_USES = np.array(["residential", "retail", "industrial", "office", "community"])
LAND_USE_WEIGHTS = np.array([0.62, 0.12, 0.10, 0.08, 0.08])
SECTORS = np.array(["public", "private", "social", "community"])
CATEGORIES = np.array(["health", "education", "faith", "housing", "food", "arts", "sport", "business"])
ASSET_TYPES = np.array(["physical", "financial", "community", "human"])
TAGS = np.array(["rooms", "volunteers", "funding", "land", "training", "catering", "transport", "advice"])


# -- the generated city --------------------------------------------------------------------

@dataclass(frozen=True)
class CityModel:
    """Where features fall, in EPSG:27700 metres."""

    bounds_m: tuple[float, float, float, float]  # (minx, miny, maxx, maxy) of the background
    centres_m: np.ndarray  # (k, 2)
    weights: np.ndarray  # (k,), share of the clustered features at each centre; sums to 1
    sigmas_m: np.ndarray  # (k,), Gaussian spread of each centre


def city_model(n_features: int, rng: np.random.Generator) -> CityModel:
    """A square city whose area grows with ``n_features`` at a constant mean density.

    Each centre's spread follows from its share so that every centre peaks at about
    :data:`PEAK_DENSITY_PER_KM2`: bigger centres are wider, not denser.
    """
    side_m = math.sqrt(n_features / MEAN_DENSITY_PER_KM2) * 1000
    half = side_m / 2
    bounds = (CENTRE_E_M - half, CENTRE_N_M - half, CENTRE_E_M + half, CENTRE_N_M + half)
    k = max(2, round(n_features / FEATURES_PER_CENTRE))
    centres = rng.uniform([bounds[0] + 0.1 * side_m, bounds[1] + 0.1 * side_m],
                          [bounds[2] - 0.1 * side_m, bounds[3] - 0.1 * side_m], size=(k, 2))
    centres[0] = (CENTRE_E_M, CENTRE_N_M)  # the city centre itself
    weights = rng.uniform(0.5, 1.5, size=k)
    weights /= weights.sum()
    clustered = n_features * (1 - BACKGROUND_DENSITY_SHARE) * weights
    sigmas = np.sqrt(clustered / (2 * math.pi * PEAK_DENSITY_PER_KM2 / 1e6))
    return CityModel(bounds_m=bounds, centres_m=centres, weights=weights, sigmas_m=sigmas)


def sample_locations(model: CityModel, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` (x, y) locations in metres: clustered round the centres or on the background."""
    xy = np.empty((n, 2))
    background = rng.random(n) < BACKGROUND_DENSITY_SHARE
    nb = int(background.sum())
    minx, miny, maxx, maxy = model.bounds_m
    xy[background] = rng.uniform([minx, miny], [maxx, maxy], size=(nb, 2))
    centre = rng.choice(len(model.weights), size=n - nb, p=model.weights)
    xy[~background] = model.centres_m[centre] + rng.normal(size=(n - nb, 2)) * model.sigmas_m[centre, None]
    return xy


def _rectangles(xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Building footprints: rotated rectangles 5-15 m by 8-30 m."""
    n = len(xy)
    half_w = rng.uniform(2.5, 7.5, n)
    half_l = rng.uniform(4.0, 15.0, n)
    angle = rng.uniform(0, math.pi, n)
    local = np.stack([np.stack([-half_l, -half_w], 1), np.stack([half_l, -half_w], 1),
                      np.stack([half_l, half_w], 1), np.stack([-half_l, half_w], 1)], 1)
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    ring = np.stack([local[..., 0] * cos - local[..., 1] * sin, local[..., 0] * sin + local[..., 1] * cos], -1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1) + xy[:, None, :]
    return shapely.polygons(ring)


def _parcels(xy: np.ndarray, rng: np.random.Generator, vertices: int = 9) -> np.ndarray:
    """Land parcels and open spaces: irregular star-shaped polygons 15-80 m across the radius."""
    n = len(xy)
    angles = np.sort(rng.uniform(0, 2 * math.pi, (n, vertices)), axis=1)
    radius = rng.uniform(15, 80, n)[:, None] * rng.uniform(0.7, 1.3, (n, vertices))
    ring = np.stack([np.cos(angles) * radius, np.sin(angles) * radius], -1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1) + xy[:, None, :]
    return shapely.polygons(ring)


def sample_shapes(model: CityModel, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` metric geometries (points, building footprints, parcels) and their feature kinds."""
    xy = sample_locations(model, n, rng)
    draw = rng.random(n)
    is_point, is_building = draw < POINT_SHARE, (draw >= POINT_SHARE) & (draw < POINT_SHARE + BUILDING_SHARE)
    is_parcel = ~(is_point | is_building)
    geoms = np.empty(n, dtype=object)
    kinds = np.empty(n, dtype=object)
    geoms[is_point] = shapely.points(xy[is_point])
    kinds[is_point] = rng.choice(["other", "land"], size=int(is_point.sum()), p=[0.7, 0.3])
    geoms[is_building] = _rectangles(xy[is_building], rng)
    kinds[is_building] = "building"
    geoms[is_parcel] = _parcels(xy[is_parcel], rng)
    kinds[is_parcel] = rng.choice(["land", "green_space", "water"], size=int(is_parcel.sum()), p=[0.6, 0.3, 0.1])
    return geoms, kinds


def make_features(model: CityModel, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    geoms, kinds = sample_shapes(model, n, rng)
    named = rng.random(n) < 0.1  # most buildings have no name
    return gpd.GeoDataFrame(
        {
            "source_id": np.char.add("f", np.arange(n).astype(str)),
            "name": np.where(named, np.char.add("Unit ", np.arange(n).astype(str)), None),
            "kind": kinds,
            "status": rng.choice(STATUSES, size=n, p=STATUS_WEIGHTS),
            "land_use": np.where(kinds == "building", rng.choice(LAND_USES, size=n, p=LAND_USE_WEIGHTS), None),
        },
        geometry=geoms,
        crs=BRITISH_NATIONAL_GRID,
    )


def make_assets(model: CityModel, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Organisations and groups: mostly small, a few hundred-strong employers (macro)."""
    employees = np.round(rng.lognormal(mean=2.0, sigma=1.6, size=n)).astype(int)
    spend = np.round(employees * rng.lognormal(mean=9.5, sigma=0.8, size=n), -2)
    tags = rng.choice(TAGS, size=(n, 2))
    return gpd.GeoDataFrame(
        {
            "source_id": np.char.add("a", np.arange(n).astype(str)),
            "name": np.char.add("Organisation ", np.arange(n).astype(str)),
            "sector": rng.choice(SECTORS, size=n),
            "category": rng.choice(CATEGORIES, size=n),
            "asset_type": rng.choice(ASSET_TYPES, size=n),
            "employees": employees,
            "annual_spend": spend,
            "offers": tags[:, 0],
            "needs": tags[:, 1],
        },
        geometry=shapely.points(sample_locations(model, n, rng)),
        crs=BRITISH_NATIONAL_GRID,
    )


def make_wards(model: CityModel) -> gpd.GeoDataFrame:
    """Square wards tiling the city's area."""
    minx, miny, maxx, maxy = model.bounds_m
    xs = np.arange(minx, maxx, WARD_SIDE_M)
    ys = np.arange(miny, maxy, WARD_SIDE_M)
    cells = [shapely.box(x, y, min(x + WARD_SIDE_M, maxx), min(y + WARD_SIDE_M, maxy)) for y in ys for x in xs]
    names = [f"Ward {r + 1}-{c + 1}" for r in range(len(ys)) for c in range(len(xs))]
    return gpd.GeoDataFrame({"name": names}, geometry=cells, crs=BRITISH_NATIONAL_GRID)


# -- the store -----------------------------------------------------------------------------

def build_store(path: Path, wards: gpd.GeoDataFrame, features: gpd.GeoDataFrame,
                assets: gpd.GeoDataFrame) -> float:
    """Write everything in one bulk load, as an importer would; returns seconds taken,
    opening, writing, indexing and checkpointing included.

    Wards go last, so ward membership is worked out once, when everything it covers is in:
    recomputing one table's membership twice in a transaction makes DuckDB report the
    re-inserted keys as duplicates once there are more than a row group (122,880) of them
    (its "over-eager unique constraint checking").
    """
    with stopwatch() as elapsed:
        with open_store(path) as store, store.bulk_load():
            upsert_features(store, features, source="benchmark features")
            upsert_assets(store, assets, source="benchmark assets")
            upsert_boundaries(store, wards, source="benchmark wards", level="ward")
    return elapsed[0]


# -- the baselines -------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    """One table held in memory: what a baseline needs to answer like ``nearby()`` does."""

    ids: np.ndarray
    names: np.ndarray
    geom_m: np.ndarray  # shapely geometries, EPSG:27700
    geom: np.ndarray  # the same in WGS84 (longitude, latitude), returned for display
    sindex: object  # geopandas' STRtree over geom_m


@dataclass(frozen=True)
class Hits:
    ids: np.ndarray
    names: np.ndarray
    distance_m: np.ndarray
    geom: np.ndarray


def make_layer(gdf: gpd.GeoDataFrame) -> tuple[Layer, float]:
    """The layer and the seconds its STRtree took to build."""
    metric = gdf.geometry.reset_index(drop=True)
    with stopwatch() as elapsed:
        sindex = metric.sindex
        sindex.size  # noqa: B018 - geopandas builds the tree lazily; force it inside the stopwatch
    layer = Layer(
        ids=np.arange(len(gdf)),
        names=gdf["name"].to_numpy(dtype=object),
        geom_m=metric.to_numpy(),
        geom=gdf.geometry.to_crs(WGS84).to_numpy(),
        sindex=sindex,
    )
    return layer, elapsed[0]


def _hits(layer: Layer, idx: np.ndarray, site_m: shapely.Geometry) -> Hits:
    """Distances, nearest first (ties by id, as ``nearby()`` orders them), with the columns."""
    distance = shapely.distance(layer.geom_m[idx], site_m)
    order = np.lexsort((layer.ids[idx], distance))
    idx = idx[order]
    return Hits(ids=layer.ids[idx], names=layer.names[idx], distance_m=distance[order], geom=layer.geom[idx])


def strtree_nearby(layers: tuple[Layer, Layer], site_m: shapely.Geometry) -> tuple[Hits, Hits]:
    return tuple(
        _hits(layer, layer.sindex.query(site_m, predicate="dwithin", distance=RADIUS_M), site_m)
        for layer in layers
    )


def fullscan_nearby(layers: tuple[Layer, Layer], site_m: shapely.Geometry) -> tuple[Hits, Hits]:
    return tuple(
        _hits(layer, np.flatnonzero(shapely.dwithin(layer.geom_m, site_m, RADIUS_M)), site_m)
        for layer in layers
    )


# -- the run -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SizeResult:
    size: int
    assets: int
    wards: int
    build_s: float
    strtree_build_s: float
    hits: np.ndarray  # assets + features per query
    ours: Latency
    strtree: Latency
    fullscan: Latency
    load: str  # the machine's load while timing; the figures are only as quiet as the machine


def _check_same_answers(store, sites: list[Site], layers: tuple[Layer, Layer]) -> np.ndarray:
    """Hit counts per site; stops the run if the three methods disagree on any site."""
    counts = np.empty(len(sites), dtype=int)
    for i, site in enumerate(sites):
        ours = nearby(store, site, RADIUS_M)
        ours_d = [np.array([h.distance_m for h in ours.assets]), np.array([h.distance_m for h in ours.features])]
        for name, method in (("strtree", strtree_nearby), ("fullscan", fullscan_nearby)):
            for table_name, mine, theirs in zip(("assets", "features"), ours_d, method(layers, site.geom_m)):
                if len(mine) != len(theirs.distance_m) or not np.allclose(
                    mine, theirs.distance_m, rtol=0, atol=DISTANCE_TOLERANCE_M
                ):
                    raise SystemExit(
                        f"nearby() and the {name} baseline disagree on {table_name} near site {i} "
                        f"({site.geom_m.wkt[:80]}): {len(mine)} hits against {len(theirs.distance_m)}."
                    )
        counts[i] = len(ours.assets) + len(ours.features)
    return counts


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _profile(title: str, call, lines: int = 18) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(call)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    print(f"\n## profile: {title}\n{out.getvalue()}")


def run_size(size: int, n_queries: int, seed: int, profile: bool) -> SizeResult:
    rng = np.random.default_rng([seed, size])
    model = city_model(size, rng)
    _progress(f"{size:,} features: generating a city of {len(model.weights)} centres ...")
    features = make_features(model, size, rng)
    assets = make_assets(model, max(1, round(size * ASSETS_PER_FEATURE)), rng)
    wards = make_wards(model)
    site_shapes, _ = sample_shapes(model, n_queries + WARMUP_QUERIES, rng)

    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        path = Path(tmp) / "atlas.duckdb"
        if profile:
            _profile(f"store build, {size:,} features", lambda: build_store(path, wards, features, assets))
            path.unlink()
            Path(str(path) + ".wal").unlink(missing_ok=True)
        _progress(f"{size:,} features: building the store ...")
        build_s = build_store(path, wards, features, assets)
        _progress(f"{size:,} features: store built in {build_s:.1f} s; building the STRtrees ...")
        asset_layer, asset_tree_s = make_layer(assets)
        feature_layer, feature_tree_s = make_layer(features)
        layers = (asset_layer, feature_layer)

        with open_store(path) as store:
            # Sites as a person would draw them on the map: WGS84 for display, measured in
            # the store's metric CRS; the baselines get the very same metric geometry.
            sites = [
                Site(name=f"site {i}", geom=reproject(g, BRITISH_NATIONAL_GRID, WGS84), geom_m=g, kind="geometry")
                for i, g in enumerate(site_shapes)
            ]
            _progress(f"{size:,} features: checking that the three methods agree ...")
            _check_same_answers(store, sites[:CHECKED_QUERIES], layers)
            hits = np.array([sum(len(h.ids) for h in strtree_nearby(layers, s.geom_m)) for s in sites])

            _progress(f"{size:,} features: timing {n_queries} queries each ({machine_load()}) ...")
            load_before = machine_load()
            warm, timed = sites[:WARMUP_QUERIES], sites[WARMUP_QUERIES:]
            latency = time_interleaved(
                {
                    "ours": lambda s: nearby(store, s, RADIUS_M),
                    "strtree": lambda s: strtree_nearby(layers, s.geom_m),
                    "fullscan": lambda s: fullscan_nearby(layers, s.geom_m),
                },
                timed,
                warmup=warm,
            )
            load = f"{load_before}, then {machine_load()}"
            if profile:
                _profile(f"nearby() x {len(timed)}, {size:,} features",
                         lambda: [nearby(store, s, RADIUS_M) for s in timed])

    return SizeResult(size=size, assets=len(assets), wards=len(wards), build_s=build_s,
                      strtree_build_s=asset_tree_s + feature_tree_s, hits=hits[WARMUP_QUERIES:],
                      ours=latency["ours"], strtree=latency["strtree"], fullscan=latency["fullscan"], load=load)


def report(results: list[SizeResult], n_queries: int) -> str:
    latency = table(
        ["size", "hits p50/p95", "ours p50/p95 ms", "strtree p50/p95 ms", "fullscan p50/p95 ms",
         "ours/strtree p50", "ours/strtree p95"],
        [
            [f"{r.size:,}", f"{np.percentile(r.hits, 50):.0f} / {np.percentile(r.hits, 95):.0f}",
             r.ours.p50_p95(), r.strtree.p50_p95(), r.fullscan.p50_p95(),
             fmt_ratio(r.ours.p50_ms, r.strtree.p50_ms), fmt_ratio(r.ours.p95_ms, r.strtree.p95_ms)]
            for r in results
        ],
    )
    build = table(
        ["size", "assets", "wards", "store build s", "features/s", "strtree build s"],
        [
            [f"{r.size:,}", f"{r.assets:,}", f"{r.wards:,}", f"{r.build_s:.1f}",
             f"{r.size / r.build_s:,.0f}", f"{r.strtree_build_s:.2f}"]
            for r in results
        ],
    )
    largest = results[-1]
    verdict = (
        f"Target at the largest size ({largest.size:,}): p95 under 20 ms and no slower than the "
        f"STRtree. Measured p95 {fmt_ms(largest.ours.p95_ms)} ms, "
        f"{fmt_ratio(largest.ours.p95_ms, largest.strtree.p95_ms)} the STRtree's: "
        + ("met." if largest.ours.p95_ms < 20 and largest.ours.p95_ms <= largest.strtree.p95_ms else "NOT met.")
    )
    loads = "\n".join(f"- {r.size:,}: {r.load}" for r in results)
    return (
        f"## nearby(), radius {RADIUS_M:.0f} m, {n_queries} queries per size after {WARMUP_QUERIES} warm-up, "
        f"methods interleaved; hits = assets + features returned\n\n{latency}\n\n"
        f"## building the store (one bulk load: features, assets, wards; indexes and checkpoint "
        f"included) and the baselines' STRtrees\n\n{build}\n\n{verdict}\n\n"
        f"Machine load while timing (times are wall clock; ratios hold up better than absolutes "
        f"on a busy machine):\n{loads}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"feature counts, comma-separated; 100k and 1M work too (default {DEFAULT_SIZES})")
    parser.add_argument("--queries", type=int, default=DEFAULT_QUERIES,
                        help=f"timed queries per size and method (default {DEFAULT_QUERIES})")
    parser.add_argument("--seed", type=int, default=2, help="random seed of the generated city (default 2)")
    parser.add_argument("--profile", action="store_true",
                        help="also print cProfile summaries of the store build and of nearby()")
    args = parser.parse_args(argv)
    if args.queries < 1:
        parser.error("--queries must be at least 1")
    results = [run_size(size, args.queries, args.seed, args.profile) for size in parse_sizes(args.sizes)]
    print(report(results, args.queries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
