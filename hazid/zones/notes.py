"""Notes: how each zone was obtained, in words (model, table, source term, flags)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hazid.zones.models import (
    KIND_AMMONIA_OTHER,
    KIND_DENSE,
    SOURCE_LIQUID_AS_GAS,
    SOURCE_POOL,
    SOURCE_POOL_LONG,
)
from hazid.zones.source import INDOOR_FACTOR

_TABLES = {
    1: "OCA reference Table 1 (neutral gas, 10 min, rural)",
    2: "OCA reference Table 2 (neutral gas, 60 min, rural)",
    3: "OCA reference Table 3 (neutral gas, 10 min, urban)",
    9: "OCA reference Table 9 (anhydrous ammonia liquefied under pressure)",
    10: "OCA reference Table 10 (ammonia, other than liquefied under pressure)",
}
_UNDETERMINED = "undetermined (> 40 km): beyond the reach of the model, zone drawn at its limit"


def _toxic_worst(table: int, kind: int, opts: dict[str, Any]) -> list[str]:
    bits = [
        _TABLES.get(table, f"OCA reference Table {table}")
        + ", worst case F / 1.5 m/s, nearest row without interpolation"
    ]
    if kind == KIND_DENSE:
        bits.append(
            "dense gas: no usable OCA dense-gas table, neutral-gas table used "
            "(gives larger distances than the dense-gas and chemical-specific tables)"
        )
    if opts["terrain"] == "urban" and table in (1, 2):
        bits.append("urban rows not available for this release: rural table used (larger)")
    if kind == KIND_AMMONIA_OTHER and table == 9:
        bits.append("Table 10 ends at 5,000 lb/min: Table 9 used (larger)")
    return bits


def _toxic(rec: dict[str, Any], opts: dict[str, Any]) -> list[str]:
    if opts["basis"] == "worst":
        bits = _toxic_worst(int(rec["table"]), int(rec["kind"]), opts)
    else:
        bits = [
            f"Gaussian plume, Briggs {opts['terrain']} D, 3 m/s (alternative case; "
            "no OCA alternative-case toxic table available)"
        ]
        if rec["kind"] == KIND_DENSE:
            bits.append("dense gas treated as neutral")
    source = int(rec["source"])
    if source == SOURCE_POOL:
        bits.append("liquid: OCA pool evaporation from a 1 cm pool or the bund")
    elif source == SOURCE_POOL_LONG:
        bits.append("liquid: OCA pool evaporation, release longer than 10 min (60-min table)")
    elif source == SOURCE_LIQUID_AS_GAS:
        bits.append("liquid without evaporation data: released as a gas (larger rate)")
    else:
        bits.append(f"released as a gas over {opts['release_minutes']:g} min")
    if rec["flag"]:
        bits.append(f"release inside a building: rate x {INDOOR_FACTOR}")
    return bits


def _default(rec: dict[str, Any], defaults: pd.DataFrame) -> list[str]:
    row = defaults.iloc[int(rec["default"])]
    if row["representative"]:
        how = f"model of {row['representative']} with the holding's quantity"
    elif np.isfinite(row["tnt_equivalence"]):
        how = f"1 psi of the quantity as TNT, TNT equivalence {row['tnt_equivalence']:g}"
    else:
        how = f"fixed {row['zone_km']:g} km, judgement value"
    return [f"substance not identified: default for category {row['code']} ({how})"]


def _one(rec: dict[str, Any], surrogate: str, defaults: pd.DataFrame, opts: dict) -> str:
    m = int(rec["model"])
    if m == 0:
        bits = _toxic(rec, opts)
    elif m == 1:
        bits = ["vapour cloud explosion to 1 psi, TNT equivalence, 10 % yield"]
    elif m == 2:
        bits = [
            "BLEVE fireball, 5 kW/m2 for 40 s dose, "
            f"radiative fraction {opts['radiative_fraction']:g}"
        ]
    elif m == 3:
        pool = "pool held by the bund" if rec["flag"] else "pool spread to 1 cm depth"
        bits = [f"pool fire to 5 kW/m2 (point source), {pool}"]
    elif m == 5:
        bits = [
            "vapour cloud explosion to 1 psi of the vapour the pool gives off in 10 min "
            "(OCA evaporation rate, 10 % yield)"
        ]
    else:
        bits = _default(rec, defaults)
        if int(rec["table"]):
            bits += _toxic(rec, opts)
    if rec["whole"]:
        bits.append("largest vessel not given: whole holding released (conservative)")
    if rec["undetermined"]:
        bits.append(_UNDETERMINED)
    if surrogate:
        bits.append(f"properties of {surrogate} used")
    return "; ".join(bits)


def zone_notes(
    fields: dict[str, np.ndarray],
    surrogate: np.ndarray,
    defaults: pd.DataFrame,
    opts: dict[str, Any],
) -> np.ndarray:
    """Build the note of each output row from the few distinct combinations.

    Parameters
    ----------
    fields : dict of numpy.ndarray
        Per row: ``model``, ``flag``, ``default``, ``table``, ``kind``, ``source``,
        ``undetermined``, ``whole`` (codes of :mod:`hazid.zones.distances` and
        :mod:`hazid.zones.models`).
    surrogate : numpy.ndarray
        Substance whose properties were used, or "".
    defaults : pandas.DataFrame
        The category defaults table.
    opts : dict
        ``basis``, ``terrain``, ``release_minutes``, ``radiative_fraction``.

    Returns
    -------
    numpy.ndarray
        One note per row (object array).

    Examples
    --------
    >>> f = {k: np.array([0]) for k in ("model", "flag", "undetermined", "whole")}
    >>> f |= {"default": np.array([-1]), "table": np.array([9]), "kind": np.array([2]),
    ...       "source": np.array([0])}
    >>> opts = {"basis": "worst", "terrain": "rural", "release_minutes": 10.0,
    ...         "radiative_fraction": 0.4}
    >>> zone_notes(f, np.array([""], dtype=object), pd.DataFrame(), opts)[0][:52]
    'OCA reference Table 9 (anhydrous ammonia liquefied u'
    """
    if len(surrogate) == 0:
        return np.array([], dtype=object)
    columns = {k: np.asarray(v) for k, v in fields.items()}
    columns["surrogate"] = np.asarray(surrogate, dtype=object)
    codes, uniq = _combinations(columns)
    names = list(columns)
    texts = []
    for values in uniq:
        rec = dict(zip(names, values, strict=True))
        texts.append(_one(rec, rec.pop("surrogate"), defaults, opts))
    return np.asarray(texts, dtype=object)[codes]


def _combinations(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple]]:
    """Code of each row's combination of values, and the distinct combinations."""
    key = np.zeros(len(next(iter(columns.values()))), dtype=np.int64)
    levels = []
    for values in columns.values():
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        key = key * (len(uniques) + 1) + codes
        levels.append((codes, uniques))
    first, inverse = np.unique(key, return_index=True, return_inverse=True)[1:]
    uniq = [tuple(u[c[i]] for c, u in levels) for i in first]
    return inverse.reshape(-1), uniq
