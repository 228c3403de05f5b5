"""Reading an XLSX workbook: measured first, then one sheet streamed cell by cell.

Before anything is decompressed the ZIP directory gives the size every part inflates to; a
workbook above :attr:`InputLimits.max_unzipped_mb` (a decompression bomb, or a workbook that
holds far more than an inventory) is refused. The sheet read is the one named or numbered by
``sheet``, else the workbook's *active* sheet (the one Excel opens on; a hidden sheet is never
chosen by default), and its name is reported. The used range the sheet declares is checked
against the row and column limits before its cells are read; the cells are then streamed, so a
sheet whose declared range is missing is also stopped at the first cell beyond the limits.
Formulas saved without a result and spreadsheet error values are reported cell by cell.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from hazid.inventory.columns import _column_lookup, _norm_name
from hazid.inventory.limits import ROWS_HINT, InputLimits, _mb
from hazid.inventory.problems import _Problems
from hazid.inventory.read import _EXCEL_ERRORS, _decimal_comma, _header_first, _not_text

logger = logging.getLogger(__name__)


def _cell_text(value: Any) -> str | None:
    """Text of a cell value as a spreadsheet shows it (None for an empty or error cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return str(pd.Timestamp(value)) if not isinstance(value, dt.time) else str(value)
    text = str(value)
    return None if text in _EXCEL_ERRORS or text == "" else text


def _check_zip(path: Path, problems: _Problems, limits: InputLimits) -> bool:
    """Check the container: a ZIP holding a workbook that does not inflate beyond the limit."""
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
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as err:
        problems.add(None, "", "", f"the workbook is damaged (not a readable ZIP container): {err}")
        return False
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        problems.add(None, "", "", "the file is a ZIP archive but not an .xlsx workbook")
        return False
    inflated = sum(i.file_size for i in infos)
    if inflated > limits.max_unzipped_bytes:
        problems.add(
            None,
            "",
            _mb(inflated),
            f"the workbook inflates to {_mb(inflated)} once decompressed (at most "
            f"{_mb(limits.max_unzipped_bytes)} are read): a decompression bomb, or far more than "
            "an inventory; save the inventory table alone as .xlsx or CSV UTF-8",
        )
        return False
    return True


def _pick_sheet(wb: Any, sheet: str | int | None, problems: _Problems) -> Any:
    """Return the worksheet to read: the named/numbered one, else the active one."""
    names = list(wb.sheetnames)
    if isinstance(sheet, str) and sheet not in names and sheet.strip().isdigit():
        sheet = int(sheet)  # "--sheet 1" from a command line: a position
    if isinstance(sheet, str):
        if sheet not in names:
            problems.add(
                None, "", sheet, f"no sheet named {sheet!r}: the workbook has {', '.join(names)}"
            )
            return None
        return wb[sheet]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            problems.add(
                None, "", str(sheet), f"no sheet number {sheet}: the workbook has {len(names)}"
            )
            return None
        return wb.worksheets[sheet]
    ws = wb.active
    if ws is None or getattr(ws, "sheet_state", "visible") != "visible":
        visible = [w for w in wb.worksheets if getattr(w, "sheet_state", "visible") == "visible"]
        ws = visible[0] if visible else wb.worksheets[0]
    return ws


def _check_dimension(ws: Any, problems: _Problems, limits: InputLimits) -> bool:
    """Refuse a sheet whose declared used range exceeds the row or column limit."""
    rows, cols = ws.max_row, ws.max_column
    if rows is None or cols is None:
        return True  # no <dimension>: the streaming read checks the cells
    if rows <= limits.max_rows + 1 and cols <= limits.max_columns:
        return True
    from openpyxl.utils import get_column_letter

    span = f"A1:{get_column_letter(cols)}{rows}"
    problems.add(
        None,
        "",
        span,
        f"sheet {ws.title!r} spans {span} ({cols:,} columns x {rows:,} rows; at most "
        f"{limits.max_columns:,} columns and {limits.max_rows:,} rows are read): delete the "
        "unused rows and columns beyond the table, or copy the table to a new workbook"
        + (f"; a table this long: {ROWS_HINT}" if rows > limits.max_rows + 1 else ""),
    )
    return False


def _stream_cells(ws: Any, problems: _Problems, limits: InputLimits) -> list[list] | None:
    """Read the sheet's cell texts row by row, stopping at the first cell beyond the limits."""
    from openpyxl.utils import get_column_letter

    ws.reset_dimensions()  # a wrong declared range must not pad every row
    data: list[list] = []
    last = -1
    for r, row in enumerate(ws.iter_rows(values_only=True)):
        cells = [_cell_text(v) for v in row[: limits.max_columns + 1]]
        # a value beyond the limit, or (empty) cells far beyond it on every row: stop now
        beyond = len(row) > 4 * limits.max_columns or any(
            v is not None for v in row[limits.max_columns :]
        )
        while cells and cells[-1] is None:
            cells.pop()
        if beyond or len(cells) > limits.max_columns:
            col = limits.max_columns + 1
            problems.add(
                None,
                "",
                f"row {r + 1}",
                f"sheet {ws.title!r} has cells beyond column {get_column_letter(col - 1)} "
                f"(more than {limits.max_columns:,} columns are not read): delete the columns "
                "beyond the table",
            )
            return None
        if r > limits.max_rows and cells:
            problems.add(
                None,
                "",
                f"row {r + 1}",
                f"sheet {ws.title!r} has more than {limits.max_rows:,} data rows: {ROWS_HINT}",
            )
            return None
        if cells:
            last = r
        data.append(cells)
    return data[: last + 1]


def _sheet_cells(path: Path, title: str, limits: InputLimits) -> list[tuple[int, int, str]]:
    """List the formula and error cells of a worksheet as (row, column, text), 0-based.

    Called when a cell read empty: a formula saved without its result (workbooks written by
    scripts rather than by Excel) and an error value such as ``#DIV/0!`` both read as empty.
    """
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
        ws = wb[title]
        ws.reset_dimensions()
        out = []
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, v in enumerate(row[: limits.max_columns]):
                v = getattr(v, "text", v)  # array formulas
                if isinstance(v, str) and (v.startswith("=") or v in errors):
                    out.append((r, c, v))
        return out
    finally:
        wb.close()


def _open_sheet(
    path: Path, problems: _Problems, meta: dict[str, Any], sheet: str | int | None, limits
) -> list[list] | None:
    """Open the workbook, pick and measure the sheet, and stream its cells."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types (KeyError, BadZipFile, XML errors ...)
        problems.add(None, "", "", f"cannot read the spreadsheet: {err}")
        return None
    try:
        ws = _pick_sheet(wb, sheet, problems)
        if ws is None or not _check_dimension(ws, problems, limits):
            return None
        meta["sheet"] = ws.title
        meta["sheets"] = list(wb.sheetnames)
        how = "named" if sheet is not None else "active"
        logger.info("reading sheet %r (%s) of %s", ws.title, how, path.name)
        if sheet is None and ws.title != wb.sheetnames[0]:
            problems.warn(
                f"{path.name}: read the active sheet {ws.title!r} of {len(wb.sheetnames)} "
                f"sheets ({', '.join(wb.sheetnames)}); name another with sheet= (--sheet)"
            )
        return _stream_cells(ws, problems, limits)
    except Exception as err:  # damaged sheet XML
        problems.add(None, "", "", f"cannot read the spreadsheet: {err}")
        return None
    finally:
        wb.close()


def read_xlsx(
    path: Path,
    problems: _Problems,
    meta: dict[str, Any],
    *,
    sheet: str | int | None,
    limits: InputLimits,
) -> pd.DataFrame | None:
    """Read one sheet of a workbook as a table of strings with the first row as the header."""
    if not _check_zip(path, problems, limits):
        return None
    data = _open_sheet(path, problems, meta, sheet, limits)
    if data is None:
        return None
    if not data:
        problems.add(None, "", "", "the file is empty")
        return None
    width = max(len(r) for r in data)
    table = pd.DataFrame([r + [None] * (width - len(r)) for r in data], dtype=object)
    cells = _sheet_cells(path, meta["sheet"], limits) if table.isna().to_numpy().any() else []
    df, first = _header_first(table, problems, where="sheet")
    if df is None:
        return None
    if _decimal_comma(table.iloc[first:].fillna(""), "\t"):
        meta["decimal"] = ","
        problems.warn(
            f"{path.name}: numbers are typed as text with decimal commas (12,5 read as 12.5)"
        )
    lookup = _column_lookup()
    for r, c, text in cells:
        if r <= first or r >= len(table) or c >= len(df.columns):
            continue  # the header, or a row that was not kept
        if table.iat[r, c] is not None:
            continue  # the formula has a saved result
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
