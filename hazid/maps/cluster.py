"""Layers of a map of many sites, drawn in the browser from data: clustered markers, circles.

**Clusters** (``window.HazidCluster``, the site markers, and the border crossings when there
are many):
A clustered layer keeps its features as data and draws only what the screen shows: at each
zoom below :data:`FLAT_ZOOM` the points are counted in a grid of :data:`CELL_PX` screen
pixels (Web Mercator, the projection Leaflet displays), each cell holding more than one point
is drawn as one cluster marker (its count, at the mean position of its points; a click zooms
to them) and each cell holding one point as that point's marker. From :data:`FLAT_ZOOM` on every
point is drawn. Only the cells and points in view (plus a margin) are drawn, and the grid of
each zoom is computed once, so a map of 100,000 sites opens and zooms without delay, where one
Leaflet marker per site, clustered by Leaflet.markercluster, took tens of seconds.

The cluster markers keep the look of Leaflet.markercluster (its stylesheet is inlined):
a ``div.marker-cluster.hazid-cluster`` coloured like the layer.

**Circles** (``window.HazidCircles``, the consequence zones that are circles): one canvas per
layer, each circle filled and outlined on it in turn, redrawn when the map has moved; each
circle is placed and sized as Leaflet's ``L.circle`` would. Their tooltips and popups are
packed apart and decoded when the pointer first reaches a circle. The layer answers the pointer
itself: the tooltip of the
circle under it and the popup on a click, unless a feature drawn above it (a trace, a
crossing, a site, a cluster, or a circle of a layer drawn later) is there. Leaflet made one
object per zone, which took seconds for tens of thousands of zones.
"""

from __future__ import annotations

#: Size of a grid cell (screen pixels).
CELL_PX = 50
#: Zoom from which every point is drawn on its own.
FLAT_ZOOM = 13

CLUSTER_JS = """
window.HazidCluster = window.HazidCluster || L.FeatureGroup.extend({
    initialize: function (style, ring, cellPx, flatZoom) {
        L.FeatureGroup.prototype.initialize.call(this, []);
        this._style = style; this._ring = ring; this._px = cellPx; this._flat = flatZoom;
        this._f = []; this._x = []; this._y = []; this._grids = {};
    },
    setData: function (features) {
        var n = features.length, crs = L.CRS.EPSG3857;
        this._f = features; this._grids = {};
        this._x = new Float64Array(n); this._y = new Float64Array(n);
        for (var i = 0; i < n; i++) {
            var c = features[i].geometry.coordinates;
            var p = crs.latLngToPoint(L.latLng(c[1], c[0]), 0);
            this._x[i] = p.x; this._y[i] = p.y;
        }
        if (this._map) { this._draw(); }
        return this;
    },
    size: function () { return this._f.length; },
    onAdd: function (map) {
        L.FeatureGroup.prototype.onAdd.call(this, map);
        map.on("moveend", this._draw, this);
        this._draw();
    },
    onRemove: function (map) {
        map.off("moveend", this._draw, this);
        this.clearLayers();
        L.FeatureGroup.prototype.onRemove.call(this, map);
    },
    _grid: function (z) {
        if (this._grids[z]) { return this._grids[z]; }
        var s = Math.pow(2, z) / this._px, cells = new Map(), x = this._x, y = this._y;
        for (var i = 0; i < x.length; i++) {
            var key = Math.floor(x[i] * s) * 2097152 + Math.floor(y[i] * s);
            var c = cells.get(key);
            if (!c) {
                cells.set(key, {n: 1, sx: x[i], sy: y[i], x0: x[i], x1: x[i], y0: y[i],
                                y1: y[i], first: i});
            } else {
                c.n += 1; c.sx += x[i]; c.sy += y[i];
                if (x[i] < c.x0) { c.x0 = x[i]; } if (x[i] > c.x1) { c.x1 = x[i]; }
                if (y[i] < c.y0) { c.y0 = y[i]; } if (y[i] > c.y1) { c.y1 = y[i]; }
            }
        }
        this._grids[z] = Array.from(cells.values());
        return this._grids[z];
    },
    _point: function (i) {
        var f = this._f[i], c = f.geometry.coordinates;
        var m = L.circleMarker([c[1], c[0]], this._style);
        m.feature = f;
        return m;
    },
    _cluster: function (c, map) {
        var crs = L.CRS.EPSG3857, ring = this._ring, self = this;
        var at = crs.pointToLatLng(L.point(c.sx / c.n, c.sy / c.n), 0);
        var m = L.marker(at, {icon: L.divIcon({
            html: '<div style="background-color:' + ring[1] + ';color:' + ring[2]
                + ';box-shadow:0 0 0 5px ' + ring[0] + '"><span>' + c.n + '</span></div>',
            className: "marker-cluster hazid-cluster hazid-cluster-" + ring[3],
            iconSize: L.point(40, 40)
        })});
        m.hazidCount = c.n;
        m.on("click", function () {
            var sw = crs.pointToLatLng(L.point(c.x0, c.y1), 0);
            var ne = crs.pointToLatLng(L.point(c.x1, c.y0), 0);
            var z = map.getBoundsZoom(L.latLngBounds(sw, ne), false, L.point(40, 40));
            z = Math.min(Math.max(z, map.getZoom() + 1), self._flat);
            map.setView(L.latLngBounds(sw, ne).getCenter(), z);
        });
        return m;
    },
    _draw: function () {
        var map = this._map;
        if (!map) { return; }
        this.clearLayers();
        var z = map.getZoom(), k = Math.pow(2, z), view = map.getPixelBounds();
        var pad = 2 * this._px, x0 = view.min.x - pad, x1 = view.max.x + pad;
        var y0 = view.min.y - pad, y1 = view.max.y + pad, layers = [], i;
        function seen(x, y) { return x * k >= x0 && x * k <= x1 && y * k >= y0 && y * k <= y1; }
        if (z >= this._flat) {
            for (i = 0; i < this._x.length; i++) {
                if (seen(this._x[i], this._y[i])) { layers.push(this._point(i)); }
            }
        } else {
            var cells = this._grid(z);
            for (i = 0; i < cells.length; i++) {
                var c = cells[i];
                if (!seen(c.sx / c.n, c.sy / c.n)) { continue; }
                layers.push(c.n === 1 ? this._point(c.first) : this._cluster(c, map));
            }
        }
        for (i = 0; i < layers.length; i++) { this.addLayer(layers[i]); }
    }
});
"""

CIRCLES_JS = """
window.HazidCircles = window.HazidCircles || L.Layer.extend({
    initialize: function (features, style, tooltip, above, stack, load) {
        this._f = features; this._style = style; this._tipOpts = tooltip; this._above = above;
        this._hit = null; this._stack = stack; stack.push(this); this._load = load;
    },
    refresh: function () {
        if (this._map) { this._draw(); }
    },
    onAdd: function (map) {
        this._canvas = L.DomUtil.create(
            "canvas", "leaflet-zoom-hide " + (this._style.className || ""));
        this._canvas.style.pointerEvents = "none";
        map.getPane(this._style.pane || "overlayPane").appendChild(this._canvas);
        map.on("moveend", this._draw, this);
        map.on("mousemove", this._hover, this);
        map.on("click", this._click, this);
        this._tip = L.tooltip(this._tipOpts);
        this._draw();
    },
    onRemove: function (map) {
        map.off("moveend", this._draw, this);
        map.off("mousemove", this._hover, this);
        map.off("click", this._click, this);
        map.removeLayer(this._tip);
        L.DomUtil.remove(this._canvas);
    },
    _draw: function () {
        var map = this._map, size = map.getSize(), s = this._style, f = this._f;
        var pad = size.multiplyBy(0.5), ctx = this._canvas.getContext("2d");
        var origin = map.containerPointToLayerPoint(pad.multiplyBy(-1)).round();
        var w = size.x + 2 * pad.x, h = size.y + 2 * pad.y;
        this._canvas.width = w; this._canvas.height = h;
        this._canvas.style.width = w + "px"; this._canvas.style.height = h + "px";
        L.DomUtil.setPosition(this._canvas, origin);
        this._origin = origin;
        var n = f.length, x = new Float64Array(n), y = new Float64Array(n), r = new Float64Array(n);
        ctx.lineWidth = s.weight; ctx.strokeStyle = s.color; ctx.fillStyle = s.fillColor || s.color;
        var fill = s.fillOpacity === undefined ? 0.2 : s.fillOpacity;
        var line = s.opacity === undefined ? 1 : s.opacity;
        for (var i = 0; i < n; i++) {
            // as L.Circle: the circle spans lat +- radius / L.CRS.Earth.R
            var c = f[i].geometry.coordinates, dlat = f[i].properties.r / 6371008.8 * 180 / Math.PI;
            var top = map.latLngToLayerPoint([c[1] + dlat, c[0]]);
            var bottom = map.latLngToLayerPoint([c[1] - dlat, c[0]]);
            x[i] = top.x - origin.x; y[i] = (top.y + bottom.y) / 2 - origin.y;
            r[i] = (bottom.y - top.y) / 2;
            if (x[i] + r[i] < 0 || x[i] - r[i] > w || y[i] + r[i] < 0 || y[i] - r[i] > h) {
                continue;
            }
            // each circle filled and outlined, as Leaflet draws paths (one path of all the
            // circles fills their union, but is several times slower to draw)
            ctx.beginPath();
            ctx.arc(x[i], y[i], Math.max(r[i], 0.5), 0, 2 * Math.PI);
            ctx.globalAlpha = fill;
            ctx.fill();
            ctx.globalAlpha = line;
            ctx.stroke();
        }
        this._x = x; this._y = y; this._r = r;
    },
    _under: function (e) {
        var reg = this._above(), t = e.originalEvent && e.originalEvent.target;
        if (t && t.tagName !== "CANVAS") { return -1; }  // a marker or a control
        for (var k = 0; k < reg.length; k++) {
            if (reg[k] && reg[k]._hoveredLayer) { return -1; }  // a feature drawn above
        }
        // the circle layers drawn later (above this one) take the event first
        for (var j = this._stack.indexOf(this) + 1; j < this._stack.length; j++) {
            if (this._stack[j]._map && this._stack[j]._at(e.latlng) >= 0) { return -1; }
        }
        return this._at(e.latlng);
    },
    _at: function (latlng) {
        if (!this._x) { return -1; }
        var p = this._map.latLngToLayerPoint(latlng).subtract(this._origin);
        for (var i = this._f.length - 1; i >= 0; i--) {
            var dx = p.x - this._x[i], dy = p.y - this._y[i], rr = Math.max(this._r[i], 3);
            if (dx * dx + dy * dy <= rr * rr) { return i; }
        }
        return -1;
    },
    _hover: function (e) {
        var i = this._under(e), map = this._map;
        this._last = null;
        if (i < 0) {
            if (this._hit !== null) { map.removeLayer(this._tip); this._hit = null; }
            map.getContainer().classList.remove("hazid-pointer");
            return;
        }
        map.getContainer().classList.add("hazid-pointer");
        if (this._load && !this._load.done) {  // texts decoded first
            var self = this;
            this._last = e;
            this._load().then(function () { if (self._last) { self._hover(self._last); } });
            return;
        }
        if (this._hit !== i) { this._tip.setContent(this._f[i].properties.tip || ""); }
        this._tip.setLatLng(e.latlng);
        if (this._hit === null) { this._tip.addTo(map); }
        this._hit = i;
    },
    _click: function (e) {
        var i = this._under(e), self = this;
        if (i >= 0 && this._load && !this._load.done) {
            this._load().then(function () { self._click(e); });
            return;
        }
        if (i < 0 || !this._f[i].properties.popup) { return; }
        L.popup({maxWidth: 480}).setLatLng(e.latlng).setContent(this._f[i].properties.popup)
            .openOn(this._map);
    }
});
"""
