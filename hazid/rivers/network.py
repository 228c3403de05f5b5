"""Building the reach table from whatever river layer is given (HydroRIVERS or lines)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from hazid.errors import GeodataError, check_choice
from hazid.rivers.columns import _find_column
from hazid.rivers.geodesy import _to_wgs84
from hazid.rivers.hydrorivers import _hydro_fields, network_from_hydrorivers
from hazid.rivers.lakes import assign_lakes
from hazid.rivers.lines import network_from_lines
from hazid.rivers.sources import _layer_fields, _read_layer, read_rivers

logger = logging.getLogger(__name__)


RiverInput = gpd.GeoDataFrame | str | os.PathLike[str]


def build_network(
    rivers: RiverInput | Sequence[RiverInput],
    *,
    borders: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    on_cycle: str = "raise",
    **kwargs: Any,
) -> gpd.GeoDataFrame:
    """Build a reach table from HydroRIVERS or from plain river lines.

    A layer with a ``HYRIV_ID`` column goes to :func:`network_from_hydrorivers`,
    any other line layer to :func:`network_from_lines`. Several layers (a list)
    are merged first: HydroRIVERS continents join through ``NEXT_DOWN`` (a reach
    present in two files is kept once), plain lines are pooled. With lake
    polygons, reaches inside a lake get its name, volume (sourced table) and
    outlet (:func:`hazid.rivers.lakes.assign_lakes`).

    Parameters
    ----------
    rivers : GeoDataFrame, path, or a list of them
        The river layer(s).
    borders : GeoDataFrame, optional
        Countries (land): used to recognise river mouths on the sea.
    lakes : GeoDataFrame or path, optional
        Lake polygons: used to recognise rivers ending in lakes, and the lakes
        the rivers cross.
    on_cycle : {"raise", "break"}
        What to do with cycles in ``next_down``.
    **kwargs
        Passed to the builder.

    Returns
    -------
    geopandas.GeoDataFrame
        Reach table; ``attrs["report"]`` says what was built and repaired
        (``attrs["report"]["warnings"]``: what was repaired or dropped, in words).

    Raises
    ------
    DataSourceError
        A file does not exist.
    CRSError
        The river, lake or border layer has no CRS.
    GeodataError
        A layer cannot be read or holds no usable river (see the builders), or
        HydroRIVERS layers are mixed with plain lines.
    NetworkError
        ``next_down`` has a cycle (with ``on_cycle="raise"``) or reach ids repeat.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> lines = gpd.GeoDataFrame({"name": ["A", "A"]}, crs=4326, geometry=[
    ...     shapely.LineString([(0, 0), (0.1, 0)]), shapely.LineString([(0.2, 0), (0.1, 0)])])
    >>> net = build_network(lines, max_reach_km=None)
    >>> len(net), net.attrs["report"]["source"]
    (2, 'lines')
    """
    check_choice("on_cycle", on_cycle, ["raise", "break"])
    rivers = _merge_layers(rivers)
    if lakes is not None and not isinstance(lakes, gpd.GeoDataFrame):
        lakes = _read_layer(lakes, "lakes")
    # check every layer before the work starts
    rivers = _to_wgs84(rivers, "river network")
    if lakes is not None:
        lakes = _to_wgs84(lakes, "lakes")
    if borders is not None:
        borders = _to_wgs84(borders, "borders")
    if _find_column(rivers.columns, "HYRIV_ID") is not None:
        reaches = network_from_hydrorivers(rivers, borders=borders, lakes=lakes, on_cycle=on_cycle)
    else:
        reaches = network_from_lines(rivers, borders=borders, lakes=lakes, **kwargs)
    if rivers.attrs.get("files"):
        reaches.attrs["report"] = {**reaches.attrs["report"], "files": rivers.attrs["files"]}
    return assign_lakes(reaches, lakes) if lakes is not None else reaches


def _merge_layers(rivers: RiverInput | Sequence[RiverInput]) -> gpd.GeoDataFrame:
    """Read one river layer, or read and merge several (HydroRIVERS by id, or lines)."""
    if isinstance(rivers, gpd.GeoDataFrame):
        return rivers
    if isinstance(rivers, (str, os.PathLike)):
        return _read_river_file(rivers)
    layers = [
        _to_wgs84(r if isinstance(r, gpd.GeoDataFrame) else _read_river_file(r), "river network")
        for r in rivers
    ]
    if not layers:
        raise GeodataError("no river layer given")
    if len(layers) == 1:
        return layers[0]
    hydro = [_find_column(g.columns, "HYRIV_ID") is not None for g in layers]
    if any(hydro) and not all(hydro):
        raise GeodataError("river layers mix HydroRIVERS and plain lines; give layers of one kind")
    merged = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=4326)
    if all(hydro):
        col = _find_column(merged.columns, "HYRIV_ID")
        dup = merged[col].duplicated().to_numpy()
        if dup.any():
            logger.info("river layers: %d reach(es) present in two layers kept once", dup.sum())
        merged = merged.loc[~dup].reset_index(drop=True)
    merged.attrs["files"] = len(layers)
    logger.info("river network: %d layers merged (%d features)", len(layers), len(merged))
    return merged


def _read_river_file(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read a river file; of a HydroRIVERS layer only the columns the reach table uses."""
    return read_rivers(path, columns=_hydro_fields(_layer_fields(path)))


def _as_network(network: Any, borders: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if isinstance(network, gpd.GeoDataFrame) and {"reach_id", "next_down", "length_km"} <= set(
        network.columns
    ):
        return network
    return build_network(network, borders=borders)
