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
    """Lines from each site's snapped point down to the end of its trace."""
    rgeom = reaches.geometry.to_numpy()
    xy, owner = shapely.get_coordinates(rgeom, return_index=True)
    counts = np.bincount(owner, minlength=net.n)
    offs = np.r_[0, np.cumsum(counts)]
    # planar vertex fraction along each reach (drawing only)
    seg = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T)]
    seg[offs[:-1][counts > 0]] = 0.0
    cum = np.cumsum(seg)
    cum -= np.repeat(cum[offs[:-1]], counts)
    tot = np.repeat(np.where(counts > 0, cum[np.maximum(offs[1:] - 1, 0)], 1.0), counts)
    vfrac = np.where(tot > 0, cum / np.where(tot > 0, tot, 1.0), 0.0)
    out = np.empty(len(s0), dtype=object)
    nd = np.r_[np.where(net.nd < 0, net.n, net.nd), net.n]
    for lo in range(0, len(s0), chunk):
        sl = slice(lo, lo + chunk)
        start, last = s0[sl], stop[sl]
        fa, fb = f0[sl], frac_end[sl]
        m = len(start)
        # expand reach sequences
        seq_row, seq_pos = [], []
        cur = start.copy()
        rows = np.arange(m)
        while len(rows):
            seq_row.append(rows)
            seq_pos.append(cur[rows])
            done = cur[rows] == last[rows]
            rows = rows[~done]
            cur[rows] = nd[cur[rows]]
        r = np.concatenate(seq_row)
        p = np.concatenate(seq_pos)
        step = np.concatenate([np.full(len(x), i) for i, x in enumerate(seq_row)])
        nv = counts[p]
        vr = np.repeat(r, nv)
        vstep = np.repeat(step, nv)
        vp = np.repeat(p, nv)
        vidx = np.repeat(offs[p], nv) + (np.arange(nv.sum()) - np.repeat(np.cumsum(nv) - nv, nv))
        vf = vfrac[vidx]
        keep = np.ones(len(vidx), dtype=bool)
        is_first = vp == start[vr]
        is_first &= vstep == 0
        keep &= ~(is_first & (vf <= fa[vr]))
        is_last = vp == last[vr]
        keep &= ~(is_last & (vf >= fb[vr]))
        vr, vidx, vstep = vr[keep], vidx[keep], vstep[keep]
        sp = shapely.get_coordinates(
            shapely.line_interpolate_point(rgeom[start], fa, normalized=True)
        )
        ep = shapely.get_coordinates(
            shapely.line_interpolate_point(rgeom[last], fb, normalized=True)
        )
        all_r = np.r_[np.arange(m), vr, np.arange(m)]
        big = np.iinfo(np.int64).max
        all_s = np.r_[np.full(m, -1), vstep, np.full(m, big)]
        all_v = np.r_[np.zeros(m, dtype=np.int64), vidx, np.zeros(m, dtype=np.int64)]
        all_xy = np.vstack([sp, xy[vidx], ep])
        order = np.lexsort((all_v, all_s, all_r))
        all_r, all_xy = all_r[order], all_xy[order]
        dupe = np.r_[False, (all_r[1:] == all_r[:-1]) & np.all(all_xy[1:] == all_xy[:-1], axis=1)]
        all_r, all_xy = all_r[~dupe], all_xy[~dupe]
        nper = np.bincount(all_r, minlength=m)
        single = nper < 2
        if single.any():
            add = np.flatnonzero(single)
            all_r = np.r_[all_r, add]
            all_xy = np.vstack([all_xy, sp[add]])
            order = np.argsort(all_r, kind="stable")
            all_r, all_xy = all_r[order], all_xy[order]
        out[sl] = shapely.linestrings(all_xy, indices=all_r)
    return out
