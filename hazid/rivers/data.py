"""Sourced river tables: closed basins, terminal rivers, lake volumes and runoff depths.

The tables are versioned package data (``hazid/data/rivers/v1``); every row names its
source (see ``SOURCES.md`` there).
"""

from __future__ import annotations

import pandas as pd

from hazid import tables

RIVER_TABLES_VERSION = "v1"
"""Version of the river tables in ``hazid/data/rivers``."""


def _table(name: str) -> pd.DataFrame:
    return tables._read_csv("rivers", RIVER_TABLES_VERSION, name).copy()


def _aliases(df: pd.DataFrame) -> list[list[str]]:
    return [[a.strip().casefold() for a in s.split("|") if a.strip()] for s in df["aliases"]]


def closed_basins() -> pd.DataFrame:
    """Return the closed lakes and seas and the terminal rivers, with their sources.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``kind`` (lake, sea or terminal), ``aliases`` (list of case-folded
        names), ``west``, ``south``, ``east``, ``north`` (boxes of closed seas, degrees),
        ``lost_km`` (how far before its drawn confluence a terminal river is lost) and
        ``source``.

    Examples
    --------
    >>> t = closed_basins()
    >>> sorted(t.loc[t.kind == "terminal", "name"])[:2]
    ['Chu', 'Murghab']
    """
    df = _table("closed_basins.csv")
    df["aliases"] = _aliases(df)
    for c in ("west", "south", "east", "north", "lost_km"):
        df[c] = pd.to_numeric(df[c].replace("", None), errors="coerce").astype(float)
    return df


def lake_volumes() -> pd.DataFrame:
    """Return the volumes (km3) of large lakes and reservoirs, with aliases and sources.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``aliases`` (list of case-folded names), ``volume_km3``, ``source``.

    Examples
    --------
    >>> float(lake_volumes().set_index("name").loc["Toktogul", "volume_km3"])
    19.5
    """
    df = _table("lakes.csv")
    df["aliases"] = _aliases(df)
    df["volume_km3"] = df["volume_km3"].astype(float)
    return df


def runoff_depths() -> dict[str, float]:
    """Return the mean runoff depth (mm/yr) by region (``exorheic``, ``endorheic``).

    Examples
    --------
    >>> runoff_depths()["exorheic"]
    359.0
    """
    df = _table("runoff.csv")
    return {str(r): float(v) for r, v in zip(df["region"], df["runoff_mm"], strict=True)}
