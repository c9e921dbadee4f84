"""Every page read in other languages (issue 13), through the real app with AppTest.

Each page is run in German, French and Polish (complete languages) and in Arabic (the
workshop's right-to-left language), as the role that may open it. Besides running without
an error, no word the catalogue translates may still be shown in English: every string the
page drew is compared with the catalogue, so a label the code forgot to mark is caught."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from app import navigation
from atlas import i18n, place_settings
from atlas.store import open_store
from tests.app_fixtures import no_exception

PAGES = [spec.path.rsplit("/", 1)[-1].removesuffix(".py") for spec in navigation.PAGES] + ["sign_in"]
LANGUAGES = ("de", "fr", "pl", "ar")


def _catalogue(code: str) -> dict[str, str]:
    with (i18n.LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=code)
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and isinstance(m.string, str)}


def _drawn(at) -> list[str]:
    """Every word the page drew for a person: headings, text, messages, widget labels and
    option labels, expander and tab labels, the menu's section and page titles."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "success", "info", "warning", "error"):
        out += [str(e.value) for e in at.get(kind)]
    for kind in ("text_input", "text_area", "button", "selectbox", "multiselect", "checkbox", "radio",
                 "number_input", "toggle", "date_input", "slider", "select_slider"):
        for e in at.get(kind):
            out.append(str(getattr(e, "label", "")))
            if getattr(e, "key", None) in DATA_WIDGETS:
                continue
            for option in getattr(e, "options", None) or ():
                out.append(str(option))
    for kind in ("expander", "tab"):
        out += [str(getattr(e, "label", "")) for e in at.get(kind)]
    out += [str(m.label) for m in at.get("metric")]
    return [s.strip() for s in out if s and s.strip()]


DATA_WIDGETS = {"admin.pick_user"}
"""Widgets whose options are data (account names), however much they look like words."""


def _left_in_english(at, code: str) -> list[str]:
    catalogue = _catalogue(code)
    # A word that is some message's translation is not left in English ("Data" is Polish
    # for "Date").
    translations = set(catalogue.values())
    return sorted({s for s in _drawn(at) if catalogue.get(s) and catalogue[s] != s and s not in translations})


def _role_for(page: str) -> str | None:
    spec = next((p for p in navigation.PAGES if p.path.endswith(f"/{page}.py")), None)
    return "admin" if spec is not None and spec.needs is not None else None


@pytest.mark.duckdb_only("the words a page shows do not depend on the engine; the place's language is read "
                         "from both engines below")
@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_other_languages_with_nothing_left_in_english(run_page, demo_store_path, page, code):
    at = run_page(page, demo_store_path, role=_role_for(page), session={"language": code})
    no_exception(at)
    switcher = at.sidebar.selectbox(key="language_choice")
    assert switcher.value == code
    complete_here = code in i18n.COMPLETE_LANGUAGES or page == "workshop"
    if complete_here:
        left = _left_in_english(at, code)
        assert not left, f"{page} in {code} still shows, in English: {left[:12]}"
    else:
        # Arabic and Urdu translate the workshop only: elsewhere the page says so and reads,
        # left to right, in the place's language.
        notice = i18n.translator(code).gettext(
            "This page is not translated into {language} yet; it is shown in {shown}.").format(
            language=i18n.LANGUAGES[code], shown=i18n.LANGUAGES["en"])
        assert notice in [c.value for c in at.sidebar.caption]
    right_to_left = any("direction: rtl" in str(e.proto.body) for e in at.get("html"))
    assert right_to_left == (i18n.is_rtl(code) and complete_here)


def test_the_language_chosen_stays_for_the_session_across_pages(run_page, demo_store_path):
    at = run_page("atlas_map", demo_store_path, role=None)
    assert at.sidebar.selectbox(key="language_choice").value == "en"
    at.sidebar.selectbox(key="language_choice").set_value("fr").run()
    no_exception(at)
    assert at.sidebar.selectbox(key="language_choice").label == i18n.translator("fr").gettext("Language")
    at.switch_page("app/pages/workshop.py").run()
    no_exception(at)
    assert at.sidebar.selectbox(key="language_choice").value == "fr"
    assert at.session_state["language"] == "fr"


def test_a_place_that_reads_german_opens_in_german(run_page, demo_store_path):
    store = open_store(demo_store_path)
    try:
        place_settings.set_language(store, "de", by="test")
    finally:
        store.close()
    at = run_page("workshop", demo_store_path, role=None)
    no_exception(at)
    assert at.sidebar.selectbox(key="language_choice").value == "de"
