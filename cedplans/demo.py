"""The full demo: the atlas's USE-IT! area and two example plans built on it.

The plans name their sites and partners as the demo data does and look them up in the
store when loaded, so a renamed asset fails loudly here rather than leaving a plan with
a missing partner. Zones are cut from the demo sites' own shapes (in metres, in the
store's metric CRS), so they stay on the sites whatever their exact coordinates.
Loading again keeps plans that already exist (and any edits made to them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from atlas import demo as atlas_demo
from atlas.errors import NotFound
from atlas.projection import WGS84, GeometryT, reproject
from atlas.store import Store
from cedplans import repository, workflow
from cedplans.model import Action, Indicator, MacroFocus, Partner, Plan, Zone

EDGBASTON_TITLE = "A community vision for Edgbaston Reservoir and its open spaces"
HOLY_TRINITY_TITLE = "Co-working for social entrepreneurs in Holy Trinity Church, Smethwick"


def load_full_demo(store: Store, directory: Path = atlas_demo.DEMO_DIR) -> dict[str, int]:
    """Load the demo area (from ``directory``) and its example plans; returns counts of
    what the store holds (boundaries, features, assets, plans, ideas)."""
    counts = atlas_demo.load_demo(store, directory)
    existing = {p.title for p in repository.list_plans(store)}
    with store.transaction():
        if EDGBASTON_TITLE not in existing:
            _edgbaston(store)
        if HOLY_TRINITY_TITLE not in existing:
            _holy_trinity(store)
    store.checkpoint()
    plans = repository.list_plans(store)
    counts["plans"] = len(plans)
    counts["ideas"] = sum(p.ideas for p in plans)
    return counts


@dataclass
class _Lookup:
    """Demo names to store ids, failing with the name that is missing."""

    store: Store

    def asset(self, name: str) -> int:
        try:
            return repository.find_asset_id(self.store, name)
        except NotFound as exc:
            raise NotFound(f"The demo plans need the asset {name!r}, which the demo data lacks: {exc}") from exc

    def feature(self, name: str) -> int:
        try:
            return repository.find_feature_id(self.store, name)
        except NotFound as exc:
            raise NotFound(f"The demo plans need the site {name!r}, which the demo data lacks: {exc}") from exc

    def shape_m(self, name: str) -> BaseGeometry:
        """A demo site's shape in the store's metric CRS."""
        from atlas.queries import get_feature

        return reproject(get_feature(self.store, self.feature(name)).geom, WGS84, self.store.metric_epsg)


def _lonlat(store: Store, geom_m: GeometryT) -> GeometryT:
    return reproject(geom_m, store.metric_epsg, WGS84)


def _part(area: BaseGeometry, fx0: float, fy0: float, fx1: float, fy1: float) -> BaseGeometry:
    """The piece of ``area`` inside a box given as fractions of its bounds (0..1)."""
    minx, miny, maxx, maxy = area.bounds
    w, h = maxx - minx, maxy - miny
    piece = area.intersection(shapely.box(minx + fx0 * w, miny + fy0 * h, minx + fx1 * w, miny + fy1 * h))
    polygons = [p for p in shapely.get_parts(piece) if p.geom_type == "Polygon"]
    return max(polygons, key=lambda p: p.area) if polygons else area.representative_point().buffer(12)


def _near(area: BaseGeometry, place: BaseGeometry, size_m: float) -> BaseGeometry:
    """A square of ``size_m`` metres in ``area``, at the point of it closest to ``place``."""
    from shapely.ops import nearest_points

    inner = area.buffer(-size_m / 4)
    at = nearest_points(area if inner.is_empty else inner, place)[0]
    piece = area.intersection(at.buffer(size_m / 2, cap_style="square"))
    return max((p for p in shapely.get_parts(piece) if p.geom_type == "Polygon"), key=lambda p: p.area)


def _edgbaston(store: Store) -> None:
    find = _Lookup(store)
    reservoir = find.shape_m("Edgbaston Reservoir")
    open_spaces = find.shape_m("Edgbaston Reservoir open spaces")
    lodge = find.shape_m("Rotton Park Lodge, Edgbaston Reservoir")
    site_m = shapely.unary_union([reservoir, open_spaces, lodge])
    friends, trust = find.asset("Friends of Edgbaston Reservoir"), find.asset("Canal & River Trust")

    plan = repository.create_plan(store, Plan(
        title=EDGBASTON_TITLE,
        site_geom=_lonlat(store, site_m),
        site_name="Edgbaston Reservoir and its open spaces",
        vision="Make the reservoir a place everyone in Ladywood and Rotton Park uses and looks after.",
        macro_focus=[MacroFocus(trust, "land and property",
                                "Well-walked banks and an occasional-use lodge that the Trust wants local "
                                "groups to bring to life.")],
    ), author="Joel R.")

    loop = shapely.LineString(reservoir.buffer(12).exterior.simplify(2).coords)
    plan.status = "draft"
    plan.vision = (
        "Edgbaston Reservoir and its banks become a place everyone in Ladywood, Rotton Park and "
        "Edgbaston uses and looks after: a loop path anyone can walk or wheel, a community cafe in "
        "the lodge run by local people, space to grow food and to gather, and wild corners for nature."
    )
    plan.objectives = [
        "Open the lodge as a community cafe and training kitchen.",
        "Make the loop path step-free, lit at the dam and signed in community languages.",
        "Give local groups regular space for growing, markets and events.",
    ]
    plan.partners = [
        Partner(friends, "lead", "Volunteer group caring for the banks; holds the community's voice."),
        Partner(trust, "landowner", "Owns the reservoir, banks and lodge."),
        Partner(find.asset("Edgbaston Reservoir sailing and rowing clubs"), "delivery partner",
                "Taster sessions on the water for young people."),
        Partner(find.asset("Hockley community kitchen"), "tenant", "Would run the lodge cafe and kitchen training."),
        Partner(find.asset("Birmingham City Council"), "funder", "Small grants and neighbourhood funds."),
        Partner(find.asset("University of Birmingham"), "supporter", "Student volunteers and wildlife surveys."),
    ]
    plan.zones = [
        Zone("nature", _lonlat(store, loop), name="Reservoir loop path",
             description="Step-free loop path with seating every 200 m."),
        Zone("community cafe", _lonlat(store, lodge.buffer(8, join_style="mitre")), name="Lodge cafe and terrace",
             description="Community cafe and training kitchen in Rotton Park Lodge."),
        Zone("nature", _lonlat(store, _part(open_spaces, 0.0, 0.55, 0.45, 1.0)), name="Wildflower meadow",
             description="Meadow and bird hide on the north-west banks."),
        Zone("events", _lonlat(store, _part(open_spaces, 0.55, 0.35, 1.0, 0.75)), name="Festival lawn",
             description="Level lawn for the annual reservoir festival and open-air events."),
        Zone("food growing", _lonlat(store, _near(open_spaces, lodge, 50)), name="Growing beds",
             description="Raised beds by the southern entrance."),
        Zone("market", _lonlat(store, lodge.centroid.buffer(40).exterior.interpolate(0.25, normalized=True)),
             name="Saturday market pitch"),
    ]
    plan.actions = [
        Action("Agree a licence for the lodge", "Friends of Edgbaston Reservoir and Canal & River Trust",
               date(2027, 3, 31), "in progress"),
        Action("Run a design workshop on the festival lawn", "Friends of Edgbaston Reservoir",
               date(2026, 9, 12), "done"),
        Action("Apply for a community ownership grant for the lodge", "Friends of Edgbaston Reservoir",
               date(2027, 1, 31)),
        Action("Recruit volunteer path wardens", "Canal & River Trust", date(2027, 4, 30)),
    ]
    plan = repository.save_plan(store, plan, author="Joel R.", summary="Draft after first walkabout")
    assert plan.id is not None  # a saved plan has its id
    zones = {z.name: z.id for z in plan.zones}

    path_idea = repository.add_idea(store, plan.id, "Make the path wheelchair-friendly all the way round.",
                                    author="Amina K.", zone_id=zones["Reservoir loop path"])
    cafe_idea = repository.add_idea(store, plan.id, "A cafe where you can watch the sailing.",
                                    zone_id=zones["Lodge cafe and terrace"])
    bats = repository.add_idea(store, plan.id, "Keep this corner dark for bat walks.", author="Tomasz W.",
                               point=_lonlat(store, _part(open_spaces, 0.0, 0.7, 0.3, 1.0).representative_point()))
    parking = repository.add_idea(store, plan.id, "Where will market traders park?", category="question",
                                  zone_id=zones["Saturday market pitch"])
    repository.add_idea(store, plan.id, "Happy to lead a weekly litter pick.", category="offer of help",
                        author="Grace M.", zone_id=zones["Festival lawn"])
    spam = repository.add_idea(store, plan.id, "Cheap followers for your page, click here!",
                               zone_id=zones["Festival lawn"])
    for idea, votes in ((path_idea, 7), (cafe_idea, 5), (bats, 3), (parking, 1)):
        for i in range(votes):
            repository.vote(store, idea.id, voter=f"workshop participant {i + 1}")
    repository.hide_idea(store, spam.id, reason="Advertising, not about the plan.", moderator="Joel R.")

    workflow.advance(plan, "consulted")
    plan.indicators = [
        Indicator("jobs created", target=4, actual=0, unit="jobs"),
        Indicator("enterprises started", target=2, actual=0, unit="enterprises"),
        Indicator("people trained", target=30, actual=8, unit="people"),
        Indicator("money spent locally", target=50_000, actual=2_500, unit=store.settings.thresholds.currency),
    ]
    repository.save_plan(store, plan, author="Amina K.", summary="After the September workshop")


def _holy_trinity(store: Store) -> None:
    find = _Lookup(store)
    church_id = find.feature("Holy Trinity Church, Smethwick")
    church = find.shape_m("Holy Trinity Church, Smethwick")
    can = find.asset("Smethwick CAN")

    plan = repository.create_plan(store, Plan(
        title=HOLY_TRINITY_TITLE,
        status="draft",
        site_feature_id=church_id,
        vision=(
            "The disused nave of Holy Trinity becomes an affordable co-working space where refugees, "
            "new arrivals and other social entrepreneurs in Smethwick start and grow enterprises "
            "that supply the Midland Met and the council."
        ),
        objectives=[
            "Open a weekly co-working day within six months.",
            "Help ten social enterprises become ready to bid for anchor contracts.",
        ],
        macro_focus=[
            MacroFocus(find.asset("Midland Metropolitan University Hospital"), "supply chain",
                       "Spends heavily on catering, cleaning and interpreting but buys little from Smethwick "
                       "enterprises."),
            MacroFocus(find.asset("Sandwell Council"), "land and property",
                       "Could support a community lease and rate relief for the church."),
        ],
        partners=[
            Partner(can, "lead", "Convenes the network and would manage the space."),
            Partner(find.asset("Holy Trinity Smethwick congregation"), "landowner",
                    "Congregation and church council; the church is in their care."),
            Partner(find.asset("Brushstrokes Community Project"), "delivery partner",
                    "Refers refugee entrepreneurs and offers translation."),
            Partner(find.asset("Rolfe Street arts collective"), "tenant", "Wants studio desks."),
            Partner(find.asset("Sandwell Council"), "funder", "Small grants for community buildings."),
            Partner(find.asset("Smethwick community credit union"), "supporter", "Start-up loans and savings."),
        ],
        zones=[
            Zone("co-working", _lonlat(store, _part(church, 0.0, 0.0, 0.6, 1.0)), name="Nave co-working",
                 description="Thirty desks and two bookable meeting rooms in the nave."),
            Zone("training space", _lonlat(store, _part(church, 0.6, 0.0, 1.0, 0.6)), name="Training room",
                 description="Business and English classes in the former vestry."),
            Zone("community cafe", _lonlat(store, _part(church, 0.6, 0.6, 1.0, 1.0)), name="Pop-up cafe"),
            Zone("food growing", _lonlat(store, church.buffer(15).difference(church.buffer(2))),
                 name="Churchyard garden", description="Raised beds and seating around the church."),
        ],
        actions=[
            Action("Survey the building's condition", "Smethwick CAN", date(2026, 10, 31), "done"),
            Action("Agree a meanwhile lease with the church council", "Smethwick CAN", date(2027, 2, 28),
                   "in progress"),
            Action("Open a pilot co-working day each week", "Smethwick CAN and Brushstrokes", date(2027, 5, 1)),
            Action("Meet Midland Met procurement about catering and interpreting contracts",
                   "Smethwick CAN", date(2027, 3, 15)),
        ],
        indicators=[
            Indicator("enterprises started", target=10, unit="enterprises"),
            Indicator("jobs created", target=15, unit="jobs"),
            Indicator("people trained", target=40, unit="people"),
            Indicator("money spent locally", target=250_000, unit=store.settings.thresholds.currency),
        ],
    ), author="Harpreet B.", summary="Draft from the Smethwick CAN network meeting")
    assert plan.id is not None  # a saved plan has its id
    zones = {z.name: z.id for z in plan.zones}
    ideas = [
        repository.add_idea(store, plan.id, "A quiet room for prayer and phone calls.", author="Harpreet B.",
                            zone_id=zones["Nave co-working"]),
        repository.add_idea(store, plan.id, "Childcare on workshop days so mothers can come.",
                            zone_id=zones["Training room"]),
        repository.add_idea(store, plan.id, "An interpreting co-op could bid for Midland Met work.",
                            author="Amina K.", zone_id=zones["Nave co-working"]),
        repository.add_idea(store, plan.id, "Will the heating cost too much in winter?", category="concern",
                            zone_id=zones["Nave co-working"]),
    ]
    for idea, votes in zip(ideas, (4, 6, 5, 2), strict=True):
        for _ in range(votes):
            repository.vote(store, idea.id)
