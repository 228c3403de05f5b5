"""River pathway: network building, downstream tracing and transport screening.

A spill into a river reaches the Parties downstream. This package

1. builds a directed river network as a *reach table* (one row per reach,
   keyed by ``reach_id``, with ``next_down`` pointing to the downstream reach,
   ``0`` at an outlet), either from HydroRIVERS (read natively,
   :mod:`hazid.rivers.hydrorivers`) or from plain river lines such as Natural
   Earth, whose flow direction it infers (:mod:`hazid.rivers.lines`); checks it
   (:mod:`hazid.rivers.graph`), classifies where rivers end against a sourced
   table of closed basins and terminal rivers (:mod:`hazid.rivers.outlets`,
   :mod:`hazid.rivers.data`) and marks the lakes and reservoirs the rivers
   cross (:mod:`hazid.rivers.lakes`); several river files are merged
   (HydroRIVERS continents joined by ``NEXT_DOWN``);
2. connects sites to the nearest reach (:mod:`hazid.rivers.sites`) and finds
   the countries of each reach (:mod:`hazid.rivers.countries`);
3. traces every site downstream in a single vectorised pass over the
   ``next_down`` array (pointer jumping), listing the countries reached
   (:mod:`hazid.rivers.trace`); every site's water pathway is ``assessed`` or
   ``not assessed`` with the reason, never a silent "no effect"
   (:mod:`hazid.rivers.outcomes`);
4. estimates leading-edge arrival (Jobson's maximum probable velocity), peak
   time (his peak velocity) and peak concentration with the USGS screening
   method of Jobson (1996), from the network's discharge or from its drainage
   area times a sourced runoff depth (on plain lines, a drainage area estimated
   from the longest river course upstream by Hack's law, flagged in the
   results), with lake delays and dilution (:mod:`hazid.rivers.hydrology`,
   :mod:`hazid.rivers.transport`); a stated flat velocity where the network
   has neither, or on request.

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

Hack, J.T. (1957). Studies of longitudinal stream profiles in Virginia and
Maryland. USGS Professional Paper 294-B.
"""

from __future__ import annotations

from hazid.rivers.countries import _country_pairs as _country_pairs
from hazid.rivers.countries import reach_countries
from hazid.rivers.data import closed_basins, lake_volumes, runoff_depths
from hazid.rivers.geodesy import EARTH_RADIUS_M as EARTH_RADIUS_M
from hazid.rivers.geodesy import _geodesic_length_km as _geodesic_length_km
from hazid.rivers.geodesy import _haversine_m as _haversine_m
from hazid.rivers.graph import REACH_COLUMNS as REACH_COLUMNS
from hazid.rivers.graph import check_network, network_graph
from hazid.rivers.hydrology import hack_area_km2, mean_discharge
from hazid.rivers.hydrorivers import network_from_hydrorivers
from hazid.rivers.lakes import assign_lakes
from hazid.rivers.lines import network_from_lines
from hazid.rivers.network import build_network
from hazid.rivers.outlets import (
    ENDORHEIC_LAKES,
    ENDORHEIC_SEAS,
    TERMINAL_RIVERS,
    cut_terminal_rivers,
)
from hazid.rivers.paths import data_ends
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
    "TERMINAL_RIVERS",
    "ade_concentration",
    "ade_peak",
    "assign_lakes",
    "build_network",
    "check_network",
    "closed_basins",
    "connect_sites",
    "cut_terminal_rivers",
    "data_ends",
    "fischer_dispersion",
    "hack_area_km2",
    "jobson_peak_concentration",
    "jobson_reach",
    "jobson_unit_peak",
    "jobson_velocity",
    "lake_volumes",
    "mean_discharge",
    "network_from_hydrorivers",
    "network_from_lines",
    "network_graph",
    "reach_countries",
    "read_rivers",
    "resolve_rivers",
    "runoff_depths",
    "trace_water",
    "water_mass_by_site",
]
