"""Column operations shared by the layers, fast on text columns stored in Arrow.

pandas keeps text columns in Arrow (``string[pyarrow]``); some of its operations on them go
value by value in Python. The functions here do the same work with Arrow's compute kernels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["isin"]


def isin(s: pd.Series, values: Iterable[Any]) -> np.ndarray:
    """Return ``s.isin(values).to_numpy()``, searched in Arrow for text in a text column.

    pandas tests an Arrow text column against a Python loop over ``values``, slow for
    many values (the site ids of a national inventory); Arrow's ``is_in`` is not.

    Examples
    --------
    >>> s = pd.Series(["A", "B", None], dtype="string[pyarrow]")
    >>> isin(s, {"B", "C"}).tolist()
    [False, True, False]
    """
    values = list(values)
    if (
        isinstance(s.dtype, pd.StringDtype)
        and s.dtype.storage == "pyarrow"
        and all(isinstance(v, str) for v in values)
    ):
        arr = pa.array(s.array)
        found = pc.is_in(arr, value_set=pa.array(values, type=arr.type))
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return s.isin(values).to_numpy(dtype=bool)
