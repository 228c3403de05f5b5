"""The whole screening chain: inventory -> Annex I -> pathways -> results on disk.

:func:`screen` runs every configured stage and returns a :class:`ScreeningResults`;
:func:`write_results` writes it into a results directory (atomically). The CLI command
``hazid screen`` is a thin wrapper around these two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hazid import __version__, tables
from hazid.annex import classify
from hazid.inventory import read_inventory
from hazid.report import (
    HOLDINGS_COLUMNS,
    SITES_COLUMNS,
    atomic_directory,
    write_csv,
    write_json,
)

logger = logging.getLogger(__name__)

__all__ = ["ScreeningResults", "screen", "write_results"]

_DEPENDENCIES = ("pandas", "numpy", "geopandas", "shapely", "pyproj", "pyogrio", "networkx")


@dataclass
class ScreeningResults:
    """Everything a screening produced, keyed by ``site_id``.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        One row per site (see :func:`hazid.classify` for the columns).
    holdings : pandas.DataFrame
        One row per holding with its Annex I entry, threshold and ratio.
    zones, affected, river_paths, borders : optional
        Filled by the pathway stages when they run.
    run : dict
        Provenance: versions, inputs with SHA-256, parameters, counts, warnings.
    """

    sites: gpd.GeoDataFrame
    holdings: pd.DataFrame
    zones: gpd.GeoDataFrame | None = None
    affected: pd.DataFrame | None = None
    river_paths: gpd.GeoDataFrame | None = None
    borders: gpd.GeoDataFrame | None = None
    run: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    out = {"hazid": __version__, "python": platform.python_version()}
    for name in _DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "not installed"
    return out


def screen(
    inventory: str | Path | pd.DataFrame,
    *,
    regime: str = "convention",
    annex_version: str = tables.DEFAULT_ANNEX_VERSION,
    cluster_km: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScreeningResults:
    """Screen an inventory: validate it and classify every site under Annex I.

    Parameters
    ----------
    inventory : str, Path or pandas.DataFrame
        Inventory file (CSV, XLSX, GeoPackage, GeoJSON) or an already validated holdings table
        from :func:`hazid.read_inventory`.
    regime : {"convention", "seveso-lower", "seveso-upper"}, default "convention"
        Threshold column applied.
    annex_version : str, default "convention-2015"
        Annex I table version.
    cluster_km : float, optional
        Classify sites within this geodesic distance of each other together as well.
    progress : callable, optional
        Called with the label of each stage as it starts.

    Returns
    -------
    ScreeningResults

    Examples
    --------
    >>> import pandas as pd
    >>> res = screen(pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
    ...                            "substance": ["chlorine"], "quantity": ["30"]}))
    >>> res.sites[["site_id", "hazardous", "reasons"]].to_dict("records")
    [{'site_id': 'A', 'hazardous': True, 'reasons': 'chlorine 30 t >= 25 t (Part II item 10)'}]
    """
    step = progress or (lambda label: None)
    run: dict[str, Any] = {
        "versions": _versions(),
        "annex": {"version": annex_version, "tables_sha256": tables.table_sha256(annex_version)},
        "parameters": {"regime": regime, "annex_version": annex_version, "cluster_km": cluster_km},
        "inputs": {},
        "warnings": [],
        "stages": {},
    }
    step("reading inventory")
    if isinstance(inventory, pd.DataFrame):
        holdings = inventory if "substance_key" in inventory.columns else read_inventory(inventory)
        run["inputs"]["inventory"] = {"name": holdings.attrs.get("source", "<table>")}
    else:
        path = Path(inventory)
        holdings = read_inventory(path)
        run["inputs"]["inventory"] = {"name": path.name, "sha256": _sha256(path)}
    step("classifying under Annex I")
    sites, holdings = classify(
        holdings, regime=regime, annex_version=annex_version, cluster_km=cluster_km
    )
    run["stages"]["annex"] = "done"
    run["counts"] = {
        "sites": len(sites),
        "holdings": len(holdings),
        "hazardous": int(sites["hazardous"].sum()),
    }
    return ScreeningResults(sites=sites, holdings=holdings, run=run)


def write_results(
    results: ScreeningResults,
    out_dir: str | Path,
    *,
    now: dt.datetime | None = None,
) -> Path:
    """Write a screening into ``out_dir`` (replaced atomically).

    Writes ``sites.csv``, ``holdings.csv`` and ``run.json``; later stages add their files.

    Parameters
    ----------
    results : ScreeningResults
        From :func:`screen`.
    out_dir : str or Path
        Results directory; an existing one is replaced only once everything is written.
    now : datetime, optional
        Time recorded in ``run.json`` (default: the current UTC time).

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> res = screen(pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
    ...                            "substance": ["chlorine"], "quantity": ["30"]}))
    >>> out = write_results(res, pathlib.Path(tempfile.mkdtemp()) / "results")
    >>> sorted(p.name for p in out.iterdir())
    ['holdings.csv', 'run.json', 'sites.csv']
    """
    out_dir = Path(out_dir)
    now = now or dt.datetime.now(dt.UTC)
    run = dict(results.run)
    run["finished_utc"] = now.replace(microsecond=0).isoformat()
    with atomic_directory(out_dir) as tmp:
        write_csv(results.sites, tmp / "sites.csv", SITES_COLUMNS)
        write_csv(results.holdings, tmp / "holdings.csv", HOLDINGS_COLUMNS)
        write_json(run, tmp / "run.json")
    return out_dir
