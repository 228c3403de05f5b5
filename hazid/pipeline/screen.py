"""The whole screening chain: inventory -> Annex I -> air and water pathways -> tailings."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hazid import geography, tables
from hazid import rivers as river_network
from hazid.annex import classify
from hazid.collector import collect_less
from hazid.errors import check_choice
from hazid.forked import Handover, aside, can_fork
from hazid.inventory import InputLimits
from hazid.pipeline.results import (
    ScreeningResults,
    _combine_affected,
    _count,
    _load_layer,
    _new_run,
)
from hazid.pipeline.stages import (
    _air_effects,
    _air_effects_aside,
    _AirEffects,
    _apply_air,
    _Built,
    _early_network,
    _locate_sites,
    _read_holdings,
    _water_stage,
)
from hazid.tailings.chain import tailings_stage

logger = logging.getLogger(__name__)


@collect_less()
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
    limits: InputLimits | None = None,
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
    limits : InputLimits, optional
        Largest inventory accepted (rows, file size, ...; default
        :class:`~hazid.inventory.limits.InputLimits`): a larger one is refused before it is
        parsed.

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
    options = {
        "read": {"sheet": sheet, "allow_duplicates": allow_duplicates, "limits": limits},
        "classify": {"regime": regime, "annex_version": annex_version, "cluster_km": cluster_km},
    }
    early = None
    if _large(inventory):
        step("reading inventory (the river network is built alongside)")
        early = _Early(inventory, borders, rivers, lakes, run, options, (parameters, population))
    front = early.front(run) if early is not None else None
    if front is not None:  # read, classified and located aside while the rivers were built
        results, border_layer = front
        for label in ("classifying under Annex I", "loading borders", "locating sites"):
            step(label)
    else:
        results, border_layer = _front(inventory, borders, run, step, options)
    affected_parts = []
    air_done: Callable[[], pd.DataFrame] | None = None
    if border_layer is not None:
        started = early.air() if early is not None else None
        air_done = _start_air(
            results, border_layer, parameters, population, step, rivers, started=started
        )
    else:
        run["stages"]["air"] = "not assessed"

    step("loading river network")
    network_input = None
    built = early.network() if early is not None else None
    if border_layer is None:
        why = "switched off" if rivers is False else "no country borders"
        run["warnings"].append(f"water pathway not assessed: {why}")
    else:
        resolve = built.resolve if built is not None else river_network.resolve_rivers
        network_input = _load_layer(rivers, resolve, "water pathway", run)
    if network_input is not None:
        affected_parts.append(
            _water_stage(results, network_input, lakes, border_layer, parameters, step, built)
        )
    else:
        run["stages"]["water"] = "not assessed"
    if air_done is not None:
        affected_parts.insert(0, air_done())
    if tailings is not None:
        step("assessing tailings facilities")
        rows = tailings_stage(results, tailings, unverified=tailings_unverified)
        affected_parts += [rows] if border_layer is not None else []

    if affected_parts:
        results.affected = _combine_affected(affected_parts)
    _count(results)
    return results


#: Inventories from this size (bytes of a file, or rows of a table) are read, classified and
#: located by a forked process while the borders are read and the river network is built.
EARLY_FROM_BYTES = 2_000_000
EARLY_FROM_ROWS = 20_000


def _front(
    inventory: object,
    borders: object,
    run: dict,
    step: Callable[[str], None],
    options: dict[str, dict],
    received: Callable[[], gpd.GeoDataFrame | None] | None = None,
) -> tuple[ScreeningResults, gpd.GeoDataFrame | None]:
    """Read and classify the inventory, load the borders and locate the sites in them.

    ``received``, if given, returns the borders already loaded from ``borders`` by another
    process, or None: they are then loaded here.
    """
    step("reading inventory")
    holdings, sources = _read_holdings(inventory, run, **options["read"])  # type: ignore[arg-type]
    step("classifying under Annex I")
    sites, holdings = classify(holdings, **options["classify"])
    run["stages"]["annex"] = "done"
    results = ScreeningResults(sites=sites, holdings=holdings, run=run, sources=sources)
    step("loading borders")
    border_layer = received() if received is not None and borders is not False else None
    if border_layer is None:
        border_layer = _load_layer(borders, geography.resolve_borders, "air pathway", run)
        if border_layer is not None and border_layer is borders:
            # a layer given in memory is standardised (codes, repairs) as a file would be
            border_layer = geography.load_borders(borders)
    if border_layer is not None:
        _locate_sites(results, border_layer, step)
    return results, border_layer


class _Early:
    """A large inventory read, classified and located aside while the river network is built.

    A forked process runs :func:`_front` on its own copy of ``run`` and sends back its results
    (:class:`~hazid.forked.Handover`); then, when the air stage is to run alongside the rivers
    (:func:`_air_alongside`), it works out the air effects, which :meth:`air` waits for.
    Meanwhile this process reads the borders, hands them over to the forked process (which
    needs them only once the inventory is classified, and does not send them back: this
    process's own are used) and builds the river network
    (:func:`~hazid.pipeline.stages._early_network`), unless the forked process has already
    failed. :meth:`front` returns the forked process's results, or None when it failed: the
    caller then runs :func:`_front` itself, so that an error is raised, and everything
    recorded, exactly as without this.
    """

    def __init__(
        self,
        inventory: object,
        borders: object,
        rivers: object,
        lakes: object,
        run: dict,
        options: dict[str, dict],
        air: tuple[dict, str | Path | None],
    ) -> None:
        self._to_aside, self._from_aside = Handover(), Handover()
        self._pending = aside(lambda: self._aside(inventory, borders, rivers, run, options, air))
        self._failed = False
        self._air_started = False
        self._built = None
        self._borders: gpd.GeoDataFrame | None = None
        try:
            if rivers is not False and borders is not False and not self._failed_already():
                self._built = _early_network(
                    borders, rivers, lakes, stop=self._failed_already, loaded=self._hand_over
                )
        finally:
            self._to_aside.send(None)  # no borders (or sent already)

    def _aside(
        self,
        inventory: object,
        borders: object,
        rivers: object,
        run: dict,
        options: dict,
        air: tuple[dict, str | Path | None],
    ) -> Any:
        """In the forked process: :func:`_front` (sent back), then the air effects or None."""
        results, border_layer = _front(
            inventory, borders, run, lambda label: None, options, received=self._received
        )
        sites, holdings = results.sites, results.holdings
        with_air = border_layer is not None and _air_alongside(rivers, len(sites))
        located = border_layer
        if border_layer is not None and border_layer is self._borders:
            results.borders = border_layer = _HandedOver()  # not sent back
        self._from_aside.send((results, border_layer, run, with_air))
        if not with_air:
            return None
        return _air_effects_aside(sites, holdings, located, *air)

    def _received(self) -> gpd.GeoDataFrame | None:
        """In the forked process: the borders handed over (kept, to know them again), or None."""
        self._borders = self._to_aside.receive()
        return self._borders

    def _hand_over(self, border_layer: gpd.GeoDataFrame) -> None:
        """Keep the borders this process loaded, and hand them over to the forked process."""
        self._borders = border_layer
        self._to_aside.send(border_layer)

    def _failed_already(self) -> bool:
        """Whether the forked process has ended without sending its results (without waiting)."""
        if not self._failed and self._pending.ready() and not self._from_aside.ready():
            self._failed = True
        return self._failed

    def front(self, run: dict) -> tuple[ScreeningResults, gpd.GeoDataFrame | None] | None:
        """Return the forked process's results (its record copied into ``run``), or None."""
        done = None if self._failed else self._from_aside.receive()
        self._to_aside.close()
        self._from_aside.close()
        if done is None:  # it failed: run again here, to raise it as usual
            self._failed = True
            with contextlib.suppress(Exception):
                self._pending()
            return None
        results, border_layer, done_run, self._air_started = done
        if not self._air_started:
            self._pending()  # ended: nothing more to wait for
        if isinstance(border_layer, _HandedOver):  # located in the borders loaded here
            results.borders = border_layer = self._borders
        run.clear()
        run.update(done_run)
        results.run = run
        return results, border_layer

    def air(self) -> Callable[[], _AirEffects] | None:
        """Return what waits for the air effects the forked process works out, or None."""
        return self._pending if self._air_started else None

    def network(self) -> _Built | None:
        """Return the river network built meanwhile, if it was."""
        return self._built


class _HandedOver:
    """Stands, in the forked process's results, for the borders this process handed over."""


def _large(inventory: object) -> bool:
    """Whether an inventory is large enough for :class:`_Early` (and processes can fork)."""
    if not can_fork():
        return False
    if isinstance(inventory, pd.DataFrame):
        return len(inventory) >= EARLY_FROM_ROWS
    try:
        return os.path.getsize(inventory) >= EARLY_FROM_BYTES  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False


#: Sites from which the air stage runs in a forked process, alongside the water stage.
PARALLEL_SITES_FROM = 20_000


def _air_alongside(rivers: object, n_sites: int) -> bool:
    """Whether the air stage of ``n_sites`` sites runs in a forked process, beside the rivers."""
    return rivers is not False and n_sites >= PARALLEL_SITES_FROM and can_fork()


def _start_air(
    results: ScreeningResults,
    border_layer: gpd.GeoDataFrame,
    parameters: dict,
    population: str | Path | None,
    step: Callable[[str], None],
    rivers: object,
    *,
    started: Callable[[], _AirEffects] | None = None,
) -> Callable[[], pd.DataFrame]:
    """Start the air stage on the located sites; return what waits for its rows.

    From :data:`PARALLEL_SITES_FROM` sites on, when there is a water stage to run meanwhile,
    the distances to the borders, the zones and the countries reached by air are worked out
    by a forked process (``started``: the one already working them out, if any); the results
    are the same as when worked out here, in the same order.
    """
    run = results.run
    warnings_at, limitations_at = len(run["warnings"]), len(run["limitations"])
    args = (results.sites, results.holdings, border_layer, parameters, population)
    if started is None and not _air_alongside(rivers, len(results.sites)):
        effects = _air_effects(*args, step)
        air = _apply_air(results, effects, warnings_at=warnings_at, limitations_at=limitations_at)
        return lambda: air
    # the keys keep their place in run.json
    run["stages"]["air"] = "running"
    if population is not None:
        run["inputs"]["population"] = None
    step("modelling consequence zones and the air pathway (alongside the rivers)")
    effects_done = started or aside(lambda: _air_effects_aside(*args))

    def wait() -> pd.DataFrame:
        step("finding countries reached by air")
        effects = effects_done()
        return _apply_air(results, effects, warnings_at=warnings_at, limitations_at=limitations_at)

    return wait
