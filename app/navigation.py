"""The app's pages, and which of them the menu lists for a viewer (each page checks the
viewer again for itself, since a link can name any page)."""

from __future__ import annotations

from dataclasses import dataclass

from atlas.access import Permission, Viewer


@dataclass(frozen=True)
class PageSpec:
    section: str
    path: str
    title: str
    icon: str
    needs: Permission | None = None
    """What the viewer must be allowed to do to see it in the menu; None: everyone."""


PAGES = (
    PageSpec("Atlas", "app/pages/atlas_map.py", "Atlas map", ":material/map:"),
    PageSpec("Atlas", "app/pages/site_explorer.py", "Site explorer", ":material/radar:"),
    PageSpec("Linking", "app/pages/matches.py", "Matches", ":material/handshake:", Permission.PLAN),
    PageSpec("Linking", "app/pages/tenant_finder.py", "Tenant finder", ":material/storefront:",
             Permission.FIND_TENANTS),
    PageSpec("Plans", "app/pages/plan_sketcher.py", "Plan sketcher", ":material/draw:", Permission.PLAN),
    PageSpec("Plans", "app/pages/workshop.py", "Workshop", ":material/groups:"),
    PageSpec("Plans", "app/pages/site_dossier.py", "Site dossier", ":material/folder_open:", Permission.PLAN),
    PageSpec("Insights", "app/pages/market_report.py", "Market report", ":material/insights:"),
    PageSpec("Insights", "app/pages/anchor_spend.py", "Anchor spend", ":material/payments:", Permission.PLAN),
    PageSpec("Data", "app/pages/asset_register.py", "Asset register", ":material/edit_location_alt:",
             Permission.EDIT_REGISTER),
    PageSpec("Data", "app/pages/admin.py", "Admin", ":material/admin_panel_settings:", Permission.ADMINISTER),
)
SIGN_IN = "app/pages/sign_in.py"


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages the menu lists for ``viewer``, in menu order, the sign-in page last."""
    shown = [p for p in PAGES if p.needs is None or viewer.can(p.needs)]
    if viewer.signed_in:
        return [*shown, PageSpec("You", SIGN_IN, "Sign out", ":material/logout:")]
    return [*shown, PageSpec("You", SIGN_IN, "Sign in", ":material/login:")]
