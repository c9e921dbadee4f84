"""Sign in, sign out, or join a workshop with its code."""

from __future__ import annotations

import streamlit as st

from app import session, state
from app.text import md
from atlas.demo import DEMO_ACCOUNTS, has_demo_accounts
from atlas.errors import AtlasError


def join_form() -> None:
    st.subheader("Join a workshop")
    st.caption("Type the code on the screen at the front of the room.")
    with st.form("join", enter_to_submit=True):
        code = st.text_input("Workshop code", max_chars=12, placeholder="e.g. 7KQ4MX", key="join.code")
        if st.form_submit_button("Join", type="primary"):
            try:
                who = session.join_workshop(code)
            except AtlasError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.query_params["plan"] = str(who.plan_id) if who.plan_id else st.query_params.get("plan", "")
                st.switch_page("app/pages/workshop.py", query_params={"plan": str(who.plan_id or "")})


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
        st.success(f"You are {md(who.label)}, signed in as a {who.role.value}{where}.", icon=":material/person:")
        st.button("Sign out", on_click=session.sign_out, key="signout")
    else:
        st.info("Without signing in you can look at the public atlas. Sign in to add to it or to work on plans.",
                icon=":material/visibility:")
        session.sign_in_form()
        demo_hint()
    st.divider()
    join_form()


main()
