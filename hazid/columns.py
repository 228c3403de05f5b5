"""Column operations shared by the layers, fast on text columns stored in Arrow.

pandas keeps text columns in Arrow (``string[pyarrow]``); some of its operations on them go
value by value in Python. The functions here do the same work with Arrow's compute kernels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["isin", "last_rows", "map_values"]


def isin(s: pd.Series, values: Iterable[Any]) -> np.ndarray:
    """Return ``s.isin(values).to_numpy()``, fast for text in an object or Arrow text column.

    - A column not longer than ``values`` has each of its text values looked up in a set of
      ``values`` (``values`` itself if it is a set: nothing is rebuilt for a set tested
      against several columns); its other values (missing ones, numbers) are left to pandas.
    - A longer Arrow text column, when every value is text, is searched by Arrow's
      ``is_in`` (pandas tests an Arrow text column against a Python loop over ``values``).
    - Anything else is left to pandas (which hashes an object column in C).

    Examples
    --------
    >>> s = pd.Series(["A", "B", None], dtype="string[pyarrow]")
    >>> isin(s, {"B", "C"}).tolist()
    [False, True, False]
    >>> isin(pd.Series(["B", 3, None], dtype=object), ["B", 3, "D"]).tolist()
    [True, True, False]
    """
    if not isinstance(values, set | frozenset):
        values = list(values)
    arrow = isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"
    if (arrow or s.dtype == object) and len(s) <= len(values):
        return _isin_by_rows(s, values)
    if arrow and all(isinstance(v, str) for v in values):
        arr = pa.array(s.array)
        found = pc.is_in(arr, value_set=pa.array(list(values), type=arr.type))
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return s.isin(list(values)).to_numpy(dtype=bool)


def _isin_by_rows(s: pd.Series, values: Any) -> np.ndarray:
    """:func:`isin` of a column's text values looked up in a set, of its others by pandas.

    A text value equals text values only, so the lookup gives what pandas gives whatever
    else ``values`` holds; missing values (matched by pandas to missing values of another
    kind) and other values are left to pandas.
    """
    try:
        found = values if isinstance(values, set | frozenset) else set(values)
    except TypeError:  # unhashable values: all left to pandas
        return s.isin(list(values)).to_numpy(dtype=bool)
    rows = s.to_numpy(dtype=object).tolist()
    text = np.fromiter((type(v) is str for v in rows), dtype=bool, count=len(rows))
    out = np.fromiter(
        (t and v in found for v, t in zip(rows, text.tolist(), strict=True)),
        dtype=bool,
        count=len(rows),
    )
    if not text.all():
        odd = np.flatnonzero(~text)
        out[odd] = s.iloc[odd].isin(list(values)).to_numpy(dtype=bool)
    return out


def map_values(s: pd.Series, mapper: Mapping[Any, Any] | Callable[[Any], Any]) -> pd.Series:
    """Return ``s.map(mapper)``, with ``mapper`` applied once per distinct value.

    pandas maps an Arrow text column value by value in Python; a column with many repeats
    (units, substance names) is mapped here on its distinct values and spread back in C.
    The result is the same as ``s.map(mapper)``: values, dtype, index and name.

    Examples
    --------
    >>> s = pd.Series(["t", "kg", "t"], dtype="str", name="unit")
    >>> map_values(s, {"t": 1.0, "kg": 0.001}).tolist()
    [1.0, 0.001, 1.0]
    >>> map_values(s, str.upper).tolist()
    ['T', 'KG', 'T']
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(s) == 0 or (codes < 0).any():
        return s.map(mapper)  # missing values: leave their mapping to pandas
    mapped = pd.Series(uniques).map(mapper)
    return pd.Series(mapped.array.take(codes), index=s.index, name=s.name)


def last_rows(ids: Sequence[Any] | np.ndarray, wanted: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Return the position in ``ids`` of each of ``wanted``: its last row, or -1 if absent.

    An id given twice in ``ids`` means its last row (as a dict built from the rows would).

    Examples
    --------
    >>> last_rows(["a", "b", "a"], ["a", "c", "b"]).tolist()
    [2, -1, 1]
    """
    ids = pd.Index(np.asarray(ids))
    last = np.flatnonzero(~ids.duplicated(keep="last"))
    found = ids[last].get_indexer(np.asarray(wanted))
    out = np.full(len(found), -1, dtype=np.int64)
    out[found >= 0] = last[found[found >= 0]]
    return out
