"""HydroRIVERS layers read natively into a reach table.

Reference: Lehner, B., Grill, G. (2013). Global river hydrography and network
routing: baseline data and new approaches to study the world's large river
systems. Hydrological Processes 27(15): 2171-2186 (HydroRIVERS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.errors import GeodataError, NetworkError
from hazid.rivers.columns import _find_column, _norm_name, _number_column, _some
from hazid.rivers.geodesy import _check_degrees, _geodesic_length_km, _to_wgs84
from hazid.rivers.graph import REACH_COLUMNS, _check_network, _compile, _drains_to
from hazid.rivers.outlets import ENDORHEIC_LAKES, ENDORHEIC_SEAS, _classify_points

logger = logging.getLogger(__name__)


_HYDRO_COLUMNS = {
    "HYRIV_ID": "reach_id",
    "NEXT_DOWN": "next_down",
    "LENGTH_KM": "length_km",
    "UPLAND_SKM": "upland_skm",
    "DIS_AV_CMS": "dis_av_cms",
    "ENDORHEIC": "endorheic",
    "ORD_STRA": "ord_stra",
    "MAIN_RIV": "main_riv",
}


#: other columns a HydroRIVERS layer is read with: the ids and river names
_OTHER_FIELDS = ("NEXT_DOWN_DERIVED",)
_NAME_FIELDS = ("name", "river_name", "rivername", "name_en")


def _hydro_fields(fields: list[str] | None) -> list[str] | None:
    """Pick the columns of a HydroRIVERS layer that the reach table uses (None: not one)."""
    if fields is None or _find_column(fields, "HYRIV_ID") is None:
        return None
    wanted = {c.upper() for c in (*_HYDRO_COLUMNS, *_OTHER_FIELDS)}
    name = _find_column(fields, *_NAME_FIELDS)
    return [f for f in fields if f.upper() in wanted or f == name]


def network_from_hydrorivers(
    rivers: gpd.GeoDataFrame,
    *,
    borders: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    on_cycle: str = "raise",
    coast_m: float = 5000.0,
    lake_m: float = 2000.0,
) -> gpd.GeoDataFrame:
    """Reach table from a HydroRIVERS layer.

    Reads ``HYRIV_ID``, ``NEXT_DOWN`` (or ``NEXT_DOWN_DERIVED`` when absent),
    ``LENGTH_KM``, ``UPLAND_SKM``, ``DIS_AV_CMS``, ``ENDORHEIC``, ``ORD_STRA``
    and ``MAIN_RIV``. Without ``DIS_AV_CMS`` the network gives travel times only.
    A ``NEXT_DOWN`` that names a reach missing from the layer (the edge of an
    extract) ends the network there (``sink = "edge"``), with a warning; so does,
    when ``borders`` are given, an outlet that is neither flagged ``ENDORHEIC``
    nor on a coast, lake or closed basin (an extract whose ``NEXT_DOWN`` was set
    to 0 where it was cut).
    Reaches without a line geometry stay in the ``NEXT_DOWN`` chain (no site
    joins them, their countries are unknown); a missing ``LENGTH_KM`` is
    measured from the geometry (WGS84 geodesic). Each such repair is logged as
    a warning and listed in ``attrs["report"]["warnings"]``.

    Parameters
    ----------
    rivers : geopandas.GeoDataFrame
        HydroRIVERS features.
    borders, lakes : GeoDataFrame, optional
        Used to tell sea outlets from lake and closed-basin ends when the
        layer has no ``ENDORHEIC`` column.
    on_cycle : {"raise", "break"}
        See :func:`~hazid.rivers.graph.check_network`.
    coast_m, lake_m : float
        Distances (m) within which an outlet counts as on the coast or a lake.

    Returns
    -------
    geopandas.GeoDataFrame
        Reach table (EPSG:4326); ``attrs["report"]`` counts ``links_outside``,
        ``null_geometries``, ``not_lines``, ``lengths_from_geometry``,
        ``zero_length`` and the outlets by kind.

    Raises
    ------
    GeodataError
        If a required column is missing, the layer is empty, an id is not a
        whole number, or a length is not a number >= 0.
    NetworkError
        If ids repeat or ``NEXT_DOWN`` has a cycle (with ``on_cycle="raise"``).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> hr = gpd.GeoDataFrame({"HYRIV_ID": [1, 2], "NEXT_DOWN": [2, 0],
    ...     "LENGTH_KM": [10.0, 12.0], "UPLAND_SKM": [100.0, 250.0],
    ...     "DIS_AV_CMS": [1.5, 3.0]}, crs=4326, geometry=[
    ...     shapely.LineString([(0, 0), (0.09, 0)]), shapely.LineString([(0.09, 0), (0.2, 0)])])
    >>> network_from_hydrorivers(hr)[["reach_id", "next_down", "sink"]].values.tolist()
    [[1, 2, ''], [2, 0, 'outlet']]
    """
    rivers = _to_wgs84(rivers, "river network")
    cols = _hydro_column_names(rivers)
    notes: list[str] = []

    def warn(message: str) -> None:
        logger.warning("%s", message)
        notes.append(message)

    out = _read_ids(rivers, cols)
    geoms, no_geom, not_line = _line_geometries(rivers, out, warn)
    _check_degrees(geoms, "river network")
    unknown = _read_lengths(out, cols, geoms, no_geom | not_line, warn)
    has_endo = _read_attributes(out, rivers)
    reaches = gpd.GeoDataFrame(out, geometry=geoms, crs=4326, copy=False)  # ``out``: ours
    if reaches["reach_id"].duplicated().any():
        dup = reaches.loc[reaches["reach_id"].duplicated(), "reach_id"].head(5).tolist()
        raise NetworkError(f"duplicate reach ids, e.g. {dup}")
    edge = _cut_at_extract_edge(reaches, warn)
    outlet = reaches["next_down"].to_numpy() <= 0
    sink, sink_name = _hydro_sinks(
        reaches, outlet, edge, has_endo, borders, lakes, coast_m=coast_m, lake_m=lake_m
    )
    reaches["sink"] = pd.array(sink, dtype="str")
    reaches["sink_name"] = pd.array(sink_name, dtype="str")
    net = None  # the network compiled once, to find the closed basins and check it
    if not has_endo:
        net = _compile(reaches, on_cycle="ignore")
        reaches["endorheic"] = _drains_to(reaches, sink == "endorheic", net=net)
    reaches = reaches[
        [c for c in REACH_COLUMNS if c in reaches]
        + [c for c in ("ord_stra", "main_riv") if c in reaches]
    ]
    reaches.attrs["report"] = {
        "source": "hydrorivers",
        "reaches": len(reaches),
        "links_outside": int(edge.sum()),
        "outlets": {k: int(v) for k, v in pd.Series(sink[outlet]).value_counts().items()},
        "hydrology": bool(reaches["dis_av_cms"].notna().any()),
        "next_down_column": cols["NEXT_DOWN"],
        "null_geometries": int(no_geom.sum()),
        "not_lines": int(not_line.sum()),
        "lengths_from_geometry": int(unknown.sum()),
        "zero_length": int((reaches["length_km"].to_numpy() == 0).sum()),
        "warnings": notes,
    }
    return _check_network(reaches, on_cycle=on_cycle, net=net)


def _hydro_column_names(rivers: gpd.GeoDataFrame) -> dict[str, str]:
    """Upper-cased HydroRIVERS column names -> the layer's own; check the required ones."""
    cols = {c.upper(): c for c in rivers.columns}
    if "NEXT_DOWN" not in cols and "NEXT_DOWN_DERIVED" in cols:
        cols["NEXT_DOWN"] = cols["NEXT_DOWN_DERIVED"]
    missing = [c for c in ("HYRIV_ID", "NEXT_DOWN", "LENGTH_KM") if c not in cols]
    if missing:
        raise GeodataError(
            f"HydroRIVERS layer lacks {', '.join(missing)} (NEXT_DOWN_DERIVED is also accepted)"
        )
    if len(rivers) == 0:
        raise GeodataError("the HydroRIVERS layer holds no reach")
    return cols


def _read_ids(rivers: gpd.GeoDataFrame, cols: dict[str, str]) -> pd.DataFrame:
    """Copy the HydroRIVERS attributes under reach-table names, ids as whole numbers."""
    out = pd.DataFrame(index=pd.RangeIndex(len(rivers)))
    for src, dst in _HYDRO_COLUMNS.items():
        if src in cols:
            out[dst] = rivers[cols[src]].to_numpy()
    out["reach_id"] = _number_column(out["reach_id"], cols["HYRIV_ID"], integer=True)
    out["next_down"] = _number_column(
        out["next_down"], cols["NEXT_DOWN"], integer=True, missing_ok=True
    ).fillna(0)
    out["reach_id"] = out["reach_id"].astype("int64")
    out["next_down"] = out["next_down"].astype("int64")
    return out


def _line_geometries(
    rivers: gpd.GeoDataFrame, out: pd.DataFrame, warn: Callable[[str], None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reach lines; reaches without a line stay in the chain (warned)."""
    geoms = rivers.geometry.to_numpy().copy()
    no_geom = ~shapely.is_geometry(geoms) | shapely.is_empty(geoms)
    not_line = ~no_geom & ~np.isin(shapely.get_type_id(geoms), [1, 5])
    if not_line.any():
        kinds = sorted({g.geom_type for g in geoms[not_line]})
        warn(
            f"river network: {int(not_line.sum())} reach(es) are not lines ({', '.join(kinds)}); "
            "their geometry is ignored"
        )
        geoms[not_line] = None
    if no_geom.any():
        warn(
            f"river network: {int(no_geom.sum())} reach(es) have no geometry "
            f"(HYRIV_ID {_some(out['reach_id'][no_geom])}); they stay in the NEXT_DOWN chain, "
            "but no site can join them and their countries are unknown"
        )
    return geoms, no_geom, not_line


def _read_lengths(
    out: pd.DataFrame,
    cols: dict[str, str],
    geoms: np.ndarray,
    no_line: np.ndarray,
    warn: Callable[[str], None],
) -> np.ndarray:
    """Set ``length_km``: LENGTH_KM, or the WGS84 geodesic length where it is missing."""
    length = _number_column(out["length_km"], cols["LENGTH_KM"], missing_ok=True)
    bad = ~np.isfinite(length.fillna(0.0)) | (length < 0)
    if bad.any():
        raise GeodataError(
            f"{cols['LENGTH_KM']} must be a length >= 0 (km); got "
            f"{_some(length[bad])} at HYRIV_ID {_some(out['reach_id'][bad])}"
        )
    unknown = length.isna().to_numpy()
    if unknown.any():
        fill = unknown & ~no_line
        length[fill] = _geodesic_length_km(geoms[fill])
        if (unknown & ~fill).any():
            raise GeodataError(
                f"{cols['LENGTH_KM']} is missing for reaches without a line geometry: "
                f"HYRIV_ID {_some(out['reach_id'][unknown & ~fill])}"
            )
        warn(
            f"river network: {int(unknown.sum())} reach(es) have no {cols['LENGTH_KM']}; "
            "measured from their geometry (WGS84 geodesic)"
        )
    out["length_km"] = length.astype(float)
    return unknown


def _read_attributes(out: pd.DataFrame, rivers: gpd.GeoDataFrame) -> bool:
    """Hydrology, closed-basin flag and names; whether the layer has ENDORHEIC."""
    for c in ("upland_skm", "dis_av_cms"):
        out[c] = (
            _number_column(out[c], c.upper(), missing_ok=True).astype(float) if c in out else np.nan
        )
    has_endo = "endorheic" in out
    out["endorheic"] = out["endorheic"].fillna(0).astype(bool) if has_endo else False
    name_col = _find_column(rivers.columns, *_NAME_FIELDS)
    out["name"] = [_norm_name(v) for v in rivers[name_col].to_numpy()] if name_col else ""
    out["name"] = out["name"].astype(str)
    return has_endo


def _cut_at_extract_edge(reaches: gpd.GeoDataFrame, warn: Callable[[str], None]) -> np.ndarray:
    """End the network where NEXT_DOWN names a reach missing from the layer."""
    ids = reaches["reach_id"].to_numpy()
    nd = reaches["next_down"].to_numpy()
    pos = pd.Index(ids).get_indexer(nd)
    edge = (nd > 0) & (pos < 0)
    if edge.any():
        warn(
            f"river network: {int(edge.sum())} reach(es) drain to NEXT_DOWN ids missing from "
            f"the layer ({_some(np.unique(nd[edge]))}; the edge of an extract?): "
            "traces end there"
        )
    reaches.loc[edge, "next_down"] = 0
    return edge


def _hydro_sinks(
    reaches: gpd.GeoDataFrame,
    outlet: np.ndarray,
    edge: np.ndarray,
    has_endo: bool,
    borders: gpd.GeoDataFrame | None,
    lakes: gpd.GeoDataFrame | None,
    *,
    coast_m: float,
    lake_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Kind and name of each outlet: edge, endorheic (ENDORHEIC), else from borders/lakes."""
    sink = np.full(len(reaches), "", dtype=object)
    sink_name = np.full(len(reaches), "", dtype=object)
    sink[outlet] = "outlet"
    sink[edge] = "edge"
    if has_endo:
        sink[outlet & ~edge & reaches["endorheic"].to_numpy()] = "endorheic"
    if (borders is not None or lakes is not None) and (outlet & ~edge).any():
        sel = np.flatnonzero(outlet & ~edge)
        ends = shapely.get_point(reaches.geometry.to_numpy()[sel], -1)
        kind, nm = _classify_points(
            shapely.get_x(ends),
            shapely.get_y(ends),
            borders,
            lakes,
            coast_m=coast_m,
            lake_m=lake_m,
            endorheic_lakes=ENDORHEIC_LAKES,
            endorheic_seas=ENDORHEIC_SEAS,
        )
        # with land polygons, an outlet at no coast, lake or closed basin is where the
        # data stop (a clipped extract), not a proven end of the river
        kind = np.where(kind == "", "edge" if borders is not None else "outlet", kind)
        keep = sink[sel] == "endorheic"
        sink[sel] = np.where(keep, "endorheic", kind)
        sink_name[sel] = nm
    return sink, sink_name
