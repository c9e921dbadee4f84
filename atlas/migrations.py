"""The store's schema, as an ordered list of migrations.

Migration *n* (1-based) takes a store from schema version n-1 to n. Never edit a migration
that has shipped: add a new one. Every geometry is kept twice: ``geom`` in WGS84
(longitude, latitude) for display and ``geom_m`` in the store's metric CRS for every
distance and area, each with an R-tree index. A migration is SQL, or a function given the
connection where it needs more than SQL.
"""

from collections.abc import Callable

import duckdb
import shapely

from atlas import spatial_order
from atlas.generalise import generalise

_V1_CORE = """
CREATE TABLE atlas_meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE SEQUENCE feature_id_seq START 1;
CREATE SEQUENCE asset_id_seq START 1;
CREATE SEQUENCE boundary_id_seq START 1;

CREATE TABLE features (
    id BIGINT PRIMARY KEY DEFAULT nextval('feature_id_seq'),
    name VARCHAR,
    kind VARCHAR NOT NULL CHECK (kind IN ('land', 'building', 'green_space', 'water', 'other')),
    land_use VARCHAR,
    status VARCHAR NOT NULL DEFAULT 'unknown'
        CHECK (status IN ('in_use', 'vacant', 'disused', 'underused', 'unknown')),
    owner_asset_id BIGINT,
    area_m2 DOUBLE,
    description VARCHAR,
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    licence VARCHAR,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    geom GEOMETRY NOT NULL,
    geom_m GEOMETRY NOT NULL,
    UNIQUE (source, source_id)
);

CREATE TABLE assets (
    id BIGINT PRIMARY KEY DEFAULT nextval('asset_id_seq'),
    name VARCHAR NOT NULL,
    scale VARCHAR NOT NULL CHECK (scale IN ('macro', 'micro')),
    scale_reason VARCHAR NOT NULL,
    sector VARCHAR CHECK (sector IN ('public', 'private', 'social', 'community')),
    category VARCHAR,
    asset_type VARCHAR CHECK (asset_type IN ('physical', 'financial', 'community', 'human')),
    employees BIGINT,
    annual_spend DOUBLE,
    land_ha DOUBLE,
    offers VARCHAR[] NOT NULL DEFAULT [],
    needs VARCHAR[] NOT NULL DEFAULT [],
    offers_text VARCHAR,
    needs_text VARCHAR,
    description VARCHAR,
    contact VARCHAR,
    feature_id BIGINT,
    verified_by VARCHAR,
    verified_on DATE,
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    licence VARCHAR,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    geom GEOMETRY NOT NULL,
    geom_m GEOMETRY NOT NULL,
    UNIQUE (source, source_id)
);

CREATE TABLE boundaries (
    id BIGINT PRIMARY KEY DEFAULT nextval('boundary_id_seq'),
    name VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    code VARCHAR,
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    licence VARCHAR,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    geom GEOMETRY NOT NULL,
    geom_m GEOMETRY NOT NULL,
    UNIQUE (source, source_id)
);
"""

# Version 2: which boundaries each asset and feature lies in, decided by a point on its
# surface so a shape straddling a border is counted in exactly one area per level.
_V2_MEMBERSHIP = """
CREATE TABLE asset_boundaries (asset_id BIGINT NOT NULL, boundary_id BIGINT NOT NULL,
                               PRIMARY KEY (asset_id, boundary_id));
CREATE TABLE feature_boundaries (feature_id BIGINT NOT NULL, boundary_id BIGINT NOT NULL,
                                 PRIMARY KEY (feature_id, boundary_id));
"""

# CED plans (cedplans). Each save of a plan is a row of plan_versions holding the whole
# plan as a JSON document, so any version can be shown, compared or restored. plans holds
# the latest version's headline fields and is the compare-and-swap point that refuses a
# stale save; plan_zones and plan_partners mirror the latest version for maps and
# queries. Ideas are not versioned: they are hidden with a reason, never deleted.
_PLANS = """
CREATE SEQUENCE plan_id_seq START 1;
CREATE SEQUENCE plan_item_id_seq START 1;
CREATE SEQUENCE plan_idea_id_seq START 1;

CREATE TABLE plans (
    id BIGINT PRIMARY KEY DEFAULT nextval('plan_id_seq'),
    title VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN
        ('idea', 'draft', 'consulted', 'agreed', 'in delivery', 'done', 'dropped')),
    latest_version INTEGER NOT NULL,
    site_feature_id BIGINT,
    site_name VARCHAR,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    site_geom GEOMETRY,
    site_geom_m GEOMETRY
);

CREATE TABLE plan_versions (
    plan_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    author VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    summary VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    restored_from INTEGER,
    document VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE plan_zones (
    plan_id BIGINT NOT NULL,
    zone_id BIGINT NOT NULL,
    name VARCHAR,
    use VARCHAR NOT NULL,
    description VARCHAR,
    area_m2 DOUBLE,
    length_m DOUBLE,
    geom GEOMETRY NOT NULL,
    geom_m GEOMETRY NOT NULL
);

CREATE TABLE plan_partners (
    plan_id BIGINT NOT NULL,
    asset_id BIGINT NOT NULL,
    role VARCHAR NOT NULL
);

CREATE TABLE plan_ideas (
    id BIGINT PRIMARY KEY DEFAULT nextval('plan_idea_id_seq'),
    plan_id BIGINT NOT NULL,
    zone_id BIGINT,
    text VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    author VARCHAR,
    created_at TIMESTAMP NOT NULL,
    hidden BOOLEAN NOT NULL DEFAULT false,
    hidden_reason VARCHAR,
    hidden_by VARCHAR,
    hidden_at TIMESTAMP,
    geom GEOMETRY,
    geom_m GEOMETRY
);

CREATE TABLE plan_idea_votes (
    idea_id BIGINT NOT NULL,
    voter VARCHAR,
    voted_at TIMESTAMP NOT NULL,
    UNIQUE (idea_id, voter)
);

CREATE TABLE plan_idea_moderation (
    idea_id BIGINT NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('hidden', 'shown')),
    reason VARCHAR NOT NULL,
    moderator VARCHAR NOT NULL,
    moderated_at TIMESTAMP NOT NULL
);
"""

# Postcode lookup (atlas.importers): filled once from the ONS Postcode Directory or OS
# Code-Point Open with `atlas import-postcodes`, then used to place table rows that carry
# a postcode but no coordinates. Postcodes are kept upper-case without spaces ("B11AY").
_POSTCODES = """
CREATE TABLE postcodes (
    postcode VARCHAR PRIMARY KEY,
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL,
    source VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
"""

# Linking macro and micro assets (issue 9). A need or an offer belongs to one asset and
# has the same shape on both sides; ``side`` says which. Kinds are checked against the
# shared vocabulary (atlas/vocabulary.toml) before a write and by the constraint here.
# Match decisions are kept, never overwritten: an officer's latest word on a pair is its
# current state, and a rejected pair is not suggested again. Site records and notes are
# what officers fill in for a land negotiation; notes are confidential
# (atlas/confidential.py). Tenant shortlists are what a developer saved.
_LINKING = """
CREATE SEQUENCE need_offer_id_seq START 1;
CREATE SEQUENCE match_decision_id_seq START 1;
CREATE SEQUENCE site_note_id_seq START 1;
CREATE SEQUENCE tenant_shortlist_id_seq START 1;

CREATE TABLE needs_offers (
    id BIGINT PRIMARY KEY DEFAULT nextval('need_offer_id_seq'),
    side VARCHAR NOT NULL CHECK (side IN ('need', 'offer')),
    asset_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    description VARCHAR,
    tags VARCHAR[] NOT NULL DEFAULT [],
    quantity DOUBLE CHECK (quantity > 0),
    unit VARCHAR,
    annual_value DOUBLE CHECK (annual_value >= 0),
    area_m2 DOUBLE CHECK (area_m2 > 0),
    feature_id BIGINT,
    status VARCHAR NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in progress', 'met', 'closed')),
    plan_id BIGINT,
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    updated_by VARCHAR,
    updated_at TIMESTAMP,
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    UNIQUE (source, side, source_id),
    CHECK ((side = 'need' AND kind IN ('workforce', 'supply', 'space', 'land', 'funding', 'volunteers', 'other'))
        OR (side = 'offer' AND kind IN ('skills', 'people', 'services', 'products', 'space', 'land',
                                        'volunteers', 'reach', 'funding', 'other')))
);

CREATE TABLE vocabulary_terms (
    category VARCHAR PRIMARY KEY,
    label VARCHAR,
    synonyms VARCHAR[] NOT NULL DEFAULT [],
    related VARCHAR[] NOT NULL DEFAULT [],
    added_by VARCHAR NOT NULL,
    added_at TIMESTAMP NOT NULL
);

CREATE TABLE match_decisions (
    id BIGINT PRIMARY KEY DEFAULT nextval('match_decision_id_seq'),
    need_id BIGINT NOT NULL,
    offer_id BIGINT NOT NULL,
    decision VARCHAR NOT NULL CHECK (decision IN ('accepted', 'rejected', 'reopened')),
    reason VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    score DOUBLE,
    plan_id BIGINT
);

CREATE TABLE site_records (
    feature_id BIGINT PRIMARY KEY,
    acv_status VARCHAR NOT NULL DEFAULT 'not nominated'
        CHECK (acv_status IN ('not nominated', 'nominated', 'listed', 'not listed', 'removed')),
    nominated_by VARCHAR,
    nominated_on DATE,
    listed_on DATE,
    listing_ends_on DATE,
    moratorium_starts_on DATE,
    moratorium_ends_on DATE,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE site_notes (
    id BIGINT PRIMARY KEY DEFAULT nextval('site_note_id_seq'),
    feature_id BIGINT NOT NULL,
    note VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tenant_shortlists (
    id BIGINT PRIMARY KEY DEFAULT nextval('tenant_shortlist_id_seq'),
    name VARCHAR NOT NULL,
    space VARCHAR NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tenant_shortlist_entries (
    shortlist_id BIGINT NOT NULL,
    need_id BIGINT NOT NULL,
    asset_id BIGINT NOT NULL,
    score DOUBLE NOT NULL,
    components VARCHAR NOT NULL,
    distance_m DOUBLE,
    fits BOOLEAN NOT NULL,
    why VARCHAR NOT NULL,
    gaps VARCHAR[] NOT NULL DEFAULT [],
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL,
    PRIMARY KEY (shortlist_id, need_id)
);
"""

# Trust (issue 10): accounts and their roles, workshop join codes, the audit trail, and
# personal data. A person recorded as a human asset is stored at a neighbourhood-level
# point in ``assets`` (what every map, listing and export reads); the precise point is
# kept apart in ``person_locations`` for officers, with the consent that allows keeping
# it in ``consents``. An erasure leaves one row in ``erasures`` that says it happened and
# nothing of whom it was about. The audit trail is append-only: who, when, what, and the
# record before and after as JSON.
_TRUST = """
CREATE SEQUENCE user_id_seq START 1;
CREATE SEQUENCE audit_id_seq START 1;
CREATE SEQUENCE erasure_id_seq START 1;

CREATE TABLE users (
    id BIGINT PRIMARY KEY DEFAULT nextval('user_id_seq'),
    username VARCHAR NOT NULL UNIQUE,
    display_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('resident', 'researcher', 'officer', 'developer', 'admin')),
    password_hash VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);

CREATE TABLE sign_in_sessions (
    token_hash VARCHAR PRIMARY KEY,
    username VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE workshop_codes (
    code VARCHAR PRIMARY KEY,
    plan_id BIGINT NOT NULL,
    opened_by VARCHAR NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);

CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    changed_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    role VARCHAR,
    entity VARCHAR NOT NULL,
    entity_id VARCHAR,
    action VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    before_fields VARCHAR,
    after_fields VARCHAR
);

ALTER TABLE assets ADD COLUMN person BOOLEAN DEFAULT false;
UPDATE assets SET person = (asset_type = 'human' AND sector = 'community' AND category = 'skills');

CREATE TABLE person_locations (
    asset_id BIGINT PRIMARY KEY,
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL
);
INSERT INTO person_locations SELECT id, ST_X(geom), ST_Y(geom) FROM assets WHERE person;

CREATE TABLE consents (
    asset_id BIGINT PRIMARY KEY,
    given_by VARCHAR NOT NULL,
    given_on DATE NOT NULL,
    purpose VARCHAR NOT NULL,
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);

CREATE TABLE erasures (
    id BIGINT PRIMARY KEY DEFAULT nextval('erasure_id_seq'),
    erased_at TIMESTAMP NOT NULL,
    erased_by VARCHAR NOT NULL,
    what VARCHAR NOT NULL
);
"""

def _trust(con: duckdb.DuckDBPyConnection) -> None:
    """Version 6, and people already stored moved to their neighbourhood's point."""
    con.execute(_TRUST)
    epsg = con.execute("SELECT value FROM atlas_meta WHERE key = 'metric_epsg'").fetchone()
    rows = con.execute("SELECT id, ST_AsWKB(geom_m) FROM assets WHERE person").fetchall()
    if not rows or epsg is None:
        return
    lonlat, metric = generalise(shapely.from_wkb([r[1] for r in rows]), int(epsg[0]))
    con.executemany(
        "UPDATE assets SET geom = ST_GeomFromWKB(?), geom_m = ST_GeomFromWKB(?) WHERE id = ?",
        [[shapely.to_wkb(a), shapely.to_wkb(b), r[0]] for a, b, r in zip(lonlat, metric, rows, strict=True)],
    )


# Version 7 (issue 11): each feature's and asset's bounding box in the metric CRS, kept
# beside geom_m on every write (atlas/bbox.py). On DuckDB, nearby() filters on these
# plain columns, whose per-segment minimum and maximum let a scan skip most of a
# Hilbert-ordered table (atlas/spatial_order.py), and measures exact distances only on
# what is left; DuckDB spatial 1.5.5's R-tree fetched rows one at a time and lost to it.
_BBOX = """
ALTER TABLE features ADD COLUMN bbox_xmin DOUBLE;
ALTER TABLE features ADD COLUMN bbox_ymin DOUBLE;
ALTER TABLE features ADD COLUMN bbox_xmax DOUBLE;
ALTER TABLE features ADD COLUMN bbox_ymax DOUBLE;
UPDATE features SET bbox_xmin = ST_XMin(geom_m), bbox_ymin = ST_YMin(geom_m),
    bbox_xmax = ST_XMax(geom_m), bbox_ymax = ST_YMax(geom_m);
ALTER TABLE assets ADD COLUMN bbox_xmin DOUBLE;
ALTER TABLE assets ADD COLUMN bbox_ymin DOUBLE;
ALTER TABLE assets ADD COLUMN bbox_xmax DOUBLE;
ALTER TABLE assets ADD COLUMN bbox_ymax DOUBLE;
UPDATE assets SET bbox_xmin = ST_XMin(geom_m), bbox_ymin = ST_YMin(geom_m),
    bbox_xmax = ST_XMax(geom_m), bbox_ymax = ST_YMax(geom_m);
"""


def _bbox(con: duckdb.DuckDBPyConnection) -> None:
    """Version 7. On DuckDB the tables are rewritten with the new columns, in Hilbert
    order, so an upgraded atlas answers nearby() as quickly as a freshly loaded one; an
    ALTER TABLE would fail at COMMIT after migration 6's update of assets
    (atlas.spatial_order.rewrite_in_order). PostGIS adds the columns in place and keeps
    no order (GiST indexes answer nearby())."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        con.execute(_BBOX)
        return
    for table in ("features", "assets"):
        spatial_order.rewrite_in_order(con, table, add_bbox=True)


def _partner_order(con: duckdb.DuckDBPyConnection) -> None:
    """Version 8: a plan's partners keep the order they were given in a column of their
    own. DuckDB's rowid kept it before; PostgreSQL has no stable equivalent (a row's
    place on disk moves when space is reused)."""
    con.execute("ALTER TABLE plan_partners ADD COLUMN ordinal BIGINT")
    if isinstance(con, duckdb.DuckDBPyConnection):
        con.execute("UPDATE plan_partners SET ordinal = rowid")


# Version 9 (issue 12): what organisation registers and anchors' spend files say.
# asset_registrations holds one row per asset that a register (Companies House, the
# Charity Commission) describes: its numbers, legal form, dates, income and whether it is
# a social enterprise, with the reason. A table of its own rather than new columns of
# assets: most assets are on no register, and DuckDB cannot ALTER a table that migration
# 7 rewrote in the same upgrade. grants are 360Giving grants received in the area;
# spend_lines are an anchor's payments to suppliers (negative amounts are credit notes).
# A supplier or recipient is linked to an asset only when the match is certain (a number,
# or postcode and name); an uncertain one keeps its candidate beside it for a person to
# decide, never merged.
_REGISTERS = """
CREATE SEQUENCE grant_id_seq START 1;
CREATE SEQUENCE spend_line_id_seq START 1;

CREATE TABLE asset_registrations (
    asset_id BIGINT PRIMARY KEY,
    company_number VARCHAR,
    charity_number VARCHAR,
    legal_form VARCHAR,
    status VARCHAR,
    incorporated_on DATE,
    dissolved_on DATE,
    income DOUBLE CHECK (income >= 0),
    postcode VARCHAR,
    sic_codes VARCHAR[] NOT NULL DEFAULT [],
    register_sector VARCHAR,
    social_enterprise BOOLEAN NOT NULL DEFAULT false,
    social_enterprise_reason VARCHAR,
    source VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX asset_registrations_company ON asset_registrations (company_number);
CREATE INDEX asset_registrations_charity ON asset_registrations (charity_number);

CREATE TABLE grants (
    id BIGINT PRIMARY KEY DEFAULT nextval('grant_id_seq'),
    title VARCHAR,
    funder VARCHAR,
    recipient_name VARCHAR NOT NULL,
    recipient_company_number VARCHAR,
    recipient_charity_number VARCHAR,
    recipient_postcode VARCHAR,
    amount DOUBLE NOT NULL,
    currency VARCHAR NOT NULL,
    awarded_on DATE,
    asset_id BIGINT,
    match_method VARCHAR,
    match_score DOUBLE,
    candidate_asset_id BIGINT,
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (source, source_id)
);

CREATE TABLE spend_lines (
    id BIGINT PRIMARY KEY DEFAULT nextval('spend_line_id_seq'),
    anchor_id BIGINT NOT NULL,
    supplier_name VARCHAR NOT NULL,
    supplier_company_number VARCHAR,
    supplier_postcode VARCHAR,
    amount DOUBLE NOT NULL,
    currency VARCHAR NOT NULL,
    paid_on DATE NOT NULL,
    category VARCHAR,
    supplier_asset_id BIGINT,
    match_method VARCHAR,
    match_score DOUBLE,
    candidate_asset_id BIGINT,
    supplier_lon DOUBLE,
    supplier_lat DOUBLE,
    placed_by VARCHAR CHECK (placed_by IN ('postcode', 'asset')),
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (source, source_id)
);
CREATE INDEX spend_lines_anchor ON spend_lines (anchor_id, paid_on);
"""


# Version 10 (issue 13): ideas written on a workshop pack's paper cards and typed in by an
# officer keep the grid square the card named ("B3"); NULL for an idea given on a screen.
# plan_ideas is never rewritten by an earlier migration, so DuckDB can ALTER it in the
# same upgrade (see _bbox for the tables it cannot).
_PAPER_IDEAS = """
ALTER TABLE plan_ideas ADD COLUMN paper_square VARCHAR;
"""


# Version 11 (issue 14): the ground under the atlas, from an OpenStreetMap extract (or the
# demo's approximate lines): the streets, railways, water, parks and buildings the base
# map is drawn from (WGS84, lon/lat), the walking network derived from the walkable ways
# (edges in the store's metric CRS, nodes numbered by the build), and the base map's
# PMTiles archive itself, so the store carries everything a hall with no internet needs.
# ground_sources says where the ground came from, and whether it is approximate.
_GROUND = """
CREATE SEQUENCE ground_feature_id_seq START 1;
CREATE TABLE ground_features (
    id BIGINT PRIMARY KEY DEFAULT nextval('ground_feature_id_seq'),
    layer VARCHAR NOT NULL CHECK (layer IN ('road', 'path', 'rail', 'waterway', 'water', 'park', 'building')),
    kind VARCHAR NOT NULL,
    name VARCHAR,
    walkable BOOLEAN NOT NULL DEFAULT false,
    osm_id VARCHAR,
    geom GEOMETRY NOT NULL
);
CREATE TABLE ground_sources (
    source VARCHAR NOT NULL,
    licence VARCHAR,
    approximate BOOLEAN NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE walk_edges (
    id BIGINT PRIMARY KEY,
    u BIGINT NOT NULL,
    v BIGINT NOT NULL,
    length_m DOUBLE NOT NULL CHECK (length_m >= 0),
    geom_m GEOMETRY NOT NULL
);
CREATE TABLE basemaps (
    name VARCHAR PRIMARY KEY,
    built_at TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    approximate BOOLEAN NOT NULL,
    min_zoom INTEGER NOT NULL,
    max_zoom INTEGER NOT NULL,
    tiles INTEGER NOT NULL,
    archive BLOB NOT NULL
);
"""


Migration = str | Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[Migration] = [_V1_CORE, _V2_MEMBERSHIP, _PLANS, _POSTCODES, _LINKING, _trust, _bbox,
                               _partner_order, _REGISTERS, _PAPER_IDEAS, _GROUND]

SCHEMA_VERSION = len(MIGRATIONS)

# R-tree indexes: (index name, table, column). Dropped before and rebuilt after bulk loads.
SPATIAL_INDEXES: list[tuple[str, str, str]] = [
    (f"{table}_{column}_rtree", table, column)
    for table in ("features", "assets", "boundaries")
    for column in ("geom", "geom_m")
]
