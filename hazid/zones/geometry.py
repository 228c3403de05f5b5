"""Zone geometry: geodesic circles and downwind sectors around each site (WGS84 ellipsoid)."""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from hazid.errors import ChoiceError, CRSError, GeodataError

logger = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")


def _sites_4326(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(sites, gpd.GeoDataFrame):
        raise GeodataError("sites must be a GeoDataFrame with point geometries")
    if sites.crs is None:
        raise CRSError("sites have no CRS; set one (e.g. sites.set_crs('EPSG:4326'))")
    if "site_id" not in sites.columns:
        raise GeodataError("sites lack a 'site_id' column")
    if not sites.crs.equals("EPSG:4326"):
        sites = sites.to_crs("EPSG:4326")
    geom_types = shapely.get_type_id(sites.geometry.values)
    if (geom_types != 0).any():
        raise GeodataError("sites must be points (found other or missing geometries)")
    if sites["site_id"].astype(str).duplicated().any():
        dup = sites.loc[sites["site_id"].astype(str).duplicated(), "site_id"].head(5).tolist()
        raise GeodataError(f"site_id values repeat in sites: {dup}")
    return sites


def _fix_antimeridian(polys: np.ndarray) -> np.ndarray:
    """Split polygons whose (unwrapped) longitudes leave [-180, 180] at the antimeridian."""
    xmin, _, xmax, _ = shapely.bounds(polys).T
    cross = np.flatnonzero((xmin < -180.0) | (xmax > 180.0))
    if cross.size == 0:
        return polys
    sub = polys[cross]
    inside = shapely.intersection(sub, shapely.box(-180.0, -90.0, 180.0, 90.0))
    east = shapely.transform(
        shapely.intersection(sub, shapely.box(180.0, -90.0, 540.0, 90.0)),
        lambda xy: xy - np.array([360.0, 0.0]),
    )
    west = shapely.transform(
        shapely.intersection(sub, shapely.box(-540.0, -90.0, -180.0, 90.0)),
        lambda xy: xy + np.array([360.0, 0.0]),
    )
    merged = shapely.union_all(np.stack([inside, east, west], axis=1), axis=1)
    out = polys.copy()
    out[cross] = merged
    return out


def _ring(
    lon_c: np.ndarray, lat_c: np.ndarray, r: np.ndarray, az: np.ndarray, *, mirror: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (lon, lat), one row per zone, at geodesic distance ``r`` and azimuths ``az``.

    Longitudes are unwrapped around the centre so rings stay continuous. With ``mirror``
    (``az`` evenly spaced from 0 over the full circle), only the azimuths up to 180 deg are
    computed: the ellipsoid is symmetric about the centre's meridian, so the vertex at
    azimuth 360 - a is the one at a reflected across it (same latitude, longitude offset
    negated).
    """
    m, k = len(lon_c), len(az)
    half = k // 2 + 1 if mirror else k
    lon, lat, _ = _GEOD.fwd(
        np.repeat(lon_c, half), np.repeat(lat_c, half), np.tile(az[:half], m), np.repeat(r, half)
    )
    dlon = (np.asarray(lon).reshape(m, half) - lon_c[:, None] + 180.0) % 360.0 - 180.0
    lat = np.asarray(lat).reshape(m, half)
    if mirror:
        back = np.arange(k - half, 0, -1)  # vertex j > k/2 mirrors vertex k - j
        dlon = np.concatenate([dlon, -dlon[:, back]], axis=1)
        lat = np.concatenate([lat, lat[:, back]], axis=1)
    return lon_c[:, None] + dlon, lat


def zone_polygons(
    sites: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    *,
    wind_from: float | None = None,
    sector_deg: float = 45.0,
    n_vertices: int = 72,
) -> gpd.GeoDataFrame:
    """Build zone polygons (EPSG:4326) of radius ``zone_km`` around each site.

    Vertices are placed with forward geodesics on the WGS84 ellipsoid
    (``pyproj.Geod.fwd``, vectorised over all zones and azimuths), so each vertex
    lies exactly ``zone_km`` from the site: the same as a circle drawn in an
    azimuthal equidistant projection centred on the site. With ``wind_from`` the
    zone is the downwind sector of width ``sector_deg`` (a pie slice with its apex
    at the site) for wind blowing FROM ``wind_from`` degrees clockwise from north.

    Zones crossing the antimeridian are split into a MultiPolygon at +/-180 deg.
    Zones that contain a pole are not handled (they would need a polar cap).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        ``site_id`` and point geometry; any CRS (reprojected to EPSG:4326).
    distances : pandas.DataFrame
        Output of :func:`consequence_distances` (at least ``site_id`` and
        ``zone_km``); all its columns are kept.
    wind_from : float, optional
        Direction the wind blows from, degrees clockwise from north. None (the
        default) gives full circles.
    sector_deg : float, default 45
        Width of the downwind sector, degrees in (0, 360].
    n_vertices : int, default 72
        Vertices of a full circle (a sector gets a proportional share, at least 3).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``distances`` with a polygon geometry, EPSG:4326. Rows with a
        missing or non-positive ``zone_km`` get an empty geometry (None).

    Raises
    ------
    CRSError
        If ``sites`` has no CRS.
    GeodataError
        If ``sites`` lacks ``site_id``, has non-point geometries or repeated ids,
        if ``distances`` lacks a column, or names a site not in ``sites``.
    ChoiceError
        If ``wind_from``, ``sector_deg`` or ``n_vertices`` is out of range.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[Point(69.3, 41.3)], crs=4326)
    >>> dist = pd.DataFrame({"site_id": ["S1"], "hazard": ["toxic"], "zone_km": [10.0]})
    >>> z = zone_polygons(sites, dist)
    >>> len(z.geometry.iloc[0].exterior.coords)
    73
    >>> s = zone_polygons(sites, dist, wind_from=270.0)   # westerly wind: sector points east
    >>> bool(s.geometry.iloc[0].centroid.x > 69.3)
    True
    """
    sites = _sites_4326(sites)
    for c in ("site_id", "zone_km"):
        if c not in distances.columns:
            raise GeodataError(f"distances lack a {c!r} column")
    if not (isinstance(n_vertices, int | np.integer) and n_vertices >= 8):
        raise ChoiceError(f"n_vertices must be an integer >= 8; got {n_vertices!r}")
    if not (0.0 < float(sector_deg) <= 360.0):
        raise ChoiceError(f"sector_deg must be in (0, 360]; got {sector_deg!r}")
    if wind_from is not None and not math.isfinite(float(wind_from)):
        raise ChoiceError(f"wind_from must be a finite bearing in degrees; got {wind_from!r}")

    ids = distances["site_id"].astype(str)
    lookup = pd.Index(sites["site_id"].astype(str))
    pos = lookup.get_indexer(ids)
    if (pos < 0).any():
        missing = sorted(set(ids[pos < 0]))[:5]
        raise GeodataError(f"distances name sites not in the sites layer: {missing}")
    lon0 = shapely.get_x(sites.geometry.values)[pos]
    lat0 = shapely.get_y(sites.geometry.values)[pos]
    radius_m = pd.to_numeric(distances["zone_km"], errors="coerce").to_numpy(dtype=float) * 1e3
    ok = np.isfinite(radius_m) & (radius_m > 0)

    sector = wind_from is not None and float(sector_deg) < 360.0
    if sector:
        k = max(3, math.ceil(n_vertices * float(sector_deg) / 360.0) + 1)
        toward = (float(wind_from) + 180.0) % 360.0
        az = toward + np.linspace(-0.5, 0.5, k) * float(sector_deg)
    else:
        k = n_vertices
        az = np.linspace(0.0, 360.0, n_vertices, endpoint=False)

    polar = ok & ((90.0 - np.abs(lat0)) * 111_000.0 < radius_m)
    if polar.any():
        logger.warning("%d zone(s) reach a pole; their polygons are not reliable", int(polar.sum()))
    m = int(ok.sum())
    geoms = np.full(len(distances), None, dtype=object)
    if m:
        lon_c, lat_c, r = lon0[ok], lat0[ok], radius_m[ok]
        lon, lat = _ring(lon_c, lat_c, r, az, mirror=not sector)
        if sector:
            lon = np.concatenate([lon_c[:, None], lon], axis=1)
            lat = np.concatenate([lat_c[:, None], lat], axis=1)
        coords = np.stack([lon, lat], axis=-1)
        polys = shapely.polygons(shapely.linearrings(coords))
        geoms[ok] = _fix_antimeridian(np.asarray(polys, dtype=object))
    out = gpd.GeoDataFrame(
        distances.reset_index(drop=True).copy(), geometry=list(geoms), crs="EPSG:4326"
    )
    return out
