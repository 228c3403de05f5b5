"""Clustering of the markers of a map of many sites, in the browser, at the zoom shown.

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
