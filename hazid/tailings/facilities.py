"""Tailings facility table: read and validate, reporting every problem at once.

One row per tailings storage facility:

========================  ========  ==================================================
column                    required  meaning
========================  ========  ==================================================
``facility_id``           yes       unique identifier
``lat``, ``lon``          yes       WGS84 degrees of the dam (where a failure would start)
``tailings_volume_m3``    yes       stored volume VT (m3), > 0
``dam_height_m``          yes       dam height H (m), > 0
``status``                yes       ``active``, ``closed`` or ``legacy``
``facility_name``         no        name
``country``               no        ISO 3166-1 alpha-3 of the facility's country
``contaminants``          no        ``name=value unit`` items separated by ``;``
``tailings_density_t_m3`` no        dry density (t/m3): turns concentrations into masses
``seismic_zone``          no        the national seismic zone, as text
``flood_exposure``        no        ``yes``, ``no`` or ``unknown``
``released_m3``           no        released volume from a site-specific study (m3)
``runout_km``             no        run-out from a site-specific study (km)
========================  ========  ==================================================

Contaminant units: concentrations ``mg/kg``, ``g/t`` or ``ppm`` (all mg per kg of
dry tailings), masses ``kg`` or ``t``, activity concentrations ``Bq/g`` (kept,
but not turned into a mass). Example: ``cyanide=120 mg/kg; arsenic=2.5 t``.

Problems are collected like the inventory does: one row per bad cell with
``row`` (1-based data row), ``column``, ``value`` and ``problem``, raised
together in a :class:`~hazid.errors.TailingsError`.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import TailingsError

logger = logging.getLogger(__name__)

__all__ = [
    "CONTAMINANT_UNITS",
    "FACILITY_STATUSES",
    "contaminant_table",
    "read_facilities",
    "validate_facilities",
]

FACILITY_STATUSES = ("active", "closed", "legacy")
"""Management status of a facility."""

CONTAMINANT_UNITS: dict[str, tuple[str, float]] = {
    "mg/kg": ("concentration", 1.0),
    "g/t": ("concentration", 1.0),
    "ppm": ("concentration", 1.0),
    "kg": ("mass", 1.0),
    "t": ("mass", 1000.0),
    "bq/g": ("activity", 1.0),
}
"""Unit (lower case) -> (kind, factor to mg/kg, kg or Bq/g)."""

_REQUIRED = ["facility_id", "lat", "lon", "tailings_volume_m3", "dam_height_m", "status"]
_NUMERIC = {
    "lat": (-90.0, 90.0, True),
    "lon": (-180.0, 180.0, True),
    "tailings_volume_m3": (0.0, np.inf, False),
    "dam_height_m": (0.0, np.inf, False),
    "tailings_density_t_m3": (0.0, 10.0, False),
    "released_m3": (0.0, np.inf, False),
    "runout_km": (0.0, np.inf, True),
}
_FLOOD = {
    "yes": "yes",
    "true": "yes",
    "1": "yes",
    "no": "no",
    "false": "no",
    "0": "no",
    "unknown": "unknown",
    "": "unknown",
}
_ITEM = re.compile(r"^\s*([^=]+?)\s*=\s*([-+0-9.eE]+)\s*([A-Za-z/]+)\s*$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == ""


def _numbers(table: pd.DataFrame, problems: list[dict]) -> pd.DataFrame:
    out = table.copy()
    for col, (lo, hi, inclusive) in _NUMERIC.items():
        if col not in out:
            continue
        raw = out[col]
        num = pd.to_numeric(raw, errors="coerce")
        for i, (r, v) in enumerate(zip(raw, num, strict=True)):
            if _blank(r):
                if col in _REQUIRED:
                    problems.append(_p(i, col, r, "missing"))
                continue
            if not np.isfinite(v):
                problems.append(_p(i, col, r, "not a number"))
            elif (v < lo or v > hi) if inclusive else (v <= lo or v > hi):
                rng = f"within {lo:g} to {hi:g}" if inclusive else f"above {lo:g}"
                problems.append(_p(i, col, r, f"must be {rng}"))
        out[col] = num.astype(float)
    return out


def _p(i: int, column: str, value: Any, problem: str) -> dict:
    return {"row": i + 1, "column": column, "value": "" if _blank(value) else str(value),
            "problem": problem}  # fmt: skip


def _parse_items(text: Any) -> tuple[list[tuple[str, float, str]], list[str]]:
    items, errors = [], []
    if _blank(text):
        return items, errors
    for part in str(text).split(";"):
        if not part.strip():
            continue
        m = _ITEM.match(part)
        if not m:
            errors.append(f"{part.strip()!r} is not 'name=value unit'")
            continue
        name, value, unit = m.group(1).strip().lower(), float(m.group(2)), m.group(3).lower()
        if unit not in CONTAMINANT_UNITS:
            errors.append(f"{part.strip()!r}: unit must be one of {', '.join(CONTAMINANT_UNITS)}")
        elif not value >= 0:
            errors.append(f"{part.strip()!r}: value must be >= 0")
        else:
            items.append((name, value, unit))
    return items, errors


def _text_checks(table: pd.DataFrame, problems: list[dict]) -> pd.DataFrame:
    out = table.copy()
    ids = out["facility_id"].astype("string").str.strip()
    for i, v in enumerate(ids):
        if pd.isna(v) or v == "":
            problems.append(_p(i, "facility_id", v, "missing"))
    dup = ids.duplicated(keep="first") & ids.notna() & (ids != "")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(_p(int(i), "facility_id", ids.iloc[i], "repeats an earlier row"))
    out["facility_id"] = ids.fillna("").astype(str)
    status = out["status"].astype("string").str.strip().str.lower()
    for i, v in enumerate(status):
        if pd.isna(v) or v not in FACILITY_STATUSES:
            problems.append(
                _p(i, "status", out["status"].iloc[i], f"must be {', '.join(FACILITY_STATUSES)}")
            )
    out["status"] = status.fillna("").astype(str)
    if "flood_exposure" in out:
        raw = out["flood_exposure"]
        norm = raw.map(lambda v: _FLOOD.get("" if _blank(v) else str(v).strip().lower()))
        for i in np.flatnonzero(norm.isna().to_numpy()):
            problems.append(_p(int(i), "flood_exposure", raw.iloc[i], "must be yes, no or unknown"))
        out["flood_exposure"] = norm.fillna("unknown")
    else:
        out["flood_exposure"] = "unknown"
    if "contaminants" in out:
        for i, text in enumerate(out["contaminants"]):
            for err in _parse_items(text)[1]:
                problems.append(_p(i, "contaminants", text, err))
    return out


def validate_facilities(
    source: pd.DataFrame | str | os.PathLike[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a facility table and return it cleaned, with every problem found.

    Parameters
    ----------
    source : pandas.DataFrame or path
        The table, or a CSV file.

    Returns
    -------
    facilities : pandas.DataFrame
        Cleaned table (numbers as floats, ``status`` and ``flood_exposure``
        lower case); ``attrs["source"]`` names the input.
    problems : pandas.DataFrame
        ``row``, ``column``, ``value``, ``problem``; empty when the table is good.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"facility_id": ["a", "a"], "lat": [41.0, 95.0], "lon": [72.0, 72.0],
    ...     "tailings_volume_m3": [1e6, -1], "dam_height_m": [20, 15], "status": ["legacy", "x"]})
    >>> _, problems = validate_facilities(t)
    >>> problems[["row", "column"]].values.tolist()
    [[2, 'lat'], [2, 'tailings_volume_m3'], [2, 'facility_id'], [2, 'status']]
    """
    name = "table"
    if not isinstance(source, pd.DataFrame):
        name = Path(source).name
        source = pd.read_csv(Path(source), dtype=str, keep_default_na=False)
    table = source.rename(columns=lambda c: str(c).strip().lower()).reset_index(drop=True)
    problems: list[dict] = []
    missing = [c for c in _REQUIRED if c not in table.columns]
    for col in missing:
        problems.append({"row": None, "column": col, "value": "", "problem": "column missing"})
    if not missing:
        table = _numbers(table, problems)
        table = _text_checks(table, problems)
    frame = pd.DataFrame(problems, columns=["row", "column", "value", "problem"])
    frame["row"] = frame["row"].astype("Int64")
    table.attrs["source"] = name
    return table, frame


def read_facilities(source: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    """Read a facility table, raising every problem at once.

    Parameters
    ----------
    source : pandas.DataFrame or path
        The table, or a CSV file.

    Returns
    -------
    pandas.DataFrame
        The cleaned table (see :func:`validate_facilities`).

    Raises
    ------
    TailingsError
        With ``problems`` (one row per bad cell) when any row is bad.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"facility_id": ["a"], "lat": [41.0], "lon": [72.0],
    ...     "tailings_volume_m3": ["1e6"], "dam_height_m": [20], "status": ["Legacy"]})
    >>> read_facilities(t)[["status", "tailings_volume_m3", "flood_exposure"]].values.tolist()
    [['legacy', 1000000.0, 'unknown']]
    """
    table, problems = validate_facilities(source)
    if len(problems):
        raise TailingsError(problems, source=table.attrs.get("source"))
    logger.info("read %d tailings facilities from %s", len(table), table.attrs.get("source"))
    return table


def contaminant_table(facilities: pd.DataFrame) -> pd.DataFrame:
    """Return the ``contaminants`` column as a long table.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities.

    Returns
    -------
    pandas.DataFrame
        One row per (facility, contaminant): ``facility_id``, ``contaminant``,
        ``value``, ``unit``, ``kind`` (``concentration`` in mg/kg, ``mass`` in kg,
        ``activity`` in Bq/g) and ``amount`` (the value in those units).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["a"], "contaminants": ["As=2.5 t; CN=120 g/t"]})
    >>> contaminant_table(f)[["contaminant", "kind", "amount"]].values.tolist()
    [['as', 'mass', 2500.0], ['cn', 'concentration', 120.0]]
    """
    rows = []
    if "contaminants" in facilities:
        for fid, text in zip(facilities["facility_id"], facilities["contaminants"], strict=True):
            for name, value, unit in _parse_items(text)[0]:
                kind, factor = CONTAMINANT_UNITS[unit]
                rows.append((str(fid), name, value, unit, kind, value * factor))
    return pd.DataFrame(
        rows, columns=["facility_id", "contaminant", "value", "unit", "kind", "amount"]
    )
