"""The browser libraries the map needs, served by the app itself: no CDN.

A community hall often has no internet, and tests must not touch the network, so Leaflet,
jQuery (folium's templates use it), Leaflet.markercluster, Leaflet.draw,
protomaps-leaflet (which draws the offline base map, :mod:`app.basemap`) and the Noto Sans
font the base map's names are lettered in are copied from installed packages into
``static/`` when the app starts, and Streamlit serves that
folder (``server.enableStaticServing`` in ``.streamlit/config.toml``) at ``/app/static/``.

Where each comes from (none is committed to this repository):

- Leaflet, jQuery, Leaflet.markercluster: the PyPI packages XStatic-Leaflet,
  XStatic-jQuery and XStatic-Leaflet-MarkerCluster (``pip install -e .``).
- Leaflet.draw and protomaps-leaflet: the npm packages ``leaflet-draw`` and
  ``protomaps-leaflet`` (``npm install``, from ``package.json``), which land in
  ``node_modules/``. protomaps-leaflet's ``dist/protomaps-leaflet.js`` is one file with its
  own dependencies (the PMTiles reader among them) bundled in.
- Noto Sans: the npm package ``@fontsource/noto-sans`` (its WOFF2 files for the weights
  the base map uses). The base map letters street names on a canvas, which uses
  only fonts the browser has: with the font served here, the names are drawn, and drawn
  the same size, on a tablet, a projector's laptop or a server with no fonts at all.

Each library is copied to ``static/<name>-<version>/``, so an upgrade gets a fresh URL
and no browser keeps a stale cached copy.

The folder itself is in the repository (``static/.gitignore``, which ignores the copies):
Streamlit checks for it when its server starts, before any page has run, and warned "no
static folder found" at every start of a fresh checkout until the first page view made it
(tests/test_static_folder.py).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project folder: ``streamlit_app.py``, ``static/`` and ``node_modules/`` live here."""

STATIC_DIR = ROOT / "static"
NODE_MODULES = ROOT / "node_modules"
URL_PREFIX = "/app/static"
"""Where Streamlit serves ``static/`` (with ``server.enableStaticServing = true``)."""


class MissingWebAsset(RuntimeError):
    """A browser library is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Library:
    name: str
    locate: Callable[[], tuple[Path, str]]
    """Returns (folder holding the files, version); raises MissingWebAsset."""
    files: tuple[str, ...]
    """Paths relative to that folder; a trailing "/" copies a whole folder."""
    js: tuple[str, ...] = ()
    css: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        _, version = self.locate()
        return f"{self.name}-{version}"


def _xstatic(module: str, hint: str) -> Callable[[], tuple[Path, str]]:
    @functools.lru_cache(maxsize=1)
    def locate() -> tuple[Path, str]:
        try:
            pkg = importlib.import_module(f"xstatic.pkg.{module}")
        except ImportError as exc:
            raise MissingWebAsset(f"{hint} is not installed. Install the app with: pip install -e .") from exc
        return Path(pkg.BASE_DIR), str(pkg.VERSION)

    return locate


def _npm(package: str, what: str, folder: str = "dist") -> Callable[[], tuple[Path, str]]:
    @functools.lru_cache(maxsize=1)
    def locate() -> tuple[Path, str]:
        root = NODE_MODULES / package
        manifest = root / "package.json"
        if not manifest.exists():
            raise MissingWebAsset(f"{what} ({package}) is not installed. In the project folder run: npm install")
        return root / folder, str(json.loads(manifest.read_text())["version"])

    return locate


LEAFLET = Library(
    "leaflet", _xstatic("leaflet", "Leaflet (XStatic-Leaflet)"),
    files=("leaflet.js", "leaflet.css", "images/"), js=("leaflet.js",), css=("leaflet.css",),
)
JQUERY = Library(
    "jquery", _xstatic("jquery", "jQuery (XStatic-jQuery)"),
    files=("jquery.min.js",), js=("jquery.min.js",),
)
MARKER_CLUSTER = Library(
    "leaflet-markercluster",
    _xstatic("leaflet_markercluster", "Leaflet.markercluster (XStatic-Leaflet-MarkerCluster)"),
    files=("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
    js=("leaflet.markercluster.js",), css=("MarkerCluster.css", "MarkerCluster.Default.css"),
)
LEAFLET_DRAW = Library(
    "leaflet-draw", _npm("leaflet-draw", "The map drawing tool"),
    files=("leaflet.draw.js", "leaflet.draw.css", "images/"), js=("leaflet.draw.js",), css=("leaflet.draw.css",),
)
PROTOMAPS_LEAFLET = Library(
    "protomaps-leaflet", _npm("protomaps-leaflet", "The offline base map's drawing library"),
    files=("protomaps-leaflet.js",), js=("protomaps-leaflet.js",),
)

NOTO_SANS_FACES = tuple((script, weight, style)
                        for script in ("latin", "latin-ext", "greek", "greek-ext", "cyrillic", "cyrillic-ext")
                        for weight, style in (("400", "normal"), ("400", "italic"), ("500", "normal"),
                                              ("600", "normal")))
"""(script, weight, style) of each Noto Sans face installed: the scripts of Europe's street
names, and the weights and styles the base map's label rules use (:mod:`app.basemap`)."""


def noto_sans_file(script: str, weight: str, style: str) -> str:
    """The file of one face, relative to :data:`NOTO_SANS`'s folder."""
    return f"files/noto-sans-{script}-{weight}-{style}.woff2"


NOTO_SANS = Library(
    "noto-sans", _npm("@fontsource/noto-sans", "The base map's lettering", folder=""),
    files=("unicode.json", *(noto_sans_file(*face) for face in NOTO_SANS_FACES)),
)
"""One WOFF2 file per script (Latin, Greek, Cyrillic...) and style; ``unicode.json`` says
which letters each script's file covers. :mod:`app.basemap` hands them to the browser's
``FontFace`` API itself: a stylesheet's ``@font-face`` rules do not survive
streamlit-folium rewriting the map's ``<head>``."""

LIBRARIES = (LEAFLET, JQUERY, MARKER_CLUSTER, LEAFLET_DRAW, PROTOMAPS_LEAFLET, NOTO_SANS)


@dataclass(frozen=True)
class InstallReport:
    installed: tuple[str, ...]
    """Folders under ``static/`` that are ready."""
    missing: dict[str, str]
    """Library name -> what to do to install it."""


def install(static_dir: Path = STATIC_DIR) -> InstallReport:
    """Copy every library into ``static_dir`` unless it is already there. Safe to run from
    several processes at once: each copy is made aside and moved in whole."""
    static_dir.mkdir(parents=True, exist_ok=True)
    installed: list[str] = []
    missing: dict[str, str] = {}
    for lib in LIBRARIES:
        try:
            source, version = lib.locate()
        except MissingWebAsset as exc:
            missing[lib.name] = str(exc)
            continue
        target = static_dir / f"{lib.name}-{version}"
        if not target.is_dir():
            _copy(lib, source, target)
        installed.append(target.name)
    return InstallReport(tuple(installed), missing)


def _copy(lib: Library, source: Path, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=f".{lib.name}-", dir=target.parent))
    try:
        for rel in lib.files:
            src = source / rel.rstrip("/")
            if rel.endswith("/"):
                shutil.copytree(src, work / rel.rstrip("/"))
            else:
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, work / rel)
        try:
            os.rename(work, target)
        except OSError:
            # Another process installed it first; theirs is as good as ours.
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _base_url() -> str:
    """Streamlit's ``server.baseUrlPath`` as a prefix ("" when the app is at the root)."""
    try:
        from streamlit import config
        base = (config.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # streamlit not configured (scripts, benchmarks): the root it is
        base = ""
    return f"/{base}" if base else ""


def url(lib: Library, file: str) -> str:
    """The URL the browser loads ``file`` of ``lib`` from."""
    return f"{_base_url()}{URL_PREFIX}/{lib.folder}/{file}"


def static_url(name: str) -> str:
    """The URL the browser loads ``static/<name>`` from (a file the app wrote there, such as
    the base map's archive)."""
    return f"{_base_url()}{URL_PREFIX}/{name}"


def js_links(*libs: Library) -> list[tuple[str, str]]:
    """(name, url) pairs for folium's ``default_js``."""
    return [(f"{lib.name}:{f}", url(lib, f)) for lib in libs for f in lib.js]


def css_links(*libs: Library) -> list[tuple[str, str]]:
    """(name, url) pairs for folium's ``default_css``."""
    return [(f"{lib.name}:{f}", url(lib, f)) for lib in libs for f in lib.css]


def available(lib: Library) -> bool:
    try:
        lib.locate()
    except MissingWebAsset:
        return False
    return True
