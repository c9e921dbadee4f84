"""Sign in or out (a workshop's code is typed on the Workshop page)."""

from __future__ import annotations

import streamlit as st

from app import session, state
from app.language import N_, _
from app.text import md
from atlas.demo import DEMO_ACCOUNTS, has_demo_accounts

ROLE_WORDS = {"resident": N_("a resident"), "researcher": N_("a researcher"), "officer": N_("an officer"),
              "developer": N_("a developer"), "admin": N_("an admin")}
"""Each role as a sentence names it (atlas.access.Viewer.role_words, for the catalogues)."""


def demo_hint() -> None:
    if not state.query(has_demo_accounts):
        return
    with st.expander(_("Demo accounts (this atlas holds the demo)"), icon=":material/info:"):
        st.markdown(_("These documented accounts are made with the demo only. Never use them on a real atlas."))
        st.table([{_("user name"): role, _("password"): password, _("name"): name}
                  for role, (name, password) in DEMO_ACCOUNTS.items()])


def main() -> None:
    state.handle_or_stop()
    who = session.viewer()
    st.title(_("Sign in"))
    if who.signed_in:
        role = who.role.value if who.role else ""
        words = _(ROLE_WORDS[role]) if role in ROLE_WORDS else who.role_words
        if who.plan_id:
            said = _("You are {name}, signed in as {role} for plan {plan}'s workshop.").format(
                name=md(who.label), role=words, plan=who.plan_id)
        else:
            said = _("You are {name}, signed in as {role}.").format(name=md(who.label), role=words)
        st.success(said, icon=":material/person:")
        st.button(_("Sign out"), on_click=session.sign_out, key="signout")
    else:
        st.info(_("Without signing in you can look at the public atlas. Sign in to add to it or to work on plans."),
                icon=":material/visibility:")
        session.sign_in_form()
        demo_hint()
    st.divider()
    st.page_link("app/pages/workshop.py", label=_("Taking part in a workshop? Type its code on the Workshop page"),
                 icon=":material/groups:")


main()
