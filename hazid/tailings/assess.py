"""One call from a facility table to the tailings pathway, and run-out zones for maps.

:func:`assess_tailings` chains validation, dam break, river entry, the
downstream trace and the ranking, and lists in ``warnings`` what could not be
assessed and why (never skipped silently). :func:`runout_zones` draws the
run-out distance around each dam as a polygon for maps: a circle of that radius
on the sphere (a buffer in a local azimuthal equidistant projection centred on
the dam), an envelope of where the tailings could go, not a flow path.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from hazid.tailings.facilities import read_facilities
from hazid.tailings.index import hazard_inputs, rank_facilities
from hazid.tailings.release import DEFAULT_RUNOUT_RELATION, DEFAULT_VOLUME_RELATION, dam_break
from hazid.tailings.river import released_contaminants, trace_tailings

logger = logging.getLogger(__name__)

__all__ = ["TailingsResults", "assess_tailings", "runout_zones"]


@dataclass
class TailingsResults:
    """Everything :func:`assess_tailings` found.

    Attributes
    ----------
    facilities : pandas.DataFrame
        The validated facility table.
    breaks : pandas.DataFrame
        Released volume and run-out per facility (:func:`~hazid.tailings.release.dam_break`).
    masses : pandas.DataFrame
        Released contaminant masses (:func:`~hazid.tailings.river.released_contaminants`).
    ranking : pandas.DataFrame
        Hazard-index inputs ranked by Pareto dominance.
    connections : pandas.DataFrame or None
        River entry per facility; None without a network.
    affected : pandas.DataFrame or None
        Affected Parties through the ``tailings`` pathway; None without a network.
    warnings : list of str
        What was not assessed, and why.
    """

    facilities: pd.DataFrame
    breaks: pd.DataFrame
    masses: pd.DataFrame
    ranking: pd.DataFrame
    connections: pd.DataFrame | None = None
    affected: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def assess_tailings(
    facilities: pd.DataFrame | str | os.PathLike[str],
    *,
    network: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    volume_relation: str = DEFAULT_VOLUME_RELATION,
    runout_relation: str = DEFAULT_RUNOUT_RELATION,
    allow_unverified: bool = False,
    sigma_log10: float | None = None,
    search_km: float = 50.0,
    **trace_options: Any,
) -> TailingsResults:
    """Assess a facility table from the dam break to the affected Parties.

    Parameters
    ----------
    facilities : pandas.DataFrame or path
        Facility table (see :mod:`hazid.tailings.facilities`).
    network : geopandas.GeoDataFrame, optional
        Reach table from :func:`hazid.build_network`; without it (or without
        ``borders``) the river pathway is not assessed, and a warning says so.
    borders : geopandas.GeoDataFrame, optional
        Countries with ``iso_a3``.
    volume_relation, runout_relation, allow_unverified, sigma_log10
        See :func:`hazid.tailings.release.dam_break`.
    search_km : float
        See :func:`hazid.tailings.river.runout_to_river`.
    **trace_options
        Passed to :func:`hazid.trace_water`.

    Returns
    -------
    TailingsResults

    Raises
    ------
    TailingsError
        The facility table is invalid (every problem listed).
    RelationError
        The released-volume relation is refused.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"facility_id": ["a"], "lat": [41.0], "lon": [72.0],
    ...     "tailings_volume_m3": [1e6], "dam_height_m": [20], "status": ["legacy"]})
    >>> res = assess_tailings(t)
    >>> [w.split(":")[0] for w in res.warnings]
    ['run-out not assessed for 1 facility', 'tailings pathway not assessed']
    """
    table = read_facilities(facilities)
    breaks = dam_break(
        table,
        volume_relation=volume_relation,
        runout_relation=runout_relation,
        allow_unverified=allow_unverified,
        sigma_log10=sigma_log10,
    )
    res = TailingsResults(
        facilities=table,
        breaks=breaks,
        masses=released_contaminants(table, breaks),
        ranking=rank_facilities(hazard_inputs(table)),
    )
    missing = breaks["runout_km"].isna().to_numpy()
    if missing.any():
        why = breaks.loc[missing, "note"].iloc[0]
        n = int(missing.sum())
        res.warnings.append(
            f"run-out not assessed for {n} facilit{'y' if n == 1 else 'ies'}: {why}"
        )
    if network is None or borders is None:
        what = "no river network" if network is None else "no country borders"
        res.warnings.append(f"tailings pathway not assessed: {what}")
        return res
    res.affected, res.connections = trace_tailings(
        table, network, borders, breaks, search_km=search_km, **trace_options
    )
    open_ = res.connections["reaches_river"].isna().to_numpy()
    if open_.any():
        ids = ", ".join(res.connections.loc[open_, "facility_id"])
        res.warnings.append(f"tailings pathway not assessed (no run-out) for: {ids}")
    logger.info("tailings: %d affected-Party rows", len(res.affected))
    return res


def runout_zones(facilities: pd.DataFrame, breaks: pd.DataFrame) -> gpd.GeoDataFrame:
    """Circles of the run-out distance around each dam, for maps.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities (``facility_id``, ``lat``, ``lon``).
    breaks : pandas.DataFrame
        From :func:`hazid.tailings.release.dam_break` (``runout_km``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``facility_id``, ``runout_km``, ``pathway`` (``"tailings"``) and the
        circle (EPSG:4326; empty geometry where the run-out is not assessed).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["a"], "lat": [41.0], "lon": [72.0]})
    >>> z = runout_zones(f, pd.DataFrame({"facility_id": ["a"], "runout_km": [10.0]}))
    >>> round(float(z.to_crs("+proj=aeqd +lat_0=41 +lon_0=72").area.iloc[0] / 1e6))
    314
    """
    run = breaks.set_index("facility_id")["runout_km"]
    geoms = []
    radii = []
    rows = zip(facilities["facility_id"], facilities["lat"], facilities["lon"], strict=True)
    for fid, lat, lon in rows:
        r = float(run.get(str(fid), np.nan))
        radii.append(r)
        if not (np.isfinite(r) and r > 0):
            geoms.append(shapely.Polygon())
            continue
        local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +R=6371008.8 +units=m")
        back = Transformer.from_crs(local, 4326, always_xy=True)
        ring = shapely.Point(0.0, 0.0).buffer(r * 1000.0, quad_segs=16)
        geoms.append(
            shapely.transform(ring, lambda xy, t=back: np.column_stack(t.transform(*xy.T)))
        )
    return gpd.GeoDataFrame(
        {
            "facility_id": facilities["facility_id"].astype(str).to_numpy(),
            "runout_km": radii,
            "pathway": "tailings",
        },
        geometry=geoms,
        crs=4326,
    )
