"""Atlas: the whole store on a map, filtered, searchable, with a legend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import maps, session, state
from app.filters import asset_filter_sidebar
from app.language import _, fmt
from app.text import md
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.map_contents import MapContents
from atlas.viewport import Viewport

DETAIL_ZOOM = 18  # shapes of a map drawn once are simplified no more than this zoom needs

FOCUS_ZOOM = 17
LIST_LIMIT = 500


def _focus_from_search() -> tuple[float, float, str] | None:
    """(lon, lat, name) of the search result chosen, if any."""
    text = st.text_input(_("Find a place, site or organisation"), key="atlas_search",
                         placeholder=_("For example: Summerfield Park, Brushstrokes, Ladywood"))
    if not text.strip():
        return None
    hits = state.search(text, limit=20)
    if not hits:
        st.caption(_("Nothing in the atlas is called anything like “{text}”.").format(text=md(text.strip())))
        return None
    hit = st.selectbox(_("Results"), hits, key="atlas_search_hit",
                       format_func=lambda h: f"{h.name} · {h.kind}{f' ({h.detail})' if h.detail else ''}")
    return (hit.lon, hit.lat, hit.name)


MAP_TITLE = "Map of the atlas"


def _caption(contents: MapContents) -> str:
    n = fmt().number
    if contents.assets_aggregated:
        text = _("{count} assets in this view, shown as counts: zoom in (or click a count) to see them "
                 "one by one.").format(count=n(contents.assets_in_view))
    else:
        macro = sum(a.scale == "macro" for a in contents.assets)
        text = _("Showing {count} assets ({macro} macro, {micro} micro) and {sites} sites and parcels of "
                 "land.").format(count=n(len(contents.assets)), macro=n(macro),
                                 micro=n(len(contents.assets) - macro), sites=n(len(contents.features)))
    if contents.features_truncated:
        text += " " + _("Only the {count} largest sites here are drawn: zoom in for the rest.").format(
            count=n(len(contents.features)))
    return text


def _as_list(contents: MapContents, focus: tuple[float, float, str] | None) -> None:
    """The map's text alternative, before it: what it shows, filtered the same way."""
    rows = maps.contents_rows(contents, focus_name=None if focus is None else focus[2])
    maps.text_alternative(_("The map as a list ({count} items)").format(count=fmt().number(len(rows))), rows)


def _static_map(extent: tuple[float, float, float, float], filters: AssetFilter, tiles: bool,
                focus: tuple[float, float, str] | None, links: bool) -> None:
    """Everything fits the budget: draw it all once; panning and zooming cost nothing."""
    contents = state.map_contents(Viewport(*extent, zoom=DETAIL_ZOOM), filters)
    view = Viewport(*extent, zoom=12) if focus is None else Viewport.around(focus[0], focus[1], FOCUS_ZOOM)
    m = maps.base_map(view, tiles=tiles, fit=True)
    maps.add_boundaries(m, contents.boundaries, decimals=maps.FULL_PRECISION_DECIMALS)
    maps.add_features(m, contents.features, decimals=maps.FULL_PRECISION_DECIMALS)
    maps.add_assets(m, contents.assets, decimals=maps.FULL_PRECISION_DECIMALS)
    if links:
        maps.add_links(m, state.links())
    if focus is not None:
        maps.add_pin(m, focus[0], focus[1], focus[2])
    maps.finish(m)
    st.caption(_caption(contents))
    _as_list(contents, focus)
    maps.show_map(m, key="atlas_map", returned=(), title=_(MAP_TITLE))


@st.fragment
def _dynamic_map(extent: tuple[float, float, float, float], filters: AssetFilter, tiles: bool,
                 focus: tuple[float, float, str] | None, links: bool) -> None:
    """Too much for one render: draw what is in view (or counts of it), and send a new
    map only when the view moves far enough to change what must be shown. Only this
    fragment reruns as the map pans."""
    reported = maps.MapView.parse(st.session_state.get("atlas_map_view"))
    view = reported.viewport()
    open_at = (*reported.center, reported.zoom) if view and reported.center else None
    if focus is not None and st.session_state.get("atlas_focus") != focus:
        st.session_state["atlas_focus"] = focus
        view = Viewport.around(focus[0], focus[1], FOCUS_ZOOM)
        open_at = (focus[0], focus[1], FOCUS_ZOOM)
    view = view or Viewport.fitting(extent, height_px=maps.MAP_HEIGHT_PX)
    snapped = view.snapped()
    # A new map opens where the user is looking; while what it shows stays the same the
    # map (and where it opened) stays the same too, so the browser keeps it as it is.
    drawn = (snapped, filters, tiles, focus, links, state.handle().revision)
    if st.session_state.get("atlas_drawn") != drawn:
        st.session_state["atlas_drawn"] = drawn
        st.session_state["atlas_open_at"] = open_at or (*view.centre, view.zoom)
    contents = state.map_contents(snapped, filters)
    m = maps.base_map(snapped, tiles=tiles, open_at=st.session_state["atlas_open_at"])
    maps.add_contents(m, contents, decimals=maps.decimals_for(view.zoom))
    if links:
        maps.add_links(m, state.links(), decimals=maps.decimals_for(view.zoom))
    if focus is not None:
        maps.add_pin(m, focus[0], focus[1], focus[2])
    maps.finish(m)
    st.caption(_caption(contents))
    _as_list(contents, focus)
    maps.show_map(m, key="atlas_map_view", returned=("bounds", "zoom", "center"), title=_(MAP_TITLE))


def _asset_table(filters: AssetFilter) -> None:
    rows, total = state.asset_rows(filters, limit=LIST_LIMIT)
    if total <= len(rows):
        st.subheader(_("{count} assets match the filters").format(count=fmt().number(total)))
    else:
        st.subheader(_("{count} assets match the filters (the first {shown} by name)").format(
            count=fmt().number(total), shown=fmt().number(len(rows))))
    frame = pd.DataFrame(
        {
            _("Name"): [r.name for r in rows],
            _("Scale"): [r.scale for r in rows],
            _("Sector"): [r.sector for r in rows],
            _("Category"): [r.category for r in rows],
            _("Open offers"): ["; ".join(r.offers) for r in rows],
            _("Open needs"): ["; ".join(r.needs) for r in rows],
            _("Verified on"): [r.verified_on for r in rows],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(_("Download this list (CSV)"), frame.to_csv(index=False).encode("utf-8"),
                       file_name="assets.csv", mime="text/csv", disabled=not rows, key="atlas_download")


def _untapped() -> None:
    """Micro assets with offers that meet open needs nearby and no link yet."""
    found = state.untapped()
    with st.expander(_("Untapped assets ({count}): community assets that could meet a need nearby and are not "
                       "linked yet").format(count=fmt().number(len(found))), expanded=False):
        if not found:
            st.caption(_("Every micro asset whose offers meet an open need nearby is already linked."))
        for u in found:
            st.markdown(f"**{md(u.asset)}**: {md(u.summary)}")
            session.page_link("app/pages/matches.py", Permission.PLAN,
                              label=_("See the matches of {name}").format(name=md(u.asset)),
                              icon=":material/handshake:", query_params={"asset": str(u.asset_id)})


st.title(_("Atlas"))
state.handle_or_stop()
filters = asset_filter_sidebar("atlas")
tiles = st.sidebar.toggle(_("Street map background (needs internet)"), value=False, key="atlas_tiles",
                          help=_("Without it the map shows the offline base map, when the atlas has one, "
                                 "or else the atlas's own areas, sites and land."))
show_links = st.sidebar.toggle(_("Links between assets"), value=True, key="atlas_links",
                               help=_("Accepted matches (dashed) and partners in a plan (solid)."))
extent = state.map_extent()
if extent is None:
    st.info(_("This atlas is empty. Import a file on the Asset register page, or load the demo with "
              "`atlas demo` (with the app stopped)."))
    session.page_link("app/pages/asset_register.py", Permission.EDIT_REGISTER, label=_("Open the asset register"),
                      icon=":material/edit_location_alt:")
else:
    focus = _focus_from_search()
    if state.view_counts(Viewport(*extent, zoom=DETAIL_ZOOM), filters).within_budget:
        _static_map(extent, filters, tiles, focus, show_links)
    else:
        _dynamic_map(extent, filters, tiles, focus, show_links)
    _untapped()
    _asset_table(filters)
