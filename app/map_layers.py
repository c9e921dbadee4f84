"""Folium elements for the atlas's maps: a map with no CDN and layers that stay small.

Folium's own ``Marker`` renders one template per marker, which is far too slow for
thousands; these layers send one compact JSON array and let Leaflet build the markers in
the browser. Every text a user typed reaches the page through :func:`js_literal` (safe
inside a ``<script>`` and inert to Jinja) and, where it becomes HTML, through
:func:`html.escape` first.

Folium turns each element's rendered script back into a Jinja template. For these layers,
whose scripts carry the data, that would cost a template compile of megabytes and would
let a ``{{`` typed into a name be evaluated; :class:`_DataLayer` puts their scripts into
the page as plain text instead.
"""

from __future__ import annotations

import json

import folium
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer
from jinja2 import Template

from app import map_style, static_assets


def js_literal(value: object) -> str:
    """``value`` as a JavaScript literal that cannot close a ``<script>`` element or open
    HTML, whatever strings it holds."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    # Jinja's openers can only occur inside JSON strings (a JSON object never opens with
    # "{{", "{%" or "{#"), where an escaped brace means the same to JavaScript.
    for opener in ("{{", "{%", "{#"):
        text = text.replace(opener, "\\u007b" + opener[1])
    return text


class _RawText(Element):
    """Text put into the page as it is (branca's Element would compile it as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: object) -> str:
        return self._text


class _DataLayer(JSCSSMixin, Layer):
    """A layer whose script (which carries its data) goes into the page as plain text.

    Its ``render`` is folium's ``Layer.render``, ``JSCSSMixin.render`` and
    ``MacroElement.render`` less the step that compiles the script. (streamlit-folium
    finds the plugins a map needs by looking for JSCSSMixin elements, hence the base.)"""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs: object) -> None:
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        script = self._template.module.__dict__["script"]
        figure.script.add_child(_RawText(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class AtlasMap(folium.Map):
    """A folium map that loads Leaflet and jQuery from the app (no CDN) and, unless asked
    for a street-map background, has no tiles: the store's own shapes are the base map."""

    def __init__(self, location: tuple[float, float], zoom: float, *, tiles: bool = False,
                 max_zoom: int = 20, **kwargs: object) -> None:
        super().__init__(
            location=list(location), zoom_start=zoom, tiles="OpenStreetMap" if tiles else None,
            control_scale=True, max_zoom=max_zoom, **kwargs,
        )
        # Without a tile layer Leaflet would let the map zoom in for ever.
        self.options["maxZoom"] = max_zoom
        # Quarter zoom steps let "fit the whole area" fill the map, not half of it.
        self.options["zoomSnap"] = 0.25
        # Folium's defaults would fetch Leaflet, jQuery, Bootstrap and Font Awesome from
        # CDNs; the atlas needs only the first two, served by the app.
        self.default_js = static_assets.js_links(static_assets.LEAFLET, static_assets.JQUERY)
        self.default_css = static_assets.css_links(static_assets.LEAFLET)
        self.get_root().header.add_child(Element(f"<style>{map_style.CSS}</style>"), name="atlas_css")


class AssetMarkers(_DataLayer):
    """Asset markers, macro and micro with their own symbols, clustered when many.

    ``rows`` are ``[lat, lon, scale, title, popup_html]``; ``popup_html`` must already be
    escaped."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    // Leaflet positions an icon with a CSS transform, so the symbol (a diamond is a
    // turned square) is an element inside it.
    var icons = {
        macro: L.divIcon({className: "atlas-symbol", iconSize: [18, 18],
                          html: '<span class="atlas-asset atlas-macro"></span>'}),
        micro: L.divIcon({className: "atlas-symbol", iconSize: [14, 14],
                          html: '<span class="atlas-asset atlas-micro"></span>'})
    };
    var group = {{ this.group_js }};
    var rows = {{ this.rows_js }};
    var markers = [];
    for (var i = 0; i < rows.length; i++) {
        var r = rows[i];
        // Out of the Tab order: the list before the map names every asset (a Tab stop
        // for each of hundreds of markers would stand between a keyboard and the page).
        var m = L.marker([r[0], r[1]], {icon: icons[r[2]], title: r[3], alt: r[3],
                                        keyboard: false, riseOnHover: true, bubblingMouseEvents: true});
        m.bindPopup(r[4], {className: "atlas-popup"});
        markers.push(m);
    }
    if (group.addLayers) { group.addLayers(markers); } else { markers.forEach(function (m) { group.addLayer(m); }); }
    return group;
})();
{% endmacro %}
""")

    def __init__(self, rows: list[list[object]], *, name: str = "Assets", cluster: bool = False,
                 show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "AtlasAssets"
        self.rows_js = js_literal(rows)
        self.cluster = cluster
        if cluster:
            self.group_js = ("L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 45, "
                             "disableClusteringAtZoom: 18, chunkedLoading: true})")
            self.default_js = static_assets.js_links(static_assets.MARKER_CLUSTER)
            self.default_css = static_assets.css_links(static_assets.MARKER_CLUSTER)
        else:
            self.group_js = "L.featureGroup()"
            self.default_js = []
            self.default_css = []


class AssetCells(_DataLayer):
    """Counts of assets on a grid, for views that hold too many to draw one by one.
    Clicking a cell zooms to it. ``rows`` are ``[lat, lon, label, size_px, title, css_class,
    south, west, north, east]``."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var group = L.featureGroup();
    var rows = {{ this.rows_js }};
    rows.forEach(function (r) {
        var m = L.marker([r[0], r[1]], {
            icon: L.divIcon({className: "atlas-cell " + r[5], html: r[2], iconSize: [r[3], r[3]]}),
            title: r[4], alt: r[4], keyboard: false, bubblingMouseEvents: true});
        m.on("click", function () { {{ this._parent.get_name() }}.fitBounds([[r[6], r[7]], [r[8], r[9]]]); });
        group.addLayer(m);
    });
    return group;
})();
{% endmacro %}
""")

    def __init__(self, rows: list[list[object]], *, name: str = "Assets (counts)") -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "AtlasAssetCells"
        self.rows_js = js_literal(rows)


class ShapeLayer(_DataLayer):
    """GeoJSON shapes styled from a small table of named styles, with escaped popups and
    tooltips, optional text labels, SVG for a few shapes and canvas for many.

    Each feature's properties: ``s`` (style name), optional ``p`` (popup HTML, escaped),
    ``t`` (tooltip text, escaped; also the shape's name for assistive technology) and ``l``
    (label text, escaped, drawn at ``lp`` = [lat, lon], with the CSS class ``lc`` if given).
    Shapes are kept out of the Tab order: the page lists them before the map."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var styles = {{ this.styles_js }};
    var layer = L.geoJSON({{ this.data_js }}, {
        {% if this.canvas %}renderer: L.canvas({padding: 0.5}),{% endif %}
        interactive: {{ 'true' if this.interactive else 'false' }},
        style: function (f) { return styles[f.properties.s]; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, styles[f.properties.s]); },
        onEachFeature: function (f, l) {
            if (f.properties.p) { l.bindPopup(f.properties.p, {className: "atlas-popup"}); }
            if (f.properties.t) { l.bindTooltip(f.properties.t, {sticky: true}); }
            // Chromium puts an SVG shape with focus listeners (Leaflet's tooltips add them)
            // in the Tab order, unnamed; the list before the map names them instead.
            l.on("add", function () {
                var el = l.getElement && l.getElement();
                if (!el) { return; }
                el.setAttribute("tabindex", "-1");
                if (f.properties.t) {
                    var text = document.createElement("textarea");
                    text.innerHTML = f.properties.t;  // the escaped name, read back as text
                    el.setAttribute("aria-label", text.value);
                    el.setAttribute("role", "img");
                } else {
                    el.setAttribute("aria-hidden", "true");
                }
            });
        }
    });
    var group = L.featureGroup([layer]);
    layer.eachLayer(function (l) {
        var p = l.feature.properties;
        if (p.l) {
            L.marker(p.lp, {interactive: false, keyboard: false,
                icon: L.divIcon({className: "atlas-label",
                                 html: "<span" + (p.lc ? " class='" + p.lc + "'" : "") + ">" + p.l + "</span>",
                                 iconSize: null})
            }).addTo(group);
        }
    });
    return group;
})();
{% endmacro %}
""")

    def __init__(self, features: list[dict], styles: dict[str, dict], *, name: str,
                 canvas: bool = False, interactive: bool = True, show: bool = True,
                 control: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "AtlasShapes"
        self.data_js = js_literal({"type": "FeatureCollection", "features": features})
        self.styles_js = js_literal(styles)
        self.canvas = canvas
        self.interactive = interactive


LEGEND_OPEN_FROM_PX = 800
"""A legend opens by itself on a map at least this wide; on a narrower one (a tablet, a
phone, a column) it starts folded, a button in the corner. Once a person opens or folds
it, that choice is kept for the browser tab (``sessionStorage``)."""


class Legend(MacroElement):
    """A collapsible legend in the map's corner: a ``<details>`` element, so it opens and
    folds with a click, Enter or Space. ``body_html`` and ``title`` must already be
    escaped. ``open_`` None means: open on a wide map, folded on a narrow one (see
    :data:`LEGEND_OPEN_FROM_PX`), unless the person chose otherwise in this tab. It never
    grows taller than the map."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomright"});
{{ this.get_name() }}.onAdd = function (map) {
    var div = L.DomUtil.create("div", "atlas-legend leaflet-control");
    div.innerHTML = {{ this.html_js }};
    var details = div.querySelector("details");
    var remembered = null;
    try { remembered = window.sessionStorage.getItem("atlas.legend.open"); } catch (e) {}
    var open = {{ this.open_js }};
    if (open === null) {
        open = remembered !== null ? remembered === "1" : map.getSize().x >= {{ this.open_from_px }};
    }
    details.open = open;
    details.addEventListener("toggle", function () {
        try { window.sessionStorage.setItem("atlas.legend.open", details.open ? "1" : "0"); } catch (e) {}
    });
    var fit = function () { div.style.maxHeight = Math.max(80, map.getSize().y - 70) + "px"; };
    fit();
    map.on("resize", fit);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, body_html: str, *, title: str = "Legend", open_: bool | None = None) -> None:
        super().__init__()
        self._name = "AtlasLegend"
        self.open_js = "null" if open_ is None else ("true" if open_ else "false")
        self.open_from_px = LEGEND_OPEN_FROM_PX
        self.html_js = js_literal(f"<details><summary>{title}</summary>{body_html}</details>")


class MapTitle(MacroElement):
    """The map's name for assistive technology and its controls' words in the page's
    language. streamlit-folium's frame is announced by its component name
    ("streamlit_folium.st_folium") and neither it nor Streamlit lets a page set its
    ``title``; the frame is the app's own (same origin), so the map's script sets it from
    inside. The map's keyboard area (Leaflet's container, a Tab stop for panning with the
    arrow keys) is named too. ``words`` are plain text: title, keys (how to move the
    map), zoom_in, zoom_out, layers."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map, words) {
    try { if (window.frameElement) { window.frameElement.setAttribute("title", words.title); } } catch (e) {}
    document.title = words.title;
    var c = map.getContainer();
    c.setAttribute("role", "region");
    c.setAttribute("aria-label", words.title + ". " + words.keys);
    var name = function (selector, text) {
        c.querySelectorAll(selector).forEach(function (el) {
            el.setAttribute("title", text); el.setAttribute("aria-label", text);
        });
    };
    var controls = function () {
        name(".leaflet-control-zoom-in", words.zoom_in);
        name(".leaflet-control-zoom-out", words.zoom_out);
        name(".leaflet-control-layers-toggle", words.layers);
    };
    controls();
    map.whenReady(function () { window.setTimeout(controls, 0); });
})({{ this._parent.get_name() }}, {{ this.words_js }});
{% endmacro %}
""")

    def __init__(self, words: dict[str, str]) -> None:
        super().__init__()
        self._name = "AtlasMapTitle"
        self.words_js = js_literal(words)
