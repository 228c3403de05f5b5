"""Vendored Leaflet assets inlined into every HTML map, so that the page works offline.

Leaflet 1.9.4 and the stylesheets of Leaflet.markercluster 1.5.3 (the look of the clusters
drawn by :mod:`hazid.maps.cluster`) are read from ``hazid/static`` (see
``hazid/static/VERSIONS.md``), with the images of the Leaflet stylesheet turned into data URIs;
folium's CDN links (jQuery, Bootstrap, Font Awesome, awesome-markers) are switched off.
"""

from __future__ import annotations

import base64
import functools
import re
from importlib.resources import files
from typing import Any

import folium
from branca.element import Element

from hazid.maps.cluster import CIRCLES_JS, CLUSTER_JS
from hazid.maps.styles import _LABEL_COLOUR, _SEA_COLOUR


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
.hz-sw.hz-dash { border-style: dashed; border-width: 2.5px; }
.hazid-crossing-label { font: 11px sans-serif; padding: 1px 4px; }
.hazid-country-label { pointer-events: none; }
.hazid-country-label span { position: absolute; transform: translate(-50%%, -50%%);
  white-space: nowrap; font: 12px/1.2 sans-serif; color: %(label)s; letter-spacing: 0.02em;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
.hazid-country-label-affected span { font-weight: bold; color: #67000d; }
.hazid-country-label-origin span { font-weight: bold; color: #08306b; }
.hazid-hidden { visibility: hidden; }
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
        css = a["cluster_css"] + "\n.hazid-pointer { cursor: pointer; }\n"
        header.add_child(_Raw("<style>" + css + "</style>"), name="hazid_cluster_css")
    header.add_child(
        _Raw("<style>" + _PAGE_CSS % {"sea": _SEA_COLOUR, "label": _LABEL_COLOUR} + "</style>"),
        name="hazid_css",
    )
    header.add_child(_Raw("<script>" + a["leaflet_js"] + "</script>"), name="hazid_leaflet_js")
    if cluster:
        header.add_child(
            _Raw("<script>" + CLUSTER_JS + CIRCLES_JS + "</script>"), name="hazid_cluster_js"
        )
