"""Write screening results to disk: CSV tables, ``run.json`` and the results GeoPackage.

The results folder itself (checks, crash-safe swap) is :mod:`hazid.output.folder`. CSV and JSON
files are byte-identical when the same inputs are screened again; only ``run.json`` carries the
time of the run.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from hazid.errors import OutputError
from hazid.escape import clean_float, spreadsheet_text
from hazid.output.arrowtext import (
    FORMULA_BYTES,
    as_text,
    distinct_texts,
    fix_rows,
    float_texts,
    join,
    put_rows,
    rows_with,
    to_bytes,
)

logger = logging.getLogger(__name__)

__all__ = [
    "HOLDINGS_COLUMNS",
    "SITES_COLUMNS",
    "read_table",
    "spreadsheet_safe",
    "unescape_cell",
    "write_csv",
    "write_json",
    "write_layers",
]

#: Columns of ``sites.csv``, in order (more may follow from later stages).
SITES_COLUMNS: tuple[str, ...] = (
    "site_id",
    "site_name",
    "country",
    "lon",
    "lat",
    "hazardous",
    "health_ratio",
    "physical_ratio",
    "environmental_ratio",
    "max_single_ratio",
    "reasons",
    "regime",
    "annex_version",
    "cluster_id",
)

#: Columns of ``holdings.csv``, in order.
HOLDINGS_COLUMNS: tuple[str, ...] = (
    "site_id",
    "substance",
    "cas",
    "annex_entry",
    "threshold_t",
    "quantity_t",
    "ratio",
    "groups",
)


def _csv_value(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return clean_float(v)
    return spreadsheet_text(v)


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Prepare a table for a spreadsheet: booleans as text, clean floats, no live formulas.

    Examples
    --------
    >>> import pandas as pd
    >>> spreadsheet_safe(pd.DataFrame({"a": ["=1+1"], "b": [1.7999999999999998], "c": [True]}))
           a    b     c
    0  '=1+1  1.8  true
    """
    out = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore").copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "true", False: "false"})
        elif out[col].dtype == np.float64:  # clean_float inlined (same text for every value)
            clean = [float(f"{v:.15g}") for v in out[col].to_numpy().tolist()]
            out[col] = pd.Series(clean, index=out.index, dtype=np.float64)
        elif pd.api.types.is_float_dtype(out[col].dtype):
            out[col] = out[col].map(clean_float)
        elif pd.api.types.is_string_dtype(out[col].dtype) and (
            out[col].dtype != object or pd.api.types.infer_dtype(out[col]) == "string"
        ):
            out[col] = _text_column(out[col])
        elif out[col].dtype == object:
            out[col] = out[col].map(_csv_value)
    return out


#: a text cell a spreadsheet would run as a formula (:func:`hazid.escape.spreadsheet_text`)
_FORMULA = r"[ \u00a0\u3000]*[=+\-@\t\r]"
_FORMULA_FIRST = [" ", "\u00a0", "\u3000", "=", "+", "-", "@", "\t", "\r"]


def _text_column(col: pd.Series) -> pd.Series:
    """:func:`hazid.escape.spreadsheet_text` on a column of text (and missing values) at once."""
    # only a text that starts with one of these can be live: the pattern runs on those alone
    maybe = col.str.slice(0, 1).isin(_FORMULA_FIRST).fillna(False).astype(bool).to_numpy()
    live = np.zeros(len(col), dtype=bool)
    if maybe.any():
        live[maybe] = col[maybe].str.match(_FORMULA).fillna(False).astype(bool).to_numpy()
    if not live.any():
        return col
    out = col.astype(object)
    out[live] = "'" + col[live].astype(object)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, columns: tuple[str, ...] | None = None) -> Path:
    r"""Write a table as UTF-8 CSV that opens cleanly in Excel and QGIS.

    The file starts with a UTF-8 byte-order mark, so that Excel reads Cyrillic names correctly;
    text cells that a spreadsheet would run as a formula are prefixed with ``'``
    (:func:`hazid.escape.spreadsheet_text`); floats are written with at most 15 significant
    digits (``1.8``, not ``1.7999999999999998``), booleans as ``true``/``false``, missing values
    as empty cells; line endings are ``\\n``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; a geometry column is dropped.
    path : str or Path
        Destination file.
    columns : tuple of str, optional
        Columns to write first, in this order; any other columns follow.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(pd.DataFrame({"a": [True], "b": [0.1 + 0.2], "c": ["=1+1"]}), p)
    >>> p.read_text(encoding="utf-8-sig").splitlines()
    ['a,b,c', "true,0.3,'=1+1"]
    """
    path = Path(path)
    df = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore")
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise OutputError(f"cannot write {path.name}: missing columns {missing}")
        df = df[list(columns) + [c for c in df.columns if c not in columns]]
    texts = _csv_columns(df)
    if texts is None:
        out = spreadsheet_safe(df)
        out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8-sig")
        return path
    with open(path, "wb") as f:
        f.write(_csv_line(list(df.columns)).encode("utf-8-sig"))
        for lo in range(0, len(df), _CSV_BLOCK):
            cells = [t.slice(lo, _CSV_BLOCK) for t in texts]
            parts = [p for c in cells for p in (c, ",")][:-1]
            f.write(to_bytes(join([*parts, "\n"])))
    return path


#: rows joined at once by :func:`write_csv`
_CSV_BLOCK = 50_000


def _csv_line(values: list[str]) -> str:
    """Return one row as the ``csv`` module writes it (as ``pandas.DataFrame.to_csv`` does)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _csv_quoted(texts: pa.Array) -> pa.Array:
    """Return the fields (no nulls) as the ``csv`` module writes them: quoted where they must be.

    A field with a comma or a double quote (and no line break) is put in double quotes,
    its quotes doubled; a field with a line break is written by the ``csv`` module.
    """
    rows = rows_with(texts, b',"\r\n')
    if len(rows) == 0:
        return texts
    some = texts.take(pa.array(rows))
    quoted = join(['"', pc.replace_substring(some, '"', '""'), '"'])
    breaks = rows_with(some, b"\r\n")
    if len(breaks):
        lines = some.take(pa.array(breaks)).to_pylist()
        quoted = put_rows(quoted, breaks, [_csv_field(v) for v in lines])
    return put_rows(texts, rows, quoted)


def _csv_floats(values: np.ndarray) -> pa.Array:
    """Return the CSV text of floats: 15 significant digits (:func:`spreadsheet_safe`)."""
    return float_texts(values, short=True, fallback=_csv_float)


def _csv_float(v: float) -> str:
    return "" if v != v else repr(clean_float(v))


def _csv_columns(df: pd.DataFrame) -> list[pa.Array] | None:
    """Return the text of every cell of a table as :func:`spreadsheet_safe` and ``to_csv`` write it.

    Columns of text (or of objects all text or missing), booleans, integers and floats are
    formatted a column at a time (:mod:`hazid.output.arrowtext`), objects of the types of
    :data:`_OBJECT_TEXT` one by one; None when the table has other columns (or only one, whose
    empty cells the ``csv`` module quotes): pandas writes it.
    """
    if len(df.columns) < 2 or not all(isinstance(c, str) for c in df.columns):
        return None
    out = []
    for i in range(len(df.columns)):
        col = df.iloc[:, i]
        kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else ""
        if kind == "b":
            texts = distinct_texts(col.to_numpy(), lambda v: "true" if v else "false")
        elif col.dtype == np.float64:
            texts = distinct_texts(col.to_numpy(), many=_csv_floats)
        elif kind in "iu" and kind:
            texts = pa.array(col.to_numpy()).cast(pa.large_string())  # the digits, as str
        elif (text := as_text(col)) is not None:
            texts = pc.fill_null(text, "")
            texts = fix_rows(texts, rows_with(texts, first=FORMULA_BYTES), spreadsheet_text)
            texts = _csv_quoted(texts)
        elif col.dtype == object and _objects_as_text(set(map(type, col.array))):
            texts = _csv_quoted(pa.array(map(_object_text, col.array), pa.large_string()))
        else:
            return None
        out.append(texts)  # numbers and true/false: never quoted
    return out


#: the text of a value of an object column, by its type, as :func:`spreadsheet_safe` gives it
#: and ``to_csv`` writes it (missing values empty, floats ``repr`` of the clean float)
_OBJECT_TEXT: dict[type, Callable[[Any], str]] = {
    str: spreadsheet_text,
    bool: lambda v: "true" if v else "false",
    float: lambda v: _csv_float(v),
    int: str,
    type(None): lambda v: "",
    type(pd.NA): lambda v: "",
}


def _object_text(v: Any) -> str:
    return _OBJECT_TEXT[type(v)](v)


def _objects_as_text(types: set[type]) -> bool:
    """Whether an object column of values of these types is written by :data:`_OBJECT_TEXT`.

    :func:`spreadsheet_safe` leaves it a column of objects (or of text) when it holds text or
    booleans (written as text), or no integers; otherwise pandas makes numbers of it.
    """
    return types <= set(_OBJECT_TEXT) and (bool(types & {str, bool}) or int not in types)


def _csv_field(v: str) -> str:
    """Return a field as the ``csv`` module writes it (quoted where needed)."""
    return _csv_line([v])[:-1]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read back a CSV written by :func:`write_csv`, undoing the spreadsheet escaping.

    Cells come back as text (empty cells as ""); a ``'`` that :func:`write_csv` put in front
    of a formula-like cell is removed again.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(pd.DataFrame({"a": ["=1+1", "x"]}), p)
    >>> read_table(p)["a"].tolist()
    ['=1+1', 'x']
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in df.columns:
        df[col] = df[col].map(unescape_cell)
    return df


def unescape_cell(v: str) -> str:
    """Undo the spreadsheet escaping of one text cell (see :func:`read_table`).

    Examples
    --------
    >>> unescape_cell("'=1+1"), unescape_cell("'quoted"), unescape_cell("plain")
    ('=1+1', "'quoted", 'plain')
    """
    if v.startswith("'") and spreadsheet_text(v[1:]) == v:
        return v[1:]
    return v


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_json(data: Any, path: str | Path) -> Path:
    r"""Write JSON with sorted keys and two-space indents (stable across runs).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> _ = write_json({"b": 1, "a": [1.5]}, p)
    >>> p.read_text().splitlines()
    ['{', '  "a": [', '    1.5', '  ],', '  "b": 1', '}']
    """
    path = Path(path)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_layers(path: str | Path, layers: dict[str, Any]) -> Path:
    """Write GeoDataFrames as layers of one GeoPackage (empty or missing layers skipped).

    Examples
    --------
    >>> import geopandas as gpd, shapely, tempfile, pathlib
    >>> g = gpd.GeoDataFrame({"site_id": ["a"]}, geometry=[shapely.Point(69, 41)], crs=4326)
    >>> p = write_layers(pathlib.Path(tempfile.mkdtemp()) / "r.gpkg", {"sites": g})
    >>> gpd.list_layers(p)["name"].tolist()
    ['sites']
    """
    path = Path(path)
    for name, gdf in layers.items():
        if gdf is None or len(gdf) == 0:
            continue
        try:
            # GDAL's Arrow interface (GDAL >= 3.8) writes the same layer, with less work per row
            gdf.to_file(path, layer=name, driver="GPKG", use_arrow=_GDAL_ARROW)
        except (RuntimeError, OSError) as err:  # pyogrio's errors are RuntimeErrors
            raise OutputError(
                f"cannot write {path.name} (layer {name}): {err}; {_room(path, gdf)}"
            ) from err
    return path


def _room(path: Path, gdf: Any) -> str:
    """Say how much room the layer needs, about, and how much is free on ``path``'s disk.

    GDAL's SQLite driver reports a full disk in words of its own (such as "cannot rollback -
    no transaction is active") and removes what it wrote of the layer, so the two sizes
    tell whether the disk ran out of room. The need is the layer's geometries as WKB and
    its other columns in memory: the GeoPackage takes at least that.
    """
    try:
        wkb = shapely.to_wkb(gdf.geometry.to_numpy())
        need = sum(len(b) for b in wkb if b is not None)
        need += int(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).memory_usage(deep=True).sum())
        free = shutil.disk_usage(path.parent).free
    except (OSError, ValueError, AttributeError):
        return "free disk space unknown"
    return (
        f"the layer needs about {need / 1e6:,.0f} MB and {free / 1e6:,.0f} MB are free "
        "on the disk of the output folder"
    )


#: whether GDAL writes layers through its Arrow interface (:func:`write_layers`)
_GDAL_ARROW = tuple(pyogrio.__gdal_version__) >= (3, 8, 0)
