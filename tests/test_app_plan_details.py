"""Details a new user tripped on in the plan sketcher (issue 13, item 5), and the pages of
plans, matches, tenants and dossiers read in other languages.

The picker's label: Streamlit keeps a selectbox's choice in the browser by its label, and
sends the label again only when the choice is set. A save or a restore changes the chosen
plan's label (its version), so the page must set the choice again for the browser to show
the new label: the tests read what the page sends (``set_value`` and ``raw_value``), which
is what the browser displays.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app import state
from atlas import i18n
from cedplans import repository
from tests.app_fixtures import no_exception
from tests.test_app_plans import (  # noqa: F401 - app_store and demo_app are fixtures used by name
    SKETCHER,
    app_store,
    demo_app,
    demo_plan,
    open_sketcher,
    prefix,
    run,
    save_as,
    store_now,
)


def picker_shows(at: AppTest) -> str:
    """The label the browser shows in the plan picker after this run."""
    picker = at.selectbox(key="sk.plan")
    assert picker.proto.set_value, "the picker's label changed but the browser was not sent it"
    return picker.proto.raw_value


def label_of(plan_id: int) -> str:
    summary = next(p for p in repository.list_plans(store_now()) if p.id == plan_id)
    return f"{summary.title} · {summary.status} · version {summary.version}"


@pytest.mark.usefixtures("demo_app")
def test_the_plan_picker_shows_the_new_version_after_a_save_and_a_restore():
    plan = demo_plan("Holy Trinity")
    assert plan.id is not None
    at = open_sketcher(plan.id)
    assert picker_shows(at) == label_of(plan.id) and label_of(plan.id).endswith(f"version {plan.version}")

    at.text_input(key=f"{prefix(at)}.title").input("Holy Trinity co-working hub")
    save_as(at)
    assert picker_shows(at) == f"Holy Trinity co-working hub · draft · version {plan.version + 1}"
    assert at.selectbox(key="sk.plan").value == plan.id

    at.selectbox(key=f"sk.{plan.id}.restore_pick").set_value(plan.version)
    at.button(key=f"sk.{plan.id}.restore").click().run()
    no_exception(at)
    assert picker_shows(at) == f"{plan.title} · draft · version {plan.version + 2}"
    assert at.selectbox(key="sk.plan").value == plan.id

    # A run that changes nothing leaves the browser's choice alone.
    at.run()
    assert not at.selectbox(key="sk.plan").proto.set_value


@pytest.fixture
def empty_engine_app(monkeypatch, store_path):
    """The app on an empty store, on each engine (closed after the test)."""
    monkeypatch.setenv("ATLAS_DB", str(store_path))
    monkeypatch.setenv("ATLAS_DEMO", "0")
    state.close_all()
    yield store_path
    state.close_all()


@pytest.mark.usefixtures("empty_engine_app")
def test_the_name_typed_when_starting_a_plan_is_in_the_save_box():
    at = run(SKETCHER)
    at.text_input(key="sk.new.title").input("Pop-up market on the car park")
    at.text_input(key="sk.author.new").input("Ana")
    at.button[0].click().run()  # the form's only button: "Start the plan"
    no_exception(at)
    assert at.text_input(key="sk.author.main").value == "Ana"
    # It stays there across reruns, and a save is recorded under it.
    plan_id = at.selectbox(key="sk.plan").value
    assert isinstance(plan_id, int)
    at.text_area(key=f"{prefix(at)}.vision").input("Stalls for local makers").run()
    assert at.text_input(key="sk.author.main").value == "Ana"
    at.button(key=f"{prefix(at)}.save").click().run()
    no_exception(at)
    assert repository.list_versions(store_now(), plan_id)[0].author == "Ana"


@pytest.mark.usefixtures("demo_app")
def test_a_name_typed_for_a_new_plan_replaces_one_typed_before():
    plan = demo_plan("Holy Trinity")
    assert plan.id is not None
    at = open_sketcher(plan.id)
    at.text_input(key="sk.author.main").input("Old name").run()
    at.selectbox(key="sk.plan").set_value(0).run()
    at.text_input(key="sk.new.title").input("Repair cafe")
    at.text_input(key="sk.author.new").input("Bea")
    at.button[0].click().run()
    no_exception(at)
    assert at.selectbox(key="sk.plan").value != plan.id
    assert at.text_input(key="sk.author.main").value == "Bea"


# -- the pages in other languages -------------------------------------------------------------

LANGUAGES = ("de", "fr", "pl")
HEADINGS = {
    "plan_sketcher": "Plan sketcher",
    "site_dossier": "Site dossier",
    "tenant_finder": "Saved shortlists",
    "matches": "Decisions taken",
    "asset_register": "Whose needs and offers",  # the needs and offers editor, a tab of the register
}
"""One heading (or label) of each page, shown through ``_()``."""


class _Filled:
    """A language's real catalogue, with a stand-in (``‹de› Plan sketcher``) for a heading
    the catalogue does not translate yet, so the test shows that the page asks for its
    words in the session's language whether or not the translators have got there."""

    def __init__(self, real, code: str) -> None:
        self.real, self.code = real, code

    def gettext(self, message: str) -> str:
        found = self.real.gettext(message)
        if found == message and message in HEADINGS.values():
            return f"‹{self.code}› {message}"
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.real.ngettext(singular, plural, n)


@pytest.fixture
def filled_catalogues(monkeypatch):
    real = i18n._translations
    monkeypatch.setattr(i18n, "_translations", lambda code: _Filled(real(code), code))


def words_shown(at: AppTest) -> list[str]:
    """Titles, headers and widget labels the page drew."""
    shown = [e.value for e in (*at.title, *at.header, *at.subheader)]
    shown += [w.proto.label for kind in ("selectbox", "text_input", "toggle", "radio") for w in at.get(kind)]
    return shown


@pytest.mark.parametrize("page", list(HEADINGS))
def test_each_page_runs_in_german_french_and_polish(run_page, demo_store_path, filled_catalogues, page):
    heading = HEADINGS[page]
    for code in LANGUAGES:
        at = run_page(page, demo_store_path, session={"language": code})
        assert not at.exception, (code, [e.value for e in at.exception])
        if page == "tenant_finder":  # the results, with their numbers and money, in the language
            at.button(key="ten.find").click().run()
            assert not at.exception, (code, [e.value for e in at.exception])
        shown = words_shown(at)
        translated = i18n.translator(code).gettext(heading)
        assert translated != heading and translated in shown, (code, shown)
        assert heading not in shown, (code, shown)
