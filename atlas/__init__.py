"""Asset Atlas: a DuckDB spatial store of a place's physical, financial, community
and human assets, and the queries that put them to work."""

from atlas.errors import AtlasError
from atlas.store import Store, open_store

__all__ = ["AtlasError", "Store", "open_store"]
