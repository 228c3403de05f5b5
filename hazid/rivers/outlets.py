"""Where rivers end: sea, lake, closed basin (endorheic lake or sea), or unknown.

River ends are classified against lake polygons (within a distance, closed
lakes by name or Natural Earth class) and against land polygons (an end with
open water within a distance is on the coast; inside a closed-sea box it
drains into that closed sea).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.rivers.columns import _find_column, _norm_name
from hazid.rivers.data import closed_basins
from hazid.rivers.geodesy import _GEOD, _clip_each, _deg_margin, _project_local, _to_wgs84
from hazid.rivers.graph import _drains_to

logger = logging.getLogger(__name__)


_CLOSED = closed_basins()

ENDORHEIC_LAKES: frozenset[str] = frozenset(
    a for aliases in _CLOSED.loc[_CLOSED["kind"] == "lake", "aliases"] for a in aliases
)
"""Names (case-folded) of closed-basin lakes: a river ending in one ends there.

From the sourced table ``hazid/data/rivers/v1/closed_basins.csv`` (kind ``lake``),
not from a lake layer's class: Natural Earth's ``Alkaline Lake`` class also holds
lakes with an outflow (Hawr al-Hammar on the Shatt al-Arab). Extend it through the
``endorheic_lakes`` argument.
"""

ENDORHEIC_SEAS: Mapping[str, tuple[float, float, float, float]] = {
    str(r.name): (float(r.west), float(r.south), float(r.east), float(r.north))
    for r in _CLOSED[_CLOSED["kind"] == "sea"].itertuples()
}
"""Closed seas as (west, south, east, north) boxes in degrees.

A river end that lies on open water (outside every land polygon) inside one
of these boxes drains into that closed sea, not the ocean. Country layers
leave the Caspian uncovered, like the ocean; the box tells them apart.
"""

TERMINAL_RIVERS: Mapping[str, str] = {
    a: str(r.name) for r in _CLOSED[_CLOSED["kind"] == "terminal"].itertuples() for a in r.aliases
}
"""Rivers (case-folded name -> table name) that end before the river they are drawn to join.

From ``closed_basins.csv`` (kind ``terminal``): the Zeravshan is lost in the
Kyzylkum sands before the Amu Darya, though drawn joined to it.
"""

TERMINAL_LOST_KM: Mapping[str, float] = {
    str(r.name): float(r.lost_km)
    for r in _CLOSED[(_CLOSED["kind"] == "terminal") & _CLOSED["lost_km"].notna()].itertuples()
}
"""How far (km) before its drawn confluence a terminal river is lost, where the source says."""


def cut_terminal_rivers(
    reaches: pd.DataFrame, terminal: Mapping[str, str] = TERMINAL_RIVERS
) -> list[str]:
    """End terminal rivers where they are drawn to join another river (in place).

    The last reach of a river named in ``terminal`` before a reach of another
    name becomes an outlet (``next_down = 0``, ``sink = "endorheic"``,
    ``sink_name`` "<name> (terminal river)"); reaches upstream of it are marked
    ``endorheic``. Where the table gives how far before the confluence the river
    is lost (:data:`TERMINAL_LOST_KM`), the river ends that far upstream as well.

    Parameters
    ----------
    reaches : pandas.DataFrame
        Reach table with ``name``.
    terminal : mapping
        Case-folded river name -> name shown.

    Returns
    -------
    list of str
        The rivers cut.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"reach_id": [1, 2, 3], "next_down": [2, 3, 0],
    ...     "name": ["Zarafshon", "Zarafshon", "Amu Darya"], "sink": ["", "", "endorheic"],
    ...     "sink_name": ["", "", "Aral Sea"], "endorheic": [True, True, True]})
    >>> cut_terminal_rivers(r), r.next_down.tolist(), r.sink.tolist()[1]
    (['Zeravshan'], [2, 0, 0], 'endorheic')
    """
    if "name" not in reaches or not len(reaches):
        return []
    names = reaches["name"].fillna("").astype(str).str.casefold().to_numpy()
    is_term = np.array([n in terminal for n in names], dtype=bool)
    if not is_term.any():
        return []
    ids = reaches["reach_id"].to_numpy()
    nd = reaches["next_down"].to_numpy()
    pos = pd.Index(ids).get_indexer(nd)
    nxt_name = np.where(pos >= 0, names[np.maximum(pos, 0)], "")
    cut = is_term & (pos >= 0) & (nxt_name != names)
    if not cut.any():
        return []
    label = np.full(len(reaches), "", dtype=object)
    label[cut] = [terminal[n] for n in names[cut]]
    for j in np.flatnonzero(cut):
        head = _lost_stretch_head(reaches, names, pos, j, TERMINAL_LOST_KM.get(label[j]))
        label[head] = label[j]
    cut = label != ""
    shown = label[cut].tolist()
    reaches.loc[cut, "next_down"] = 0
    if "sink" in reaches:
        reaches.loc[cut, "sink"] = "endorheic"
    if "sink_name" in reaches:
        reaches.loc[cut, "sink_name"] = [f"{n} (terminal river)" for n in shown]
    if "endorheic" in reaches:
        reaches["endorheic"] = reaches["endorheic"].to_numpy(dtype=bool) | _drains_to(reaches, cut)
    return sorted(set(shown))


def _lost_stretch_head(
    reaches: pd.DataFrame, names: np.ndarray, pos: np.ndarray, j: int, lost_km: float | None
) -> np.ndarray:
    """Reaches draining into the upper end of the last ``lost_km`` of a terminal river.

    Walks upstream from the river's last reach ``j`` along reaches of the same
    name (the longest where several join) until ``lost_km`` is covered; the
    reaches draining into that point become ends.
    """
    out = np.zeros(len(reaches), dtype=bool)
    if not lost_km or lost_km <= 0 or "length_km" not in reaches:
        return out
    length = reaches["length_km"].to_numpy(dtype=float)
    cur, acc = j, length[j]
    while acc < lost_km:
        up = np.flatnonzero((pos == cur) & (names == names[j]))
        if not len(up):
            return out
        cur = int(up[np.argmax(length[up])])
        acc += length[cur]
    out[np.flatnonzero(pos == cur)] = True
    return out


def _classify_points(
    lon: np.ndarray,
    lat: np.ndarray,
    borders: gpd.GeoDataFrame | None,
    lakes: gpd.GeoDataFrame | None,
    *,
    coast_m: float,
    lake_m: float,
    endorheic_lakes: Iterable[str],
    endorheic_seas: Mapping[str, tuple[float, float, float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Classify river ends: "endorheic", "lake", "sea" or "" (none), with a name."""
    n = len(lon)
    kind = np.full(n, "", dtype=object)
    name = np.full(n, "", dtype=object)
    if n == 0:
        return kind, name
    max_lat = float(np.max(np.abs(lat)))
    pts = shapely.points(lon, lat)
    if lakes is not None and len(lakes):
        lk = _to_wgs84(lakes, "lakes")
        lk = lk[lk.geometry.notna() & ~lk.geometry.is_empty]
        lgeom = lk.geometry.to_numpy()
        ncol = _find_column(lk.columns, "name")
        lnames = (
            np.array([_norm_name(v) for v in lk[ncol].to_numpy()], dtype=object)
            if ncol
            else np.full(len(lk), "", dtype=object)
        )
        closed = {s.casefold() for s in endorheic_lakes}
        lendo = np.array([s.casefold() in closed for s in lnames], dtype=bool)
        deg = _deg_margin(lake_m, max_lat)
        pi, li = shapely.STRtree(lgeom).query(pts, predicate="dwithin", distance=deg)
        if len(pi):
            clipped = _clip_each(
                lgeom[li], lon[pi] - deg, lat[pi] - deg, lon[pi] + deg, lat[pi] + deg
            )
            d = shapely.distance(
                shapely.points(0.0, 0.0), _project_local(clipped, lon[pi], lat[pi])
            )
            d = np.where(shapely.is_empty(clipped), np.inf, d)
            ok = d <= lake_m
            pi, li, d = pi[ok], li[ok], d[ok]
            order = np.lexsort((d, pi))
            pi, li = pi[order], li[order]
            first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
            pi, li = pi[first], li[first]
            kind[pi] = np.where(lendo[li], "endorheic", "lake")
            name[pi] = lnames[li]
    if borders is not None and len(borders):
        land = _to_wgs84(borders, "borders").geometry.to_numpy()
        land = land[~shapely.is_empty(land) & ~pd.isna(land)]
        todo = np.flatnonzero(kind == "")
        if len(todo):
            n_ring = 12
            az = np.tile(np.arange(n_ring) * 360.0 / n_ring, len(todo))
            rl, rt, _ = _GEOD.fwd(
                np.repeat(lon[todo], n_ring),
                np.repeat(lat[todo], n_ring),
                az,
                np.full(len(az), coast_m),
            )
            ring_lon = np.r_[lon[todo], rl]
            ring_lat = np.r_[lat[todo], rt]
            owner = np.r_[np.arange(len(todo)), np.repeat(np.arange(len(todo)), n_ring)]
            covered = np.zeros(len(ring_lon), dtype=bool)
            # the land polygons query the points (prepared once each, not per point)
            _, hit = shapely.STRtree(shapely.points(ring_lon, ring_lat)).query(
                land, predicate="intersects"
            )
            covered[hit] = True
            wet = np.zeros(len(todo), dtype=bool)
            np.logical_or.at(wet, owner, ~covered)
            sea = todo[wet]
            kind[sea] = "sea"
            for sname, (w, s, e, nn) in endorheic_seas.items():
                inside = (lon[sea] >= w) & (lon[sea] <= e) & (lat[sea] >= s) & (lat[sea] <= nn)
                kind[sea[inside]] = "endorheic"
                name[sea[inside]] = sname
    return kind, name
