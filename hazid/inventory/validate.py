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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid import tables
from hazid.errors import InventoryError
from hazid.inventory.columns import _check_columns, _rename
from hazid.inventory.limits import SIZE_HINT, InputLimits, _mb
from hazid.inventory.problems import _Problems, _row_list
from hazid.inventory.read import _EXCEL_ERRORS, _load
from hazid.inventory.rows import _duplicates, _long_cells, _normalise_site_ids, _trim_text
from hazid.inventory.sites import _site_checks
from hazid.inventory.substances import OUTSIDE, _categories, _identify
from hazid.inventory.values import (
    _coordinates,
    _flags,
    _groups,
    _positive,
    _quantities,
    _storage,
)

logger = logging.getLogger(__name__)

__all__ = [
    "read_inventory",
    "validate_inventory",
]


def validate_inventory(
    source: str | Path | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    layer: str | None = None,
    allow_duplicates: bool = False,
    limits: InputLimits | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check an inventory and return the holdings and every problem found.

    Unlike :func:`read_inventory` this never raises on bad rows: it returns them.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A CSV, XLSX, GeoPackage, GeoJSON or Shapefile path, or a table already in memory
        (string cells, as read from a file).
    sheet : str or int, optional
        Worksheet of an XLSX file, by name or 0-based position (digits that name no sheet are a
        position; default: the workbook's active sheet, the one Excel opens on). The sheet read
        is named in ``attrs["sheet"]``.
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    allow_duplicates : bool, default False
        Add up rows that repeat an earlier row exactly (by default they are an error, as a
        pasted row would double a quantity).
    limits : InputLimits, optional
        Largest input accepted (default :class:`~hazid.inventory.limits.InputLimits`).

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
    limits = limits or InputLimits()
    raw = _load_source(source, problems, meta, sheet=sheet, layer=layer, limits=limits)
    if raw is None:
        return _empty(meta, problems), problems.frame()
    prepared = _prepare(raw, problems, meta)
    if prepared is None:
        return _empty(meta, problems), problems.frame()
    df, stand_ins = prepared
    _check_cells(df, problems)
    _duplicates(df, problems, allow=allow_duplicates)
    out = _holdings(df, problems, decimal=meta.get("decimal", "."))
    _site_checks(out[out.site_id != ""], problems)
    _fill_site_attributes(out)
    if stand_ins:  # a required column is missing: its stand-in's problems say nothing new
        problems.rows = [
            p for p in problems.rows if p["row"] is None or p["column"] not in stand_ins
        ]
    meta["warnings"] = list(problems.warnings)
    out.attrs.update(meta)
    return out, problems.frame()


def _empty(meta: dict[str, Any], problems: _Problems) -> pd.DataFrame:
    """No holdings, with what was learnt about the source (sheet, encoding, warnings)."""
    out = pd.DataFrame()
    out.attrs.update(meta, warnings=list(problems.warnings))
    return out


def _load_source(
    source: str | Path | pd.DataFrame,
    problems: _Problems,
    meta: dict[str, Any],
    *,
    sheet: str | int | None,
    layer: str | None,
    limits: InputLimits,
) -> pd.DataFrame | None:
    """Measure and read the source into a table of strings (None when it cannot be read)."""
    if isinstance(source, pd.DataFrame):
        raw = source.astype(object).fillna("").astype(str)
        meta["source"] = "<table>"
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"inventory file not found: {path}")
        meta["source"] = path.name
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            problems.add(
                None,
                "",
                _mb(size),
                f"the file is {_mb(size)} (at most {_mb(limits.max_file_bytes)} are read): "
                + SIZE_HINT,
            )
            return None
        meta["sha256"] = tables.file_sha256(path)
        raw = _load(path, problems, meta, sheet=sheet, layer=layer, limits=limits)
    if raw is not None and raw.empty:
        problems.add(None, "", "", "the file has a header but no data rows")
        return None
    if raw is not None and not _long_cells(raw, problems, limits):
        return None
    return raw


def _prepare(
    raw: pd.DataFrame, problems: _Problems, meta: dict[str, Any]
) -> tuple[pd.DataFrame, set[str]] | None:
    """Match the columns, number the rows, trim the text columns and drop blank rows.

    A missing required column is reported and replaced by an empty stand-in, so that the other
    columns are still checked; the names of the stand-ins are returned with the table.
    """
    df, renamed = _rename(raw.reset_index(drop=True), problems)
    for old, new in renamed.items():
        logger.info("column %r read as %r", old, new)
    meta["renamed_columns"] = renamed
    df["row"] = np.arange(1, len(df) + 1)
    stand_ins: set[str] = set()
    if not _check_columns(df, problems, names=list(raw.columns)):
        stand_ins = _stand_ins(df)
    _trim_text(df, problems)
    _normalise_site_ids(df, problems)
    df = _drop_blank_rows(df)
    if df.empty:
        problems.add(None, "", "", "the file has a header but no data rows")
        return None
    return df, stand_ins


def _stand_ins(df: pd.DataFrame) -> set[str]:
    """Add an empty column for each missing required one.

    Returns the names of the columns whose row problems only a stand-in would cause.
    """
    added: set[str] = set()
    wanted = {
        "site_id": ("site_id",),
        "quantity": ("quantity", "quantity_t"),
        "lon": ("lon",),
        "lat": ("lat",),
        "substance": ("substance", "cas", "category"),
    }
    for col, any_of in wanted.items():
        if not set(any_of) & set(df.columns):
            df[col] = ""
            added.add(col)
    if added & {"lon", "lat"}:
        added |= {"lon", "lat", "lon/lat"}
    return added


def _check_cells(df: pd.DataFrame, problems: _Problems) -> None:
    """Report missing site ids, spreadsheet error values and malformed country codes."""
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


def _holdings(df: pd.DataFrame, problems: _Problems, *, decimal: str) -> pd.DataFrame:
    """Parse quantities and coordinates, identify the substances and build the holdings."""
    quantity_t = _quantities(df, problems, decimal=decimal)
    lon, lat = _coordinates(df, problems, decimal=decimal)
    categories = _categories(df, problems, set(tables.annex_part1()["code"]))
    key, item = _identify(df, categories, problems)
    categories = _outside_annex(df, categories, key, problems)
    empty = pd.Series("", index=df.index)
    out = pd.DataFrame(
        {
            "row": df["row"].astype(int),
            "site_id": df["site_id"],
            "site_name": df.get("site_name", empty),
            "operator": df.get("operator", empty),
            "country": df.get("country", empty),
            "lon": lon,
            "lat": lat,
            "substance": df.get("substance", empty),
            "cas": df.get("cas", empty),
            "substance_key": key,
            "part2_item": item,
            "category": categories,
            "groups_override": _groups(df, problems),
            "grade": df.get("grade", empty),
            "quantity_t": quantity_t,
            "isolated_small": _flags(df, "isolated_small", problems),
            "indoor": _flags(df, "indoor", problems),
        }
    )
    for extra in ("address", "activity_type"):
        if extra in df.columns:
            out[extra] = df[extra].astype(str).str.strip()
    for col, what in (("largest_vessel_t", "largest vessel"), ("bund_m2", "bund area")):
        if col in df.columns:
            out[col] = _positive(df, col, problems, what=what, decimal=decimal)
    if "storage" in df.columns:
        out["storage"] = _storage(df, problems)
    return out


def _outside_annex(
    df: pd.DataFrame, categories: pd.Series, key: pd.Series, problems: _Problems
) -> pd.Series:
    """Check the holdings declared outside Annex I (category ``none``) and report them.

    A dash in the category of a substance hazid knows means "no category given" (it is read as
    empty); an explicit ``none`` for such a substance is an error.
    """
    outside = categories == OUTSIDE
    if not outside.any():
        return categories
    dash = df["category"].astype(str).str.strip().str.fullmatch(r"[-\u2013\u2014]")
    blank = outside & (key != "") & dash
    categories = categories.where(~blank, "")
    outside &= ~blank
    known = outside & (key != "")
    for idx in known[known].index:
        problems.add(
            int(df.at[idx, "row"]),
            "category",
            df.at[idx, "category"],
            f"{key[idx].replace('_', ' ')} is covered by Annex I (named, or by its hazard "
            "categories): it cannot be declared outside Annex I; give its category or leave "
            "the category empty",
        )
    rows = df.loc[outside & ~known, "row"].tolist()
    if rows:
        problems.warn(
            f"row(s) {_row_list(rows)} declared outside Annex I (category none): listed, "
            "counted in no threshold or sum"
        )
    return categories


def _fill_site_attributes(out: pd.DataFrame) -> None:
    """Give every holding of a site the attributes of the first row that gives them."""
    for col in ("lon", "lat"):
        out[col] = out.groupby("site_id")[col].transform("first")
    for col in ("site_name", "operator", "country", "address", "activity_type"):
        if col in out.columns:
            first = out[col].where(out[col] != "").groupby(out["site_id"]).transform("first")
            out[col] = first.fillna("")


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
    source: str | Path | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    layer: str | None = None,
    allow_duplicates: bool = False,
    limits: InputLimits | None = None,
) -> pd.DataFrame:
    """Read and validate an inventory; raise on any problem.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        CSV (UTF-8, with or without BOM; another encoding such as UTF-16, Windows-1251 or
        KOI8-R is detected and read with a warning; separator ``,`` ``;`` or tab, decimal
        commas recognised in a ``;`` or tab file), XLSX, GeoPackage, GeoJSON or Shapefile
        (points; any CRS, read as WGS84), or a table of strings.
    sheet : str or int, optional
        Worksheet of an XLSX file, by name or 0-based position (default: the active sheet).
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    allow_duplicates : bool, default False
        Add up rows that repeat an earlier row exactly instead of reporting them.
    limits : InputLimits, optional
        Largest input accepted (default :class:`~hazid.inventory.limits.InputLimits`).

    Returns
    -------
    pandas.DataFrame
        One row per holding: ``row`` (data row in the file), ``site_id``, ``site_name``,
        ``operator``, ``country``, ``lon``, ``lat`` (WGS84 degrees), ``substance``, ``cas``,
        ``substance_key`` (canonical key, empty when known only by category), ``part2_item``,
        ``category`` (Part I codes joined by ``;``, or ``none`` for a holding declared outside
        Annex I), ``groups_override``, ``grade``, ``quantity_t`` (tonnes), ``isolated_small``,
        ``indoor``; and, when the file has them, ``address``, ``activity_type``,
        ``largest_vessel_t`` (tonnes), ``storage`` (pressurised, refrigerated, atmospheric,
        solution or solid) and ``bund_m2``. ``attrs`` carries the source name, its SHA-256,
        the renamed columns, ``encoding``, ``separator`` and ``decimal`` of a text file,
        ``sheet`` (and ``sheets``) of a workbook, and ``warnings`` (messages about a usable but
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
    holdings, problems = validate_inventory(
        source, sheet=sheet, layer=layer, allow_duplicates=allow_duplicates, limits=limits
    )
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
