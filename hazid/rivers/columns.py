"""Reading attributes of river layers: column lookup, numbers, names, messages."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import GeodataError

logger = logging.getLogger(__name__)


def _find_column(columns: Iterable[str], *names: str) -> str | None:
    lower = {c.lower(): c for c in columns}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def _norm_name(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return " ".join(str(value).split())


def _some(values: pd.Series | np.ndarray, k: int = 5) -> str:
    """Show the first ``k`` values, comma-separated, with the count of the rest."""
    v = list(pd.Series(values).tolist())
    text = ", ".join(_show(x) for x in v[:k])
    return text + (f" and {len(v) - k} more" if len(v) > k else "")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "empty"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number_column(
    values: pd.Series, name: str, *, integer: bool = False, missing_ok: bool = False
) -> pd.Series:
    """Parse a numeric attribute; raise :class:`GeodataError` naming the bad values."""
    values = pd.Series(values).reset_index(drop=True)
    if integer and pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return values.astype("int64")
    num = pd.to_numeric(values, errors="coerce").astype(float)
    missing = values.isna().to_numpy()
    bad = num.isna().to_numpy() & ~missing
    if not missing_ok:
        bad |= missing
    if integer:
        with np.errstate(invalid="ignore"):
            bad |= np.isfinite(num.to_numpy()) & (num.to_numpy() != np.round(num.to_numpy()))
        bad |= np.isinf(num.to_numpy())
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(f"row {i + 1}: {_show(values.iloc[i])}" for i in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        kind = "whole numbers" if integer else "numbers"
        raise GeodataError(f"{name} must hold {kind}; {len(rows)} bad value(s): {shown}{more}")
    return num
