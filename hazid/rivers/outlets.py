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
from hazid.rivers.geodesy import _GEOD, _clip_each, _deg_margin, _project_local, _to_wgs84

logger = logging.getLogger(__name__)


ENDORHEIC_LAKES: frozenset[str] = frozenset(
    {
        "aral sea",
        "caspian sea",
        "lake balkhash",
        "balkhash",
        "issyk-kul",
        "issyk kul",
        "alakol",
        "ozero alakol'",
        "sasykkol",
        "tengiz",
        "ozero tengiz",
        "sarygamysh",
        "sarykamysh",
        "lop nur",
        "lake urmia",
        "lake van",
        "dead sea",
        "great salt lake",
        "lake chad",
        "lake turkana",
        "lake eyre",
        "qinghai hu",
        "qinghai lake",
        "uvs nuur",
        "khyargas nuur",
    }
)
"""Names (case-folded) of closed-basin lakes: a river ending in one ends there.

Natural Earth's ``Alkaline Lake`` class (which holds the Aral Sea and
Issyk-Kul) is treated as closed as well. Lake Balkhash is a ``Lake`` in
Natural Earth although it has no outflow, hence this list (standard physical
geography; extend it through the ``endorheic_lakes`` argument).
"""


ENDORHEIC_SEAS: Mapping[str, tuple[float, float, float, float]] = {
    "Caspian Sea": (46.0, 36.0, 55.5, 47.5),
}
"""Closed seas as (west, south, east, north) boxes in degrees.

A river end that lies on open water (outside every land polygon) inside one
of these boxes drains into that closed sea, not the ocean. Country layers
leave the Caspian uncovered, like the ocean; the box tells them apart.
"""


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
        ccol = _find_column(lk.columns, "featurecla")
        lnames = (
            np.array([_norm_name(v) for v in lk[ncol].to_numpy()], dtype=object)
            if ncol
            else np.full(len(lk), "", dtype=object)
        )
        closed = {s.casefold() for s in endorheic_lakes}
        lendo = np.array([s.casefold() in closed for s in lnames], dtype=bool)
        if ccol:
            lendo |= lk[ccol].astype(str).str.casefold().eq("alkaline lake").to_numpy()
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
            hit, _ = shapely.STRtree(land).query(
                shapely.points(ring_lon, ring_lat), predicate="intersects"
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
