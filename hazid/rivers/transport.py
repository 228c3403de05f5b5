"""Transport screening formulas: Jobson (1996) travel time and peak, advection-dispersion.

The USGS screening method of Jobson (1996) gives the velocity of the peak
(and the maximum probable velocity) from discharge and drainage area, the
leading-edge arrival and the unit peak concentration; Fischer et al. (1979)
give the longitudinal dispersion coefficient of the advection-dispersion
solution for an instantaneous, cross-sectionally mixed spill.

References
----------
Jobson, H.E. (1996). Prediction of traveltime and longitudinal dispersion in
rivers and streams. USGS Water-Resources Investigations Report 96-4013.

Fischer, H.B. et al. (1979). Mixing in Inland and Coastal Waters. Academic Press.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import check_choice

logger = logging.getLogger(__name__)


GRAVITY = 9.80665
"""Standard gravity (m/s2) used in Jobson's dimensionless drainage area."""


LEADING_EDGE_FACTOR = 0.89
"""Leading-edge arrival as a fraction of the peak travel time (Jobson 1996)."""


DEFAULT_VELOCITY_MS = 1.0
"""Velocity (m/s) used where a network carries no discharge or drainage area.

1 m/s is faster than the mean-flow plume speeds observed on the Elbe
(830 km in 14 days, 0.69 m/s) and after the Baia Mare spill (800 km in
13.5 days, 0.69 m/s), and close to high-flow speeds (Elbe 830 km in 7 days,
1.37 m/s; Rhine, Basel to the Dutch border in about a week, about 1.2 m/s):
a screening choice that errs towards early arrival.
"""


def jobson_velocity(
    discharge_cms: Any,
    mean_discharge_cms: Any,
    drainage_area_m2: Any,
    *,
    kind: str = "peak",
) -> np.ndarray:
    """Velocity of the peak concentration after Jobson (1996).

    With the dimensionless drainage area ``D'a = Da**1.25 * sqrt(g) / Qa`` and
    relative discharge ``Q'a = Q / Qa``::

        Vp  = 0.02 + 0.051 * D'a**0.821 * Q'a**-0.465 * Q / Da   (kind="peak")
        Vmp = 0.2  + 0.093 * D'a**0.821 * Q'a**-0.465 * Q / Da   (kind="max_probable")

    ``Vmp``, the maximum probable velocity, is Jobson's upper envelope and the
    worst case for arrival times.

    Parameters
    ----------
    discharge_cms : array_like
        Discharge Q at the time of the spill (m3/s).
    mean_discharge_cms : array_like
        Mean annual discharge Qa (m3/s).
    drainage_area_m2 : array_like
        Drainage area Da (m2).
    kind : {"peak", "max_probable"}
        Which velocity.

    Returns
    -------
    numpy.ndarray
        Velocity (m/s); NaN where an input is not positive.

    Examples
    --------
    >>> round(float(jobson_velocity(1068.0, 730.0, 48_000e6)), 2)
    1.01
    """
    check_choice("kind", kind, ["peak", "max_probable"])
    q = np.asarray(discharge_cms, dtype=float)
    qa = np.asarray(mean_discharge_cms, dtype=float)
    da = np.asarray(drainage_area_m2, dtype=float)
    ok = (q > 0) & (qa > 0) & (da > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dpa = da**1.25 * math.sqrt(GRAVITY) / qa
        qpa = q / qa
        base, coef = (0.02, 0.051) if kind == "peak" else (0.2, 0.093)
        v = base + coef * dpa**0.821 * qpa**-0.465 * q / da
    return np.where(ok, v, np.nan)


def jobson_unit_peak(travel_h: Any, discharge_cms: Any, mean_discharge_cms: Any) -> np.ndarray:
    """Compute the unit peak concentration ``Cup = 857 * Tp**(-0.760 * Q'a**-0.079)``.

    After Jobson (1996).

    Parameters
    ----------
    travel_h : array_like
        Travel time of the peak, Tp (hours).
    discharge_cms, mean_discharge_cms : array_like
        Discharge Q and mean annual discharge Qa (m3/s).

    Returns
    -------
    numpy.ndarray
        Cup; NaN where Tp or a discharge is not positive.

    Examples
    --------
    >>> round(float(jobson_unit_peak(28.8, 1068.0, 730.0)), 1)
    71.9
    """
    tp = np.asarray(travel_h, dtype=float)
    q = np.asarray(discharge_cms, dtype=float)
    qa = np.asarray(mean_discharge_cms, dtype=float)
    ok = (tp > 0) & (q > 0) & (qa > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cup = 857.0 * tp ** (-0.760 * (q / qa) ** -0.079)
    return np.where(ok, cup, np.nan)


def jobson_peak_concentration(mass_kg: Any, discharge_cms: Any, unit_peak: Any) -> np.ndarray:
    """Peak concentration ``Cp = Cup * M / (1e6 * Q)`` in kg/m3 (Jobson 1996).

    Multiply by 1,000 for mg/L.

    Parameters
    ----------
    mass_kg : array_like
        Mass spilled M (kg).
    discharge_cms : array_like
        Discharge Q where the concentration is wanted (m3/s).
    unit_peak : array_like
        Unit peak concentration, see :func:`jobson_unit_peak`.

    Returns
    -------
    numpy.ndarray
        Peak concentration (kg/m3); NaN where Q is not positive.

    Examples
    --------
    >>> round(float(jobson_peak_concentration(1000.0, 1068.0, 71.9)) * 1000, 4)
    0.0673
    """
    m = np.asarray(mass_kg, dtype=float)
    q = np.asarray(discharge_cms, dtype=float)
    cup = np.asarray(unit_peak, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        cp = cup * m / (1e6 * q)
    return np.where(q > 0, cp, np.nan)


def jobson_reach(
    length_km: Any,
    discharge_cms: Any,
    mean_discharge_cms: Any,
    drainage_area_km2: Any,
    *,
    mass_kg: Any = np.nan,
    kind: str = "peak",
) -> pd.DataFrame:
    """Jobson (1996) travel time and peak concentration over a uniform reach.

    Parameters
    ----------
    length_km : array_like
        Distance downstream of the spill (km).
    discharge_cms, mean_discharge_cms : array_like
        Q and Qa (m3/s).
    drainage_area_km2 : array_like
        Drainage area Da (km2).
    mass_kg : array_like, optional
        Mass spilled (kg); the concentration is NaN without it.
    kind : {"peak", "max_probable"}
        Velocity used for the peak travel time.

    Returns
    -------
    pandas.DataFrame
        ``velocity_ms``, ``peak_h`` (Tp), ``leading_h`` (0.89 Tp),
        ``unit_peak`` (Cup) and ``peak_mg_l``.

    Examples
    --------
    >>> r = jobson_reach(104.8, 1068.0, 730.0, 48_000.0).iloc[0]
    >>> [round(float(r[c]), 2) for c in ("velocity_ms", "peak_h", "leading_h", "unit_peak")]
    [1.01, 28.8, 25.64, 71.88]
    """
    length_km, q, qa, da_km2, m = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(a, dtype=float))
            for a in (length_km, discharge_cms, mean_discharge_cms, drainage_area_km2, mass_kg)
        )
    )
    v = jobson_velocity(q, qa, da_km2 * 1e6, kind=kind)
    tp = length_km * 1000.0 / v / 3600.0
    cup = jobson_unit_peak(tp, q, qa)
    cp = jobson_peak_concentration(m, q, cup) * 1000.0
    return pd.DataFrame(
        {
            "velocity_ms": v,
            "peak_h": tp,
            "leading_h": LEADING_EDGE_FACTOR * tp,
            "unit_peak": cup,
            "peak_mg_l": cp,
        }
    )


def fischer_dispersion(
    velocity_ms: Any, width_m: Any, depth_m: Any, shear_velocity_ms: Any
) -> np.ndarray:
    """Longitudinal dispersion coefficient ``K = 0.011 u**2 B**2 / (h u*)`` (Fischer 1979).

    Parameters
    ----------
    velocity_ms : array_like
        Mean velocity u (m/s).
    width_m, depth_m : array_like
        Width B and depth h (m).
    shear_velocity_ms : array_like
        Shear velocity u* (m/s).

    Returns
    -------
    numpy.ndarray
        K (m2/s).

    Examples
    --------
    >>> round(float(fischer_dispersion(1.0, 200.0, 5.0, 0.1)), 1)
    880.0
    """
    u = np.asarray(velocity_ms, dtype=float)
    b = np.asarray(width_m, dtype=float)
    h = np.asarray(depth_m, dtype=float)
    us = np.asarray(shear_velocity_ms, dtype=float)
    return 0.011 * u**2 * b**2 / (h * us)


def ade_concentration(
    distance_m: Any,
    time_h: Any,
    *,
    mass_kg: float,
    discharge_cms: float,
    velocity_ms: float,
    dispersion_m2s: float,
    decay_per_h: float = 0.0,
) -> np.ndarray:
    """Concentration (kg/m3) of an instantaneous, cross-sectionally mixed spill.

    ``C(x, t) = M / (A sqrt(4 pi K t)) exp(-(x - u t)**2 / (4 K t) - k t)``
    with cross-section ``A = Q / u``.

    Parameters
    ----------
    distance_m : array_like
        Distance downstream x (m).
    time_h : array_like
        Time since the spill (h); zero or negative gives 0.
    mass_kg : float
        Mass spilled M (kg).
    discharge_cms : float
        Discharge Q (m3/s).
    velocity_ms : float
        Mean velocity u (m/s).
    dispersion_m2s : float
        Longitudinal dispersion coefficient K (m2/s).
    decay_per_h : float, optional
        First-order decay rate k (1/h).

    Returns
    -------
    numpy.ndarray
        Concentration (kg/m3).

    Examples
    --------
    >>> c = ade_concentration(100e3, 27.64, mass_kg=1000, discharge_cms=1000,
    ...                       velocity_ms=1.0, dispersion_m2s=500)
    >>> round(float(c) * 1000, 4)
    0.0399
    """
    x = np.asarray(distance_m, dtype=float)
    t = np.asarray(time_h, dtype=float) * 3600.0
    area = discharge_cms / velocity_ms
    k = decay_per_h / 3600.0
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (
            mass_kg
            / (area * np.sqrt(4 * math.pi * dispersion_m2s * t))
            * np.exp(-((x - velocity_ms * t) ** 2) / (4 * dispersion_m2s * t) - k * t)
        )
    return np.where(t > 0, c, 0.0)


def ade_peak(
    distance_m: Any,
    *,
    mass_kg: float,
    discharge_cms: float,
    velocity_ms: float,
    dispersion_m2s: float,
    decay_per_h: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Time (h) and value (mg/L) of the peak of :func:`ade_concentration` at a distance.

    Setting ``d ln C / dt = 0`` gives ``(u**2 + 4 K k) t**2 + 2 K t - x**2 = 0``,
    whose positive root is the peak time.

    Parameters
    ----------
    distance_m : array_like
        Distance downstream (m).
    mass_kg, discharge_cms, velocity_ms, dispersion_m2s, decay_per_h
        As in :func:`ade_concentration`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Peak time (h) and peak concentration (mg/L).

    Examples
    --------
    >>> t, c = ade_peak(100e3, mass_kg=1000, discharge_cms=1000, velocity_ms=1.0,
    ...                 dispersion_m2s=500)
    >>> round(float(t), 2), round(float(c), 4)
    (27.64, 0.0399)
    """
    x = np.asarray(distance_m, dtype=float)
    k = decay_per_h / 3600.0
    a = velocity_ms**2 + 4 * dispersion_m2s * k
    b = 2 * dispersion_m2s
    t = (-b + np.sqrt(b * b + 4 * a * x * x)) / (2 * a) / 3600.0
    c = ade_concentration(
        x,
        t,
        mass_kg=mass_kg,
        discharge_cms=discharge_cms,
        velocity_ms=velocity_ms,
        dispersion_m2s=dispersion_m2s,
        decay_per_h=decay_per_h,
    )
    return t, c * 1000.0
