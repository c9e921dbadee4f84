"""Who is at the keyboard: the name or role people type once and every page remembers,
for the histories and decisions that record who did what."""

from __future__ import annotations

import streamlit as st

from app import session
from app.language import _

SHARED_KEY = "app.author"


def author_input(key: str, *, label: str | None = None, help: str | None = None) -> str:
    """A name box whose value every page remembers (the last one typed on any page).
    ``label`` and ``help`` are already translated; by default "Your name or role"."""
    ss = st.session_state
    if key not in ss:
        ss[key] = ss.get(SHARED_KEY) or _signed_in_name()
    st.text_input(label or _("Your name or role"), key=key, placeholder=_("e.g. Sam, ward officer"),
                  help=help or _("Recorded beside each change and decision."))
    ss[SHARED_KEY] = ss[key]
    return ss[key].strip()


def carry(name: str, to_key: str) -> None:
    """Put ``name`` (typed in a box that is not drawn again, such as a form's) into the name
    box ``to_key`` and into every page's memory. Call it from a callback, which runs before
    any box is drawn: a drawn box's value can no longer be set in that run."""
    name = name.strip()
    if name:
        st.session_state[to_key] = name
        st.session_state[SHARED_KEY] = name


def remembered(key: str) -> str:
    """The name typed in box ``key`` (this run's value, even before the box is drawn), else
    the signed-in person's name."""
    ss = st.session_state
    return (ss.get(key) or ss.get(SHARED_KEY) or _signed_in_name()).strip()


def _signed_in_name() -> str:
    who = session.viewer()
    return who.label if who.signed_in and who.plan_id is None else ""
