"""Read and validate site inventories.

An inventory is one long table with one row per *holding* (a substance present at a site).
:func:`read_inventory` reads CSV, XLSX, GeoPackage or GeoJSON, matches column names
case-insensitively (with common aliases), identifies every substance against the Annex I tables
and returns a clean holdings table. Validation collects **every** problem before it raises
:class:`~hazid.errors.InventoryError`, whose ``problems`` attribute is a table with one row per
problem (``row``, ``column``, ``value``, ``problem``).
"""

from __future__ import annotations

import hashlib
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


@dataclass
class _Problems:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: Any, column: str, value: Any, problem: str) -> None:
        self.rows.append({"row": row, "column": column, "value": value, "problem": problem})

    def add_many(self, mask: pd.Series, df: pd.DataFrame, column: str, problem: str) -> None:
        for idx in np.flatnonzero(mask.to_numpy()):
            val = df[column].iloc[idx] if column in df.columns else None
            self.add(int(df["row"].iloc[idx]), column, val, problem)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["row", "column", "value", "problem"])
        df["row"] = df["row"].astype("Int64")
        df["value"] = df["value"].map(lambda v: "" if v is None or v is pd.NA else str(v))
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


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_csv(path: Path, problems: _Problems) -> pd.DataFrame | None:
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        problems.add(None, "", "", "the file is empty")
        return None
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            logger.warning("%s is not UTF-8; read it as %s", path.name, encoding)
        break
    else:  # pragma: no cover - cp1251 decodes every byte but 0x98
        problems.add(None, "", "", "the file is neither UTF-8 nor Windows-1251 text")
        return None
    sample = text[:4096]
    sep = ";" if sample.count(";") > sample.count(",") and "\t" not in sample else ","
    if sample.count("\t") > max(sample.count(","), sample.count(";")):
        sep = "\t"
    import io

    try:
        return pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.ParserError as err:
        problems.add(None, "", "", f"the file is not a readable CSV table: {err}")
        return None


def _read_xlsx(path: Path, problems: _Problems, sheet: str | int | None) -> pd.DataFrame | None:
    try:
        df = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=str)
    except ValueError as err:
        problems.add(None, "", "", f"cannot read the spreadsheet: {err}")
        return None
    df = df.fillna("")
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed:")]
    if unnamed and len(df.columns) > len(unnamed):
        problems.add(
            None,
            "",
            ", ".join(map(str, unnamed)),
            "header cells are empty or merged: give every column a name in one header row",
        )
    return df


def _read_vector(path: Path, problems: _Problems, layer: str | None) -> pd.DataFrame | None:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        problems.add(None, "", "", f"cannot read the layer: {err}")
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
    lon = np.where(ok, pts.x.where(ok), np.nan)
    lat = np.where(ok, pts.y.where(ok), np.nan)
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


def _rename(df: pd.DataFrame, problems: _Problems) -> tuple[pd.DataFrame, dict[str, str]]:
    lookup: dict[str, str] = {}
    for canon, aliases in COLUMN_ALIASES.items():
        lookup[canon] = canon
        for alias in aliases:
            lookup.setdefault(alias, canon)
    renamed: dict[str, str] = {}
    seen: dict[str, str] = {}
    new_names = []
    for col in df.columns:
        key = _norm_name(col)
        canon = lookup.get(key)
        if canon is None:
            new_names.append(str(col))
            continue
        if canon in seen:
            problems.add(
                None, str(col), "", f"column {col!r} duplicates {seen[canon]!r} (both mean {canon})"
            )
            new_names.append(str(col))
            continue
        seen[canon] = str(col)
        if str(col) != canon:
            renamed[str(col)] = canon
        new_names.append(canon)
    out = df.copy()
    out.columns = new_names
    return out, renamed


def _to_number(
    df: pd.DataFrame, column: str, problems: _Problems, *, required: bool, what: str
) -> pd.Series:
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    # only cells that did not parse are looked at as text (fast on large tables)
    failed = num.isna()
    text = raw[failed].astype(str).str.strip()
    empty = text == ""
    if required:
        problems.add_many(_expand(empty, df), df, column, f"missing {what}")
    retry = pd.to_numeric(text.where(~empty), errors="coerce").astype(float)
    num.loc[retry.index] = retry
    comma = ~empty & retry.isna() & text.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+|[-+]?\d*,\d+")
    problems.add_many(
        _expand(comma, df),
        df,
        column,
        f"{what} uses a decimal comma or thousands separator: write 12.5 or 1000",
    )
    bad = ~empty & retry.isna() & ~comma
    problems.add_many(_expand(bad, df), df, column, f"{what} is not a number")
    inf = pd.Series(np.isinf(num.to_numpy()), index=df.index)
    problems.add_many(inf, df, column, f"{what} is infinite")
    return num.where(~inf)


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
    if "quantity_t" in df.columns and "quantity" not in df.columns:
        q = _to_number(df, "quantity_t", problems, required=True, what="quantity")
        column = "quantity_t"
    else:
        q = _to_number(df, "quantity", problems, required=True, what="quantity")
        column = "quantity"
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
    lon = _to_number(df, "lon", problems, required=False, what="longitude")
    lat = _to_number(df, "lat", problems, required=False, what="latitude")
    lon_bad = lon.abs() > 180
    lat_bad = lat.abs() > 90
    swapped = lat_bad & (lon.abs() <= 90)
    problems.add_many(swapped, df, "lat", "latitude out of range: lat and lon look swapped")
    problems.add_many(lat_bad & ~swapped, df, "lat", "latitude out of range -90..90")
    problems.add_many(lon_bad, df, "lon", "longitude out of range -180..180")
    one_missing = lon.isna() ^ lat.isna()
    both_text = df["lon"].astype(str).str.strip().ne("") & df["lat"].astype(str).str.strip().ne("")
    problems.add_many(one_missing & ~both_text, df, "lon", "only one of lon/lat is given")
    return lon.where(~lon_bad & ~lat_bad), lat.where(~lon_bad & ~lat_bad)


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
    for sid, rec in conflict.iterrows():
        rows = coords.loc[coords.site_id == sid, "row"].tolist()
        problems.add(
            int(rec["first"]),
            "lon/lat",
            sid,
            f"site {sid!r} has conflicting coordinates in rows {', '.join(map(str, rows))}",
        )
    no_coords = set(out["site_id"]) - set(coords["site_id"])
    for sid in sorted(s for s in no_coords if s):
        row = int(out.loc[out.site_id == sid, "row"].min())
        problems.add(row, "lon/lat", sid, f"site {sid!r} has no coordinates")


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
        meta["sha256"] = _file_sha256(path)
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
    problems.add_many(df["site_id"] == "", df, "site_id", "missing site_id")
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
    out.attrs.update(meta)
    return out, problems.frame()


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
        name, its SHA-256 and the renamed columns.

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
