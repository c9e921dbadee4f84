"""The letter-number grid printed over a workshop pack's map, as on a street atlas.

Columns are lettered A, B, C… from west to east and rows numbered 1, 2, 3… from north to
south, so "B3" is the second column and the third row from the top. The grid is drawn in
the store's metric CRS, so every square is the same size on the ground (``square_m``
metres a side) and on the paper. Where a paper idea says "B3", the idea is stored at the
centre of that square: the square is as precise as a card can be.

The grid of a plan is worked out from the plan's site and zones alone (not from the paper
size), so the A4 and A3 packs share one grid and an idea typed in from either lands in the
same place.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from atlas.errors import InvalidInput
from atlas.projection import WGS84, reproject

MAX_COLUMNS = 26
"""Columns are single letters, A to Z."""

TARGET_SQUARES = 8
"""About how many squares the longer side of the map is cut into: big enough to write a
square on a card, small enough to say where on the site an idea belongs."""

_LABEL = re.compile(r"^\s*([A-Za-z])\s*-?\s*(\d{1,3})\s*$")


@dataclass(frozen=True)
class PaperGrid:
    """A grid of ``columns`` × ``rows`` squares over the box (``minx_m``, ``miny_m``) –
    (``maxx_m``, ``maxy_m``), in metres of the CRS ``epsg``."""

    epsg: int
    minx_m: float
    miny_m: float
    maxx_m: float
    maxy_m: float
    columns: int
    rows: int

    def __post_init__(self) -> None:
        if not (1 <= self.columns <= MAX_COLUMNS) or self.rows < 1:
            raise InvalidInput(f"A grid has 1 to {MAX_COLUMNS} columns and at least one row, "
                               f"not {self.columns} × {self.rows}.")
        if not (self.maxx_m > self.minx_m and self.maxy_m > self.miny_m):
            raise InvalidInput("A grid needs a box with some width and height.")

    @property
    def square_width_m(self) -> float:
        return (self.maxx_m - self.minx_m) / self.columns

    @property
    def square_height_m(self) -> float:
        return (self.maxy_m - self.miny_m) / self.rows

    @property
    def column_labels(self) -> list[str]:
        return list(string.ascii_uppercase[: self.columns])

    @property
    def row_labels(self) -> list[str]:
        return [str(r) for r in range(1, self.rows + 1)]

    @property
    def labels(self) -> list[str]:
        """Every square's label, row by row from the top left."""
        return [f"{c}{r}" for r in self.row_labels for c in self.column_labels]

    def _parse(self, label: str) -> tuple[int, int]:
        """``label`` as (column index, row index), both from 0, or an error that says
        which squares there are."""
        found = _LABEL.match(label or "")
        column = string.ascii_uppercase.index(found.group(1).upper()) if found else -1
        row = int(found.group(2)) - 1 if found else -1
        if not found or not (0 <= column < self.columns and 0 <= row < self.rows):
            last = self.column_labels[-1]
            raise InvalidInput(
                f"There is no square {label.strip()!r} on this plan's grid: squares run from A1 to "
                f"{last}{self.rows} (a letter A to {last} along the top, then a number 1 to {self.rows} "
                "down the side, such as B3). Check the square written on the card against the map.")
        return column, row

    def square_bounds_m(self, label: str) -> tuple[float, float, float, float]:
        """The square's box (minx, miny, maxx, maxy) in metres."""
        column, row = self._parse(label)
        w, h = self.square_width_m, self.square_height_m
        minx = self.minx_m + column * w
        maxy = self.maxy_m - row * h  # rows count down from the top (north)
        return minx, maxy - h, minx + w, maxy

    def square_centre_m(self, label: str) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.square_bounds_m(label)
        return (minx + maxx) / 2, (miny + maxy) / 2

    def square(self, label: str) -> tuple[float, float]:
        """The centre of square ``label`` (such as "B3") as (longitude, latitude)."""
        x, y = self.square_centre_m(label)
        p = reproject(shapely.Point(x, y), self.epsg, WGS84)
        return p.x, p.y

    def label_at(self, point: tuple[float, float] | shapely.Point) -> str:
        """The label of the square holding ``point`` (longitude, latitude). A point on a
        line between squares belongs to the square east or south of it."""
        p = point if isinstance(point, shapely.Point) else shapely.Point(*point)
        m = reproject(p, WGS84, self.epsg)
        return self.label_at_m(m.x, m.y)

    def label_at_m(self, x: float, y: float) -> str:
        """The label of the square holding (x, y) in metres of the grid's CRS."""
        if not (self.minx_m <= x <= self.maxx_m and self.miny_m <= y <= self.maxy_m):
            raise InvalidInput("That place is outside the map's grid; choose a square on the printed map.")
        column = min(int((x - self.minx_m) // self.square_width_m), self.columns - 1)
        row = min(int((self.maxy_m - y) // self.square_height_m), self.rows - 1)
        return f"{string.ascii_uppercase[column]}{row + 1}"


def grid_around(extent_m: BaseGeometry, epsg: int, *, margin_m: float,
                target_squares: int = TARGET_SQUARES) -> PaperGrid:
    """A grid of square cells covering ``extent_m`` (in metres of ``epsg``) and ``margin_m``
    metres around it. The side of a square is a round number of metres (1, 2 or 5 times a
    power of ten), and the grid's corners sit on multiples of it, so a small change to the
    plan's shape rarely moves the grid."""
    if extent_m.is_empty:
        raise InvalidInput("The plan has no site or zones yet: choose a site before printing a workshop pack.")
    minx, miny, maxx, maxy = extent_m.buffer(margin_m).bounds
    # The side is at least the longer side over ``target_squares``, so snapping the corner
    # adds at most one square: columns stay far below MAX_COLUMNS.
    side = _round_up(max(maxx - minx, maxy - miny) / min(target_squares, MAX_COLUMNS - 1))
    x0, y0 = math.floor(minx / side) * side, math.floor(miny / side) * side
    columns = max(1, math.ceil((maxx - x0) / side))
    rows = max(1, math.ceil((maxy - y0) / side))
    return PaperGrid(epsg, x0, y0, x0 + columns * side, y0 + rows * side, columns, rows)


def _round_up(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten not below ``value`` (metres)."""
    power = 10 ** math.floor(math.log10(max(value, 1.0)))
    return min(s * power for s in (1, 2, 5, 10) if s * power >= value)
