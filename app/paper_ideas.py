"""Paper in the workshop: the printable workshop pack's downloads, and the form where an
officer types paper ideas back in by grid square (issue 13).

Both are drawn inside other pages (the plan sketcher, the workshop page) and only for a
viewer who may work on plans. The work is done by :mod:`cedplans.workshop_pack`; this
module holds no SQL and no geometry.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from app import session, state
from app.language import _, current
from app.text import md
from atlas import i18n
from atlas.access import Permission
from atlas.errors import AtlasError
from cedplans import repository, workshop_pack
from cedplans.model import IDEA_CATEGORIES

_DEFAULT_APP_URL = "http://localhost:8501"


def _app_url() -> str:
    """This app's address as the browser sees it, for the cards' QR codes."""
    try:
        return st.context.url or _DEFAULT_APP_URL
    except Exception:  # noqa: BLE001 - AppTest has no browser to ask
        return _DEFAULT_APP_URL


def _file_name(title: str, size: str, language: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50].strip("-") or "plan"
    return f"{slug}-workshop-pack-{size.lower()}-{language}.pdf"


def render_pack_downloads(plan_id: int) -> None:
    """Download buttons for the plan's workshop pack (A4 and A3 PDF), in a language chosen
    here (the reader's own by default). Making a pack opens a workshop code if the plan has
    none open, so the cards' QR codes let people in."""
    if not session.can(Permission.PLAN, plan_id=plan_id):
        return
    key = f"paper.{plan_id}"
    codes = list(i18n.LANGUAGES)
    language = st.selectbox(
        _("Language of the workshop pack"), codes, index=codes.index(current()), key=f"{key}.language",
        format_func=lambda code: i18n.LANGUAGES[code],
        help=_("Print the pack in the language most people in the room read."))
    title = state.query(repository.get_plan, plan_id).title
    base_url = _app_url()

    who = session.viewer()  # now, in the run: the file is made later, when a button is pressed

    def make(size: str) -> Callable[[], bytes]:
        def data() -> bytes:
            with session.writing(Permission.PLAN, plan_id=plan_id, who=who) as store:
                return workshop_pack.build_pack(store, plan_id, size=size, base_url=base_url,
                                                by=who.label, language=language)
        return data

    columns = st.columns(len(workshop_pack.PAPER_SIZES))
    for column, size in zip(columns, workshop_pack.PAPER_SIZES, strict=True):
        # The PDF is made only when the button is pressed (it takes a few seconds).
        column.download_button(
            _("Workshop pack ({size} PDF)").format(size=size), data=make(size),
            file_name=_file_name(title, size, language), mime="application/pdf", key=f"{key}.pack.{size}",
            on_click="ignore", width="stretch", icon=":material/print:",
            help=_("The site map with a letter-number grid, the nearby assets, the questions, and idea cards "
                   "with a QR code to cut out."))


def _type_in(plan_id: int) -> None:
    key = f"paper.{plan_id}"
    ss = st.session_state
    try:
        with session.writing(Permission.PLAN, plan_id=plan_id) as store:
            idea = workshop_pack.add_paper_idea(
                store, plan_id, ss.get(f"{key}.square") or "", ss.get(f"{key}.text") or "",
                category=ss.get(f"{key}.category") or "idea", author=ss.get(f"{key}.author") or None,
                typed_by=session.viewer().label)
            square = idea.paper_square
    except AtlasError as exc:
        ss[f"{key}.message"] = ("error", str(exc))
        return
    ss[f"{key}.message"] = ("success", _("Added the idea from square {square}. It is on the plan with the "
                                         "other ideas, marked as from paper.").format(square=square))
    # Clear the card's words for the next card; the category and square often repeat less.
    for field in ("square", "text", "author"):
        ss[f"{key}.{field}"] = ""


def render_typing_in(plan_id: int) -> None:
    """For officers: type in ideas written on paper cards, by grid square. Each is stored
    at the centre of its square and shows with the other ideas, marked as from paper."""
    if not session.can(Permission.PLAN, plan_id=plan_id):
        return
    key = f"paper.{plan_id}"
    st.markdown(f"#### {_('Type in ideas from paper cards')}")
    st.caption(_("Copy each card as written. The idea is placed at the centre of its grid square on the "
                 "pack's map."))
    message = st.session_state.pop(f"{key}.message", None)
    if message:
        level, text = message
        (st.success if level == "success" else st.error)(text)
    with st.form(f"{key}.form", enter_to_submit=False, border=True):
        a, b = st.columns([1, 2])
        a.text_input(_("Grid square"), key=f"{key}.square", max_chars=4, placeholder=_("e.g. B3"),
                     help=_("The letter and number written in the card's grid square box."))
        b.selectbox(_("Category"), IDEA_CATEGORIES, key=f"{key}.category",
                    format_func={c: _(workshop_pack.CATEGORY_LABELS[c]) for c in IDEA_CATEGORIES}.__getitem__)
        st.text_area(_("The idea, as written on the card"), key=f"{key}.text",
                     max_chars=repository.IDEA_TEXT_MAX)
        st.text_input(_("Name on the card (optional)"), key=f"{key}.author")
        st.form_submit_button(_("Add the paper idea"), type="primary", on_click=_type_in, args=(plan_id,),
                              icon=":material/edit_note:")
    from_paper = [i for i in state.query(repository.list_ideas, plan_id, include_hidden=True) if i.paper_square]
    if from_paper:
        st.markdown(f"**{_('From paper so far')}**")
        lines = [_("{square}: {text} (by {name})").format(square=i.paper_square, text=md(i.text),
                                                           name=md(i.by if i.author else _("anonymous")))
                 for i in sorted(from_paper, key=lambda i: i.id)]
        st.markdown("\n".join(f"- {line}" for line in lines))
