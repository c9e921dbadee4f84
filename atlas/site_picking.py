"""Ways a person picks a site on a page: by clicking the map, or from a list.

Both give a :class:`~atlas.site_refs.SiteRef` (``asset:ID`` or ``feature:ID``) that
:func:`atlas.queries.resolve_site` turns into a :class:`~atlas.models.Site`.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from atlas.projection import WGS84, reproject
from atlas.site_refs import SiteKind, SiteRef
from atlas.store import Store


@dataclass(frozen=True)
class PlaceRef:
    """What lies at a clicked point: a stored asset or feature, by reference."""

    kind: SiteKind
    id: int
    name: str

    @property
    def ref(self) -> SiteRef:
        """The reference :func:`atlas.queries.resolve_site` takes."""
        return SiteRef(self.kind, self.id)


def what_is_here(store: Store, lon: float, lat: float, *, tolerance_m: float = 15.0) -> PlaceRef | None:
    """The asset within ``tolerance_m`` metres of a clicked point (the nearest), else the
    smallest feature containing or within ``tolerance_m`` of it, else None. Measured in the
    store's metric CRS."""
    if store.settings.metric_epsg is None:
        return None
    wkb = shapely.to_wkb(reproject(shapely.Point(lon, lat), WGS84, store.metric_epsg))
    found = store.records(
        PlaceRef,
        "SELECT 'asset' AS kind, a.id, a.name FROM assets a, (SELECT ST_GeomFromWKB(?) AS g) p "
        "WHERE ST_DWithin(a.geom_m, p.g, ?) ORDER BY ST_Distance(a.geom_m, p.g), a.id LIMIT 1",
        [wkb, tolerance_m],
    ) or store.records(
        PlaceRef,
        "SELECT 'feature' AS kind, a.id, coalesce(a.name, 'feature ' || a.id) AS name "
        "FROM features a, (SELECT ST_GeomFromWKB(?) AS g) p WHERE ST_DWithin(a.geom_m, p.g, ?) "
        "ORDER BY ST_Distance(a.geom_m, p.g), a.area_m2 NULLS LAST, a.id LIMIT 1",
        [wkb, tolerance_m],
    )
    return found[0] if found else None


@dataclass(frozen=True)
class SiteChoice:
    """A site to pick from a list: ``ref`` is what :func:`atlas.queries.resolve_site` takes."""

    ref: SiteRef
    label: str


def site_choices(store: Store, limit: int = 2_000) -> list[SiteChoice]:
    """Named sites and land first, then assets, each by name, at most ``limit`` of each."""
    features = store.con.execute(
        "SELECT id, name FROM features WHERE name IS NOT NULL ORDER BY name, id LIMIT ?", [limit]
    ).fetchall()
    assets = store.con.execute("SELECT id, name FROM assets ORDER BY name, id LIMIT ?", [limit]).fetchall()
    return ([SiteChoice(SiteRef("feature", i), f"Site · {n}") for i, n in features]
            + [SiteChoice(SiteRef("asset", i), f"Asset · {n}") for i, n in assets])
