"""Erasing a person: the right to erasure for someone recorded as a human asset.

``erase_person`` removes them from everything that holds them (their record, precise
place and consent, their needs and offers and every match decision and tenant shortlist
that names those, their part in plans and every saved version of those plans, the ideas
they wrote and the votes on them, and every audit entry about them), in one transaction,
and leaves one line saying that an erasure happened, by whom and when, and nothing of
whom it was about. Exports made afterwards cannot hold them, since nothing does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from atlas import audit, queries, writes
from atlas.errors import InvalidInput
from atlas.store import Store, utc_now
from cedplans import document


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed, in counts only."""

    needs_offers: int
    decisions: int
    plan_versions: int
    ideas: int
    audit_entries: int


def erase_person(store: Store, asset_id: int, *, by: str, idea_authors: Sequence[str] = ()) -> Erasure:
    """Remove person ``asset_id`` everywhere, with the ideas written under their record's
    name or any of ``idea_authors`` (the names they signed workshop ideas with). Refuses
    an organisation (an asset that is not a person): remove those in the register instead."""
    by = (by or "").strip()
    if not by:
        raise InvalidInput("Say who is erasing the record: the erasure itself is recorded.")
    asset = queries.get_asset(store, asset_id)
    if not asset.person:
        raise InvalidInput(f"Asset {asset_id} is an organisation or group, not a person; only people are erased.")
    con = store.con
    with store.transaction():
        items = [r[0] for r in con.execute("SELECT id FROM needs_offers WHERE asset_id = ?", [asset_id]).fetchall()]
        ids = items or [-1]
        marks = ", ".join("?" * len(ids))
        decisions = len(con.execute(
            f"DELETE FROM match_decisions WHERE need_id IN ({marks}) OR offer_id IN ({marks}) RETURNING id",
            [*ids, *ids]).fetchall())
        con.execute(f"DELETE FROM tenant_shortlist_entries WHERE asset_id = ? OR need_id IN ({marks})",
                    [asset_id, *ids])
        # Match entries are keyed "need-offer".
        gone_audit = len(con.execute(
            f"DELETE FROM audit_log WHERE (entity = 'asset' AND entity_id = ?) OR (entity IN ('need', 'offer') "
            f"AND entity_id IN ({marks})) OR (entity = 'match' AND (split_part(entity_id, '-', 1) IN ({marks}) "
            f"OR split_part(entity_id, '-', 2) IN ({marks}))) RETURNING id",
            [str(asset_id), *[str(i) for i in ids * 3]]).fetchall())
        con.execute("DELETE FROM needs_offers WHERE asset_id = ?", [asset_id])
        con.execute("DELETE FROM plan_partners WHERE asset_id = ?", [asset_id])
        versions = _scrub_plan_versions(store, asset_id)
        ideas = _erase_ideas(store, [asset.name, *idea_authors])
        gone_audit += ideas[1]
        for table, column in (("asset_boundaries", "asset_id"), ("person_locations", "asset_id"),
                              ("consents", "asset_id")):
            con.execute(f"DELETE FROM {table} WHERE {column} = ?", [asset_id])
        writes.forget_assets(store, "SELECT CAST(? AS BIGINT)", [asset_id])
        con.execute("UPDATE features SET owner_asset_id = NULL WHERE owner_asset_id = ?", [asset_id])
        con.execute("DELETE FROM assets WHERE id = ?", [asset_id])
        con.execute("INSERT INTO erasures (erased_at, erased_by, what) VALUES (?, ?, ?)",
                    [utc_now(), by, "a person recorded as a human asset"])
        audit.record(store, entity="person", entity_id=None, action="erase", by=by,
                     summary="a person's record was erased (right to erasure)")
    store.checkpoint()  # so the erased rows leave the write-ahead log too
    return Erasure(needs_offers=len(items), decisions=decisions, plan_versions=versions, ideas=ideas[0],
                   audit_entries=gone_audit)


def _scrub_plan_versions(store: Store, asset_id: int) -> int:
    """Take the person out of every saved version of every plan that names them."""
    rows = store.con.execute("SELECT plan_id, version, document FROM plan_versions").fetchall()
    changed = 0
    for plan_id, version, text in rows:
        doc = document.loads(text)
        partners = [p for p in doc.get("partners", []) if p.get("asset_id") != asset_id]
        focus = [f for f in doc.get("macro_focus", []) if f.get("asset_id") != asset_id]
        if len(partners) == len(doc.get("partners", [])) and len(focus) == len(doc.get("macro_focus", [])):
            continue
        doc["partners"], doc["macro_focus"] = partners, focus
        store.con.execute("UPDATE plan_versions SET document = ? WHERE plan_id = ? AND version = ?",
                          [document.dumps(doc), plan_id, version])
        changed += 1
    return changed


def _erase_ideas(store: Store, names: Sequence[str]) -> tuple[int, int]:
    """Delete the ideas written under any of ``names``, their votes, moderation and audit
    entries. Returns (ideas, audit entries) removed."""
    wanted = sorted({n.strip().lower() for n in names if n and n.strip()})
    ideas = [r[0] for r in store.con.execute(
        f"SELECT id FROM plan_ideas WHERE lower(trim(author)) IN ({', '.join('?' * len(wanted))})", wanted
    ).fetchall()]
    if not ideas:
        return 0, 0
    marks = ", ".join("?" * len(ideas))
    for table, column in (("plan_idea_votes", "idea_id"), ("plan_idea_moderation", "idea_id"), ("plan_ideas", "id")):
        store.con.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ideas)
    gone = store.con.execute(f"DELETE FROM audit_log WHERE entity = 'idea' AND entity_id IN ({marks}) RETURNING id",
                             [str(i) for i in ideas]).fetchall()
    return len(ideas), len(gone)
