"""WCAG 2.1 AA in headless Chromium: axe-core on every page of the app, in its main states.

axe-core comes from npm (``node_modules/axe-core``, see package.json) and is put into the
page and into each of its frames (the Leaflet maps live in component iframes), then run
once from the top document with its ``iframes`` option, so a map's markers and legend are
checked with the page around them. The rules are WCAG 2.0/2.1 level A and AA
(``wcag2a``, ``wcag2aa``, ``wcag21a``, ``wcag21aa``).

Each page's full results go to ``test-artifacts/axe/<page>.json`` and a table of all of
them to ``test-artifacts/axe/summary.md``. A page fails when axe finds a violation of
impact *serious* or *critical*; the message names the rule, its impact, the elements
(CSS selectors; a map's elements as ``iframe selector >> selector inside the map``), what
to fix and the rule's help page. Moderate and minor findings are in the artefacts.

Three people visit, one browser session each (the pages are opened one after another in
it, as a person would): a visitor (who ends by joining a workshop with its code), an
officer and an admin (who may edit the register and administer the atlas).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser_fixtures import ARTIFACTS, ROOT, WorkshopApp, app_with_open_workshop, local_page, settle, sign_in

pytestmark = pytest.mark.browser

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_DIR = ARTIFACTS / "axe"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")
"""Impacts that fail a page (axe's scale: minor, moderate, serious, critical)."""
WORKSHOP_PLAN = "Holy Trinity"
"""A word of the demo plan the workshop is opened on (and the plan sketcher shows)."""
TARGETS_SHOWN = 8
"""Elements listed per rule in a failure message (the JSON artefact has them all)."""


@dataclass(frozen=True)
class PageCase:
    """A page in one of its main states: who opens it and at which address."""

    name: str
    """The artefact's name: ``test-artifacts/axe/<name>.json``."""
    role: str
    """``visitor`` (not signed in), or a demo account: ``officer``, ``admin``."""
    path: str
    """The address after the app's URL; ``{plan}`` and ``{code}`` are filled in."""

    def __str__(self) -> str:
        return self.name


CASES = (
    PageCase("atlas_map", "visitor", ""),
    PageCase("site_explorer", "visitor", "site_explorer"),  # Edgbaston Reservoir is chosen at first
    PageCase("market_report", "visitor", "market_report"),
    PageCase("sign_in", "visitor", "sign_in"),
    # Last for the visitor: the code makes them a participant of that plan's workshop.
    PageCase("workshop", "visitor", "workshop?code={code}"),
    PageCase("matches", "officer", "matches"),
    PageCase("tenant_finder", "officer", "tenant_finder"),
    PageCase("plan_sketcher", "officer", "plan_sketcher?plan={plan}"),
    PageCase("workshop_officer", "officer", "workshop?plan={plan}&show_code=1"),  # the code for the projector
    PageCase("site_dossier", "officer", "site_dossier"),  # Port Loop historic building at first
    PageCase("anchor_spend", "officer", "anchor_spend"),
    PageCase("asset_register", "admin", "asset_register"),
    PageCase("admin", "admin", "admin"),
)

FRAMES_READY_JS = """() => Array.from(document.querySelectorAll('iframe')).every(f => {
    const d = f.contentDocument;
    if (!d || d.readyState !== 'complete') return false;
    // A streamlit-folium map is ready once Leaflet has drawn it in its frame.
    return !(f.src || '').includes('streamlit_folium') || !!d.querySelector('.leaflet-container');
})"""

RUN_AXE_JS = """async (tags) => {
    // Each same-origin frame has axe too; axe asks them over postMessage (iframes: true).
    const results = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, iframes: true, resultTypes: ['violations'],
        elementRef: false, pingWaitTime: 2000,
    });
    return JSON.parse(JSON.stringify(results));
}"""


Visit = WorkshopApp


@pytest.fixture(scope="module")
def visit(chromium_path, _demo_store_file, tmp_path_factory) -> Iterator[Visit]:
    """The app on a copy of the demo store in which a workshop is open on a plan."""
    with app_with_open_workshop(_demo_store_file, tmp_path_factory.mktemp("axe"), WORKSHOP_PLAN) as app:
        shutil.rmtree(AXE_DIR, ignore_errors=True)
        AXE_DIR.mkdir(parents=True)
        yield app


@pytest.fixture(scope="module")
def sessions(browser, visit: Visit) -> Iterator[Callable[[str], Any]]:
    """One browser session per role, made when first needed and kept for the module:
    ``sessions(role)`` is that role's page."""
    pages: dict[str, Any] = {}

    def page_for(role: str) -> Any:
        if role not in pages:
            page = local_page(browser, visit.server, width=1400, height=1000)
            if role != "visitor":
                sign_in(page, visit.server, role)
            pages[role] = page
        return pages[role]

    yield page_for
    for page in pages.values():
        page.context.close()


@pytest.fixture(scope="module")
def summary(visit: Visit) -> Iterator[dict[str, dict]]:
    """Each page's results, written as a table when the module is done (and after each page)."""
    results: dict[str, dict] = {}
    yield results
    write_summary(results)


def run_axe(page) -> dict:
    """axe's results for the page and every frame in it."""
    for frame in page.frames:  # the top document first, then each frame (maps, components)
        if not frame.is_detached() and not frame.evaluate("() => !!window.axe"):
            frame.add_script_tag(path=str(AXE_JS))
    return page.evaluate(RUN_AXE_JS, WCAG_TAGS)


def open_case(page, visit: Visit, case: PageCase) -> None:
    page.goto(visit.server.page_url(case.path.format(plan=visit.plan_id, code=visit.code)))
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           ".getAttribute('data-test-script-state') !== 'initial'", timeout=90_000)
    settle(page)
    page.wait_for_function(FRAMES_READY_JS, timeout=90_000)
    settle(page)  # a map's first report may start one more run


def blocking(results: dict) -> list[dict]:
    return [v for v in results["violations"] if v.get("impact") in BLOCKING]


def target_text(target: list) -> str:
    """A node's target: a selector, or a frame's selector >> the selector inside it."""
    return " >> ".join(t if isinstance(t, str) else " ".join(t) for t in target)


def describe(case: PageCase, violations: list[dict], url: str) -> str:
    lines = [f"{case.name} ({case.role}, {url}): {len(violations)} serious or critical axe-core violation(s); "
             f"full results in {AXE_DIR.relative_to(ROOT)}/{case.name}.json"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} element(s)) {v['helpUrl']}")
        for node in v["nodes"][:TARGETS_SHOWN]:
            fix = (node.get("failureSummary") or "").replace("\n", " ").strip()
            lines.append(f"    {target_text(node['target'])}\n      html: {node['html'][:200]}\n      {fix[:300]}")
        if len(v["nodes"]) > TARGETS_SHOWN:
            lines.append(f"    ... and {len(v['nodes']) - TARGETS_SHOWN} more")
    return "\n".join(lines)


def write_summary(results: dict[str, dict]) -> None:
    rows = ["# axe-core results (WCAG 2.1 A and AA)", "",
            f"axe-core {next(iter(results.values()))['results']['testEngine']['version'] if results else '?'}; "
            f"tags {', '.join(WCAG_TAGS)}. Serious and critical violations fail the test.", "",
            "| page | role | critical | serious | moderate | minor | rules (impact: elements) |",
            "|---|---|---:|---:|---:|---:|---|"]
    for name, entry in results.items():
        violations = entry["results"]["violations"]
        count = {impact: sum(len(v["nodes"]) for v in violations if v.get("impact") == impact)
                 for impact in ("critical", "serious", "moderate", "minor")}
        rules = ", ".join(f"{v['id']} ({v['impact']}: {len(v['nodes'])})" for v in violations) or "none"
        rows.append(f"| {name} | {entry['role']} | {count['critical']} | {count['serious']} | "
                    f"{count['moderate']} | {count['minor']} | {rules} |")
    (AXE_DIR / "summary.md").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_page_has_no_serious_or_critical_axe_violations(case: PageCase, visit: Visit, sessions, summary):
    page = sessions(case.role)
    open_case(page, visit, case)
    assert page.locator('[data-testid="stException"]').count() == 0, f"{case.name}: the page raised an error"
    results = run_axe(page)
    (AXE_DIR / f"{case.name}.json").write_text(json.dumps(results, indent=1))
    page.screenshot(path=str(AXE_DIR / f"{case.name}.png"))
    summary[case.name] = {"role": case.role, "results": results}
    write_summary(summary)
    bad = blocking(results)
    if bad:
        pytest.fail(describe(case, bad, page.url), pytrace=False)


def test_axe_sees_inside_the_map_frames(visit: Visit, sessions):
    """The check reaches into the maps: every frame that holds a Leaflet map has elements
    in axe's results (a map whose frame axe could not enter would otherwise pass unchecked)."""
    page = sessions("officer")
    open_case(page, visit, CASES[0])
    maps = page.evaluate("""() => Array.from(document.querySelectorAll('iframe'))
        .filter(f => f.contentDocument && f.contentDocument.querySelector('.leaflet-container')).length""")
    assert maps >= 1, "the Atlas map page shows no map"
    for frame in page.frames:
        if not frame.is_detached() and not frame.evaluate("() => !!window.axe"):
            frame.add_script_tag(path=str(AXE_JS))
    frames_checked = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: true});
        const inside = [...r.passes, ...r.violations, ...r.incomplete].flatMap(rule => rule.nodes)
            .filter(n => n.target.length > 1).map(n => JSON.stringify(n.target[0]));
        return new Set(inside).size;
    }""", WCAG_TAGS)
    assert frames_checked >= maps, (
        f"axe-core checked elements in {frames_checked} of the {maps} map frame(s): it must be put into each frame")


FOCUS_JS = """() => { const e = document.activeElement; if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    return {tag: e.tagName, text: (e.innerText || e.getAttribute('aria-label') || '').slice(0, 40),
            style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""


def test_keyboard_focus_is_outlined_in_the_menu_and_the_page(visit: Visit, sessions):
    """WCAG 2.4.7: each of the first stops of the Tab key (the menu's links, the language
    switcher, the page's first controls) shows an outline at least 2 px wide."""
    page = sessions("admin")
    open_case(page, visit, CASES[-1])
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # Tab from the top
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_JS)
        if focus is not None:
            seen.append(focus)
    assert seen, "the Tab key reached nothing"
    faint = [f for f in seen if f["style"] == "none" or f["width"] < 2]
    assert not faint, f"elements reached by Tab without a visible outline (2 px or more): {faint}"


def test_the_menu_script_survives_streamlits_sanitiser():
    """DOMPurify (inside ``st.html``) drops a script whose text has a "<" followed by a
    letter, "/" or "!" (its SAFE_FOR_XML rule): the menu's fix would silently not run."""
    import re

    from app import accessibility

    body = accessibility.MENU_SCRIPT.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert not re.search(r"<[/\w!]", body)
