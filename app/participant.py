"""Who is taking part in a workshop from this browser: one random token per device,
kept in a cookie so that a reload (or closing and reopening the tab) is still the same
participant, who may vote once for each idea.

Streamlit reads cookies (``st.context.cookies``, sent when the page connects) but cannot
set them, so a one-line script does: on a participant's first visit the token is made
here, kept in the session, and written to the browser for the visits after it. The
token is 32 hexadecimal digits and nothing else, so it cannot carry script into the
page. It says nothing about the person; it only tells their votes apart.

A tablet passed round a room is one device: "Next person" starts a new participant on
it, as the kiosk modes of consultation tools do.
"""

from __future__ import annotations

import re
import uuid

import streamlit as st

from app import cookies

COOKIE = "atlas_participant"
COOKIE_MAX_AGE_S = 180 * 24 * 3600
"""How long a browser keeps its participant token: half a year, a long consultation."""

_SESSION_KEY = "participant.token"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _new_token() -> str:
    return uuid.uuid4().hex


def token() -> str:
    """This browser's participant token (made, and stored in a cookie, on first use).

    The cookie is written on every run until the browser sends it back: a run that
    st.rerun() cuts short (joining a workshop) may never reach the browser, and a token
    that only this session knows would make a reload a new participant."""
    ss = st.session_state
    current = ss.get(_SESSION_KEY)
    if current is None:
        from_cookie = cookies.sent(COOKIE)
        current = from_cookie if from_cookie and _TOKEN.match(from_cookie) else _new_token()
        ss[_SESSION_KEY] = current
    cookies.keep(COOKIE, current, max_age_s=COOKIE_MAX_AGE_S)
    return current


def voter() -> str:
    """The name votes are recorded under: the device's token, not a person's name."""
    return f"device:{token()}"


def next_participant() -> None:
    """Start a new participant on this device (a shared tablet handed on)."""
    st.session_state[_SESSION_KEY] = _new_token()
