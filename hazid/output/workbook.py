"""``results.xlsx``: the screening's tables in one workbook, as an analyst opens them in Excel.

One sheet per table (sites, holdings, affected, summary, activities), with typed cells (numbers
as numbers, ``true``/``false`` as booleans), a frozen and bold header row, an auto-filter and
column widths fitted to the content. Text from inputs is neutralised against formula injection
(:func:`hazid.escape.spreadsheet_text`), and every text cell is stored as a string, never a
formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from hazid.escape import clean_float, spreadsheet_text

__all__ = ["write_workbook"]

_MAX_WIDTH = 60


def _cell_value(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else clean_float(float(v))
    if isinstance(v, str):
        return v
    return str(v)


def _sheet(wb: Workbook, name: str, df: pd.DataFrame, heading: Callable[[str], str]) -> None:
    ws = wb.create_sheet(title=name[:31])
    table = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore")
    ws.append([heading(str(c)) for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(c.value)) for c in ws[1]]
    for row in table.itertuples(index=False, name=None):
        ws.append([_cell_value(v) for v in row])
        for i, v in enumerate(row):
            widths[i] = max(widths[i], min(len(str(v)), _MAX_WIDTH))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = spreadsheet_text(cell.value)
                cell.data_type = TYPE_STRING  # never a formula, whatever the text
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(w, 6) + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if len(table.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(len(table), 1) + 1}"


def write_workbook(
    path: str | Path,
    tables: Mapping[str, pd.DataFrame | None],
    *,
    headings: Callable[[str], str] | None = None,
) -> Path:
    """Write tables as the sheets of one XLSX workbook.

    Parameters
    ----------
    path : str or Path
        Destination ``.xlsx`` file.
    tables : mapping of str to DataFrame
        Sheet name -> table, in sheet order; ``None`` tables are skipped.
    headings : callable, optional
        Column name -> heading shown in the first row (e.g. a translation); default the name.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from openpyxl import load_workbook
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "results.xlsx"
    >>> _ = write_workbook(p, {"sites": pd.DataFrame({"site_id": ["=1+1"], "ratio": [1.5]})})
    >>> ws = load_workbook(p)["sites"]
    >>> [c.value for c in ws[1]], [c.value for c in ws[2]], ws.freeze_panes
    (['site_id', 'ratio'], ["'=1+1", 1.5], 'A2')
    """
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in tables.items():
        if df is not None:
            _sheet(wb, name, df, headings or str)
    if not wb.sheetnames:
        wb.create_sheet("sites")
    wb.save(path)
    return path
