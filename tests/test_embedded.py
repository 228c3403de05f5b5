"""Embedded default geodata: lookup order, provenance, content; no local path in messages."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

import hazid
from hazid import datasets, embedded
from hazid import geography as geo
from hazid import rivers as rv
from hazid.errors import ChoiceError, DataSourceError, GeodataError, InventoryError
from hazid.rivers.sources import _read_layer

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "hazid" / "data" / "geodata"


@pytest.fixture
def no_geodata(tmp_path, monkeypatch):
    """A machine with no option, no HAZID_* variable, no DCW and nothing fetched."""
    for var in ("HAZID_BORDERS", "HAZID_RIVERS", "HAZID_LAKES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HAZID_DCW", str(tmp_path / "no-dcw" / "dcw-gmt.nc"))
    monkeypatch.setenv("HAZID_DATA_DIR", str(tmp_path / "empty-data-dir"))
    return tmp_path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------------------------
# The files and their provenance
# ----------------------------------------------------------------------------------------------
def test_embedded_files_are_small_and_match_their_provenance():
    records = json.loads((GEODATA / "provenance.json").read_text(encoding="utf-8"))
    assert set(records) == {"borders", "rivers", "lakes"}
    total = 0
    for layer, record in records.items():
        path = GEODATA / record["name"]
        size = path.stat().st_size
        total += size
        assert size < 5_000_000, layer
        assert _sha256(path) == record["sha256"]
        shipped = embedded.embedded_path(layer)  # the installed package's copy
        assert shipped.name == path.name and _sha256(shipped) == record["sha256"]
        assert record["scale"] == "1:10,000,000" and record["licence"] == "public domain"
    assert total < 8_000_000
    note = (GEODATA / "PROVENANCE.md").read_text(encoding="utf-8")
    for record in records.values():
        assert record["source_sha256"] in note and record["sha256"] in note
    assert "public domain" in note and "scripts/build_embedded_geodata.py" in note


def test_provenance_record_shape():
    r = embedded.provenance("rivers")
    assert list(r) == [
        "name",
        "origin",
        "dataset",
        "version",
        "scale",
        "limits",
        "licence",
        "source_name",
        "source_sha256",
        "sha256",
        "features",
        "repaired",
    ]
    assert r["origin"] == "embedded" and "large rivers only" in r["limits"]
    assert "no discharge" in r["limits"]
    text = embedded.describe(r)
    assert text.startswith("ne_10m_rivers.parquet: embedded Natural Earth")
    assert "1:10,000,000" in text and "no discharge" in text
    r["name"] = "changed"  # a copy: the record is not shared
    assert embedded.provenance("rivers")["name"] == "ne_10m_rivers.parquet"
    with pytest.raises(ChoiceError, match="embedded layer"):
        embedded.provenance("roads")


def test_embedded_layers_keep_only_the_columns_hazid_reads():
    assert list(embedded.read("borders").columns) == [
        "ISO_A3",
        "ISO_A3_EH",
        "ADM0_A3",
        "NAME",
        "geometry",
    ]
    rivers = embedded.read("rivers")
    assert list(rivers.columns) == ["name", "geometry"] and len(rivers) == 1455
    assert {"Syr  Darya", "Amu  Darya", "Naryn"} <= set(rivers["name"])
    lakes = embedded.read("lakes")
    assert list(lakes.columns) == ["name", "featurecla", "geometry"]
    assert set(lakes.loc[lakes.name.isin(["Aral Sea", "Issyk-Kul"]), "featurecla"]) == {
        "Alkaline Lake"
    }
    assert lakes.attrs["provenance"]["name"] == "ne_10m_lakes.parquet"
    assert embedded.provenance_for(lakes.attrs["source"]) == embedded.provenance("lakes")
    assert embedded.provenance_for(None) is None


def test_missing_embedded_data_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "GEODATA_DIR", tmp_path)
    with pytest.raises(DataSourceError, match=r"embedded geodata .* reinstall hazid"):
        embedded.read("borders")
    (tmp_path / "provenance.json").write_text(
        json.dumps({"rivers": {"name": "gone.parquet"}}), encoding="utf-8"
    )
    with pytest.raises(DataSourceError, match=r"gone\.parquet is missing"):
        embedded.embedded_path("rivers")


# ----------------------------------------------------------------------------------------------
# Lookup order
# ----------------------------------------------------------------------------------------------
def test_borders_fall_back_to_the_embedded_layer(no_geodata, caplog):
    with caplog.at_level(logging.INFO, logger="hazid.geography"):
        b = geo.resolve_borders()
    assert b.attrs["provenance"] == embedded.provenance("borders")
    assert "embedded Natural Earth" in caplog.text
    assert b.attrs["warnings"] == []
    assert {"KAZ", "KGZ", "TJK", "TKM", "UZB", "FRA", "NOR"} <= set(b["iso_a3"])
    assert geo.load_borders().attrs["provenance"]["origin"] == "embedded"


def test_better_borders_win_over_the_embedded_ones(no_geodata, monkeypatch):
    env = no_geodata / "env.gpkg"
    gpd.GeoDataFrame({"iso_a3": ["BBB"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(env)
    monkeypatch.setenv("HAZID_BORDERS", str(env))
    b = geo.resolve_borders()
    assert b["iso_a3"].tolist() == ["BBB"]
    assert b.attrs["provenance"] == {"name": "env.gpkg", "origin": "HAZID_BORDERS"}
    monkeypatch.delenv("HAZID_BORDERS")
    ne = no_geodata / "empty-data-dir" / "ne_10m_countries"
    ne.mkdir(parents=True)
    shp = ne / "ne_10m_admin_0_countries.shp"
    gpd.GeoDataFrame({"iso_a3": ["CCC"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(shp)
    b = geo.resolve_borders()
    assert b["iso_a3"].tolist() == ["CCC"] and b.attrs["provenance"]["origin"] == "fetched"


def test_no_borders_at_all_says_how_to_get_them(no_geodata, monkeypatch):
    monkeypatch.setattr(embedded, "GEODATA_DIR", no_geodata / "nothing")
    with pytest.raises(DataSourceError, match="no country borders found") as err:
        geo.resolve_borders()
    assert "reinstall hazid" in str(err.value)


def test_rivers_fall_back_to_the_embedded_layer(no_geodata):
    path = rv.resolve_rivers()
    assert path == embedded.embedded_path("rivers")
    assert embedded.provenance_for(path)["origin"] == "embedded"
    lines = rv.read_rivers()
    assert len(lines) == 1455
    syr = rv.read_rivers(bbox=(69.3, 40.1, 69.9, 40.4))  # Khujand
    assert 0 < len(syr) < 50 and "Syr  Darya" in set(syr["name"])


def test_lakes_fall_back_to_the_embedded_layer(no_geodata, monkeypatch):
    path = datasets.resolve_lakes()
    assert embedded.provenance_for(path)["name"] == "ne_10m_lakes.parquet"
    assert len(_read_layer(path, "lakes")) == 1354  # GeoParquet read without GDAL
    ne = no_geodata / "empty-data-dir" / "ne_10m_lakes" / "ne_10m_lakes.shp"
    ne.parent.mkdir(parents=True)
    ne.write_bytes(b"fetched")
    assert datasets.resolve_lakes() == ne
    env = no_geodata / "mine.gpkg"
    env.write_bytes(b"")
    monkeypatch.setenv("HAZID_LAKES", str(env))
    assert datasets.resolve_lakes() == env
    assert datasets.resolve_lakes(ne) == ne
    monkeypatch.setenv("HAZID_LAKES", str(no_geodata / "Документы" / "ozera.gpkg"))
    with pytest.raises(DataSourceError, match=r"lakes file ozera\.gpkg \(HAZID_LAKES\)") as err:
        datasets.resolve_lakes()
    assert "Документы" not in str(err.value)


def test_embedded_borders_place_central_asian_cities():
    borders = geo.embedded_borders()
    cities = {
        "Bishkek": (74.59, 42.87, "KGZ"),
        "Osh": (72.80, 40.53, "KGZ"),
        "Almaty": (76.95, 43.24, "KAZ"),
        "Astana": (71.45, 51.17, "KAZ"),
        "Tashkent": (69.24, 41.30, "UZB"),
        "Samarkand": (66.96, 39.65, "UZB"),
        "Dushanbe": (68.78, 38.56, "TJK"),
        "Khujand": (69.62, 40.28, "TJK"),
        "Ashgabat": (58.38, 37.95, "TKM"),
    }
    sites = gpd.GeoDataFrame(
        {"site_id": list(cities)},
        geometry=[Point(lon, lat) for lon, lat, _ in cities.values()],
        crs=4326,
    )
    out = geo.border_distance(geo.assign_country(sites, borders), borders)
    assert out["site_country"].tolist() == [c for _, _, c in cities.values()]
    assert not out["country_snapped"].any()
    # Osh lies a few km from the Uzbek border (Fergana valley), Astana far from Russia
    osh, astana = out.set_index("site_id").loc[["Osh", "Astana"], "border_km"]
    assert osh < 15 and astana > 200


# ----------------------------------------------------------------------------------------------
# Missing data is said, not a KeyError or AttributeError
# ----------------------------------------------------------------------------------------------
def test_functions_needing_borders_say_what_is_missing():
    sites = gpd.GeoDataFrame({"site_id": ["a"]}, geometry=[Point(0.5, 0.5)], crs=4326)
    for call in (
        lambda: geo.assign_country(sites, None),
        lambda: geo.border_distance(sites, None),
        lambda: geo.distance_to_country(sites, None, pd.DataFrame()),
        lambda: geo.affected_by_air(sites, sites, None),
    ):
        with pytest.raises(GeodataError, match=r"no country borders given \(None\)"):
            call()
    toy = gpd.GeoDataFrame({"iso_a3": ["AAA"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(GeodataError, match="pairs must be a DataFrame"):
        geo.distance_to_country(sites, toy, None)
    # nothing assessed (no borders): the decision says so instead of an AttributeError
    flags = pd.DataFrame({"site_id": ["a"], "country": ["KAZ"], "hazardous": [True]})
    with pytest.raises(InventoryError, match="no pathway was assessed"):
        hazid.determine(flags, None)


# ----------------------------------------------------------------------------------------------
# Messages and records carry file names, never local folders (issue 13)
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def private_folder(tmp_path):
    folder = tmp_path / "Пользователь" / "Документы"
    folder.mkdir(parents=True)
    return folder


def test_border_warnings_name_the_file_not_its_folder(private_folder, caplog):
    bowtie = Polygon([(68, 40), (70, 42), (70, 40), (68, 42), (68, 40)])
    path = private_folder / "granicy.gpkg"
    gpd.GeoDataFrame(
        {"iso_a3": ["KGZ", "-99"]}, geometry=[bowtie, box(72, 40, 73, 41)], crs=4326
    ).to_file(path)
    with caplog.at_level(logging.INFO, logger="hazid.geography"):
        b = geo.resolve_borders(path)
    assert b.attrs["repaired"] == 1
    assert any("in granicy.gpkg with make_valid" in w for w in b.attrs["warnings"])
    assert any("in granicy.gpkg have no usable country code" in w for w in b.attrs["warnings"])
    assert b.attrs["provenance"] == {"name": "granicy.gpkg", "origin": "given"}
    for text in (*b.attrs["warnings"], caplog.text):
        assert str(private_folder) not in text and "Документы" not in text
    assert b.attrs["source"] == str(path)  # kept, to hash the file


def test_border_errors_name_the_file_not_its_folder(private_folder, monkeypatch):
    with pytest.raises(DataSourceError, match=r"borders file not found: gone\.gpkg$") as err:
        geo.load_borders(private_folder / "gone.gpkg")
    assert "Документы" not in str(err.value)
    bad = private_folder / "broken.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(GeodataError, match=r"cannot read borders from broken\.gpkg") as err:
        geo.load_borders(bad)
    assert "Документы" not in str(err.value)
    empty = private_folder / "empty.geojson"
    gpd.GeoDataFrame({"iso_a3": ["AAA"]}, geometry=[None], crs=4326).to_file(empty)
    with pytest.raises(GeodataError, match=r"layer empty\.geojson holds no polygons") as err:
        geo.load_borders(empty)
    assert "Документы" not in str(err.value)
    monkeypatch.setenv("HAZID_DCW", str(private_folder / "dcw-gmt.nc"))
    with pytest.raises(DataSourceError, match=r"not found: dcw-gmt\.nc;") as err:
        geo.read_dcw()
    assert "Документы" not in str(err.value)


def test_screening_records_no_local_folder(private_folder, no_geodata):
    bowtie = Polygon([(68, 40), (70, 42), (70, 40), (68, 42), (68, 40)])
    path = private_folder / "granicy.gpkg"
    gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"]}, geometry=[bowtie, box(70, 40, 72, 42)], crs=4326
    ).to_file(path)
    inventory = pd.DataFrame(
        {
            "site_id": ["A"],
            "site_name": ["Border chlorine store"],
            "lon": ["69.95"],
            "lat": ["41.0"],
            "substance": ["chlorine"],
            "quantity": ["30"],
        }
    )
    res = hazid.screen(inventory, borders=path, rivers=False)
    text = json.dumps(res.run, ensure_ascii=False, default=str)
    assert "granicy.gpkg" in text and "make_valid" in text
    assert str(no_geodata) not in text and "Документы" not in text


def test_no_output_file_holds_a_local_folder(private_folder, no_geodata):
    bowtie = Polygon([(68, 40), (70, 42), (70, 40), (68, 42), (68, 40)])
    gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"], "name": ["Aland", "Bland"]},
        geometry=[bowtie, box(70, 40, 72, 42)],
        crs=4326,
    ).to_file(private_folder / "granicy.gpkg")
    gpd.GeoDataFrame(
        {
            "HYRIV_ID": [1, 2],
            "NEXT_DOWN": [2, 0],
            "LENGTH_KM": [50.7, 84.6],
            "UPLAND_SKM": [20_000.0, 25_000.0],
            "DIS_AV_CMS": [300.0, 320.0],
            "ENDORHEIC": [0, 0],
            "ORD_STRA": [6, 6],
        },
        geometry=[
            LineString([(69.9, 40.5), (70.5, 40.5)]),
            LineString([(70.5, 40.5), (71.5, 40.5)]),
        ],
        crs=4326,
    ).to_file(private_folder / "reki.gpkg")
    gpd.GeoDataFrame(
        {"name": ["Ozero"], "featurecla": ["Lake"]},
        geometry=[box(71.6, 40.4, 71.8, 40.6)],
        crs=4326,
    ).to_file(private_folder / "ozera.gpkg")
    pd.DataFrame(
        {
            "site_id": ["A", "C"],
            "site_name": ["Border chlorine store", "River depot"],
            "lon": ["69.95", "69.9"],
            "lat": ["41.0", "40.52"],
            "substance": ["chlorine", "diesel"],
            "quantity": ["30", "30000"],
        }
    ).to_csv(private_folder / "inventar.csv", index=False)
    res = hazid.screen(
        private_folder / "inventar.csv",
        borders=private_folder / "granicy.gpkg",
        rivers=private_folder / "reki.gpkg",
        lakes=private_folder / "ozera.gpkg",
    )
    assert any("granicy.gpkg with make_valid" in w for w in res.run["warnings"])
    out = hazid.write_results(res, no_geodata / "results")
    needles = [
        text.encode(enc)
        for text in (str(private_folder), "Документы")
        for enc in ("utf-8", "utf-16-le")
    ]
    files = [f for f in out.rglob("*") if f.is_file()]
    assert len(files) > 10
    leaks = [f.name for f in files for n in needles if n in f.read_bytes()]
    assert leaks == []


# ----------------------------------------------------------------------------------------------
# The build is reproducible
# ----------------------------------------------------------------------------------------------
SHARED = Path(os.environ.get("HAZID_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.mark.shared
@pytest.mark.skipif(
    not (SHARED / "ne_10m_countries.gpkg").is_file(), reason="../shared/data absent"
)
def test_build_script_reproduces_the_committed_files(tmp_path):
    script = ROOT / "scripts" / "build_embedded_geodata.py"
    out = tmp_path / "geodata"
    done = subprocess.run(
        [sys.executable, str(script), str(SHARED), "--out", str(out), "--no-check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    built = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    committed = json.loads((GEODATA / "provenance.json").read_text(encoding="utf-8"))
    assert built == committed
    for record in committed.values():
        assert _sha256(out / record["name"]) == record["sha256"]
    assert (out / "PROVENANCE.md").read_text(encoding="utf-8") == (
        GEODATA / "PROVENANCE.md"
    ).read_text(encoding="utf-8")


def test_demo_first_run_notifies_and_states_the_data_used(no_geodata, tmp_path):
    demo = Path(__file__).resolve().parents[1] / "data" / "examples" / "central_asia_demo.csv"
    res = hazid.screen(demo)
    out = hazid.write_results(res, tmp_path / "results", static_maps=False, lang="en,ru")
    inputs = json.loads((out / "run.json").read_text(encoding="utf-8"))["inputs"]
    for layer in ("borders", "rivers", "lakes"):
        assert inputs[layer]["origin"] == "embedded", layer
        assert inputs[layer]["scale"] == "1:10,000,000"
    pairs = pd.read_csv(out / "notifications" / "summary.csv", encoding="utf-8-sig")
    assert len(pairs) >= 5 and (out / "affected.csv").is_file()
    en = next((out / "notifications").glob("*.en.md")).read_text(encoding="utf-8")
    ru = next((out / "notifications").glob("*.ru.md")).read_text(encoding="utf-8")
    assert "borders shipped with hazid: generalised for maps" in en
    assert "границы Natural Earth масштаба 1:10 000 000 из поставки hazid" in ru
