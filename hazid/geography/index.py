"""Spatial index over country borders and geodesic distances to their boundaries.

Country boundaries are densified to segments of at most 0.05 degrees (edges
are straight lines in longitude/latitude, as GIS files define them), cut in
pieces of 4 segments and groups of 16 pieces; each piece and group has a
bounding ball in Earth-centred WGS84 coordinates, and the groups are indexed
by an STRtree of their longitude/latitude envelopes. Groups near a site are
found with longitude/latitude boxes that provably cover the search radius;
groups, pieces and segments are then ranked by straight-line (chord) distance
between Earth-centred coordinates, the balls giving lower and upper bounds,
and the closest point of each nearest segment is measured exactly with
``pyproj.Geod.inv`` on the WGS84 ellipsoid. Nothing is buffered or measured
in degrees.
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
_PIECE_SEGMENTS = 4  # segments per boundary piece
_GROUP_PIECES = 16  # pieces per indexed group
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


def _segment_chord(
    p: np.ndarray, a: np.ndarray, ab: np.ndarray, l2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance (km) from points ``p`` to segments (ECEF), row-wise.

    A segment starts at ``a`` and runs along ``ab`` (squared length ``l2``).
    Also returns the position ``t`` (0..1) of the closest point along the segment.
    """
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


def _search_boxes(lon: np.ndarray, lat: np.ndarray, chord_km: np.ndarray) -> tuple[Any, np.ndarray]:
    """Make lon/lat boxes holding every point within a chord of each point.

    ``chord_km`` (straight-line km) is widened by the candidate margin of
    :meth:`_CountryIndex.boundary_distance`; returns boxes and owners as
    :func:`_cap_boxes`.
    """
    return _cap_boxes(lon, lat, _chord_to_angle(chord_km * (1 + 1e-4) + 0.002))


def _boxes_of(boxes: Any, owner: np.ndarray, sel: np.ndarray, n: int) -> tuple[Any, np.ndarray]:
    """Select the boxes of points ``sel`` (distinct, of ``n``); owners become places in ``sel``."""
    pos = np.full(n, -1)
    pos[sel] = np.arange(sel.size)
    rows = np.flatnonzero(pos[owner] >= 0)
    return boxes[rows], pos[owner[rows]]


def _unique_int(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an integer array (sort-based; fast for large arrays)."""
    a = np.sort(a, kind="stable")
    return a[np.r_[True, a[1:] != a[:-1]]] if a.size else a


def _norm(v: np.ndarray) -> np.ndarray:
    """Euclidean length of each row of ``v``."""
    return np.sqrt(np.einsum("ij,ij->i", v, v))


def _distinct(
    site: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep one of the rows (site, x, y) that repeat bit for bit (the same geodesic)."""
    if site.size < 2:
        return site, x, y
    xi, yi = x.view(np.int64), y.view(np.int64)
    order = np.lexsort((yi, xi, site))
    s, xi, yi = site[order], xi[order], yi[order]
    new = np.r_[True, (s[1:] != s[:-1]) | (xi[1:] != xi[:-1]) | (yi[1:] != yi[:-1])]
    keep = order[new]
    return site[keep], x[keep], y[keep]


def _min_by(n: int, group: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, group, values)
    return out


def _expand(si: np.ndarray, first: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair each ``si[k]`` with the members ``first[k]`` .. ``first[k] + lens[k] - 1``."""
    total = int(lens.sum())
    return np.repeat(si, lens), np.repeat(first - np.cumsum(lens) + lens, lens) + np.arange(total)


def _balls(
    a: np.ndarray, b: np.ndarray, start: np.ndarray, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Centre and radius of a ball holding each run of segments (straight in ECEF)."""
    centre = np.add.reduceat(a + b, start, axis=0) / (2 * size)[:, None]
    own = np.repeat(np.arange(start.size), size)
    far = np.maximum(_norm(a - centre[own]), _norm(b - centre[own]))
    return centre, np.maximum.reduceat(far, start)


class _CountryIndex:
    """Boundary segments of one country, in pieces of 16 and groups of 16 pieces.

    Each piece and group has a bounding ball in Earth-centred WGS84
    coordinates; groups are indexed by an STRtree of their lon/lat envelopes.
    Candidates are ranked by straight-line (chord) distance between
    Earth-centred coordinates, which orders points like the geodesic
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
        b = _ecef(self.b_ll[:, 0], self.b_ll[:, 1])
        self.ab = b - self.a
        self.l2 = np.einsum("ij,ij->i", self.ab, self.ab)
        first = np.r_[0, np.flatnonzero(np.diff(seg_ring)) + 1]
        in_ring = np.arange(nseg) - np.repeat(first, np.diff(np.r_[first, nseg]))
        ring_key = seg_ring.astype(np.int64) * (1 << 32)
        piece_key = ring_key + in_ring // _PIECE_SEGMENTS
        self.p_start = np.r_[0, np.flatnonzero(np.diff(piece_key)) + 1]
        self.p_len = np.diff(np.r_[self.p_start, nseg])
        self.centre, self.rad = _balls(self.a, b, self.p_start, self.p_len)
        group_key = (ring_key + in_ring // (_PIECE_SEGMENTS * _GROUP_PIECES))[self.p_start]
        self.g_start = np.r_[0, np.flatnonzero(np.diff(group_key)) + 1]
        self.g_len = np.diff(np.r_[self.g_start, self.p_start.size])
        seg_start = self.p_start[self.g_start]
        seg_len = np.diff(np.r_[seg_start, nseg])
        self.g_centre, self.g_rad = _balls(self.a, b, seg_start, seg_len)
        lo = np.minimum(self.a_ll, self.b_ll)
        hi = np.maximum(self.a_ll, self.b_ll)
        lo = np.minimum.reduceat(lo, seg_start, axis=0)
        hi = np.maximum.reduceat(hi, seg_start, axis=0)
        self.tree = STRtree(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether points lie strictly inside the territory."""
        if self.geom is None or self.geom.is_empty:
            return np.zeros(lon.size, dtype=bool)
        return shapely.contains_xy(self.geom, lon, lat)

    def distance(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        limit: np.ndarray | None = None,
        *,
        boxes: tuple[Any, np.ndarray] | None = None,
        outside: bool = False,
    ) -> np.ndarray:
        """Geodesic distance (km) from points to this territory (0 inside).

        With ``limit`` (km, per point), distances beyond it come back as ``inf``;
        ``boxes`` are then the points' :func:`_search_boxes` for ``limit``, if
        already made. With ``outside``, the points are known not to lie inside
        the territory (not tested again).
        """
        d = np.full(lon.size, np.nan)
        if self.size == 0:
            return d
        inside = np.zeros(lon.size, dtype=bool) if outside else self.contains(lon, lat)
        d[inside] = 0.0
        rest = np.flatnonzero(~inside)
        for lo in range(0, rest.size, _CHUNK_SITES):
            sel = rest[lo : lo + _CHUNK_SITES]
            lim = None if limit is None else limit[sel]
            bx = None if boxes is None else _boxes_of(*boxes, sel, lon.size)
            d[sel] = self.boundary_distance(lon[sel], lat[sel], lim, boxes=bx)
        return d

    def boundary_distance(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        limit: np.ndarray | None = None,
        *,
        boxes: tuple[Any, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Geodesic distance (km) from points to the boundary of the territory.

        The candidate segments are those whose chord is within ``1e-4``
        (relative) + 2 m of the shortest (found without measuring every
        segment, see :meth:`_pool`); the closest point of each is measured with
        ``Geod.inv`` (once per distinct point) and the shortest geodesic is the
        distance. With ``limit`` (km, per point), distances beyond it come back
        as ``inf`` (a distance equal to it does not); ``boxes`` are then the
        points' :func:`_search_boxes` for ``limit``, if already made.
        """
        n = lon.size
        if self.size == 0 or n == 0:
            return np.full(n, np.nan)
        p = _ecef(lon, lat)
        seg_site, seg, chord, t = self._pool(p, lon, lat, limit, boxes)
        # not cut at ``limit`` by the chord: a chord to a long segment (below the surface by
        # its sagitta) can be longer than the geodesic to its closest point
        cand = chord <= _min_by(n, seg_site, chord)[seg_site] * (1 + 1e-4) + 0.002
        seg_site, seg, t = seg_site[cand], seg[cand], t[cand]
        a, b = self.a_ll[seg], self.b_ll[seg]
        seg_site, x, y = _distinct(
            seg_site, a[:, 0] + t * (b[:, 0] - a[:, 0]), a[:, 1] + t * (b[:, 1] - a[:, 1])
        )
        _, _, metres = GEOD.inv(lon[seg_site], lat[seg_site], x, y)
        km = _min_by(n, seg_site, np.asarray(metres) / 1000.0)
        if limit is not None:
            km[km > limit] = np.inf
        return km

    def _chords(self, p: np.ndarray, si: np.ndarray, pj: np.ndarray) -> tuple[np.ndarray, ...]:
        """(point, segment, chord, t) of the segments of pieces ``pj`` for points ``si``."""
        ss, sg = _expand(si, self.p_start[pj], self.p_len[pj])
        return ss, sg, *_segment_chord(p[ss], self.a[sg], self.ab[sg], self.l2[sg])

    def _pool(
        self,
        p: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        limit: np.ndarray | None,
        boxes: tuple[Any, np.ndarray] | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segments holding every candidate: (point, segment, chord, t), measured.

        An upper bound ``ub`` on each point's shortest chord (``limit``, else
        the far side of the ball of the group nearest in degrees) sets the
        lon/lat boxes that find the groups; it is tightened with the segments
        of the point's piece of lowest bound (the nearest side of its ball) in
        its group of lowest bound. Groups, then pieces, whose balls lie beyond
        ``ub`` (plus the candidate margin) are dropped; the segments of the
        pieces left are measured. A chord beyond ``limit`` is not searched:
        the geodesic would be longer still.
        """
        n = lon.size
        if limit is None:
            qi, gj = self.tree.query_nearest(shapely.points(lon, lat))
            ub = _min_by(n, qi, _norm(p[qi] - self.g_centre[gj]) + self.g_rad[gj])
        else:
            ub = np.asarray(limit, float)
        box, owner = _search_boxes(lon, lat, ub) if boxes is None else boxes
        bi, gj = self.tree.query(box)
        si = owner[bi]  # a site may repeat a group only across the antimeridian: harmless
        low = _norm(p[si] - self.g_centre[gj]) - self.g_rad[gj]
        first_g = low <= _min_by(n, si, low)[si]
        s1, p1 = _expand(si[first_g], self.g_start[gj[first_g]], self.g_len[gj[first_g]])
        low1 = _norm(p[s1] - self.centre[p1]) - self.rad[p1]
        first_p = low1 <= _min_by(n, s1, low1)[s1]
        head = self._chords(p, s1[first_p], p1[first_p])
        bound = np.minimum(ub, _min_by(n, head[0], head[2])) * (1 + 1e-4) + 0.002
        more = (low <= bound[si]) & ~first_g  # the other groups within the bound
        s2, p2 = _expand(si[more], self.g_start[gj[more]], self.g_len[gj[more]])
        low2 = _norm(p[s2] - self.centre[p2]) - self.rad[p2]
        keep1 = (low1 <= bound[s1]) & ~first_p
        keep2 = low2 <= bound[s2]
        rest = self._chords(
            p, np.concatenate([s1[keep1], s2[keep2]]), np.concatenate([p1[keep1], p2[keep2]])
        )
        return tuple(np.concatenate([h, r]) for h, r in zip(head, rest, strict=True))


#: Points from which :meth:`_BorderIndex.within` keeps its answer (fewer are quickly located).
_WITHIN_KEPT_FROM = 256


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
        # the points of the last call of :meth:`within` (their bytes) and its answer
        self._within: tuple[bytes, bytes, np.ndarray, np.ndarray] | None = None

    def country(self, k: int) -> _CountryIndex:
        if k not in self._countries:
            self._countries[k] = _CountryIndex(self.geoms[k])
        return self._countries[k]

    def _pairs(self, first: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nc = len(self.codes)
        key = _unique_int(first.astype(np.int64) * nc + self.part_country[part])
        return key // nc, key % nc

    def within(
        self, lon: np.ndarray, lat: np.ndarray, points: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(site, country) pairs with the site strictly inside the country.

        ``points``, if given, are the sites as shapely points (at ``lon``, ``lat``): not made
        again.

        The answer for the same points (bit for bit) as the last call of at least
        :data:`_WITHIN_KEPT_FROM` points is not worked out again (the sites are located, then
        measured from the borders, with the same points; single points asked in between do
        not replace it).
        """
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        key = lon.tobytes(), lat.tobytes()
        if self._within is not None and self._within[:2] == key:
            return self._within[2].copy(), self._within[3].copy()
        pts = shapely.points(lon, lat) if points is None else points
        si, ci = self._pairs(*self.part_tree.query(pts))
        keep = np.zeros(si.size, dtype=bool)
        for k in np.unique(ci):
            m = ci == k
            keep[m] = self.country(int(k)).contains(lon[si[m]], lat[si[m]])
        si, ci = si[keep], ci[keep]
        if lon.size >= _WITHIN_KEPT_FROM:
            self._within = (*key, si.copy(), ci.copy())
        return si, ci

    def intersecting(
        self, geoms: np.ndarray, skip: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(geometry, country) pairs whose geometries intersect.

        ``skip`` (a country row per geometry, -1 for none) leaves out, untested,
        the pairs of each geometry with that country. A geometry whose envelope
        meets no group of the country's boundary lies wholly inside or wholly
        outside it, as its first vertex does; the others are tested in full.
        """
        gi, ci = self._pairs(*self.part_tree.query(geoms))
        if skip is not None:
            other = ci != skip[gi]
            gi, ci = gi[other], ci[other]
        edge = np.zeros(gi.size, dtype=bool)
        for k in np.unique(ci):
            m = np.flatnonzero(ci == k)
            country = self.country(int(k))
            if country.size:
                edge[m[country.tree.query(geoms[gi[m]])[0]]] = True
        lone = _unique_int(gi[~edge])  # geometries away from some boundary: their first vertex
        first = shapely.get_point(
            shapely.get_exterior_ring(shapely.get_geometry(geoms[lone], 0)), 0
        )
        x, y = shapely.get_x(first), shapely.get_y(first)
        keep = np.zeros(gi.size, dtype=bool)
        for k in np.unique(ci):
            country = self.country(int(k))
            m = np.flatnonzero((ci == k) & edge)
            keep[m] = shapely.intersects(country.geom, geoms[gi[m]])
            m = np.flatnonzero((ci == k) & ~edge)
            j = np.searchsorted(lone, gi[m])
            keep[m] = country.contains(x[j], y[j])
        return gi[keep], ci[keep]

    def near(
        self, lon: np.ndarray, lat: np.ndarray, radius_km: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(site, country) pairs whose polygon envelopes come within ``radius_km``."""
        ang = np.asarray(radius_km, float) / _R_MIN_KM * 1.01
        boxes, owner = _cap_boxes(lon, lat, ang)
        bi, pj = self.part_tree.query(boxes)
        return self._pairs(owner[bi], pj)

    def meeting(self, boxes: tuple[Any, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(point, country) pairs whose polygon envelopes meet the points' boxes."""
        box, owner = boxes
        bi, pj = self.part_tree.query(box)
        return self._pairs(owner[bi], pj)

    def pair_distance(
        self,
        site: np.ndarray,
        country: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        limit: np.ndarray | None = None,
        *,
        boxes: tuple[Any, np.ndarray] | None = None,
        outside: bool = False,
        shortest: bool = False,
    ) -> np.ndarray:
        """Geodesic km from ``site``-indexed points to ``country``-indexed territories.

        With ``limit`` (km, per point: indexed like ``lon``), distances beyond it
        come back as ``inf``; ``boxes`` are then the points' :func:`_search_boxes`
        for ``limit`` (owners: point numbers), if already made. With
        ``outside``, no point lies inside a country it is paired with (not
        tested again). With ``shortest`` (and ``limit``), only the shortest
        distance of each point matters: a distance longer than one already
        found for the point (countries with more pairs first) may also come
        back as ``inf``; the shortest, and any equal to it, do not.
        """
        out = np.full(site.size, np.nan)
        if limit is not None and boxes is None:
            used = _unique_int(site)
            box, owner = _search_boxes(lon[used], lat[used], limit[used])
            boxes = (box, used[owner])
        countries, count = np.unique(np.asarray(country, dtype=np.int64), return_counts=True)
        if shortest and limit is not None:
            limit = np.array(limit, dtype=float)  # lowered as distances are found
            boxed = limit.copy()  # the limit the boxes were made for
            countries = countries[np.argsort(-count, kind="stable")]
        for k in countries:
            m = np.flatnonzero(country == k)
            pts, back = np.unique(site[m], return_inverse=True)
            lim = None if limit is None else limit[pts]
            bx = None if boxes is None else _boxes_of(*boxes, pts, lon.size)
            d = self.country(int(k)).distance(lon[pts], lat[pts], lim, boxes=bx, outside=outside)
            out[m] = d[back]
            if shortest and limit is not None and (d < lim).any():
                limit[pts[d < lim]] = d[d < lim]
                boxes = _smaller_boxes(boxes, pts, limit, boxed, lon, lat)
        return out


def _smaller_boxes(
    boxes: tuple[Any, np.ndarray],
    pts: np.ndarray,
    limit: np.ndarray,
    boxed: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[Any, np.ndarray]:
    """Make again the search boxes of points ``pts`` whose limit fell below half theirs.

    ``boxed`` (the limit each point's boxes were made for) is updated.
    """
    redo = pts[limit[pts] < 0.5 * boxed[pts]]
    if redo.size == 0:
        return boxes
    boxed[redo] = limit[redo]
    box, owner = _search_boxes(lon[redo], lat[redo], limit[redo])
    mark = np.zeros(lon.size, dtype=bool)
    mark[redo] = True
    other = ~mark[boxes[1]]
    return np.concatenate([boxes[0][other], box]), np.concatenate([boxes[1][other], redo[owner]])


#: Indexes of the borders layers used last: (codes, geometry ids), index.
_RECENT: list[tuple[tuple[tuple[str, ...], tuple[int, ...]], _BorderIndex]] = []


def _border_index(borders: gpd.GeoDataFrame) -> _BorderIndex:
    """Index a checked borders layer, or reuse the index of the same layer.

    The same layer means the same codes and the same geometry objects (shapely
    geometries are immutable; the index holds them, so their ids stay theirs);
    the two layers used last are kept.
    """
    key = (
        tuple(borders["iso_a3"].astype(str)),
        tuple(map(id, borders.geometry.to_numpy())),
    )
    for known, index in _RECENT:
        if known == key:
            return index
    index = _BorderIndex(borders)
    _RECENT.append((key, index))
    del _RECENT[:-2]
    return index
