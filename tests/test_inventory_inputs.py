"""Hostile and malformed inventory inputs: limits, sheets, encodings and silent wrong results.

Each test here failed on the code before the input limits and checks were added.
"""

from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from hazid.annex import classify
from hazid.cli import app
from hazid.errors import InventoryError
from hazid.inventory import InputLimits, read_inventory, swapped_coordinates, validate_inventory

HEADER = ["site_id", "site_name", "country", "lon", "lat", "substance", "quantity", "unit"]
ROW = ["KG-01", "Bishkek water works", "KGZ", 74.62, 42.905, "chlorine", 20, "t"]


def _xlsx(path, sheets, *, active=None, hidden=()):
    """Write a workbook: ``sheets`` maps a title to its rows."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    if active is not None:
        wb.active = list(sheets).index(active)
    wb.save(path)
    return path


def _problems(source, **kw) -> list[str]:
    return validate_inventory(source, **kw)[1]["problem"].tolist()


def _no_workbook_opened(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


# --- resource exhaustion -------------------------------------------------------------------


def test_a_sheet_spanning_column_xfd_on_20000_rows_fails_fast_and_cheaply(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(ROW)
    for r in range(3, 20_001):
        ws.cell(row=r, column=16_384, value="x")
    path = tmp_path / "xfd.xlsx"
    wb.save(path)
    assert path.stat().st_size < 400_000
    start = time.perf_counter()
    problems = _problems(path)
    assert time.perf_counter() - start < 5
    assert len(problems) == 1
    assert re.search(r"spans A1:XFD20000 \(16,384 columns x 20,000 rows", problems[0])


def test_a_sheet_without_a_declared_range_stops_at_the_first_cell_beyond_the_limit(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(ROW)
    for r in range(3, 20_001):
        ws.cell(row=r, column=16_384, value="x")
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "xfd_no_dimension.xlsx"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            dst.writestr(info, data)
    start = time.perf_counter()
    assert _problems(path, limits=InputLimits(max_columns=5000)) == [
        "sheet 'Sheet' has cells beyond column GJH (more than 5,000 columns are not read): "
        "delete the columns beyond the table"
    ]
    problems = _problems(path)
    assert time.perf_counter() - start < 5
    assert problems == [
        "sheet 'Sheet' has cells beyond column GR (more than 200 columns are not read): "
        "delete the columns beyond the table"
    ]


def test_empty_styled_cells_far_beyond_the_table_stop_the_read(tmp_path):
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(ROW)
    for r in range(1, 2_001):
        ws.cell(row=r, column=16_384).font = Font(bold=True)  # styled, no value
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "styled.xlsx"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            dst.writestr(info, data)
    assert _problems(path)[0].startswith("sheet 'Sheet' has cells beyond column GR")


def test_a_zip_bomb_workbook_is_refused_from_its_zip_directory(tmp_path, monkeypatch):
    path = _xlsx(tmp_path / "bomb.xlsx", {"inventory": [HEADER, ROW]})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", bytes(3_000_000))  # 3 MB of zeros: 3 kB zipped
    assert path.stat().st_size < 50_000
    _no_workbook_opened(monkeypatch)
    problems = _problems(path, limits=InputLimits(max_unzipped_mb=2))
    assert len(problems) == 1
    assert "inflates to 3.0 MB once decompressed (at most 2.0 MB are read)" in problems[0]


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text(",".join(HEADER[:7]) + "\n" + "KG-01,a,KGZ,74.6,42.9,chlorine,1\n" * 40_000)
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("the file was parsed"))
    with pytest.raises(InventoryError, match=r"1\.\d MB \(at most 1\.0 MB are read\): split it"):
        read_inventory(path, limits=InputLimits(max_file_mb=1))


def test_too_many_rows_or_columns_in_a_csv_are_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("the file was parsed"))
    rows = tmp_path / "rows.csv"
    rows.write_text("site_id,lon,lat,substance,quantity\n" + "A,69,41,chlorine,1\n" * 11)
    with pytest.raises(InventoryError, match=r"more than 10 data rows: split it or raise the row"):
        read_inventory(rows, limits=InputLimits(max_rows=10))
    wide = tmp_path / "wide.csv"
    wide.write_text("site_id,lon,lat,substance,quantity" + ",x" * 300 + "\nA,69,41,chlorine,1\n")
    with pytest.raises(InventoryError, match=r"a line has 305 fields \(at most 200 columns"):
        read_inventory(wide)


@pytest.mark.parametrize("end", ["\n", "", "\r\n"])
def test_a_csv_with_as_many_rows_as_the_limit_is_read(tmp_path, end):
    path = tmp_path / "rows.csv"
    lines = ["site_id,lon,lat,substance,quantity"] + [f"S{i},69,41,chlorine,1" for i in range(10)]
    path.write_bytes(((end or "\n").join(lines) + end).encode())
    assert read_inventory(path, limits=InputLimits(max_rows=10))["site_id"].nunique() == 10


def test_too_many_rows_in_a_sheet_are_refused(tmp_path):
    path = _xlsx(tmp_path / "rows.xlsx", {"inventory": [HEADER] + [ROW] * 12})
    problems = _problems(path, limits=InputLimits(max_rows=10))
    assert problems == [
        "sheet 'inventory' spans A1:H13 (8 columns x 13 rows; at most 200 columns and 10 rows "
        "are read): delete the unused rows and columns beyond the table, or copy the table to a "
        "new workbook; a table this long: split it or raise the row limit (--max-rows, "
        "InputLimits.max_rows)"
    ]


def test_a_cell_longer_than_a_spreadsheet_cell_is_refused():
    table = pd.DataFrame({"site_id": ["A"], "lon": ["69"], "lat": ["41"],
                          "substance": ["x" * 40_000], "quantity": ["1"]})  # fmt: skip
    _, problems = validate_inventory(table)
    assert problems.to_dict("records")[0]["problem"] == (
        "the cell has 40,000 characters (at most 32,767 are read)"
    )
    assert problems.loc[0, "column"] == "substance" and problems.loc[0, "row"] == 1


# --- which sheet ---------------------------------------------------------------------------


def test_the_active_sheet_is_read_not_a_hidden_first_one_and_it_is_named(tmp_path):
    old = [HEADER, ["OLD-1", "old", "KGZ", 74.6, 42.9, "chlorine", 99, "t"]]
    path = _xlsx(
        tmp_path / "two.xlsx", {"old": old, "data": [HEADER, ROW]}, active="data", hidden=["old"]
    )
    holdings = read_inventory(path)
    assert holdings["site_id"].tolist() == ["KG-01"]
    assert holdings.attrs["sheet"] == "data"
    assert holdings.attrs["sheets"] == ["old", "data"]
    assert any("read the active sheet 'data' of 2 sheets" in w for w in holdings.attrs["warnings"])
    assert read_inventory(path, sheet="old")["site_id"].tolist() == ["OLD-1"]
    assert read_inventory(path, sheet=0)["site_id"].tolist() == ["OLD-1"]
    assert read_inventory(path, sheet="1")["site_id"].tolist() == ["KG-01"]  # a position
    with pytest.raises(InventoryError, match="no sheet named 'new': the workbook has old, data"):
        read_inventory(path, sheet="new")
    with pytest.raises(InventoryError, match="no sheet number 5: the workbook has 2"):
        read_inventory(path, sheet=5)


def test_cli_validate_reads_the_named_sheet_and_says_which(tmp_path):
    path = _xlsx(tmp_path / "two.xlsx", {"a": [HEADER, ROW], "b": [["title only"]]}, active="b")
    res = CliRunner().invoke(app, ["validate", str(path), "--sheet", "a"])
    assert res.exit_code == 0, res.output
    assert "sheet read: a" in res.output
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and "sheet read: b" in res.output


# --- encodings -----------------------------------------------------------------------------

RU = "site_id,site_name,lon,lat,substance,quantity\nKG-01,Бишкекская станция,74.62,42.905,хлор,20\n"


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        ("koi8_r", "KOI8-R"),
        ("cp1251", "Windows-1251"),
        ("cp866", "DOS 866"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
    ],
)
def test_encodings_are_detected_read_and_reported(tmp_path, codec, label):
    path = tmp_path / "ru.csv"
    path.write_bytes(RU.encode(codec))
    holdings = read_inventory(path)
    assert holdings.loc[0, "site_name"] == "Бишкекская станция"
    assert holdings.loc[0, "substance_key"] == "chlorine"
    assert holdings.attrs["encoding"].replace("_", "-").startswith(codec.replace("_", "-")[:6])
    assert [w for w in holdings.attrs["warnings"] if "not UTF-8" in w] == [
        f"ru.csv is not UTF-8; read it as {label} ({holdings.attrs['encoding']})"
    ]


def test_utf8_is_read_without_a_warning_and_reported(tmp_path):
    path = tmp_path / "ru.csv"
    path.write_bytes(RU.encode("utf-8-sig"))
    holdings = read_inventory(path)
    assert holdings.attrs["encoding"] == "utf_8" and holdings.attrs["warnings"] == []


# --- silent wrong results ------------------------------------------------------------------


def _table(**cols) -> pd.DataFrame:
    n = max(len(v) for v in cols.values())
    base = {"site_id": ["A"] * n, "lon": ["69.2"] * n, "lat": ["41.3"] * n,
            "substance": ["chlorine"] * n, "quantity": ["1"] * n}  # fmt: skip
    base.update(cols)
    return pd.DataFrame(base)


def test_quantity_t_with_a_unit_is_an_error():
    table = _table(quantity_t=["20000", "3"], unit=["kg", ""])
    table = table.drop(columns="quantity")
    _, problems = validate_inventory(table)
    assert problems[["row", "column", "value"]].to_dict("records") == [
        {"row": 1, "column": "unit", "value": "kg"}
    ]
    assert problems.loc[0, "problem"].startswith("a unit next to quantity_t")


def test_an_exact_duplicate_row_is_an_error_listing_it_or_is_added_up_when_allowed():
    table = _table(substance=["chlorine", "ammonia", "chlorine"], quantity=["15", "1", "15"])
    _, problems = validate_inventory(table)
    assert problems.to_dict("records") == [
        {"row": 3, "column": "", "value": "same as row 1",
         "problem": "row 3 repeats row 1 exactly (a pasted row?): delete it, or allow duplicates "
         "(allow_duplicates=True, --allow-duplicates) to add them up"}
    ]  # fmt: skip
    holdings = read_inventory(table, allow_duplicates=True)
    assert "row(s) 3 repeat earlier rows exactly" in holdings.attrs["warnings"][0]
    sites = classify(holdings).sites
    assert sites.loc[0, "max_single_ratio"] == pytest.approx(30 / 25)


def test_cli_allow_duplicates(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("site_id,lon,lat,substance,quantity\nA,69,41,chlorine,1\nA,69,41,chlorine,1\n")
    assert CliRunner().invoke(app, ["validate", str(path)]).exit_code == 2
    res = CliRunner().invoke(app, ["validate", str(path), "--allow-duplicates"])
    assert res.exit_code == 0 and "repeat earlier rows exactly" in res.output


def test_site_ids_are_normalised_and_case_collisions_reported():
    ids = ["KG 7", "KG\u00a07", "KG\u200b 7", "\uff2b\uff27 7", " KG  7 "]
    holdings = read_inventory(_table(site_id=ids, quantity=["1", "2", "3", "4", "5"]))
    assert holdings["site_id"].unique().tolist() == ["KG 7"]
    assert holdings.attrs["warnings"] == [
        "site_id normalised (Unicode NFKC, no-break and zero-width spaces) in row(s) 2, 3, 4, 5"
    ]
    table = _table(site_id=["KG-7", "kg-7", "Kg-7"], quantity=["1", "2", "3"])
    _, problems = validate_inventory(table)
    assert problems["row"].tolist() == [2, 3]
    assert problems.loc[0, "problem"].startswith(
        "site ids that differ only in letter case: 'KG-7' in row(s) 1; 'kg-7' in row(s) 2; "
        "'Kg-7' in row(s) 3"
    )


def test_text_that_looks_like_a_formula_is_kept_as_read():
    table = _table(site_name=["\t=1+1", "  plain  "], quantity=["1", "2"],
                   operator=[" @SUM(1)", "x"])  # fmt: skip
    holdings = read_inventory(table)
    assert holdings["site_name"].tolist() == ["\t=1+1", "\t=1+1"]  # first row gives the site
    assert holdings.loc[0, "operator"] == " @SUM(1)"
    warnings = holdings.attrs["warnings"]
    assert "site_name in row(s) 1 starts like a spreadsheet formula: kept as text" in warnings[0]
    assert read_inventory(_table(site_name=["  plain  "])).loc[0, "site_name"] == "plain"


def test_swapped_coordinates_are_found_with_the_inventory_country():
    holdings = read_inventory(
        pd.DataFrame({"site_id": ["TM-1", "UZ-1"], "country": ["TKM", "UZB"],
                      "lon": ["37.95", "69.2"], "lat": ["58.38", "41.3"],
                      "substance": ["chlorine", "chlorine"], "quantity": ["1", "1"]})
    )  # fmt: skip
    calls = []

    def country_at(lon, lat):
        calls.append((lon, lat))
        if 52 <= lon <= 66.7 and 35 <= lat <= 43:
            return "TKM"
        if 56 <= lon <= 73 and 37 <= lat <= 45.6:
            return "UZB"
        return "RUS" if lat > 50 else None

    problems = swapped_coordinates(holdings, country_at)
    assert problems[["row", "column", "value"]].to_dict("records") == [
        {"row": 1, "column": "lon/lat", "value": "37.95, 58.38"}
    ]
    assert (
        "is in RUS, not in its country TKM, but the swapped pair 58.38, 37.95 is in TKM"
        in (problems.loc[0, "problem"])
    )
    assert calls == [(37.95, 58.38), (58.38, 37.95), (69.2, 41.3)]
    clean = swapped_coordinates(holdings[holdings.site_id == "UZ-1"], country_at)
    assert clean.empty and list(clean.columns) == ["row", "column", "value", "problem"]


def test_a_layer_with_too_many_features_is_refused_from_its_metadata(tmp_path, monkeypatch):
    import geopandas as gpd
    import shapely

    path = tmp_path / "sites.gpkg"
    gpd.GeoDataFrame(
        {"site_id": ["A", "B", "C"], "substance": ["chlorine"] * 3, "quantity": ["1"] * 3},
        geometry=[shapely.Point(69, 41)] * 3,
        crs=4326,
    ).to_file(path)
    monkeypatch.setattr(gpd, "read_file", lambda *a, **k: pytest.fail("the layer was read"))
    with pytest.raises(InventoryError, match=r"fields \(at most 2 and 200 are read\): split it or"):
        read_inventory(path, limits=InputLimits(max_rows=2))
