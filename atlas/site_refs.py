"""How a site is named in text, parsed once where the text comes in.

A site is given as ``feature:12`` or ``asset:3`` (a stored feature or asset by id),
``"-1.9585,52.4977"`` (a point, longitude first, in WGS84) or a name. A command's argument,
a page's widget or a link's query parameter is parsed once with :func:`parse_site` into a
:class:`SiteRef`, a :class:`LonLat` or a name (``str``); inside the atlas the value is
passed as it is, and ``str()`` gives back the text form for a link or a widget.
:func:`atlas.queries.resolve_site` turns any of them into a :class:`~atlas.models.Site`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import shapely

from atlas.errors import InvalidInput

SiteKind = Literal["feature", "asset"]
SITE_KINDS: tuple[SiteKind, ...] = ("feature", "asset")

_REF = re.compile(r"^\s*(feature|asset):(\d+)\s*$", re.IGNORECASE)
_LONLAT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*$")

SIGNED_POINT = re.compile(r"^-\d+(?:\.\d+)?\s*,\s*[-+]?\d+(?:\.\d+)?$")
"""A point whose longitude is negative ("-1.9585,52.4977"): what a command line would
otherwise read as an option (see :class:`atlas.cli_support.SiteCommand`)."""


@dataclass(frozen=True)
class SiteRef:
    """A stored feature or asset, by id: ``feature:12``, ``asset:3``."""

    kind: SiteKind
    id: int

    def __post_init__(self) -> None:
        if self.kind not in SITE_KINDS:
            raise InvalidInput(f"A site is a feature or an asset, not {self.kind!r}.")
        if isinstance(self.id, bool) or not isinstance(self.id, int) or self.id < 0:
            raise InvalidInput(f"A {self.kind}'s id is a whole number, not {self.id!r}.")

    @classmethod
    def parse(cls, text: str) -> SiteRef:
        """``feature:ID`` or ``asset:ID`` (case ignored); anything else is our error."""
        ref = cls.match(text)
        if ref is None:
            raise InvalidInput(f"{text!r} is not a site reference; give feature:ID or asset:ID.")
        return ref

    @classmethod
    def match(cls, text: str) -> SiteRef | None:
        """The reference ``text`` is, or None when it is not one."""
        m = _REF.match(text)
        if m is None:
            return None
        kind: SiteKind = "feature" if m.group(1).lower() == "feature" else "asset"
        return cls(kind, int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class LonLat:
    """A point in WGS84, in degrees, longitude first: ``"-1.9585,52.4977"``."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise InvalidInput(f"{self.lon},{self.lat} is not a longitude,latitude in degrees (WGS84): "
                               "longitude is -180 to 180 and comes first, latitude -90 to 90.")

    @classmethod
    def parse(cls, text: str) -> LonLat:
        """``"lon,lat"`` in degrees; anything else is our error."""
        point = cls.match(text)
        if point is None:
            raise InvalidInput(f"{text!r} is not a point; give longitude,latitude such as -1.9585,52.4977.")
        return point

    @classmethod
    def match(cls, text: str) -> LonLat | None:
        """The point ``text`` is, or None when it does not look like two numbers."""
        m = _LONLAT.match(text)
        return cls(float(m.group(1)), float(m.group(2))) if m else None

    @property
    def point(self) -> shapely.Point:
        return shapely.Point(self.lon, self.lat)

    def __str__(self) -> str:
        return f"{self.lon},{self.lat}"


SiteQuery = SiteRef | LonLat | str
"""A site as parsed from text: a stored feature or asset, a point, or a name to look up."""


def parse_site(text: str | SiteRef | LonLat) -> SiteQuery:
    """What ``text`` names: a :class:`SiteRef`, a :class:`LonLat` or, failing both, a name
    (stripped). Two numbers outside the range of degrees are our error, not a name.
    A value already parsed is returned as it is."""
    if isinstance(text, SiteRef | LonLat):
        return text
    name = str(text).strip()
    if not name:
        raise InvalidInput("Say which site: a name, feature:ID, asset:ID or longitude,latitude.")
    return SiteRef.match(name) or LonLat.match(name) or name
