"""The command line speaks the place's language (issue 13): ``--language CODE`` before the
command, else ``$ATLAS_LANGUAGE``, else the store's default language (``atlas settings
--language``), else English; numbers in that language's way; JSON unchanged.

Messages are checked against the catalogue itself (``atlas.i18n.translator('de')``), so the
tests hold whether or not a message is translated yet; a small German catalogue written for
the test shows the words really change, and the help with them."""

from __future__ import annotations

import json

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from click.testing import CliRunner

from atlas import i18n
from atlas_cli import main

WITHIN = "Within {radius} m of {site}:"
SITE = "Edgbaston Reservoir"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={"ATLAS_LANGUAGE": "", **(env or {})},
                              catch_exceptions=False)


def _within(code: str, radius_m: float) -> str:
    tr = i18n.translator(code)
    return tr.gettext(WITHIN).format(radius=tr.number(radius_m), site=SITE)


def _nearby(db, *options: str, env: dict[str, str] | None = None) -> str:
    out = run(*options, "nearby", SITE, "--radius", "1600", "--db", str(db), env=env)
    assert out.exit_code == 0, out.output
    return out.output


def test_the_language_comes_from_the_option_the_environment_or_the_place(demo_store_path):
    english = _nearby(demo_store_path)
    assert english.startswith(_within("en", 1600)) and english.startswith("Within 1,600 m of")
    assert _nearby(demo_store_path, "--language", "de").startswith(_within("de", 1600))
    assert _nearby(demo_store_path, env={"ATLAS_LANGUAGE": "de_DE.UTF-8"}).startswith(_within("de", 1600))

    assert run("settings", "--language", "de", "--db", str(demo_store_path)).exit_code == 0
    assert _nearby(demo_store_path).startswith(_within("de", 1600))  # the place's language now
    assert _nearby(demo_store_path, "--language", "en").startswith(_within("en", 1600))  # the option wins
    assert _nearby(demo_store_path, "--language", "fr",
                   env={"ATLAS_LANGUAGE": "en"}).startswith(_within("fr", 1600))


def test_numbers_are_written_the_languages_way_and_json_stays_data(demo_store_path):
    english = json.loads(run("info", "--format", "json", "--db", str(demo_store_path)).output)
    german = run("--language", "de", "info", "--format", "json", "--db", str(demo_store_path))
    assert json.loads(german.output) == english
    table = run("--language", "de", "info", "--db", str(demo_store_path)).output
    de = i18n.translator("de")
    assert de.number(english["extent"][0], digits=5) in table  # -1,99250: a decimal comma
    assert "," in de.number(english["extent"][0], digits=5)


def test_an_unknown_language_is_refused(demo_store_path):
    out = run("--language", "xx", "info", "--db", str(demo_store_path))
    assert out.exit_code == 2 and "--language" in out.output and "xx" in out.output


@pytest.fixture
def german_catalogue(tmp_path, monkeypatch):
    """A German catalogue of a few CLI messages in place of the real ones, for this test."""
    catalog = Catalog(locale="de")
    catalog.add(WITHIN, "Im Umkreis von {radius} m um {site}:")
    catalog.add("Error: {message}", "Fehler: {message}")
    catalog.add("The place's default language: en, de, fr, es, it, nl, pl, ar or ur.",
                "Die Standardsprache des Ortes: en, de, fr, es, it, nl, pl, ar oder ur.")
    folder = tmp_path / "locales" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as f:
        write_po(f, catalog)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    i18n._translations.cache_clear()
    yield catalog
    i18n._translations.cache_clear()


def test_a_translated_message_is_printed_in_german(demo_store_path, german_catalogue):
    assert run("settings", "--language", "de", "--db", str(demo_store_path)).exit_code == 0
    german = _nearby(demo_store_path)
    assert german.startswith("Im Umkreis von 1.600 m um Edgbaston Reservoir:")
    assert german.startswith(_within("de", 1600)) and not german.startswith(_within("en", 1600))
    assert _nearby(demo_store_path, "--language", "de").startswith("Im Umkreis von 1.600 m")
    assert _nearby(demo_store_path, "--language", "en").startswith("Within 1,600 m of")

    refused = run("settings", "--employees", "-1", "--db", str(demo_store_path))
    assert refused.exit_code == 2 and "Fehler: --employees" in refused.output

    help_text = run("--language", "de", "settings", "--help").output
    assert "Die Standardsprache des Ortes" in help_text and "--db" in help_text
    assert "The place's default language" in run("--language", "en", "settings", "--help").output
