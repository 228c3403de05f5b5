"""Inventories as agencies keep them: Russian headers, decimal commas, units, category none.

Also the template workbook, the optional zone columns, and a fuzz test of validation.
"""

from __future__ import annotations

import string

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hazid.annex import classify
from hazid.cli import app
from hazid.errors import ChoiceError, InventoryError, OutputError
from hazid.inventory import COLUMN_ALIASES, read_inventory, validate_inventory, write_template

RU_CSV = (
    "Код объекта;Наименование;Оператор;Страна;Вещество;CAS;Категория;Количество;Единица;"
    "Широта;Долгота\n"
    "KZ-01;Павлодарский химзавод;ТОО Химпром;KAZ;хлор;7782-50-5;;12,5;т;52,29;76,95\n"
    "KZ-01;Павлодарский химзавод;ТОО Химпром;KAZ;аммиак;;;1500;кг;52,29;76,95\n"
    "KZ-01;Павлодарский химзавод;ТОО Химпром;KAZ;серная кислота;;none;300;тонн;52,29;76,95\n"
    "KZ-02;Склад;ТОО Склад;KAZ;метанол;;;0,5;Т.;43,25;76,9\n"
    "KZ-03;Нефтебаза;ТОО Нефть;KAZ;дизельное топливо;;;1\u00a0500,5;т;43,3;76,9\n"
)


def test_a_russian_semicolon_decimal_comma_csv_reads_clean_and_is_reported(tmp_path):
    path = tmp_path / "ru.csv"
    path.write_bytes(RU_CSV.encode("cp1251"))
    holdings = read_inventory(path)
    assert holdings["quantity_t"].tolist() == [12.5, 1.5, 300.0, 0.5, 1500.5]
    assert holdings["lat"].tolist() == [52.29, 52.29, 52.29, 43.25, 43.3]
    assert holdings["substance_key"].tolist() == ["chlorine", "ammonia", "", "methanol", "diesel"]
    assert holdings["category"].tolist() == ["", "", "none", "", ""]
    assert holdings.attrs["separator"] == ";" and holdings.attrs["decimal"] == ","
    assert holdings.attrs["renamed_columns"]["Код объекта"] == "site_id"
    warnings = holdings.attrs["warnings"]
    assert any("separated by ';' with decimal commas" in w for w in warnings)
    assert any("not UTF-8; read it as Windows-1251" in w for w in warnings)
    assert any("row(s) 3 declared outside Annex I (category none)" in w for w in warnings)


def test_a_workbook_with_numbers_typed_as_text_with_decimal_commas(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["код объекта", "долгота", "широта", "вещество", "количество"])
    wb.active.append(["KZ-01", "76,95", "52,29", "хлор", "12,5"])
    wb.active.append(["KZ-02", "76,9", "43,25", "аммиак", 150])
    wb.save(tmp_path / "ru.xlsx")
    holdings = read_inventory(tmp_path / "ru.xlsx")
    assert holdings["quantity_t"].tolist() == [12.5, 150.0]
    assert holdings["lon"].tolist() == [76.95, 76.9] and holdings.attrs["decimal"] == ","
    assert "typed as text with decimal commas" in holdings.attrs["warnings"][0]


def test_a_semicolon_file_that_mixes_decimal_points_and_commas_is_not_guessed(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("site_id;lon;lat;substance;quantity\nA;69.2;41.3;chlorine;12,5\n")
    with pytest.raises(InventoryError, match="quantity uses a decimal comma"):
        read_inventory(path)


def test_every_column_has_a_russian_alias():
    lookup = {a for aliases in COLUMN_ALIASES.values() for a in aliases}
    for canon, aliases in COLUMN_ALIASES.items():
        assert any(any("\u0400" <= c <= "\u04ff" for c in a) for a in aliases), canon
    for name in ("код_объекта", "наименование", "оператор", "вещество", "категория",
                 "количество", "единица", "широта", "долгота", "страна", "номер_cas"):  # fmt: skip
        assert name in lookup, name


def _inv(**cols):
    base = {"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"], "substance": ["chlorine"],
            "quantity": ["1"]}  # fmt: skip
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("unit", "tonnes"),
    [("т", 2.0), ("Т.", 2.0), ("тонн", 2.0), ("тонна", 2.0), ("ТОННЫ", 2.0), ("t", 2.0),
     ("T.", 2.0), ("tonnes", 2.0), ("Tonnes", 2.0), ("кг", 0.002), ("КГ.", 0.002),
     ("kg", 0.002), ("Kg.", 0.002), ("", 2.0)],
)  # fmt: skip
def test_units_case_and_dot_insensitive(unit, tonnes):
    table = _inv(quantity=["2"], unit=[unit])
    assert read_inventory(table).loc[0, "quantity_t"] == pytest.approx(tonnes)


@pytest.mark.parametrize("token", ["none", "None", "-", "\u2014", "нет"])
def test_category_none_is_listed_counted_in_no_sum_and_reported(token):
    table = pd.DataFrame(
        {"site_id": ["A", "A"], "lon": ["69.2", "69.2"], "lat": ["41.3", "41.3"],
         "substance": ["sulphuric acid", "chlorine"], "category": [token, ""],
         "quantity": ["50000", "20"]}
    )  # fmt: skip
    holdings = read_inventory(table)
    assert holdings["category"].tolist() == ["none", ""]
    sites, rows = classify(holdings)
    assert rows["annex_entry"].tolist() == ["outside Annex I", "II-10"]
    assert rows["in_sum"].tolist() == [False, True]
    assert sites.loc[0, "max_single_ratio"] == pytest.approx(0.8)
    assert not sites.loc[0, "hazardous"]
    assert "declared outside Annex I (in no sum): sulphuric acid" in sites.loc[0, "reasons"]


def test_a_site_with_only_holdings_outside_annex_i():
    holdings = read_inventory(_inv(substance=["sulphuric acid"], category=["none"]))
    sites, _ = classify(holdings)
    assert sites.loc[0, "reasons"].startswith("below every threshold: no holding under Annex I")


def test_a_substance_in_annex_i_cannot_be_declared_outside_it():
    _, problems = validate_inventory(_inv(category=["none"]))
    assert problems.loc[0, "problem"].startswith("chlorine is covered by Annex I")
    # a dash next to a known substance only means "no category given"
    holdings = read_inventory(_inv(category=["-"]))
    assert holdings.loc[0, "category"] == "" and holdings.attrs["warnings"] == []
    _, problems = validate_inventory(_inv(substance=["mystery"], category=["none;H2"]))
    assert "none (outside Annex I) together with other codes" in problems.loc[0, "problem"]


def test_a_missing_required_column_lists_the_columns_found_and_the_closest_alias():
    table = pd.DataFrame({"Код обьекта": ["A"], "долгота": ["69"], "широта": ["41"],
                          "вещество": ["хлор"], "количество": ["1"]})  # fmt: skip
    _, problems = validate_inventory(table)
    assert problems["problem"].tolist() == [
        "required column missing: site_id (columns found: 'Код обьекта', 'долгота', 'широта', "
        "'вещество', 'количество'); the closest is 'Код обьекта', which looks like "
        "'код_объекта': rename it"
    ]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_template_round_trips_through_validate(tmp_path, lang):
    path = write_template(tmp_path / "t.xlsx", lang=lang)
    holdings, problems = validate_inventory(path)
    assert problems.empty
    assert holdings.attrs["warnings"] == []
    assert holdings.loc[0, "substance_key"] == "chlorine"
    assert holdings.loc[0, "storage"] == "pressurised"
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.freeze_panes == "A2"
    lists = {
        str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation
    }
    header = [c.value for c in ws[1]]
    storage = openpyxl.utils.get_column_letter(header.index(
        "storage" if lang == "en" else "способ хранения") + 1)  # fmt: skip
    assert "pressurised" in lists[storage] or "под давлением" in lists[storage]
    assert len(wb.sheetnames) == 2 and wb[wb.sheetnames[1]].max_row == len(header) + 1


def test_the_template_never_replaces_a_file_and_checks_the_language(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    with pytest.raises(OutputError, match=r"t\.xlsx exists"):
        write_template(path)
    with pytest.raises(ChoiceError, match="lang must be one of 'en', 'ru'"):
        write_template(tmp_path / "u.xlsx", lang="de")


def test_cli_template(tmp_path):
    out = tmp_path / "inventory.xlsx"
    res = CliRunner().invoke(app, ["template", str(out), "--lang", "ru"])
    assert res.exit_code == 0 and out.is_file(), res.output
    assert CliRunner().invoke(app, ["validate", str(out)]).exit_code == 0
    res = CliRunner().invoke(app, ["template", str(out)])
    assert res.exit_code == 1 and "exists" in res.output


def test_optional_zone_columns_are_read_and_checked():
    table = _inv(
        site_id=["A", "B", "C"], lon=["69"] * 3, lat=["41"] * 3, substance=["chlorine"] * 3,
        quantity=["1"] * 3, largest_vessel_t=["0.5", "", "0"], storage=["Refrigerated", "", "jar"],
        bund_m2=["120", "-1", "x"],
    )  # fmt: skip
    holdings, problems = validate_inventory(table)
    assert holdings["storage"].tolist() == ["refrigerated", "", ""]
    assert holdings.loc[0, "largest_vessel_t"] == 0.5 and holdings.loc[0, "bund_m2"] == 120
    assert problems[["row", "column"]].to_dict("records") == [
        {"row": 2, "column": "bund_m2"},
        {"row": 3, "column": "bund_m2"},
        {"row": 3, "column": "largest_vessel_t"},
        {"row": 3, "column": "storage"},
    ]
    assert problems["problem"].tolist() == [
        "bund area must be greater than zero",
        "bund area is not a number",
        "largest vessel must be greater than zero",
        "unknown storage: use one of pressurised, refrigerated, atmospheric, solution, solid",
    ]


# --- fuzz ----------------------------------------------------------------------------------

CELL = st.one_of(
    st.text(
        alphabet=st.characters(
            codec="utf-8",
            categories=["L", "N", "P", "S", "Z", "Cc", "Cf"],  # control and format (bidi) chars
            include_characters="\u202e\u202d\u2066\u2067\u2069\u200b\u00a0\ufeff\t\r\n=+-@;,\"'",
        ),
        max_size=12,
    ),
    st.sampled_from(["", "none", "-", "1,5", "12.5", "1e308", "inf", "=1+1", "#N/A", "kg", "т",
                     "chlorine", "H2;E1", "KAZ", "69.2", "41.3", "true", "да", "солид"]),
)  # fmt: skip
COLUMNS = st.lists(
    st.sampled_from(
        ["site_id", "lon", "lat", "substance", "quantity", "quantity_t", "unit", "category",
         "country", "cas", "grade", "groups", "storage", "bund_m2", "largest_vessel_t",
         "isolated_small", "indoor", "site_name", "количество", "широта", "долгота"]
    ),
    min_size=1, max_size=8,
)  # fmt: skip


@settings(
    derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(columns=COLUMNS, data=st.data())
def test_random_cells_give_holdings_or_an_inventory_error(columns, data):
    rows = data.draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)),
                              min_size=1, max_size=6))  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    holdings, problems = validate_inventory(table)
    assert list(problems.columns) == ["row", "column", "value", "problem"]
    assert problems["problem"].map(lambda p: isinstance(p, str) and p != "").all()
    try:
        read_inventory(table)
    except InventoryError as err:
        assert str(err) and len(err.problems) == len(problems)
    else:
        assert problems.empty and len(holdings) >= 1


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00")
        | st.sampled_from([*string.printable, "\u202e", "\u2067", "\u200b"]),
        max_size=200,
    ),
    codec=st.sampled_from(["utf-8", "utf-16", "cp1251", "koi8_r"]),
)
def test_random_csv_text_in_any_encoding_gives_holdings_or_an_inventory_error(
    tmp_path_factory, text, codec
):
    path = tmp_path_factory.mktemp("fuzz") / "inventory.csv"
    path.write_bytes(
        ("site_id,lon,lat,substance,quantity\n" + text).encode(codec, errors="replace")
    )
    _, problems = validate_inventory(path)
    try:
        read_inventory(path)
    except InventoryError as err:
        assert str(err) and len(err.problems) == len(problems)


def test_a_missing_column_does_not_hide_the_problems_of_the_other_columns():
    table = pd.DataFrame({"site": ["A", "B"], "substance": ["chlorine", "mystery"],
                          "quantity": ["1", "-3"], "country": ["KAZ", "kz"]})  # fmt: skip
    _, problems = validate_inventory(table)
    assert problems["column"].tolist() == ["lon and lat", "country", "quantity", "substance"]
    assert problems["row"].tolist()[1:] == [2, 2, 2] and pd.isna(problems.loc[0, "row"])
