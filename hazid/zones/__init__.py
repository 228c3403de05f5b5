"""Consequence zones: how far a major accident at a site can reach through the air.

Screening models after the US EPA Risk Management Program *Offsite Consequence
Analysis* guidance (worst case: stability F, wind 1.5 m/s, 25 C):

* vapour cloud explosion (VCE) to 1 psi, TNT equivalence with 10 % yield
  (:mod:`hazid.zones.explosion`);
* pool fire to 5 kW/m2 (point source, liquid spread to 1 cm depth) and fireball
  (BLEVE) to a 5 kW/m2-for-40-s dose (:mod:`hazid.zones.fire`);
* toxic gas: Gaussian plume with Briggs coefficients, whole inventory released
  over 10 minutes (:mod:`hazid.zones.source`), distance to the toxic endpoint,
  capped at 40 km (:mod:`hazid.zones.toxic`).

The formula functions take numpy arrays (or scalars) and return arrays of the
same shape. :func:`consequence_distances` (:mod:`hazid.zones.distances`) applies
them to a ``holdings`` table with the data of :mod:`hazid.zones.properties` and
:mod:`hazid.zones.defaults`, :func:`zone_polygons` (:mod:`hazid.zones.geometry`)
turns the distances into geodesic circles or downwind sectors, and
:func:`population_in_zones` (:mod:`hazid.zones.population`) counts people inside
them from a population raster.
"""

from __future__ import annotations

from hazid.zones._base import HAZARDS
from hazid.zones.defaults import load_category_defaults
from hazid.zones.distances import consequence_distances
from hazid.zones.explosion import SCALED_DISTANCE_1PSI as SCALED_DISTANCE_1PSI
from hazid.zones.explosion import TNT_HEAT_KJ_KG as TNT_HEAT_KJ_KG
from hazid.zones.explosion import vce_distance_m
from hazid.zones.fire import AMBIENT_K as AMBIENT_K
from hazid.zones.fire import FIREBALL_EXPOSURE_S as FIREBALL_EXPOSURE_S
from hazid.zones.fire import FLUX_ENDPOINT_W_M2 as FLUX_ENDPOINT_W_M2
from hazid.zones.fire import fireball_distance_m, fireball_duration_s, pool_fire_distance_m
from hazid.zones.geometry import zone_polygons
from hazid.zones.population import population_in_zones
from hazid.zones.properties import load_substance_properties
from hazid.zones.source import INDOOR_FACTOR as INDOOR_FACTOR
from hazid.zones.source import pool_area_m2
from hazid.zones.toxic import (
    MAX_TOXIC_DISTANCE_M,
    briggs_sigmas,
    plume_concentration_mg_m3,
    plume_distance_m,
)

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
