"""The shared vocabulary of needs and offers: categories with synonyms and relations,
the kinds of need and offer and which meet which, and the units of a quantity.

It ships as ``atlas/vocabulary.toml`` (data, not code) and each store may lay its own
categories, synonyms and relations over it (:func:`add_terms`, ``atlas vocabulary add``).
Terms are compared folded and stemmed in the store's language (:mod:`atlas.text`), and
the longest phrase wins: "sports hall" is a sports facility, not a community hall.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from atlas import text as words
from atlas.errors import InvalidInput
from atlas.models import NEED_KINDS, OFFER_KINDS
from atlas.store import Store, utc_now

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")

TAG_WEIGHT = 1.0
"""Weight of a category named by a tag or found in a title."""
DESCRIPTION_WEIGHT = 0.5
"""Weight of a category found only in a description: often said in passing."""

_CATEGORY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    synonyms: tuple[str, ...]
    related: tuple[str, ...]
    local: bool = False
    """Added or extended by this store rather than shipped."""


@dataclass(frozen=True)
class Vocabulary:
    """Categories and kinds, with every term compiled to its stemmed words for ``language``."""

    categories: Mapping[str, Category]
    meets: Mapping[str, tuple[str, ...]]
    distance_half_m: Mapping[str, float]
    units: Mapping[str, tuple[str, ...]]
    language: str = "en"
    _phrases: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False, compare=False)
    _longest: int = field(default=1, repr=False, compare=False)
    _units: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _seen: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases: dict[tuple[str, ...], str] = {}
        for cat in self.categories.values():
            for term in (cat.id.replace("-", " "), cat.label, *cat.synonyms):
                key = tuple(words.stems(term, self.language))
                if key and phrases.setdefault(key, cat.id) != cat.id:
                    raise InvalidInput(
                        f"The vocabulary puts {term!r} in two categories ({phrases[key]} and {cat.id}); "
                        "a term may belong to one only."
                    )
        self._phrases.update(phrases)
        object.__setattr__(self, "_longest", max((len(k) for k in phrases), default=1))
        for unit, synonyms in self.units.items():
            for term in (unit, *synonyms):
                self._units[words.fold(term).strip()] = unit

    # -- categories ----------------------------------------------------------------------
    def categories_in(self, text: str) -> list[str]:
        """Categories named in ``text``, in order, each once: the longest phrase at each
        point wins and phrases do not overlap."""
        # Tags and titles repeat across a large register: each distinct one is read once.
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._scan(text)
        return list(found)

    def _scan(self, text: str) -> tuple[str, ...]:
        tokens = words.stems(text, self.language)
        found: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self._longest, len(tokens) - i), 0, -1):
                cat = self._phrases.get(tuple(tokens[i:i + n]))
                if cat is not None:
                    if cat not in found:
                        found.append(cat)
                    i += n
                    break
            else:
                i += 1
        return tuple(found)

    def category_of(self, term: str) -> str | None:
        """The category ``term`` names as a whole (a tag), or None."""
        return self._phrases.get(tuple(words.stems(term, self.language)))

    def weights(self, tags: Iterable[str], title: str, description: str | None) -> dict[str, float]:
        """Category -> weight for a need or offer: full for what its tags and title name,
        :data:`DESCRIPTION_WEIGHT` for what only its description mentions."""
        out: dict[str, float] = {}
        for tag in tags:
            for cat in self.categories_in(tag):
                out[cat] = TAG_WEIGHT
        for cat in self.categories_in(title):
            out[cat] = TAG_WEIGHT
        for cat in self.categories_in(description or ""):
            out.setdefault(cat, DESCRIPTION_WEIGHT)
        return out

    def related(self, category: str) -> tuple[str, ...]:
        return self.categories[category].related if category in self.categories else ()

    def label(self, category: str) -> str:
        return self.categories[category].label if category in self.categories else category

    # -- kinds and units -------------------------------------------------------------------
    def can_meet(self, need_kind: str, offer_kind: str) -> bool:
        return offer_kind in self.meets.get(need_kind, ())

    def unit(self, text: str | None) -> str | None:
        """The unit ``text`` names (``"sqm"`` -> ``"m²"``), or None for an unknown one."""
        if text is None:
            return None
        return self._units.get(words.fold(text).strip())

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(self.units)


def _read_file(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"The vocabulary file {path} cannot be read ({exc}).") from exc


def from_file(path: Path = VOCABULARY_FILE, *, language: str = "en",
              extra: Sequence[Category] = ()) -> Vocabulary:
    """The vocabulary in ``path`` with ``extra`` categories laid over it (an extra with an
    existing id adds its synonyms and relations to that category, and may relabel it)."""
    data = _read_file(path)
    kinds = data.get("kinds", {})
    if tuple(kinds.get("need", ())) != NEED_KINDS or tuple(kinds.get("offer", ())) != OFFER_KINDS:
        raise InvalidInput(f"{path}: [kinds] must list exactly the kinds the store holds: "
                           f"need = {list(NEED_KINDS)}, offer = {list(OFFER_KINDS)}.")
    meets = {k: tuple(v) for k, v in data.get("meets", {}).items()}
    for need_kind in NEED_KINDS:
        unknown = set(meets.get(need_kind, ())) - set(OFFER_KINDS)
        if need_kind not in meets or unknown:
            raise InvalidInput(f"{path}: [meets] must say which offer kinds meet {need_kind!r} "
                               f"(unknown: {', '.join(sorted(unknown)) or 'none given'}).")
    categories: dict[str, Category] = {}
    for raw in data.get("category", []):
        cat = Category(id=raw["id"], label=raw.get("label", raw["id"]), synonyms=tuple(raw.get("synonyms", ())),
                       related=tuple(raw.get("related", ())))
        if cat.id in categories:
            raise InvalidInput(f"{path}: category {cat.id!r} is defined twice.")
        categories[cat.id] = cat
    for cat in extra:
        old = categories.get(cat.id)
        if old is None:
            categories[cat.id] = Category(cat.id, cat.label or cat.id, cat.synonyms, cat.related, local=True)
        else:
            categories[cat.id] = Category(
                cat.id, cat.label or old.label, tuple(dict.fromkeys(old.synonyms + cat.synonyms)),
                tuple(dict.fromkeys(old.related + cat.related)), local=True)
    for cat in categories.values():
        strangers = [r for r in cat.related if r not in categories]
        if strangers:
            raise InvalidInput(f"Vocabulary category {cat.id!r} is related to unknown {', '.join(strangers)}.")
    # Relations go both ways: if a meets b at half strength, b meets a.
    related: dict[str, list[str]] = {c: list(cat.related) for c, cat in categories.items()}
    for c, cat in categories.items():
        for r in cat.related:
            if c not in related[r]:
                related[r].append(c)
    categories = {c: Category(cat.id, cat.label, cat.synonyms, tuple(related[c]), cat.local)
                  for c, cat in categories.items()}
    distance = {k: float(v) for k, v in data.get("distance_half_m", {}).items()}
    if set(distance) != set(NEED_KINDS) or any(v <= 0 for v in distance.values()):
        raise InvalidInput(f"{path}: [distance_half_m] must give a distance above 0 m for every kind of need.")
    units = {k: tuple(v) for k, v in data.get("units", {}).items()}
    return Vocabulary(categories=categories, meets=meets, distance_half_m=distance, units=units, language=language)


def load(store: Store) -> Vocabulary:
    """The store's vocabulary: the shipped file with the store's own terms laid over it."""
    return from_file(language=store.meta("language") or "en", extra=_store_categories(store))


def add_terms(store: Store, category: str, *, label: str | None = None, synonyms: Sequence[str] = (),
              related: Sequence[str] = (), added_by: str) -> Category:
    """Add a category to this store's vocabulary, or synonyms and relations to one it has.

    Refused, with nothing written, when a synonym already belongs to another category or
    a related category does not exist."""
    category = (category or "").strip().lower()
    if not _CATEGORY_ID.match(category):
        raise InvalidInput(f"Category {category!r}: use lower-case letters, digits and hyphens, such as "
                           "'bike-repair'.")
    if not (added_by or "").strip():
        raise InvalidInput("Say who is adding to the vocabulary.")
    clean = [s.strip() for s in synonyms if s and s.strip()]
    for term in [*clean, *([label] if label else [])]:
        reason = words.garbled(term)
        if reason:
            raise InvalidInput(f"Vocabulary term {term!r}: {reason}.")
    current = load(store)
    if category not in current.categories and not (label or "").strip():
        raise InvalidInput(f"{category!r} is a new category: give it a label people will read.")
    row = store.con.execute(
        "SELECT label, synonyms, related FROM vocabulary_terms WHERE category = ?", [category]
    ).fetchone()
    merged_synonyms = list(dict.fromkeys([*(row[1] if row else []), *clean]))
    merged_related = list(dict.fromkeys([*(row[2] if row else []), *(r.strip() for r in related if r.strip())]))
    new_label = (label or "").strip() or (row[0] if row else None)
    extra = [c for c in _store_categories(store) if c.id != category]
    extra.append(Category(category, new_label or "", tuple(merged_synonyms), tuple(merged_related), local=True))
    vocabulary = from_file(language=current.language, extra=extra)  # raises on clashes, before writing
    now = utc_now()
    with store.transaction():
        if row is None:
            store.con.execute(
                "INSERT INTO vocabulary_terms VALUES (?, ?, ?, ?, ?, ?)",
                [category, new_label, merged_synonyms, merged_related, added_by.strip(), now],
            )
        else:
            store.con.execute(
                "UPDATE vocabulary_terms SET label = ?, synonyms = ?, related = ?, added_by = ?, added_at = ? "
                "WHERE category = ?",
                [new_label, merged_synonyms, merged_related, added_by.strip(), now, category],
            )
    return vocabulary.categories[category]


def _store_categories(store: Store) -> list[Category]:
    """The store's own terms, oldest first (a later term extends an earlier one)."""
    rows = store.rows(
        "SELECT category, label, synonyms, related FROM vocabulary_terms ORDER BY added_at, category"
    )
    return [Category(id=r["category"], label=r["label"] or "", synonyms=tuple(r["synonyms"]),
                     related=tuple(r["related"]), local=True) for r in rows]

