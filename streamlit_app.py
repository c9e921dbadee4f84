"""Asset Atlas: the app. Run with ``streamlit run streamlit_app.py`` from this folder.

This file only sets the page up, makes sure the map libraries are in ``static/`` and
lists the pages; each page is a module in ``app/pages/``.
"""

from __future__ import annotations

import streamlit as st

from app import static_assets, state


@st.cache_resource(show_spinner=False)
def _install_web_assets() -> static_assets.InstallReport:
    # Once per process: copy Leaflet and its plugins from installed packages to static/.
    return static_assets.install()


st.set_page_config(page_title="Asset Atlas", page_icon="🗺️", layout="wide")

report = _install_web_assets()
for hint in report.missing.values():
    st.sidebar.warning(hint, icon=":material/extension_off:")

pages = {
    "Atlas": [
        st.Page("app/pages/atlas_map.py", title="Atlas map", icon=":material/map:", default=True),
        st.Page("app/pages/site_explorer.py", title="Site explorer", icon=":material/radar:"),
    ],
    "Linking": [
        st.Page("app/pages/matches.py", title="Matches", icon=":material/handshake:"),
        st.Page("app/pages/tenant_finder.py", title="Tenant finder", icon=":material/storefront:"),
    ],
    "Plans": [
        st.Page("app/pages/plan_sketcher.py", title="Plan sketcher", icon=":material/draw:"),
        st.Page("app/pages/workshop.py", title="Workshop", icon=":material/groups:"),
        st.Page("app/pages/site_dossier.py", title="Site dossier", icon=":material/folder_open:"),
    ],
    "Data": [
        st.Page("app/pages/asset_register.py", title="Asset register", icon=":material/edit_location_alt:"),
    ],
}

handle = state.handle_or_stop()
if handle.demo_loaded and not st.session_state.get("demo_notice_shown"):
    st.session_state["demo_notice_shown"] = True
    st.toast("The atlas was empty, so the USE-IT! demo (approximate data) was loaded.", icon=":material/info:")

st.navigation(pages).run()
