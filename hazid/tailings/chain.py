"""The ``tailings`` pathway inside the screening chain (:func:`hazid.screen`).

:func:`tailings_stage` assesses a facility table on the borders and the river
network already used by the water pathway and returns rows for the
``affected`` table with ``pathway="tailings"``. A facility is the inventory
site whose ``site_id`` equals its ``facility_id``; its Party of origin is that
site's country (else the polygon holding the dam, else the table's
``country``).

What cannot be assessed is never reported as safe:

- run-out not assessed (relation refused, no site-specific ``runout_km``): the
  nearest river reach within ``search_km`` is assumed reached; the Parties
  downstream get rows without arrival time (to consult);
- any facility whose run-out envelope (or, run-out not assessed, the
  ``search_km`` circle) reaches a foreign Party overland gets a row without
  arrival time for the nearest one (to consult): the envelope is a circle, not
  a flow path;
- a run-out that reaches no river, a facility without river network, or one
  that is not in the inventory, is listed in ``run["warnings"]`` with the
  reason and the distances.

Distances are geodesic (WGS84) or measured in a local azimuthal equidistant
projection centred on the dam (see :mod:`hazid.tailings.river`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid import tables
from hazid.geography import assign_country, border_distance
from hazid.tailings.assess import assess_tailings
from hazid.tailings.facilities import read_facilities
from hazid.tailings.river import PATHWAY, facility_points, trace_tailings

logger = logging.getLogger(__name__)

__all__ = ["tailings_stage"]

#: Columns of the tailings rows passed to the ``affected`` table.
ROW_COLUMNS = (
    "site_id",
    "affected",
    "pathway",
    "river",
    "river_km",
    "arrival_h",
    "peak_h",
    "peak_mg_l",
    "snap_km",
    "contaminant",
    "released_kg",
    "runout_km",
    "tailings_note",
)


def _record(facilities: Any) -> dict[str, Any]:
    """Name and SHA-256 of the facility table (the file name only: no local folders)."""
    if isinstance(facilities, pd.DataFrame):
        return {"name": str(facilities.attrs.get("source", "<table>"))}
    path = Path(facilities)
    return {"name": path.name, "sha256": tables.file_sha256(path)}


def _with_country(
    table: pd.DataFrame, sites: pd.DataFrame, borders: gpd.GeoDataFrame | None
) -> pd.DataFrame:
    """Set each facility's Party: the inventory site's, else the polygon's, else the table's."""
    out = table.copy()
    given = out["country"] if "country" in out else pd.Series("", index=out.index)
    given = given.fillna("").astype(str).str.upper()
    own = pd.Series("", index=out.index)
    if borders is not None:
        located = assign_country(
            facility_points(out).drop(columns="country", errors="ignore"), borders
        )
        own = located["site_country"].fillna("").astype(str).to_numpy()
        own = pd.Series(own, index=out.index)
    if "site_country" in sites:
        inv = dict(zip(sites["site_id"].astype(str), sites["site_country"], strict=True))
        from_inv = out["facility_id"].map(inv).fillna("").astype(str)
        own = from_inv.where(from_inv != "", own)
    out["country"] = own.where(own != "", given)
    return out


def _river_rows(res: Any, network: Any, borders: Any, search_km: float, trace: dict) -> list:
    """Rows of the facilities reaching a river, and of those whose run-out is not assessed."""
    rows = [
        res.affected.assign(snap_km=res.affected["entry_km"], tailings_note=res.affected["note"])
    ]
    conn = res.connections
    open_ = conn["reaches_river"].isna().to_numpy() & np.isfinite(conn["river_km"].to_numpy())
    if open_.any():  # run-out unknown: assume the nearest reach within search_km is reached
        ids = set(conn.loc[open_, "facility_id"])
        table = res.facilities[res.facilities["facility_id"].isin(ids)]
        breaks = res.breaks[res.breaks["facility_id"].isin(ids)].assign(runout_km=search_km)
        aff, _ = trace_tailings(table, network, borders, breaks, search_km=search_km, **trace)
        aff = aff.drop_duplicates(["facility_id", "affected"]).assign(
            contaminant="",
            released_kg=np.nan,
            runout_km=np.nan,
            snap_km=aff["entry_km"],
            arrival_h=np.nan,
            peak_h=np.nan,
            peak_mg_l=np.nan,
            tailings_note=[
                f"run-out not assessed: the river {km:.1f} km from the dam is assumed reached"
                for km in aff["entry_km"]
            ],
        )
        rows.append(aff)
    return rows


def _overland_rows(res: Any, borders: gpd.GeoDataFrame, search_km: float) -> pd.DataFrame:
    """Build a row per facility whose run-out (else ``search_km``) reaches a Party overland."""
    pts = facility_points(res.facilities).rename(columns={"country": "site_country"})
    dist = border_distance(pts, borders)
    run = res.breaks.set_index("facility_id")["runout_km"].reindex(pts["site_id"]).to_numpy()
    border = dist["border_km"].to_numpy(float)
    reach = np.where(np.isfinite(run), run, search_km)
    hit = np.isfinite(border) & (border <= reach)
    notes = [
        f"run-out envelope {r:.1f} km reaches {c} {b:.1f} km from the dam "
        "(overland, not a flow path)"
        if np.isfinite(r)
        else f"run-out not assessed: {c} lies {b:.1f} km from the dam"
        for r, c, b in zip(run[hit], dist["nearest_foreign"][hit], border[hit], strict=True)
    ]
    return pd.DataFrame(
        {
            "site_id": pts["site_id"].to_numpy()[hit],
            "affected": dist["nearest_foreign"].to_numpy()[hit],
            "river": "",
            "snap_km": border[hit],
            "runout_km": run[hit],
            "contaminant": "",
            "released_kg": np.nan,
            "tailings_note": notes,
        }
    )


def _warnings(res: Any, rows: pd.DataFrame, known: set[str]) -> list[str]:
    """List what the rows do not show: no river in the run-out, facilities not in the inventory."""
    out = [f"tailings: {w}" for w in res.warnings]
    if res.connections is not None:
        conn = res.connections
        dry = conn["reaches_river"].eq(False).fillna(False).to_numpy(bool)
        # run-out not assessed and no reach within search_km: nothing to trace
        lost = conn["reaches_river"].isna().to_numpy() & ~np.isfinite(conn["river_km"].to_numpy())
        pick = dry | lost
        notes = zip(conn["facility_id"][pick], conn["tailings_note"][pick], strict=True)
        out += [f"tailings {fid}: {note}" for fid, note in notes]
    for fid in sorted(set(res.facilities["facility_id"].astype(str)) - known):
        parties = ", ".join(sorted(set(rows.loc[rows["site_id"] == fid, "affected"]))) or "none"
        out.append(
            f"tailings facility {fid} is not in the inventory (no site_id {fid}): its Annex I "
            f"status is unknown and its tailings rows (Parties: {parties}) are not screened"
        )
    return out


def _mark_gaps(results: Any, res: Any, rows: pd.DataFrame) -> None:
    """Note on the sites (``tailings_gap``) the facilities not assessed and left without rows."""
    if res.connections is None:
        ids = res.facilities["facility_id"].astype(str)
        gaps = dict.fromkeys(ids, "tailings pathway not assessed: no river network")
    else:
        conn = res.connections
        lost = conn["reaches_river"].isna().to_numpy()
        gaps = dict(zip(conn["facility_id"][lost], conn["tailings_note"][lost], strict=True))
    gaps = {f: n for f, n in gaps.items() if f not in set(rows["site_id"].astype(str))}
    if gaps:  # a gap in the data, never "no effect found" (see hazid.notify.not_notified)
        results.sites["tailings_gap"] = results.sites["site_id"].astype(str).map(gaps)


def tailings_stage(
    results: Any,
    facilities: str | os.PathLike[str] | pd.DataFrame,
    *,
    unverified: bool = False,
    search_km: float = 50.0,
) -> pd.DataFrame:
    """Assess the tailings pathway of a screening and return its ``affected`` rows.

    Parameters
    ----------
    results : hazid.ScreeningResults
        A screening after its water stage: ``sites``, ``run``, ``borders`` and
        ``network`` (the built river network, None when not built) are used;
        ``tailings`` is set to the :class:`~hazid.tailings.TailingsResults`.
    facilities : path or pandas.DataFrame
        Facility table (see :mod:`hazid.tailings.facilities`).
    unverified : bool, default False
        Accept the ``unverified`` run-out relation for facilities without a
        site-specific ``runout_km``.
    search_km : float, default 50.0
        Distance (km) within which the nearest reach is looked for, and the reach
        assumed where the run-out is not assessed. A screening choice.

    Returns
    -------
    pandas.DataFrame
        Rows for ``affected`` (:data:`ROW_COLUMNS`) of facilities in the inventory.

    Raises
    ------
    TailingsError
        When the facility table is invalid (every problem listed).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> res = SimpleNamespace(sites=pd.DataFrame({"site_id": ["a"]}), borders=None,
    ...     network=None, sources=[], run={"parameters": {}, "inputs": {}, "warnings": [],
    ...     "stages": {}})
    >>> rows = tailings_stage(res, pd.DataFrame({"facility_id": ["a"], "lat": [41.0],
    ...     "lon": [72.0], "tailings_volume_m3": [1e6], "dam_height_m": [20],
    ...     "status": ["legacy"], "runout_km": [5.0]}))
    >>> len(rows), res.run["stages"]["tailings"]
    (0, 'not assessed: no river network')
    >>> res.run["warnings"]
    ['tailings: tailings pathway not assessed: no river network']
    """
    run = results.run
    run["parameters"]["tailings_unverified"] = bool(unverified)
    run["inputs"]["tailings"] = _record(facilities)
    if not isinstance(facilities, pd.DataFrame):  # a results folder holding it is refused
        results.sources.append(Path(facilities))
    borders, network = results.borders, getattr(results, "network", None)
    table = _with_country(read_facilities(facilities), results.sites, borders)
    p = run["parameters"]
    trace = {k: p[k] for k in ("horizon_days", "water_threshold_mg_l", "decay_per_h") if k in p}
    res = assess_tailings(
        table,
        network=network,
        borders=borders,
        allow_unverified=unverified,
        search_km=search_km,
        **trace,
    )
    results.tailings = res
    parts = _river_rows(res, network, borders, search_km, trace) if res.affected is not None else []
    if borders is not None:
        parts.append(_overland_rows(res, borders, search_km))
    parts = [x for x in parts if len(x)]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW_COLUMNS)
    rows["pathway"] = PATHWAY
    rows = rows.reindex(columns=list(ROW_COLUMNS))
    known = set(results.sites["site_id"].astype(str))
    run["warnings"].extend(_warnings(res, rows, known))
    _mark_gaps(results, res, rows)
    rows = rows[rows["site_id"].astype(str).isin(known)].reset_index(drop=True)
    n, hit = (
        len(table),
        0 if res.connections is None else int(res.connections["reaches_river"].eq(True).sum()),
    )
    run["stages"]["tailings"] = (
        f"done: {n} facilities, {hit} reach a river"
        if network is not None
        else "not assessed: no river network"
    )
    logger.info("tailings stage: %d rows", len(rows))
    return rows
