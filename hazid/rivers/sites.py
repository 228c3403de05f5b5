"""Sites on the river: joining each site to its nearest reach, and the mass it could spill."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.columns import map_values
from hazid.errors import GeodataError, check_choice
from hazid.rivers.geodesy import _KM_PER_DEG, _project_local, _to_wgs84

logger = logging.getLogger(__name__)


def connect_sites(
    sites: gpd.GeoDataFrame, reaches: gpd.GeoDataFrame, *, snap_km: float = 10.0
) -> pd.DataFrame:
    """Connect each site to the nearest reach within ``snap_km``.

    Distances are great-circle distances, measured in a local azimuthal
    equidistant projection centred on each site. A site equally near several
    reaches (nearest to a confluence node) joins the reach flowing on from
    that point, else the smallest ``reach_id``: the result does not depend on
    the order of the rows.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``site_id`` and a CRS.
    reaches : geopandas.GeoDataFrame
        Reach table.
    snap_km : float
        Largest site-to-river distance (km).

    Returns
    -------
    pandas.DataFrame
        One row per site, in the order of ``sites``: ``site_id``, ``reach_id``
        (0 when none), ``snap_km`` (NaN when none), ``fraction`` (position of
        the nearest point along the reach from its upstream end, 0-1),
        ``water_note``.

    Raises
    ------
    CRSError
        If ``sites`` has no CRS.
    GeodataError
        If ``site_id`` is missing.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> r = gpd.GeoDataFrame({"reach_id": [7], "next_down": [0], "length_km": [22.2]},
    ...     crs=4326, geometry=[shapely.LineString([(0, 0), (0.2, 0)])])
    >>> s = gpd.GeoDataFrame({"site_id": ["a", "b"]}, crs=4326,
    ...     geometry=[shapely.Point(0.05, 0.01), shapely.Point(0.05, 1.0)])
    >>> c = connect_sites(s, r)
    >>> c.reach_id.tolist(), round(float(c.snap_km[0]), 2), round(float(c.fraction[0]), 2)
    ([7, 0], 1.11, 0.25)
    """
    sites = _to_wgs84(sites, "sites")
    if "site_id" not in sites:
        raise GeodataError("sites need a 'site_id' column")
    reaches = _to_wgs84(reaches, "river network")
    n = len(sites)
    pts = sites.geometry.to_numpy()
    valid = shapely.is_geometry(pts) & ~shapely.is_empty(pts)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    lon[valid] = shapely.get_x(pts[valid])
    lat[valid] = shapely.get_y(pts[valid])
    reach_pos = np.full(n, -1, dtype=np.int64)
    dist_km = np.full(n, np.nan)
    frac = np.full(n, np.nan)
    rgeom = reaches.geometry.to_numpy()
    ids = reaches["reach_id"].to_numpy()
    vi = np.flatnonzero(valid)
    if len(vi) and len(rgeom):
        snap_m = snap_km * 1000.0
        tree = shapely.STRtree(rgeom)
        spts = shapely.points(lon[vi], lat[vi])
        coslat = np.cos(np.radians(np.minimum(np.abs(lat[vi]) + snap_km / _KM_PER_DEG, 85.0)))
        # planar-nearest reach in degrees, then every reach that could be nearer in
        # metres (a degree of longitude is cos(lat) of a degree of latitude); the
        # exact comparison is metric
        reach_deg = 1.02 * snap_km / _KM_PER_DEG / coslat
        (qi, _), dnear = tree.query_nearest(
            spts, max_distance=float(reach_deg.max()), return_distance=True, all_matches=False
        )
        radius = np.full(len(vi), -1.0)
        radius[qi] = np.minimum(dnear * 1.05 / coslat[qi] + 1e-9, reach_deg[qi])
        has = radius >= 0
        si, rj = tree.query(spts[has], predicate="dwithin", distance=radius[has])
        si = np.flatnonzero(has)[si]
        if len(si):
            s_abs = vi[si]
            proj = _project_local(rgeom[rj], lon[s_abs], lat[s_abs])
            origin = shapely.points(0.0, 0.0)
            d = shapely.distance(origin, proj)
            ok = d <= snap_m
            s_abs, rj, d, proj = s_abs[ok], rj[ok], d[ok], proj[ok]
            f = shapely.line_locate_point(proj, origin, normalized=True)
            # equally near reaches (a site nearest to a confluence node): prefer the one
            # flowing on from that point, then the smaller reach_id, whatever the row order
            at_end = ~(f < 1.0 - 1e-12)
            order = np.lexsort((ids[rj], at_end, d, s_abs))
            s_abs, rj, d, f = s_abs[order], rj[order], d[order], f[order]
            first = np.r_[True, s_abs[1:] != s_abs[:-1]] if len(s_abs) else np.zeros(0, bool)
            s_abs, rj, d, f = s_abs[first], rj[first], d[first], f[first]
            reach_pos[s_abs] = rj
            dist_km[s_abs] = d / 1000.0
            frac[s_abs] = f
    connected = reach_pos >= 0
    note = np.where(
        connected,
        "",
        np.where(
            valid,
            f"no river reach within {snap_km:g} km: water pathway not assessed",
            "no site location: water pathway not assessed",
        ),
    )
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str).to_numpy(),
            "reach_id": np.where(connected, ids[np.maximum(reach_pos, 0)], 0).astype("int64"),
            "snap_km": dist_km,
            "fraction": np.nan_to_num(frac, nan=0.0),
            "water_note": pd.array(note, dtype="str"),
        }
    )


def water_mass_by_site(
    holdings: pd.DataFrame, *, water: str = "aquatic", release_fraction: float = 1.0
) -> pd.Series:
    """Mass (kg) per site that could reach a river.

    Parameters
    ----------
    holdings : pandas.DataFrame
        Holdings with ``site_id``, ``quantity_t`` and ``groups``.
    water : {"aquatic", "all"}
        ``"aquatic"``: only holdings in the environmental group (Annex I E1/E2,
        hazardous to the aquatic environment); ``"all"``: every holding.
    release_fraction : float
        Fraction of the inventory assumed to reach the river (0-1).

    Returns
    -------
    pandas.Series
        ``water_mass_kg`` indexed by ``site_id``.

    Raises
    ------
    ChoiceError
        If ``water`` is not allowed.
    ValueError
        If ``release_fraction`` is outside 0-1.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"site_id": ["a", "a", "b"], "quantity_t": [10.0, 5.0, 2.0],
    ...                   "groups": ["health;environmental", "physical", "environmental"]})
    >>> water_mass_by_site(h, release_fraction=0.5).to_dict()
    {'a': 5000.0, 'b': 1000.0}
    """
    check_choice("water", water, ["aquatic", "all"])
    if not 0.0 <= release_fraction <= 1.0:
        raise ValueError(f"release_fraction must be within 0-1; got {release_fraction}")
    q = holdings["quantity_t"].astype(float).fillna(0.0) * 1000.0 * release_fraction
    if water == "aquatic":
        groups = holdings["groups"].fillna("").astype(str)
        q = q.where(map_values(groups, lambda g: "environmental" in g.split(";")), 0.0)
    out = q.groupby(holdings["site_id"].astype(str).to_numpy(), sort=True).sum()
    out.index.name = "site_id"
    return out.rename("water_mass_kg")
