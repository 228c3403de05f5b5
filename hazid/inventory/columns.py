"""Column matching: canonical inventory columns, their aliases and the required set.

Header names are compared lower-case with spaces, dashes, dots and slashes read as underscores;
a column that two headers both mean is reported, and the columns hazid cannot do without
(a site id, a quantity, coordinates and something that identifies the substance) are checked.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

from hazid.inventory.problems import _Problems

#: Canonical column name -> accepted aliases (compared lower-case, with spaces, dashes, dots,
#: slashes, commas and brackets read as underscores and "ё" as "е"): English, Russian and, where
#: the term is established, Kazakh.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "site_id": (
        "id", "site", "facility_id", "installation_id", "establishment_id", "site_code",
        "код_объекта", "код", "идентификатор", "идентификатор_объекта", "номер_объекта",
        "код_предприятия", "объект_коды", "нысан_коды",
    ),
    "site_name": (
        "name", "facility", "facility_name", "installation", "installation_name",
        "наименование", "наименование_объекта", "название", "название_объекта", "объект",
        "объектінің_атауы", "нысан_атауы", "атауы",
    ),
    "operator": (
        "company", "owner", "operator_name", "оператор", "организация", "предприятие",
        "эксплуатирующая_организация", "владелец", "ұйым", "кәсіпорын",
    ),
    "country": (
        "iso3", "country_code", "iso_a3", "country_iso3", "страна", "код_страны", "ел",
        "мемлекет",
    ),
    "address": ("site_address", "location", "адрес", "местоположение", "мекенжай"),
    "activity_type": (
        "activity", "type", "sector", "вид_деятельности", "деятельность", "отрасль",
        "қызмет_түрі",
    ),
    "lon": ("longitude", "lng", "long", "x", "долгота", "бойлық"),
    "lat": ("latitude", "y", "широта", "ендік"),
    "substance": (
        "substance_name", "chemical", "material", "product", "вещество",
        "наименование_вещества", "опасное_вещество", "химическое_вещество", "зат",
        "заттың_атауы", "қауіпті_зат",
    ),
    "cas": ("cas_no", "cas_number", "cas_rn", "casrn", "номер_cas", "cas_номер", "cas_нөмірі"),
    "category": (
        "categories", "seveso_category", "annex_category", "part1_category", "категория",
        "категории", "категория_опасности", "санат", "санаты",
    ),
    "quantity": (
        "qty", "amount", "max_quantity", "maximum_quantity", "количество",
        "максимальное_количество", "кол_во", "масса", "саны", "мөлшері",
    ),
    "unit": (
        "units", "uom", "quantity_unit", "единица", "единица_измерения", "ед_изм", "единицы",
        "өлшем_бірлігі", "бірлік",
    ),
    "quantity_t": (
        "quantity_tonnes", "tonnes", "qty_t", "quantity_tons", "quantity_t", "количество_т",
        "количество_тонн", "масса_т", "саны_т", "мөлшері_т",
    ),
    "grade": ("an_grade", "nitrate_grade", "марка", "сорт", "маркасы"),
    "isolated_small": (
        "isolated", "small_isolated", "изолированное_малое_количество", "изолированное",
    ),
    "groups": ("hazard_groups", "group", "группы", "группы_опасности", "топтар"),
    "indoor": ("in_building", "inside_building", "в_здании", "внутри_здания", "ғимаратта"),
    "largest_vessel_t": (
        "largest_vessel", "largest_vessel_tonnes", "max_vessel_t", "vessel_t",
        "наибольшая_емкость_т", "наибольший_резервуар_т", "ең_үлкен_сыйымдылық_т",
    ),
    "storage": (
        "storage_type", "storage_state", "storage_condition", "хранение", "способ_хранения",
        "условия_хранения", "сақтау",
    ),
    "bund_m2": (
        "bund_area_m2", "bund_area", "dike_area_m2", "площадь_обвалования_м2", "обвалование_м2",
        "площадь_поддона_м2",
    ),
}  # fmt: skip

#: Zero-width characters removed from names and identifiers.
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _norm_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).translate(ZERO_WIDTH)
    text = text.strip().lower().replace("ё", "е")
    return re.sub(r"[\s\-./,;:()\[\]]+", "_", text).strip("_")


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


#: What each required column is, in the order they are checked.
_REQUIRED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("site_id", ("site_id",)),
    ("quantity (or quantity_t)", ("quantity", "quantity_t")),
    ("lon and lat", ("lon", "lat")),
    ("substance, cas or category", ("substance", "cas", "category")),
)


def _closest(missing: tuple[str, ...], found: list[str]) -> str:
    """Name the found column closest to a known name of a missing column (difflib)."""
    names = {}
    for canon in missing:
        for name in (canon, *COLUMN_ALIASES.get(canon, ())):
            names[name] = canon
    best: tuple[float, str, str] | None = None
    for col in found:
        key = _norm_name(col)
        for name in difflib.get_close_matches(key, list(names), n=1, cutoff=0.6):
            score = difflib.SequenceMatcher(None, key, name).ratio()
            if best is None or score > best[0]:
                best = (score, col, name)
    if best is None:
        return ""
    _, col, name = best
    return f"; the closest is {col!r}, which looks like {name!r}: rename it"


def _check_columns(
    df: pd.DataFrame, problems: _Problems, *, names: list[str] | None = None
) -> bool:
    """Report every required column missing, with the columns found and the closest alias.

    ``names`` are the column names as the file gives them (default: those of ``df``).
    """
    lookup = _column_lookup()
    found = [str(c) for c in (names if names is not None else df.columns) if c != "row"]
    unmatched = [
        c for c in map(str, df.columns) if c != "row" and lookup.get(_norm_name(c)) is None
    ]
    shown = ", ".join(repr(c) for c in found[:30]) + (" ..." if len(found) > 30 else "")
    missing = []
    for label, canon in _REQUIRED:
        have = set(canon) & set(df.columns)
        if (label == "lon and lat" and have != set(canon)) or not have:
            missing.append((label, canon))
    for label, canon in missing:
        lacking = tuple(c for c in canon if c not in df.columns)
        problems.add(
            None,
            label,
            "",
            f"required column missing: {label} (columns found: {shown})"
            + _closest(lacking, unmatched),
        )
    return not missing
