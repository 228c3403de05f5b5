"""Leaflet elements of the HTML map: panes and layer registry, vector layers, legend.

The page keeps a registry ``window.hazidMaps`` of its layers and feature counts; the counts are
copied to ``data-hazid-*`` attributes of the map container when the page is ready.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import folium
from branca.element import Element, MacroElement
from branca.utilities import _camelify
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template

from hazid.maps.assets import _Raw
from hazid.maps.cluster import CELL_PX, FLAT_ZOOM
from hazid.maps.packing import _pack
from hazid.maps.styles import _PANES

#: GeoJSON text longer than this (characters) is embedded compressed.
_PACK_ABOVE = 1_000_000

_INFLATE_JS = """
window.hazidInflate = window.hazidInflate || function (b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text().then(JSON.parse);
};
"""


@functools.lru_cache(maxsize=64)
def _snake(name: str) -> str:
    """Return branca's variable name of a class name (``HazidLayer`` -> ``hazid_layer``)."""
    return _camelify(name)


class _Named:
    """Give branca's ``get_name``, with the class name converted once, not at every call."""

    def get_name(self) -> str:
        return _snake(self._name) + "_" + self._id  # type: ignore[attr-defined]


class _RawScript(_Named):
    """Put the output of the element's ``script`` macro into the page as it is.

    branca's ``MacroElement.render`` wraps that output in an ``Element``, which compiles it as
    a Jinja template: megabytes of GeoJSON lexed for nothing (and text such as ``{{`` in the
    data read as template syntax). The output is added verbatim instead, with the single
    trailing newline Jinja would drop removed, so the page is the same. A shown layer is added
    to its parent by the statement folium's ``ElementAddToElement`` writes, also verbatim.
    """

    def render(self, **kwargs: Any) -> None:
        if isinstance(self, Layer) and self.show:  # as folium's Layer.render
            self.add_child(
                _AddTo(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        _render_macros(self, kwargs)

    #: whether the text is still rendered as a template when it holds template syntax (as
    #: branca does; for the small elements, whose text comes from the code and short labels)
    _jinja = False


def _render_macros(el: Any, kwargs: dict[str, Any]) -> None:
    """Render a ``MacroElement`` as branca does, its macros' output put in the page verbatim."""
    figure = el.get_root()
    macros = el._template.module.__dict__
    for part in ("header", "html", "script"):
        if part in macros:
            getattr(figure, part).add_child(
                _verbatim(macros[part](el, kwargs), el._jinja), name=el.get_name()
            )
    for element in el._children.values():
        element.render(**kwargs)


class _Verbatim(_Named, MacroElement):
    """The rendering of :class:`_RawScript` for folium's map and layer control.

    Put after folium's class among the bases (``class _Map(folium.Map, _Verbatim)``), so that
    folium's own ``render`` runs first and ends here instead of in ``MacroElement.render``.
    """

    _jinja = True

    def render(self, **kwargs: Any) -> None:
        _render_macros(self, kwargs)


class _Map(folium.Map, _Verbatim):
    """folium's map, rendered without compiling its macros' output as templates."""


class _LayerControl(folium.LayerControl, _Verbatim):
    """folium's layer control, rendered without compiling its macros' output as templates."""


_JINJA_SYNTAX = re.compile(r"\{[{%#]|\r")


def _verbatim(text: str, jinja: bool) -> Element:
    """Make the element branca makes of a macro's output: the text without its last newline.

    With ``jinja``, a text holding template syntax (or a carriage return, which Jinja turns
    into a newline) is compiled as branca compiles it, so that the page is the same.
    """
    if jinja and _JINJA_SYNTAX.search(text):
        return Element(text)
    return _Raw(text[:-1] if text.endswith("\n") else text)


class _AddTo(_Named, Element):
    """Add a layer to its parent: folium's ``ElementAddToElement``, written verbatim."""

    def __init__(self, *, element_name: str, element_parent_name: str) -> None:
        super().__init__()
        self._name = "ElementAddToElement"
        self.element_name = element_name
        self.element_parent_name = element_parent_name

    def render(self, **kwargs: Any) -> None:
        text = ElementAddToElement._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(_verbatim(text, True), name=self.get_name())


class _Registry(_RawScript, MacroElement):
    """Create the panes and a JS registry ``window.hazidMaps`` of layers and counts."""

    _jinja = True

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {map: {{ this._parent.get_name() }}, layers: {},
            counts: {}, sites: {}, pending: 0};
        {{ this.get_name() }}.renderers = {};
        {{ this.get_name() }}.canvas = function (pane) {
            var reg = {{ this.get_name() }};
            if (!reg.renderers[pane]) { reg.renderers[pane] = L.canvas({pane: pane}); }
            return reg.renderers[pane];
        };
        {{ this.get_name() }}.loaded = function () {
            var reg = {{ this.get_name() }};
            reg.pending -= 1;
            if (reg.pending === 0 && reg.finish) { reg.finish(); }
        };
        {{ this.inflate }}
        (window.hazidMaps = window.hazidMaps || []).push({{ this.get_name() }});
        {%- for pane, z in this.panes.items() %}
        {{ this._parent.get_name() }}.createPane({{ pane|tojson }}).style.zIndex = {{ z }};
        {%- endfor %}
        L.control.scale({imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
        }
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }},
            {maxZoom: {{ this.max_zoom }}, padding: [20, 20], animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], max_zoom: int) -> None:
        super().__init__()
        self._name = "HazidRegistry"
        self.panes = _PANES
        self.bounds = bounds
        self.max_zoom = int(max_zoom)
        # Leaflet's default prefix carries a flag: plain text instead
        self.prefix = "Leaflet"
        self.inflate = _INFLATE_JS


class _Finish(_RawScript, MacroElement):
    """Place the labels without overlaps; copy the feature counts to ``data-hazid-*``.

    Runs once every compressed layer is inflated (``data-hazid-ready`` is then set).

    Labels are placed at every zoom, most important first: arrival times at border crossings
    (earliest first, each tried right, left, above and below its point; one that fits nowhere
    is shown on hover), then country names (affected Parties, Parties of origin, then by size;
    a name wider than its country is left out).
    """

    _jinja = True

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var reg = {{ this.registry.get_name() }};
            {{ this.declutter }}
            reg.finish = function () {
                reg.map.on("zoomend overlayadd", reg.declutter);
                reg.declutter();
                var box = reg.map.getContainer();
                Object.keys(reg.counts).forEach(function (k) {
                    box.setAttribute("data-hazid-" + k, String(reg.counts[k]));
                });
                box.setAttribute("data-hazid-ready", "1");
            };
            if (!reg.pending) { reg.finish(); }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, registry: _Registry) -> None:
        super().__init__()
        self._name = "HazidFinish"
        self.registry = registry
        self.declutter = _DECLUTTER_JS


_DECLUTTER_JS = """
reg.declutter = function () {
    var map = reg.map, placed = [];
    function hit(r) {
        for (var i = 0; i < placed.length; i++) {
            var p = placed[i];
            if (r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top) {
                return true;
            }
        }
        return false;
    }
    var tips = [], cl = reg.layers.crossings;
    if (cl && map.hasLayer(cl)) {
        cl.eachLayer(function (l) {
            var t = l.getTooltip();
            if (t && t.options.permanent && t.getElement()) { tips.push(t); }
        });
    }
    tips.sort(function (a, b) { return (a.hazidRank || 0) - (b.hazidRank || 0); });
    var dirs = [["right", [6, 0]], ["left", [-6, 0]], ["top", [0, -6]], ["bottom", [0, 6]]];
    tips.forEach(function (t) {
        var el = t.getElement(), ok = false;
        el.classList.remove("hazid-hidden");
        for (var i = 0; i < dirs.length && !ok; i++) {
            t.options.direction = dirs[i][0];
            t.options.offset = dirs[i][1];
            t.update();
            var r = el.getBoundingClientRect();
            if (!hit(r)) { placed.push(r); ok = true; }
        }
        t.hazidHidden = !ok;
        if (!ok) { el.classList.add("hazid-hidden"); }
    });
    var labels = reg.layers.labels;
    if (labels && map.hasLayer(labels)) {
        var items = labels.getLayers().slice().sort(function (a, b) {
            return (b.hazidRank - a.hazidRank) || (b.hazidArea - a.hazidArea);
        });
        items.forEach(function (m) {
            var el = m.getElement();
            if (!el) { return; }
            el.classList.remove("hazid-hidden");
            var r = el.firstChild.getBoundingClientRect(), b = m.hazidBox;
            var sw = map.latLngToContainerPoint([b[0], b[1]]);
            var ne = map.latLngToContainerPoint([b[2], b[3]]);
            var fits = (ne.x - sw.x) >= 0.9 * r.width && (sw.y - ne.y) >= r.height;
            if (fits && !hit(r)) { placed.push(r); } else { el.classList.add("hazid-hidden"); }
        });
    }
};
"""


class _Labels(_RawScript, Layer):
    """Country names: one non-interactive marker per country, in the ``hazidLabels`` pane."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var reg = {{ this.registry.get_name() }};
            var group = L.layerGroup();
            {{ this.data }}.forEach(function (d) {
                var m = L.marker([d[0], d[1]], {
                    pane: "hazidLabels", interactive: false, keyboard: false,
                    icon: L.divIcon({
                        className: "hazid-country-label"
                            + (d[3] ? " hazid-country-label-" + d[3] : ""),
                        html: "<span>" + d[2] + "</span>", iconSize: null
                    })
                });
                m.hazidBox = d[4];
                m.hazidRank = d[5];
                m.hazidArea = Math.abs((d[4][2] - d[4][0]) * (d[4][3] - d[4][1]));
                group.addLayer(m);
            });
            reg.layers.labels = group;
            reg.counts.labels = group.getLayers().length;
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, *, registry: _Registry, name: str, data: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "HazidLabels"
        self.registry = registry
        self.data = data


class _VectorLayer(_RawScript, Layer):
    """A GeoJSON layer drawn with one style, optionally clustered.

    Features carry ``popup`` (HTML), ``tip`` (tooltip HTML) and, for sites, ``id``. A layer
    whose GeoJSON text exceeds :data:`_PACK_ABOVE` characters is embedded compressed (zlib,
    base64) and inflated by the browser (``DecompressionStream``): popups of many sites are
    repetitive and shrink about tenfold. With ``canvas`` the features are drawn on one canvas
    per pane instead of one SVG element each (maps of many sites open much faster).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var reg = {{ this.registry.get_name() }};
            var style = {{ this.style|tojson }};
            {%- if this.canvas %}
            style.renderer = reg.canvas(style.pane);
            {%- endif %}
            {%- if this.cluster %}
            var ring = {{ this.cluster_colours|tojson }};
            var group = new window.HazidCluster(style, ring, {{ this.cell_px }},
                {{ this.flat_zoom }});
            var geo = {getLayers: function () { return group._f; },
                       addData: function (d) {
                           group.setData(d.features);
                           d.features.forEach(function (f) {  // positions of the sites
                               var p = f.properties || {}, c = f.geometry.coordinates;
                               if (p.id !== undefined) { reg.sites[p.id] = L.latLng(c[1], c[0]); }
                           });
                       }};
            {%- if not this.packed %}
            geo.addData({{ this.data }});
            {%- endif %}
            {%- else %}
            {%- if this.circles %}
            // circles drawn by one layer on its own canvas (see hazid.maps.cluster)
            var circ = [], circles = new window.HazidCircles(circ, style,
                {{ this.tooltip|tojson }}, function () {
                    return {{ this.above|tojson }}.map(function (p) { return reg.renderers[p]; });
                }, reg.circles = reg.circles || [], {{ "load" if this.texts else "null" }});
            {%- if this.texts %}
            // tooltips and popups of the circles, packed apart: decoded on first use
            function load() {
                load.pending = load.pending || window.hazidInflate(
                    {{ this.texts_json }}).then(function (t) {
                        circ.forEach(function (f, i) {
                            f.properties.tip = t[0][i]; f.properties.popup = t[1][i];
                        });
                        load.done = true;
                    });
                return load.pending;
            }
            {%- endif %}
            {%- endif %}
            var geo = L.geoJSON({{ "null" if this.packed else this.data }}, {
                {%- if this.circles %}
                filter: function (f) {
                    if (f.properties && f.properties.r) { circ.push(f); return false; }
                    return true;
                },
                {%- endif %}
                style: function () { return style; },
                pointToLayer: function (f, ll) {
                    var r = f.properties && f.properties.r;
                    return r ? L.circle(ll, L.extend({radius: r}, style))
                        : L.circleMarker(ll, style);
                },
                onEachFeature: function (f, layer) {
                    var p = f.properties || {};
                    {%- if not this.lazy %}
                    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 480}); }
                    if (p.tip) { layer.bindTooltip(p.tip, {{ this.tooltip|tojson }}); }
                    {%- endif %}
                    if (p.id !== undefined) { reg.sites[p.id] = layer; }
                    if (p.rank !== undefined && layer.getTooltip()) {
                        layer.getTooltip().hazidRank = p.rank;
                        layer.on("mouseover", function () {
                            var t = layer.getTooltip();
                            if (t.hazidHidden && t.getElement()) {
                                t.getElement().classList.remove("hazid-hidden");
                            }
                        });
                        layer.on("mouseout", function () {
                            var t = layer.getTooltip();
                            if (t.hazidHidden && t.getElement()) {
                                t.getElement().classList.add("hazid-hidden");
                            }
                        });
                    }
                }
            });
            var group = geo;
            {%- if this.circles %}
            group = L.featureGroup([geo, circles]);
            {%- endif %}
            {%- endif %}
            {%- if this.popups %}
            // the popups of the layer, in feature order, packed apart: decoded on first use
            var popups = function () {
                popups.pending = popups.pending || window.hazidInflate(
                    {{ this.popups_json }}).then(function (texts) {
                        group._f.forEach(function (f, i) { f.properties.popup = texts[i]; });
                        popups.done = true;
                    });
                return popups.pending;
            };
            {%- endif %}
            {%- if this.lazy %}
            // popups and tooltips made on first use (a map of many sites opens faster)
            group.on("click", function (e) {
                var l = e.layer, p = (l.feature && l.feature.properties) || {};
                {%- if this.popups %}
                if (l.feature && !p.popup && !popups.done) {  // popups decoded on first click
                    popups().then(function () { group.fire("click", e); });
                    return;
                }
                {%- endif %}
                if (p.popup && !l.getPopup()) {
                    l.bindPopup(p.popup, {maxWidth: 480});
                    l.openPopup(e.latlng);
                }
            });
            group.on("mouseover", function (e) {
                var l = e.layer, p = (l.feature && l.feature.properties) || {};
                if (p.tip && !l.getTooltip()) {
                    l.bindTooltip(p.tip, {{ this.tooltip|tojson }});
                    l.openTooltip(e.latlng);
                }
            });
            {%- endif %}
            reg.layers[{{ this.key|tojson }}] = group;
            reg.counts[{{ this.key|tojson }}] = geo.getLayers().length{{ this.plus }};
            {%- if this.packed %}
            reg.pending = (reg.pending || 0) + 1;
            window.hazidInflate({{ this.packed_json }}).then(function (d) {
                geo.addData(d);
                reg.counts[{{ this.key|tojson }}] = geo.getLayers().length{{ this.plus }};
                {%- if this.circles %}
                circles.refresh();
                {%- endif %}
                reg.loaded();
            });
            {%- endif %}
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        registry: _Registry,
        key: str,
        name: str,
        data: str,
        style: dict[str, Any],
        overlay: bool = True,
        show: bool = True,
        cluster: bool = False,
        tooltip: dict[str, Any] | None = None,
        canvas: bool = False,
        circles: bool = False,
        popups: list[str] | None = None,
        texts: tuple[list[str], list[str]] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "HazidLayer"
        self.registry = registry
        self.key = key
        self.data = data
        self.packed = _pack(data) if len(data) > _PACK_ABOVE else ""
        if self.packed:
            self.data = ""
        self.style = style
        self.cluster = cluster
        self.canvas = canvas
        # circles of a map of many sites: one canvas layer, not one Leaflet layer each
        self.circles = canvas and circles
        self.plus = " + circ.length" if self.circles else ""  # features counted
        # clustered layers: popups packed apart, decoded on the first click
        self.popups = (
            _pack(json.dumps(popups, ensure_ascii=False, separators=(",", ":")))
            if cluster and popups is not None
            else ""
        )
        self.above = [p for p, z in _PANES.items() if z > _PANES.get(style.get("pane"), 1e9)]
        # circles: tooltips and popups packed apart, decoded on first use
        self.texts = (
            _pack(json.dumps(list(texts), ensure_ascii=False, separators=(",", ":")))
            if self.circles and texts is not None
            else ""
        )
        # the packed texts as JSON strings (base64 needs no escaping; tojson scans megabytes)
        self.packed_json, self.popups_json, self.texts_json = (
            f'"{t}"' for t in (self.packed, self.popups, self.texts)
        )
        # many features: popups and tooltips bound on first use, unless labels are permanent
        self.lazy = canvas and not (tooltip or {}).get("permanent", False)
        self.cell_px = CELL_PX
        self.flat_zoom = FLAT_ZOOM
        self.tooltip = tooltip or {"sticky": True}
        fill = str(style.get("fillColor", "#888888"))
        r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
        text = "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 150 else "#222222"
        self.cluster_colours = [f"rgba({r},{g},{b},0.35)", fill, text, key]


class _Legend(_RawScript, MacroElement):
    """A legend drawn as a Leaflet control (a ``div.hazid-legend``)."""

    _jinja = True

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "hazid-legend");
                div.id = {{ (this._parent.get_name() ~ "-legend")|tojson }};
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str) -> None:
        super().__init__()
        self._name = "HazidLegend"
        self.html = legend_html
