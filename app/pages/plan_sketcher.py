"""Plan sketcher: start or open a plan, draw its zones, name its partners, actions and
indicators, save it with its history, compare and restore versions, and export it.

The page reads widgets, calls :mod:`cedplans` and shows the result. The plan being edited
is a :class:`~app.plan_forms.Draft` based on one stored version; saving it is refused
(and the newer version shown) when someone else has saved since, so nothing is ever
silently overwritten. Shapes drawn on the map become zones at once: each gets a use, a
name and a note, and the last one drawn can be taken back before saving.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import shapely
import streamlit as st

from app import author, maps, paper_ideas, plan_downloads, plan_forms, plan_maps, session, state
from app.language import _, current, fmt, ngettext
from app.plan_forms import Draft
from app.static_assets import MissingWebAsset
from app.text import html_text, md
from atlas import queries, settings
from atlas.access import Permission
from atlas.errors import AtlasError, InvalidInput
from atlas.models import NearbyResult
from atlas.site_refs import SiteRef
from cedplans import repository, workflow
from cedplans.colours import zone_colour
from cedplans.errors import StalePlan
from cedplans.history import diff_plans
from cedplans.model import PARTNER_ROLES, PLAN_STATUSES, ZONE_USES, Partner, Plan, Version, Zone

NEW = 0
"""The plan picker's value for "start a new plan"."""

NO_SITE, SKETCHED = "none", "sketched"
"""The site picker's values besides an atlas site (a :class:`~atlas.site_refs.SiteRef`):
no site yet, and the area sketched for the plan."""
SiteChoice = SiteRef | str

RADII_M = tuple(int(d) for d in settings.WALKING_DISTANCES_M)
DEFAULT_RADIUS_M = 800
DRAW_SHAPES = ("polygon", "rectangle", "polyline", "marker")

ss = st.session_state


# -- small helpers -----------------------------------------------------------------------

flash = functools.partial(state.flash, "sk")


def when(v: Version) -> str:
    return _("{time} UTC").format(time=fmt().datetime(v.saved_at, form="medium"))


def author_input(where: str = "main") -> str:
    """The person's name for the history, remembered across pages and plans."""
    return author.author_input(f"sk.author.{where}", help=_("Shown in the plan's history beside each change."))


def current_author() -> str:
    """The name typed in the save box (this run's value, even before the box is drawn)."""
    return author.remembered("sk.author.main")


def term(value: str | None) -> str:
    """A category or vocabulary word in the reader's language ("" stays "": gettext of ""
    is the catalogue's header)."""
    return _(value) if value else ""


def zone_size(zone: Zone) -> str:
    """A zone's size for people, in their language: an area, a length, or a point."""
    if zone.area_m2:
        return fmt().area_m2(zone.area_m2)
    if zone.length_m:
        return _("{length} long").format(length=fmt().distance_m(zone.length_m))
    return _("a point")


def seeded(key: str, value: object) -> str:
    """Give a widget its first value once (later runs keep what the person typed)."""
    if key not in ss:
        ss[key] = value
    return key


# -- choosing a plan -----------------------------------------------------------------------

def plan_choice(plans: list) -> int:
    ids = [p.id for p in plans]
    wanted = st.query_params.get("plan")
    if wanted is not None and wanted != ss.get("sk.qp_seen"):
        ss["sk.qp_seen"] = wanted
        if wanted.isdigit() and int(wanted) in ids:
            ss["sk.plan"] = int(wanted)
    if ss.get("sk.plan") not in [NEW, *ids]:
        ss["sk.plan"] = ids[0] if ids else NEW
    names = {p.id: _("{title} · {stage} · version {version}").format(
        title=p.title, stage=_(p.status), version=fmt().number(p.version)) for p in plans}

    def label(i: int) -> str:
        return _("+ Start a new plan") if i == NEW else names.get(i, str(i))

    # The browser keeps the chosen option by its label, so when the label of the plan in
    # the picker changes (a save or a restore made a new version, or another language),
    # the choice is given again: the picker then shows the new label at once instead of
    # the old one (Streamlit sends a kept choice's new label only when it is set).
    shown = label(ss["sk.plan"])
    if ss.get("sk.plan_label") != shown:
        ss["sk.plan"] = ss["sk.plan"]
        ss["sk.plan_label"] = shown
    chosen = st.selectbox(_("Plan"), [NEW, *ids], key="sk.plan", format_func=label)
    ss["sk.plan_label"] = label(chosen)
    if chosen == NEW:
        st.query_params.pop("plan", None)
    else:
        st.query_params["plan"] = str(chosen)
        ss["sk.qp_seen"] = str(chosen)
    return chosen


def new_plan_form() -> None:
    st.subheader(_("Start a new plan"))
    try:
        sites = state.list_features(named_only=True)
    except AtlasError:
        sites = []
    site_names = {f.id: f.name or "" for f in sites}
    with st.form("sk.new"):
        st.text_input(_("Title"), key="sk.new.title",
                      placeholder=_("e.g. A community cafe in the old library"))
        st.selectbox(_("Site"), [None, *site_names], key="sk.new.site",
                     format_func=lambda i: _("No site yet: I'll draw the area") if i is None else site_names[i],
                     help=_("A site already in the atlas, or none: draw the area on the map afterwards."))
        st.radio(_("Stage"), ("idea", "draft"), key="sk.new.status", horizontal=True, format_func=_,
                 help=_("A new plan starts as an idea or a draft; it moves on as it is consulted and agreed."))
        author_input("new")
        st.form_submit_button(_("Start the plan"), type="primary", on_click=create_plan, key="sk.new.go")


def create_plan() -> None:
    title = (ss.get("sk.new.title") or "").strip()
    name = (ss.get("sk.author.new") or "").strip()
    plan = Plan(title=title, status=ss.get("sk.new.status") or "idea", site_feature_id=ss.get("sk.new.site"))
    try:
        with session.writing(Permission.PLAN) as store:
            created = repository.create_plan(store, plan, author=name)
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["sk.plan"] = created.id
    ss["sk.draft"] = Draft.of(created)
    ss.pop("sk.new.title", None)
    # The form's name box is not drawn again once the plan is open: the name typed in it
    # goes into the Save box (and every page's name box) now, in this callback, before
    # the Save box is drawn.
    author.carry(name, "sk.author.main")
    flash("success", _("Plan “{title}” started. Draw its zones on the map, then save.").format(
        title=md(created.title)))


def current_draft(plan_id: int) -> Draft:
    draft = ss.get("sk.draft")
    if not isinstance(draft, Draft) or draft.plan_id != plan_id:
        draft = Draft.of(state.query(repository.get_plan, plan_id))
        ss["sk.draft"] = draft
    return draft


# -- callbacks (run before the page, so they may reset widgets) -------------------------------

def open_latest() -> None:
    draft: Draft = ss["sk.draft"]
    latest = state.query(repository.get_plan, draft.plan_id)
    ss["sk.draft"] = draft.carry_new_zones_to(latest, edit=draft.edit + 1)
    kept = sum(1 for z in draft.zones if z.is_new)
    if kept:
        flash("info", ngettext("Opened version {version}. The zone you drew is kept: save again.",
                               "Opened version {version}. The {count} zones you drew are kept: save again.",
                               kept).format(version=latest.version, count=kept))
    else:
        flash("info", _("Opened version {version}.").format(version=latest.version))


def discard_changes() -> None:
    draft: Draft = ss["sk.draft"]
    base = state.query(repository.get_plan, draft.plan_id, draft.version)
    ss["sk.draft"] = Draft.of(base, edit=draft.edit + 1)
    ss["sk.draft"].map_gen = draft.map_gen + 1
    flash("info", _("Your unsaved changes were thrown away."))


def undo_last_zone() -> None:
    draft: Draft = ss["sk.draft"]
    removed = draft.remove_last_new_zone()
    draft.map_gen += 1
    if removed is not None:
        flash("info", _("The last drawn zone was removed."))


def remove_zone(key: str) -> None:
    draft: Draft = ss["sk.draft"]
    draft.remove_zone(key)
    draft.map_gen += 1


def zone_as_site(key: str) -> None:
    draft: Draft = ss["sk.draft"]
    zone = next(z.zone for z in draft.zones if z.key == key)
    draft.remove_zone(key)
    draft.site_geom, draft.site_feature_id = zone.geom, None
    draft.map_gen += 1
    ss[f"{draft.prefix}.site"] = SKETCHED
    flash("info", _("That shape is now the plan's site (saved when you save)."))


def add_partner(names: dict[int, str]) -> None:
    draft: Draft = ss["sk.draft"]
    p = draft.prefix
    asset_id = ss.get(f"{p}.add.asset")
    if asset_id is None:
        flash("warning", _("Choose an organisation or group from the list first."))
        return
    partner = Partner(asset_id=asset_id, role=ss.get(f"{p}.add.role") or "supporter",
                      note=(ss.get(f"{p}.add.note") or "").strip(),
                      asset_name=names.get(asset_id, ""))
    try:
        draft.add_partner(partner)
    except InvalidInput as exc:
        flash("warning", str(exc))
        return
    ss[f"{p}.add.asset"] = None
    ss[f"{p}.add.note"] = ""


def remove_partner(key: str) -> None:
    ss["sk.draft"].remove_partner(key)


# -- the page's parts -----------------------------------------------------------------------

def draft_site(draft: Draft) -> SiteChoice:
    """The site picker's value for the site the draft has."""
    if draft.site_feature_id is not None:
        return SiteRef("feature", draft.site_feature_id)
    return SKETCHED if draft.site_geom is not None else NO_SITE


def site_geometry(draft: Draft, site_choice: SiteChoice):
    """The site as the page currently has it (WGS84), for the map and nearby searches."""
    if isinstance(site_choice, SiteRef):
        try:
            return state.query(queries.get_feature, site_choice.id).geom
        except AtlasError:
            return None
    if site_choice == SKETCHED:
        return draft.site_geom
    return None


def partner_places(draft: Draft) -> shapely.Geometry | None:
    """Where the plan's partners are (WGS84): what a plan with no site yet, such as one
    made from a match, is about."""
    points = []
    for dp in draft.partners:
        try:
            points.append(state.get_asset(dp.partner.asset_id).geom)
        except AtlasError:
            continue  # an asset that has left the atlas has no place to show
    return shapely.MultiPoint(points) if points else None


def nearby_of(site_choice: SiteChoice, site_geom, zones, radius_m: float, partners=None) -> NearbyResult | None:
    """Assets and sites within ``radius_m`` of the site (or, with no site, of the zones,
    or else of the partners)."""
    try:
        if isinstance(site_choice, SiteRef):
            return state.nearby(site_choice, float(radius_m))  # cached: an atlas site is a hashable value
        anchor = site_geom
        if anchor is None and zones:
            anchor = shapely.unary_union([z.zone.geom for z in zones])
        if anchor is None:
            anchor = partners
        if anchor is None:
            return None
        return state.query(queries.nearby, anchor, float(radius_m))
    except AtlasError:
        return None  # an empty atlas has no metric CRS yet: nothing is near anything


def edited_zones(draft: Draft) -> list:
    p = draft.prefix
    out = []
    for dz in draft.zones:
        k = f"{p}.zone.{dz.key}"
        out.append(replace(dz, zone=plan_forms.with_zone_fields(
            dz.zone, use=ss.get(f"{k}.use", dz.zone.use), name=ss.get(f"{k}.name", dz.zone.name),
            description=ss.get(f"{k}.note", dz.zone.description))))
    return out


def draw_map(draft: Draft, base: Plan, site_geom, zones, nearby: NearbyResult | None) -> None:
    c1, c2 = st.columns([3, 2])
    with c1:
        st.selectbox(_("Draw zones for"), ZONE_USES, key="sk.draw_use", format_func=_,
                     help=_("Each shape you draw becomes a zone with this use; change it in the list."))
    with c2:
        tiles = st.toggle(_("Street map background"), key="sk.tiles",
                          help=_("Needs internet. Without it, the atlas's own sites and land are the background."))
    extent = None
    parts = [g for g in [site_geom, *(z.zone.geom for z in zones)] if g is not None]
    if parts:
        extent = shapely.unary_union(parts)
    elif nearby is not None:  # no site or zones yet: the partners and what is around them
        extent = nearby.site.geom
    fallback = state.map_extent() if extent is None else None
    view = plan_maps.plan_viewport(extent, fallback)
    map_zones = [plan_maps.MapZone(z.zone, n, z.is_new) for n, z in enumerate(zones, 1)]
    m = plan_maps.plan_map(
        view, site=site_geom, site_name=base.site_name, zones=map_zones,
        features=nearby.features if nearby else (), assets=nearby.assets if nearby else (),
        sizes={n: zone_size(z.zone) for n, z in enumerate(zones, 1)}, tiles=tiles,
    )
    try:
        maps.add_draw_tool(m, shapes=DRAW_SHAPES, edit=False)
    except MissingWebAsset as exc:
        st.warning(_("Drawing is not available: {reason}").format(reason=exc))
    st.caption(_("Draw with the tools on the map's left edge: an area (⬟ or ▭), a line or a point. "
                 "Each shape becomes a zone in the list. Nothing is stored until you press **Save**."))
    result = maps.show_map(m, key=f"sk.map.{draft.plan_id}.{draft.map_gen}", returned=("all_drawings",),
                           title=_("Map of the plan: its site and the zones drawn"), visible_title=False)
    if result.drawings:
        ss["sk.drawn"] = list(result.drawings)
    take_drawings(draft, site_geom, extent)


def take_drawings(draft: Draft, site_geom, extent) -> None:
    """Turn what the draw tool sent (kept in ``sk.drawn``) into zones, then redraw the map
    with them, so the tool starts empty and nothing is added twice."""
    drawn = ss.pop("sk.drawn", None)
    if not drawn:
        return
    with state.reading() as store:
        result = plan_forms.zones_from_drawings(store, drawn, use=ss.get("sk.draw_use", ZONE_USES[0]),
                                                near=site_geom if site_geom is not None else extent)
    draft.add_zones(result.zones)
    draft.notes = result.problems
    draft.map_gen += 1
    st.rerun()


def zone_list(draft: Draft, zones, has_site: bool) -> None:
    p = draft.prefix
    st.subheader(_("Zones ({count})").format(count=fmt().number(len(zones))))
    for note in draft.notes:
        st.warning(note)
    draft.notes = []  # said once
    if any(z.is_new for z in zones):
        st.button(_("↶ Remove the last drawn zone"), key=f"{p}.undo", on_click=undo_last_zone,
                  help=_("Takes back the newest zone that has not been saved yet."))
    if not zones:
        st.info(_("No zones yet. Draw an area, a line or a point on the map to add one."))
    for n, dz in enumerate(zones, 1):
        k = f"{p}.zone.{dz.key}"
        words = " · ".join(x for x in (term(dz.zone.use), dz.zone.name, zone_size(dz.zone)) if x)
        title = (_("Zone {number} · {words} · **not saved yet**") if dz.is_new
                 else _("Zone {number} · {words}")).format(number=n, words=md(words))
        # Zones just drawn open ready to describe; saved ones stay folded so the list is short.
        with st.expander(title, expanded=dz.is_new):
            colour = zone_colour(dz.zone.use)
            tip = html_text(_("colour on the map"))
            st.markdown(f"<span style='display:inline-block;width:2.5em;height:.8em;background:{colour};"
                        f"border-radius:2px' title='{tip}'></span>", unsafe_allow_html=True)
            st.selectbox(_("Use"), ZONE_USES, key=seeded(f"{k}.use", dz.zone.use), format_func=_)
            st.text_input(_("What exactly (optional)"), key=seeded(f"{k}.name", dz.zone.name),
                          placeholder=_("e.g. Orchard, Repair cafe"))
            st.text_area(_("Note"), key=seeded(f"{k}.note", dz.zone.description), height=68,
                         placeholder=_("Who would use it, when, what it needs"))
            b1, b2 = st.columns(2)
            b1.button(_("Remove zone"), key=f"{k}.remove", on_click=remove_zone, args=(dz.key,))
            if not has_site and dz.is_new and dz.zone.area_m2:
                b2.button(_("Make this the plan's site"), key=f"{k}.site", on_click=zone_as_site, args=(dz.key,))


def plan_tab(draft: Draft, base: Plan, sites: dict[int, str]) -> None:
    p = draft.prefix
    st.text_input(_("Title"), key=seeded(f"{p}.title", base.title))
    statuses = (base.status, *[s for s in workflow.next_statuses(base.status) if s != base.status])
    st.selectbox(_("Stage"), statuses, key=seeded(f"{p}.status", base.status),
                 format_func=lambda s: (_("{stage} (now)") if s == base.status
                                        else _("move on to: {stage}")).format(stage=_(s)),
                 help=_("Plans move {stages}; any plan can be dropped.").format(
                     stages=" → ".join(_(s) for s in PLAN_STATUSES[:-1])))
    sketched = [SKETCHED] if draft.site_geom is not None else []
    options: list[SiteChoice] = [NO_SITE, *sketched, *(SiteRef("feature", i) for i in sites)]
    current = draft_site(draft)
    if current not in options:
        options.append(current)
    key = seeded(f"{p}.site", current)
    if ss[key] not in options:
        ss[key] = current
    st.selectbox(_("Site"), options, key=key, format_func=lambda o: site_label(o, base, sites))
    st.text_area(_("Vision"), key=seeded(f"{p}.vision", base.vision), height=110,
                 placeholder=_("What will be different here, and for whom, when the plan has worked?"))
    st.text_area(_("Objectives (one per line)"), key=seeded(f"{p}.objectives", "\n".join(base.objectives)),
                 height=110)
    if base.macro_focus:
        st.markdown("**{}**".format(_("Macro assets this plan works with")))
        for f in base.macro_focus:
            st.markdown(f"- {md(f.asset_name)} ({md(f.kind)}): {md(f.text)}")


def site_label(option: SiteChoice, base: Plan, sites: dict[int, str]) -> str:
    if option == NO_SITE:
        return _("No site yet")
    if option == SKETCHED:
        if base.site_name:
            return _("The area sketched for this plan: {name}").format(name=base.site_name)
        return _("The area sketched for this plan")
    assert isinstance(option, SiteRef)
    return sites.get(option.id) or base.site_name or _("Site {id}").format(id=option.id)


def partners_tab(draft: Draft, nearby: NearbyResult | None, radius_m: int) -> None:
    p = draft.prefix
    if nearby is not None:
        names = {a.id: a.name for a in nearby.assets}
        candidates = {a.id: plan_forms.nearby_label(a) for a in nearby.assets}
        st.caption(_("{macro} macro and {micro} micro assets within {distance} of the site. "
                     "Pick partners from them.").format(macro=fmt().number(len(nearby.macro)),
                                                        micro=fmt().number(len(nearby.micro)),
                                                        distance=fmt().distance_m(radius_m)))
    else:
        try:
            everyone = state.query(queries.list_assets)
        except AtlasError:
            everyone = []
        names = {a.id: a.name for a in everyone}
        candidates = {a.id: plan_forms.asset_label(a.id, a.name, ", ".join(
            term(x) for x in (a.scale, a.category) if x)) for a in everyone}
        st.caption(_("The plan has no site yet, so every asset in the atlas is listed."))
    with st.container(border=True):
        st.markdown("**{}**".format(_("Add a partner")))
        c1, c2 = st.columns([3, 2])
        c1.selectbox(_("Organisation, group or person"), list(candidates), index=None, key=f"{p}.add.asset",
                     format_func=lambda i: candidates[i], placeholder=_("Choose from the assets nearby"))
        c2.selectbox(_("Role"), PARTNER_ROLES, key=seeded(f"{p}.add.role", "delivery partner"), format_func=_)
        st.text_input(_("What they bring (optional)"), key=f"{p}.add.note")
        st.button(_("Add as partner"), key=f"{p}.add.go", on_click=add_partner, args=(names,),
                  disabled=not candidates)
    if not draft.partners:
        st.info(_("No partners yet."))
    for dp in draft.partners:
        k = f"{p}.partner.{dp.key}"
        c1, c2, c3, c4 = st.columns([3, 2, 3, 1])
        c1.markdown(md(dp.partner.asset_name or _("Asset {id}").format(id=dp.partner.asset_id)))
        c2.selectbox(_("Role"), PARTNER_ROLES, key=seeded(f"{k}.role", dp.partner.role), format_func=_,
                     label_visibility="collapsed")
        c3.text_input(_("Note"), key=seeded(f"{k}.note", dp.partner.note), label_visibility="collapsed",
                      placeholder=_("What they bring"))
        c4.button(_("Remove"), key=f"{k}.remove", on_click=remove_partner, args=(dp.key,),
                  help=_("Remove this partner"))
    if nearby is not None and nearby.assets:
        with st.expander(_("Everything within {distance}").format(distance=fmt().distance_m(radius_m))):
            st.dataframe([{_("name"): a.name, _("scale"): term(a.scale), _("category"): term(a.category),
                           _("distance (m)"): round(a.distance_m), _("offers"): ", ".join(a.offers),
                           _("needs"): ", ".join(a.needs)} for a in nearby.assets],
                         hide_index=True, width="stretch")


def edited_partners(draft: Draft) -> list[Partner]:
    p = draft.prefix
    return [replace(dp.partner, role=ss.get(f"{p}.partner.{dp.key}.role", dp.partner.role),
                    note=(ss.get(f"{p}.partner.{dp.key}.note", dp.partner.note) or "").strip())
            for dp in draft.partners]


def actions_tab(draft: Draft, base: Plan):
    from cedplans.model import ACTION_STATUSES

    st.caption(_("Add a row for each step. Leave a row empty to ignore it."))
    return st.data_editor(
        plan_forms.action_frame(base.actions), key=f"{draft.prefix}.actions", num_rows="dynamic",
        hide_index=True, width="stretch",
        column_config={
            "id": None,
            "what": st.column_config.TextColumn(_("What"), width="large"),
            "who": st.column_config.TextColumn(_("Who")),
            "by_when": st.column_config.DateColumn(_("By when"), format="localized"),
            # The statuses are stored values (the table hands back what is chosen), so
            # they stay as the plan records them.
            "status": st.column_config.SelectboxColumn(_("Status"), options=list(ACTION_STATUSES),
                                                       default="to do"),
        },
    )


def indicators_tab(draft: Draft, base: Plan):
    from cedplans.model import STANDARD_INDICATORS

    st.caption(_("Most plans track: {indicators}.").format(indicators=", ".join(STANDARD_INDICATORS)))
    return st.data_editor(
        plan_forms.indicator_frame(base.indicators), key=f"{draft.prefix}.indicators", num_rows="dynamic",
        hide_index=True, width="stretch",
        column_config={
            "name": st.column_config.TextColumn(_("Indicator")),
            "target": st.column_config.NumberColumn(_("Target"), min_value=0),
            "actual": st.column_config.NumberColumn(_("Actual so far"), min_value=0),
            "unit": st.column_config.TextColumn(_("Unit"), help=_("e.g. jobs, people, money")),
        },
    )


def edited_plan(draft: Draft, base: Plan, zones, actions, indicators) -> Plan:
    """The plan as the page now holds it, based on the draft's version."""
    p = draft.prefix
    site = ss.get(f"{p}.site", NO_SITE)
    site_feature_id = site.id if isinstance(site, SiteRef) else None
    site_geom = draft.site_geom if site == SKETCHED else None
    return replace(
        base, title=(ss.get(f"{p}.title") or "").strip(), status=ss.get(f"{p}.status", base.status),
        vision=(ss.get(f"{p}.vision") or "").strip(),
        objectives=plan_forms.objectives_from_text(ss.get(f"{p}.objectives", "")),
        site_feature_id=site_feature_id, site_geom=site_geom,
        site_name=base.site_name if site == SKETCHED or site_feature_id == base.site_feature_id else "",
        zones=[z.zone for z in zones], partners=edited_partners(draft),
        actions=plan_forms.actions_from_rows(actions), indicators=plan_forms.indicators_from_rows(indicators),
        version=draft.version,
    )


def newer_version_notice(draft: Draft) -> None:
    latest = state.query(repository.latest_version, draft.plan_id)
    if latest.version == draft.version:
        return
    with st.container(border=True):
        st.error(_("{author} saved version {version} of this plan on {when} (“{summary}”) after you opened "
                   "version {opened}. Your changes cannot be saved over it: open the newest version, then "
                   "make your changes again. Zones you drew and have not saved are kept.").format(
            author=md(latest.author), version=latest.version, when=when(latest), summary=md(latest.summary),
            opened=draft.version))
        diff = state.query(repository.diff_versions, draft.plan_id, draft.version, latest.version)
        if diff:
            st.markdown("**{}**".format(_("What changed in the newer version")))
            st.markdown("\n".join(f"- {md(line)}" for line in diff.lines()))
        st.button(_("Open the newest version"), key=f"{draft.prefix}.open_latest", on_click=open_latest,
                  type="primary")


def save(draft: Draft, plan: Plan, author: str, summary: str) -> None:
    try:
        with session.writing(Permission.PLAN) as store:
            saved = repository.save_plan(store, plan, author=author, based_on_version=draft.version,
                                         summary=summary)
    except StalePlan as exc:
        flash("error", str(exc))
        return
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["sk.draft"] = Draft.of(saved)
    ss["sk.draft"].map_gen = draft.map_gen + 1
    flash("success", _("Saved as version {version}.").format(version=saved.version))


def history_tab(draft: Draft) -> None:
    versions = state.query(repository.list_versions, draft.plan_id)
    st.dataframe([{_("version"): v.version, _("saved"): when(v), _("by"): v.author, _("what changed"): v.summary}
                  for v in versions], hide_index=True, width="stretch")
    numbers = [v.version for v in versions]
    if len(numbers) < 2:
        st.caption(_("Each save adds a version here. Compare and restore them once there are two."))
        return
    st.markdown("**{}**".format(_("Compare two versions")))
    c1, c2 = st.columns(2)
    old = c1.selectbox(_("From version"), numbers, index=1, key=f"sk.{draft.plan_id}.diff_from")
    new = c2.selectbox(_("To version"), numbers, index=0, key=f"sk.{draft.plan_id}.diff_to")
    if old == new:
        st.caption(_("Choose two different versions."))
    else:
        diff = state.query(repository.diff_versions, draft.plan_id, old, new)
        st.markdown("\n".join(f"- {md(line)}" for line in diff.lines()) or _("No differences."))
    st.markdown("**{}**".format(_("Restore an earlier version")))
    st.caption(_("Restoring makes a copy of the old version the newest one; nothing is deleted, "
                 "and the stage stays as it is now."))
    c1, c2 = st.columns([2, 1])
    pick = c1.selectbox(_("Version to restore"), numbers[1:], key=f"sk.{draft.plan_id}.restore_pick")
    if c2.button(_("Restore version {version}").format(version=pick), key=f"sk.{draft.plan_id}.restore"):
        author = current_author()
        try:
            with session.writing(Permission.PLAN) as store:
                restored = repository.restore_version(store, draft.plan_id, pick, author=author,
                                                      based_on_version=draft.version)
        except AtlasError as exc:
            flash("error", str(exc))
        else:
            ss["sk.draft"] = Draft.of(restored)
            ss["sk.draft"].map_gen = draft.map_gen + 1
            flash("success", _("Version {old} restored as version {new}.").format(old=pick, new=restored.version))
        st.rerun()


def moderate(idea_id: int, hide: bool, reason_key: str) -> None:
    reason = (ss.get(reason_key) or "").strip()
    try:
        with session.writing(Permission.MODERATE) as store:
            if hide:
                repository.hide_idea(store, idea_id, reason=reason, moderator=current_author())
            else:
                repository.show_idea(store, idea_id, reason=reason, moderator=current_author())
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss[reason_key] = ""
    flash("success", _("The idea is hidden; it stays in the record with your reason.") if hide
          else _("The idea is shown again."))


def ideas_tab(draft: Draft) -> None:
    ideas = state.query(repository.list_ideas, draft.plan_id, include_hidden=True)
    if not ideas:
        st.info(_("No workshop ideas yet. Open this plan in Workshop mode to collect them."))
        return
    shown = sum(not i.hidden for i in ideas)
    st.caption(_("{shown} shown, {hidden} hidden, most votes first. Hiding needs a reason and your name "
                 "(in the Save box); nothing is ever deleted.").format(
        shown=ngettext("{count} idea", "{count} ideas", shown).format(count=fmt().number(shown)),
        hidden=fmt().number(len(ideas) - shown)))
    for idea in ideas:
        with st.container(border=True):
            votes = ngettext("{count} vote", "{count} votes", idea.votes).format(count=fmt().number(idea.votes))
            line = (_("**{category}** · {votes} · by {by} · **hidden**") if idea.hidden
                    else _("**{category}** · {votes} · by {by}"))
            st.markdown(line.format(category=md(term(idea.category).capitalize()), votes=votes, by=md(idea.by)))
            st.markdown(md(idea.text))
            if idea.hidden:
                hidden_on = fmt().date(idea.hidden_at) if idea.hidden_at else ""
                st.caption(_("Hidden by {by} on {date}: {reason}").format(
                    by=md(idea.hidden_by or ""), date=hidden_on, reason=md(idea.hidden_reason or "")))
            key = f"sk.{draft.plan_id}.idea.{idea.id}"
            c1, c2 = st.columns([3, 1])
            c1.text_input(_("Reason"), key=f"{key}.reason", label_visibility="collapsed",
                          placeholder=_("Why show it again?") if idea.hidden
                          else _("Why hide it? e.g. personal details"))
            c2.button(_("Show again") if idea.hidden else _("Hide"), key=f"{key}.moderate", width="stretch",
                      on_click=moderate, args=(idea.id, not idea.hidden, f"{key}.reason"))


def export_tab(draft: Draft) -> None:
    latest = state.query(repository.latest_version, draft.plan_id)
    st.caption(_("Exports hold the saved plan (version {version}); save first to include your changes.").format(
        version=latest.version))

    language = current()

    def make(kind: str):
        def data() -> bytes:
            with state.reading() as store:
                return plan_downloads.export_bytes(store, draft.plan_id, kind, language=language)
        return data

    cols = st.columns(len(plan_downloads.DOWNLOADS))
    for col, (kind, d) in zip(cols, plan_downloads.DOWNLOADS.items(), strict=True):
        name = plan_downloads.file_name(latest.title, latest.version, kind)
        # The file is made only when the button is pressed (a PDF takes a moment).
        col.download_button(_(d.label), data=make(kind), file_name=name, mime=d.mime, help=_(d.help),
                            key=f"sk.{draft.plan_id}.dl.{kind}", on_click="ignore",
                            width="stretch")
    # The printable workshop pack (A4 and A3) sits with the plan's other downloads.
    paper_ideas.render_pack_downloads(draft.plan_id)


# -- the page -------------------------------------------------------------------------------

def main() -> None:
    st.title(_("Plan sketcher"))
    state.handle_or_stop()
    session.gate(Permission.PLAN, _("The plan sketcher"))
    state.show_flashes("sk")
    plans = state.query(repository.list_plans)
    plan_id = plan_choice(plans)
    if plan_id == NEW:
        new_plan_form()
        return
    draft = current_draft(plan_id)
    base = state.query(repository.get_plan, plan_id, draft.version)
    try:
        sites = {f.id: f.name or "" for f in state.list_features(named_only=True)}
    except AtlasError:
        sites = {}
    newer_version_notice(draft)

    site_choice = ss.get(f"{draft.prefix}.site") or draft_site(draft)
    site_geom = site_geometry(draft, site_choice)
    radius_m = ss.get("sk.radius", DEFAULT_RADIUS_M)
    zones = edited_zones(draft)
    nearby = nearby_of(site_choice, site_geom, zones, radius_m, partner_places(draft))

    # The map takes the page's full width (on a 1024 px tablet a map beside the zone list
    # was about 220 px wide); the zones are listed under it, where they are read and
    # described after drawing.
    draw_map(draft, base, site_geom, zones, nearby)
    zone_list(draft, zones, has_site=site_geom is not None)

    tabs = st.tabs([_("Plan"), _("Partners"), _("Actions"), _("Indicators"), _("Workshop ideas"), _("History"),
                    _("Export")])
    with tabs[0]:
        plan_tab(draft, base, sites)
    with tabs[1]:
        st.radio(_("Look for partners within"), RADII_M, key="sk.radius", horizontal=True,
                 index=RADII_M.index(DEFAULT_RADIUS_M), format_func=lambda r: fmt().distance_m(r))
        partners_tab(draft, nearby, radius_m)
    with tabs[2]:
        actions = actions_tab(draft, base)
    with tabs[3]:
        indicators = indicators_tab(draft, base)
    with tabs[4]:
        ideas_tab(draft)
    with tabs[5]:
        history_tab(draft)
    with tabs[6]:
        export_tab(draft)

    st.divider()
    try:
        plan = edited_plan(draft, base, edited_zones(draft), actions, indicators)
        changes = diff_plans(base, plan)
    except InvalidInput as exc:
        plan, changes = None, None
        st.error(str(exc))
    with st.container(border=True):
        pending = (_("unsaved: {changes}").format(changes=md(changes.summary())) if changes
                   else _("no unsaved changes"))
        st.markdown(_("**Save** · {pending}").format(pending=pending))
        c1, c2 = st.columns(2)
        with c1:
            author = author_input()
        with c2:
            summary = st.text_input(_("What did you change? (optional)"), key=f"{draft.prefix}.summary",
                                    placeholder=_("e.g. Zones agreed at the May workshop"))
        b1, b2 = st.columns([1, 1])
        clicked = b1.button(_("Save"), type="primary", key=f"{draft.prefix}.save", disabled=not changes,
                            width="stretch", help=None if changes else _("Nothing has changed yet."))
        b2.button(_("Discard my changes"), key=f"{draft.prefix}.discard", on_click=discard_changes,
                  disabled=not changes, width="stretch")
    if clicked and plan is not None and changes:
        save(draft, plan, author, summary)
        st.rerun()


main()
