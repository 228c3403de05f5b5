"""Consequence zones: how far a major accident at a site can reach through the air.

Screening models after the US EPA Risk Management Program *Offsite Consequence
Analysis* (OCA) guidance, EPA 550-B-99-009, for two cases: the worst case
(stability F, wind 1.5 m/s, 25 C) and the alternative case (D, 3 m/s):

* source terms (:mod:`hazid.zones.source`): the largest vessel; a gas released over
  10 minutes (x 0.55 inside a building), a liquid evaporating from a 1 cm pool or
  its bund, no air release from a solid;
* toxic (:mod:`hazid.zones.oca`): the OCA reference tables read as RMP*Comp reads
  them (worst case), the Gaussian plume with Briggs coefficients
  (:mod:`hazid.zones.toxic`) for the alternative case; a distance beyond the
  tables' 25 miles is undetermined (> 40 km);
* explosion (:mod:`hazid.zones.explosion`): vapour cloud explosion to 1 psi, TNT
  equivalence with 10 % yield, of a flammable gas or of the vapour a flammable
  liquid gives off in 10 minutes;
* fire (:mod:`hazid.zones.fire`): pool fire to 5 kW/m2 (point source) and BLEVE
  fireball to a 5 kW/m2-for-40-s dose.

The formula functions take numpy arrays (or scalars) and return arrays of the
same shape. :func:`consequence_distances` (:mod:`hazid.zones.distances`) applies
them to a ``holdings`` table (:mod:`hazid.zones.holdings`, :mod:`hazid.zones.models`,
:mod:`hazid.zones.notes`) with the data of
:mod:`hazid.zones.properties` and :mod:`hazid.zones.defaults`;
:func:`zone_polygons` (:mod:`hazid.zones.geometry`) turns the distances into
geodesic circles or downwind sectors, and :func:`population_in_zones`
(:mod:`hazid.zones.population`) counts people inside them from a population raster.
"""

from __future__ import annotations

from hazid.zones._base import HAZARDS
from hazid.zones.cases import CASE_COLUMNS, with_zone_cases
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
from hazid.zones.oca import nearest_row, oca_toxic_distance_m, specific_tables, table_lookup
from hazid.zones.population import population_in_zones
from hazid.zones.properties import load_substance_properties
from hazid.zones.source import INDOOR_FACTOR as INDOOR_FACTOR
from hazid.zones.source import (
    STORAGE_STATES,
    pool_area_m2,
    pool_evaporation_rate_kg_min,
    vapour_pressure_mmhg,
)
from hazid.zones.toxic import (
    MAX_TOXIC_DISTANCE_M,
    briggs_sigmas,
    plume_concentration_mg_m3,
    plume_distance_m,
)

__all__ = [
    "CASE_COLUMNS",
    "HAZARDS",
    "MAX_TOXIC_DISTANCE_M",
    "STORAGE_STATES",
    "briggs_sigmas",
    "consequence_distances",
    "fireball_distance_m",
    "fireball_duration_s",
    "load_category_defaults",
    "load_substance_properties",
    "nearest_row",
    "oca_toxic_distance_m",
    "plume_concentration_mg_m3",
    "plume_distance_m",
    "pool_area_m2",
    "pool_evaporation_rate_kg_min",
    "pool_fire_distance_m",
    "population_in_zones",
    "specific_tables",
    "table_lookup",
    "vapour_pressure_mmhg",
    "vce_distance_m",
    "with_zone_cases",
    "zone_polygons",
]
