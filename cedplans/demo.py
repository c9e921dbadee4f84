"""The full demo: the atlas's USE-IT! area and the example plans built on it."""

from __future__ import annotations

from atlas import demo as atlas_demo
from atlas.store import Store


def load_full_demo(store: Store) -> dict[str, int]:
    """Load the demo area and its example plans; returns counts of what the store holds."""
    counts = atlas_demo.load_demo(store)
    return counts
