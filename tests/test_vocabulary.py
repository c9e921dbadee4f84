"""The shared vocabulary of needs and offers (atlas/vocabulary.toml, atlas.vocabulary):
the shipped file, its synonyms and relations, the kinds and which meet which, a store's
own extensions, and that an extension changes what the matcher sees.

The file is also read here with tomllib directly, so the checks of [kinds] and [meets]
do not rest on the loader they are checking.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from atlas import needs_offers, open_store, register, vocabulary
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput
from atlas.models import NEED_KINDS, OFFER_KINDS
from atlas.needs_offers import NeedOfferDraft
from cedplans.matching import MatchIndex

SHIPPED = tomllib.loads(vocabulary.VOCABULARY_FILE.read_text(encoding="utf-8"))
BIKE = {"label": "Bike repair", "synonyms": ["bicycle repairs", "bike mechanics"], "related": ["transport"]}


@pytest.fixture(scope="module")
def shipped() -> vocabulary.Vocabulary:
    return vocabulary.from_file()


def _split(cell: str) -> list[str]:
    return [t.strip() for t in cell.split(";") if t.strip()]


def _demo_tags(file: str, columns: tuple[str, ...]) -> set[str]:
    with (DEMO_DIR / file).open(newline="", encoding="utf-8") as fh:
        return {t for row in csv.DictReader(fh) for c in columns for t in _split(row[c])}


def _unmapped(voc: vocabulary.Vocabulary, tags: set[str]) -> list[str]:
    """Tags that neither name a category as a whole nor mention one."""
    return sorted(t for t in tags if voc.category_of(t) is None and not voc.categories_in(t))


def vocabulary_rows(store) -> list[tuple]:
    return store.con.execute("SELECT * FROM vocabulary_terms ORDER BY category").fetchall()


# -- the shipped file -------------------------------------------------------------------------

def test_the_shipped_file_loads_with_its_categories(shipped):
    assert set(shipped.categories) == {c["id"] for c in SHIPPED["category"]}
    assert len(shipped.categories) >= 40
    assert shipped.label("clinical-staff") == "Clinical staff"
    assert not any(c.local for c in shipped.categories.values()), "nothing shipped is marked as the store's own"


def test_every_tag_of_the_demo_assets_maps_to_a_category(shipped):
    tags = _demo_tags("assets.csv", ("offers", "needs"))
    assert len(tags) >= 25, "the demo's assets do carry tags"
    assert _unmapped(shipped, tags) == []


def test_every_tag_of_the_demo_needs_and_offers_maps_to_a_category(shipped):
    tags = _demo_tags("needs.csv", ("tags",)) | _demo_tags("offers.csv", ("tags",))
    assert len(tags) >= 100
    assert _unmapped(shipped, tags) == []


def test_no_term_is_written_in_two_categories_of_the_file():
    """Read with tomllib alone: the loader's own clash check is tested further down."""
    owner: dict[str, str] = {}
    clashes = []
    for cat in SHIPPED["category"]:
        for term in {cat["id"].replace("-", " "), cat["label"], *cat.get("synonyms", [])}:
            key = " ".join(term.casefold().replace("-", " ").split())
            if owner.setdefault(key, cat["id"]) != cat["id"]:
                clashes.append((term, owner[key], cat["id"]))
    assert clashes == []


@pytest.mark.parametrize("term", ["doctors", "pharmacists", "medical qualifications", "Refugee doctors", "NURSES"])
def test_clinical_staff_synonyms_are_one_category(shipped, term):
    assert shipped.category_of(term) == shipped.category_of("clinical staff") == "clinical-staff"


@pytest.mark.parametrize("term", ["meeting room", "hall", "Community Hall", "church hall"])
def test_community_space_synonyms_are_one_category(shipped, term):
    assert shipped.category_of(term) == shipped.category_of("community space") == "community-space"


def test_co_working_is_related_to_community_space_but_not_the_same(shipped):
    space, work = shipped.category_of("community space"), shipped.category_of("co-working")
    assert work == "workspace" != space
    assert work in shipped.related(space) and space in shipped.related(work)


@pytest.mark.parametrize(("one", "other"), [("Doctors", "doctor"), ("Meeting rooms", "meeting room"),
                                            ("Café", "cafe"), ("VOLUNTEERING", "volunteers")])
def test_case_accents_and_word_endings_do_not_matter(shipped, one, other):
    assert shipped.category_of(one) == shipped.category_of(other) is not None


def test_the_longest_phrase_wins(shipped):
    found = shipped.categories_in("a sports hall for the youth club")
    assert found == ["sports-space", "youth-work"]
    assert "community-space" not in found, "'hall' inside 'sports hall' is not a community hall"
    assert shipped.categories_in("a hall for the youth club") == ["community-space", "youth-work"]


def test_relations_go_both_ways_even_where_the_file_states_one(shipped):
    stated = {(c["id"], r) for c in SHIPPED["category"] for r in c.get("related", [])}
    one_way = [(a, b) for a, b in stated if (b, a) not in stated]
    assert one_way, "the file does state some relations one way only"
    for a, b in one_way:
        assert a in shipped.related(b)


def test_units_have_canonical_names(shipped):
    assert [shipped.unit(u) for u in ("sqm", "M2", " square metres ", "FTE", "hrs a week", "parsecs", None)] == [
        "m²", "m²", "m²", "people", "hours a week", None, None]


# -- kinds and [meets] ------------------------------------------------------------------------------

def test_kinds_in_the_file_are_the_kinds_the_store_holds():
    assert tuple(SHIPPED["kinds"]["need"]) == NEED_KINDS
    assert tuple(SHIPPED["kinds"]["offer"]) == OFFER_KINDS


def test_meets_lists_every_need_kind_with_only_offer_kinds(shipped):
    meets = SHIPPED["meets"]
    assert set(meets) == set(NEED_KINDS)
    assert all(meets[k] and set(meets[k]) <= set(OFFER_KINDS) for k in NEED_KINDS)
    for need_kind in NEED_KINDS:
        for offer_kind in OFFER_KINDS:
            assert shipped.can_meet(need_kind, offer_kind) == (offer_kind in meets[need_kind])
    assert shipped.can_meet("space", "space") and not shipped.can_meet("space", "land")


# -- a broken file ------------------------------------------------------------------------------------

def _broken(tmp_path: Path, extra: str, replace: tuple[str, str] | None = None) -> Path:
    text = vocabulary.VOCABULARY_FILE.read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "vocabulary.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_a_term_in_two_categories_is_refused_naming_it(tmp_path):
    path = _broken(tmp_path, '\n[[category]]\nid = "locums"\nlabel = "Locums"\nsynonyms = ["locums", "Doctors"]\n')
    with pytest.raises(InvalidInput, match=r"puts 'Doctors' in two categories \(clinical-staff and locums\)"):
        vocabulary.from_file(path)


def test_a_relation_to_a_category_that_does_not_exist_is_refused(tmp_path):
    path = _broken(tmp_path, '\n[[category]]\nid = "locums"\nlabel = "Locums"\nrelated = ["jobs", "no-such-thing"]\n')
    with pytest.raises(InvalidInput, match="'locums' is related to unknown no-such-thing"):
        vocabulary.from_file(path)


def test_a_category_defined_twice_is_refused(tmp_path):
    path = _broken(tmp_path, '\n[[category]]\nid = "transport"\nlabel = "Transport again"\n')
    with pytest.raises(InvalidInput, match="category 'transport' is defined twice"):
        vocabulary.from_file(path)


def test_kinds_or_meets_out_of_step_with_the_store_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match=r"\[kinds\] must list exactly"):
        vocabulary.from_file(_broken(tmp_path, "", ('"funding", "volunteers", "other"]', '"funding", "other"]')))
    with pytest.raises(InvalidInput, match=r"\[meets\] must say which offer kinds meet 'space' \(unknown: rooms\)"):
        vocabulary.from_file(_broken(tmp_path, "", ('space = ["space"]', 'space = ["space", "rooms"]')))


def test_an_unreadable_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "vocabulary.toml"
    path.write_text("[kinds\nneed = ", encoding="utf-8")
    with pytest.raises(InvalidInput, match=f"The vocabulary file {path} cannot be read"):
        vocabulary.from_file(path)


# -- a store's own terms ----------------------------------------------------------------------------------

def test_a_category_added_to_the_store_is_known_when_it_is_loaded(empty_store):
    assert vocabulary.load(empty_store).category_of("bike mechanics") is None
    cat = vocabulary.add_terms(empty_store, "bike-repair", added_by="Test", **BIKE)
    assert (cat.id, cat.label, cat.local) == ("bike-repair", "Bike repair", True)
    voc = vocabulary.load(empty_store)
    for term in ("bike-repair", "Bike repair", "bicycle repairs", "Bike Mechanics"):
        assert voc.category_of(term) == "bike-repair", term
    assert voc.categories_in("Bicycle repairs for families") == ["bike-repair"], "longer than plain 'repairs'"
    assert "transport" in voc.related("bike-repair") and "bike-repair" in voc.related("transport")
    assert vocabulary.from_file().category_of("bike mechanics") is None, "the shipped file is not changed"
    [(category, label, synonyms, related, added_by, _at)] = vocabulary_rows(empty_store)
    assert (category, label, synonyms, related, added_by) == (
        "bike-repair", "Bike repair", ["bicycle repairs", "bike mechanics"], ["transport"], "Test")


def test_synonyms_added_to_a_shipped_category_keep_its_own(empty_store):
    vocabulary.add_terms(empty_store, "transport", synonyms=["cargo bikes"], added_by="Test")
    voc = vocabulary.load(empty_store)
    assert voc.category_of("cargo bikes") == voc.category_of("minibus") == "transport"
    assert voc.label("transport") == "Transport" and voc.categories["transport"].local


def test_adding_again_merges_rather_than_replaces(empty_store):
    vocabulary.add_terms(empty_store, "bike-repair", added_by="Test", **BIKE)
    vocabulary.add_terms(empty_store, "bike-repair", synonyms=["puncture repairs"], added_by="Other")
    voc = vocabulary.load(empty_store)
    assert {voc.category_of(t) for t in ("bike mechanics", "puncture repairs")} == {"bike-repair"}
    assert voc.label("bike-repair") == "Bike repair"
    assert len(vocabulary_rows(empty_store)) == 1


@pytest.mark.parametrize(("category", "kwargs", "message"), [
    ("bike-repair", {"label": "Bike repair", "synonyms": ["bike mechanics", "doctors"]},
     "puts 'doctors' in two categories"),
    ("bike-repair", {"synonyms": ["bike mechanics"]}, "'bike-repair' is a new category: give it a label"),
    ("bike-repair", {"label": "Bike repair", "related": ["cycle-lanes"]}, "related to unknown cycle-lanes"),
    ("Bike Repair!", {"label": "Bike repair"}, "use lower-case letters, digits and hyphens"),
    ("bike-repair", {"label": "Bike repair", "synonyms": ["bicycle repairs\x07"]}, "control characters"),
    ("bike-repair", {"label": "Bike repair", "added_by": " "}, "Say who"),
])
def test_a_bad_extension_is_refused_and_writes_nothing(empty_store, category, kwargs, message):
    vocabulary.add_terms(empty_store, "cargo", label="Cargo bikes", added_by="Test")
    before = vocabulary_rows(empty_store)
    with pytest.raises(InvalidInput, match=message):
        vocabulary.add_terms(empty_store, category, **({"added_by": "Test"} | kwargs))
    assert vocabulary_rows(empty_store) == before
    assert vocabulary.load(empty_store).category_of("bike mechanics") is None


def test_a_synonym_of_another_store_category_is_refused(empty_store):
    vocabulary.add_terms(empty_store, "bike-repair", added_by="Test", **BIKE)
    before = vocabulary_rows(empty_store)
    with pytest.raises(InvalidInput, match="'bike mechanics' in two categories"):
        vocabulary.add_terms(empty_store, "cycling-club", label="Cycling club", synonyms=["bike mechanics"],
                             added_by="Test")
    assert vocabulary_rows(empty_store) == before


# -- the command line -----------------------------------------------------------------------------------------

def _atlas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atlas_cli", *args], check=False, capture_output=True, text=True,
                          timeout=300)


def test_atlas_vocabulary_add_then_list_shows_the_new_category(store_path):
    with open_store(store_path):
        pass  # a fresh, empty atlas
    proc = _atlas("vocabulary", "add", "bike-repair", "--label", "Bike repair", "--synonym", "bicycle repairs",
                  "--synonym", "bike mechanics", "--related", "transport", "--author", "Test", "--db", str(store_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("bike-repair (Bike repair): 2 synonyms, related to transport")
    proc = _atlas("vocabulary", "list", "--format", "json", "--db", str(store_path))
    assert proc.returncode == 0, proc.stderr
    rows = {r["category"]: r for r in json.loads(proc.stdout)}
    assert rows["bike-repair"] == {"category": "bike-repair", "label": "Bike repair",
                                   "synonyms": ["bicycle repairs", "bike mechanics"], "related": ["transport"],
                                   "added here": "yes"}
    assert "bike-repair" in rows["transport"]["related"] and rows["transport"]["added here"] == ""
    assert len(rows) == len(SHIPPED["category"]) + 1


def test_atlas_vocabulary_add_with_a_clash_exits_2_and_writes_nothing(store_path):
    with open_store(store_path):
        pass
    proc = _atlas("vocabulary", "add", "locums", "--label", "Locums", "--synonym", "doctors", "--author", "Test",
                  "--db", str(store_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "'doctors' in two categories" in proc.stderr
    with open_store(store_path) as store:
        assert vocabulary_rows(store) == []


# -- what the matcher sees ----------------------------------------------------------------------------------------

def test_a_store_synonym_lets_the_matcher_pair_bike_mechanics_with_bicycle_repairs(demo_store):
    """Before the store knows the words, the need and the offer share no category and no
    word stem, so the matcher cannot pair them; after, they share 'Bike repair'."""
    workshop = register.add_asset(demo_store, register.AssetDraft(name="Ladywood Bike Kitchen", lon=-1.9290,
                                                                  lat=52.4800, sector="community"), by="test")
    school = register.add_asset(demo_store, register.AssetDraft(name="Ladywood Cycle Club", lon=-1.9300, lat=52.4810,
                                                                sector="community"), by="test")
    voc = vocabulary.load(demo_store)
    offer = needs_offers.add(demo_store, NeedOfferDraft(side="offer", asset_id=workshop, kind="services",
                                                        title="Bicycle repairs for families"),
                             by="Test", vocabulary=voc)
    need = needs_offers.add(demo_store, NeedOfferDraft(side="need", asset_id=school, kind="supply",
                                                       title="Someone to keep our fleet on the road",
                                                       tags=("bike mechanics",)),
                            by="Test", vocabulary=voc)
    before = MatchIndex.build(demo_store).for_need(need, top=100).matches
    assert offer not in {m.offer.id for m in before}

    vocabulary.add_terms(demo_store, "bike-repair", label="Bike repair", synonyms=["bicycle repairs", "bike mechanics"],
                         related=["transport"], added_by="Test")
    after = MatchIndex.build(demo_store).for_need(need, top=100).matches
    found = [m for m in after if m.offer.id == offer]
    assert found, "the store's own synonym makes a match"
    assert found[0].shared == ("Bike repair",) and found[0].components.vocabulary == pytest.approx(1.0)
    assert after[0].offer.id == offer, "sharing the category, a few hundred metres away: the best match"
