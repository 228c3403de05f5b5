"""Countries reached through the air by the consequence zones of each site.

A foreign country is affected when its territory intersects one of the
site's zone polygons; the margin between the zone distance and the geodesic
distance to that country flags results within the uncertainty.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.columns import isin
from hazid.errors import CRSError, GeodataError
from hazid.geography.index import _border_index
from hazid.geography.sites import (
    _check_borders,
    _check_sites,
    _site_countries,
    _text,
    distance_to_country,
)

__all__ = ["AIR_COLUMNS", "affected_by_air"]

# ----------------------------------------------------------------------------------------------
# Air pathway
# ----------------------------------------------------------------------------------------------
#: Columns of the air rows of ``affected.csv``, in order.
AIR_COLUMNS: tuple[str, ...] = (
    "site_id",
    "affected",
    "pathway",
    "hazard",
    "zone_km",
    "border_km",
    "margin_km",
    "uncertain",
)


def affected_by_air(
    sites: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    uncertainty_km: float = 5.0,
) -> pd.DataFrame:
    """Countries reached through the air by a site's consequence zones.

    A country other than the site's own (``site_country``) is affected when
    its territory intersects one of the site's zone polygons (STRtree query of
    zones against country polygons). The controlling hazard is the
    intersecting zone of largest ``zone_km``. ``border_km`` is the geodesic
    distance (WGS84) from the site to that country, ``margin_km = zone_km -
    border_km`` and ``uncertain`` flags ``|margin_km| < uncertainty_km``.
    Countries the zones miss are not listed.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``site_id`` (and ``site_country``, else it is assigned).
    zones : geopandas.GeoDataFrame
        Zone polygons with ``site_id``, ``hazard``, ``zone_km`` (EPSG:4326).
    borders : geopandas.GeoDataFrame
        As returned by :func:`load_borders`.
    uncertainty_km : float, default 5.0
        Margin below which a result is flagged uncertain.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id``, ``affected`` (ISO3), ``pathway`` ("air"),
        ``hazard``, ``zone_km``, ``border_km``, ``margin_km``, ``uncertain``;
        one row per (site, affected country), sorted by site and margin.

    Raises
    ------
    CRSError
        A layer has no CRS.
    GeodataError
        Zones lack a column, or name a ``site_id`` not in ``sites``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> borders = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> from shapely.geometry import Polygon
    >>> from pyproj import Geod
    >>> sites = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[Point(0.95, 0.5)], crs=4326)
    >>> lon, lat, _ = Geod(ellps="WGS84").fwd([0.95] * 72, [0.5] * 72, list(range(0, 360, 5)),
    ...                                       [12_000] * 72)   # 12 km geodesic circle
    >>> zones = gpd.GeoDataFrame({"site_id": ["s1"], "hazard": ["toxic"], "zone_km": [12.0]},
    ...     geometry=[Polygon(zip(lon, lat))], crs=4326)
    >>> r = affected_by_air(sites, zones, borders)
    >>> r[["affected", "hazard", "uncertain"]].values.tolist()
    [['BBB', 'toxic', False]]
    >>> round(float(r.margin_km[0]), 2)
    6.43
    """
    sites = _check_sites(sites)
    borders = _check_borders(borders)
    if not isinstance(zones, gpd.GeoDataFrame):
        raise GeodataError("zones must be a GeoDataFrame")
    if zones.crs is None:
        raise CRSError("zones layer has no coordinate reference system")
    missing = [c for c in ("site_id", "hazard", "zone_km") if c not in zones.columns]
    if missing:
        raise GeodataError(f"zones lack column(s): {', '.join(missing)}")
    if zones.crs.to_epsg() != 4326:
        zones = zones.to_crs(4326)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in AIR_COLUMNS})
    if len(zones) == 0:
        return _air_dtypes(empty)
    sites = _site_countries(sites, borders)
    zone_site = zones["site_id"].astype(str).to_numpy()
    sites = _rows_of(sites, set(zone_site))
    ids = sites["site_id"].astype(str).to_numpy()
    own = dict(zip(ids, _text(sites["site_country"], len(ids)), strict=True))
    unknown = sorted(set(zone_site) - set(own))
    if unknown:
        raise GeodataError(f"zones name site_id(s) not in sites: {', '.join(unknown[:10])}")
    index = _border_index(borders)
    zgeom = zones.geometry.to_numpy()
    ok = np.flatnonzero(~shapely.is_missing(zgeom) & ~shapely.is_empty(zgeom))
    home = np.array([index.row.get(own[s], -1) for s in zone_site[ok]], dtype=np.int64)
    zi, ci = index.intersecting(zgeom[ok], skip=home)  # the site's own country is not tested
    zi = ok[zi]
    hits = pd.DataFrame(
        {
            "site_id": zone_site[zi],
            "affected": index.codes[ci],
            "hazard": zones["hazard"].astype(str).to_numpy()[zi],
            "zone_km": zones["zone_km"].astype(float).to_numpy()[zi],
        }
    )
    hits = hits[hits["affected"].to_numpy() != np.array([own[s] for s in hits["site_id"]])]
    if hits.empty:
        return _air_dtypes(empty)
    hits = hits.sort_values(
        ["site_id", "affected", "zone_km", "hazard"], ascending=[True, True, False, True]
    )
    hits = hits.drop_duplicates(["site_id", "affected"]).reset_index(drop=True)
    dist = distance_to_country(sites, borders, hits.rename(columns={"affected": "iso_a3"}))
    hits["pathway"] = "air"
    hits["border_km"] = dist["border_km"].to_numpy()
    hits["margin_km"] = hits["zone_km"] - hits["border_km"]
    hits["uncertain"] = hits["margin_km"].abs() < uncertainty_km
    hits = hits.sort_values(["site_id", "margin_km"], ascending=[True, False])
    return _air_dtypes(hits[list(AIR_COLUMNS)].reset_index(drop=True))


def _rows_of(sites: gpd.GeoDataFrame, wanted: set[str]) -> gpd.GeoDataFrame:
    """Return the rows of ``sites`` whose ``site_id`` (as text) is in ``wanted``, in order.

    Only these rows are looked at (a repeated ``site_id`` still means its last row); the
    others, often most of a large inventory, are not turned into Python values.
    """
    keep = isin(sites["site_id"].astype(str), wanted)
    return sites if keep.all() else sites[keep]


def _air_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in ("site_id", "affected", "pathway", "hazard"):
        df[c] = df[c].astype(str)
    for c in ("zone_km", "border_km", "margin_km"):
        df[c] = df[c].astype(float)
    df["uncertain"] = df["uncertain"].astype(bool)
    return df
