"""The reach table as a directed network: compiled arrays, topology checks, graph view.

A reach table has one row per reach keyed by ``reach_id`` with ``next_down``
pointing to the downstream reach (``0`` at an outlet). It is compiled into
arrays for pointer jumping over ``next_down`` (cycles are found without any
graph walk, so a malformed network never loops).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid.errors import NetworkError, check_choice

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)


REACH_COLUMNS = [
    "reach_id",
    "next_down",
    "length_km",
    "upland_skm",
    "dis_av_cms",
    "endorheic",
    "name",
    "sink",
    "sink_name",
    "geometry",
]


@dataclass
class _Net:
    """Arrays of a reach table for vectorised tracing.

    ``nd`` holds downstream positions (-1 at outlets); ``jumps[k]`` the
    position 2**k reaches downstream, with the sentinel ``n`` past an outlet;
    ``bad`` marks reaches in or draining into a cycle.
    """

    ids: np.ndarray
    nd: np.ndarray
    jumps: list[np.ndarray]
    bad: np.ndarray
    nd_raw: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    def accumulate(self, weights: np.ndarray) -> np.ndarray:
        """Sum of ``weights`` from each reach (inclusive) to its outlet."""
        s = np.r_[np.asarray(weights, dtype=float), 0.0]
        for j in self.jumps:
            s = s + s[j]
        return s[:-1]

    def longest_upstream(self, weights: np.ndarray) -> np.ndarray:
        """Largest sum of ``weights`` along any path from a source reach down to each reach.

        Inclusive of the reach itself: with lengths as weights, the longest
        river course reaching the downstream end of each reach. One pass in
        topological order (Kahn's algorithm, frontier by frontier), linear in
        the number of reaches; reaches in or draining into a cycle are
        counted from where the cycle was cut (:func:`_compile`).

        Examples
        --------
        >>> import pandas as pd
        >>> net = _compile(pd.DataFrame({"reach_id": [1, 2, 3, 4],
        ...                              "next_down": [3, 3, 4, 0]}))
        >>> net.longest_upstream(np.array([5.0, 2.0, 1.0, 1.0])).tolist()
        [5.0, 2.0, 6.0, 7.0]
        """
        w = np.asarray(weights, dtype=float)
        nd = self.nd
        has_down = nd >= 0
        pending = np.bincount(nd[has_down], minlength=self.n)
        inflow = np.zeros(self.n)
        out = np.zeros(self.n)
        frontier = np.flatnonzero(pending == 0)
        while frontier.size:
            out[frontier] = inflow[frontier] + w[frontier]
            src = frontier[has_down[frontier]]
            dst = nd[src]
            np.maximum.at(inflow, dst, out[src])
            dst_u, counts = np.unique(dst, return_counts=True)
            pending[dst_u] -= counts
            frontier = dst_u[pending[dst_u] == 0]
        return out

    def downstream_of(self, pos: np.ndarray) -> np.ndarray:
        """Sorted positions of the reaches at or downstream of ``pos``.

        The set is closed downstream: a trace from any of ``pos`` never leaves
        it. One frontier step per reach along the longest path.

        Examples
        --------
        >>> import pandas as pd
        >>> net = _compile(pd.DataFrame({"reach_id": [1, 2, 3, 4],
        ...                              "next_down": [3, 3, 4, 0]}))
        >>> net.downstream_of(np.array([1])).tolist()
        [1, 2, 3]
        """
        mark = np.zeros(self.n, dtype=bool)
        cur = np.unique(np.asarray(pos, dtype=np.int64))
        while cur.size:
            mark[cur] = True
            nxt = self.nd[cur]
            nxt = nxt[nxt >= 0]
            cur = np.unique(nxt[~mark[nxt]])
        return np.flatnonzero(mark)

    def root(self) -> np.ndarray:
        """Outlet position of each reach (``n`` for reaches in cycles)."""
        cur = np.arange(self.n + 1)
        for j in reversed(self.jumps):
            nxt = j[cur]
            cur = np.where(nxt < self.n, nxt, cur)
        return np.where(self.bad, self.n, cur[: self.n])

    def first_flagged(self, flag: np.ndarray) -> np.ndarray:
        """First reach downstream (inclusive) with ``flag`` set; ``n`` if none."""
        n = self.n
        ext_nd = np.r_[np.where(self.nd < 0, n, self.nd), n]
        g = np.where(np.r_[flag, True], np.arange(n + 1), ext_nd)
        for _ in range(len(self.jumps) + 1):
            g2 = g[g]
            if np.array_equal(g2, g):
                break
            g = g2
        return g[:n]

    def lift(self, start: np.ndarray, ok: Any) -> np.ndarray:
        """Farthest reach downstream of ``start`` for which ``ok(position, row)`` holds.

        ``ok`` must hold on a prefix of each downstream path (binary lifting).
        """
        cur = start.copy()
        rows = np.arange(len(start))
        for j in reversed(self.jumps):
            cand = j[cur]
            good = cand < self.n
            if good.any():
                idx = np.flatnonzero(good)
                good[idx] = ok(cand[idx], rows[idx])
            cur = np.where(good, cand, cur)
        return cur


def _compile(reaches: pd.DataFrame, *, on_cycle: str = "raise") -> _Net:
    ids = reaches["reach_id"].to_numpy().astype("int64")
    n = len(ids)
    nd_ids = reaches["next_down"].to_numpy()
    nd = pd.Index(ids).get_indexer(nd_ids).astype("int64")
    nd[nd_ids <= 0] = -1
    dtype = np.int32 if n < 2**31 - 1 else np.int64
    j = np.r_[np.where(nd < 0, n, nd), n].astype(dtype)
    jumps = [j]
    max_rounds = max(1, math.ceil(math.log2(n + 1)) + 1)
    while len(jumps) <= max_rounds and not (jumps[-1][:n] == n).all():
        jumps.append(jumps[-1][jumps[-1]])
    nd_raw = nd
    last = jumps[-1]
    bad = last[:n] != n
    if bad.any():
        if on_cycle == "raise":
            raise NetworkError(
                f"river network has cycles ({int(bad.sum())} reaches in or draining into a "
                "cycle); run check_network(..., on_cycle='break')"
            )
        nd = nd.copy()
        # treat reaches in/into cycles as isolated outlets for the trace arrays
        nd[bad] = -1
        j = np.r_[np.where(nd < 0, n, nd), n].astype(dtype)
        jumps = [j]
        while len(jumps) <= max_rounds and not (jumps[-1][:n] == n).all():
            jumps.append(jumps[-1][jumps[-1]])
    return _Net(ids=ids, nd=nd, jumps=jumps, bad=bad, nd_raw=nd_raw)


def _drains_to(reaches: pd.DataFrame, flag: np.ndarray, *, net: _Net | None = None) -> np.ndarray:
    """Whether each reach drains to an outlet whose ``flag`` is set (cycles: False).

    ``net``: ``reaches`` compiled already (``on_cycle="ignore"``), if they are.
    """
    net = _compile(reaches, on_cycle="ignore") if net is None else net
    root = net.root()
    ok = root < len(flag)
    out = np.zeros(len(flag), dtype=bool)
    out[ok] = np.asarray(flag)[root[ok]]
    return out


def check_network(reaches: gpd.GeoDataFrame, *, on_cycle: str = "raise") -> gpd.GeoDataFrame:
    """Check a reach table's topology; detect (and optionally break) cycles.

    Cycles are found by pointer jumping over ``next_down`` (no graph walk),
    so a malformed network never loops.

    Parameters
    ----------
    reaches : geopandas.GeoDataFrame
        Reach table.
    on_cycle : {"raise", "break"}
        ``"raise"``: raise :class:`NetworkError` naming the cycles;
        ``"break"``: make one reach of each cycle an outlet
        (``sink = "cycle"``) and list the cycles in ``attrs["report"]["cycles"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        The reach table (a copy when a cycle was broken).

    Raises
    ------
    NetworkError
        On duplicate ids, a missing column, or a cycle with ``on_cycle="raise"``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> r = gpd.GeoDataFrame({"reach_id": [1, 2, 3], "next_down": [2, 3, 1],
    ...                       "length_km": [1.0, 1.0, 1.0]}, geometry=[None] * 3, crs=4326)
    >>> check_network(r, on_cycle="break").attrs["report"]["cycles"]
    [[1, 2, 3]]
    """
    return _check_network(reaches, on_cycle=on_cycle)


def _check_network(
    reaches: gpd.GeoDataFrame, *, on_cycle: str, net: _Net | None = None
) -> gpd.GeoDataFrame:
    """:func:`check_network`; ``net``: ``reaches`` compiled already (``on_cycle="ignore"``)."""
    check_choice("on_cycle", on_cycle, ["raise", "break"])
    for c in ("reach_id", "next_down", "length_km"):
        if c not in reaches:
            raise NetworkError(f"reach table lacks column {c!r}")
    if reaches["reach_id"].duplicated().any():
        dup = reaches.loc[reaches["reach_id"].duplicated(), "reach_id"].head(5).tolist()
        raise NetworkError(f"duplicate reach ids, e.g. {dup}")
    net = _compile(reaches, on_cycle="ignore") if net is None else net
    report = dict(reaches.attrs.get("report", {}))
    if not net.bad.any():
        report.setdefault("cycles", [])
        reaches.attrs["report"] = report
        return reaches
    import networkx as nx  # only to name the cycles

    ids = net.ids
    bad = np.flatnonzero(net.bad)
    g = nx.DiGraph()
    g.add_edges_from((ids[i], ids[net.nd_raw[i]]) for i in bad if net.nd_raw[i] >= 0)
    cycles = [sorted(int(x) for x in c) for c in nx.simple_cycles(g)]
    cycles.sort()
    if on_cycle == "raise":
        shown = "; ".join(str(c[:10]) for c in cycles[:5])
        raise NetworkError(
            f"river network has {len(cycles)} cycle(s) in next_down: {shown}. "
            "Fix the data or build with on_cycle='break'."
        )
    reaches = reaches.copy()
    cut = [c[-1] for c in cycles]
    m = reaches["reach_id"].isin(cut)
    reaches.loc[m, "next_down"] = 0
    if "sink" in reaches:
        reaches.loc[m, "sink"] = "cycle"
    message = f"broke {len(cycles)} cycle(s) in the river network at reaches {cut}"
    logger.warning("%s", message)
    report["warnings"] = [*report.get("warnings", []), message]
    report["cycles"] = cycles
    report["cycles_broken_at"] = cut
    reaches.attrs["report"] = report
    return reaches


def network_graph(reaches: pd.DataFrame) -> nx.DiGraph:
    """Directed graph view of a reach table: nodes are reach ids, edges point downstream.

    Parameters
    ----------
    reaches : pandas.DataFrame
        Reach table.

    Returns
    -------
    networkx.DiGraph
        Node attributes ``length_km`` and ``name`` (where present).

    Examples
    --------
    >>> import pandas as pd
    >>> g = network_graph(pd.DataFrame({"reach_id": [1, 2], "next_down": [2, 0],
    ...                                 "length_km": [1.0, 2.0]}))
    >>> list(g.edges)
    [(1, 2)]
    """
    import networkx as nx

    g = nx.DiGraph()
    ids = reaches["reach_id"].to_numpy()
    attrs = {"length_km": reaches["length_km"].to_numpy()}
    if "name" in reaches:
        attrs["name"] = reaches["name"].to_numpy()
    g.add_nodes_from((int(i), {k: v[j] for k, v in attrs.items()}) for j, i in enumerate(ids))
    nd = reaches["next_down"].to_numpy()
    known = np.isin(nd, ids)
    g.add_edges_from(zip(ids[known].tolist(), nd[known].tolist(), strict=True))
    return g
