"""Reading GIS files: GeoPackage, Shapefile (also zipped), GeoJSON, newline-delimited
GeoJSON, TopoJSON, FlatGeobuf, KML through GDAL (pyogrio's Arrow stream), and GeoParquet
through pyarrow.

Each reader returns a :class:`Layer` in the file's own CRS, or raises one clear
:class:`InvalidInput` for a file that is missing, empty, unreadable, not spatial, or has
no such layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, GeometryError
from pyproj import CRS
from pyproj.exceptions import CRSError

from atlas.errors import InvalidInput
from atlas.importers.summary import ProgressCallback, no_progress
from atlas.projection import WGS84

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".geojsonl", ".geojsons", ".geojsonseq")

# Formats that are longitude/latitude on WGS84 by definition, whatever they declare.
_WGS84_DRIVERS = {"GeoJSON", "GeoJSONSeq", "TopoJSON", "KML", "LIBKML"}
FORMAT_NAMES = {
    "GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile", "GeoJSON": "GeoJSON",
    "GeoJSONSeq": "newline-delimited GeoJSON", "TopoJSON": "TopoJSON", "FlatGeobuf": "FlatGeobuf",
    "KML": "KML", "LIBKML": "KML", "GML": "GML", "OpenFileGDB": "File Geodatabase", "GPX": "GPX",
    "MapInfo File": "MapInfo",
}
SUPPORTED = ("GeoPackage, Shapefile (or a .zip of one), GeoJSON, newline-delimited GeoJSON, TopoJSON, "
             "GeoParquet, FlatGeobuf, KML, CSV, XLSX, OpenStreetMap .osm.pbf / .osm / .osm.gz")
_BATCH_ROWS = 100_000
_MULTI_LAYER_DRIVERS = {"GPKG", "KML", "LIBKML", "OpenFileGDB", "SQLite", "GML"}


@dataclass
class Layer:
    """Rows read from one layer of a file, in the file's CRS (``frame.crs``).

    ``rows`` labels each row as a person finds it in the file (1 for the first feature, or
    the GeoPackage fid); ``fid`` holds the file's own stable feature ids where it has
    them.
    """

    frame: gpd.GeoDataFrame
    rows: pd.Series
    format: str
    layer: str | None
    fid: pd.Series | None


def family(path: Path) -> str:
    """``"osm"``, ``"table"``, ``"parquet"`` or ``"gis"``, from the file name."""
    name = path.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    if name.endswith(TABLE_SUFFIXES):
        return "table"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return "gis"


def check_file(path: Path) -> None:
    """One clear line for a path that is missing, a folder, or an empty file."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist.")
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; name the file inside it to import.")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path} is empty (0 bytes); there is nothing to import.")


def parse_crs(value: str | int | None) -> CRS | None:
    """``27700``, ``EPSG:27700`` or any CRS text pyproj understands; None stays None."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        return CRS.from_user_input(int(text) if text.isdigit() else text)
    except CRSError:
        raise InvalidInput(
            f"--crs {value!r} is not a coordinate reference system; give an EPSG code such as "
            "27700 (British National Grid) or 4326 (longitude/latitude)."
        ) from None


def crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


def settle_crs(declared: CRS | None, given: CRS | None, *, file: str, wgs84_by_definition: bool) -> CRS:
    """The CRS to read a file in: its own, else ``--crs``, else WGS84 for formats that are
    WGS84 by definition. A file without one is refused; a ``--crs`` that contradicts the
    file's own is refused, naming both."""
    if declared is not None and given is not None:
        same = declared.equals(given, ignore_axis_order=True) or (
            declared.to_epsg(min_confidence=70) is not None
            and declared.to_epsg(min_confidence=70) == given.to_epsg(min_confidence=70)
        )
        if not same:
            raise InvalidInput(
                f"{file} says its coordinates are in {crs_label(declared)} but --crs says {crs_label(given)}; "
                "leave out --crs to use the file's own."
            )
        return declared
    if declared is not None:
        return declared
    if given is not None:
        return given
    if wgs84_by_definition:
        return CRS.from_epsg(WGS84)
    raise InvalidInput(
        f"{file} does not say which coordinate reference system its coordinates are in; give it with --crs "
        "(for example --crs 27700 for British National Grid, --crs 4326 for longitude/latitude)."
    )


def _gdal_path(path: Path) -> str:
    text = str(path)
    if path.name.lower().endswith(_NDJSON_SUFFIXES[:2]):
        return f"GeoJSONSeq:{text}"
    return text


def _refuse_shapefile_without_table(path: Path) -> None:
    """A shapefile is three files at least: without its .dbf every row would come in with
    no name, id or other field, so it is refused, naming the missing part."""
    dbf = path.with_suffix(".dbf")
    where = (f"its attribute table {dbf.name} is missing beside {path.name}"
             if path.suffix.lower() == ".shp" and not any(path.with_suffix(s).exists() for s in (".dbf", ".DBF"))
             else "it has no attribute table (.dbf), or an empty one")
    raise InvalidInput(
        f"{path}: {where}, so no row would have a name, id or any other field. Put the .dbf (and the .shx "
        "and .prj) next to the .shp, or import the .zip the shapefile came in."
    )


def _first_line(exc: Exception) -> str:
    message = str(exc).split(";")[0].strip()
    return message.replace(" not recognized as being in a supported file format.", " is not in a format GDAL reads")


def _choose_layer(path: Path, source: str, layer: str | None) -> str | None:
    try:
        layers = pyogrio.list_layers(source)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InvalidInput(f"{path} could not be read as a GIS file ({_first_line(exc)}). "
                           f"Formats read: {SUPPORTED}.") from None
    names = [str(name) for name, _ in layers]
    spatial = [str(name) for name, geom in layers if geom is not None]
    if layer is not None:
        if layer not in names:
            raise InvalidInput(f"{path} has no layer {layer!r}; its layers are: {', '.join(names) or 'none'}.")
        return layer
    if not names:
        raise InvalidInput(f"{path} holds no layers; there is nothing to import.")
    if not spatial:
        raise InvalidInput(
            f"{path} holds no geometry (it is not a spatial file); a table of places needs longitude/latitude, "
            "easting/northing or postcode columns and can be imported as .csv or .xlsx."
        )
    if len(spatial) > 1:
        raise InvalidInput(f"{path} holds several layers ({', '.join(spatial)}); choose one with --layer.")
    return spatial[0] if len(names) > 1 else None


def read_gis(path: Path, *, layer: str | None = None, crs: CRS | None = None,
             progress: ProgressCallback = no_progress) -> Layer:
    """Read one layer of a GIS file through GDAL as an Arrow stream, in batches."""
    check_file(path)
    source = _gdal_path(path)
    chosen = _choose_layer(path, source, layer)
    try:
        info = pyogrio.read_info(source, layer=chosen)
    except (DataSourceError, DataLayerError) as exc:
        raise InvalidInput(f"{path} could not be read ({_first_line(exc)}).") from None
    driver = info.get("driver") or ""
    if driver == "ESRI Shapefile" and not len(info.get("fields", ())):
        _refuse_shapefile_without_table(path)
    # Name the layer where a file can hold several; a GeoJSON's "layer" is its file name.
    layer_name = chosen or (info.get("layer_name") if driver in _MULTI_LAYER_DRIVERS else None)
    where = f"{path}{f' layer {layer_name!r}' if layer_name else ''}"
    if info.get("geometry_type") is None:
        raise InvalidInput(
            f"{where} holds no geometry (it is not a spatial "
            "file); a table of places can be imported as .csv or .xlsx with coordinate or postcode columns."
        )
    total = int(info["features"]) if info.get("features", -1) >= 0 else None
    if total == 0:
        raise InvalidInput(f"{where} holds no rows; there is nothing to import.")
    has_fids = bool(info.get("fid_column"))
    batches: list[pa.RecordBatch] = []
    done = 0
    progress("reading", 0, total)
    try:
        with pyogrio.raw.open_arrow(source, layer=chosen, batch_size=_BATCH_ROWS,
                                    use_pyarrow=True, return_fids=has_fids) as (meta, reader):
            for batch in reader:
                batches.append(batch)
                done += batch.num_rows
                progress("reading", done, total)
    except (DataSourceError, DataLayerError, FeatureError, GeometryError) as exc:
        raise InvalidInput(f"{path} could not be read past row {done + 1} ({_first_line(exc)}).") from None
    if not done:
        raise InvalidInput(f"{where} holds no rows; there is nothing to import.")
    table = pa.Table.from_batches(batches)
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):  # NaN corners are reported row by row in checks.check
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    attributes = table.drop_columns([geometry_name])
    fid = None
    if has_fids:
        fid_name = attributes.column_names[0]
        fid = pd.Series(attributes.column(fid_name).to_numpy(), name="fid")
        attributes = attributes.drop_columns([fid_name])
    frame = attributes.to_pandas(ignore_metadata=True)
    declared = None
    if meta.get("crs"):
        try:
            declared = CRS.from_user_input(meta["crs"])
        except CRSError:
            declared = None
    settled = settle_crs(declared, crs, file=str(path), wgs84_by_definition=driver in _WGS84_DRIVERS)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=settled)
    rows = fid.astype(str).rename(None) if fid is not None else pd.Series(np.arange(1, len(gdf) + 1).astype(str))
    rows.index = gdf.index
    if fid is not None:
        fid.index = gdf.index
    if gdf.geometry.isna().all():
        raise InvalidInput(f"{path} holds rows but none has a geometry (it is not a spatial file).")
    return Layer(frame=gdf, rows=rows, format=FORMAT_NAMES.get(driver, driver), layer=layer_name, fid=fid)


def read_parquet(path: Path, *, crs: CRS | None = None, progress: ProgressCallback = no_progress) -> Layer | None:
    """A GeoParquet file as a :class:`Layer`; None for a plain Parquet table (no geometry
    metadata), which is then read as a table of coordinates or postcodes."""
    import pyarrow.parquet as pq

    check_file(path)
    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path} could not be read as Parquet ({exc}).") from None
    if b"geo" not in meta:
        return None
    progress("reading", 0, None)
    try:
        gdf = gpd.read_parquet(path)
    except (ValueError, pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path} could not be read as GeoParquet ({exc}).") from None
    if gdf.empty:
        raise InvalidInput(f"{path} holds no rows; there is nothing to import.")
    progress("reading", len(gdf), len(gdf))
    declared = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    settled = settle_crs(declared, crs, file=str(path), wgs84_by_definition=False)
    gdf = gdf.set_crs(settled, allow_override=True).reset_index(drop=True)
    gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.to_numpy())) if gdf.geometry.has_z.any() else gdf
    rows = pd.Series(np.arange(1, len(gdf) + 1).astype(str), index=gdf.index)
    return Layer(frame=gdf, rows=rows, format="GeoParquet", layer=None, fid=None)
