"""Building the reach table from whatever river layer is given (HydroRIVERS or lines)."""

from __future__ import annotations

import logging
import os
from typing import Any

import geopandas as gpd

from hazid.errors import check_choice
from hazid.rivers.columns import _find_column
from hazid.rivers.geodesy import _to_wgs84
from hazid.rivers.hydrorivers import network_from_hydrorivers
from hazid.rivers.lines import network_from_lines
from hazid.rivers.sources import _read_layer, read_rivers

logger = logging.getLogger(__name__)


def build_network(
    rivers: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    borders: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    on_cycle: str = "raise",
    **kwargs: Any,
) -> gpd.GeoDataFrame:
    """Build a reach table from HydroRIVERS or from plain river lines.

    A layer with a ``HYRIV_ID`` column goes to :func:`network_from_hydrorivers`,
    any other line layer to :func:`network_from_lines`.

    Parameters
    ----------
    rivers : GeoDataFrame or path
        The river layer.
    borders : GeoDataFrame, optional
        Countries (land): used to recognise river mouths on the sea.
    lakes : GeoDataFrame or path, optional
        Lake polygons: used to recognise rivers ending in lakes.
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
        A layer cannot be read or holds no usable river (see the builders).
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
    if not isinstance(rivers, gpd.GeoDataFrame):
        rivers = read_rivers(rivers)
    if lakes is not None and not isinstance(lakes, gpd.GeoDataFrame):
        lakes = _read_layer(lakes, "lakes")
    # check every layer before the work starts
    rivers = _to_wgs84(rivers, "river network")
    if lakes is not None:
        lakes = _to_wgs84(lakes, "lakes")
    if borders is not None:
        borders = _to_wgs84(borders, "borders")
    if _find_column(rivers.columns, "HYRIV_ID") is not None:
        return network_from_hydrorivers(rivers, borders=borders, lakes=lakes, on_cycle=on_cycle)
    return network_from_lines(rivers, borders=borders, lakes=lakes, **kwargs)


def _as_network(network: Any, borders: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if isinstance(network, gpd.GeoDataFrame) and {"reach_id", "next_down", "length_km"} <= set(
        network.columns
    ):
        return network
    return build_network(network, borders=borders)
