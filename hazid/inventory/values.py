"""Cell values: numbers, quantities and units, coordinates, yes/no flags and hazard groups.

Numbers are parsed column-wise; only cells that do not parse at once are looked at as text, to
say why (blank, placeholder, formula, decimal comma, trailing unit ...). Quantities are converted
to tonnes; implausibly large ones are taken for a unit mistake. Coordinates are WGS84 decimal
degrees; out-of-range and swapped pairs are reported, and 0, 0 raises a warning.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from hazid.columns import map_values
from hazid.inventory.problems import _expand, _Problems, _row_list

#: Quantity units accepted in the ``unit`` column (compared lower-case, without dots or spaces)
#: and their factor to tonnes. A "ton" is read as the metric tonne, as Annex I thresholds are.
UNITS: dict[str, float] = {
    "t": 1.0,
    "tonne": 1.0,
    "tonnes": 1.0,
    "ton": 1.0,
    "tons": 1.0,
    "т": 1.0,
    "тн": 1.0,
    "тонн": 1.0,
    "тонна": 1.0,
    "тонны": 1.0,
    "kg": 1e-3,
    "kilogram": 1e-3,
    "kilograms": 1e-3,
    "кг": 1e-3,
    "килограмм": 1e-3,
    "килограммов": 1e-3,
}
#: Ways of storing a substance accepted in the ``storage`` column (with Russian synonyms).
STORAGE: dict[str, str] = {
    "pressurised": "pressurised",
    "pressurized": "pressurised",
    "refrigerated": "refrigerated",
    "atmospheric": "atmospheric",
    "solution": "solution",
    "solid": "solid",
    "под давлением": "pressurised",
    "охлаждаемое": "refrigerated",
    "изотермическое": "refrigerated",
    "атмосферное": "atmospheric",
    "раствор": "solution",
    "твердое": "solid",
    "твёрдое": "solid",
}

#: Above this many tonnes a quantity is taken for a unit mistake.
MAX_PLAUSIBLE_T = 10_000_000.0

_TRUE = {"true", "yes", "y", "1", "t", "да", "истина", "иә"}
_FALSE = {"false", "no", "n", "0", "f", "", "нет", "ложь", "жоқ"}
_GROUPS = {"health", "physical", "environmental"}


#: Cell texts that stand for "no value".
_PLACEHOLDER_RE = r"(?i)nan|n/?a|null|none|-+|\u2014|\?+"
#: Spreadsheet formulas and error values (``#N/A``, ``#DIV/0!``, ``#REF!`` ...).
_SHEET_RE = r"=.*|#(?:N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|SPILL!|CALC!|GETTING_DATA)"


def _norm_text(s: pd.Series) -> pd.Series:
    """Lower-case and collapse white space (applied on unique values for speed)."""
    return map_values(s, lambda u: " ".join(str(u).lower().split()))


def _to_number(
    df: pd.DataFrame,
    column: str,
    problems: _Problems,
    *,
    required: bool,
    what: str,
    text_hint: str,
    decimal: str = ".",
) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers; return the values and which cells were left blank.

    Blank means empty, white space or a placeholder such as ``n/a`` or ``nan``. Only cells that
    do not parse at once are looked at as text, so clean large tables stay fast.
    """
    raw = df[column]
    if decimal == ",":  # a file written with decimal commas: 12,5 is 12.5, 1 500,5 is 1500.5
        text = raw.astype(str).str.strip()
        comma = text.str.fullmatch(r"[-+]?\d*,\d+|[-+]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?")
        plain = text.str.replace(r"[ \u00a0\u202f]", "", regex=True).str.replace(",", ".")
        raw = raw.where(~comma, plain)
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


def _units(df: pd.DataFrame, problems: _Problems) -> pd.Series:
    """Factor to tonnes of each row's unit (NaN where the unit is unknown; blank is tonnes)."""
    unit = (
        df["unit"]
        .astype(str)
        .pipe(map_values, lambda u: re.sub(r"[\s.]+", "", unicodedata.normalize("NFKC", u)).lower())
    )
    factor = map_values(unit.where(unit != "", "t"), UNITS)
    problems.add_many(
        factor.isna(),
        df,
        "unit",
        "unknown unit: use t (tonnes: т, тонн, тонна, tonnes) or kg (кг)",
    )
    return factor.astype(float)


def _quantities(df: pd.DataFrame, problems: _Problems, *, decimal: str = ".") -> pd.Series:
    """Quantities in tonnes; ``quantity_t`` is in tonnes by definition and takes no unit."""
    hint = "give the number only, and the unit (t or kg) in the unit column"
    if "quantity_t" in df.columns and "quantity" not in df.columns:
        q, _ = _to_number(
            df, "quantity_t", problems, required=True, what="quantity", text_hint=hint,
            decimal=decimal,
        )  # fmt: skip
        column = "quantity_t"
        if "unit" in df.columns:
            given = df["unit"].astype(str).str.strip() != ""
            problems.add_many(
                given,
                df,
                "unit",
                "a unit next to quantity_t, which is in tonnes by definition: name the column "
                "quantity to use the unit, or remove the unit",
            )
    else:
        q, _ = _to_number(
            df, "quantity", problems, required=True, what="quantity", text_hint=hint,
            decimal=decimal,
        )  # fmt: skip
        column = "quantity"
        if "quantity_t" in df.columns:
            problems.warn("both quantity and quantity_t are given: quantity_t is ignored")
        if "unit" in df.columns:
            q = q * _units(df, problems)
    problems.add_many(q < 0, df, column, "quantity is negative")
    problems.add_many(
        q > MAX_PLAUSIBLE_T,
        df,
        column,
        f"quantity above {MAX_PLAUSIBLE_T:,.0f} t is implausible: check the unit",
    )
    return q


def _coordinates(
    df: pd.DataFrame, problems: _Problems, *, decimal: str = "."
) -> tuple[pd.Series, pd.Series]:
    hint = "give signed decimal degrees (41.3, negative for S and W), not degrees and minutes"
    lon, lon_blank = _to_number(
        df, "lon", problems, required=False, what="longitude", text_hint=hint, decimal=decimal
    )
    lat, lat_blank = _to_number(
        df, "lat", problems, required=False, what="latitude", text_hint=hint, decimal=decimal
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


def _flags(df: pd.DataFrame, column: str, problems: _Problems) -> pd.Series:
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    text = _norm_text(df[column].astype(str))
    val = map_values(text, lambda v: True if v in _TRUE else (False if v in _FALSE else None))
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


def _positive(
    df: pd.DataFrame, column: str, problems: _Problems, *, what: str, decimal: str = "."
) -> pd.Series:
    """Parse an optional column of numbers greater than zero (NaN where blank)."""
    if column not in df.columns:
        return pd.Series(np.nan, index=df.index)
    num, _ = _to_number(
        df, column, problems, required=False, what=what, text_hint="give the number only",
        decimal=decimal,
    )  # fmt: skip
    problems.add_many(num <= 0, df, column, f"{what} must be greater than zero")
    return num


def _storage(df: pd.DataFrame, problems: _Problems) -> pd.Series:
    """Read the optional ``storage`` column as codes of :data:`STORAGE` ("" where blank)."""
    if "storage" not in df.columns:
        return pd.Series("", index=df.index)
    text = _norm_text(df["storage"].astype(str))
    code = map_values(text, STORAGE)
    bad = code.isna() & (text != "")
    allowed = ", ".join(dict.fromkeys(STORAGE.values()))
    problems.add_many(bad, df, "storage", f"unknown storage: use one of {allowed}")
    return code.fillna("")
