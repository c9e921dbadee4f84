"""Asset Atlas: the app. Run with ``streamlit run streamlit_app.py`` from this folder.

This file only sets the page up, makes sure the map libraries are in ``static/`` and
lists the pages; each page is a module in ``app/pages/``.
"""

from __future__ import annotations

import streamlit as st

from app import session, state, static_assets
from app.text import md
from atlas.access import Permission, Viewer


@st.cache_resource(show_spinner=False)
def _install_web_assets() -> static_assets.InstallReport:
    # Once per process: copy Leaflet and its plugins from installed packages to static/.
    return static_assets.install()


st.set_page_config(page_title="Asset Atlas", page_icon="🗺️", layout="wide")

report = _install_web_assets()
for hint in report.missing.values():
    st.sidebar.warning(hint, icon=":material/extension_off:")

def page_list(who: Viewer) -> dict[str, list]:
    """The pages this viewer may open (each page checks again for itself)."""
    P = Permission
    sections = {
        "Atlas": [
            st.Page("app/pages/atlas_map.py", title="Atlas map", icon=":material/map:", default=True),
            st.Page("app/pages/site_explorer.py", title="Site explorer", icon=":material/radar:"),
        ],
        "Linking": [
            *([st.Page("app/pages/matches.py", title="Matches", icon=":material/handshake:")]
              if who.can(P.PLAN) else []),
            *([st.Page("app/pages/tenant_finder.py", title="Tenant finder", icon=":material/storefront:")]
              if who.can(P.FIND_TENANTS) else []),
        ],
        "Plans": [
            *([st.Page("app/pages/plan_sketcher.py", title="Plan sketcher", icon=":material/draw:")]
              if who.can(P.PLAN) else []),
            st.Page("app/pages/workshop.py", title="Workshop", icon=":material/groups:"),
            *([st.Page("app/pages/site_dossier.py", title="Site dossier", icon=":material/folder_open:")]
              if who.can(P.PLAN) else []),
        ],
        "Data": [
            *([st.Page("app/pages/asset_register.py", title="Asset register", icon=":material/edit_location_alt:")]
              if who.can(P.EDIT_REGISTER) else []),
            *([st.Page("app/pages/admin.py", title="Admin", icon=":material/admin_panel_settings:")]
              if who.can(P.ADMINISTER) else []),
        ],
        "You": [
            st.Page("app/pages/sign_in.py", title="Sign out" if who.signed_in else "Sign in",
                    icon=":material/logout:" if who.signed_in else ":material/login:"),
        ],
    }
    return {name: pages for name, pages in sections.items() if pages}


handle = state.handle_or_stop()
if handle.demo_loaded and not st.session_state.get("demo_notice_shown"):
    st.session_state["demo_notice_shown"] = True
    st.toast("The atlas was empty, so the USE-IT! demo (approximate data) was loaded.", icon=":material/info:")

who = session.viewer()
if who.signed_in:
    st.sidebar.caption(f"Signed in: {md(who.label)} ({who.role.value})")
st.navigation(page_list(who)).run()
