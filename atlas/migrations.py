"""The store's schema, as an ordered list of migrations.

Migration *n* (1-based) takes a store from schema version n-1 to n. Never edit a migration
that has shipped: add a new one. Every geometry is kept twice: ``geom`` in WGS84
(longitude, latitude) for display and ``geom_m`` in the store's metric CRS for every
distance and area, each with an R-tree index.
"""

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

MIGRATIONS: list[str] = [_V1_CORE, _V2_MEMBERSHIP]

SCHEMA_VERSION = len(MIGRATIONS)

# R-tree indexes: (index name, table, column). Dropped before and rebuilt after bulk loads.
SPATIAL_INDEXES: list[tuple[str, str, str]] = [
    (f"{table}_{column}_rtree", table, column)
    for table in ("features", "assets", "boundaries")
    for column in ("geom", "geom_m")
]
