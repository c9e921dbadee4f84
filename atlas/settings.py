"""Defaults for a new store. Each store keeps its own copy in ``atlas_meta``.

Thresholds follow the community wealth building definition of a macro ("anchor") asset:
an organisation employing more than 250 people, and/or spending more than 1m a year on
goods and services, and/or holding significant land and property.
"""

import os
from pathlib import Path

DEFAULT_DB_PATH = Path("data/atlas.duckdb")
"""Where the CLI and the app look for the store unless ``--db`` or ``ATLAS_DB`` say otherwise."""

DB_ENV_VAR = "ATLAS_DB"

MACRO_EMPLOYEES = 250
"""Macro when employees are more than this many people."""

MACRO_SPEND = 1_000_000.0
"""Macro when annual spend on goods and services is more than this, in the store's currency."""

MACRO_LAND_HA = 5.0
"""Macro when land held is more than this many hectares."""

CURRENCY = "GBP"
"""ISO 4217 code of the store's money amounts."""

DEFAULT_RADIUS_M = 800.0
"""A ten-minute walk: the default 'near this site' distance, in metres."""


def default_db_path() -> Path:
    """The store path from ``ATLAS_DB`` if set, else ``data/atlas.duckdb``."""
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH)
