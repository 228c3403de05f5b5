"""Source terms: how much of an inventory is released, how fast, over what area.

The worst case of the EPA RMP guidance (40 CFR 68.25; OCA guidance EPA 550-B-99-009):
the release quantity is the largest vessel; a toxic gas (or gas liquefied under
pressure or by refrigeration) is released whole over 10 minutes, times 0.55 inside a
building (passive mitigation); a liquid spreads to a 1 cm deep pool unless a bund
(dike) holds it, and evaporates at the OCA pool-evaporation rate; a solid gives no
air release.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hazid.zones._base import _result

#: Release-rate factor for a release inside a building (RMP passive mitigation).
INDOOR_FACTOR = 0.55
#: Storage states accepted in the inventory column ``storage``.
STORAGE_STATES = ("pressurised", "refrigerated", "atmospheric", "solution", "solid")
#: Duration of the worst-case release of a gas, minutes (40 CFR 68.25(c)).
GAS_RELEASE_MIN = 10.0
#: Gas constant, J/mol/K.
R_J_MOL_K = 8.314462618
#: Square feet per square metre.
FT2_PER_M2 = 10.7639104
#: Kilograms per pound.
KG_PER_LB = 0.45359237


def pool_area_m2(
    mass_kg: Any, density_kg_m3: Any, *, depth_m: float = 0.01, dike_area_m2: Any = None
) -> Any:
    """Area of a liquid pool spread to ``depth_m``, limited by a dike where given.

    Parameters
    ----------
    mass_kg : array_like
        Spilled mass, kg.
    density_kg_m3 : array_like
        Liquid density, kg/m3.
    depth_m : float, default 0.01
        Depth of the unconfined pool (RMP: 1 cm).
    dike_area_m2 : array_like, optional
        Area inside a dike, m2; NaN where there is none. The pool is the smaller
        of the dike area and the unconfined pool.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Pool area in m2.

    Examples
    --------
    >>> round(float(pool_area_m2(4536, 684)))
    663
    >>> pool_area_m2([4536, 4536], 684, dike_area_m2=[100.0, np.nan]).round()
    array([100., 663.])
    """
    area = np.asarray(mass_kg, dtype=float) / (np.asarray(density_kg_m3, dtype=float) * depth_m)
    if dike_area_m2 is not None:
        dike = np.broadcast_to(np.asarray(dike_area_m2, dtype=float), area.shape)
        area = np.where(np.isfinite(dike) & (dike > 0), np.fmin(area, dike), area)
    return _result(np.asarray(area))


def vapour_pressure_mmhg(
    boiling_point_k: Any, heat_of_vaporisation_kj_kg: Any, molecular_weight: Any, *, t_k=298.15
) -> Any:
    """Vapour pressure from the normal boiling point (Clausius-Clapeyron), mmHg.

    ``P = 760 exp(Hv MW / R (1/Tb - 1/T))`` with the heat of vaporisation at the
    boiling point taken as constant. The heat of vaporisation grows as the
    temperature falls, so for a liquid boiling above ``t_k`` this overestimates the
    vapour pressure (a conservative estimate of the evaporation rate).

    Parameters
    ----------
    boiling_point_k : array_like
        Normal boiling point, K.
    heat_of_vaporisation_kj_kg : array_like
        Heat of vaporisation at the boiling point, kJ/kg.
    molecular_weight : array_like
        g/mol.
    t_k : float, default 298.15
        Liquid temperature, K (25 C, the OCA worst case).

    Returns
    -------
    numpy.ndarray or numpy.float64
        Vapour pressure, mmHg.

    Examples
    --------
    n-Heptane (Tb 371.6 K, 317 kJ/kg, 100.2 g/mol; measured about 46 mmHg at 25 C):

    >>> round(float(vapour_pressure_mmhg(371.6, 317, 100.204)))
    60
    """
    tb = np.asarray(boiling_point_k, dtype=float)
    hv = np.asarray(heat_of_vaporisation_kj_kg, dtype=float)
    mw = np.asarray(molecular_weight, dtype=float)
    return _result(np.asarray(760.0 * np.exp(hv * mw / R_J_MOL_K * (1.0 / tb - 1.0 / t_k))))


def pool_evaporation_rate_kg_min(
    area_m2: Any, molecular_weight: Any, vapour_pressure_mmhg: Any, *, wind_m_s=1.5, t_k=298.15
) -> Any:
    """Evaporation rate of a pool (EPA OCA guidance, Appendix D), kg/min.

    ``QR [lb/min] = 0.284 U^0.78 MW^(2/3) A [ft2] VP [mmHg] / (82.05 T)``: EPA's
    *Technical Guidance for Hazards Analysis* equation with the MacKay-Matsugu mass
    transfer coefficient ``0.67 U^0.78 (18/MW)^(1/3)`` cm/s, the form the OCA
    guidance writes as ``QR = 1.4 LFA A`` (U = 1.5 m/s) and ``2.4 LFA A`` (3 m/s).

    Parameters
    ----------
    area_m2 : array_like
        Pool area, m2 (see :func:`pool_area_m2`).
    molecular_weight : array_like
        g/mol.
    vapour_pressure_mmhg : array_like
        Vapour pressure at the liquid temperature, mmHg.
    wind_m_s : float, default 1.5
        Wind speed (1.5 worst case, 3.0 alternative).
    t_k : float, default 298.15
        Liquid temperature, K.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Evaporation rate, kg/min.

    Examples
    --------
    100 m2 of a liquid of 100 g/mol at 100 mmHg, worst-case wind: 36.9 lb/min.

    >>> round(float(pool_evaporation_rate_kg_min(100.0, 100.0, 100.0)) / 0.45359237, 1)
    36.9
    """
    a_ft2 = np.asarray(area_m2, dtype=float) * FT2_PER_M2
    mw = np.asarray(molecular_weight, dtype=float)
    vp = np.asarray(vapour_pressure_mmhg, dtype=float)
    qr_lb = 0.284 * float(wind_m_s) ** 0.78 * np.cbrt(mw) ** 2 * a_ft2 * vp / (82.05 * t_k)
    return _result(np.asarray(qr_lb * KG_PER_LB))
