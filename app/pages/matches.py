"""Matches: the offers that can meet a need (or the needs an asset's offers can meet),
best first, each with every part of its score, one sentence saying why and a list of
what does not fit. An officer accepts or turns a match down with a reason, and turns an
accepted one into a draft plan. A link with ``?need=ID`` or ``?asset=ID`` opens one."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from app import author, session, state
from app.language import N_, _, fmt, ngettext
from app.text import md
from atlas.access import PUBLIC, Permission
from atlas.confidential import WITHHELD
from atlas.errors import AtlasError
from atlas.models import NeedOffer
from cedplans import linking
from cedplans.matching import WEIGHTS, Match, Ranking

ss = st.session_state
flash = functools.partial(state.flash, "match")

MODES = {"need": N_("One need"), "asset": N_("One asset's needs and offers"),
         "best": N_("The best match of every need")}
RADII = (0.0, 800.0, 1_600.0, 5_000.0)
"""How far to look, in metres; 0 means anywhere (a selectbox offers None as "clear")."""
PART_LABELS = {"vocabulary": N_("Same kind of thing (vocabulary)"), "text": N_("Similar words"), "size": N_("Size"),
               "distance": N_("Distance"), "recency": N_("Recently checked"), "scale": N_("Macro meets micro")}
SHOW_FIRST = 5
PART, FIT = "Part of the score (its weight)", "Fit"
"""Column keys of a match's score table (shown translated)."""


def _radius_label(r: float) -> str:
    return _("Anywhere") if not r else _("Within {distance}").format(distance=fmt().distance_m(r))


def _need_label(item: NeedOffer) -> str:
    return f"{item.asset_name} · {item.title}"


def _linked(options: dict[int, str], param: str) -> int | None:
    wanted = st.query_params.get(param, "")
    return int(wanted) if wanted.isdigit() and int(wanted) in options else None


def _choose() -> tuple[str, int | None, float | None, int]:
    """What to match: (mode, need or asset id, radius in metres or None, how many)."""
    items = state.needs_offers_listing()
    needs = {i.id: _need_label(i) for i in items if i.side == "need"}
    assets = {i.asset_id: i.asset_name for i in sorted(items, key=lambda i: i.asset_name)}
    if "match.mode" not in ss:
        ss["match.mode"] = "asset" if _linked(assets, "asset") else "need" if needs else "best"
    mode = st.radio(_("Match"), list(MODES), format_func=lambda m: _(MODES[m]), key="match.mode", horizontal=True)
    chosen = None
    if mode == "need":
        if not needs:
            st.info(_("There are no open needs yet. Record some on the Asset register page."))
            return mode, None, None, SHOW_FIRST
        if "match.need" not in ss or ss["match.need"] not in needs:
            ss["match.need"] = _linked(needs, "need") or next(iter(needs))
        chosen = st.selectbox(_("Need"), list(needs), format_func=needs.__getitem__, key="match.need")
        st.query_params.update(need=str(chosen))
        st.query_params.pop("asset", None)
    elif mode == "asset":
        if "match.asset" not in ss or ss["match.asset"] not in assets:
            ss["match.asset"] = _linked(assets, "asset") or next(iter(assets))
        chosen = st.selectbox(_("Asset"), list(assets), format_func=assets.__getitem__, key="match.asset")
        st.query_params.update(asset=str(chosen))
        st.query_params.pop("need", None)
    a, b, c, d = st.columns([1, 1, 2, 2], vertical_alignment="bottom")
    radius = a.selectbox(_("How far"), RADII, format_func=_radius_label, key="match.radius")
    top = b.number_input(_("How many"), min_value=1, max_value=50, value=SHOW_FIRST, key="match.top",
                         help=_("Per need or offer."))
    with c:
        author.author_input("match.author", help=_("Recorded with each decision."))
    d.toggle(_("Show decision reasons (officers only)"), key="match.confidential",
             help=_("Reasons are confidential: they are left out unless you ask for them."))
    return mode, chosen, radius or None, int(top)


def _ranking(mode: str, chosen: int | None, radius: float | None, top: int) -> Ranking:
    index = state.match_index()
    if mode == "need" and chosen is not None:
        return index.for_need(chosen, top=top, radius_m=radius)
    if mode == "asset" and chosen is not None:
        return index.for_asset(chosen, top=top, radius_m=radius)
    return index.best(top=top * 4, radius_m=radius)


def _decide(match: Match, decision: str, reason_key: str) -> None:
    who = author.remembered("match.author")
    try:
        with session.writing(Permission.MODERATE) as store:
            linking.decide(store, match.need.id, match.offer.id, decision, reason=ss.get(reason_key, ""), by=who,
                           score=match.score)
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss[reason_key] = ""
    text = (_("The match of {offer} with {need} was accepted.") if decision == "accepted"
            else _("The match of {offer} with {need} was turned down: it will not be suggested again."))
    flash("success", text.format(offer=md(match.offer.asset_name), need=md(match.need.asset_name)),
          icon=":material/check_circle:")


def _make_plan(match: Match) -> None:
    try:
        with session.writing(Permission.PLAN) as store:
            plan = linking.plan_from_match(store, match.need.id, match.offer.id, by=author.remembered("match.author"))
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["match.new_plan"] = plan.id
    flash("success", _("Draft plan {id} started with {need} and {offer} as partners.").format(
        id=plan.id, need=md(match.need.asset_name), offer=md(match.offer.asset_name)), icon=":material/draw:")


def _parts_table(match: Match) -> pd.DataFrame:
    c = match.components
    return pd.DataFrame({
        PART: [_("{part} (×{weight})").format(part=_(PART_LABELS[p]), weight=fmt().number(getattr(WEIGHTS, p),
                                                                                           digits=2))
               for p in PART_LABELS],
        FIT: [getattr(c, p) for p in PART_LABELS],
    })


def _show_match(n: int, match: Match, decision: linking.Decision | None) -> None:
    key = f"match.{match.need.id}.{match.offer.id}"
    with st.container(border=True):
        scale = (_("macro meets micro") if match.cross_scale
                 else _("{need_scale} with {offer_scale}").format(need_scale=_(match.need.asset_scale or "?"),
                                                                  offer_scale=_(match.offer.asset_scale or "?")))
        st.markdown(f"**{n}. {md(match.offer.asset_name)}** → **{md(match.need.asset_name)}** · {scale}")
        st.progress(min(max(match.score, 0.0), 1.0), text=_("Score {score} of 1").format(
            score=fmt().number(match.score, digits=2)))
        st.markdown(md(match.why))
        left, right = st.columns([3, 2])
        with left:
            if match.gaps:
                st.markdown("**{}**\n\n".format(_("What does not fit")) + "\n".join(f"- {md(g)}" for g in match.gaps))
            else:
                st.markdown(_("**What does not fit:** nothing the atlas can see."))
        with right:
            st.dataframe(_parts_table(match), hide_index=True, key=f"{key}.parts", column_config={
                PART: st.column_config.TextColumn(_("Part of the score (its weight)"), width="medium"),
                FIT: st.column_config.ProgressColumn(_("Fit"), min_value=0.0, max_value=1.0, format="%.2f",
                                                     width="small"),
            })
        if decision is not None and decision.decision == "accepted":
            if decision.plan_id is not None:
                st.page_link("app/pages/plan_sketcher.py",
                             label=_("Accepted: open its plan ({id})").format(id=decision.plan_id),
                             icon=":material/draw:", query_params={"plan": str(decision.plan_id)})
            else:
                st.success(_("Accepted by {name}.").format(name=md(decision.decided_by)), icon=":material/check:")
                st.button(_("Make a draft plan from this match"), key=f"{key}.plan", on_click=_make_plan,
                          args=(match,), icon=":material/draw:")
            return
        st.text_input(_("Reason (kept with the decision; officers only)"), key=f"{key}.reason",
                      placeholder=_("e.g. Both keen; meeting booked for May"))
        a, b, _rest = st.columns([1, 1, 2])
        a.button(_("Accept"), key=f"{key}.accept", on_click=_decide, args=(match, "accepted", f"{key}.reason"),
                 type="primary", icon=":material/thumb_up:")
        b.button(_("Turn down"), key=f"{key}.reject", on_click=_decide, args=(match, "rejected", f"{key}.reason"),
                 icon=":material/thumb_down:")


def _reopen(d: linking.Decision) -> None:
    try:
        with session.writing(Permission.MODERATE) as store:
            # The reason is stored data (read by officers in any language), so it stays English.
            linking.decide(store, d.need_id, d.offer_id, "reopened", reason="Reopened from the Matches page",
                           by=author.remembered("match.author"))
    except AtlasError as exc:
        flash("error", str(exc))
        return
    flash("info", _("The pair may be suggested again."))


def _decisions_taken(show_reasons: bool) -> None:
    items = {i.id: i for i in state.needs_offers_listing(statuses=("open", "in progress", "met", "closed"))}

    def label(item_id: int) -> str:
        item = items.get(item_id)
        return f"{item.asset_name}: {item.title}" if item else f"#{item_id}"

    with state.reading() as store:
        viewer = session.viewer() if show_reasons else PUBLIC
        accepted = linking.decided(store, "accepted", viewer=viewer)
        rejected = linking.decided(store, "rejected", viewer=viewer)
    tab_a, tab_r = st.tabs([_("Accepted ({count})").format(count=fmt().number(len(accepted))),
                            _("Turned down ({count})").format(count=fmt().number(len(rejected)))])
    for tab, rows, can_reopen in ((tab_a, accepted, False), (tab_r, rejected, True)):
        with tab:
            if not rows:
                st.caption(_("None yet."))
                continue
            st.dataframe(pd.DataFrame({
                "Need": [label(d.need_id) for d in rows], "Offer": [label(d.offer_id) for d in rows],
                "By": [d.decided_by for d in rows], "On": [d.decided_at.date() for d in rows],
                "Plan": [d.plan_id for d in rows],
                "Reason": [d.reason if d.reason is not None else _(WITHHELD) for d in rows],
            }), hide_index=True, key=f"match.decided.{tab_r is tab}", column_config={
                "Need": st.column_config.TextColumn(_("Need"), width="medium"),
                "Offer": st.column_config.TextColumn(_("Offer"), width="medium"),
                "By": st.column_config.TextColumn(_("By")),
                "On": st.column_config.DateColumn(_("On"), format="localized"),
                "Plan": st.column_config.NumberColumn(_("Plan")),
                "Reason": st.column_config.TextColumn(_("Reason")),
            })
            if can_reopen:
                def pair(i: int | None, rows: list[linking.Decision] = rows) -> str:
                    return "—" if i is None else f"{label(rows[i].need_id)} ← {label(rows[i].offer_id)}"

                picks: list[int | None] = [None, *range(len(rows))]
                choice = st.selectbox(_("Reopen a pair"), picks, key="match.reopen_pick", format_func=pair)
                if choice is not None:
                    st.button(_("Reopen: suggest it again"), key="match.reopen", on_click=_reopen,
                              args=(rows[choice],))


def main() -> None:
    st.title(_("Matches"))
    st.caption(_("Offers that can meet needs, best first, with why and what does not fit. Accept or turn a match "
                 "down with a reason; turn an accepted match into a draft plan."))
    state.handle_or_stop()
    session.gate(Permission.PLAN, _("Matches"))
    state.show_flashes("match")
    if "match.new_plan" in ss:
        plan_id = ss.pop("match.new_plan")
        st.page_link("app/pages/plan_sketcher.py",
                     label=_("Open the new draft plan ({id}) in the plan sketcher").format(id=plan_id),
                     icon=":material/draw:", query_params={"plan": str(plan_id)})
    mode, chosen, radius, top = _choose()
    show_reasons = bool(ss.get("match.confidential"))
    try:
        ranking = _ranking(mode, chosen, radius, top)
    except AtlasError as exc:
        st.error(str(exc))
        return
    if not ranking.matches:
        st.info(ranking.message or _("No match."), icon=":material/search_off:")
    else:
        count = len(ranking.matches)
        st.subheader(ngettext("{count} match, best first", "{count} matches, best first", count).format(
            count=fmt().number(count)))
    decisions: dict[tuple[int, int], linking.Decision] = {}
    with state.reading() as store:
        for m in ranking.matches:
            if m.decision is not None:
                found = linking.current_decision(store, m.need.id, m.offer.id)
                if found is not None:
                    decisions[(m.need.id, m.offer.id)] = found
    for n, m in enumerate(ranking.matches, 1):
        _show_match(n, m, decisions.get((m.need.id, m.offer.id)))
    st.divider()
    st.subheader(_("Decisions taken"))
    _decisions_taken(show_reasons)


main()
