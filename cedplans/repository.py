"""Plans in the store: saving versions, reading them back, history, and workshop ideas.

All of the plans' SQL lives here. Every save writes a new version (who, when, what
changed) and never overwrites one. A save based on an older version than the latest is
refused with :class:`~cedplans.errors.StalePlan`; the check and the write are one
compare-and-swap on ``plans.latest_version`` inside one transaction, so two editors can
never both win. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import duckdb
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

from atlas import audit, queries
from atlas.engines import constraint_errors
from atlas.errors import InvalidInput, NotFound
from atlas.models import Asset, Site
from atlas.site_refs import SiteRef
from atlas.store import Store, utc_now
from cedplans import document, sketch, workflow
from cedplans.errors import StalePlan
from cedplans.history import VersionDiff, diff_plans
from cedplans.model import (
    IDEA_CATEGORIES,
    Idea,
    Moderation,
    Partner,
    Plan,
    PlanSummary,
    Version,
    check_plan,
)

IDEA_TEXT_MAX = 2_000
"""The longest workshop contribution, in characters: a paragraph or two, not an essay."""



def _geom(wkb: bytes | bytearray | None) -> BaseGeometry | None:
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def _author(author: str, what: str = "Say who is saving") -> str:
    author = (author or "").strip()
    if not author:
        raise InvalidInput(f"{what}: a name or role, so the history shows who made each change.")
    return author


# -- plans ------------------------------------------------------------------------------

def create_plan(store: Store, plan: Plan | str, *, author: str, summary: str = "") -> Plan:
    """Store a new plan as its version 1 and return it as stored (with its id).

    ``plan`` may be just a title. Zones are checked, repaired and measured; partners and
    macro assets must exist in the atlas.
    """
    if isinstance(plan, str):
        plan = Plan(title=plan)
    author = _author(author)
    if plan.status not in ("idea", "draft"):
        raise InvalidInput(f"A new plan starts as an idea or a draft, not {plan.status!r}; "
                           "move it on once it is stored, so its history shows each step.")
    prepared = prepare_plan(store, plan)
    plan = prepared.plan
    now = utc_now()
    with store.transaction():
        plan = _with_item_ids(store, plan)
        plan_id = store.con.execute(
            "INSERT INTO plans (title, status, latest_version, site_feature_id, site_name, created_by, "
            "created_at, updated_by, updated_at, site_geom, site_geom_m) "
            "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ST_GeomFromWKB(?), ST_GeomFromWKB(?)) RETURNING id",
            [plan.title.strip(), plan.status, plan.site_feature_id, plan.site_name, author, now, author, now,
             *_site_wkbs(store, prepared)],
        ).fetchone()[0]
        _insert_version(store, plan_id, 1, plan, author, now, summary.strip() or "Plan started", None)
        _mirror(store, plan_id, prepared)
        audit.record(store, entity="plan", entity_id=plan_id, action="add", by=author,
                     summary=f"plan started: {plan.title.strip()}",
                     after={"version": 1, "title": plan.title.strip(), "status": plan.status})
    return _as_saved(plan, plan_id, 1, author, now)


def get_plan(store: Store, plan_id: int, version: int | None = None) -> Plan:
    """The plan as its latest version (or ``version``) holds it."""
    found = store.rows(
        "SELECT v.version, v.author, v.saved_at, v.document FROM plan_versions v "
        "WHERE v.plan_id = ? AND v.version = coalesce(?, (SELECT latest_version FROM plans WHERE id = ?))",
        [plan_id, version, plan_id],
    )
    if not found:
        if version is not None and _exists(store, plan_id):
            raise NotFound(f"Plan {plan_id} has no version {version}; see its history for the versions it has.")
        raise NotFound(f"There is no plan {plan_id}. List the plans with: atlas plan list")
    row = found[0]
    plan = _decoded(plan_id, row["version"], row["author"], row["saved_at"], row["document"])
    _show_current_site_name(store, plan)
    return plan


def _decoded(plan_id: int, version: int, author: str, saved_at: datetime, text: str) -> Plan:
    """The plan a stored version's document holds, with the version's details."""
    plan = document.from_document(document.loads(text))
    plan.id, plan.version, plan.saved_by, plan.saved_at = plan_id, version, author, saved_at
    return plan


def _show_current_site_name(store: Store, plan: Plan, prepared: PreparedPlan | None = None) -> None:
    """Name a plan's atlas site as the atlas names it now (it may have been renamed since
    the version was saved). ``prepared``, a save of the same plan, saves reading the site
    again when it has just read the same one."""
    if plan.site_feature_id is None:
        return
    if prepared is not None and prepared.plan.site_feature_id == plan.site_feature_id:
        name = prepared.site_feature_name
    else:
        row = store.con.execute("SELECT name FROM features WHERE id = ?", [plan.site_feature_id]).fetchone()
        name = None if row is None else row[0]
    if name:
        plan.site_name = name


def save_plan(store: Store, plan: Plan, *, author: str, based_on_version: int | None = None,
              summary: str = "") -> Plan:
    """Save ``plan`` as a new version and return it as stored.

    ``based_on_version`` (default: the version ``plan`` was loaded from) must still be the
    latest, else :class:`StalePlan` is raised carrying the newer version and nothing is
    written. A status change must be an allowed transition. ``summary`` defaults to an
    account of what changed; a save that changes nothing is refused.
    """
    if plan.id is None:
        raise InvalidInput("This plan has not been stored yet; create it first.")
    based_on = plan.version if based_on_version is None else based_on_version
    return _save(store, plan, author=_author(author), based_on=based_on, summary=summary, restored_from=None)


def restore_version(store: Store, plan_id: int, version: int, *, author: str,
                    based_on_version: int | None = None) -> Plan:
    """Make version ``version``'s content the plan's newest version (history is kept).

    The status stays as it is now: status only moves by the allowed transitions.
    ``based_on_version`` defaults to the latest version.
    """
    author = _author(author, "Say who is restoring the plan")
    old = get_plan(store, plan_id, version)
    latest = latest_version(store, plan_id)
    if version == latest.version:
        raise InvalidInput(f"Version {version} is already the latest version of plan {plan_id}.")
    old.status = latest.status
    old.id = plan_id
    based_on = latest.version if based_on_version is None else based_on_version
    return _save(store, old, author=author, based_on=based_on, summary="", restored_from=version)


def set_status(store: Store, plan_id: int, status: str, *, author: str,
               based_on_version: int | None = None) -> Plan:
    """Move the plan to ``status`` (an allowed transition) as a new version."""
    plan = get_plan(store, plan_id)
    if based_on_version is not None:
        plan.version = based_on_version
    workflow.advance(plan, status)
    return save_plan(store, plan, author=author)


def _save(store: Store, plan: Plan, *, author: str, based_on: int, summary: str,
          restored_from: int | None) -> Plan:
    plan_id = plan.id
    assert plan_id is not None
    prepared = prepare_plan(store, plan)
    plan = prepared.plan
    with store.transaction():
        # One read for the stale check and the diff: the newest version and its document.
        current, stored_document = _latest_with_document(store, plan_id)
        if current.version != based_on:
            raise StalePlan(plan_id, based_on, current)
        stored = _decoded(plan_id, current.version, current.author, current.saved_at, stored_document)
        _show_current_site_name(store, stored, prepared)
        workflow.check_transition(stored.status, plan.status, plan)
        plan = _with_item_ids(store, plan)
        changes = diff_plans(stored, plan)
        if not changes:
            raise InvalidInput(f"Nothing has changed since version {current.version}; nothing was saved.")
        auto = changes.summary()
        if restored_from is not None:
            text = f"Restored version {restored_from} ({auto})"
        else:
            text = f"{summary.strip()} ({auto})" if summary.strip() else auto
        new_version = current.version + 1
        now = utc_now()
        swapped = store.con.execute(
            "UPDATE plans SET title = ?, status = ?, latest_version = ?, site_feature_id = ?, site_name = ?, "
            "updated_by = ?, updated_at = ?, site_geom = ST_GeomFromWKB(?), site_geom_m = ST_GeomFromWKB(?) "
            "WHERE id = ? AND latest_version = ? RETURNING id",
            [plan.title.strip(), plan.status, new_version, plan.site_feature_id, plan.site_name, author, now,
             *_site_wkbs(store, prepared), plan_id, current.version],
        ).fetchall()
        if not swapped:  # another writer got in between our read and our write
            raise StalePlan(plan_id, based_on, _latest_row(store, plan_id))
        try:
            _insert_version(store, plan_id, new_version, plan, author, now, text, restored_from)
        except duckdb.ConstraintException as exc:
            raise StalePlan(plan_id, based_on, _latest_row(store, plan_id)) from exc
        _mirror(store, plan_id, prepared)
        audit.record(store, entity="plan", entity_id=plan_id, action="restore" if restored_from else "save",
                     summary=f"version {new_version} saved: {text}", by=author,
                     before={"version": current.version, "title": stored.title, "status": stored.status},
                     after={"version": new_version, "title": plan.title.strip(), "status": plan.status})
    return _as_saved(plan, plan_id, new_version, author, now)


def _as_saved(plan: Plan, plan_id: int, version: int, author: str, now: datetime) -> Plan:
    """The prepared plan as the store now holds it (the same as reading it back)."""
    plan.id, plan.version, plan.saved_by, plan.saved_at = plan_id, version, author, now
    return plan


@dataclass(frozen=True)
class PreparedPlan:
    """A plan checked against the atlas and measured, carrying everything its write needs,
    so a save reads the site, the assets and the store's settings once and reprojects
    nothing twice. Made by :func:`prepare_plan`."""

    plan: Plan
    """A checked copy: title trimmed, names filled in from the atlas, zones repaired and measured."""
    site: Site | None
    """The resolved site: an atlas site with its stored shapes, or the sketched area with
    its shape in the metric CRS; None for a plan without a site."""
    zones_m: list[BaseGeometry]
    """Each zone's shape in the metric CRS, in the order of ``plan.zones``."""
    metric_epsg: int | None
    """The store's metric CRS as the plan was measured; None for an empty atlas."""
    site_feature_name: str | None = None
    """The atlas site's own name (None where it has none), as it was read."""


def prepare_plan(store: Store, plan: Plan) -> PreparedPlan:
    """Check ``plan``'s words, its references against the atlas and every shape (repaired
    and measured in the store's metric CRS), and resolve its site: everything a save
    writes, worked out in one pass. ``plan`` itself is left as it is."""
    check_plan(plan)
    plan = replace(plan, title=plan.title.strip())
    epsg = store.settings.metric_epsg
    site: Site | None = None
    feature_name: str | None = None
    if plan.site_feature_id is not None:
        found = store.rows(
            "SELECT name, ST_AsWKB(geom) AS geom, ST_AsWKB(geom_m) AS geom_m FROM features WHERE id = ?",
            [plan.site_feature_id], wkb=("geom", "geom_m"),
        )
        if not found:
            raise InvalidInput(f"The plan's site (atlas site {plan.site_feature_id}) is not in the atlas; "
                               "choose another.")
        feature_name = found[0]["name"]
        plan.site_name = feature_name or plan.site_name or f"site {plan.site_feature_id}"
        site = Site(name=plan.site_name, geom=found[0]["geom"], geom_m=found[0]["geom_m"], kind="feature",
                    id=plan.site_feature_id)
    elif plan.site_geom is not None:
        drawn = sketch.check_geometry(store, plan.site_geom, what="The plan's site", frame=sketch.Frame(store, epsg))
        plan.site_geom = drawn.geom
        site = Site(name=plan.site_name or plan.title, geom=drawn.geom, geom_m=drawn.geom_m, kind="geometry")
    names = _asset_names(store, {p.asset_id for p in plan.partners} | {f.asset_id for f in plan.macro_focus})
    for i, p in enumerate(plan.partners, 1):
        if p.asset_id not in names:
            raise InvalidInput(f"Partner {i} ({p.asset_name or 'asset'} {p.asset_id}) is not in the atlas; "
                               "choose an asset the atlas holds.")
    for i, f in enumerate(plan.macro_focus, 1):
        if f.asset_id not in names:
            raise InvalidInput(f"Macro asset {i} ({f.asset_name or 'asset'} {f.asset_id}) is not in the atlas.")
    plan.partners = [replace(p, asset_name=names[p.asset_id]) for p in plan.partners]
    plan.macro_focus = [replace(f, asset_name=names[f.asset_id]) for f in plan.macro_focus]
    # Zones must lie near the site; its metric shape is at hand, so it is not reprojected
    # (in an empty atlas the zones choose their CRS, and the site is reprojected into it).
    frame = sketch.Frame(store, epsg, near=None if site is None else site.geom,
                         near_m=None if site is None or epsg is None else site.geom_m)
    sketches = sketch.check_geometries(store, [z.geom for z in plan.zones],
                                       [f"Zone {i} ({z.label})" for i, z in enumerate(plan.zones, 1)], frame=frame)
    plan.zones = [replace(z, geom=s.geom, area_m2=s.area_m2 if s.kind == "area" else None,
                          length_m=s.length_m if s.kind != "point" else None)
                  for z, s in zip(plan.zones, sketches, strict=True)]
    plan.objectives = [o.strip() for o in plan.objectives if o and o.strip()]
    plan.indicators = list(plan.indicators)
    return PreparedPlan(plan=plan, site=site, zones_m=[s.geom_m for s in sketches], metric_epsg=epsg,
                        site_feature_name=feature_name)


def _with_item_ids(store: Store, plan: Plan) -> Plan:
    """Give new zones and actions the ids that keep them recognisable across versions."""
    def new_id() -> int:
        return store.con.execute("SELECT nextval('plan_item_id_seq')").fetchone()[0]

    plan.zones = [z if z.id is not None else replace(z, id=new_id()) for z in plan.zones]
    plan.actions = [a if a.id is not None else replace(a, id=new_id()) for a in plan.actions]
    return plan


def _site_wkbs(store: Store, prepared: PreparedPlan) -> list[bytes | None]:
    site = prepared.site
    if site is None:
        return [None, None]
    _require_metric_crs(store, prepared)
    return [shapely.to_wkb(site.geom), shapely.to_wkb(site.geom_m)]


def _require_metric_crs(store: Store, prepared: PreparedPlan) -> int:
    """The CRS the plan's metric shapes are kept in. An empty atlas has none yet: then the
    store raises its own NotFound, which says how to fill it (at the write, as it always has)."""
    return prepared.metric_epsg if prepared.metric_epsg is not None else store.metric_epsg


def _insert_version(store: Store, plan_id: int, version: int, plan: Plan, author: str, now: datetime,
                    summary: str, restored_from: int | None) -> None:
    store.con.execute(
        "INSERT INTO plan_versions (plan_id, version, author, saved_at, summary, title, status, restored_from, "
        "document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [plan_id, version, author, now, summary, plan.title, plan.status, restored_from,
         document.dumps(document.to_document(plan))],
    )


def _mirror(store: Store, plan_id: int, prepared: PreparedPlan) -> None:
    """Keep the latest version's zones and partners queryable as rows."""
    con = store.con
    plan = prepared.plan
    con.execute("DELETE FROM plan_zones WHERE plan_id = ?", [plan_id])
    con.execute("DELETE FROM plan_partners WHERE plan_id = ?", [plan_id])
    if plan.zones:
        _require_metric_crs(store, prepared)
        geoms = [z.geom for z in plan.zones]
        # One statement for all zones: row-by-row inserts cost a millisecond each.
        zones = pa.table({
            "zone_id": pa.array([z.id for z in plan.zones], pa.int64()),
            "name": pa.array([z.name for z in plan.zones], pa.string()),
            "use": pa.array([z.use for z in plan.zones], pa.string()),
            "description": pa.array([z.description for z in plan.zones], pa.string()),
            "area_m2": pa.array([z.area_m2 for z in plan.zones], pa.float64()),
            "length_m": pa.array([z.length_m for z in plan.zones], pa.float64()),
            "wkb": pa.array(shapely.to_wkb(geoms).tolist(), pa.binary()),
            "wkb_m": pa.array(shapely.to_wkb(prepared.zones_m).tolist(), pa.binary()),
        })
        con.register("_plan_zones", zones)
        try:
            con.execute(
                "INSERT INTO plan_zones SELECT ?, zone_id, name, use, description, area_m2, length_m, "
                "ST_GeomFromWKB(wkb), ST_GeomFromWKB(wkb_m) FROM _plan_zones",
                [plan_id],
            )
        finally:
            con.unregister("_plan_zones")
    if plan.partners:
        con.execute(
            # Typed lists: PostgreSQL cannot choose an unnest for an untyped parameter.
            "INSERT INTO plan_partners (plan_id, asset_id, role, ordinal) "
            "SELECT ?, unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[])",
            [plan_id, [p.asset_id for p in plan.partners], [p.role for p in plan.partners],
             list(range(len(plan.partners)))],
        )


def _exists(store: Store, plan_id: int) -> bool:
    return store.con.execute("SELECT EXISTS (SELECT 1 FROM plans WHERE id = ?)", [plan_id]).fetchone()[0]


def _asset_names(store: Store, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = store.con.execute("SELECT id, name FROM assets WHERE list_contains(?, id)", [sorted(ids)]).fetchall()
    return dict(rows)


def site_geometry(store: Store, plan: Plan) -> BaseGeometry | None:
    """The plan's site in WGS84: its atlas site's shape, or the sketched area, or None."""
    if plan.site_feature_id is not None:
        row = store.con.execute("SELECT ST_AsWKB(geom) FROM features WHERE id = ?", [plan.site_feature_id]).fetchone()
        return None if row is None else _geom(row[0])
    return plan.site_geom


def plan_site(store: Store, plan: Plan) -> Site | None:
    """The plan's site as an atlas :class:`~atlas.models.Site`, for nearby searches."""
    if plan.site_feature_id is not None:
        return queries.resolve_site(store, SiteRef("feature", plan.site_feature_id))
    if plan.site_geom is not None:
        return queries.site_from_geometry(store, plan.site_geom, name=plan.site_name or plan.title)
    return None


def plan_extent(store: Store, plan: Plan) -> BaseGeometry | None:
    """Site and zones together (WGS84): what a plan's map is centred on."""
    parts = [g for g in [site_geometry(store, plan), *(z.geom for z in plan.zones)] if g is not None]
    return shapely.unary_union(parts) if parts else None


def partner_assets(store: Store, plan: Plan) -> list[tuple[Partner, Asset | None]]:
    """Each partner with its asset from the atlas, or None where the asset has left it
    since (the plan still names it)."""
    out: list[tuple[Partner, Asset | None]] = []
    for p in plan.partners:
        try:
            out.append((p, queries.get_asset(store, p.asset_id)))
        except NotFound:
            out.append((p, None))
    return out


def find_asset_id(store: Store, name: str) -> int:
    """The id of the asset called ``name`` (case and accents ignored)."""
    found = queries.id_by_name(store, "assets", name.strip())
    if found is None:
        hits = [h.name for h in queries.search(store, name, limit=5) if h.kind == "asset"] if name.strip() else []
        hint = f" Did you mean: {'; '.join(hits)}?" if hits else ""
        raise NotFound(f"No asset is called {name!r}.{hint}")
    return found


def find_feature_id(store: Store, name: str) -> int:
    """The id of the atlas site (feature) called ``name`` (case and accents ignored)."""
    found = queries.id_by_name(store, "features", name.strip())
    if found is None:
        raise NotFound(f"No site is called {name!r}. Find sites with: atlas search WORD")
    return found


def list_plans(store: Store) -> list[PlanSummary]:
    """Every plan, most recently saved first."""
    return store.records(
        PlanSummary,
        "SELECT p.id, p.title, p.status, p.latest_version AS version, coalesce(p.site_name, '') AS site_name, "
        "(SELECT count(DISTINCT asset_id) FROM plan_partners pp WHERE pp.plan_id = p.id) AS partners, "
        "(SELECT count(*) FROM plan_zones z WHERE z.plan_id = p.id) AS zones, "
        "(SELECT count(*) FROM plan_ideas i WHERE i.plan_id = p.id AND NOT i.hidden) AS ideas, "
        "p.updated_by, p.updated_at FROM plans p ORDER BY p.updated_at DESC, p.id DESC",
    )


def plans_for_asset(store: Store, asset_id: int) -> list[tuple[PlanSummary, str]]:
    """The plans an asset is a partner in, with its role in each."""
    roles = store.con.execute(
        "SELECT plan_id, string_agg(role, ', ' ORDER BY role) FROM plan_partners WHERE asset_id = ? GROUP BY plan_id",
        [asset_id],
    ).fetchall()
    by_id = dict(roles)
    return [(p, by_id[p.id]) for p in list_plans(store) if p.id in by_id]


# -- history ----------------------------------------------------------------------------

_VERSION_COLUMNS = "plan_id, version, author, saved_at, summary, title, status, restored_from"
_LATEST_VERSION = "FROM plan_versions WHERE plan_id = ? AND version = (SELECT latest_version FROM plans WHERE id = ?)"


def list_versions(store: Store, plan_id: int) -> list[Version]:
    """Every saved version of the plan, newest first."""
    versions = store.records(
        Version, f"SELECT {_VERSION_COLUMNS} FROM plan_versions WHERE plan_id = ? ORDER BY version DESC", [plan_id]
    )
    if not versions:
        raise NotFound(f"There is no plan {plan_id}. List the plans with: atlas plan list")
    return versions


def latest_version(store: Store, plan_id: int) -> Version:
    """The plan's newest saved version."""
    if not _exists(store, plan_id):
        raise NotFound(f"There is no plan {plan_id}. List the plans with: atlas plan list")
    return _latest_row(store, plan_id)


def _latest_row(store: Store, plan_id: int) -> Version:
    found = store.records(Version, f"SELECT {_VERSION_COLUMNS} {_LATEST_VERSION}", [plan_id, plan_id])
    if not found:
        raise NotFound(f"There is no plan {plan_id}. List the plans with: atlas plan list")
    return found[0]


def _latest_with_document(store: Store, plan_id: int) -> tuple[Version, str]:
    """The plan's newest version and the text of its document, in one read."""
    found = store.rows(f"SELECT {_VERSION_COLUMNS}, document {_LATEST_VERSION}", [plan_id, plan_id])
    if not found:
        raise NotFound(f"There is no plan {plan_id}. List the plans with: atlas plan list")
    row = found[0]
    text = row.pop("document")
    return Version(**row), text


def diff_versions(store: Store, plan_id: int, from_version: int, to_version: int | None = None) -> VersionDiff:
    """What changed from one version to another (default: to the latest)."""
    old = get_plan(store, plan_id, from_version)
    new = get_plan(store, plan_id, to_version)
    return diff_plans(old, new, plan_id, old.version, new.version)


# -- workshop ideas ---------------------------------------------------------------------

# Columns named as Idea's fields, so rows become records by name.
_IDEA_SQL = """
SELECT i.id, i.plan_id, i.text, i.category, i.author, i.created_at,
       (SELECT count(*) FROM plan_idea_votes v WHERE v.idea_id = i.id) AS votes,
       ST_AsWKB(i.geom) AS point, i.zone_id, i.hidden, i.hidden_reason, i.hidden_by, i.hidden_at,
       i.paper_square
FROM plan_ideas i
"""


def add_idea(store: Store, plan_id: int, text: str, *, category: str = "idea", author: str | None = None,
             point: shapely.Point | dict | None = None, zone_id: int | None = None,
             paper_square: str | None = None, typed_by: str | None = None) -> Idea:
    """Record a workshop contribution pinned to a point (WGS84, or the map's GeoJSON) or
    to one of the plan's zones. ``author`` None or blank means anonymous.

    An idea written on a paper card of the workshop pack carries the card's grid square
    in ``paper_square`` (``point`` is then the square's centre, see
    :mod:`cedplans.workshop_pack`) and ``typed_by``, the officer who typed it in, for the
    audit trail."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write the idea or comment before adding it.")
    if len(text) > IDEA_TEXT_MAX:
        raise InvalidInput(f"The idea is {len(text):,} characters long; keep it under {IDEA_TEXT_MAX:,}.")
    if category not in IDEA_CATEGORIES:
        raise InvalidInput(f"Category {category!r} is not one of: {', '.join(IDEA_CATEGORIES)}.")
    if (point is None) == (zone_id is None):
        raise InvalidInput("Pin the idea to one place: either a point on the map or one of the plan's zones.")
    plan = get_plan(store, plan_id)
    wkbs: list[bytes | None] = [None, None]
    if zone_id is not None:
        if plan.zone(zone_id) is None:
            raise InvalidInput(f"Plan {plan_id} has no zone {zone_id}; pick one of its zones or a point.")
    else:
        near = plan_extent(store, plan)
        if isinstance(point, BaseGeometry):
            s = sketch.check_geometry(store, point, near=near, what="The idea's place")
        else:
            s = sketch.parse_drawing(store, point, near=near)
        if s.kind != "point" or s.geom.geom_type != "Point":
            raise InvalidInput("Pin an idea to a single point (a marker), not a line or an area.")
        wkbs = [shapely.to_wkb(s.geom), shapely.to_wkb(s.geom_m)]
    author = (author or "").strip() or None
    typed_by = (typed_by or "").strip() or None
    with store.transaction():
        new_id = store.con.execute(
            "INSERT INTO plan_ideas (plan_id, zone_id, text, category, author, created_at, geom, geom_m, "
            "paper_square) VALUES (?, ?, ?, ?, ?, ?, ST_GeomFromWKB(?), ST_GeomFromWKB(?), ?) RETURNING id",
            [plan_id, zone_id, text, category, author, utc_now(), *wkbs, paper_square],
        ).fetchone()[0]
        from_paper = f" from a paper card (square {paper_square})" if paper_square else ""
        audit.record(store, entity="idea", entity_id=new_id, action="add", by=typed_by or author or "anonymous",
                     summary=f"{category}{from_paper} added to plan {plan_id}",
                     after={"plan_id": plan_id, "zone_id": zone_id, "text": text, "category": category,
                            "author": author, **({"paper_square": paper_square} if paper_square else {})})
    return get_idea(store, new_id)


def get_idea(store: Store, idea_id: int) -> Idea:
    """One idea with its vote count, hidden or not."""
    found = store.records(Idea, _IDEA_SQL + " WHERE i.id = ?", [idea_id], wkb=("point",))
    if not found:
        raise NotFound(f"There is no idea {idea_id}.")
    return found[0]


def list_ideas(store: Store, plan_id: int, *, include_hidden: bool = False) -> list[Idea]:
    """The plan's ideas, most votes first (then oldest first); hidden ones only if asked."""
    return store.records(
        Idea, _IDEA_SQL + " WHERE i.plan_id = ? AND (? OR NOT i.hidden) ORDER BY votes DESC, i.created_at, i.id",
        [plan_id, include_hidden], wkb=("point",),
    )


def vote(store: Store, idea_id: int, voter: str | None = None) -> int:
    """Add one vote to an idea and return its total. A named voter (a person's name, or
    the ``device:`` token the workshop page gives each browser) may vote once per idea;
    anonymous votes are counted as they come (a facilitator tallying paper dots)."""
    idea = get_idea(store, idea_id)
    if idea.hidden:
        raise InvalidInput("This idea has been hidden by a moderator and cannot be voted for.")
    voter = (voter or "").strip() or None
    who = "You have" if voter is not None and voter.startswith("device:") else f"{voter} has"
    # Checked first so a repeat vote inside a larger transaction does not abort it.
    if voter is not None and store.con.execute(
        "SELECT EXISTS (SELECT 1 FROM plan_idea_votes WHERE idea_id = ? AND voter = ?)", [idea_id, voter]
    ).fetchone()[0]:
        raise InvalidInput(f"{who} already voted for this idea.")
    try:
        store.con.execute("INSERT INTO plan_idea_votes VALUES (?, ?, ?)", [idea_id, voter, utc_now()])
    except constraint_errors() as exc:  # the same vote from another connection got in since the check
        raise InvalidInput(f"{who} already voted for this idea.") from exc
    return get_idea(store, idea_id).votes


def voted_ideas(store: Store, plan_id: int, voter: str) -> set[int]:
    """The ideas of a plan that ``voter`` has voted for."""
    rows = store.con.execute(
        "SELECT v.idea_id FROM plan_idea_votes v JOIN plan_ideas i ON i.id = v.idea_id "
        "WHERE i.plan_id = ? AND v.voter = ?",
        [plan_id, voter],
    ).fetchall()
    return {r[0] for r in rows}


def hide_idea(store: Store, idea_id: int, *, reason: str, moderator: str) -> Idea:
    """Hide an idea from the plan's public views and reports. Nothing is deleted: the
    idea, and who hid it, when and why, stay in the store."""
    return _moderate(store, idea_id, hide=True, reason=reason, moderator=moderator)


def show_idea(store: Store, idea_id: int, *, reason: str, moderator: str) -> Idea:
    """Undo a hide, recording who and why."""
    return _moderate(store, idea_id, hide=False, reason=reason, moderator=moderator)


def _moderate(store: Store, idea_id: int, *, hide: bool, reason: str, moderator: str) -> Idea:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give a reason: it is recorded with the moderation so it can be checked later.")
    moderator = _author(moderator, "Say who is moderating")
    idea = get_idea(store, idea_id)
    if idea.hidden == hide:
        raise InvalidInput(f"Idea {idea_id} is already {'hidden' if hide else 'shown'}.")
    now = utc_now()
    with store.transaction():
        store.con.execute(
            "UPDATE plan_ideas SET hidden = ?, hidden_reason = ?, hidden_by = ?, hidden_at = ? WHERE id = ?",
            [hide, reason if hide else None, moderator if hide else None, now if hide else None, idea_id],
        )
        store.con.execute(
            "INSERT INTO plan_idea_moderation VALUES (?, ?, ?, ?, ?)",
            [idea_id, "hidden" if hide else "shown", reason, moderator, now],
        )
        audit.record(store, entity="idea", entity_id=idea_id, action="hide" if hide else "show", by=moderator,
                     summary=f"{'hidden' if hide else 'shown again'}: {reason}",
                     before={"hidden": idea.hidden}, after={"hidden": hide, "reason": reason})
    return get_idea(store, idea_id)


def moderation_log(store: Store, idea_id: int) -> list[Moderation]:
    """Every hide and show of an idea, oldest first."""
    return store.records(
        Moderation,
        "SELECT idea_id, action, reason, moderator, moderated_at FROM plan_idea_moderation "
        "WHERE idea_id = ? ORDER BY moderated_at, rowid",
        [idea_id],
    )


def idea_location(plan: Plan, idea: Idea) -> BaseGeometry | None:
    """Where to draw an idea (WGS84): its point, or a point inside its zone."""
    if idea.point is not None:
        return idea.point
    zone = plan.zone(idea.zone_id)
    return None if zone is None else zone.geom.representative_point()
