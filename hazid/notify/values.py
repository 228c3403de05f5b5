"""Reading table columns and formatting numbers for notification dossiers.

Columns of the shared tables are read as stripped text, floats or booleans whatever their
stored type; numbers are formatted once for the human-readable dossiers (``_f*``) and rounded
once for the JSON dossier (``_j*``), so that the two never disagree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionDtype
from pandas.core.dtypes.cast import maybe_box_native

from hazid.errors import InventoryError
from hazid.i18n import format_decimal, gettext


def _problems(source: str, problems: Iterable[tuple[Any, str, Any, str]]) -> InventoryError:
    df = pd.DataFrame(list(problems), columns=["row", "column", "value", "problem"])
    return InventoryError(df, source=source)


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    """Column as stripped strings, '' where missing (or the column is absent)."""
    if col not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    s = df[col].astype("string").fillna("").str.strip()
    return s.astype(object)


def _upper_text(df: pd.DataFrame, col: str) -> pd.Series:
    """``_text(df, col).str.upper()``: upper-cased in Arrow when the column is ASCII."""
    if col not in df.columns:
        return _text(df, col)
    s = df[col].astype("string").fillna("").str.strip()
    if s.dtype.storage == "pyarrow":
        ascii_ = pc.all(pc.string_is_ascii(pa.array(s.array))).as_py()
        if ascii_ is not False:  # ASCII: the same letters as str.upper
            return s.str.upper().astype(object)
    return s.astype(object).str.upper()


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")``, built a column at a time (not row by row).

    Text columns become objects at once; each value is what ``to_dict`` gives: a column of
    NumPy numbers as Python numbers, one of objects or an extension type boxed as pandas
    boxes it (``maybe_box_native``).
    """
    if not df.columns.is_unique:
        return df.to_dict("records")
    text = {c: object for c, t in df.dtypes.items() if isinstance(t, pd.StringDtype)}
    if text:
        df = df.astype(text)
    values = []
    for i, dtype in enumerate(df.dtypes.tolist()):
        col = df.iloc[:, i]
        if dtype == np.dtype(object):  # the objects themselves (iterating gives each .item())
            items = col.to_numpy().tolist()
            values.append([v if type(v) is str else maybe_box_native(v) for v in items])
        elif isinstance(dtype, ExtensionDtype):
            values.append([v if type(v) is str else maybe_box_native(v) for v in col])
        else:  # NumPy values: tolist gives the Python scalars iterating does
            values.append(col.tolist())
    columns = df.columns.tolist()
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


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


def _localize(text: str, lang: str) -> str:
    """Write an English-formatted number (``1,234.5``) in the conventions of ``lang``."""
    if lang == "en":
        return text
    m = re.fullmatch(r"(-?)([\d,]+)(?:\.(\d+))?", text)
    if m is None:  # exponent notation: only the decimal mark changes
        return text.replace(".", format_decimal(0.5, lang, decimals=1)[1])
    decimals = len(m.group(3) or "")
    return format_decimal(float(text.replace(",", "")), lang, decimals=decimals)


def _unknown(lang: str) -> str:
    return gettext("unknown", lang)


def _f1(x: float, lang: str = "en") -> str:
    """Format with one decimal, after rounding to the two decimals of the JSON.

    A dossier's tables, evidence sentences and JSON then never disagree by double rounding.
    """
    if _isnan(x):
        return _unknown(lang)
    return _localize(f"{round(float(x), 2) + 0.0:,.1f}", lang)


def _fadapt(x: float, lang: str = "en") -> str:
    """One decimal below 10, none above (hours, river km)."""
    if _isnan(x):
        return _unknown(lang)
    return _localize(f"{x:.1f}" if abs(x) < 10 else f"{x:,.0f}", lang)


def _fconc(x: float, lang: str = "en") -> str:
    """Concentration with two significant digits below 1, fewer decimals above."""
    if _isnan(x):
        return _unknown(lang)
    if x == 0:
        return "0"
    if abs(x) >= 10:
        return _localize(f"{x:,.0f}", lang)
    if abs(x) >= 1:
        return _localize(f"{x:.1f}", lang)
    return _localize(f"{x:.2g}", lang)


def _fqty(x: float, lang: str = "en") -> str:
    """Quantity in tonnes: up to three decimals, thousands grouped."""
    if _isnan(x):
        return _unknown(lang)
    return _localize(f"{x:,.3f}".rstrip("0").rstrip("."), lang)


def _fratio(x: float, lang: str = "en") -> str:
    """Ratio to a threshold, two decimals."""
    return _unknown(lang) if _isnan(x) else _localize(f"{x:.2f}", lang)


def _fint(x: float, lang: str = "en") -> str:
    """Whole number, thousands grouped (people)."""
    return _unknown(lang) if _isnan(x) else _localize(f"{x:,.0f}", lang)


def _jnum(x: Any, ndigits: int) -> float | None:
    """JSON number with fixed rounding (None for missing)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if v - v != 0.0:  # NaN or infinite
        return None
    return round(v, ndigits) + 0.0


def _jsig(x: Any, digits: int = 4) -> float | None:
    v = _jnum(x, 12)
    return None if v is None else float(f"{v:.{digits}g}")


def _jstr(x: Any) -> str | None:
    if type(x) is str:  # most values: no test for a missing one
        return x.strip() or None
    if _isnan(x):
        return None
    s = str(x).strip()
    return s or None


def file_slug(raw: Any, *, max_len: int = 40) -> str:
    """Bounded, collision-free file-name part for an identifier.

    An ASCII slug of the identifier (at most ``max_len`` characters) followed by the first 8
    hexadecimal digits of the SHA-256 of the raw identifier (UTF-8), so that ``KG/7``,
    ``KG 7`` and ``KG_7`` get different names and a 300-character id stays short.

    Examples
    --------
    >>> file_slug("KG/7"), file_slug("KG 7")
    ('KG-7-227066aa', 'KG-7-b70deb4f')
    """
    raw = str(raw)
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:max_len].strip("-") or "id"
    return f"{slug}-{hashlib.sha256(raw.encode('utf-8')).hexdigest()[:8]}"
