"""Per-site consistency: one position and one country for all the holdings of a site."""

from __future__ import annotations

import pandas as pd

from hazid.inventory.problems import _Problems, _row_list


def _site_checks(out: pd.DataFrame, problems: _Problems) -> None:
    has = out["lon"].notna() & out["lat"].notna()
    coords = out.loc[has, ["site_id", "lon", "lat", "row"]]
    spread = coords.groupby("site_id").agg(
        lon_min=("lon", "min"), lon_max=("lon", "max"), lat_min=("lat", "min"),
        lat_max=("lat", "max"), first=("row", "min"),
    )  # fmt: skip
    conflict = spread[
        ((spread.lon_max - spread.lon_min) > 1e-6) | ((spread.lat_max - spread.lat_min) > 1e-6)
    ]
    if len(conflict):
        sub = coords[coords["site_id"].isin(conflict.index)]
        rows = sub.groupby("site_id")["row"].agg(lambda r: _row_list(r.tolist()))
        for sid, first in conflict["first"].items():
            problems.add(
                int(first),
                "lon/lat",
                sid,
                f"site {sid!r} has conflicting coordinates in rows {rows[sid]}",
            )
    named = out[out["site_id"] != ""]
    no_coords = pd.Index(named["site_id"].unique()).difference(spread.index)
    if len(no_coords):
        first = named[named["site_id"].isin(no_coords)].groupby("site_id")["row"].min()
        for sid, row in first.sort_index().items():
            problems.add(int(row), "lon/lat", sid, f"site {sid!r} has no coordinates")
    given = out[out["country"] != ""]
    n_countries = given.groupby("site_id")["country"].nunique()
    clash = n_countries.index[n_countries > 1]
    if len(clash):
        sub = given[given["site_id"].isin(clash)].groupby("site_id")
        firsts = sub["row"].min()
        rows = sub["row"].agg(lambda r: _row_list(r.tolist()))
        names = sub["country"].agg(lambda c: ", ".join(sorted(c.unique())))
        for sid in clash:
            problems.add(
                int(firsts[sid]),
                "country",
                sid,
                f"site {sid!r} has conflicting countries {names[sid]} in rows {rows[sid]}",
            )
