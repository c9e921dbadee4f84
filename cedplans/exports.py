"""A plan out of the atlas: GeoJSON, GeoPackage for QGIS, and a printable report (HTML, PDF).

Each export is written to a temporary file beside the target and moved into place at the
end, so a failed export never leaves half a file. Hidden workshop ideas are left out of
every export: they were hidden for a reason.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from atlas.errors import InvalidInput
from atlas.projection import WGS84
from atlas.store import Store
from cedplans import repository
from cedplans.colours import zone_colour
from cedplans.model import Plan

FORMATS = ("geojson", "gpkg", "html", "pdf")

GPKG_LAYERS = ("site", "zones", "ideas", "partners")
"""The spatial layers every plan GeoPackage holds (each may be empty). Zones drawn as lines
or points go to ``zone_lines`` and ``zone_points`` so each layer has one geometry type, as
QGIS expects; ``plan``, ``actions`` and ``indicators`` are attribute tables."""


@contextmanager
def atomic_file(path: str | Path, suffix: str) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only if the block succeeds."""
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder; give a file name such as plan{suffix}.")
    if not target.parent.exists():
        raise InvalidInput(f"The folder {target.parent} does not exist; create it first or choose another.")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL wants to create the file itself
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def export(store: Store, plan_id: int, path: str | Path, fmt: str, *, language: str | None = None) -> Path:
    """Export the plan in ``fmt`` (one of :data:`FORMATS`) to ``path``; the reports (HTML,
    PDF) in ``language`` (None: the place's default language). The data files (GeoJSON,
    GeoPackage) hold the plan as entered, with field names that do not change."""
    writers: dict[str, Callable[[Store, int, str | Path], Path]] = {
        "geojson": export_geojson, "gpkg": export_gpkg,
        "html": functools.partial(export_html, language=language),
        "pdf": functools.partial(export_pdf, language=language),
    }
    if fmt not in writers:
        raise InvalidInput(f"Cannot export to {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return writers[fmt](store, plan_id, path)


# -- rows shared by GeoJSON and GeoPackage ----------------------------------------------

def _rows(store: Store, plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Site, zones, ideas and partners as attribute dicts with a WGS84 ``geometry``."""
    assert plan.id is not None
    common = {"plan_id": plan.id, "plan_title": plan.title}
    site = repository.site_geometry(store, plan)
    site_rows = [] if site is None else [{
        **common, "name": plan.site_name, "status": plan.status,
        "source": "atlas site" if plan.site_feature_id is not None else "sketched for the plan",
        "feature_id": plan.site_feature_id, "geometry": site,
    }]
    zone_rows = [{
        **common, "zone_id": z.id, "name": z.label, "use": z.use, "description": z.description,
        "area_m2": z.area_m2, "length_m": z.length_m, "colour": zone_colour(z.use), "geometry": z.geom,
    } for z in plan.zones]
    idea_rows = []
    for idea in repository.list_ideas(store, plan.id):
        zone = plan.zone(idea.zone_id)
        idea_rows.append({
            **common, "idea_id": idea.id, "text": idea.text, "category": idea.category, "author": idea.by,
            "votes": idea.votes, "zone_id": idea.zone_id, "zone_name": zone.label if zone else None,
            "created_at": idea.created_at.isoformat(timespec="seconds"),
            "geometry": repository.idea_location(plan, idea),
        })
    partner_rows = [{
        **common, "asset_id": p.asset_id, "name": p.asset_name, "role": p.role, "note": p.note,
        "scale": a.scale, "sector": a.sector, "category": a.category, "geometry": a.geom,
    } for p, a in repository.partner_assets(store, plan) if a is not None]  # a gone asset has no place to draw
    return {"site": site_rows, "zones": zone_rows, "ideas": [r for r in idea_rows if r["geometry"] is not None],
            "partners": partner_rows}


def _plan_record(store: Store, plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id, "title": plan.title, "status": plan.status, "version": plan.version,
        "saved_by": plan.saved_by, "saved_at": plan.saved_at.isoformat(timespec="seconds") if plan.saved_at else None,
        "site": plan.site_name, "vision": plan.vision, "objectives": plan.objectives,
        "macro_assets": [{"asset_id": f.asset_id, "name": f.asset_name, "kind": f.kind, "text": f.text}
                         for f in plan.macro_focus],
        "actions": [{"id": a.id, "what": a.what, "who": a.who,
                     "by_when": a.by_when.isoformat() if a.by_when else None, "status": a.status}
                    for a in plan.actions],
        "indicators": [{"name": i.name, "unit": i.unit, "target": i.target, "actual": i.actual}
                       for i in plan.indicators],
        "metric_crs": f"EPSG:{store.metric_epsg}",
    }


# -- GeoJSON ----------------------------------------------------------------------------

def export_geojson(store: Store, plan_id: int, path: str | Path) -> Path:
    """One RFC 7946 FeatureCollection (WGS84): site, zones, ideas and partners, each
    feature's ``layer`` property saying which; the plan's words ride along as ``plan``."""
    plan = repository.get_plan(store, plan_id)
    features = []
    for layer, rows in _rows(store, plan).items():
        for row in rows:
            props = {k: v for k, v in row.items() if k != "geometry"}
            features.append({"type": "Feature", "properties": {"layer": layer, **props},
                             "geometry": mapping(row["geometry"])})
    data = {"type": "FeatureCollection", "name": plan.title, "plan": _plan_record(store, plan), "features": features}
    with atomic_file(path, ".geojson") as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    return Path(path)


# -- GeoPackage -------------------------------------------------------------------------

_GEOMETRY_TYPES = {"site": None, "zones": "MultiPolygon", "zone_lines": "MultiLineString",
                   "zone_points": "Point", "ideas": "Point", "partners": "Point"}

_EMPTY_COLUMNS = {
    "site": ["plan_id", "plan_title", "name", "status", "source", "feature_id"],
    "zones": ["plan_id", "plan_title", "zone_id", "name", "use", "description", "area_m2", "length_m", "colour"],
    "ideas": ["plan_id", "plan_title", "idea_id", "text", "category", "author", "votes", "zone_id", "zone_name",
              "created_at"],
    "partners": ["plan_id", "plan_title", "asset_id", "name", "role", "note", "scale", "sector", "category"],
}


def export_gpkg(store: Store, plan_id: int, path: str | Path) -> Path:
    """A GeoPackage for QGIS in the store's metric CRS (so QGIS measures in metres).

    Layers: ``site``, ``zones`` (areas), ``ideas`` and ``partners`` (asset locations), plus
    ``zone_lines`` / ``zone_points`` when the plan has such zones, and the attribute
    tables ``plan``, ``actions`` and ``indicators``.
    """
    plan = repository.get_plan(store, plan_id)
    epsg = store.metric_epsg
    rows = _rows(store, plan)
    zones = rows.pop("zones")
    layers = {**rows}
    layers["zones"] = [r for r in zones if shapely.get_dimensions(r["geometry"]) == 2]
    lines = [r for r in zones if shapely.get_dimensions(r["geometry"]) == 1]
    points = [r for r in zones if shapely.get_dimensions(r["geometry"]) == 0]
    if lines:
        layers["zone_lines"] = lines
    if points:
        layers["zone_points"] = points
    record = _plan_record(store, plan)
    with atomic_file(path, ".gpkg") as tmp:
        for name in ("site", "zones", "zone_lines", "zone_points", "ideas", "partners"):
            if name not in layers:
                continue
            gdf = _frame(layers[name], _EMPTY_COLUMNS.get(name, _EMPTY_COLUMNS["zones"]), epsg)
            geometry_type = _GEOMETRY_TYPES[name] or _site_type(gdf.geometry)
            if geometry_type.startswith("Multi"):
                gdf["geometry"] = _promote(gdf.geometry)
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", geometry_type=geometry_type)
        plan_row = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                    for k, v in record.items() if k not in ("actions", "indicators")}
        pyogrio.write_dataframe(pd.DataFrame([plan_row]), tmp, layer="plan", driver="GPKG")
        pyogrio.write_dataframe(pd.DataFrame(record["actions"], columns=["id", "what", "who", "by_when", "status"]),
                                tmp, layer="actions", driver="GPKG")
        pyogrio.write_dataframe(pd.DataFrame(record["indicators"], columns=["name", "unit", "target", "actual"]),
                                tmp, layer="indicators", driver="GPKG")
    return Path(path)


def _frame(rows: list[dict[str, Any]], columns: list[str], epsg: int) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns},
                                geometry=gpd.GeoSeries([], crs=epsg), crs=epsg)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    return gdf.to_crs(epsg)


def _site_type(geoms: gpd.GeoSeries) -> str:
    if not len(geoms):
        return "MultiPolygon"
    dim = shapely.get_dimensions(geoms.iloc[0])
    if dim == 0:
        return "Point" if geoms.iloc[0].geom_type == "Point" else "MultiPoint"
    return "MultiPolygon" if dim == 2 else "MultiLineString"


def _promote(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Single polygons and lines as one-part multi-geometries, so the layer has one type."""
    def multi(g: BaseGeometry) -> BaseGeometry:
        if isinstance(g, shapely.Polygon):
            return shapely.MultiPolygon([g])
        if type(g) is shapely.LineString:  # not a LinearRing, its subclass
            return shapely.MultiLineString([g])
        return g

    return gpd.GeoSeries([multi(g) for g in geoms], index=geoms.index, crs=geoms.crs)


# -- reports ----------------------------------------------------------------------------

def export_html(store: Store, plan_id: int, path: str | Path, *, language: str | None = None) -> Path:
    """The printable report as one self-contained HTML file (map embedded), in ``language``
    (None: the place's default language)."""
    from cedplans.html_report import render_html
    from cedplans.report import build_report

    html = render_html(build_report(store, plan_id, language=language), epsg=store.metric_epsg)
    with atomic_file(path, ".html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)


def export_pdf(store: Store, plan_id: int, path: str | Path, *, language: str | None = None) -> Path:
    """The printable report as an A4 PDF, in ``language`` (None: the place's default language)."""
    from cedplans.pdf_report import render_pdf
    from cedplans.report import build_report

    pdf = render_pdf(build_report(store, plan_id, language=language), epsg=store.metric_epsg)
    with atomic_file(path, ".pdf") as tmp:
        tmp.write_bytes(pdf)
    return Path(path)
