"""Interactive, self-contained HTML maps of screening results.

:func:`screening_map` draws the sites (coloured by status), the consequence
zones, the downstream river traces with their border crossings, the affected
Parties and the countries of origin on a Leaflet map built with folium;
:func:`write_map` writes it to one HTML file.

The HTML is self-contained and works offline: Leaflet 1.9.4 and
Leaflet.markercluster 1.5.3 (vendored in ``hazid/static``, see
``hazid/static/VERSIONS.md``) are inlined, folium's CDN links (jQuery,
Bootstrap, Font Awesome, awesome-markers) are switched off, markers are
``CircleMarker`` paths (no icon images) and country polygons serve as the base
map. A tile layer is added only when ``tiles`` is given, and is then the only
thing the page loads from the network.

Geometries are simplified before they are embedded, in a local azimuthal
equidistant projection centred on the results (metres), with a tolerance chosen
from the extent of the results: one 2000th of the diagonal of the bounding box
of sites, zones and traces (about half a screen pixel at the zoom that fits the
results), and at least 50 m. Consequence zones are simplified by at most 2 % of
their equivalent radius so that small zones keep their shape.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from hazid.errors import CRSError, GeodataError, OutputError, check_choice

logger = logging.getLogger(__name__)

__all__ = [
    "MAP_LAYERS",
    "SITE_STATUS_STYLE",
    "ZONE_COLOURS",
    "screening_map",
    "write_map",
]

#: Layer groups that :func:`screening_map` can draw (its ``layers`` argument).
MAP_LAYERS: tuple[str, ...] = ("countries", "affected", "origin", "zones", "rivers", "sites")

#: Marker style of each site status: ``notify`` (hazardous, with at least one
#: affected Party), ``domestic`` (hazardous, no affected Party), ``other``.
SITE_STATUS_STYLE: dict[str, dict[str, Any]] = {
    "notify": {
        "label": "Hazardous, notifying",
        "radius": 7,
        "color": "#67000d",
        "weight": 1.5,
        "fillColor": "#e31a1c",
        "fillOpacity": 0.9,
    },
    "domestic": {
        "label": "Hazardous, domestic only",
        "radius": 6,
        "color": "#7f2704",
        "weight": 1.2,
        "fillColor": "#fd8d3c",
        "fillOpacity": 0.9,
    },
    "other": {
        "label": "Not hazardous",
        "radius": 4,
        "color": "#404040",
        "weight": 1,
        "fillColor": "#bdbdbd",
        "fillOpacity": 0.85,
    },
}

#: Outline and fill colour of the consequence zones of each hazard type.
ZONE_COLOURS: dict[str, str] = {
    "toxic": "#6a3d9a",
    "fire": "#ff7f00",
    "fireball": "#d4a000",
    "explosion": "#e31a1c",
}
_OTHER_ZONE_COLOUR = "#636363"

_COUNTRY_STYLE = {
    "color": "#8c8c8c",
    "weight": 0.8,
    "fillColor": "#f4f1ea",
    "fillOpacity": 1.0,
}
_AFFECTED_STYLE = {"color": "#cb181d", "weight": 1.2, "fillColor": "#fb6a4a", "fillOpacity": 0.3}
_ORIGIN_STYLE = {"color": "#08306b", "weight": 3, "fill": False, "interactive": False}
_TRACE_STYLE = {"color": "#0868ac", "weight": 3, "opacity": 0.85}
_CROSSING_STYLE = {
    "radius": 5,
    "color": "#08306b",
    "weight": 2,
    "fillColor": "#ffffff",
    "fillOpacity": 1.0,
}
_SEA_COLOUR = "#d5e4ef"

# Map panes (z-index) keep the drawing order fixed when layers are toggled.
_PANES = {
    "hazidCountries": 250,
    "hazidAffected": 300,
    "hazidOrigin": 320,
    "hazidZones": 410,
    "hazidRivers": 420,
    "hazidCrossings": 430,
    "hazidSites": 440,
}

_MIN_TOLERANCE_M = 50.0
_ZONE_TOLERANCE_FRACTION = 0.02
_COUNTRY_PAD_M = 300_000.0
_PERMANENT_LABELS_MAX = 40
_GEOD = pyproj.Geod(ellps="WGS84")


# --------------------------------------------------------------------------- assets


@functools.lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    """Read the vendored Leaflet files, with images as data URIs."""
    static = files("hazid") / "static"

    def text(*parts: str) -> str:
        res = static.joinpath(*parts)
        body = res.read_text(encoding="utf-8")
        return re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", body)

    def data_uri(match: re.Match[str]) -> str:
        name = match.group(1)
        raw = static.joinpath("leaflet", "images", name).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(raw).decode("ascii") + ")"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, text("leaflet", "leaflet.css"))
    return {
        "leaflet_js": text("leaflet", "leaflet.js"),
        "leaflet_css": css,
        "cluster_js": text("markercluster", "leaflet.markercluster.js"),
        "cluster_css": text("markercluster", "MarkerCluster.css")
        + "\n"
        + text("markercluster", "MarkerCluster.Default.css"),
    }


_PAGE_CSS = """
.leaflet-container { background: %(sea)s; }
.hazid-legend { background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 12px/1.35 sans-serif; color: #222;
  max-width: 240px; }
.hazid-legend h4 { margin: 0 0 4px; font-size: 13px; }
.hazid-legend .hz-sec { margin-top: 5px; font-weight: bold; }
.hz-sw { display: inline-block; width: 12px; height: 12px; margin-right: 5px;
  vertical-align: -2px; border: 1.5px solid #333; box-sizing: border-box; }
.hz-sw.hz-dot { border-radius: 50%%; }
.hz-sw.hz-line { height: 0; border-width: 3px 0 0 0; vertical-align: 3px; }
.hz-pop { font: 12px/1.35 sans-serif; }
.hz-pop .hz-h { font-weight: bold; font-size: 14px; }
.hz-pop .hz-s { color: #555; margin-bottom: 3px; }
.hz-pop .hz-st { font-weight: bold; margin: 3px 0; }
.hz-pop .hz-notify { color: #b10026; } .hz-pop .hz-domestic { color: #a63603; }
.hz-pop .hz-other { color: #404040; }
.hz-pop table { border-collapse: collapse; margin: 4px 0; }
.hz-pop th, .hz-pop td { border: 1px solid #ccc; padding: 1px 4px; text-align: left; }
.hz-pop th { background: #f0f0f0; }
.hz-pop td.n { text-align: right; }
.hazid-crossing-label { font: 11px sans-serif; padding: 1px 4px; }
"""


class _Raw(Element):
    """An element that renders a fixed string (never parsed as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _install_assets(m: folium.Map, *, cluster: bool) -> None:
    """Switch off folium's CDN links and inline the vendored assets instead."""
    m.default_js = []
    m.default_css = []
    a = _assets()
    header = m.get_root().header
    header.add_child(_Raw("<style>" + a["leaflet_css"] + "</style>"), name="hazid_leaflet_css")
    if cluster:
        header.add_child(_Raw("<style>" + a["cluster_css"] + "</style>"), name="hazid_cluster_css")
    header.add_child(
        _Raw("<style>" + _PAGE_CSS % {"sea": _SEA_COLOUR} + "</style>"), name="hazid_css"
    )
    header.add_child(_Raw("<script>" + a["leaflet_js"] + "</script>"), name="hazid_leaflet_js")
    if cluster:
        header.add_child(_Raw("<script>" + a["cluster_js"] + "</script>"), name="hazid_cluster_js")


# --------------------------------------------------------------------------- elements


class _Registry(MacroElement):
    """Create the panes and a JS registry ``window.hazidMaps`` of layers and counts."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {map: {{ this._parent.get_name() }}, layers: {},
            counts: {}, sites: {}};
        (window.hazidMaps = window.hazidMaps || []).push({{ this.get_name() }});
        {%- for pane, z in this.panes.items() %}
        {{ this._parent.get_name() }}.createPane({{ pane|tojson }}).style.zIndex = {{ z }};
        {%- endfor %}
        L.control.scale({imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
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


class _Finish(MacroElement):
    """Copy the feature counts to ``data-hazid-*`` attributes of the map container."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var reg = {{ this.registry.get_name() }};
            var box = reg.map.getContainer();
            Object.keys(reg.counts).forEach(function (k) {
                box.setAttribute("data-hazid-" + k, String(reg.counts[k]));
            });
            box.setAttribute("data-hazid-ready", "1");
        })();
        {% endmacro %}
        """
    )

    def __init__(self, registry: _Registry) -> None:
        super().__init__()
        self._name = "HazidFinish"
        self.registry = registry


class _VectorLayer(Layer):
    """A GeoJSON layer drawn with one style, optionally clustered.

    Features carry ``popup`` (HTML), ``tip`` (tooltip HTML) and, for sites, ``id``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var reg = {{ this.registry.get_name() }};
            var style = {{ this.style|tojson }};
            var group = L.geoJSON({{ this.data }}, {
                style: function () { return style; },
                pointToLayer: function (f, ll) { return L.circleMarker(ll, style); },
                onEachFeature: function (f, layer) {
                    var p = f.properties || {};
                    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 480}); }
                    if (p.tip) { layer.bindTooltip(p.tip, {{ this.tooltip|tojson }}); }
                    if (p.id !== undefined) { reg.sites[p.id] = layer; }
                }
            });
            var n = group.getLayers().length;
            {%- if this.cluster %}
            var opts = {{ this.cluster_options|tojson }};
            var ring = {{ this.cluster_colours|tojson }};
            opts.iconCreateFunction = function (c) {
                return L.divIcon({
                    html: '<div style="background-color:' + ring[1] + ';color:' + ring[2]
                        + ';box-shadow:0 0 0 5px ' + ring[0] + '"><span>'
                        + c.getChildCount() + '</span></div>',
                    className: "marker-cluster hazid-cluster hazid-cluster-" + ring[3],
                    iconSize: L.point(40, 40)
                });
            };
            var cl = L.markerClusterGroup(opts);
            cl.addLayers(group.getLayers());
            group = cl;
            {%- endif %}
            reg.layers[{{ this.key|tojson }}] = group;
            reg.counts[{{ this.key|tojson }}] = n;
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
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "HazidLayer"
        self.registry = registry
        self.key = key
        self.data = data
        self.style = style
        self.cluster = cluster
        self.cluster_options = {
            "chunkedLoading": True,
            "showCoverageOnHover": False,
            "maxClusterRadius": 50,
            "disableClusteringAtZoom": 13,
        }
        self.tooltip = tooltip or {"sticky": True}
        fill = str(style.get("fillColor", "#888888"))
        r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
        text = "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 150 else "#222222"
        self.cluster_colours = [f"rgba({r},{g},{b},0.35)", fill, text, key]


class _Legend(MacroElement):
    """A legend drawn as a Leaflet control (a ``div.hazid-legend``)."""

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


# --------------------------------------------------------------------------- helpers


def _esc(value: Any) -> str:
    """HTML-escape a value; missing values give an empty string."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    """Format a number for display (3 significant digits, thousands separated)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(x):
        return "–"
    if abs(x) >= 999.5:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _col(df: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    """Column ``name`` of ``df``, or a column of ``default`` when absent."""
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


def _text_col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column as HTML-escaped strings (missing values empty)."""
    return _col(df, name).map(_esc).astype(object)


def _num_col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column as formatted numbers."""
    return pd.to_numeric(_col(df, name), errors="coerce").map(_fmt).astype(object)


def _lookup(keys: pd.Series, mapping: Any) -> pd.Series:
    """Map ``keys`` through ``mapping`` (dict or Series) to strings, missing -> ``""``."""
    out = keys.map(mapping).astype(object)
    return out.where(out.notna(), "").astype(object)


def _truthy(s: pd.Series) -> pd.Series:
    """Booleans from a column that may hold bools, 0/1, strings or missing values."""
    txt = s.astype(object).map(lambda v: str(v).strip().lower())
    return txt.isin(["true", "1", "1.0", "yes", "y"]).astype(bool)


def _script_safe(text: str) -> str:
    """Make JSON text safe inside an HTML ``<script>`` element."""
    return re.sub(r"<(?=[/!]|script)", r"\\u003c", text, flags=re.IGNORECASE)


def _feature_collection(geoms: np.ndarray, props: list[dict[str, Any]], decimals: int) -> str:
    """GeoJSON FeatureCollection text with coordinates rounded to ``decimals``."""
    if len(geoms) == 0:
        return '{"type":"FeatureCollection","features":[]}'
    rounded = shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.round(c, decimals))
    gj = shapely.to_geojson(rounded)
    parts = [
        '{"type":"Feature","geometry":'
        + g
        + ',"properties":'
        + json.dumps(p, ensure_ascii=False, separators=(",", ":"))
        + "}"
        for g, p in zip(gj, props, strict=True)
    ]
    return _script_safe('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}")


def _decimals(tolerance_m: float) -> int:
    """Decimal places of degrees that resolve a fifth of ``tolerance_m``."""
    step_deg = tolerance_m / 111_320.0 / 5.0
    return int(np.clip(np.ceil(-np.log10(step_deg)), 4, 6))


def _layer(results: Any, name: str, *, required: bool = False) -> Any:
    """Attribute ``name`` of ``results`` (None when absent and not required)."""
    if not hasattr(results, name):
        if required:
            raise GeodataError(f"results has no attribute {name!r}; expected screening results")
        return None
    return getattr(results, name)


def _geo(layer: Any, name: str) -> gpd.GeoDataFrame | None:
    """``layer`` in EPSG:4326 without empty geometries; None if absent or empty."""
    if layer is None:
        return None
    if not isinstance(layer, gpd.GeoDataFrame):
        raise GeodataError(f"{name} must be a GeoDataFrame, got {type(layer).__name__}")
    if layer.crs is None:
        raise CRSError(f"{name} has no CRS; set one (e.g. EPSG:4326) before mapping")
    out = layer.to_crs(4326) if not layer.crs.equals(pyproj.CRS.from_epsg(4326)) else layer
    geom = out.geometry
    keep = geom.notna().to_numpy() & ~shapely.is_empty(geom.to_numpy())
    return out.loc[keep].reset_index(drop=True)


def _frame(table: Any, name: str) -> pd.DataFrame | None:
    """``table`` as a DataFrame (None if absent or empty)."""
    if table is None:
        return None
    if not isinstance(table, pd.DataFrame):
        raise GeodataError(f"{name} must be a DataFrame, got {type(table).__name__}")
    if "site_id" not in table.columns:
        raise GeodataError(f"{name} has no 'site_id' column")
    if table.empty:
        return None
    out = table.copy()
    out["site_id"] = out["site_id"].astype(str)
    return out


def _extent(*layers: gpd.GeoDataFrame | None) -> tuple[float, float, float, float] | None:
    """Union of the bounds of the non-empty layers (lon/lat degrees)."""
    boxes = [g.total_bounds for g in layers if g is not None and len(g)]
    if not boxes:
        return None
    b = np.vstack(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _metric_crs(bounds: tuple[float, float, float, float]) -> pyproj.CRS:
    """Azimuthal equidistant CRS (metres) centred on the bounds."""
    lon0 = (bounds[0] + bounds[2]) / 2.0
    lat0 = (bounds[1] + bounds[3]) / 2.0
    return pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
    )


def _auto_tolerance(bounds: tuple[float, float, float, float]) -> float:
    """Simplification tolerance (m): geodesic diagonal of the bounds / 2000, at least 50 m."""
    _, _, diag = _GEOD.inv(bounds[0], bounds[1], bounds[2], bounds[3])
    return max(float(diag) / 2000.0, _MIN_TOLERANCE_M)


def _project(geoms: np.ndarray, crs: pyproj.CRS, *, inverse: bool = False) -> np.ndarray:
    """Transform shapely geometries between EPSG:4326 and ``crs``."""
    tr = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    direction = "INVERSE" if inverse else "FORWARD"

    def fn(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1], direction=direction)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def _simplify(geoms: np.ndarray, crs: pyproj.CRS, tolerance_m: float | np.ndarray) -> np.ndarray:
    """Douglas-Peucker (topology preserving) in the metric ``crs``, back to EPSG:4326.

    Longitudes of ±180 that changed sign on the way (antimeridian) are put back on
    the side of the original geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    metric = _project(geoms, crs)
    simple = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    back = _project(simple, crs, inverse=True)
    ref = shapely.bounds(geoms)
    coords, idx = shapely.get_coordinates(back, return_index=True)
    if len(coords):
        east = ref[idx, 0] >= 0
        west = ref[idx, 2] <= 0
        x = coords[:, 0]
        x = np.where(east & (x < -179.0), x + 360.0, x)
        x = np.where(west & (x > 179.0), x - 360.0, x)
        coords[:, 0] = x
        back = shapely.set_coordinates(back, coords)
    return back


def _clip_to_window(geoms: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Clip country polygons to a lon/lat window around the results.

    Far parts of large countries (Chukotka for a map of Central Asia) are cut away before the
    geometries are projected around the results' centre, where an azimuthal projection would
    distort them beyond use. The window adds 30 degrees of longitude and 20 of latitude.
    """
    window = shapely.box(
        max(bounds[0] - 30.0, -180.0),
        max(bounds[1] - 20.0, -90.0),
        min(bounds[2] + 30.0, 180.0),
        min(bounds[3] + 20.0, 90.0),
    )
    return shapely.intersection(np.asarray(geoms, dtype=object), window)


def _select_countries(
    borders: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], crs: pyproj.CRS
) -> np.ndarray:
    """Positions of the countries within 300 km (or half the extent) of the results."""
    _, _, diag = _GEOD.inv(bounds[0], bounds[1], bounds[2], bounds[3])
    pad = max(_COUNTRY_PAD_M, 0.5 * float(diag))
    wide, tall = bounds[2] > bounds[0], bounds[3] > bounds[1]
    if wide and tall:
        box = shapely.segmentize(shapely.box(*bounds), 0.5)
    elif wide or tall:
        box = shapely.segmentize(
            shapely.linestrings([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]), 0.5
        )
    else:
        box = shapely.points(bounds[0], bounds[1])
    try:
        area = _project(np.array([box]), crs)[0].buffer(pad)
        area = _project(np.array([shapely.segmentize(area, pad / 20.0)]), crs, inverse=True)[0]
    except Exception:  # projection failure far from the centre: keep all
        logger.debug("country selection fell back to all countries", exc_info=True)
        return np.arange(len(borders))
    minx, _, maxx, _ = shapely.bounds(area)
    if not shapely.is_valid(area) or maxx - minx > 180.0:
        return np.arange(len(borders))
    return np.unique(borders.sindex.query(area, predicate="intersects"))


def _point_along_km(line: Any, km: float) -> Any:
    """Point ``km`` kilometres along ``line``.

    Segment lengths are geodesic (WGS84 ellipsoid); within the segment reached the
    point is placed at the same fraction of the drawn segment, so it lies on the line.
    """
    coords = shapely.get_coordinates(line)
    if len(coords) == 0:
        return None
    if len(coords) == 1 or not np.isfinite(km):
        return shapely.points(coords[-1])
    seg = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])[2]
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    target = float(np.clip(km * 1000.0, 0.0, cum[-1]))
    i = int(np.clip(np.searchsorted(cum, target, side="right") - 1, 0, len(seg) - 1))
    frac = (target - cum[i]) / seg[i] if seg[i] > 0 else 0.0
    return shapely.points(coords[i] + frac * (coords[i + 1] - coords[i]))


# --------------------------------------------------------------------------- content


def _site_status(sites: gpd.GeoDataFrame, affected: pd.DataFrame | None) -> pd.Series:
    """``notify`` / ``domestic`` / ``other`` for each site."""
    hazardous = _truthy(_col(sites, "hazardous", False))
    notifying = (
        sites["site_id"].isin(affected["site_id"])
        if affected is not None
        else pd.Series(False, index=sites.index)
    )
    status = np.where(hazardous & notifying, "notify", np.where(hazardous, "domestic", "other"))
    return pd.Series(status, index=sites.index, dtype=object)


def _site_country(sites: pd.DataFrame) -> pd.Series:
    """ISO3 of each site: ``site_country`` when known, else the inventory ``country``."""
    sc = _col(sites, "site_country", "").astype(object).where(lambda s: s.notna(), "")
    c = _col(sites, "country", "").astype(object).where(lambda s: s.notna(), "")
    sc = sc.astype(str).str.strip()
    return sc.where(sc != "", c.astype(str).str.strip()).astype(object)


def _inventory_rows(holdings: pd.DataFrame | None) -> pd.Series:
    """HTML table rows of the holdings, joined per ``site_id``."""
    if holdings is None:
        return pd.Series(dtype=object)
    sub = _text_col(holdings, "substance")
    key = _text_col(holdings, "substance_key")
    cat = _text_col(holdings, "categories")
    name = sub.where(sub != "", key.where(key != "", cat))
    rows = (
        "<tr><td>"
        + name
        + '</td><td class="n">'
        + _num_col(holdings, "quantity_t")
        + "</td><td>"
        + _text_col(holdings, "annex_entry")
        + '</td><td class="n">'
        + _num_col(holdings, "ratio")
        + "</td></tr>"
    )
    return rows.groupby(holdings["site_id"].to_numpy(), sort=False).agg("".join)


def _is_water(affected: pd.DataFrame) -> pd.Series:
    """Flag the rows of the water pathway."""
    pathway = _col(affected, "pathway", "").astype(str).str.lower()
    return pathway.str.contains("water|river", regex=True) | (
        ~pathway.str.contains("air")
        & pd.to_numeric(_col(affected, "arrival_h"), errors="coerce").notna()
    )


def _affected_rows(affected: pd.DataFrame | None) -> pd.Series:
    """HTML table rows of the affected Parties, joined per ``site_id``."""
    if affected is None:
        return pd.Series(dtype=object)
    water = _is_water(affected)
    uncertain = _truthy(_col(affected, "uncertain", False))
    air_fig = (
        _text_col(affected, "hazard")
        + " zone "
        + _num_col(affected, "zone_km")
        + " km; border at "
        + _num_col(affected, "border_km")
        + " km; margin "
        + _num_col(affected, "margin_km")
        + " km"
        + pd.Series(np.where(uncertain, " (uncertain)", ""), index=affected.index, dtype=object)
    )
    water_fig = (
        _text_col(affected, "river")
        + ": "
        + _num_col(affected, "river_km")
        + " km downstream; arrival "
        + _num_col(affected, "arrival_h")
        + " h; peak "
        + _num_col(affected, "peak_mg_l")
        + " mg/L"
    )
    fig = water_fig.where(water, air_fig)
    rows = (
        "<tr><td>"
        + _text_col(affected, "affected")
        + "</td><td>"
        + _text_col(affected, "pathway")
        + "</td><td>"
        + fig
        + "</td></tr>"
    )
    return rows.groupby(affected["site_id"].to_numpy(), sort=False).agg("".join)


def _site_popups(
    sites: gpd.GeoDataFrame,
    status: pd.Series,
    holdings: pd.DataFrame | None,
    affected: pd.DataFrame | None,
) -> pd.Series:
    """Popup HTML of each site."""
    ids = sites["site_id"]
    inv = _lookup(ids, _inventory_rows(holdings))
    aff = _lookup(ids, _affected_rows(affected))
    name = _text_col(sites, "site_name")
    name = name.where(name != "", ids.map(_esc))
    meta = (
        ids.map(_esc)
        + " · "
        + _text_col(sites, "operator")
        + " · "
        + _site_country(sites).map(_esc)
    )
    labels = {k: v["label"] for k, v in SITE_STATUS_STYLE.items()}
    n_aff = (
        affected.groupby("site_id")["affected"].nunique() if affected is not None else pd.Series()
    )
    n_aff = ids.map(n_aff).fillna(0).astype(int)
    status_txt = status.map(labels) + np.where(
        status == "notify", " (" + n_aff.astype(str) + " Parties)", ""
    )
    inv_html = np.where(
        inv != "",
        "<table><tr><th>Substance</th><th>t</th><th>Annex I</th><th>q/Q</th></tr>"
        + inv
        + "</table>",
        "<div>No holdings listed.</div>",
    )
    reasons = _text_col(sites, "reasons")
    reasons_html = np.where(reasons != "", "<div><b>Reasons:</b> " + reasons + "</div>", "")
    aff_html = np.where(
        aff != "",
        "<table><tr><th>Affected Party</th><th>Pathway</th><th>Figures</th></tr>"
        + aff
        + "</table>",
        "",
    )
    return (
        '<div class="hz-pop"><div class="hz-h">'
        + name
        + '</div><div class="hz-s">'
        + meta
        + '</div><div class="hz-st hz-'
        + status
        + '">'
        + status_txt
        + "</div>"
        + inv_html
        + reasons_html
        + aff_html
        + "</div>"
    )


def _swatch(kind: str, colour: str, fill: str | None = None, opacity: float = 1.0) -> str:
    """Return a small legend / layer-control swatch."""
    if kind == "line":
        return f'<span class="hz-sw hz-line" style="border-color:{colour}"></span>'
    bg = fill or "transparent"
    cls = "hz-sw hz-dot" if kind == "dot" else "hz-sw"
    return (
        f'<span class="{cls}" style="border-color:{colour};background:{bg};'
        f'opacity:{opacity:.2f}"></span>'
    )


# --------------------------------------------------------------------------- public


def screening_map(
    results: Any,
    *,
    tiles: str | None = None,
    tiles_attr: str | None = None,
    layers: Iterable[str] | None = None,
    cluster_threshold: int | None = 300,
    simplify_m: float | None = None,
    max_zoom: int = 11,
    title: str = "hazid screening map",
) -> folium.Map:
    """Draw screening results on an interactive, self-contained Leaflet map.

    Layers (each switchable in the layer control): country polygons as the base
    map (``countries``); affected Parties shaded (``affected``); countries of
    origin of notifying sites outlined (``origin``); consequence zones, one layer
    per hazard type (``zones``); river traces and their border crossings with
    arrival times (``rivers``); sites coloured by status (``sites``): hazardous
    and notifying (at least one row in ``affected``), hazardous without affected
    Party, not hazardous. A site popup lists name, operator, inventory
    (substance, quantity, Annex I entry, ratio), reasons and affected Parties
    with pathway and figures. A legend and a scale bar are drawn and the map is
    fitted to the sites, zones and traces.

    Parameters
    ----------
    results : object
        Has attributes ``sites`` (GeoDataFrame, required), ``holdings``,
        ``zones``, ``affected``, ``river_paths`` and ``borders`` (each may be
        None), as described in the data model (``hazid.screen.ScreeningResults``).
    tiles : str, optional
        Tile URL template (``https://.../{z}/{x}/{y}.png``) or a folium/xyzservices
        provider name. Adds a base tile layer, shown first; the map then needs
        the network for the tiles only. Default: no tiles, fully offline.
    tiles_attr : str, optional
        Attribution of the tiles (required by most providers). Default: the
        host name of the URL.
    layers : iterable of str, optional
        Subset of :data:`MAP_LAYERS` to draw. Default: all.
    cluster_threshold : int or None, default 300
        Site markers are clustered (Leaflet.markercluster) when the map has more
        sites than this; None never clusters, 0 always clusters.
    simplify_m : float, optional
        Simplification tolerance in metres for borders and river traces, applied
        in an azimuthal equidistant projection centred on the results. Default:
        the geodesic diagonal of the results' bounding box / 2000, at least 50 m.
        Zones use at most 2 % of their equivalent radius. 0 disables.
    max_zoom : int, default 11
        Highest zoom used when fitting the map to the results.
    title : str, default "hazid screening map"
        Title of the HTML page.

    Returns
    -------
    folium.Map
        Render with ``m.get_root().render()`` or write with :func:`write_map`.

    Raises
    ------
    GeodataError
        ``results`` lacks ``sites``, a layer is not a (Geo)DataFrame, or a table
        lacks ``site_id``.
    CRSError
        A spatial layer has no CRS.
    ChoiceError
        A name in ``layers`` is unknown.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame(
    ...     {"site_id": ["S1"], "site_name": ["Chlorine works"], "hazardous": [True]},
    ...     geometry=[Point(69.3, 41.3)], crs=4326)
    >>> res = SimpleNamespace(sites=sites, holdings=None, zones=None,
    ...                       affected=None, river_paths=None, borders=None)
    >>> page = screening_map(res).get_root().render()
    >>> "Chlorine works" in page, "<script src=" in page
    (True, False)
    """
    wanted = set(MAP_LAYERS) if layers is None else set()
    for name in layers or []:
        wanted.add(check_choice("layers", name, MAP_LAYERS))

    sites = _geo(_layer(results, "sites", required=True), "sites")
    if sites is None:
        sites = gpd.GeoDataFrame({"site_id": []}, geometry=[], crs=4326)
    if "site_id" not in sites.columns:
        raise GeodataError("sites has no 'site_id' column")
    sites = sites.copy()
    sites["site_id"] = sites["site_id"].astype(str)
    holdings = _frame(_layer(results, "holdings"), "holdings")
    affected = _frame(_layer(results, "affected"), "affected")
    if affected is not None and "affected" not in affected.columns:
        raise GeodataError("affected has no 'affected' column")
    zones = _geo(_layer(results, "zones"), "zones")
    paths = _geo(_layer(results, "river_paths"), "river_paths")
    borders = _geo(_layer(results, "borders"), "borders")
    if borders is not None and "iso_a3" not in borders.columns:
        raise GeodataError("borders has no 'iso_a3' column")
    for gdf, label in ((zones, "zones"), (paths, "river_paths")):
        if gdf is not None and "site_id" not in gdf.columns:
            raise GeodataError(f"{label} has no 'site_id' column")
        if gdf is not None:
            gdf["site_id"] = gdf["site_id"].astype(str)

    bounds = _extent(
        sites, zones if "zones" in wanted else None, paths if "rivers" in wanted else None
    )
    if bounds is None and borders is not None:
        bounds = _extent(borders)
    if bounds is None:
        bounds = (-20.0, -40.0, 150.0, 70.0)
    crs = _metric_crs(bounds)
    tol = _auto_tolerance(bounds) if simplify_m is None else max(float(simplify_m), 0.0)
    logger.info("map extent %s, simplification tolerance %.0f m", bounds, tol)

    status = _site_status(sites, affected)
    names = dict(
        zip(
            sites["site_id"],
            _col(sites, "site_name", "").astype(object).where(lambda s: s.notna(), ""),
            strict=True,
        )
    )
    cluster = "sites" in wanted and cluster_threshold is not None and len(sites) > cluster_threshold

    m = folium.Map(tiles=None, control_scale=False, zoom_control=True, prefer_canvas=False)
    m.options["max_zoom"] = 18  # markercluster needs it; tile layers would set it
    m.options["min_zoom"] = 1
    m.get_root().title = html.escape(title)
    _install_assets(m, cluster=cluster)
    # fitted before any layer is added, without animation
    registry = _Registry([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], max_zoom)
    m.add_child(registry)
    legend: dict[str, list[str]] = {
        "Sites": [],
        "Countries": [],
        "Consequence zones": [],
        "Rivers": [],
    }

    def add(key: str, name: str, data: str, style: dict[str, Any], **kw: Any) -> None:
        m.add_child(
            _VectorLayer(registry=registry, key=key, name=name, data=data, style=style, **kw)
        )

    # base layers
    if tiles:
        attr = tiles_attr
        if attr is None and ("/" in tiles or "{" in tiles):
            attr = "Tiles: " + html.escape(urlparse(tiles).netloc or tiles)
        folium.TileLayer(tiles, attr=attr, name="Base map tiles", overlay=False).add_to(m)
    iso_borders = (
        borders["iso_a3"].astype(str).to_numpy() if borders is not None else np.array([], str)
    )
    if borders is not None and "countries" in wanted:
        pos = _select_countries(borders, bounds, crs)
        geoms = _simplify(_clip_to_window(borders.geometry.to_numpy()[pos], bounds), crs, tol)
        bnames = _col(borders, "name", "").astype(object).to_numpy()[pos]
        props = [
            {"tip": f"{_esc(n)} ({_esc(i)})" if _esc(n) else _esc(i)}
            for n, i in zip(bnames, iso_borders[pos], strict=True)
        ]
        style = {**_COUNTRY_STYLE, "pane": "hazidCountries", "className": "hazid-country"}
        add(
            "countries",
            "Countries (offline base map)",
            _feature_collection(geoms, props, _decimals(max(tol, 1.0))),
            style,
            overlay=False,
            show=not tiles,
        )

    if borders is not None and affected is not None and "affected" in wanted:
        water = _is_water(affected)
        by_party = (
            affected.assign(water=water.to_numpy())
            .groupby(affected["affected"].astype(str))
            .agg(n_sites=("site_id", "nunique"), n_water=("water", "sum"))
        )
        by_party["n_air"] = (
            affected.assign(air=(~water).to_numpy())
            .groupby(affected["affected"].astype(str))["air"]
            .sum()
        )
        pos = np.flatnonzero(np.isin(iso_borders, by_party.index.to_numpy()))
        geoms = _simplify(_clip_to_window(borders.geometry.to_numpy()[pos], bounds), crs, tol)
        props = []
        for iso in iso_borders[pos]:
            r = by_party.loc[iso]
            props.append(
                {
                    "tip": f"<b>{_esc(iso)}</b>: affected Party of {int(r.n_sites)} site(s)"
                    f" (air rows {int(r.n_air)}, water rows {int(r.n_water)})"
                }
            )
        style = {**_AFFECTED_STYLE, "pane": "hazidAffected", "className": "hazid-affected"}
        add(
            "affected",
            _swatch("box", _AFFECTED_STYLE["color"], _AFFECTED_STYLE["fillColor"], 0.6)
            + f"Affected Parties ({len(pos)})",
            _feature_collection(geoms, props, _decimals(max(tol, 1.0))),
            style,
        )
        legend["Countries"].append(
            _swatch("box", _AFFECTED_STYLE["color"], _AFFECTED_STYLE["fillColor"], 0.6)
            + "Affected Party<br>"
        )

    if borders is not None and "origin" in wanted:
        origin_iso = set(_site_country(sites)[status == "notify"].astype(str)) - {""}
        pos = np.flatnonzero(np.isin(iso_borders, sorted(origin_iso)))
        if len(pos):
            geoms = _simplify(_clip_to_window(borders.geometry.to_numpy()[pos], bounds), crs, tol)
            style = {**_ORIGIN_STYLE, "pane": "hazidOrigin", "className": "hazid-origin"}
            add(
                "origin",
                _swatch("box", _ORIGIN_STYLE["color"]) + f"Countries of origin ({len(pos)})",
                _feature_collection(geoms, [{} for _ in pos], _decimals(max(tol, 1.0))),
                style,
            )
            legend["Countries"].append(
                _swatch("box", _ORIGIN_STYLE["color"]) + "Country of origin<br>"
            )

    if zones is not None and "zones" in wanted:
        hazard = _col(zones, "hazard", "").astype(object).where(lambda s: s.notna(), "").astype(str)
        metric = _project(zones.geometry.to_numpy(), crs)
        radius = np.sqrt(shapely.area(metric) / np.pi)
        ztol = np.minimum(tol, _ZONE_TOLERANCE_FRACTION * radius)
        zgeoms = _simplify(zones.geometry.to_numpy(), crs, ztol)
        zsite = _lookup(zones["site_id"], names)
        zsite = zsite.where(zsite != "", zones["site_id"])
        tip = (
            zsite.map(_esc)
            + ": "
            + hazard.map(_esc)
            + " zone "
            + _num_col(zones, "zone_km")
            + " km ("
            + _text_col(zones, "substance_key")
            + ")"
        )
        flags = np.where(_truthy(_col(zones, "capped", False)), "; capped", "") + np.where(
            _truthy(_col(zones, "default_used", False)), "; default parameters used", ""
        )
        note = _text_col(zones, "note")
        popup = (
            '<div class="hz-pop"><div class="hz-h">'
            + zsite.map(_esc)
            + "</div>"
            + hazard.map(_esc)
            + " zone, "
            + _text_col(zones, "substance_key")
            + ": "
            + _num_col(zones, "zone_km")
            + " km<br>model: "
            + _text_col(zones, "model")
            + flags
            + np.where(note != "", "<br>" + note, "")
            + "</div>"
        )
        order = [h for h in ZONE_COLOURS if (hazard == h).any()] + sorted(
            set(hazard) - set(ZONE_COLOURS)
        )
        zleg = []
        for h in order:
            sel = np.flatnonzero((hazard == h).to_numpy())
            colour = ZONE_COLOURS.get(h, _OTHER_ZONE_COLOUR)
            label = h or "unspecified"
            style = {
                "color": colour,
                "weight": 1.5,
                "fillColor": colour,
                "fillOpacity": 0.15,
                "pane": "hazidZones",
                "className": f"hazid-zone hazid-zone-{re.sub(r'[^a-z0-9]+', '-', label.lower())}",
            }
            props = [{"tip": tip.iloc[i], "popup": popup.iloc[i]} for i in sel]
            add(
                f"zones_{label}",
                _swatch("box", colour, colour, 0.5) + f"Zones: {_esc(label)} ({len(sel)})",
                _feature_collection(zgeoms[sel], props, 5),
                style,
            )
            zleg.append(_swatch("box", colour, colour, 0.5) + f"{_esc(label)}<br>")
        legend["Consequence zones"] += zleg

    if paths is not None and "rivers" in wanted:
        pgeoms = _simplify(paths.geometry.to_numpy(), crs, tol)
        psite = _lookup(paths["site_id"], names)
        psite = psite.where(psite != "", paths["site_id"])
        countries = _col(paths, "countries", "").astype(object).where(lambda s: s.notna(), "")
        tip = (
            psite.map(_esc)
            + ": "
            + _text_col(paths, "river")
            + " — "
            + countries.astype(str).str.replace(";", " → ", regex=False).map(_esc)
            + " ("
            + _num_col(paths, "length_km")
            + " km traced)"
        )
        style = {**_TRACE_STYLE, "pane": "hazidRivers", "className": "hazid-trace"}
        add(
            "traces",
            _swatch("line", _TRACE_STYLE["color"]) + f"River traces ({len(paths)})",
            _feature_collection(pgeoms, [{"tip": t} for t in tip], _decimals(max(tol, 1.0))),
            style,
        )
        legend["Rivers"].append(_swatch("line", _TRACE_STYLE["color"]) + "River trace<br>")
        cgeoms, cprops = _crossings(paths, affected, borders, names)
        if len(cgeoms):
            permanent = len(cgeoms) <= _PERMANENT_LABELS_MAX
            tooltip = (
                {
                    "permanent": True,
                    "direction": "right",
                    "offset": [6, 0],
                    "className": "hazid-crossing-label",
                }
                if permanent
                else {"sticky": True}
            )
            style = {**_CROSSING_STYLE, "pane": "hazidCrossings", "className": "hazid-crossing"}
            add(
                "crossings",
                _swatch("dot", _CROSSING_STYLE["color"], "#ffffff")
                + f"Border crossings, arrival time ({len(cgeoms)})",
                _feature_collection(np.array(cgeoms, dtype=object), cprops, 5),
                style,
                tooltip=tooltip,
            )
            legend["Rivers"].append(
                _swatch("dot", _CROSSING_STYLE["color"], "#ffffff")
                + "Border crossing (arrival h)<br>"
            )

    if "sites" in wanted:
        popups = _site_popups(sites, status, holdings, affected)
        tips = _lookup(sites["site_id"], names).map(_esc)
        tips = tips.where(tips != "", sites["site_id"].map(_esc))
        pts = sites.geometry.to_numpy()
        sleg = []
        for key in ("other", "domestic", "notify"):
            sel = np.flatnonzero((status == key).to_numpy())
            st = SITE_STATUS_STYLE[key]
            style = {k: v for k, v in st.items() if k != "label"}
            style.update(pane="hazidSites", className=f"hazid-site hazid-site-{key}")
            props = [
                {"id": sites["site_id"].iat[i], "tip": tips.iat[i], "popup": popups.iat[i]}
                for i in sel
            ]
            add(
                f"sites_{key}",
                _swatch("dot", st["color"], st["fillColor"]) + f"{st['label']} ({len(sel)})",
                _feature_collection(pts[sel], props, 5),
                style,
                cluster=cluster,
            )
        for key in ("notify", "domestic", "other"):
            st = SITE_STATUS_STYLE[key]
            n = int((status == key).sum())
            sleg.append(_swatch("dot", st["color"], st["fillColor"]) + f"{st['label']} ({n})<br>")
        legend["Sites"] = sleg

    legend_html = f"<h4>{html.escape(title)}</h4>" + "".join(
        f'<div class="hz-sec">{sec}</div>' + "".join(items)
        for sec, items in legend.items()
        if items
    )
    m.add_child(_Legend(legend_html))
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(_Finish(registry))
    return m


def _crossings(
    paths: gpd.GeoDataFrame,
    affected: pd.DataFrame | None,
    borders: gpd.GeoDataFrame | None,
    names: dict[str, str],
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Border-crossing points of the traces, one per water row of ``affected``.

    The point is where the trace first enters the affected country's polygon;
    without borders (or without an intersection) it is ``river_km`` along the
    trace, measured on the WGS84 ellipsoid.
    """
    if affected is None:
        return [], []
    water = affected.loc[_is_water(affected).to_numpy()]
    if water.empty:
        return [], []
    first_path = paths.drop_duplicates("site_id").set_index("site_id").geometry
    water = water.loc[water["site_id"].isin(first_path.index)]
    if water.empty:
        return [], []
    lines = first_path.loc[water["site_id"]].to_numpy()
    lines = np.where(
        shapely.get_type_id(lines) == 5, shapely.line_merge(lines), lines
    )  # MultiLineString -> LineString where it joins up
    points = np.full(len(water), None, dtype=object)
    if borders is not None:
        iso = borders["iso_a3"].astype(str)
        poly_of = dict(zip(iso, borders.geometry, strict=True))
        polys = np.array([poly_of.get(str(a)) for a in water["affected"]], dtype=object)
        has = np.array([p is not None for p in polys])
        if has.any():
            inter = shapely.intersection(lines[has], polys[has])
            coords, idx = shapely.get_coordinates(inter, return_index=True)
            if len(coords):
                line_rep = lines[has][idx]
                dist = shapely.line_locate_point(line_rep, shapely.points(coords))
                first = pd.Series(dist).groupby(idx).min()
                rows = np.flatnonzero(has)[first.index.to_numpy()]
                points[rows] = shapely.line_interpolate_point(lines[rows], first.to_numpy())
    river_km = pd.to_numeric(_col(water, "river_km"), errors="coerce").to_numpy()
    for i in np.flatnonzero(pd.isna(points)):
        if np.isfinite(river_km[i]):
            points[i] = _point_along_km(lines[i], float(river_km[i]))
    keep = np.flatnonzero(~pd.isna(points))
    props = []
    for i in keep:
        row = water.iloc[i]
        site = names.get(row["site_id"]) or row["site_id"]
        label = f"{_esc(row['affected'])}: {_fmt(row.get('arrival_h'))} h"
        detail = (
            f"<b>{_esc(site)}</b> → {_esc(row['affected'])}<br>"
            f"{_esc(row.get('river'))}: {_fmt(row.get('river_km'))} km downstream<br>"
            f"arrival {_fmt(row.get('arrival_h'))} h, peak {_fmt(row.get('peak_h'))} h, "
            f"{_fmt(row.get('peak_mg_l'))} mg/L"
        )
        props.append({"tip": label, "popup": f'<div class="hz-pop">{detail}</div>'})
    return list(points[keep]), props


def _stable_ids(root: Element) -> None:
    """Renumber every element of a page in document order (folium names them by UUID).

    Element names become ``<kind>_h<n>`` (``n`` in depth-first order), so the same results
    render to the same bytes. Children registered under their old name are re-keyed.
    """
    count = 0
    stack = [root]
    while stack:
        el = stack.pop()
        old = el.get_name()
        el._id = f"h{count:05d}"
        count += 1
        parent = el._parent
        if parent is not None and old in parent._children and parent._children[old] is el:
            parent._children = type(parent._children)(
                (el.get_name() if k == old else k, v) for k, v in parent._children.items()
            )
        stack.extend(reversed(list(el._children.values())))


def write_map(results: Any, path: str | os.PathLike[str], **kw: Any) -> Path:
    """Write a screening map to one self-contained HTML file.

    The file is written to a temporary file in the same directory and then
    moved into place (``os.replace``), so a reader never sees a partial file.
    Element names are numbered in document order, so the same results give a
    byte-identical file.

    Parameters
    ----------
    results : object or folium.Map
        Screening results as for :func:`screening_map`, or a map it made.
    path : str or path-like
        Output file (``.html``). Its directory must exist.
    **kw
        Keyword arguments of :func:`screening_map`.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OutputError
        The directory does not exist or the file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from types import SimpleNamespace
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[Point(69.3, 41.3)], crs=4326)
    >>> res = SimpleNamespace(sites=sites, holdings=None, zones=None,
    ...                       affected=None, river_paths=None, borders=None)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = write_map(res, pathlib.Path(d) / "map.html")
    ...     out.stat().st_size > 100_000
    True
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"cannot write map {path}: directory {path.parent} does not exist")
    m = results if isinstance(results, folium.Map) else screening_map(results, **kw)
    _stable_ids(m.get_root())
    page = m.get_root().render()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise OutputError(f"cannot write map {path}: {err}") from err
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    logger.info("wrote map %s (%.1f MB)", path, len(page.encode("utf-8")) / 1e6)
    return path
