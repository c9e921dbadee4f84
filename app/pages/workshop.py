"""Workshop mode: one plan on a tablet or a projector, for a room full of people.

Large buttons and plain words, in the reader's language (:mod:`app.language`; the page is
complete in every language of the app, Arabic and Urdu too, right to left). People pin an
idea (a category and a sentence) to a place, and vote for the ideas they agree with, once
each per participant (:mod:`app.participant`: a token kept in the browser). A place is
chosen in whichever way suits the person: a tap on the map, one of the plan's zones, a
place from a list (the plan's site and the named places near it), or a search for a
postcode or a place's name. The list and the search come before the map in the page, so
a keyboard or a screen reader reaches them without passing through the map, and choosing
a place pins the idea there exactly as a tap on the map would.

The page can do nothing else to the plan: it only reads it, and its only writes are
:func:`cedplans.repository.add_idea` and :func:`cedplans.repository.vote` (a test holds
it to that). A link with ``?plan=ID`` opens the plan straight away; ``&kiosk=1`` hides
the app's menu as well.

Taking part needs a workshop's join code (``?code=`` in the link the QR code holds) or
an account; an officer opens a workshop with a code from this page, for the projector,
and types in the ideas written on paper cards at its end.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import shapely
import streamlit as st
from shapely.geometry.base import BaseGeometry

from app import maps, paper_ideas, participant, plan_maps, session, state
from app.language import N_, _, fmt, ngettext
from app.text import html_text, md
from atlas import settings
from atlas.access import Permission
from atlas.errors import AtlasError
from atlas.importers import postcodes
from atlas.site_refs import SiteRef
from cedplans import repository, workshops
from cedplans.model import IDEA_CATEGORIES, Plan
from cedplans.repository import IDEA_TEXT_MAX

ss = st.session_state

# Material icons come with Streamlit's own font, so they show without internet.
CATEGORY_ICONS = {
    "idea": ":material/lightbulb:",
    "comment": ":material/chat:",
    "concern": ":material/warning:",
    "question": ":material/help:",
    "offer of help": ":material/volunteer_activism:",
}
CATEGORY_WORDS = {
    "idea": N_("An idea"),
    "comment": N_("A comment"),
    "concern": N_("A worry"),
    "question": N_("A question"),
    "offer of help": N_("I can help"),
}

PLACES_RADIUS_M = settings.DEFAULT_RADIUS_M
"""How far from the plan's site, in metres, the list's named places lie: a ten-minute walk."""

PLACES_MAX = 40
"""The nearest this many named places of each kind (sites and assets) are listed; a name
typed into the list's box, or the search, finds the rest."""

SEARCH_MAX = 10
"""How many places a search lists."""

# Only our own constants go into this style sheet; nothing a person typed.
BIG_CSS = """
<style>
.stApp, .stMarkdown p, .stMarkdown li { font-size: 1.3rem; }
.stApp h1 { font-size: 2.6rem; line-height: 1.15; }
.stButton button, .stFormSubmitButton button {
  min-height: 3.6rem; font-size: 1.4rem; padding: .6rem 1.4rem; border-radius: .9rem; }
.stButton button p, .stFormSubmitButton button p { font-size: 1.4rem; }
.stTextArea textarea, .stTextInput input { font-size: 1.35rem; }
.stRadio label p, .stSelectbox label p, .stTextArea label p, .stTextInput label p { font-size: 1.3rem; }
.stRadio [role="radiogroup"] { gap: .4rem 1.4rem; }
.ws-vision { font-size: 1.45rem; color: #333; }
.ws-idea { font-size: 1.45rem; margin: .2rem 0 .4rem; }
.ws-meta { color: #555; font-size: 1.1rem; }
.ws-number { display: inline-block; min-width: 2.2rem; padding: .1rem .5rem; border-radius: 1rem;
  background: #EE3377; color: #fff; font-weight: 700; text-align: center; margin-inline-end: .4rem; }
/* On a tablet the form comes first and the map takes the whole width below it. */
@media (max-width: 1100px) {
  .st-key-ws-layout > [data-testid="stHorizontalBlock"] { flex-direction: column; }
  .st-key-ws-layout > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    width: 100% !important; flex: 1 1 100% !important; min-width: 100% !important; }
}
</style>
"""

KIOSK_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {
  display: none; }
</style>
"""

flash = functools.partial(state.flash, "ws")

_PLACE_KEYS = ("ws.place", "ws.found")
"""The lists a place is chosen from; choosing in one empties the others."""


def category_label(category: str) -> str:
    """A category's icon and words, in the reader's language."""
    words = CATEGORY_WORDS.get(category)
    return f"{CATEGORY_ICONS.get(category, '')} {_(words)}" if words else category


# -- choosing the plan -----------------------------------------------------------------------

def chosen_plan_id(plans: list) -> int | None:
    wanted = st.query_params.get("plan", "")
    ids = {p.id for p in plans}
    if wanted.isdigit() and int(wanted) in ids:
        return int(wanted)
    if wanted:
        st.warning(_("That plan is not in this atlas, or your workshop code is for another plan; "
                     "choose one below."))
    return None


def open_plan(plan_id: int) -> None:
    st.query_params["plan"] = str(plan_id)
    forget_place()
    ss.pop("ws.zone", None)


def leave_plan() -> None:
    st.query_params.pop("plan", None)


def plan_picker(plans: list) -> None:
    st.title(_("Workshop"))
    if not plans:
        st.info(_("There are no plans yet. Start one in the plan sketcher, then come back here."))
        return
    st.markdown(_("Choose the plan for this workshop."))
    for p in plans:
        label = p.title + (f" · {p.site_name}" if p.site_name else "")  # both are data, not words
        st.button(label, key=f"ws.open.{p.id}", on_click=open_plan, args=(p.id,), width="stretch")


# -- places to pin an idea to ------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """A place an idea can be pinned to, chosen from a list: ``key`` is the list's value
    (only ever looked up, never taken apart), ``name`` what people read, and the point
    (WGS84) where the idea goes: the same point a tap on the map there would give."""

    key: str
    name: str
    lon: float
    lat: float

    @classmethod
    def at(cls, key: str, name: str, geom: BaseGeometry) -> Place:
        """The place of ``geom``: a point as it is, an area or a line at a point inside it."""
        point = geom if isinstance(geom, shapely.Point) else geom.representative_point()
        return cls(key, name, point.x, point.y)


def plan_anchor(plan: Plan, site: BaseGeometry | None) -> BaseGeometry | None:
    """What the list's places are near: the plan's site, else its zones together."""
    if site is not None and not site.is_empty:
        return site
    zones = [z.geom for z in plan.zones]
    return shapely.unary_union(zones) if zones else None


def places_near(plan: Plan, site: BaseGeometry | None) -> list[Place]:
    """The plan's site, then the named sites and assets near it, nearest first."""
    places: list[Place] = []
    if site is not None and not site.is_empty:
        name = plan.site_name or _("the plan's site")
        places.append(Place.at("site", _("The plan's site: {name}").format(name=name), site))
    anchor = plan_anchor(plan, site)
    if anchor is None:
        return places
    try:
        where = SiteRef("feature", plan.site_feature_id) if plan.site_feature_id is not None else anchor
        near = state.nearby(where, PLACES_RADIUS_M, limit=PLACES_MAX)
    except AtlasError:
        return places  # an atlas without a metric CRS yet: the map and the zones still work
    found = [(f.distance_m, f.id, "feature", f.name, f.geom) for f in near.features
             if f.name and f.id != plan.site_feature_id]
    found += [(a.distance_m, a.id, "asset", a.name, a.geom) for a in near.assets[:PLACES_MAX]]
    for distance_m, id_, kind, name, geom in sorted(found, key=lambda f: (f[0], f[2], f[1])):
        label = _("{name} · {distance} away").format(name=name, distance=fmt().distance_m(distance_m))
        places.append(Place.at(f"{kind}:{id_}", label, geom))
    return places


def search_places(text: str) -> list[Place]:
    """Places whose name holds ``text``, and the postcode ``text`` is, if the atlas knows it."""
    text = text.strip()
    if not text:
        return []
    found: list[Place] = []
    if postcodes.normalise(text) is not None:
        point = state.query(postcodes.locate, text)
        if point is not None:
            code = postcodes.display(postcodes.normalise(text) or text)
            found.append(Place(f"postcode:{code}", _("Postcode {code}").format(code=code), *point))
    try:
        hits = state.search(text, limit=SEARCH_MAX)
    except AtlasError:
        hits = []
    # Boundaries are whole districts, not a place for an idea.
    found += [Place(f"{h.kind}:{h.id}", h.name, h.lon, h.lat) for h in hits if h.kind != "boundary"]
    return found


def forget_place() -> None:
    """No place chosen: the pin and every list emptied."""
    for key in ("ws.pin", "ws.pin_name"):
        ss.pop(key, None)
    for key in _PLACE_KEYS:
        ss[key] = None


def place_chosen(key: str, places: dict[str, Place]) -> None:
    """A place chosen from the list ``key`` (its callback): the idea is pinned there, as a
    tap on the map there would pin it."""
    place = places.get(ss.get(key) or "")
    for other in _PLACE_KEYS:
        if other != key:
            ss[other] = None
    if place is None:
        ss.pop("ws.pin", None)
        ss.pop("ws.pin_name", None)
        return
    ss["ws.pin"] = (place.lon, place.lat)
    ss["ws.pin_name"] = place.name
    ss["ws.zone"] = None


def zone_chosen() -> None:
    if ss.get("ws.zone") is not None:
        forget_place()


def clear_pin() -> None:
    forget_place()


# -- adding an idea ------------------------------------------------------------------------

def note(level: str, text: str, icon: str | None = None) -> None:
    """A message shown right under the Add button on the next run, where the person is looking."""
    ss["ws.note"] = (level, text, icon)


def add_idea(plan_id: int) -> None:
    """Store the idea being written (the button's callback)."""
    text = (ss.get("ws.text") or "").strip()
    pin, zone_id = ss.get("ws.pin"), ss.get("ws.zone")
    if pin is None and zone_id is None:
        note("warning", _("First tap the map where your idea belongs, or choose a place from the list."))
        return
    point = shapely.Point(pin) if pin is not None else None  # pin is (longitude, latitude)
    try:
        with session.writing(Permission.TAKE_PART, plan_id=plan_id) as store:
            repository.add_idea(store, plan_id, text, category=ss.get("ws.category") or "idea",
                                author=ss.get("ws.name") or None, point=point,
                                zone_id=None if point is not None else zone_id)
    except AtlasError as exc:
        note("error", str(exc))
        return
    # One tablet passes from hand to hand: the next person starts with a clean form.
    ss["ws.text"] = ""
    ss["ws.name"] = ""
    ss["ws.search"] = ""
    ss["ws.category"] = IDEA_CATEGORIES[0]
    forget_place()
    ss["ws.zone"] = None
    note("success", _("Thank you! Your idea is on the wall."), ":material/celebration:")


def vote(plan_id: int, idea_id: int) -> None:
    """One vote per participant (this browser, until "Next person") and idea: the store
    refuses a second, whatever the page shows."""
    try:
        with session.writing(Permission.TAKE_PART, plan_id=plan_id) as store:
            repository.vote(store, idea_id, voter=participant.voter())
    except AtlasError as exc:
        flash("error", str(exc))


def next_person() -> None:
    participant.next_participant()
    flash("info", _("Ready for the next person: their votes count afresh."), icon=":material/person_add:")


def zone_number(plan: Plan, lon: float, lat: float) -> int | None:
    """The number of the zone a pinned point falls in, if any."""
    point = shapely.Point(lon, lat)
    return next((n for n, z in enumerate(plan.zones, 1) if z.geom.covers(point)), None)


def zone_name(n: int, label: str) -> str:
    return _("Zone {number}: {name}").format(number=fmt().number(n), name=label)


def pin_message(plan: Plan, pin: tuple[float, float]) -> str:
    name = ss.get("ws.pin_name")
    if name:
        return _("Your idea goes at {place}.").format(place=md(name))
    n = zone_number(plan, *pin)
    if n is None:
        return _("Pinned where you tapped.")
    return _("Pinned where you tapped, in zone {number}: {name}.").format(
        number=fmt().number(n), name=md(plan.zones[n - 1].label))


def where_form(plan: Plan, places: list[Place]) -> None:
    """The ways to say where an idea belongs that need no map: a zone, a place from the
    list, a search. Every control has a label a screen reader reads out."""
    st.markdown(_("**Where does your idea belong?** Tap the map, or choose here:"))
    if plan.zones:
        zones = {z.id: zone_name(n, z.label) for n, z in enumerate(plan.zones, 1)}
        if ss.get("ws.zone") not in zones:
            ss["ws.zone"] = None
        st.selectbox(_("A zone of the plan"), list(zones), key="ws.zone", format_func=lambda i: zones[i],
                     index=None, placeholder=_("Choose a zone"), on_change=zone_chosen)
    listed = {p.key: p for p in places}
    if listed:
        if ss.get("ws.place") not in listed:
            ss["ws.place"] = None
        st.selectbox(_("A place from the list"), list(listed), key="ws.place",
                     format_func=lambda k: listed[k].name, index=None,
                     placeholder=_("Choose a place (type to find it)"),
                     on_change=place_chosen, args=("ws.place", listed))
    st.text_input(_("Or search: a postcode or a place's name"), key="ws.search",
                  placeholder=_("e.g. B16 9AA or the park's name"))
    search = ss.get("ws.search") or ""
    if search.strip():
        found = {p.key: p for p in search_places(search)}
        if not found:
            st.info(_("Nothing found for that. Try another name, or choose from the list."))
            ss["ws.found"] = None
        else:
            if ss.get("ws.found") not in found:
                ss["ws.found"] = None
            st.selectbox(_("Places found"), list(found), key="ws.found", format_func=lambda k: found[k].name,
                         index=None, placeholder=_("Choose one of the places found"),
                         on_change=place_chosen, args=("ws.found", found))
    pin = ss.get("ws.pin")
    if pin is not None:
        st.success(pin_message(plan, pin), icon=":material/location_on:")
        st.button(_("Take the pin away"), key="ws.clear_pin", on_click=clear_pin)


def idea_form(plan: Plan, places: list[Place]) -> None:
    st.subheader(_("Add your idea"))
    where_form(plan, places)
    # Labels made in this run, in this session's language (AppTest reads them back later,
    # outside the run, through the same function).
    labels = {c: category_label(c) for c in IDEA_CATEGORIES}
    st.radio(_("What is it?"), IDEA_CATEGORIES, key="ws.category", horizontal=True, format_func=labels.__getitem__)
    st.text_area(_("Your idea in a sentence"), key="ws.text", max_chars=IDEA_TEXT_MAX, height=120,
                 placeholder=_("e.g. A Saturday market by the lodge, with local food stalls"))
    st.text_input(_("Your name (leave it empty to stay anonymous)"), key="ws.name")
    st.button(_("Add my idea"), key="ws.add", type="primary", on_click=add_idea, args=(plan.id,),
              width="stretch")
    # Right under the button, where the person who pressed it is looking (st.success and
    # st.info are a status region, st.warning and st.error an alert: both are read out).
    shown = ss.pop("ws.note", None)
    if shown is not None:
        level, text, icon = shown
        getattr(st, level)(text, icon=icon)


# -- the wall of ideas -------------------------------------------------------------------------

def votes_words(n: int) -> str:
    return ngettext("{count} vote", "{count} votes", n).format(count=fmt().number(n))


def idea_wall(plan: Plan, ideas: list) -> None:
    count = fmt().number(len(ideas))
    if len(ideas) > 1:
        st.subheader(_("Ideas so far ({count}) · most votes first").format(count=count))
    else:
        st.subheader(_("Ideas so far ({count})").format(count=count))
    if not ideas:
        st.info(_("No ideas yet. Be the first!"))
        return
    voted = state.query(repository.voted_ideas, plan.id, participant.voter())
    zone_names = {z.id: zone_name(n, z.label) for n, z in enumerate(plan.zones, 1)}
    cols = st.columns(2)
    for n, idea in enumerate(ideas, 1):
        with cols[(n - 1) % 2].container(border=True):
            if idea.zone_id is None:
                place = _("a place on the map")
            else:
                place = zone_names.get(idea.zone_id) or _("a zone")
            # The category's words are ours (with an icon); what people typed goes in escaped.
            words = category_label(idea.category if idea.category in CATEGORY_WORDS else "idea")
            st.markdown(f"<span class='ws-number'>{fmt().number(n)}</span> **{words}**", unsafe_allow_html=True)
            by = html_text(idea.author) if idea.author else html_text(_("anonymous"))
            meta = _("by {name} · at {place}").format(name=by, place=html_text(place))
            if idea.paper_square:
                meta += " · " + html_text(_("from a paper card, square {square}").format(square=idea.paper_square))
            st.markdown(f"<p class='ws-idea'>{html_text(idea.text)}</p><p class='ws-meta'>{meta}</p>",
                        unsafe_allow_html=True)
            votes = votes_words(idea.votes)
            if idea.id in voted:
                st.button(_("You agreed · {votes}").format(votes=votes), key=f"ws.vote.{idea.id}", disabled=True,
                          width="stretch", icon=":material/check:")
            else:
                st.button(_("I agree · {votes}").format(votes=votes), key=f"ws.vote.{idea.id}", on_click=vote,
                          args=(plan.id, idea.id), width="stretch", icon=":material/thumb_up:")


# -- the page -------------------------------------------------------------------------------

def map_in_words(plan: Plan, ideas: list) -> None:
    """What the map shows, as a list, before the map: for a screen reader, and for anyone
    who would rather read than look."""
    with st.expander(_("What the map shows, as a list"), icon=":material/list:"):
        lines = []
        if plan.site_name:
            lines.append(_("The plan's site: {name}").format(name=md(plan.site_name)))
        lines += [md(zone_name(n, z.label)) for n, z in enumerate(plan.zones, 1)]
        if ideas:
            lines.append(ngettext("{count} idea, numbered as in the list of ideas below.",
                                  "{count} ideas, numbered as in the list of ideas below.",
                                  len(ideas)).format(count=fmt().number(len(ideas))))
        st.markdown("\n".join(f"- {line}" for line in lines) if lines else _("The map shows no plan yet."))


def plan_map(plan: Plan, ideas: list, site: BaseGeometry | None) -> None:
    places = [plan_maps.MapIdea(i, n, repository.idea_location(plan, i)) for n, i in enumerate(ideas, 1)]
    parts = [g for g in [site, *(z.geom for z in plan.zones), *(p.place for p in places)] if g is not None]
    view = plan_maps.plan_viewport(shapely.unary_union(parts) if parts else None,
                                   None if parts else state.map_extent())
    m = plan_maps.plan_map(view, site=site, site_name=plan.site_name,
                           zones=[plan_maps.MapZone(z, n) for n, z in enumerate(plan.zones, 1)], ideas=places,
                           pin=ss.get("ws.pin"), pin_label=_("Your idea goes here"))
    result = maps.show_map(m, key=f"ws.map.{plan.id}", height=620, returned=("last_clicked",),
                           title=_("Map of the plan: tap where your idea belongs"), visible_title=False)
    if result.new_click is not None:
        forget_place()
        ss["ws.pin"] = result.new_click
        ss["ws.zone"] = None
        st.rerun()


# -- joining, and opening a workshop -----------------------------------------------------------

def join(code: str) -> bool:
    """Join the workshop of ``code`` and open its plan; say why not on the page. The code
    stays in the page's address, so a reload (a new session) joins again as the same
    participant (app.participant's cookie)."""
    ss["ws.joined_code"] = workshops.normalise(code)
    try:
        who = session.join_workshop(code)
    except AtlasError as exc:
        st.error(str(exc), icon=":material/lock:")
        return False
    st.query_params["code"] = workshops.normalise(code)
    if who.plan_id is not None:
        st.query_params["plan"] = str(who.plan_id)
    return True


def join_from_link() -> None:
    """A link with ``?code=`` (the projector's QR code) joins its workshop at once, and
    the page is drawn again so the menu knows who is here."""
    code = st.query_params.get("code")
    if code and ss.get("ws.joined_code") != workshops.normalise(code) and join(code):
        st.rerun()


def join_form() -> None:
    st.title(_("Workshop"))
    st.markdown(_("Type the code on the screen at the front of the room to take part."))
    with st.form("ws.join", enter_to_submit=True):
        code = st.text_input(_("Workshop code"), max_chars=12, placeholder=_("e.g. 7KQ4MX"), key="ws.code")
        if st.form_submit_button(_("Join"), type="primary", width="stretch", key="ws.join_button") and join(code):
            st.rerun()
    st.page_link("app/pages/sign_in.py", label=_("Or sign in with an account"), icon=":material/login:")


def workshop_url(code: str) -> str:
    """The link the QR code holds: this app's workshop page with the code."""
    return workshops.join_url(st.context.url or "http://localhost:8501", code)


def open_code(plan_id: int) -> None:
    hours = float(ss.get("ws.code_hours") or settings.WORKSHOP_CODE_HOURS)
    try:
        with session.writing(Permission.PLAN) as store:
            workshops.open_workshop(store, plan_id, by=session.viewer().label, hours=hours)
    except AtlasError as exc:
        flash("error", str(exc))


def code_panel(plan: Plan) -> None:
    """For officers: a join code and its QR code, big enough for the projector."""
    if not session.can(Permission.PLAN):
        return
    with st.expander(_("Join code for this workshop (for the projector)"), icon=":material/qr_code_2:",
                     expanded=bool(st.query_params.get("show_code"))):
        current = state.query(workshops.open_workshops, plan.id)
        if current:
            w = current[0]
            url = workshop_url(w.code)
            a, b = st.columns([1, 2])
            a.image(workshops.qr_png(url), caption=_("Scan to take part"), width=260,
                    alt=_("QR code that opens this workshop on a phone: {address}").format(address=url))
            b.markdown(f"<p style='font-size:4rem;font-weight:700;letter-spacing:.4rem;margin:0' dir='ltr'>"
                       f"{html_text(w.code)}</p>", unsafe_allow_html=True)
            b.markdown(_("Go to **{address}** and type the code, or scan the square. "
                         "It lets people in until {until} (UTC).").format(
                address=html_text(url.split("?")[0]), until=fmt().datetime(w.expires_at, form="short")))
        st.number_input(_("Hours a new code lasts"), min_value=0.5, max_value=float(workshops.MAX_HOURS), step=0.5,
                        value=settings.WORKSHOP_CODE_HOURS, key="ws.code_hours")
        st.button(_("Open a new code") if current else _("Open the workshop with a code"), key="ws.open_code",
                  on_click=open_code, args=(plan.id,), icon=":material/qr_code_2:")
        paper_ideas.render_pack_downloads(plan.id)


def main() -> None:
    state.handle_or_stop()
    st.markdown(BIG_CSS, unsafe_allow_html=True)
    kiosk = st.query_params.get("kiosk") == "1"
    if kiosk:
        st.markdown(KIOSK_CSS, unsafe_allow_html=True)
    state.show_flashes("ws")
    join_from_link()
    who = session.viewer()
    if not who.can(Permission.TAKE_PART):
        join_form()
        return
    plans = [p for p in state.query(repository.list_plans) if who.can(Permission.TAKE_PART, plan_id=p.id)]
    plan_id = chosen_plan_id(plans)
    if plan_id is None:
        plan_picker(plans)
        return
    participant.token()  # the browser keeps it from the start, so a reload is the same person
    plan = state.query(repository.get_plan, plan_id)
    ideas = state.query(repository.list_ideas, plan_id)
    site = state.query(repository.site_geometry, plan)
    st.title(plan.title)
    code_panel(plan)
    if plan.vision:
        st.markdown(f"<p class='ws-vision'>{html_text(plan.vision)}</p>", unsafe_allow_html=True)
    # The form comes first in the page (and in keyboard order), the map beside it on a
    # wide screen and under it, the whole width, on a tablet (BIG_CSS).
    with st.container(key="ws-layout"):
        form_column, map_column = st.columns([2, 3], gap="large")
    with map_column:  # first, so a tap's pin is in place before the form's lists are drawn
        map_in_words(plan, ideas)
        plan_map(plan, ideas, site)
    with form_column:
        idea_form(plan, places_near(plan, site))
    idea_wall(plan, ideas)
    st.divider()
    # A row that wraps, so no button's words are cut off on a tablet or in a longer language.
    with st.container(horizontal=True, key="ws-actions"):
        st.button(_("Choose another plan"), key="ws.leave", on_click=leave_plan)
        st.button(_("Next person (a shared tablet)"), key="ws.next_person", on_click=next_person,
                  help=_("Hand the tablet on: the next person can vote for ideas afresh."))
        if st.button(_("Show the menu") if kiosk else _("Hide the menu (full screen)"), key="ws.kiosk"):
            if kiosk:
                st.query_params.pop("kiosk", None)
            else:
                st.query_params["kiosk"] = "1"
            st.rerun()
    if who.can(Permission.PLAN):
        paper_ideas.render_typing_in(plan_id)


main()
