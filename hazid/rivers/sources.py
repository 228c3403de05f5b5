"""Finding and reading the river layer (explicit path, HAZID_RIVERS, fetched, embedded data)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow
import pyogrio
import shapely

from hazid import datasets, embedded
from hazid.errors import CRSError, DataSourceError, GeodataError

logger = logging.getLogger(__name__)


def resolve_rivers(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
) -> Path | list[Path]:
    """Find the river network to use.

    Order: ``path`` if given, else the environment variable ``HAZID_RIVERS``, else a network
    fetched earlier with ``hazid data fetch`` (a HydroRIVERS continent, else Natural Earth 10m
    rivers) in the hazid data directory, else the Natural Earth 1:10M rivers embedded in hazid
    (:func:`hazid.embedded.provenance`: large rivers only, no discharge). Several files (a list,
    or ``HAZID_RIVERS`` with paths separated by ``os.pathsep``) give a list, merged by
    :func:`hazid.rivers.build_network` (HydroRIVERS continents join by ``NEXT_DOWN``).

    Parameters
    ----------
    path : str, path-like or a list of them, optional
        Explicit file(s); layers already read (GeoDataFrames) in a list pass through.

    Returns
    -------
    pathlib.Path or list
        An existing file, or a list of them (several files).

    Raises
    ------
    DataSourceError
        If no source is given or the file does not exist.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".gpkg") as f:
    ...     resolve_rivers(f.name).suffix
    '.gpkg'
    """
    how = (
        "Download HydroRIVERS (https://www.hydrosheds.org/products/hydrorivers; "
        "shapefile or geodatabase of the region) or use any river line layer such as "
        "Natural Earth 10m 'rivers_lake_centerlines', then pass it with --rivers PATH "
        "or set HAZID_RIVERS=PATH, or run `hazid data fetch hydrorivers_as` "
        "(or ne_10m_rivers)."
    )
    if path is not None and not isinstance(path, (str, os.PathLike)):
        return [p if isinstance(p, gpd.GeoDataFrame) else resolve_rivers(p) for p in path]
    if path is None:
        env = os.environ.get("HAZID_RIVERS", "").strip()
        if os.pathsep in env:
            parts = [e.strip() for e in env.split(os.pathsep) if e.strip()]
            return [_existing(Path(e).expanduser(), "HAZID_RIVERS", how) for e in parts]
        if env:
            path, origin = env, "HAZID_RIVERS"
        else:
            fetched = datasets.first_fetched("hydrorivers_", "ne_10m_rivers")
            if fetched is None:
                try:
                    fetched = embedded.embedded_path("rivers")
                except DataSourceError:
                    raise DataSourceError(f"no river network given. {how}") from None
                logger.info("river network: %s", embedded.describe(embedded.provenance("rivers")))
                return fetched
            logger.info("river network: %s (fetched with hazid data)", fetched)
            return fetched
    else:
        origin = "path"
    return _existing(Path(path).expanduser(), origin, how)


def _existing(p: Path, origin: str, how: str) -> Path:
    if not p.exists():
        raise DataSourceError(f"river network {str(p)!r} (from {origin}) does not exist. {how}")
    return p


def read_rivers(
    path: str | os.PathLike[str] | None = None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    layer: str | None = None,
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a river layer (HydroRIVERS or plain lines).

    Parameters
    ----------
    path : str or path-like, optional
        File; resolved with :func:`resolve_rivers`.
    bbox : tuple, optional
        (west, south, east, north) in the layer's CRS: keep features that
        intersect it (whole features, not clipped).
    layer : str, optional
        Layer name in a multi-layer file.
    columns : sequence of str, optional
        Read only these attribute columns (and the geometry) of a GDAL
        layer, through Arrow; a GeoParquet file is read whole.

    Returns
    -------
    geopandas.GeoDataFrame
        The features as stored (several files from ``HAZID_RIVERS``: pooled, in
        EPSG:4326).

    Raises
    ------
    GeodataError
        If the file cannot be read.
    CRSError
        If the layer has no CRS.

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> with tempfile.TemporaryDirectory() as d:
    ...     gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 0)])],
    ...                      crs=4326).to_file(f"{d}/r.gpkg")
    ...     len(read_rivers(f"{d}/r.gpkg"))
    1
    """
    p = resolve_rivers(path)
    if isinstance(p, list):
        parts = [
            _read_layer(x, "river network", bbox=bbox, layer=layer, columns=columns).to_crs(4326)
            for x in p
        ]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326)
    return _read_layer(p, "river network", bbox=bbox, layer=layer, columns=columns)


def _layer_fields(path: str | os.PathLike[str], layer: str | None = None) -> list[str] | None:
    """Attribute column names of a GDAL layer, read from its schema; None if unknown."""
    p = Path(path).expanduser()
    if p.suffix.lower() in {".parquet", ".geoparquet"} or not p.exists():
        return None
    try:
        return [str(f) for f in pyogrio.read_info(p, layer=layer)["fields"]]
    except Exception:  # unreadable here: _read_layer says why
        return None


def _read_layer(
    path: str | os.PathLike[str],
    what: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    layer: str | None = None,
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataSourceError(f"{what} {str(p)!r} does not exist")
    try:
        if p.suffix.lower() in {".parquet", ".geoparquet"}:  # GeoParquet (GDAL may lack it)
            gdf = gpd.read_parquet(p)
            gdf = gdf if bbox is None else gdf.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
        else:
            if columns is None:
                gdf = gpd.read_file(p, bbox=bbox, layer=layer)
            else:
                gdf = _read_numeric(p, bbox=bbox, layer=layer, columns=list(columns))
                if gdf is None:
                    gdf = gpd.read_file(
                        p, bbox=bbox, layer=layer, columns=list(columns), use_arrow=True
                    )
                pyarrow.default_memory_pool().release_unused()  # the Arrow buffers are freed
    except Exception as err:  # pyogrio raises several types
        raise GeodataError(f"cannot read {what} {str(p)!r}: {err}") from err
    if gdf.crs is None:
        raise CRSError(f"{what} {str(p)!r} has no CRS")
    return gdf


def _read_numeric(
    path: Path,
    *,
    bbox: tuple[float, float, float, float] | None,
    layer: str | None,
    columns: list[str],
) -> gpd.GeoDataFrame | None:
    """Read numeric columns and the geometry of a GDAL layer through Arrow; None if not that.

    The same table as ``geopandas.read_file(..., columns=columns, use_arrow=True)`` (pyogrio):
    the attribute columns converted by Arrow as there, the geometry decoded from its WKB by
    :func:`shapely.from_wkb`, without first making a pandas column of the WKB values (a
    million bytes objects for a million reaches). None, to read it that way, when a column
    asked for is not numeric (text, dates, JSON: converted further there) or is not in the
    layer, or the layer has no geometry.
    """
    info = pyogrio.read_info(path, layer=layer)
    kinds = dict(zip(info["fields"].tolist(), info["dtypes"].tolist(), strict=True))
    if not info["geometry_name"] and info["geometry_type"] is None:
        return None
    for name in columns:
        dtype = kinds.get(name)
        if dtype is None or name == "geometry" or np.dtype(dtype).kind not in "biuf":
            return None
    meta, table = pyogrio.raw.read_arrow(
        path, layer=layer, columns=columns, bbox=bbox, datetime_as_string=True
    )
    geometry_name = meta["geometry_name"] or "wkb_geometry"
    if geometry_name not in table.column_names or table.num_columns != len(columns) + 1:
        return None
    wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
    df = table.drop_columns([geometry_name]).to_pandas(self_destruct=True)
    del table
    df["geometry"] = shapely.from_wkb(wkb, on_invalid="raise")
    # the table is this function's own: taken as it is, not copied (a million reaches)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=meta["crs"], copy=False)
