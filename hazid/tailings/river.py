"""From a tailings dam failure to the river network and across borders.

A failure releases a volume of tailings that runs out over a distance
(:mod:`hazid.tailings.release`). Where the nearest river reach lies within that
run-out, the contaminant mass carried by the released tailings enters that
reach and follows the downstream trace of :func:`hazid.rivers.trace_water`
(arrival times, dilution, lakes and closed basins); the countries it reaches
form the ``tailings`` pathway. Where the nearest reach lies beyond the
run-out, the facility has no tailings pathway and the note gives both
distances.

Limits: the distance to a reach is the great-circle distance from the dam to
the nearest point of the reach, measured in a local azimuthal equidistant
projection centred on the dam (:func:`hazid.rivers.connect_sites`), not a flow
path over the terrain; the released mass assumes contaminants spread evenly
through the stored tailings (released mass = stored mass x VF / VT) and all of
it reaching the river, a screening upper bound that ignores deposition on the
way; dissolved and particulate fractions are not told apart.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.errors import GeodataError
from hazid.rivers import connect_sites, trace_water
from hazid.tailings.facilities import contaminant_table

logger = logging.getLogger(__name__)

__all__ = [
    "PATHWAY",
    "facility_points",
    "released_contaminants",
    "runout_to_river",
    "trace_tailings",
]

PATHWAY = "tailings"
"""Name of the pathway in the affected-Party table."""


def facility_points(facilities: pd.DataFrame) -> gpd.GeoDataFrame:
    """Facilities as WGS84 points with ``site_id`` (= ``facility_id``).

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities with ``lat`` and ``lon``.

    Returns
    -------
    geopandas.GeoDataFrame
        Copy with ``site_id`` and point geometry (EPSG:4326).

    Examples
    --------
    >>> import pandas as pd
    >>> p = facility_points(pd.DataFrame({"facility_id": ["a"], "lat": [41.0], "lon": [72.5]}))
    >>> p.site_id.tolist(), p.crs.to_epsg()
    (['a'], 4326)
    """
    frame = pd.DataFrame(facilities).copy()
    frame["site_id"] = frame["facility_id"].astype(str)
    geom = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    return gpd.GeoDataFrame(frame, geometry=geom, crs=4326)


def released_contaminants(facilities: pd.DataFrame, breaks: pd.DataFrame) -> pd.DataFrame:
    """Contaminant mass carried by the released tailings (kg).

    Masses scale with the released fraction VF / VT; concentrations (mg/kg of
    dry tailings) need ``tailings_density_t_m3``:
    ``kg = mg/kg * 1e-6 * density * 1000 * VF``. Activity concentrations are
    listed but not turned into masses.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities.
    breaks : pandas.DataFrame
        From :func:`hazid.tailings.release.dam_break`.

    Returns
    -------
    pandas.DataFrame
        ``facility_id``, ``contaminant``, ``kind``, ``stored_kg`` (masses only),
        ``released_kg`` (NaN when not assessed), ``mass_note``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["a"], "tailings_density_t_m3": [1.5],
    ...                   "contaminants": ["as=10 t; cn=100 mg/kg; u=5 Bq/g"]})
    >>> b = pd.DataFrame({"facility_id": ["a"], "released_m3": [2e5], "released_fraction": [0.2]})
    >>> released_contaminants(f, b)[["contaminant", "released_kg"]].values.tolist()
    [['as', 2000.0], ['cn', 30000.0], ['u', nan]]
    """
    cont = contaminant_table(facilities)
    per = breaks.set_index("facility_id")
    dens = (
        pd.to_numeric(facilities["tailings_density_t_m3"], errors="coerce")
        if "tailings_density_t_m3" in facilities
        else pd.Series(np.nan, index=facilities.index)
    )
    density = dict(zip(facilities["facility_id"].astype(str), dens, strict=True))
    released, stored, notes = [], [], []
    for rec in cont.itertuples(index=False):
        vf = float(per.at[rec.facility_id, "released_m3"])
        frac = float(per.at[rec.facility_id, "released_fraction"])
        rho = float(density.get(rec.facility_id, np.nan))
        if rec.kind == "mass":
            stored.append(rec.amount)
            released.append(rec.amount * frac)
            notes.append("")
        elif rec.kind == "concentration" and np.isfinite(rho):
            stored.append(np.nan)
            released.append(rec.amount * 1e-6 * rho * 1000.0 * vf)
            notes.append("")
        else:
            stored.append(np.nan)
            released.append(np.nan)
            notes.append(
                "not assessed: activity concentration, no mass"
                if rec.kind == "activity"
                else "not assessed: concentration without tailings_density_t_m3"
            )
    out = cont[["facility_id", "contaminant", "kind"]].copy()
    out["stored_kg"] = stored
    out["released_kg"] = released
    out["mass_note"] = notes
    return out


def runout_to_river(
    facilities: pd.DataFrame,
    network: gpd.GeoDataFrame,
    breaks: pd.DataFrame,
    *,
    search_km: float = 50.0,
) -> pd.DataFrame:
    """Tell whether the run-out of each facility reaches a river reach.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities (``facility_id``, ``lat``, ``lon``).
    network : geopandas.GeoDataFrame
        Reach table from :func:`hazid.build_network`.
    breaks : pandas.DataFrame
        From :func:`hazid.tailings.release.dam_break` (``runout_km``).
    search_km : float
        Largest distance (km) at which the nearest reach is looked for and
        reported.

    Returns
    -------
    pandas.DataFrame
        ``facility_id``, ``reach_id`` (0 when none within ``search_km``),
        ``river_km`` (distance to the nearest reach), ``runout_km``,
        ``reaches_river`` (True, False, or NA when the run-out is not
        assessed), ``tailings_note``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> net = gpd.GeoDataFrame({"reach_id": [1], "next_down": [0], "length_km": [22.2]},
    ...     crs=4326, geometry=[shapely.LineString([(0, 0), (0.2, 0)])])
    >>> f = pd.DataFrame({"facility_id": ["a", "b"], "lat": [0.01, 0.1], "lon": [0.1, 0.1]})
    >>> b = pd.DataFrame({"facility_id": ["a", "b"], "runout_km": [5.0, 5.0]})
    >>> runout_to_river(f, net, b).reaches_river.tolist()
    [True, False]
    """
    pts = facility_points(facilities)
    conn = connect_sites(pts, network, snap_km=search_km)
    run = breaks.set_index("facility_id")["runout_km"].reindex(conn["site_id"]).to_numpy(float)
    dist = conn["snap_km"].to_numpy(float)
    names = dict(
        zip(
            network["reach_id"],
            network["name"].fillna("").astype(str) if "name" in network else [""] * len(network),
            strict=True,
        )
    )
    reach = pd.array([pd.NA] * len(conn), dtype="boolean")
    notes = []
    for i, (rid, d, r) in enumerate(zip(conn["reach_id"], dist, run, strict=True)):
        river = names.get(rid, "") or f"reach {rid}"
        if not np.isfinite(r):
            where = (
                f"nearest reach {d:.1f} km" if np.isfinite(d) else f"no reach in {search_km:g} km"
            )
            notes.append(f"run-out not assessed ({where}): tailings pathway not assessed")
        elif not np.isfinite(d):
            reach[i] = False
            notes.append(f"run-out {r:.1f} km; no river reach within {search_km:g} km")
        elif d <= r:
            reach[i] = True
            notes.append(f"run-out {r:.1f} km reaches {river} {d:.1f} km from the dam")
        else:
            reach[i] = False
            notes.append(f"run-out {r:.1f} km does not reach a river: {river} is {d:.1f} km away")
    return pd.DataFrame(
        {
            "facility_id": conn["site_id"].to_numpy(),
            "reach_id": conn["reach_id"].to_numpy(),
            "river_km": dist,
            "runout_km": run,
            "reaches_river": reach,
            "tailings_note": notes,
        }
    )


def trace_tailings(
    facilities: pd.DataFrame,
    network: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    breaks: pd.DataFrame,
    *,
    search_km: float = 50.0,
    **trace_options: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trace the released contaminants of the facilities whose run-out reaches a river.

    Each released contaminant is traced on its own (its mass sets its peak
    concentration; the arrival times are the same for all). A facility whose
    contaminants have no mass is traced once without a mass: the countries and
    arrival times are listed, the concentration is NaN.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities; ``country`` (ISO3) is the facility's own country.
    network : geopandas.GeoDataFrame
        Reach table from :func:`hazid.build_network`.
    borders : geopandas.GeoDataFrame
        Countries with ``iso_a3``.
    breaks : pandas.DataFrame
        From :func:`hazid.tailings.release.dam_break`.
    search_km : float
        See :func:`runout_to_river`.
    **trace_options
        Passed to :func:`hazid.trace_water` (``horizon_days``,
        ``water_threshold_mg_l``, ``decay_per_h``, ...), except ``snap_km``.

    Returns
    -------
    affected : pandas.DataFrame
        One row per (facility, contaminant, affected country): ``site_id``
        (the ``facility_id``, as in the other pathways), ``facility_id``,
        ``contaminant``, ``released_kg``, ``affected``, ``pathway``
        (``"tailings"``), ``river``, ``river_km`` (from the entry point),
        ``entry_km`` (dam to river), ``runout_km``, ``arrival_h``,
        ``peak_h``, ``peak_mg_l``, ``note``.
    connections : pandas.DataFrame
        :func:`runout_to_river` for every facility.

    Raises
    ------
    GeodataError
        When ``facilities`` has no ``country`` column.
    """
    if "country" not in facilities:
        raise GeodataError("facilities need a 'country' column (ISO3) to trace across borders")
    conn = runout_to_river(facilities, network, breaks, search_km=search_km)
    hit = conn[conn["reaches_river"].fillna(False).to_numpy(bool)]
    columns = [
        "site_id",
        "facility_id",
        "contaminant",
        "released_kg",
        "affected",
        "pathway",
        "river",
        "river_km",
        "entry_km",
        "runout_km",
        "arrival_h",
        "peak_h",
        "peak_mg_l",
        "note",
    ]
    if hit.empty:
        return pd.DataFrame(columns=columns), conn
    pts = facility_points(facilities).set_index("site_id").loc[hit["facility_id"]].reset_index()
    pts["site_country"] = pts["country"].fillna("").astype(str)
    mass = released_contaminants(facilities, breaks)
    mass = mass[mass["facility_id"].isin(hit["facility_id"]) & mass["released_kg"].notna()]
    runs = [(c, mass[mass["contaminant"] == c]) for c in sorted(mass["contaminant"].unique())]
    bare = sorted(set(hit["facility_id"]) - set(mass["facility_id"]))
    if bare:
        runs.append(("", pd.DataFrame({"facility_id": bare, "released_kg": np.nan})))
    snap = float(hit["river_km"].max()) * 1.001 + 1e-6
    trace_options.pop("snap_km", None)
    parts = []
    for name, m in runs:
        sites = pts[pts["site_id"].isin(m["facility_id"])].copy()
        sites["water_mass_kg"] = sites["site_id"].map(
            dict(zip(m["facility_id"], m["released_kg"], strict=True))
        )
        aff, _ = trace_water(sites, network, borders, snap_km=snap, **trace_options)
        aff["facility_id"] = aff["site_id"]
        aff["contaminant"] = name
        aff["released_kg"] = aff["facility_id"].map(sites.set_index("site_id")["water_mass_kg"])
        parts.append(aff)
    out = pd.concat(parts, ignore_index=True)
    info = conn.set_index("facility_id")
    out["pathway"] = PATHWAY
    out["entry_km"] = out["facility_id"].map(info["river_km"])
    out["runout_km"] = out["facility_id"].map(info["runout_km"])
    out["note"] = out["facility_id"].map(info["tailings_note"])
    order = {fid: i for i, fid in enumerate(conn["facility_id"])}
    out["_order"] = out["facility_id"].map(order)
    out = out.sort_values(["_order", "contaminant", "arrival_h"], kind="stable")
    logger.info("tailings pathway: %d facilities reach a river", len(hit))
    return out[columns].reset_index(drop=True), conn
