"""Paper in the workshop: the printable workshop pack's downloads, and the form where an
officer types paper ideas back in by grid square (issue 13; filled in by the paper work)."""

from __future__ import annotations


def render_pack_downloads(plan_id: int) -> None:
    """Download buttons for the plan's workshop pack (A4 and A3 PDF)."""


def render_typing_in(plan_id: int) -> None:
    """For officers: type in ideas written on paper cards, by grid square."""
