"""Sign in or out (a workshop's code is typed on the Workshop page)."""

from __future__ import annotations

import streamlit as st

from app import session, state
from app.text import md
from atlas.demo import DEMO_ACCOUNTS, has_demo_accounts


def demo_hint() -> None:
    if not state.query(has_demo_accounts):
        return
    with st.expander("Demo accounts (this atlas holds the demo)", icon=":material/info:"):
        st.markdown("These documented accounts are made with the demo only. Never use them on a real atlas.")
        st.table([{"user name": role, "password": password, "name": name}
                  for role, (name, password) in DEMO_ACCOUNTS.items()])


def main() -> None:
    state.handle_or_stop()
    who = session.viewer()
    st.title("Sign in")
    if who.signed_in:
        where = f" for plan {who.plan_id}'s workshop" if who.plan_id else ""
        st.success(f"You are {md(who.label)}, signed in as {who.role_words}{where}.", icon=":material/person:")
        st.button("Sign out", on_click=session.sign_out, key="signout")
    else:
        st.info("Without signing in you can look at the public atlas. Sign in to add to it or to work on plans.",
                icon=":material/visibility:")
        session.sign_in_form()
        demo_hint()
    st.divider()
    st.page_link("app/pages/workshop.py", label="Taking part in a workshop? Type its code on the Workshop page",
                 icon=":material/groups:")


main()
