"""Site explorer: what lies within walking distance of a site, macro and micro apart.

A click on the map shows what is there (an asset's card: its scale and why, its offers and
needs, when it was last verified) and never moves the search by itself; the card's button,
or the site list, makes it the new centre.

When the store has a walking network, the map shades the 5, 10 and 15 minute walks from
the site and each asset's walk (time and distance along streets and paths) stands beside
its straight-line distance (:mod:`app.walking_view`); without one, the page says so once
and keeps straight lines."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app import maps, session, state, walking_view
from app.language import N_, _, fmt
from app.text import md
from app.walking_view import SiteWalks
from atlas.access import Permission
from atlas.asset_filter import AssetFilter
from atlas.distance_rings import distance_rings
from atlas.errors import AtlasError, InvalidInput
from atlas.models import OPEN_STATUSES, NearbyAsset, NearbyResult
from atlas.settings import WALKING_DISTANCES_M
from atlas.site_refs import LonLat, SiteQuery, SiteRef, parse_site
from atlas.viewport import Viewport

DISTANCES_M = tuple(int(d) for d in WALKING_DISTANCES_M)

OTHER = "Other"
OTHER_LABEL = N_("Other")

CARD = "explorer_card"
"""Session key of what the card below the map shows: a SiteRef (asset or feature), a
LonLat (a point with nothing stored there) or None."""


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


def _recentre(ref: SiteQuery) -> None:
    """Make ``ref`` the centre of the search (the card's button), closing the card."""
    st.session_state["explorer_pending"] = ref
    st.session_state[CARD] = None


def _choose_site(options: dict[SiteQuery, str]) -> SiteQuery:
    """The chosen site: from the list, the card's "explore around" button, or the link."""
    if "explorer_site" not in st.session_state:
        first = next((r for r, label in options.items() if "Edgbaston Reservoir" in label), next(iter(options)))
        st.session_state["explorer_site"] = _linked_site() or first
    if "explorer_pending" in st.session_state:
        st.session_state["explorer_site"] = st.session_state.pop("explorer_pending")
    current = st.session_state["explorer_site"]
    if current not in options:
        options = {current: _("Point on the map · {point}").format(point=current), **options}
    st.session_state["explorer_pick"] = current
    st.selectbox(_("Site"), list(options), format_func=options.__getitem__, key="explorer_pick",
                 on_change=lambda: st.session_state.update(explorer_site=st.session_state["explorer_pick"],
                                                           **{CARD: None}),
                 help=_("The centre of the search. A click on the map shows what is there; its card "
                        "can make it the centre."))
    return current


TYPED_MIN_M, TYPED_MAX_M = 10, 20_000


def _distance_label(choice: int | str) -> str:
    return _(OTHER_LABEL) if isinstance(choice, str) else fmt().distance_m(choice)


def _choose_distance() -> float:
    linked = st.query_params.get("radius")
    default = int(float(linked)) if linked and linked.replace(".", "", 1).isdigit() else DISTANCES_M[1]
    default = min(max(default, TYPED_MIN_M), TYPED_MAX_M)  # a hand-edited link may ask for anything
    choices: list[int | str] = [*DISTANCES_M, OTHER]
    index = choices.index(default) if default in DISTANCES_M else len(choices) - 1
    picked = st.radio(_("Distance from the site's edge"), choices, index=index, horizontal=True,
                      key="explorer_distance",
                      format_func=_distance_label)
    if picked == OTHER:
        return float(st.number_input(_("Distance in metres"), min_value=TYPED_MIN_M, max_value=TYPED_MAX_M,
                                     value=default if default not in DISTANCES_M else 1000, step=50,
                                     key="explorer_distance_m"))
    return float(picked)


def _walk_columns(assets: list[NearbyAsset], walks: SiteWalks) -> dict[str, list]:
    """Each asset's walk beside its straight line: metres and minutes along streets and
    paths (empty when longer than the search), and a note where the time is approximate or
    the walk longer than searched."""
    got = [walks.walk_of(a) for a in assets]
    notes = ["" if w is None or (w.walk_m is not None and not w.far_from_street) else walking_view.walk_words(walks, w)
             for w in got]
    return {
        _("Straight line (m)"): [round(a.distance_m) for a in assets],
        _("Walk (m)"): [None if w is None or w.walk_m is None else round(w.walk_m) for w in got],
        _("Walk (min)"): [None if w is None or w.walk_min is None else round(w.walk_min, 1) for w in got],
        _("On foot"): notes,
    }


def _by_walk(assets: list[NearbyAsset], walks: SiteWalks | None) -> list[NearbyAsset]:
    """Nearest first: on foot when there is a network (those not reached last, nearest in
    a straight line first), else in a straight line."""
    if walks is None:
        return assets

    def order(a: NearbyAsset) -> tuple[float, float]:
        w = walks.walk_of(a)
        return (float("inf") if w is None or w.walk_m is None else w.walk_m, a.distance_m)

    return sorted(assets, key=order)


def _table(assets: list[NearbyAsset], walks: SiteWalks | None) -> pd.DataFrame:
    assets = _by_walk(assets, walks)
    distance = (_walk_columns(assets, walks) if walks is not None
                else {_("Distance (m)"): [round(a.distance_m) for a in assets]})
    return pd.DataFrame(
        {
            **distance,
            _("Name"): [a.name for a in assets],
            _("Scale"): [a.scale for a in assets],
            _("Sector"): [a.sector for a in assets],
            _("Category"): [a.category for a in assets],
            _("Offers"): [", ".join(a.offers) for a in assets],
            _("Needs"): [", ".join(a.needs) for a in assets],
        }
    )


def _counts(result: NearbyResult) -> pd.DataFrame:
    """Every feature within the distance, by kind (rows) and status (columns)."""
    counts = pd.DataFrame([(c.kind, c.status, c.count) for c in result.feature_counts],
                          columns=["kind", "status", "count"])
    table = counts.pivot_table(index="kind", columns="status", values="count", aggfunc="sum", fill_value=0)
    table = table.rename(index=maps.kind_label, columns=maps.status_label)
    table[_("All")] = table.sum(axis=1)
    return table.rename_axis(index=_("Kind"), columns=None).reset_index()


def _as_list(result: NearbyResult, radii: list[float], walks: SiteWalks | None) -> None:
    """The map's text alternative, before it: the site, its rings and walking catchments,
    then each asset and site drawn, nearest first (in a straight line; each asset's walk
    beside it)."""
    what, name, distance, details = _("Shown as"), _("Name"), _("Distance"), _("Details")
    walk = _("On foot")
    rows = [{what: _("The site"), name: result.site.name, distance: "", details: ""}]
    rows.append({what: _("Distance rings"), name: ", ".join(fmt().distance_m(r) for r in radii), distance: "",
                 details: _("From the site's edge")})
    if walks is not None:
        rows += [{what: _("Walking catchment"), name: walking_view.catchment_words(c.minutes), distance: "",
                  details: _("Along streets and paths from the site, at {speed} km/h").format(
                      speed=fmt().number(walks.speed_kmh, digits=1))}
                 for c in walks.catchments if not c.area.is_empty]

    def walked(a: NearbyAsset) -> dict[str, str]:
        w = None if walks is None else walks.walk_of(a)
        return {} if walks is None or w is None else {walk: walking_view.walk_words(walks, w)}

    things = [(a.distance_m, {what: maps.scale_label(a.scale), name: a.name, distance: fmt().distance_m(a.distance_m),
                              **walked(a),
                              details: " · ".join(x for x in (maps.sector_label(a.sector), a.category or "") if x)})
              for a in result.assets]
    things += [(f.distance_m, {what: maps.kind_label(f.kind), name: f.name or maps.kind_label(f.kind),
                               distance: fmt().distance_m(f.distance_m), details: maps.status_label(f.status)})
               for f in result.features]
    rows += [row for _d, row in sorted(things, key=lambda t: t[0])]
    columns = [what, name, distance, walk, details] if walks is not None else [what, name, distance, details]
    maps.text_alternative(_("The map as a list ({count} items)").format(count=fmt().number(len(rows))),
                          pd.DataFrame(rows, columns=columns).fillna(""))


def _map(result: NearbyResult, metric_epsg: int, radii: list[float], walks: SiteWalks | None) -> maps.MapView:
    rings = distance_rings(result.site.geom_m, radii, metric_epsg)
    view = Viewport.fitting(rings[-1].geom.bounds, height_px=maps.MAP_HEIGHT_PX)
    m = maps.base_map(view, tiles=st.session_state.get("explorer_tiles", False), fit=True)
    maps.add_boundaries(m, state.map_contents(view, AssetFilter()).boundaries,
                        decimals=maps.FULL_PRECISION_DECIMALS)
    if walks is not None:
        walking_view.add_catchments(m, walks, decimals=maps.FULL_PRECISION_DECIMALS)
    if result.features_truncated:
        layer = _("Nearest {count} sites and land").format(count=fmt().number(len(result.features)))
    else:
        layer = _("Sites and land nearby")
    maps.add_features(m, result.features, decimals=maps.FULL_PRECISION_DECIMALS, name=layer)
    maps.add_site(m, result.site)
    maps.add_rings(m, rings)
    maps.add_assets(m, result.assets, decimals=maps.FULL_PRECISION_DECIMALS, name=_("Assets nearby"),
                    cluster=False)
    maps.finish(m)
    title = _("Map of what lies within {distance} of {site}").format(
        distance=fmt().distance_m(result.radius_m), site=result.site.name)
    return maps.show_map(m, key="explorer_map", returned=("last_clicked", "last_object_clicked"),
                         title=title, visible_title=False)


def _follow_click(view: maps.MapView) -> None:
    """A new click on the map (or on a marker or shape) opens the card of what is there, or
    of the point itself. The search stays where it is."""
    new = view.new_object_click or view.new_click
    if new is None:
        return
    lon, lat = new
    place = state.what_is_here(lon, lat)
    try:
        st.session_state[CARD] = place.ref if place else LonLat(round(lon, 6), round(lat, 6))
    except InvalidInput as exc:  # a click on a copy of the world beyond the 180th meridian
        st.warning(str(exc))


def _card_picker(result: NearbyResult) -> None:
    """The same cards without the map: choose an asset from the list."""
    card = st.session_state.get(CARD)
    ids = [a.id for a in result.assets]
    names = {a.id: f"{a.name} · {fmt().distance_m(a.distance_m)}" for a in result.assets}
    st.session_state["explorer_card_pick"] = (card.id if isinstance(card, SiteRef) and card.kind == "asset"
                                              and card.id in names else None)

    def picked() -> None:
        chosen = st.session_state["explorer_card_pick"]
        st.session_state[CARD] = None if chosen is None else SiteRef("asset", chosen)

    st.selectbox(_("Show the card of an asset"), [None, *ids], key="explorer_card_pick", on_change=picked,
                 format_func=lambda i: _("Choose an asset, or click one on the map") if i is None else names[i])


def _verified_words(verified_on: date | None, by: str | None) -> str:
    if verified_on is None:
        return _("Not yet verified")
    day = fmt().date(verified_on)
    return _("{date}, by {name}").format(date=day, name=by) if by else day


def _asset_card(asset_id: int, result: NearbyResult, walks: SiteWalks | None) -> None:
    try:
        a = state.get_asset(asset_id)
    except AtlasError as exc:
        st.warning(str(exc))
        return
    near = next((n for n in result.assets if n.id == asset_id), None)
    st.markdown(f"#### {md(a.name)}")
    if near is not None:
        st.caption(_("{distance} from {site}").format(distance=fmt().distance_m(near.distance_m),
                                                      site=md(result.site.name)))
        walk = None if walks is None else walks.walk_of(near)
        if walks is not None and walk is not None:
            st.caption(_("On foot: {walk}").format(walk=md(walking_view.walk_words(walks, walk))))
    kind = " · ".join(x for x in (maps.sector_label(a.sector), a.category or "") if x)
    st.markdown(_("**Scale:** {scale}. {reason}").format(scale=md(maps.scale_label(a.scale)),
                                                          reason=md(a.scale_reason)))
    if kind:
        st.markdown(_("**Kind:** {kind}").format(kind=md(kind)))
    items = [i for i in state.needs_offers_of(asset_id) if i.status in OPEN_STATUSES]
    offers = [i.title for i in items if i.side == "offer"] or list(a.offers)
    needs = [i.title for i in items if i.side == "need"] or list(a.needs)
    st.markdown(_("**Offers:** {items}").format(items=md("; ".join(offers)) if offers else _("none recorded")))
    st.markdown(_("**Needs:** {items}").format(items=md("; ".join(needs)) if needs else _("none recorded")))
    st.markdown(_("**Last verified:** {when}").format(when=md(_verified_words(a.verified_on, a.verified_by))))
    st.button(_("Explore around this asset"), key="explorer_card_recentre", icon=":material/my_location:",
              on_click=_recentre, args=(SiteRef("asset", asset_id),))


def _feature_card(ref: SiteRef, result: NearbyResult) -> None:
    f = next((f for f in result.features if f.id == ref.id), None)
    if f is None and ref == st.session_state.get("explorer_site"):
        st.markdown(f"#### {md(result.site.name)}")
        st.caption(_("The centre of this search."))
        return
    name = (f.name if f is not None else None) or next(
        (label for r, label in _site_options().items() if r == ref), str(ref))
    st.markdown(f"#### {md(name)}")
    if f is not None:
        st.markdown(" · ".join(md(x) for x in (maps.kind_label(f.kind), maps.status_label(f.status),
                                                f.land_use or "", "" if f.area_m2 is None else fmt().area_m2(f.area_m2))
                               if x))
        st.caption(_("{distance} from {site}").format(distance=fmt().distance_m(f.distance_m),
                                                      site=md(result.site.name)))
    st.button(_("Explore around this site"), key="explorer_card_recentre", icon=":material/my_location:",
              on_click=_recentre, args=(ref,))


def _card(result: NearbyResult, walks: SiteWalks | None) -> None:
    """The card of what was clicked or chosen, with the way to make it the search's centre."""
    card = st.session_state.get(CARD)
    with st.container(border=True, key="explorer_card_box"):
        _card_picker(result)
        if isinstance(card, SiteRef) and card.kind == "asset":
            _asset_card(card.id, result, walks)
        elif isinstance(card, SiteRef):
            _feature_card(card, result)
        elif isinstance(card, LonLat):
            st.markdown("#### " + _("A point on the map"))
            st.caption(_("{lat}° N, {lon}° E: nothing in the atlas is here.").format(
                lat=fmt().number(card.lat, digits=5), lon=fmt().number(card.lon, digits=5)))
            st.button(_("Explore around this point"), key="explorer_card_recentre", icon=":material/my_location:",
                      on_click=_recentre, args=(card,))
        else:
            return
        st.button(_("Close the card"), key="explorer_card_close", on_click=lambda: st.session_state.update(
            **{CARD: None}))


st.title(_("Site explorer"))
st.caption(_("Choose a site and a distance: the anchor (macro) and community (micro) assets within it, "
             "nearest first."))
state.handle_or_stop()
options = _site_options()
if not options:
    st.info(_("This atlas has no sites or assets yet. Add some on the Asset register page."))
    session.page_link("app/pages/asset_register.py", Permission.EDIT_REGISTER, label=_("Open the asset register"),
                      icon=":material/edit_location_alt:")
    st.stop()

ref = _choose_site(options)
radius_m = _choose_distance()
st.toggle(_("Street map background (needs internet)"), value=False, key="explorer_tiles")
st.query_params.update(site=str(ref), radius=f"{radius_m:g}")

try:
    result = state.nearby(ref, radius_m)
    metric_epsg = state.query(lambda store: store.metric_epsg)
    walks = walking_view.site_walks(ref, radius_m)
except AtlasError as exc:
    st.error(str(exc))
    st.stop()

st.subheader(_("Within {distance} of {site}").format(distance=fmt().distance_m(radius_m), site=md(result.site.name)))
macro_box, micro_box, land_box = st.columns(3)
macro_box.metric(_("Macro assets"), len(result.macro))
micro_box.metric(_("Micro assets"), len(result.micro))
land_box.metric(_("Sites and land"), fmt().number(result.features_found))
if result.features_truncated:
    st.caption(_("The map and the list show the nearest {shown}; all {found} are counted under Sites and "
                 "land.").format(shown=fmt().number(len(result.features)), found=fmt().number(result.features_found)))
if walks is None:
    st.info(walking_view.no_network_words(), icon=":material/straighten:")
else:
    st.caption(_("Shaded on the map: how far a walk of {minutes} from the site reaches along streets and paths, at "
                 "{speed} km/h. Each asset's walk stands beside its straight-line distance.").format(
        minutes=", ".join(walking_view.minutes_words(c.minutes) for c in walks.catchments),
        speed=fmt().number(walks.speed_kmh, digits=1)))
    if walks.origin.far_from_street:
        st.warning(_("The site is about {distance} from the nearest path: walking times are approximate.").format(
            distance=fmt().distance_m(walks.origin.snap_m)))
radii = [float(d) for d in DISTANCES_M if d < result.radius_m] + [result.radius_m]
_as_list(result, radii, walks)
_follow_click(_map(result, metric_epsg, radii, walks))
_card(result, walks)

macro_tab, micro_tab, land_tab = st.tabs([
    _("Macro ({count})").format(count=fmt().number(len(result.macro))),
    _("Micro ({count})").format(count=fmt().number(len(result.micro))),
    _("Sites and land ({count})").format(count=fmt().number(result.features_found))])
with macro_tab:
    st.dataframe(_table(result.macro, walks), hide_index=True, width="stretch")
with micro_tab:
    st.dataframe(_table(result.micro, walks), hide_index=True, width="stretch")
with land_tab:
    if result.features_truncated:
        st.caption(_("The nearest {shown} of {found}, nearest first; every one is counted below.").format(
            shown=fmt().number(len(result.features)), found=fmt().number(result.features_found)))
    st.dataframe(
        pd.DataFrame({
            _("Distance (m)"): [round(f.distance_m) for f in result.features],
            _("Name"): [f.name for f in result.features],
            _("Kind"): [f.kind for f in result.features],
            _("Status"): [f.status for f in result.features],
            _("Area (m²)"): [None if f.area_m2 is None else round(f.area_m2) for f in result.features],
        }),
        hide_index=True, width="stretch",
    )
    if result.feature_counts:
        st.dataframe(_counts(result), hide_index=True, width="content")
st.download_button(
    _("Download the assets (CSV)"), _table(result.assets, walks).to_csv(index=False).encode("utf-8"),
    file_name=f"assets-within-{radius_m:g}m.csv", mime="text/csv", disabled=not result.assets,
    key="explorer_download",
)
