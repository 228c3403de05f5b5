"""Read and validate site inventories.

An inventory is one long table with one row per *holding* (a substance present at a site).
:func:`read_inventory` reads CSV, XLSX, GeoPackage or GeoJSON, matches column names
case-insensitively (with common aliases), identifies every substance against the Annex I tables
and returns a clean holdings table. Validation collects **every** problem before it raises
:class:`~hazid.errors.InventoryError`, whose ``problems`` attribute is a table with one row per
problem (``row``, ``column``, ``value``, ``problem``).

``row`` is the position of the data row under the header (1 = first data row; blank lines and
rows of empty cells count but are otherwise ignored). Files that are not text tables (UTF-16,
binary, ZIP, PDF, an .xls renamed .xlsx ...) are reported as such rather than read as garbage.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid import tables
from hazid.errors import CRSError, InventoryError

logger = logging.getLogger(__name__)

__all__ = [
    "COLUMN_ALIASES",
    "read_inventory",
    "validate_inventory",
]

#: Canonical column name -> accepted aliases (compared lower-case, spaces/dashes as underscores).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "site_id": ("id", "site", "facility_id", "installation_id", "establishment_id", "site_code"),
    "site_name": ("name", "facility", "facility_name", "installation", "installation_name"),
    "operator": ("company", "owner", "operator_name"),
    "country": ("iso3", "country_code", "iso_a3", "country_iso3"),
    "address": ("site_address", "location"),
    "activity_type": ("activity", "type", "sector"),
    "lon": ("longitude", "lng", "long", "x"),
    "lat": ("latitude", "y"),
    "substance": ("substance_name", "chemical", "material", "product"),
    "cas": ("cas_no", "cas_number", "cas_rn", "casrn"),
    "category": ("categories", "seveso_category", "annex_category", "part1_category"),
    "quantity": ("qty", "amount", "max_quantity", "maximum_quantity"),
    "unit": ("units", "uom", "quantity_unit"),
    "quantity_t": ("quantity_tonnes", "tonnes", "qty_t", "quantity_tons"),
    "grade": ("an_grade", "nitrate_grade"),
    "isolated_small": ("isolated", "small_isolated"),
    "groups": ("hazard_groups", "group"),
    "indoor": ("in_building", "inside_building"),
}

#: Quantity units accepted in the ``unit`` column and their factor to tonnes.
UNITS: dict[str, float] = {
    "t": 1.0,
    "tonne": 1.0,
    "tonnes": 1.0,
    "ton": 1.0,
    "tons": 1.0,
    "т": 1.0,
    "kg": 1e-3,
    "кг": 1e-3,
}

#: Above this many tonnes a quantity is taken for a unit mistake.
MAX_PLAUSIBLE_T = 10_000_000.0

_TRUE = {"true", "yes", "y", "1", "t", "да"}
_FALSE = {"false", "no", "n", "0", "f", "", "нет"}
_GROUPS = {"health", "physical", "environmental"}
_CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
#: Longest cell value quoted in a problem report.
_MAX_VALUE_CHARS = 200
#: Cell texts that stand for "no value".
_PLACEHOLDER_RE = r"(?i)nan|n/?a|null|none|-+|\u2014|\?+"
#: Spreadsheet formulas and error values (``#N/A``, ``#DIV/0!``, ``#REF!`` ...).
_SHEET_RE = r"=.*|#(?:N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|SPILL!|CALC!|GETTING_DATA)"
_EXCEL_ERRORS = ["#N/A", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#SPILL!"]
#: Leading bytes of files that are not text tables, and what they are.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one): give a workbook the .xlsx suffix"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) workbook: save it as .xlsx or CSV UTF-8"),
    (b"%PDF", "a PDF document: export the table as CSV UTF-8 or .xlsx"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage is one): name it .gpkg"),
    (b"\x1f\x8b", "gzip-compressed: decompress it first"),
)


def _short(value: Any, limit: int = _MAX_VALUE_CHARS) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass
class _Problems:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, row: Any, column: str, value: Any, problem: str) -> None:
        self.rows.append({"row": row, "column": column, "value": value, "problem": problem})

    def add_many(self, mask: pd.Series, df: pd.DataFrame, column: str, problem: str) -> None:
        for idx in np.flatnonzero(mask.to_numpy()):
            val = df[column].iloc[idx] if column in df.columns else None
            self.add(int(df["row"].iloc[idx]), column, val, problem)

    def warn(self, message: str) -> None:
        """Record a warning: the input is usable but something deserves a look."""
        logger.warning(message)
        self.warnings.append(message)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["row", "column", "value", "problem"])
        df["row"] = df["row"].astype("Int64")
        df["value"] = df["value"].map(lambda v: "" if v is None or v is pd.NA else _short(v))
        return df.sort_values(["row", "column"], na_position="first", kind="stable").reset_index(
            drop=True
        )


def _norm_name(name: str) -> str:
    return re.sub(r"[\s\-./]+", "_", str(name).strip().lower()).strip("_")


def _norm_text(s: pd.Series) -> pd.Series:
    """Lower-case and collapse white space (applied on unique values for speed)."""
    uniq = pd.unique(s)
    mapping = {u: " ".join(str(u).lower().split()) for u in uniq}
    return s.map(mapping)


def cas_is_valid(cas: str) -> bool:
    """Return whether a CAS registry number has the right form and check digit.

    Parameters
    ----------
    cas : str
        CAS number such as ``"7782-50-5"``.

    Returns
    -------
    bool

    Examples
    --------
    >>> cas_is_valid("7782-50-5")
    True
    >>> cas_is_valid("7782-50-4")
    False
    """
    m = _CAS_RE.match(str(cas).strip())
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(m.group(3))


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


def _column_lookup() -> dict[str, str]:
    """Normalised column name or alias -> canonical column."""
    lookup: dict[str, str] = {}
    for canon, aliases in COLUMN_ALIASES.items():
        lookup[canon] = canon
        for alias in aliases:
            lookup.setdefault(alias, canon)
    return lookup


def _rename(df: pd.DataFrame, problems: _Problems) -> tuple[pd.DataFrame, dict[str, str]]:
    lookup = _column_lookup()
    renamed: dict[str, str] = {}
    seen: dict[str, str] = {}
    new_names: list[str] = []
    for i, col in enumerate(df.columns):
        key = _norm_name(col)
        canon = lookup.get(key)
        if canon is None:
            new_names.append(str(col))
            continue
        if canon in seen:
            if str(col) == seen[canon]:
                problem = f"column {col!r} appears more than once: keep one"
            else:
                problem = f"column {col!r} duplicates {seen[canon]!r} (both mean {canon})"
            problems.add(None, str(col), "", problem)
            new_names.append(f"{col} (column {i + 1})")
            continue
        seen[canon] = str(col)
        if str(col) != canon:
            renamed[str(col)] = canon
        new_names.append(canon)
    # columns hazid does not read may repeat; make every label unique
    counts: dict[str, int] = {}
    for i, name in enumerate(new_names):
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > 1:
            new_names[i] = f"{name} (column {i + 1})"
    out = df.copy()
    out.columns = new_names
    return out, renamed


def _to_number(
    df: pd.DataFrame,
    column: str,
    problems: _Problems,
    *,
    required: bool,
    what: str,
    text_hint: str,
) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers; return the values and which cells were left blank.

    Blank means empty, white space or a placeholder such as ``n/a`` or ``nan``. Only cells that
    do not parse at once are looked at as text, so clean large tables stay fast.
    """
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    failed = num.isna()
    text = raw[failed].astype(str).str.strip()
    empty = text == ""
    placeholder = ~empty & text.str.fullmatch(_PLACEHOLDER_RE)
    blank = empty | placeholder
    if required:
        problems.add_many(_expand(empty, df), df, column, f"missing {what}")
        problems.add_many(
            _expand(placeholder, df), df, column, f"missing {what} (a placeholder, not a number)"
        )
    retry = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    num.loc[retry.index] = retry
    rest = ~blank & retry.isna()
    sheet = rest & text.str.fullmatch(_SHEET_RE)
    problems.add_many(
        _expand(sheet, df),
        df,
        column,
        f"{what} is a spreadsheet formula or error value: save the values, not the formulas",
    )
    rest &= ~sheet
    comma = rest & text.str.fullmatch(
        r"[-+]?\d{1,3}([,\s\u00a0\u202f']\d{3})+([.,]\d+)?|[-+]?\d{1,3}(\.\d{3})+,\d+"
        r"|[-+]?\d*,\d+"
    )
    problems.add_many(
        _expand(comma, df),
        df,
        column,
        f"{what} uses a decimal comma or thousands separator: write 12.5 or 1000",
    )
    rest &= ~comma
    trailing = rest & text.str.fullmatch(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)\s*[^\d\s.,].*")
    problems.add_many(
        _expand(trailing, df), df, column, f"{what} has text after the number: {text_hint}"
    )
    problems.add_many(_expand(rest & ~trailing, df), df, column, f"{what} is not a number")
    inf = pd.Series(np.isinf(num.to_numpy()), index=df.index)
    problems.add_many(inf, df, column, f"{what} is infinite or too large")
    return num.where(~inf), _expand(blank, df)


def _expand(mask: pd.Series, df: pd.DataFrame) -> pd.Series:
    """Widen a boolean mask over a subset of rows to the whole table."""
    return mask.reindex(df.index, fill_value=False).astype(bool)


def _check_columns(df: pd.DataFrame, problems: _Problems) -> bool:
    missing = []
    if "site_id" not in df.columns:
        missing.append("site_id")
    if "quantity" not in df.columns and "quantity_t" not in df.columns:
        missing.append("quantity (or quantity_t)")
    if not {"lon", "lat"} <= set(df.columns):
        missing.append("lon and lat")
    if not {"substance", "cas", "category"} & set(df.columns):
        missing.append("substance, cas or category")
    for m in missing:
        problems.add(None, m, "", f"required column missing: {m}")
    return not missing


def _quantities(df: pd.DataFrame, problems: _Problems) -> pd.Series:
    hint = "give the number only, and the unit (t or kg) in the unit column"
    if "quantity_t" in df.columns and "quantity" not in df.columns:
        q, _ = _to_number(
            df, "quantity_t", problems, required=True, what="quantity", text_hint=hint
        )
        column = "quantity_t"
    else:
        q, _ = _to_number(df, "quantity", problems, required=True, what="quantity", text_hint=hint)
        column = "quantity"
        if "quantity_t" in df.columns:
            problems.warn("both quantity and quantity_t are given: quantity_t is ignored")
        if "unit" in df.columns:
            unit = _norm_text(df["unit"].astype(str))
            unit = unit.where(unit != "", "t")
            factor = unit.map(UNITS)
            problems.add_many(
                factor.isna(),
                df,
                "unit",
                f"unknown unit: use one of {', '.join(sorted(set(UNITS) - {'т', 'кг'}))}",
            )
            q = q * factor.astype(float)
    problems.add_many(q < 0, df, column, "quantity is negative")
    problems.add_many(
        q > MAX_PLAUSIBLE_T,
        df,
        column,
        f"quantity above {MAX_PLAUSIBLE_T:,.0f} t is implausible: check the unit",
    )
    return q


def _coordinates(df: pd.DataFrame, problems: _Problems) -> tuple[pd.Series, pd.Series]:
    hint = "give signed decimal degrees (41.3, negative for S and W), not degrees and minutes"
    lon, lon_blank = _to_number(
        df, "lon", problems, required=False, what="longitude", text_hint=hint
    )
    lat, lat_blank = _to_number(
        df, "lat", problems, required=False, what="latitude", text_hint=hint
    )
    lon_bad = lon.abs() > 180
    lat_bad = lat.abs() > 90
    swapped = lat_bad & (lon.abs() <= 90)
    problems.add_many(swapped, df, "lat", "latitude out of range: lat and lon look swapped")
    problems.add_many(lat_bad & ~swapped, df, "lat", "latitude out of range -90..90")
    problems.add_many(lon_bad, df, "lon", "longitude out of range -180..180")
    problems.add_many(lon_blank ^ lat_blank, df, "lon", "only one of lon/lat is given")
    zero = (lon == 0) & (lat == 0)
    if zero.any():
        rows = df.loc[zero, "row"].tolist()
        problems.warn(
            f"coordinates 0, 0 (in the Gulf of Guinea; a missing value written as zero?) in "
            f"row(s) {_row_list(rows)}"
        )
    return lon.where(~lon_bad & ~lat_bad), lat.where(~lon_bad & ~lat_bad)


def _row_list(rows: list[int], limit: int = 10) -> str:
    head = ", ".join(map(str, rows[:limit]))
    return head if len(rows) <= limit else f"{head} ... ({len(rows)} rows)"


def _site_checks(out: pd.DataFrame, problems: _Problems) -> None:
    has = out["lon"].notna() & out["lat"].notna()
    coords = out.loc[has, ["site_id", "lon", "lat", "row"]]
    spread = coords.groupby("site_id").agg(
        lon_min=("lon", "min"), lon_max=("lon", "max"), lat_min=("lat", "min"),
        lat_max=("lat", "max"), first=("row", "min"),
    )  # fmt: skip
    conflict = spread[
        ((spread.lon_max - spread.lon_min) > 1e-6) | ((spread.lat_max - spread.lat_min) > 1e-6)
    ]
    if len(conflict):
        sub = coords[coords["site_id"].isin(conflict.index)]
        rows = sub.groupby("site_id")["row"].agg(lambda r: _row_list(r.tolist()))
        for sid, first in conflict["first"].items():
            problems.add(
                int(first),
                "lon/lat",
                sid,
                f"site {sid!r} has conflicting coordinates in rows {rows[sid]}",
            )
    named = out[out["site_id"] != ""]
    no_coords = pd.Index(named["site_id"].unique()).difference(spread.index)
    if len(no_coords):
        first = named[named["site_id"].isin(no_coords)].groupby("site_id")["row"].min()
        for sid, row in first.sort_index().items():
            problems.add(int(row), "lon/lat", sid, f"site {sid!r} has no coordinates")
    given = out[out["country"] != ""]
    n_countries = given.groupby("site_id")["country"].nunique()
    clash = n_countries.index[n_countries > 1]
    if len(clash):
        sub = given[given["site_id"].isin(clash)].groupby("site_id")
        firsts = sub["row"].min()
        rows = sub["row"].agg(lambda r: _row_list(r.tolist()))
        names = sub["country"].agg(lambda c: ", ".join(sorted(c.unique())))
        for sid in clash:
            problems.add(
                int(firsts[sid]),
                "country",
                sid,
                f"site {sid!r} has conflicting countries {names[sid]} in rows {rows[sid]}",
            )


def _categories(df: pd.DataFrame, problems: _Problems, codes: set[str]) -> pd.Series:
    if "category" not in df.columns:
        return pd.Series("", index=df.index)
    canon = {c.lower(): c for c in codes}
    uniq = pd.unique(df["category"].astype(str))
    mapping: dict[str, tuple[str, list[str]]] = {}
    for u in uniq:
        parts = [p for p in re.split(r"[;,\s/+]+", u.strip()) if p]
        good = [canon[p.lower()] for p in parts if p.lower() in canon]
        bad = [p for p in parts if p.lower() not in canon]
        mapping[u] = (";".join(dict.fromkeys(good)), bad)
    out = df["category"].astype(str).map(lambda u: mapping[u][0])
    bad_mask = df["category"].astype(str).map(lambda u: bool(mapping[u][1]))
    for idx in np.flatnonzero(bad_mask.to_numpy()):
        u = str(df["category"].iloc[idx])
        problems.add(
            int(df["row"].iloc[idx]),
            "category",
            u,
            f"unknown Part I category {', '.join(mapping[u][1])}: "
            f"use codes such as H1, H2, P2, P5a, E1, O1",
        )
    return out


def _identify(
    df: pd.DataFrame, categories: pd.Series, problems: _Problems
) -> tuple[pd.Series, pd.Series]:
    """Return the substance key and Part II item of every holding."""
    subs = tables.substances()
    syn = tables.synonyms()
    grade_tab = tables.grades()
    alias_to_key = dict(zip(syn["alias"], syn["key"], strict=True))
    cas_to_key: dict[str, str] = {}
    for key, cas in zip(subs["key"], subs["cas"], strict=True):
        for c in str(cas).split(";"):
            if c.strip():
                cas_to_key.setdefault(c.strip(), key)
    item_of_key = dict(zip(subs["key"], subs["part2_item"], strict=True))
    graded = set(grade_tab["key"])
    grade_item = {
        (k, " ".join(g.lower().split())): it
        for k, g, it in zip(
            grade_tab["key"], grade_tab["grade"], grade_tab["part2_item"], strict=True
        )
    }

    name = (
        _norm_text(df["substance"].astype(str))
        if "substance" in df.columns
        else pd.Series("", index=df.index)
    )
    cas = (
        df["cas"].astype(str).str.strip() if "cas" in df.columns else pd.Series("", index=df.index)
    )
    key_by_name = name.map(alias_to_key).fillna("")
    key_by_cas = cas.map(cas_to_key).fillna("")

    bad_cas = (cas != "") & ~cas.map(cas_is_valid)
    problems.add_many(
        bad_cas, df, "cas", "invalid CAS number (form NNNNNNN-NN-N with a check digit)"
    )
    clash = (key_by_name != "") & (key_by_cas != "") & (key_by_name != key_by_cas)
    for idx in np.flatnonzero(clash.to_numpy()):
        problems.add(
            int(df["row"].iloc[idx]),
            "cas",
            cas.iloc[idx],
            f"CAS {cas.iloc[idx]} is {key_by_cas.iloc[idx]} but substance says "
            f"{df['substance'].iloc[idx]!r}",
        )
    key = key_by_cas.where(key_by_cas != "", key_by_name)
    raw_cat = df["category"].astype(str).str.strip() if "category" in df.columns else categories
    unknown = (key == "") & (raw_cat == "") & ~bad_cas
    for idx in np.flatnonzero(unknown.to_numpy()):
        label = (df["substance"].iloc[idx] if "substance" in df.columns else "") or cas.iloc[idx]
        problems.add(
            int(df["row"].iloc[idx]),
            "substance",
            label,
            "unknown substance and no Part I category: give a category (e.g. H2;E1) "
            "or the name/CAS of a named substance",
        )

    item = key.map(item_of_key).fillna("")
    grade = (
        _norm_text(df["grade"].astype(str))
        if "grade" in df.columns
        else pd.Series("", index=df.index)
    )
    is_graded = key.isin(graded)
    if is_graded.any():
        g_item = pd.Series(
            [grade_item.get((k, g), "") for k, g in zip(key, grade, strict=True)], index=df.index
        )
        item = item.where(~is_graded, g_item)
        for idx in np.flatnonzero((is_graded & (g_item == "")).to_numpy()):
            k = key.iloc[idx]
            allowed = sorted(grade_tab.loc[grade_tab.key == k, "grade"].unique())
            problems.add(
                int(df["row"].iloc[idx]),
                "grade",
                grade.iloc[idx],
                f"{k.replace('_', ' ')} needs a grade to pick its Part II entry: one of "
                f"{', '.join(allowed)}",
            )
    item_num = pd.to_numeric(item.where(item != ""), errors="coerce").astype("Int64")
    return key, item_num


def _flags(df: pd.DataFrame, column: str, problems: _Problems) -> pd.Series:
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    text = _norm_text(df[column].astype(str))
    val = text.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None))
    problems.add_many(val.isna(), df, column, "must be true or false")
    return val.fillna(False).astype(bool)


def _groups(df: pd.DataFrame, problems: _Problems) -> pd.Series:
    if "groups" not in df.columns:
        return pd.Series("", index=df.index)
    text = _norm_text(df["groups"].astype(str))
    parts = text.map(lambda v: [p for p in re.split(r"[;,\s]+", v) if p])
    bad = parts.map(lambda ps: any(p not in _GROUPS for p in ps))
    problems.add_many(bad, df, "groups", "groups must be among health, physical, environmental")
    return parts.map(
        lambda ps: ";".join(p for p in ("health", "physical", "environmental") if p in ps)
    )


def validate_inventory(
    source: str | Path | pd.DataFrame, *, sheet: str | int | None = None, layer: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check an inventory and return the holdings and every problem found.

    Unlike :func:`read_inventory` this never raises on bad rows: it returns them.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A CSV, XLSX, GeoPackage, GeoJSON or Shapefile path, or a table already in memory
        (string cells, as read from a file).
    sheet : str or int, optional
        Worksheet of an XLSX file (default: the first).
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    holdings : pandas.DataFrame
        The normalised holdings (see :func:`read_inventory`); meaningful only when there are no
        problems.
    problems : pandas.DataFrame
        Columns ``row`` (1-based data row, empty for file-level problems), ``column``, ``value``,
        ``problem``. Empty when the inventory is clean.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
    ...                       "substance": ["chlorine"], "quantity": ["-3"]})
    >>> _, problems = validate_inventory(table)
    >>> problems[["row", "column", "problem"]].to_dict("records")
    [{'row': 1, 'column': 'quantity', 'problem': 'quantity is negative'}]
    """
    problems = _Problems()
    meta: dict[str, Any] = {}
    if isinstance(source, pd.DataFrame):
        raw = source.astype(object).fillna("").astype(str)
        meta["source"] = "<table>"
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"inventory file not found: {path}")
        meta["source"] = path.name
        meta["sha256"] = tables.file_sha256(path)
        raw = _load(path, problems, sheet, layer)
    if raw is None:
        return pd.DataFrame(), problems.frame()
    if raw.empty:
        problems.add(None, "", "", "the file has a header but no data rows")
        return pd.DataFrame(), problems.frame()

    df, renamed = _rename(raw.reset_index(drop=True), problems)
    for old, new in renamed.items():
        logger.info("column %r read as %r", old, new)
    meta["renamed_columns"] = renamed
    df["row"] = np.arange(1, len(df) + 1)
    if not _check_columns(df, problems):
        return pd.DataFrame(), problems.frame()

    for col in ("site_id", "site_name", "operator", "country", "substance", "cas", "grade"):
        if col in df.columns:
            df[col] = df[col].astype(str).str.strip()
    df = _drop_blank_rows(df)
    if df.empty:
        problems.add(None, "", "", "the file has a header but no data rows")
        return pd.DataFrame(), problems.frame()
    problems.add_many(df["site_id"] == "", df, "site_id", "missing site_id")
    for col in ("site_id", "substance", "cas", "category", "country", "unit", "grade"):
        if col in df.columns:
            problems.add_many(
                df[col].isin(_EXCEL_ERRORS),
                df,
                col,
                "spreadsheet error value: fix the formula and save the values",
            )
    if "country" in df.columns:
        country = df["country"].str.upper()
        problems.add_many(
            (country != "") & ~country.str.fullmatch(r"[A-Z]{3}"),
            df,
            "country",
            "country must be an ISO 3166 alpha-3 code such as KAZ",
        )
        df["country"] = country

    quantity_t = _quantities(df, problems)
    lon, lat = _coordinates(df, problems)
    categories = _categories(df, problems, set(tables.annex_part1()["code"]))
    key, item = _identify(df, categories, problems)

    out = pd.DataFrame(
        {
            "row": df["row"].astype(int),
            "site_id": df["site_id"],
            "site_name": df.get("site_name", pd.Series("", index=df.index)),
            "operator": df.get("operator", pd.Series("", index=df.index)),
            "country": df.get("country", pd.Series("", index=df.index)),
            "lon": lon,
            "lat": lat,
            "substance": df.get("substance", pd.Series("", index=df.index)),
            "cas": df.get("cas", pd.Series("", index=df.index)),
            "substance_key": key,
            "part2_item": item,
            "category": categories,
            "groups_override": _groups(df, problems),
            "grade": df.get("grade", pd.Series("", index=df.index)),
            "quantity_t": quantity_t,
            "isolated_small": _flags(df, "isolated_small", problems),
            "indoor": _flags(df, "indoor", problems),
        }
    )
    for extra in ("address", "activity_type"):
        if extra in df.columns:
            out[extra] = df[extra].astype(str).str.strip()
    _site_checks(out[out.site_id != ""], problems)
    # fill per-site attributes from the first row that gives them
    for col in ("lon", "lat"):
        out[col] = out.groupby("site_id")[col].transform("first")
    for col in ("site_name", "operator", "country", "address", "activity_type"):
        if col in out.columns:
            first = out[col].where(out[col] != "").groupby(out["site_id"]).transform("first")
            out[col] = first.fillna("")
    meta["warnings"] = list(problems.warnings)
    out.attrs.update(meta)
    return out, problems.frame()


def _drop_blank_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Remove rows whose every cell is empty or white space (keeping the row numbers)."""
    candidate = df["site_id"] == ""
    if not candidate.any():
        return df
    sub = df.loc[candidate, [c for c in df.columns if c != "row"]]
    blank = np.ones(len(sub), dtype=bool)
    for col in sub.columns:
        blank &= sub[col].astype(str).str.strip().eq("").to_numpy()
    if not blank.any():
        return df
    logger.info("ignored %d empty row(s)", int(blank.sum()))
    return df.drop(index=sub.index[blank]).reset_index(drop=True)


def read_inventory(
    source: str | Path | pd.DataFrame, *, sheet: str | int | None = None, layer: str | None = None
) -> pd.DataFrame:
    """Read and validate an inventory; raise on any problem.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        CSV (UTF-8, with or without BOM; Windows-1251 accepted with a warning; separator
        ``,`` ``;`` or tab), XLSX, GeoPackage, GeoJSON or Shapefile (points; any CRS, read as
        WGS84), or a table of strings.
    sheet : str or int, optional
        Worksheet of an XLSX file (default: the first).
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    pandas.DataFrame
        One row per holding: ``row`` (data row in the file), ``site_id``, ``site_name``,
        ``operator``, ``country``, ``lon``, ``lat`` (WGS84 degrees), ``substance``, ``cas``,
        ``substance_key`` (canonical key, empty when known only by category), ``part2_item``,
        ``category`` (Part I codes joined by ``;``), ``groups_override``, ``grade``,
        ``quantity_t`` (tonnes), ``isolated_small``, ``indoor``. ``attrs`` carries the source
        name, its SHA-256, the renamed columns and ``warnings`` (messages about a usable but
        doubtful input, such as a Windows-1251 file or coordinates 0, 0; also logged).

    Raises
    ------
    InventoryError
        With every problem found (``err.problems``), when any row is bad.
    FileNotFoundError
        When the file does not exist.
    CRSError
        When a GIS layer has no coordinate reference system.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"site_id": ["A", "A"], "lon": ["69.2", ""], "lat": ["41.3", ""],
    ...                       "substance": ["Chlorine", "NH3"], "quantity": ["20", "150"]})
    >>> inv = read_inventory(table)
    >>> inv[["site_id", "substance_key", "part2_item", "quantity_t"]].to_dict("records")
    [{'site_id': 'A', 'substance_key': 'chlorine', 'part2_item': 10, 'quantity_t': 20.0}, \
{'site_id': 'A', 'substance_key': 'ammonia', 'part2_item': 35, 'quantity_t': 150.0}]
    """
    holdings, problems = validate_inventory(source, sheet=sheet, layer=layer)
    if len(problems):
        name = holdings.attrs.get("source") if len(holdings) else None
        if name is None and not isinstance(source, pd.DataFrame):
            name = Path(source).name
        raise InventoryError(problems, source=name)
    logger.info(
        "read %d holdings at %d sites from %s",
        len(holdings),
        holdings["site_id"].nunique(),
        holdings.attrs.get("source"),
    )
    return holdings
