"""Reading an inventory file into a table of strings: CSV, XLSX and GIS point layers.

A file is measured before it is read (:mod:`~hazid.inventory.limits`). CSV text is decoded as
UTF-8 or, with a warning naming it, in the encoding detected (:mod:`~hazid.inventory.encoding`);
its separator (``,`` ``;`` or tab) is guessed from the first lines, and a file separated by ``;``
or tab whose numbers are written with a decimal comma (as Excel saves CSV in a Russian locale) is
recognised and reported. Files that are not text tables (binary, ZIP, PDF, an .xls renamed .xlsx
...) are reported as such rather than read as garbage. The first non-blank row is the header.
Workbooks are read by :mod:`~hazid.inventory.workbook`. GIS layers must be points with a
coordinate reference system; their coordinates become ``lon``/``lat`` in WGS84.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import CRSError
from hazid.inventory.columns import _column_lookup, _norm_name
from hazid.inventory.encoding import decode, unicode_codec
from hazid.inventory.limits import ROWS_HINT, InputLimits
from hazid.inventory.problems import _Problems

#: Spreadsheet error values as they read from a cell.
_EXCEL_ERRORS = ["#N/A", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#SPILL!"]
#: Leading bytes of files that are not text tables, and what they are.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one): give a workbook the .xlsx suffix"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) workbook: save it as .xlsx or CSV UTF-8"),
    (b"%PDF", "a PDF document: export the table as CSV UTF-8 or .xlsx"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage is one): name it .gpkg"),
    (b"\x1f\x8b", "gzip-compressed: decompress it first"),
)
#: A number written with a decimal comma (and no thousands separator).
_DECIMAL_COMMA = r"[-+]?\d*,\d+"
#: A number written with a decimal point.
_DECIMAL_POINT = r"[-+]?\d*\.\d+"
#: Columns whose cells are numbers.
NUMERIC_COLUMNS = ("quantity", "quantity_t", "lon", "lat", "largest_vessel_t", "bund_m2")


def _not_text(raw: bytes) -> str | None:
    """Say what a file is when it is not a text table (None when it may be one)."""
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            return f"the file is {what}"
    if b"\x00" in raw:
        return "the file is binary, not a text table (it contains NUL bytes)"
    return None


def _parser_problem(message: str, sep: str) -> str:
    """Turn a pandas CSV tokenizer error into advice."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m:
        expected, line, saw = m.groups()
        comma = " (a decimal comma?)" if sep == "," else ""
        return (
            f"line {line} has {saw} fields but the header has {expected}: put values that "
            f"contain the separator {sep!r}{comma} in double quotes"
        )
    m = re.search(r"EOF inside string starting at row (\d+)", message)
    if m:
        return f'a double quote (") opened on line {int(m.group(1)) + 1} is never closed'
    return f"the file is not a readable CSV table: {message}"


def _header_first(
    table: pd.DataFrame, problems: _Problems, *, where: str
) -> tuple[pd.DataFrame | None, int]:
    """Use the first non-blank row of a header-less table as its header.

    Returns the table (string cells, data rows from 0) and the position of the header row.
    Columns whose header cell is empty but which hold values are reported; duplicated names are
    kept (and reported by the column matching).
    """
    table = table.fillna("")
    first = 0
    while first < len(table) and not any(str(v).strip() for v in table.iloc[first]):
        first += 1
    if first == len(table):
        problems.add(None, "", "", "the file is empty")
        return None, first
    header = [str(v).strip() for v in table.iloc[first]]
    body = table.iloc[first + 1 :].reset_index(drop=True)
    body = body.astype(str) if len(body) else body
    filled = [name for name in header if name]
    title = len(filled) == 1 and len(header) >= 3
    if title:
        problems.add(
            None,
            "",
            filled[0],
            f"the first row holds a single cell, like a title: the first row of the {where} "
            "must be the header with the column names",
        )
    names = []
    for i, name in enumerate(header):
        if name:
            names.append(name)
            continue
        names.append(f"(unnamed column {i + 1})")
        if not title and len(body) and body.iloc[:, i].str.strip().ne("").any():
            problems.add(
                None,
                f"column {i + 1}",
                "",
                f"column {i + 1} has values but an empty header cell (merged or missing): "
                f"give every column a name in one header row, the first row of the {where}",
            )
    body.columns = names
    return body, first


def _separator(text: str) -> str:
    """Guess the separator from the first lines: tab, semicolon or comma."""
    sample = text[:4096]
    sep = ";" if sample.count(";") > sample.count(",") and "\t" not in sample else ","
    if sample.count("\t") > max(sample.count(","), sample.count(";")):
        sep = "\t"
    return sep


def _check_shape(text: str, sep: str, problems: _Problems, limits: InputLimits) -> bool:
    """Refuse a text with more lines or wider lines than the limits, before parsing it."""
    n_lines = text.count("\n") + (not text.endswith("\n"))  # a final newline ends a line
    if n_lines > limits.max_rows + 1 + text.count('"') // 2:
        problems.add(
            None,
            "",
            f"{n_lines:,} lines",
            f"more than {limits.max_rows:,} data rows: {ROWS_HINT}",
        )
        return False
    widest = max(text.splitlines() or [""], key=lambda line: line.count(sep))
    n_fields = re.sub(r'"[^"]*"', "", widest).count(sep) + 1
    if n_fields > limits.max_columns:
        problems.add(
            None,
            "",
            f"{n_fields:,} fields",
            f"a line has {n_fields:,} fields (at most {limits.max_columns:,} columns are read)",
        )
        return False
    return True


def _decimal_comma(table: pd.DataFrame, sep: str) -> bool:
    """Whether a ``;``/tab file writes its numbers with a decimal comma (and never a point)."""
    if sep == "," or table.empty:
        return False
    lookup = _column_lookup()
    header = [str(v) for v in table.iloc[0]]
    cols = [i for i, h in enumerate(header) if lookup.get(_norm_name(h)) in NUMERIC_COLUMNS]
    if not cols:
        return False
    cells = pd.concat([table.iloc[1:, i].astype(str).str.strip() for i in cols])
    return bool(cells.str.fullmatch(_DECIMAL_COMMA).any()) and not bool(
        cells.str.fullmatch(_DECIMAL_POINT).any()
    )


def _read_csv(
    path: Path, problems: _Problems, meta: dict[str, Any], limits: InputLimits
) -> pd.DataFrame | None:
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        problems.add(None, "", "", "the file is empty")
        return None
    what = None if unicode_codec(raw) else _not_text(raw)
    if what:
        problems.add(None, "", "", what)
        return None
    decoded = decode(raw, path.name, problems)
    if decoded is None:
        return None
    text, meta["encoding"] = decoded
    sep = _separator(text)
    meta["separator"] = sep
    if not _check_shape(text, sep, problems, limits):
        return None
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skip_blank_lines=False,
            index_col=False,
        )
    except pd.errors.ParserError as err:
        problems.add(None, "", "", _parser_problem(str(err), sep))
        return None
    except pd.errors.EmptyDataError:
        problems.add(None, "", "", "the file is empty")
        return None
    body, first = _header_first(table, problems, where="file")
    if body is not None and _decimal_comma(table.iloc[first:], sep):
        meta["decimal"] = ","
        problems.warn(
            f"{path.name} is separated by {sep!r} with decimal commas (as Excel saves CSV in a "
            "Russian or European locale): numbers such as 12,5 read as 12.5"
        )
    return body


def _layer_too_big(path: Path, layer: str | None, problems: _Problems, limits: InputLimits) -> bool:
    """Refuse a layer with more features or fields than the limits, from its metadata."""
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception:  # unreadable: gpd.read_file reports it
        return False
    n_rows, n_cols = int(info.get("features") or 0), len(info.get("fields", ()))
    if n_rows > limits.max_rows or n_cols > limits.max_columns:
        problems.add(
            None,
            "",
            f"{n_rows:,} features, {n_cols:,} fields",
            f"the layer has {n_rows:,} features and {n_cols:,} fields (at most "
            f"{limits.max_rows:,} and {limits.max_columns:,} are read)"
            + (f": {ROWS_HINT}" if n_rows > limits.max_rows else ""),
        )
        return True
    return False


def _read_vector(
    path: Path, problems: _Problems, layer: str | None, limits: InputLimits
) -> pd.DataFrame | None:
    import geopandas as gpd
    import shapely

    if _layer_too_big(path, layer, problems, limits):
        return None
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        problems.add(None, "", "", f"cannot read the layer: {err}")
        return None
    if len(gdf) == 0:
        problems.add(None, "", "", "the layer has no features")
        return None
    if gdf.crs is None:
        raise CRSError(f"{path.name} has no coordinate reference system; set one (e.g. EPSG:4326)")
    geoms = gdf.geometry
    ok = geoms.notna() & ~geoms.is_empty
    bad = ok & (geoms.geom_type != "Point")
    if bad.any():
        for idx in np.flatnonzero(bad.to_numpy()):
            problems.add(idx + 1, "geometry", geoms.iloc[idx].geom_type, "geometry must be a point")
        ok &= ~bad
    pts = geoms.to_crs(4326) if gdf.crs.to_epsg() != 4326 else geoms
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object).fillna("")
    df = df.astype(str)
    ok_arr = ok.to_numpy()
    lon = np.where(ok_arr, shapely.get_x(pts.to_numpy()), np.nan)
    lat = np.where(ok_arr, shapely.get_y(pts.to_numpy()), np.nan)
    for name, vals in (("lon", lon), ("lat", lat)):
        text = pd.Series(vals).map(lambda v: "" if np.isnan(v) else repr(float(v)))
        df[name] = text.to_numpy()
    return df


def _load(
    path: Path,
    problems: _Problems,
    meta: dict[str, Any],
    *,
    sheet: str | int | None,
    layer: str | None,
    limits: InputLimits,
) -> pd.DataFrame | None:
    """Read a file into a table of strings (None when it cannot be read: a problem says why)."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path, problems, meta, limits)
    if suffix in {".xlsx", ".xlsm"}:
        from hazid.inventory.workbook import read_xlsx

        return read_xlsx(path, problems, meta, sheet=sheet, limits=limits)
    if suffix in {".gpkg", ".geojson", ".json", ".shp", ".fgb"}:
        return _read_vector(path, problems, layer, limits)
    problems.add(
        None, "", suffix, "unsupported file type: use .csv, .xlsx, .gpkg, .geojson or .shp"
    )
    return None
