"""Every word the code marks for translation is in every catalogue, translated (issue 13).

The messages are extracted from the code by Babel exactly as ``pybabel extract`` does with
``babel.cfg``; a message the code uses and a catalogue lacks (or leaves empty or fuzzy)
fails here, naming the language, the message and where the code uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from atlas import i18n

ROOT = Path(__file__).resolve().parent.parent


def _used_messages() -> dict[str, list[str]]:
    """msgid -> the files that use it, from the code as it is now."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    used: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "N_": None, "ngettext": (1, 2),
                                                          "gettext": None}):
        msgid = message[0] if isinstance(message, tuple) else message  # a plural is keyed by its singular
        if msgid:
            used.setdefault(msgid, []).append(filename.replace("\\", "/"))
    return used


USED = _used_messages()


def _catalogue(code: str) -> dict[str, object]:
    path = i18n.LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"{code}: no catalogue at {path}; run pybabel init (docs/translating.md)"
    with path.open("rb") as f:
        catalog = read_po(f, locale=code)
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def _missing(code: str, wanted: dict[str, list[str]]) -> list[str]:
    catalogue = _catalogue(code)
    missing = []
    for msgid, where in sorted(wanted.items()):
        entry = catalogue.get(msgid)
        strings = () if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{msgid!r} (used in {where[0]})")
    return missing


def test_the_code_marks_words_for_translation() -> None:
    # Guards the test itself: an extraction that finds nothing would pass every language.
    assert len(USED) > 300
    assert "Workshop" in USED and "Language" in USED


@pytest.mark.parametrize("code", [c for c in i18n.COMPLETE_LANGUAGES if c != i18n.SOURCE_LANGUAGE])
def test_complete_languages_translate_every_message(code: str) -> None:
    missing = _missing(code, USED)
    assert not missing, f"{code}: {len(missing)} messages untranslated, e.g. " + "; ".join(missing[:15])


@pytest.mark.parametrize("code", i18n.WORKSHOP_LANGUAGES)
def test_workshop_languages_translate_the_workshop(code: str) -> None:
    workshop = {m: w for m, w in USED.items() if any(f in i18n.WORKSHOP_SOURCES or f == "streamlit_app.py"
                                                      or f == "app/navigation.py" for f in w)}
    assert len(workshop) > 40
    missing = _missing(code, workshop)
    assert not missing, f"{code}: {len(missing)} workshop messages untranslated, e.g. " + "; ".join(missing[:15])


_PLACEHOLDER = re.compile(r"\{(\w*)\}|%\((\w+)\)s")  # Python's str.format, and Jinja's trans blocks


def _placeholders(text: str) -> list[str]:
    return [a or b for a, b in _PLACEHOLDER.findall(text)]


def test_placeholders_survive_translation() -> None:
    # A translation that drops or renames {count} would raise KeyError when shown.
    problems = []
    for code in (*i18n.COMPLETE_LANGUAGES[1:], *i18n.WORKSHOP_LANGUAGES):
        for msgid, entry in _catalogue(code).items():
            if isinstance(entry.id, tuple):
                # A plural form may name the count its English singular leaves out ("Within
                # the last month"), or leave it out (Arabic's form for one); it may not
                # bring a name the English never fills.
                allowed = set(_placeholders(entry.id[0])) | set(_placeholders(entry.id[1]))
                bad = [s for s in entry.string if s and not set(_placeholders(s)) <= allowed]
            else:
                bad = [entry.string] if entry.string and set(_placeholders(entry.string)) != set(
                    _placeholders(msgid)) else []
            problems += [f"{code}: {msgid!r} -> {s!r}" for s in bad]
    assert not problems, "; ".join(problems[:10])


def test_a_translated_message_is_shown_translated() -> None:
    assert i18n.translator("de").gettext("Workshop") != "Workshop" or _catalogue("de")["Workshop"].string == "Workshop"
    assert i18n.translator("xx").gettext("Workshop") == "Workshop"
