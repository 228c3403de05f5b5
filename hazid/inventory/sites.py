"""Per-site consistency: one position and one country for all the holdings of a site.

:func:`swapped_coordinates` also checks each site against the inventory's own ``country``
with a border lookup handed in by the caller (the inventory itself holds no borders).
"""

from __future__ import annotations

from collections.abc import Callable

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


def checkable(table: pd.DataFrame) -> pd.Series:
    """Rows with a ``country`` and coordinates: those :func:`swapped_coordinates` checks."""
    return (table["country"].astype(str) != "") & table["lon"].notna() & table["lat"].notna()


def swapped_coordinates(
    holdings: pd.DataFrame, country_at: Callable[[float, float], str | None]
) -> pd.DataFrame:
    """Find sites whose lon/lat look swapped, judged by the inventory's own ``country``.

    A site is reported when its point falls outside the country the inventory gives it while the
    swapped pair (``lon`` = its ``lat``, ``lat`` = its ``lon``) falls inside that country. Both
    pairs may be in range (Ashgabat at 58.4 E, 37.9 N swapped is a point in Russia), so only the
    borders can tell. Sites without a country or coordinates are not checked.

    Parameters
    ----------
    holdings : pandas.DataFrame
        Validated holdings (:func:`~hazid.inventory.read_inventory`): ``row``, ``site_id``,
        ``country``, ``lon``, ``lat``.
    country_at : callable
        ``country_at(lon, lat)`` returns the ISO 3166 alpha-3 code of the country at a WGS84
        point, or None / "" outside every country. Called once per site with a country, and
        once more for the swapped pair of a site outside its country.

    Returns
    -------
    pandas.DataFrame
        Problems as :func:`~hazid.inventory.validate_inventory` reports them (``row``,
        ``column``, ``value``, ``problem``), one per site; empty when none look swapped.

    Examples
    --------
    >>> import pandas as pd
    >>> holdings = pd.DataFrame({"row": [1], "site_id": ["TM-1"], "country": ["TKM"],
    ...                          "lon": [37.95], "lat": [58.38]})
    >>> def country_at(lon, lat):  # a toy map: Turkmenistan and a country to its north
    ...     if 52 <= lon <= 66 and 35 <= lat <= 43:
    ...         return "TKM"
    ...     return "RUS" if lat > 50 else None
    >>> swapped_coordinates(holdings, country_at).loc[0, "problem"]
    "site 'TM-1': 37.95, 58.38 (lon, lat) is in RUS, not in its country TKM, but the swapped \
pair 58.38, 37.95 is in TKM: lat and lon look swapped"
    """
    cols = ["row", "column", "value", "problem"]
    firsts = holdings[checkable(holdings)].drop_duplicates("site_id")
    found = []
    for rec in firsts.itertuples(index=False):
        lon, lat, country = float(rec.lon), float(rec.lat), str(rec.country)
        here = country_at(lon, lat) or ""
        if here == country or abs(lon) > 90:
            continue  # in its country, or a longitude that cannot be a latitude
        if (country_at(lat, lon) or "") != country:
            continue
        where = f"in {here}" if here else "in no country"
        found.append(
            {
                "row": int(rec.row),
                "column": "lon/lat",
                "value": f"{lon}, {lat}",
                "problem": f"site {rec.site_id!r}: {lon}, {lat} (lon, lat) is {where}, not in "
                f"its country {country}, but the swapped pair {lat}, {lon} is in {country}: "
                "lat and lon look swapped",
            }
        )
    out = pd.DataFrame(found, columns=cols)
    out["row"] = out["row"].astype("Int64")
    return out
