"""Defaults for a new store. Each store keeps its own copy in ``atlas_meta``.

Thresholds follow the community wealth building definition of a macro ("anchor") asset:
an organisation employing more than 250 people, and/or spending more than 1m a year on
goods and services, and/or holding significant land and property.
"""

import os
from pathlib import Path

from atlas.engines import is_server_url

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

WALKING_DISTANCES_M: tuple[float, ...] = (400.0, DEFAULT_RADIUS_M, 1_600.0)
"""Five, ten and twenty minutes' walk, in metres: the distances a site's rings are drawn
at and offered as choices (site explorer, plan sketcher, site dossier)."""

DEFAULT_WALKING_SPEED_KMH = 4.8
"""Walking pace, in km/h, for walking times and catchments (80 m a minute): an adult's usual
pace in the UK's and Germany's planning guidance. A store may keep its own
(:func:`atlas.ground.walking.set_walking_speed`); slower for a pushchair or an older walker."""

WALKING_CATCHMENT_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)
"""The walking catchments drawn around a site, in minutes on foot (site explorer, plan
report, dossier)."""

NEARBY_FEATURE_LIMIT = 200
"""How many features (buildings, land, green spaces) 'near this site' lists by default:
the nearest 200, with every feature within the distance counted by kind and status. A
busy site in a city of a million features has several thousand within 800 m, which made
the site explorer's map 2.5-6 MB of HTML; 200 is more than a page or a map can show
usefully. ``atlas nearby --all`` lists every one."""


def default_db() -> str | Path:
    """The store from ``ATLAS_DB`` if set (a DuckDB path or a ``postgresql://`` URL), else
    ``data/atlas.duckdb``."""
    value = os.environ.get(DB_ENV_VAR)
    if is_server_url(value):
        return value
    return Path(value or DEFAULT_DB_PATH)


PERSON_LOCATION_CELL_M = 500.0
"""A person recorded as a human asset is shown at the centre of the square of this side,
in metres, that holds them (at most about 350 m from where they are): a neighbourhood,
not a front door. Only officers see the precise point."""

WORKSHOP_CODE_HOURS = 4.0
"""How long a workshop join code lets people in by default: one evening's session, in hours."""

# -- Limits on imported data (issue 10): what a file may put in the store. -------------

MAX_NAME_CHARS = 200
"""The longest name, id or code a row may have, in characters: the longest real
organisation and ward names run to about 100; 200 is also the limit on a need's title.
A longer one is a column of something else (a whole address list, a pasted document)."""

MAX_TEXT_CHARS = 4_000
"""The longest description or other free text a row may have, in characters (about 600
words, the limit on a need's description): enough to say what an asset is and does,
and it keeps a listing, a dossier page and the matcher's word counts quick."""

MAX_VERTICES = 100_000
"""The most corners (coordinate pairs) one imported shape may keep. An OS Boundary-Line
ward at full resolution has a few thousand and a large park drawn from OpenStreetMap a
few hundred; beyond this a shape slows every map render and spatial join without being
any more accurate. A shape with more is simplified (see SIMPLIFY_TOLERANCE_M) and the
row reported, or skipped if simplifying cannot bring it under the limit."""

SIMPLIFY_TOLERANCE_M = 1.0
"""How far, in metres, an outline may move when a shape over MAX_VERTICES is simplified:
less than the positional accuracy of the open boundary and site data the atlas takes
(1:10,000 mapping, about a metre), so what is measured and drawn does not change."""

EUROPE_LONLAT_BOUNDS = (-32.0, 27.0, 45.0, 72.0)
"""Europe with the Canaries, Azores, Cyprus and the North Cape, as (west, south, east, north)
in degrees: an empty atlas refuses a first file that lies wholly outside it but wholly
inside it with latitude and longitude swapped."""

SIGN_IN_HOURS = 12.0
"""How long a sign-in lasts in a browser, reloads included: a long working day, in hours,
so a council laptop left signed in overnight asks again in the morning."""

# Insights (issue 12): anchors' spend and the social-enterprise market.
CITY_LEVELS = ("city", "local authority", "district", "borough", "municipality", "county borough")
"""Boundary levels that stand for the city when a spend report measures the share of spend
with suppliers in the city. Without boundaries of these levels the city is every boundary
the store holds."""
REGION_LEVELS = ("region", "combined authority", "county", "nuts2", "nuts 2")
"""Boundary levels that stand for the region. Without any, the region is the city widened
by REGION_RADIUS_M."""
REGION_RADIUS_M = 40_000.0
"""Without region boundaries, a supplier within this many metres of the city counts as in
the region (40 km: roughly a travel-to-work area around a large English city)."""
