"""A plan version as a plain JSON document, and back.

Each saved version keeps the whole plan as one document, so any version can be shown,
compared or restored exactly as it was. Geometries are GeoJSON in WGS84 with full float
precision, so a round trip gives back equal shapes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from cedplans.model import Action, Indicator, MacroFocus, Partner, Plan, Zone

DOCUMENT_FORMAT = 1
"""Bumped if the document's layout ever changes, so old versions can still be read."""


def to_document(plan: Plan) -> dict[str, Any]:
    """The plan's content (not its id, version or save details) as JSON-ready data."""
    return {
        "format": DOCUMENT_FORMAT,
        "title": plan.title,
        "status": plan.status,
        "site": {
            "feature_id": plan.site_feature_id,
            "name": plan.site_name,
            "geometry": _geojson(plan.site_geom) if plan.site_feature_id is None else None,
        },
        "macro_focus": [
            {"asset_id": f.asset_id, "asset_name": f.asset_name, "kind": f.kind, "text": f.text}
            for f in plan.macro_focus
        ],
        "vision": plan.vision,
        "objectives": list(plan.objectives),
        "partners": [
            {"asset_id": p.asset_id, "asset_name": p.asset_name, "role": p.role, "note": p.note}
            for p in plan.partners
        ],
        "actions": [
            {"id": a.id, "what": a.what, "who": a.who,
             "by_when": a.by_when.isoformat() if a.by_when else None, "status": a.status}
            for a in plan.actions
        ],
        "zones": [
            {"id": z.id, "name": z.name, "use": z.use, "description": z.description,
             "area_m2": z.area_m2, "length_m": z.length_m, "geometry": _geojson(z.geom)}
            for z in plan.zones
        ],
        "indicators": [
            {"name": i.name, "unit": i.unit, "target": i.target, "actual": i.actual}
            for i in plan.indicators
        ],
    }


def from_document(doc: dict[str, Any]) -> Plan:
    """The plan a document holds (id and version are the caller's to fill)."""
    site = doc.get("site") or {}
    return Plan(
        title=doc["title"],
        status=doc["status"],
        site_feature_id=site.get("feature_id"),
        site_geom=_shape(site.get("geometry")),
        site_name=site.get("name") or "",
        macro_focus=[MacroFocus(asset_id=f["asset_id"], kind=f["kind"], text=f.get("text", ""),
                                asset_name=f.get("asset_name", "")) for f in doc.get("macro_focus", [])],
        vision=doc.get("vision", ""),
        objectives=list(doc.get("objectives", [])),
        partners=[Partner(asset_id=p["asset_id"], role=p["role"], note=p.get("note", ""),
                          asset_name=p.get("asset_name", "")) for p in doc.get("partners", [])],
        actions=[Action(what=a["what"], who=a.get("who", ""),
                        by_when=date.fromisoformat(a["by_when"]) if a.get("by_when") else None,
                        status=a.get("status", "to do"), id=a.get("id")) for a in doc.get("actions", [])],
        zones=[Zone(use=z["use"], geom=shape(z["geometry"]), name=z.get("name", ""),
                    description=z.get("description", ""), id=z.get("id"), area_m2=z.get("area_m2"),
                    length_m=z.get("length_m")) for z in doc.get("zones", [])],
        indicators=[Indicator(name=i["name"], unit=i.get("unit", ""), target=i.get("target"),
                              actual=i.get("actual")) for i in doc.get("indicators", [])],
    )


def dumps(doc: dict[str, Any]) -> str:
    """Compact JSON text of a document, non-ASCII letters kept as they are."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> dict[str, Any]:
    """A document from its JSON text."""
    return json.loads(text)


def _geojson(geom: BaseGeometry | None) -> dict[str, Any] | None:
    return None if geom is None else mapping(geom)


def _shape(data: dict[str, Any] | None) -> BaseGeometry | None:
    return None if data is None else shape(data)
