"""The stages of a screening: the inventory, the air pathway, the water pathway."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid import datasets, geography, maps, zones
from hazid import rivers as river_network
from hazid.columns import isin
from hazid.errors import InventoryError
from hazid.inventory import InputLimits, read_inventory, swapped_coordinates
from hazid.inventory.sites import checkable
from hazid.pipeline.results import _DENSE_GAS_NOTE, ScreeningResults, _input_record

logger = logging.getLogger(__name__)


def _read_holdings(
    inventory: str | Path | pd.DataFrame,
    run: dict[str, Any],
    *,
    sheet: str | int | None = None,
    allow_duplicates: bool = False,
    limits: InputLimits | None = None,
) -> tuple[pd.DataFrame, list[Path]]:
    """Read the inventory within ``limits``; record its name, hash and renamed columns."""
    sources: list[Path] = []
    if isinstance(inventory, pd.DataFrame):
        holdings = (
            inventory
            if "substance_key" in inventory.columns
            else read_inventory(inventory, allow_duplicates=allow_duplicates, limits=limits)
        )
        run["inputs"]["inventory"] = {"name": holdings.attrs.get("source", "<table>")}
    else:
        path = Path(inventory)
        holdings = read_inventory(
            path, sheet=sheet, allow_duplicates=allow_duplicates, limits=limits
        )
        run["inputs"]["inventory"] = {"name": path.name, "sha256": holdings.attrs["sha256"]}
        for key in ("sheet", "encoding", "separator", "decimal"):
            if holdings.attrs.get(key):
                run["inputs"]["inventory"][key] = holdings.attrs[key]
        sources.append(path)
    renamed = holdings.attrs.get("renamed_columns") or {}
    if renamed:
        run["inputs"]["inventory"]["renamed_columns"] = dict(renamed)
    run["warnings"].extend(holdings.attrs.get("warnings", []))
    return holdings, sources


def _locate_sites(
    results: ScreeningResults, border_layer: gpd.GeoDataFrame, step: Callable[[str], None]
) -> None:
    """Record the borders and give each site its country (refusing swapped coordinates)."""
    run = results.run
    run["warnings"].extend(border_layer.attrs.get("warnings", []))
    run["inputs"]["borders"] = _input_record(border_layer)
    results.borders = border_layer
    step("locating sites")
    sites = geography.assign_country(results.sites, border_layer)
    _check_swapped(results.holdings, sites, border_layer, run)
    results.sites = sites


@dataclass
class _AirEffects:
    """What the air stage adds: the sites with their border distances, the zones, the rows.

    ``sites`` holds only the columns added when ``given`` is set (:func:`_only_added`).
    """

    sites: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    air: pd.DataFrame
    warnings: list[str]
    population: dict[str, Any] | None
    world: dict[str, Any] | None = None  # the HTML maps' countries, see _air_effects_aside
    #: the columns of the sites the stage was given, when ``sites`` holds only those it added
    #: (sent back by a forked process: the sites themselves are the caller's already)
    given: list[str] | None = None


def _air_effects(
    sites: gpd.GeoDataFrame,
    holdings: pd.DataFrame,
    border_layer: gpd.GeoDataFrame,
    p: dict[str, Any],
    population: str | Path | None,
    step: Callable[[str], None],
) -> _AirEffects:
    """Measure the distances to the borders, model the zones, find the countries reached by air.

    Changes nothing it is given, so it may run in a forked process (:func:`hazid.forked.aside`).
    """
    sites = geography.border_distance(sites, border_layer)
    noted = sites.get("country_warning", pd.Series(dtype=str)).dropna()
    warnings = [str(w) for w in noted[noted != ""].tolist() if w]  # most sites have none
    step("modelling consequence zones")
    hazardous = sites.loc[sites["hazardous"], "site_id"]
    h_haz = holdings[isin(holdings["site_id"], hazardous)]
    distances = zones.consequence_distances(h_haz, basis=p["weather"], terrain=p["terrain"])
    zone_gdf = zones.zone_polygons(
        sites[sites["hazardous"]], distances, wind_from=p["wind_from"], sector_deg=p["sector_deg"]
    )
    if population is not None:
        zone_gdf["population"] = zones.population_in_zones(zone_gdf, population).to_numpy()
    step("finding countries reached by air")
    air = geography.affected_by_air(
        sites, zone_gdf, border_layer, uncertainty_km=p["uncertainty_km"]
    )
    undetermined = isin(zone_gdf["site_id"], zone_gdf.loc[zone_gdf["undetermined"], "site_id"])
    det = zone_gdf[undetermined & ~zone_gdf["undetermined"].to_numpy(dtype=bool)]
    det = geography.affected_by_air(sites, det, border_layer, uncertainty_km=p["uncertainty_km"])
    air = zones.with_zone_cases(air.assign(pathway="air"), distances, determined=det)
    if population is not None:
        air["population_affected"] = _people_in_affected(air, zone_gdf, border_layer, population)
    record = _input_record(population) if population is not None else None
    return _AirEffects(sites, zone_gdf, air, warnings, record)


def _air_effects_aside(
    sites: gpd.GeoDataFrame,
    holdings: pd.DataFrame,
    border_layer: gpd.GeoDataFrame,
    parameters: dict,
    population: str | Path | None,
) -> _AirEffects:
    """:func:`_air_effects`, in a forked process beside the water stage; then the countries.

    The countries of the HTML maps at the world level (:func:`hazid.maps.world_level`) are
    worked out next, while the water stage usually still runs, rather than when the maps are
    drawn; if that fails, they are worked out then.
    """
    effects = _air_effects(sites, holdings, border_layer, parameters, population, lambda _: None)
    try:
        effects.world = maps.world_level(border_layer)
    except Exception as err:  # the maps work them out themselves
        logger.debug("countries of the maps not prepared beside the water stage: %s", err)
    return _only_added(effects, sites)


def _only_added(effects: _AirEffects, sites: gpd.GeoDataFrame) -> _AirEffects:
    """Keep of ``effects.sites`` only the columns the air stage added to ``sites``.

    The caller of a forked process has the same sites (the same rows, in the same order):
    sent back whole, a national inventory's sites took about half a second to pickle and
    unpickle. Left whole when the stage changed anything else (rows, index, columns).
    """
    out = effects.sites
    given = list(sites.columns)
    if list(out.columns[: len(given)]) != given or not out.index.equals(sites.index):
        return effects
    effects.sites = pd.DataFrame(out.iloc[:, len(given) :])
    effects.given = given
    return effects


def _apply_air(
    results: ScreeningResults, effects: _AirEffects, *, warnings_at: int, limitations_at: int
) -> pd.DataFrame:
    """Put the air stage's results in place, its notes where the stage would have added them.

    A ``water_mass_kg`` column the water stage added meanwhile (to the located sites, in the
    same row order) is carried over. Returns the air rows.
    """
    run = results.run
    sites = effects.sites if effects.given is None else _with_added(results.sites, effects)
    if "water_mass_kg" in results.sites and "water_mass_kg" not in sites:
        sites["water_mass_kg"] = results.sites["water_mass_kg"].to_numpy()
    results.sites = sites
    results.zones = effects.zones
    results.map_world = effects.world
    run["warnings"][warnings_at:warnings_at] = effects.warnings
    if effects.population is not None:
        run["inputs"]["population"] = effects.population
    run["stages"]["air"] = "done"
    run["limitations"].insert(limitations_at, _DENSE_GAS_NOTE)
    return effects.air


def _with_added(sites: gpd.GeoDataFrame, effects: _AirEffects) -> gpd.GeoDataFrame:
    """``sites`` as the air stage was given them, with the columns it added (:func:`_only_added`).

    The columns ``sites`` gained meanwhile (``water_mass_kg``, by the water stage) are left
    out, as they were not in the air stage's sites.
    """
    out = sites[effects.given]
    for name in effects.sites.columns:  # the same rows in the same order: by position
        out[name] = effects.sites[name].array
    return out


def _check_swapped(
    holdings: pd.DataFrame, sites: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, run: dict
) -> None:
    """Refuse sites whose lon/lat look swapped, judged by the inventory's own country."""
    if "country" not in sites.columns or "row" not in holdings.columns:
        return
    if not checkable(sites).any():  # no site has a country and coordinates: none is checked
        return
    located = holdings[["row", "site_id"]].merge(
        sites[["site_id", "country", "lon", "lat"]], on="site_id"
    )
    # plain lists: iterating the columns element by element is many times slower
    xy = zip(sites["lon"].to_numpy().tolist(), sites["lat"].to_numpy().tolist(), strict=True)
    known = dict(zip(xy, sites["site_country"].to_numpy(dtype=object).tolist(), strict=True))

    def country_at(lon: float, lat: float) -> str:
        if (lon, lat) in known:
            return known[(lon, lat)]
        point = gpd.GeoDataFrame(
            {"site_id": ["swapped"]}, geometry=[shapely.Point(lon, lat)], crs=4326
        )
        return str(geography.assign_country(point, borders)["site_country"].iloc[0])

    problems = swapped_coordinates(located, country_at)
    if len(problems):
        raise InventoryError(problems, source=run["inputs"]["inventory"]["name"])


def _rivers_record(network_input: Any) -> Any:
    """Return what ``run.json`` records of the river input(s): names and hashes."""
    if isinstance(network_input, list):
        return [_input_record(x) for x in network_input]
    return _input_record(network_input)


def _lake_layer(lakes: Any) -> Any:
    """Return the lakes given, or the default ones (a path) when none or a path is given."""
    if lakes is None or isinstance(lakes, str | os.PathLike):
        return datasets.resolve_lakes(lakes)
    return lakes


@dataclass
class _Built:
    """A river network built early (:func:`_early_network`), and what it was built from."""

    rivers: Any  # as given to screen
    input: Any  # as resolved
    lakes: Any
    record: Any
    network: gpd.GeoDataFrame

    def resolve(self, value: Any) -> Any:
        """Stand-in for :func:`hazid.rivers.resolve_rivers`: the input already resolved."""
        return self.input if value is self.rivers else river_network.resolve_rivers(value)


def _early_network(
    borders: Any,
    rivers: Any,
    lakes: Any,
    *,
    stop: Callable[[], bool],
    loaded: Callable[[gpd.GeoDataFrame], None] = lambda border_layer: None,
) -> _Built | None:
    """Read the borders and build the river network, as the stages would later; or None.

    None when anything goes wrong (the stages then do it again, and raise or record the
    problem as usual) or when ``stop()`` says, before the river network is read, that the
    work would be wasted. ``loaded`` is given the borders as soon as they are read.
    """
    try:
        if isinstance(borders, gpd.GeoDataFrame):
            border_layer = geography.load_borders(borders)
        else:
            border_layer = geography.resolve_borders(borders)
        loaded(border_layer)
        if stop():
            return None
        inp = (
            rivers if isinstance(rivers, gpd.GeoDataFrame) else river_network.resolve_rivers(rivers)
        )
        lake_layer = _lake_layer(lakes)
        network = river_network.build_network(inp, borders=border_layer, lakes=lake_layer)
        return _Built(rivers, inp, lake_layer, _rivers_record(inp), network)
    except Exception:
        return None


def _water_stage(
    results: ScreeningResults,
    network_input: Any,
    lakes: Any,
    border_layer: gpd.GeoDataFrame,
    p: dict[str, Any],
    step: Callable[[str], None],
    built: _Built | None = None,
) -> pd.DataFrame:
    """Build the river network and trace each hazardous activity's spill downstream.

    ``built``, the network built earlier from the same ``network_input``, is taken as it is.
    """
    run, sites = results.run, results.sites
    if built is not None and built.input is not network_input:
        built = None
    run["inputs"]["rivers"] = built.record if built else _rivers_record(network_input)
    lake_layer = built.lakes if built else _lake_layer(lakes)
    run["inputs"]["lakes"] = _input_record(lake_layer)
    step("building river network")
    network = (
        built.network
        if built
        else river_network.build_network(network_input, borders=border_layer, lakes=lake_layer)
    )
    results.network = network
    run["stages"]["network"] = network.attrs.get("report", {})
    run["warnings"].extend(run["stages"]["network"].get("warnings", []))
    mass = river_network.water_mass_by_site(
        results.holdings, water=p["water"], release_fraction=p["release_fraction"]
    )
    sites["water_mass_kg"] = sites["site_id"].map(mass).fillna(0.0)
    wet = sites["hazardous"] & ((sites["water_mass_kg"] > 0) | (p["water"] == "all"))
    step("tracing spills downstream")
    water_rows, paths = river_network.trace_water(
        sites[wet],
        network,
        border_layer,
        snap_km=p["snap_km"],
        horizon_days=p["horizon_days"],
        water_threshold_mg_l=p["water_threshold_mg_l"],
        decay_per_h=p["decay_per_h"],
        velocity=p["velocity"],
        runoff_mm=p["runoff_mm"],
        gap_km=p["gap_km"],
    )
    water_rows["pathway"] = "water"
    results.river_paths = paths
    run["warnings"].extend(paths.attrs.get("warnings", []))
    gaps = int((paths["water_status"] == "not assessed").sum()) if len(paths) else 0
    run["stages"]["water"] = f"done: {int(wet.sum())} sites traced, {gaps} not assessed"
    return water_rows


def _people_in_affected(
    air: pd.DataFrame, zone_gdf: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, raster: Any
) -> np.ndarray:
    """People of the affected Party inside each air row's zone (the zone clipped to the Party)."""
    if air.empty:
        return np.empty(0)
    zone_of = zone_gdf.set_index(["site_id", "hazard"]).geometry
    country_of = borders.set_index("iso_a3").geometry
    keys = list(zip(air["site_id"], air["hazard"], strict=True))
    clipped = shapely.intersection(
        zone_of.loc[keys].to_numpy(), country_of.loc[air["affected"]].to_numpy()
    )
    # keep the polygonal part (a zone touching a border along a line adds no area)
    parts = [
        shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type.endswith("Polygon")])
        for g in clipped
    ]
    areas = gpd.GeoDataFrame(geometry=parts, crs="EPSG:4326")
    people = np.zeros(len(areas))
    has_area = ~areas.geometry.is_empty.to_numpy()
    if has_area.any():
        people[has_area] = zones.population_in_zones(areas[has_area], raster).to_numpy()
    return people
