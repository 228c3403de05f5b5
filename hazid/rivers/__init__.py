"""River pathway: network building, downstream tracing and transport screening.

A spill into a river reaches the Parties downstream. This package

1. builds a directed river network as a *reach table* (one row per reach,
   keyed by ``reach_id``, with ``next_down`` pointing to the downstream reach,
   ``0`` at an outlet), either from HydroRIVERS (read natively,
   :mod:`hazid.rivers.hydrorivers`) or from plain river lines such as Natural
   Earth, whose flow direction it infers (:mod:`hazid.rivers.lines`); checks it
   (:mod:`hazid.rivers.graph`) and classifies where rivers end
   (:mod:`hazid.rivers.outlets`);
2. connects sites to the nearest reach (:mod:`hazid.rivers.sites`) and finds
   the countries of each reach (:mod:`hazid.rivers.countries`);
3. traces every site downstream in a single vectorised pass over the
   ``next_down`` array (pointer jumping), listing the countries reached
   (:mod:`hazid.rivers.trace`);
4. estimates leading-edge arrival, peak time and peak concentration with the
   USGS screening method of Jobson (1996), where the network carries
   discharge and drainage area, or travel times from a stated default velocity
   otherwise (:mod:`hazid.rivers.transport`).

Distances are measured on the sphere (radius 6,371.0088 km) in local azimuthal
equidistant projections computed per feature, or with WGS84 geodesics
(:class:`pyproj.Geod`) for line lengths; nothing is measured in degrees
(:mod:`hazid.rivers.geodesy`).

References
----------
Jobson, H.E. (1996). Prediction of traveltime and longitudinal dispersion in
rivers and streams. USGS Water-Resources Investigations Report 96-4013.

Lehner, B., Grill, G. (2013). Global river hydrography and network routing:
baseline data and new approaches to study the world's large river systems.
Hydrological Processes 27(15): 2171-2186 (HydroRIVERS).

Fischer, H.B. et al. (1979). Mixing in Inland and Coastal Waters. Academic Press.
"""

from __future__ import annotations

from hazid.rivers.countries import _country_pairs as _country_pairs
from hazid.rivers.countries import reach_countries
from hazid.rivers.geodesy import EARTH_RADIUS_M as EARTH_RADIUS_M
from hazid.rivers.geodesy import _geodesic_length_km as _geodesic_length_km
from hazid.rivers.geodesy import _haversine_m as _haversine_m
from hazid.rivers.graph import REACH_COLUMNS as REACH_COLUMNS
from hazid.rivers.graph import check_network, network_graph
from hazid.rivers.hydrorivers import network_from_hydrorivers
from hazid.rivers.lines import network_from_lines
from hazid.rivers.network import build_network
from hazid.rivers.outlets import ENDORHEIC_LAKES, ENDORHEIC_SEAS
from hazid.rivers.sites import connect_sites, water_mass_by_site
from hazid.rivers.sources import read_rivers, resolve_rivers
from hazid.rivers.trace import trace_water
from hazid.rivers.transport import (
    DEFAULT_VELOCITY_MS,
    LEADING_EDGE_FACTOR,
    ade_concentration,
    ade_peak,
    fischer_dispersion,
    jobson_peak_concentration,
    jobson_reach,
    jobson_unit_peak,
    jobson_velocity,
)
from hazid.rivers.transport import GRAVITY as GRAVITY

__all__ = [
    "DEFAULT_VELOCITY_MS",
    "ENDORHEIC_LAKES",
    "ENDORHEIC_SEAS",
    "LEADING_EDGE_FACTOR",
    "ade_concentration",
    "ade_peak",
    "build_network",
    "check_network",
    "connect_sites",
    "fischer_dispersion",
    "jobson_peak_concentration",
    "jobson_reach",
    "jobson_unit_peak",
    "jobson_velocity",
    "network_from_hydrorivers",
    "network_from_lines",
    "network_graph",
    "reach_countries",
    "read_rivers",
    "resolve_rivers",
    "trace_water",
    "water_mass_by_site",
]
