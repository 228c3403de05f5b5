"""Hydraulics of each reach: mean discharge, Jobson velocities, travel times, lake delays.

Mean discharge comes from the network (HydroRIVERS ``DIS_AV_CMS``) or, where it
is missing, from the drainage area (``UPLAND_SKM``) times a mean runoff depth
(sourced table ``hazid/data/rivers/v1/runoff.csv``, or ``runoff_mm``). Plain-line
networks (Natural Earth) have no drainage area: there it is estimated from the
longest river course upstream (``upstream_km``, :func:`hazid.rivers.lines.network_from_lines`)
by inverting Hack's (1957) law, and flagged as such (:func:`hack_area_km2`). With
discharge and drainage area, Jobson's (1996) peak velocity Vp gives the time of
the peak and the maximum probable velocity Vmp the earliest arrival of the
leading edge (0.89 of the peak travel time at Vmp). Reaches with neither keep a
stated flat velocity, as does every reach with ``velocity="flat"``.

A lake or reservoir of known volume V on the path holds the spill for its
residence time V / Q (added at its outlet reach to both times) and mixes it
into its volume: downstream, the peak concentration is at most M / V. The
residence time is not added where the discharge is a Hack's-law estimate (biased
low, it would make V / Q too long, i.e. the arrival too late).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from hazid.rivers.data import runoff_depths
from hazid.rivers.graph import _Net
from hazid.rivers.transport import jobson_peak_concentration, jobson_unit_peak, jobson_velocity

SECONDS_PER_YEAR = 31_557_600.0
"""Seconds in a Julian year (365.25 days), to turn mm/yr of runoff into m3/s."""

HACK_COEFFICIENT_MI = 1.4
"""Hack's (1957) coefficient C in L = C A^h, L in miles and A in square miles.

Hack, J.T. (1957) Studies of longitudinal stream profiles in Virginia and
Maryland, USGS Professional Paper 294-B, section "Relation of stream length to
drainage area" (p. 63): L = 1.4 A^0.6, L the length of the longest stream
measured along the channel to the divide.
"""

HACK_EXPONENT = 0.6
"""Hack's (1957) exponent h in L = C A^h (same source as :data:`HACK_COEFFICIENT_MI`)."""

KM_PER_MILE = 1.609344
"""Kilometres in an international mile (exact)."""

SOURCE_DISCHARGE = "discharge"
SOURCE_AREA = "drainage area"
SOURCE_HACK = "drainage area (Hack's law from upstream length)"
"""Discharge sources of a reach: the network's discharge, its drainage area times
runoff, or a drainage area estimated from the longest course upstream."""

#: The sources by code (0: none), as :func:`_discharge` gives them; a code array indexes it.
_SOURCES = np.array(["", SOURCE_DISCHARGE, SOURCE_AREA, SOURCE_HACK])
_NO_SOURCE, _CODE_DISCHARGE, _CODE_AREA, _CODE_HACK = 0, 1, 2, 3

HACK_NOTE = "discharge estimated from the river length upstream (Hack's law)"
"""Water note of a result whose discharge (and so times and peak) rests on :data:`SOURCE_HACK`."""


def hack_area_km2(length_km: Any) -> np.ndarray:
    """Drainage area (km2) of a river whose longest course upstream is ``length_km``.

    Hack's law L = 1.4 A^0.6 (miles, square miles; Hack 1957, USGS Prof. Paper
    294-B) inverted: A = (L / 1.4)^(1 / 0.6). An estimate for networks without
    drainage area. It is biased low where the network omits headwaters (the
    course is measured from the first drawn reach, not from the divide) and for
    large basins, whose length grows more slowly than A^0.6
    (``docs/validation_rivers.md``: on HydroRIVERS in Turkey the estimate is
    compared with ``UPLAND_SKM``).

    Parameters
    ----------
    length_km : array_like
        Longest river length upstream (km).

    Returns
    -------
    numpy.ndarray
        Drainage area (km2); NaN where the length is not positive.

    Examples
    --------
    >>> round(float(hack_area_km2(1.4 * KM_PER_MILE)), 4)  # one square mile
    2.59
    """
    length_mi = np.asarray(length_km, dtype=float) / KM_PER_MILE
    with np.errstate(invalid="ignore"):
        area_mi2 = (length_mi / HACK_COEFFICIENT_MI) ** (1.0 / HACK_EXPONENT)
    return np.where(length_mi > 0, area_mi2 * KM_PER_MILE**2, np.nan)


def mean_discharge(
    reaches: gpd.GeoDataFrame, *, runoff_mm: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean annual discharge (m3/s), drainage area (m2) and the source of the discharge.

    ``DIS_AV_CMS`` where the network has it; else ``UPLAND_SKM`` times the mean
    runoff depth (``runoff_mm``, else the sourced table: the exorheic mean,
    or the interior-drainage mean for reaches draining to a closed basin);
    else, on networks with ``upstream_km`` (plain lines), the drainage area
    estimated by :func:`hack_area_km2` times the runoff depth.

    Parameters
    ----------
    reaches : geopandas.GeoDataFrame
        Reach table (``dis_av_cms``, ``upland_skm``, ``upstream_km``,
        ``endorheic`` if present).
    runoff_mm : float, optional
        Runoff depth (mm/yr) for every reach, overriding the table.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Discharge Qa (NaN where unknown), drainage area (NaN where unknown) and
        the source per reach: :data:`SOURCE_DISCHARGE`, :data:`SOURCE_AREA`,
        :data:`SOURCE_HACK` or ``""``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> r = gpd.GeoDataFrame({"dis_av_cms": [5.0, float("nan"), float("nan")],
    ...                       "upland_skm": [400.0, 1000.0, float("nan")],
    ...                       "upstream_km": [50.0, 60.0, 1.4 * KM_PER_MILE]},
    ...                      geometry=[None] * 3)
    >>> qa, da, src = mean_discharge(r, runoff_mm=315.576)
    >>> qa.round(3).tolist()
    [5.0, 10.0, 0.026]
    >>> src.tolist()[:2]
    ['discharge', 'drainage area']
    >>> str(src[2])
    "drainage area (Hack's law from upstream length)"
    """
    qa, da, code = _discharge(reaches, runoff_mm=runoff_mm)
    return qa, da, _SOURCES[code]


def _discharge(
    reaches: gpd.GeoDataFrame, *, runoff_mm: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mean_discharge`, with the source of each reach as a code into :data:`_SOURCES`.

    A million reaches' sources as text take a million times the longest source's width;
    as codes, a byte each.
    """
    n = len(reaches)
    nan = np.full(n, np.nan)
    qa = reaches["dis_av_cms"].to_numpy(dtype=float) if "dis_av_cms" in reaches else nan
    da_km2 = reaches["upland_skm"].to_numpy(dtype=float) if "upland_skm" in reaches else nan
    hack = ~(np.isfinite(da_km2) & (da_km2 > 0))
    if "upstream_km" in reaches:
        hack &= np.isfinite(reaches["upstream_km"].to_numpy(dtype=float))
        da_km2 = np.where(hack, hack_area_km2(reaches["upstream_km"]), da_km2)
    else:
        hack[:] = False
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
    code = np.where(hack, _CODE_HACK, _CODE_AREA).astype(np.int8)
    code[~has_a] = _NO_SOURCE
    code[has_q] = _CODE_DISCHARGE
    return np.where(has_q, qa, np.where(has_a, from_area, np.nan)), da_km2 * 1e6, code


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
    source_code: np.ndarray  # into _SOURCES
    t_h: np.ndarray
    t_pk: np.ndarray
    cum_km: np.ndarray
    cum_h: np.ndarray
    cum_pk: np.ndarray
    decay_per_h: float

    def source(self, pos: np.ndarray) -> np.ndarray:
        """Return the source of the discharge (:func:`mean_discharge`) at reaches ``pos``."""
        return _SOURCES[self.source_code[pos]]

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
    qa, da, code = _discharge(reaches, runoff_mm=runoff_mm)
    q = qa * flow_factor
    if velocity == "flat":
        v_mp = v_p = np.full(net.n, np.nan)
    else:
        v_mp = jobson_velocity(q, qa, da, kind="max_probable")
        v_p = jobson_velocity(q, qa, da, kind="peak")
    hydro = np.isfinite(v_mp) & np.isfinite(v_p)
    # the source of the discharge, which sets the peak concentration even at the flat velocity
    code = np.where(np.isfinite(q) & (q > 0), code, np.int8(_NO_SOURCE))
    v_mp = np.where(hydro, v_mp, default_velocity_ms)
    v_p = np.where(hydro, v_p, default_velocity_ms)
    # a discharge estimated by Hack's law is biased low: V / Q would delay the spill too long
    delay = _lake_delay_h(reaches, np.where(code == _CODE_HACK, np.nan, q))
    t_h = length_km * 1000.0 / v_mp / 3600.0 + delay
    t_pk = length_km * 1000.0 / v_p / 3600.0 + delay
    return _Hydraulics(
        length_km=length_km,
        q=q,
        qa=qa,
        hydro=np.isfinite(q) & (q > 0),
        source_code=code,
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
