"""Reading table columns and formatting numbers for notification dossiers.

Columns of the shared tables are read as stripped text, floats or booleans whatever their
stored type; numbers are formatted once for the human-readable dossiers (``_f*``) and rounded
once for the JSON dossier (``_j*``), so that the two never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import InventoryError


def _problems(source: str, problems: Iterable[tuple[Any, str, Any, str]]) -> InventoryError:
    df = pd.DataFrame(list(problems), columns=["row", "column", "value", "problem"])
    return InventoryError(df, source=source)


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    """Column as stripped strings, '' where missing (or the column is absent)."""
    if col not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    s = df[col].astype("string").fillna("").str.strip()
    return s.astype(object)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _as_bool(values: Any) -> np.ndarray:
    s = pd.Series(values)
    if s.dtype == bool:
        return s.to_numpy()
    txt = s.astype("string").fillna("").str.strip().str.lower()
    return txt.isin(["true", "t", "yes", "y", "1", "1.0"]).to_numpy(dtype=bool)


def _isnan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _f1(x: float) -> str:
    """Format with one decimal, after rounding to the two decimals of the JSON.

    A dossier's tables, evidence sentences and JSON then never disagree by double rounding.
    """
    return "unknown" if _isnan(x) else f"{round(float(x), 2) + 0.0:.1f}"


def _fadapt(x: float) -> str:
    """One decimal below 10, none above (hours, river km)."""
    if _isnan(x):
        return "unknown"
    return f"{x:.1f}" if abs(x) < 10 else f"{x:.0f}"


def _fconc(x: float) -> str:
    if _isnan(x):
        return "unknown"
    if x == 0:
        return "0"
    if abs(x) >= 10:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return f"{x:.2g}"


def _fqty(x: float) -> str:
    if _isnan(x):
        return "unknown"
    return f"{x:,.3f}".rstrip("0").rstrip(".")


def _fratio(x: float) -> str:
    return "unknown" if _isnan(x) else f"{x:.2f}"


def _jnum(x: Any, ndigits: int) -> float | None:
    """JSON number with fixed rounding (None for missing)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if v != v or v in (float("inf"), float("-inf")):
        return None
    return round(v, ndigits) + 0.0


def _jsig(x: Any, digits: int = 4) -> float | None:
    v = _jnum(x, 12)
    return None if v is None else float(f"{v:.{digits}g}")


def _jstr(x: Any) -> str | None:
    if _isnan(x):
        return None
    s = str(x).strip()
    return s or None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)) or "_"
