"""Geometry of plain river lines: line ends near other lines, outlet votes, equal cuts.

Helpers of :mod:`hazid.rivers.lines`. Distances are metric: in a local
azimuthal equidistant projection centred on each line end, or WGS84 geodesic
lengths for cutting lines into equal reaches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from hazid.rivers.geodesy import _GEOD, _project_local

if TYPE_CHECKING:
    import networkx as nx


def _node_line_relations(
    label: np.ndarray,
    ends: np.ndarray,
    coords_list: list[np.ndarray],
    line_tree: shapely.STRtree,
    snap_m: float,
    deg: float,
) -> dict[str, np.ndarray]:
    """Line ends (nodes) lying within ``snap_m`` of another line.

    ``where`` is -1 (near that line's start), 1 (near its end) or 0 (on its
    interior, at segment ``seg`` and fraction ``t``: a confluence). Distances in a
    local azimuthal equidistant projection centred on the node.
    """
    m = len(coords_list)
    nodes = np.unique(label)
    node_xy = ends[nodes]
    ni, li = line_tree.query(shapely.points(node_xy), predicate="dwithin", distance=deg)
    own = (nodes[ni] == label[li]) | (nodes[ni] == label[m + li])
    ni, li = ni[~own], li[~own]
    empty = np.array([], dtype=np.int64)
    out = {"node": empty, "line": empty, "where": empty, "seg": empty, "t": np.array([])}
    if len(ni) == 0:
        return out
    geoms = np.array(
        [shapely.LineString(_ends_fix(coords_list[j], ends, label, j, m)) for j in li], dtype=object
    )
    proj = _project_local(geoms, node_xy[ni, 0], node_xy[ni, 1])
    origin = shapely.points(0.0, 0.0)
    dist = shapely.distance(origin, proj)
    along = shapely.line_locate_point(proj, origin)
    total = shapely.length(proj)
    ok = dist <= snap_m
    ni, li, proj, along, total = ni[ok], li[ok], proj[ok], along[ok], total[ok]
    where = np.where(along <= snap_m, -1, np.where(along >= total - snap_m, 1, 0))
    seg_i = np.zeros(len(ni), dtype=np.int64)
    t_i = np.zeros(len(ni))
    for k in np.flatnonzero(where == 0):
        pc = shapely.get_coordinates(proj[k])
        seg = np.hypot(*np.diff(pc, axis=0).T)
        cum = np.r_[0.0, np.cumsum(seg)]
        sgi = int(np.clip(np.searchsorted(cum, along[k], side="right") - 1, 0, len(seg) - 1))
        seg_i[k] = sgi
        t_i[k] = (along[k] - cum[sgi]) / seg[sgi] if seg[sgi] > 0 else 0.0
    # one relation per (node, line): the nearest
    return {"node": nodes[ni], "line": li, "where": where, "seg": seg_i, "t": t_i}


def _ends_fix(c: np.ndarray, ends: np.ndarray, label: np.ndarray, j: int, m: int) -> np.ndarray:
    """Coordinates of line ``j`` with its ends moved to their snapped nodes."""
    c = c.copy()
    c[0] = ends[label[j]]
    c[-1] = ends[label[m + j]]
    return c


def _farthest(g: nx.Graph, start: int) -> int:
    import networkx as nx

    d = nx.single_source_dijkstra_path_length(g, start, weight="weight")
    return max(d, key=lambda n: (d[n], -n))


def _vote(sub: nx.Graph, outlet: int, pu: np.ndarray, pv: np.ndarray, plen: np.ndarray) -> float:
    """River length whose drawing direction agrees with draining to ``outlet``."""
    import networkx as nx

    d = nx.single_source_dijkstra_path_length(sub, outlet, weight="weight")
    agree = 0.0
    for _, _, data in sub.edges(data=True):
        k = data["piece"]
        if d[int(pv[k])] < d[int(pu[k])]:
            agree += plen[k]
    return agree


def _cut_equal(c: np.ndarray, n: int) -> list[np.ndarray]:
    """Cut a lon/lat polyline into ``n`` parts of equal geodesic length."""
    _, _, seg = _GEOD.inv(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
    cum = np.r_[0.0, np.cumsum(seg)]
    targets = np.linspace(0.0, cum[-1], n + 1)
    cut_x = np.interp(targets, cum, c[:, 0])
    cut_y = np.interp(targets, cum, c[:, 1])
    out = []
    for i in range(n):
        inner = (cum > targets[i]) & (cum < targets[i + 1])
        pts = np.vstack([[cut_x[i], cut_y[i]], c[inner], [cut_x[i + 1], cut_y[i + 1]]])
        out.append(pts)
    return out
