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
from atlas.confidential import WITHHELD
from atlas.errors import InvalidInput
from atlas.i18n import N_, Translator
from atlas.models import VALUE_LABELS
from atlas.projection import WGS84
from atlas.site_refs import SiteQuery
from atlas.store import Store
from cedplans.dossier import DEFAULT_RADIUS_M, Dossier, build_dossier
from cedplans.exports import atomic_file
from cedplans.html_report import when
from cedplans.pdf_layout import Layout
from cedplans.templates_env import render as render_template
from cedplans.templates_env import report_translator
from cedplans.walking_catchment import walking_section

FORMATS = ("pdf", "html", "gpkg")
GPKG_LAYERS = ("site", "boundaries", "assets_nearby", "features_nearby", "needs_offers_nearby", "matches",
               "walking_catchment")
"""Spatial layers every dossier GeoPackage holds (each may be empty: ``walking_catchment``
when the store has no walking network); ``plans``,
``decisions`` and ``dossier`` are attribute tables (the decisions' reasons only in a
confidential copy), and ``confidential_notes`` is there only when asked for."""

CONFIDENTIAL_TITLE = N_("Confidential: officers only")


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


def _word(tr: Translator, value: str | None) -> str:
    """A stored value of a fixed list (a kind, a status, a side) as the reader reads it."""
    if not value:
        return ""
    label = VALUE_LABELS.get(value) or _DECISIONS.get(value)
    return tr.gettext(label) if label else value.replace("_", " ")


_DECISIONS = {"accepted": N_("accepted"), "rejected": N_("rejected")}


def _size(item: Any, currency: str, tr: Translator) -> str:
    parts = []
    if item.area_m2:
        parts.append(tr.area_m2(item.area_m2))
    if item.quantity:
        parts.append(f"{tr.number(item.quantity)} {item.unit or ''}".strip())
    if item.annual_value:
        parts.append(tr.gettext("{amount} a year").format(amount=tr.money(item.annual_value, currency)))
    return "; ".join(parts)


def _area(tr: Translator, m2: float | None) -> str:
    if m2 is None:
        return ""
    return tr.gettext("{m2} m² ({ha} ha)").format(m2=tr.number(m2), ha=tr.number(m2 / 10_000, digits=2))


def sections(d: Dossier, language: str | None = None) -> list[Section]:
    """The dossier as the reports show it, in order, in ``language`` (None: the language
    it was gathered for)."""
    tr = report_translator(language, d.language)
    _ = tr.gettext
    f = d.feature
    radius = tr.number(d.radius_m)
    facts = [
        [_("Site"), f.name or _("site {id}").format(id=f.id)], [_("Kind"), _word(tr, f.kind)],
        [_("Land use"), f.land_use or ""], [_("Status"), _word(tr, f.status)],
        [_("Area"), _area(tr, d.area_m2)],
        [_("Owner"), d.owner or _("not recorded")],
        [_("Lies in"), "; ".join(f"{b.name} ({b.level})" for b in d.boundaries) or _("no recorded area")],
        [_("Asset of Community Value"), d.acv.words() if d.acv else _("Not recorded by an officer yet.")],
        [_("Description"), f.description or ""],
    ]
    out = [Section(_("The site"), header=["", ""], rows=facts, widths_mm=[45, 125])]
    out.append(Section(
        _("Plans and community evidence"),
        lines=[_("Contributors counts named authors, anonymous ideas and voting devices: about how many people "
                 "took part.")] if d.plans else [],
        header=[_("Plan"), _("Status"), _("Ideas"), _("Votes"), _("Contributors"), _("Partners committed")],
        rows=[[p.title, _("{status} (v{version})").format(status=_word(tr, p.status), version=p.version),
               tr.number(p.ideas), tr.number(p.votes), tr.number(p.contributors),
               "; ".join(f"{n} ({_word(tr, r)})" for n, r in p.partners)] for p in d.plans],
        widths_mm=[45, 22, 12, 12, 20, 59], empty=_("No plan in the atlas is about this site yet.")))
    for title, assets in ((_("Macro (anchor) assets nearby: within {radius} m"), d.macro),
                          (_("Micro (community) assets nearby: within {radius} m"), d.micro)):
        out.append(Section(title.format(radius=radius), header=[_("Asset"), _("Sector"), _("Category"), _("Distance")],
                           rows=[[a.name, _word(tr, a.sector), a.category or "", tr.distance_m(a.distance_m)]
                                 for a in assets], widths_mm=[80, 25, 40, 25], empty=_("None.")))
    walk = walking_section(tr, d.walking, network=d.walking is not None)
    if walk is not None:
        out.append(Section(walk.title, lines=walk.lines, header=walk.header, rows=walk.rows,
                           widths_mm=[62, 20, 63, 25], empty=walk.empty))
    out.append(Section(
        _("Open needs and offers within {radius} m").format(radius=radius),
        header=["", _("Asset"), _("Kind"), _("What"), _("Size"), _("Distance")],
        rows=[[_word(tr, n.item.side), n.item.asset_name, _word(tr, n.item.kind), n.item.title,
               _size(n.item, d.currency, tr), tr.distance_m(n.distance_m)] for n in d.needs_offers],
        widths_mm=[12, 36, 21, 55, 26, 20], empty=_("No open needs or offers nearby.")))
    decided = {(x.need_id, x.offer_id): x for x in d.decisions}
    rows = []
    for m in d.matches:
        decision = decided.get((m.need.id, m.offer.id))
        state = "" if decision is None else _word(tr, decision.decision)
        rows.append([tr.number(m.score, digits=2), m.why, " ".join(m.gaps) or "—", state])
    out.append(Section(_("Matches that involve the site or its owner"),
                       lines=[_("Each match says why it was suggested and what does not fit; scores run from 0 "
                                "to 1.")],
                       header=[_("Score"), _("Why"), _("What does not fit"), _("Decision")], rows=rows,
                       widths_mm=[15, 76, 58, 21], empty=_("No match involves this site yet.")))
    if d.decisions:
        out.append(Section(
            _("Decisions taken"), header=[_("Decision"), _("Need"), _("Offer"), _("By"), _("On"), _("Reason")],
            rows=[[_word(tr, x.decision), str(x.need_id), str(x.offer_id), x.decided_by, tr.date(x.decided_at),
                   x.reason if x.reason is not None else tr.gettext(WITHHELD)] for x in d.decisions],
            widths_mm=[20, 14, 14, 30, 22, 70], confidential=d.include_confidential))
    out.append(Section(_("Sites and land within {radius} m").format(radius=radius),
                       header=[_("Site"), _("Kind"), _("Status"), _("Area"), _("Distance")],
                       rows=[[x.name or _("unnamed"), _word(tr, x.kind), _word(tr, x.status),
                              tr.area_m2(x.area_m2) if x.area_m2 else "", tr.distance_m(x.distance_m)]
                             for x in d.nearby.features], widths_mm=[70, 25, 25, 25, 25], empty=_("None.")))
    if d.notes is None:
        out.append(Section(_("Officers' notes"), lines=[_("Confidential notes are not included in this copy.")]))
    else:
        out.append(Section(tr.gettext(CONFIDENTIAL_TITLE),
                           lines=[_("These notes are confidential. Do not share this copy.")],
                           header=[_("Written"), _("By"), _("Note")],
                           rows=[[tr.date(n.created_at), n.author, n.note] for n in d.notes],
                           widths_mm=[22, 30, 118], empty=_("No notes yet."), confidential=True))
    return out


def _footer(d: Dossier, tr: Translator) -> str:
    return (tr.gettext("Dossier made by Asset Atlas on {when} UTC. Areas and distances are measured in "
                       "EPSG:{epsg}.").format(when=when(tr, d.generated_at), epsg=d.metric_epsg)
            + (f" {d.place}." if d.place else ""))


def _title(d: Dossier, tr: Translator) -> str:
    site = d.feature.name or tr.gettext("site {id}").format(id=d.feature.id)
    return tr.gettext("Site dossier: {site}").format(site=site)


# -- PDF ---------------------------------------------------------------------------------------

def render_pdf(d: Dossier, language: str | None = None) -> bytes:
    """The dossier as PDF bytes, in ``language`` (None: the language it was gathered for)."""
    tr = report_translator(language, d.language)
    layout = Layout(rtl=tr.rtl)
    p = layout.p
    title = _title(d, tr)
    story: list = [p(title, "title")]
    if d.include_confidential:
        story.append(p(tr.gettext("{title}: this copy holds confidential notes.").format(
            title=tr.gettext(CONFIDENTIAL_TITLE)), "warning"))
    story += [Spacer(1, 2 * mm), Image(io.BytesIO(d.map_png), width=160 * mm, height=120 * mm)]
    for s in sections(d, tr.code):
        story.append(p(s.title, "h2"))
        story += [p(line, "warning" if s.confidential else "small") for line in s.lines]
        if s.rows:
            story.append(layout.table(s.header, s.rows, s.widths_mm))
        elif s.empty:
            story.append(p(s.empty))
    story += [Spacer(1, 4 * mm), p(_footer(d, tr), "small")]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title=title, subject=tr.gettext("Site dossier"), creator="Asset Atlas",
                      lang=tr.code).build(story)
    return buf.getvalue()


# -- HTML --------------------------------------------------------------------------------------

def render_html(d: Dossier, language: str | None = None) -> str:
    """One self-contained HTML page (map embedded); every stored text is escaped. In
    ``language`` (None: the language it was gathered for)."""
    tr = report_translator(language, d.language)
    return render_template(
        "dossier.html.j2", tr, d=d, title=_title(d, tr), sections=sections(d, tr.code), footer=_footer(d, tr),
        confidential_title=tr.gettext(CONFIDENTIAL_TITLE), radius=tr.distance_m(d.radius_m),
        site=d.feature.name, map_b64=base64.b64encode(d.map_png).decode("ascii"),
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
    walks = {} if d.walking is None else {a.id: w for a, w in (*d.walking.assets, *d.walking.beyond)}
    assets = _layer([{"asset_id": a.id, "name": a.name, "scale": a.scale, "sector": a.sector, "category": a.category,
                      "distance_m": round(a.distance_m, 1), "geometry": a.geom} for a in d.nearby.assets],
                    ["asset_id", "name", "scale", "sector", "category", "distance_m"], epsg)
    # Walks along streets and paths beside the straight line: empty without a walking network,
    # or for an asset the network does not reach.
    for column, value in (("walk_m", lambda w: w.walk_m), ("walk_min", lambda w: w.walk_min),
                          ("snap_m", lambda w: w.snap_m)):
        assets[column] = pd.Series([None if (w := walks.get(i)) is None or value(w) is None else round(value(w), 1)
                                    for i in assets["asset_id"]], index=assets.index, dtype="float64")
    assets["far_from_street"] = pd.Series([None if (w := walks.get(i)) is None else w.far_from_street
                                           for i in assets["asset_id"]], index=assets.index, dtype="boolean")
    _write(assets, path, "assets_nearby", "Point")
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
    catchment = d.walking.catchment if d.walking is not None else None
    walked = _layer([] if catchment is None or catchment.area.is_empty else
                    [{"minutes": catchment.minutes, "speed_kmh": catchment.speed_kmh, "geometry": catchment.area}],
                    ["minutes", "speed_kmh"], epsg)
    walked["geometry"] = _multi(walked.geometry)
    _write(walked, path, "walking_catchment", "MultiPolygon")
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


def render(d: Dossier, fmt: str, language: str | None = None) -> bytes:
    """The dossier as the bytes of a PDF, HTML or GeoPackage file (for downloads); the
    reports in ``language`` (None: the language it was gathered for)."""
    if fmt == "pdf":
        return render_pdf(d, language)
    if fmt == "html":
        return render_html(d, language).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="atlas-dossier-") as folder:
        path = Path(folder) / "dossier.gpkg"
        write_gpkg(d, path)
        return path.read_bytes()


def export_dossier(store: Store, site_ref: SiteQuery | int, path: str | Path, *, fmt: str | None = None,
                   radius_m: float | None = None, viewer: Viewer = PUBLIC,
                   dossier: Dossier | None = None, language: str | None = None) -> Path:
    """Write the dossier of ``site_ref`` to ``path`` as PDF, HTML or GeoPackage (by its
    ending, or ``fmt``). Confidential notes only for a ``viewer`` who may see them. The
    reports are in ``language`` (None: the place's default language)."""
    chosen = fmt_of(path, fmt)
    if dossier is None:
        dossier = build_dossier(store, site_ref, viewer=viewer,
                                radius_m=DEFAULT_RADIUS_M if radius_m is None else radius_m, language=language)
    with atomic_file(path, f".{chosen}") as tmp:
        if chosen == "gpkg":
            write_gpkg(dossier, tmp)
        else:
            tmp.write_bytes(render(dossier, chosen, language))
    return Path(path)
