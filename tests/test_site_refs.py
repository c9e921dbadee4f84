"""Site references (atlas.site_refs): the text forms a person types or a link carries,
parsed once into typed values, and back to the same text."""

from __future__ import annotations

import pytest

from atlas.errors import InvalidInput
from atlas.site_refs import SIGNED_POINT, LonLat, SiteRef, parse_site


@pytest.mark.parametrize(("text", "want"), [
    ("feature:12", SiteRef("feature", 12)),
    ("asset:3", SiteRef("asset", 3)),
    ("  Asset:7 ", SiteRef("asset", 7)),  # case and spaces ignored, as resolve_site always did
    ("-1.9585,52.4977", LonLat(-1.9585, 52.4977)),
    ("-1.9585, 52.4977", LonLat(-1.9585, 52.4977)),
    ("7.4246,43.7384", LonLat(7.4246, 43.7384)),
    ("Edgbaston Reservoir", "Edgbaston Reservoir"),
    ("  Summerfield Park ", "Summerfield Park"),
    ("feature:twelve", "feature:twelve"),  # not a reference: a name to look up (and not find)
])
def test_parse_site(text, want):
    assert parse_site(text) == want
    assert type(parse_site(text)) is type(want)


@pytest.mark.parametrize("value", [SiteRef("feature", 12), SiteRef("asset", 3), LonLat(-1.9585, 52.4977),
                                   LonLat(0.0, -33.5)])
def test_the_text_form_reads_back_as_the_same_value(value):
    assert parse_site(str(value)) == value
    assert parse_site(value) is value  # already parsed: passed through


def test_text_forms():
    assert str(SiteRef("feature", 12)) == "feature:12"
    assert str(LonLat(-1.9585, 52.4977)) == "-1.9585,52.4977"


@pytest.mark.parametrize("text", ["Summerfield Park", "feature:", "asset:x", "-1.9,52.4"])
def test_a_strict_reference_refuses_anything_else(text):
    with pytest.raises(InvalidInput, match="feature:ID or asset:ID"):
        SiteRef.parse(text)


@pytest.mark.parametrize("text", ["52.4977,-191.5", "200,10", "10,95"])
def test_numbers_outside_degrees_are_refused_not_looked_up(text):
    with pytest.raises(InvalidInput, match="longitude,latitude"):
        parse_site(text)


@pytest.mark.parametrize(("kind", "id_"), [("plan", 1), ("feature", -1), ("asset", "3"), ("feature", True)])
def test_a_reference_is_checked_when_made(kind, id_):
    with pytest.raises(InvalidInput):
        SiteRef(kind, id_)


def test_empty_is_refused():
    with pytest.raises(InvalidInput, match="Say which site"):
        parse_site("   ")


@pytest.mark.parametrize(("text", "signed"), [("-1.9585,52.4977", True), ("-1,-2", True), ("-1.9585, 52.4977", True),
                                              ("1.9585,52.4977", False), ("-1", False), ("--radius", False),
                                              ("-h", False)])
def test_signed_points_are_told_from_options(text, signed):
    assert bool(SIGNED_POINT.match(text)) is signed
