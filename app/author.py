"""Who is at the keyboard: the name or role people type once and every page remembers,
for the histories and decisions that record who did what."""

from __future__ import annotations

import streamlit as st

from app import session

SHARED_KEY = "app.author"


def author_input(key: str, *, label: str = "Your name or role",
                 help: str = "Recorded beside each change and decision.") -> str:
    """A name box whose value every page remembers (the last one typed on any page)."""
    ss = st.session_state
    if key not in ss:
        ss[key] = ss.get(SHARED_KEY) or _signed_in_name()
    st.text_input(label, key=key, placeholder="e.g. Sam, ward officer", help=help)
    ss[SHARED_KEY] = ss[key]
    return ss[key].strip()


def remembered(key: str) -> str:
    """The name typed in box ``key`` (this run's value, even before the box is drawn), else
    the signed-in person's name."""
    ss = st.session_state
    return (ss.get(key) or ss.get(SHARED_KEY) or _signed_in_name()).strip()


def _signed_in_name() -> str:
    who = session.viewer()
    return who.label if who.signed_in and who.plan_id is None else ""
