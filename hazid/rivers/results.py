"""Tables of the trace: names, lakes and countries along each path; the output tables.

The ``affected_water`` rows and the ``river_paths`` lines.

Helpers of :mod:`hazid.rivers.trace`, working on its events (the site reach,
then every change of countries, river name or lake downstream).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid.rivers.graph import _Net
from hazid.rivers.hydrology import HACK_NOTE, SOURCE_HACK, _Hydraulics
from hazid.rivers.paths import _line_ends, _site_lines
from hazid.rivers.transport import LEADING_EDGE_FACTOR

if TYPE_CHECKING:
    from hazid.rivers.trace import _Ends, _Keys, _Starts


def _river_names(events: pd.DataFrame, name_vals: Any) -> tuple[pd.DataFrame, pd.Series]:
    """River names met along each path, cumulative (";"-joined) at each event."""
    nm = events[["row", "km", "name"]].copy()
    nm["name_s"] = np.asarray(name_vals, dtype=object)[nm["name"].to_numpy()]
    nm = nm[nm["name_s"] != ""].drop_duplicates(["row", "name"])
    cum_names = np.empty(len(nm), dtype=object)
    prev_row, acc = -1, ""
    for i, (r, s) in enumerate(zip(nm["row"].to_numpy(), nm["name_s"].to_numpy(), strict=True)):
        acc = s if r != prev_row else f"{acc};{s}"
        prev_row = r
        cum_names[i] = acc
    nm["river"] = cum_names
    return nm, nm.groupby("row")["river"].last()


def _country_entries(
    events: pd.DataFrame, spans: tuple, hyd: _Hydraulics, start: _Starts, end: _Ends
) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """One row per (site, country) at the point of first entry; countries along each path."""
    c_pos, c_code, c_frac, c_last, c_uniq = spans
    f0 = start.frac
    pairs = pd.DataFrame(
        {
            "pos": c_pos,
            "affected": np.asarray(c_uniq, dtype=object)[c_code],
            "frac": c_frac,
            "last": c_last,
        }
    )
    ex = events.merge(pairs, on="pos", how="inner", sort=False)
    first_e = ex["first"].to_numpy()
    start_f = np.where(first_e, f0[ex["row"].to_numpy()], 0.0)
    # on the site's own reach, a country the river leaves before the site is upstream only
    ex = ex[~first_e | (ex["last"].to_numpy() >= start_f - 1e-9)]
    e_pos = ex["pos"].to_numpy()
    e_row = ex["row"].to_numpy()
    first_e = ex["first"].to_numpy()
    start_f = np.where(first_e, f0[e_row], 0.0)
    dfrac = np.clip(ex["frac"].to_numpy() - start_f, 0.0, None)
    ex["km"] = ex["km"].to_numpy() + dfrac * hyd.length_km[e_pos]
    ex["tp"] = ex["tp"].to_numpy() + dfrac * hyd.t_h[e_pos]
    ex["tpk"] = ex["tpk"].to_numpy() + dfrac * hyd.t_pk[e_pos]
    conc = hyd.peak_mg_l(ex["tpk"].to_numpy(), e_pos, start.mass[e_row])
    ex["src"] = hyd.source(e_pos)
    # a lake of known volume upstream mixes the spill into its volume: at most M / V
    with np.errstate(invalid="ignore", divide="ignore"):
        mixed = start.mass[e_row] / ex["lake_max_m3"].to_numpy() * 1000.0
    ex["conc"] = np.where(np.isfinite(mixed) & (mixed < conc), mixed, conc)
    ex = ex[ex["km"].to_numpy() <= end.km[e_row] + 1e-9]
    ex = ex.sort_values(["row", "km", "affected"], kind="stable")
    ex = ex.drop_duplicates(["row", "affected"], keep="first")
    return ex, _join_runs(ex["row"].to_numpy(), ex["affected"].to_numpy())


def _affected_table(
    ex: pd.DataFrame, nm: pd.DataFrame, own_s: np.ndarray, conn: pd.DataFrame, start: _Starts
) -> pd.DataFrame:
    """Build the affected_water table: other countries in order of arrival, with notes."""
    ex = ex[ex["affected"].to_numpy() != own_s[ex["row"].to_numpy()]]
    ex = ex.sort_values(["row", "km", "affected"], kind="stable")
    ex = pd.merge_asof(
        ex.sort_values("km", kind="stable"),
        nm[["row", "km", "river"]].sort_values("km", kind="stable"),
        on="km",
        by="row",
        direction="backward",
    ).sort_values(["row", "km", "affected"], kind="stable")
    rows = ex["row"].to_numpy()
    note = np.where(np.isnan(start.mass[rows]), "no water_mass_kg: travel time only", "")
    no_hydro = ~np.isfinite(ex["conc"].to_numpy()) & (ex["km"].to_numpy() > 0)
    note = np.where(no_hydro & (note == ""), "no discharge on the network: travel time only", note)
    note = np.where(ex["km"].to_numpy() == 0, "site on a river bordering this country", note)
    hack = ex["src"].to_numpy() == SOURCE_HACK
    note = np.where(hack & (note != ""), np.char.add(note.astype(str), "; "), note)
    note = np.where(hack, np.char.add(note.astype(str), HACK_NOTE), note)
    affected = pd.DataFrame(
        {
            "site_id": conn["site_id"].to_numpy()[start.idx][rows],
            "affected": ex["affected"].astype(str).to_numpy(),
            "pathway": "water",
            "river": ex["river"].fillna("").astype(str).to_numpy(),
            "river_km": ex["km"].to_numpy(),
            "arrival_h": LEADING_EDGE_FACTOR * ex["tp"].to_numpy(),
            "peak_h": ex["tpk"].to_numpy(),
            "peak_mg_l": ex["conc"].to_numpy(),
            "snap_km": conn["snap_km"].to_numpy()[start.idx][rows],
            "water_note": note,
        }
    )
    for c in ("site_id", "affected", "pathway", "river", "water_note"):
        affected[c] = affected[c].astype("str")
    return affected.reset_index(drop=True)


def _paths_table(
    sites: gpd.GeoDataFrame,
    conn: pd.DataFrame,
    start: _Starts,
    end: _Ends,
    own: np.ndarray,
    path_countries: dict[int, list[str]],
    full_names: pd.Series,
) -> gpd.GeoDataFrame:
    """Build the river_paths table: one row per site, the line still empty (see _draw_paths)."""
    ns = len(sites)
    s_idx, own_s = start.idx, own[start.idx]
    countries_col = np.full(ns, "", dtype=object)
    river_col = np.full(ns, "", dtype=object)
    len_col = np.full(ns, np.nan)
    time_col = np.full(ns, np.nan)
    end_col = np.full(ns, "none", dtype=object)
    sink_col = np.full(ns, "", dtype=object)
    countries_col[s_idx] = [
        ";".join(([o] if o else []) + [c for c in path_countries.get(i, ()) if c != o])
        for i, o in enumerate(own_s)
    ]
    river_col[s_idx] = full_names.reindex(np.arange(len(start.pos))).fillna("").to_numpy()
    len_col[s_idx] = end.km
    time_col[s_idx] = LEADING_EDGE_FACTOR * end.h
    end_col[s_idx] = end.kind
    sink_col[s_idx] = end.sink_name
    geom = np.full(ns, None, dtype=object)
    return gpd.GeoDataFrame(
        {
            "site_id": pd.array(conn["site_id"].to_numpy(), dtype="str"),
            "countries": pd.array(countries_col, dtype="str"),
            "river": pd.array(river_col, dtype="str"),
            "length_km": len_col,
            "travel_h": time_col,
            "end": pd.array(end_col, dtype="str"),
            "sink_name": pd.array(sink_col, dtype="str"),
            "snap_km": conn["snap_km"].to_numpy(),
            "water_note": conn["water_note"].to_numpy(),
        },
        geometry=geom,
        crs=4326,
    )


def _draw_paths(
    paths: gpd.GeoDataFrame,
    reaches: gpd.GeoDataFrame,
    net: _Net,
    trace: tuple[_Starts, _Ends, pd.DataFrame, _Keys],
    ex: pd.DataFrame,
    own: np.ndarray,
) -> None:
    """Set the line of each traced site in ``paths`` (in place).

    The line runs from the site to the end of the last reach in or along a
    country other than the site's own (or to the end of the trace, if that
    comes first); a trace that stays at home is not drawn
    (:mod:`hazid.rivers.paths`). ``trace`` holds the starts, ends, events
    and reach keys of the trace, ``ex`` the country entries
    (:func:`_country_entries`).
    """
    start, end, events, keys = trace
    if not len(start.pos):
        return
    own_s = own[start.idx]
    e_row = ex["row"].to_numpy()
    other_rows = np.unique(e_row[ex["affected"].to_numpy() != own_s[e_row]])
    line_end = _line_ends(events, keys, other_rows, own_s, end)
    geom = np.full(len(paths), None, dtype=object)
    geom[start.idx] = _site_lines(reaches, net, start, line_end)
    paths["geometry"] = gpd.GeoSeries(geom, index=paths.index, crs=paths.crs)


def _lakes_crossed(events: pd.DataFrame, keys: _Keys) -> dict[int, str]:
    """Lakes met along each path (";"-joined, in order); set each event's largest lake so far.

    Adds ``lake_max_m3`` to ``events``: the largest known lake volume from the
    site to the event (NaN before any), which caps the peak concentration.
    """
    vol = events["lake_m3"].to_numpy()
    events["lake_max_m3"] = (
        pd.Series(np.where(np.isfinite(vol), vol, -1.0), index=events.index)
        .groupby(events["row"].to_numpy())
        .cummax()
        .replace(-1.0, np.nan)
        .to_numpy()
    )
    lk = events.loc[events["lake"].to_numpy() > 0, ["row", "lake"]].drop_duplicates()
    names = np.asarray(keys.lake_vals, dtype=object)[lk["lake"].to_numpy()]
    out: dict[int, str] = {}
    for r, v in zip(lk["row"].tolist(), names.tolist(), strict=True):
        out[r] = f"{out[r]};{v}" if r in out else v
    return out


def _per_site(values: dict[int, str], start: _Starts, ns: int) -> np.ndarray:
    """Spread per traced-site values (keyed by trace row) over all sites; "" elsewhere."""
    out = np.full(ns, "", dtype=object)
    for r, v in values.items():
        out[start.idx[r]] = v
    return out


def _join_runs(rows: np.ndarray, values: np.ndarray) -> dict[int, list[str]]:
    """Group ``values`` by consecutive equal ``rows`` into lists (rows sorted)."""
    out: dict[int, list[str]] = {}
    for r, v in zip(rows.tolist(), values.tolist(), strict=True):
        out.setdefault(r, []).append(v)
    return out
