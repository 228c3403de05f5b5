"""Spatial index over country borders and geodesic distances to their boundaries.

Country boundaries are densified to segments of at most 0.05 degrees (edges
are straight lines in longitude/latitude, as GIS files define them) and
grouped in pieces of 16 segments indexed by an STRtree. Candidate pieces near
a site are found with longitude/latitude boxes that provably cover the
geodesic search radius, and ranked by straight-line (chord) distance between
Earth-centred WGS84 coordinates; the closest point of each nearest segment is
then measured exactly with ``pyproj.Geod.inv`` on the WGS84 ellipsoid.
Nothing is buffered or measured in degrees.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod
from shapely import STRtree

GEOD = Geod(ellps="WGS84")

_DENSIFY_DEG = 0.05  # longest boundary segment measured, degrees
_PIECE_SEGMENTS = 16  # segments per indexed boundary piece
_CHUNK_SITES = 20_000


# ----------------------------------------------------------------------------------------------
# Geodesic machinery
# ----------------------------------------------------------------------------------------------
_WGS84_A_KM = 6378.137
_WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)
#: Smallest radius of curvature of WGS84 (meridional, at the equator), km.
_R_MIN_KM = 6335.439


def _ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates (km) of points on the WGS84 ellipsoid."""
    lo = np.radians(lon)
    la = np.radians(lat)
    sl = np.sin(la)
    cl = np.cos(la)
    n = _WGS84_A_KM / np.sqrt(1.0 - _WGS84_E2 * sl * sl)
    return np.column_stack([n * cl * np.cos(lo), n * cl * np.sin(lo), n * (1.0 - _WGS84_E2) * sl])


def _chord_to_angle(chord_km: np.ndarray) -> np.ndarray:
    """Conservative angular radius (radians) of the lon/lat cap holding all points within a chord.

    A geodesic of length ``d`` moves a point by at most ``d / R_min`` radians
    on the sphere of longitude and latitude, and the arc over a chord ``c``
    is at most ``2 R asin(c / 2R)`` with the smallest radius of curvature;
    1 % is added.
    """
    c = np.asarray(chord_km, float)
    with np.errstate(invalid="ignore"):
        ang = 2.0 * np.arcsin(np.clip(c / (2.0 * _R_MIN_KM), 0.0, 1.0))
    return np.where(np.isfinite(c), ang * 1.01 + 1e-7, math.pi)


def _segment_chord(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance (km) from points ``p`` to segments ``a``-``b`` (ECEF), row-wise.

    Also returns the position ``t`` (0..1) of the closest point along the segment.
    """
    ab = b - a
    l2 = np.einsum("ij,ij->i", ab, ab)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(l2 > 0, np.einsum("ij,ij->i", p - a, ab) / l2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    diff = p - (a + t[:, None] * ab)
    return np.sqrt(np.einsum("ij,ij->i", diff, diff)), t


def _cap_boxes(lon: np.ndarray, lat: np.ndarray, ang: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat boxes covering caps of angular radius ``ang`` (radians) on the lon/lat sphere.

    Returns the boxes and, for each, the index of its cap (a cap crossing the
    antimeridian gives two boxes).
    """
    n = lon.size
    ang = np.broadcast_to(np.asarray(ang, float), lon.shape)
    dlat = np.degrees(ang)
    south = lat - dlat
    north = lat + dlat
    polar = (north >= 90) | (south <= -90) | (ang >= math.pi / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.sin(np.minimum(ang, math.pi / 2)) / np.cos(np.radians(lat))
    full = polar | ~(ratio < 1)
    dlon = np.where(full, 180.0, np.degrees(np.arcsin(np.clip(ratio, 0, 1))))
    xmin = np.where(full, -180.0, lon - dlon)
    xmax = np.where(full, 180.0, lon + dlon)
    south = np.maximum(south, -90.0)
    north = np.minimum(north, 90.0)
    idx = [np.arange(n)]
    bx = [(np.maximum(xmin, -180.0), south, np.minimum(xmax, 180.0), north)]
    west = np.flatnonzero(xmin < -180)
    east = np.flatnonzero(xmax > 180)
    if west.size:
        idx.append(west)
        bx.append((xmin[west] + 360, south[west], np.full(west.size, 180.0), north[west]))
    if east.size:
        idx.append(east)
        bx.append((np.full(east.size, -180.0), south[east], xmax[east] - 360, north[east]))
    cols = [np.concatenate([b[k] for b in bx]) for k in range(4)]
    return shapely.box(*cols), np.concatenate(idx)


def _unique_int(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an integer array (sort-based; fast for large arrays)."""
    a = np.sort(a, kind="stable")
    return a[np.r_[True, a[1:] != a[:-1]]] if a.size else a


def _min_by(n: int, group: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, group, values)
    return out


class _CountryIndex:
    """Boundary segments of one country, grouped in indexed pieces.

    Candidates are ranked by straight-line (chord) distance between
    Earth-centred WGS84 coordinates, which orders points like the geodesic
    distance to within a few parts in 10^5 at continental ranges; the nearest
    candidates are then measured exactly with ``Geod.inv``.
    """

    def __init__(self, geom: Any) -> None:
        self.geom = geom
        self.size = 0
        if geom is None or geom.is_empty:
            return
        shapely.prepare(geom)
        rings = shapely.get_rings(shapely.get_parts(geom))
        rings = shapely.segmentize(rings, _DENSIFY_DEG)
        coords, ring_id = shapely.get_coordinates(rings, return_index=True)
        same = ring_id[:-1] == ring_id[1:]
        self.a_ll = coords[:-1][same]
        self.b_ll = coords[1:][same]
        seg_ring = ring_id[:-1][same]
        nseg = seg_ring.size
        self.size = nseg
        if nseg == 0:
            return
        self.a = _ecef(self.a_ll[:, 0], self.a_ll[:, 1])
        self.b = _ecef(self.b_ll[:, 0], self.b_ll[:, 1])
        first = np.r_[0, np.flatnonzero(np.diff(seg_ring)) + 1]
        ring_start = np.repeat(first, np.diff(np.r_[first, nseg]))
        piece_key = seg_ring.astype(np.int64) * (1 << 32) + (
            (np.arange(nseg) - ring_start) // _PIECE_SEGMENTS
        )
        starts = np.r_[0, np.flatnonzero(np.diff(piece_key)) + 1]
        self.p_start = starts
        self.p_len = np.diff(np.r_[starts, nseg])
        # bounding ball of each piece (segments are straight in ECEF, so inside it)
        seg_piece = np.repeat(np.arange(starts.size), self.p_len)
        centre = np.zeros((starts.size, 3))
        np.add.at(centre, seg_piece, self.a + self.b)
        centre /= (2 * self.p_len)[:, None]
        rad = np.zeros(starts.size)
        np.maximum.at(rad, seg_piece, np.linalg.norm(self.a - centre[seg_piece], axis=1))
        np.maximum.at(rad, seg_piece, np.linalg.norm(self.b - centre[seg_piece], axis=1))
        self.centre = centre
        self.rad = rad
        # piece lines in lon/lat for the STRtree
        last = starts + self.p_len - 1
        verts = np.vstack([self.a_ll, self.b_ll[last]])
        owner = np.concatenate([seg_piece, np.arange(starts.size)])
        order = np.concatenate([np.arange(nseg), last + 0.5])
        sort = np.lexsort((order, owner))
        self.tree = STRtree(shapely.linestrings(verts[sort], indices=owner[sort]))

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether points lie strictly inside the territory."""
        if self.geom is None or self.geom.is_empty:
            return np.zeros(lon.size, dtype=bool)
        return shapely.contains_xy(self.geom, lon, lat)

    def distance(
        self, lon: np.ndarray, lat: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        """Geodesic distance (km) from points to this territory (0 inside).

        With ``limit`` (km, per point), distances beyond it come back as ``inf``.
        """
        d = np.full(lon.size, np.nan)
        if self.size == 0:
            return d
        inside = self.contains(lon, lat)
        d[inside] = 0.0
        rest = np.flatnonzero(~inside)
        for lo in range(0, rest.size, _CHUNK_SITES):
            sel = rest[lo : lo + _CHUNK_SITES]
            lim = None if limit is None else limit[sel]
            d[sel] = self.boundary_distance(lon[sel], lat[sel], lim)
        return d

    def boundary_distance(
        self, lon: np.ndarray, lat: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        """Geodesic distance (km) from points to the boundary of the territory.

        With ``limit`` (km, per point), distances beyond it come back as ``inf``.
        """
        n = lon.size
        if self.size == 0 or n == 0:
            return np.full(n, np.nan)
        p = _ecef(lon, lat)
        if limit is None:
            # upper bound from the piece nearest in degrees
            qi, pj = self.tree.query_nearest(shapely.points(lon, lat))
            ub = _min_by(n, qi, np.linalg.norm(p[qi] - self.centre[pj], axis=1) + self.rad[pj])
        else:
            ub = np.asarray(limit, float)  # a chord is never longer than the geodesic
        # every piece that may be nearer than the bound
        boxes, owner = _cap_boxes(lon, lat, _chord_to_angle(ub))
        bi, pj = self.tree.query(boxes)
        si = owner[bi]  # a site may repeat a piece only across the antimeridian: harmless
        cd = np.linalg.norm(p[si] - self.centre[pj], axis=1)
        best_ub = np.minimum(_min_by(n, si, cd + self.rad[pj]), ub)
        keep = cd - self.rad[pj] <= best_ub[si] * (1 + 1e-4) + 0.002
        si, pj = si[keep], pj[keep]
        # segments of the surviving pieces
        lens = self.p_len[pj]
        seg_site = np.repeat(si, lens)
        seg = np.repeat(self.p_start[pj] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        chord, t = _segment_chord(p[seg_site], self.a[seg], self.b[seg])
        cmin = _min_by(n, seg_site, chord)
        cand = chord <= cmin[seg_site] * (1 + 1e-4) + 0.002
        seg_site, seg, t = seg_site[cand], seg[cand], t[cand]
        a, b = self.a_ll[seg], self.b_ll[seg]
        _, _, metres = GEOD.inv(
            lon[seg_site],
            lat[seg_site],
            a[:, 0] + t * (b[:, 0] - a[:, 0]),
            a[:, 1] + t * (b[:, 1] - a[:, 1]),
        )
        km = _min_by(n, seg_site, np.asarray(metres) / 1000.0)
        if limit is not None:
            km[km > ub] = np.inf
        return km


class _BorderIndex:
    """Spatial index over a borders layer (one row per country)."""

    def __init__(self, borders: gpd.GeoDataFrame) -> None:
        self.codes = borders["iso_a3"].astype(str).to_numpy()
        self.row = {c: i for i, c in enumerate(self.codes)}
        self.geoms = borders.geometry.to_numpy()
        parts, owner = shapely.get_parts(self.geoms, return_index=True)
        self.part_country = owner
        self.part_tree = STRtree(parts)
        self._countries: dict[int, _CountryIndex] = {}

    def country(self, k: int) -> _CountryIndex:
        if k not in self._countries:
            self._countries[k] = _CountryIndex(self.geoms[k])
        return self._countries[k]

    def _pairs(self, first: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nc = len(self.codes)
        key = _unique_int(first.astype(np.int64) * nc + self.part_country[part])
        return key // nc, key % nc

    def within(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(site, country) pairs with the site strictly inside the country."""
        si, ci = self._pairs(*self.part_tree.query(shapely.points(lon, lat)))
        keep = np.zeros(si.size, dtype=bool)
        for k in np.unique(ci):
            m = ci == k
            keep[m] = self.country(int(k)).contains(lon[si[m]], lat[si[m]])
        return si[keep], ci[keep]

    def intersecting(self, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(geometry, country) pairs whose geometries intersect."""
        gi, ci = self._pairs(*self.part_tree.query(geoms))
        keep = np.zeros(gi.size, dtype=bool)
        for k in np.unique(ci):
            m = ci == k
            country = self.geoms[k]
            shapely.prepare(country)
            keep[m] = shapely.intersects(country, geoms[gi[m]])
        return gi[keep], ci[keep]

    def near(
        self, lon: np.ndarray, lat: np.ndarray, radius_km: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(site, country) pairs whose polygon envelopes come within ``radius_km``."""
        ang = np.asarray(radius_km, float) / _R_MIN_KM * 1.01
        boxes, owner = _cap_boxes(lon, lat, ang)
        bi, pj = self.part_tree.query(boxes)
        return self._pairs(owner[bi], pj)

    def pair_distance(
        self,
        site: np.ndarray,
        country: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        limit: np.ndarray | None = None,
    ) -> np.ndarray:
        """Geodesic km from ``site``-indexed points to ``country``-indexed territories.

        With ``limit`` (km, per pair), distances beyond it come back as ``inf``.
        """
        out = np.full(site.size, np.nan)
        for k in _unique_int(np.asarray(country, dtype=np.int64)):
            m = country == k
            lim = None if limit is None else limit[m]
            out[m] = self.country(int(k)).distance(lon[site[m]], lat[site[m]], lim)
        return out
