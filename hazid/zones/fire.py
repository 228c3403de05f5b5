"""Fire: pool fire to 5 kW/m2 and BLEVE fireball to a 5 kW/m2-for-40-s dose (EPA RMP guidance)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hazid.zones._base import _result

#: Thermal radiation endpoint, W/m2 (5 kW/m2 for 40 s).
FLUX_ENDPOINT_W_M2 = 5000.0
#: Exposure time behind the fireball dose endpoint, s.
FIREBALL_EXPOSURE_S = 40.0
#: Ambient temperature of the worst case, K (25 C).
AMBIENT_K = 298.15
#: Fuel mass from which the large-fireball duration correlation applies, kg (CCPS 1994).
FIREBALL_LARGE_KG = 30_000.0


def pool_fire_distance_m(
    area_m2: Any,
    heat_of_combustion_kj_kg: Any,
    heat_of_vaporisation_kj_kg: Any,
    heat_capacity_kj_kg_k: Any,
    boiling_point_k: Any,
    *,
    ambient_k: float = AMBIENT_K,
    flux_w_m2: float = FLUX_ENDPOINT_W_M2,
) -> Any:
    """Distance to a radiant heat flux from a pool fire (point source, RMP guidance).

    ``X = Hc * sqrt(1e-4 * A / (q * pi * (Hv + Cp * (Tb - Ta))))`` with ``Hc`` and
    ``Hv`` in J/kg, ``Cp`` in J/kg/K; the constant 1e-4 (kg/m2/s per J/kg) is the
    burning-rate factor and includes a radiative fraction of 0.4. For a liquid
    boiling below ambient temperature the sensible-heat term is taken as zero.

    Parameters
    ----------
    area_m2 : array_like
        Pool area, m2 (see :func:`hazid.zones.pool_area_m2`).
    heat_of_combustion_kj_kg, heat_of_vaporisation_kj_kg : array_like
        kJ/kg.
    heat_capacity_kj_kg_k : array_like
        Liquid heat capacity, kJ/kg/K.
    boiling_point_k : array_like
        Normal boiling point, K.
    ambient_k : float, default 298.15
        Ambient temperature, K.
    flux_w_m2 : float, default 5000
        Radiant flux endpoint, W/m2.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Distance in metres.

    Examples
    --------
    >>> from hazid.zones import pool_area_m2
    >>> area = pool_area_m2(4536, 684)   # n-heptane, 1 cm deep
    >>> round(float(pool_fire_distance_m(area, 44600, 317, 2.24, 371.6)))
    132
    """
    a = np.asarray(area_m2, dtype=float)
    hc = np.asarray(heat_of_combustion_kj_kg, dtype=float) * 1e3
    hv = np.asarray(heat_of_vaporisation_kj_kg, dtype=float) * 1e3
    cp = np.asarray(heat_capacity_kj_kg_k, dtype=float) * 1e3
    dt = np.maximum(np.asarray(boiling_point_k, dtype=float) - ambient_k, 0.0)
    x = hc * np.sqrt(1e-4 * a / (flux_w_m2 * np.pi * (hv + cp * dt)))
    return _result(np.asarray(x))


def fireball_duration_s(mass_kg: Any) -> Any:
    """Duration of a BLEVE fireball, seconds.

    ``t = 0.45 m^(1/3)`` for ``m`` below 30,000 kg and ``t = 2.6 m^(1/6)`` from
    30,000 kg up (CCPS, *Guidelines for Evaluating the Characteristics of Vapor Cloud
    Explosions, Flash Fires, and BLEVEs*, 1994; the same pair in the TNO Yellow Book).

    Parameters
    ----------
    mass_kg : array_like
        Mass of fuel in the fireball, kg.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Duration in seconds.

    Examples
    --------
    >>> round(float(fireball_duration_s(4536)), 2)
    7.45
    >>> fireball_duration_s([1e6]).round(1)   # 1,000 t: 26 s (0.45 m^(1/3) would give 45 s)
    array([26.])
    """
    m = np.asarray(mass_kg, dtype=float)
    with np.errstate(invalid="ignore"):
        t = np.where(m < FIREBALL_LARGE_KG, 0.45 * np.cbrt(m), 2.6 * np.sqrt(np.cbrt(m)))
    return _result(np.asarray(t))


def fireball_distance_m(
    mass_kg: Any,
    heat_of_combustion_kj_kg: Any,
    *,
    radiative_fraction: float = 0.4,
    flux_w_m2: float = FLUX_ENDPOINT_W_M2,
    exposure_s: float = FIREBALL_EXPOSURE_S,
) -> Any:
    """Distance to a ``flux_w_m2``-for-``exposure_s`` thermal dose from a fireball.

    The fireball lasts ``t`` s (:func:`fireball_duration_s`: ``0.45 m^(1/3)``, from
    30 t ``2.6 m^(1/6)``); the dose-equivalent flux over that
    time is ``q = 5000 * (40 / t) ** (3/4)`` W/m2 and
    ``X = sqrt(2.2 * R * Hc * m^(2/3) / (4 * pi * q))`` (``Hc`` in J/kg).

    Parameters
    ----------
    mass_kg : array_like
        Mass of fuel, kg (worst case: the whole inventory).
    heat_of_combustion_kj_kg : array_like
        kJ/kg.
    radiative_fraction : float, default 0.4
        Fraction of the combustion energy radiated (0.3 to 0.4 in the literature).
    flux_w_m2 : float, default 5000
        Flux endpoint for ``exposure_s`` seconds, W/m2.
    exposure_s : float, default 40
        Exposure time of the endpoint, s.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Distance in metres.

    Examples
    --------
    >>> round(float(fireball_distance_m(4536, 46333, radiative_fraction=0.3)))
    194
    >>> round(float(fireball_distance_m(4536, 46333, radiative_fraction=0.4)))
    225
    """
    m = np.asarray(mass_kg, dtype=float)
    hc = np.asarray(heat_of_combustion_kj_kg, dtype=float) * 1e3
    t = np.asarray(fireball_duration_s(m))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = flux_w_m2 * (exposure_s / t) ** 0.75
        x = np.sqrt(2.2 * radiative_fraction * hc * np.cbrt(m) ** 2 / (4.0 * np.pi * q))
    x = np.where(m > 0, x, np.where(m == 0, 0.0, np.nan))
    return _result(np.asarray(x))
