"""Explosion: vapour cloud explosion to 1 psi by TNT equivalence (EPA RMP guidance)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hazid.zones._base import _result

#: Heat of explosion of TNT, kJ/kg (RMP guidance).
TNT_HEAT_KJ_KG = 4680.0
#: Scaled distance to 1 psi (6.9 kPa) overpressure, m/kg^(1/3) of TNT.
SCALED_DISTANCE_1PSI = 17.0


def vce_distance_m(
    mass_kg: Any, heat_of_combustion_kj_kg: Any, *, yield_factor: float = 0.1
) -> Any:
    """Distance to 1 psi overpressure of a vapour cloud explosion (TNT equivalence).

    ``X = 17 * (yield * W * Hc / 4680) ** (1/3)`` with ``W`` the flammable mass in
    the cloud (kg), ``Hc`` its heat of combustion (kJ/kg) and 4,680 kJ/kg the heat
    of explosion of TNT (EPA RMP guidance, worst case: the whole quantity in the
    cloud, 10 % yield).

    Parameters
    ----------
    mass_kg : array_like
        Flammable mass in the cloud, kg.
    heat_of_combustion_kj_kg : array_like
        Heat of combustion (lower), kJ/kg.
    yield_factor : float, default 0.1
        Fraction of the combustion energy that drives the blast.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Distance in metres, broadcast over the inputs.

    Examples
    --------
    >>> round(float(vce_distance_m(4536, 46333)))
    280
    >>> vce_distance_m([48580, 97160], 46333).round()
    array([618., 779.])
    """
    w = np.asarray(mass_kg, dtype=float)
    hc = np.asarray(heat_of_combustion_kj_kg, dtype=float)
    tnt_kg = yield_factor * w * hc / TNT_HEAT_KJ_KG
    return _result(SCALED_DISTANCE_1PSI * np.cbrt(tnt_kg))
