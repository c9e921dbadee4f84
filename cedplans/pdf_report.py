"""The plan report as a PDF (A4), laid out with reportlab in the reports' shared style
(:mod:`cedplans.pdf_layout`, which escapes every string a person typed), in the report's
language."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, SimpleDocTemplate, Spacer

from atlas.models import value_label
from cedplans.html_report import FIXED_VALUES, when, zone_size
from cedplans.pdf_layout import Layout
from cedplans.report import PlanReport
from cedplans.templates_env import report_translator


def render_pdf(report: PlanReport, *, epsg: int, language: str | None = None) -> bytes:
    """The report as PDF bytes, in ``language`` (None: the language it was built in)."""
    tr = report_translator(language, report.language)
    _ = tr.gettext

    def value(v: str | None) -> str:
        return value_label(tr, v, FIXED_VALUES)

    layout = Layout(rtl=tr.rtl)
    p, table = layout.p, layout.table
    plan, v = report.plan, report.version

    saved = _("Status: {status}. Version {version}, saved by {author} on {when} UTC.").format(
        status=value(plan.status), version=tr.number(v.version), author=v.author, when=when(tr, v.saved_at))
    story: list = [
        p(plan.title, "title"),
        p(saved + (f" {report.place}." if report.place else ""), "small"),
    ]
    if plan.site_name:
        story.append(p(_("Site: {site}").format(site=plan.site_name)))
    story += [Spacer(1, 3 * mm), Image(io.BytesIO(report.map_png), width=170 * mm, height=95.2 * mm),
              p(_("Left: the site and its zones, numbered as in the zones table. Right: macro and micro assets "
                  "within {distance}; partners are ringed (those further away are listed under "
                  "Partners).").format(distance=tr.distance_m(report.radius_m)), "small")]
    if plan.macro_focus:
        story += [p(_("The opportunity"), "h2"),
                  table([_("Macro asset"), _("Kind"), _("Problem or opportunity")],
                        [[f.asset_name, value(f.kind), f.text] for f in plan.macro_focus], [50, 30, 90])]
    story += [p(_("Vision"), "h2"), p(plan.vision or _("No vision written yet."))]
    for i, o in enumerate(plan.objectives, 1):
        story.append(p(f"{tr.number(i)}. {o}"))
    story.append(p(_("Partners"), "h2"))
    story.append(table([_("Organisation"), _("Role"), _("Scale"), _("Note")],
                       [[r.partner.asset_name, value(r.partner.role), value(r.scale), r.partner.note]
                        for r in report.partners],
                       [55, 30, 17, 68]) if report.partners else p(_("No partners yet.")))
    story.append(p(_("Zones"), "h2"))
    story.append(table([_("No."), _("Zone"), _("Use"), _("Size"), _("Description")],
                       [[tr.number(n), z.label, value(z.use), zone_size(tr, z), z.description]
                        for n, z in enumerate(plan.zones, 1)],
                       [10, 42, 28, 22, 68]) if plan.zones else p(_("No zones drawn yet.")))
    story.append(p(_("Actions"), "h2"))
    story.append(table([_("What"), _("Who"), _("By when"), _("Status")],
                       [[a.what, a.who, tr.date(a.by_when) if a.by_when else "", value(a.status)]
                        for a in plan.actions], [70, 50, 25, 25]) if plan.actions else p(_("No actions yet.")))
    story.append(p(_("Indicators"), "h2"))
    story.append(table([_("Indicator"), _("Target"), _("Actual")],
                       [[value(i.name) + (f" ({i.unit})" if i.unit and i.unit.upper() != report.currency.upper()
                                          else ""),
                         report.indicator_text(i, i.target, tr), report.indicator_text(i, i.actual, tr)]
                        for i in plan.indicators], [90, 40, 40]) if plan.indicators else p(_("No indicators yet.")))
    story.append(p(_("Workshop ideas"), "h2"))
    story.append(table([_("Votes"), _("Idea"), _("Category"), _("From"), _("Where")],
                       [[tr.number(r.idea.votes), r.idea.text, value(r.idea.category), r.idea.by, r.place]
                        for r in report.ideas],
                       [13, 72, 22, 25, 38]) if report.ideas else p(_("No workshop ideas yet.")))
    if report.hidden_ideas:
        story.append(p(_("{count} contribution(s) hidden by moderators (kept on record with the reason).").format(
            count=tr.number(report.hidden_ideas)), "small"))
    if report.others_nearby:
        story += [p(_("Who else is nearby"), "h2"),
                  p(_("Assets within {distance} that are not yet partners.").format(
                      distance=tr.distance_m(report.radius_m)), "small"),
                  table([_("Asset"), _("Scale"), _("Category"), _("Distance")],
                        [[a.name, value(a.scale), a.category or "", tr.distance_m(a.distance_m)]
                         for a in report.others_nearby[:15]],
                        [80, 20, 45, 25])]
    walking = report.walking_section(tr)
    if walking is not None:
        story += [p(walking.title, "h2"), *(p(line, "small") for line in walking.lines)]
        if walking.rows:
            story.append(table(walking.header, walking.rows, [62, 20, 63, 25]))
        elif walking.empty:
            story.append(p(walking.empty))
    story += [Spacer(1, 4 * mm),
              p(_("Report made by Asset Atlas on {when} UTC. Areas and distances are measured in "
                  "EPSG:{epsg}.").format(when=when(tr, report.generated_at), epsg=epsg), "small")]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=plan.title, author=v.author, subject=_("CED plan"),
                            creator="Asset Atlas", lang=tr.code)
    doc.build(story)
    return buf.getvalue()
