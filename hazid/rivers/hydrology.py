"""Hydraulics of each reach: mean discharge, Jobson velocities, travel times, lake delays.

Mean discharge comes from the network (HydroRIVERS ``DIS_AV_CMS``) or, where it
is missing, from the drainage area (``UPLAND_SKM``) times a mean runoff depth
(sourced table ``hazid/data/rivers/v1/runoff.csv``, or ``runoff_mm``). With
discharge and drainage area, Jobson's (1996) peak velocity Vp gives the time of
the peak and the maximum probable velocity Vmp the earliest arrival of the
leading edge (0.89 of the peak travel time at Vmp). Reaches with neither keep a
stated flat velocity, as does every reach with ``velocity="flat"``.

A lake or reservoir of known volume V on the path holds the spill for its
residence time V / Q (added at its outlet reach to both times) and mixes it
into its volume: downstream, the peak concentration is at most M / V.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from hazid.rivers.data import runoff_depths
from hazid.rivers.graph import _Net
from hazid.rivers.transport import jobson_peak_concentration, jobson_unit_peak, jobson_velocity

SECONDS_PER_YEAR = 31_557_600.0
"""Seconds in a Julian year (365.25 days), to turn mm/yr of runoff into m3/s."""


def mean_discharge(
    reaches: gpd.GeoDataFrame, *, runoff_mm: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean annual discharge (m3/s), drainage area (m2) and the source of the discharge.

    ``DIS_AV_CMS`` where the network has it; else ``UPLAND_SKM`` times the mean
    runoff depth (``runoff_mm``, else the sourced table: the exorheic mean,
    or the interior-drainage mean for reaches draining to a closed basin).

    Parameters
    ----------
    reaches : geopandas.GeoDataFrame
        Reach table (``dis_av_cms``, ``upland_skm``, ``endorheic`` if present).
    runoff_mm : float, optional
        Runoff depth (mm/yr) for every reach, overriding the table.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Discharge Qa (NaN where unknown), drainage area (NaN where unknown) and
        ``"discharge"``, ``"drainage area"`` or ``""`` per reach.

    Examples
    --------
    >>> import geopandas as gpd
    >>> r = gpd.GeoDataFrame({"dis_av_cms": [5.0, float("nan")],
    ...                       "upland_skm": [400.0, 1000.0]}, geometry=[None, None])
    >>> qa, da, src = mean_discharge(r, runoff_mm=315.576)
    >>> qa.round(3).tolist(), src.tolist()
    ([5.0, 10.0], ['discharge', 'drainage area'])
    """
    n = len(reaches)
    nan = np.full(n, np.nan)
    qa = reaches["dis_av_cms"].to_numpy(dtype=float) if "dis_av_cms" in reaches else nan
    da_km2 = reaches["upland_skm"].to_numpy(dtype=float) if "upland_skm" in reaches else nan
    if runoff_mm is None:
        table = runoff_depths()
        endo = (
            reaches["endorheic"].fillna(False).to_numpy(dtype=bool)
            if "endorheic" in reaches
            else np.zeros(n, dtype=bool)
        )
        depth = np.where(endo, table["endorheic"], table["exorheic"])
    else:
        depth = np.full(n, float(runoff_mm))
    from_area = da_km2 * 1e6 * depth / 1000.0 / SECONDS_PER_YEAR
    has_q = np.isfinite(qa) & (qa > 0)
    has_a = np.isfinite(from_area) & (from_area > 0)
    source = np.where(has_q, "discharge", np.where(has_a, "drainage area", ""))
    return np.where(has_q, qa, np.where(has_a, from_area, np.nan)), da_km2 * 1e6, source


@dataclass
class _Hydraulics:
    """Per-reach transport: discharge, arrival and peak travel times, distances to the outlet.

    ``t_h`` / ``cum_h`` time the leading edge's reference (peak at Vmp; the
    leading edge arrives at 0.89 of it), ``t_pk`` / ``cum_pk`` the peak (Vp).
    """

    length_km: np.ndarray
    q: np.ndarray
    qa: np.ndarray
    hydro: np.ndarray
    source: np.ndarray
    t_h: np.ndarray
    t_pk: np.ndarray
    cum_km: np.ndarray
    cum_h: np.ndarray
    cum_pk: np.ndarray
    decay_per_h: float

    def peak_mg_l(self, tp: np.ndarray, pos: np.ndarray, mass: np.ndarray) -> np.ndarray:
        """Jobson peak (mg/L) at reach ``pos`` after ``tp`` hours, with first-order decay."""
        cup = jobson_unit_peak(tp, self.q[pos], self.qa[pos])
        c = jobson_peak_concentration(mass, self.q[pos], cup) * 1000.0
        return np.where(self.hydro[pos], c, np.nan) * np.exp(-self.decay_per_h * tp)


def _reach_hydraulics(
    reaches: gpd.GeoDataFrame,
    net: _Net,
    *,
    velocity: str,
    flow_factor: float,
    default_velocity_ms: float,
    decay_per_h: float,
    runoff_mm: float | None,
) -> _Hydraulics:
    """Jobson velocities where discharge is known or estimated, else the flat velocity."""
    length_km = reaches["length_km"].to_numpy(dtype=float)
    qa, da, source = mean_discharge(reaches, runoff_mm=runoff_mm)
    q = qa * flow_factor
    if velocity == "flat":
        v_mp = v_p = np.full(net.n, np.nan)
    else:
        v_mp = jobson_velocity(q, qa, da, kind="max_probable")
        v_p = jobson_velocity(q, qa, da, kind="peak")
    hydro = np.isfinite(v_mp) & np.isfinite(v_p)
    source = np.where(hydro, source, "")
    v_mp = np.where(hydro, v_mp, default_velocity_ms)
    v_p = np.where(hydro, v_p, default_velocity_ms)
    delay = _lake_delay_h(reaches, q)
    t_h = length_km * 1000.0 / v_mp / 3600.0 + delay
    t_pk = length_km * 1000.0 / v_p / 3600.0 + delay
    return _Hydraulics(
        length_km=length_km,
        q=q,
        qa=qa,
        hydro=np.isfinite(q) & (q > 0),
        source=source,
        t_h=t_h,
        t_pk=t_pk,
        cum_km=net.accumulate(length_km),  # upstream end of reach -> outlet
        cum_h=net.accumulate(t_h),
        cum_pk=net.accumulate(t_pk),
        decay_per_h=decay_per_h,
    )


def _lake_delay_h(reaches: gpd.GeoDataFrame, q: np.ndarray) -> np.ndarray:
    """Residence time V / Q (h) of a lake of known volume, at its outlet reach; 0 elsewhere."""
    n = len(reaches)
    if "lake_volume_km3" not in reaches or "lake_outlet" not in reaches:
        return np.zeros(n)
    vol = reaches["lake_volume_km3"].to_numpy(dtype=float) * 1e9
    at = reaches["lake_outlet"].fillna(False).to_numpy(dtype=bool) & np.isfinite(vol)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = vol / q / 3600.0
    return np.where(at & np.isfinite(d) & (d > 0), d, 0.0)
