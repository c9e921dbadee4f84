"""``atlas init``, ``info``, ``nearby`` and ``search``: the store and its read queries from
the terminal, a thin layer over the library (see :mod:`atlas.cli_support` for the shared
options and error handling). The ``atlas`` command itself is composed in :mod:`atlas_cli`,
above this package and :mod:`cedplans`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from atlas import i18n, output, queries, settings
from atlas.cli_support import SITE, SiteCommand, cli_store, cli_translator, db_option, format_option, handle_errors
from atlas.errors import InvalidInput
from atlas.i18n import N_
from atlas.site_refs import SiteQuery

if TYPE_CHECKING:
    from atlas.ground.walking import WalkingNearby


@click.command()
@click.option("--metric-crs", "metric_epsg", type=int,
              help=N_("The EPSG code to measure in (for example 32737, UTM zone 37S); by default chosen by the "
                      "first import from where its rows lie."))
@db_option
@handle_errors
def init(metric_epsg: int | None, db: Path) -> None:
    """Create an empty atlas store (or upgrade an older one)."""
    with cli_store(db, create=True) as store:
        if metric_epsg is not None:
            store.set_metric_crs(metric_crs(metric_epsg))
        tr = cli_translator()
        click.echo(tr.gettext("Atlas store ready at {location} (schema {version}).").format(
            location=store.location, version=store.schema_version))


def metric_crs(epsg: int) -> int:
    """``epsg`` if it is a projected CRS measured in metres, else our error."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(epsg)
    except CRSError as exc:
        raise InvalidInput(cli_translator().gettext(
            "--metric-crs: EPSG:{epsg} is not a coordinate reference system pyproj knows.").format(epsg=epsg)) from exc
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise InvalidInput(cli_translator().gettext(
            "--metric-crs: EPSG:{epsg} ({name}) does not measure in metres; give a projected CRS such as the local "
            "UTM zone.").format(epsg=epsg, name=crs.name))
    return epsg


@click.command()
@db_option
@format_option
@handle_errors
def info(db: Path, fmt: str) -> None:
    """Counts, CRS, schema version and extent of the store."""
    with cli_store(db) as store:
        data = queries.info(store)
    if fmt == "json":
        click.echo(output.to_json(asdict(data)))
        return
    # The table is for people, in their language; CSV keeps the English labels (data).
    tr = cli_translator() if fmt == "table" else i18n.translator(i18n.SOURCE_LANGUAGE)
    rows = [
        {"what": tr.gettext("store"), "value": data.path},
        {"what": tr.gettext("place"), "value": data.place or ""},
        {"what": tr.gettext("schema version"), "value": str(data.schema_version)},
        {"what": tr.gettext("metric CRS"),
         "value": f"EPSG:{data.metric_epsg}" if data.metric_epsg else tr.gettext("not set yet")},
        {"what": tr.gettext("currency"), "value": data.currency},
        *({"what": tr.gettext(_COUNTED.get(k, k)), "value": tr.number(v)} for k, v in data.counts.items()),
        {"what": tr.gettext("extent (lon/lat)"),
         "value": ", ".join(tr.number(v, digits=5) for v in data.extent) if data.extent else ""},
    ]
    if fmt == "table":
        click.echo(output.table(rows, headers={"what": tr.gettext("what"), "value": tr.gettext("value")}))
    else:
        click.echo(output.render(rows, fmt))


_COUNTED = {"features": N_("features"), "assets": N_("assets"), "boundaries": N_("boundaries"),
            "macro_assets": N_("macro assets"), "micro_assets": N_("micro assets"), "open_needs": N_("open needs"),
            "open_offers": N_("open offers")}
"""The store's tables as ``atlas info`` names them for people (others as they are)."""


@click.command(cls=SiteCommand)
@click.argument("site", type=SITE)
@click.option("--radius", "radius_m", type=float, default=settings.DEFAULT_RADIUS_M, show_default=True,
              help=N_("Distance from the site's edge, in metres."))
@click.option("--all", "all_features", is_flag=True,
              help=N_("List every feature within the distance, not only the nearest (all are counted either way)."))
@click.option("--walk", "walk_min", type=float, metavar="MINUTES",
              help="List the assets within this many minutes' walk along streets and paths, with each one's walking "
                   "time and distance beside the straight line (needs a walking network: import an OpenStreetMap "
                   "extract). Without --radius, features are listed within the distance walked in that time.")
@click.option("--speed", "speed_kmh", type=float, metavar="KMH",
              help=f"Walking speed for --walk, in km/h. Default: the store's, else "
                   f"{settings.DEFAULT_WALKING_SPEED_KMH}.")
@db_option
@format_option
@handle_errors
def nearby(site: SiteQuery, radius_m: float, all_features: bool, walk_min: float | None, speed_kmh: float | None,
           db: Path, fmt: str) -> None:
    """Assets and features within RADIUS metres of SITE (a name, feature:ID, asset:ID or "lon,lat",
    such as -1.9585,52.4977): every asset, the nearest features, and every feature counted by kind and status.
    With --walk MINUTES, the assets within that walk, with walking times."""
    walking: WalkingNearby | None = None
    with cli_store(db, read_only=False) as store:
        if walk_min is not None:
            from atlas.ground import walking as walks  # networkx, loaded only for a walk

            speed = speed_kmh if speed_kmh is not None else walks.walking_speed(store)
            reach = walks.reach_m(walk_min, speed)
            if click.get_current_context().get_parameter_source("radius_m") is ParameterSource.DEFAULT:
                radius_m = reach
        elif speed_kmh is not None:
            raise InvalidInput("--speed goes with --walk MINUTES.")
        result = queries.nearby(store, site, radius_m,
                                limit=None if all_features else settings.NEARBY_FEATURE_LIMIT)
        if walk_min is not None:
            net = walks.load_network(store)
            if net is not None:
                walking = walks.walking_nearby(store, net, result.site, walk_min, speed)
    assets: list[dict[str, Any]] = [
        {"id": a.id, "name": a.name, "scale": a.scale, "sector": a.sector, "category": a.category,
         "distance_m": round(a.distance_m, 1), "wkt": a.wkt}
        for a in result.assets
    ]
    if walk_min is not None and walking is None:
        click.echo(f"{NO_NETWORK}; distances are straight lines.", err=True)
    elif walking is not None:
        assets = _walking_assets(walking)
    features = [
        {"id": f.id, "name": f.name, "kind": f.kind, "status": f.status, "area_m2": f.area_m2,
         "distance_m": round(f.distance_m, 1), "wkt": f.wkt}
        for f in result.features
    ]
    tr = cli_translator()
    listed = (tr.gettext("the nearest {shown} of {found} listed (--all lists every one)").format(
                  shown=tr.number(len(features)), found=tr.number(result.features_found))
              if result.features_truncated else tr.number(result.features_found))
    if fmt == "json":
        data: dict[str, object] = {
            "site": {"name": result.site.name, "wkt": result.site.wkt},
            "radius_m": result.radius_m, "assets": assets, "features": features,
            "features_found": result.features_found, "features_truncated": result.features_truncated,
            "feature_counts": [asdict(c) for c in result.feature_counts],
        }
        if walk_min is not None:
            data["walking"] = _walking_summary(walking)
            if walking is None:
                data["walking_note"] = f"{NO_NETWORK}; distances are straight lines."
        click.echo(output.to_json(data))
        return
    walk_columns = list(_WALK_FIELDS) if walking is not None else []
    if fmt == "csv":
        rows = [{"type": "asset", **a} for a in assets] + [{"type": "feature", **f} for f in features]
        click.echo(output.to_csv(rows, ["type", "id", "name", "scale", "sector", "category", "kind", "status",
                                        "distance_m", *walk_columns, "wkt"]))
        if result.features_truncated:
            click.echo(tr.gettext("Sites and land: {listed}.").format(listed=listed), err=True)
        return
    if walking is not None:
        click.echo("\n".join(_walking_lines(walking)) + "\n")
    else:
        click.echo(tr.gettext("Within {radius} m of {site}:").format(
            radius=tr.number(radius_m), site=result.site.name) + "\n")
    none = tr.gettext("(none)")
    asset_columns = (["walk_min", "walk_m", "distance_m", "snap_m", "name", "sector", "note", "id"]
                     if walking is not None else ["distance_m", "name", "sector", "category", "id"])
    for title, rows in ((tr.gettext("Macro assets ({count})"), [a for a in assets if a["scale"] == "macro"]),
                        (tr.gettext("Micro assets ({count})"), [a for a in assets if a["scale"] == "micro"])):
        click.echo(title.format(count=tr.number(len(rows))))
        if walking is not None:
            rows = [{**a, "note": _walk_note(a, walking.minutes)} for a in rows]
        click.echo(output.table(rows, asset_columns, none=none) + "\n")
    if walking is not None:
        click.echo(tr.gettext("Within {radius} m of {site}:").format(
            radius=tr.number(radius_m), site=result.site.name))
    click.echo(tr.gettext("Sites and land ({listed})").format(listed=listed))
    for field, by in (("kind", tr.gettext("  by kind: {counts}")), ("status", tr.gettext("  by status: {counts}"))):
        counts = " · ".join(f"{name} {tr.number(n)}" for name, n in result.features_by(field).items())
        if counts:
            click.echo(by.format(counts=counts))
    click.echo(output.table(features, ["distance_m", "name", "kind", "status", "id"], none=none))


NO_NETWORK = ("This atlas has no walking network (import an OpenStreetMap extract, or run "
              "atlas basemap build --from EXTRACT)")
_WALK_FIELDS = ("walk_m", "walk_min", "snap_m", "far_from_street", "within_walk")


def _walking_assets(walking: WalkingNearby) -> list[dict[str, Any]]:
    """The assets within the walk (nearest on foot first), then those within its straight
    line but a longer walk, with walk fields beside the straight-line distance."""
    rows = []
    for within, listed in ((True, walking.assets), (False, walking.beyond)):
        for a, w in listed:
            rows.append({
                "id": a.id, "name": a.name, "scale": a.scale, "sector": a.sector, "category": a.category,
                "distance_m": round(a.distance_m, 1),
                "walk_m": None if w.walk_m is None else round(w.walk_m, 1),
                "walk_min": None if w.walk_min is None else round(w.walk_min, 1),
                "snap_m": round(w.snap_m, 1), "far_from_street": w.far_from_street, "within_walk": within,
                "wkt": a.wkt,
            })
    return rows


def _walking_summary(walking: WalkingNearby | None) -> dict[str, object] | None:
    if walking is None:
        return None
    return {
        "minutes": walking.minutes, "speed_kmh": walking.speed_kmh,
        "reach_m": round(walking.minutes * walking.speed_kmh * 1000 / 60, 1),
        "assets_within": len(walking.assets), "assets_beyond": len(walking.beyond),
        "site_snap_m": round(walking.origin.snap_m, 1), "site_far_from_street": walking.origin.far_from_street,
        "catchment_area_m2": round(walking.catchment.area_m.area, 1), "catchment_wkt": walking.catchment.area.wkt,
    }


def _walking_lines(walking: WalkingNearby) -> list[str]:
    lines = [f"Within a {walking.minutes:g}-minute walk of {walking.site.name} at {walking.speed_kmh:g} km/h "
             f"(along streets and paths; the catchment covers {walking.catchment.area_m.area / 10_000:,.1f} ha): "
             f"{len(walking.assets):,} assets."]
    if walking.beyond:
        lines.append(f"{len(walking.beyond):,} more lie within {walking.minutes * walking.speed_kmh * 1000 / 60:,.0f} "
                     f"m in a straight line but more than {walking.minutes:g} minutes away on foot.")
    if walking.origin.far_from_street:
        lines.append(f"The site is {walking.origin.snap_m:,.0f} m from the nearest walkable street or path; walks "
                     "are measured from that street.")
    return lines


def _walk_note(row: dict[str, Any], minutes: float) -> str:
    notes = []
    if not row["within_walk"]:
        notes.append(f"more than {minutes:g} min on foot")
    if row["far_from_street"]:
        notes.append(f"{row['snap_m']:,.0f} m from a street")
    return "; ".join(notes)


@click.command()
@click.argument("text")
@click.option("--limit", type=int, default=50, show_default=True)
@db_option
@format_option
@handle_errors
def search(text: str, limit: int, db: Path, fmt: str) -> None:
    """Find assets, sites and areas by name (case and accents ignored)."""
    with cli_store(db) as store:
        hits = queries.search(store, text, limit=limit)
    rows = [asdict(h) for h in hits]
    click.echo(output.render(rows, fmt, ["kind", "id", "name", "detail", "lon", "lat"],
                             none=cli_translator().gettext("(none)")))


COMMANDS = (init, info, nearby, search)
