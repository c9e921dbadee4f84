"""Which asset is this organisation? Register rows, grant recipients and anchors'
suppliers are matched to the store's assets here, one rule for all of them.

Numbers first: the same Companies House number or charity number is the same
organisation. Then place and name: an asset at the same postcode (by the registration
the store keeps, or lying within :data:`POSTCODE_NEAR_M` of the postcode's point) whose
name is at least :data:`SURE_SCORE` alike. Anything weaker (a close name at the postcode,
or the same name somewhere else) is *uncertain*: the best candidate is reported beside
the row for a person to decide and nothing is merged. Names are compared with
rapidfuzz's ``token_sort_ratio`` after :func:`normalise_name`, so "The Brushstrokes
Community Project Ltd" and "BRUSHSTROKES COMMUNITY PROJECT LIMITED" are one name.

Only distinct organisations are matched (a million spend lines name a few thousand
suppliers), and fuzzy comparison is confined to the assets near one postcode, so the
cost grows with the number of organisations, not with assets times organisations.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from pyproj import Transformer
from rapidfuzz import fuzz

from atlas.importers import postcode_store
from atlas.importers.postcodes import normalise as normalise_postcode
from atlas.store import Store

SURE_SCORE = 90.0
"""Name similarity (0-100, rapidfuzz token_sort_ratio of normalised names) from which an
asset at the same postcode is taken to be the organisation."""
UNSURE_SCORE = 70.0
"""From this similarity up to SURE_SCORE, an asset at the postcode is reported as an
uncertain candidate."""
POSTCODE_NEAR_M = 150.0
"""An asset with no recorded postcode counts as at a postcode when it lies within this
many metres of the postcode's point (a UK unit postcode covers about 15 addresses)."""

# Words that say what kind of body an organisation is, not which one.
_FORM_WORDS = {
    "ltd", "limited", "plc", "llp", "lp", "cic", "cio", "the", "co", "company", "uk", "group",
    "incorporated", "inc", "trading", "as", "t/a", "community interest company",
}
_ABBREVIATIONS = [("&", " and "), ("c.i.c.", " cic "), ("c.i.o.", " cio "), ("l.t.d.", " ltd ")]
_PUNCTUATION = re.compile(r"[^\w\s]")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NAME_CACHE = 131_072  # distinct names kept normalised (a city's assets; some 25 MB at most)


@dataclass(frozen=True)
class OrgQuery:
    """An organisation as a file names it."""

    name: str
    company_number: str | None = None
    charity_number: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class OrgMatch:
    """What :func:`match_organisations` decided for one :class:`OrgQuery`.

    ``asset_id`` is set only when the match is certain; ``method`` says why ("company
    number", "charity number", "postcode and name"). An uncertain match leaves
    ``asset_id`` None and names the ``candidate_id`` with its ``score`` and ``reason``.
    """

    asset_id: int | None = None
    method: str | None = None
    score: float | None = None
    candidate_id: int | None = None
    candidate_name: str | None = None
    reason: str = "no asset with this number, or this name at this postcode"

    @property
    def uncertain(self) -> bool:
        return self.asset_id is None and self.candidate_id is not None


def normalise_company_number(value: object) -> str | None:
    """A Companies House number as the register writes it: eight characters, digits
    zero-padded (``1234567`` -> ``01234567``; ``sc123456`` -> ``SC123456``)."""
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"\s+", "", text).upper()
    if text.isdigit():
        return text.zfill(8) if len(text) <= 8 else None
    return text if re.fullmatch(r"[A-Z]{2}\d{1,6}", text) and len(text) <= 8 else None


def normalise_charity_number(value: object) -> str | None:
    """A registered charity number as digits, without a subsidiary suffix (``1123456-1``)."""
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"\s+", "", text)
    if text.upper().startswith("GB-CHC-"):
        text = text[7:]
    digits = text.split("-", 1)[0]
    return str(int(digits)) if digits.isdigit() else None


def normalise_name(value: object) -> str:
    """Lower case, accents and punctuation gone, words of legal form dropped."""
    if isinstance(value, str):  # the usual case, without _text's checks for missing values
        return _normalised(value.strip())
    return _normalised(_text(value) or "")


@functools.lru_cache(maxsize=_NAME_CACHE)
def _normalised(text: str) -> str:
    # Cached: matching a million spend lines against 100k assets normalises each asset's
    # name once for the lookup and again for every supplier at its postcode.
    text = text.lower()
    if not text.isascii():  # ASCII has no accents to take off (and NFKD leaves it as it is)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    for short, long in _ABBREVIATIONS:
        text = text.replace(short, long)
    text = _PUNCTUATION.sub(" ", text)
    words = [w for w in text.split() if w not in _FORM_WORDS]
    return " ".join(words)


def name_score(a: str, b: str) -> float:
    """Similarity 0-100 of two names (raw or through :func:`normalise_name`): the better of
    the whole names and the names without their bracketed qualifiers, so "Canalside
    co-working hub (Brindleyplace)" is "Canalside Co-Working Hub CIC"."""
    whole_a, short_a = _name_forms(a)
    whole_b, short_b = _name_forms(b)
    whole = fuzz.token_sort_ratio(whole_a, whole_b)
    if not short_a or not short_b:
        return float(whole)
    return float(max(whole, fuzz.token_sort_ratio(short_a, short_b)))


@functools.lru_cache(maxsize=_NAME_CACHE)
def _name_forms(name: str) -> tuple[str, str]:
    """A name normalised whole and without its bracketed qualifiers. Cached: an asset's
    name is compared with every supplier at its postcode."""
    return normalise_name(name), normalise_name(_unbracketed(name))


def _unbracketed(name: str) -> str:
    return _BRACKETED.sub(" ", name)


def match_organisations(store: Store, queries: Sequence[OrgQuery]) -> list[OrgMatch]:
    """One :class:`OrgMatch` per query, in order. Queries that are the same organisation
    are matched once."""
    if not queries:
        return []
    known = _KnownAssets.load(store)
    keys = [(q.name.strip(), normalise_company_number(q.company_number),
             normalise_charity_number(q.charity_number), normalise_postcode(q.postcode)) for q in queries]
    distinct = list(dict.fromkeys(keys))
    postcodes = sorted({k[3] for k in distinct if k[3]})
    near = known.near_postcodes(store, postcodes)
    decided = {key: _match_one(key, known, near) for key in distinct}
    return [decided[key] for key in keys]


def _match_one(key: tuple[str, str | None, str | None, str | None], known: _KnownAssets,
               near: dict[str, list[int]]) -> OrgMatch:
    name, company, charity, postcode = key
    if company and company in known.by_company:
        return OrgMatch(asset_id=known.by_company[company], method="company number", score=100.0,
                        reason=f"company number {company}")
    if charity and charity in known.by_charity:
        return OrgMatch(asset_id=known.by_charity[charity], method="charity number", score=100.0,
                        reason=f"charity number {charity}")
    best: tuple[float, int] | None = None
    if postcode and name:
        for asset_id in near.get(postcode, ()):
            score = name_score(name, known.display[asset_id])
            if best is None or score > best[0]:
                best = (score, asset_id)
        if best and best[0] >= SURE_SCORE:
            return OrgMatch(asset_id=best[1], method="postcode and name", score=best[0],
                            reason=f"name {best[0]:.0f}% alike at {postcode}")
        if best and best[0] >= UNSURE_SCORE:
            return OrgMatch(score=best[0], candidate_id=best[1], candidate_name=known.display[best[1]],
                            reason=f"name only {best[0]:.0f}% alike at {postcode}; check before linking")
    same_name = (known.by_name.get(normalise_name(name), []) or known.by_name.get(
        normalise_name(_unbracketed(name)), [])) if name else []
    if same_name:
        where = "at another place" if postcode else "but the file gives no postcode"
        return OrgMatch(score=100.0, candidate_id=same_name[0], candidate_name=known.display[same_name[0]],
                        reason=f"same name {where}; check before linking"
                        + (f" ({len(same_name)} assets share it)" if len(same_name) > 1 else ""))
    return OrgMatch()


@dataclass
class _KnownAssets:
    names: dict[int, str]
    display: dict[int, str]
    by_name: dict[str, list[int]]
    by_company: dict[str, int]
    by_charity: dict[str, int]
    by_postcode: dict[str, list[int]]

    @classmethod
    def load(cls, store: Store) -> _KnownAssets:
        rows = store.con.execute(
            "SELECT a.id, a.name, r.company_number, r.charity_number, r.postcode "
            "FROM assets a LEFT JOIN asset_registrations r ON r.asset_id = a.id WHERE NOT a.person ORDER BY a.id"
        ).fetchall()
        names: dict[int, str] = {}
        display: dict[int, str] = {}
        by_name: dict[str, list[int]] = defaultdict(list)
        by_company: dict[str, int] = {}
        by_charity: dict[str, int] = {}
        by_postcode: dict[str, list[int]] = defaultdict(list)
        for asset_id, name, company, charity, postcode in rows:
            key, short = _name_forms(name)
            names[asset_id] = key
            display[asset_id] = name
            by_name[key].append(asset_id)
            if short and short != key:
                by_name[short].append(asset_id)
            if company:
                by_company.setdefault(company, asset_id)
            if charity:
                by_charity.setdefault(charity, asset_id)
            if postcode:
                by_postcode[postcode].append(asset_id)
        return cls(names, display, dict(by_name), by_company, by_charity, dict(by_postcode))

    def near_postcodes(self, store: Store, postcodes: list[str]) -> dict[str, list[int]]:
        """Each postcode's assets: those registered at it, and those within
        POSTCODE_NEAR_M of its point (found in the metric CRS, never in degrees)."""
        near: dict[str, list[int]] = {p: list(self.by_postcode.get(p, ())) for p in postcodes}
        epsg = store.settings.metric_epsg
        if not postcodes or epsg is None:
            return near
        lon, lat = postcode_store.lookup(store, postcodes)
        placed = ~np.isnan(lon)
        if not placed.any():
            return near
        x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon[placed], lat[placed])
        points = pd.DataFrame({"postcode": np.asarray(postcodes, dtype=object)[placed], "x": x, "y": y})
        table = pa.Table.from_pandas(points, preserve_index=False)
        store.con.register("_org_postcodes", table)
        try:
            # ST_DWithin makes this a spatial join (DuckDB's SPATIAL_JOIN, PostGIS's GiST
            # index). Joined on the bounding-box columns instead, DuckDB took a nested loop
            # over every postcode and asset: 7 s for 2,600 postcodes against 100k assets.
            rows = store.con.execute(
                "SELECT p.postcode, a.id FROM _org_postcodes p JOIN assets a "
                "ON ST_DWithin(a.geom_m, ST_Point(p.x, p.y), ?) WHERE NOT a.person",
                [POSTCODE_NEAR_M],
            ).fetchall()
        finally:
            store.con.unregister("_org_postcodes")
        for postcode, asset_id in sorted(rows):  # in id order, whatever plan found them
            if asset_id not in near[postcode]:
                near[postcode].append(asset_id)
        return near


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


__all__ = [
    "POSTCODE_NEAR_M",
    "SURE_SCORE",
    "UNSURE_SCORE",
    "OrgMatch",
    "OrgQuery",
    "match_organisations",
    "name_score",
    "normalise_charity_number",
    "normalise_company_number",
    "normalise_name",
]
