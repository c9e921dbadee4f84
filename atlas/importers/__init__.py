"""Import the files people have into the atlas: GIS files, tables with coordinates or
postcodes, OpenStreetMap extracts and boundary files.

:func:`import_file` is the one entry point, used by ``atlas import`` and by the app. An
import reads the whole file and checks every row before writing anything, then writes in
one transaction: a bad value stops it with a message naming file, row and field and the
store stays exactly as it was. Rows that cannot be placed are skipped and listed in a CSV
report. Rows are keyed by (source, source id), so importing a file again updates it.

    >>> from atlas import open_store
    >>> from atlas.importers import import_file
    >>> with open_store("data/atlas.duckdb") as store:              # doctest: +SKIP
    ...     summary = import_file(store, "wards.geojson", as_="boundaries", level="ward")
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from atlas import writes
from atlas.errors import InvalidInput
from atlas.importers import checks, columns, osm, readers, sniff, tables
from atlas.importers.needs_offers import import_needs_offers
from atlas.importers.postcodes import import_postcodes
from atlas.importers.report import default_report_path, write_report
from atlas.importers.summary import (
    ImportSummary,
    PostcodeSummary,
    ProgressCallback,
    SkippedRow,
    TableCounts,
    no_progress,
)
from atlas.models import WriteResult
from atlas.store import Store

if TYPE_CHECKING:
    from atlas.ground.build import GroundBuild
    from atlas.ground.layers import GroundFeature

TARGETS = ("features", "assets", "boundaries")
RECORD_TARGETS = ("needs", "offers")
"""Tables of records that belong to assets (no geometry of their own)."""
REGISTER_TARGETS = ("companies", "charities", "grants")
"""Organisation registers (atlas.registers): Companies House basic company data, a charity
register extract, 360Giving grants. Rows are matched to assets by number, then postcode
and name (atlas.org_matching)."""
SPEND_TARGETS = ("spend",)
"""An anchor's payments to suppliers (atlas.spend): a council's spend-over-£500 CSV or an
OCDS release package; needs ``anchor``."""
BULK_ROWS = 20_000
"""From this many rows an import drops and rebuilds the spatial indexes (store.bulk_load)
instead of updating them row by row; below it, rebuilding a big store's indexes would
cost more than it saves."""

__all__ = [
    "BULK_ROWS",
    "RECORD_TARGETS",
    "REGISTER_TARGETS",
    "SPEND_TARGETS",
    "TARGETS",
    "ImportSummary",
    "PostcodeSummary",
    "ProgressCallback",
    "SkippedRow",
    "import_file",
    "import_postcodes",
]


def import_file(
    store: Store,
    path: str | Path,
    *,
    as_: str | None = None,
    layer: str | None = None,
    mapping: str | Path | None = None,
    crs: str | int | None = None,
    source: str | None = None,
    licence: str | None = None,
    replace: bool = False,
    name_field: str | None = None,
    level: str | None = None,
    id_field: str | None = None,
    admin_level: str | None = None,
    report_path: str | Path | None = None,
    progress: ProgressCallback = no_progress,
    anchor: str | None = None,
    columns_given: dict[str, str] | None = None,
) -> ImportSummary:
    """Import one file into the store, all or nothing, and say what happened.

    ``as_`` is ``"features"`` (land, buildings, green space, water), ``"assets"``
    (organisations, groups, people with skills), ``"boundaries"`` (named areas, with
    ``level`` and ``name_field``), or ``"needs"`` or ``"offers"`` (a table of records,
    each naming its asset; see :mod:`atlas.importers.needs_offers`), ``"companies"``,
    ``"charities"`` or ``"grants"`` (an organisation register, :mod:`atlas.registers`), or
    ``"spend"`` (the payments of the asset named by ``anchor``, :mod:`atlas.spend`, with
    ``columns_given`` correcting the guessed column of any field); an OpenStreetMap extract may leave it out to get
    features and assets both. ``layer`` picks a layer (or a spreadsheet's sheet);
    ``mapping`` is a column mapping (``field,column,value``) or, for OpenStreetMap, a tag
    mapping table; ``crs`` is for files that do not state theirs. ``source`` (default: the
    file name) and each row's source id key the rows: importing again updates them, and
    ``replace`` first removes every row of that source. ``id_field`` names the column of
    source ids (default: an ``id`` column, the GeoPackage fid, or the row number).

    Raises :class:`~atlas.errors.InvalidInput` for a file that cannot be imported or a
    value that cannot be stored, naming file, row and field.
    """
    started = time.perf_counter()
    path = Path(path)
    readers.check_file(path)
    sniff.check_content(path)
    family = readers.family(path)
    if as_ is not None and as_ not in TARGETS + RECORD_TARGETS + REGISTER_TARGETS + SPEND_TARGETS:
        raise InvalidInput(f"--as {as_!r}: say features, assets, boundaries, needs, offers, companies, charities, "
                           "grants or spend.")
    given_crs = readers.parse_crs(crs)
    source = (source or path.name).strip()
    if not source:
        raise InvalidInput("--source is empty; name the source of the data (or leave it out to use the file name).")
    if as_ in REGISTER_TARGETS:
        from atlas.registers import import_register  # rapidfuzz, loaded only for registers

        return import_register(store, path, kind=as_, source=source, licence=licence, replace=replace,
                               report_path=report_path, progress=progress)
    if as_ in SPEND_TARGETS:
        from atlas.spend import import_spend

        if not (anchor and anchor.strip()):
            raise InvalidInput(f"Say whose spending {path.name} lists: --anchor NAME (an asset in the atlas).")
        return import_spend(store, path, anchor=anchor.strip(), columns_given=columns_given or {}, source=source,
                            replace=replace, report_path=report_path, progress=progress)
    if as_ in RECORD_TARGETS:
        if family != "table":
            raise InvalidInput(f"Needs and offers are read from a CSV or XLSX table, not from {path.name}.")
        return import_needs_offers(store, path, as_, layer=layer, source=source, replace=replace, progress=progress)
    if as_ == "boundaries" and family != "osm" and not (level and level.strip()):
        raise InvalidInput(
            f"Say which level the boundaries in {path.name} are: --level ward (or neighbourhood, district ...)."
        )
    if family == "osm":
        return _import_osm(store, path, as_=as_, mapping=mapping, crs=given_crs, source=source, licence=licence,
                           replace=replace, level=level, admin_level=admin_level, report_path=report_path,
                           progress=progress, started=started)
    if as_ is None:
        raise InvalidInput(f"Say what {path.name} holds: --as features, --as assets or --as boundaries.")
    column_mapping = _column_mapping(mapping)
    file = str(path)

    layer_data = readers.read_parquet(path, crs=given_crs, progress=progress) if family == "parquet" else None
    if family == "table" or (family == "parquet" and layer_data is None):
        progress("reading", 0, None)
        table = tables.read_table(path, layer)
        progress("reading", len(table.frame), len(table.frame))
        frame, rows, skipped = tables.locate(table, store, file=file, mapping=column_mapping, crs=given_crs,
                                                progress=progress)
        fmt, layer_name, fid = table.format, table.layer, None
        fields = tables.coordinate_fields(table, mapping=column_mapping, crs=given_crs, file=file)
    else:
        if layer_data is None:
            layer_data = readers.read_gis(path, layer=layer, crs=given_crs, progress=progress)
        frame, rows, fid = layer_data.frame, layer_data.rows, layer_data.fid
        fmt, layer_name, skipped = layer_data.format, layer_data.layer, []
        fields = "geometry"
    read = len(frame) + len(skipped)
    source_crs = CRS.from_user_input(frame.crs)

    progress("checking", 0, len(frame))
    checked = checks.check(frame, rows, file=file, store_epsg=store.settings.metric_epsg,
                           areas_only=as_ == "boundaries", fields=fields)
    skipped = skipped + checked.skipped
    kept = checked.frame
    kept_rows = rows.loc[kept.index]
    data = _to_schema(kept, kept_rows, as_, column_mapping, file=file, name_field=name_field, id_field=id_field,
                      fid=None if fid is None else fid.loc[kept.index])
    progress("checking", len(frame), len(frame))

    with _write_transaction(store, len(data)):
        progress("writing", 0, len(data))
        result = _write(store, as_, data, source=source, licence=licence, replace=replace, level=level)
        progress("writing", len(data), len(data))
    return _summary(store, path, fmt=fmt, layer=layer_name, stored_as=as_, source=source, licence=licence,
                    crs=source_crs, read=read, results={as_: result}, repaired=checked.repaired, skipped=skipped,
                    repairs=checked.repairs, report_path=report_path, started=started)


def _column_mapping(mapping: str | Path | None) -> columns.ColumnMapping | None:
    if mapping is None:
        return None
    path = Path(mapping)
    readers.check_file(path)
    with path.open(encoding="utf-8-sig") as fh:
        head = next((line for line in fh if line.strip() and not line.lstrip().startswith("#")), "")
    if {"key", "value", "imports_as"} <= {c.strip().lower() for c in head.split(",")}:
        raise InvalidInput(f"{path} is an OpenStreetMap tag mapping; "
                           "it applies to .osm.pbf, .osm and .osm.gz files only.")
    return columns.read_column_mapping(path)


@contextlib.contextmanager
def _write_transaction(store: Store, rows: int) -> Iterator[Store]:
    with (store.bulk_load() if rows >= BULK_ROWS else store.transaction()) as s:
        yield s


def _id_column(frame: pd.DataFrame, matched: dict[str, str], id_field: str | None, file: str) -> str | None:
    if id_field is not None:
        return columns.require_column(list(frame.columns), id_field, file=file, option="--id-field")
    column = matched.get("source_id")
    if column is not None and columns.text(frame[column]).isna().all():
        return None  # an id column nobody filled in (KML's, for one) is no id column
    return column


def _to_schema(frame: gpd.GeoDataFrame, rows: pd.Series, as_: str, mapping: columns.ColumnMapping | None, *,
               file: str, name_field: str | None, id_field: str | None, fid: pd.Series | None) -> gpd.GeoDataFrame:
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    names = list(attributes.columns)
    matched = columns.match_columns(names, columns.TARGET_FIELDS[as_], mapping, file=file,
                                    boundaries=as_ == "boundaries")
    if name_field is not None:
        matched["name"] = columns.require_column(names, name_field, file=file, option="--name-field")
    constants = mapping.values if mapping else {}
    default_kind = None
    if as_ == "features":
        polygonal = np.isin(shapely.get_type_id(frame.geometry.to_numpy()), (3, 6))
        default_kind = pd.Series(np.where(polygonal, "land", "other"), index=frame.index, dtype=object)
    out = columns.to_schema(attributes, as_, matched, constants, file=file, rows=rows, default_kind=default_kind)
    id_column = _id_column(attributes, matched, id_field, file)
    if id_column is None and as_ == "boundaries":
        id_column = _boundary_key(attributes, matched)
    if id_column is None and fid is not None:
        out["source_id"] = fid.astype(str).to_numpy()
    else:
        out["source_id"] = columns.source_ids(attributes, id_column, file=file, rows=rows).to_numpy()
    return gpd.GeoDataFrame(out, geometry=frame.geometry, crs=frame.crs)


def _boundary_key(attributes: pd.DataFrame, matched: dict[str, str]) -> str | None:
    """A boundary's code (an ONS GSS code such as E05001260) if every row has a
    different one, else its name if unique: stable across re-imports, unlike row numbers."""
    for field in ("code", "name"):
        column = matched.get(field)
        if column is not None:
            values = columns.text(attributes[column])
            if values.notna().all() and not values.duplicated().any():
                return column
    return None


def _write(store: Store, as_: str, data: gpd.GeoDataFrame, *, source: str, licence: str | None, replace: bool,
           level: str | None) -> WriteResult:
    if data.empty:
        return WriteResult()
    if as_ == "features":
        return writes.upsert_features(store, data, source=source, licence=licence, replace=replace)
    if as_ == "assets":
        return writes.upsert_assets(store, data, source=source, licence=licence, replace=replace)
    # Without a level, each boundary's own (an extract's admin levels) is used.
    return writes.upsert_boundaries(store, data, source=source, level=level.strip() if level else None,
                                    licence=licence, replace=replace)


def _import_osm(store: Store, path: Path, *, as_: str | None, mapping: str | Path | None, crs: CRS | None,
                source: str, licence: str | None, replace: bool, level: str | None, admin_level: str | None,
                report_path: str | Path | None, progress: ProgressCallback, started: float) -> ImportSummary:
    if crs is not None and crs.to_epsg() != 4326:
        raise InvalidInput(f"{path} is OpenStreetMap data, which is always longitude/latitude (EPSG:4326); "
                           "leave out --crs.")
    want = {as_} if as_ else {"features", "assets"}
    tag_mapping = osm.read_mapping(Path(mapping) if mapping else None)
    data = osm.read_osm(path, mapping=tag_mapping, want=want, level=level.strip() if level else None,
                        admin_level=admin_level, progress=progress)
    licence = licence or osm.OSM_LICENCE
    # The extract is also the area's ground (atlas.ground): its streets, water, parks and
    # buildings, read now and saved with the import, then the walking network and base map
    # made from them. Boundaries alone leave the ground as it is; so does an extract with no
    # ground in it (a file of amenities), which would otherwise wipe a city's streets.
    from atlas.ground.layers import read_osm_ground  # (atlas.ground reads through this package)

    ground = read_osm_ground(path, progress=progress) if want & {"features", "assets"} else []
    file = str(path)
    skipped = list(data.skipped)
    repaired = 0
    repairs: list[SkippedRow] = []
    frames: dict[str, gpd.GeoDataFrame] = {}
    store_epsg = store.settings.metric_epsg
    total = sum(len(f) for f in (data.features, data.assets, data.boundaries) if f is not None)
    progress("checking", 0, total)
    for name, frame in (("features", data.features), ("assets", data.assets), ("boundaries", data.boundaries)):
        if name not in want or frame is None:
            continue
        checked = checks.check(frame, frame["source_id"], file=file, store_epsg=store_epsg)
        # The same object can be skipped once per table it was headed for; report it once.
        known = {(s.row, s.reason) for s in skipped}
        skipped.extend(s for s in checked.skipped if (s.row, s.reason) not in known)
        repaired += checked.repaired
        repairs.extend(checked.repairs)
        frames[name] = checked.frame
    progress("checking", total, total)
    results: dict[str, WriteResult] = {}
    rows_out = sum(len(f) for f in frames.values())
    with _write_transaction(store, rows_out):
        progress("writing", 0, rows_out)
        done = 0
        for name, frame in frames.items():
            if frame.empty:
                continue
            results[name] = _write(store, name, frame, source=source, licence=licence, replace=replace, level=None)
            if name == "assets":
                writes.link_assets_to_features(store, source)
            done += len(frame)
            progress("writing", done, rows_out)
        built = _build_ground(store, ground, source=source, licence=licence, progress=progress)
    stored_as = as_ or "features and assets"
    for name in want:
        results.setdefault(name, WriteResult())
    return _summary(store, path, fmt=data.format, layer=None, stored_as=stored_as, source=source, licence=licence,
                    crs=CRS.from_epsg(4326), read=data.read, results=results, repaired=repaired, skipped=skipped,
                    repairs=repairs, report_path=report_path, started=started, ground=built)


def _build_ground(store: Store, ground: Sequence[GroundFeature], *, source: str, licence: str | None,
                  progress: ProgressCallback) -> GroundBuild | None:
    """The extract's ground saved, and the walking network and base map built from it, in
    the import's transaction; None when the extract has no ground."""
    if not ground:
        return None
    from atlas.ground.build import build_ground

    return build_ground(store, ground, source=source, licence=licence, progress=progress)


def _summary(store: Store, path: Path, *, fmt: str, layer: str | None, stored_as: str, source: str,
             licence: str | None, crs: CRS, read: int, results: dict[str, WriteResult], repaired: int,
             skipped: list[SkippedRow], report_path: str | Path | None, started: float,
             repairs: Sequence[SkippedRow] = (), ground: GroundBuild | None = None) -> ImportSummary:
    report = None
    if skipped or repairs:
        # Rows kept but changed (split, simplified) are listed after the skipped ones, each
        # reason starting "kept,", so nothing is changed without a word.
        target = Path(report_path) if report_path else default_report_path(store.path, source)
        report = str(write_report([*skipped, *repairs], target))
    counts = {name: TableCounts(imported=r.inserted, updated=r.updated, removed=r.removed)
              for name, r in results.items()}
    return ImportSummary(
        path=str(path), format=fmt, layer=layer, stored_as=stored_as, source=source, licence=licence,
        crs=readers.crs_label(crs), metric_epsg=store.settings.metric_epsg, read=read,
        imported=sum(c.imported for c in counts.values()), updated=sum(c.updated for c in counts.values()),
        removed=sum(c.removed for c in counts.values()), repaired=repaired, skipped=len(skipped),
        skipped_report=report, seconds=time.perf_counter() - started, tables=counts, ground=ground,
    )
