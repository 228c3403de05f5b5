"""Outcome of the water pathway per site: assessed, or not assessed with the reason.

Missing data is never evidence of safety. A site's water pathway is
``assessed`` (with the countries reached, or none) or ``not assessed`` with the
reason: no river reach within the snap distance, the river network is
ambiguous there (flow direction guessed, or a broken cycle), the trace ends at
the edge of the river data (a ``NEXT_DOWN`` missing from the layer, or a line
end at no coast, lake or closed basin), or the release mass is unknown where a
concentration threshold needs it. Where the data stop, every other country
within ``gap_km`` of that point (the end of the trace, or the site itself) gets
a water row without arrival time: the screening cannot rule it out, so the
pair is to be consulted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.rivers.countries import _iso_column
from hazid.rivers.geodesy import _clip_each, _deg_margin, _project_local

NOT_ASSESSED = "not assessed"
ASSESSED = "assessed"
NO_REACH = "no river reach within"
AMBIGUOUS = "river network ambiguous (flow direction not known)"
EDGE = "trace ends at the edge of the river data"
NO_MASS = "release mass unknown"

_EDGE_SINKS = ("edge", "unknown")

if TYPE_CHECKING:
    from hazid.rivers.trace import _Ends, _Starts


def _water_outcomes(
    paths: gpd.GeoDataFrame,
    reaches: gpd.GeoDataFrame,
    start: _Starts,
    end: _Ends,
    *,
    mass: np.ndarray,
    needs_mass: bool,
) -> pd.DataFrame:
    """Status, reason, country where the trace stopped and the gap point of every site.

    Also turns the ``end`` of traces that leave the data into ``edge``
    (in place in ``paths``).
    """
    ns = len(paths)
    status = np.full(ns, ASSESSED, dtype=object)
    reason = np.full(ns, "", dtype=object)
    end_country = np.full(ns, "", dtype=object)
    gap_lon = np.full(ns, np.nan)
    gap_lat = np.full(ns, np.nan)
    note = paths["water_note"].fillna("").astype(str).to_numpy()
    unplaced = paths["end"].to_numpy() == "none"
    status[unplaced] = NOT_ASSESSED
    reason[unplaced] = [n.split(":")[0] for n in note[unplaced]]
    idx = start.idx
    ambiguous = (
        reaches["ambiguous"].fillna(False).to_numpy(dtype=bool)[start.pos]
        if "ambiguous" in reaches
        else np.zeros(len(idx), dtype=bool)
    )
    at_edge = np.isin(end.kind, _EDGE_SINKS)
    ambiguous |= end.kind == "cycle"
    countries = paths["countries"].fillna("").astype(str).to_numpy()[idx]
    end_country[idx] = [c.split(";")[-1] if c else "" for c in countries]
    kind = paths["end"].to_numpy(dtype=object).copy()
    kind[idx[at_edge]] = "edge"
    paths["end"] = pd.array(kind, dtype="str")
    no_mass = ~np.isfinite(mass[idx]) if needs_mass else np.zeros(len(idx), dtype=bool)
    why = np.where(ambiguous, AMBIGUOUS, np.where(at_edge, EDGE, np.where(no_mass, NO_MASS, "")))
    status[idx] = np.where(why != "", NOT_ASSESSED, ASSESSED)
    reason[idx] = why
    # where the data stop: the end of the trace, or the site itself
    rgeom = reaches.geometry.to_numpy()
    sel = np.flatnonzero(at_edge & ~ambiguous)
    if len(sel):
        pt = shapely.line_interpolate_point(rgeom[end.stop[sel]], end.frac[sel], normalized=True)
        gap_lon[idx[sel]], gap_lat[idx[sel]] = shapely.get_x(pt), shapely.get_y(pt)
    return pd.DataFrame(
        {
            "water_status": status,
            "water_reason": reason,
            "end_country": end_country,
            "gap_lon": gap_lon,
            "gap_lat": gap_lat,
        }
    )


def _gap_rows(
    paths: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    own: np.ndarray,
    affected: pd.DataFrame,
    *,
    gap_km: float,
    outcome: pd.DataFrame,
) -> pd.DataFrame:
    """Water rows without arrival time for countries within ``gap_km`` of where the data stop.

    Distances in a local azimuthal equidistant projection centred on the point.
    """
    lon = outcome["gap_lon"].to_numpy().copy()
    lat = outcome["gap_lat"].to_numpy().copy()
    reason = outcome["water_reason"].to_numpy()
    at_site = (reason == AMBIGUOUS) | np.char.startswith(reason.astype(str), NO_REACH)
    pts = sites.geometry.to_numpy()
    ok = at_site & shapely.is_geometry(pts)
    lon[ok] = shapely.get_x(pts[ok])
    lat[ok] = shapely.get_y(pts[ok])
    rows = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat) & (gap_km > 0))
    if not len(rows):
        return pd.DataFrame(columns=affected.columns)
    iso = borders[_iso_column(borders)].astype(str).to_numpy()
    r, bi, d = _near_borders(borders.geometry.to_numpy(), lon, lat, rows, gap_km * 1000.0)
    if not len(r):
        return pd.DataFrame(columns=affected.columns)
    site_id = paths["site_id"].astype(str).to_numpy()
    have = set(zip(affected["site_id"].astype(str), affected["affected"].astype(str), strict=True))
    df = pd.DataFrame({"r": r, "iso": iso[bi], "km": d / 1000.0})
    df = df[(df["km"] <= gap_km) & (df["iso"] != own[df["r"]])]
    df = df.sort_values(["r", "km", "iso"], kind="stable").drop_duplicates(["r", "iso"])
    new = [(site_id[a], b) not in have for a, b in zip(df["r"], df["iso"], strict=True)]
    df = df[np.asarray(new, dtype=bool)]  # a boolean mask even when empty (not a column list)
    where = np.where(at_site[df["r"]], "the site", "the end of the trace")
    out = pd.DataFrame(
        {
            "site_id": site_id[df["r"]],
            "affected": df["iso"].to_numpy(),
            "pathway": "water",
            "river": "",
            "river_km": np.nan,
            "arrival_h": np.nan,
            "peak_h": np.nan,
            "peak_mg_l": np.nan,
            "snap_km": paths["snap_km"].to_numpy()[df["r"]],
            "water_note": [
                f"water pathway not assessed ({w}): {c} lies {k:.0f} km from {p}"
                for w, c, k, p in zip(reason[df["r"]], df["iso"], df["km"], where, strict=True)
            ],
        }
    )
    for c in ("site_id", "affected", "pathway", "river", "water_note"):
        out[c] = out[c].astype("str")
    return out


def _near_borders(
    bgeom: np.ndarray, lon: np.ndarray, lat: np.ndarray, rows: np.ndarray, dist_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Countries near the points ``rows`` of ``lon``/``lat``: (row, country, distance in m).

    Pairs (row, country) with the country's outline within about ``dist_m`` (an
    over-estimate by degrees, to be filtered on the distance), sorted by row
    then country. Each distinct point is measured once (the traces of many
    sites end at the same edge of the data), in a local azimuthal equidistant
    projection centred on it.
    """
    pts, inv = np.unique(np.c_[lon[rows], lat[rows]], axis=0, return_inverse=True)
    inv = inv.ravel()
    plon, plat = pts[:, 0], pts[:, 1]
    deg = _deg_margin(dist_m, float(np.max(np.abs(plat))))
    # the countries query a tree of the points: GEOS prepares each (large) polygon once, so a
    # point's distance is an indexed look-up instead of a walk along every border vertex
    bi, pi = shapely.STRtree(shapely.points(plon, plat)).query(
        bgeom, predicate="dwithin", distance=deg
    )
    if not len(pi):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    # a point inside a country is at 0 m from it: only the others are clipped and measured
    inside = np.zeros(len(pi), dtype=bool)
    for k in np.unique(bi):
        at = np.flatnonzero(bi == k)
        shapely.prepare(bgeom[k])
        inside[at] = shapely.contains_xy(bgeom[k], plon[pi[at]], plat[pi[at]])
    d = np.zeros(len(pi))
    out = np.flatnonzero(~inside)
    q = pi[out]
    part = _clip_each(bgeom[bi[out]], plon[q] - deg, plat[q] - deg, plon[q] + deg, plat[q] + deg)
    dist = shapely.distance(shapely.points(0.0, 0.0), _project_local(part, plon[q], plat[q]))
    d[out] = np.where(shapely.is_empty(part), np.inf, dist)
    # every row of each point gets the point's countries
    counts = np.bincount(inv, minlength=len(pts))
    rows_by_point = rows[np.argsort(inv, kind="stable")]
    starts = np.cumsum(counts) - counts
    rep = counts[pi]
    k = np.repeat(np.arange(len(pi)), rep)
    within = np.arange(len(k)) - np.repeat(np.cumsum(rep) - rep, rep)
    r = rows_by_point[starts[pi[k]] + within]
    order = np.lexsort((bi[k], r))
    return r[order], bi[k][order], d[k][order]


def _outcome_warnings(paths: pd.DataFrame, k: int = 5) -> list[str]:
    """One sentence per reason for the sites whose water pathway was not assessed."""
    out = []
    bad = paths[paths["water_status"].astype(str) == NOT_ASSESSED]
    for reason, group in bad.groupby(bad["water_reason"].astype(str), sort=True):
        ids = group["site_id"].astype(str).tolist()
        if reason == EDGE:
            ids = [
                f"{s} (stops in {c or 'unknown'})"
                for s, c in zip(ids, group["end_country"], strict=True)
            ]
        more = f" and {len(ids) - k} more" if len(ids) > k else ""
        out.append(
            f"water pathway not assessed for {len(ids)} site(s): {reason}: "
            f"{', '.join(ids[:k])}{more}"
        )
    return out
