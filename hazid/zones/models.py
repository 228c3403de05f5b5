"""Zone per hazard for a set of holdings: source term, then model, for both weather cases.

Each function takes per-holding arrays (the substance's properties, the released
mass and how it is stored) and returns the zone of one hazard:

* toxic: worst case (F, 1.5 m/s) from the OCA reference tables
  (:mod:`hazid.zones.oca`), alternative case (D, 3 m/s) from the Gaussian plume
  (:mod:`hazid.zones.toxic`; no OCA alternative-case toxic table is available);
  a gas is released over 10 minutes, a liquid evaporates from its pool;
* explosion: vapour cloud explosion of a flammable gas (whole released mass) or of
  the vapour a flammable liquid gives off in 10 minutes (40 CFR 68.25(f)(2));
* fireball (BLEVE) of a flammable gas; fire: pool fire of a flammable liquid.

Fire and explosion zones do not depend on the weather in these models: both cases
get the same distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hazid.zones.explosion import vce_distance_m
from hazid.zones.fire import AMBIENT_K, fireball_distance_m, pool_fire_distance_m
from hazid.zones.oca import oca_toxic_distance_m, specific_tables
from hazid.zones.source import (
    GAS_RELEASE_MIN,
    INDOOR_FACTOR,
    pool_area_m2,
    pool_evaporation_rate_kg_min,
    vapour_pressure_mmhg,
)
from hazid.zones.toxic import plume_distance_m

#: Molecular weight of air, g/mol: a heavier gas is dense.
AIR_MW = 28.96
#: Wind speeds of the worst and alternative cases, m/s (40 CFR 68.22; EPA OCA guidance).
WIND_WORST = 1.5
WIND_ALTERNATIVE = 3.0
#: Flammable liquids: the vapour given off in this many minutes is in the cloud.
LIQUID_VCE_MIN = 10.0

#: Plume kinds (codes used in notes).
KIND_NEUTRAL, KIND_DENSE, KIND_SPECIFIC, KIND_AMMONIA_OTHER = 0, 1, 2, 3
#: Toxic source terms (codes used in notes).
SOURCE_GAS, SOURCE_POOL, SOURCE_POOL_LONG, SOURCE_LIQUID_AS_GAS = 0, 1, 2, 3


@dataclass
class Substances:
    """Properties of each holding's substance (NaN / "" where not known)."""

    key: np.ndarray
    mw: np.ndarray
    hc: np.ndarray
    hv: np.ndarray
    cp: np.ndarray
    tb: np.ndarray
    rho: np.ndarray
    endpoint: np.ndarray
    state: np.ndarray

    def take(self, rows: np.ndarray) -> Substances:
        """Return the properties of holdings ``rows``."""
        return Substances(**{k: getattr(self, k)[rows] for k in self.__dataclass_fields__})


@dataclass
class Release:
    """How each holding is released: mass (kg), storage state, bund area (m2), indoors."""

    mass_kg: np.ndarray
    storage: np.ndarray
    bund_m2: np.ndarray
    indoor: np.ndarray

    def take(self, rows: np.ndarray) -> Release:
        """Return the release terms of holdings ``rows``."""
        return Release(**{k: getattr(self, k)[rows] for k in self.__dataclass_fields__})


def plume_kind(sub: Substances, rel: Release) -> np.ndarray:
    """OCA table kind per holding: chemical-specific, dense or neutral.

    Ammonia uses Table 9 when liquefied under pressure (also when the storage is not
    given: the larger distances) and Table 10 ("ammonia, other") when refrigerated,
    atmospheric or in solution; a substance with its own table uses it; a gas heavier
    than air (molecular weight above 28.96), or any gas stored liquefied, is dense;
    anything else is neutral.
    """
    specific = specific_tables()
    storage = rel.storage.astype(str)
    liquefied = np.isin(storage, ["pressurised", "refrigerated"])
    kind = np.where((sub.mw > AIR_MW) | liquefied, "dense", "neutral").astype(object)
    own = np.isin(sub.key.astype(str), list(specific))
    kind[own] = sub.key[own]
    ammonia = sub.key.astype(str) == "ammonia"
    pressurised = np.isin(storage, ["", "pressurised"])
    kind[ammonia] = np.where(pressurised[ammonia], "ammonia_pressurised", "ammonia_other")
    return kind


def toxic_zones(
    sub: Substances, rel: Release, *, terrain: str, release_minutes: float = GAS_RELEASE_MIN
) -> dict[str, np.ndarray]:
    """Toxic zone of both cases (m), with the rates (kg/min), table read and source term.

    A gas (or a liquid boiling below 25 C, or any substance stored pressurised or
    refrigerated, or ammonia) is released whole over ``release_minutes`` (x 0.55
    inside a building). Another liquid spreads to a 1 cm pool or its bund and
    evaporates at the OCA rate (wind 1.5 m/s worst, 3 m/s alternative), at most the
    whole mass in 10 minutes; a release lasting more than 10 minutes is looked up in
    the 60-minute table. A liquid lacking the data for the evaporation rate is
    released as a gas (the larger rate).
    """
    n = len(rel.mass_kg)
    storage = rel.storage.astype(str)
    gas_rate = rel.mass_kg / float(release_minutes)
    gas_rate = np.where(rel.indoor, gas_rate * INDOOR_FACTOR, gas_rate)
    liquid = (sub.state.astype(str) == "liquid") | np.isin(storage, ["atmospheric", "solution"])
    liquid &= ~np.isin(storage, ["pressurised", "refrigerated"]) & (sub.key != "ammonia")
    liquid &= ~(sub.tb <= AMBIENT_K)
    data = np.isfinite(sub.mw) & np.isfinite(sub.tb) & np.isfinite(sub.hv) & np.isfinite(sub.rho)
    pool = liquid & data
    source = np.where(liquid & ~data, SOURCE_LIQUID_AS_GAS, SOURCE_GAS)
    rate_w = gas_rate.copy()
    rate_a = gas_rate.copy()
    duration = np.full(n, float(release_minutes))
    if pool.any():
        area = pool_area_m2(rel.mass_kg[pool], sub.rho[pool], dike_area_m2=rel.bund_m2[pool])
        vp = vapour_pressure_mmhg(sub.tb[pool], sub.hv[pool], sub.mw[pool])
        fastest = rel.mass_kg[pool] / GAS_RELEASE_MIN
        ew = np.fmin(pool_evaporation_rate_kg_min(area, sub.mw[pool], vp), fastest)
        ea = pool_evaporation_rate_kg_min(area, sub.mw[pool], vp, wind_m_s=WIND_ALTERNATIVE)
        rate_w[pool] = ew
        rate_a[pool] = np.fmin(ea, fastest)
        with np.errstate(divide="ignore", invalid="ignore"):
            duration[pool] = rel.mass_kg[pool] / ew
        source[pool] = np.where(duration[pool] > GAS_RELEASE_MIN, SOURCE_POOL_LONG, SOURCE_POOL)
    kind = plume_kind(sub, rel)
    zone_w, undet_w, table = oca_toxic_distance_m(
        rate_w, sub.endpoint, kind=kind, duration_min=duration, terrain=terrain
    )
    zone_a, undet_a = plume_distance_m(
        rate_a / 60.0, sub.endpoint, weather="alternative", terrain=terrain
    )
    codes = {"neutral": KIND_NEUTRAL, "dense": KIND_DENSE, "ammonia_other": KIND_AMMONIA_OTHER}
    kind_code = np.array([codes.get(k, KIND_SPECIFIC) for k in kind.tolist()], dtype=np.int8)
    return {
        "rate_w": rate_w,
        "rate_a": rate_a,
        "zone_w": zone_w,
        "undet_w": undet_w,
        "zone_a": np.atleast_1d(np.asarray(zone_a, dtype=float)),
        "undet_a": np.atleast_1d(np.asarray(undet_a, dtype=bool)),
        "table": table,
        "kind": kind_code.astype(np.int8),
        "source": source.astype(np.int8),
    }


def gas_explosion_zone(sub: Substances, rel: Release) -> Any:
    """Vapour cloud explosion to 1 psi of the whole released mass (10 % yield)."""
    return vce_distance_m(rel.mass_kg, sub.hc)


def fireball_zone(sub: Substances, rel: Release, *, radiative_fraction: float) -> Any:
    """BLEVE fireball of the whole released mass."""
    return fireball_distance_m(rel.mass_kg, sub.hc, radiative_fraction=radiative_fraction)


def pool_fire_zone(sub: Substances, rel: Release) -> tuple[np.ndarray, np.ndarray]:
    """Pool fire of the released mass, spread to 1 cm or held by the bund; also "bunded"."""
    area = pool_area_m2(rel.mass_kg, sub.rho, dike_area_m2=rel.bund_m2)
    d = pool_fire_distance_m(area, sub.hc, sub.hv, sub.cp, sub.tb)
    bunded = np.isfinite(rel.bund_m2) & (rel.bund_m2 > 0)
    return np.atleast_1d(np.asarray(d, dtype=float)), bunded


def liquid_explosion_zone(sub: Substances, rel: Release) -> np.ndarray:
    """Vapour cloud explosion of what a flammable liquid pool gives off in 10 minutes.

    The mass in the cloud is ``10 min x QR`` (40 CFR 68.25(f)(2)) with ``QR`` the OCA
    pool-evaporation rate at 1.5 m/s from the 1 cm pool or the bund, at most the
    released mass; 10 % yield as for gases. NaN where the liquid lacks the data.
    """
    area = pool_area_m2(rel.mass_kg, sub.rho, dike_area_m2=rel.bund_m2)
    vp = vapour_pressure_mmhg(sub.tb, sub.hv, sub.mw)
    cloud = np.fmin(LIQUID_VCE_MIN * pool_evaporation_rate_kg_min(area, sub.mw, vp), rel.mass_kg)
    return np.atleast_1d(np.asarray(vce_distance_m(cloud, sub.hc), dtype=float))
