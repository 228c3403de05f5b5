"""One-pass downstream trace of every site: countries reached, arrival, peak.

All sites are traced together over the ``next_down`` array by pointer
jumping (no per-site graph search); the trace stops at the outlet, the time
horizon or the concentration threshold, and lists each country the river
enters or borders downstream, in order of arrival.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid.errors import GeodataError, check_choice
from hazid.rivers.countries import _country_sets, _country_spans
from hazid.rivers.geodesy import _to_wgs84
from hazid.rivers.graph import _compile, _Net
from hazid.rivers.hydrology import _Hydraulics, _reach_hydraulics
from hazid.rivers.network import _as_network
from hazid.rivers.outcomes import _gap_rows, _outcome_warnings, _water_outcomes
from hazid.rivers.results import (
    _affected_table,
    _country_entries,
    _draw_paths,
    _lakes_crossed,
    _paths_table,
    _per_site,
    _river_names,
)
from hazid.rivers.sites import connect_sites
from hazid.rivers.transport import (
    DEFAULT_VELOCITY_MS,
    LEADING_EDGE_FACTOR,
)

logger = logging.getLogger(__name__)


def trace_water(
    sites: gpd.GeoDataFrame,
    network: gpd.GeoDataFrame | str | os.PathLike[str],
    borders: gpd.GeoDataFrame,
    *,
    snap_km: float = 10.0,
    horizon_days: float = 30.0,
    water_threshold_mg_l: float | None = None,
    decay_per_h: float = 0.0,
    default_velocity_ms: float = DEFAULT_VELOCITY_MS,
    border_tolerance_km: float = 1.5,
    velocity: str = "jobson",
    flow_factor: float = 1.0,
    runoff_mm: float | None = None,
    gap_km: float = 100.0,
    path_geometry: bool = True,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Trace every site downstream and list the other countries its spill would reach.

    All sites are traced together in one pass over the ``next_down`` array
    (pointer jumping; no per-site graph search). The trace of a site stops at
    its outlet (sea, closed basin, lake or network edge), when the leading edge
    needs more than ``horizon_days``, or where the peak concentration falls
    below ``water_threshold_mg_l`` (the peak is assumed to decrease
    downstream).

    Transport, per reach (:mod:`hazid.rivers.hydrology`): mean discharge Qa
    from ``DIS_AV_CMS``, else from the drainage area ``UPLAND_SKM`` times a
    runoff depth (sourced table, or ``runoff_mm``); ``Q = flow_factor * Qa``.
    With Q and the drainage area, Jobson's (1996) velocities: the arrival
    (``arrival_h``, leading edge) is 0.89 of the travel time at the maximum
    probable velocity Vmp, the peak (``peak_h``) travels at the peak velocity
    Vp. Reaches with neither discharge nor drainage area, or every reach with
    ``velocity="flat"``, use ``default_velocity_ms`` (peak at L / v, leading
    edge at 0.89 of it). A lake or reservoir of known volume V on the path
    (reach columns from :func:`hazid.rivers.lakes.assign_lakes`) adds its
    residence time V / Q at its outlet and caps the peak downstream at the
    fully mixed M / V. The peak concentration where the river enters a country
    is Jobson's ``Cup(Tp) * M / (1e6 Q)`` with the local discharge and
    first-order decay ``exp(-k Tp)``; NaN without discharge or without
    ``water_mass_kg``. A country that the site's own reach leaves before the
    site (the river crossed the border upstream of it) is not downstream.

    Missing data is never taken for safety (:mod:`hazid.rivers.outcomes`):
    every site's pathway is ``assessed`` or ``not assessed`` with the reason
    (no reach within ``snap_km``, network ambiguous, trace ends at the edge of
    the data, release mass unknown while a threshold needs it); where the data
    stop, other countries within ``gap_km`` get a water row without arrival
    time (to consult).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Sites with ``site_id``, points, a CRS, ``site_country`` (or ``country``)
        and optionally ``water_mass_kg`` (kg released to water).
    network : GeoDataFrame or path
        Reach table from :func:`build_network`, or a river layer/file to build one.
    borders : geopandas.GeoDataFrame
        Countries with ``iso_a3``.
    snap_km : float
        Largest site-to-river distance (km); farther sites are not assessed.
    horizon_days : float
        Stop once the leading edge needs longer than this (days).
    water_threshold_mg_l : float, optional
        Stop where the peak concentration falls below this (mg/L).
    decay_per_h : float
        First-order decay rate k (1/h).
    default_velocity_ms : float
        Velocity (m/s) on reaches without hydrology; see
        :data:`DEFAULT_VELOCITY_MS`.
    border_tolerance_km : float
        A reach within this distance of a country also borders it.
    velocity : {"jobson", "flat"}
        Jobson's velocities (Vmp for arrival, Vp for the peak) where discharge
        or drainage area is known, or a flat ``default_velocity_ms`` everywhere.
    flow_factor : float
        Flow scenario: ``Q = flow_factor * Qa``.
    runoff_mm : float, optional
        Runoff depth (mm/yr) turning drainage area into mean discharge where
        the network has no discharge; default the sourced table.
    gap_km : float
        Countries within this distance (km) of where the river data stop (end
        of a trace at the data's edge, or a site without reach) are to be
        consulted; 0 disables. A screening choice, not a literature value.
    path_geometry : bool
        Build the river_paths lines (costly for very many sites).

    Returns
    -------
    affected_water : pandas.DataFrame
        One row per (``site_id``, ``affected``) country other than the site's
        own, in order of arrival within a site: ``pathway`` ("water"),
        ``river`` (";"-joined names from the site to the entry), ``river_km``
        (river distance to where the river first enters or borders that
        country), ``arrival_h`` (leading edge), ``peak_h``, ``peak_mg_l``,
        ``snap_km``, ``water_note``.
    river_paths : geopandas.GeoDataFrame
        One row per site: ``site_id``, ``countries`` (";"-joined, in order,
        the site's own first), ``river``, ``length_km`` (traced length),
        ``travel_h`` (leading-edge time to the end of the trace), ``end``
        (sea, endorheic, lake, outlet, edge, cycle, horizon, threshold, or
        none), ``sink_name``, ``snap_km``, ``water_note``, ``lakes`` (lakes
        crossed, ";"-joined), ``water_status`` (assessed, not assessed),
        ``water_reason``, ``end_country`` (where the trace stopped),
        ``edge_lon``/``edge_lat`` (where a trace leaves the river data,
        degrees; NaN otherwise; see :func:`data_ends`), geometry: the river
        from the site to the end of the last reach that lies in or borders a
        country other than the site's own (or to the end of the trace, if that
        comes first), so every piece of river inside an affected country is
        drawn but not the shared river farther downstream; None for a trace
        that reaches no other country, and when not connected. The other
        columns describe the whole trace. ``attrs["warnings"]`` says, in words, which sites
        were not assessed and why.

    Raises
    ------
    GeodataError
        If a required column is missing.
    ChoiceError
        If ``velocity`` is not allowed.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]}, crs=4326,
    ...     geometry=[shapely.box(0, -1, 1, 1), shapely.box(1, -1, 2, 1)])
    >>> net = gpd.GeoDataFrame({"reach_id": [1, 2], "next_down": [2, 0],
    ...     "length_km": [55.6, 55.6], "name": ["R", "R"]}, crs=4326, geometry=[
    ...     shapely.LineString([(0.5, 0), (1.0, 0)]), shapely.LineString([(1.0, 0), (1.5, 0)])])
    >>> s = gpd.GeoDataFrame({"site_id": ["s1"], "site_country": ["AAA"]}, crs=4326,
    ...     geometry=[shapely.Point(0.5, 0.001)])
    >>> aff, paths = trace_water(s, net, b, border_tolerance_km=0)
    >>> aff[["affected", "river_km"]].round(1).values.tolist()
    [['BBB', 55.6]]
    >>> paths.countries.tolist()
    ['AAA;BBB']
    """
    check_choice("velocity", velocity, ["jobson", "flat"])
    sites = _to_wgs84(sites, "sites")
    borders = _to_wgs84(borders, "borders")
    reaches = _as_network(network, borders)
    reaches = _to_wgs84(reaches, "river network")
    if "site_id" not in sites:
        raise GeodataError("sites need a 'site_id' column")
    net = _compile(reaches, on_cycle="raise")
    conn = connect_sites(sites, reaches, snap_km=snap_km)
    reaches, net = _traced_part(reaches, net, conn)
    own = _own_countries(sites)
    mass = (
        sites["water_mass_kg"].astype(float).to_numpy()
        if "water_mass_kg" in sites
        else np.full(len(sites), np.nan)
    )
    hyd = _reach_hydraulics(
        reaches,
        net,
        velocity=velocity,
        flow_factor=flow_factor,
        default_velocity_ms=default_velocity_ms,
        decay_per_h=decay_per_h,
        runoff_mm=runoff_mm,
    )
    spans = _reach_country_spans(reaches, borders, net, border_tolerance_km)
    keys = _reach_keys(reaches, net, spans)
    start = _site_starts(conn, net, hyd, mass)
    end = _trace_ends(
        net,
        hyd,
        start,
        keys,
        horizon_tp=horizon_days * 24.0 / LEADING_EDGE_FACTOR,
        water_threshold_mg_l=water_threshold_mg_l,
    )
    events = _events(net, hyd, start, end, keys)
    nm, full_names = _river_names(events, keys.name_vals)
    crossed = _lakes_crossed(events, keys)
    ex, path_countries = _country_entries(events, spans, hyd, start, end)
    affected = _affected_table(ex, nm, own[start.idx], conn, start)
    paths = _paths_table(sites, conn, start, end, own, path_countries, full_names)
    paths["lakes"] = pd.array(_per_site(crossed, start, len(sites)), dtype="str")
    outcome = _water_outcomes(
        paths,
        reaches,
        start,
        end,
        mass=mass,
        needs_mass=water_threshold_mg_l is not None,
    )
    for c in ("water_status", "water_reason", "end_country"):
        paths[c] = pd.array(outcome[c], dtype="str")
    paths["edge_lon"] = outcome["gap_lon"].to_numpy()
    paths["edge_lat"] = outcome["gap_lat"].to_numpy()
    if path_geometry:
        _draw_paths(paths, reaches, net, (start, end, events, keys), ex, own)
    gaps = _gap_rows(paths, sites, borders, own, affected, gap_km=gap_km, outcome=outcome)
    if len(gaps):
        order = {s: i for i, s in enumerate(paths["site_id"].astype(str))}
        affected = pd.concat([affected, gaps], ignore_index=True)
        affected = affected.iloc[
            np.argsort(affected["site_id"].map(order).to_numpy(), kind="stable")
        ].reset_index(drop=True)
    paths.attrs["warnings"] = _outcome_warnings(paths)
    for message in paths.attrs["warnings"]:
        logger.warning("%s", message)
    logger.info(
        "traced %d of %d sites downstream; %d (site, country) water pathways",
        len(start.pos),
        len(sites),
        len(affected),
    )
    return affected, paths


def _traced_part(
    reaches: gpd.GeoDataFrame, net: _Net, conn: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, _Net]:
    """Keep the reaches at or downstream of a connected site, and compile their network.

    Every trace stays within them, so hydraulics, countries and outlets are
    worked out for these reaches only (a world-size network holds millions
    more); each reach's values do not depend on the others.
    """
    on = conn["reach_id"].to_numpy() > 0
    keep = net.downstream_of(pd.Index(net.ids).get_indexer(conn["reach_id"].to_numpy()[on]))
    if len(keep) in (0, net.n):  # nothing traced, or everything
        return reaches, net
    part = reaches.iloc[keep]
    return part, _compile(part, on_cycle="raise")


def _own_countries(sites: gpd.GeoDataFrame) -> np.ndarray:
    """Country of each site (``site_country``, else ``country``); "" where unknown."""
    if "site_country" in sites:
        own = sites["site_country"]
    elif "country" in sites:
        own = sites["country"]
    else:
        raise GeodataError("sites need a 'site_country' (or 'country') column")
    return own.fillna("").astype(str).to_numpy()


def _reach_country_spans(
    reaches: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, net: _Net, border_tolerance_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Countries of each reach: from a ``countries`` column, else from the borders."""
    if "countries" not in reaches:
        return _country_spans(reaches, borders, border_tolerance_km=border_tolerance_km)
    n = net.n
    c_str, c_inv = np.unique(
        reaches["countries"].fillna("").astype(str).to_numpy(), return_inverse=True
    )
    c_uniq = np.unique([c for x in c_str for c in x.split(";") if c])
    lists = [np.searchsorted(c_uniq, [c for c in x.split(";") if c]) for x in c_str]
    per = np.array([len(x) for x in lists])
    c_pos = np.repeat(np.arange(n), per[c_inv])
    c_code = (
        np.concatenate([lists[i] for i in c_inv]).astype(np.int64)
        if len(c_pos)
        else np.array([], dtype=np.int64)
    )
    return c_pos, c_code, np.zeros(len(c_pos)), np.ones(len(c_pos)), c_uniq.astype(object)


@dataclass
class _Keys:
    """Names, countries, lakes and outlets of reaches; where (countries, name, lake) change.

    ``ctry_code`` indexes each reach's country set in ``ctry_labels`` (";"-joined);
    ``run_end`` is the last reach before the next change downstream (``n`` if
    none), ``next_change`` the first reach after it (``n`` if none).
    """

    name_code: np.ndarray
    name_vals: Any
    ctry_code: np.ndarray
    ctry_labels: np.ndarray
    run_end: np.ndarray
    sink: np.ndarray
    sink_name: np.ndarray
    next_change: np.ndarray
    lake_code: np.ndarray
    lake_vals: Any
    lake_m3: np.ndarray


def _reach_keys(reaches: gpd.GeoDataFrame, net: _Net, spans: tuple) -> _Keys:
    """Per-reach names, outlet kinds, and the next change of (countries, name) downstream."""
    n = net.n
    c_pos, c_code, _, _, c_uniq = spans
    ctry_labels, ctry_code = _country_sets(n, c_pos, c_code, c_uniq)
    names = (
        reaches["name"].fillna("").astype(str).to_numpy()
        if "name" in reaches
        else np.full(n, "", dtype=object)
    )
    sink = (
        reaches["sink"].fillna("").astype(str).to_numpy()
        if "sink" in reaches
        else np.where(net.nd < 0, "outlet", "")
    )
    sink_name = (
        reaches["sink_name"].fillna("").astype(str).to_numpy()
        if "sink_name" in reaches
        else np.full(n, "", dtype=object)
    )
    name_code, name_vals = pd.factorize(pd.Series(names, dtype=object))
    lakes = (
        reaches["lake_name"].fillna("").astype(str).to_numpy()
        if "lake_name" in reaches
        else np.full(n, "", dtype=object)
    )
    lake_code, lake_vals = pd.factorize(pd.Series(lakes, dtype=object))
    lake_m3 = (
        reaches["lake_volume_km3"].to_numpy(dtype=float) * 1e9
        if "lake_volume_km3" in reaches
        else np.full(n, np.nan)
    )
    key = (ctry_code.astype(np.int64) * (len(name_vals) + 1) + name_code) * (
        len(lake_vals) + 1
    ) + lake_code
    ext_key = np.r_[key, -1]
    ext_nd = np.where(net.nd < 0, n, net.nd)
    change = ext_key[ext_nd] != key
    change[net.nd < 0] = False
    first_change = net.first_flagged(change)  # reach whose successor differs
    ext_fc = np.r_[first_change, n]
    next_change = np.r_[ext_nd, n][ext_fc]  # first reach with another key, n if none
    return _Keys(
        name_code,
        name_vals,
        ctry_code,
        ctry_labels,
        first_change,
        sink,
        sink_name,
        next_change,
        lake_code,
        lake_vals,
        lake_m3,
    )


@dataclass
class _Starts:
    """Sites on the network: row in ``sites``, reach, fraction, distance and time to outlet."""

    idx: np.ndarray
    pos: np.ndarray
    frac: np.ndarray
    base_km: np.ndarray
    base_h: np.ndarray
    base_pk: np.ndarray
    mass: np.ndarray


def _site_starts(conn: pd.DataFrame, net: _Net, hyd: _Hydraulics, mass: np.ndarray) -> _Starts:
    """Where each connected site joins the network."""
    on = conn["reach_id"].to_numpy() > 0
    s0 = pd.Index(net.ids).get_indexer(conn["reach_id"].to_numpy()[on])
    f0 = conn["fraction"].to_numpy()[on]
    s_idx = np.flatnonzero(on)
    return _Starts(
        idx=s_idx,
        pos=s0,
        frac=f0,
        base_km=hyd.cum_km[s0] - f0 * hyd.length_km[s0],  # site -> outlet distance
        base_h=hyd.cum_h[s0] - f0 * hyd.t_h[s0],
        base_pk=hyd.cum_pk[s0] - f0 * hyd.t_pk[s0],
        mass=mass[s_idx],
    )


@dataclass
class _Ends:
    """End of each trace: last reach, kind, distance, peak time, fraction of the last reach."""

    stop: np.ndarray
    kind: np.ndarray
    km: np.ndarray
    h: np.ndarray
    frac: np.ndarray
    sink_name: np.ndarray


def _trace_ends(
    net: _Net,
    hyd: _Hydraulics,
    start: _Starts,
    keys: _Keys,
    *,
    horizon_tp: float,
    water_threshold_mg_l: float | None,
) -> _Ends:
    """Follow each site down to its outlet, the time horizon or the concentration threshold."""
    s0, f0 = start.pos, start.frac
    ext_cum_h = np.r_[hyd.cum_h, 0.0]

    ext_cum_pk = np.r_[hyd.cum_pk, 0.0]

    def within(pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
        tp = start.base_h[rows] - ext_cum_h[pos]
        ok = tp <= horizon_tp
        if water_threshold_mg_l is not None:
            tpk = start.base_pk[rows] - ext_cum_pk[pos]
            c = hyd.peak_mg_l(tpk, pos, start.mass[rows])
            ok &= ~(c < water_threshold_mg_l)
        return ok

    stop = net.lift(s0, within)  # last reach whose upstream end is within limits
    t_stop_up = np.where(stop == s0, 0.0, start.base_h - hyd.cum_h[stop])
    km_stop_up = np.where(stop == s0, 0.0, start.base_km - hyd.cum_km[stop])
    seg_h = np.where(stop == s0, (1 - f0) * hyd.t_h[s0], hyd.t_h[stop])
    seg_km = np.where(stop == s0, (1 - f0) * hyd.length_km[s0], hyd.length_km[stop])
    is_outlet = net.nd[stop] < 0
    end = np.full(len(s0), "", dtype=object)
    end_km = km_stop_up + seg_km
    end_h = t_stop_up + seg_h
    over = end_h > horizon_tp
    frac_end = np.ones(len(s0))
    frac_end[over] = np.clip((horizon_tp - t_stop_up[over]) / seg_h[over], 0.0, 1.0)
    end_km[over] = km_stop_up[over] + frac_end[over] * seg_km[over]
    end_h[over] = horizon_tp
    end[over] = "horizon"
    # a trace stopped by the threshold ends at the end of the last reach above it
    end[~over & ~is_outlet] = "threshold"
    reach_end = ~over & is_outlet
    end[reach_end] = keys.sink[stop[reach_end]]
    end = np.where(end == "", "outlet", end)
    end_sink_name = np.where(reach_end, keys.sink_name[stop], "")
    return _Ends(stop, end, end_km, end_h, frac_end, end_sink_name)


def _events(net: _Net, hyd: _Hydraulics, start: _Starts, end: _Ends, keys: _Keys) -> pd.DataFrame:
    """List the site reach, then every change of (countries, name) downstream, to the trace end."""
    s0, stop = start.pos, end.stop
    n = net.n
    ev_row = [np.arange(len(s0))]
    ev_pos = [s0]
    cur = s0.copy()
    active = np.ones(len(s0), dtype=bool)
    depth = net.accumulate(np.ones(n))
    ext_depth = np.r_[depth, 0.0]
    while active.any():
        rows = np.flatnonzero(active)
        nxt = keys.next_change[cur[rows]]
        ok = (nxt < n) & (ext_depth[nxt] >= depth[stop[rows]])
        rows, nxt = rows[ok], nxt[ok]
        ev_row.append(rows)
        ev_pos.append(nxt)
        active[:] = False
        active[rows] = True
        cur[rows] = nxt
    ev_row_a = np.concatenate(ev_row)
    ev_pos_a = np.concatenate(ev_pos)
    first_ev = np.r_[np.ones(len(s0), dtype=bool), np.zeros(len(ev_row_a) - len(s0), dtype=bool)]
    ev_km = np.where(first_ev, 0.0, start.base_km[ev_row_a] - hyd.cum_km[ev_pos_a])
    ev_tp = np.where(first_ev, 0.0, start.base_h[ev_row_a] - hyd.cum_h[ev_pos_a])
    ev_tpk = np.where(first_ev, 0.0, start.base_pk[ev_row_a] - hyd.cum_pk[ev_pos_a])
    return pd.DataFrame(
        {
            "row": ev_row_a,
            "pos": ev_pos_a,
            "first": first_ev,
            "km": ev_km,
            "tp": ev_tp,
            "tpk": ev_tpk,
            "name": keys.name_code[ev_pos_a],
            "lake": keys.lake_code[ev_pos_a],
            "lake_m3": keys.lake_m3[ev_pos_a],
        }
    ).sort_values(["row", "km"], kind="stable")
