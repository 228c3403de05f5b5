"""Measurement on the sphere: local azimuthal equidistant frames and geodesic lengths.

Every distance of the river pathway is measured here, on the sphere of radius
6,371.0088 km in local azimuthal equidistant projections computed per
feature, or with WGS84 geodesics (:class:`pyproj.Geod`) for line lengths;
nothing is measured in degrees (degree margins only pre-select candidates for
an exact metric test).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

from hazid.errors import CRSError, GeodataError
from hazid.geography.common import check_degrees

logger = logging.getLogger(__name__)


EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (m) of the local azimuthal equidistant projections."""


_GEOD = Geod(ellps="WGS84")


_KM_PER_DEG = 2 * math.pi * EARTH_RADIUS_M / 360_000.0


def _aeqd(
    lon: np.ndarray, lat: np.ndarray, lon0: np.ndarray, lat0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Project to spherical azimuthal equidistant coordinates (m) about (lon0, lat0).

    Every point may have its own centre (arrays broadcast).
    """
    phi = np.radians(lat)
    phi0 = np.radians(lat0)
    dlam = np.radians(np.asarray(lon) - lon0)
    cos_phi = np.cos(phi)
    sin_phi = np.sin(phi)
    cos_phi0 = np.cos(phi0)
    sin_phi0 = np.sin(phi0)
    cos_dlam = np.cos(dlam)
    cos_c = np.clip(sin_phi0 * sin_phi + cos_phi0 * cos_phi * cos_dlam, -1.0, 1.0)
    c = np.arccos(cos_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(c > 1e-12, c / np.sin(c), 1.0)
    x = EARTH_RADIUS_M * k * cos_phi * np.sin(dlam)
    y = EARTH_RADIUS_M * k * (cos_phi0 * sin_phi - sin_phi0 * cos_phi * cos_dlam)
    return x, y


def _project_local(geoms: np.ndarray, lon0: np.ndarray, lat0: np.ndarray) -> np.ndarray:
    """Copy ``geoms`` into local azimuthal equidistant frames, one centre per geometry."""
    geoms = np.array(geoms, dtype=object, copy=True)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return geoms
    x, y = _aeqd(coords[:, 0], coords[:, 1], np.asarray(lon0)[idx], np.asarray(lat0)[idx])
    return shapely.set_coordinates(geoms, np.column_stack([x, y]))


def _haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance (m) on the sphere of radius :data:`EARTH_RADIUS_M`."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _vertex_distances_m(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, owner index and cumulative WGS84 geodesic distance (m) per vertex."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    cum = np.zeros(len(coords))
    if len(coords) > 1:
        same = idx[1:] == idx[:-1]
        _, _, seg = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
        seg = np.where(same, np.asarray(seg), 0.0)
        cum[1:] = np.cumsum(seg)
        starts = np.r_[0, np.flatnonzero(~same) + 1]
        owner_start = np.repeat(cum[starts], np.diff(np.r_[starts, len(coords)]))
        cum = cum - owner_start
    return coords, idx, cum


def _geodesic_length_km(geoms: np.ndarray) -> np.ndarray:
    """WGS84 geodesic length (km) of each line."""
    coords, idx, cum = _vertex_distances_m(geoms)
    out = np.zeros(len(geoms))
    if len(coords):
        last = np.r_[np.flatnonzero(idx[1:] != idx[:-1]), len(idx) - 1]
        out[idx[last]] = cum[last]
    return out / 1000.0


def _deg_margin(dist_m: float, max_abs_lat: float) -> float:
    """Degrees that certainly contain ``dist_m`` metres at latitudes up to ``max_abs_lat``.

    Used only to pre-select candidates for an exact metric test.
    """
    lat = min(abs(max_abs_lat) + dist_m / 100_000.0, 85.0)
    return 1.02 * dist_m / (1000.0 * _KM_PER_DEG * math.cos(math.radians(lat)))


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise GeodataError(f"{what} must be a GeoDataFrame; got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CRSError(f"{what} has no CRS; set one (e.g. gdf.set_crs('EPSG:4326'))")
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf


def _check_degrees(geoms: Any, what: str) -> None:
    """Refuse lines whose coordinates are not longitudes and latitudes (once in WGS 84).

    A layer of metres labelled as degrees would give no reach near any site: every site
    "not assessed", for want of the right CRS (:func:`hazid.geography.common.check_degrees`;
    the extent from the lines' bounds).
    """
    box = shapely.total_bounds(np.asarray(geoms, dtype=object))
    if not np.isnan(box).all():  # some geometry
        check_degrees(box, what)


def _label_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component labels (smallest member index) of ``n`` items joined by pairs."""
    labels = np.arange(n)
    if len(a) == 0:
        return labels
    while True:
        la, lb = labels[a], labels[b]
        m = np.minimum(la, lb)
        new = labels.copy()
        np.minimum.at(new, la, m)
        np.minimum.at(new, lb, m)
        new = new[new]
        while True:
            nxt = new[new]
            if np.array_equal(nxt, new):
                break
            new = nxt
        if np.array_equal(new, labels):
            return labels
        labels = new


def _clip_each(geoms: np.ndarray, x0: Any, y0: Any, x1: Any, y1: Any) -> np.ndarray:
    """Clip each geometry to its own rectangle (fast rectangle clipping).

    A multi-polygon (a country with islands and enclaves) is clipped part by part, only the
    parts whose box meets the rectangle, and the pieces put together as
    :func:`shapely.clip_by_rect` would (one piece: that polygon; several: a multi-polygon in
    the order of the parts): the same geometry, without walking every part of a large country
    for each rectangle.
    """
    eps = 1e-7  # a line along a meridian or parallel has an empty box
    rect = np.c_[np.asarray(x0, float) - eps, np.asarray(y0, float) - eps,
                 np.asarray(x1, float) + eps, np.asarray(y1, float) + eps]  # fmt: skip
    out = np.empty(len(geoms), dtype=object)
    ids = np.fromiter((id(g) for g in geoms), dtype=np.int64, count=len(geoms))
    whole: list[int] = []  # clipped whole: not multi-polygons, or no part piece left
    clipped: list[np.ndarray] = []  # the hit parts of each multi-polygon clipped, in order
    owner: list[int] = []
    for k in np.unique(ids):
        at = np.flatnonzero(ids == k)
        g = geoms[at[0]]
        if g is None or shapely.get_type_id(g) != 6:  # not a MultiPolygon
            whole += at.tolist()
            continue
        for i, hit in zip(at.tolist(), _part_hits(g, rect[at]), strict=True):
            clipped.append(shapely.clip_by_rect(hit, *rect[i]))
            owner.append(i)
    if clipped:
        pieces, which = shapely.get_parts(np.concatenate(clipped), return_index=True)
        items = np.repeat(owner, [len(c) for c in clipped])[which]
        keep = np.flatnonzero(~shapely.is_empty(pieces))
        keep = keep[np.argsort(items[keep], kind="stable")]  # by item, each in part order
        pieces, items = pieces[keep], items[keep]
        count = np.bincount(items, minlength=len(geoms))
        one = count[items] == 1
        out[items[one]] = pieces[one]
        many = np.unique(items[~one])
        if len(many):
            at = np.searchsorted(many, items[~one])
            out[many] = shapely.multipolygons(pieces[~one], indices=at)
        whole += [i for i in owner if count[i] == 0]
    for i in sorted(whole):
        out[i] = shapely.clip_by_rect(geoms[i], *rect[i])
    return out


def _part_hits(g: Any, rect: np.ndarray) -> list[np.ndarray]:
    """Return the parts of multi-polygon ``g`` whose box meets each rectangle, in order."""
    parts = shapely.get_parts(g)
    bi, pj = shapely.STRtree(parts).query(shapely.box(*rect.T))
    order = np.lexsort((pj, bi))
    bi, pj = bi[order], pj[order]
    cuts = np.searchsorted(bi, np.arange(len(rect) + 1))
    return [parts[pj[cuts[n] : cuts[n + 1]]] for n in range(len(rect))]
