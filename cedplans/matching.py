"""The matcher: which offers can meet a need (and which needs an offer can meet), ranked,
with every part of the score shown and one plain sentence saying why.

A pair is considered only when the offer's kind can meet the need's kind (the
vocabulary's ``[meets]`` table), both are still open, they belong to different assets
and no officer has turned the pair down. It is a candidate when the two share a
vocabulary category (or a related one) or their words are alike. Its score, from 0 to 1,
is a weighted sum of six parts, each from 0 to 1:

- **vocabulary**: how well the offer covers the need's categories (synonyms count in
  full, related categories at half strength): half for the best-met category, half for
  the share of the need's categories it meets;
- **text**: the cosine similarity of the two descriptions' words (TF-IDF over stemmed
  words, scikit-learn);
- **size**: floor area for space and land, people for staff and volunteers, money for
  funding and supply (too small costs more than too big; 0.5 when either side is silent);
- **distance**: halves every ``distance_half_m`` metres for the need's kind (a room should
  be a walk away, staff can travel), measured in the store's metric CRS;
- **recency**: how recently each side was verified or recorded (1 within six months, 0
  after three years or never);
- **scale**: 1 when a macro asset meets a micro one, the links community wealth building
  is after; micro with micro (or macro with macro) is allowed, at 0.

The index is built once from the store (:meth:`MatchIndex.build`) and answers many
questions quickly; the app keeps one per store revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from atlas import needs_offers, vocabulary
from atlas import text as words
from atlas.classify import money
from atlas.errors import InvalidInput, NotFound
from atlas.models import NEED_KINDS, OFFER_KINDS, NeedOffer
from atlas.output import area_words
from atlas.store import Store
from atlas.vocabulary import Vocabulary


@dataclass(frozen=True)
class Weights:
    """How much each part counts towards a match's score; they add up to 1."""

    vocabulary: float = 0.30
    text: float = 0.20
    size: float = 0.15
    distance: float = 0.25
    recency: float = 0.05
    scale: float = 0.05


WEIGHTS = Weights()
RELATED_STRENGTH = 0.5
"""How strongly a related category meets a need, against 1 for the same category."""
BEST_SHARE = 0.5
"""The vocabulary part: this share from the need's best-met category, the rest from the
share of its categories met (an offer that meets only half of what is asked for is a
weaker lead)."""
TEXT_MIN = 0.10
"""Word similarity that makes a candidate of a pair sharing no category."""
UNKNOWN_SIZE = 0.5
"""The size part when either side gives no size: neither for nor against."""
SESSIONAL_FOR_PREMISES = 0.5
"""The size part is multiplied by this when a space hired by the hour meets a need for
premises of one's own (a need for space with no hours a week)."""
RECENT_DAYS = 183
STALE_DAYS = 3 * 365
DEFAULT_TOP = 10

_PARTS = ("vocabulary", "text", "size", "distance", "recency", "scale")


@dataclass(frozen=True)
class Components:
    """The parts of a match's score, each from 0 to 1 (see the module's description)."""

    vocabulary: float
    text: float
    size: float
    distance: float
    recency: float
    scale: float

    def weighted(self, weights: Weights = WEIGHTS) -> dict[str, float]:
        return {p: getattr(self, p) * getattr(weights, p) for p in _PARTS}


@dataclass(frozen=True)
class Match:
    """An offer that can meet a need: the score, its parts, why, and what does not fit."""

    need: NeedOffer
    offer: NeedOffer
    score: float
    components: Components
    distance_m: float
    shared: tuple[str, ...]
    """Labels of the categories the two share."""
    related: tuple[str, ...]
    """Labels of the need's categories met only by a related category of the offer."""
    why: str
    gaps: tuple[str, ...]
    decision: str | None = None
    """``accepted`` when an officer has accepted the pair already."""

    @property
    def cross_scale(self) -> bool:
        return self.need.asset_scale != self.offer.asset_scale


@dataclass(frozen=True)
class Ranking:
    """What a question to the matcher found, and, when nothing fits, why not in words."""

    matches: list[Match]
    message: str | None = None


@dataclass(frozen=True)
class _Side:
    """One side of a set of pairs: its plain arrays (row k belonging to pair k), and its
    category weights W, strengths S and words T, read through ``rows`` from the index's
    matrices (or a probe's own one-row matrices, ``rows`` None) only where needed: copying
    100k rows of them cost a third of a query."""

    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    area: np.ndarray
    quantity: np.ndarray
    value: np.ndarray
    people: np.ndarray
    hours: np.ndarray
    """Hours a week a space is open or wanted (NaN: not hired by the hour)."""
    recency: np.ndarray
    macro: np.ndarray
    W: np.ndarray
    S: np.ndarray
    T: sparse.csr_matrix
    rows: np.ndarray | None
    single: bool
    """All pairs have the same item on this side (one need against many offers)."""

    @property
    def first(self) -> int:
        return 0 if self.rows is None else int(self.rows[0])

    def take(self, matrix: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Columns ``cols`` of this side's rows of ``matrix`` (W or S); one row when single."""
        if self.single:
            return matrix[self.first, cols][None, :]
        assert self.rows is not None  # only a probe has no rows, and a probe is single
        return matrix[np.ix_(self.rows, cols)]

    def used_categories(self) -> np.ndarray:
        rows = self.W[[self.first]] if self.single else self.W[self.rows]
        return np.flatnonzero(rows.any(axis=0))


def distance_words(metres: float) -> str:
    return f"{metres:,.0f} m" if metres < 1_000 else f"{metres / 1_000:,.1f} km"


def _quantity_words(item: NeedOffer) -> str:
    if item.quantity is None:
        return ""
    return f" ({item.quantity:,.0f} {item.unit})" if item.unit else f" ({item.quantity:,.0f})"


class MatchIndex:
    """Every open need and offer of a store, arranged for quick scoring. A snapshot: build
    a new one after the store changes."""

    def __init__(self, items: Sequence[NeedOffer], coords: np.ndarray, checked: Sequence[date | None],
                 voc: Vocabulary, currency: str, decisions: dict[tuple[int, int], str], today: date) -> None:
        self.items = list(items)
        self.vocabulary = voc
        self.currency = currency
        self.pos = {item.id: i for i, item in enumerate(self.items)}
        n = len(self.items)
        self.is_need = np.array([i.side == "need" for i in self.items], dtype=bool)
        self.need_pos = np.flatnonzero(self.is_need)
        self.offer_pos = np.flatnonzero(~self.is_need)
        self.kind = np.array([(NEED_KINDS if i.side == "need" else OFFER_KINDS).index(i.kind) for i in self.items],
                             dtype=np.int8)
        self.meets = np.array([[voc.can_meet(nk, ok) for ok in OFFER_KINDS] for nk in NEED_KINDS], dtype=bool)
        self.half_m = np.array([voc.distance_half_m[k] for k in NEED_KINDS], dtype=float)
        self.asset = np.array([i.asset_id for i in self.items], dtype=np.int64)
        self.macro = np.array([i.asset_scale == "macro" for i in self.items], dtype=bool)
        self.x = coords[:, 0] if n else np.zeros(0)
        self.y = coords[:, 1] if n else np.zeros(0)

        def numbers(field: str) -> np.ndarray:
            return np.array([np.nan if getattr(i, field) is None else getattr(i, field) for i in self.items],
                            dtype=float)

        self.area = numbers("area_m2")
        self.quantity = numbers("quantity")
        self.value = numbers("annual_value")
        self.people = np.array([i.unit == "people" for i in self.items], dtype=bool)
        self.hours = np.where([i.unit == "hours a week" for i in self.items], self.quantity, np.nan)
        age = np.array([np.nan if c is None else (today - c).days for c in checked], dtype=float)
        self.checked = list(checked)
        self.recency = np.nan_to_num(np.clip((STALE_DAYS - age) / (STALE_DAYS - RECENT_DAYS), 0, 1), nan=0.0)
        # Categories: W is how strongly each item names each category; S how strongly it
        # meets each (its own categories in full, related ones at RELATED_STRENGTH).
        self.categories = list(voc.categories)
        col = {c: j for j, c in enumerate(self.categories)}
        self.W = np.zeros((n, len(self.categories)), dtype=np.float32)
        for i, item in enumerate(self.items):
            for c, w in voc.weights(item.tags, item.title, item.description).items():
                self.W[i, col[c]] = w
        related = np.zeros((len(self.categories),) * 2, dtype=np.float32)
        for c, cat in voc.categories.items():
            for r in cat.related:
                related[col[c], col[r]] = 1.0
        self._related = related
        self.S = np.maximum(self.W, RELATED_STRENGTH * np.minimum(self.W @ related, 1.0).astype(np.float32))
        stop = ENGLISH_STOP_WORDS if voc.language == "en" else frozenset()
        self._vectorizer = TfidfVectorizer(analyzer=words.analyzer(voc.language, frozenset(stop)), sublinear_tf=True)
        texts = [" ".join([i.title, i.description or "", *i.tags]) for i in self.items]
        try:
            self.T = self._vectorizer.fit_transform(texts).tocsr()
            self._fitted = True
        except ValueError:  # no items, or no word that is not a stop word: words cannot help
            self.T = sparse.csr_matrix((n, 0))
            self._fitted = False
        self._T_columns = self.T.tocsc()
        self.accepted = {pair for pair, d in decisions.items() if d == "accepted"}
        self.rejected = {pair for pair, d in decisions.items() if d == "rejected"}
        self.ids = np.array([i.id for i in self.items], dtype=np.int64)
        # Pairs as one integer each, so turned-down pairs are found among 100k candidates
        # by one vectorised look-up rather than a Python loop.
        self._rejected_keys = np.array(sorted(_pair_key(need, offer) for need, offer in self.rejected), dtype=np.int64)

    # -- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, store: Store, *, today: date | None = None, voc: Vocabulary | None = None) -> MatchIndex:
        """An index of the store's open needs and offers."""
        items = needs_offers.listing(store, limit=10_000_000)
        rows = store.con.execute(
            f"SELECT n.id, ST_X({needs_offers.LOCATION_M}), ST_Y({needs_offers.LOCATION_M}), "
            "greatest(a.verified_on, CAST(coalesce(n.updated_at, n.recorded_at) AS DATE)) "
            "FROM needs_offers n JOIN assets a ON a.id = n.asset_id LEFT JOIN features f ON f.id = n.feature_id "
            "WHERE list_contains(?, n.status)",
            [["open", "in progress"]],
        ).fetchall()
        where = {r[0]: r[1:] for r in rows}
        coords = np.array([where[i.id][:2] for i in items], dtype=float).reshape(len(items), 2)
        checked = [where[i.id][2] for i in items]
        return cls(items, coords, checked, voc or vocabulary.load(store), store.settings.thresholds.currency,
                   current_decisions(store), today or date.today())

    # -- scoring ----------------------------------------------------------------------------
    def side(self, pos: np.ndarray) -> _Side:
        single = bool(len(pos)) and bool((pos == pos[0]).all())
        return _Side(kind=self.kind[pos], x=self.x[pos], y=self.y[pos], area=self.area[pos],
                     quantity=self.quantity[pos], value=self.value[pos], people=self.people[pos],
                     hours=self.hours[pos], recency=self.recency[pos], macro=self.macro[pos], W=self.W, S=self.S,
                     T=self.T, rows=pos, single=single)

    def probe(self, item: NeedOffer, x: float, y: float, n: int) -> _Side:
        """An item that is not in the store (a space described in the tenant finder) as one
        side of ``n`` pairs, with the categories and words the index gives stored items."""
        kinds = NEED_KINDS if item.side == "need" else OFFER_KINDS
        w = np.zeros((1, len(self.categories)), dtype=np.float32)
        for c, weight in self.vocabulary.weights(item.tags, item.title, item.description).items():
            w[0, self.categories.index(c)] = weight
        s_ = np.maximum(w, RELATED_STRENGTH * np.minimum(w @ self._related, 1.0).astype(np.float32))
        text = (self._vectorizer.transform([" ".join([item.title, item.description or "", *item.tags])]).tocsr()
                if self._fitted else sparse.csr_matrix((1, 0)))

        def full(value: float | None) -> np.ndarray:
            return np.full(n, np.nan if value is None else value, dtype=float)

        return _Side(kind=np.full(n, kinds.index(item.kind), dtype=np.int8), x=np.full(n, x), y=np.full(n, y),
                     area=full(item.area_m2), quantity=full(item.quantity), value=full(item.annual_value),
                     people=np.full(n, item.unit == "people"),
                     hours=full(item.quantity if item.unit == "hours a week" else None), recency=np.ones(n),
                     macro=np.full(n, item.asset_scale == "macro"), W=w, S=s_, T=text, rows=None, single=True)

    def score_pairs(self, need: _Side, offer: _Side) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Scores, parts and distances of the pairs given as a need side and an offer side."""
        count = len(need.kind)
        parts: dict[str, np.ndarray] = {"vocabulary": self._vocabulary(need, offer, count),
                                        "text": self._text(need, offer, count)}
        d = np.hypot(need.x - offer.x, need.y - offer.y)
        parts["distance"] = 0.5 ** (d / self.half_m[need.kind])
        parts["size"] = self._size(need, offer)
        parts["recency"] = (need.recency + offer.recency) / 2
        parts["scale"] = (need.macro != offer.macro).astype(float)
        total = sum(parts[p] * getattr(WEIGHTS, p) for p in _PARTS)
        return total, parts, d

    @staticmethod
    def _vocabulary(need: _Side, offer: _Side, count: int) -> np.ndarray:
        cols = need.used_categories()
        if not len(cols):
            return np.zeros(count)
        w = np.broadcast_to(need.take(need.W, cols), (count, len(cols)))
        s = np.broadcast_to(offer.take(offer.S, cols), (count, len(cols)))
        met = w * s
        weight = w.sum(axis=1)
        return BEST_SHARE * met.max(axis=1) + (1 - BEST_SHARE) * np.divide(met.sum(axis=1), weight,
                                                                          out=np.zeros(count), where=weight > 0)

    def _text(self, need: _Side, offer: _Side, count: int) -> np.ndarray:
        """Cosine similarity of the two sides' words (TF-IDF rows are unit length)."""
        if need.single or offer.single:
            one, many = (need, offer) if need.single else (offer, need)
            query = one.T[one.first]
            if many.rows is None:  # two probes
                return np.full(count, float(query.multiply(many.T[many.first]).sum()))
            # One item against many: only the columns of its few words are read, from
            # the index's column-ordered copy.
            scores = self._T_columns[:, query.indices] @ query.data
            return np.asarray(scores[many.rows], dtype=float)
        assert need.rows is not None and offer.rows is not None  # neither is a probe (a probe is single)
        products = need.T[need.rows].multiply(offer.T[offer.rows]).sum(axis=1)
        return np.asarray(products, dtype=float).ravel()

    @staticmethod
    def _size(need: _Side, offer: _Side) -> np.ndarray:
        """Fit of size: area for space and land, people, or money a year."""
        kind = np.array(NEED_KINDS)[need.kind]
        wanted = np.full(len(kind), np.nan)
        have = np.full(len(kind), np.nan)
        space = np.isin(kind, ("space", "land"))
        wanted[space], have[space] = need.area[space], offer.area[space]
        people = np.isin(kind, ("workforce", "volunteers")) & need.people & offer.people
        wanted[people], have[people] = need.quantity[people], offer.quantity[people]
        money_ = np.isin(kind, ("funding", "supply"))
        wanted[money_], have[money_] = need.value[money_], offer.value[money_]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = have / wanted
            too_small = np.where(space, ratio ** 2, np.sqrt(ratio))  # a room too small is no use at all
            too_big = np.where(space, 1 / np.sqrt(ratio), 1.0)  # more people or money than asked is fine
            fit = np.where(ratio >= 1, too_big, too_small)
            # Time as well as room: a group wanting premises of its own is poorly served by
            # a hall hired by the hour, and one wanting 9 hours a week by a hall open for 4.
            time = np.where(np.isnan(need.hours) & np.isfinite(offer.hours), SESSIONAL_FOR_PREMISES,
                            np.clip(offer.hours / need.hours, 0, 1))
        fit = np.where(np.isfinite(fit), np.clip(fit, 0, 1), UNKNOWN_SIZE)
        return np.where(space & np.isfinite(time), fit * time, fit)

    # -- questions ----------------------------------------------------------------------------
    def _item(self, item_id: int, side: str) -> int:
        pos = self.pos.get(item_id)
        if pos is None or self.items[pos].side != side:
            raise NotFound(f"There is no open {side} {item_id} in this atlas (see atlas match for open needs).")
        return pos

    def _candidates(self, ni: np.ndarray, oi: np.ndarray, radius_m: float | None) -> np.ndarray:
        ok = self.meets[self.kind[ni], self.kind[oi]] & (self.asset[ni] != self.asset[oi])
        if radius_m is not None:
            ok &= np.hypot(self.x[ni] - self.x[oi], self.y[ni] - self.y[oi]) <= radius_m
        if len(self._rejected_keys):
            ok &= ~np.isin(_pair_key(self.ids[ni], self.ids[oi]), self._rejected_keys)
        return ok

    def _rank(self, ni: np.ndarray, oi: np.ndarray, top: int, radius_m: float | None) -> list[Match]:
        keep = self._candidates(ni, oi, radius_m)
        ni, oi = ni[keep], oi[keep]
        if not len(ni):
            return []
        # Only pairs that share a category or words are candidates: find them first, and
        # score the rest of the parts for them alone.
        need, offer = self.side(ni), self.side(oi)
        fits = (self._vocabulary(need, offer, len(ni)) > 0) | (self._text(need, offer, len(ni)) >= TEXT_MIN)
        ni, oi = ni[fits], oi[fits]
        if not len(ni):
            return []
        total, parts, d = self.score_pairs(self.side(ni), self.side(oi))
        order = np.lexsort((d, -np.round(total, 6)))[:top]
        return [self._match(int(ni[k]), int(oi[k]), float(total[k]), {p: float(parts[p][k]) for p in _PARTS},
                            float(d[k])) for k in order]

    def for_need(self, need_id: int, *, top: int = DEFAULT_TOP, radius_m: float | None = None) -> Ranking:
        """The offers that can meet need ``need_id``, best first."""
        n = self._item(need_id, "need")
        found = self._rank(np.full(len(self.offer_pos), n), self.offer_pos, top, radius_m)
        return Ranking(found, None if found else self._nothing(self.items[n], radius_m))

    def for_offer(self, offer_id: int, *, top: int = DEFAULT_TOP, radius_m: float | None = None) -> Ranking:
        """The needs that offer ``offer_id`` can meet, best first."""
        o = self._item(offer_id, "offer")
        found = self._rank(self.need_pos, np.full(len(self.need_pos), o), top, radius_m)
        return Ranking(found, None if found else self._nothing(self.items[o], radius_m))

    def for_asset(self, asset_id: int, *, top: int = DEFAULT_TOP, radius_m: float | None = None) -> Ranking:
        """The best matches of each of an asset's open needs and offers, best first."""
        mine = [i for i in self.items if i.asset_id == asset_id]
        if not mine:
            return Ranking([], "This asset has no open needs or offers yet: record some in the asset register.")
        found: list[Match] = []
        for item in mine:
            ranking = (self.for_need if item.side == "need" else self.for_offer)(item.id, top=top, radius_m=radius_m)
            found.extend(ranking.matches)
        found.sort(key=lambda m: (-round(m.score, 6), m.distance_m))
        return Ranking(found, None if found else "Nothing in the atlas meets this asset's open needs or offers yet.")

    def best(self, *, top: int = DEFAULT_TOP, radius_m: float | None = None, cross_scale_only: bool = False) -> Ranking:
        """The best match of every open need, best first (the ``top`` of them)."""
        found = []
        for n in self.need_pos:
            ranked = self.for_need(self.items[n].id, top=3 if cross_scale_only else 1, radius_m=radius_m).matches
            ranked = [m for m in ranked if m.cross_scale] if cross_scale_only else ranked
            found.extend(ranked[:1])
        found.sort(key=lambda m: (-round(m.score, 6), m.distance_m))
        return Ranking(found[:top], None if found else "No open need in the atlas has a matching offer yet.")

    def pair(self, need_id: int, offer_id: int) -> Match:
        """The match of one need and one offer, scored as the matcher scores it (also for a
        pair it would not suggest)."""
        n, o = self._item(need_id, "need"), self._item(offer_id, "offer")
        if not self.meets[self.kind[n], self.kind[o]]:
            raise InvalidInput(f"A {self.items[o].kind} offer cannot meet a {self.items[n].kind} need.")
        total, parts, d = self.score_pairs(self.side(np.array([n])), self.side(np.array([o])))
        return self._match(n, o, float(total[0]), {p: float(v[0]) for p, v in parts.items()}, float(d[0]))

    def _nothing(self, item: NeedOffer, radius_m: float | None) -> str:
        other = "offer" if item.side == "need" else "need"
        where = f" within {distance_words(radius_m)}" if radius_m else ""
        row = self.pos[item.id]
        cats = [self.vocabulary.label(c) for c in self.categories if self.W[row, self.categories.index(c)]]
        named = f" (it is about {', '.join(cats)})" if cats else " (its words name no category of the vocabulary)"
        return (f"Nothing meets “{item.title}”{where}: no open {other} of a kind that fits shares its categories or "
                f"words{named}. Record one in the asset register, or widen the search.")

    # -- words ----------------------------------------------------------------------------------
    def _match(self, n: int, o: int, score: float, parts: dict[str, float], d: float) -> Match:
        need, offer = self.items[n], self.items[o]
        shared, related = [], []
        for j in np.flatnonzero(self.W[n]):
            label = self.vocabulary.label(self.categories[j])
            if self.W[o, j] > 0:
                shared.append(label)
            elif self.S[o, j] > 0:
                related.append(label)
        why = (f"{offer.asset_name} offers “{offer.title}”; {need.asset_name} needs “{need.title}”"
               f"{_quantity_words(need)}; {distance_words(d)} apart.")
        components = Components(**{p: round(v, 4) for p, v in parts.items()})
        return Match(need=need, offer=offer, score=round(score, 4), components=components,
                     distance_m=round(d, 1), shared=tuple(shared), related=tuple(related), why=why,
                     gaps=tuple(self._gaps(n, o, d, parts, shared, related)),
                     decision="accepted" if (need.id, offer.id) in self.accepted else None)

    def _gaps(self, n: int, o: int, d: float, parts: dict[str, float], shared: list[str],
              related: list[str]) -> Iterable[str]:
        need, offer = self.items[n], self.items[o]
        if not shared and not related:
            yield "They share no category of the vocabulary: matched on the words of their descriptions alone."
        elif not shared:
            yield f"Only a related fit: the offer is not itself {', '.join(related).lower()}."
        missing = [self.vocabulary.label(self.categories[j]) for j in np.flatnonzero(self.W[n])
                   if self.W[n, j] >= 1 and self.S[o, j] == 0]
        if missing and (shared or related):
            yield f"It does not cover: {', '.join(missing).lower()}."
        yield from self.size_gaps(need, offer)
        half = self.vocabulary.distance_half_m[need.kind]
        if d > 2 * half:
            yield (f"{distance_words(d)} apart: far for a {need.kind} need "
                   f"(distance halves the score every {distance_words(half)}).")
        for item, pos in ((offer, o), (need, n)):
            checked = self.checked[pos]
            if checked is None:
                yield f"{item.asset_name} has never been verified."
            elif self.recency[pos] == 0:
                yield f"{item.asset_name} was last verified or updated in {checked:%B %Y}."
        if need.asset_scale == offer.asset_scale == "macro":
            yield "Both are macro (anchor) assets: no community organisation is involved."

    def size_gaps(self, need: NeedOffer, offer: NeedOffer, *, offered: str | None = None) -> Iterable[str]:
        """What does not fit in size, time, rent and access. ``offered`` is how the gaps
        speak of what is offered ("the space is"), by default "<its asset> offers"."""
        offered = offered or f"{offer.asset_name} offers"
        if need.kind in ("space", "land"):
            if need.area_m2 is None or offer.area_m2 is None:
                yield "The floor area is not given on both sides, so size could not be compared."
            elif offer.area_m2 < need.area_m2:
                yield (f"Too small: {offered} {area_words(offer.area_m2)}; "
                       f"{need.asset_name} needs {area_words(need.area_m2)}.")
            elif offer.area_m2 > 3 * need.area_m2:
                yield (f"Far larger than needed: {area_words(offer.area_m2)} offered for {area_words(need.area_m2)} "
                       "(it could be shared).")
            if (need.annual_value is not None and offer.annual_value is not None
                    and offer.annual_value > need.annual_value):
                yield (f"The rent, {money(offer.annual_value, self.currency)} a year, is more than the "
                       f"{money(need.annual_value, self.currency)} {need.asset_name} can pay.")
            if need.unit == offer.unit == "hours a week" and need.quantity and offer.quantity:
                if offer.quantity < need.quantity:
                    yield f"Open {offer.quantity:,.0f} hours a week; {need.quantity:,.0f} are needed."
            elif offer.unit == "hours a week" and offer.quantity:
                yield (f"Hired by the hour ({offer.quantity:,.0f} hours a week); {need.asset_name} needs premises "
                       "of its own.")
            if "step-free" in self.vocabulary.weights(need.tags, need.title, need.description) and \
                    "step-free" not in self.vocabulary.weights(offer.tags, offer.title, offer.description):
                yield "Step-free access is needed and the offer does not say it has it."
        elif need.kind in ("workforce", "volunteers"):
            if need.unit == offer.unit == "people" and need.quantity and offer.quantity:
                if offer.quantity < need.quantity:
                    yield f"Offers {offer.quantity:,.0f} people of the {need.quantity:,.0f} needed."
            elif need.unit == "people" and need.quantity:
                yield f"The offer does not say how many people it brings ({need.quantity:,.0f} are needed)."
        elif need.kind in ("funding", "supply"):
            if need.annual_value and offer.annual_value and offer.annual_value < need.annual_value:
                yield (f"Offers {money(offer.annual_value, self.currency)} a year of the "
                       f"{money(need.annual_value, self.currency)} needed.")


def _pair_key(need_id, offer_id):
    """One int64 for a (need id, offer id) pair; ids stay far below 2**31."""
    return (np.asarray(need_id, dtype=np.int64) << 31) | np.asarray(offer_id, dtype=np.int64)


def current_decisions(store: Store) -> dict[tuple[int, int], str]:
    """(need id, offer id) -> the latest decision on the pair (accepted, rejected, reopened)."""
    rows = store.con.execute(
        "SELECT need_id, offer_id, arg_max(decision, id) FROM match_decisions GROUP BY need_id, offer_id"
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}
