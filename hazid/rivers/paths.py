"""Drawing the traced river path of each site, from the site down to the end of its trace."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import shapely

from hazid.rivers.graph import _Net

logger = logging.getLogger(__name__)


def _path_lines(
    reaches: gpd.GeoDataFrame,
    net: _Net,
    s0: np.ndarray,
    f0: np.ndarray,
    stop: np.ndarray,
    frac_end: np.ndarray,
    *,
    chunk: int = 20_000,
) -> np.ndarray:
    """Lines from each site's snapped point down to the end of its trace.

    Only the reaches on the paths are read (linear in the paths' length).
    """
    rgeom = reaches.geometry.to_numpy()
    out = np.empty(len(s0), dtype=object)
    nd = np.r_[np.where(net.nd < 0, net.n, net.nd), net.n]
    depth = net.accumulate(np.ones(net.n))  # reaches from each reach to its outlet
    for lo in range(0, len(s0), chunk):
        sl = slice(lo, lo + chunk)
        start, last = s0[sl], stop[sl]
        fa, fb = f0[sl], frac_end[sl]
        m = len(start)
        seq, nsteps = _reach_sequences(nd, start, (depth[start] - depth[last]).astype(np.int64) + 1)
        # vertices of the reaches, row by row, reach by reach (already in path order)
        r = np.repeat(np.arange(m), nsteps)
        step = np.arange(len(seq)) - np.repeat(np.cumsum(nsteps) - nsteps, nsteps)
        used, at = np.unique(seq, return_inverse=True)
        xy, vfrac, counts, offs = _reach_vertices(rgeom[used])
        nv = counts[at]
        vr = np.repeat(r, nv)
        vidx = np.repeat(offs[at], nv) + (np.arange(nv.sum()) - np.repeat(np.cumsum(nv) - nv, nv))
        vf = vfrac[vidx]
        is_first = np.repeat(step == 0, nv)
        is_last = np.repeat(seq == last[r], nv)
        keep = ~(is_first & (vf <= fa[vr])) & ~(is_last & (vf >= fb[vr]))
        vr, vidx = vr[keep], vidx[keep]
        sp = shapely.get_coordinates(
            shapely.line_interpolate_point(rgeom[start], fa, normalized=True)
        )
        ep = shapely.get_coordinates(
            shapely.line_interpolate_point(rgeom[last], fb, normalized=True)
        )
        out[sl] = _assemble(m, vr, xy[vidx], sp, ep)
    return out


def _reach_sequences(nd: np.ndarray, start: np.ndarray, nsteps: np.ndarray) -> tuple:
    """Reaches from each start, ``nsteps`` of them following ``nd``, row after row."""
    off = np.r_[0, np.cumsum(nsteps)]
    seq = np.empty(off[-1], dtype=np.int64)
    cur = start.copy()
    rows = np.arange(len(start))
    j = 0
    while len(rows):
        seq[off[rows] + j] = cur[rows]
        j += 1
        rows = rows[nsteps[rows] > j]
        cur[rows] = nd[cur[rows]]
    return seq, nsteps


def _assemble(m: int, vr: np.ndarray, vxy: np.ndarray, sp: np.ndarray, ep: np.ndarray):
    """Lines of ``m`` rows: start point, the row's vertices (``vr`` sorted), end point.

    Repeated consecutive points are dropped; a row left with one point is
    drawn as a line of that point twice.
    """
    per = np.bincount(vr, minlength=m)
    size = per + 2
    first = np.r_[0, np.cumsum(size)[:-1]]
    allxy = np.empty((int(size.sum()), 2))
    allr = np.repeat(np.arange(m), size)
    allxy[first] = sp
    allxy[first + size - 1] = ep
    within = np.arange(len(vr)) - np.repeat(np.cumsum(per) - per, per)
    allxy[first[vr] + 1 + within] = vxy
    dupe = np.r_[False, (allr[1:] == allr[:-1]) & np.all(allxy[1:] == allxy[:-1], axis=1)]
    allr, allxy = allr[~dupe], allxy[~dupe]
    nper = np.bincount(allr, minlength=m)
    twice = np.where(nper[allr] < 2, 2, 1)
    return shapely.linestrings(np.repeat(allxy, twice, axis=0), indices=np.repeat(allr, twice))


def _reach_vertices(lines: np.ndarray) -> tuple:
    """Vertices of ``lines``, planar fraction along the line (drawing only), counts, offsets."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(owner, minlength=len(lines))
    offs = np.r_[0, np.cumsum(counts)]
    if not len(xy):
        return xy, np.zeros(0), counts, offs
    seg = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T)]
    seg[offs[:-1][counts > 0]] = 0.0
    cum = np.cumsum(seg)
    cum -= np.repeat(cum[offs[:-1][counts > 0]], counts[counts > 0])
    tot = np.repeat(np.where(counts > 0, cum[np.maximum(offs[1:] - 1, 0)], 1.0), counts)
    vfrac = np.where(tot > 0, cum / np.where(tot > 0, tot, 1.0), 0.0)
    return xy, vfrac, counts, offs
