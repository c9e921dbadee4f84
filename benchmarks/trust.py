"""What do issue 10's trust features cost? The audit trail on needs and offers, people in
asset imports, backups and sign-in, each against a baseline without the feature, in the
same run, on the same data.

    python benchmarks/trust.py                       # 1k/10k/100k needs and offers, 10k/100k/1M assets
    python benchmarks/trust.py --quick               # the smallest size of each (under a minute)
    python benchmarks/trust.py --sizes 1k,10k --asset-sizes 10k,100k --parts audit,backup

Four parts (``--parts``):

1. **audit**: ``atlas.needs_offers.write`` of N generated needs and offers (half each, kinds
   from ``NEED_KINDS`` / ``OFFER_KINDS``, titles, tags, quantities and areas) into a copy of
   the full demo store (85 assets), then the same N again with 10% of them changed (title
   or status). Three ways, in turn within each repeat: as shipped; with
   ``atlas.audit.record_many`` replaced by a no-op (the baseline: the trail's rows are not
   built or inserted); and with ``needs_offers._audited`` (the before/after reads the trail
   is built from) also returning nothing, i.e. the write with no audit work at all.
2. **assets**: ``atlas.writes.upsert_assets`` of N points into an empty store, with a
   ``person`` column and 0% or 10% people (each with consent_given_by/on/purpose, so
   generalised to their neighbourhood and their precise point kept apart) against the
   same frame with no person or consent columns (the baseline).
3. **backup**: ``atlas.backup.write_backup`` of a store of N assets against CHECKPOINT and
   ``shutil.copyfile`` of the store's file (only correct when nothing writes meanwhile),
   and ``atlas.backup.restore_backup`` of that backup into a new path against a plain
   ``shutil.copyfile`` of the backup.
4. **signin**: ``atlas.accounts.sign_in`` (argon2id verify) for a known name with the right
   password, a known name with a wrong one and an unknown name, against the same row
   look-up plus a salted ``hashlib.sha256`` compare; ``--signins`` calls each (default 20),
   the methods interleaved call by call, median and p95.

Times are wall clock (``time.perf_counter``); parts 1-3 take the best of ``--repeats``
runs (default 3), each on a fresh copy of the store, the methods taking turns within each
repeat so a burst of someone else's work slows all of them alike. The machine may be
shared: the load average is printed before and after each part; compare ratios rather
than seconds. Data are generated, seeded (``--seed``), in a temporary folder that is
removed at the end. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and the packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import accounts, audit, needs_offers, vocabulary
from atlas.backup import restore_backup, write_backup
from atlas.errors import NotAllowed
from atlas.models import NEED_KINDS, OFFER_KINDS
from atlas.needs_offers import NeedOfferDraft
from atlas.store import Store, open_store
from atlas.writes import upsert_assets
from benchmarks._common import fmt_ms, fmt_ratio, machine_load, parse_sizes, table, time_interleaved
from cedplans.demo import load_full_demo

PARTS = ("audit", "assets", "backup", "signin")
DEFAULT_SIZES = "1k,10k,100k"
DEFAULT_ASSET_SIZES = "10k,100k,1M"
DEFAULT_REPEATS = 3
DEFAULT_SIGNINS = 20
CHANGED_SHARE = 0.10
PEOPLE_SHARE = 0.10
SOURCE = "benchmark-trust"
BY = "Benchmark"

# Places: British National Grid around west Birmingham, a box of +-8 km.
CENTRE_E_M, CENTRE_N_M, HALF_SIDE_M = 400_000.0, 287_000.0, 8_000.0
PEOPLE_KINDS = {"workforce", "volunteers", "people"}
AREA_KINDS = {"space": (10.0, 5_000.0), "land": (50.0, 50_000.0)}  # m², lowest and highest
WORDS = ["weekly", "local", "residents", "evening", "sessions", "families", "shared", "regular", "flexible",
         "accessible", "group", "project", "neighbourhood", "children", "older", "people", "trained", "friendly",
         "parking", "bus", "route", "weekends", "summer", "lease", "support", "charity", "council", "partnership"]
TAGS = ["weekly", "urgent", "long-term", "evenings", "weekends", "local", "paid", "unpaid", "free", "catering",
        "translation", "youth-work", "community-space", "digital-skills", "funding", "volunteers"]
PASSWORD = "correct horse battery staple"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load() -> str:
    """os.getloadavg() (1, 5 and 15 minutes) against the CPU count."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()} CPUs"


@contextlib.contextmanager
def _patched(obj: object, name: str, value: object | None) -> Iterator[None]:
    """``obj.name = value`` for the block (nothing when ``value`` is None)."""
    if value is None:
        yield
        return
    original = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, original)


def _best_of(repeats: int, methods: list[str], run: Callable[[str], dict[str, float]]) -> dict[str, dict[str, float]]:
    """Run every method ``repeats`` times, the methods taking turns (the first rotating);
    per method, the smallest value of each key ``run`` returns (its timings; counts are the
    same every time)."""
    best: dict[str, dict[str, float]] = {}
    for r in range(repeats):
        for k in range(len(methods)):
            method = methods[(r + k) % len(methods)]
            got = run(method)
            best[method] = {key: min(v, best.get(method, {}).get(key, v)) for key, v in got.items()}
    return best


def _s(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


# -- 1. the audit trail on needs and offers ---------------------------------------------------

AUDIT_METHODS = {
    # method -> (record_many replacement, _audited replacement); None keeps the shipped one
    "audit": (None, None),
    "no record_many": (lambda *args, **kwargs: 0, None),
    "no audit work": (lambda *args, **kwargs: 0, lambda *args, **kwargs: {}),
}


def make_drafts(n: int, asset_ids: list[int], seed: int) -> tuple[list[NeedOfferDraft], list[NeedOfferDraft]]:
    """``n`` needs and offers (half each) on the demo's assets, and the same with a tenth
    changed (every other one of those a new title, the rest a new status)."""
    rnd = random.Random(seed * 1_000_003 + n)
    drafts = []
    for i in range(n):
        side = "need" if i % 2 == 0 else "offer"
        kind = rnd.choice(NEED_KINDS if side == "need" else OFFER_KINDS)
        people = kind in PEOPLE_KINDS
        area = None
        if kind in AREA_KINDS:
            low, high = AREA_KINDS[kind]
            area = float(round(min(high, max(low, rnd.lognormvariate(np.log(low * 20), 0.9)))))
        drafts.append(NeedOfferDraft(
            side=side, asset_id=rnd.choice(asset_ids), kind=kind,
            title=f"{kind.capitalize()} {'wanted' if side == 'need' else 'offered'}: {rnd.choice(WORDS)} "
                  f"{rnd.choice(WORDS)} {i}",
            description=" ".join(rnd.choices(WORDS, k=rnd.randint(5, 25))).capitalize() + ".",
            tags=tuple(rnd.sample(TAGS, rnd.randint(1, 4))),
            quantity=float(rnd.randint(1, 40)) if people else None, unit="people" if people else None,
            area_m2=area, recorded_by=rnd.choice(["Amina K.", "Tomasz W.", "Grace O.", None]),
        ))
    changed = list(drafts)
    for j, i in enumerate(sorted(rnd.sample(range(n), round(n * CHANGED_SHARE)))):
        d = drafts[i]
        changed[i] = replace(d, title=d.title + " (updated)") if j % 2 == 0 else replace(d, status="in progress")
    return drafts, changed


@dataclass(frozen=True)
class AuditResult:
    rows: int
    times: dict[str, dict[str, float]]  # method -> {"first", "again", "first_rows", "again_rows"}


def run_audit(n: int, template: Path, work: Path, repeats: int, seed: int) -> AuditResult:
    with open_store(template, read_only=True) as store:
        voc = vocabulary.load(store)
        asset_ids = [r[0] for r in store.con.execute("SELECT id FROM assets ORDER BY id").fetchall()]
    drafts, changed = make_drafts(n, asset_ids, seed)
    source_ids = [f"t{i}" for i in range(n)]

    def one(method: str) -> dict[str, float]:
        path = work / "audit.duckdb"
        shutil.copyfile(template, path)
        record_many, audited = AUDIT_METHODS[method]
        out = {}
        try:
            with open_store(path) as store, _patched(audit, "record_many", record_many), \
                    _patched(needs_offers, "_audited", audited):
                for step, batch in (("first", drafts), ("again", changed)):
                    before = store.con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
                    start = time.perf_counter()
                    needs_offers.write(store, batch, source=SOURCE, source_ids=source_ids, by=BY, vocabulary=voc)
                    out[step] = time.perf_counter() - start
                    out[f"{step}_rows"] = store.con.execute("SELECT count(*) FROM audit_log").fetchone()[0] - before
        finally:
            for p in (path, Path(f"{path}.wal")):
                p.unlink(missing_ok=True)
        _progress(f"  {n:,} rows, {method}: first {out['first']:.2f} s, again {out['again']:.2f} s")
        return out

    return AuditResult(n, _best_of(repeats, list(AUDIT_METHODS), one))


def report_audit(results: list[AuditResult]) -> str:
    rows = []
    for r in results:
        for step, what in (("first", "first import"), ("again", f"re-import, {CHANGED_SHARE:.0%} changed")):
            ours, base, bare = (r.times[m][step] for m in AUDIT_METHODS)
            rows.append([f"{r.rows:,}", what, _s(ours), _s(base), fmt_ratio(ours, base), _s(bare),
                         fmt_ratio(ours, bare), f"{int(r.times['audit'][f'{step}_rows']):,}"])
    return (
        "## 1. Audit trail on needs and offers: needs_offers.write into the demo store\n\n"
        + table(["rows", "write", "with audit s", "without s", "ratio", "no audit work s", "ratio",
                 "audit rows written"], rows)
        + "\n\n*without*: `audit.record_many` a no-op (the brief's baseline; the before/after reads of "
          "`needs_offers._audited` still run). *no audit work*: those reads skipped as well. "
          "Ratios are with audit / the baseline; best of the repeats."
    )


# -- 2. people in asset imports ----------------------------------------------------------------

ASSET_METHODS = ("no person column", "0% people", f"{PEOPLE_SHARE:.0%} people")


def make_assets(n: int, seed: int) -> dict[str, gpd.GeoDataFrame]:
    """``n`` organisations as points (British National Grid), as given to upsert_assets:
    without person columns, with them and nobody a person, and with a tenth people."""
    rng = np.random.default_rng([seed, n])
    x = CENTRE_E_M + rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, n)
    y = CENTRE_N_M + rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, n)
    numbers = np.arange(n).astype(str)
    base = gpd.GeoDataFrame({
        "source_id": np.char.add("a", numbers).astype(object),
        "name": np.char.add("Organisation ", numbers).astype(object),
        "sector": np.array(["public", "private", "social", "community"], dtype=object)[rng.integers(0, 4, n)],
        "employees": np.minimum(rng.lognormal(2.0, 1.6, n), 50_000).round(0).astype(np.int64),
    }, geometry=gpd.points_from_xy(x, y), crs=27700)
    frames = {ASSET_METHODS[0]: base}
    for method, share in ((ASSET_METHODS[1], 0.0), (ASSET_METHODS[2], PEOPLE_SHARE)):
        frame = base.copy()
        person = rng.random(n) < share
        frame["person"] = np.where(person, "yes", "no").astype(object)
        frame["consent_given_by"] = np.where(person, "the person", None)
        frame["consent_given_on"] = np.where(person, "2025-03-01", None)
        frame["consent_purpose"] = np.where(person, "matching with local groups", None)
        frames[method] = frame
    return frames


@dataclass(frozen=True)
class AssetResult:
    rows: int
    people: int
    times: dict[str, dict[str, float]]


def run_assets(n: int, work: Path, repeats: int, seed: int) -> AssetResult:
    frames = make_assets(n, seed)

    def one(method: str) -> dict[str, float]:
        path = work / "assets.duckdb"
        try:
            with open_store(path) as store:
                start = time.perf_counter()
                upsert_assets(store, frames[method], source=SOURCE)
                elapsed = time.perf_counter() - start
        finally:
            for p in (path, Path(f"{path}.wal")):
                p.unlink(missing_ok=True)
        _progress(f"  {n:,} assets, {method}: {elapsed:.2f} s")
        return {"s": elapsed}

    people = int((frames[ASSET_METHODS[2]]["person"] == "yes").sum())
    return AssetResult(n, people, _best_of(repeats, list(ASSET_METHODS), one))


def report_assets(results: list[AssetResult]) -> str:
    base, none, some = ASSET_METHODS
    rows = [[f"{r.rows:,}", _s(r.times[base]["s"]),
             _s(r.times[none]["s"]), fmt_ratio(r.times[none]["s"], r.times[base]["s"]),
             _s(r.times[some]["s"]), fmt_ratio(r.times[some]["s"], r.times[base]["s"]), f"{r.people:,}"]
            for r in results]
    return (
        "## 2. People in asset imports: upsert_assets of points into an empty store\n\n"
        + table(["assets", "no person column s", "0% people s", "ratio", f"{PEOPLE_SHARE:.0%} people s", "ratio",
                 "people"], rows)
        + "\n\nRatios against the frame with no person or consent columns (best of the repeats). Every write "
          "runs `people.write_private` and records one audit entry, with or without the columns."
    )


# -- 3. backups ------------------------------------------------------------------------------------

BACKUP_METHODS = ("write_backup", "checkpoint+copy")
RESTORE_METHODS = ("restore_backup", "copyfile")


@dataclass(frozen=True)
class BackupResult:
    rows: int
    store_bytes: int
    backup_bytes: int
    times: dict[str, dict[str, float]]


def run_backup(n: int, work: Path, repeats: int, seed: int) -> BackupResult:
    path = work / "backup-source.duckdb"
    frame = make_assets(n, seed)[ASSET_METHODS[0]]
    _progress(f"  {n:,} assets: building the store ...")
    try:
        with open_store(path) as store:
            with store.bulk_load():
                upsert_assets(store, frame, source=SOURCE)
            del frame
            times = _best_of(repeats, list(BACKUP_METHODS), lambda m: _backup_once(m, store, work, n))
            store.con.execute("CHECKPOINT")
            store_bytes = path.stat().st_size
        backup = work / "backup.duckdb"
        write_backup_closed(path, backup)
        backup_bytes = backup.stat().st_size
        times.update(_best_of(repeats, list(RESTORE_METHODS), lambda m: _restore_once(m, backup, work, n)))
    finally:
        for p in work.glob("backup*"):
            p.unlink()
    return BackupResult(n, store_bytes, backup_bytes, times)


def write_backup_closed(store_path: Path, backup: Path) -> None:
    with open_store(store_path) as store:
        write_backup(store, backup)


def _backup_once(method: str, store: Store, work: Path, n: int) -> dict[str, float]:
    target = work / f"backup-{method}.duckdb"
    start = time.perf_counter()
    if method == "write_backup":
        write_backup(store, target)
    else:
        store.con.execute("CHECKPOINT")
        shutil.copyfile(store.path, target)
    elapsed = time.perf_counter() - start
    target.unlink()
    _progress(f"  {n:,} assets, {method}: {elapsed:.2f} s")
    return {"s": elapsed}


def _restore_once(method: str, backup: Path, work: Path, n: int) -> dict[str, float]:
    target = work / f"backup-restored-{method}.duckdb"
    start = time.perf_counter()
    if method == "restore_backup":
        restore_backup(backup, target)
    else:
        shutil.copyfile(backup, target)
    elapsed = time.perf_counter() - start
    target.unlink()
    _progress(f"  {n:,} assets, {method}: {elapsed:.2f} s")
    return {"s": elapsed}


def report_backup(results: list[BackupResult]) -> str:
    rows = [[f"{r.rows:,}", _s(r.times["write_backup"]["s"]), _s(r.times["checkpoint+copy"]["s"]),
             fmt_ratio(r.times["write_backup"]["s"], r.times["checkpoint+copy"]["s"]),
             _s(r.times["restore_backup"]["s"]), _s(r.times["copyfile"]["s"]),
             fmt_ratio(r.times["restore_backup"]["s"], r.times["copyfile"]["s"]),
             f"{r.store_bytes / 1e6:,.1f}", f"{r.backup_bytes / 1e6:,.1f}"] for r in results]
    return (
        "## 3. Backups of a store of N assets\n\n"
        + table(["assets", "write_backup s", "checkpoint+copy s", "ratio", "restore_backup s", "copyfile s",
                 "ratio", "store MB", "backup MB"], rows)
        + "\n\ncheckpoint+copy: CHECKPOINT then `shutil.copyfile` of the open store's file, which is only a "
          "consistent copy when nothing writes meanwhile; copyfile: a plain copy of the backup to the new "
          "path, without `restore_backup`'s checks (it opens the copy as a store and reads every table's rows). "
          "The files are fresh, so copies come from the page cache."
    )


# -- 4. sign-in ----------------------------------------------------------------------------------

def run_signin(work: Path, calls: int) -> dict[str, object]:
    path = work / "signin.duckdb"
    try:
        with open_store(path) as store:
            accounts.add_user(store, "officer.one", role="officer", password=PASSWORD, by=BY)
            salt = os.urandom(16)
            digest = hashlib.sha256(salt + PASSWORD.encode()).digest()

            def attempt(name: str, password: str) -> None:
                try:
                    accounts.sign_in(store, name, password)
                except NotAllowed:
                    pass

            def sha256(_: object) -> None:  # the same look-up, then a salted sha256 compare
                store.con.execute("SELECT password_hash FROM users WHERE lower(username) = lower(?)",
                                  ["officer.one"]).fetchone()
                hmac.compare_digest(hashlib.sha256(salt + PASSWORD.encode()).digest(), digest)

            latency = time_interleaved({
                "known name, right password": lambda _: attempt("officer.one", PASSWORD),
                "known name, wrong password": lambda _: attempt("officer.one", "wrong horse battery staple"),
                "unknown name": lambda _: attempt("nobody.here", PASSWORD),
                "baseline: look-up + sha256": sha256,
            }, list(range(calls)), warmup=[None, None])
    finally:
        for p in (path, Path(f"{path}.wal")):
            p.unlink(missing_ok=True)
    return latency


def report_signin(latency: dict, calls: int) -> str:
    base = latency["baseline: look-up + sha256"]
    rows = [[name, fmt_ms(lat.p50_ms), fmt_ms(lat.p95_ms), fmt_ratio(lat.p50_ms, base.p50_ms)]
            for name, lat in latency.items()]
    known, unknown = latency["known name, wrong password"], latency["unknown name"]
    return (
        f"## 4. Sign-in: accounts.sign_in, {calls} calls each, interleaved\n\n"
        + table(["attempt", "p50 ms", "p95 ms", "p50 ratio to sha256"], rows)
        + f"\n\nUnknown name / known name with a wrong password, p50: {fmt_ratio(unknown.p50_ms, known.p50_ms)} "
          "(about 1 means timing does not tell names apart). argon2-cffi's defaults (RFC 9106: 3 passes, "
          "64 MiB, 4 lanes) are the deliberate cost."
    )


# -- main ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"needs and offers per write, part 1 (default {DEFAULT_SIZES})")
    parser.add_argument("--asset-sizes", default=DEFAULT_ASSET_SIZES,
                        help=f"assets, parts 2 and 3 (default {DEFAULT_ASSET_SIZES})")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"which parts, of {', '.join(PARTS)} (default all)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"runs per method and size in parts 1-3; the best is kept (default {DEFAULT_REPEATS})")
    parser.add_argument("--signins", type=int, default=DEFAULT_SIGNINS,
                        help=f"sign-in calls per attempt kind, part 4 (default {DEFAULT_SIGNINS})")
    parser.add_argument("--seed", type=int, default=10, help="random seed of the generated data (default 10)")
    parser.add_argument("--quick", action="store_true", help="only the smallest size of each part")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.signins < 1:
        parser.error("--repeats and --signins must be at least 1")
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--parts: {', '.join(unknown)} unknown; choose from {', '.join(PARTS)}")
    sizes, asset_sizes = parse_sizes(args.sizes), parse_sizes(args.asset_sizes)
    if args.quick:
        sizes, asset_sizes = [min(sizes)], [min(asset_sizes)]

    print("# Trust features (issue 10): what the audit trail, people, backups and sign-in cost\n")
    print(f"Machine: {_load()}. It has few cores and may be running others' tests: compare ratios, "
          "not seconds.\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="atlas-bench-trust-") as tmp:
        work = Path(tmp)
        if "audit" in parts:
            template = work / "demo.duckdb"
            _progress("audit: loading the full demo into a template store ...")
            with open_store(template) as store:
                load_full_demo(store)
            load = _load()
            results = []
            for n in sizes:
                _progress(f"audit: {n:,} needs and offers ...")
                results.append(run_audit(n, template, work, args.repeats, args.seed))
            print(report_audit(results) + f"\n\nLoad: {load} before, {_load()} after.\n", flush=True)
        if "assets" in parts:
            load = _load()
            results = []
            for n in asset_sizes:
                _progress(f"assets: {n:,} ...")
                results.append(run_assets(n, work, args.repeats, args.seed))
            print(report_assets(results) + f"\n\nLoad: {load} before, {_load()} after.\n", flush=True)
        if "backup" in parts:
            load = _load()
            results = []
            for n in asset_sizes:
                _progress(f"backup: {n:,} assets ...")
                results.append(run_backup(n, work, args.repeats, args.seed))
            print(report_backup(results) + f"\n\nLoad: {load} before, {_load()} after.\n", flush=True)
        if "signin" in parts:
            load = _load()
            _progress(f"signin: {args.signins} calls of each kind ...")
            latency = run_signin(work, args.signins)
            print(report_signin(latency, args.signins) + f"\n\nLoad: {load} before, {_load()} after.", flush=True)
    print(f"\nFinished; {machine_load()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
