"""From a suggested match to a link: an officer's decision on a pair, a draft plan made
from an accepted match, the links the atlas knows of, and the micro assets nobody has
linked yet.

Decisions are kept, never overwritten: each is a row with who, when and why, and the
latest one on a pair is its state. A rejected pair is not suggested again (until an
officer reopens it). Links are the accepted matches and the partnerships of plans; the
map draws them as lines between assets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from atlas import audit, confidential, needs_offers
from atlas.access import PUBLIC, WHOLE_RECORD, Viewer
from atlas.errors import InvalidInput
from atlas.models import NeedOffer
from atlas.store import Store, utc_now
from cedplans import repository
from cedplans.matching import Match, MatchIndex, distance_words
from cedplans.model import MacroFocus, Partner, Plan

DECISIONS = ("accepted", "rejected", "reopened")

UNTAPPED_RADIUS_M = 1_600.0
"""'Nearby' for untapped assets: a twenty-minute walk, in metres."""
UNTAPPED_MIN_SCORE = 0.55
"""A micro asset is untapped when one of its offers meets an open need nearby at least this well."""


@dataclass(frozen=True)
class Decision:
    id: int
    need_id: int
    offer_id: int
    decision: str
    reason: str | None
    """Confidential (:mod:`atlas.confidential`): None unless asked for."""
    decided_by: str
    decided_at: datetime
    score: float | None
    plan_id: int | None



def decide(store: Store, need_id: int, offer_id: int, decision: str, *, reason: str, by: str,
           score: float | None = None) -> Decision:
    """Record an officer's decision on a pair: ``accepted``, ``rejected`` (it will not be
    suggested again) or ``reopened`` (undecided again). A reason is required and kept."""
    if decision not in DECISIONS:
        raise InvalidInput(f"A decision is one of {', '.join(DECISIONS)}, not {decision!r}.")
    reason, by = (reason or "").strip(), (by or "").strip()
    if not reason:
        raise InvalidInput("Give a reason for the decision: it is kept, so the next officer knows why.")
    if not by:
        raise InvalidInput("Say who is deciding.")
    need, offer = needs_offers.get(store, need_id), needs_offers.get(store, offer_id)
    if need.side != "need" or offer.side != "offer":
        raise InvalidInput(f"A decision is on a need and an offer, the need first: {need_id} and {offer_id} are "
                           "not that.")
    current = current_decision(store, need_id, offer_id, viewer=WHOLE_RECORD)
    if current is not None and current.decision == decision:
        raise InvalidInput(f"This pair is already {decision}.")
    if decision == "reopened" and current is None:
        raise InvalidInput("This pair has not been decided yet; there is nothing to reopen.")
    with store.transaction():
        new_id = store.con.execute(
            "INSERT INTO match_decisions (need_id, offer_id, decision, reason, decided_by, decided_at, score) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [need_id, offer_id, decision, reason, by, utc_now(), score],
        ).fetchone()[0]
        audit.record(store, entity="match", entity_id=f"{need_id}-{offer_id}", action=decision, by=by,
                     summary=f"{need.title} / {offer.title}: {decision}",
                     before=None if current is None else {"decision": current.decision, "reason": current.reason},
                     after={"decision": decision, "reason": reason, "score": score})
    found = _decisions(store, "WHERE id = ?", [new_id], viewer=WHOLE_RECORD)
    return found[0]


_DECISION_SQL = ("SELECT id, need_id, offer_id, decision, reason, decided_by, decided_at, score, plan_id "
                 "FROM match_decisions ")


def _decisions(store: Store, where: str, params: Sequence[object], *, viewer: Viewer) -> list[Decision]:
    found = store.records(Decision, _DECISION_SQL + where, params)
    return [Decision(**{**d.__dict__, "reason": confidential.disclosed("match_decisions", "reason", d.reason, viewer)})
            for d in found]


def current_decision(store: Store, need_id: int, offer_id: int, *, viewer: Viewer = PUBLIC) -> Decision | None:
    """The latest decision on the pair, or None when it has none."""
    found = _decisions(store, "WHERE need_id = ? AND offer_id = ? ORDER BY id DESC LIMIT 1", [need_id, offer_id],
                       viewer=viewer)
    return found[0] if found else None


def history(store: Store, need_id: int, offer_id: int, *, viewer: Viewer = PUBLIC) -> list[Decision]:
    """Every decision on the pair, oldest first."""
    return _decisions(store, "WHERE need_id = ? AND offer_id = ? ORDER BY id", [need_id, offer_id],
                      viewer=viewer)


def decided(store: Store, decision: str, *, viewer: Viewer = PUBLIC) -> list[Decision]:
    """Pairs whose latest decision is ``decision``, newest first."""
    return _decisions(
        store, "WHERE id IN (SELECT max(id) FROM match_decisions GROUP BY need_id, offer_id) AND decision = ? "
               "ORDER BY decided_at DESC, id DESC", [decision], viewer=viewer)


# -- from a match to a plan ----------------------------------------------------------------

_FOCUS = {"workforce": "workforce", "volunteers": "workforce", "people": "workforce", "skills": "workforce",
          "reach": "workforce", "supply": "supply chain", "services": "supply chain", "products": "supply chain",
          "space": "land and property", "land": "land and property"}


def _roles(need: NeedOffer, offer: NeedOffer) -> tuple[str, str]:
    """(the need's asset's role, the offer's asset's role) in a plan made from the pair."""
    if offer.kind in ("space", "land"):
        return "tenant", "landowner"
    if offer.kind == "funding":
        return "lead", "funder"
    return "lead", "delivery partner"


def plan_from_match(store: Store, need_id: int, offer_id: int, *, by: str) -> Plan:
    """Turn an accepted match into a draft plan with both assets as partners (the macro
    asset as the plan's focus), and mark the need and offer as in progress under it."""
    current = current_decision(store, need_id, offer_id)
    if current is None or current.decision != "accepted":
        raise InvalidInput("Accept the match first; a plan is made from an accepted match.")
    if current.plan_id is not None:
        raise InvalidInput(f"This match already has plan {current.plan_id}.")
    need, offer = needs_offers.get(store, need_id), needs_offers.get(store, offer_id)
    need_role, offer_role = _roles(need, offer)
    macro = next((i for i in (need, offer) if i.asset_scale == "macro"), None)
    focus = [] if macro is None else [MacroFocus(asset_id=macro.asset_id, kind=_FOCUS.get(macro.kind, "other"),
                                                 text=macro.title)]
    plan = Plan(
        title=f"{need.title} – with {offer.asset_name}"[:200], status="draft",
        site_feature_id=offer.feature_id if offer.feature_id is not None else need.feature_id,
        macro_focus=focus,
        vision=(f"{offer.asset_name} offers “{offer.title}”; {need.asset_name} needs “{need.title}”. "
                "Made from an accepted match: say here what the two will do together."),
        partners=[Partner(asset_id=need.asset_id, role=need_role, note=f"Need: {need.title}"),
                  Partner(asset_id=offer.asset_id, role=offer_role, note=f"Offer: {offer.title}")],
    )
    with store.transaction():
        created = repository.create_plan(store, plan, author=by, summary="Made from an accepted match")
        store.con.execute("UPDATE match_decisions SET plan_id = ? WHERE id = ?", [created.id, current.id])
        store.con.execute(
            "UPDATE needs_offers SET plan_id = ?, status = 'in progress', updated_by = ?, updated_at = ? "
            "WHERE id IN (?, ?) AND status = 'open'",
            [created.id, by.strip(), utc_now(), need_id, offer_id],
        )
    return created


# -- links ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """Two assets working together: an accepted match or a plan partnership. Points are
    (longitude, latitude)."""

    kind: str  # "match" or "plan"
    from_asset_id: int
    from_asset: str
    to_asset_id: int
    to_asset: str
    from_point: tuple[float, float]
    to_point: tuple[float, float]
    label: str
    plan_id: int | None = None
    need_id: int | None = None
    offer_id: int | None = None


def links(store: Store) -> list[Link]:
    """Accepted matches (need's asset to offer's asset) and, for every plan, its anchor
    (the lead, else its macro partner, else its first) to each other partner."""
    places = {r[0]: (r[1], (r[2], r[3])) for r in store.con.execute(
        "SELECT id, name, ST_X(geom), ST_Y(geom) FROM assets WHERE id IN "
        "(SELECT asset_id FROM plan_partners UNION SELECT n.asset_id FROM needs_offers n "
        " WHERE n.id IN (SELECT need_id FROM match_decisions UNION SELECT offer_id FROM match_decisions))"
    ).fetchall()}
    out: list[Link] = []
    for d in decided(store, "accepted"):
        need, offer = needs_offers.get(store, d.need_id), needs_offers.get(store, d.offer_id)
        if need.asset_id not in places or offer.asset_id not in places:
            continue
        out.append(Link("match", need.asset_id, places[need.asset_id][0], offer.asset_id, places[offer.asset_id][0],
                        places[need.asset_id][1], places[offer.asset_id][1],
                        f"Match: {offer.title} → {need.title}" + (f" (plan {d.plan_id})" if d.plan_id else ""),
                        d.plan_id, d.need_id, d.offer_id))
    rows = store.con.execute(
        "SELECT pp.plan_id, p.title, pp.asset_id, pp.role, a.scale FROM plan_partners pp "
        "JOIN plans p ON p.id = pp.plan_id JOIN assets a ON a.id = pp.asset_id ORDER BY pp.plan_id, pp.ordinal"
    ).fetchall()
    by_plan: dict[int, list[tuple]] = {}
    for r in rows:
        by_plan.setdefault(r[0], []).append(r)
    # A plan made from a match links the same two assets: its line would hide the match's.
    matched = {(link.plan_id, frozenset((link.from_asset_id, link.to_asset_id))) for link in out if link.plan_id}
    for plan_id, partners in by_plan.items():
        anchor = (next((p for p in partners if p[3] == "lead"), None)
                  or next((p for p in partners if p[4] == "macro"), None) or partners[0])
        seen = {anchor[2]}
        for p in partners:
            if p[2] in seen or (plan_id, frozenset((anchor[2], p[2]))) in matched:
                continue
            seen.add(p[2])
            out.append(Link("plan", anchor[2], places[anchor[2]][0], p[2], places[p[2]][0], places[anchor[2]][1],
                            places[p[2]][1], f"Plan: {p[1]}", plan_id))
    return out


def linked_assets(store: Store) -> set[int]:
    """Every asset at either end of a link."""
    return {i for link in links(store) for i in (link.from_asset_id, link.to_asset_id)}


# -- untapped micro assets ----------------------------------------------------------------------

@dataclass(frozen=True)
class Untapped:
    """A micro asset with no link yet whose offers meet open needs nearby."""

    asset_id: int
    asset: str
    matches: list[Match]

    @property
    def best(self) -> Match:
        return self.matches[0]

    @property
    def summary(self) -> str:
        m = self.best
        more = f" and {len(self.matches) - 1} more" if len(self.matches) > 1 else ""
        return (f"“{m.offer.title}” could meet {m.need.asset_name}'s need “{m.need.title}”{more}, "
                f"{distance_words(m.distance_m)} away.")


def untapped(store: Store, index: MatchIndex, *, radius_m: float = UNTAPPED_RADIUS_M,
             min_score: float = UNTAPPED_MIN_SCORE, limit: int = 50) -> list[Untapped]:
    """Micro assets that nobody has linked yet and whose open offers meet open needs within
    ``radius_m`` metres at least ``min_score`` well; the best placed first."""
    linked = linked_assets(store)
    by_asset: dict[int, list[Match]] = {}
    for item in index.items:
        if item.side != "offer" or item.asset_scale != "micro" or item.asset_id in linked:
            continue
        good = [m for m in index.for_offer(item.id, top=3, radius_m=radius_m).matches if m.score >= min_score]
        by_asset.setdefault(item.asset_id, []).extend(good)
    found = [Untapped(a, ms[0].offer.asset_name, sorted(ms, key=lambda m: -m.score))
             for a, ms in by_asset.items() if ms]
    found.sort(key=lambda u: (-u.best.score, u.asset))
    return found[:limit]

