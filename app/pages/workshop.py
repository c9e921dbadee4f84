"""Workshop mode: one plan on a tablet or a projector, for a room full of people.

Large buttons and plain words. People tap the map to pin an idea (a category and a
sentence) or pick one of the plan's zones, and vote for the ideas they agree with, once
each per participant (:mod:`app.participant`: a token kept in the browser). The
page can do nothing else to the plan: it only reads it, and its only writes are
:func:`cedplans.repository.add_idea` and :func:`cedplans.repository.vote` (a test holds
it to that). A link with ``?plan=ID`` opens the plan straight away; ``&kiosk=1`` hides
the app's menu as well.

Taking part needs a workshop's join code (``?code=`` in the link the QR code holds) or
an account; an officer opens a workshop with a code from this page, for the projector.
"""

from __future__ import annotations

import functools
import urllib.parse

import shapely
import streamlit as st

from app import maps, participant, plan_maps, session, state
from app.text import html_text
from atlas import settings
from atlas.access import Permission
from atlas.errors import AtlasError
from cedplans import repository, workshops
from cedplans.model import IDEA_CATEGORIES, Plan
from cedplans.repository import IDEA_TEXT_MAX

ss = st.session_state

# Material icons come with Streamlit's own font, so they show without internet.
CATEGORY_WORDS = {
    "idea": ":material/lightbulb: An idea",
    "comment": ":material/chat: A comment",
    "concern": ":material/warning: A worry",
    "question": ":material/help: A question",
    "offer of help": ":material/volunteer_activism: I can help",
}

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
  background: #EE3377; color: #fff; font-weight: 700; text-align: center; margin-right: .4rem; }
</style>
"""

KIOSK_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {
  display: none; }
</style>
"""


flash = functools.partial(state.flash, "ws")


# -- choosing the plan -----------------------------------------------------------------------

def chosen_plan_id(plans: list) -> int | None:
    wanted = st.query_params.get("plan", "")
    ids = {p.id for p in plans}
    if wanted.isdigit() and int(wanted) in ids:
        return int(wanted)
    if wanted:
        st.warning("That plan is not in this atlas, or your workshop code is for another plan; choose one below.")
    return None


def open_plan(plan_id: int) -> None:
    st.query_params["plan"] = str(plan_id)
    for key in ("ws.pin", "ws.zone"):
        ss.pop(key, None)


def leave_plan() -> None:
    st.query_params.pop("plan", None)


def plan_picker(plans: list) -> None:
    st.title("Workshop")
    if not plans:
        st.info("There are no plans yet. Start one in the plan sketcher, then come back here.")
        return
    st.markdown("Choose the plan for this workshop.")
    for p in plans:
        label = f"{p.title}" + (f" · {p.site_name}" if p.site_name else "")
        st.button(label, key=f"ws.open.{p.id}", on_click=open_plan, args=(p.id,), width="stretch")


# -- adding an idea ------------------------------------------------------------------------

def add_idea(plan_id: int) -> None:
    """Store the idea being written (the button's callback)."""
    text = (ss.get("ws.text") or "").strip()
    pin, zone_id = ss.get("ws.pin"), ss.get("ws.zone")
    if pin is None and zone_id is None:
        flash("warning", "First tap the map where your idea belongs, or choose a zone.")
        return
    point = shapely.Point(pin) if pin is not None else None  # pin is (longitude, latitude)
    try:
        with session.writing(Permission.TAKE_PART, plan_id=plan_id) as store:
            repository.add_idea(store, plan_id, text, category=ss.get("ws.category") or "idea",
                                author=ss.get("ws.name") or None, point=point,
                                zone_id=None if point is not None else zone_id)
    except AtlasError as exc:
        flash("error", str(exc))
        return
    # One tablet passes from hand to hand: the next person starts with a clean form.
    ss["ws.text"] = ""
    ss["ws.name"] = ""
    ss["ws.category"] = IDEA_CATEGORIES[0]
    ss.pop("ws.pin", None)
    ss["ws.zone"] = None
    flash("success", "Thank you! Your idea is on the wall.")


def clear_pin() -> None:
    ss.pop("ws.pin", None)


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
    flash("info", "Ready for the next person: their votes count afresh.", icon=":material/person_add:")


def zone_at(plan: Plan, lon: float, lat: float) -> str:
    """Words for the zone a pinned point falls in, if any."""
    point = shapely.Point(lon, lat)
    for n, z in enumerate(plan.zones, 1):
        if z.geom.covers(point):
            return f" It is in zone {n}: {z.label}."
    return ""


def idea_form(plan: Plan) -> None:
    st.subheader("Add your idea")
    pin = ss.get("ws.pin")
    if pin is not None:
        st.success("Pinned where you tapped." + zone_at(plan, *pin), icon=":material/location_on:")
        st.button("Take the pin away", key="ws.clear_pin", on_click=clear_pin)
    else:
        st.info("Tap the map where your idea belongs" + (", or choose a zone:" if plan.zones else "."),
                icon=":material/touch_app:")
        if plan.zones:
            labels = {z.id: f"Zone {n}: {z.label}" for n, z in enumerate(plan.zones, 1)}
            if ss.get("ws.zone") not in labels:
                ss["ws.zone"] = None
            st.selectbox("Zone", list(labels), key="ws.zone", format_func=lambda i: labels[i], index=None,
                         placeholder="Choose a zone", label_visibility="collapsed")
    st.radio("What is it?", IDEA_CATEGORIES, key="ws.category", horizontal=True,
             format_func=lambda c: CATEGORY_WORDS.get(c, c))
    st.text_area("Your idea in a sentence", key="ws.text", max_chars=IDEA_TEXT_MAX, height=120,
                 placeholder="e.g. A Saturday market by the lodge, with local food stalls")
    st.text_input("Your name (leave it empty to stay anonymous)", key="ws.name")
    st.button("Add my idea", key="ws.add", type="primary", on_click=add_idea, args=(plan.id,),
              width="stretch")


# -- the wall of ideas -------------------------------------------------------------------------

def idea_wall(plan: Plan, ideas: list) -> None:
    st.subheader(f"Ideas so far ({len(ideas)})" + (" · most votes first" if len(ideas) > 1 else ""))
    if not ideas:
        st.info("No ideas yet. Be the first!")
        return
    voted = state.query(repository.voted_ideas, plan.id, participant.voter())
    zone_names = {z.id: f"zone {n}: {z.label}" for n, z in enumerate(plan.zones, 1)}
    cols = st.columns(2)
    for n, idea in enumerate(ideas, 1):
        with cols[(n - 1) % 2].container(border=True):
            place = "a place on the map" if idea.zone_id is None else zone_names.get(idea.zone_id, "a zone")
            # The category's words are ours (with an icon); what people typed goes in escaped.
            words = CATEGORY_WORDS.get(idea.category, "An idea")
            st.markdown(f"<span class='ws-number'>{n}</span> **{words}**", unsafe_allow_html=True)
            st.markdown(f"<p class='ws-idea'>{html_text(idea.text)}</p>"
                        f"<p class='ws-meta'>by {html_text(idea.by)} · at {html_text(place)}</p>",
                        unsafe_allow_html=True)
            votes = f"{idea.votes} vote{'s' if idea.votes != 1 else ''}"
            if idea.id in voted:
                st.button(f"You agreed · {votes}", key=f"ws.vote.{idea.id}", disabled=True, width="stretch",
                          icon=":material/check:")
            else:
                st.button(f"I agree · {votes}", key=f"ws.vote.{idea.id}", on_click=vote, args=(plan.id, idea.id),
                          width="stretch", icon=":material/thumb_up:")


# -- the page -------------------------------------------------------------------------------

def plan_map(plan: Plan, ideas: list) -> None:
    with state.reading() as store:
        site = repository.site_geometry(store, plan)
    places = [plan_maps.MapIdea(i, n, repository.idea_location(plan, i)) for n, i in enumerate(ideas, 1)]
    parts = [g for g in [site, *(z.geom for z in plan.zones), *(p.place for p in places)] if g is not None]
    view = plan_maps.plan_viewport(shapely.unary_union(parts) if parts else None,
                                   None if parts else state.map_extent())
    m = plan_maps.plan_map(view, site=site, site_name=plan.site_name,
                           zones=[plan_maps.MapZone(z, n) for n, z in enumerate(plan.zones, 1)], ideas=places,
                           pin=ss.get("ws.pin"), pin_label="Your idea goes here")
    result = maps.show_map(m, key=f"ws.map.{plan.id}", height=620, returned=("last_clicked",))
    if result.new_click is not None:
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
    st.title("Workshop")
    st.markdown("Type the code on the screen at the front of the room to take part.")
    with st.form("ws.join", enter_to_submit=True):
        code = st.text_input("Workshop code", max_chars=12, placeholder="e.g. 7KQ4MX", key="ws.code")
        if st.form_submit_button("Join", type="primary", width="stretch") and join(code):
            st.rerun()
    st.page_link("app/pages/sign_in.py", label="Or sign in with an account", icon=":material/login:")


def workshop_url(code: str) -> str:
    """The link the QR code holds: this app's workshop page with the code."""
    page = urllib.parse.urlsplit(st.context.url or "http://localhost:8501/workshop")
    return urllib.parse.urlunsplit((page.scheme, page.netloc, "/workshop", urllib.parse.urlencode({"code": code}), ""))


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
    with st.expander("Join code for this workshop (for the projector)", icon=":material/qr_code_2:",
                     expanded=bool(st.query_params.get("show_code"))):
        current = state.query(workshops.open_workshops, plan.id)
        if current:
            w = current[0]
            url = workshop_url(w.code)
            a, b = st.columns([1, 2])
            a.image(workshops.qr_png(url), caption="Scan to take part", width=260)
            b.markdown(f"<p style='font-size:4rem;font-weight:700;letter-spacing:.4rem;margin:0'>{w.code}</p>",
                       unsafe_allow_html=True)
            b.markdown(f"Go to **{html_text(url.split('?')[0])}** and type the code, or scan the square. "
                       f"It lets people in until {w.expires_at:%H:%M} (UTC) on {w.expires_at:%-d %B}.")
        st.number_input("Hours a new code lasts", min_value=0.5, max_value=float(workshops.MAX_HOURS), step=0.5,
                        value=settings.WORKSHOP_CODE_HOURS, key="ws.code_hours")
        st.button("Open a new code" if current else "Open the workshop with a code", key="ws.open_code",
                  on_click=open_code, args=(plan.id,), icon=":material/qr_code_2:")


def main() -> None:
    state.handle_or_stop()
    st.markdown(BIG_CSS, unsafe_allow_html=True)
    if st.query_params.get("kiosk") == "1":
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
    st.title(plan.title)
    code_panel(plan)
    if plan.vision:
        st.markdown(f"<p class='ws-vision'>{html_text(plan.vision)}</p>", unsafe_allow_html=True)
    left, right = st.columns([3, 2], gap="large")
    with left:
        plan_map(plan, ideas)
    with right:
        idea_form(plan)
    idea_wall(plan, ideas)
    st.divider()
    c1, c2, c3 = st.columns(3)
    c1.button("Choose another plan", key="ws.leave", on_click=leave_plan)
    c2.button("Next person (a shared tablet)", key="ws.next_person", on_click=next_person,
              help="Hand the tablet on: the next person can vote for ideas afresh.")
    kiosk = st.query_params.get("kiosk") == "1"
    if c3.button("Show the menu" if kiosk else "Hide the menu (full screen)", key="ws.kiosk"):
        if kiosk:
            st.query_params.pop("kiosk", None)
        else:
            st.query_params["kiosk"] = "1"
        st.rerun()


main()
