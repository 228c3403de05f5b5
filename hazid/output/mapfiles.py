"""The HTML map files of a run: one beside each dossier, with its activities and Party only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hazid.maps import write_map

__all__ = ["borders_used", "dossier_maps"]


def dossier_maps(results: Any, folder: Path, summary: pd.DataFrame, *, tiles: str | None) -> None:
    """Write ``ORIGIN-AFFECTED_map.html`` beside each dossier: its activities and Party only."""
    activities = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    for rec in summary.itertuples(index=False):
        if not isinstance(rec.dossier, str) or not rec.dossier:
            continue
        pick = activities[
            (activities["origin"] == rec.origin)
            & (activities["affected"] == rec.affected)
            & activities["status"].isin(["notify", "consult"])
        ]
        ids = set(pick["site_id"])
        affected = _only(results.affected, ids)
        affected = affected[affected["affected"] == rec.affected]
        borders = results.borders
        if borders is not None:
            borders = borders[borders["iso_a3"].isin({rec.origin, rec.affected})]
        subset = dataclasses.replace(
            results,
            sites=_only(results.sites, ids),
            holdings=_only(results.holdings, ids),
            zones=_only(results.zones, ids),
            affected=affected,
            river_paths=_only(results.river_paths, ids),
            borders=borders,
        )
        title = f"hazid: activities of {rec.origin} that may affect {rec.affected}"
        write_map(subset, folder / f"{rec.dossier}_map.html", tiles=tiles, title=title)


def _only(df: Any, ids: set[str]) -> Any:
    return None if df is None else df[df["site_id"].isin(ids)]


def borders_used(results: Any) -> gpd.GeoDataFrame | None:
    """Keep the countries of the sites and of the affected Parties (a small GeoPackage)."""
    if results.borders is None:
        return None
    codes = set(results.sites.get("site_country", pd.Series(dtype=str)).dropna())
    if results.affected is not None:
        codes |= set(results.affected["affected"].dropna())
    b = results.borders
    return b[b["iso_a3"].isin(codes)].reset_index(drop=True)
