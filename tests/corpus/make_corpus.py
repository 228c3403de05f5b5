"""Write the binary cases of the bad-input inventory corpus.

The plain-text cases live in ``tests/corpus/inventories/`` as committed files; the cases that are
binary (XLSX, GeoPackage, UTF-16, ZIP, cp1251 ...) are built here, deterministically, so that the
repository holds no opaque blobs. ``tests/test_corpus.py`` builds them into a temporary directory;
to look at them by hand::

    python tests/corpus/make_corpus.py /tmp/corpus

Running it again overwrites the same files with the same content.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import warnings
import zipfile
from pathlib import Path

HEADER = "site_id,site_name,country,lon,lat,substance,cas,category,quantity,unit\n"
ROWS = (
    "KG-01,Bishkek water works,KGZ,74.62,42.905,chlorine,7782-50-5,,20,t\n"
    "KG-01,Bishkek water works,KGZ,74.62,42.905,ammonia,7664-41-7,,150,t\n"
)
RU_ROWS = (
    "KG-01,Бишкекская станция,KGZ,74.62,42.905,хлор,,,20,т\n"
    "KG-01,Бишкекская станция,KGZ,74.62,42.905,аммиак,,,150,т\n"
)
COLUMNS = ["site_id", "site_name", "country", "lon", "lat", "substance", "quantity", "unit"]
GOOD = ["KG-01", "Bishkek water works", "KGZ", 74.62, 42.905, "chlorine", 20, "t"]
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def _fixed_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), data)
    return buf.getvalue()


def _workbook(rows: list[list], *, merge: str | None = None) -> bytes:
    """Return an XLSX workbook with one sheet, re-zipped with fixed timestamps."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "inventory"
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    fixed = dt.datetime(2024, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        files = {info.filename: zf.read(info) for info in zf.infolist()}
    # openpyxl stamps the save time into the document properties
    files["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
        rb"\g<1>2024-01-01T00:00:00Z\g<2>",
        files["docProps/core.xml"],
    )
    return _fixed_zip(files)


def _text_cases() -> dict[str, bytes]:
    text = HEADER + ROWS
    ru = HEADER + RU_ROWS
    return {
        "utf16_with_bom.csv": text.encode("utf-16"),
        "utf16le_without_bom.csv": text.encode("utf-16-le"),
        "utf8_bom_russian.csv": b"\xef\xbb\xbf" + ru.encode("utf-8"),
        "cp1251_russian.csv": ru.encode("cp1251"),
        # UTF-8 file with one row pasted from a Windows-1251 source
        "mixed_utf8_cp1251.csv": (
            ru.encode("utf-8") + "KG-02,Кара-Балта,KGZ,73.85,42.82,хлор,,,30,т\n".encode("cp1251")
        ),
        "nul_byte_in_text.csv": (HEADER + ROWS).encode().replace(b"chlorine", b"chlor\x00ine"),
        "binary_noise.csv": bytes((i * 7919 + 13) % 256 for i in range(4096)),
        "zip_renamed.csv": _fixed_zip({"inventory.csv": text.encode()}),
        "pdf_renamed.csv": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "gzip_renamed.csv": gzip.compress(text.encode(), mtime=0),
        "csv_renamed.xlsx": text.encode(),
        "xls_renamed.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "zip_not_a_workbook.xlsx": _fixed_zip({"readme.txt": b"not a workbook"}),
    }


def _xlsx_cases() -> dict[str, bytes]:
    header = COLUMNS
    return {
        "xlsx_ok_numbers_and_text.xlsx": _workbook(
            [header, GOOD, ["KG-01", "", "", "", "", "ammonia", "150", "t"]]
        ),
        # "quantity" typed across two merged header cells: the second column has no name
        "xlsx_merged_header.xlsx": _workbook(
            [
                ["site_id", "site_name", "country", "lon", "lat", "substance", "quantity", None],
                ["KG-01", "Bishkek water works", "KGZ", 74.62, 42.905, "chlorine", 20, "t"],
            ],
            merge="G1:H1",
        ),
        # a grouped two-row header: "location" merged over lon and lat
        "xlsx_two_row_header.xlsx": _workbook(
            [
                ["site_id", "site_name", "country", "location", None, "substance", "quantity"],
                ["", "", "", "lon", "lat", "", ""],
                ["KG-01", "Bishkek water works", "KGZ", 74.62, 42.905, "chlorine", 20],
            ],
            merge="D1:E1",
        ),
        # formulas written by a script: no saved result, they read as empty cells
        "xlsx_formula_without_result.xlsx": _workbook([header, [*GOOD[:6], "=10+10", "t"]]),
        "xlsx_error_values.xlsx": _workbook([header, [*GOOD[:6], "#DIV/0!", "t"]]),
        "xlsx_duplicate_columns.xlsx": _workbook(
            [[*header, "quantity"], [*GOOD, 40]],
        ),
        "xlsx_title_row_above_header.xlsx": _workbook(
            [["Inventory of hazardous activities, 2024"], [], header, GOOD],
        ),
        "xlsx_unit_in_quantity.xlsx": _workbook([header, [*GOOD[:6], "20 t", ""]]),
        "xlsx_empty_workbook.xlsx": _workbook([]),
        "xlsx_header_only.xlsx": _workbook([header]),
    }


def _vector_cases(directory: Path) -> list[str]:
    import geopandas as gpd
    import shapely

    def frame(**cols):
        base = {"site_id": ["UZ-05"], "substance": ["chlorine"], "quantity": [30.0]}
        base.update(cols)
        return base

    layers = {
        "layer_polygons.gpkg": gpd.GeoDataFrame(
            frame(), geometry=[shapely.box(69.0, 41.0, 69.1, 41.1)], crs=4326
        ),
        "layer_null_island.gpkg": gpd.GeoDataFrame(
            frame(), geometry=[shapely.Point(0.0, 0.0)], crs=4326
        ),
        "layer_quantity_with_unit.gpkg": gpd.GeoDataFrame(
            frame(quantity=["30 t"]), geometry=[shapely.Point(69.2, 41.3)], crs=4326
        ),
        "layer_without_crs.gpkg": gpd.GeoDataFrame(frame(), geometry=[shapely.Point(69.2, 41.3)]),
        "layer_empty_layer.gpkg": gpd.GeoDataFrame(
            {"site_id": [], "substance": [], "quantity": []},
            geometry=gpd.GeoSeries([], crs=4326),
        ),
        "layer_projected_ok.gpkg": gpd.GeoDataFrame(
            frame(), geometry=[shapely.Point(69.2, 41.3)], crs=4326
        ).to_crs(32642),
    }
    for name, gdf in layers.items():
        path = directory / name
        path.unlink(missing_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no CRS" on purpose for one layer
            gdf.to_file(path, driver="GPKG")
    return list(layers)


def build(directory: str | Path) -> list[str]:
    """Write every generated case into ``directory``; return their file names."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in {**_text_cases(), **_xlsx_cases()}.items():
        (directory / name).write_bytes(data)
        written.append(name)
    written += _vector_cases(directory)
    return sorted(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the generated files")
    args = parser.parse_args()
    for name in build(args.directory):
        print(args.directory / name)


if __name__ == "__main__":
    main()
