"""Source terms: how much of an inventory is released, how fast, over what area.

The worst case of the EPA RMP guidance: a toxic gas is released whole over a fixed
time (10 minutes), reduced by the passive-mitigation factor for a release inside a
building; a liquid spreads to a 1 cm deep pool unless a dike holds it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hazid.zones._base import _result

#: Release-rate factor for a release inside a building (RMP passive mitigation).
INDOOR_FACTOR = 0.55


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


def _toxic_release_rate(mass_kg: np.ndarray, minutes: float, indoor: np.ndarray) -> np.ndarray:
    """Release rate (kg/s): the whole mass over ``minutes``, x 0.55 inside a building."""
    rate = mass_kg / (float(minutes) * 60.0)
    return np.where(indoor, rate * INDOOR_FACTOR, rate)
