"""Lakes and reservoirs on the river: which reaches lie in a lake, its name and volume.

A reach whose midpoint lies inside a lake polygon belongs to that lake; the
lake's volume comes from the sourced table ``hazid/data/rivers/v1/lakes.csv``
(matched by name, case-folded). The reach of a lake that flows out of it (its
``next_down`` is not in the same lake) is the lake's outlet, where the trace
adds the lake's residence time (see :mod:`hazid.rivers.hydrology`).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.rivers.columns import _find_column, _norm_name
from hazid.rivers.data import lake_volumes
from hazid.rivers.geodesy import _to_wgs84

logger = logging.getLogger(__name__)


def assign_lakes(
    reaches: gpd.GeoDataFrame,
    lakes: gpd.GeoDataFrame | None,
    *,
    volumes: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Add ``lake_name``, ``lake_volume_km3`` and ``lake_outlet`` to a reach table.

    Parameters
    ----------
    reaches : geopandas.GeoDataFrame
        Reach table.
    lakes : geopandas.GeoDataFrame or None
        Lake polygons with ``name``; None leaves the reaches outside any lake.
    volumes : pandas.DataFrame, optional
        ``aliases`` (lists of case-folded names) and ``volume_km3``; default
        :func:`hazid.rivers.data.lake_volumes`.

    Returns
    -------
    geopandas.GeoDataFrame
        The reach table with the three columns (``""``, NaN and False outside
        lakes; the volume is NaN for lakes missing from the table).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> r = gpd.GeoDataFrame({"reach_id": [1, 2, 3], "next_down": [2, 3, 0]}, crs=4326,
    ...     geometry=[shapely.LineString([(x, 0), (x + 1, 0)]) for x in (0, 1, 2)])
    >>> lk = gpd.GeoDataFrame({"name": ["Toktogul Suu Saktagychy"]}, crs=4326,
    ...     geometry=[shapely.box(0.9, -0.5, 2.9, 0.5)])
    >>> out = assign_lakes(r, lk)
    >>> out.lake_volume_km3.tolist()[1], out.lake_outlet.tolist()
    (19.5, [False, False, True])
    """
    out = reaches.copy(deep=False)  # copy on write: the columns added are out's only
    n = len(out)
    if lakes is None or not len(lakes) or not n:
        return _outside_lakes(out)
    lk = _to_wgs84(lakes, "lakes")
    lk = lk[lk.geometry.notna() & ~lk.geometry.is_empty]
    ncol = _find_column(lk.columns, "name")
    if ncol is None:
        return _outside_lakes(out)
    names = np.array([_norm_name(v) for v in lk[ncol].to_numpy()], dtype=object)
    volumes = lake_volumes() if volumes is None else volumes
    by_alias = {
        a: float(v)
        for al, v in zip(volumes["aliases"], volumes["volume_km3"], strict=True)
        for a in al
    }
    rgeom = out.geometry.to_numpy()
    ok = np.flatnonzero(shapely.is_geometry(rgeom) & ~shapely.is_empty(rgeom))
    lgeom = lk.geometry.to_numpy()
    tree = shapely.STRtree(lgeom)
    # only a reach whose box meets a lake's box can have its midpoint in that lake
    near = ok[np.unique(tree.query(rgeom[ok])[0])]
    mid = shapely.line_interpolate_point(rgeom[near], 0.5, normalized=True)
    ri, li = tree.query(mid)  # box candidates, in the tree's order
    shapely.prepare(lgeom)
    inside = shapely.contains(lgeom[li], mid[ri])  # the midpoint within the lake
    ri, li = near[ri[inside]], li[inside]
    keep = names[li] != ""
    ri, li = ri[keep], li[keep]
    first = np.unique(ri, return_index=True)[1]
    ri, li = ri[first], li[first]
    lake_name = np.full(n, "", dtype=object)
    lake_name[ri] = names[li]
    vol = np.full(n, np.nan)  # only the reaches in a named lake (at ri) can have a volume
    vol[ri] = [by_alias.get(s.casefold(), np.nan) for s in lake_name[ri]]
    ids = out["reach_id"].to_numpy()
    pos = pd.Index(ids).get_indexer(out["next_down"].to_numpy())
    down_name = np.where(pos >= 0, lake_name[np.maximum(pos, 0)], "")
    outlet = (lake_name != "") & (down_name != lake_name)
    out["lake_name"] = pd.array(lake_name, dtype="str")  # the columns in this order
    out["lake_volume_km3"] = vol
    out["lake_outlet"] = outlet
    known = sorted({s for s, v in zip(lake_name[ri], vol[ri], strict=True) if np.isfinite(v)})
    if known:
        logger.info("river network: lakes of known volume on the rivers: %s", ", ".join(known))
    return out


def _outside_lakes(out: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Set the lake columns of reaches outside every lake (``""``, NaN, False), in order."""
    out["lake_name"] = pd.array(np.full(len(out), "", dtype=object), dtype="str")
    out["lake_volume_km3"] = np.nan
    out["lake_outlet"] = False
    return out
