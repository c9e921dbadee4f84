"""The plan's map as a PNG, drawn by our own code so a report needs no tiles or network.

Two panels, both in the store's metric CRS so shapes are true and scale bars are in
metres: on the left the site and its numbered zones (numbers match the report's zone
table) with the workshop ideas; on the right the setting, with the macro and micro
assets within the report's radius and the partners ringed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import geopandas as gpd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely.geometry.base import BaseGeometry

from atlas.ground.walking import Catchment
from atlas.i18n import Translator, translator
from atlas.models import NearbyResult, Site, value_label
from atlas.needs_offers import NearbyNeedOffer
from atlas.projection import WGS84, reproject
from cedplans import colours
from cedplans.model import ZONE_USES, Idea, Partner, Plan
from cedplans.walking_catchment import minutes_words

WALK_COLOUR = "#88CCEE"
"""The walking catchment's wash: the light cyan of the same colour-blind-safe palette as the
asset symbols, pale enough for them to stand out on it."""

SITE_MARGIN_M = 25.0
"""Space left around the site and zones in the left panel, in metres."""

_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


def plan_map_png(plan: Plan, *, epsg: int, site: BaseGeometry | None, nearby: NearbyResult | None,
                 partners: Sequence[tuple[Partner, BaseGeometry | None]],
                 ideas: Sequence[tuple[Idea, BaseGeometry | None]],
                 width_in: float = 10.0, height_in: float = 5.6, dpi: int = 150,
                 tr: Translator | None = None, catchment: Catchment | None = None) -> bytes:
    """A PNG map of the plan. Geometries come in WGS84 and are drawn in ``epsg`` (metres),
    its words in the language of ``tr`` (English when None); ``catchment``, the walking
    catchment, is washed in under the assets on the right."""
    tr = tr or translator(None)
    _ = tr.gettext
    def m(g: BaseGeometry) -> BaseGeometry:
        return reproject(g, WGS84, epsg)

    site_m = m(site) if site is not None else None
    zones_m = [(i, z, m(z.geom)) for i, z in enumerate(plan.zones, 1)]
    ideas_m = [m(g) for _, g in ideas if g is not None]
    partners_m = [m(g) for _, g in partners if g is not None]
    assets_m = [(a.scale, m(a.geom)) for a in nearby.assets] if nearby else []
    features_m = [(f.kind, m(f.geom)) for f in nearby.features] if nearby else []

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    left = fig.add_axes((0.005, 0.16, 0.49, 0.78))
    right = fig.add_axes((0.505, 0.16, 0.49, 0.78))
    handles: list = []

    # Left: the site and zones, close up.
    _context(left, features_m)
    _site(left, site_m)
    for number, z, g in zones_m:
        _zone(left, z.use, g, number)
    if ideas_m:
        left.scatter(shapely.get_x(ideas_m), shapely.get_y(ideas_m), s=34, c=colours.IDEA_COLOUR, marker="^",
                     edgecolors="white", linewidths=0.6, zorder=10)
    close_up = [g for g in [site_m, *(g for _, _, g in zones_m)] if g is not None]
    _finish(left, close_up, SITE_MARGIN_M, _("Site and zones"), tr)

    # Right: the setting, with the assets around.
    _context(right, features_m)
    handles += _catchment(right, catchment, tr)
    _site(right, site_m)
    for _number, z, g in zones_m:
        _zone(right, z.use, g, None)
    for scale, colour, marker, size, label in (
            ("macro", colours.MACRO_COLOUR, "s", 40, _("Macro asset nearby ({count})")),
            ("micro", colours.MICRO_COLOUR, "o", 20, _("Micro asset nearby ({count})"))):
        pts = [g for s, g in assets_m if s == scale]
        if pts:
            right.scatter(shapely.get_x(pts), shapely.get_y(pts), s=size, c=colour, marker=marker,
                          edgecolors="white", linewidths=0.5, zorder=7)
            handles.append(Line2D([], [], color=colour, marker=marker, linestyle="",
                                  label=label.format(count=tr.number(len(pts)))))
    setting = close_up + [g for _, g in assets_m]
    if partners_m:
        right.scatter(shapely.get_x(partners_m), shapely.get_y(partners_m), s=120, facecolors="none",
                      edgecolors="#000000", linewidths=1.4, zorder=8)
        handles.append(Line2D([], [], color="#000000", marker="o", markerfacecolor="none", linestyle="",
                              label=_("Partner (ringed)")))
    title = (_("Assets within {distance}").format(distance=tr.distance_m(nearby.radius_m)) if nearby
             else _("Assets"))
    _finish(right, setting, 4 * SITE_MARGIN_M, title, tr)

    if site_m is not None:
        handles.insert(0, Line2D([], [], color=colours.SITE_COLOUR, linestyle="--", label=_("Site")))
    for use in dict.fromkeys(z.use for z in plan.zones):
        handles.append(Patch(facecolor=colours.zone_colour(use), alpha=0.7,
                             label=_("Zone: {use}").format(use=value_label(tr, use, ZONE_USES))))
    if ideas_m:
        handles.append(Line2D([], [], color=colours.IDEA_COLOUR, marker="^", linestyle="",
                              label=_("Idea pinned to a point ({count})").format(count=tr.number(len(ideas_m)))))
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), fontsize=7, frameon=False)
    _drawn_by(fig, epsg, tr)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _drawn_by(fig: Figure, epsg: int, tr: Translator) -> None:
    fig.text(0.995, 0.003, tr.gettext("Drawn by Asset Atlas in EPSG:{epsg}").format(epsg=epsg), fontsize=6,
             ha="right", va="bottom", color="#666666")


def _context(ax: Axes, features: Sequence[tuple[str, BaseGeometry]]) -> None:
    if not features:
        return
    frame = gpd.GeoDataFrame({"kind": [k for k, _ in features]}, geometry=[g for _, g in features])
    for kind, group in frame.groupby("kind"):
        group.plot(ax=ax, color=colours.FEATURE_FILLS.get(str(kind), "#EEEEEE"), edgecolor="#AAAAAA",
                   linewidth=0.4, zorder=1)


def _catchment(ax: Axes, catchment: Catchment | None, tr: Translator) -> list[Patch]:
    """The walking catchment washed in under everything but the land, and its legend entry."""
    if catchment is None or catchment.area_m.is_empty:
        return []
    gpd.GeoSeries([catchment.area_m]).plot(ax=ax, facecolor=WALK_COLOUR, alpha=0.35, edgecolor=WALK_COLOUR,
                                           linewidth=0.8, zorder=1.5)
    label = tr.gettext("{minutes} walk").format(minutes=minutes_words(tr, catchment.minutes))
    return [Patch(facecolor=WALK_COLOUR, alpha=0.6, edgecolor=WALK_COLOUR, label=label)]


def _site(ax: Axes, site: BaseGeometry | None) -> None:
    if site is not None:
        gpd.GeoSeries([site]).plot(ax=ax, facecolor="none", edgecolor=colours.SITE_COLOUR, linewidth=1.6,
                                   linestyle="--", zorder=3)


def _zone(ax: Axes, use: str, g: BaseGeometry, number: int | None) -> None:
    colour = colours.zone_colour(use)
    series = gpd.GeoSeries([g])
    dim = shapely.get_dimensions(g)
    if dim == 2:
        series.plot(ax=ax, color=colour, alpha=0.55, edgecolor=colour, linewidth=1.0, zorder=4)
    elif dim == 1:
        series.plot(ax=ax, color=colour, linewidth=3, zorder=5)
    else:
        series.plot(ax=ax, color=colour, marker="*", markersize=150, edgecolor="white", linewidth=0.8, zorder=6)
    if number is not None:
        at = g.interpolate(0.5, normalized=True) if dim == 1 else g.representative_point()
        ax.annotate(str(number), (at.x, at.y), fontsize=8, fontweight="bold", ha="center", va="center",
                    color="#111111", path_effects=_HALO, zorder=9)


def _finish(ax: Axes, geoms: Sequence[BaseGeometry], margin_m: float, title: str,
            tr: Translator | None = None) -> None:
    tr = tr or translator(None)
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title, fontsize=9, loc="left")
    if not geoms:
        ax.text(0.5, 0.5, tr.gettext("Nothing to map yet:\nchoose a site or draw zones."), ha="center", va="center",
                transform=ax.transAxes, fontsize=10, color="#555555")
        return
    minx, miny, maxx, maxy = shapely.GeometryCollection(list(geoms)).bounds
    minx, miny, maxx, maxy = minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m
    panel = ax.get_window_extent()  # the panel on the page, in pixels
    aspect = panel.width / panel.height
    w, h = maxx - minx, maxy - miny
    # Widen the short side so the frame fills the panel without distorting the map.
    if w / h < aspect:
        extra = (h * aspect - w) / 2
        minx, maxx = minx - extra, maxx + extra
    else:
        extra = (w / aspect - h) / 2
        miny, maxy = miny - extra, maxy + extra
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.add_patch(_border(minx, miny, maxx, maxy))
    _scale_bar(ax, tr)
    _north_arrow(ax, tr)


def _border(minx: float, miny: float, maxx: float, maxy: float) -> Patch:
    from matplotlib.patches import Rectangle

    return Rectangle((minx, miny), maxx - minx, maxy - miny, fill=False, edgecolor="#999999", linewidth=0.8,
                     zorder=11)


def _scale_bar(ax: Axes, tr: Translator) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice((x1 - x0) / 4)
    x, y = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05
    ax.plot([x, x + length], [y, y], color="#111111", linewidth=3, solid_capstyle="butt", zorder=10)
    label = tr.distance_m(length)
    ax.text(x + length / 2, y + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=7,
            path_effects=_HALO, zorder=10)


def _nice(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    power = 10 ** math.floor(math.log10(value))
    return max(s * power for s in (1, 2, 5) if s * power <= value)


def _north_arrow(ax: Axes, tr: Translator) -> None:
    # Translators: the letter on the map's north arrow (N for north).
    ax.annotate(tr.gettext("N"), xy=(0.94, 0.95), xytext=(0.94, 0.84), xycoords="axes fraction", ha="center",
                fontsize=9, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "#111111"}, zorder=10)


def site_map_png(site: Site, *, nearby: NearbyResult, needs_offers: Sequence[NearbyNeedOffer], epsg: int,
                 radius_m: float, width_in: float = 8.0, height_in: float = 6.0, dpi: int = 150,
                 tr: Translator | None = None, catchment: Catchment | None = None) -> bytes:
    """A PNG map of a site for its dossier: the site, the ring at ``radius_m`` metres from
    its edge, the land and buildings around, macro and micro assets, and the places of
    open needs and offers, and the walking ``catchment`` if there is one. Drawn in ``epsg``
    (metres), from ``site.geom_m`` and WGS84 rest; its words in the language of ``tr``
    (English when None)."""
    tr = tr or translator(None)
    _ = tr.gettext
    def m(g: BaseGeometry) -> BaseGeometry:
        return reproject(g, WGS84, epsg)

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes((0.01, 0.12, 0.98, 0.82))
    _context(ax, [(f.kind, m(f.geom)) for f in nearby.features])
    ring = site.geom_m.buffer(radius_m, quad_segs=16).boundary
    gpd.GeoSeries([ring]).plot(ax=ax, color="#777777", linewidth=0.9, linestyle=":", zorder=2)
    _site(ax, site.geom_m)
    gpd.GeoSeries([site.geom_m]).plot(ax=ax, facecolor=colours.SITE_COLOUR, alpha=0.12, zorder=2)
    handles: list = [Line2D([], [], color=colours.SITE_COLOUR, linestyle="--", label=site.name[:50]),
                     Line2D([], [], color="#777777", linestyle=":",
                            label=_("{distance} from the site").format(distance=tr.distance_m(radius_m))),
                     *_catchment(ax, catchment, tr)]
    for scale, colour, marker, size, label in (("macro", colours.MACRO_COLOUR, "s", 46, _("Macro asset ({count})")),
                                               ("micro", colours.MICRO_COLOUR, "o", 22, _("Micro asset ({count})"))):
        pts = [m(a.geom) for a in nearby.assets if a.scale == scale]
        if pts:
            ax.scatter(shapely.get_x(pts), shapely.get_y(pts), s=size, c=colour, marker=marker, edgecolors="white",
                       linewidths=0.5, zorder=7)
            handles.append(Line2D([], [], color=colour, marker=marker, linestyle="",
                                  label=label.format(count=tr.number(len(pts)))))
    for side, marker, label in (("need", "v", _("Open need ({count})")), ("offer", "^", _("Open offer ({count})"))):
        pts = [m(shapely.Point(n.item.lon, n.item.lat)) for n in needs_offers if n.item.side == side]
        if pts:
            # Hollow and under the asset symbols, so the asset each one belongs to shows inside it.
            ax.scatter(shapely.get_x(pts), shapely.get_y(pts), s=90, facecolors="none", edgecolors=colours.IDEA_COLOUR,
                       marker=marker, linewidths=1.0, zorder=6)
            handles.append(Line2D([], [], color=colours.IDEA_COLOUR, marker=marker, markerfacecolor="none",
                                  linestyle="", label=label.format(count=tr.number(len(pts)))))
    _finish(ax, [site.geom_m.buffer(radius_m)], 20.0,
            _("{site}: within {distance}").format(site=site.name, distance=tr.distance_m(radius_m)), tr)
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
    _drawn_by(fig, epsg, tr)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
