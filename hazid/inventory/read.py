"""Reading an inventory file into a table of strings: CSV, XLSX and GIS point layers.

CSV text is decoded as UTF-8 (with or without BOM) or, with a warning, as Windows-1251; its
separator (``,`` ``;`` or tab) is guessed from the first lines. Files that are not text tables
(UTF-16, binary, ZIP, PDF, an .xls renamed .xlsx ...) are reported as such rather than read as
garbage. The first non-blank row is the header. Formulas saved without a result and spreadsheet
error values are reported cell by cell. GIS layers must be points with a coordinate reference
system; their coordinates become ``lon``/``lat`` in WGS84.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hazid.errors import CRSError
from hazid.inventory.columns import _column_lookup, _norm_name
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


def _not_text(raw: bytes) -> str | None:
    """Say what a file is when it is not a text table (None when it may be one)."""
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            return f"the file is {what}"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return (
            "the file is UTF-16/UTF-32 text (Excel's 'Unicode text'): save it as "
            "'CSV UTF-8 (comma delimited)'"
        )
    head = raw[:4096]
    if b"\x00" in head:
        half = max(len(head) // 2, 1)
        if max(head[0::2].count(0), head[1::2].count(0)) > 0.3 * half:
            return (
                "the file is UTF-16 text without a byte order mark: save it as "
                "'CSV UTF-8 (comma delimited)'"
            )
        return "the file is binary, not a text table (it contains NUL bytes)"
    if b"\x00" in raw:
        return "the file is binary, not a text table (it contains NUL bytes)"
    return None


def _decode(raw: bytes, name: str, problems: _Problems) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        first_bad = err.start
    lenient = raw.decode("utf-8", errors="replace")
    n_bad = lenient.count("\ufffd")
    n_good = len(lenient) - len(lenient.encode("ascii", errors="ignore")) - n_bad
    if n_good >= n_bad:
        problems.add(
            None,
            "",
            f"byte {first_bad}",
            f"the file is mostly UTF-8 but has {n_bad} invalid byte(s) from another encoding "
            f"(first on line {line}): save it again as CSV UTF-8",
        )
        return None
    try:
        text = raw.decode("cp1251")
    except UnicodeDecodeError:  # cp1251 decodes every byte but 0x98
        problems.add(None, "", "", "the file is neither UTF-8 nor Windows-1251 text")
        return None
    problems.warn(f"{name} is not UTF-8; read it as Windows-1251 (cp1251)")
    return text


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


def _read_csv(path: Path, problems: _Problems) -> pd.DataFrame | None:
    import io

    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        problems.add(None, "", "", "the file is empty")
        return None
    what = _not_text(raw)
    if what:
        problems.add(None, "", "", what)
        return None
    text = _decode(raw, path.name, problems)
    if text is None:
        return None
    sample = text[:4096]
    sep = ";" if sample.count(";") > sample.count(",") and "\t" not in sample else ","
    if sample.count("\t") > max(sample.count(","), sample.count(";")):
        sep = "\t"
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
    return _header_first(table, problems, where="file")[0]


def _sheet_cells(path: Path, sheet: str | int | None) -> list[tuple[int, int, str]]:
    """List the formula and error cells of a worksheet as (row, column, text), 0-based.

    Called when a cell read empty: a formula saved without its result (workbooks written by
    scripts rather than by Excel) and an error value such as ``#DIV/0!`` both read as empty.
    """
    import zipfile

    import openpyxl

    pattern = re.compile(rb'<(?:\w+:)?f[ >]|t="e"')
    with zipfile.ZipFile(path) as zf:
        found = False
        for info in zf.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            tail = b""
            with zf.open(info) as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    if pattern.search(tail + chunk):
                        found = True
                        break
                    tail = chunk[-16:]
            if found:
                break
    if not found:
        return []
    errors = set(_EXCEL_ERRORS)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet or 0]
        out = []
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, v in enumerate(row):
                v = getattr(v, "text", v)  # array formulas
                if isinstance(v, str) and (v.startswith("=") or v in errors):
                    out.append((r, c, v))
        return out
    finally:
        wb.close()


def _read_xlsx(path: Path, problems: _Problems, sheet: str | int | None) -> pd.DataFrame | None:
    import zipfile

    with path.open("rb") as fh:
        head = fh.read(8)
    if not head.startswith(b"PK\x03\x04"):
        what = _not_text(head) if head.startswith(b"\xd0\xcf\x11\xe0") else None
        problems.add(
            None,
            "",
            "",
            what
            or (
                "the file is not an .xlsx workbook (not a ZIP container): a CSV or an old .xls "
                "file with the .xlsx suffix? Save it from Excel as .xlsx or CSV UTF-8"
            ),
        )
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            is_workbook = "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile as err:
        problems.add(None, "", "", f"the workbook is damaged (not a readable ZIP container): {err}")
        return None
    if not is_workbook:
        problems.add(None, "", "", "the file is a ZIP archive but not an .xlsx workbook")
        return None
    try:
        table = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, header=None, dtype=str
        )
    except Exception as err:  # openpyxl raises many types (KeyError, BadZipFile, XML errors ...)
        problems.add(None, "", "", f"cannot read the spreadsheet: {err}")
        return None
    if table.empty:
        problems.add(None, "", "", "the file is empty")
        return None
    cells = _sheet_cells(path, sheet) if table.isna().to_numpy().any() else []
    df, first = _header_first(table, problems, where="sheet")
    if df is None:
        return None
    lookup = _column_lookup()
    for r, c, text in cells:
        if r <= first or r >= len(table) or c >= len(df.columns):
            continue  # the header, or a row pandas did not keep
        if table.iat[r, c] == table.iat[r, c]:
            continue  # not NaN: the formula has a saved result
        if lookup.get(_norm_name(df.columns[c])) is None:
            continue  # a column hazid does not read
        problem = (
            "formula without a saved result (the workbook was not saved by Excel): open and "
            "save it in Excel, or paste the values"
            if text.startswith("=")
            else "spreadsheet error value: fix the formula and save the values"
        )
        problems.add(r - first, str(df.columns[c]), text, problem)
    return df


def _read_vector(path: Path, problems: _Problems, layer: str | None) -> pd.DataFrame | None:
    import geopandas as gpd
    import shapely

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


def _load(path: Path, problems: _Problems, sheet, layer) -> pd.DataFrame | None:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path, problems)
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, problems, sheet)
    if suffix in {".gpkg", ".geojson", ".json", ".shp", ".fgb"}:
        return _read_vector(path, problems, layer)
    problems.add(
        None, "", suffix, "unsupported file type: use .csv, .xlsx, .gpkg, .geojson or .shp"
    )
    return None
