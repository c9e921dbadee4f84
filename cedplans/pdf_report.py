"""The plan report as a PDF (A4), laid out with reportlab in the reports' shared style
(:mod:`cedplans.pdf_layout`, which escapes every string a person typed)."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, SimpleDocTemplate, Spacer

from cedplans.pdf_layout import Layout
from cedplans.report import PlanReport


def render_pdf(report: PlanReport, *, epsg: int) -> bytes:
    """The report as PDF bytes."""
    layout = Layout()
    p, table = layout.p, layout.table
    plan, v = report.plan, report.version

    story: list = [
        p(plan.title, "title"),
        p(f"Status: {plan.status}. Version {v.version}, saved by {v.author} on "
          f"{v.saved_at.strftime('%d %B %Y %H:%M')} UTC." + (f" {report.place}." if report.place else ""), "small"),
    ]
    if plan.site_name:
        story.append(p(f"Site: {plan.site_name}"))
    story += [Spacer(1, 3 * mm), Image(io.BytesIO(report.map_png), width=170 * mm, height=95.2 * mm),
              p("Left: the site and its zones, numbered as in the zones table. Right: macro and micro assets "
                f"within {report.radius_m:,.0f} m; partners are ringed (those further away are listed under "
                "Partners).", "small")]
    if plan.macro_focus:
        story += [p("The opportunity", "h2"),
                  table(["Macro asset", "Kind", "Problem or opportunity"],
                        [[f.asset_name, f.kind, f.text] for f in plan.macro_focus], [50, 30, 90])]
    story += [p("Vision", "h2"), p(plan.vision or "No vision written yet.")]
    for i, o in enumerate(plan.objectives, 1):
        story.append(p(f"{i}. {o}"))
    story.append(p("Partners", "h2"))
    story.append(table(["Organisation", "Role", "Scale", "Note"],
                       [[r.partner.asset_name, r.partner.role, r.scale or "", r.partner.note] for r in report.partners],
                       [55, 30, 17, 68]) if report.partners else p("No partners yet."))
    story.append(p("Zones", "h2"))
    story.append(table(["No.", "Zone", "Use", "Size", "Description"],
                       [[n, z.label, z.use, z.size_text, z.description]
                        for n, z in enumerate(plan.zones, 1)],
                       [10, 42, 28, 22, 68]) if plan.zones else p("No zones drawn yet."))
    story.append(p("Actions", "h2"))
    story.append(table(["What", "Who", "By when", "Status"],
                       [[a.what, a.who, a.by_when.strftime("%d %b %Y") if a.by_when else "", a.status]
                        for a in plan.actions], [70, 50, 25, 25]) if plan.actions else p("No actions yet."))
    story.append(p("Indicators", "h2"))
    story.append(table(["Indicator", "Target", "Actual"],
                       [[i.name + (f" ({i.unit})" if i.unit and i.unit.upper() != report.currency.upper() else ""),
                         report.indicator_text(i, i.target), report.indicator_text(i, i.actual)]
                        for i in plan.indicators], [90, 40, 40]) if plan.indicators else p("No indicators yet."))
    story.append(p("Workshop ideas", "h2"))
    story.append(table(["Votes", "Idea", "Category", "From", "Where"],
                       [[r.idea.votes, r.idea.text, r.idea.category, r.idea.by, r.place] for r in report.ideas],
                       [13, 72, 22, 25, 38]) if report.ideas else p("No workshop ideas yet."))
    if report.hidden_ideas:
        story.append(p(f"{report.hidden_ideas} contribution(s) hidden by moderators (kept on record with the reason).",
                       "small"))
    if report.others_nearby:
        story += [p("Who else is nearby", "h2"),
                  p(f"Assets within {report.radius_m:,.0f} m that are not yet partners.", "small"),
                  table(["Asset", "Scale", "Category", "Distance"],
                        [[a.name, a.scale, a.category or "", f"{a.distance_m:,.0f} m"]
                         for a in report.others_nearby[:15]],
                        [80, 20, 45, 25])]
    story += [Spacer(1, 4 * mm),
              p(f"Report made by Asset Atlas on {report.generated_at.strftime('%d %B %Y %H:%M')} UTC. "
                f"Areas and distances are measured in EPSG:{epsg}.", "small")]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=plan.title, author=v.author, subject="CED plan",
                            creator="Asset Atlas")
    doc.build(story)
    return buf.getvalue()
