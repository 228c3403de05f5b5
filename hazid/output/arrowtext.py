"""Text of table columns built with Arrow string kernels instead of value by value.

The tables of a national screening hold millions of values; formatting them one Python call
at a time costs about a microsecond each. These helpers give the text of a whole column at
once: numbers formatted once per distinct value, text changed only where a rule may change
it (the rule itself runs on those values alone, so the text is the one it gives), and rows
joined in Arrow. They serve the CSV tables and ``results.xlsx``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["EMPTY", "as_text", "distinct", "distinct_texts", "fix_where", "join", "to_bytes"]

#: the empty text, as the kernels want it
EMPTY = pa.scalar("", pa.large_string())


def join(parts: Sequence[str | pa.Array]) -> pa.Array:
    """Concatenate texts and columns of text element-wise (as large strings).

    Examples
    --------
    >>> import pyarrow as pa
    >>> join(["<", pa.array(["a", "b"], pa.large_string()), ">"]).to_pylist()
    ['<a>', '<b>']
    """
    typed = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*typed, EMPTY)


def to_bytes(texts: pa.Array) -> bytes:
    """Return the texts of a column one after the other, UTF-8 (no nulls expected).

    Examples
    --------
    >>> import pyarrow as pa
    >>> to_bytes(pa.array(["a", "bc", "d"], pa.large_string()).slice(1))
    b'bcd'
    """
    texts = texts.cast(pa.large_string())
    if len(texts) == 0:
        return b""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)
    start, end = offsets[texts.offset], offsets[texts.offset + len(texts)]
    return texts.buffers()[2][start:end].to_pybytes()


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct values bit for bit (``-0.0`` apart from ``0.0``), and where each is.

    Examples
    --------
    >>> import numpy as np
    >>> first, at = distinct(np.array([0.0, -0.0, 0.0]))
    >>> sorted(map(str, first.tolist())), bool(at[0] == at[2] != at[1])
    (['-0.0', '0.0'], True)
    """
    bits = values.view(np.dtype(f"i{values.dtype.itemsize}"))
    uniq, inverse = np.unique(bits, return_inverse=True)
    return uniq.view(values.dtype), inverse.reshape(-1)


def distinct_texts(values: np.ndarray, fmt: Callable[[Any], str]) -> pa.Array:
    """Return ``fmt`` of every value (as ``tolist`` gives it), called once per distinct value.

    Examples
    --------
    >>> import numpy as np
    >>> distinct_texts(np.array([1.5, 2.0, 1.5]), repr).to_pylist()
    ['1.5', '2.0', '1.5']
    """
    if len(values) == 0:
        return pa.array([], type=pa.large_string())
    firsts, inverse = distinct(values)
    texts = pa.array([fmt(v) for v in firsts.tolist()], type=pa.large_string())
    return texts.take(pa.array(inverse))


def as_text(col: pd.Series) -> pa.Array | None:
    """Return a column of text as Arrow (missing values null), or None if it holds other values.

    Examples
    --------
    >>> import pandas as pd
    >>> as_text(pd.Series(["a", None], dtype="str")).to_pylist(), as_text(pd.Series([1]))
    (['a', None], None)
    """
    if isinstance(col.dtype, pd.StringDtype) or (
        col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty")
    ):
        arr = pa.array(col.array, type=pa.large_string(), from_pandas=True)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return None


def fix_where(texts: pa.Array, pattern: str, fix: Callable[[str], str]) -> pa.Array:
    """Replace each text matching ``pattern`` (RE2, searched) with ``fix`` of it.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.array(["a", "=b", "c"], pa.large_string())
    >>> fix_where(t, "^=", lambda v: "'" + v).to_pylist()
    ['a', "'=b", 'c']
    """
    hit = pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)
    at = np.flatnonzero(hit)
    if len(at) == 0:
        return texts
    fixed = pa.array([fix(v) for v in texts.take(pa.array(at)).to_pylist()], pa.large_string())
    return pc.replace_with_mask(texts, pa.array(hit.astype(bool)), fixed)
