"""From a match to a link (issue 9): decisions with reasons, kept and confidential; a
draft plan from an accepted match; links on the map; untapped micro assets."""

from __future__ import annotations

import pytest

from atlas.access import as_role
from atlas.errors import InvalidInput
from cedplans import linking, repository
from cedplans.matching import MatchIndex


@pytest.fixture
def ids(demo_store) -> dict[str, int]:
    return dict(demo_store.con.execute("SELECT source_id, id FROM needs_offers").fetchall())


def test_a_decision_needs_a_reason_and_a_name_and_is_kept_with_both(demo_store, ids):
    need, offer = ids["n-rotton-park-room"], ids["o-crt-lodge"]
    with pytest.raises(InvalidInput, match="reason"):
        linking.decide(demo_store, need, offer, "accepted", reason=" ", by="Officer O.")
    with pytest.raises(InvalidInput, match="who"):
        linking.decide(demo_store, need, offer, "accepted", reason="Fine", by="")
    with pytest.raises(InvalidInput, match="nothing to reopen"):
        linking.decide(demo_store, need, offer, "reopened", reason="x", by="Officer O.")
    with pytest.raises(InvalidInput, match="the need first"):
        linking.decide(demo_store, offer, need, "accepted", reason="Backwards", by="Officer O.")
    assert demo_store.con.execute("SELECT count(*) FROM match_decisions").fetchone()[0] == 0

    linking.decide(demo_store, need, offer, "rejected", reason="The lodge floods in winter", by="Officer O.")
    with pytest.raises(InvalidInput, match="already rejected"):
        linking.decide(demo_store, need, offer, "rejected", reason="Again", by="Officer O.")
    linking.decide(demo_store, need, offer, "reopened", reason="Repaired", by="Officer P.")
    linking.decide(demo_store, need, offer, "accepted", reason="Booked for March", by="Officer P.")
    trail = linking.history(demo_store, need, offer, viewer=as_role("officer"))
    assert [(d.decision, d.reason, d.decided_by) for d in trail] == [
        ("rejected", "The lodge floods in winter", "Officer O."), ("reopened", "Repaired", "Officer P."),
        ("accepted", "Booked for March", "Officer P.")]
    # The reasons are confidential: withheld unless the caller asks.
    assert [d.reason for d in linking.history(demo_store, need, offer)] == [None, None, None]
    assert linking.current_decision(demo_store, need, offer).decision == "accepted"
    assert [d.need_id for d in linking.decided(demo_store, "accepted")] == [need]


def test_an_accepted_match_becomes_a_draft_plan_with_both_assets_as_partners(demo_store, ids):
    need, offer = ids["n-port-loop-residents-room"], ids["o-port-loop-building"]
    with pytest.raises(InvalidInput, match="Accept the match first"):
        linking.plan_from_match(demo_store, need, offer, by="Officer O.")
    linking.decide(demo_store, need, offer, "accepted", reason="Developer agrees", by="Officer O.")
    plan = linking.plan_from_match(demo_store, need, offer, by="Officer O.")
    stored = repository.get_plan(demo_store, plan.id)
    assert stored.status == "draft" and stored.version == 1
    roles = {p.asset_name: p.role for p in stored.partners}
    assert roles == {"Port Loop residents' group": "tenant", "Port Loop housing developer": "landowner"}
    assert [(f.asset_name, f.kind) for f in stored.macro_focus] == [
        ("Port Loop housing developer", "land and property")]
    assert stored.site_name == "Port Loop historic building"
    assert linking.current_decision(demo_store, need, offer).plan_id == plan.id
    statuses = demo_store.con.execute(
        "SELECT status, plan_id FROM needs_offers WHERE id IN (?, ?)", [need, offer]).fetchall()
    assert statuses == [("in progress", plan.id)] * 2
    with pytest.raises(InvalidInput, match="already has plan"):
        linking.plan_from_match(demo_store, need, offer, by="Officer O.")
    # One line between the two on the map: the match's, naming its plan (a plan line on top
    # of it would hide it).
    pair = {stored.partners[0].asset_id, stored.partners[1].asset_id}
    between = [link for link in linking.links(demo_store) if {link.from_asset_id, link.to_asset_id} == pair]
    assert [(link.kind, link.plan_id) for link in between] == [("match", plan.id)]
    assert between[0].label.endswith(f"(plan {plan.id})")


def test_links_are_accepted_matches_and_plan_partnerships(demo_store, ids):
    before = linking.links(demo_store)
    assert {link.kind for link in before} == {"plan"}  # the demo's two plans
    edgbaston = next(p for p in repository.list_plans(demo_store) if "Edgbaston" in p.title)
    plan = repository.get_plan(demo_store, edgbaston.id)
    lead = plan.lead
    from_lead = {link.to_asset_id for link in before if link.plan_id == plan.id}
    assert from_lead == {p.asset_id for p in plan.partners} - {lead.asset_id}
    assert all(link.from_asset_id == lead.asset_id for link in before if link.plan_id == plan.id)

    need, offer = ids["n-city-hospital-clinical-staff"], ids["o-refugee-doctors"]
    linking.decide(demo_store, need, offer, "accepted", reason="Met", by="Officer O.")
    match = next(link for link in linking.links(demo_store) if link.kind == "match")
    hospital = demo_store.con.execute(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM assets WHERE name LIKE 'City Hospital (%'").fetchone()
    assert (match.from_asset_id, match.from_point) == (hospital[0], (hospital[1], hospital[2]))
    assert match.to_asset == "Refugee Doctors Bridge (West Midlands)"


def test_untapped_assets_are_micro_unlinked_and_leave_the_list_once_linked(demo_store, ids):
    found = linking.untapped(demo_store, MatchIndex.build(demo_store))
    assert found, "the demo has community assets nobody has linked yet"
    linked = linking.linked_assets(demo_store)
    scales = dict(demo_store.con.execute("SELECT id, scale FROM assets").fetchall())
    for u in found:
        assert scales[u.asset_id] == "micro" and u.asset_id not in linked
        assert all(m.distance_m <= linking.UNTAPPED_RADIUS_M and m.score >= linking.UNTAPPED_MIN_SCORE
                   for m in u.matches)
    first = found[0]
    best = first.best
    linking.decide(demo_store, best.need.id, best.offer.id, "accepted", reason="Introduced", by="Officer O.")
    again = linking.untapped(demo_store, MatchIndex.build(demo_store))
    assert first.asset_id not in {u.asset_id for u in again}
