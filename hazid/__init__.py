"""hazid: hazardous activities and transboundary notification (UNECE Industrial Accidents).

The public API is re-exported here; see the README for the method and outputs.
"""

from __future__ import annotations

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

__version__ = "0.1.0"

__all__ = [
    "AnnexDataError",
    "CRSError",
    "ChoiceError",
    "DataSourceError",
    "GeodataError",
    "HazidError",
    "InventoryError",
    "NetworkError",
    "OutputError",
    "__version__",
]
