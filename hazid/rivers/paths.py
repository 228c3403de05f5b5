"""Drawing the river path of each site, from the site down past the last affected country.

The line of a site whose trace reaches a country other than its own ends at
the end of the last reach on the trace that lies in or borders such a country
(or at the end of the trace, if that comes first): every piece of the river
inside an affected country is drawn, the shared river farther downstream is
not, so no stretch of river is stored once per site upstream of it. A trace
that stays in the site's own country is not drawn. Where a trace leaves the
river data, the point where the data stop is kept instead (``edge_lon``,
``edge_lat``); :func:`data_ends` gathers these points, one per place, with
the sites whose trace stops there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.rivers.graph import _Net

if TYPE_CHECKING:
    from hazid.rivers.trace import _Ends, _Keys, _Starts

logger = logging.getLogger(__name__)


def _site_lines(
    reaches: gpd.GeoDataFrame,
    net: _Net,
    start: _Starts,
    line_end: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Line of each traced site (trace rows), or None: see the module docstring.

    ``line_end`` is :func:`_line_ends`.
    """
    cut_pos, cut_frac, other = line_end
    draw = np.flatnonzero(other)
    out = np.full(len(start.pos), None, dtype=object)
    if len(draw):
        out[draw] = _path_lines(
            reaches, net, start.pos[draw], start.frac[draw], cut_pos[draw], cut_frac[draw]
        )
    return out


def data_ends(river_paths: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Points where traces leave the river data, one per place, with the sites stopping there.

    A trace that reaches the edge of the river data (a ``NEXT_DOWN`` missing
    from the layer, or a line end at no coast, lake or closed basin) cannot be
    followed farther: its water pathway is not assessed and the countries
    near that point are to be consulted. The ``river_paths`` lines stop at
    the last affected country, so these points show where the data stop.

    Parameters
    ----------
    river_paths : pandas.DataFrame or None
        The ``river_paths`` of :func:`trace_water` (columns ``site_id``,
        ``edge_lon``, ``edge_lat`` and, if present, ``end_country``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point (EPSG:4326), in order of first appearance:
        ``country`` (where the trace stopped), ``n_sites``, ``site_ids``
        (";"-joined, in the order of ``river_paths``). Empty when no trace
        stops at the edge of the data, or ``river_paths`` has no such columns.

    Examples
    --------
    >>> import pandas as pd
    >>> paths = pd.DataFrame({"site_id": ["A", "B", "C"], "end_country": ["KAZ", "KAZ", ""],
    ...                       "edge_lon": [70.5, 70.5, float("nan")],
    ...                       "edge_lat": [45.0, 45.0, float("nan")]})
    >>> data_ends(paths)[["country", "n_sites", "site_ids"]].to_dict("records")
    [{'country': 'KAZ', 'n_sites': 2, 'site_ids': 'A;B'}]
    """
    if river_paths is None or not {"edge_lon", "edge_lat"} <= set(river_paths.columns):
        return _no_ends()
    lon = pd.to_numeric(river_paths["edge_lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(river_paths["edge_lat"], errors="coerce").to_numpy(dtype=float)
    sel = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if not len(sel):
        return _no_ends()
    country = (
        river_paths["end_country"].fillna("").astype(str).to_numpy()[sel]
        if "end_country" in river_paths.columns
        else np.full(len(sel), "", dtype=object)
    )
    ids = river_paths["site_id"].astype(str).to_numpy()[sel]
    _, first, inv = np.unique(
        np.c_[lon[sel], lat[sel]], axis=0, return_index=True, return_inverse=True
    )
    ordr = np.argsort(first)  # places in order of first appearance
    rank = np.empty_like(ordr)
    rank[ordr] = np.arange(len(ordr))
    group = rank[inv.ravel()]
    counts = np.bincount(group)
    by_group = np.split(ids[np.argsort(group, kind="stable")], np.cumsum(counts)[:-1])
    at = sel[first[ordr]]
    return gpd.GeoDataFrame(
        {
            "country": pd.array(country[first[ordr]], dtype="str"),
            "n_sites": counts.astype(np.int64),
            "site_ids": pd.array([";".join(g) for g in by_group], dtype="str"),
        },
        geometry=shapely.points(lon[at], lat[at]),
        crs=4326,
    )


def _no_ends() -> gpd.GeoDataFrame:
    """Return the empty layer of :func:`data_ends`."""
    cols = {
        "country": pd.Series([], dtype="str"),
        "n_sites": pd.Series([], dtype="int64"),
        "site_ids": pd.Series([], dtype="str"),
    }
    return gpd.GeoDataFrame(cols, geometry=[], crs=4326)


def _line_ends(
    events: pd.DataFrame, keys: _Keys, other_rows: np.ndarray, own_s: np.ndarray, end: _Ends
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Last reach and fraction along it where each trace's line ends; whether it reaches abroad.

    ``events`` are the trace's events (the site reach, then every change of
    countries, name or lake downstream; by row, in path order), ``other_rows``
    the trace rows reaching a country other than the site's own ``own_s``.
    The line of such a trace ends at the end of the run of reaches (between
    two events) that is the last one whose countries include one other than
    the site's own; at the end of the trace if that run is the trace's last.
    Other traces keep the trace's end.
    """
    cut_pos, cut_frac = end.stop.copy(), end.frac.copy()
    other = np.zeros(len(cut_pos), dtype=bool)
    other[other_rows] = True
    row = events["row"].to_numpy()
    pos = events["pos"].to_numpy()
    if not len(row):
        return cut_pos, cut_frac, other
    # does the country set of each event hold a country other than the row's own?
    own_code, own_vals = pd.factorize(pd.Series(own_s[row], dtype=object))
    pair = keys.ctry_code[pos].astype(np.int64) * (len(own_vals) + 1) + own_code
    uniq, inv = np.unique(pair, return_inverse=True)
    abroad_u = np.array(
        [
            any(c and c != own_vals[int(u % (len(own_vals) + 1))] for c in label.split(";"))
            for u, label in zip(uniq, keys.ctry_labels[uniq // (len(own_vals) + 1)], strict=True)
        ],
        dtype=bool,
    )
    abroad = abroad_u[inv.ravel()] & other[row]
    last_of_row = np.r_[row[1:] != row[:-1], True]
    sel = np.flatnonzero(abroad)
    sel = sel[np.r_[row[sel][1:] != row[sel][:-1], True][: len(sel)]]  # each row's last
    r, at_end = row[sel], last_of_row[sel]
    cut_pos[r] = np.where(at_end, end.stop[r], keys.run_end[pos[sel]])
    cut_frac[r] = np.where(at_end, end.frac[r], 1.0)
    return cut_pos, cut_frac, other


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
