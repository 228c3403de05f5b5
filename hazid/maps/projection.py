"""The local projection of a map, and its transformers from and to longitude/latitude.

Each PNG map is drawn in an azimuthal equidistant projection centred on its activities
(:func:`local_crs`), so that distances from the centre, and the scale bar, are true; each HTML
map is simplified in one centred on its extent (:func:`hazid.maps.geometry._metric_crs`). Asking
PROJ for the transformation between WGS 84 longitude/latitude and a new such CRS searches its
database (about 10 ms, several times per map); the transformers here go to the CRS's own WGS 84
longitude/latitude instead, a plain conversion found at once, with the same pipeline and the
same coordinates.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

__all__ = ["from_local", "local_crs", "to_local", "to_local_layer"]

#: The text of a CRS made by :func:`local_crs`.
_AEQD = re.compile(
    r"\+proj=aeqd \+lat_0=(-?\d+\.\d+) \+lon_0=(-?\d+\.\d+) \+datum=WGS84 \+units=m"
    r" \+no_defs(?: \+type=crs)?"
)


def local_crs(lon: float, lat: float) -> CRS:
    """Azimuthal equidistant CRS (metres, WGS 84) centred on ``lon``, ``lat``.

    Parameters
    ----------
    lon, lat : float
        Centre in degrees.

    Returns
    -------
    pyproj.CRS

    Examples
    --------
    >>> local_crs(68.0, 42.5).coordinate_operation.method_name
    'Azimuthal Equidistant'
    """
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.8f} +lon_0={lon:.8f} +datum=WGS84 +units=m +no_defs"
    )


def to_local(crs: CRS) -> Transformer:
    """Return the transformer from longitude/latitude (EPSG:4326, x = longitude) to ``crs``.

    Examples
    --------
    >>> x, y = to_local(local_crs(68.0, 42.5)).transform(68.0, 42.5)
    >>> abs(x) < 1e-6 and abs(y) < 1e-6
    True
    """
    return _transformer(crs, inverse=False)


def from_local(crs: CRS) -> Transformer:
    """Return the transformer from ``crs`` to longitude/latitude (EPSG:4326, x = longitude).

    Examples
    --------
    >>> lon, lat = from_local(local_crs(68.0, 42.5)).transform(0.0, 0.0)
    >>> round(lon, 6), round(lat, 6)
    (68.0, 42.5)
    """
    return _transformer(crs, inverse=True)


def _transformer(crs: CRS, *, inverse: bool) -> Transformer:
    """Return the transformer between ``crs`` and EPSG:4326 (for ours, through its own WGS 84).

    For a CRS of :func:`local_crs` (datum WGS 84), its own geographic CRS is WGS 84
    longitude/latitude: PROJ then finds the same pipeline as for EPSG:4326 (a conversion, the
    same coordinates) without searching its database for datum transformations. The maps ask
    several times for the transformers of their CRS: the latest 16 are kept, by the text of
    the CRS (hashing a CRS writes its WKT, a third of a millisecond).
    """
    key = (crs.srs, inverse)
    tr = _RECENT.get(key)
    if tr is None:
        if len(_RECENT) >= 16:
            del _RECENT[next(iter(_RECENT))]
        tr = _RECENT[key] = _make_transformer(crs, inverse=inverse)
    return tr


#: The latest transformers, by (CRS text, inverse).
_RECENT: dict[tuple[str, bool], Transformer] = {}


def _make_transformer(crs: CRS, *, inverse: bool) -> Transformer:
    geo = crs.geodetic_crs if _AEQD.fullmatch(crs.srs) else None
    lonlat = geo if geo is not None else CRS.from_epsg(4326)
    if inverse:
        return Transformer.from_crs(crs, lonlat, always_xy=True)
    return Transformer.from_crs(lonlat, crs, always_xy=True)


def to_local_layer(layer: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Return ``layer.to_crs(crs)``, with :func:`to_local` when ``layer`` is in EPSG:4326.

    Examples
    --------
    >>> layer = gpd.GeoDataFrame(geometry=[shapely.Point(68.0, 42.5)], crs=4326)
    >>> to_local_layer(layer, local_crs(68.0, 42.5)).crs.coordinate_operation.method_name
    'Azimuthal Equidistant'
    """
    if layer.crs is None or not layer.crs.equals("EPSG:4326"):
        return layer.to_crs(crs)
    tr = to_local(crs)
    geoms = shapely.transform(
        layer.geometry.to_numpy(), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))
    )
    out = layer.copy()
    out.geometry = gpd.GeoSeries(geoms, index=layer.index, crs=crs)
    return out
