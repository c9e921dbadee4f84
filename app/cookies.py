"""Cookies the app keeps in the browser: a workshop participant's device token and a
signed-in person's session.

Streamlit reads cookies (``st.context.cookies``, as the browser sent them when the page
connected) but cannot set them, so a one-line script does. A value is written on every
run until the browser has it, because a run cut short by ``st.rerun()`` never reaches the
browser. Only our own tokens (letters, digits, ``-`` and ``_``) ever reach the script.
"""

from __future__ import annotations

import re

import streamlit as st

_SAFE = re.compile(r"^[A-Za-z0-9_-]{0,128}$")


def sent(name: str) -> str | None:
    """The cookie ``name`` as the browser sent it when this session connected."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else None


def keep(name: str, value: str, *, max_age_s: int) -> None:
    """Have the browser keep ``name=value`` (``max_age_s`` 0 removes it)."""
    if not (_SAFE.match(name) and _SAFE.match(value)):
        raise ValueError("only the app's own tokens are written to cookies")
    if sent(name) == value and max_age_s > 0:
        return
    st.html(
        f"<script>document.cookie = '{name}={value}; Path=/; Max-Age={int(max_age_s)}; SameSite=Lax';</script>",
        unsafe_allow_javascript=True, width="content",
    )
