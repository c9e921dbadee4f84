"""The macro/micro rule at and around each threshold, with custom thresholds and currency."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from atlas import audit, place_settings, writes
from atlas.classify import Thresholds, classify


@pytest.mark.parametrize(
    ("employees", "spend", "land", "scale"),
    [
        (250, None, None, "micro"),
        (251, None, None, "macro"),
        (None, 1_000_000, None, "micro"),
        (None, 1_000_000.01, None, "macro"),
        (None, None, 5.0, "micro"),
        (None, None, 5.01, "macro"),
        (249, 999_999, 4.99, "micro"),
        (None, None, None, "micro"),
        (0, 0, 0, "micro"),
    ],
)
def test_default_thresholds(employees, spend, land, scale):
    assert classify(employees, spend, land).scale == scale


def test_reason_says_why():
    assert classify(1200, None, None).reason == "macro: 1,200 employees"
    both = classify(300, 2_500_000, None).reason
    assert both == "macro: 300 employees; spends £2,500,000 a year"
    assert classify(None, None, 12).reason == "macro: holds 12.0 ha of land"
    assert classify(10, 5_000, None).reason.startswith("micro: not over 250 employees")


@pytest.mark.parametrize(
    ("employees", "spend", "land", "scale"),
    [
        (50, None, None, "micro"),
        (51, None, None, "macro"),
        (None, 500_000, None, "micro"),
        (None, 500_001, None, "macro"),
        (None, None, 1.0, "micro"),
        (None, None, 1.5, "macro"),
    ],
)
def test_custom_thresholds_in_euro(employees, spend, land, scale):
    t = Thresholds(employees=50, spend=500_000, land_ha=1.0, currency="EUR")
    result = classify(employees, spend, land, t)
    assert result.scale == scale
    if spend and scale == "macro":
        assert result.reason == "macro: spends €500,001 a year"


def test_currency_without_a_symbol_is_written_as_its_code():
    t = Thresholds(spend=10_000_000, currency="NOK")
    assert classify(None, 20_000_000, None, t).reason == "macro: spends 20,000,000 NOK a year"


@pytest.mark.parametrize("bad", [{"currency": "euro"}, {"employees": -1}, {"land_ha": -0.5}])
def test_bad_thresholds_are_refused(bad):
    with pytest.raises(ValueError):
        Thresholds(**bad)


def test_changing_a_stores_thresholds_reclassifies_its_assets(empty_store):
    frame = gpd.GeoDataFrame(
        {"source_id": ["a", "b", "c"], "name": ["Big", "Middling", "Small"],
         "employees": [400, 120, 3], "annual_spend": [None, 800_000, 1_000]},
        geometry=[shapely.Point(-1.93, 52.48)] * 3, crs=4326,
    )
    writes.upsert_assets(empty_store, frame, source="t")
    scales = lambda: dict(empty_store.con.execute("SELECT name, scale FROM assets").fetchall())  # noqa: E731
    assert scales() == {"Big": "macro", "Middling": "micro", "Small": "micro"}

    changed = place_settings.set_thresholds(
        empty_store, Thresholds(employees=100, spend=750_000, land_ha=2, currency="EUR"), by="test")
    assert changed == 1
    assert scales() == {"Big": "macro", "Middling": "macro", "Small": "micro"}
    reason = empty_store.con.execute("SELECT scale_reason FROM assets WHERE name = 'Middling'").fetchone()[0]
    assert reason == "macro: 120 employees; spends €800,000 a year"
    assert empty_store.settings.thresholds.currency == "EUR"
    change = audit.recent(empty_store, entity="settings")[0]
    assert (change.actor, change.before["employees"], change.after["employees"]) == ("test", 250, 100)
