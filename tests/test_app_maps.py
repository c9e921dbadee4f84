"""Map building (app.maps, app.map_layers) and the app's own copies of the web libraries
(app.static_assets): rendered HTML checked for escaping, symbols and local links only."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import shapely

from app import map_layers, maps, static_assets
from atlas.distance_rings import Ring
from atlas.map_contents import AssetCell, AssetPoint, BoundaryShape, FeatureShape, MapContents
from atlas.models import Site
from atlas.viewport import Viewport

VIEW = Viewport(-1.96, 52.47, -1.92, 52.50, 14)


def point(i: int, scale: str = "micro", name: str | None = None) -> AssetPoint:
    return AssetPoint(i, name or f"Group {i}", scale, "community", "cafe", -1.95 + i * 1e-4, 52.48, date(2026, 1, 2))


def contents(assets=(), cells=(), features=(), boundaries=()) -> MapContents:
    return MapContents(VIEW, list(boundaries), list(features), len(features), list(assets), list(cells),
                       len(assets) or sum(c.count for c in cells))


def html_of(m) -> str:
    return m.get_root().render()


def test_map_view_from_what_st_folium_returns():
    raw = {
        "bounds": {"_southWest": {"lat": 52.47, "lng": -1.96}, "_northEast": {"lat": 52.5, "lng": -1.92}},
        "zoom": 14.5, "center": {"lat": 52.485, "lng": -1.94},
        "last_clicked": {"lat": 52.48, "lng": -1.95},
        "all_drawings": [{"type": "Feature", "properties": {},
                          "geometry": {"type": "Polygon", "coordinates": [[[-1.95, 52.48], [-1.94, 52.48],
                                                                           [-1.94, 52.49], [-1.95, 52.48]]]}}],
    }
    view = maps.MapView.parse(raw)
    assert view.bounds == (-1.96, 52.47, -1.92, 52.5) and view.zoom == 14.5
    assert view.center == (-1.94, 52.485) and view.last_clicked == (-1.95, 52.48)  # (lon, lat)
    assert view.viewport() == Viewport(-1.96, 52.47, -1.92, 52.5, 14)
    [drawn] = view.drawn_geometries()
    assert drawn.geom_type == "Polygon" and drawn.bounds == (-1.95, 52.48, -1.94, 52.49)
    empty = maps.MapView.parse(None)
    assert empty == maps.MapView() and empty.viewport() is None and empty.drawn_geometries() == []
    partial = maps.MapView.parse({"bounds": {"_southWest": {"lat": None, "lng": None}, "_northEast": {}}, "zoom": None})
    assert partial.bounds is None and partial.viewport() is None


def test_js_literal_cannot_break_out_of_a_script():
    text = map_layers.js_literal({"name": "</script><script>alert(1)</script>", "x": "a\u2028b & c"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "x": "a\u2028b & c"}


def test_popups_and_labels_are_escaped():
    nasty = '<img src=x onerror="alert(1)">'
    feature = FeatureShape(1, nasty, "land", "vacant", "<i>use</i>", 1234.0, shapely.box(-1.95, 52.48, -1.94, 52.49))
    boundary = BoundaryShape(1, nasty, "ward", shapely.box(-1.96, 52.47, -1.92, 52.5))
    m = maps.atlas_map(contents([point(1, name=nasty)], features=[feature], boundaries=[boundary]), decimals=6)
    page = html_of(m)
    assert "<img src=x" not in page and "<i>use" not in page
    assert page.count("\\u0026lt;img src=x onerror=\\u0026quot;alert(1)\\u0026quot;\\u0026gt;") >= 3


def test_macro_and_micro_have_their_own_symbols_and_legend():
    page = html_of(maps.atlas_map(contents([point(1, "macro"), point(2)]), decimals=6))
    assert 'class=\\"atlas-asset atlas-macro\\"' in page or "atlas-asset atlas-macro" in page
    assert "Macro (anchor) asset" in page and "Micro (community) asset" in page
    assert "L.featureGroup()" in page and "markerClusterGroup" not in page


def test_many_markers_are_clustered_with_the_local_plugin():
    m = maps.atlas_map(contents([point(i) for i in range(maps.CLUSTER_FROM + 1)]), decimals=6)
    page = html_of(m)
    assert "L.markerClusterGroup(" in page
    assert static_assets.url(static_assets.MARKER_CLUSTER, "leaflet.markercluster.js") in page
    rows = json.loads(re.search(r"var rows = (\[.*\]);$", page, flags=re.MULTILINE).group(1))
    assert len(rows) == maps.CLUSTER_FROM + 1


def test_counts_instead_of_markers_when_over_budget():
    cells = [AssetCell(-1.95, 52.48, 12_345, 10, -1.96, 52.47, -1.94, 52.49),
             AssetCell(-1.93, 52.48, 7, 0, -1.94, 52.47, -1.92, 52.49)]
    page = html_of(maps.atlas_map(contents(cells=cells), decimals=5))
    assert '"12.3k"' in page and '"7"' in page and "atlas-cell-micro" in page
    assert "Number of assets here" in page


def test_many_shapes_go_on_a_canvas():
    few = [FeatureShape(i, None, "building", "in_use", None, 10.0, shapely.box(-1.95, 52.48, -1.9499, 52.4801))
           for i in range(maps.CANVAS_FROM)]
    assert "L.canvas(" not in html_of(maps.atlas_map(contents(features=few), decimals=6))
    many = few + [few[0]]
    assert "L.canvas(" in html_of(maps.atlas_map(contents(features=many), decimals=6))


def test_no_url_leaves_the_app_unless_street_tiles_are_asked_for():
    feature = FeatureShape(1, "Park", "green_space", "in_use", None, 1.0, shapely.box(-1.95, 52.48, -1.94, 52.49))
    m = maps.atlas_map(contents([point(1)], features=[feature]), decimals=6)
    maps.add_draw_tool(m)
    page = html_of(m)
    assert not re.search(r"(src|href)=\"https?://", page)
    assert not re.search(r"https?://", page), re.findall(r"https?://\S{0,50}", page)
    for lib in (static_assets.LEAFLET, static_assets.JQUERY, static_assets.LEAFLET_DRAW):
        for file in lib.js:
            assert f'src="{static_assets.url(lib, file)}"' in page
    tiled = html_of(maps.atlas_map(contents([point(1)]), decimals=6, tiles=True))
    assert set(re.findall(r"https?://[^/\"']+", tiled)) == {"https://tile.openstreetmap.org",
                                                            "https://www.openstreetmap.org"}


def test_site_rings_and_pin():
    site = Site("Reservoir", shapely.box(-1.95, 52.47, -1.94, 52.48), shapely.box(0, 0, 1, 1), "feature", 3)
    rings = [Ring(400.0, shapely.Point(-1.945, 52.475).buffer(0.006).boundary),
             Ring(800.0, shapely.Point(-1.945, 52.475).buffer(0.012).boundary)]
    m = maps.base_map(VIEW, fit=True)
    maps.add_site(m, site)
    maps.add_rings(m, rings)
    maps.add_pin(m, -1.94, 52.48, "New place")
    page = html_of(maps.finish(m))
    assert page.count('"s":"ring"') == 2 and '"t":"400\u00a0m"' in page and '"t":"800\u00a0m"' in page
    assert "atlas-site" in page and "atlas-pin" in page and "fitBounds" in page
    assert "Distance from the site: 400\u00a0m, 800\u00a0m" in page


def test_coordinates_keep_the_precision_the_zoom_needs():
    assert [maps.decimals_for(z) for z in (5, 10, 14, 18)] == sorted(maps.decimals_for(z) for z in (5, 10, 14, 18))
    assert maps.decimals_for(18) == 7 and maps.decimals_for(0) >= 3
    # half a pixel three zooms deeper is more than the rounding error
    for zoom in range(18):
        assert 0.5 * 10 ** -maps.decimals_for(zoom) <= 360 / (256 * 2 ** (zoom + 3)) / 2


def test_install_copies_each_library_once(tmp_path):
    report = static_assets.install(tmp_path)
    assert report.missing == {}
    for lib in static_assets.LIBRARIES:
        source, version = lib.locate()
        folder = tmp_path / f"{lib.name}-{version}"
        for file in (*lib.js, *lib.css):
            assert (folder / file).read_bytes() == (source / file).read_bytes()
    leaflet_css = tmp_path / static_assets.LEAFLET.folder / "leaflet.css"
    assert (leaflet_css.parent / "images" / "layers.png").exists()  # the CSS's own images
    stamp = leaflet_css.stat().st_mtime_ns
    static_assets.install(tmp_path)
    assert leaflet_css.stat().st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-made copies left


def test_missing_drawing_tool_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(static_assets, "NODE_MODULES", tmp_path / "node_modules")
    static_assets.LEAFLET_DRAW.locate.cache_clear()
    try:
        report = static_assets.install(tmp_path / "static")
        assert "npm install" in report.missing["leaflet-draw"]
        assert not static_assets.available(static_assets.LEAFLET_DRAW)
        with pytest.raises(static_assets.MissingWebAsset, match="npm install"):
            maps.add_draw_tool(maps.base_map(VIEW))
    finally:
        static_assets.LEAFLET_DRAW.locate.cache_clear()


def test_html_size_counts_bytes():
    def build():
        return maps.atlas_map(contents([point(1, name="Café ünï")]), decimals=6)

    page = html_of(build())
    assert maps.html_size(build()) == len(page.encode("utf-8")) > len(page)


def test_jinja_syntax_typed_by_a_user_stays_text():
    name = "{{ 7 * 7 }} {% if true %}x{% endif %} {# c #}"
    feature = FeatureShape(1, name, "land", "vacant", None, 1.0, shapely.box(-1.95, 52.48, -1.94, 52.49))
    page = html_of(maps.atlas_map(contents([point(1, name=name)], features=[feature]), decimals=6))
    rows = json.loads(re.search(r"var rows = (\[.*\]);$", page, flags=re.MULTILINE).group(1))
    assert rows[0][3] == name  # JavaScript reads it back exactly as typed
    assert "{{" not in page and "{%" not in page and "{#" not in page


def test_every_map_symbol_stands_out_from_white_and_the_base_map():
    # WCAG 2.1's 1.4.11 (non-text contrast), worked out independently of map_style's own
    # function: relative luminance as the standard defines it.
    from app import map_style

    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def ratio(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    assert round(ratio("#777777", "#ffffff"), 2) == 4.48  # the standard's own example
    edges = map_style.symbol_edges()
    assert {"macro", "micro", "boundary"} <= set(edges)
    weak = {name: (colour, round(ratio(colour, ground), 2)) for name, colour in edges.items()
            for ground in ("#ffffff", map_style.BASE_MAP) if ratio(colour, ground) < map_style.MIN_SYMBOL_CONTRAST}
    assert not weak, f"symbols below {map_style.MIN_SYMBOL_CONTRAST}:1: {weak}"
