"""``atlas basemap build``: the walking network and the offline base map made again, from the
ground the store keeps or from an OpenStreetMap extract (``--from``). A thin command over
:func:`atlas.ground.build.build_ground`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from atlas import output
from atlas.cli_support import JSON_OR_TABLE, cli_store, db_option, format_choice, handle_errors
from atlas.ground.build import GroundBuild, build_from_extract, build_ground


def describe(built: GroundBuild) -> list[str]:
    """``built`` in a few lines for people: the ground, the walking network, the base map."""
    net = built.network
    lines = [f"Ground: {built.features:,} streets, paths, railways, waterways, water, parks and buildings "
             f"from {built.source}{' (approximate)' if built.approximate else ''}."]
    if net.edges:
        lines.append(f"Walking network: {net.nodes:,} junctions, {net.edges:,} street and path segments, "
                     f"{net.length_m / 1000:,.1f} km.")
    else:
        lines.append(f"Walking network: none ({built.network_note}); distances stay straight lines.")
    if built.basemap is not None:
        b = built.basemap
        lines.append(f"Base map: {b.tiles:,} tiles, {_size(b.bytes)}, zoom {b.min_zoom}-{b.max_zoom}, "
                     f"built in {b.seconds:,.1f} s.")
    else:
        lines.append(f"Base map: none ({built.basemap_note}).")
    return lines


def _size(n: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"


@click.group("basemap")
def basemap() -> None:
    """The offline base map and the walking network, made from an OpenStreetMap extract."""


@basemap.command("build")
@click.option("--from", "extract", type=click.Path(path_type=Path, dir_okay=False),
              help="An OpenStreetMap extract (.osm.pbf, .osm or .osm.gz) to read the ground from first; without "
                   "it, the ground the store keeps (from the last extract imported) is used.")
@click.option("--source", help="With --from: the name of the ground's source. Default: the file name.")
@click.option("--licence", help="With --from: the data's licence. Default: OpenStreetMap's (ODbL 1.0).")
@db_option
@format_choice(JSON_OR_TABLE, "How to print the summary.")
@handle_errors
def build(extract: Path | None, source: str | None, licence: str | None, db: Path, fmt: str) -> None:
    """Build the walking network and the base map again, from the store's ground or from EXTRACT.

    \b
    Examples:
      atlas basemap build                            (from the last extract imported)
      atlas basemap build --from monaco.osm.pbf      (read the ground from this extract first)
    """
    if extract is None and (source or licence):
        raise click.UsageError("--source and --licence go with --from.")
    with cli_store(db, create=extract is not None) as store:
        if extract is not None:
            built = build_from_extract(store, extract, source=source, licence=licence)
        else:
            built = build_ground(store)
    if fmt == "json":
        click.echo(output.to_json(asdict(built)))
    else:
        click.echo("\n".join(describe(built)))


COMMANDS = (basemap,)
