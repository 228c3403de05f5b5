"""Geometry for the HTML map: extent, local metric projection, simplification, GeoJSON.

Geometries are simplified in a local azimuthal equidistant projection centred on the results
(metres, WGS 84), never in degrees; distances along river traces are geodesic (WGS 84
ellipsoid).
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from hazid.maps.kept import Kept, rows
from hazid.maps.projection import to_local
from hazid.maps.styles import _COUNTRY_PAD_M, _GEOD, _MIN_TOLERANCE_M
from hazid.notify.activity import _CountryWindows, _intersection

logger = logging.getLogger("hazid.maps.interactive")

_MERCATOR = pyproj.CRS.from_epsg(3857)


def _script_safe(text: str) -> str:
    """Make JSON text safe inside an HTML ``<script>`` element."""
    if "<" not in text:  # nothing to replace (a quick search of megabytes of coordinates)
        return text
    return re.sub(r"<(?=[/!]|script)", r"\\u003c", text, flags=re.IGNORECASE)


def _feature_collection(geoms: np.ndarray, props: list[dict[str, Any]], decimals: int) -> str:
    """GeoJSON FeatureCollection text with coordinates rounded to ``decimals``."""
    if len(geoms) == 0:
        return '{"type":"FeatureCollection","features":[]}'
    rounded = shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.round(c, decimals))
    return _features_from_json(list(shapely.to_geojson(rounded)), props)


#: the encoder of ``json.dumps(p, ensure_ascii=False, separators=(",", ":"))``, made once
_PROPS_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


#: JSON text of a string, as the encoder above writes it
_STRING_JSON = json.encoder.encode_basestring
_FLOAT_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _props_json(p: dict[str, Any]) -> str:
    """``_PROPS_JSON(p)`` for a flat dict of texts and numbers, without the encoder's set-up.

    Keys and values that are not exactly ``str``, ``int``, ``float``, ``bool`` or None are
    left to the encoder.

    Examples
    --------
    >>> _props_json({"tip": "a<b", "r": 1.5, "n": 2, "ok": True, "x": None})
    '{"tip":"a<b","r":1.5,"n":2,"ok":true,"x":null}'
    """
    parts = []
    for k, v in p.items():
        t = type(v)
        if type(k) is not str:
            return _PROPS_JSON(p)
        if t is str:
            text = _STRING_JSON(v)
        elif t is float:
            text = float.__repr__(v) if v == v and v not in _FLOAT_TEXT else _PROPS_JSON(v)
        elif t is bool:
            text = "true" if v else "false"
        elif t is int:
            text = int.__repr__(v)
        elif v is None:
            text = "null"
        else:
            return _PROPS_JSON(p)
        key = _KEY_TEXT.get(k)
        if key is None:
            key = _STRING_JSON(k) + ":"
            if len(_KEY_TEXT) < 64:  # the few keys of the maps' features
                _KEY_TEXT[k] = key
        parts.append(key + text)
    return "{" + ",".join(parts) + "}"


#: JSON text of the keys met, with the colon
_KEY_TEXT: dict[str, str] = {}


def _features_from_json(geometries: list[str], props: list[dict[str, Any]]) -> str:
    """GeoJSON FeatureCollection text from geometry texts (already rounded) and properties."""
    return _script_safe(_FC_HEAD + ",".join(_feature_texts(geometries, props)) + _FC_TAIL)


def _feature_parts(geometries: list[str], props: list[dict[str, Any]]) -> list[str]:
    """:func:`_features_from_json` in parts that join to its text.

    The parts are the head, each feature (after the first, with its comma) and the tail.

    A feature's part does not depend on its neighbours (a country's, in the maps of a run).

    Examples
    --------
    >>> parts = _feature_parts(['{"type":"Point","coordinates":[1,2]}'] * 2, [{"n": 1}, {}])
    >>> parts[0], parts[-1], parts[2][:12]
    ('{"type":"FeatureCollection","features":[', ']}', ',{"type":"Fe')
    >>> "".join(parts) == _features_from_json(
    ...     ['{"type":"Point","coordinates":[1,2]}'] * 2, [{"n": 1}, {}])
    True
    """
    texts = _feature_texts(geometries, props)
    return [
        _FC_HEAD,
        *[_script_safe(t if i == 0 else "," + t) for i, t in enumerate(texts)],
        _FC_TAIL,
    ]


_FC_HEAD = '{"type":"FeatureCollection","features":['
_FC_TAIL = "]}"


def _feature_texts(geometries: list[str], props: list[dict[str, Any]]) -> list[str]:
    """GeoJSON Feature text of each geometry text with its properties."""
    encode = _props_json
    return [
        '{"type":"Feature","geometry":' + g + ',"properties":' + encode(p) + "}"
        for g, p in zip(geometries, props, strict=True)
    ]


def _decimals(tolerance_m: float) -> int:
    """Decimal places of degrees that resolve a fifth of ``tolerance_m``."""
    step_deg = tolerance_m / 111_320.0 / 5.0
    return int(np.clip(np.ceil(-np.log10(step_deg)), 4, 6))


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
    tr = to_local(crs)
    direction = "INVERSE" if inverse else "FORWARD"

    def fn(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1], direction=direction)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def _simplify(
    geoms: np.ndarray,
    crs: pyproj.CRS,
    tolerance_m: float | np.ndarray,
    *,
    preserve_topology: bool = True,
) -> np.ndarray:
    """Douglas-Peucker (topology preserving by default) in the metric ``crs``, back to EPSG:4326.

    Longitudes of ±180 that changed sign on the way (antimeridian) are put back on
    the side of the original geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    metric = _project(geoms, crs)
    simple = shapely.simplify(metric, tolerance_m, preserve_topology=preserve_topology)
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


def _simplify_screen(geoms: np.ndarray, tolerance_m: float, lat0: float) -> np.ndarray:
    """Simplify lines at screen resolution: Douglas-Peucker in Web Mercator, back to EPSG:4326.

    Web Mercator is the projection the map is displayed in (one screen pixel is the same
    number of its metres everywhere on the map at a zoom); ``tolerance_m`` (ground metres)
    is converted to it at latitude ``lat0`` (the centre of the map), where a ground metre is
    ``1 / cos(lat0)`` Web Mercator metres. Projecting to Web Mercator is several times faster
    than to the azimuthal equidistant projection of :func:`_simplify`. Plain Douglas-Peucker
    (a line that comes to cross itself at a pixel's scale is not worth the topology
    preserving variant, several times slower).
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    merc_tol = tolerance_m / max(np.cos(np.radians(min(abs(lat0), 85.0))), 1e-6)
    return _simplify(geoms, _MERCATOR, merc_tol, preserve_topology=False)


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
    cand = borders.sindex.query(area)
    geoms = borders.geometry.to_numpy()[cand]
    shapely.prepare(geoms)  # kept on the countries: the next maps test them much faster
    return np.unique(cand[shapely.intersects(geoms, area)])


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


#: Earth radius of Web Mercator (EPSG:3857) and of Leaflet's ``L.CRS.Earth`` (metres).
_R_MERCATOR = 6_378_137.0
_R_LEAFLET = 6_371_008.8


def _zone_circles(
    geoms: np.ndarray, tolerance_m: float, fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the zones that are circles at the map's resolution, for Leaflet's ``L.circle``.

    Zones are measured in Web Mercator, the projection the map is displayed in, scaled to
    the ground by the cosine of the latitude of each zone's centroid (a local metric scale;
    Mercator is conformal). A zone is a circle when it is one polygon without holes and
    every vertex and the midpoint of every edge lie within its tolerance of the circle
    around its centroid whose radius is the mean of their largest and smallest distance;
    its tolerance is the smaller of ``tolerance_m`` and ``fraction`` of its equivalent
    radius (the same as the simplification of the zones drawn as polygons).

    Returns
    -------
    circle : numpy.ndarray of bool
        Zones drawn as circles.
    centre : numpy.ndarray (n, 2)
        Longitude and latitude to give ``L.circle`` so that its drawn centre is the
        zone's centroid (Leaflet centres the circle between its northern and southern
        points, north of the given latitude).
    radius : numpy.ndarray
        Radius in metres on Leaflet's sphere (``L.CRS.Earth.R``), drawn the same size in
        Web Mercator as the zone.
    """
    geoms = np.asarray(geoms, dtype=object)
    m = rows(_CIRCLES.values([(g,) for g in geoms.tolist()], _circle_measures), 8)
    rmin, rmax, scale, equivalent, simple = m[:, 0], m[:, 1], m[:, 2], m[:, 3], m[:, 4] > 0
    ztol = np.minimum(tolerance_m, fraction * equivalent)
    circle = simple & (rmax > 0) & ((rmax - rmin) / 2.0 * scale <= ztol)
    return circle, m[:, 5:7], m[:, 7]


#: :func:`_circle_measures` of the zones measured, by zone: the maps of a run share their zones
_CIRCLES = Kept(limit=200_000)


def _circle_measures(keys: list[tuple[Any, ...]]) -> list[list[float]]:
    """Measure each zone for :func:`_zone_circles` (``keys``: one-zone tuples).

    Rows of: least and largest distance of the vertices and midpoints of the edges from the
    centroid (Web Mercator metres), ground metres per Web Mercator metre at the centroid,
    equivalent radius (ground metres), one polygon without holes (1.0, else 0.0), centre
    (longitude, latitude) and radius to give ``L.circle``; none depends on the map.
    """
    geoms = np.array([k[0] for k in keys], dtype=object)
    n = len(geoms)
    merc = _project(geoms, _MERCATOR)
    cen = shapely.get_coordinates(shapely.centroid(merc))
    coords, idx = shapely.get_coordinates(merc, return_index=True)
    x, y = coords[:, 0], coords[:, 1]
    cx, cy = cen[idx, 0], cen[idx, 1]
    dist = np.hypot(x - cx, y - cy)
    rmin, rmax = _least_largest(dist, idx, n)
    # the midpoints of the edges too (a polygon's vertices alone may lie on a circle)
    a = np.flatnonzero(idx[1:] == idx[:-1])
    b = a + 1
    dist = np.hypot((x[b] + x[a]) / 2.0 - cx[b], (y[b] + y[a]) / 2.0 - cy[b])
    mid_min, mid_max = _least_largest(dist, idx[b], n)
    rmin, rmax = np.minimum(rmin, mid_min), np.maximum(rmax, mid_max)
    lat = np.degrees(2.0 * np.arctan(np.exp(cen[:, 1] / _R_MERCATOR)) - np.pi / 2.0)
    scale = np.cos(np.radians(lat))  # ground metres per Web Mercator metre
    equivalent = np.sqrt(shapely.area(merc) / np.pi) * scale
    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    r_merc = (rmax + rmin) / 2.0
    radius = r_merc * scale * _R_LEAFLET / _R_MERCATOR
    # L.circle draws its centre halfway between lat +- r / R: move the given point south
    delta = radius / _R_LEAFLET
    sec = 1.0 / np.maximum(scale, 1e-9)
    y = cen[:, 1] - _R_MERCATOR * sec * np.tan(np.radians(lat)) * delta**2 / 2.0
    lon, lat_given = to_local(_MERCATOR).transform(cen[:, 0], y, direction="INVERSE")
    return (
        np.column_stack(  # as lists: quick to pickle (passed between processes)
            [rmin, rmax, scale, equivalent, simple, np.asarray(lon), np.asarray(lat_given), radius]
        )
        .reshape(n, 8)
        .tolist()
    )


def _least_largest(values: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Least and largest of ``values`` of each of ``n`` owners (``owner`` sorted).

    As ``np.minimum.at`` and ``np.maximum.at`` from infinity and zero, by runs of owners.
    """
    least, largest = np.full(n, np.inf), np.zeros(n)
    if len(values):
        starts = np.flatnonzero(_leading(owner))
        at = owner[starts]
        least[at] = np.minimum(least[at], np.minimum.reduceat(values, starts))
        largest[at] = np.maximum(largest[at], np.maximum.reduceat(values, starts))
    return least, largest


def _entry_parts(lines: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Intersection of each line's first segment that meets its polygon, with that polygon.

    The point of that intersection nearest the start of the line is where the line first
    enters the polygon, as in the intersection of the whole line, which is much slower to
    compute with a detailed country and yields every vertex of the line inside it. Only
    the first segment meeting the polygon (see :func:`_first_meeting`) is intersected.
    Lines that are not simple ``LineString`` are intersected whole; an empty geometry where
    the line does not meet its polygon.
    """
    lines = np.asarray(lines, dtype=object)
    polys = np.asarray(polys, dtype=object)
    out = np.empty(len(lines), dtype=object)
    simple = shapely.get_type_id(lines) == 1
    other = np.flatnonzero(~simple)
    if len(other):
        out[other] = shapely.intersection(lines[other], polys[other])
    rows = np.flatnonzero(simple)
    out[rows] = shapely.LineString()  # where the line does not meet its polygon
    if not len(rows):
        return out
    polys = polys[rows]
    shapely.prepare(polys)
    coords, owner = shapely.get_coordinates(lines[rows], return_index=True)
    first = _first_meeting(coords, owner, polys)
    met = np.flatnonzero(first >= 0)
    if len(met):
        at = first[met]
        segs = shapely.linestrings(np.stack([coords[at], coords[at + 1]], axis=1))
        out[rows[met]] = _segment_entries(segs, polys[met])
    return out


def _segment_entries(segs: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Intersection of each short segment with its polygon, from the polygon's piece near it.

    A national outline holds tens of thousands of vertices; the piece of it around a segment
    (:class:`hazid.notify.activity._CountryWindows`: every edge that can meet the segment kept
    whole) gives the same intersection at a fraction of the cost, as the dossiers intersect
    (:func:`hazid.notify.activity._intersection`, the whole outline where GEOS fails on a piece).
    """
    out = np.empty(len(segs), dtype=object)
    for i, (seg, poly) in enumerate(zip(segs, polys, strict=True)):
        out[i] = _intersection(seg, _windows(poly))
    return out


#: the windows of the last countries intersected, by ``id`` of the polygon (kept alive by its
#: windows, so that the ``id`` stands for it): the maps of a run share their countries
_WINDOWS: dict[int, _CountryWindows] = {}
_WINDOWS_MAX = 16


def _windows(poly: Any) -> _CountryWindows:
    """Return the :class:`_CountryWindows` of ``poly``, kept for the next segments and maps."""
    win = _WINDOWS.get(id(poly))
    if win is None or win.geom is not poly:
        if len(_WINDOWS) >= _WINDOWS_MAX:
            _WINDOWS.clear()
        win = _WINDOWS[id(poly)] = _CountryWindows(poly)
    return win


def _first_meeting(coords: np.ndarray, owner: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Start (position in ``coords``) of each line's first segment meeting its polygon, or -1.

    ``coords`` and ``owner`` are the coordinates of the lines and the line of each (in order);
    ``polys`` are prepared. A segment meets its polygon if an end lies in it (a vertex test,
    without making geometries) or, both ends outside, if it crosses it: the segment ending at
    a line's first vertex in its polygon is the first to meet it unless the line before that
    vertex meets the polygon (one test of that part of the line); the segments of such lines,
    and of lines without a vertex in their polygon, are tested one by one.
    """
    n = len(polys)
    starts = np.searchsorted(owner, np.arange(n))
    inside = shapely.intersects_xy(polys[owner], coords[:, 0], coords[:, 1])
    first_in = np.full(n, -1)
    pos = np.flatnonzero(inside)
    lead = _leading(owner[pos])
    first_in[owner[pos[lead]]] = pos[lead]  # the first vertex of each line inside
    found = first_in >= 0
    first = np.where(found, np.maximum(first_in - 1, starts), -1)
    # lines reaching their polygon at their third vertex or later: does the part before meet it?
    early = np.flatnonzero(found & (first_in - starts >= 2))
    check = np.zeros(n, dtype=bool)
    if len(early):
        length = first_in[early] - starts[early]
        at = np.repeat(starts[early] - np.cumsum(np.concatenate([[0], length[:-1]])), length)
        at += np.arange(len(at))
        part = shapely.linestrings(coords[at], indices=np.repeat(np.arange(len(early)), length))
        check[early] = shapely.intersects(polys[early], part)
    slow = np.flatnonzero(check | ~found)
    if len(slow):
        first[slow] = _first_meeting_by_segment(coords, owner, polys, slow)
    return first


def _first_meeting_by_segment(
    coords: np.ndarray, owner: np.ndarray, polys: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """:func:`_first_meeting` of the lines ``rows``, by a test of each segment.

    Only the segments whose bounding box meets the polygon's are tested.
    """
    first = np.full(len(rows), -1)
    place = np.full(len(polys), -1)
    place[rows] = np.arange(len(rows))
    start = np.flatnonzero((owner[1:] == owner[:-1]) & (place[owner[:-1]] >= 0))
    seg_row = owner[start]
    west, south, east, north = shapely.bounds(polys)[seg_row].T
    x0, y0 = coords[start, 0], coords[start, 1]
    x1, y1 = coords[start + 1, 0], coords[start + 1, 1]
    near = (
        (np.minimum(x0, x1) <= east)
        & (np.maximum(x0, x1) >= west)
        & (np.minimum(y0, y1) <= north)
        & (np.maximum(y0, y1) >= south)
    )
    start, seg_row = start[near], seg_row[near]
    segs = shapely.linestrings(np.stack([coords[start], coords[start + 1]], axis=1))
    hit = np.flatnonzero(shapely.intersects(polys[seg_row], segs))
    hit = hit[_leading(seg_row[hit])]  # the first of each line
    first[place[seg_row[hit]]] = start[hit]
    return first


def _leading(groups: np.ndarray) -> np.ndarray:
    """Mask of the first item of each run of equal values (``groups`` sorted)."""
    return np.concatenate([[True], groups[1:] != groups[:-1]]) if len(groups) else groups == 0
