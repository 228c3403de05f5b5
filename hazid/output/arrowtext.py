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

__all__ = [
    "EMPTY",
    "FORMULA_BYTES",
    "as_text",
    "clean_floats",
    "distinct",
    "distinct_texts",
    "fix_rows",
    "float_texts",
    "join",
    "put_rows",
    "repr_length_bounds",
    "rows_with",
    "to_bytes",
]

#: the empty text, as the kernels want it
EMPTY = pa.scalar("", pa.large_string())
#: first bytes (UTF-8) of a text :func:`hazid.escape.spreadsheet_text` may change: those of
#: " ", "\u00a0", "\u3000", "=", "+", "-", "@", tab and carriage return
FORMULA_BYTES = b" \xc2\xe3=+-@\t\r"


def join(parts: Sequence[str | pa.Array], *, skip_nulls: bool = False) -> pa.Array:
    """Concatenate texts and columns of text element-wise (as large strings).

    A null in a column gives a null (or, with ``skip_nulls``, nothing from that column).

    Examples
    --------
    >>> import pyarrow as pa
    >>> join(["<", pa.array(["a", "b"], pa.large_string()), ">"]).to_pylist()
    ['<a>', '<b>']
    >>> join(["<", pa.array(["a", None], pa.large_string()), ">"], skip_nulls=True).to_pylist()
    ['<a>', '<>']
    """
    typed = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    if skip_nulls:
        return pc.binary_join_element_wise(*typed, EMPTY, null_handling="skip")
    return pc.binary_join_element_wise(*typed, EMPTY)


def to_bytes(texts: pa.Array) -> memoryview:
    """Return the texts of a column one after the other, UTF-8 (no nulls expected).

    The bytes are a view of the column's buffer, not a copy (the files take them as they are).

    Examples
    --------
    >>> import pyarrow as pa
    >>> bytes(to_bytes(pa.array(["a", "bc", "d"], pa.large_string()).slice(1)))
    b'bcd'
    """
    texts = texts.cast(pa.large_string())
    if len(texts) == 0 or texts.buffers()[2] is None:
        return memoryview(b"")
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)
    start, end = offsets[texts.offset], offsets[texts.offset + len(texts)]
    return memoryview(texts.buffers()[2][start:end])


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
    inverse, uniq = pd.factorize(bits)  # hashed: in the order first met
    return np.asarray(uniq).view(values.dtype), np.asarray(inverse, dtype=np.intp)


def distinct_texts(
    values: np.ndarray,
    fmt: Callable[[Any], str] | None = None,
    *,
    many: Callable[[np.ndarray], list[str] | pa.Array] | None = None,
) -> pa.Array:
    """Return ``fmt`` of every value (as ``tolist`` gives it), called once per distinct value.

    ``many`` instead formats the array of the distinct values at once.

    Examples
    --------
    >>> import numpy as np
    >>> distinct_texts(np.array([1.5, 2.0, 1.5]), repr).to_pylist()
    ['1.5', '2.0', '1.5']
    """
    if len(values) == 0:
        return pa.array([], type=pa.large_string())
    firsts, inverse = distinct(values)
    texts = many(firsts) if many is not None else [fmt(v) for v in firsts.tolist()]
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, type=pa.large_string())
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


def rows_with(
    texts: pa.Array, anywhere: bytes = b"", *, first: bytes = b"", below: int = 0
) -> np.ndarray:
    r"""Return the rows (ascending) of texts that hold one of some bytes, or start with one.

    A text is taken when its UTF-8 holds a byte of ``anywhere`` or a byte below ``below``, or
    its first byte is one of ``first``; a byte below 0x80 is always the character it stands
    for. The bytes are searched all at once, in the column's buffer; nulls count as empty.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.array(["a,b", "=c", "d", "e\n", None], pa.large_string())
    >>> rows_with(t, b",").tolist(), rows_with(t, first=b"=", below=32).tolist()
    ([0], [1, 3])
    """
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    n = len(texts)
    offsets = np.frombuffer(texts.buffers()[1], np.int64, n + 1, texts.offset * 8)
    buffer = texts.buffers()[2]
    data = np.frombuffer(buffer, np.uint8) if buffer is not None else np.zeros(0, np.uint8)
    data = data[offsets[0] : offsets[-1]]
    hit = data < below
    for byte in anywhere:
        hit |= data == byte
    rows = np.searchsorted(offsets, np.flatnonzero(hit) + offsets[0], side="right") - 1
    if first:
        filled = np.flatnonzero(offsets[1:] > offsets[:-1])
        starts = np.zeros(256, dtype=bool)
        starts[list(first)] = True
        rows = np.concatenate([rows, filled[starts[data[offsets[filled] - offsets[0]]]]])
    return np.unique(rows)


def put_rows(texts: pa.Array, rows: np.ndarray, new: Sequence[str] | pa.Array) -> pa.Array:
    """Return the texts with those of ``rows`` (ascending) replaced by ``new``.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> t = pa.array(["a", "b", "c"], pa.large_string())
    >>> put_rows(t, np.array([0, 2]), ["x", "z"]).to_pylist()
    ['x', 'b', 'z']
    """
    if len(rows) == 0:
        return texts
    mask = np.zeros(len(texts), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(texts, pa.array(mask), pa.array(new, pa.large_string()))


def fix_rows(texts: pa.Array, rows: np.ndarray, fix: Callable[[str], str]) -> pa.Array:
    """Return the texts with those of ``rows`` (ascending) replaced by ``fix`` of them.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> t = pa.array(["a", "=b", "c"], pa.large_string())
    >>> fix_rows(t, np.array([1]), lambda v: "'" + v).to_pylist()
    ['a', "'=b", 'c']
    """
    if len(rows) == 0:
        return texts
    return put_rows(texts, rows, [fix(v) for v in texts.take(pa.array(rows)).to_pylist()])


#: exact powers of ten as doubles (10**22 is the largest one a double holds exactly)
_POW10 = np.array([float(10**i) for i in range(23)])


def _two_product_error(a: np.ndarray, b: np.ndarray, prod: np.ndarray) -> np.ndarray:
    """Return ``a * b - prod`` exactly (Dekker's product, Veltkamp's split into 26-bit halves)."""

    def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = 134217729.0 * x  # 2**27 + 1
        hi = c - (c - x)
        return hi, x - hi

    ahi, alo = split(a)
    bhi, blo = split(b)
    return ((ahi * bhi - prod) + ahi * blo + alo * bhi) + alo * blo


def clean_floats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return :func:`hazid.escape.clean_float` of many floats at once, and where it is exact.

    The 15 significant digits are found without text: the value is scaled by an exact power
    of ten (as an exact sum of two doubles), rounded half to even like the text formatting,
    and divided back (a correctly rounded division, as ``float`` of the text is). Values for
    which this is not certain (rounding within a hair of a half, magnitudes outside
    ``1e-8``..``1e15``, a scale found one power off, zeros, infinities and NaN) are marked
    False, for the caller to compute one by one.

    Examples
    --------
    >>> import numpy as np
    >>> x, exact = clean_floats(np.array([1.7999999999999998, 0.1 + 0.2, 2.5e-7, 0.0]))
    >>> x[:3].tolist(), exact.tolist()
    ([1.8, 0.3, 2.5e-07], [True, True, True, False])
    """
    x, exact, _, _ = _clean_digits(values)
    return x, exact


def _clean_digits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`clean_floats`, with the 15 digits ``m`` (a float) and the scale ``k`` of each.

    Where exact, the clean float is the double nearest ``m / 10**k`` (``m`` in
    ``1e14..1e15``, 1e15 only where the rounding carried into a sixteenth digit).
    """
    v = np.asarray(values, dtype=np.float64)
    a = np.abs(v)
    usable = np.isfinite(a) & (a >= 1e-8) & (a < 1e15)
    a = np.where(usable, a, 1.0)  # the others are left as they are
    e = np.floor(np.log10(a))
    k = np.clip(14 - e, 0, 22).astype(np.int64)
    p = _POW10[k]
    y = a * p
    err = _two_product_error(a, p, y)
    r = np.rint(y)
    d = (y - r) + err  # y - r is exact; the true a * p is r + d (d rounded)
    m = r + np.where(d > 0.5, 1.0, 0.0) - np.where(d < -0.5, 1.0, 0.0)
    certain = np.abs(np.abs(d) - 0.5) > 1e-6
    # an exact half (err 0) went to the even neighbour in rint, as the formatting rounds it
    certain |= (err == 0) & (np.abs(y - r) == 0.5)
    # log10 of a value a hair below a power of ten may round up to it: the scale is then one
    # power short, the scaled value (y + err) below 1e14; its 15 digits are those of 1e14
    # only while it is less than half a digit of the scale below (y - 1e14 is exact there)
    in_scale = (y - 1e14) + err > -0.05 + 1e-6
    exact = usable & certain & in_scale & (m >= 1e14) & (m <= 1e15)
    x = np.copysign(m / p, v)
    return np.where(exact, x, v), exact, m, k


def float_texts(values: np.ndarray, *, short: bool, fallback: Callable[[float], str]) -> pa.Array:
    """Return the text of :func:`clean_floats` of each value, as Python writes it.

    ``short`` gives ``repr`` (``"1.0"``), otherwise ``"%.16g"`` (``"1"``). The text is put
    together from the clean float's digits, without formatting each value: ``repr``'s are the
    15 digits (no other decimal of 15 digits or fewer gives the same double); ``"%.16g"``'s are
    those followed by the sixteenth, the exact product of the double and the scale rounded.
    ``fallback`` gets the other values (Python floats, not cleaned) and returns their text.

    Examples
    --------
    >>> import numpy as np
    >>> float_texts(np.array([0.1 + 0.2, 3.0, 1e-7, np.nan]), short=True,
    ...             fallback=lambda v: "?").to_pylist()
    ['0.3', '3.0', '1e-07', '?']
    >>> float_texts(np.array([3.0, 0.3, -2.5e20]), short=False, fallback=lambda v: "?").to_pylist()
    ['3', '0.3', '?']
    """
    v = np.asarray(values, dtype=np.float64)
    x, exact, m, k = _clean_digits(v)
    exact &= m < 1e15
    digits, width = m.astype(np.int64), 15
    if not short:  # "%.16g": one digit more, of the clean float itself
        p = _POW10[k]
        a = np.where(exact, np.abs(x), 1.0)
        y = a * p
        off = (y - m) + _two_product_error(a, p, y)  # a * p - m, within 0.12, error ~1e-17
        tenths = np.rint(10 * off)
        exact &= np.abs(np.abs(10 * off - tenths) - 0.5) > 1e-6  # rounded surely
        # below 1e14 (10 to a power) the sixteenth digit is one place further right
        exact &= (m > 1e14) | (off > -0.005 + 1e-9)
        tenths = np.where(exact, tenths, 0).astype(np.int64)
        digits, width = 10 * digits + tenths, 16  # above 2**53: as integers
    at = np.flatnonzero(exact)
    texts = _digit_texts(digits[at], width, 15 - k[at], v[at] < 0, short)
    if len(at) == len(v):
        return texts
    other = np.flatnonzero(~exact)
    extra = pa.array([fallback(f) for f in v[other].tolist()], pa.large_string())
    where = np.empty(len(v), dtype=np.int64)  # of each value, in texts then extra
    where[at] = np.arange(len(at))
    where[other] = np.arange(len(at), len(v))
    return pa.concat_arrays([texts, extra]).take(pa.array(where))


def _digit_texts(
    digits: np.ndarray, width: int, point: np.ndarray, neg: np.ndarray, short: bool
) -> pa.Array:
    """Return the texts of decimals ``0.digits * 10**point`` (``-`` where ``neg``).

    ``digits`` holds ``width`` digits each (integers, the first digit not 0), ``point``
    is within -7..16. The characters of each text are taken from a table of the digits and
    the other characters (:func:`_template` says which, for each kind of text).
    """
    n_rows = len(digits)
    if n_rows == 0:
        return pa.array([], pa.large_string())
    chars = np.empty((n_rows, width + len(_CHARS) + 2), dtype=np.uint8)
    text = pa.array(digits).cast(pa.string())  # width characters each
    chars[:, :width] = np.frombuffer(text.buffers()[2], np.uint8, width * n_rows).reshape(
        n_rows, width
    )
    chars[:, width:-2] = np.frombuffer(_CHARS, np.uint8)
    exponent = np.abs(point - 1)  # written for 1..99
    chars[:, -2] = 48 + exponent // 10
    chars[:, -1] = 48 + exponent % 10
    # significant digits: the width less the trailing zeros
    n = width - np.argmax(chars[:, width - 1 :: -1] != 48, axis=1)
    kind = ((point + 8) * 32 + n) * 2 + neg
    kinds = np.flatnonzero(np.bincount(kind))
    templates = [_template(g // 64 - 8, g // 2 % 32, bool(g % 2), short, width) for g in kinds]
    longest = max(map(len, templates))
    table = np.zeros((kind.max() + 1, longest), dtype=np.int32)
    lengths = np.zeros(kind.max() + 1, dtype=np.int64)
    for g, template in zip(kinds.tolist(), templates, strict=True):
        table[g, : len(template)] = template
        lengths[g] = len(template)
    at = table[kind] + (np.arange(n_rows, dtype=np.int32) * chars.shape[1])[:, None]
    size = lengths[kind]
    data = chars.ravel()[at][np.arange(longest) < size[:, None]]
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    return pa.LargeStringArray.from_buffers(n_rows, pa.py_buffer(offsets), pa.py_buffer(data))


#: the characters besides the digits that texts of numbers use (after the digits)
_CHARS = b"0.e-+"


def _template(point: int, n: int, neg: bool, short: bool, width: int) -> list[int]:
    """Return the columns of :func:`_digit_texts`'s table that spell one kind of number.

    ``n`` significant digits, ``0.digits * 10**point``; ``short`` for ``repr`` (a ``.0``
    after an integral value), else ``"%.16g"``. Both write an exponent (at least two digits)
    below ``point`` -3 and above 16.
    """
    zero, dot, e, minus, plus = range(width, width + 5)
    out = [minus] if neg else []
    if point <= -4 or point > 16:
        fraction = [dot, *range(1, n)] if n > 1 else []
        return [*out, 0, *fraction, e, minus if point < 1 else plus, width + 5, width + 6]
    if point <= 0:
        return [*out, zero, dot, *[zero] * -point, *range(n)]
    if point < n:
        return [*out, *range(point), dot, *range(point, n)]
    integral = [min(c, zero) for c in range(point)]  # zeros after the digits
    return [*out, *integral, *([dot, zero] if short else [])]


def repr_length_bounds(values: np.ndarray) -> np.ndarray:
    """Return, for finite non-zero floats, a number never below ``len(repr(value))``.

    A value that is a decimal of at most 15 significant digits divided back exactly (found
    as :func:`clean_floats` finds them) gets the length of its shortest text, which has those
    digits: no other decimal of 15 digits or fewer gives the same double. Any other gets the
    length of 17 digits, with the point or exponent where ``repr`` would put them (the
    position found to within one, the longest taken).

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([1.5, -0.001, 123456.0, 2 / 3])
    >>> repr_length_bounds(v).tolist(), [len(repr(x)) for x in v.tolist()]
    ([3, 6, 8, 20], [3, 6, 8, 18])
    """
    v = np.asarray(values, dtype=np.float64)
    a = np.abs(v)
    e = np.floor(np.log10(a)).astype(np.int64)
    k = np.clip(14 - e, 0, 22)
    m = np.rint(a * _POW10[k])
    clean = (m >= 1e14) & (m <= 1e15) & (m / _POW10[k] == a)
    # the digits of a clean value: m without its trailing zeros (at most 14), found by halves
    # (m below 2**53: a quotient is a whole number exactly when m is divisible)
    zeros = np.zeros(len(v), dtype=np.int64)
    digits = np.where(clean, m, 1.0)
    for j in (8, 4, 2, 1):
        q = digits / _POW10[j]
        whole = q == np.floor(q)
        digits = np.where(whole, q, digits)
        zeros += j * whole
    total = np.where(m >= 1e15, 16, 15)
    exact = _repr_length(total - zeros, total - k)
    rough = np.zeros(len(v), dtype=np.int64)
    for d in (0, 1, 2):  # the first digit's place: e, one off either way
        rough = np.maximum(rough, _repr_length(np.full(len(v), 17), e + d))
    return np.where(clean, exact, rough) + (v < 0)


def _repr_length(n: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Return the length of ``repr`` of positive floats of ``n`` significant digits.

    The value is ``0.digits`` times ``10**point``; Python writes an exponent when ``point``
    is below -3 or above 16.
    """
    exp = np.abs(point - 1)
    sci = np.where(n == 1, 1, n + 1) + 2 + np.where(exp >= 100, 3, 2)
    positional = np.where(point > 0, np.maximum(n + 1, point + 2), 2 - point + n)
    return np.where((point <= -4) | (point > 16), sci, positional)
