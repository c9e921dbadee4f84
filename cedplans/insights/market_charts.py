"""The market report's pictures as PNGs, drawn offline with matplotlib for the PDF and
HTML reports (the app draws the same tables with Streamlit's own charts): a map of the
area and its organisations by type, the profile of the organisations (type, sector,
income, employees, legal form, trading history), and anchors' spend by category with the
gaps marked. The map is drawn in the store's metric CRS so the area's shape is true and
its scale bar in metres.
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from atlas.i18n import Translator
from atlas.projection import WGS84, transformer
from cedplans.insights.market import TYPES, MarketReport, MarketTable, group_label
from cedplans.mapimage import _drawn_by, _finish

TYPE_COLOURS: dict[str, str] = {
    "social enterprise": "#EE7733",
    "co-operative": "#0077BB",
    "charity": "#CC3311",
    "community business": "#009988",
}
"""One colour per type of organisation (Paul Tol's "vibrant" scheme, safe for the common
forms of colour blindness), shared by the map and the charts."""
TYPE_MARKERS = {"social enterprise": "o", "co-operative": "s", "charity": "D", "community business": "^"}
"""A shape per type as well as a colour, so the map reads in grey print."""

OFFERED_COLOUR = "#009988"
GAP_COLOUR = "#CC3311"
BAR_COLOUR = "#332288"
MAP_MARGIN_M = 150.0
"""Space left around the area on the map, in metres."""
PROFILE_TABLES = ("type", "sector", "income", "employees", "legal_form", "trading")
"""The tables the profile chart shows, one panel each."""
MOST_BARS = 10
"""A panel shows the largest groups up to this many, the rest summed as "others"."""


def _png(fig: Figure, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def map_png(report: MarketReport, *, width_in: float = 8.0, height_in: float = 6.0, dpi: int = 150,
            tr: Translator | None = None) -> bytes:
    """The area's outline and each organisation, coloured and shaped by type; its words in
    the language of ``tr`` (None: the report's)."""
    tr = tr or report.tr
    _ = tr.gettext
    area = report.area
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes((0.01, 0.1, 0.98, 0.84))
    gpd.GeoSeries([area.geom_m]).plot(ax=ax, facecolor="#F4F1EA", edgecolor="#222222", linewidth=1.2, zorder=1)
    handles: list = [Patch(facecolor="#F4F1EA", edgecolor="#222222", label=_("The area"))]
    orgs = report.organisations
    if orgs:
        x, y = transformer(WGS84, area.epsg).transform(np.array([o.lon for o in orgs]),
                                                       np.array([o.lat for o in orgs]))
        for kind in TYPES:
            mask = np.array([o.type == kind for o in orgs])
            if mask.any():
                ax.scatter(x[mask], y[mask], s=30, c=TYPE_COLOURS[kind], marker=TYPE_MARKERS[kind],
                           edgecolors="white", linewidths=0.5, zorder=5)
                handles.append(Line2D([], [], color=TYPE_COLOURS[kind], marker=TYPE_MARKERS[kind], linestyle="",
                                      label=f"{_capital(group_label(kind, tr))} ({tr.number(int(mask.sum()))})"))
    _finish(ax, [area.geom_m, *(shapely.points(x, y) if orgs else [])], MAP_MARGIN_M,
            _("{area}: organisations by type on {date}").format(area=area.name,
                                                                date=tr.date(report.as_of, form="long")), tr)
    fig.legend(handles=handles, loc="lower center", ncol=min(3, len(handles)), fontsize=7, frameon=False)
    _drawn_by(fig, area.epsg, tr)
    return _png(fig, dpi)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _bars(ax: Axes, table: MarketTable, tr: Translator) -> None:
    rows = list(table.rows)
    if len(rows) > MOST_BARS:
        rest = sum(r.count for r in rows[MOST_BARS - 1:])
        rows = rows[:MOST_BARS - 1]
        labels, counts = [r.group for r in rows] + [tr.gettext("others")], [r.count for r in rows] + [rest]
    else:
        labels, counts = [r.group for r in rows], [r.count for r in rows]
    # The type table's groups are the types in order (in the report's language), then unknown.
    type_colours = {group_label(kind, tr): colour for kind, colour in TYPE_COLOURS.items()}
    colours = [type_colours.get(label, BAR_COLOUR) if table.key == "type" else BAR_COLOUR for label in labels]
    positions = np.arange(len(labels))[::-1]  # the first group on top
    ax.barh(positions, counts, color=colours)
    ax.set_yticks(positions, [label[:28] for label in labels], fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(table.title, fontsize=8.5, loc="left")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    for pos, n in zip(positions, counts, strict=True):
        ax.annotate(tr.number(n), (n, pos), xytext=(2, 0), textcoords="offset points", va="center", fontsize=6.5)


def profile_png(report: MarketReport, *, width_in: float = 8.0, height_in: float = 7.5, dpi: int = 150,
                tr: Translator | None = None) -> bytes:
    """The organisations by type, sector, income, employees, legal form and trading
    history: six bar charts of the report's tables (their words in the report's language;
    figures written as the reader of ``tr`` writes them)."""
    tr = tr or report.tr
    fig = Figure(figsize=(width_in, height_in), dpi=dpi, layout="constrained")
    axes = fig.subplots(3, 2)
    for ax, key in zip(axes.flat, PROFILE_TABLES, strict=True):
        _bars(ax, report.table(key), tr)
    return _png(fig, dpi)


def spend_png(report: MarketReport, *, width_in: float = 8.0, dpi: int = 150,
              tr: Translator | None = None) -> bytes | None:
    """Anchors' spend by category, largest first, coloured by whether an organisation of
    the area offers it; None when the store holds no spend. Its words in the language of
    ``tr`` (None: the report's)."""
    tr = tr or report.tr
    _ = tr.gettext
    spend = [d for d in report.spend if d.amount is not None][:MOST_BARS * 2]
    if not spend:
        return None
    fig = Figure(figsize=(width_in, 1.2 + 0.3 * len(spend)), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    positions = np.arange(len(spend))[::-1]
    ax.barh(positions, [d.amount or 0.0 for d in spend],
            color=[GAP_COLOUR if d.gap else OFFERED_COLOUR if d.local_offers else "#999999" for d in spend])
    ax.set_yticks(positions, [d.label[:40] for d in spend], fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel(_("Spend, {currency}").format(currency=report.currency), fontsize=7.5)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: tr.number(value)))
    ax.set_title(_("What anchors buy, and whether an organisation of the area offers it"), fontsize=8.5,
                 loc="left")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.legend(handles=[Patch(color=OFFERED_COLOUR, label=_("offered locally")),
                       Patch(color=GAP_COLOUR, label=_("no local offer (a gap)"))], fontsize=7, frameon=False,
              loc="lower right")
    return _png(fig, dpi)
