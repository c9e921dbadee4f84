"""The app's hold on the store, shared by every page and every browser session.

The store is a single-writer DuckDB file, so the app opens it once per process
(``st.cache_resource``) and keeps it open: while the app runs, the ``atlas`` command gets
:class:`~atlas.errors.StoreBusy` and tells the user the app holds the store. One DuckDB
connection must not be used by two threads at once, and Streamlit runs each session in
its own thread, so every use goes through :func:`reading` or :func:`writing`, which take
the store's lock. :func:`writing` also moves the store's revision on, which is part of
the key of every cached query, so no page shows data from before a write.

Where the store is: ``$ATLAS_DB``, else ``data/atlas.duckdb``. An empty store is filled
with the demo (the USE-IT! area and its example plans) unless ``ATLAS_DEMO=0``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import shapely
import streamlit as st

from atlas import (
    asset_filter,
    asset_lists,
    i18n,
    needs_offers,
    place_settings,
    queries,
    settings,
    site_picking,
    vocabulary,
)
from atlas import map_contents as map_queries  # this module's map_contents is the cached wrapper
from atlas.asset_filter import ANY_ASSET, AssetFilter
from atlas.demo import is_empty
from atlas.errors import AtlasError
from atlas.i18n import N_
from atlas.map_contents import MapContents
from atlas.registers import queries as register_queries
from atlas.store import Store, open_store
from atlas.view_index import ViewIndex, build_view_index, drop_view_index, wants_index
from atlas.viewport import Viewport
from cedplans import linking
from cedplans.matching import MatchIndex

DEMO_ENV_VAR = "ATLAS_DEMO"
"""Set to 0 to leave an empty store empty instead of loading the demo into it."""

T = TypeVar("T")
P = ParamSpec("P")


@dataclass
class StoreHandle:
    """The open store, its lock, and a revision that moves on with every write."""

    store: Store
    lock: threading.RLock = field(default_factory=threading.RLock)
    revision: int = 0
    demo_loaded: bool = False
    index: ViewIndex | None = None
    index_key: tuple[str, int, int] | None = None
    memo: dict[str, tuple[tuple[str, int, int], object]] = field(default_factory=dict)
    """Structures rebuilt after each write (the matcher's index): name -> (:attr:`key`, value)."""

    @property
    def key(self) -> tuple[str, int, int]:
        """Identifies the store's contents for cached queries: (location, this process's
        revision, the store's own count of changes). The last moves on when another
        program (a second app process, an import) writes to a PostGIS store."""
        return (self.store.location, self.revision, self.store.changes())


_OPEN: dict[str, StoreHandle] = {}
_OPEN_LOCK = threading.Lock()


def store_target() -> str:
    """The store this app uses: ``$ATLAS_DB`` (a file or a ``postgresql://`` URL) or
    ``data/atlas.duckdb``, a file made absolute."""
    target = settings.default_db()
    return target if isinstance(target, str) else str(target.expanduser().resolve())


def demo_wanted() -> bool:
    return os.environ.get(DEMO_ENV_VAR, "1").strip().lower() not in ("0", "no", "false", "off")


def open_app_store(path: Path | str, *, load_demo: bool = True) -> StoreHandle:
    """Open the store at ``path`` for the app (and load the demo into it if it is empty
    and ``load_demo``). The app calls this through :func:`handle`, once per process."""
    with _OPEN_LOCK:
        if str(path) in _OPEN:
            return _OPEN[str(path)]
        store = open_store(path)
        handle_ = StoreHandle(store)
        try:
            with store.exclusive("atlas: demo"):  # two app processes starting on one new PostGIS store
                if load_demo and is_empty(store):
                    from cedplans.demo import load_full_demo

                    load_full_demo(store)
                    handle_.demo_loaded = True
        except BaseException:
            store.close()
            raise
        _OPEN[str(path)] = handle_
        return handle_


OPENING = N_("Opening the atlas…")


@st.cache_resource(show_spinner=False)
def _cached_handle(target: str, load_demo: bool) -> StoreHandle:
    return open_app_store(target, load_demo=load_demo)


def handle() -> StoreHandle:
    """The app's store, opened on first use. Raises the atlas's own errors (StoreBusy ...)."""
    target = store_target()
    if target in _OPEN:
        return _cached_handle(target, demo_wanted())
    with st.spinner(_opening_words()):
        return _cached_handle(target, demo_wanted())


def _opening_words() -> str:
    # In the language chosen or the browser's: app.language would ask the store for the
    # place's default language, and the store is what is being opened.
    try:
        browser = st.context.locale
    except Exception:  # noqa: BLE001 - no browser to ask (AppTest, scripts)
        browser = None
    code = i18n.supported(st.session_state.get("language")) or i18n.supported(browser)
    return i18n.translator(code).gettext(OPENING)


def handle_or_stop() -> StoreHandle:
    """The app's store; when it cannot be opened, say why on the page and stop the page."""
    try:
        return handle()
    except AtlasError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


@contextlib.contextmanager
def reading() -> Iterator[Store]:
    """The store, for reading, with the lock held."""
    h = handle()
    with h.lock:
        yield h.store


@contextlib.contextmanager
def writing() -> Iterator[Store]:
    """The store, for writing, with the lock held; cached queries are renewed afterwards
    (also when the write fails part-way, which the store rolls back)."""
    h = handle()
    with h.lock:
        try:
            yield h.store
        finally:
            h.revision += 1


def query(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``fn(store, *args, **kwargs)`` under the lock, uncached."""
    with reading() as store:
        return fn(store, *args, **kwargs)


def close_all() -> None:
    """Close every store this process opened and forget the cached handles (tests use
    this between app runs; the running app keeps its store to the end)."""
    with _OPEN_LOCK:
        for h in _OPEN.values():
            with h.lock:
                h.store.close()
        _OPEN.clear()
    _cached_handle.clear()
    st.cache_data.clear()


# -- messages across a rerun -----------------------------------------------------------

def flash(page: str, level: str, text: str, icon: str | None = None) -> None:
    """A message (``level`` is st.success, st.info, st.warning or st.error) shown at the top
    of ``page`` on its next run: after a callback or st.rerun() the page is drawn again."""
    st.session_state.setdefault(f"{page}.flash", []).append((level, text, icon))


def show_flashes(page: str) -> None:
    for level, text, icon in st.session_state.pop(f"{page}.flash", []):
        getattr(st, level)(text, icon=icon)


# -- cached domain calls ---------------------------------------------------------------

# A shape is part of a cache key by its WKB (st.cache_data cannot hash shapely's objects,
# and matches hash functions by exact type, so each geometry type is named).
_GEOMETRY_HASH: dict[type, Callable[[object], object]] = {
    cls: shapely.to_wkb for cls in (shapely.Point, shapely.LineString, shapely.LinearRing, shapely.Polygon,
                                     shapely.MultiPoint, shapely.MultiLineString, shapely.MultiPolygon,
                                     shapely.GeometryCollection)}


def _cached_query(fn: Callable[Concatenate[Store, P], T]) -> Callable[P, T]:
    """``fn`` run on the app's store under the lock and cached (``st.cache_data``) until
    the next write: the handle's (path, revision) key is part of every cache key.
    Arguments must be hashable values (the frozen dataclasses of the atlas's map queries are)
    or shapes.

    st.cache_data leaves every parameter whose name starts with an underscore out of the
    key, so ``store_key`` must never be renamed ``_key``: that hid every write from every
    page until the app restarted (tests/test_app_cache.py)."""

    def run(store_key: tuple[str, int, int], *args: P.args, **kwargs: P.kwargs) -> T:
        with reading() as store:
            return fn(store, *args, **kwargs)

    # st.cache_data tells functions apart by module and qualified name; give each its own.
    run.__qualname__ = f"cached_{fn.__module__.replace('.', '_')}_{fn.__name__}"
    cached_run = st.cache_data(max_entries=64, show_spinner=False, hash_funcs=_GEOMETRY_HASH)(run)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return cached_run(handle().key, *args, **kwargs)

    return call


_map_contents = _cached_query(map_queries.map_contents)
view_counts = _cached_query(map_queries.view_counts)
map_extent = _cached_query(map_queries.map_extent)
asset_categories = _cached_query(asset_filter.asset_categories)
asset_rows = _cached_query(asset_lists.asset_rows)
stale_assets = _cached_query(asset_lists.stale_assets)
what_is_here = _cached_query(site_picking.what_is_here)
site_choices = _cached_query(site_picking.site_choices)
list_boundaries = _cached_query(queries.list_boundaries)
list_features = _cached_query(queries.list_features)
list_assets = _cached_query(queries.list_assets)
registration_of = _cached_query(register_queries.registration_of)
nearby = _cached_query(queries.nearby)
resolve_site = _cached_query(queries.resolve_site)
search = _cached_query(queries.search)
get_asset = _cached_query(queries.get_asset)
info = _cached_query(queries.info)


def view_index() -> ViewIndex | None:
    """The store's :class:`~atlas.view_index.ViewIndex`, rebuilt after each write; None for a
    store small enough to aggregate directly."""
    h = handle()
    with h.lock:
        key = h.key  # this process's writes and other programs' (benchmarks/concurrency.py)
        if h.index_key != key:
            if h.index is not None:
                drop_view_index(h.store, h.index)
            h.index = build_view_index(h.store) if wants_index(h.store) else None
            h.index_key = key
        return h.index


def per_revision(name: str, build: Callable[[Store], T]) -> T:
    """``build(store)`` made once per store revision and kept on the handle: for
    structures too big to copy out of a cache on every rerun, such as the matcher's index."""
    h = handle()
    with h.lock:
        key = h.key  # this process's writes and other programs'
        built_for, value = h.memo.get(name, (None, None))
        if built_for != key:
            value = build(h.store)
            h.memo[name] = (key, value)
        return value  # type: ignore[return-value]


def match_index() -> MatchIndex:
    """The matcher's index of the store's open needs and offers, rebuilt after each write."""
    return per_revision("match_index", MatchIndex.build)


def untapped(radius_m: float = linking.UNTAPPED_RADIUS_M) -> list[linking.Untapped]:
    """Micro assets no one has linked yet whose offers meet open needs nearby."""
    index = match_index()
    return per_revision(f"untapped:{radius_m:g}", lambda store: linking.untapped(store, index, radius_m=radius_m))


links = _cached_query(linking.links)
needs_offers_of = _cached_query(needs_offers.for_asset)
needs_offers_listing = _cached_query(needs_offers.listing)
vocabulary_of_store = _cached_query(vocabulary.load)
store_settings = _cached_query(place_settings.read)


def map_contents(viewport: Viewport, filters: AssetFilter = ANY_ASSET) -> MapContents:
    """:func:`atlas.map_contents.map_contents` on the app's store, cached, using the view index."""
    return _map_contents(viewport, filters, index=view_index())
