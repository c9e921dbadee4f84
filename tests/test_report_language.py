"""The reports people read (plan report HTML and PDF, site dossier, market report) in the
reader's language: their headings from the catalogue, their figures in the language's
way of writing numbers and money, and the place's default language when none is asked for.

Catalogues are filled while the code grows, so a heading is checked against what the
German catalogue says for it (its English while untranslated); one test reads with a
pseudo-catalogue that changes every message, which shows that each heading is looked up.
"""

from __future__ import annotations

import io

import pypdf
import pytest
from babel.support import NullTranslations
from markupsafe import escape as html_text

from atlas import i18n, place_settings
from atlas.i18n import translator
from cedplans import dossier_exports, exports, repository
from cedplans.demo import EDGBASTON_TITLE
from cedplans.dossier import build_dossier
from cedplans.html_report import render_html as plan_html
from cedplans.insights.areas import resolve_area
from cedplans.insights.market import market_report
from cedplans.insights.market_csv import render_csv
from cedplans.insights.market_html import render_html as market_html
from cedplans.insights.market_pdf import render_pdf as market_pdf
from cedplans.pdf_report import render_pdf as plan_pdf
from cedplans.report import build_report
from tests.test_market_report import AS_OF
from tests.test_market_report import build as build_market

PORT_LOOP = "Port Loop historic building"
PLAN_HEADINGS = ("Vision", "Partners", "Zones", "Actions", "Indicators", "Workshop ideas", "Who else is nearby")


def flat(text: str) -> str:
    """Text with every run of white space (the no-break spaces in numbers too) as one space."""
    return " ".join(text.split())


def pdf_words(data: bytes) -> str:
    return flat(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages))


def plan_id(store, title: str) -> int:
    return next(p.id for p in repository.list_plans(store) if p.title == title)


def test_the_plan_report_in_german_and_in_the_places_french(demo_store, tmp_path):
    de, fr = translator("de"), translator("fr")
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    report = build_report(demo_store, pid, language="de")
    assert report.language == "de"
    html = plan_html(report, epsg=demo_store.metric_epsg)
    assert '<html lang="de" dir="ltr">' in html
    text = flat(html)
    for heading in PLAN_HEADINGS:
        assert f"<h2>{de.gettext(heading)}</h2>" in text, heading
    # The plan's money indicator (£50,000 in English) as German writes it.
    assert flat(de.money(50_000, "GBP")) == "50.000 £"
    assert "50.000 £" in text and "£50,000" not in text
    pdf = pdf_words(plan_pdf(report, epsg=demo_store.metric_epsg))
    for heading in PLAN_HEADINGS:
        assert flat(de.gettext(heading)) in pdf, heading
    assert "50.000 £" in pdf and EDGBASTON_TITLE in pdf  # the plan's own words stay as typed

    # Asked for no language, the report is in the place's default language.
    place_settings.set_language(demo_store, "fr", by="test")
    report = build_report(demo_store, pid)
    assert report.language == "fr"
    html = plan_html(report, epsg=demo_store.metric_epsg)
    assert '<html lang="fr"' in html and flat(fr.money(50_000, "GBP")) in flat(html)
    assert flat(fr.gettext("Partners")) in flat(html)
    # ... and a language asked for wins over the place's.
    english = exports.export(demo_store, pid, tmp_path / "plan.html", "html", language="en")
    assert "£50,000" in english.read_text(encoding="utf-8")


def test_the_dossier_in_german_and_in_the_places_french(demo_store):
    de, fr = translator("de"), translator("fr")
    d = build_dossier(demo_store, PORT_LOOP, language="de")
    assert d.language == "de" and d.area_m2 is not None
    html = dossier_exports.render_html(d)
    assert '<html lang="de"' in html
    text = flat(html)
    for heading in ("The site", "Plans and community evidence", "Matches that involve the site or its owner",
                    "Officers' notes"):
        assert f"<h2>{html_text(de.gettext(heading))}</h2>" in text, heading
    hectares = de.number(d.area_m2 / 10_000, digits=2)
    area = flat(f"{de.number(d.area_m2)} m² ({hectares} ha)")
    assert "," in hectares and area in text  # 718 m² (0,07 ha), not (0.07 ha)
    assert flat(de.gettext("Macro (anchor) assets nearby: within {radius} m").format(radius="800")) in text
    pdf = pdf_words(dossier_exports.render_pdf(d))
    assert flat(de.gettext("The site")) in pdf and area in pdf
    assert PORT_LOOP in pdf

    place_settings.set_language(demo_store, "fr", by="test")
    d = build_dossier(demo_store, PORT_LOOP)
    assert d.language == "fr"
    sections = dossier_exports.sections(d)
    facts = dict(sections[0].rows)
    assert facts[fr.gettext("Area")].startswith(fr.number(d.area_m2))


@pytest.fixture
def market_store(empty_store):
    build_market(empty_store)
    return empty_store


def test_the_market_report_in_german_and_in_the_places_french(market_store):
    de, fr = translator("de"), translator("fr")
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF, language="de")
    html = market_html(report)
    assert '<html lang="de"' in html
    text = flat(html)
    assert flat(de.gettext("How the figures are made")) in text
    assert f'<h2 id="type">{de.gettext("Organisations by type")}</h2>' in text
    assert f'<h2 id="anchor_spend">{de.gettext("What anchors buy: spend by category")}</h2>' in text
    assert "430.000 £" in text and "£430,000" not in text  # the anchors' spend, as German writes it
    assert flat(de.date(AS_OF, form="long")) in text
    pdf = pdf_words(market_pdf(report))
    assert flat(de.gettext("How the figures are made")) in pdf and "430.000 £" in pdf
    # The CSV keeps its column names in every language; its titles are the report's.
    assert render_csv(report).splitlines()[0] == "area,as_of,table,title,group,count,value,unit,currency,detail"
    assert de.gettext("Organisations by type") in render_csv(report)

    place_settings.set_language(market_store, "fr", by="test")
    report = market_report(market_store, resolve_area(market_store), as_of=AS_OF)
    assert report.language == "fr"
    text = flat(market_html(report))
    assert flat(fr.money(430_000, "GBP")) in text and flat(fr.date(AS_OF, form="long")) in text


class _Marked(NullTranslations):
    """A pseudo-catalogue: every message comes back in «guillemets»."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"«{singular if n == 1 else plural}»"


def test_every_heading_of_the_plan_report_is_looked_up_in_the_catalogue(demo_store, monkeypatch):
    real = i18n._translations
    monkeypatch.setattr(i18n, "_translations", lambda code: _Marked() if code == "de" else real(code))
    report = build_report(demo_store, plan_id(demo_store, EDGBASTON_TITLE), language="de")
    html = flat(plan_html(report, epsg=demo_store.metric_epsg))
    for heading in (*PLAN_HEADINGS, "Organisation", "Role", "Votes", "Idea", "Target", "Actual"):
        assert f"«{heading}»" in html, heading
    assert "«Report made by Asset Atlas on" in html
    pdf = pdf_words(plan_pdf(report, epsg=demo_store.metric_epsg))
    for heading in PLAN_HEADINGS:
        assert f"«{heading}»" in pdf, heading
