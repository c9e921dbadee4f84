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
from typing import Any

import streamlit as st

from app import cookies, participant, state
from app.language import _
from app.text import md
from atlas import accounts, audit, settings
from atlas.access import PUBLIC, Permission, Viewer
from atlas.errors import AtlasError, NotAllowed
from atlas.store import Store
from cedplans import workshops

_KEY = "session.viewer"
_TOKEN_KEY = "session.token"
COOKIE = "atlas_session"


def oidc_configured() -> bool:
    """Whether an identity provider is set up for ``st.login`` (an ``[auth]`` section in
    the app's secrets)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitAPIException):
        return False


def viewer() -> Viewer:
    """This session's viewer: signed in (in this session, or in an earlier one of this
    browser whose sign-in has not run out), joined by a workshop code, or the public."""
    ss = st.session_state
    current = ss.get(_KEY)
    if current is None and not ss.get("session.resumed"):
        ss["session.resumed"] = True  # look the cookie up once per session
        account = state.query(accounts.resume_session, cookies.sent(COOKIE))
        if account is not None:
            ss[_TOKEN_KEY], current = cookies.sent(COOKIE), account.viewer()
            ss[_KEY] = current
    if current is None and oidc_configured() and getattr(st.user, "is_logged_in", False):
        current = state.query(accounts.for_identity, st.user.get("email"), st.user.get("name"))
        ss[_KEY] = current
    return current or PUBLIC


def refresh() -> None:
    """Take up an admin's change to this session's account (removed, or another role):
    once per run of the app, before the menu is drawn, not on every question a page asks."""
    current = st.session_state.get(_KEY)
    if current is not None and current.username and current.plan_id is None:
        account = state.query(accounts.find_user, current.username)
        st.session_state[_KEY] = None if account is None else account.viewer()


def keep_sign_in() -> None:
    """Have the browser keep (or forget) this session's sign-in, so a reload or a link
    typed into the address bar is still signed in. Called on every run of the app."""
    token = st.session_state.get(_TOKEN_KEY)
    if token:
        cookies.keep(COOKIE, token, max_age_s=int(settings.SIGN_IN_HOURS * 3600))
    elif cookies.sent(COOKIE) and st.session_state.get("session.resumed"):
        cookies.keep(COOKIE, "", max_age_s=0)


_KEPT = ("participant.",)
"""Session values that outlive a change of person: this device's participant token."""


def _forget_pages() -> None:
    """Drop everything the pages keep in the session (a form filled for an officer, a
    place shown to them), so the next person on this browser starts afresh."""
    for key in list(st.session_state):
        if not str(key).startswith(_KEPT):
            del st.session_state[key]


def sign_in(username: str, password: str) -> Viewer:
    """Check the name and password and make this session theirs (and this browser's, until
    the sign-in runs out); NotAllowed if they do not match."""
    account = state.query(accounts.sign_in, username, password)
    with state.writing() as store:
        token = accounts.start_session(store, account.username)
    _forget_pages()
    st.session_state.update({_KEY: account.viewer(), _TOKEN_KEY: token, "session.resumed": True})
    return st.session_state[_KEY]


def sign_out() -> None:
    token = st.session_state.get(_TOKEN_KEY) or cookies.sent(COOKIE)
    if token:
        with state.writing() as store:
            accounts.end_session(store, token)
    _forget_pages()
    st.session_state["session.resumed"] = True
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
def writing(permission: Permission, *, plan_id: int | None = None, who: Viewer | None = None) -> Iterator[Store]:
    """The store for a write this session's viewer (or ``who``, taken during a run for a
    file made later, when its download button is pressed) may make (NotAllowed otherwise,
    before anything is touched), with the viewer recorded on every change in the audit trail."""
    who = who or viewer()
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
        st.warning(_("{what}: {reason}").format(what=what, reason=exc), icon=":material/lock:")
    if not who.signed_in:
        st.page_link("app/pages/sign_in.py", label=_("Sign in"), icon=":material/login:")
    st.stop()
    raise AssertionError("unreachable: st.stop() raises")


def page_link(page: str, permission: Permission, **kwargs: Any) -> None:
    """A link to ``page``, drawn only for a viewer who may open it (the menu lists only
    those pages, and Streamlit refuses a link to a page it does not list)."""
    if can(permission):
        st.page_link(page, **kwargs)


def sign_in_form(key: str = "signin") -> None:
    """The user name and password form (and the identity provider's button where set up)."""
    with st.form(key, clear_on_submit=False, enter_to_submit=True):
        username = st.text_input(_("User name"), key=f"{key}.user", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key=f"{key}.password",
                                 autocomplete="current-password")
        if st.form_submit_button(_("Sign in"), type="primary"):
            try:
                who = sign_in(username, password)
            except AtlasError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state.pop(f"{key}.password", None)
                st.success(_("Signed in as {name} ({role}).").format(
                    name=md(who.label), role=_(who.role.value) if who.role else ""), icon=":material/check:")
                st.rerun()
    if oidc_configured():
        st.button(_("Sign in with your organisation's account"), on_click=st.login, key=f"{key}.oidc")
