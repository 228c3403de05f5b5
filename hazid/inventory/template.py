"""An empty inventory workbook to fill in: the columns, what they mean, their allowed values.

:func:`write_template` writes an XLSX workbook whose first (and active) sheet has one header row
with every column hazid reads, in English or Russian, an example row that validates cleanly,
and drop-down lists (data validation) for the columns with fixed values. A second sheet lists
each column with its meaning, its allowed values and whether it is required. The workbook reads
back through :func:`~hazid.inventory.validate_inventory` without a problem.
"""

from __future__ import annotations

from pathlib import Path

from hazid import tables
from hazid.errors import OutputError, check_choice
from hazid.inventory.values import STORAGE

__all__ = ["write_template"]

#: (column, Russian header, required, English meaning, Russian meaning); English header = column
_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("site_id", "код объекта", "yes",
     "Identifier of the site; the same in every row of the site",
     "Идентификатор объекта; одинаковый во всех строках объекта"),
    ("site_name", "наименование объекта", "",
     "Name of the site", "Наименование объекта"),
    ("operator", "оператор", "", "Operating company", "Эксплуатирующая организация"),
    ("country", "страна", "",
     "ISO 3166 alpha-3 code of the country of the site (KAZ, KGZ, TJK, TKM, UZB ...)",
     "Код страны объекта ISO 3166 alpha-3 (KAZ, KGZ, TJK, TKM, UZB ...)"),
    ("address", "адрес", "", "Address", "Адрес"),
    ("activity_type", "вид деятельности", "", "Kind of activity", "Вид деятельности"),
    ("lon", "долгота", "yes",
     "Longitude, WGS84 decimal degrees (negative west of Greenwich)",
     "Долгота, десятичные градусы WGS84 (к западу от Гринвича отрицательная)"),
    ("lat", "широта", "yes",
     "Latitude, WGS84 decimal degrees (negative south of the equator)",
     "Широта, десятичные градусы WGS84 (к югу от экватора отрицательная)"),
    ("substance", "вещество", "yes*",
     "Name of the substance (* substance, CAS or category is required)",
     "Наименование вещества (* нужно вещество, CAS или категория)"),
    ("cas", "номер CAS", "yes*", "CAS registry number, NNNNNNN-NN-N", "Номер CAS, NNNNNNN-NN-N"),
    ("category", "категория", "yes*",
     "Annex I Part I categories, joined by ; (H2;E1), for a substance not named in Part II; "
     "none for a substance outside Annex I",
     "Категории части I приложения I через ; (H2;E1) для вещества, не названного в части II; "
     "none для вещества вне приложения I"),
    ("grade", "марка", "",
     "Grade of ammonium or potassium nitrate (picks the Part II entry)",
     "Марка нитрата аммония или калия (определяет позицию части II)"),
    ("quantity", "количество", "yes",
     "Largest quantity that is or may be present",
     "Наибольшее количество, которое есть или может быть"),
    ("unit", "единица измерения", "", "Unit of the quantity (empty: tonnes)",
     "Единица количества (пусто: тонны)"),
    ("isolated_small", "изолированное малое количество", "",
     "Small quantity located so that it cannot start a major accident (Annex I note)",
     "Малое количество, расположенное так, что не может вызвать крупную аварию"),
    ("groups", "группы опасности", "",
     "Override of the summation groups: health, physical, environmental",
     "Замена групп суммирования: health, physical, environmental"),
    ("indoor", "в здании", "", "Held inside a building", "Хранится внутри здания"),
    ("largest_vessel_t", "наибольшая ёмкость, т", "",
     "Content of the largest vessel, tonnes", "Содержимое наибольшей ёмкости, т"),
    ("storage", "способ хранения", "", "How the substance is stored", "Способ хранения вещества"),
    ("bund_m2", "площадь обвалования, м2", "",
     "Area of the bund (secondary containment), square metres",
     "Площадь обвалования (поддона), квадратные метры"),
)  # fmt: skip

#: Example row per language (validates cleanly: chlorine is a named substance, 20 t < 25 t).
_EXAMPLE = {
    "en": {
        "site_id": "KZ-0001", "site_name": "Example water treatment plant",
        "operator": "Example Vodokanal", "country": "KAZ", "address": "Shymkent",
        "activity_type": "water treatment", "lon": 69.59, "lat": 42.32, "substance": "chlorine",
        "cas": "7782-50-5", "quantity": 20, "unit": "t", "isolated_small": "no",
        "indoor": "no", "largest_vessel_t": 1, "storage": "pressurised",
    },
    "ru": {
        "site_id": "KZ-0001", "site_name": "Пример: водоочистная станция",
        "operator": "Пример: Водоканал", "country": "KAZ", "address": "Шымкент",
        "activity_type": "водоподготовка", "lon": 69.59, "lat": 42.32, "substance": "хлор",
        "cas": "7782-50-5", "quantity": 20, "unit": "т", "isolated_small": "нет",
        "indoor": "нет", "largest_vessel_t": 1, "storage": "под давлением",
    },
}  # fmt: skip

_TEXT = {
    "en": {"sheet": "inventory", "help": "columns",
           "heads": ("column", "meaning", "allowed", "required")},
    "ru": {"sheet": "инвентаризация", "help": "столбцы",
           "heads": ("столбец", "значение", "допустимо", "обязательно")},
}  # fmt: skip


def _allowed(lang: str) -> dict[str, tuple[list[str], bool]]:
    """Return the allowed values per column, and whether the list refuses other values."""
    yes_no = ["yes", "no"] if lang == "en" else ["да", "нет"]
    storage = (
        list(dict.fromkeys(STORAGE.values()))
        if lang == "en"
        else ["под давлением", "охлаждаемое", "атмосферное", "раствор", "твердое"]
    )
    codes = [*tables.annex_part1()["code"], "none"]
    return {
        "category": (codes, False),  # several codes joined by ; are also allowed
        "unit": (["t", "kg"] if lang == "en" else ["т", "кг"], True),
        "isolated_small": (yes_no, True),
        "indoor": (yes_no, True),
        "groups": (["health", "physical", "environmental"], False),
        "storage": (storage, True),
    }


def write_template(path: str | Path, *, lang: str = "en", overwrite: bool = False) -> Path:
    """Write an empty inventory workbook (XLSX) to fill in.

    Parameters
    ----------
    path : str or Path
        Workbook to write (``.xlsx``); its folder must exist.
    lang : {"en", "ru"}, default "en"
        Language of the column headers, their meanings and the example row.
    overwrite : bool, default False
        Replace an existing file (by default an existing file is never replaced, so that a
        filled-in inventory cannot be lost).

    Returns
    -------
    Path
        The workbook written.

    Raises
    ------
    ChoiceError
        When ``lang`` is not one of the allowed values.
    OutputError
        When the file exists (and ``overwrite`` is false) or cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hazid.inventory import validate_inventory
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_template(pathlib.Path(folder) / "inventory.xlsx", lang="ru")
    ...     holdings, problems = validate_inventory(out)
    >>> len(problems), holdings.loc[0, "substance_key"], holdings.attrs["sheet"]
    (0, 'chlorine', 'инвентаризация')
    """
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    check_choice("lang", lang, ("en", "ru"))
    out = Path(path)
    if out.exists() and not overwrite:
        raise OutputError(f"{out.name} exists: choose another name (a template never replaces it)")
    text = _TEXT[lang]
    allowed = _allowed(lang)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = text["sheet"]
    helper = wb.create_sheet(text["help"])
    helper.append(list(text["heads"]))
    example = _EXAMPLE[lang]
    for i, (col, ru, required, mean_en, mean_ru) in enumerate(_COLUMNS, start=1):
        header = col if lang == "en" else ru
        ws.cell(row=1, column=i, value=header).font = Font(bold=True)
        ws.cell(row=2, column=i, value=example.get(col))
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(header) + 2)
        values, strict = allowed.get(col, ([], False))
        helper.append([header, mean_en if lang == "en" else mean_ru, ", ".join(values), required])
        if values:
            dv = DataValidation(type="list", formula1=f'"{",".join(values)}"', allow_blank=True)
            dv.errorStyle = "stop" if strict else "information"
            dv.add(f"{letter}2:{letter}10000")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCD", (30, 90, 60, 12), strict=True):
        helper.column_dimensions[letter].width = width
    wb.active = 0
    try:
        wb.save(out)
    except OSError as err:
        raise OutputError(f"cannot write the template {out.name}: {err}") from err
    return out
