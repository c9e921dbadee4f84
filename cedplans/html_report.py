"""The plan report as one self-contained HTML file (the map is embedded), ready to print.

Every string a person typed passes through Jinja2's autoescaping, so a title or an idea
holding ``<script>`` is shown as text and never run.
"""

from __future__ import annotations

import base64

from cedplans.colours import zone_colour
from cedplans.report import PlanReport
from cedplans.templates_env import TEMPLATES


def render_html(report: PlanReport, *, epsg: int) -> str:
    """The report as an HTML document."""
    template = TEMPLATES.get_template("report.html.j2")
    return template.render(
        plan=report.plan, version=report.version, partners=report.partners, ideas=report.ideas,
        hidden_ideas=report.hidden_ideas, others_nearby=report.others_nearby, currency=report.currency,
        place=report.place, radius_m=report.radius_m, generated_at=report.generated_at, epsg=epsg,
        map_b64=base64.b64encode(report.map_png).decode("ascii"),
        zone_colour=zone_colour, indicator_text=report.indicator_text,
    )
