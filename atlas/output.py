"""Listings for the terminal: an aligned table, CSV or JSON, from a list of dicts; and the
words for an area that listings, maps and reports share."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "csv", "json")


def area_words(m2: float) -> str:
    """An area for people: hectares from one hectare up, square metres below."""
    return f"{m2 / 10_000:,.2f} ha" if m2 >= 10_000 else f"{m2:,.0f} m²"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.6f}".rstrip("0").rstrip(".")
    if isinstance(v, (list, tuple)):
        return "; ".join(map(str, v))
    return str(v)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, *,
          headers: dict[str, str] | None = None, none: str = "(none)") -> str:
    """``rows`` as aligned columns; ``headers`` names columns for people (a translated word)
    where the key is not the word to show; ``none`` is what an empty listing says."""
    if not rows:
        return none
    columns = list(columns or rows[0].keys())
    titles = [(headers or {}).get(c, c) for c in columns]
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(t), *(len(row[i]) for row in cells)) for i, t in enumerate(titles)]
    numeric = [all(_is_number(r.get(c)) for r in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        padded = (v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(titles), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    columns = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: _csv_cell(r.get(c)) for c in columns})
    return buf.getvalue().rstrip("\n")


def _csv_cell(v: Any) -> Any:
    return "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v


def to_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None, *,
           none: str = "(none)") -> str:
    """``rows`` as ``fmt`` (table, csv, json); CSV and JSON keep the keys as they are (data,
    not words), and a table says ``none`` when there are no rows."""
    if fmt == "json":
        return to_json(list(rows))
    if fmt == "csv":
        return to_csv(rows, columns)
    return table(rows, columns, none=none)
