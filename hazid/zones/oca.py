"""Toxic distances from the EPA OCA reference tables (worst case, F / 1.5 m/s).

The tables of the *Risk Management Program Guidance for Offsite Consequence
Analysis* (EPA 550-B-99-009, 1999, reissued 2009) ship as versioned data in
``hazid/data/oca/`` (one row per cell, provenance in ``PROVENANCE.md``). They are
read the way EPA's RMP*Comp reads them:

* no interpolation: the **nearest tabulated row** is used, a tie going to the
  larger key (the conservative side); a key below the first row uses the first row;
* the key is the release rate in lb/min for the chemical-specific tables (ammonia)
  and the release rate divided by the toxic endpoint, (lb/min)/(mg/L), for the
  neutral-gas tables;
* a cell printed "less than 0.1 mi" is reported as 0.1 mi;
* a cell printed "more than 25 mi", a key beyond the last row of a complete table,
  or a looked-up distance of 25 mi (the tables' limit) is **undetermined**: the zone
  is drawn at 25 mi (40.2 km) and flagged, never read as a known distance.

Evidence for the nearest-row rule: two published RMP*Comp results (ammonia,
13,591.5 lb/min urban gives 4.4 mi, the 15,000 row; 7,026 lb/min rural gives
4.7 mi, the 7,000 row) rule out both "next-lower" and "next-higher" rows; the EPA
FAQ "Distance to endpoint calculations used by RMP*Comp" says table look-ups are
not interpolated, and "Minimum and maximum distance to endpoint" gives the
0.1 mi / 25 mi reporting limits.

Where a table is partial or missing the look-up falls back to a table that gives
distances at least as large in every row both have (stated in the note):
urban neutral (Table 3, rows up to 4,200) and urban 60-min (Table 4, missing) to
the rural table of the same duration; "ammonia other" (Table 10, rows up to
5,000 lb/min) to ammonia liquefied under pressure (Table 9). No dense-gas table
is usable (Table 5 lacks its axes, Tables 6-8 and the chlorine and sulphur
dioxide tables were not found), so dense gases use the neutral table: for
ammonia, Table 9 (dense) gives 0.5 to 0.7 times the neutral Table 1 distance at
the same rate and endpoint, and RMP*Comp's chlorine results (e.g. 200 lb/min
rural, 3.0 mi) are about 0.55 times Table 1 (5.4 mi), so the neutral table
overestimates a dense gas.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import AnnexDataError, check_choice
from hazid.zones._base import _data_file, _result

logger = logging.getLogger(__name__)

#: Metres per statute mile.
M_PER_MI = 1609.344
#: Pounds per kilogram.
LB_PER_KG = 2.20462262185
#: The reference tables stop at 25 miles; a result there is undetermined.
TABLE_LIMIT_MI = 25.0
#: RMP*Comp reports a distance below 0.1 mi as 0.1 mi.
TABLE_FLOOR_MI = 0.1

_TABLE_COLUMNS = ("table", "topography", "substance", "x", "distance_mi", "bound")
_INDEX_COLUMNS = ("table", "file", "duration_min", "topography", "plume", "substance", "status")

#: (duration_min, topography) -> neutral-gas table
_NEUTRAL = {(10, "rural"): 1, (60, "rural"): 2, (10, "urban"): 3, (60, "urban"): 4}
#: table -> conservative table used beyond its last row or when it is missing
_FALLBACK = {3: 1, 4: 2, 10: 9}
#: topography of the single-topography (neutral) tables
_TOPOGRAPHY = {1: "rural", 2: "rural", 3: "urban", 4: "urban"}


@functools.cache
def _index() -> pd.DataFrame:
    with _data_file("oca/tables.csv").open("r", encoding="utf-8") as fh:
        index = pd.read_csv(fh, dtype={"file": str, "substance": str, "status": str})
    missing = [c for c in _INDEX_COLUMNS if c not in index.columns]
    if missing:
        raise AnnexDataError(f"oca/tables.csv lacks columns: {', '.join(missing)}")
    return index.fillna({"file": "", "substance": "", "status": ""}).set_index("table")


def specific_tables() -> dict[str, int]:
    """Chemical-specific tables listed in the table index: kind -> table number.

    Returns
    -------
    dict
        E.g. ``{"ammonia_pressurised": 9, "ammonia_other": 10}``; a table listed but
        not transcribed is included (its look-ups fall back, see the module notes).

    Examples
    --------
    >>> specific_tables()["ammonia_pressurised"]
    9
    """
    index = _index()
    rows = index[index["plume"].astype(str) == "specific"]
    return {str(s): int(t) for t, s in rows["substance"].items() if str(s)}


@functools.cache
def _cells(table: int, topography: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Keys, distances (mi), bounds and completeness of one table column (empty if missing)."""
    index = _index()
    empty = (np.empty(0), np.empty(0), np.empty(0, dtype=object), False)
    if table not in index.index or not index.at[table, "file"]:
        return empty
    status = str(index.at[table, "status"]).upper()
    if status not in ("COMPLETE", "PARTIAL"):
        return empty
    with _data_file(f"oca/{index.at[table, 'file']}").open("r", encoding="utf-8") as fh:
        cells = pd.read_csv(fh, dtype={"bound": str, "substance": str})
    missing = [c for c in _TABLE_COLUMNS if c not in cells.columns]
    if missing:
        raise AnnexDataError(f"oca table {table} lacks columns: {', '.join(missing)}")
    cells = cells[cells["topography"].astype(str) == topography]
    x = cells["x"].to_numpy(dtype=float)
    if len(x) and not (np.diff(x) > 0).all():
        raise AnnexDataError(f"oca table {table} ({topography}) keys are not strictly increasing")
    bound = cells["bound"].fillna("").astype(str).to_numpy(dtype=object)
    return x, cells["distance_mi"].to_numpy(dtype=float), bound, status == "COMPLETE"


def nearest_row(keys: Any, x: Any) -> Any:
    """Index of the nearest tabulated key (ties to the larger key; below the first: 0).

    Keys beyond the last row get the last index; callers decide what that means.

    Parameters
    ----------
    keys : array_like
        Strictly increasing table keys.
    x : array_like
        Keys to look up.

    Returns
    -------
    numpy.ndarray or numpy.int64
        Row index per key.

    Examples
    --------
    >>> nearest_row([5000, 6000, 7000, 7500], [7026, 6500, 4000, 9000])
    array([2, 2, 0, 3])
    """
    k = np.asarray(keys, dtype=float)
    v = np.asarray(x, dtype=float)
    hi = np.clip(np.searchsorted(k, v, side="left"), 1, len(k) - 1)
    lo = hi - 1
    pick = np.where((v - k[lo]) < (k[hi] - v), lo, hi)
    pick = np.where(v <= k[0], 0, pick)
    return _result(np.asarray(np.where(v >= k[-1], len(k) - 1, pick)))


def table_lookup(table: int, x: Any, *, topography: str = "rural") -> tuple[Any, Any, Any]:
    """Distance from one OCA reference table, read as RMP*Comp does (no fallback).

    Parameters
    ----------
    table : int
        Table number (1-3 neutral, 9-10 ammonia; see ``hazid/data/oca/tables.csv``).
    x : array_like
        Look-up key in the table's unit: lb/min, or (lb/min)/(mg/L) for neutral tables.
    topography : {"rural", "urban"}, default "rural"
        Column (Tables 9-10) or rows of the table.

    Returns
    -------
    distance_mi : numpy.ndarray or numpy.float64
        Reported distance in miles (0.1 for "< 0.1"; 25 where undetermined; NaN for a
        NaN key or beyond the last row of a partial table).
    undetermined : numpy.ndarray or numpy.bool_
        True where the distance is 25 mi or more (the table's limit).
    beyond : numpy.ndarray or numpy.bool_
        True where the key lies beyond the last row of a partial table.

    Raises
    ------
    ChoiceError
        If ``topography`` is not rural or urban.
    AnnexDataError
        If the table is not usable.

    Examples
    --------
    Anhydrous ammonia (Table 9), 50,000 lb released in 10 minutes, rural:

    >>> d, undetermined, _ = table_lookup(9, 5000.0)
    >>> float(d), bool(undetermined)
    (4.0, False)
    """
    check_choice("topography", topography, ("rural", "urban"))
    keys, dist, bound, complete = _cells(int(table), topography)
    if keys.size == 0:
        raise AnnexDataError(f"OCA reference table {table} ({topography}) is not usable")
    v = np.asarray(x, dtype=float)
    i = np.asarray(nearest_row(keys, v))
    out = dist[i].astype(float)
    over = (bound[i] == ">") | (out >= TABLE_LIMIT_MI)
    past = v > keys[-1]
    beyond = past & (not complete)
    undetermined = (over | (past & complete)) & ~beyond
    out = np.where(undetermined, TABLE_LIMIT_MI, np.maximum(out, TABLE_FLOOR_MI))
    out = np.where(beyond | np.isnan(v), np.nan, out)
    return _result(np.asarray(out)), _result(np.asarray(undetermined)), _result(beyond)


def oca_toxic_distance_m(
    rate_kg_min: Any,
    endpoint_mg_m3: Any,
    *,
    kind: Any = "neutral",
    duration_min: Any = 10.0,
    terrain: str = "rural",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Worst-case distance to the toxic endpoint from the OCA tables, with fallbacks.

    Parameters
    ----------
    rate_kg_min : array_like
        Release rate, kg/min.
    endpoint_mg_m3 : array_like
        Toxic endpoint, mg/m3 (40 CFR 68 Appendix A); unused for ammonia tables.
    kind : str or array_like of str, default "neutral"
        "neutral", "dense" (neutral table used: no dense table is usable),
        "ammonia_pressurised" (Table 9) or "ammonia_other" (Table 10).
    duration_min : array_like, default 10
        Release duration; above 10 minutes the 60-minute neutral tables apply.
    terrain : {"rural", "urban"}, default "rural"
        Topography (40 CFR 68.22(e)).

    Returns
    -------
    distance_m : numpy.ndarray
        Distance in metres (25 mi where undetermined; NaN for a missing input).
    undetermined : numpy.ndarray
        True where the distance is at or beyond the tables' 25 miles.
    table : numpy.ndarray
        Number of the table read (0 where nothing was read).

    Examples
    --------
    >>> d, u, t = oca_toxic_distance_m([5000 / 2.20462262185], 140.0,
    ...                                kind="ammonia_pressurised")
    >>> round(float(d[0] / 1609.344), 1), bool(u[0]), int(t[0])
    (4.0, False, 9)
    """
    check_choice("terrain", terrain, ("rural", "urban"))
    rate = np.atleast_1d(np.asarray(rate_kg_min, dtype=float)) * LB_PER_KG
    ep = np.broadcast_to(np.asarray(endpoint_mg_m3, dtype=float), rate.shape) / 1000.0
    kinds = np.broadcast_to(np.asarray(kind, dtype=object), rate.shape)
    dur = np.broadcast_to(np.asarray(duration_min, dtype=float), rate.shape)
    specific_kinds = specific_tables()
    for k in sorted(set(kinds.tolist())):
        check_choice("kind", k, ("neutral", "dense", *specific_kinds))
    specific = np.isin(kinds, list(specific_kinds))
    with np.errstate(divide="ignore", invalid="ignore"):
        key = np.where(specific, rate, rate / ep)
    first = np.array(
        [
            specific_kinds.get(k, _NEUTRAL[(60 if d > 10 else 10, terrain)])
            for k, d in zip(kinds.tolist(), dur.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    dist = np.full(rate.shape, np.nan)
    undetermined = np.zeros(rate.shape, dtype=bool)
    used = np.zeros(rate.shape, dtype=np.int64)
    todo = np.isfinite(key) & (key >= 0)
    table = first.copy()
    while todo.any():
        for t in np.unique(table[todo]):
            rows = np.flatnonzero(todo & (table == t))
            topo = _TOPOGRAPHY.get(int(t), terrain)
            if _cells(int(t), topo)[0].size == 0 and int(t) not in (1, 2):
                if int(t) in _FALLBACK:
                    table[rows] = _FALLBACK[int(t)]
                else:  # a chemical-specific table not transcribed: neutral table
                    key[rows] = rate[rows] / ep[rows]
                    table[rows] = [_NEUTRAL[(60 if d > 10 else 10, terrain)] for d in dur[rows]]
                continue
            found = table_lookup(int(t), key[rows], topography=topo)
            d, u, beyond = (np.atleast_1d(a) for a in found)
            ok = ~beyond
            dist[rows[ok]] = d[ok] * M_PER_MI
            undetermined[rows[ok]] = u[ok]
            used[rows[ok]] = t
            todo[rows[ok]] = False
            if not ok.all():
                table[rows[~ok]] = _FALLBACK[int(t)]
    zero = rate == 0
    dist[zero] = 0.0
    return dist, undetermined, used
