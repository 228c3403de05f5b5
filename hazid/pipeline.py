"""The whole screening chain: inventory -> Annex I -> pathways -> results on disk.

:func:`screen` runs every configured stage and returns a :class:`ScreeningResults`;
:func:`write_results` writes it into a results directory (atomically). The CLI command
``hazid screen`` is a thin wrapper around these two.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid import datasets, embedded, geography, maps, tables, zones
from hazid import rivers as river_network
from hazid._version import __version__
from hazid.annex import classify
from hazid.errors import DataSourceError, InventoryError, check_choice
from hazid.i18n import parse_langs
from hazid.inventory import read_inventory, swapped_coordinates
from hazid.output.dossiers import write_notifications
from hazid.output.folder import atomic_results_dir
from hazid.output.headings import heading_function
from hazid.output.mapfiles import borders_used, dossier_maps
from hazid.output.results import (
    HOLDINGS_COLUMNS,
    SITES_COLUMNS,
    read_table,
    write_csv,
    write_json,
    write_layers,
)
from hazid.output.workbook import write_workbook
from hazid.tailings.chain import tailings_stage

logger = logging.getLogger(__name__)

__all__ = ["ScreeningResults", "screen", "write_results"]

_DEPENDENCIES = ("pandas", "numpy", "geopandas", "shapely", "pyproj", "pyogrio", "networkx")


@dataclass
class ScreeningResults:
    """Everything a screening produced, keyed by ``site_id``.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        One row per site (see :func:`hazid.classify` for the columns).
    holdings : pandas.DataFrame
        One row per holding with its Annex I entry, threshold and ratio.
    zones, affected, river_paths, borders : optional
        Filled by the pathway stages when they run.
    network, tailings : optional
        The river network built by the water stage; the tailings assessment
        (:class:`hazid.tailings.TailingsResults`) when a facility table was given.
    run : dict
        Provenance: versions, inputs with SHA-256, parameters, counts, warnings.
    sources : list of Path
        Input files read (a results folder that contains one is refused).
    """

    sites: gpd.GeoDataFrame
    holdings: pd.DataFrame
    zones: gpd.GeoDataFrame | None = None
    affected: pd.DataFrame | None = None
    river_paths: gpd.GeoDataFrame | None = None
    borders: gpd.GeoDataFrame | None = None
    network: gpd.GeoDataFrame | None = field(default=None, repr=False)
    tailings: Any = None
    run: dict[str, Any] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        """Summarise: rows per table, the stages that ran and the data used."""
        lines = [f"ScreeningResults (hazid {self.run.get('versions', {}).get('hazid', '?')})"]
        for name in ("sites", "holdings", "zones", "affected", "river_paths", "borders"):
            table = getattr(self, name)
            lines.append(
                f"  {name}: " + ("not computed" if table is None else f"{len(table)} rows")
            )
        counts = self.run.get("counts", {})
        if counts:
            lines.append(f"  hazardous activities: {counts.get('hazardous', 0)}")
        for stage, state in self.run.get("stages", {}).items():
            if isinstance(state, str):
                lines.append(f"  {stage}: {state}")
        for what, rec in self.run.get("inputs", {}).items():
            lines.append(f"  {what}: {rec.get('name', '?')}")
        return "\n".join(lines)


def _versions() -> dict[str, str]:
    out = {"hazid": __version__, "python": platform.python_version()}
    for name in _DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "not installed"
    return out


#: Columns of ``affected.csv``: the air columns of :func:`hazid.geography.affected_by_air` and
#: both weather cases (:data:`hazid.zones.CASE_COLUMNS`), then those of the water trace.
AFFECTED_COLUMNS: tuple[str, ...] = (
    *geography.AIR_COLUMNS,
    *zones.CASE_COLUMNS,
    "river",
    "river_km",
    "arrival_h",
    "peak_h",
    "peak_mg_l",
    "snap_km",
    "contaminant",
    "released_kg",
    "runout_km",
)

_DENSE_GAS_NOTE = (
    "no OCA dense-gas table is usable: dense gases other than ammonia use the neutral-gas table"
)


def _load_layer(value: Any, resolve: Callable[[Any], Any], what: str, run: dict) -> Any:
    """Resolve an optional geodata input; record what was used or why it was not."""
    if value is False:
        run["warnings"].append(f"{what} not assessed: switched off")
        return None
    try:
        layer = value if isinstance(value, gpd.GeoDataFrame) else resolve(value)
    except DataSourceError as err:
        if value is not None:  # asked for explicitly: an error
            raise
        run["warnings"].append(f"{what} not assessed: {err}")
        logger.warning("%s not assessed: %s", what, err)
        return None
    return layer


def _input_record(layer: Any) -> dict[str, Any]:
    """Name and SHA-256 of a geodata input given as a path or a layer read from one."""
    src = layer.attrs.get("source", "<layer>") if isinstance(layer, gpd.GeoDataFrame) else layer
    path = Path(str(src))
    if not path.is_file():
        return {"name": path.name or str(src)}
    # the file name and hash identify the input; local folders stay out of dossiers sent abroad
    record: dict[str, Any] = {"name": path.name, "sha256": tables.file_sha256(path)}
    shipped = embedded.provenance_for(path)
    if shipped is not None:  # the defaults shipped with hazid: say so, with scale and limits
        record.update(
            {k: shipped[k] for k in ("dataset", "version", "scale", "limits", "licence")},
            origin="embedded",
        )
    return record


def screen(
    inventory: str | Path | pd.DataFrame,
    *,
    regime: str = "convention",
    annex_version: str = tables.DEFAULT_ANNEX_VERSION,
    cluster_km: float | None = None,
    borders: str | Path | gpd.GeoDataFrame | bool | None = None,
    rivers: str | Path | gpd.GeoDataFrame | Sequence[str | Path] | bool | None = None,
    lakes: str | Path | gpd.GeoDataFrame | None = None,
    weather: str = "worst",
    basis: str | None = None,
    terrain: str = "rural",
    wind_from: float | None = None,
    sector_deg: float = 45.0,
    population: str | Path | None = None,
    uncertainty_km: float = 5.0,
    water: str = "aquatic",
    release_fraction: float = 1.0,
    snap_km: float = 10.0,
    horizon_days: float = 30.0,
    water_threshold_mg_l: float | None = None,
    decay_per_h: float = 0.0,
    velocity: str = "jobson",
    runoff_mm: float | None = None,
    gap_km: float = 100.0,
    sheet: str | int | None = None,
    allow_duplicates: bool = False,
    progress: Callable[[str], None] | None = None,
    tailings: str | Path | pd.DataFrame | None = None,
    tailings_unverified: bool = False,
) -> ScreeningResults:
    """Screen an inventory: Annex I, consequence zones, air and water pathways.

    Stages run when their inputs are available; a missing optional input is recorded in
    ``run["warnings"]`` (e.g. "water pathway not assessed: no river network"), never skipped
    silently.

    Parameters
    ----------
    inventory : str, Path or pandas.DataFrame
        Inventory file (CSV, XLSX, GeoPackage, GeoJSON) or a holdings table from
        :func:`hazid.read_inventory`.
    regime : {"convention", "seveso-lower", "seveso-upper"}, default "convention"
        Threshold column applied.
    annex_version : str, default "convention-2015"
        Annex I table version.
    cluster_km : float, optional
        Classify sites within this geodesic distance of each other together as well.
    borders : path, GeoDataFrame, False or None
        Country polygons. None: ``HAZID_BORDERS``, else the Digital Chart of the World of
        Debian's ``gmt-dcw`` package, else Natural Earth fetched with ``hazid data``, else the
        Natural Earth 1:10M borders shipped with hazid (:mod:`hazid.embedded`). False: skip.
    rivers : path, GeoDataFrame, list of paths, False or None
        River network (HydroRIVERS or plain lines; several files are merged, HydroRIVERS
        continents joined by ``NEXT_DOWN``). None: ``HAZID_RIVERS``, else a network fetched
        with ``hazid data``, else the Natural Earth 1:10M rivers shipped with hazid (large
        rivers only, no discharge). False: skip.
    lakes : path or GeoDataFrame, optional
        Lake polygons that end plain-line rivers. None: ``HAZID_LAKES``, else fetched, else
        the Natural Earth 1:10M lakes shipped with hazid.
    basis, terrain, wind_from, sector_deg, population
        Consequence-zone options (see :func:`hazid.zones.consequence_distances` and
        :func:`hazid.zones.zone_polygons`); ``basis`` (worst|alternative) is the weather case
        deciding the air pathway, both being computed (``weather`` is its former name, used
        when ``basis`` is not given); ``population`` is a raster of people per cell.
    uncertainty_km : float, default 5.0
        Border-data accuracy: an air margin within it is flagged ``uncertain``.
    water : {"aquatic", "all"}, default "aquatic"
        Assess hazardous activities holding substances hazardous to the aquatic environment,
        or every hazardous activity (fire-water run-off).
    release_fraction, snap_km, horizon_days, water_threshold_mg_l, decay_per_h, velocity
    runoff_mm, gap_km
        River pathway options (see :func:`hazid.rivers.trace_water`): ``velocity`` "jobson"
        (from discharge or drainage area) or "flat"; ``runoff_mm`` overrides the runoff depth
        that turns a drainage area into a discharge; ``gap_km``, how far from where the data
        stop another country is still asked to consult.
    sheet : str or int, optional
        Worksheet of an XLSX inventory (default: the active sheet).
    allow_duplicates : bool, default False
        Add up inventory rows repeated exactly (otherwise they are an error).
    progress : callable, optional
        Called with the label of each stage as it starts.
    tailings : path or DataFrame, optional
        Tailings facility table: the ``tailings`` pathway (see
        :func:`hazid.tailings.chain.tailings_stage`) on the water stage's network.
    tailings_unverified : bool, default False
        Accept the unverified run-out relation where no ``runout_km`` is given.

    Returns
    -------
    ScreeningResults

    Examples
    --------
    >>> import pandas as pd
    >>> res = screen(pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
    ...                            "substance": ["chlorine"], "quantity": ["30"]}),
    ...              borders=False, rivers=False)
    >>> res.sites[["site_id", "hazardous", "reasons"]].to_dict("records")
    [{'site_id': 'A', 'hazardous': True, 'reasons': 'chlorine 30 t >= 25 t (Part II item 10)'}]
    >>> res.run["warnings"]
    ['air pathway not assessed: switched off', 'water pathway not assessed: switched off']
    """
    check_choice("water", water, ("aquatic", "all"))
    step = progress or (lambda label: None)
    parameters = {
        "regime": regime,
        "annex_version": annex_version,
        "cluster_km": cluster_km,
        "weather": basis if basis is not None else weather,
        "terrain": terrain,
        "wind_from": wind_from,
        "sector_deg": sector_deg,
        "uncertainty_km": uncertainty_km,
        "water": water,
        "release_fraction": release_fraction,
        "snap_km": snap_km,
        "horizon_days": horizon_days,
        "water_threshold_mg_l": water_threshold_mg_l,
        "decay_per_h": decay_per_h,
        "velocity": velocity,
        "runoff_mm": runoff_mm,
        "gap_km": gap_km,
    }
    run = _new_run(parameters, annex_version)
    step("reading inventory")
    holdings, sources = _read_holdings(
        inventory, run, sheet=sheet, allow_duplicates=allow_duplicates
    )
    step("classifying under Annex I")
    sites, holdings = classify(
        holdings, regime=regime, annex_version=annex_version, cluster_km=cluster_km
    )
    run["stages"]["annex"] = "done"
    results = ScreeningResults(sites=sites, holdings=holdings, run=run, sources=sources)

    step("loading borders")
    border_layer = _load_layer(borders, geography.resolve_borders, "air pathway", run)
    if border_layer is not None and border_layer is borders:
        # a layer given in memory is standardised (codes, repairs) as a file would be
        border_layer = geography.load_borders(borders)
    affected_parts = []
    if border_layer is not None:
        affected_parts.append(_air_stage(results, border_layer, parameters, population, step))
    else:
        run["stages"]["air"] = "not assessed"

    step("loading river network")
    network_input = None
    if border_layer is None:
        why = "switched off" if rivers is False else "no country borders"
        run["warnings"].append(f"water pathway not assessed: {why}")
    else:
        network_input = _load_layer(rivers, river_network.resolve_rivers, "water pathway", run)
    if network_input is not None:
        affected_parts.append(
            _water_stage(results, network_input, lakes, border_layer, parameters, step)
        )
    else:
        run["stages"]["water"] = "not assessed"
    if tailings is not None:
        step("assessing tailings facilities")
        rows = tailings_stage(results, tailings, unverified=tailings_unverified)
        affected_parts += [rows] if border_layer is not None else []

    if affected_parts:
        results.affected = _combine_affected(affected_parts)
    _count(results)
    return results


def _new_run(parameters: dict[str, Any], annex_version: str) -> dict[str, Any]:
    """Start the provenance record of a run, filled by the stages as they go."""
    return {
        "versions": _versions(),
        "annex": {"version": annex_version, "tables_sha256": tables.table_sha256(annex_version)},
        "parameters": parameters,
        "inputs": {},
        "warnings": [],
        "stages": {},
        "limitations": [],
    }


def _read_holdings(
    inventory: str | Path | pd.DataFrame,
    run: dict[str, Any],
    *,
    sheet: str | int | None = None,
    allow_duplicates: bool = False,
) -> tuple[pd.DataFrame, list[Path]]:
    """Read the inventory; record its name, hash and renamed columns."""
    sources: list[Path] = []
    if isinstance(inventory, pd.DataFrame):
        holdings = (
            inventory
            if "substance_key" in inventory.columns
            else read_inventory(inventory, allow_duplicates=allow_duplicates)
        )
        run["inputs"]["inventory"] = {"name": holdings.attrs.get("source", "<table>")}
    else:
        path = Path(inventory)
        holdings = read_inventory(path, sheet=sheet, allow_duplicates=allow_duplicates)
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


def _air_stage(
    results: ScreeningResults,
    border_layer: gpd.GeoDataFrame,
    p: dict[str, Any],
    population: str | Path | None,
    step: Callable[[str], None],
) -> pd.DataFrame:
    """Locate the sites, model their zones and find the countries reached by air."""
    run, holdings = results.run, results.holdings
    run["warnings"].extend(border_layer.attrs.get("warnings", []))
    run["inputs"]["borders"] = _input_record(border_layer)
    results.borders = border_layer
    step("locating sites")
    sites = geography.assign_country(results.sites, border_layer)
    _check_swapped(holdings, sites, border_layer, run)
    sites = geography.border_distance(sites, border_layer)
    for warning in sites.get("country_warning", pd.Series(dtype=str)).dropna():
        if warning:
            run["warnings"].append(str(warning))
    results.sites = sites
    step("modelling consequence zones")
    hazardous = sites.loc[sites["hazardous"], "site_id"]
    h_haz = holdings[holdings["site_id"].isin(hazardous)]
    distances = zones.consequence_distances(h_haz, basis=p["weather"], terrain=p["terrain"])
    zone_gdf = zones.zone_polygons(
        sites[sites["hazardous"]], distances, wind_from=p["wind_from"], sector_deg=p["sector_deg"]
    )
    if population is not None:
        zone_gdf["population"] = zones.population_in_zones(zone_gdf, population).to_numpy()
        run["inputs"]["population"] = _input_record(population)
    results.zones = zone_gdf
    step("finding countries reached by air")
    air = geography.affected_by_air(
        sites, zone_gdf, border_layer, uncertainty_km=p["uncertainty_km"]
    )
    undetermined = zone_gdf["site_id"].isin(zone_gdf.loc[zone_gdf["undetermined"], "site_id"])
    det = zone_gdf[undetermined & ~zone_gdf["undetermined"]]
    det = geography.affected_by_air(sites, det, border_layer, uncertainty_km=p["uncertainty_km"])
    air = zones.with_zone_cases(air.assign(pathway="air"), distances, determined=det)
    if population is not None:
        air["population_affected"] = _people_in_affected(air, zone_gdf, border_layer, population)
    run["stages"]["air"] = "done"
    run["limitations"].append(_DENSE_GAS_NOTE)
    return air


def _check_swapped(
    holdings: pd.DataFrame, sites: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, run: dict
) -> None:
    """Refuse sites whose lon/lat look swapped, judged by the inventory's own country."""
    if "country" not in sites.columns or "row" not in holdings.columns:
        return
    located = holdings[["row", "site_id"]].merge(
        sites[["site_id", "country", "lon", "lat"]], on="site_id"
    )
    xy = zip(sites["lon"], sites["lat"], strict=True)
    known = dict(zip(xy, sites["site_country"], strict=True))

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


def _water_stage(
    results: ScreeningResults,
    network_input: Any,
    lakes: Any,
    border_layer: gpd.GeoDataFrame,
    p: dict[str, Any],
    step: Callable[[str], None],
) -> pd.DataFrame:
    """Build the river network and trace each hazardous activity's spill downstream."""
    run, sites = results.run, results.sites
    run["inputs"]["rivers"] = (
        [_input_record(x) for x in network_input]
        if isinstance(network_input, list)
        else _input_record(network_input)
    )
    lake_layer = lakes
    if lake_layer is None or isinstance(lake_layer, str | os.PathLike):
        lake_layer = datasets.resolve_lakes(lake_layer)
    run["inputs"]["lakes"] = _input_record(lake_layer)
    step("building river network")
    network = river_network.build_network(network_input, borders=border_layer, lakes=lake_layer)
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


def _combine_affected(affected_parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One ``affected`` table: air rows first, then water rows by arrival, per site."""
    parts = [p for p in affected_parts if len(p)]
    affected = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=list(AFFECTED_COLUMNS))
    )
    for col in AFFECTED_COLUMNS:
        if col not in affected.columns:
            affected[col] = pd.NA
    order = {"air": 0, "water": 1, "tailings": 2}
    affected = affected.assign(_p=affected["pathway"].map(order)).sort_values(
        ["site_id", "_p", "arrival_h", "affected"], kind="stable", na_position="first"
    )
    return affected.drop(columns="_p").reset_index(drop=True)


def _count(results: ScreeningResults) -> None:
    sites, run = results.sites, results.run
    run["counts"] = {
        "sites": len(sites),
        "holdings": len(results.holdings),
        "hazardous": int(sites["hazardous"].sum()),
    }
    if results.affected is not None:
        run["counts"]["affected_rows"] = len(results.affected)
        run["counts"]["parties_affected"] = int(results.affected["affected"].nunique())


def write_results(
    results: ScreeningResults,
    out_dir: str | Path,
    *,
    contacts: str | Path | pd.DataFrame | None = None,
    map_html: bool = True,
    tiles: str | None = None,
    static_maps: bool = True,
    overwrite: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    lang: str | Sequence[str] = "en",
    response_days: int | None = None,
) -> Path:
    """Write a screening into ``out_dir``, swapped in whole once everything is written.

    ``out_dir`` may be new or empty; an earlier hazid results folder is replaced only with
    ``overwrite=True``; anything else is refused before a file is written (see
    :mod:`hazid.output.folder`).

    Writes ``sites.csv``, ``holdings.csv``, ``run.json`` and, when the pathway stages ran,
    ``affected.csv``, ``results.gpkg`` (layers ``sites``, ``zones``, ``river_paths``,
    ``borders``), the notification dossiers in ``notifications/`` and ``map.html``.

    Parameters
    ----------
    results : ScreeningResults
        From :func:`screen`.
    out_dir : str or Path
        Results folder: new, empty, or (with ``overwrite``) an earlier hazid results folder.
    contacts : path or DataFrame, optional
        Competent authorities and points of contact per country (see
        :func:`hazid.notify.read_contacts`).
    map_html : bool, default True
        Write the interactive map ``map.html``.
    tiles : str, optional
        Tile URL for an online base map (the map works offline without it).
    static_maps : bool, default True
        Draw a PNG map per activity in the dossiers.
    overwrite : bool, default False
        Replace an earlier hazid results folder at ``out_dir``.
    now : datetime, optional
        Time recorded in ``run.json`` and date of the dossiers (default: now, UTC).
    progress : callable, optional
        Called with the label of each step.
    lang : str or sequence of str, default "en"
        Language(s) of the dossiers: ``"en"``, ``"ru"`` or ``"en,ru"`` (see
        :func:`hazid.write_notifications`).
    response_days : int, optional
        Days the affected Party is given to reply (Annex III, paragraph 3(b)).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    OutputError
        When ``out_dir`` may not be written (see :func:`hazid.output.folder.check_results_dir`).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> res = screen(pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
    ...                            "substance": ["chlorine"], "quantity": ["30"]}),
    ...              borders=False, rivers=False)
    >>> out = write_results(res, pathlib.Path(tempfile.mkdtemp()) / "results")
    >>> sorted(p.name for p in out.iterdir())
    ['.hazid-results', 'holdings.csv', 'map.html', 'results.xlsx', 'run.json', 'sites.csv']
    """
    step = progress or (lambda label: None)
    out_dir = Path(out_dir)
    now = now or dt.datetime.now(dt.UTC)
    langs = parse_langs(lang)
    has_borders = results.borders is not None
    run = dict(results.run)
    run["parameters"] = {**run.get("parameters", {}), "lang": list(langs)}
    run["finished_utc"] = now.replace(microsecond=0).isoformat()
    run.setdefault("date", now.date().isoformat())
    # the countries of every HTML map of the run, projected and simplified once
    base = maps.BaseMap(results.borders, lang=langs[0]) if map_html and has_borders else None
    with atomic_results_dir(out_dir, overwrite=overwrite, inputs=results.sources) as tmp:
        step("writing tables")
        write_csv(results.sites, tmp / "sites.csv", SITES_COLUMNS)
        write_csv(results.holdings, tmp / "holdings.csv", HOLDINGS_COLUMNS)
        layers: dict[str, Any] = {"sites": results.sites}
        if results.affected is not None:
            write_csv(results.affected, tmp / "affected.csv", AFFECTED_COLUMNS)
            layers["zones"] = results.zones
            layers["river_paths"] = results.river_paths
            layers["borders"] = borders_used(results)
            write_layers(tmp / "results.gpkg", layers)
            step("writing notification dossiers")
            summary = write_notifications(
                tmp,
                results.sites,
                results.holdings,
                results.affected,
                zones=results.zones,
                river_paths=results.river_paths,
                borders=layers["borders"],
                contacts=contacts,
                run={k: v for k, v in run.items() if k != "finished_utc"},  # dossiers: date only
                maps=static_maps,
                map_links=map_html,
                lang=lang,
                response_days=response_days,
            )
            if map_html:
                step("drawing a map per dossier")
                dossier_maps(
                    results, tmp / "notifications", summary, tiles=tiles, lang=langs[0], base=base
                )
        if map_html:
            step("drawing the interactive map")
            maps.write_map(results, tmp / "map.html", tiles=tiles, lang=langs[0], base=base)
        _workbook(results, tmp, langs[0])
        write_json(run, tmp / "run.json")
    return out_dir


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


def _workbook(results: ScreeningResults, folder: Path, lang: str) -> None:
    """Write ``results.xlsx``: the result tables as sheets, headings in the run's language."""
    notes = folder / "notifications"
    tables: dict[str, pd.DataFrame | None] = {
        "sites": results.sites,
        "holdings": results.holdings,
        "affected": results.affected,
    }
    for name in ("summary", "activities"):
        csv = notes / f"{name}.csv"
        tables[name] = read_table(csv) if csv.is_file() else None
    write_workbook(folder / "results.xlsx", tables, headings=heading_function(lang))
