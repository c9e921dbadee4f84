"""The site explorer's asset card (issue 13): a click on an asset on the map shows its card
(scale and why, offers and needs, last verified) and leaves the search where it was; the
card's button makes the asset the new centre. Distance rings are labelled on the map.

A click is fed to the page as streamlit-folium reports it: ``st_folium`` still draws the
map, and its return value (what the browser would send) gets ``last_object_clicked`` at the
marker's own position (Leaflet's order: lat, lng). AppTest has no browser to click in, and
a component's value cannot be set through session state.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from app.text import md
from atlas import needs_offers, open_store, queries, register, vocabulary
from atlas.needs_offers import NeedOfferDraft
from tests.app_fixtures import map_args, map_asset_rows, no_exception

PAGE = "site_explorer"
MAP_KEY = "explorer_map"


@pytest.fixture
def click(monkeypatch):
    """``click(at, lat, lon)``: report a click on the site explorer's map, as the browser
    would, and rerun the page."""
    import streamlit_folium

    real = streamlit_folium.st_folium
    reported: dict[str, dict] = {}

    def st_folium(fig, *, key=None, **kwargs):
        value = real(fig, key=key, **kwargs) or {}
        return {**value, **reported.get(key, {})}

    monkeypatch.setattr(streamlit_folium, "st_folium", st_folium)

    def do(at, lat: float, lon: float, *, on_object: bool = True):
        point = {"lat": lat, "lng": lon}
        reported[MAP_KEY] = {"last_clicked": point, "last_object_clicked": point if on_object else None}
        return at.run()

    return do


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def verified_asset(demo_store_path) -> dict:
    """The reservoir's first micro asset by name (within 800 m), given a recorded offer, an
    open need and a check."""
    with open_store(demo_store_path) as store:
        near = queries.nearby(store, queries.resolve_site(store, "Edgbaston Reservoir"), 800)
        asset = min((a for a in near.assets if a.scale == "micro"), key=lambda a: a.name)
        register.verify_asset(store, asset.id, by="Ward officer", on=date(2026, 3, 14))
        words = vocabulary.load(store)
        needs_offers.add(store, NeedOfferDraft(side="offer", asset_id=asset.id, kind="space",
                                               title="Meeting room on Tuesdays"), by="test", vocabulary=words)
        needs_offers.add(store, NeedOfferDraft(side="need", asset_id=asset.id, kind="volunteers",
                                               title="Two drivers"), by="test", vocabulary=words)
    return {"id": asset.id, "name": asset.name, "reason": asset.scale_reason}


def test_a_click_on_an_asset_shows_its_card_and_keeps_the_search(run_page, demo_store_path, verified_asset,
                                                                  click):
    at = run_page(PAGE, demo_store_path)
    no_exception(at)
    site_before, query_before = at.session_state["explorer_site"], at.query_params["site"]
    lat, lon = next((r[0], r[1]) for r in map_asset_rows(at) if r[3] == verified_asset["name"])
    at = click(at, lat, lon)
    no_exception(at)
    text = markdown(at)
    assert f"#### {verified_asset['name']}" in text
    assert md("Micro (community) asset") in text and md(verified_asset["reason"]) in text
    assert "Meeting room on Tuesdays" in text and "Two drivers" in text
    assert "14 Mar 2026, by Ward officer" in text
    # The search did not move: same site, same link, same heading.
    assert at.session_state["explorer_site"] == site_before
    assert at.query_params["site"] == query_before
    assert any("Edgbaston Reservoir" in s.value for s in at.subheader)
    # The card's button makes the asset the centre of the search.
    at.button(key="explorer_card_recentre").click().run()
    no_exception(at)
    assert str(at.session_state["explorer_site"]) == f"asset:{verified_asset['id']}"
    assert any(verified_asset["name"] in s.value for s in at.subheader)


def test_the_card_can_be_chosen_without_the_map(run_page, demo_store_path, verified_asset):
    at = run_page(PAGE, demo_store_path)
    at.selectbox(key="explorer_card_pick").set_value(verified_asset["id"]).run()
    no_exception(at)
    assert "Meeting room on Tuesdays" in markdown(at)
    at.button(key="explorer_card_close").click().run()
    assert "Meeting room on Tuesdays" not in markdown(at)


def test_a_click_where_nothing_is_offers_the_point(run_page, demo_store_path, click):
    at = run_page(PAGE, demo_store_path)
    site_before = at.session_state["explorer_site"]
    at = click(at, 52.0, -1.0, on_object=False)  # far from every asset and site
    no_exception(at)
    assert "A point on the map" in markdown(at)
    assert at.session_state["explorer_site"] == site_before


def test_rings_are_labelled_on_the_map(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path)
    at.radio(key="explorer_distance").set_value(1600).run()
    no_exception(at)
    script = map_args(at)["script"]
    labels = [json.loads(f'"{m}"') for m in re.findall(r'"l":"([^"]*)","lc":"atlas-ring-label"', script)]
    assert labels == ["400\u00a0m", "800\u00a0m", "1.6\u00a0km"]
    # The frame is named for screen readers, and the list before the map names the rings.
    assert "Map of what lies within 1.6\u00a0km of Edgbaston Reservoir" in script
    assert any("The map as a list" in e.label for e in at.expander)


def test_ring_labels_in_german(run_page, demo_store_path):
    at = run_page(PAGE, demo_store_path, session={"language": "de"}, query={"radius": "1600"})
    no_exception(at)
    script = map_args(at)["script"]
    assert '"l":"1,6\u00a0km"' in script
