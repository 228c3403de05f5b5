"""Consequence zones: how far a major accident at a site can reach through the air.

Screening models after the US EPA Risk Management Program *Offsite Consequence
Analysis* guidance (worst case: stability F, wind 1.5 m/s, 25 C):

* vapour cloud explosion (VCE) to 1 psi, TNT equivalence with 10 % yield;
* pool fire to 5 kW/m2 (point source, liquid spread to 1 cm depth);
* fireball (BLEVE) to a 5 kW/m2-for-40-s dose;
* toxic gas: Gaussian plume with Briggs coefficients, whole inventory released
  over 10 minutes, distance to the toxic endpoint, capped at 40 km.

The formula functions take numpy arrays (or scalars) and return arrays of the
same shape. :func:`consequence_distances` applies them to a ``holdings`` table,
:func:`zone_polygons` turns the distances into geodesic circles or downwind
sectors, and :func:`population_in_zones` counts people inside them from a
population raster.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from hazid.errors import (
    AnnexDataError,
    ChoiceError,
    CRSError,
    DataSourceError,
    GeodataError,
    InventoryError,
    check_choice,
)

logger = logging.getLogger(__name__)

__all__ = [
    "HAZARDS",
    "MAX_TOXIC_DISTANCE_M",
    "briggs_sigmas",
    "consequence_distances",
    "fireball_distance_m",
    "fireball_duration_s",
    "load_category_defaults",
    "load_substance_properties",
    "plume_concentration_mg_m3",
    "plume_distance_m",
    "pool_area_m2",
    "pool_fire_distance_m",
    "population_in_zones",
    "vce_distance_m",
    "zone_polygons",
]

#: Hazards reported by :func:`consequence_distances`, in output sort order.
HAZARDS: tuple[str, ...] = ("explosion", "fire", "fireball", "toxic")

#: Toxic plume distances are not resolved beyond this (the RMP tables stop at 25 miles).
MAX_TOXIC_DISTANCE_M = 40_000.0

#: Heat of explosion of TNT, kJ/kg (RMP guidance).
TNT_HEAT_KJ_KG = 4680.0
#: Scaled distance to 1 psi (6.9 kPa) overpressure, m/kg^(1/3) of TNT.
SCALED_DISTANCE_1PSI = 17.0
#: Thermal radiation endpoint, W/m2 (5 kW/m2 for 40 s).
FLUX_ENDPOINT_W_M2 = 5000.0
#: Exposure time behind the fireball dose endpoint, s.
FIREBALL_EXPOSURE_S = 40.0
#: Ambient temperature of the worst case, K (25 C).
AMBIENT_K = 298.15
#: Release-rate factor for a release inside a building (RMP passive mitigation).
INDOOR_FACTOR = 0.55

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

_H_CODES = frozenset({"H1", "H2", "H3"})
_P5_CODES = frozenset({"P5a", "P5b", "P5c"})

_PROPERTY_COLUMNS = (
    "substance_key",
    "name",
    "cas",
    "molecular_weight",
    "heat_of_combustion_kj_kg",
    "heat_of_vaporisation_kj_kg",
    "liquid_heat_capacity_kj_kg_k",
    "boiling_point_k",
    "liquid_density_kg_m3",
    "toxic_endpoint_mg_m3",
    "state_25c",
    "hazards",
    "surrogate",
    "source",
)
_DEFAULT_COLUMNS = ("code", "hazard", "zone_km", "covers_t", "rationale")
_OUTPUT_COLUMNS = [
    "site_id",
    "hazard",
    "substance_key",
    "quantity_t",
    "zone_km",
    "model",
    "capped",
    "default_used",
    "note",
]


def _result(a: np.ndarray) -> Any:
    """Return a 0-d array as a numpy scalar, anything else unchanged."""
    return a[()] if a.ndim == 0 else a


# ----------------------------------------------------------------------------------
# Formula functions
# ----------------------------------------------------------------------------------


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
        Pool area, m2 (see :func:`pool_area_m2`).
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
    """Duration of a BLEVE fireball, ``t = 0.45 * m ** (1/3)`` seconds.

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
    """
    return _result(0.45 * np.cbrt(np.asarray(mass_kg, dtype=float)))


def fireball_distance_m(
    mass_kg: Any,
    heat_of_combustion_kj_kg: Any,
    *,
    radiative_fraction: float = 0.4,
    flux_w_m2: float = FLUX_ENDPOINT_W_M2,
    exposure_s: float = FIREBALL_EXPOSURE_S,
) -> Any:
    """Distance to a ``flux_w_m2``-for-``exposure_s`` thermal dose from a fireball.

    The fireball lasts ``t = 0.45 m^(1/3)`` s; the dose-equivalent flux over that
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
    t = 0.45 * np.cbrt(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = flux_w_m2 * (exposure_s / t) ** 0.75
        x = np.sqrt(2.2 * radiative_fraction * hc * np.cbrt(m) ** 2 / (4.0 * np.pi * q))
    x = np.where(m > 0, x, np.where(m == 0, 0.0, np.nan))
    return _result(np.asarray(x))


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


# ----------------------------------------------------------------------------------
# Data tables
# ----------------------------------------------------------------------------------


def _data_file(name: str) -> Any:
    path = importlib.resources.files("hazid") / "data" / name
    if not path.is_file():
        raise DataSourceError(f"hazid data table {name} is missing from the installation")
    return path


@functools.cache
def _properties_table() -> pd.DataFrame:
    with _data_file("substance_properties.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"substance_key": str, "cas": str}, keep_default_na=True)
    missing = [c for c in _PROPERTY_COLUMNS if c not in table.columns]
    if missing:
        raise AnnexDataError(f"substance_properties.csv lacks columns: {', '.join(missing)}")
    if table["substance_key"].duplicated().any():
        dup = table.loc[table["substance_key"].duplicated(), "substance_key"].tolist()
        raise AnnexDataError(f"substance_properties.csv repeats keys: {dup}")
    for col in ("hazards", "surrogate", "name", "cas", "source", "state_25c"):
        table[col] = table[col].fillna("").astype(str)
    return table.set_index("substance_key", drop=False)


def load_substance_properties() -> pd.DataFrame:
    """Return the substance property table shipped with hazid.

    One row per ``substance_key`` with molecular weight, heat of combustion
    (kJ/kg), heat of vaporisation (kJ/kg), liquid heat capacity (kJ/kg/K), normal
    boiling point (K), liquid density (kg/m3), RMP toxic endpoint (mg/m3), state
    at 25 C, the hazards that apply (";"-joined), the surrogate whose properties
    are used (if any) and the source. Provenance of every value is in
    ``hazid/data/substance_properties.md``.

    Returns
    -------
    pandas.DataFrame
        A copy, indexed by ``substance_key``.

    Examples
    --------
    >>> props = load_substance_properties()
    >>> float(props.loc["propane", "heat_of_combustion_kj_kg"])
    46333.0
    >>> float(props.loc["chlorine", "toxic_endpoint_mg_m3"])
    8.7
    """
    return _properties_table().copy()


@functools.cache
def _defaults_table() -> pd.DataFrame:
    with _data_file("category_default_distances.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"code": str, "hazard": str})
    missing = [c for c in _DEFAULT_COLUMNS if c not in table.columns]
    if missing:
        raise AnnexDataError(f"category_default_distances.csv lacks columns: {', '.join(missing)}")
    bad = sorted(set(table["hazard"]) - set(HAZARDS))
    if bad:
        raise AnnexDataError(f"category_default_distances.csv has unknown hazards: {bad}")
    return table


def load_category_defaults() -> pd.DataFrame:
    """Return the default zone per Annex I Part I category and hazard.

    Used for holdings whose substance is not identified (empty ``substance_key``
    or no row in the property table). ``covers_t`` is the quantity up to which the
    default is at least what the stated surrogate model gives (empty: the default
    is the model's cap, or a judgement value with no model behind it).

    Returns
    -------
    pandas.DataFrame
        Columns ``code, hazard, zone_km, covers_t, rationale``.

    Examples
    --------
    >>> d = load_category_defaults()
    >>> float(d.loc[(d.code == "H2") & (d.hazard == "toxic"), "zone_km"].iloc[0])
    40.0
    """
    return _defaults_table().copy()


# ----------------------------------------------------------------------------------
# Distances per site
# ----------------------------------------------------------------------------------


def _missing_columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems = pd.DataFrame(
            {
                "row": [None] * len(missing),
                "column": missing,
                "value": [""] * len(missing),
                "problem": [f"required column missing from {what}"] * len(missing),
            }
        )
        raise InventoryError(problems, source=what)


def _category_flags(categories: pd.Series, codes: Sequence[str]) -> np.ndarray:
    """Boolean matrix (n_rows, len(codes)): holding has Part I category ``code``."""
    cat_codes, uniques = pd.factorize(categories.fillna("").astype(str), use_na_sentinel=False)
    table = np.zeros((len(uniques) + 1, len(codes)), dtype=bool)
    index = {c: j for j, c in enumerate(codes)}
    for i, text in enumerate(uniques):
        for part in str(text).replace(",", ";").split(";"):
            j = index.get(part.strip())
            if j is not None:
                table[i, j] = True
    return table[cat_codes]


def _bool_column(values: pd.Series, default: bool) -> np.ndarray:
    out = np.full(len(values), default, dtype=bool)
    given = values.notna().to_numpy()
    if given.any():
        raw = values[given]
        if raw.dtype == bool:
            parsed = raw.to_numpy(dtype=bool)
        else:
            text = raw.astype(str).str.strip().str.lower()
            parsed = text.isin(["true", "1", "yes", "y", "t"]).to_numpy()
        out[given] = parsed
    return out


def consequence_distances(
    holdings: pd.DataFrame,
    *,
    weather: str = "worst",
    terrain: str = "rural",
    radiative_fraction: float = 0.4,
    release_minutes: float = 10.0,
    indoor: bool = False,
) -> pd.DataFrame:
    """Largest consequence distance per site and hazard.

    Models are chosen per holding from its Annex I categories and the property
    table (:func:`load_substance_properties`):

    * ``toxic``: Gaussian plume (:func:`plume_distance_m`) for a holding with an
      H category (H1-H3) or a substance listed as toxic, when the substance has a
      toxic endpoint. The whole inventory is released over ``release_minutes``
      (times 0.55 inside a building). Dense gases are treated as neutral.
    * ``explosion``: vapour cloud explosion (:func:`vce_distance_m`) and
      ``fireball``: BLEVE (:func:`fireball_distance_m`), for flammable gases
      (category P2, or listed so in the table), whole inventory.
    * ``fire``: pool fire (:func:`pool_fire_distance_m`) for flammable liquids
      (P5a/P5b/P5c, or listed so), spread to 1 cm unless ``dike_area_m2`` is given.

    A holding whose substance is not identified (empty ``substance_key`` or no
    row in the table) gets the default zone of each of its categories
    (:func:`load_category_defaults`) with ``default_used`` True.

    Parameters
    ----------
    holdings : pandas.DataFrame
        Columns ``site_id``, ``substance_key``, ``categories`` (";"-joined Part I
        codes) and ``quantity_t``; optional ``indoor`` (bool, overrides the
        keyword per holding where not missing) and ``dike_area_m2`` (m2).
    weather : {"worst", "alternative"}, default "worst"
        Stability F with 1.5 m/s wind, or D with 3 m/s (toxic plume only).
    terrain : {"rural", "urban"}, default "rural"
        Briggs dispersion coefficients (toxic plume only).
    radiative_fraction : float, default 0.4
        Fireball radiative fraction, in (0, 1].
    release_minutes : float, default 10
        Duration of the toxic release, minutes (> 0).
    indoor : bool, default False
        Holdings inside a building (toxic release rate x 0.55), unless the
        ``indoor`` column says otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per (``site_id``, ``hazard``) with the controlling holding:
        ``site_id, hazard, substance_key, quantity_t, zone_km, model, capped,
        default_used, note``, sorted by ``site_id`` then ``hazard``.

    Raises
    ------
    InventoryError
        If a required column is missing.
    ChoiceError
        If ``weather``, ``terrain``, ``radiative_fraction`` or ``release_minutes``
        is not allowed.

    Examples
    --------
    >>> holdings = pd.DataFrame({
    ...     "site_id": ["S1", "S1", "S2"],
    ...     "substance_key": ["propane", "chlorine", ""],
    ...     "categories": ["P2", "H2;P4;E1", "P5c"],
    ...     "quantity_t": [4.536, 0.1, 100.0],
    ... })
    >>> out = consequence_distances(holdings)
    >>> out[["site_id", "hazard", "zone_km", "capped", "default_used"]].round(3)
      site_id     hazard  zone_km  capped  default_used
    0      S1  explosion    0.280   False         False
    1      S1   fireball    0.225   False         False
    2      S1      toxic    4.102   False         False
    3      S2       fire    5.000   False          True
    """
    stability, wind = _stability(weather)
    check_choice("terrain", terrain, _TERRAINS)
    if not (0.0 < float(radiative_fraction) <= 1.0):
        raise ChoiceError(f"radiative_fraction must be in (0, 1]; got {radiative_fraction!r}")
    if not (math.isfinite(float(release_minutes)) and float(release_minutes) > 0):
        raise ChoiceError(f"release_minutes must be a positive number; got {release_minutes!r}")
    _missing_columns(holdings, ["site_id", "substance_key", "categories", "quantity_t"], "holdings")

    n = len(holdings)
    props = _properties_table()
    defaults = _defaults_table()

    # --- substance properties, one lookup per distinct key ------------------------
    key_codes, key_uniques = pd.factorize(
        holdings["substance_key"].fillna("").astype(str), use_na_sentinel=False
    )
    norm_keys = pd.Index([str(k).strip().lower() for k in key_uniques])
    pos = props.index.get_indexer(norm_keys)
    known_u = pos >= 0
    known = known_u[key_codes]

    def prop(col: str) -> np.ndarray:
        vals = props[col].to_numpy(dtype=float)
        per_key = np.where(known_u, vals[np.clip(pos, 0, None)], np.nan)
        return per_key[key_codes]

    def prop_has(hazard: str) -> np.ndarray:
        per_key = np.array(
            [p >= 0 and hazard in props["hazards"].iat[p].split(";") for p in pos], dtype=bool
        )
        return per_key[key_codes]

    surrogate_u = np.array([props["surrogate"].iat[p] if p >= 0 else "" for p in pos], dtype=object)
    hc = prop("heat_of_combustion_kj_kg")
    endpoint = prop("toxic_endpoint_mg_m3")

    # --- categories ----------------------------------------------------------------
    all_codes = sorted(set(_H_CODES) | set(_P5_CODES) | {"P2"} | set(defaults["code"]))
    flags = _category_flags(holdings["categories"], all_codes)
    col = {c: j for j, c in enumerate(all_codes)}
    has_h = flags[:, [col[c] for c in sorted(_H_CODES)]].any(axis=1)
    has_p2 = flags[:, col["P2"]]
    has_p5 = flags[:, [col[c] for c in sorted(_P5_CODES)]].any(axis=1)

    qty_t = pd.to_numeric(holdings["quantity_t"], errors="coerce").to_numpy(dtype=float)
    mass = qty_t * 1000.0
    usable = np.isfinite(mass) & (mass > 0)
    if (~usable).any():
        logger.info("%d holding(s) without a positive quantity ignored", int((~usable).sum()))

    indoor_h = (
        _bool_column(holdings["indoor"], bool(indoor))
        if "indoor" in holdings.columns
        else np.full(n, bool(indoor))
    )
    dike = (
        pd.to_numeric(holdings["dike_area_m2"], errors="coerce").to_numpy(dtype=float)
        if "dike_area_m2" in holdings.columns
        else np.full(n, np.nan)
    )

    # --- candidate rows --------------------------------------------------------------
    # model codes index _MODELS; flags for the note are kept per candidate.
    models = [
        f"gaussian_plume_{terrain}_{stability}_{wind:g}ms",
        "vce_tnt_equivalence_10pct",
        f"fireball_bleve_R{float(radiative_fraction):g}",
        "pool_fire_point_source",
        "category_default",
    ]
    parts: list[dict[str, np.ndarray]] = []

    def add(rows: np.ndarray, hazard: str, zone_m: np.ndarray, model: int, **extra: Any) -> None:
        k = len(rows)
        part = {
            "row": rows,
            "hazard": np.full(k, HAZARDS.index(hazard), dtype=np.int8),
            "zone_m": zone_m,
            "model": np.full(k, model, dtype=np.int8),
            "capped": extra.get("capped", np.zeros(k, dtype=bool)),
            "flag": extra.get("flag", np.zeros(k, dtype=bool)),
            "default": extra.get("default", np.full(k, -1, dtype=np.int32)),
        }
        parts.append(part)

    tox = np.flatnonzero(usable & known & np.isfinite(endpoint) & (has_h | prop_has("toxic")))
    if tox.size:
        rate = mass[tox] / (float(release_minutes) * 60.0)
        rate = np.where(indoor_h[tox], rate * INDOOR_FACTOR, rate)
        dist, capped = plume_distance_m(rate, endpoint[tox], weather=weather, terrain=terrain)
        add(tox, "toxic", np.asarray(dist), 0, capped=np.asarray(capped), flag=indoor_h[tox])

    gas_ok = usable & known & np.isfinite(hc)
    vce = np.flatnonzero(gas_ok & (has_p2 | prop_has("explosion")))
    if vce.size:
        add(vce, "explosion", np.asarray(vce_distance_m(mass[vce], hc[vce])), 1)
    fbl = np.flatnonzero(gas_ok & (has_p2 | prop_has("fireball")))
    if fbl.size:
        d = fireball_distance_m(mass[fbl], hc[fbl], radiative_fraction=float(radiative_fraction))
        add(fbl, "fireball", np.asarray(d), 2)

    hv = prop("heat_of_vaporisation_kj_kg")
    cp = prop("liquid_heat_capacity_kj_kg_k")
    tb = prop("boiling_point_k")
    rho = prop("liquid_density_kg_m3")
    pool_ok = gas_ok & np.isfinite(hv) & np.isfinite(cp) & np.isfinite(tb) & np.isfinite(rho)
    pf = np.flatnonzero(pool_ok & (has_p5 | prop_has("fire")))
    if pf.size:
        area = pool_area_m2(mass[pf], rho[pf], dike_area_m2=dike[pf])
        d = pool_fire_distance_m(area, hc[pf], hv[pf], cp[pf], tb[pf])
        diked = np.isfinite(dike[pf]) & (dike[pf] > 0)
        add(pf, "fire", np.asarray(d), 3, flag=diked)

    unknown = usable & ~known
    for i, rec in enumerate(defaults.itertuples(index=False)):
        rows = np.flatnonzero(unknown & flags[:, col[rec.code]])
        if rows.size:
            zone_m = np.full(rows.size, float(rec.zone_km) * 1000.0)
            capped = np.full(rows.size, rec.hazard == "toxic" and zone_m[0] >= MAX_TOXIC_DISTANCE_M)
            add(rows, rec.hazard, zone_m, 4, capped=capped, default=np.full(rows.size, i))

    if not parts:
        return _empty_output()
    cand = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    # --- keep the largest zone per (site, hazard) ------------------------------------
    site_codes, site_uniques = pd.factorize(holdings["site_id"].astype(str), use_na_sentinel=False)
    site_rank = np.empty(len(site_uniques), dtype=np.int64)
    site_rank[np.argsort(np.asarray(site_uniques, dtype=object).astype(str), kind="stable")] = (
        np.arange(len(site_uniques))
    )
    group = site_rank[site_codes[cand["row"]]] * len(HAZARDS) + cand["hazard"]
    zone = np.where(np.isfinite(cand["zone_m"]), cand["zone_m"], -np.inf)
    order = np.lexsort((cand["row"], -zone, group))
    first = np.ones(order.size, dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    pick = order[first]
    pick = pick[np.isfinite(zone[pick])]
    if pick.size == 0:
        return _empty_output()

    rows = cand["row"][pick]
    hazard_code = cand["hazard"][pick]
    model_code = cand["model"][pick]
    default_code = cand["default"][pick]
    capped = cand["capped"][pick]
    flag = cand["flag"][pick]
    surrogate = surrogate_u[key_codes[rows]] if len(rows) else np.array([], dtype=object)

    notes = _notes(
        model_code,
        capped,
        flag,
        surrogate,
        default_code,
        qty_t[rows],
        defaults,
        weather=weather,
        terrain=terrain,
        stability=stability,
        wind=wind,
        release_minutes=float(release_minutes),
        radiative_fraction=float(radiative_fraction),
    )
    out = pd.DataFrame(
        {
            "site_id": np.asarray(site_uniques, dtype=object)[site_codes[rows]].astype(str),
            "hazard": np.asarray(HAZARDS, dtype=object)[hazard_code],
            "substance_key": holdings["substance_key"]
            .fillna("")
            .astype(str)
            .to_numpy(dtype=object)[rows],
            "quantity_t": qty_t[rows],
            "zone_km": cand["zone_m"][pick] / 1000.0,
            "model": np.asarray(models, dtype=object)[model_code],
            "capped": capped.astype(bool),
            "default_used": model_code == 4,
            "note": notes,
        }
    )
    for c in ("site_id", "hazard", "substance_key", "model", "note"):
        out[c] = out[c].astype("str")
    logger.debug("%d zone(s) from %d holding(s)", len(out), n)
    return out.reset_index(drop=True)


def _empty_output() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": pd.Series([], dtype="str"),
            "hazard": pd.Series([], dtype="str"),
            "substance_key": pd.Series([], dtype="str"),
            "quantity_t": pd.Series([], dtype=float),
            "zone_km": pd.Series([], dtype=float),
            "model": pd.Series([], dtype="str"),
            "capped": pd.Series([], dtype=bool),
            "default_used": pd.Series([], dtype=bool),
            "note": pd.Series([], dtype="str"),
        }
    )


def _notes(
    model_code: np.ndarray,
    capped: np.ndarray,
    flag: np.ndarray,
    surrogate: np.ndarray,
    default_code: np.ndarray,
    qty_t: np.ndarray,
    defaults: pd.DataFrame,
    *,
    weather: str,
    terrain: str,
    stability: str,
    wind: float,
    release_minutes: float,
    radiative_fraction: float,
) -> np.ndarray:
    """Build the note of each output row from the few distinct combinations."""
    covers = defaults["covers_t"].to_numpy(dtype=float)
    above = np.zeros(len(model_code), dtype=bool)
    is_def = default_code >= 0
    above[is_def] = np.isfinite(covers[default_code[is_def]]) & (
        qty_t[is_def] > covers[default_code[is_def]]
    )
    combo = pd.DataFrame(
        {
            "m": model_code,
            "c": capped,
            "f": flag,
            "s": surrogate.astype(str) if len(surrogate) else np.array([], dtype=str),
            "d": default_code,
            "a": above,
        }
    )
    codes, uniq = pd.factorize(pd.MultiIndex.from_frame(combo))
    texts = []
    for m, c, f, s, d, a in uniq:
        bits: list[str] = []
        if m == 0:
            bits.append(
                f"Gaussian plume, Briggs {terrain} {stability}, {wind:g} m/s ({weather} case); "
                f"whole inventory released over {release_minutes:g} min; "
                "dense gas treated as neutral (no dense-gas model)"
            )
            if f:
                bits.append(f"release inside a building: rate x {INDOOR_FACTOR}")
            if c:
                bits.append(
                    f"endpoint still exceeded at the {MAX_TOXIC_DISTANCE_M / 1000:g} km cap"
                )
        elif m == 1:
            bits.append("vapour cloud explosion to 1 psi, TNT equivalence, 10 % yield")
        elif m == 2:
            bits.append(
                f"BLEVE fireball, 5 kW/m2 for 40 s dose, radiative fraction {radiative_fraction:g}"
            )
        elif m == 3:
            bits.append(
                "pool fire to 5 kW/m2 (point source), pool limited by dike area"
                if f
                else "pool fire to 5 kW/m2 (point source), pool spread to 1 cm depth"
            )
        else:
            rec = defaults.iloc[int(d)]
            bits.append(
                f"substance not identified: default for category {rec['code']} "
                f"({rec['zone_km']:g} km)"
            )
            if rec["hazard"] == "toxic":
                bits.append("dense gas treated as neutral")
            if a:
                bits.append(
                    f"quantity above the {rec['covers_t']:g} t the default covers: "
                    "may underestimate"
                )
        if s:
            bits.append(f"properties of {s} used")
        texts.append("; ".join(bits))
    return np.asarray(texts, dtype=object)[codes] if len(codes) else np.array([], dtype=object)


# ----------------------------------------------------------------------------------
# Polygons
# ----------------------------------------------------------------------------------

_GEOD = Geod(ellps="WGS84")


def _sites_4326(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(sites, gpd.GeoDataFrame):
        raise GeodataError("sites must be a GeoDataFrame with point geometries")
    if sites.crs is None:
        raise CRSError("sites have no CRS; set one (e.g. sites.set_crs('EPSG:4326'))")
    if "site_id" not in sites.columns:
        raise GeodataError("sites lack a 'site_id' column")
    if not sites.crs.equals("EPSG:4326"):
        sites = sites.to_crs("EPSG:4326")
    geom_types = shapely.get_type_id(sites.geometry.values)
    if (geom_types != 0).any():
        raise GeodataError("sites must be points (found other or missing geometries)")
    if sites["site_id"].astype(str).duplicated().any():
        dup = sites.loc[sites["site_id"].astype(str).duplicated(), "site_id"].head(5).tolist()
        raise GeodataError(f"site_id values repeat in sites: {dup}")
    return sites


def _fix_antimeridian(polys: np.ndarray) -> np.ndarray:
    """Split polygons whose (unwrapped) longitudes leave [-180, 180] at the antimeridian."""
    xmin, _, xmax, _ = shapely.bounds(polys).T
    cross = np.flatnonzero((xmin < -180.0) | (xmax > 180.0))
    if cross.size == 0:
        return polys
    sub = polys[cross]
    inside = shapely.intersection(sub, shapely.box(-180.0, -90.0, 180.0, 90.0))
    east = shapely.transform(
        shapely.intersection(sub, shapely.box(180.0, -90.0, 540.0, 90.0)),
        lambda xy: xy - np.array([360.0, 0.0]),
    )
    west = shapely.transform(
        shapely.intersection(sub, shapely.box(-540.0, -90.0, -180.0, 90.0)),
        lambda xy: xy + np.array([360.0, 0.0]),
    )
    merged = shapely.union_all(np.stack([inside, east, west], axis=1), axis=1)
    out = polys.copy()
    out[cross] = merged
    return out


def zone_polygons(
    sites: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    *,
    wind_from: float | None = None,
    sector_deg: float = 45.0,
    n_vertices: int = 72,
) -> gpd.GeoDataFrame:
    """Build zone polygons (EPSG:4326) of radius ``zone_km`` around each site.

    Vertices are placed with forward geodesics on the WGS84 ellipsoid
    (``pyproj.Geod.fwd``, vectorised over all zones and azimuths), so each vertex
    lies exactly ``zone_km`` from the site: the same as a circle drawn in an
    azimuthal equidistant projection centred on the site. With ``wind_from`` the
    zone is the downwind sector of width ``sector_deg`` (a pie slice with its apex
    at the site) for wind blowing FROM ``wind_from`` degrees clockwise from north.

    Zones crossing the antimeridian are split into a MultiPolygon at +/-180 deg.
    Zones that contain a pole are not handled (they would need a polar cap).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        ``site_id`` and point geometry; any CRS (reprojected to EPSG:4326).
    distances : pandas.DataFrame
        Output of :func:`consequence_distances` (at least ``site_id`` and
        ``zone_km``); all its columns are kept.
    wind_from : float, optional
        Direction the wind blows from, degrees clockwise from north. None (the
        default) gives full circles.
    sector_deg : float, default 45
        Width of the downwind sector, degrees in (0, 360].
    n_vertices : int, default 72
        Vertices of a full circle (a sector gets a proportional share, at least 3).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``distances`` with a polygon geometry, EPSG:4326. Rows with a
        missing or non-positive ``zone_km`` get an empty geometry (None).

    Raises
    ------
    CRSError
        If ``sites`` has no CRS.
    GeodataError
        If ``sites`` lacks ``site_id``, has non-point geometries or repeated ids,
        if ``distances`` lacks a column, or names a site not in ``sites``.
    ChoiceError
        If ``wind_from``, ``sector_deg`` or ``n_vertices`` is out of range.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[Point(69.3, 41.3)], crs=4326)
    >>> dist = pd.DataFrame({"site_id": ["S1"], "hazard": ["toxic"], "zone_km": [10.0]})
    >>> z = zone_polygons(sites, dist)
    >>> len(z.geometry.iloc[0].exterior.coords)
    73
    >>> s = zone_polygons(sites, dist, wind_from=270.0)   # westerly wind: sector points east
    >>> bool(s.geometry.iloc[0].centroid.x > 69.3)
    True
    """
    sites = _sites_4326(sites)
    for c in ("site_id", "zone_km"):
        if c not in distances.columns:
            raise GeodataError(f"distances lack a {c!r} column")
    if not (isinstance(n_vertices, int | np.integer) and n_vertices >= 8):
        raise ChoiceError(f"n_vertices must be an integer >= 8; got {n_vertices!r}")
    if not (0.0 < float(sector_deg) <= 360.0):
        raise ChoiceError(f"sector_deg must be in (0, 360]; got {sector_deg!r}")
    if wind_from is not None and not math.isfinite(float(wind_from)):
        raise ChoiceError(f"wind_from must be a finite bearing in degrees; got {wind_from!r}")

    ids = distances["site_id"].astype(str)
    lookup = pd.Index(sites["site_id"].astype(str))
    pos = lookup.get_indexer(ids)
    if (pos < 0).any():
        missing = sorted(set(ids[pos < 0]))[:5]
        raise GeodataError(f"distances name sites not in the sites layer: {missing}")
    lon0 = shapely.get_x(sites.geometry.values)[pos]
    lat0 = shapely.get_y(sites.geometry.values)[pos]
    radius_m = pd.to_numeric(distances["zone_km"], errors="coerce").to_numpy(dtype=float) * 1e3
    ok = np.isfinite(radius_m) & (radius_m > 0)

    sector = wind_from is not None and float(sector_deg) < 360.0
    if sector:
        k = max(3, math.ceil(n_vertices * float(sector_deg) / 360.0) + 1)
        toward = (float(wind_from) + 180.0) % 360.0
        az = toward + np.linspace(-0.5, 0.5, k) * float(sector_deg)
    else:
        k = n_vertices
        az = np.linspace(0.0, 360.0, n_vertices, endpoint=False)

    polar = ok & ((90.0 - np.abs(lat0)) * 111_000.0 < radius_m)
    if polar.any():
        logger.warning("%d zone(s) reach a pole; their polygons are not reliable", int(polar.sum()))
    m = int(ok.sum())
    geoms = np.full(len(distances), None, dtype=object)
    if m:
        lon_c, lat_c, r = lon0[ok], lat0[ok], radius_m[ok]
        lon, lat, _ = _GEOD.fwd(
            np.repeat(lon_c, k), np.repeat(lat_c, k), np.tile(az, m), np.repeat(r, k)
        )
        lon = np.asarray(lon).reshape(m, k)
        lat = np.asarray(lat).reshape(m, k)
        # unwrap longitudes around the centre so rings stay continuous
        lon = lon_c[:, None] + ((lon - lon_c[:, None] + 180.0) % 360.0 - 180.0)
        if sector:
            lon = np.concatenate([lon_c[:, None], lon], axis=1)
            lat = np.concatenate([lat_c[:, None], lat], axis=1)
        coords = np.stack([lon, lat], axis=-1)
        polys = shapely.polygons(shapely.linearrings(coords))
        geoms[ok] = _fix_antimeridian(np.asarray(polys, dtype=object))
    out = gpd.GeoDataFrame(
        distances.reset_index(drop=True).copy(), geometry=list(geoms), crs="EPSG:4326"
    )
    return out


# ----------------------------------------------------------------------------------
# Population
# ----------------------------------------------------------------------------------


def population_in_zones(zones: gpd.GeoDataFrame, raster_path: str | Path) -> pd.Series:
    """People inside each zone from a population-count raster.

    Uses ``exactextract`` ``"sum"``: each cell counts in proportion to the part of
    its area inside the zone (coverage fraction), so a count raster (people per
    cell) gives people per zone. Zones are reprojected to the raster's CRS.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zone polygons (e.g. from :func:`zone_polygons`), with a CRS.
    raster_path : str or pathlib.Path
        GeoTIFF (or any GDAL raster) of people per cell, with a CRS.

    Returns
    -------
    pandas.Series
        People per zone, float, indexed like ``zones``, named ``population``;
        NaN for a zone without geometry.

    Raises
    ------
    CRSError
        If ``zones`` or the raster has no CRS.
    DataSourceError
        If the raster cannot be found or opened.

    Examples
    --------
    >>> import tempfile, rasterio
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> path = tempfile.mkdtemp() + "/pop.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1,
    ...                    dtype="float32", crs="EPSG:4326",
    ...                    transform=Affine(1, 0, 0, 0, -1, 10)) as dst:
    ...     dst.write(np.ones((1, 10, 10), dtype="float32"))
    >>> zones = gpd.GeoDataFrame(geometry=[box(2, 2, 4.5, 4)], crs=4326)
    >>> float(population_in_zones(zones, path).iloc[0])
    5.0
    """
    import rasterio
    from exactextract import exact_extract

    if zones.crs is None:
        raise CRSError("zones have no CRS")
    path = Path(raster_path)
    if not path.is_file():
        raise DataSourceError(f"population raster not found: {path}")
    try:
        with rasterio.open(path) as src:
            raster_crs = src.crs
    except rasterio.errors.RasterioIOError as err:
        raise DataSourceError(f"cannot open population raster {path}: {err}") from err
    if raster_crs is None:
        raise CRSError(f"population raster {path} has no CRS")

    result = pd.Series(np.nan, index=zones.index, name="population", dtype=float)
    geoms = zones.geometry
    valid = (geoms.notna() & ~geoms.is_empty).to_numpy()
    if not valid.any():
        return result
    work = gpd.GeoDataFrame(geometry=geoms[valid].to_numpy(), crs=zones.crs)
    if not work.crs.equals(raster_crs):
        work = work.to_crs(raster_crs)
    work = work.reset_index(drop=True)
    stats = exact_extract(str(path), work, "sum", output="pandas")
    result.iloc[np.flatnonzero(valid)] = stats["sum"].to_numpy(dtype=float)
    return result
