"""The results of a screening and their provenance record (versions, inputs, counts)."""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hazid import embedded, geography, tables, zones
from hazid._version import __version__
from hazid.errors import DataSourceError

logger = logging.getLogger(__name__)


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
    network, tailings : optional
        The river network built by the water stage; the tailings assessment
        (:class:`hazid.tailings.TailingsResults`) when a facility table was given.
    run : dict
        Provenance: versions, inputs with SHA-256, parameters, counts, warnings.
    sources : list of Path
        Input files read (a results folder that contains one is refused).
    map_world : dict, optional
        The countries of the HTML maps at the world level (:func:`hazid.maps.world_level`),
        when the screening worked them out beside the water stage; the maps use them only
        for the same ``borders``.
    """

    sites: gpd.GeoDataFrame
    holdings: pd.DataFrame
    zones: gpd.GeoDataFrame | None = None
    affected: pd.DataFrame | None = None
    river_paths: gpd.GeoDataFrame | None = None
    borders: gpd.GeoDataFrame | None = None
    network: gpd.GeoDataFrame | None = field(default=None, repr=False)
    tailings: Any = None
    run: dict[str, Any] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list, repr=False)
    map_world: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        """Summarise: rows per table, the stages that ran and the data used."""
        lines = [f"ScreeningResults (hazid {self.run.get('versions', {}).get('hazid', '?')})"]
        for name in ("sites", "holdings", "zones", "affected", "river_paths", "borders"):
            table = getattr(self, name)
            lines.append(
                f"  {name}: " + ("not computed" if table is None else f"{len(table)} rows")
            )
        counts = self.run.get("counts", {})
        if counts:
            lines.append(f"  hazardous activities: {counts.get('hazardous', 0)}")
        for stage, state in self.run.get("stages", {}).items():
            if isinstance(state, str):
                lines.append(f"  {stage}: {state}")
        for what, rec in self.run.get("inputs", {}).items():
            lines.append(f"  {what}: {rec.get('name', '?')}")
        return "\n".join(lines)


def _versions() -> dict[str, str]:
    out = {"hazid": __version__, "python": platform.python_version()}
    for name in _DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "not installed"
    return out


#: Columns of ``affected.csv``: the air columns of :func:`hazid.geography.affected_by_air` and
#: both weather cases (:data:`hazid.zones.CASE_COLUMNS`), then those of the water trace.
AFFECTED_COLUMNS: tuple[str, ...] = (
    *geography.AIR_COLUMNS,
    *zones.CASE_COLUMNS,
    "river",
    "river_km",
    "arrival_h",
    "peak_h",
    "peak_mg_l",
    "snap_km",
    "contaminant",
    "released_kg",
    "runout_km",
)


_DENSE_GAS_NOTE = (
    "no OCA dense-gas table is usable: dense gases other than ammonia use the neutral-gas table"
)


def _load_layer(value: Any, resolve: Callable[[Any], Any], what: str, run: dict) -> Any:
    """Resolve an optional geodata input; record what was used or why it was not."""
    if value is False:
        run["warnings"].append(f"{what} not assessed: switched off")
        return None
    try:
        layer = value if isinstance(value, gpd.GeoDataFrame) else resolve(value)
    except DataSourceError as err:
        if value is not None:  # asked for explicitly: an error
            raise
        run["warnings"].append(f"{what} not assessed: {err}")
        logger.warning("%s not assessed: %s", what, err)
        return None
    return layer


def _input_record(layer: Any) -> dict[str, Any]:
    """Name and SHA-256 of a geodata input given as a path or a layer read from one."""
    src = layer.attrs.get("source", "<layer>") if isinstance(layer, gpd.GeoDataFrame) else layer
    path = Path(str(src))
    if not path.is_file():
        return {"name": path.name or str(src)}
    # the file name and hash identify the input; local folders stay out of dossiers sent abroad
    record: dict[str, Any] = {"name": path.name, "sha256": tables.file_sha256(path)}
    shipped = embedded.provenance_for(path)
    if shipped is not None:  # the defaults shipped with hazid: say so, with scale and limits
        record.update(
            {k: shipped[k] for k in ("dataset", "version", "scale", "limits", "licence")},
            origin="embedded",
        )
    return record


def _new_run(parameters: dict[str, Any], annex_version: str) -> dict[str, Any]:
    """Start the provenance record of a run, filled by the stages as they go."""
    return {
        "versions": _versions(),
        "annex": {"version": annex_version, "tables_sha256": tables.table_sha256(annex_version)},
        "parameters": parameters,
        "inputs": {},
        "warnings": [],
        "stages": {},
        "limitations": [],
    }


def _combine_affected(affected_parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One ``affected`` table: air rows first, then water rows by arrival, per site."""
    parts = [p for p in affected_parts if len(p)]
    affected = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=list(AFFECTED_COLUMNS))
    )
    for col in AFFECTED_COLUMNS:
        if col not in affected.columns:
            affected[col] = pd.NA
    order = {"air": 0, "water": 1, "tailings": 2}
    affected = affected.assign(_p=affected["pathway"].map(order)).sort_values(
        ["site_id", "_p", "arrival_h", "affected"], kind="stable", na_position="first"
    )
    return affected.drop(columns="_p").reset_index(drop=True)


def _count(results: ScreeningResults) -> None:
    sites, run = results.sites, results.run
    run["counts"] = {
        "sites": len(sites),
        "holdings": len(results.holdings),
        "hazardous": int(sites["hazardous"].sum()),
    }
    if results.affected is not None:
        run["counts"]["affected_rows"] = len(results.affected)
        run["counts"]["parties_affected"] = int(results.affected["affected"].nunique())
