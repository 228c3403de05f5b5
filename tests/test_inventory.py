"""Inventory reading and validation: every problem, with its row, column and message."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from hazid import CRSError, InventoryError
from hazid.inventory import cas_is_valid, read_inventory, validate_inventory


def table(**cols):
    n = max(len(v) for v in cols.values())
    base = {"site_id": ["A"] * n, "lon": ["69.2"] * n, "lat": ["41.3"] * n}
    base.update(cols)
    return pd.DataFrame(base)


def problems_of(df):
    _, problems = validate_inventory(df)
    return problems


def one_problem(df, match):
    problems = problems_of(df)
    assert len(problems) == 1, problems
    assert match in problems.loc[0, "problem"], problems.loc[0, "problem"]
    return problems.loc[0]


def test_clean_inventory_normalised():
    inv = read_inventory(
        table(
            substance=["  Liquid   CHLORINE ", "NH3"], quantity=["20", "150000"], unit=["t", "kg"]
        )
    )
    assert inv["substance_key"].tolist() == ["chlorine", "ammonia"]
    assert inv["part2_item"].tolist() == [10, 35]
    assert inv["quantity_t"].tolist() == [20.0, 150.0]
    assert inv["row"].tolist() == [1, 2]


def test_column_aliases_case_insensitive_and_reported():
    df = pd.DataFrame(
        {"Facility ID": ["A"], "Longitude": ["69.2"], "LATITUDE": ["41.3"],
         "Chemical": ["chlorine"], "Quantity_Tonnes": ["3"]}
    )  # fmt: skip
    inv = read_inventory(df)
    assert inv["quantity_t"].tolist() == [3.0]
    assert inv.attrs["renamed_columns"]["Facility ID"] == "site_id"


@pytest.mark.parametrize(
    ("name", "key", "item"),
    [
        ("LPG", "lpg", 18),
        ("liquefied petroleum gas", "lpg", 18),
        ("propane", "propane", 18),
        ("Butane", "butane", 18),
        ("natural gas", "natural_gas", 18),
        ("methane", "methane", 18),
        ("anhydrous ammonia", "ammonia", 35),
        ("Cl2", "chlorine", 10),
        ("petrol", "gasoline", 34),
        ("diesel", "diesel", 34),
        ("kerosene", "kerosene", 34),
        ("jet fuel", "jet_fuel", 34),
        ("heavy fuel oil", "heavy_fuel_oil", 34),
        ("H2S", "hydrogen_sulphide", 37),
        ("phosgene", "phosgene", 27),
        ("methanol", "methanol", 22),
        ("hydrogen", "hydrogen", 15),
        ("oxygen", "oxygen", 25),
        ("sodium hypochlorite", "sodium_hypochlorite", 41),
    ],
)
def test_synonyms(name, key, item):
    inv = read_inventory(table(substance=[name], quantity=["1"]))
    assert inv.loc[0, "substance_key"] == key
    assert inv.loc[0, "part2_item"] == item


@pytest.mark.parametrize(
    ("grade", "item"),
    [("fertiliser", 2), ("technical", 3), ("off-spec", 4), ("self-sustaining", 1)],
)
def test_ammonium_nitrate_grade_picks_item(grade, item):
    inv = read_inventory(table(substance=["ammonium nitrate"], quantity=["1"], grade=[grade]))
    assert inv.loc[0, "part2_item"] == item


def test_ammonium_nitrate_without_grade_is_an_error():
    p = one_problem(table(substance=["ammonium nitrate"], quantity=["1"]), "needs a grade")
    assert p["column"] == "grade"


def test_cas_identifies_and_checks():
    inv = read_inventory(table(cas=["7782-50-5"], quantity=["1"]))
    assert inv.loc[0, "substance_key"] == "chlorine"
    assert cas_is_valid("7664-41-7") and not cas_is_valid("7664-41-8") and not cas_is_valid("x")
    p = one_problem(table(cas=["7782-50-4"], quantity=["1"]), "invalid CAS")
    assert p["value"] == "7782-50-4"


def test_cas_and_name_disagree():
    one_problem(table(substance=["ammonia"], cas=["7782-50-5"], quantity=["1"]), "is chlorine")


def test_category_only_holding_and_unknown_code():
    inv = read_inventory(table(substance=["mystery"], category=["h2; e1"], quantity=["1"]))
    assert inv.loc[0, "category"] == "H2;E1"
    assert inv.loc[0, "substance_key"] == ""
    one_problem(table(substance=["mystery"], category=["H9"], quantity=["1"]), "unknown Part I")


def test_unknown_substance_without_category():
    p = one_problem(table(substance=["unobtainium"], quantity=["1"]), "unknown substance")
    assert p["row"] == 1 and p["column"] == "substance"


def test_every_problem_reported_at_once():
    df = pd.DataFrame(
        {
            "site_id": ["A", "", "C", "D", "E", "F"],
            "lon": ["69", "69", "200", "41.3", "69", "abc"],
            "lat": ["41", "41", "41", "95", "41", "41"],
            "substance": ["chlorine", "chlorine", "chlorine", "chlorine", "foo", "chlorine"],
            "quantity": ["-1", "1", "1", "1", "1", "1,5"],
        }
    )
    problems = problems_of(df)
    got = {(int(r.row), r.column) for r in problems.itertuples()}
    assert {
        (1, "quantity"),
        (2, "site_id"),
        (3, "lon"),
        (4, "lat"),
        (5, "substance"),
        (6, "lon"),
        (6, "quantity"),
    } <= got
    swapped = problems[(problems.row == 4)].problem.iloc[0]
    assert "swapped" in swapped
    with pytest.raises(InventoryError, match=r"problems") as info:
        read_inventory(df)
    assert len(info.value.problems) == len(problems)


@pytest.mark.parametrize(
    ("quantity", "match"),
    [
        ("", "missing quantity"),
        ("ten", "not a number"),
        ("12,5", "decimal comma"),
        ("1,000", "decimal comma or thousands separator"),
        ("-3", "negative"),
        ("1e12", "implausible"),
        ("inf", "infinite"),
    ],
)
def test_bad_quantities(quantity, match):
    p = one_problem(table(substance=["chlorine"], quantity=[quantity]), match)
    assert p["column"] == "quantity"


def test_unknown_unit():
    one_problem(table(substance=["chlorine"], quantity=["1"], unit=["lb"]), "unknown unit")


def test_conflicting_and_missing_coordinates():
    df = pd.DataFrame(
        {"site_id": ["A", "A", "B"], "lon": ["69", "70", ""], "lat": ["41", "41", ""],
         "substance": ["chlorine"] * 3, "quantity": ["1"] * 3}
    )  # fmt: skip
    problems = problems_of(df)
    assert any("conflicting coordinates in rows 1, 2" in p for p in problems.problem)
    assert any("site 'B' has no coordinates" in p for p in problems.problem)


def test_coordinates_given_once_per_site_are_shared():
    df = pd.DataFrame(
        {"site_id": ["A", "A"], "lon": ["69", ""], "lat": ["41", ""],
         "substance": ["chlorine", "ammonia"], "quantity": ["1", "2"]}
    )  # fmt: skip
    inv = read_inventory(df)
    assert inv["lon"].tolist() == [69.0, 69.0]


def test_missing_required_columns():
    problems = problems_of(pd.DataFrame({"name": ["x"], "substance": ["chlorine"]}))
    assert set(problems.column) == {"site_id", "quantity (or quantity_t)", "lon and lat"}
    assert problems.row.isna().all()


def test_bad_flags_groups_country():
    df = table(
        substance=["chlorine"], quantity=["1"], isolated_small=["maybe"], groups=["toxic"],
        country=["Kazakhstan"],
    )  # fmt: skip
    problems = problems_of(df)
    assert set(problems.column) == {"isolated_small", "groups", "country"}


def test_empty_file_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InventoryError, match="the file is empty"):
        read_inventory(empty)
    header = tmp_path / "header.csv"
    header.write_text("site_id,lon,lat,substance,quantity\n")
    with pytest.raises(InventoryError, match="header but no data rows"):
        read_inventory(header)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="inventory file not found"):
        read_inventory(tmp_path / "nope.csv")


def test_unsupported_suffix(tmp_path):
    p = tmp_path / "inv.pdf"
    p.write_text("x")
    with pytest.raises(InventoryError, match="unsupported file type"):
        read_inventory(p)


def test_csv_bom_semicolon_and_cp1251(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffsite_id;lon;lat;substance;quantity\nA;69.2;41.3;хлор;30\n".encode())
    inv = read_inventory(p)
    assert inv.loc[0, "substance_key"] == "chlorine"
    assert len(inv.attrs["sha256"]) == 64
    p2 = tmp_path / "cp.csv"
    p2.write_bytes("site_id,lon,lat,substance,quantity\nA,69.2,41.3,аммиак,30\n".encode("cp1251"))
    assert read_inventory(p2).loc[0, "substance_key"] == "ammonia"


def test_xlsx(tmp_path):
    p = tmp_path / "inv.xlsx"
    table(substance=["chlorine"], quantity=["30"]).to_excel(p, index=False)
    assert read_inventory(p).loc[0, "quantity_t"] == 30.0


def test_geopackage_points_reprojected(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"site_id": ["A"], "substance": ["chlorine"], "quantity": [30.0]},
        geometry=[shapely.Point(69.2, 41.3)],
        crs=4326,
    ).to_crs(3857)
    p = tmp_path / "inv.gpkg"
    gdf.to_file(p)
    inv = read_inventory(p)
    assert inv.loc[0, "lon"] == pytest.approx(69.2) and inv.loc[0, "lat"] == pytest.approx(41.3)


def test_geojson_without_crs(tmp_path):
    p = tmp_path / "nocrs.geojson"
    gdf = gpd.GeoDataFrame(
        {"site_id": ["A"], "substance": ["chlorine"], "quantity": [30.0]},
        geometry=[shapely.Point(69.2, 41.3)],
    )
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(p, driver="GeoJSON")
    # GeoJSON is WGS84 by definition: GDAL reports EPSG:4326, so this reads fine
    assert read_inventory(p).loc[0, "lat"] == pytest.approx(41.3)
    p2 = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(p2)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        read_inventory(p2)


def test_blank_rows_are_ignored_and_rows_keep_their_file_position(tmp_path):
    p = tmp_path / "gaps.csv"
    p.write_text(
        "site_id,lon,lat,substance,quantity\n"
        "A,69.2,41.3,chlorine,20\n"
        "\n"
        ",,,,\n"
        "A,69.2,41.3,ammonia,ten\n"
    )
    _, problems = validate_inventory(p)
    assert problems[["row", "column"]].to_dict("records") == [{"row": 4, "column": "quantity"}]
    p.write_text(p.read_text().replace("ten", "150"))
    assert read_inventory(p)["row"].tolist() == [1, 4]


@pytest.mark.parametrize(
    ("quantity", "match"),
    [
        ("5 t", "text after the number: give the number only"),
        ("5000kg", "text after the number"),
        ("20 т", "text after the number"),
        ("=1+1", "spreadsheet formula"),
        ("#DIV/0!", "spreadsheet formula or error value"),
        ("nan", r"missing quantity \(a placeholder"),
        ("N/A", r"missing quantity \(a placeholder"),
        ("1 000", "thousands separator"),
        ("1.000,5", "decimal comma or thousands separator"),
        ("1e400", "infinite or too large"),
    ],
)
def test_quantity_cells_that_are_not_plain_numbers(quantity, match):
    problems = problems_of(table(substance=["chlorine"], quantity=[quantity]))
    assert len(problems) == 1, problems
    assert problems.loc[0, "column"] == "quantity"
    assert pd.Series(problems.loc[0, "problem"]).str.contains(match).all(), problems


def test_coordinates_in_degrees_and_minutes():
    df = table(substance=["chlorine"], quantity=["1"], lon=["69°12'E"], lat=["41.3"])
    problems = problems_of(df)
    assert "give signed decimal degrees" in problems.loc[0, "problem"]


def test_placeholder_coordinates_count_as_empty():
    df = pd.DataFrame(
        {"site_id": ["A", "A", "A"], "lon": ["69.2", "nan", "-"], "lat": ["41.3", "NaN", "-"],
         "substance": ["chlorine", "ammonia", "methanol"], "quantity": ["1", "2", "3"]}
    )  # fmt: skip
    assert read_inventory(df)["lat"].tolist() == [41.3] * 3
    one = table(substance=["chlorine"], quantity=["1"], lon=["n/a"])
    assert "only one of lon/lat" in problems_of(one).problem.iloc[0]


def test_zero_zero_coordinates_are_a_warning(caplog):
    df = table(substance=["chlorine"], quantity=["1"], lon=["0"], lat=["0.0"])
    with caplog.at_level("WARNING", logger="hazid.inventory"):
        inv = read_inventory(df)
    assert inv.attrs["warnings"] == [
        "coordinates 0, 0 (in the Gulf of Guinea; a missing value written as zero?) in row(s) 1"
    ]
    assert "coordinates 0, 0" in caplog.text
    assert read_inventory(table(substance=["chlorine"], quantity=["1"])).attrs["warnings"] == []


def test_conflicting_countries_of_one_site():
    df = table(substance=["chlorine", "ammonia", "methanol"], quantity=["1"] * 3,
               country=["KAZ", "uzb", ""])  # fmt: skip
    p = one_problem(df, "conflicting countries KAZ, UZB in rows 1, 2")
    assert p["column"] == "country" and p["row"] == 1


def test_many_conflicts_and_missing_coordinates_are_all_reported():
    n = 20_000
    df = pd.DataFrame(
        {"site_id": [f"S{i:05d}" for i in range(n)] * 2, "lon": [""] * (2 * n),
         "lat": [""] * (2 * n), "substance": ["chlorine"] * (2 * n),
         "quantity": ["1"] * n + ["2"] * n}
    )  # fmt: skip
    problems = problems_of(df)
    assert len(problems) == n
    assert problems["row"].tolist() == list(range(1, n + 1))
    df.loc[: n - 1, ["lon", "lat"]] = ["69", "41"]
    df.loc[n:, ["lon", "lat"]] = ["70", "41"]
    problems = problems_of(df)
    assert len(problems) == n
    assert (
        problems.loc[0, "problem"]
        == f"site 'S00000' has conflicting coordinates in rows 1, {n + 1}"
    )


def test_duplicated_columns(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text(
        "site_id,lon,lat,substance,quantity,quantity,note,note\nA,69,41,chlorine,1,2,x,y\n"
    )
    _, problems = validate_inventory(p)
    assert problems.problem.tolist() == ["column 'quantity' appears more than once: keep one"]
    cols = ["site_id", "lon", "lat", "substance", "quantity", "QTY"]
    df = pd.DataFrame([["A", "69", "41", "chlorine", "1", "2"]], columns=cols)
    assert "column 'QTY' duplicates 'quantity'" in problems_of(df).problem.iloc[0]


def test_empty_header_cell_over_values(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text("site_id,lon,lat,substance,quantity,\nA,69,41,chlorine,1,\n")
    assert len(read_inventory(p)) == 1  # an empty trailing column is harmless
    p.write_text("site_id,lon,lat,,quantity\nA,69,41,chlorine,1\n")
    with pytest.raises(InventoryError, match="column 4 has values but an empty header cell"):
        read_inventory(p)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"site_id,lon\nA\x00,1\n", "binary"),
        (b"PK\x03\x04rest", "ZIP archive"),
        (
            "site_id,lon,lat,substance,quantity\nA,69,41,хлор,1\n".encode()
            + "B,69,41,хлор,1\n".encode("cp1251"),
            "mostly UTF-8",
        ),
        (b"site_id,lon,lat,substance,quantity\nA,69,41,chlorine,1,5\n", "line 2 has 6 fields"),
        (b'site_id,lon,lat,substance,quantity\nA,69,41,"chlorine,1\n', "never closed"),
    ],
)
def test_files_that_are_not_clean_csv_text(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(InventoryError, match=match):
        read_inventory(p)


def test_long_values_are_shortened_in_problems():
    problems = problems_of(table(substance=["x" * 10_000], quantity=["1"]))
    assert problems.loc[0, "value"].endswith("... (10000 characters)")
    assert len(problems.loc[0, "value"]) < 250


def test_xlsx_formulas_errors_merged_header_and_wrong_content(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["site_id", "lon", "lat", "substance", "quantity", None])
    ws.append(["A", 69.2, 41.3, "chlorine", "=10+10", "t"])
    ws.append(["A", 69.2, 41.3, "ammonia", "#N/A", "t"])
    ws.merge_cells("E1:F1")
    p = tmp_path / "inv.xlsx"
    wb.save(p)
    _, problems = validate_inventory(p)
    texts = problems.problem.tolist()
    assert any("column 6 has values but an empty header cell" in t for t in texts)
    assert {"formula without a saved result", "spreadsheet error value"} <= {
        t.split(" (")[0].split(":")[0] for t in texts
    }
    formula = problems[problems.value == "=10+10"].iloc[0]
    assert (formula["row"], formula["column"]) == (1, "quantity")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("site_id,lon\n")
    with pytest.raises(InventoryError, match=r"not an \.xlsx workbook"):
        read_inventory(fake)


def test_geojson_with_non_point_geometry(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"site_id": ["A", "B"], "substance": ["chlorine"] * 2, "quantity": [30.0] * 2},
        geometry=[shapely.box(69, 41, 69.1, 41.1), shapely.Point(69.2, 41.3)],
        crs=4326,
    )
    p = tmp_path / "mixed.geojson"
    gdf.to_file(p, driver="GeoJSON")
    _, problems = validate_inventory(p)
    assert problems[["row", "column", "value"]].iloc[0].tolist() == [1, "geometry", "Polygon"]
