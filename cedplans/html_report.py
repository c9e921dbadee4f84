"""The plan report as one self-contained HTML file (the map is embedded), ready to print.

Every string a person typed passes through Jinja2's autoescaping, so a title or an idea
holding ``<script>`` is shown as text and never run. The report's own words come from the
catalogue of its language (``{% trans %}`` in the template).
"""

from __future__ import annotations

import base64
from datetime import datetime

from atlas.i18n import Translator
from atlas.models import value_label
from cedplans.colours import zone_colour
from cedplans.model import (
    ACTION_STATUSES,
    FOCUS_KINDS,
    IDEA_CATEGORIES,
    PARTNER_ROLES,
    PLAN_STATUSES,
    STANDARD_INDICATORS,
    ZONE_USES,
    Zone,
)
from cedplans.report import PlanReport
from cedplans.templates_env import render, report_translator

FIXED_VALUES = frozenset((*PLAN_STATUSES, *FOCUS_KINDS, *PARTNER_ROLES, *ZONE_USES, *ACTION_STATUSES,
                          *STANDARD_INDICATORS, *IDEA_CATEGORIES))
"""Stored values of the plan's fixed lists, shown in the reader's language."""


def when(tr: Translator, moment: datetime) -> str:
    """A date and time in the reader's way of writing dates (the time on the 24-hour clock)."""
    return f"{tr.date(moment, form='long')} {moment:%H:%M}"


def zone_size(tr: Translator, zone: Zone) -> str:
    """A zone's size for people: an area, a length, or "a point"."""
    if zone.area_m2:
        return tr.area_m2(zone.area_m2)
    if zone.length_m:
        return tr.gettext("{length} long").format(length=tr.distance_m(zone.length_m))
    return tr.gettext("a point")


def render_html(report: PlanReport, *, epsg: int, language: str | None = None) -> str:
    """The report as an HTML document, in ``language`` (None: the language it was built in)."""
    tr = report_translator(language, report.language)
    return render(
        "report.html.j2", tr,
        plan=report.plan, version=report.version, partners=report.partners, ideas=report.ideas,
        hidden_ideas=report.hidden_ideas, others_nearby=report.others_nearby, currency=report.currency,
        place=report.place, radius_m=report.radius_m, epsg=epsg,
        map_b64=base64.b64encode(report.map_png).decode("ascii"),
        zone_colour=zone_colour, indicator_text=report.indicator_text,
        status=value_label(tr, report.plan.status, FIXED_VALUES),
        value=lambda v: value_label(tr, v, FIXED_VALUES),
        zone_size=lambda z: zone_size(tr, z),
        saved_on=when(tr, report.version.saved_at), generated_on=when(tr, report.generated_at),
        walking=report.walking_section(tr),
    )
