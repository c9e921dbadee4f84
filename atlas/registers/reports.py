"""The uncertain-matches report: one CSV row per organisation of a file that may be an
asset already, with the candidate, the name score and the reason, for a person to decide.
Nothing in it was merged or added."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from atlas.importers.report import default_report_path

COLUMNS = ("file", "row", "name", "candidate_asset_id", "candidate_name", "score", "reason")


@dataclass(frozen=True)
class UncertainRow:
    """A row whose organisation might be asset ``candidate_asset_id``; ``score`` is the
    name similarity (0-100) where names were compared."""

    file: str
    row: str
    name: str
    candidate_asset_id: int | None
    candidate_name: str
    score: float | None
    reason: str


def uncertain_report_path(store_path: Path | None, source: str, report_path: str | Path | None) -> Path:
    """Beside the skipped-rows report: ``<report stem>-uncertain.csv`` when a report path
    was given, else ``import-reports/<source>-<time>-uncertain.csv`` beside the store."""
    if report_path is not None:
        given = Path(report_path)
        return given.with_name(f"{given.stem}-uncertain{given.suffix or '.csv'}")
    skipped = default_report_path(store_path, source)
    return skipped.with_name(skipped.name.replace("-skipped.csv", "-uncertain.csv"))


def write_uncertain(rows: Sequence[UncertainRow], path: Path) -> Path:
    """Write the rows as CSV (UTF-8 with a byte-order mark, as the skipped-rows report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([r.file, r.row, r.name, "" if r.candidate_asset_id is None else r.candidate_asset_id,
                             r.candidate_name, "" if r.score is None else f"{r.score:.0f}", r.reason])
    return path


def read_uncertain(path: Path) -> list[dict[str, str]]:
    """The rows of a report written by :func:`write_uncertain`, as dicts by column."""
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


__all__ = ["COLUMNS", "UncertainRow", "read_uncertain", "uncertain_report_path", "write_uncertain"]
