"""What an import reports back: the summary, the rows it skipped, and how it shows progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from atlas.ground.build import GroundBuild

ProgressCallback = Callable[[str, int, "int | None"], None]
"""Called as ``progress(stage, done, total)`` while an import runs. ``stage`` is one of
``"reading"``, ``"checking"``, ``"writing"``; ``done`` and ``total`` count rows (``total``
is None while unknown). Raising from the callback cancels the import, leaving the store
as it was."""


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The default progress callback: report nothing."""


@dataclass(frozen=True)
class SkippedRow:
    """A row that could not be used. ``row`` is the row number a person sees in the file
    (a spreadsheet row, a feature's position, or an OpenStreetMap ``way/123``)."""

    file: str
    row: str
    field: str
    reason: str


@dataclass(frozen=True)
class TableCounts:
    """What one import did to one table of the store."""

    imported: int = 0
    updated: int = 0
    removed: int = 0


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of one import.

    ``read`` rows came out of the file; ``imported`` were new to the store and ``updated``
    replaced rows of the same source and source id; ``repaired`` had invalid geometries
    fixed with make_valid; ``skipped`` could not be used and are listed, with the reason,
    in the CSV at ``skipped_report``.
    """

    path: str
    format: str
    layer: str | None
    stored_as: str
    source: str
    licence: str | None
    crs: str
    metric_epsg: int | None
    read: int
    imported: int
    updated: int
    removed: int
    repaired: int
    skipped: int
    skipped_report: str | None
    seconds: float
    tables: dict[str, TableCounts] = field(default_factory=dict)
    uncertain: int = 0
    """Rows whose organisation might be an asset already but was not merged (registers, spend)."""
    uncertain_report: str | None = None
    """A CSV listing each uncertain row with its candidate asset, score and reason."""
    columns_used: dict[str, str] = field(default_factory=dict)
    """Spend: which column of the file each field was read from (field -> column), shown so
    a wrong guess can be corrected with ``--column FIELD=COLUMN``."""
    ground: GroundBuild | None = None
    """OpenStreetMap extracts: the ground saved from it, and the walking network and base map
    built from that (:mod:`atlas.ground.build`); None for other files."""


@dataclass(frozen=True)
class PostcodeSummary:
    """The outcome of loading a postcode lookup (ONS Postcode Directory or OS Code-Point Open)."""

    path: str
    format: str
    read: int
    imported: int
    updated: int
    skipped: int
    skipped_report: str | None
    seconds: float
