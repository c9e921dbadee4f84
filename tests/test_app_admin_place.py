"""The admin page's "The place" tab in AppTest: the place's name, default language,
currency and macro thresholds, changed once and seen at once by every session (issue 13).
What the page reports is checked against the store's own rows, classified here
independently of atlas.classify."""

from __future__ import annotations

import math

from streamlit.testing.v1 import AppTest

from app import state
from atlas import i18n, open_store
from tests.app_fixtures import APP_TIMEOUT_S, ROOT, no_exception

GURDWARA = "Guru Nanak Gurdwara, Smethwick"  # 10 employees, 300,000 a year, no land: micro at 1,000,000
SPEND = 100_000.0
EMPLOYEES, LAND_HA = 250, 5.0  # the demo's thresholds, left as they are


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def stored(path) -> dict[int, dict]:
    """Every asset's measures and classification, read from the store itself."""
    state.close_all()  # the app lets go of the store, as it does when stopped
    with open_store(path, read_only=True) as store:
        rows = store.con.execute(
            "SELECT id, name, employees, annual_spend, land_ha, scale, scale_reason FROM assets").fetchall()
    names = ("id", "name", "employees", "spend", "land", "scale", "reason")
    return {r[0]: dict(zip(names, r, strict=True)) for r in rows}


def over(value: float | None, threshold: float) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value > threshold


def expected_scale(asset: dict) -> str:
    macro = (over(asset["employees"], EMPLOYEES) or over(asset["spend"], SPEND) or over(asset["land"], LAND_HA))
    return "macro" if macro else "micro"


def scale_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Scale: "))


def test_new_currency_and_spend_threshold_reach_every_session(run_page, demo_store_path):
    before = stored(demo_store_path)
    want = {i: expected_scale(a) for i, a in before.items()}
    changed_want = sum(want[i] != a["scale"] for i, a in before.items())
    assert changed_want > 0  # the test means something: 100,000 turns some micro assets macro
    gurdwara = next(i for i, a in before.items() if a["name"] == GURDWARA)
    assert before[gurdwara]["scale"] == "micro"

    other = run_page("asset_register", demo_store_path)  # a second session, open before the change
    other.selectbox(key="reg_asset").select(gurdwara).run()
    assert "micro" in scale_caption(other)

    admin = run_page("admin", demo_store_path)
    no_exception(admin)
    admin.text_input(key="admin.currency").input("EUR")
    admin.number_input(key="admin.spend").set_value(SPEND)
    button(admin, "Save and reclassify every asset").click().run()
    no_exception(admin)
    assert any(f": {changed_want} assets changed scale." in s.value for s in admin.success), \
        [s.value for s in admin.success]
    # The place's settings, as the page now states them.
    assert any("counts money in EUR" in m.value and "€100,000 spend a year" in m.value for m in admin.markdown)

    # The same session, on the register: the asset's reason names the new currency and amount.
    admin.switch_page("app/pages/asset_register.py").run()
    admin.selectbox(key="reg_asset").select(gurdwara).run()
    no_exception(admin)
    assert "macro" in scale_caption(admin) and "€300,000 a year" in scale_caption(admin)

    # The session opened before the change sees it on its next run.
    other.run()
    no_exception(other)
    assert "macro" in scale_caption(other) and "€300,000 a year" in scale_caption(other)
    stale = next(d.value for d in other.dataframe if "Last checked" in d.value.columns)
    by_name = {a["name"]: want[i] for i, a in before.items()}
    assert dict(zip(stale["Name"], stale["Scale"], strict=True)) == {n: by_name[n] for n in stale["Name"]}

    after = stored(demo_store_path)
    assert {i: a["scale"] for i, a in after.items()} == want
    assert all("£" not in a["reason"] for a in after.values())
    spenders = {i for i, a in before.items() if over(a["spend"], SPEND)}
    assert {i for i, a in after.items() if "spends €" in a["reason"]} == spenders


def test_default_language_reaches_a_fresh_session(run_page, demo_store_path):
    # A session open before the change, in the default (English) without choosing: the
    # language is settled once per run, so its next run must work it out again.
    before = run_page("sign_in", demo_store_path, role=None)
    assert before.selectbox(key="language_choice").value == "en"
    admin = run_page("admin", demo_store_path)
    admin.selectbox(key="admin.language").select("de")
    button(admin, "Save and reclassify every asset").click().run()
    no_exception(admin)
    # The session made the change without choosing a language: it reads the new default now.
    saved = i18n.translator("de").gettext(
        "Saved. The thresholds and currency are as they were, so no asset changed scale.")
    assert any(s.value == saved for s in admin.success), [s.value for s in admin.success]

    before.run()
    no_exception(before)
    assert before.selectbox(key="language_choice").value == "de"
    assert before.selectbox(key="language_choice").label == i18n.translator("de").gettext("Language")
    assert i18n.translator("de").gettext("Sign in") in [t.value for t in before.title]

    # A fresh session: no browser language (AppTest sends none) and nothing chosen.
    fresh = run_page("sign_in", demo_store_path, role=None)
    no_exception(fresh)
    assert fresh.selectbox(key="language_choice").value == "de"
    # Numbers and money of a fresh admin session are written the German way.
    fresh_admin = run_page("admin", demo_store_path)
    german = i18n.translator("de").money(1_000_000, "GBP")
    assert german.startswith("1.000.000")
    assert any(german in m.value for m in fresh_admin.markdown), [m.value for m in fresh_admin.markdown]

    # A browser that asks for a language we have still gets its own.
    browser = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=APP_TIMEOUT_S)
    browser.context["locale"] = "fr-FR"  # run_page set ATLAS_DB for the process
    browser.switch_page("app/pages/sign_in.py")
    browser.run()
    no_exception(browser)
    assert browser.selectbox(key="language_choice").value == "fr"

    state.close_all()
    with open_store(demo_store_path, read_only=True) as store:
        assert store.settings.language == "de"


def test_a_wrong_currency_changes_nothing(run_page, demo_store_path):
    before = stored(demo_store_path)
    admin = run_page("admin", demo_store_path)
    admin.text_input(key="admin.currency").input("E1")
    admin.number_input(key="admin.spend").set_value(SPEND)
    button(admin, "Save and reclassify every asset").click().run()
    assert any("E1" in e.value and "ISO 4217" in e.value for e in admin.error)
    assert {i: a["scale"] for i, a in stored(demo_store_path).items()} == {i: a["scale"] for i, a in before.items()}
