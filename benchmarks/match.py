"""How good and how fast is the needs-to-offers matcher? ``cedplans.matching.MatchIndex``
against a plain "shared tags and distance" SQL ranking, on the same data, in the same run.

    python benchmarks/match.py [--sizes 1k,10k] [--queries 200] [--skip-all] [--fresh] [--verbose]

Three things are printed:

1. **Quality** on the hand-labelled demo (``tests/data/matching/labels.csv``): the demo is
   loaded into a temporary store and every labelled need with at least one right offer is
   ranked, top 10, by the matcher and by the baseline: precision@1, precision@3, hit@3 and
   mean reciprocal rank (defined in ``benchmarks/README.md``).
2. **Speed** on generated stores of N needs and 10 N offers (``--sizes`` gives N): the
   time to build the index, to rank one need (p50 and p95 over ``--queries`` random needs,
   the two methods interleaved need by need) and to rank every open need.
3. **The baseline**: one DuckDB query per need, without the vocabulary or the text model:
   every open offer of a kind the vocabulary's ``[meets]`` table lets meet the need, from
   another asset, sharing at least one of the need's tags exactly, scored by the number of
   shared tags plus 1 / (1 + distance in km) between the two assets' points (``geom_m``),
   best 10 first.

The generated needs and offers draw their titles and tags from the vocabulary's category
labels and synonyms (each kind from the categories that fit it), their descriptions from a
small word list, and their assets' places from clusters around Birmingham, in British
National Grid. Generation is seeded (``--seed``); the stores are kept under
``benchmarks/out/`` and reused until ``--fresh``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and the packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import vocabulary
from atlas.models import NEED_KINDS, OFFER_KINDS
from atlas.projection import BRITISH_NATIONAL_GRID, WGS84, transformer
from atlas.store import Store, open_store
from benchmarks._common import (
    Latency,
    fmt_ms,
    fmt_ratio,
    machine_load,
    parse_sizes,
    stopwatch,
    table,
    time_interleaved,
)
from cedplans.demo import load_full_demo
from cedplans.matching import MatchIndex

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
LABELS = ROOT / "tests" / "data" / "matching" / "labels.csv"

DEFAULT_SIZES = "1k,10k"
DEFAULT_QUERIES = 200
WARMUP_QUERIES = 10
TOP = 10
OFFERS_PER_NEED = 10
ITEMS_PER_ASSET = 5  # needs and offers per asset, on average
MACRO_SHARE = 0.10
ALL_NEEDS_CHUNK = 50  # the all-needs loop is timed in chunks of this many needs, the methods interleaved
TARGET_P95_MS = 100.0
TARGET_NEEDS = 10_000
OPEN = ["open", "in progress"]
SOURCE = "benchmark-match"
GENERATOR_VERSION = 1  # bump when the generated data changes, so cached stores are made again

# Places: British National Grid around Birmingham, a box of +-8 km with a dozen clusters.
CENTRE_E_M, CENTRE_N_M = 400_000.0, 287_000.0
HALF_SIDE_M = 8_000.0
CLUSTERS = 12
CLUSTERED_SHARE = 0.7

NEED_KIND_WEIGHTS = {"workforce": 0.20, "supply": 0.10, "space": 0.25, "land": 0.08, "funding": 0.12,
                     "volunteers": 0.15, "other": 0.10}
OFFER_KIND_WEIGHTS = {"skills": 0.15, "people": 0.08, "services": 0.15, "products": 0.07, "space": 0.20,
                      "land": 0.06, "volunteers": 0.12, "reach": 0.07, "funding": 0.05, "other": 0.05}
# Which vocabulary categories a need or offer of each kind is about ("other": any category).
NEED_CATEGORIES = {
    "workforce": ["clinical-staff", "care-work", "jobs", "apprenticeships", "translation", "catering",
                  "building-skills", "finance-skills", "digital-skills", "youth-work"],
    "supply": ["catering", "procurement", "services", "design", "transport", "digital-skills", "building-skills"],
    "space": ["community-space", "workspace", "premises", "storage", "sports-space"],
    "land": ["land", "green-space", "food-growing"],
    "funding": ["funding"],
    "volunteers": ["volunteers", "events", "environment", "food-aid", "older-people", "youth-work", "translation",
                   "mentoring", "digital-skills"],
}
OFFER_CATEGORIES = {
    "skills": ["building-skills", "finance-skills", "digital-skills", "design", "translation", "mentoring",
               "training", "clinical-staff", "care-work"],
    "people": ["jobs", "clinical-staff", "care-work", "refugees-and-migrants", "apprenticeships", "volunteers"],
    "services": ["services", "advice", "translation", "catering", "transport", "training", "language-classes",
                 "childcare", "business-support"],
    "products": ["catering", "food-growing", "procurement", "food-aid"],
    "space": ["community-space", "workspace", "premises", "storage", "sports-space"],
    "land": ["land", "green-space", "food-growing"],
    "volunteers": ["volunteers", "events", "environment", "older-people", "youth-work", "translation"],
    "reach": ["community-research", "refugees-and-migrants", "older-people", "youth-work", "health"],
    "funding": ["funding"],
}
PEOPLE_KINDS = {("need", "workforce"), ("need", "volunteers"), ("offer", "people"), ("offer", "volunteers"),
                ("offer", "reach")}
AREA_KINDS = {"space": (150.0, 0.9, 10.0, 5_000.0), "land": (2_000.0, 1.0, 50.0, 50_000.0)}  # median, sigma, min, max

PLACES = ["Ladywood", "Smethwick", "Winson Green", "Edgbaston", "Jewellery Quarter", "Digbeth", "Handsworth",
          "Sparkbrook", "Aston", "Selly Oak", "Small Heath", "Hockley", "Soho", "Summerfield", "Balsall Heath"]
MICRO_ORGS = ["Residents' Association", "Community Trust", "Youth Club", "Food Bank", "Credit Union", "Mosque",
              "Gurdwara", "Parish Church", "Allotment Society", "Arts Collective", "Sports Club", "CIC",
              "Friends Group", "Women's Centre", "Tenants' Association"]
MACRO_ORGS = ["Hospital Trust", "University", "College", "Housing Association", "Council Depot",
              "Manufacturing Ltd", "Logistics Centre", "Football Club"]
GROUPS = ["youth club", "lunch club", "tenants' association", "food bank", "credit union", "sewing circle",
          "football team", "residents' group", "parent and toddler group", "walking group", "choir", "homework club"]
NEED_TITLES = ["{Term} needed", "Looking for {term}", "{Term} for our {group}", "{Term} wanted in {place}",
               "Need {term} for the {group}"]
OFFER_TITLES = ["{Term} available", "{Term} offered to local groups", "Spare {term}", "{Term} for a {group}",
                "{Term} in {place}"]
DESCRIPTION_WORDS = ["weekly", "local", "residents", "evening", "sessions", "families", "shared",
                     "regular", "flexible", "affordable", "accessible", "group", "project",
                     "members", "neighbourhood", "partners", "programme", "children", "young",
                     "people", "older", "women", "experienced", "trained", "friendly", "small",
                     "large", "ground", "floor", "parking", "near", "bus", "route", "mornings",
                     "weekends", "term", "time", "summer", "long", "lease", "short", "notice",
                     "support", "help", "start", "soon", "months", "years", "charity", "funded",
                     "council", "partnership", "new", "existing"]
RAW_TAGS = ["weekly", "urgent", "long-term", "evenings", "weekends", "local", "paid", "unpaid", "free"]
RECORDERS = ["Amina K.", "Harpreet B.", "Tomasz W.", "Grace O.", "Imran H.", "Sian M."]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the baseline ---------------------------------------------------------------------------

BASELINE_SQL = f"""
WITH need AS (
    SELECT n.kind, n.tags, n.asset_id, a.geom_m
    FROM needs_offers n JOIN assets a ON a.id = n.asset_id
    WHERE n.id = $need_id
), candidates AS (
    SELECT o.id, len(list_intersect(o.tags, need.tags)) AS shared, ST_Distance(a.geom_m, need.geom_m) AS distance_m
    FROM need
    JOIN _match_meets m ON m.need_kind = need.kind
    JOIN needs_offers o ON o.kind = m.offer_kind
    JOIN assets a ON a.id = o.asset_id
    WHERE o.side = 'offer' AND list_contains({OPEN!r}, o.status) AND o.asset_id <> need.asset_id
      AND list_has_any(o.tags, need.tags)
)
SELECT id, shared + 1 / (1 + distance_m / 1000) AS score, distance_m
FROM candidates
ORDER BY score DESC, distance_m, id
LIMIT $top
"""


def register_meets(store: Store, voc: vocabulary.Vocabulary) -> None:
    """The vocabulary's ``[meets]`` table as a view ``_match_meets`` (need_kind, offer_kind)
    of this connection only; the store's file is not written."""
    pairs = [(nk, ok) for nk in NEED_KINDS for ok in OFFER_KINDS if voc.can_meet(nk, ok)]
    store.con.register("_match_meets", pa.table({"need_kind": [p[0] for p in pairs],
                                                  "offer_kind": [p[1] for p in pairs]}))


def baseline_rank(store: Store, need_id: int, top: int = TOP) -> list[tuple[int, float, float]]:
    """(offer id, score, distance in metres) of the best ``top`` offers, best first."""
    return store.con.execute(BASELINE_SQL, {"need_id": need_id, "top": top}).fetchall()


def ours_rank(index: MatchIndex, need_id: int, top: int = TOP) -> list[int]:
    return [m.offer.id for m in index.for_need(need_id, top=top).matches]


# -- quality on the labelled demo --------------------------------------------------------------

@dataclass(frozen=True)
class NeedResult:
    need: str  # source id
    right: frozenset[str]
    ranked: list[str]  # offer source ids, best first

    @property
    def first_right(self) -> int | None:
        """1-based rank of the first right offer in the list, or None."""
        return next((k + 1 for k, o in enumerate(self.ranked) if o in self.right), None)


@dataclass(frozen=True)
class Quality:
    method: str
    results: list[NeedResult]  # labelled needs with at least one right offer
    without_right: list[NeedResult]  # labelled needs with none

    @property
    def needs(self) -> int:
        return len(self.results)

    def _mean(self, values: list[float]) -> float:
        return float(np.mean(values)) if values else float("nan")

    @property
    def p_at_1(self) -> float:
        return self._mean([1.0 if r.ranked[:1] and r.ranked[0] in r.right else 0.0 for r in self.results])

    @property
    def p_at_3(self) -> float:
        return self._mean([sum(o in r.right for o in r.ranked[:3]) / min(3, len(r.right)) for r in self.results])

    @property
    def hit_at_3(self) -> float:
        return self._mean([1.0 if any(o in r.right for o in r.ranked[:3]) else 0.0 for r in self.results])

    @property
    def mrr(self) -> float:
        return self._mean([1 / r.first_right if r.first_right else 0.0 for r in self.results])

    @property
    def silent_without_right(self) -> int:
        """Needs without a right offer for which the method returns nothing at all."""
        return sum(not r.ranked for r in self.without_right)

    def row(self) -> list[str]:
        return [self.method, f"{self.p_at_1:.2f}", f"{self.p_at_3:.2f}", f"{self.hit_at_3:.2f}", f"{self.mrr:.2f}",
                str(self.needs)]


def read_labels(path: Path = LABELS) -> dict[str, frozenset[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["need_id"]: frozenset(o.strip() for o in (row["right_offers"] or "").split(";") if o.strip())
                for row in csv.DictReader(fh)}


def quality_on_demo() -> tuple[Quality, Quality]:
    labels = read_labels()
    with (tempfile.TemporaryDirectory(prefix="atlas-bench-match-") as tmp,
          open_store(Path(tmp) / "demo.duckdb") as store):
        _progress("quality: loading the demo into a temporary store ...")
        load_full_demo(store)
        ids = dict(store.con.execute("SELECT source_id, id FROM needs_offers").fetchall())
        source_of = {v: k for k, v in ids.items()}
        missing = [n for n in labels if n not in ids]
        if missing:
            raise SystemExit(f"{LABELS}: the demo has no need {', '.join(missing[:5])}; the labels and the demo "
                             "data have drifted apart.")
        index = MatchIndex.build(store)
        register_meets(store, vocabulary.load(store))
        methods: dict[str, Callable[[int], list[int]]] = {
            "ours": lambda nid: ours_rank(index, nid),
            "baseline": lambda nid: [r[0] for r in baseline_rank(store, nid)],
        }
        out = []
        for name, rank in methods.items():
            results, without = [], []
            for need, right in labels.items():
                result = NeedResult(need, right, [source_of[o] for o in rank(ids[need])])
                (results if right else without).append(result)
            out.append(Quality(name, results, without))
    return out[0], out[1]


def misses(quality: Quality) -> str:
    """Labelled needs whose top offer is not a right one."""
    rows = [[r.need, r.first_right or "-", "; ".join(r.ranked[:3]) or "(no match)"]
            for r in quality.results if not (r.ranked[:1] and r.ranked[0] in r.right)]
    silent = [[r.need, len(r.ranked), "; ".join(r.ranked[:3]) or "(no match)"] for r in quality.without_right]
    return (f"### {quality.method}: {len(rows)} of {quality.needs} needs whose top offer is not a right one\n\n"
            + table(["need", "rank of first right offer (top 10)", "top 3 offers"], rows)
            + f"\n\n### {quality.method}: what it returns for the {len(silent)} needs with no right offer\n\n"
            + table(["need", "matches returned", "top 3 offers"], silent))


# -- the generated stores --------------------------------------------------------------------

def sample_places(n: int, rng: np.random.Generator, centres: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """``n`` (easting, northing) points: most round the clusters, the rest spread evenly."""
    xy = np.empty((n, 2))
    clustered = rng.random(n) < CLUSTERED_SHARE
    k = rng.integers(len(centres), size=int(clustered.sum()))
    xy[clustered] = centres[k] + rng.normal(size=(len(k), 2)) * sigmas[k, None]
    centre = np.array([CENTRE_E_M, CENTRE_N_M])
    xy[~clustered] = centre + rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, size=(int((~clustered).sum()), 2))
    low, high = centre - HALF_SIDE_M, centre + HALF_SIDE_M
    return np.clip(xy, low, high)


def _terms(voc: vocabulary.Vocabulary) -> dict[str, list[str]]:
    """Category -> the words people would write for it: its label and synonyms, lower case."""
    return {c: list(dict.fromkeys([cat.label.lower(), *(s.lower() for s in cat.synonyms)]))
            for c, cat in voc.categories.items()}


def _check_categories(voc: vocabulary.Vocabulary) -> None:
    named = {c for table_ in (NEED_CATEGORIES, OFFER_CATEGORIES) for cats in table_.values() for c in cats}
    unknown = sorted(named - set(voc.categories))
    if unknown:
        raise SystemExit(f"benchmarks/match.py names categories the vocabulary lacks: {', '.join(unknown)}.")


def _item_text(side: str, kind: str, voc: vocabulary.Vocabulary, terms: dict[str, list[str]],
               rnd: random.Random) -> tuple[str, str | None, list[str]]:
    """Title, description and tags of one generated need or offer."""
    pool = (NEED_CATEGORIES if side == "need" else OFFER_CATEGORIES).get(kind) or list(voc.categories)
    primary = rnd.choice(pool)
    term = rnd.choice(terms[primary])
    template = rnd.choice(NEED_TITLES if side == "need" else OFFER_TITLES)
    title = template.format(term=term, Term=term[:1].upper() + term[1:], group=rnd.choice(GROUPS),
                            place=rnd.choice(PLACES))
    tags = [term]
    if rnd.random() < 0.6:
        tags.append(rnd.choice(terms[primary]))
    if rnd.random() < 0.5:  # a second subject: a related category or another of the kind's
        second = rnd.choice(list(voc.categories[primary].related) or pool)
        tags.append(rnd.choice(terms[second]))
    if rnd.random() < 0.2:
        tags.append(rnd.choice(RAW_TAGS))
    tags = list(dict.fromkeys(tags))
    description = None
    if rnd.random() < 0.85:
        body = rnd.choices(DESCRIPTION_WORDS, k=rnd.randint(6, 20))
        if rnd.random() < 0.4:  # mentions something in passing
            body.insert(rnd.randrange(len(body) + 1), rnd.choice(terms[rnd.choice(pool)]))
        text = " ".join(body)
        description = text[:1].upper() + text[1:] + "."
    return title, description, tags


def generate(path: Path, n_needs: int, seed: int) -> dict[str, int]:
    """Write a store of ``n_needs`` needs and ``OFFERS_PER_NEED`` times as many offers."""
    voc = vocabulary.from_file()
    _check_categories(voc)
    terms = _terms(voc)
    rng = np.random.default_rng([seed, n_needs, GENERATOR_VERSION])
    rnd = random.Random(f"match-{seed}-{n_needs}-{GENERATOR_VERSION}")
    n_offers = OFFERS_PER_NEED * n_needs
    n_items = n_needs + n_offers
    n_assets = max(10, n_items // ITEMS_PER_ASSET)
    today = date.today()
    now = datetime.combine(today, datetime.min.time())

    # Assets: clustered places, ~10% macro, verified some time in the last four years (or never).
    centres = rng.uniform(-0.75 * HALF_SIDE_M, 0.75 * HALF_SIDE_M, size=(CLUSTERS, 2)) + (CENTRE_E_M, CENTRE_N_M)
    sigmas = rng.uniform(400.0, 1_500.0, size=CLUSTERS)
    xy = sample_places(n_assets, rng, centres, sigmas)
    lon, lat = transformer(BRITISH_NATIONAL_GRID, WGS84).transform(xy[:, 0], xy[:, 1])
    macro = rng.random(n_assets) < MACRO_SHARE
    employees = np.where(macro, rng.integers(300, 10_000, n_assets), rng.integers(0, 40, n_assets))
    verified_days = rng.integers(0, 4 * 365, n_assets)
    verified = rng.random(n_assets) < 0.8
    place = rng.integers(len(PLACES), size=n_assets)
    org = np.where(macro, rng.integers(len(MACRO_ORGS), size=n_assets), rng.integers(len(MICRO_ORGS), size=n_assets))
    assets = pa.table({
        "source_id": [f"a{i}" for i in range(n_assets)],
        "name": [f"{PLACES[p]} {(MACRO_ORGS if m else MICRO_ORGS)[o]} {i}"
                 for i, (p, o, m) in enumerate(zip(place, org, macro, strict=True))],
        "scale": np.where(macro, "macro", "micro").tolist(),
        "scale_reason": [f"{'macro' if m else 'micro'}: {e:,} employees (generated)"
                         for m, e in zip(macro, employees, strict=True)],
        "verified_on": pa.array([today - timedelta(days=int(d)) if v else None
                                 for d, v in zip(verified_days, verified, strict=True)], pa.date32()),
        "lon": lon, "lat": lat, "x": xy[:, 0], "y": xy[:, 1],
    })

    # Needs then offers; macro assets hold three times as many each.
    sides = ["need"] * n_needs + ["offer"] * n_offers
    need_kinds = rng.choice(list(NEED_KIND_WEIGHTS), size=n_needs, p=list(NEED_KIND_WEIGHTS.values()))
    offer_kinds = rng.choice(list(OFFER_KIND_WEIGHTS), size=n_offers, p=list(OFFER_KIND_WEIGHTS.values()))
    kinds = [*need_kinds.tolist(), *offer_kinds.tolist()]
    owner_weight = np.where(macro, 3.0, 1.0)
    owner = rng.choice(n_assets, size=n_items, p=owner_weight / owner_weight.sum())
    people_count = np.clip(np.round(rng.lognormal(np.log(6), 0.8, n_items)), 1, 200)
    recorded_seconds = rng.integers(0, 3 * 365 * 86_400, n_items)
    area_draw = rng.standard_normal(n_items)
    titles, descriptions, tags, quantities, units, areas = [], [], [], [], [], []
    for i, (side, kind) in enumerate(zip(sides, kinds, strict=True)):
        title, description, item_tags = _item_text(side, kind, voc, terms, rnd)
        titles.append(title)
        descriptions.append(description)
        tags.append(item_tags)
        people = (side, kind) in PEOPLE_KINDS and (kind != "reach" or i % 2 == 0)
        quantities.append(float(people_count[i]) if people else None)
        units.append("people" if people else None)
        if kind in AREA_KINDS:
            median, sigma, low, high = AREA_KINDS[kind]
            areas.append(float(np.clip(round(median * np.exp(sigma * area_draw[i])), low, high)))
        else:
            areas.append(None)
    items = pa.table({
        "side": sides, "kind": kinds,
        "asset_source_id": [f"a{o}" for o in owner],
        "title": titles, "description": pa.array(descriptions, pa.string()),
        "tags": pa.array(tags, pa.list_(pa.string())),
        "quantity": pa.array(quantities, pa.float64()), "unit": pa.array(units, pa.string()),
        "area_m2": pa.array(areas, pa.float64()),
        "recorded_by": [RECORDERS[i % len(RECORDERS)] for i in range(n_items)],
        "recorded_at": pa.array([now - timedelta(seconds=int(s)) for s in recorded_seconds], pa.timestamp("us")),
        "source_id": [f"n{i}" for i in range(n_needs)] + [f"o{i}" for i in range(n_offers)],
    })

    with open_store(path) as store:
        store.set_metric_crs(BRITISH_NATIONAL_GRID)
        con = store.con
        with store.bulk_load():
            con.register("_bench_assets", assets)
            con.register("_bench_items", items)
            try:
                con.execute(
                    "INSERT INTO assets (name, scale, scale_reason, verified_on, source, source_id, geom, geom_m, "
                    "bbox_xmin, bbox_ymin, bbox_xmax, bbox_ymax) "  # a point's box is the point (atlas.bbox)
                    "SELECT name, scale, scale_reason, verified_on, ?, source_id, ST_Point(lon, lat), ST_Point(x, y), "
                    "x, y, x, y FROM _bench_assets", [SOURCE])
                con.execute(
                    "INSERT INTO needs_offers (side, asset_id, kind, title, description, tags, quantity, unit, "
                    "area_m2, status, recorded_by, recorded_at, source, source_id) "
                    "SELECT i.side, a.id, i.kind, i.title, i.description, i.tags, i.quantity, i.unit, i.area_m2, "
                    "'open', i.recorded_by, i.recorded_at, ?, i.source_id "
                    "FROM _bench_items i JOIN assets a ON a.source = ? AND a.source_id = i.asset_source_id",
                    [SOURCE, SOURCE])
            finally:
                con.unregister("_bench_assets")
                con.unregister("_bench_items")
    return {"assets": n_assets, "needs": n_needs, "offers": n_offers}


def cached_store(n_needs: int, seed: int, fresh: bool) -> tuple[Path, float | None]:
    """The path of the generated store for ``n_needs`` (made if missing or ``fresh``) and
    the seconds it took to make, None when it was already there.

    The name holds the size, the seed, the generator's version and a digest of the
    vocabulary file, whose terms the titles and tags are drawn from: a store made from
    another vocabulary is made again (and the older one of that size and seed removed)."""
    words = hashlib.sha256(vocabulary.VOCABULARY_FILE.read_bytes()).hexdigest()[:8]
    stem = f"match-{n_needs}needs-seed{seed}-"
    path = OUT_DIR / f"{stem}v{GENERATOR_VERSION}-voc{words}.duckdb"
    if path.exists() and not fresh:
        return path, None
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for p in OUT_DIR.glob(f"{stem}*"):
        p.unlink()
    _progress(f"{n_needs:,} needs: generating {n_needs:,} needs and {OFFERS_PER_NEED * n_needs:,} offers ...")
    with stopwatch() as elapsed:
        generate(partial, n_needs, seed)
    os.replace(partial, path)  # only a complete store is ever reused
    return path, elapsed[0]


# -- speed -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SizeResult:
    needs: int
    offers: int
    assets: int
    generate_s: float | None
    build_s: float
    ours: Latency
    baseline: Latency
    ours_all_s: float | None
    baseline_all_s: float | None
    ours_returned: float  # mean matches returned over the timed needs
    baseline_returned: float
    load: str


def _chunks(values: Sequence[int], size: int) -> list[list[int]]:
    return [list(values[i:i + size]) for i in range(0, len(values), size)]


def run_size(n_needs: int, n_queries: int, seed: int, fresh: bool, skip_all: bool) -> SizeResult:
    path, generate_s = cached_store(n_needs, seed, fresh)
    if generate_s is None:
        _progress(f"{n_needs:,} needs: reusing {path.relative_to(ROOT)} (--fresh to make it again)")
    with open_store(path, read_only=True) as store:
        counts = dict(store.con.execute(
            "SELECT side, count(*) FROM needs_offers WHERE list_contains(?, status) GROUP BY side", [OPEN]
        ).fetchall())
        n_assets = store.con.execute("SELECT count(*) FROM assets").fetchone()[0]
        _progress(f"{n_needs:,} needs: building the index ({counts.get('need', 0):,} needs, "
                  f"{counts.get('offer', 0):,} offers, {n_assets:,} assets) ...")
        with stopwatch() as build:
            index = MatchIndex.build(store)
        register_meets(store, index.vocabulary)
        need_ids = [index.items[p].id for p in index.need_pos]
        rng = np.random.default_rng([seed, n_needs, 1])
        wanted = n_queries + WARMUP_QUERIES
        chosen = [int(i) for i in rng.choice(need_ids, size=wanted, replace=len(need_ids) < wanted)]
        warm, timed = chosen[:WARMUP_QUERIES], chosen[WARMUP_QUERIES:]

        _progress(f"{n_needs:,} needs: index built in {build[0]:.1f} s; timing {n_queries} needs each "
                  f"({machine_load()}) ...")
        load_before = machine_load()
        latency = time_interleaved(
            {"ours": lambda nid: index.for_need(nid, top=TOP), "baseline": lambda nid: baseline_rank(store, nid)},
            timed, warmup=warm,
        )
        ours_returned = float(np.mean([len(index.for_need(n, top=TOP).matches) for n in timed]))
        baseline_returned = float(np.mean([len(baseline_rank(store, n)) for n in timed]))

        ours_all = baseline_all = None
        if not skip_all:
            chunks = _chunks(need_ids, ALL_NEEDS_CHUNK)
            done = [0]

            def ours_chunk(chunk: list[int]) -> None:
                for nid in chunk:
                    index.for_need(nid, top=TOP)
                done[0] += 1
                if done[0] % max(1, len(chunks) // 10) == 0:
                    _progress(f"{n_needs:,} needs: all needs, {done[0]:,} of {len(chunks):,} chunks ...")

            def baseline_chunk(chunk: list[int]) -> None:
                for nid in chunk:
                    baseline_rank(store, nid)

            _progress(f"{n_needs:,} needs: ranking all {len(need_ids):,} needs with each method, "
                      f"{ALL_NEEDS_CHUNK} at a time, interleaved ...")
            whole = time_interleaved({"ours": ours_chunk, "baseline": baseline_chunk}, chunks)
            ours_all = float(whole["ours"].samples_s.sum())
            baseline_all = float(whole["baseline"].samples_s.sum())
        load = f"{load_before}, then {machine_load()}"

    return SizeResult(needs=counts.get("need", 0), offers=counts.get("offer", 0), assets=n_assets,
                      generate_s=generate_s, build_s=build[0], ours=latency["ours"], baseline=latency["baseline"],
                      ours_all_s=ours_all, baseline_all_s=baseline_all, ours_returned=ours_returned,
                      baseline_returned=baseline_returned, load=load)


# -- the report ----------------------------------------------------------------------------------

def _size(r: SizeResult) -> str:
    return f"{r.needs:,} × {r.offers:,}"


def _seconds(value: float | None) -> str:
    return "skipped" if value is None else f"{value:.1f}"


def report_quality(ours: Quality, baseline: Quality, verbose: bool) -> str:
    without = len(ours.without_right)
    text = (
        f"## Quality on the labelled demo ({LABELS.relative_to(ROOT)}), top {TOP}\n\n"
        f"Needs with at least one right offer: {ours.needs}. P@1: the top offer is right. P@3: right offers in "
        "the top 3 out of min(3, right offers). hit@3: at least one right offer in the top 3. MRR: mean of "
        f"1 / rank of the first right offer in the top {TOP} (0 if none).\n\n"
        + table(["method", "P@1", "P@3", "hit@3", "MRR", "needs"], [ours.row(), baseline.row()])
        + f"\n\nLabelled needs with no right offer: {without}; ours returns no match at all for "
        f"{ours.silent_without_right} of them, the baseline for {baseline.silent_without_right} "
        "(returning some is allowed)."
    )
    if verbose:
        text += "\n\n" + misses(ours) + "\n\n" + misses(baseline)
    return text


def report_speed(results: list[SizeResult], n_queries: int) -> str:
    latency = table(
        ["needs × offers", "assets", "index build s", "ours p50/p95 ms", "baseline p50/p95 ms",
         "baseline/ours p50", "baseline/ours p95", "returned ours/baseline"],
        [[_size(r), f"{r.assets:,}", f"{r.build_s:.2f}", r.ours.p50_p95(), r.baseline.p50_p95(),
          fmt_ratio(r.baseline.p50_ms, r.ours.p50_ms), fmt_ratio(r.baseline.p95_ms, r.ours.p95_ms),
          f"{r.ours_returned:.1f} / {r.baseline_returned:.1f}"] for r in results],
    )
    whole = table(
        ["needs × offers", "all needs ours s", "all needs baseline s", "baseline/ours", "ours ms per need"],
        [[_size(r), _seconds(r.ours_all_s), _seconds(r.baseline_all_s),
          "n/a" if r.ours_all_s is None else fmt_ratio(r.baseline_all_s, r.ours_all_s),
          "n/a" if r.ours_all_s is None else fmt_ms(r.ours_all_s / max(r.needs, 1) * 1000)] for r in results],
    )
    target = [r for r in results if r.needs == TARGET_NEEDS]
    if target:
        r = target[0]
        verdict = (f"Target: one need under {TARGET_P95_MS:.0f} ms at p95 at {TARGET_NEEDS:,} needs × "
                   f"{OFFERS_PER_NEED * TARGET_NEEDS:,} offers. Measured p95 {fmt_ms(r.ours.p95_ms)} ms: "
                   + ("met." if r.ours.p95_ms < TARGET_P95_MS else "NOT met."))
    else:
        verdict = (f"Target: one need under {TARGET_P95_MS:.0f} ms at p95 at {TARGET_NEEDS:,} needs × "
                   f"{OFFERS_PER_NEED * TARGET_NEEDS:,} offers (not run: add {TARGET_NEEDS // 1000}k to --sizes).")
    made = "\n".join(
        f"- {_size(r)}: " + ("store reused from benchmarks/out/" if r.generate_s is None
                             else f"store generated in {r.generate_s:.1f} s")
        + f"; {r.load}" for r in results)
    return (
        f"## Ranking one need, top {TOP}: {n_queries} random needs per size after {WARMUP_QUERIES} warm-up, "
        "the methods interleaved need by need\n\n"
        f"{latency}\n\n{verdict}\n\n"
        f"## Ranking every open need, one at a time ({ALL_NEEDS_CHUNK}-need chunks, the methods interleaved)\n\n"
        f"{whole}\n\n"
        "Ratios above 1 mean the baseline is slower. The index is built once per store (the baseline needs "
        "none); returned = mean matches per need over the timed needs.\n\n"
        f"Stores and machine load while timing (wall clock; compare ratios rather than milliseconds):\n{made}"
    )


def report_summary(results: list[SizeResult], ours: Quality, baseline: Quality) -> str:
    speed = table(
        ["size", "index build s", "ours p50/p95 ms", "baseline p50/p95 ms", "ratio (baseline/ours, p50/p95)",
         "all-needs s (ours/baseline)"],
        [[_size(r), f"{r.build_s:.2f}", r.ours.p50_p95(), r.baseline.p50_p95(),
          f"{fmt_ratio(r.baseline.p50_ms, r.ours.p50_ms)} / {fmt_ratio(r.baseline.p95_ms, r.ours.p95_ms)}",
          "skipped" if r.ours_all_s is None else f"{r.ours_all_s:.1f} / {r.baseline_all_s:.1f}"] for r in results],
    )
    quality = table(["method", "P@1", "P@3", "hit@3", "MRR", "needs"], [ours.row(), baseline.row()])
    return f"## Summary\n\n{speed}\n\n{quality}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"numbers of needs, comma-separated, each with {OFFERS_PER_NEED}x as many offers "
                             f"(default {DEFAULT_SIZES})")
    parser.add_argument("--queries", type=int, default=DEFAULT_QUERIES,
                        help=f"timed needs per size and method (default {DEFAULT_QUERIES})")
    parser.add_argument("--seed", type=int, default=3, help="random seed of the generated stores (default 3)")
    parser.add_argument("--fresh", action="store_true", help="generate the stores again instead of reusing them")
    parser.add_argument("--skip-all", action="store_true", help="skip ranking every need (minutes at 10k needs)")
    parser.add_argument("--verbose", action="store_true",
                        help="also list, per method, the labelled needs whose top offer is not right")
    args = parser.parse_args(argv)
    if args.queries < 1:
        parser.error("--queries must be at least 1")
    sizes = parse_sizes(args.sizes)

    ours_q, baseline_q = quality_on_demo()
    print(report_quality(ours_q, baseline_q, args.verbose), flush=True)
    results = [run_size(n, args.queries, args.seed, args.fresh, args.skip_all) for n in sizes]
    print("\n" + report_speed(results, args.queries))
    print("\n" + report_summary(results, ours_q, baseline_q))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
