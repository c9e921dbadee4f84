"""Who is using the app in this browser session, and what they may do.

A visitor who has not signed in sees the public atlas. Signing in (a user name and
password checked by :mod:`atlas.accounts`, or the identity provider through Streamlit's
``st.login`` where ``[auth]`` is configured in secrets) or typing a workshop's join code
(:mod:`cedplans.workshops`) gives the session a :class:`~atlas.access.Viewer`, which
every page hands to the queries that can return something confidential, and which every
write goes through: :func:`writing` refuses a write the viewer may not make before the
store is touched, and records the viewer in the audit trail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import streamlit as st

from app import participant, state
from app.text import md
from atlas import accounts, audit
from atlas.access import PUBLIC, Permission, Viewer
from atlas.errors import AtlasError, NotAllowed
from atlas.store import Store
from cedplans import workshops

_KEY = "session.viewer"


def oidc_configured() -> bool:
    """Whether an identity provider is set up for ``st.login`` (an ``[auth]`` section in
    the app's secrets)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitAPIException):
        return False


def viewer() -> Viewer:
    """This session's viewer: signed in, joined by a workshop code, or the public."""
    current = st.session_state.get(_KEY)
    if current is None and oidc_configured() and getattr(st.user, "is_logged_in", False):
        current = state.query(accounts.for_identity, st.user.get("email"), st.user.get("name"))
        st.session_state[_KEY] = current
    return current or PUBLIC


_KEPT = ("participant.",)
"""Session values that outlive a change of person: this device's participant token."""


def _forget_pages() -> None:
    """Drop everything the pages keep in the session (a form filled for an officer, a
    place shown to them), so the next person on this browser starts afresh."""
    for key in list(st.session_state):
        if not str(key).startswith(_KEPT):
            del st.session_state[key]


def sign_in(username: str, password: str) -> Viewer:
    """Check the name and password and make this session theirs; NotAllowed if they do not match."""
    account = state.query(accounts.sign_in, username, password)
    _forget_pages()
    st.session_state[_KEY] = account.viewer()
    return st.session_state[_KEY]


def sign_out() -> None:
    _forget_pages()
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def join_workshop(code: str) -> Viewer:
    """Take part in the workshop whose code this is. A signed-in person keeps their own
    role; anyone else becomes a resident on that plan alone, named by this device."""
    joined = state.query(workshops.join, code, participant=participant.voter())
    if viewer().signed_in and viewer().plan_id is None:
        return viewer()
    st.session_state[_KEY] = joined
    return joined


def can(permission: Permission, *, plan_id: int | None = None) -> bool:
    return viewer().can(permission, plan_id=plan_id)


@contextlib.contextmanager
def writing(permission: Permission, *, plan_id: int | None = None) -> Iterator[Store]:
    """The store for a write this session's viewer may make (NotAllowed otherwise, before
    anything is touched), with the viewer recorded on every change in the audit trail."""
    who = viewer()
    who.require(permission, plan_id=plan_id)
    with state.writing() as store, audit.acting(who):
        yield store


def gate(permission: Permission, what: str) -> Viewer:
    """Stop the page, saying why and how to get in, unless the viewer may ``permission``."""
    who = viewer()
    if who.can(permission):
        return who
    try:
        who.require(permission)
    except NotAllowed as exc:
        st.warning(f"{what}: {exc}", icon=":material/lock:")
    if not who.signed_in:
        st.page_link("app/pages/sign_in.py", label="Sign in", icon=":material/login:")
    st.stop()
    raise AssertionError("unreachable: st.stop() raises")


def page_link(page: str, permission: Permission, **kwargs: object) -> None:
    """A link to ``page``, drawn only for a viewer who may open it (the menu lists only
    those pages, and Streamlit refuses a link to a page it does not list)."""
    if can(permission):
        st.page_link(page, **kwargs)


def sign_in_form(key: str = "signin") -> None:
    """The user name and password form (and the identity provider's button where set up)."""
    with st.form(key, clear_on_submit=False, enter_to_submit=True):
        username = st.text_input("User name", key=f"{key}.user", autocomplete="username")
        password = st.text_input("Password", type="password", key=f"{key}.password", autocomplete="current-password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                who = sign_in(username, password)
            except AtlasError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state.pop(f"{key}.password", None)
                st.success(f"Signed in as {md(who.label)} ({who.role.value}).", icon=":material/check:")
                st.rerun()
    if oidc_configured():
        st.button("Sign in with your organisation's account", on_click=st.login, key=f"{key}.oidc")
