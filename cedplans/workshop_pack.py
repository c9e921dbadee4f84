"""The printable workshop pack of a plan (A4 or A3 PDF), and paper ideas typed back in.

A pack is for a room where not everyone has, or wants, a phone: page 1 is the site map
with a letter-number grid (:mod:`cedplans.paper_grid`), a north arrow and a scale bar,
drawn in the store's metric CRS; then the nearby assets, numbered as on the map; then the
questions of the workshop; then idea cards to cut out, each with lines to write on, a
"grid square" box and a QR code that opens the workshop on a phone with its join code.

An officer types each card back in with :func:`add_paper_idea`: the idea is stored at the
centre of the card's square and keeps the square, so the wall and the plan's list show it
as from paper. The map is a picture drawn by :mod:`cedplans.mapimage` (no tiles, no
network); the grid, its labels, the arrow, the scale and the numbers are drawn over it as
text and lines, so they stay sharp at any paper size and can be read back from the PDF.

Every word is in the ``language`` asked for (default: the place's language), through
:mod:`atlas.i18n`; dates are formatted by Babel.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import segno
import shapely
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, SimpleDocTemplate, Spacer
from shapely.geometry.base import BaseGeometry

from atlas import queries
from atlas.errors import InvalidInput
from atlas.i18n import N_, Translator, translator
from atlas.models import VALUE_LABELS
from atlas.projection import WGS84, reproject
from atlas.store import Store, utc_now
from cedplans import colours, mapimage, repository, workshops
from cedplans.model import IDEA_CATEGORIES, Idea, Plan
from cedplans.paper_grid import PaperGrid, grid_around
from cedplans.pdf_layout import Layout
from cedplans.workshops import Workshop

PAPER_SIZES: dict[str, tuple[float, float]] = {"A4": A4, "A3": A3}
"""The pack's paper sizes (portrait, in points). A3 is A4 enlarged, for a wall or a table."""

PACK_MARGIN_M = 250.0
"""How far around the plan's site and zones the map and its grid reach, in metres: a few
minutes' walk, where residents know the places by name."""

MAX_NUMBERED_ASSETS = 30
"""Assets numbered on the map and listed, nearest first; more would crowd the map."""

CARD_COLUMNS, CARD_ROWS = 2, 3
CARD_PAGES = 2
"""Pages of idea cards in a pack (six cards a page)."""

PACK_CODE_HOURS = workshops.MAX_HOURS
"""A pack is printed days before the workshop, so the code it opens lasts the longest a
code may (a fortnight), unless a code is already open."""

DEFAULT_QUESTIONS: tuple[str, ...] = (
    N_("What do you value most about this place today?"),
    N_("What is missing here, and where on the map would it go?"),
    N_("Which local organisations, businesses or people could help make it happen?"),
    N_("What worries you about changes here?"),
    N_("What would you be willing to do yourself?"),
)
"""The questions a pack asks when the plan has none of its own (translated when printed)."""

CATEGORY_LABELS: dict[str, str] = {
    "idea": N_("Idea"), "comment": N_("Comment"), "concern": N_("Concern"), "question": N_("Question"),
    "offer of help": N_("Offer of help"),
}
"""The idea categories (stored values, English) as a card and the typing-in form show them."""


@dataclass(frozen=True)
class PackAsset:
    """An asset numbered on the pack's map: ``x_m``/``y_m`` in the grid's CRS."""

    number: int
    name: str
    scale: str
    category: str | None
    distance_m: float
    square: str
    x_m: float
    y_m: float


@dataclass(frozen=True)
class WorkshopPack:
    """Everything a pack prints, gathered once for any paper size."""

    plan: Plan
    grid: PaperGrid
    assets: list[PackAsset]
    questions: list[str]
    workshop: Workshop
    url: str
    map_png: bytes
    language: str
    place: str | None
    made_at: datetime


# -- the grid and paper ideas ------------------------------------------------------------

def plan_grid(store: Store, plan: Plan) -> PaperGrid:
    """The grid of ``plan``'s pack: squares over its site and zones and
    :data:`PACK_MARGIN_M` metres around, in the store's metric CRS."""
    extent = repository.plan_extent(store, plan)
    epsg = store.settings.metric_epsg
    if extent is None or epsg is None:
        raise InvalidInput(f"Plan {plan.id} has no site or zones yet: choose a site or draw a zone before "
                           "printing its workshop pack.")
    return grid_around(reproject(extent, WGS84, epsg), epsg, margin_m=PACK_MARGIN_M)


def add_paper_idea(store: Store, plan_id: int, square: str, text: str, *, category: str = "idea",
                   author: str | None = None, typed_by: str | None = None) -> Idea:
    """Store an idea written on a paper card: at the centre of grid square ``square`` of the
    plan's pack (such as "B3"), marked as from paper with its square. A square not on the
    grid is refused before anything is written."""
    plan = repository.get_plan(store, plan_id)
    grid = plan_grid(store, plan)
    label = grid.label_at_m(*grid.square_centre_m(square))  # "b 3" -> "B3"; refuses "Z99"
    lon, lat = grid.square(label)
    return repository.add_idea(store, plan_id, text, category=category, author=author,
                               point=shapely.Point(lon, lat), paper_square=label, typed_by=typed_by)


def pack_workshop(store: Store, plan_id: int, *, by: str) -> Workshop:
    """The workshop whose code a pack prints: the plan's newest open code, or a new one
    lasting :data:`PACK_CODE_HOURS`."""
    current = workshops.open_workshops(store, plan_id)
    if current:
        return current[0]
    return workshops.open_workshop(store, plan_id, by=by, hours=PACK_CODE_HOURS)


# -- gathering ----------------------------------------------------------------------------

def gather(store: Store, plan_id: int, *, workshop: Workshop, base_url: str,
           language: str | None = None) -> WorkshopPack:
    """Everything the pack of ``plan_id`` prints. ``base_url`` is the app's address (the QR
    codes open its workshop page with ``workshop``'s code); ``language`` defaults to the
    place's language."""
    plan = repository.get_plan(store, plan_id)
    grid = plan_grid(store, plan)
    settings = store.settings
    code = translator(language or settings.language).code
    site = repository.site_geometry(store, plan)
    extent = repository.plan_extent(store, plan)
    assert extent is not None  # plan_grid refused a plan without one
    # Far enough from the plan's edge to reach the grid's corners; assets outside the box
    # are left off.
    reach_m = ((grid.maxx_m - grid.minx_m) ** 2 + (grid.maxy_m - grid.miny_m) ** 2) ** 0.5
    around = queries.nearby(store, queries.site_from_geometry(store, extent, plan.site_name or plan.title), reach_m)
    inside: list[tuple[float, str, str, str | None, float, float]] = []
    for a in around.assets:
        p = reproject(a.geom, WGS84, grid.epsg)
        if grid.minx_m <= p.x <= grid.maxx_m and grid.miny_m <= p.y <= grid.maxy_m:
            inside.append((a.distance_m, a.name, a.scale, a.category, p.x, p.y))
    inside.sort(key=lambda r: (r[0], r[1]))
    assets = [PackAsset(n, name, scale, category, d, grid.label_at_m(x, y), x, y)
              for n, (d, name, scale, category, x, y) in enumerate(inside[:MAX_NUMBERED_ASSETS], 1)]
    features = [(f.kind, reproject(f.geom, WGS84, grid.epsg)) for f in around.features]
    png = _map_png(plan, grid, site=None if site is None else reproject(site, WGS84, grid.epsg),
                   features=features, assets=assets)
    return WorkshopPack(plan=plan, grid=grid, assets=assets, questions=list(DEFAULT_QUESTIONS), workshop=workshop,
                        url=workshops.join_url(base_url, workshop.code), map_png=png, language=code,
                        place=settings.place, made_at=utc_now())


def _map_png(plan: Plan, grid: PaperGrid, *, site: BaseGeometry | None,
             features: Sequence[tuple[str, BaseGeometry]], assets: Sequence[PackAsset],
             width_in: float = 8.0, dpi: int = 200) -> bytes:
    """The map's picture: exactly the grid's box, in its CRS, with no words (the pack
    writes those over it)."""
    w, h = grid.maxx_m - grid.minx_m, grid.maxy_m - grid.miny_m
    fig = Figure(figsize=(width_in, width_in * h / w), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    mapimage._context(ax, features)
    mapimage._site(ax, site)
    for z in plan.zones:
        mapimage._zone(ax, z.use, reproject(z.geom, WGS84, grid.epsg), None)
    for scale, colour, marker, size in (("macro", colours.MACRO_COLOUR, "s", 70),
                                        ("micro", colours.MICRO_COLOUR, "o", 45)):
        pts = [(a.x_m, a.y_m) for a in assets if a.scale == scale]
        if pts:
            ax.scatter([x for x, _ in pts], [y for _, y in pts], s=size, c=colour, marker=marker,
                       edgecolors="white", linewidths=0.6, zorder=7)
    ax.set_xlim(grid.minx_m, grid.maxx_m)
    ax.set_ylim(grid.miny_m, grid.maxy_m)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# -- the PDF ------------------------------------------------------------------------------

def build_pack(store: Store, plan_id: int, *, size: str, base_url: str, by: str,
               language: str | None = None) -> bytes:
    """The pack of ``plan_id`` as PDF bytes on ``size`` paper (A4 or A3), opening a
    workshop code if the plan has none open (``by`` says who, for the audit trail)."""
    check_size(size)
    workshop = pack_workshop(store, plan_id, by=by)
    return render_pack(gather(store, plan_id, workshop=workshop, base_url=base_url, language=language), size)


def check_size(size: str) -> str:
    if size.upper() not in PAPER_SIZES:
        raise InvalidInput(f"Paper size {size!r}: choose one of {', '.join(PAPER_SIZES)}.")
    return size.upper()


def render_pack(pack: WorkshopPack, size: str) -> bytes:
    """The pack as PDF bytes on ``size`` paper."""
    size = check_size(size)
    page_w, page_h = PAPER_SIZES[size]
    s = page_w / A4[0]  # A3 is A4 scaled by √2: type, lines and cards grow with it
    tr = translator(pack.language)
    _ = tr.gettext
    layout = Layout()
    for style in layout.styles.values():
        style.fontSize *= s
        style.leading *= s
    p = layout.p
    margin = 14 * mm * s
    frame_w = page_w - 2 * margin - 12  # platypus frames keep 6 points of padding each side
    frame_h = page_h - 2 * margin - 12
    plan = pack.plan

    story: list = [
        p(plan.title, "title"),
        p(_("Workshop pack · printed on {date}").format(date=tr.date(pack.made_at, form="long"))
          + (f" · {pack.place}" if pack.place else ""), "small"),
        Spacer(1, 2 * mm * s),
        _MapFlowable(pack, tr, s, frame_w, frame_h - 34 * mm * s, layout.styles["body"].fontName),
        p(_("Squares are {side} across. Write the square of your idea (such as {example}) on your card. "
            "Drawn in EPSG:{epsg}.").format(side=tr.distance_m(pack.grid.square_width_m), example="B3",
                                            epsg=pack.grid.epsg), "small"),
        PageBreak(),
        p(_("Nearby assets"), "h2"),
        p(_("Organisations and places within the map, numbered as on it, nearest first."), "small"),
    ]
    if pack.assets:
        story.append(layout.table(
            [_("No."), _("Name"), _("Scale"), _("Category"), _("Distance"), _("Square")],
            [[a.number, a.name, _(VALUE_LABELS.get(a.scale, a.scale)), a.category or "",
              tr.distance_m(a.distance_m), a.square] for a in pack.assets],
            [w * s for w in (10, 70, 20, 40, 22, 18)]))
    else:
        story.append(p(_("No assets are recorded within the map yet.")))
    story += [p(_("Questions for the workshop"), "h2")]
    story += [p(f"{i}. {_(q)}") for i, q in enumerate(pack.questions, 1)]
    story += [Spacer(1, 3 * mm * s),
              p(_("Take part on a phone: scan a card's square code, or go to {url} and type the code "
                  "{code}. It works until {date}.").format(url=pack.url.split("?")[0], code=pack.workshop.code,
                                                           date=tr.date(pack.workshop.expires_at, form="long")))]
    for _page in range(CARD_PAGES):
        story += [PageBreak(), _CardsFlowable(pack, tr, s, frame_w, frame_h,
                                              layout.styles["body"].fontName, layout.styles["head"].fontName)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(page_w, page_h), leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin, title=plan.title,
                            subject=_("Workshop pack"), creator="Asset Atlas")
    doc.build(story)
    return buf.getvalue()


class _MapFlowable(Flowable):
    """The map with its grid: the picture, the squares' lines, letters along the top and
    bottom, numbers down both sides, a north arrow, a scale bar and the assets' numbers."""

    def __init__(self, pack: WorkshopPack, tr: Translator, s: float, max_w: float, max_h: float,
                 font: str) -> None:
        super().__init__()
        self.pack, self.tr, self.s, self.font = pack, tr, s, font
        self.label_m = 7 * mm * s  # the margin that holds the grid's labels
        g = pack.grid
        aspect = (g.maxy_m - g.miny_m) / (g.maxx_m - g.minx_m)
        self.map_w = max_w - 2 * self.label_m
        self.map_h = self.map_w * aspect
        if self.map_h > max_h - 2 * self.label_m:
            self.map_h = max_h - 2 * self.label_m
            self.map_w = self.map_h / aspect
        self.width, self.height = max_w, self.map_h + 2 * self.label_m

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c: Canvas = self.canv
        g, s = self.pack.grid, self.s
        x0 = (self.width - self.map_w) / 2
        y0 = self.label_m
        c.drawImage(ImageReader(io.BytesIO(self.pack.map_png)), x0, y0, self.map_w, self.map_h)

        def at(x_m: float, y_m: float) -> tuple[float, float]:
            return (x0 + (x_m - g.minx_m) / (g.maxx_m - g.minx_m) * self.map_w,
                    y0 + (y_m - g.miny_m) / (g.maxy_m - g.miny_m) * self.map_h)

        cw, rh = self.map_w / g.columns, self.map_h / g.rows
        c.setStrokeColor(colors.HexColor("#333333"))
        c.setLineWidth(0.6 * s)
        for i in range(g.columns + 1):
            c.line(x0 + i * cw, y0, x0 + i * cw, y0 + self.map_h)
        for j in range(g.rows + 1):
            c.line(x0, y0 + j * rh, x0 + self.map_w, y0 + j * rh)
        size = 11 * s
        c.setFillColor(colors.black)
        c.setFont(self.font, size)
        for i, letter in enumerate(g.column_labels):
            x = x0 + (i + 0.5) * cw
            c.drawCentredString(x, y0 + self.map_h + 0.3 * self.label_m, letter)
            c.drawCentredString(x, y0 - 0.7 * self.label_m, letter)
        for j, number in enumerate(g.row_labels):
            y = y0 + self.map_h - (j + 0.5) * rh - size / 3  # row 1 at the top
            c.drawCentredString(x0 - self.label_m / 2, y, number)
            c.drawCentredString(x0 + self.map_w + self.label_m / 2, y, number)
        # The assets' numbers, beside their symbols.
        c.setFont(self.font, 7 * s)
        for a in self.pack.assets:
            x, y = at(a.x_m, a.y_m)
            c.setFillColor(colors.white)
            c.setStrokeColor(colors.HexColor("#333333"))
            c.circle(x + 4 * s, y + 4 * s, 3.2 * s, stroke=1, fill=1)
            c.setFillColor(colors.black)
            c.drawCentredString(x + 4 * s, y + 4 * s - 2.4 * s, str(a.number))
        self._north_arrow(c, x0 + self.map_w - 12 * mm * s, y0 + self.map_h - 22 * mm * s)
        self._scale_bar(c, x0 + 5 * mm * s, y0 + 5 * mm * s)

    def _north_arrow(self, c: Canvas, x: float, y: float) -> None:
        s = self.s
        c.setFillColor(colors.white)
        c.setStrokeColor(colors.HexColor("#333333"))
        c.roundRect(x - 6 * mm * s, y - 2 * mm * s, 12 * mm * s, 19 * mm * s, 2 * s, stroke=1, fill=1)
        path = c.beginPath()
        path.moveTo(x, y + 12 * mm * s)
        path.lineTo(x - 3.5 * mm * s, y + 1 * mm * s)
        path.lineTo(x, y + 4 * mm * s)
        path.lineTo(x + 3.5 * mm * s, y + 1 * mm * s)
        path.close()
        c.setFillColor(colors.black)
        c.drawPath(path, stroke=0, fill=1)
        c.setFont(self.font, 11 * s)
        c.drawCentredString(x, y + 13 * mm * s, "N")

    def _scale_bar(self, c: Canvas, x: float, y: float) -> None:
        s, g = self.s, self.pack.grid
        length_m = mapimage._nice((g.maxx_m - g.minx_m) / 4)
        length = length_m / (g.maxx_m - g.minx_m) * self.map_w
        c.setFillColor(colors.white)
        c.rect(x - 2 * mm * s, y - 2 * mm * s, length + 4 * mm * s, 10 * mm * s, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.rect(x, y, length / 2, 1.6 * mm * s, stroke=1, fill=1)
        c.setFillColor(colors.white)
        c.rect(x + length / 2, y, length / 2, 1.6 * mm * s, stroke=1, fill=1)
        c.setFillColor(colors.black)
        c.setFont(self.font, 8 * s)
        c.drawCentredString(x + length / 2, y + 3 * mm * s, self.tr.distance_m(length_m))


class _CardsFlowable(Flowable):
    """One page of idea cards, with dashed lines to cut along."""

    def __init__(self, pack: WorkshopPack, tr: Translator, s: float, w: float, h: float, font: str,
                 bold: str) -> None:
        super().__init__()
        self.pack, self.tr, self.s, self.font, self.bold = pack, tr, s, font, bold
        self.width, self.height = w, h - 1  # a point less than the frame, or it would not fit
        self.qr = segno.make(pack.url, error="m")

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c: Canvas = self.canv
        cw, ch = self.width / CARD_COLUMNS, self.height / CARD_ROWS
        c.setDash(3, 3)
        c.setStrokeColor(colors.HexColor("#888888"))
        c.setLineWidth(0.5)
        for i in range(CARD_COLUMNS + 1):
            c.line(i * cw, 0, i * cw, self.height)
        for j in range(CARD_ROWS + 1):
            c.line(0, j * ch, self.width, j * ch)
        c.setDash()
        for i in range(CARD_COLUMNS):
            for j in range(CARD_ROWS):
                self._card(c, i * cw, j * ch, cw, ch)

    def _card(self, c: Canvas, x: float, y: float, w: float, h: float) -> None:
        _ = self.tr.gettext
        s, pad = self.s, 5 * mm * self.s
        qr_side = 27 * mm * s
        top = y + h - pad
        c.setFillColor(colors.black)
        c.setFont(self.bold, 11 * s)
        c.drawString(x + pad, top - 10 * s, _("Your idea"))
        c.setFont(self.font, 7.5 * s)
        c.drawString(x + pad, top - 20 * s, _fit(self.pack.plan.title, self.font, 7.5 * s, w - 2 * pad))
        # Lines to write on.
        c.setStrokeColor(colors.HexColor("#BBBBBB"))
        c.setLineWidth(0.4 * s)
        line_y = top - 22 * s
        for _n in range(4):
            line_y -= 8 * mm * s
            c.line(x + pad, line_y, x + w - pad, line_y)
        # Category tick boxes, two by two beside the QR code.
        c.setFont(self.font, 7.5 * s)
        c.setStrokeColor(colors.HexColor("#333333"))
        c.setLineWidth(0.6 * s)
        column_w = (w - 2 * pad - qr_side - 3 * mm * s) / 2
        for k, category in enumerate(IDEA_CATEGORIES[:4]):
            tx = x + pad + (k % 2) * column_w
            ty = line_y - (6 + 5 * (k // 2)) * mm * s
            c.rect(tx, ty, 2.8 * mm * s, 2.8 * mm * s)
            c.drawString(tx + 4 * mm * s, ty + 0.5 * mm * s, _(CATEGORY_LABELS[category]))
        # The grid square box, and a line for a name.
        box = 15 * mm * s
        bx, by = x + pad, y + pad
        c.setLineWidth(1.2 * s)
        c.rect(bx, by, box, box)
        c.setFont(self.bold, 8 * s)
        c.drawString(bx, by + box + 1.5 * mm * s, _("Grid square"))
        c.setFont(self.font, 7 * s)
        c.setLineWidth(0.4 * s)
        c.line(bx + box + 4 * mm * s, by + 2 * mm * s, x + w - pad - qr_side - 3 * mm * s, by + 2 * mm * s)
        c.drawString(bx + box + 4 * mm * s, by + 3 * mm * s, _("Your name (optional)"))
        # The QR code, drawn module by module so it stays sharp when printed.
        qx, qy = x + w - pad - qr_side, y + pad + 4 * mm * s
        self._qr(c, qx, qy, qr_side)
        c.setFont(self.font, 6.5 * s)
        c.drawCentredString(qx + qr_side / 2, y + pad + 1 * mm * s,
                            _("Or scan: code {code}").format(code=self.pack.workshop.code))

    def _qr(self, c: Canvas, x: float, y: float, side: float) -> None:
        matrix = self.qr.matrix
        n = len(matrix)
        quiet = 2  # modules of white around, inside ``side``
        module = side / (n + 2 * quiet)
        c.setFillColor(colors.white)
        c.rect(x, y, side, side, stroke=0, fill=1)
        c.setFillColor(colors.black)
        for r, row in enumerate(matrix):
            for col, dark in enumerate(row):
                if dark:
                    c.rect(x + (quiet + col) * module, y + side - (quiet + r + 1) * module, module, module,
                           stroke=0, fill=1)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut short (with an ellipsis) to fit ``width`` points in ``font``."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
