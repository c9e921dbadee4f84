"""A plan's exports as bytes for the page's download buttons.

:mod:`cedplans.exports` writes files (atomically, to a path); a download button wants
bytes. Each export is written into a private temporary folder, read back and the folder
removed, so nothing is left behind and two people downloading at once never share a file.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from atlas.i18n import N_
from atlas.store import Store
from cedplans import exports


@dataclass(frozen=True)
class Download:
    """One download: ``label`` and ``help`` are marked for translation (``N_``) and
    translated where the button is drawn."""

    label: str
    extension: str
    mime: str
    help: str


DOWNLOADS: dict[str, Download] = {
    "geojson": Download(N_("GeoJSON"), "geojson", "application/geo+json",
                        N_("Site, zones, ideas and partners for web maps (WGS84).")),
    "gpkg": Download(N_("GeoPackage (QGIS)"), "gpkg", "application/geopackage+sqlite3",
                     N_("Layers for QGIS, in metres (the atlas's own map projection).")),
    "pdf": Download(N_("PDF report"), "pdf", "application/pdf",
                    N_("A printable report: map, vision, partners, actions, indicators and ideas.")),
    "html": Download(N_("Web page report"), "html", "text/html",
                     N_("The same report as one web page, for e-mail or a website.")),
}


def file_name(title: str, version: int, fmt: str) -> str:
    """A safe file name such as ``edgbaston-reservoir-v3.gpkg``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "plan"
    return f"{slug}-v{version}.{DOWNLOADS[fmt].extension}"


def export_bytes(store: Store, plan_id: int, fmt: str, *, language: str | None = None) -> bytes:
    """The plan's latest version exported in ``fmt`` (geojson, gpkg, pdf or html), its words
    in ``language`` (None: the place's)."""
    with tempfile.TemporaryDirectory(prefix="atlas-export-") as folder:
        path = Path(folder) / f"plan.{DOWNLOADS[fmt].extension}"
        exports.export(store, plan_id, path, fmt, language=language)
        return path.read_bytes()
