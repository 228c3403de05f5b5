"""hazid: hazardous activities and transboundary notification (UNECE Industrial Accidents).

The public API is re-exported here; see the README for the method and outputs.
"""

from __future__ import annotations

from typing import Any

from hazid import tailings
from hazid._version import __version__
from hazid.annex import AnnexResult, classify, cluster_sites
from hazid.errors import (
    AnnexDataError,
    ChoiceError,
    CRSError,
    DataSourceError,
    GeodataError,
    HazidError,
    InventoryError,
    NetworkError,
    OutputError,
    ProcessError,
    RelationError,
    TailingsError,
    WorkerError,
)
from hazid.geography import (
    affected_by_air,
    assign_country,
    border_distance,
    load_borders,
    resolve_borders,
)
from hazid.inventory import read_inventory, validate_inventory
from hazid.notify import determine, read_contacts
from hazid.output.dossiers import regenerate, write_notifications
from hazid.pipeline import ScreeningResults, screen, write_results
from hazid.process import (
    Catalogue,
    Changes,
    Register,
    catalogue,
    diff,
    write_catalogue,
    write_changes,
)
from hazid.rivers import build_network, data_ends, resolve_rivers, trace_water
from hazid.zones import consequence_distances, population_in_zones, zone_polygons

__all__ = [
    "AnnexDataError",
    "AnnexResult",
    "CRSError",
    "Catalogue",
    "Changes",
    "ChoiceError",
    "DataSourceError",
    "GeodataError",
    "HazidError",
    "InventoryError",
    "NetworkError",
    "OutputError",
    "ProcessError",
    "Register",
    "RelationError",
    "ScreeningResults",
    "TailingsError",
    "WorkerError",
    "__version__",
    "affected_by_air",
    "assign_country",
    "border_distance",
    "build_network",
    "catalogue",
    "classify",
    "cluster_sites",
    "consequence_distances",
    "data_ends",
    "determine",
    "diff",
    "load_borders",
    "population_in_zones",
    "read_contacts",
    "read_inventory",
    "regenerate",
    "resolve_borders",
    "resolve_rivers",
    "screen",
    "screening_map",
    "tailings",
    "trace_water",
    "validate_inventory",
    "write_catalogue",
    "write_changes",
    "write_map",
    "write_notifications",
    "write_results",
    "zone_polygons",
]


def __getattr__(name: str) -> Any:
    """Load the HTML maps (and folium) when :func:`screening_map` or :func:`write_map` is asked for.

    ``import hazid`` does not load folium, so that a screening starts sooner.
    """
    if name in ("screening_map", "write_map"):
        from hazid import maps

        return getattr(maps, name)
    raise AttributeError(f"module 'hazid' has no attribute {name!r}")
