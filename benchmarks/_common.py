"""Small helpers shared by the benchmark scripts: timing, percentiles and a plain table.

Every benchmark times our code and a baseline in the same run, on the same data, and
prints ratios; nothing here asserts a time.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Latency:
    """Per-call wall-clock times of one method, in seconds."""

    samples_s: np.ndarray

    @property
    def p50_ms(self) -> float:
        return float(np.percentile(self.samples_s, 50) * 1000)

    @property
    def p95_ms(self) -> float:
        return float(np.percentile(self.samples_s, 95) * 1000)

    def p50_p95(self) -> str:
        return f"{fmt_ms(self.p50_ms)} / {fmt_ms(self.p95_ms)}"


def time_each(call: Callable[[object], object], items: Sequence[object], *,
              warmup: Sequence[object] = ()) -> Latency:
    """Time ``call(item)`` once per item with :func:`time.perf_counter`, after running it
    untimed on each of ``warmup`` so caches and lazily built structures are warm."""
    for item in warmup:
        call(item)
    samples = np.empty(len(items))
    for i, item in enumerate(items):
        start = time.perf_counter()
        call(item)
        samples[i] = time.perf_counter() - start
    return Latency(samples)


def time_interleaved(calls: dict[str, Callable[[object], object]], items: Sequence[object], *,
                     warmup: Sequence[object] = ()) -> dict[str, Latency]:
    """Time every method on every item, taking the methods in turn for each item (the
    first method rotating) rather than one method after another.

    On a shared machine a burst of someone else's work then slows all methods alike, so
    their ratios stay meaningful even when the absolute times wobble. Each of ``warmup``
    goes through every method, untimed, first.
    """
    names = list(calls)
    for item in warmup:
        for name in names:
            calls[name](item)
    samples = {name: np.empty(len(items)) for name in names}
    for i, item in enumerate(items):
        for k in range(len(names)):
            name = names[(i + k) % len(names)]
            start = time.perf_counter()
            calls[name](item)
            samples[name][i] = time.perf_counter() - start
    return {name: Latency(s) for name, s in samples.items()}


def machine_load() -> str:
    """The 1-minute load average against the CPU count, to read timings by."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return "load unknown"
    return f"load average {load:.1f} on {os.cpu_count()} CPUs"


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` leaves the elapsed seconds in ``t[0]``."""
    elapsed = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start


def fmt_ms(value_ms: float) -> str:
    """Milliseconds with two significant decimals below 10 ms, one above."""
    return f"{value_ms:.2f}" if value_ms < 10 else f"{value_ms:.1f}"


def fmt_ratio(ours: float, theirs: float) -> str:
    return "n/a" if theirs <= 0 else f"{ours / theirs:.2f}x"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table with right-aligned columns, readable in a terminal and pasteable
    into an issue or closing note as it is."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.rjust(w) for c, w in zip(cells[0], widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells[1:]]
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    """``"10000,100k,1M"`` -> ``[10000, 100000, 1000000]``."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        number = part[:-1] if scale > 1 else part
        try:
            value = int(float(number) * scale)
        except ValueError:
            raise SystemExit(f"--sizes: {part!r} is not a number (examples: 10000, 100k, 1M).") from None
        if value <= 0:
            raise SystemExit(f"--sizes: {part!r} must be more than 0.")
        sizes.append(value)
    if not sizes:
        raise SystemExit("--sizes: give at least one size, for example 10000,100000.")
    return sizes
