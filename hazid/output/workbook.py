"""``results.xlsx``: the screening's tables in one workbook, as an analyst opens them in Excel.

One sheet per table (sites, holdings, affected, summary, activities), with typed cells (numbers
as numbers, ``true``/``false`` as booleans), a frozen and bold header row, an auto-filter and
column widths fitted to the content. Text from inputs is neutralised against formula injection
(:func:`hazid.escape.spreadsheet_text`), and every text cell is stored as a string, never a
formula.

The workbook (Office Open XML, ECMA-376 SpreadsheetML) is written directly, one sheet's XML
streamed row by row into the zip: national inventories give hundreds of thousands of rows,
which a cell-object library holds in memory at some tens of microseconds per cell. Text cells
are inline strings; the parts are deflated as they are streamed and carry a fixed date
(:class:`hazid.output.zippackage.ZipPackage`), so the same tables give the same bytes.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from hazid.escape import clean_float, spreadsheet_text
from hazid.output.sheetcells import ColumnTexts, column_texts, longest_text, row_block
from hazid.output.zippackage import ZipPackage

__all__ = ["write_workbook"]

logger = logging.getLogger(__name__)

_MAX_WIDTH = 60
_CHUNK_ROWS = 20_000
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: characters XML 1.0 does not allow in text
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


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


def _xml_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ILLEGAL.sub("", text)


def _cell(ref: str, v: object, style: str = "") -> str:
    """One ``<c>`` element; text is never a formula (``'`` in front of a live one)."""
    v = _cell_value(v)
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float):
        return f'<c r="{ref}"{style}><v>{v:.16g}</v></c>'  # as openpyxl writes numbers
    text = _xml_text(spreadsheet_text(v) if not style else v)
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


#: first characters of a text that :func:`hazid.escape.spreadsheet_text` may change
_FORMULA_FIRST = frozenset(" \u00a0\u3000=+-@\t\r")
#: characters :func:`_xml_text` changes
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text_cells(letter: str, values: list, rows: range) -> list[str]:
    """Return the cells of a column of text (as :func:`_cell`), other values cell by cell.

    Text is escaped only where it has to be: the column's text is searched once for the
    characters XML escapes, and only a text starting like a formula goes through
    :func:`hazid.escape.spreadsheet_text`.
    """
    plain = _XML_SPECIAL.search("\n".join([v for v in values if isinstance(v, str)])) is None
    out = []
    for r, v in zip(rows, values, strict=True):
        if not isinstance(v, str):
            out.append(_cell(f"{letter}{r}", v))
        elif not v:
            out.append("")
        else:
            if not plain or v[0] in _FORMULA_FIRST:
                v = _xml_text(spreadsheet_text(v))
            out.append(
                f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
            )
    return out


def _number_text(v: float | int) -> str:
    """Text of a number cell (empty: no cell); floats with 15 significant digits."""
    if isinstance(v, int):
        return f"{v:.16g}"  # as openpyxl writes numbers
    # clean_float inlined: 15 significant digits (its zero case gives the same text)
    return f"{float(f'{v:.15g}'):.16g}" if math.isfinite(v) else ""


def _escaped_text(v: str) -> str:
    """Text of a text cell that escaping may change (see :func:`_cell`)."""
    return _xml_text(spreadsheet_text(v))


def _columns(table: pd.DataFrame, letters: list[str]) -> list[ColumnTexts]:
    """Prepare the cells of every column once for the whole table."""
    rows = range(2, len(table) + 2)
    return [
        column_texts(
            a,
            table.iloc[:, i],
            number=_number_text,
            escape=_escaped_text,
            cells=lambda col, a=a: _text_cells(a, list(col.to_numpy()), rows),
        )
        for i, a in enumerate(letters)
    ]


def _sheet_xml(table: pd.DataFrame, head: list[str]) -> Iterator[str | memoryview]:
    """Yield the worksheet XML of one table in pieces: frozen bold header, widths, filter.

    The rows come in blocks of :data:`_CHUNK_ROWS`, as UTF-8 (:func:`row_block`).
    """
    letters = [_column_letter(i) for i in range(1, len(head) + 1)]
    columns = _columns(table, letters)
    widths = [len(h) for h in head]
    for i, column in enumerate(columns):
        if len(table):
            longest = longest_text(table.iloc[:, i], column.distinct)
            widths[i] = max(widths[i], min(longest, _MAX_WIDTH))
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{min(max(w, 6) + 2, _MAX_WIDTH)}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    yield (
        f'{_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><sheetViews>'
        '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
        ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
        f"</sheetViews>{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
    )
    yield (
        '<row r="1">'
        + "".join(_cell(f"{a}1", h, ' s="1"') for a, h in zip(letters, head, strict=True))
        + "</row>"
    )
    for lo in range(0, len(table), _CHUNK_ROWS):
        yield row_block(columns, lo, min(lo + _CHUNK_ROWS, len(table)))
    yield "</sheetData>"
    if letters:
        yield f'<autoFilter ref="A1:{letters[-1]}{max(len(table), 1) + 1}"/>'
    yield "</worksheet>"


def _column_letter(n: int) -> str:
    """Spreadsheet column name of column ``n`` (1 is A, 27 is AA), as openpyxl names it."""
    name = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name


def _package(names: list[str]) -> dict[str, str]:
    """Return the parts around the sheets: content types, relationships, workbook, styles."""
    n = len(names)
    sheets = "".join(
        f'<sheet name="{_xml_text(name).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return {
        "[Content_Types].xml": (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{overrides}'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}<Relationship Id="rId{n + 1}" '
            f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": _STYLES,
    }


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
        Sheet name -> table, in sheet order; ``None`` tables are skipped. A table longer than
        a sheet (:data:`SHEET_ROWS` rows under the header) goes on in sheets named
        ``"<name> (2)"``, ``"<name> (3)"`` ...
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
    heading = headings or str
    sheets = _sheets(tables)
    with ZipPackage(path) as zf:
        for part, text in _package(list(sheets)).items():
            zf.add(part, text.encode("utf-8"))
        for i, df in enumerate(sheets.values(), start=1):
            table = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore")
            head = [heading(str(c)) for c in table.columns]
            with zf.part(f"xl/worksheets/sheet{i}.xml") as f:
                for piece in _sheet_xml(table, head):
                    f.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
    return path


#: Rows of a table on one sheet: Excel's 1,048,576 rows, less the header row.
SHEET_ROWS = 1_048_575


def _sheets(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """Sheet name (at most 31 characters) -> rows, a long table cut into several sheets."""
    out: dict[str, pd.DataFrame] = {}
    for name, df in tables.items():
        if df is None:
            continue
        if len(df) <= SHEET_ROWS:
            out[name[:31]] = df
            continue
        for k, lo in enumerate(range(0, len(df), SHEET_ROWS), start=1):
            suffix = f" ({k})" if k > 1 else ""
            out[name[: 31 - len(suffix)] + suffix] = df.iloc[lo : lo + SHEET_ROWS]
        logger.info("%s: %d rows, on %d sheets", name, len(df), k)
    return out or {"sites": pd.DataFrame()}
