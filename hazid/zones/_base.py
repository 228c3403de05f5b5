"""Shared conventions of the consequence-zone models: hazard names, data files, array results."""

from __future__ import annotations

import importlib.resources
from typing import Any

import numpy as np

from hazid.errors import DataSourceError

#: Hazards reported by :func:`hazid.zones.consequence_distances`, in output sort order.
HAZARDS: tuple[str, ...] = ("explosion", "fire", "fireball", "toxic")


def _result(a: np.ndarray) -> Any:
    """Return a 0-d array as a numpy scalar, anything else unchanged."""
    return a[()] if a.ndim == 0 else a


def _data_file(name: str) -> Any:
    path = importlib.resources.files("hazid") / "data" / name
    if not path.is_file():
        raise DataSourceError(f"hazid data table {name} is missing from the installation")
    return path
