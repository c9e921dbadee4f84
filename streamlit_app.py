"""Asset Atlas: the app. Run with ``streamlit run streamlit_app.py`` from this folder.

This file only sets the page up, makes sure the map libraries are in ``static/`` and
lists the pages; each page is a module in ``app/pages/``.
"""

from __future__ import annotations

import streamlit as st

from app import accessibility, language, navigation, session, state, static_assets
from app.language import _
from app.text import md
from atlas.access import Viewer


@st.cache_resource(show_spinner=False)
def _install_web_assets() -> static_assets.InstallReport:
    # Once per process: copy Leaflet and its plugins from installed packages to static/.
    return static_assets.install()


st.set_page_config(page_title="Asset Atlas", page_icon="🗺️", layout="wide")

report = _install_web_assets()
for hint in report.missing.values():
    st.sidebar.warning(hint, icon=":material/extension_off:")


def page_list(who: Viewer) -> dict[str, list]:
    """The menu: the pages this viewer may open, by section (app.navigation)."""
    sections: dict[str, list] = {}
    for spec in navigation.pages_for(who):
        sections.setdefault(_(spec.section), []).append(
            st.Page(spec.path, title=_(spec.title), icon=spec.icon, url_path=spec.url_path,
                    default=spec.path == navigation.PAGES[0].path))
    return sections


handle = state.handle_or_stop()
if handle.demo_loaded and not st.session_state.get("demo_notice_shown"):
    st.session_state["demo_notice_shown"] = True
    st.toast(_("The atlas was empty, so the USE-IT! demo (approximate data) was loaded."), icon=":material/info:")

session.refresh()
language.start_run()
who = session.viewer()
session.keep_sign_in()
page = st.navigation(page_list(who))
language.switcher(page.url_path)
accessibility.apply()
if who.signed_in:
    st.sidebar.caption(_("Signed in: {name} ({role})").format(name=md(who.label), role=_(who.role.value)))
page.run()
