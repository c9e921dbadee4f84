"""The app's pages, and which of them the menu lists for a viewer (each page checks the
viewer again for itself, since a link can name any page)."""

from __future__ import annotations

from dataclasses import dataclass

from atlas.access import Permission, Viewer
from atlas.i18n import N_


@dataclass(frozen=True)
class PageSpec:
    section: str
    path: str
    title: str
    """In English, marked for the catalogue; translated where the menu is drawn."""
    icon: str
    needs: Permission | None = None

    @property
    def url_path(self) -> str:
        """The page's address, the same in every language: ``app/pages/workshop.py`` is
        ``/workshop``."""
        return self.path.rsplit("/", 1)[-1].removesuffix(".py")
    """What the viewer must be allowed to do to see it in the menu; None: everyone."""


PAGES = (
    PageSpec(N_("Atlas"), "app/pages/atlas_map.py", N_("Atlas map"), ":material/map:"),
    PageSpec(N_("Atlas"), "app/pages/site_explorer.py", N_("Site explorer"), ":material/radar:"),
    PageSpec(N_("Linking"), "app/pages/matches.py", N_("Matches"), ":material/handshake:", Permission.PLAN),
    PageSpec(N_("Linking"), "app/pages/tenant_finder.py", N_("Tenant finder"), ":material/storefront:",
             Permission.FIND_TENANTS),
    PageSpec(N_("Plans"), "app/pages/plan_sketcher.py", N_("Plan sketcher"), ":material/draw:", Permission.PLAN),
    PageSpec(N_("Plans"), "app/pages/workshop.py", N_("Workshop"), ":material/groups:"),
    PageSpec(N_("Plans"), "app/pages/site_dossier.py", N_("Site dossier"), ":material/folder_open:", Permission.PLAN),
    PageSpec(N_("Insights"), "app/pages/market_report.py", N_("Market report"), ":material/insights:"),
    PageSpec(N_("Insights"), "app/pages/anchor_spend.py", N_("Anchor spend"), ":material/payments:", Permission.PLAN),
    PageSpec(N_("Data"), "app/pages/asset_register.py", N_("Asset register"), ":material/edit_location_alt:",
             Permission.EDIT_REGISTER),
    PageSpec(N_("Data"), "app/pages/admin.py", N_("Admin"), ":material/admin_panel_settings:", Permission.ADMINISTER),
)
SIGN_IN = "app/pages/sign_in.py"


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages the menu lists for ``viewer``, in menu order, the sign-in page last."""
    shown = [p for p in PAGES if p.needs is None or viewer.can(p.needs)]
    if viewer.signed_in:
        return [*shown, PageSpec(N_("You"), SIGN_IN, N_("Sign out"), ":material/logout:")]
    return [*shown, PageSpec(N_("You"), SIGN_IN, N_("Sign in"), ":material/login:")]
