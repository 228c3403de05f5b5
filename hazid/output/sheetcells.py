"""The cells of ``results.xlsx`` built a column at a time (Arrow string kernels, not per cell).

A national workbook holds millions of cells. :func:`column_texts` turns one column into the
text of each of its cells once (numbers formatted once per distinct value, text escaped only
where it has to be); :func:`row_block` then joins a block of rows into the XML of the sheet
with the Arrow compute kernels. Values these kernels cannot stand for exactly (text a
spreadsheet would run as a formula, characters XML escapes or drops, objects other than text)
go through the cell-by-cell functions of :mod:`hazid.output.workbook`, so the bytes are the
same as those functions write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hazid.output.arrowtext import (
    EMPTY,
    FORMULA_BYTES,
    as_text,
    distinct,
    distinct_texts,
    fix_rows,
    float_texts,
    join,
    put_rows,
    repr_length_bounds,
    rows_with,
    to_bytes,
)

__all__ = ["ColumnTexts", "column_texts", "longest_text", "row_block"]

#: bytes (UTF-8) of text that the XML escaping may drop: control characters (with all those
#: below 0x20, at the cost of a few needless checks) and the first byte of U+FFFE and U+FFFF
#: (and of other characters from U+F000)
_DROPPED_BYTES = b"\xef"
_TEXT = '" t="inlineStr"><is><t xml:space="preserve">'


class ColumnTexts:
    """The cells of one column: a kind and the text inside each cell (empty: no cell).

    ``kind`` is ``"text"`` (inline string), ``"bool"``, ``"number"`` or ``"cell"`` (the
    whole ``<c>`` element already written, reference included, by the cell-by-cell path).
    """

    def __init__(
        self, letter: str, kind: str, texts: pa.Array, present: pa.Array | None = None
    ) -> None:
        self.letter = letter
        self.kind = kind
        self.texts = texts
        #: the distinct values of a column of floats (as float64), if found
        self.distinct: np.ndarray | None = None
        self.present = pc.not_equal(texts, "") if present is None else present
        # the texts, null where there is no cell (None: a cell in every row)
        self._cell_texts = None
        if kind != "cell" and pc.all(self.present).as_py() is False:
            self._cell_texts = pc.if_else(self.present, texts, pa.scalar(None, texts.type))

    def pieces(self, lo: int, hi: int, refs: pa.Array) -> list[str | pa.Array]:
        """Return the texts that, joined, give the ``<c>`` elements of rows ``lo:hi``.

        ``refs`` are their row numbers. A row without a cell gets an empty text.
        """
        if self.kind == "cell":
            return [self.texts.slice(lo, hi - lo)]
        head = f'<c r="{self.letter}'
        if self.kind == "text":
            middle, tail = _TEXT, "</t></is></c>"
        elif self.kind == "bool":
            middle, tail = '" t="b"><v>', "</v></c>"
        else:
            middle, tail = '"><v>', "</v></c>"
        if self._cell_texts is None:
            return [head, refs, middle, self.texts.slice(lo, hi - lo), tail]
        t = self._cell_texts.slice(lo, hi - lo)
        return [pc.fill_null(join([head, refs, middle, t, tail]), EMPTY)]  # no cell: empty


def row_block(columns: Sequence[ColumnTexts], lo: int, hi: int) -> memoryview:
    """Return the XML of rows ``lo:hi`` of the table (sheet rows ``lo + 2`` on), UTF-8.

    The rows are joined without nulls (a join that skips them is several times slower), the
    texts between two columns as one.
    """
    refs = pa.array(np.arange(lo + 2, hi + 2, dtype=np.int64)).cast(pa.large_string())
    parts: list[str | pa.Array] = ['<row r="', refs, '">']
    for piece in [p for c in columns for p in c.pieces(lo, hi, refs)] + ["</row>"]:
        if isinstance(piece, str) and isinstance(parts[-1], str):
            parts[-1] += piece
        else:
            parts.append(piece)
    return to_bytes(join(parts))


def _text_texts(arr: pa.Array, letter: str, escape: Callable[[str], str]) -> ColumnTexts:
    """Text cells: the value, or ``escape`` of it where escaping may change it.

    ``escape`` is given a few texts it leaves as they are, besides those it changes; the texts
    it would only change by replacing ``&``, ``<`` and ``>`` with entities are escaped here.
    """
    arr = pc.fill_null(arr, "")
    present = pc.not_equal(arr, "")  # a value escaped to nothing still gets its cell
    rows = rows_with(arr, _DROPPED_BYTES, first=FORMULA_BYTES, below=0x20)
    # texts with no other reason to change than "&", "<" or ">": escaped by Arrow
    marked = np.setdiff1d(rows_with(arr, b"&<>"), rows, assume_unique=True)
    if len(marked):
        some = arr.take(pa.array(marked))
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            some = pc.replace_substring(some, char, entity)
        arr = put_rows(arr, marked, some)
    return ColumnTexts(letter, "text", fix_rows(arr, rows, escape), present)


def column_texts(
    letter: str,
    col: pd.Series,
    *,
    number: Callable[[Any], str],
    escape: Callable[[str], str],
    cells: Callable[[pd.Series], list[str]],
) -> ColumnTexts:
    """Prepare the cells of one column (sheet column ``letter``).

    ``number`` formats a float or an int (empty for no cell; floats that
    :func:`hazid.output.arrowtext.clean_floats` cleans are formatted here), ``escape`` a text
    that may need escaping, and ``cells`` writes the ``<c>`` elements of a column of other values.
    """
    if col.dtype == bool:
        return ColumnTexts(letter, "bool", distinct_texts(col.to_numpy(), lambda v: str(int(v))))
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiu":
        values = col.to_numpy()
        if col.dtype.kind != "f":
            if len(values) and values.min() > -(10**15) and values.max() < 10**15:
                # "%.16g" of an int of at most 15 digits: its digits
                return ColumnTexts(letter, "number", pa.array(values).cast(pa.large_string()))
            return ColumnTexts(letter, "number", distinct_texts(values, number))
        # 15 significant digits written as openpyxl writes a float ("%.16g")
        firsts, inverse = distinct(np.asarray(values, dtype=np.float64))
        texts = float_texts(firsts, short=False, fallback=number).take(pa.array(inverse))
        column = ColumnTexts(letter, "number", texts)
        column.distinct = firsts
        return column
    arr = as_text(col)
    if arr is not None:
        return _text_texts(arr, letter, escape)
    return ColumnTexts(letter, "cell", pa.array(cells(col), type=pa.large_string()))


def longest_text(col: pd.Series, firsts: np.ndarray | None = None) -> int:
    """``max(len(str(v)))`` over the column's values (as ``tolist`` gives them).

    ``firsts`` are the distinct values of a column of floats, as float64, if known.
    """
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else ""
    if kind == "f":
        if firsts is None:
            firsts = distinct(col.to_numpy())[0].astype(np.float64)
        return _longest_float(firsts)
    if kind == "b":  # "True" or "False"
        return 5 if not col.to_numpy().all() else 4
    if kind and kind in "iu":  # the longest decimal is that of the least or the greatest
        values = col.to_numpy()
        return max(len(str(values.min().item())), len(str(values.max().item())))
    if isinstance(col.dtype, pd.StringDtype):
        arr = as_text(col)
        lengths = pc.utf8_length(pc.fill_null(arr, ""))
        longest = pc.max(lengths).as_py() or 0
        if arr.null_count:  # a missing value: str(nan) or str(None)
            longest = max(longest, max(len(str(v)) for v in col[col.isna()].head(1).tolist()))
        return longest
    return max(map(len, map(str, col.tolist())))


def _longest_float(values: np.ndarray) -> int:
    """``max(len(str(v)))`` over distinct floats, ``str`` called only while one may be longer.

    The values are taken longest bound first (:func:`repr_length_bounds`, a few distinct
    bounds); once the longest text found reaches the next bound, no other value can be longer.
    """
    odd = ~np.isfinite(values) | (values == 0)  # nan, inf, 0.0 and -0.0: written out
    longest = max(map(len, map(str, values[odd].tolist())), default=0)
    rest = values[~odd]
    bounds = repr_length_bounds(rest)
    for bound in np.unique(bounds)[::-1].tolist():
        for at in np.flatnonzero(bounds == bound).tolist():
            if bound <= longest:
                return longest
            longest = max(longest, len(str(float(rest[at]))))
    return longest
