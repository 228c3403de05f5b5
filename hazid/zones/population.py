"""Population: people inside each zone from a population-count raster (exactextract)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid.errors import CRSError, DataSourceError


def population_in_zones(zones: gpd.GeoDataFrame, raster_path: str | Path) -> pd.Series:
    """People inside each zone from a population-count raster.

    Uses ``exactextract`` ``"sum"``: each cell counts in proportion to the part of
    its area inside the zone (coverage fraction), so a count raster (people per
    cell) gives people per zone. Zones are reprojected to the raster's CRS.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zone polygons (e.g. from :func:`zone_polygons`), with a CRS.
    raster_path : str or pathlib.Path
        GeoTIFF (or any GDAL raster) of people per cell, with a CRS.

    Returns
    -------
    pandas.Series
        People per zone, float, indexed like ``zones``, named ``population``;
        NaN for a zone without geometry.

    Raises
    ------
    CRSError
        If ``zones`` or the raster has no CRS.
    DataSourceError
        If the raster cannot be found or opened.

    Examples
    --------
    >>> import tempfile, rasterio
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> path = tempfile.mkdtemp() + "/pop.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1,
    ...                    dtype="float32", crs="EPSG:4326",
    ...                    transform=Affine(1, 0, 0, 0, -1, 10)) as dst:
    ...     dst.write(np.ones((1, 10, 10), dtype="float32"))
    >>> zones = gpd.GeoDataFrame(geometry=[box(2, 2, 4.5, 4)], crs=4326)
    >>> float(population_in_zones(zones, path).iloc[0])
    5.0
    """
    import rasterio
    from exactextract import exact_extract

    if zones.crs is None:
        raise CRSError("zones have no CRS")
    path = Path(raster_path)
    if not path.is_file():
        raise DataSourceError(f"population raster not found: {path}")
    try:
        with rasterio.open(path) as src:
            raster_crs = src.crs
    except rasterio.errors.RasterioIOError as err:
        raise DataSourceError(f"cannot open population raster {path}: {err}") from err
    if raster_crs is None:
        raise CRSError(f"population raster {path} has no CRS")

    result = pd.Series(np.nan, index=zones.index, name="population", dtype=float)
    geoms = zones.geometry
    valid = (geoms.notna() & ~geoms.is_empty).to_numpy()
    if not valid.any():
        return result
    work = gpd.GeoDataFrame(geometry=geoms[valid].to_numpy(), crs=zones.crs)
    if not work.crs.equals(raster_crs):
        work = work.to_crs(raster_crs)
    work = work.reset_index(drop=True)
    stats = exact_extract(str(path), work, "sum", output="pandas")
    result.iloc[np.flatnonzero(valid)] = stats["sum"].to_numpy(dtype=float)
    return result
