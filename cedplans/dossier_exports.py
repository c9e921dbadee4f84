"""The site dossier out of the atlas: a PDF and an HTML report with the same sections, and
a GeoPackage of the site and its surroundings for QGIS (in the store's metric CRS).

The reports are made from one list of sections (:func:`sections`), so the PDF and the
HTML cannot say different things. Confidential notes and match decisions' reasons are in
them, and in the GeoPackage, only when the dossier was gathered with
a viewer who may see them (then a marked section says so); otherwise they say they were
left out. Each file is written
beside its target and moved into place at the end: a failed export leaves nothing.
"""

from __future__ import annotations

import base64
import io
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, SimpleDocTemplate, Spacer

from atlas.access import PUBLIC, Viewer
from atlas.classify import money
from atlas.confidential import WITHHELD
from atlas.errors import InvalidInput
from atlas.output import area_words
from atlas.projection import WGS84
from atlas.site_refs import SiteQuery
from atlas.store import Store
from cedplans.dossier import DEFAULT_RADIUS_M, Dossier, build_dossier
from cedplans.exports import atomic_file
from cedplans.matching import distance_words
from cedplans.pdf_layout import Layout
from cedplans.templates_env import TEMPLATES

FORMATS = ("pdf", "html", "gpkg")
GPKG_LAYERS = ("site", "boundaries", "assets_nearby", "features_nearby", "needs_offers_nearby", "matches")
"""Spatial layers every dossier GeoPackage holds (each may be empty); ``plans``,
``decisions`` and ``dossier`` are attribute tables (the decisions' reasons only in a
confidential copy), and ``confidential_notes`` is there only when asked for."""

CONFIDENTIAL_TITLE = "Confidential: officers only"


@dataclass(frozen=True)
class Section:
    """One part of the dossier's reports: a heading, sentences, and a table."""

    title: str
    lines: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    widths_mm: list[float] = field(default_factory=list)
    empty: str = ""
    confidential: bool = False


def _size(item: Any, currency: str) -> str:
    parts = []
    if item.area_m2:
        parts.append(area_words(item.area_m2))
    if item.quantity:
        parts.append(f"{item.quantity:,.0f} {item.unit or ''}".strip())
    if item.annual_value:
        parts.append(f"{money(item.annual_value, currency)} a year")
    return "; ".join(parts)


def sections(d: Dossier) -> list[Section]:
    """The dossier as the reports show it, in order."""
    f = d.feature
    facts = [
        ["Site", f.name or f"site {f.id}"], ["Kind", f.kind.replace("_", " ")], ["Land use", f.land_use or ""],
        ["Status", f.status.replace("_", " ")],
        ["Area", "" if d.area_m2 is None else f"{d.area_m2:,.0f} m² ({d.area_m2 / 10_000:,.2f} ha)"],
        ["Owner", d.owner or "not recorded"],
        ["Lies in", "; ".join(f"{b.name} ({b.level})" for b in d.boundaries) or "no recorded area"],
        ["Asset of Community Value", d.acv.words() if d.acv else "Not recorded by an officer yet."],
        ["Description", f.description or ""],
    ]
    out = [Section("The site", header=["", ""], rows=facts, widths_mm=[45, 125])]
    out.append(Section(
        "Plans and community evidence",
        lines=["Contributors counts named authors, anonymous ideas and voting devices: about how many people took "
               "part."] if d.plans else [],
        header=["Plan", "Status", "Ideas", "Votes", "Contributors", "Partners committed"],
        rows=[[p.title, f"{p.status} (v{p.version})", str(p.ideas), str(p.votes), str(p.contributors),
               "; ".join(f"{n} ({r})" for n, r in p.partners)] for p in d.plans],
        widths_mm=[45, 22, 12, 12, 20, 59], empty="No plan in the atlas is about this site yet."))
    for title, assets in (("Macro (anchor) assets nearby", d.macro), ("Micro (community) assets nearby", d.micro)):
        out.append(Section(f"{title}: within {d.radius_m:,.0f} m", header=["Asset", "Sector", "Category", "Distance"],
                           rows=[[a.name, a.sector or "", a.category or "", distance_words(a.distance_m)]
                                 for a in assets], widths_mm=[80, 25, 40, 25], empty="None."))
    out.append(Section(
        f"Open needs and offers within {d.radius_m:,.0f} m",
        header=["", "Asset", "Kind", "What", "Size", "Distance"],
        rows=[[n.item.side, n.item.asset_name, n.item.kind, n.item.title, _size(n.item, d.currency),
               distance_words(n.distance_m)] for n in d.needs_offers],
        widths_mm=[12, 36, 21, 55, 26, 20], empty="No open needs or offers nearby."))
    decided = {(x.need_id, x.offer_id): x for x in d.decisions}
    rows = []
    for m in d.matches:
        decision = decided.get((m.need.id, m.offer.id))
        state = "" if decision is None else decision.decision
        rows.append([f"{m.score:.2f}", m.why, " ".join(m.gaps) or "—", state])
    out.append(Section("Matches that involve the site or its owner",
                       lines=["Each match says why it was suggested and what does not fit; scores run from 0 to 1."],
                       header=["Score", "Why", "What does not fit", "Decision"], rows=rows,
                       widths_mm=[15, 76, 58, 21], empty="No match involves this site yet."))
    if d.decisions:
        out.append(Section(
            "Decisions taken", header=["Decision", "Need", "Offer", "By", "On", "Reason"],
            rows=[[x.decision, str(x.need_id), str(x.offer_id), x.decided_by, f"{x.decided_at:%d %b %Y}",
                   x.reason if x.reason is not None else WITHHELD] for x in d.decisions],
            widths_mm=[20, 14, 14, 30, 22, 70], confidential=d.include_confidential))
    out.append(Section(f"Sites and land within {d.radius_m:,.0f} m",
                       header=["Site", "Kind", "Status", "Area", "Distance"],
                       rows=[[x.name or "unnamed", x.kind.replace("_", " "), x.status.replace("_", " "),
                              area_words(x.area_m2) if x.area_m2 else "", distance_words(x.distance_m)]
                             for x in d.nearby.features], widths_mm=[70, 25, 25, 25, 25], empty="None."))
    if d.notes is None:
        out.append(Section("Officers' notes", lines=["Confidential notes are not included in this copy."]))
    else:
        out.append(Section(CONFIDENTIAL_TITLE, lines=["These notes are confidential. Do not share this copy."],
                           header=["Written", "By", "Note"],
                           rows=[[f"{n.created_at:%d %b %Y}", n.author, n.note] for n in d.notes],
                           widths_mm=[22, 30, 118], empty="No notes yet.", confidential=True))
    return out


def _footer(d: Dossier) -> str:
    return (f"Dossier made by Asset Atlas on {d.generated_at:%d %B %Y %H:%M} UTC. Areas and distances are measured "
            f"in EPSG:{d.metric_epsg}." + (f" {d.place}." if d.place else ""))


# -- PDF ---------------------------------------------------------------------------------------

def render_pdf(d: Dossier) -> bytes:
    layout = Layout()
    p = layout.p
    title = f"Site dossier: {d.feature.name or 'site ' + str(d.feature.id)}"
    story: list = [p(title, "title")]
    if d.include_confidential:
        story.append(p(f"{CONFIDENTIAL_TITLE}: this copy holds confidential notes.", "warning"))
    story += [Spacer(1, 2 * mm), Image(io.BytesIO(d.map_png), width=160 * mm, height=120 * mm)]
    for s in sections(d):
        story.append(p(s.title, "h2"))
        story += [p(line, "warning" if s.confidential else "small") for line in s.lines]
        if s.rows:
            story.append(layout.table(s.header, s.rows, s.widths_mm))
        elif s.empty:
            story.append(p(s.empty))
    story += [Spacer(1, 4 * mm), p(_footer(d), "small")]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title=title, subject="Site dossier", creator="Asset Atlas").build(story)
    return buf.getvalue()


# -- HTML --------------------------------------------------------------------------------------



def render_html(d: Dossier) -> str:
    """One self-contained HTML page (map embedded); every stored text is escaped."""
    return TEMPLATES.get_template("dossier.html.j2").render(
        d=d, sections=sections(d), footer=_footer(d), confidential_title=CONFIDENTIAL_TITLE,
        map_b64=base64.b64encode(d.map_png).decode("ascii"),
    )


# -- GeoPackage ----------------------------------------------------------------------------------

def _write(frame: gpd.GeoDataFrame, path: Path, layer: str, geometry_type: str) -> None:
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", geometry_type=geometry_type)


def _layer(rows: Sequence[dict[str, Any]], columns: Sequence[str], epsg: int) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns},
                                geometry=gpd.GeoSeries([], crs=epsg), crs=epsg)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).to_crs(epsg)


def _multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else
                          shapely.MultiLineString([g]) if type(g) is shapely.LineString else g for g in geoms],
                         index=geoms.index, crs=geoms.crs)


def write_gpkg(d: Dossier, path: Path) -> None:
    epsg = d.metric_epsg
    f = d.feature
    site = _layer([{"feature_id": f.id, "name": f.name, "kind": f.kind, "land_use": f.land_use, "status": f.status,
                    "area_m2": d.area_m2, "owner": d.owner, "acv_status": d.acv.acv_status if d.acv else None,
                    "geometry": f.geom}], [], epsg)
    dimension = shapely.get_dimensions(site.geometry.iloc[0])
    if dimension > 0:
        site["geometry"] = _multi(site.geometry)
        site_type = "MultiPolygon" if dimension == 2 else "MultiLineString"
    else:
        site_type = "Point" if site.geometry.iloc[0].geom_type == "Point" else "MultiPoint"
    _write(site, path, "site", site_type)
    boundaries = _layer([{"boundary_id": b.id, "name": b.name, "level": b.level, "code": b.code, "geometry": b.geom}
                         for b in d.boundaries], ["boundary_id", "name", "level", "code"], epsg)
    boundaries["geometry"] = _multi(boundaries.geometry)
    _write(boundaries, path, "boundaries", "MultiPolygon")
    _write(_layer([{"asset_id": a.id, "name": a.name, "scale": a.scale, "sector": a.sector, "category": a.category,
                    "distance_m": round(a.distance_m, 1), "geometry": a.geom} for a in d.nearby.assets],
                  ["asset_id", "name", "scale", "sector", "category", "distance_m"], epsg),
           path, "assets_nearby", "Point")
    areas = [x for x in d.nearby.features if shapely.get_dimensions(x.geom) == 2]
    features = _layer([{"feature_id": x.id, "name": x.name, "kind": x.kind, "status": x.status, "area_m2": x.area_m2,
                        "distance_m": round(x.distance_m, 1), "geometry": x.geom} for x in areas],
                      ["feature_id", "name", "kind", "status", "area_m2", "distance_m"], epsg)
    features["geometry"] = _multi(features.geometry)
    _write(features, path, "features_nearby", "MultiPolygon")
    _write(_layer([{"id": n.item.id, "side": n.item.side, "asset_id": n.item.asset_id, "asset": n.item.asset_name,
                    "kind": n.item.kind, "title": n.item.title, "status": n.item.status, "area_m2": n.item.area_m2,
                    "quantity": n.item.quantity, "unit": n.item.unit, "annual_value": n.item.annual_value,
                    "distance_m": round(n.distance_m, 1), "geometry": shapely.Point(n.item.lon, n.item.lat)}
                   for n in d.needs_offers],
                  ["id", "side", "asset_id", "asset", "kind", "title", "status", "area_m2", "quantity", "unit",
                   "annual_value", "distance_m"], epsg), path, "needs_offers_nearby", "Point")
    _write(_layer([{"need_id": m.need.id, "need": m.need.title, "need_asset": m.need.asset_name,
                    "offer_id": m.offer.id, "offer": m.offer.title, "offer_asset": m.offer.asset_name,
                    "score": m.score, "distance_m": m.distance_m, "why": m.why, "gaps": "; ".join(m.gaps),
                    "geometry": shapely.LineString([(m.offer.lon, m.offer.lat), (m.need.lon, m.need.lat)])}
                   for m in d.matches],
                  ["need_id", "need", "need_asset", "offer_id", "offer", "offer_asset", "score", "distance_m", "why",
                   "gaps"], epsg), path, "matches", "LineString")
    plans = pd.DataFrame([{"plan_id": p.id, "title": p.title, "status": p.status, "version": p.version,
                           "ideas": p.ideas, "votes": p.votes, "contributors": p.contributors,
                           "partners": json.dumps(p.partners, ensure_ascii=False)} for p in d.plans],
                         columns=["plan_id", "title", "status", "version", "ideas", "votes", "contributors",
                                  "partners"])
    pyogrio.write_dataframe(plans, path, layer="plans", driver="GPKG")
    acv = d.acv
    summary = {"feature_id": f.id, "site": f.name, "radius_m": d.radius_m, "metric_crs": f"EPSG:{epsg}",
               "generated_at": d.generated_at.isoformat(timespec="seconds"),
               "acv": acv.words() if acv else None, "includes_confidential": d.include_confidential}
    pyogrio.write_dataframe(pd.DataFrame([summary]), path, layer="dossier", driver="GPKG")
    # Decisions on the matches: their reasons only in a confidential copy (None otherwise).
    pyogrio.write_dataframe(pd.DataFrame([{"need_id": x.need_id, "offer_id": x.offer_id, "decision": x.decision,
                                           "decided_by": x.decided_by,
                                           "decided_at": x.decided_at.isoformat(timespec="seconds"),
                                           "reason": x.reason} for x in d.decisions],
                                         columns=["need_id", "offer_id", "decision", "decided_by", "decided_at",
                                                  "reason"]),
                            path, layer="decisions", driver="GPKG")
    if d.notes is not None:
        notes = pd.DataFrame([{"written": n.created_at.isoformat(timespec="seconds"), "author": n.author,
                               "note": n.note} for n in d.notes], columns=["written", "author", "note"])
        pyogrio.write_dataframe(notes, path, layer="confidential_notes", driver="GPKG")


# -- one entry point -----------------------------------------------------------------------------

def fmt_of(path: str | Path, fmt: str | None = None) -> str:
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise InvalidInput(f"A dossier is written as {', '.join(FORMATS)}: name the file with one of those endings "
                           f"(not {Path(path).name!r}).")
    return chosen


def render(d: Dossier, fmt: str) -> bytes:
    """The dossier as the bytes of a PDF, HTML or GeoPackage file (for downloads)."""
    if fmt == "pdf":
        return render_pdf(d)
    if fmt == "html":
        return render_html(d).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="atlas-dossier-") as folder:
        path = Path(folder) / "dossier.gpkg"
        write_gpkg(d, path)
        return path.read_bytes()


def export_dossier(store: Store, site_ref: SiteQuery | int, path: str | Path, *, fmt: str | None = None,
                   radius_m: float | None = None, viewer: Viewer = PUBLIC,
                   dossier: Dossier | None = None) -> Path:
    """Write the dossier of ``site_ref`` to ``path`` as PDF, HTML or GeoPackage (by its
    ending, or ``fmt``). Confidential notes only for a ``viewer`` who may see them."""
    chosen = fmt_of(path, fmt)
    if dossier is None:
        dossier = build_dossier(store, site_ref, viewer=viewer,
                                radius_m=DEFAULT_RADIUS_M if radius_m is None else radius_m)
    with atomic_file(path, f".{chosen}") as tmp:
        if chosen == "gpkg":
            write_gpkg(dossier, tmp)
        else:
            tmp.write_bytes(render(dossier, chosen))
    return Path(path)
