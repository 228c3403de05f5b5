"""Column matching: canonical inventory columns, their aliases and the required set.

Header names are compared lower-case with spaces, dashes, dots and slashes read as underscores;
a column that two headers both mean is reported, and the columns hazid cannot do without
(a site id, a quantity, coordinates and something that identifies the substance) are checked.
"""

from __future__ import annotations

import re

import pandas as pd

from hazid.inventory.problems import _Problems

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


def _norm_name(name: str) -> str:
    return re.sub(r"[\s\-./]+", "_", str(name).strip().lower()).strip("_")


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
