"""The HTML map files of a run: one beside each dossier, with its activities and Party only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid import maps
from hazid.forked import can_fork, forked_map
from hazid.i18n import country_name, gettext
from hazid.maps import BaseMap
from hazid.maps.rows import rows_by_site, rows_of
from hazid.output.results import read_table

__all__ = ["borders_used", "dossier_maps"]

#: Number of pair maps from which they are drawn by several processes.
PARALLEL_FROM = 8


def dossier_maps(
    results: Any,
    folder: Path,
    summary: pd.DataFrame,
    *,
    tiles: str | None,
    lang: str = "en",
    base: BaseMap | None = None,
    workers: int = 2,
    kept: dict[str, Any] | None = None,
) -> None:
    """Write ``ORIGIN-AFFECTED_map.html`` beside each dossier: its activities and Party only.

    Every country is drawn for context (from ``base``, one :class:`hazid.maps.BaseMap` shared
    by all the maps of a run); only the pair's activities, zones and river traces are shown.
    From :data:`PARALLEL_FROM` maps on, ``workers`` processes (forked, so the results and the
    base map are shared, not copied) draw them, the countries layer of every map computed
    beforehand (:meth:`hazid.maps.BaseMap.prepare_windows`, from the extent of each map); each
    map is written on its own, so the files are the same whatever the number of workers.
    ``kept``: what the process that drew the overview map worked out of the zones and traces
    (:func:`hazid.maps.kept_layers`), kept here for the pair maps (the same maps without).
    """
    activities = read_table(folder / "activities.csv")
    jobs = [
        (rec.origin, rec.affected, rec.dossier)
        for rec in summary.itertuples(index=False)
        if isinstance(rec.dossier, str) and rec.dossier
    ]
    if kept:
        maps.adopt_layers(kept, results, base=base)
    rows = _SiteRows(results)
    # folium loaded here (on first use), not once in each worker
    context = (results, _pair_sites(activities), folder, tiles, lang, base, rows, maps.write_map)
    if workers < 2 or len(jobs) < PARALLEL_FROM or not can_fork():
        for job in jobs:
            _pair_map(context, job)
        return
    if base is not None:
        base.prepare()  # once here, not once in each worker
        base.prepare_windows(_pair_windows(rows, jobs, context[1]))
    forked_map(_pair_map, jobs, context, workers=workers)


def _pair_map(context: Any, job: tuple[str, str, str]) -> None:
    results, pair_sites, folder, tiles, lang, base, rows, write_map = context
    origin, affected_iso, dossier = job
    subset = _pair_results(
        results, rows, pair_sites.get((origin, affected_iso), set()), affected_iso
    )
    title = gettext("hazid: activities of {origin} that may affect {affected}", lang).format(
        origin=country_name(origin, lang, origin),
        affected=country_name(affected_iso, lang, affected_iso),
    )
    write_map(
        subset, folder / f"{dossier}_map.html", tiles=tiles, title=title, lang=lang, base=base
    )


def _pair_results(results: Any, rows: _SiteRows, ids: set[str], affected_iso: str) -> Any:
    """``results`` cut to the sites ``ids`` and, of the affected Parties, to ``affected_iso``."""
    affected = rows.only("affected", ids)
    return dataclasses.replace(
        results,
        sites=rows.only("sites", ids),
        holdings=rows.only("holdings", ids),
        zones=rows.only("zones", ids),
        affected=affected[affected["affected"] == affected_iso],
        river_paths=rows.only("river_paths", ids),
    )


def _pair_sites(activities: pd.DataFrame) -> dict[tuple[Any, Any], set[Any]]:
    """Site ids of the activities to notify or consult of each (origin, affected) pair.

    Found in one pass for all the maps; as the ``site_id`` of the rows whose ``origin`` and
    ``affected`` equal the pair's (a missing code equals nothing) and whose ``status`` is
    ``notify`` or ``consult``.
    """
    keep = activities["status"].isin(["notify", "consult"]).to_numpy()
    out: dict[tuple[Any, Any], set[Any]] = {}
    for origin, affected, site in zip(
        activities["origin"].to_numpy(dtype=object)[keep].tolist(),
        activities["affected"].to_numpy(dtype=object)[keep].tolist(),
        activities["site_id"].to_numpy(dtype=object)[keep].tolist(),
        strict=True,
    ):
        if not (pd.isna(origin) or pd.isna(affected)):
            out.setdefault((origin, affected), set()).add(site)
    return out


def _pair_windows(
    rows: _SiteRows, jobs: list[tuple[str, str, str]], pair_sites: dict[tuple[Any, Any], set[Any]]
) -> list[tuple[float, float, float, float]]:
    """Extent of each pair map: the bounds of its sites, zones, traces and ends of river data.

    As :func:`hazid.maps.write_map` fits the map (lon/lat degrees), from the bounds of each
    row worked out once; pairs without any are left out, as are all if a layer is not in
    EPSG:4326 (the extents only let the countries of the maps be computed beforehand).
    """
    boxes = {}
    for name in ("sites", "zones", "river_paths"):
        table = rows.tables[name]
        if table is None or not len(table):
            continue
        crs = getattr(table, "crs", None)
        if crs is None or crs.to_epsg() != 4326:
            return []
        boxes[name] = shapely.bounds(table.geometry.to_numpy())
    paths = rows.tables["river_paths"]
    if "river_paths" in boxes and {"edge_lon", "edge_lat"} <= set(paths.columns):
        x = pd.to_numeric(paths["edge_lon"], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(paths["edge_lat"], errors="coerce").to_numpy(dtype=float)
        boxes["edges"] = np.column_stack([x, y, x, y])
    windows = []
    for origin, affected, _ in jobs:
        ids = pair_sites.get((origin, affected), set())
        parts = []
        for name, box in boxes.items():
            at = rows.rows["river_paths" if name == "edges" else name]
            pos = [at[i] for i in ids if i in at]
            if pos:
                parts.append(box[np.concatenate(pos)])
        if not parts:
            continue
        b = np.vstack(parts)
        if np.isnan(b).all(axis=0).any():
            continue
        with np.errstate(invalid="ignore"):
            lo, hi = np.nanmin(b[:, :2], axis=0), np.nanmax(b[:, 2:], axis=0)
        windows.append((float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
    return windows


class _SiteRows:
    """The rows of each result table by site, found once for all the maps of a run."""

    TABLES = ("sites", "holdings", "zones", "affected", "river_paths")

    def __init__(self, results: Any) -> None:
        self.tables = {name: _bare(getattr(results, name)) for name in self.TABLES}
        self.rows = {name: rows_by_site(table) for name, table in self.tables.items()}

    def only(self, name: str, ids: set[str]) -> Any:
        """Rows of table ``name`` whose ``site_id`` is in ``ids``, in the table's order.

        Without the table's ``attrs`` (metadata of its source, unused by the maps, which pandas
        would deep-copy at every operation on the rows).
        """
        return rows_of(self.tables[name], self.rows[name], ids)


def _bare(table: Any) -> Any:
    """``table`` without its ``attrs`` (a shallow copy: the data are shared), None for None."""
    if table is None:
        return None
    out = table.copy(deep=False)
    out.attrs = {}
    return out


def borders_used(results: Any) -> gpd.GeoDataFrame | None:
    """Keep the countries of the sites and of the affected Parties (a small GeoPackage)."""
    if results.borders is None:
        return None
    # the few distinct codes (a set of 100,000 Arrow texts, one by one, took 0.1 s)
    codes = set(results.sites.get("site_country", pd.Series(dtype=str)).dropna().unique())
    if results.affected is not None:
        codes |= set(results.affected["affected"].dropna().unique())
    b = results.borders
    return b[b["iso_a3"].isin(codes)].reset_index(drop=True)
