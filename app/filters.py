"""The asset filters in the sidebar, shared by the pages that list or map assets."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app import maps, state
from app.language import _, ngettext, value_label
from atlas.asset_filter import AssetFilter
from atlas.asset_lists import months_before
from atlas.models import SECTORS

VERIFIED_CHOICES: tuple[int | None, ...] = (None, 3, 6, 12, 24)
"""Months for the "verified within" filter; None means any asset, checked or not."""


def _verified_label(months: int | None) -> str:
    if months is None:
        return _("Any (checked or not)")
    return ngettext("Within the last month", "Within the last {count} months", months).format(count=months)


def asset_filter_sidebar(prefix: str, *, today: date | None = None) -> AssetFilter:
    """Draw the filters in the sidebar and return what they select. ``prefix`` keeps each
    page's widgets apart."""
    categories = state.asset_categories()
    boundaries = state.list_boundaries()
    names = {b.id: f"{b.name} ({b.level})" for b in boundaries}
    with st.sidebar:
        st.subheader(_("Filter assets"))
        scales = st.multiselect(_("Scale"), ["macro", "micro"], format_func=maps.scale_label,
                                key=f"{prefix}_scales", placeholder=_("Macro and micro"))
        sectors = st.multiselect(_("Sector"), list(SECTORS), format_func=maps.sector_label,
                                 key=f"{prefix}_sectors", placeholder=_("Every sector"))
        category_labels = {c: value_label(c) for c in categories}
        chosen_categories = st.multiselect(_("Category"), categories, key=f"{prefix}_categories",
                                           format_func=category_labels.__getitem__, placeholder=_("Every category"))
        boundary = st.selectbox(_("Area"), [None, *names],
                                format_func=lambda i: _("Everywhere") if i is None else names[i],
                                key=f"{prefix}_boundary")
        months = st.selectbox(_("Verified"), VERIFIED_CHOICES, format_func=_verified_label, key=f"{prefix}_verified")
    return AssetFilter(
        scales=tuple(scales),
        sectors=tuple(sectors),
        categories=tuple(chosen_categories),
        boundary_id=boundary,
        verified_since=None if months is None else months_before(today or date.today(), months),
    )
