"""The uncertain-suppliers report: one CSV row per supplier that might be an asset of the
atlas but was not linked to it, so a person can decide (and, if it is, record the
supplier's company number on the asset and import again)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from atlas.spend.suppliers import Uncertain

COLUMNS = ("supplier", "company_number", "postcode", "lines", "amount", "candidate_asset_id", "candidate_name",
           "score", "reason")


def path_beside(skipped_report: Path) -> Path:
    """``…-skipped.csv`` -> ``…-uncertain.csv``, in the same folder."""
    stem = skipped_report.stem
    stem = stem[: -len("-skipped")] if stem.endswith("-skipped") else stem
    return skipped_report.with_name(f"{stem}-uncertain.csv")


def write(rows: Sequence[Uncertain], path: Path) -> Path:
    """Write the uncertain suppliers, largest spend first, as CSV (UTF-8 with a byte-order
    mark, so spreadsheet programs keep accents); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for r in sorted(rows, key=lambda r: (-abs(r.amount), r.supplier_name)):
            writer.writerow([r.supplier_name, r.company_number or "", r.postcode or "", r.lines, f"{r.amount:.2f}",
                             r.candidate_asset_id, r.candidate_name or "",
                             "" if r.score is None else f"{r.score:.0f}", r.reason])
    return path


def read(path: Path) -> list[dict[str, str]]:
    """The rows of a report written by :func:`write`, as dicts by column."""
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))
