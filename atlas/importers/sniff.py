"""What a file is, judged by its first bytes rather than its name.

The importers pick a reader by the file's name; a text file renamed ``.xlsx`` or random
bytes called ``.gpkg`` must be refused with one line that says what the file really is,
not with a reader's traceback. Each binary format starts with a published signature
(its "magic number"), so a dozen byte strings are enough; a library for this (libmagic)
would be a system dependency for the same table.
"""

from __future__ import annotations

from pathlib import Path

from atlas.errors import InvalidInput

HEAD_BYTES = 64
"""How many bytes of a file are read to tell what it is."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"fgb\x03", "a FlatGeobuf file"),
    (b"\x00\x00\x27\x0a", "a shapefile"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls or .doc)"),
)

_GIS = "a GIS file"
_OSM = "an OpenStreetMap extract"

# Each name ending that promises a binary format: what reads it, what the name promises,
# and what the first bytes must then be.
_EXPECTED: tuple[tuple[str, str, str, str], ...] = (
    (".osm.pbf", _OSM, "an OpenStreetMap PBF extract", "osm pbf"),
    (".pbf", _OSM, "an OpenStreetMap PBF extract", "osm pbf"),
    (".osm.gz", _OSM, "a gzip archive", "a gzip archive"),
    (".osm.bz2", _OSM, "a bzip2 archive", "a bzip2 archive"),
    (".xlsx", "an Excel workbook", "an Excel workbook (a ZIP archive)", "a ZIP archive"),
    (".xlsm", "an Excel workbook", "an Excel workbook (a ZIP archive)", "a ZIP archive"),
    (".zip", _GIS, "a ZIP archive", "a ZIP archive"),
    (".gpkg", _GIS, "a GeoPackage (a SQLite database)", "a SQLite database"),
    (".parquet", "Parquet", "a Parquet file", "a Parquet file"),
    (".geoparquet", "Parquet", "a Parquet file", "a Parquet file"),
    (".fgb", _GIS, "a FlatGeobuf file", "a FlatGeobuf file"),
    (".shp", _GIS, "a shapefile", "a shapefile"),
)

_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".geojson", ".json", ".topojson", ".ndjson", ".jsonl", ".geojsonl",
                  ".geojsons", ".geojsonseq", ".kml", ".osm", ".gml")


def what_it_is(head: bytes) -> str | None:
    """The format the bytes start like ("a ZIP archive" ...), or None for text and the
    formats without a signature."""
    if b"OSMHeader" in head[:32]:  # a PBF block: 4 length bytes, then the block's type
        return "osm pbf"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _described(kind: str | None, head: bytes) -> str:
    if kind == "osm pbf":
        return "an OpenStreetMap PBF extract"
    if kind is not None:
        return kind
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unreadable binary data"
    return "text"


def mismatch(name: str, head: bytes) -> str | None:
    """Why a file called ``name`` whose first bytes are ``head`` is not what its name
    says, or None when its content fits its name (or the name promises nothing)."""
    lower = name.lower()
    kind = what_it_is(head)
    for suffix, reader, promised, required in _EXPECTED:
        if lower.endswith(suffix):
            if kind == required:
                return None
            return (f"{name} could not be read as {reader}: it is called {suffix} but is "
                    f"{_described(kind, head)}, not {promised}; it may have been renamed or damaged. "
                    "Export it again in the format its name says.")
    if lower.endswith(_TEXT_SUFFIXES) and kind is not None:
        return (f"{name} could not be read: it is called {Path(lower).suffix} but is {_described(kind, head)}, "
                "not text; give it the name of its real format (or export it again).")
    return None


def check_content(path: Path) -> None:
    """Refuse a file whose first bytes do not fit its name (one InvalidInput)."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    reason = mismatch(str(path), head)
    if reason:
        raise InvalidInput(reason)
