"""The skipped-rows report: one CSV (file, row, field, reason) per import that skipped rows,
so the rows can be fixed in the source and imported again."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from atlas.importers.summary import SkippedRow

COLUMNS = ("file", "row", "field", "reason")


def default_report_path(store_path: Path | None, source: str) -> Path:
    """``<store folder>/import-reports/<source>-<time>-skipped.csv``: beside the store,
    because the imported file may sit in a folder nobody can write to. A store on a
    PostGIS server (``store_path`` None) has no folder: the working folder stands in."""
    stem = re.sub(r"[^\w.-]+", "_", source).strip("_") or "import"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    folder = store_path.resolve().parent if store_path is not None else Path.cwd()
    return folder / "import-reports" / f"{stem}-{stamp}-skipped.csv"


def write_report(rows: Sequence[SkippedRow], path: Path) -> Path:
    """Write the skipped rows as CSV (UTF-8 with a byte-order mark, so spreadsheet
    programs keep accents) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([r.file, r.row, r.field, r.reason])
    return path


def read_report(path: Path) -> list[SkippedRow]:
    """The rows of a report written by :func:`write_report`."""
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        return [SkippedRow(**row) for row in csv.DictReader(fh)]
