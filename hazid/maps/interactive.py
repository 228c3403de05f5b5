"""Interactive, self-contained HTML maps of screening results.

:func:`screening_map` draws the sites (coloured by status), the consequence
zones, the downstream river traces with their border crossings, the affected
Parties and the countries of origin on a Leaflet map built with folium;
:func:`write_map` writes it to one HTML file.

The HTML is self-contained and works offline: Leaflet 1.9.4 and the stylesheet of
Leaflet.markercluster 1.5.3 (vendored in ``hazid/static``, see
``hazid/static/VERSIONS.md``) are inlined, folium's CDN links (jQuery,
Bootstrap, Font Awesome, awesome-markers) are switched off, markers are
``CircleMarker`` paths (no icon images) and country polygons serve as the base
map. A tile layer is added only when ``tiles`` is given, and is then the only
thing the page loads from the network.

Geometries are simplified before they are embedded, with a tolerance chosen
from the extent of the results: one 2000th of the diagonal of the bounding box
of sites, zones and traces (about half a screen pixel at the zoom that fits the
results), and at least 50 m. River traces are simplified in Web Mercator, the
projection of the screen (the tolerance converted at the latitude of the centre).
A consequence zone that is a circle within its tolerance is drawn as a Leaflet
circle (centre and radius); any other zone is simplified, in a local azimuthal
equidistant projection centred on the results (metres), by at most 2 % of its
equivalent radius so that small zones keep their shape.

A map of many sites (more than ``cluster_threshold``) is drawn for speed: site
markers are clustered in the browser at the zoom shown (:mod:`hazid.maps.cluster`),
features are drawn on canvases, the zone circles of each hazard by one canvas
layer, popups and tooltips are made on first use, and the site popups are
decoded on the first click.
"""

from __future__ import annotations

import html
import logging
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element

from hazid.columns import isin
from hazid.errors import CRSError, GeodataError, OutputError, check_choice
from hazid.maps import geometry, layers
from hazid.maps.assets import _install_assets
from hazid.maps.base import _WORLD_TOL_M, BaseMap
from hazid.maps.content import _col, _filled, _site_status
from hazid.maps.elements import _Finish, _LayerControl, _Legend, _Map, _Registry
from hazid.maps.geometry import _auto_tolerance, _extent, _metric_crs
from hazid.maps.labels import check_map_lang, text
from hazid.maps.layers import (
    _add_affected,
    _add_countries,
    _add_data_ends,
    _add_origin,
    _add_runout,
    _add_sites,
    _add_traces,
    _add_zones,
    _Canvas,
    _origin_iso,
)
from hazid.maps.styles import MAP_LAYERS, SITE_STATUS_STYLE, ZONE_COLOURS
from hazid.rivers import data_ends
from hazid.tailings import runout_zones

logger = logging.getLogger(__name__)

__all__ = [
    "MAP_LAYERS",
    "SITE_STATUS_STYLE",
    "ZONE_COLOURS",
    "adopt_layers",
    "kept_layers",
    "screening_map",
    "write_map",
]


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
    out = layer.to_crs(4326) if not layer.crs.equals(_WGS84) else layer
    geom = out.geometry.to_numpy()
    keep = ~(pd.isna(geom) | shapely.is_empty(geom))
    return (out if keep.all() else out.loc[keep]).reset_index(drop=True)


_WGS84 = pyproj.CRS.from_epsg(4326)


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


def _read_results(results: Any) -> SimpleNamespace:
    """Read the layers of ``results``, checked: lon/lat (EPSG:4326), ``site_id`` as text."""
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
    raw_paths = _layer(results, "river_paths")
    paths = _geo(raw_paths, "river_paths")
    borders = _geo(_layer(results, "borders"), "borders")
    if borders is not None and "iso_a3" not in borders.columns:
        raise GeodataError("borders has no 'iso_a3' column")
    for gdf, label in ((zones, "zones"), (paths, "river_paths")):
        if gdf is not None and "site_id" not in gdf.columns:
            raise GeodataError(f"{label} has no 'site_id' column")
        if gdf is not None:
            gdf["site_id"] = gdf["site_id"].astype(str)
    return SimpleNamespace(
        sites=sites,
        holdings=holdings,
        affected=affected,
        zones=zones,
        paths=paths,
        borders=borders,
        runout=_runout(results),
        edges=_edges(raw_paths),
    )


def _edge_points(edges: pd.DataFrame | None) -> gpd.GeoSeries | None:
    """Points where the traces leave the river data, one per trace (None without any)."""
    if edges is None:
        return None
    xy = edges[["edge_lon", "edge_lat"]].to_numpy(dtype=float)
    return gpd.GeoSeries(shapely.points(xy), crs=4326)


def _edges(river_paths: Any) -> pd.DataFrame | None:
    """Rows of ``river_paths`` whose trace leaves the river data (None if there are none)."""
    if river_paths is None or "edge_lon" not in river_paths.columns:
        return None
    sel = pd.to_numeric(river_paths["edge_lon"], errors="coerce").notna().to_numpy()
    if not sel.any():
        return None
    cols = [c for c in ("site_id", "end_country", "edge_lon", "edge_lat") if c in river_paths]
    out = pd.DataFrame(river_paths[cols].iloc[np.flatnonzero(sel)])  # columns first: faster
    out["site_id"] = out["site_id"].astype(str)
    return out


def _runout(results: Any) -> gpd.GeoDataFrame | None:
    """Run-out envelopes of the tailings facilities assessed (``results.tailings``), if any."""
    tail = _layer(results, "tailings")
    if tail is None or not hasattr(tail, "breaks"):
        return None
    zones = runout_zones(tail.facilities, tail.breaks)
    return _geo(zones.loc[~zones.geometry.is_empty.to_numpy()], "run-out envelopes")


def _map_extent(r: SimpleNamespace, wanted: set[str]) -> tuple[float, float, float, float]:
    """Extent fitted by the map: sites, zones and traces drawn; else borders; else Eurasia."""
    rivers = "rivers" in wanted
    bounds = _extent(
        r.sites,
        r.zones if "zones" in wanted else None,
        r.paths if rivers else None,
        _edge_points(r.edges) if rivers else None,
    )
    if bounds is None and r.borders is not None:
        bounds = _extent(r.borders)
    if bounds is None:
        bounds = (-20.0, -40.0, 150.0, 70.0)
    return bounds


def _new_map(
    bounds: tuple[float, float, float, float],
    *,
    title: str,
    cluster: bool,
    max_zoom: int,
    tiles: str | None,
    tiles_attr: str | None,
) -> tuple[folium.Map, _Registry]:
    """Create an empty offline map fitted to ``bounds``, with registry and optional tiles."""
    m = _Map(tiles=None, control_scale=False, zoom_control=True, prefer_canvas=False)
    m.options["max_zoom"] = 18  # the clusters need it; tile layers would set it
    m.options["min_zoom"] = 1
    m.get_root().title = html.escape(title)
    _install_assets(m, cluster=cluster)
    # fitted before any layer is added, without animation
    registry = _Registry([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], max_zoom)
    m.add_child(registry)
    if tiles:
        attr = tiles_attr
        if attr is None and ("/" in tiles or "{" in tiles):
            attr = "Tiles: " + html.escape(urlparse(tiles).netloc or tiles)
        folium.TileLayer(tiles, attr=attr, name="Base map tiles", overlay=False).add_to(m)
    return m, registry


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
    lang: str = "en",
    base: BaseMap | None = None,
) -> folium.Map:
    """Draw screening results on an interactive, self-contained Leaflet map.

    Layers (each switchable in the layer control): every country as the base
    map, complete at every zoom, with its name (``countries``); the affected
    Parties of the results shaded (``affected``); countries of origin of
    notifying sites outlined, dashed (``origin``); consequence zones, one layer
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
        Site markers are clustered (:mod:`hazid.maps.cluster`) when the map has more
        sites than this; None never clusters, 0 always clusters.
    simplify_m : float, optional
        Simplification tolerance in metres for river traces and for the
        countries near the results (both in Web Mercator, scaled to the ground
        at the centre). Default: the geodesic diagonal of the results' bounding box
        / 2000, at least 50 m; the countries then use the shared detail level
        not above it (see :mod:`hazid.maps.base`). Zones use at most 2 % of
        their equivalent radius, the same bound for drawing a zone as a circle.
        0 disables (far countries stay coarse).
    max_zoom : int, default 11
        Highest zoom used when fitting the map to the results.
    title : str, default "hazid screening map"
        Title of the HTML page.
    lang : {"en", "ru"}
        Language of the country names, layer names and legend.
    base : BaseMap, optional
        Countries prepared once for all maps of a run (the overview and every pair map):
        pass the same one to each call so that no country is simplified twice. Default: made
        from ``results.borders``.

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
        A name in ``layers`` or ``lang`` is unknown.

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
    lang = check_map_lang(lang)
    wanted = set(MAP_LAYERS) if layers is None else set()
    for name in layers or []:
        wanted.add(check_choice("layers", name, MAP_LAYERS))

    r = _read_results(results)
    sites, affected, borders = r.sites, r.affected, r.borders

    bounds = _map_extent(r, wanted)
    crs = _metric_crs(bounds)
    tol = _auto_tolerance(bounds) if simplify_m is None else max(float(simplify_m), 0.0)
    logger.info("map extent %s, simplification tolerance %.0f m", bounds, tol)

    status = _site_status(sites, affected)
    names = dict(
        zip(sites["site_id"].tolist(), _filled(_col(sites, "site_name", ""), ""), strict=True)
    )
    cluster = "sites" in wanted and cluster_threshold is not None and len(sites) > cluster_threshold

    title = text(title, lang)  # the default title in the language of the map
    m, registry = _new_map(
        bounds, title=title, cluster=cluster, max_zoom=max_zoom, tiles=tiles, tiles_attr=tiles_attr
    )
    legend: dict[str, list[str]] = {
        "Sites": [],
        "Countries": [],
        "Consequence zones": [],
        "Rivers": [],
    }
    if base is None and borders is not None:
        base = BaseMap(borders, lang=lang)
    c = _Canvas(
        m=m,
        registry=registry,
        legend=legend,
        bounds=bounds,
        crs=crs,
        tol=tol,
        lang=lang,
        base=base,
        canvas=cluster,  # as many sites as need clustering: features drawn on canvases
    )
    _draw_layers(c, r, status, names, wanted, tiles=tiles, cluster=cluster, exact=simplify_m)

    legend_html = f"<h4>{html.escape(title)}</h4>" + "".join(
        f'<div class="hz-sec">{html.escape(c.t(sec))}</div>' + "".join(items)
        for sec, items in legend.items()
        if items
    )
    m.add_child(_Legend(legend_html))
    _LayerControl(collapsed=False).add_to(m)
    m.add_child(_Finish(registry))
    return m


def _draw_layers(
    c: _Canvas,
    r: SimpleNamespace,
    status: pd.Series,
    names: dict[str, str],
    wanted: set[str],
    *,
    tiles: str | None,
    cluster: bool,
    exact: float | None,
) -> None:
    """Draw the layer groups asked for, bottom to top (see :mod:`hazid.maps.layers`).

    Countries near the results (within 300 km, or half the extent) are drawn at the detail
    level of the map's tolerance (``exact``: that tolerance, not a shared level), the others
    at the world level.
    """
    origin_iso = _origin_iso(r.sites, status)
    if c.base is not None:
        near = c.base.near(c.bounds, c.crs)
        lat0 = (c.bounds[1] + c.bounds[3]) / 2.0
        fine = c.base.level(c.tol, lat0) if exact is None else c.tol / math.cos(math.radians(lat0))
        c.country_tol = np.full(len(c.base.iso), _WORLD_TOL_M)
        c.country_tol[near] = min(fine, _WORLD_TOL_M)
        rank = {i: 1 for i in origin_iso}
        if r.affected is not None:
            rank.update({i: 2 for i in r.affected["affected"].astype(str)})
        if "countries" in wanted:
            _add_countries(c, tiles=tiles, rank=rank)
        if r.affected is not None and "affected" in wanted:
            _add_affected(c, r.affected)
        if "origin" in wanted:
            _add_origin(c, origin_iso)
    # zones and traces are drawn for hazardous activities only
    other = set(r.sites["site_id"].to_numpy(dtype=object)[(status == "other").to_numpy()].tolist())
    zones = None if r.zones is None else r.zones.loc[~isin(r.zones["site_id"], other)]
    paths = None if r.paths is None else r.paths.loc[~isin(r.paths["site_id"], other)]
    if zones is not None and len(zones) and "zones" in wanted:
        _add_zones(c, zones, names)
    runout = getattr(r, "runout", None)
    if runout is not None and len(runout) and "zones" in wanted:
        _add_runout(c, runout.loc[~isin(runout["facility_id"], other)], names)
    if paths is not None and len(paths) and "rivers" in wanted:
        borders = c.base.borders if c.base is not None else None
        _add_traces(c, paths, r.affected, borders, names)
    if r.edges is not None and "rivers" in wanted:
        _add_data_ends(c, data_ends(r.edges.loc[~isin(r.edges["site_id"], other)]), names)
    if "sites" in wanted:
        _add_sites(c, r.sites, status, r.holdings, r.affected, names, cluster=cluster)


def kept_layers() -> dict[str, Any]:
    """Return what this process keeps of the zones and traces it drew (picklable, by id).

    The zone circles and border crossings are the same in every map of a run: given to the
    process this one was forked from (:func:`adopt_layers`), they are not worked out again
    by the maps it draws, or forks workers to draw, afterwards.
    """
    return {"circles": geometry._CIRCLES.export(), "entries": layers._ENTRIES.export()}


def adopt_layers(kept: dict[str, Any], results: Any, *, base: BaseMap | None = None) -> int:
    """Keep what :func:`kept_layers` gave in a process forked from this one, for ``results``.

    Only the values of the zones and traces of ``results`` and the countries of ``base``
    (which the process shared with this one) are kept; the maps are the same with or
    without them. Return the number of values kept.

    Examples
    --------
    >>> adopt_layers({"circles": {}, "entries": {}}, object())
    0
    """
    objects: dict[int, Any] = {}
    tables = [getattr(results, "zones", None), getattr(results, "river_paths", None)]
    for table in [*tables, None if base is None else base.borders]:
        if isinstance(table, gpd.GeoDataFrame):
            objects.update((id(g), g) for g in table.geometry.to_numpy().tolist())
    n = geometry._CIRCLES.adopt(kept.get("circles", {}), objects)
    n += layers._ENTRIES.adopt(kept.get("entries", {}), objects)
    logger.info("%d zone circles and border crossings kept from another map", n)
    return n


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
    page = m.get_root().render().encode("utf-8")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        with os.fdopen(fd, "wb") as fh:
            fh.write(page)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise OutputError(f"cannot write map {path}: {err}") from err
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    logger.info("wrote map %s (%.1f MB)", path, len(page) / 1e6)
    return path
