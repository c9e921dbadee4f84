"""Site explorer: what lies within walking distance of a site, macro and micro apart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import map_style, maps, session, state
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.distance_rings import distance_rings
from atlas.errors import AtlasError, InvalidInput
from atlas.models import NearbyAsset, NearbyResult
from atlas.site_refs import LonLat, SiteQuery, parse_site
from atlas.viewport import Viewport

DISTANCES_M = (400, 800, 1600)  # five, ten and twenty minutes' walk

OTHER = "Other"


def _site_options() -> dict[SiteQuery, str]:
    """reference -> label, sites and land first, then assets."""
    return {c.ref: c.label for c in state.site_choices()}


def _linked_site() -> SiteQuery | None:
    """The site a link names (``?site=feature:12``, ``asset:3`` or ``lon,lat``), parsed
    once here; None for none, or for one that cannot be read."""
    try:
        return parse_site(st.query_params["site"]) if st.query_params.get("site") else None
    except InvalidInput:
        return None


def _choose_site(options: dict[SiteQuery, str]) -> SiteQuery:
    """The chosen site: from the list, a map click, or the link."""
    if "explorer_site" not in st.session_state:
        first = next((r for r, label in options.items() if "Edgbaston Reservoir" in label), next(iter(options)))
        st.session_state["explorer_site"] = _linked_site() or first
    if "explorer_pending" in st.session_state:
        st.session_state["explorer_site"] = st.session_state.pop("explorer_pending")
    current = st.session_state["explorer_site"]
    if current not in options:
        options = {current: f"Point on the map · {current}", **options}
    st.session_state["explorer_pick"] = current
    st.selectbox("Site", list(options), format_func=options.__getitem__, key="explorer_pick",
                 on_change=lambda: st.session_state.update(explorer_site=st.session_state["explorer_pick"]),
                 help="Or click anywhere on the map: an asset or site there, or the point itself, becomes the site.")
    return current


TYPED_MIN_M, TYPED_MAX_M = 10, 20_000


def _choose_distance() -> float:
    linked = st.query_params.get("radius")
    default = int(float(linked)) if linked and linked.replace(".", "", 1).isdigit() else 800
    default = min(max(default, TYPED_MIN_M), TYPED_MAX_M)  # a hand-edited link may ask for anything
    choices = [*DISTANCES_M, OTHER]
    index = choices.index(default) if default in DISTANCES_M else len(choices) - 1
    picked = st.radio("Distance from the site's edge", choices, index=index, horizontal=True, key="explorer_distance",
                      format_func=lambda d: d if d == OTHER else f"{d:,} m")
    if picked == OTHER:
        return float(st.number_input("Distance in metres", min_value=TYPED_MIN_M, max_value=TYPED_MAX_M,
                                     value=default if default not in DISTANCES_M else 1000, step=50,
                                     key="explorer_distance_m"))
    return float(picked)


def _table(assets: list[NearbyAsset]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Distance (m)": [round(a.distance_m) for a in assets],
            "Name": [a.name for a in assets],
            "Scale": [a.scale for a in assets],
            "Sector": [a.sector for a in assets],
            "Category": [a.category for a in assets],
            "Offers": [", ".join(a.offers) for a in assets],
            "Needs": [", ".join(a.needs) for a in assets],
        }
    )


def _counts(result: NearbyResult) -> pd.DataFrame:
    """Every feature within the distance, by kind (rows) and status (columns)."""
    counts = pd.DataFrame([(c.kind, c.status, c.count) for c in result.feature_counts],
                          columns=["kind", "status", "count"])
    table = counts.pivot_table(index="kind", columns="status", values="count", aggfunc="sum", fill_value=0)
    table = table.rename(index=map_style.FEATURE_KIND_LABEL, columns=map_style.STATUS_LABEL)
    table["All"] = table.sum(axis=1)
    return table.rename_axis(index="Kind", columns=None).reset_index()


def _map(result: NearbyResult, metric_epsg: int) -> maps.MapView:
    radii = [d for d in DISTANCES_M if d < result.radius_m] + [result.radius_m]
    rings = distance_rings(result.site.geom_m, radii, metric_epsg)
    view = Viewport.fitting(rings[-1].geom.bounds, height_px=maps.MAP_HEIGHT_PX)
    m = maps.base_map(view, tiles=st.session_state.get("explorer_tiles", False), fit=True)
    maps.add_boundaries(m, state.map_contents(view, AssetFilter()).boundaries,
                        decimals=maps.FULL_PRECISION_DECIMALS)
    layer = f"Nearest {len(result.features):,} sites and land" if result.features_truncated else "Sites and land nearby"
    maps.add_features(m, result.features, decimals=maps.FULL_PRECISION_DECIMALS, name=layer)
    maps.add_site(m, result.site)
    maps.add_rings(m, rings)
    maps.add_assets(m, result.assets, decimals=maps.FULL_PRECISION_DECIMALS, name="Assets nearby", cluster=False)
    maps.finish(m, legend_open=False)
    return maps.show_map(m, key="explorer_map", returned=("last_clicked", "last_object_clicked"))


def _follow_click(view: maps.MapView) -> None:
    """A new click on the map (or on a marker or shape) makes what is there, or the point
    itself, the site."""
    new = view.new_object_click or view.new_click
    if new is None:
        return
    lon, lat = new
    place = state.what_is_here(lon, lat)
    try:
        st.session_state["explorer_pending"] = place.ref if place else LonLat(round(lon, 6), round(lat, 6))
    except InvalidInput as exc:  # a click on a copy of the world beyond the 180th meridian
        st.warning(str(exc))
        return
    st.rerun()


st.title("Site explorer")
st.caption("Choose a site and a distance: the anchor (macro) and community (micro) assets within it, nearest first.")
state.handle_or_stop()
options = _site_options()
if not options:
    st.info("This atlas has no sites or assets yet. Add some on the Asset register page.")
    session.page_link("app/pages/asset_register.py", Permission.EDIT_REGISTER, label="Open the asset register",
                      icon=":material/edit_location_alt:")
    st.stop()

left, right = st.columns([2, 1])
with right:
    ref = _choose_site(options)
    radius_m = _choose_distance()
    st.toggle("Street map background (needs internet)", value=False, key="explorer_tiles")
st.query_params.update(site=str(ref), radius=f"{radius_m:g}")

try:
    result = state.nearby(ref, radius_m)
    metric_epsg = state.query(lambda store: store.metric_epsg)
except AtlasError as exc:
    st.error(str(exc))
    st.stop()

with right:
    st.metric("Macro assets", len(result.macro))
    st.metric("Micro assets", len(result.micro))
    st.metric("Sites and land", f"{result.features_found:,}")
    if result.features_truncated:
        st.caption(f"The map and the list show the nearest {len(result.features):,}; all "
                   f"{result.features_found:,} are counted under Sites and land.")
with left:
    _follow_click(_map(result, metric_epsg))

st.subheader(f"Within {radius_m:,.0f} m of {result.site.name}")
macro_tab, micro_tab, land_tab = st.tabs([f"Macro ({len(result.macro)})", f"Micro ({len(result.micro)})",
                                          f"Sites and land ({result.features_found:,})"])
with macro_tab:
    st.dataframe(_table(result.macro), hide_index=True, width="stretch")
with micro_tab:
    st.dataframe(_table(result.micro), hide_index=True, width="stretch")
with land_tab:
    if result.features_truncated:
        st.caption(f"The nearest {len(result.features):,} of {result.features_found:,}, nearest first; "
                   "every one is counted below.")
    st.dataframe(
        pd.DataFrame({
            "Distance (m)": [round(f.distance_m) for f in result.features],
            "Name": [f.name for f in result.features],
            "Kind": [f.kind for f in result.features],
            "Status": [f.status for f in result.features],
            "Area (m²)": [None if f.area_m2 is None else round(f.area_m2) for f in result.features],
        }),
        hide_index=True, width="stretch",
    )
    if result.feature_counts:
        st.dataframe(_counts(result), hide_index=True, width="content")
st.download_button(
    "Download the assets (CSV)", _table(result.assets).to_csv(index=False).encode("utf-8"),
    file_name=f"assets-within-{radius_m:g}m.csv", mime="text/csv", disabled=not result.assets,
)
