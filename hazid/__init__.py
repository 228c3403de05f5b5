"""hazid: hazardous activities and transboundary notification (UNECE Industrial Accidents).

The public API is re-exported here; see the README for the method and outputs.
"""

from __future__ import annotations

__version__ = "0.1.0"

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
)
from hazid.inventory import read_inventory, validate_inventory
from hazid.pipeline import ScreeningResults, screen, write_results

__all__ = [
    "AnnexDataError",
    "AnnexResult",
    "CRSError",
    "ChoiceError",
    "DataSourceError",
    "GeodataError",
    "HazidError",
    "InventoryError",
    "NetworkError",
    "OutputError",
    "ScreeningResults",
    "__version__",
    "classify",
    "cluster_sites",
    "read_inventory",
    "screen",
    "validate_inventory",
    "write_results",
]
