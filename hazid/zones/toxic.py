"""Toxic gas, alternative case: Gaussian plume with Briggs coefficients to the toxic endpoint.

Ground-level release, centreline concentration; alternative case D with 3 m/s (worst
case F with 1.5 m/s also available). No OCA reference table covers the alternative
case, so :func:`hazid.zones.consequence_distances` uses this plume for it; the worst
case comes from the OCA tables (:mod:`hazid.zones.oca`). Distances are not resolved
beyond 40 km: under stability F the Briggs vertical spread saturates and the distance
diverges.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hazid.errors import check_choice
from hazid.zones._base import _result

#: Toxic plume distances are not resolved beyond this (the RMP tables stop at 25 miles).
MAX_TOXIC_DISTANCE_M = 40_000.0

_WEATHER = {"worst": ("F", 1.5), "alternative": ("D", 3.0)}
_TERRAINS = ("rural", "urban")
# Briggs (1973) coefficients: sigma = a x (1 + b x)^p
# (sy_a, sy_b, sy_p, sz_a, sz_b, sz_p)
_BRIGGS = {
    ("rural", "F"): (0.04, 0.0001, -0.5, 0.016, 0.0003, -1.0),
    ("rural", "D"): (0.08, 0.0001, -0.5, 0.06, 0.0015, -0.5),
    ("urban", "F"): (0.11, 0.0004, -0.5, 0.08, 0.0015, -0.5),
    ("urban", "D"): (0.16, 0.0004, -0.5, 0.14, 0.0003, -0.5),
}
_PLUME_MIN_X_M = 1.0
_BISECTION_STEPS = 56


def _stability(weather: str) -> tuple[str, float]:
    check_choice("weather", weather, _WEATHER)
    return _WEATHER[weather]


def briggs_sigmas(x_m: Any, *, stability: str = "F", terrain: str = "rural") -> tuple[Any, Any]:
    """Briggs (1973) horizontal and vertical dispersion coefficients.

    Parameters
    ----------
    x_m : array_like
        Downwind distance, m.
    stability : {"F", "D"}, default "F"
        Pasquill stability class ("F" uses the urban E-F curves in urban terrain).
    terrain : {"rural", "urban"}, default "rural"
        Surface roughness class.

    Returns
    -------
    sigma_y, sigma_z : numpy.ndarray or numpy.float64
        Coefficients in metres.

    Examples
    --------
    >>> sy, sz = briggs_sigmas(1000.0)
    >>> round(float(sy), 2), round(float(sz), 2)
    (38.14, 12.31)
    """
    check_choice("stability", stability, ("F", "D"))
    check_choice("terrain", terrain, _TERRAINS)
    ya, yb, yp, za, zb, zp = _BRIGGS[(terrain, stability)]
    x = np.asarray(x_m, dtype=float)
    sy = ya * x * (1.0 + yb * x) ** yp
    sz = za * x * (1.0 + zb * x) ** zp
    return _result(np.asarray(sy)), _result(np.asarray(sz))


def plume_concentration_mg_m3(
    x_m: Any, release_rate_kg_s: Any, *, weather: str = "worst", terrain: str = "rural"
) -> Any:
    """Ground-level centreline concentration of a ground-level Gaussian plume.

    ``C(x) = Q / (pi * sigma_y * sigma_z * u)`` with ``Q`` in mg/s and the Briggs
    coefficients of :func:`briggs_sigmas`. Dense gases are treated as neutral.

    Parameters
    ----------
    x_m : array_like
        Downwind distance, m.
    release_rate_kg_s : array_like
        Release rate, kg/s.
    weather : {"worst", "alternative"}, default "worst"
        "worst" is stability F with 1.5 m/s wind, "alternative" is D with 3 m/s.
    terrain : {"rural", "urban"}, default "rural"
        Dispersion coefficients.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Concentration in mg/m3.

    Examples
    --------
    >>> round(float(plume_concentration_mg_m3(1000.0, 1.0)))
    452
    """
    stability, u = _stability(weather)
    sy, sz = briggs_sigmas(x_m, stability=stability, terrain=terrain)
    q_mg_s = np.asarray(release_rate_kg_s, dtype=float) * 1e6
    with np.errstate(divide="ignore"):
        c = q_mg_s / (np.pi * np.asarray(sy) * np.asarray(sz) * u)
    return _result(np.asarray(c))


def plume_distance_m(
    release_rate_kg_s: Any,
    endpoint_mg_m3: Any,
    *,
    weather: str = "worst",
    terrain: str = "rural",
    max_distance_m: float = MAX_TOXIC_DISTANCE_M,
) -> tuple[Any, Any]:
    """Distance at which the centreline concentration falls to the endpoint.

    Solved by bisection on ``log(x)`` for all inputs at once (``sigma_y * sigma_z``
    grows monotonically with ``x``). Distances beyond ``max_distance_m`` are
    returned as ``max_distance_m`` with ``capped`` True; solutions below 1 m are
    returned as 1 m; a zero release gives 0 m.

    Parameters
    ----------
    release_rate_kg_s : array_like
        Release rate, kg/s.
    endpoint_mg_m3 : array_like
        Toxic endpoint, mg/m3.
    weather : {"worst", "alternative"}, default "worst"
        F with 1.5 m/s, or D with 3 m/s.
    terrain : {"rural", "urban"}, default "rural"
        Dispersion coefficients.
    max_distance_m : float, default 40000
        Cap of the search.

    Returns
    -------
    distance_m : numpy.ndarray or numpy.float64
        Distance in metres (NaN where an input is NaN or not positive).
    capped : numpy.ndarray or numpy.bool_
        True where the endpoint is still exceeded at ``max_distance_m``.

    Examples
    --------
    Ammonia, 2,270 kg released in 10 minutes, 140 mg/m3, urban terrain:

    >>> d, capped = plume_distance_m(2270 / 600, 140, terrain="urban")
    >>> round(float(d)), bool(capped)
    (1137, False)
    """
    stability, u = _stability(weather)
    check_choice("terrain", terrain, _TERRAINS)
    ya, yb, yp, za, zb, zp = _BRIGGS[(terrain, stability)]
    rate, endpoint = np.broadcast_arrays(
        np.asarray(release_rate_kg_s, dtype=float), np.asarray(endpoint_mg_m3, dtype=float)
    )
    valid = np.isfinite(rate) & np.isfinite(endpoint) & (rate >= 0) & (endpoint > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # sigma_y * sigma_z needed for C(x) = endpoint
        target = np.where(valid, rate * 1e6 / (np.pi * u * endpoint), np.nan)

    def spread(x: np.ndarray) -> np.ndarray:
        return ya * za * x * x * (1.0 + yb * x) ** yp * (1.0 + zb * x) ** zp

    lo = np.full(target.shape, math.log(_PLUME_MIN_X_M))
    hi = np.full(target.shape, math.log(max_distance_m))
    capped = valid & (spread(np.exp(hi)) < target)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        below = spread(np.exp(mid)) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    dist = np.exp(hi)
    dist = np.where(capped, max_distance_m, dist)
    dist = np.where(valid & (rate == 0), 0.0, dist)
    dist = np.where(valid, dist, np.nan)
    return _result(np.asarray(dist)), _result(np.asarray(capped))
