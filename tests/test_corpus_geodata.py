"""Malformed geodata corpus: broken border, river and lake layers give a clear error or a
reported repair, through the readers, the screening and the CLI -- never a raw traceback.

The layers are written at test time by ``tests/corpus/geodata/make_geodata.py``;
``expected.toml`` there gives each one's outcome.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import hazid
import hazid.errors
import hazid.rivers
from hazid.cli import app
from hazid.errors import CRSError, GeodataError, HazidError

GEODATA = Path(__file__).resolve().parent / "corpus" / "geodata"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((GEODATA / "expected.toml").read_text("utf-8"))
runner = CliRunner()


def _make():
    spec = importlib.util.spec_from_file_location("make_geodata", GEODATA / "make_geodata.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _make()


@pytest.fixture(autouse=True)
def _no_environment_layers(monkeypatch):
    for var in ("HAZID_BORDERS", "HAZID_RIVERS", "HAZID_LAKES"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The corpus, plus the well-formed toy layers and inventory under ``good/``."""
    directory = tmp_path_factory.mktemp("geodata")
    make.build(directory)
    good = directory / "good"
    good.mkdir()
    make._write(make.world(), good / "borders.gpkg")
    make._write(make.rivers(), good / "rivers.gpkg")
    make.inventory().to_csv(good / "inventory.csv", index=False)
    return directory


def _inputs(corpus: Path, name: str) -> dict[str, Path]:
    """Keyword arguments of hazid.screen that put the case's layer among good ones."""
    good = corpus / "good"
    layer = EXPECTED[name]["layer"]
    inputs = {"borders": good / "borders.gpkg", "rivers": good / "rivers.gpkg"}
    inputs["lakes" if layer == "lakes" else layer] = corpus / name
    return inputs


def _read(corpus: Path, name: str) -> Any:
    """Read the layer with the public function for its kind."""
    path = corpus / name
    layer = EXPECTED[name]["layer"]
    if layer == "borders":
        return hazid.load_borders(path)
    if layer == "rivers":
        return hazid.build_network(path, borders=make.world())
    return hazid.build_network(corpus / "good" / "rivers.gpkg", borders=make.world(), lakes=path)


def _subset(expected: dict[str, Any], actual: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        assert key in actual, f"{where}: no {key!r} in {actual}"
        if isinstance(want, dict):
            _subset(want, actual[key], f"{where}.{key}")
        else:
            assert actual[key] == want, f"{where}.{key}: {actual[key]!r} != {want!r}"


def _screen_exit(exp: dict[str, Any]) -> int:
    if "screen_exit" in exp:
        return exp["screen_exit"]
    return 2 if exp["raises"] in ("CRSError", "GeodataError") else 1


def _logged(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("hazid")
    ]


def test_corpus_is_complete_and_every_case_has_an_expectation(corpus, tmp_path):
    built = make.build(tmp_path / "again")
    assert set(built) == set(EXPECTED)
    assert {p.name for p in corpus.iterdir() if p.is_file()} == set(EXPECTED)
    assert {e["outcome"] for e in EXPECTED.values()} == {"error", "warning", "repaired", "ok"}
    assert {e["layer"] for e in EXPECTED.values()} == {"borders", "rivers", "lakes"}
    for name, exp in EXPECTED.items():
        if exp["outcome"] == "error":
            assert issubclass(getattr(hazid.errors, exp["raises"]), HazidError), name
            assert exp["match"], name
        else:
            assert "affected" in exp, name  # what the screening must still find
            if exp["outcome"] == "warning":
                assert exp["match"] and ("attrs" in exp or "report" in exp), name
            if exp["outcome"] == "repaired":
                assert "report" in exp or "attrs" in exp, name


def test_corpus_layers_are_rebuilt_identically(tmp_path):
    first = make.build(tmp_path / "a")
    second = make.build(tmp_path / "b")
    assert first == second
    for name in first:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = gpd.read_file(tmp_path / "a" / name)
                b = gpd.read_file(tmp_path / "b" / name)
        except Exception:  # the unreadable cases: same bytes
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
            continue
        assert a.to_wkb().equals(b.to_wkb()), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layer_reads_as_expected(corpus, name, caplog):
    exp = EXPECTED[name]
    if exp["outcome"] == "error":
        with pytest.raises(HazidError) as info:  # a raw library error fails here
            _read(corpus, name)
        assert isinstance(info.value, getattr(hazid.errors, exp["raises"])), repr(info.value)
        for pattern in exp["match"]:
            assert re.search(pattern, str(info.value)), (pattern, str(info.value))
        return
    with caplog.at_level(logging.WARNING, logger="hazid"):
        layer = _read(corpus, name)
    logged = _logged(caplog)
    if exp["layer"] == "borders":
        info, kept = layer.attrs, layer.attrs["warnings"]
        assert set(layer["iso_a3"]) == {"AAA", "BBB"}
        assert layer.is_valid.all() and (layer.geom_type == "MultiPolygon").all()
    else:
        info, kept = layer.attrs["report"], layer.attrs["report"]["warnings"]
    _subset(exp.get("attrs", {}), layer.attrs, "attrs")
    _subset(exp.get("report", {}), layer.attrs.get("report", {}), "report")
    if exp["outcome"] == "warning":
        for pattern in exp["match"]:
            assert any(re.search(pattern, m) for m in logged), (pattern, logged)
            assert any(re.search(pattern, m) for m in kept), (pattern, kept)
    else:
        assert logged == [] and kept == [], (logged, kept)
    assert info  # something says what was read


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_screen_with_layer(corpus, name, request):
    exp = EXPECTED[name]
    if "xfail_screen" in exp:
        request.applymarker(pytest.mark.xfail(reason=exp["xfail_screen"], strict=True))
    inputs = _inputs(corpus, name)
    if exp["outcome"] == "error":
        with pytest.raises(HazidError) as info:
            hazid.screen(make.inventory(), **inputs)
        assert isinstance(info.value, getattr(hazid.errors, exp["raises"])), repr(info.value)
        for pattern in exp["match"]:
            assert re.search(pattern, str(info.value)), (pattern, str(info.value))
        return
    res = hazid.screen(make.inventory(), **inputs)
    rows = sorted(map(list, res.affected[["site_id", "affected", "pathway"]].to_numpy()))
    assert rows == sorted(exp["affected"])
    sites = res.sites.set_index("site_id")
    assert sites["site_country"].to_dict() == {"A": "AAA", "C": "AAA"}
    paths = res.river_paths.set_index("site_id")
    # the toy HydroRIVERS network ends inland, without ENDORHEIC: the edge of the data
    assert paths.loc["C", "end"] == exp.get("end", "edge")
    if exp.get("end") == "none":
        assert "water pathway not assessed" in paths.loc["C", "water_note"]
        assert paths.loc["C", "water_status"] == "not assessed"
    if exp["layer"] == "rivers":  # what was repaired is recorded with the run
        recorded = res.run["stages"]["network"]["warnings"]
        for pattern in exp.get("match", []):
            assert any(re.search(pattern, m) for m in recorded), (pattern, recorded)


def test_projected_rivers_give_the_same_trace_as_geographic(corpus):
    good = hazid.screen(make.inventory(), **_inputs(corpus, "rivers_projected.gpkg") | {
        "rivers": corpus / "good" / "rivers.gpkg"
    })  # fmt: skip
    projected = hazid.screen(make.inventory(), **_inputs(corpus, "rivers_projected.gpkg"))
    a = good.affected.set_index(["site_id", "pathway"])
    b = projected.affected.set_index(["site_id", "pathway"])
    for col in ("river_km", "arrival_h", "peak_mg_l"):
        assert b.loc[("C", "water"), col] == pytest.approx(a.loc[("C", "water"), col], rel=1e-3)


READABLE = sorted(n for n in EXPECTED if "not_a_gis_file" not in n)


@pytest.mark.parametrize("name", READABLE)
def test_screen_with_layer_already_read(corpus, name):
    """A layer the user read himself: the same error, or a HazidError, or a usable result."""
    exp = EXPECTED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # geopandas warns about layers without CRS
        layer = gpd.read_file(corpus / name)
    inputs = _inputs(corpus, name) | {"lakes" if exp["layer"] == "lakes" else exp["layer"]: layer}
    try:
        res = hazid.screen(make.inventory(), **inputs)
    except HazidError as err:
        assert isinstance(err, CRSError | GeodataError | hazid.NetworkError), repr(err)
        # a layer that only load_borders can standardise is refused, saying so
        assert exp["outcome"] in ("error", "warning") or "load_borders" in str(err), repr(err)
        return
    assert exp["outcome"] != "error", name  # never a silently wrong result
    if exp["outcome"] in ("ok", "repaired"):
        rows = sorted(map(list, res.affected[["site_id", "affected", "pathway"]].to_numpy()))
        assert rows == sorted(exp["affected"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_screen_with_layer(corpus, name, tmp_path, request):
    exp = EXPECTED[name]
    if "xfail_screen" in exp:
        request.applymarker(pytest.mark.xfail(reason=exp["xfail_screen"], strict=True))
    parent = tmp_path / "parent"
    parent.mkdir()
    out = parent / "results"
    args = ["screen", str(corpus / "good" / "inventory.csv"), "--out", str(out), "--quiet"]
    for option, path in _inputs(corpus, name).items():
        args += [f"--{option}", str(path)]
    result = runner.invoke(app, [*args, "--no-map"])
    # a raw exception would surface here as result.exception (and exit code 1)
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    if exp["outcome"] == "error":
        assert result.exit_code == _screen_exit(exp), result.output
        assert "nothing was written" in result.output
        assert not out.exists()
        assert list(parent.iterdir()) == []  # no temporary directory left behind
    else:
        assert result.exit_code == 0, result.output
        assert (out / "affected.csv").is_file() and (out / "run.json").is_file()
        assert [p.name for p in parent.iterdir()] == ["results"]


def test_cli_screen_with_missing_lakes_file(corpus, tmp_path):
    out = tmp_path / "results"
    good = corpus / "good"
    result = runner.invoke(
        app,
        ["screen", str(good / "inventory.csv"), "--out", str(out), "--quiet", "--no-map",
         "--borders", str(good / "borders.gpkg"), "--rivers", str(good / "rivers.gpkg"),
         "--lakes", str(tmp_path / "no_such_lakes.gpkg")],
    )  # fmt: skip
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    assert result.exit_code == 1 and "no_such_lakes.gpkg" in result.output
    assert not out.exists()


def test_build_network_with_missing_lakes_file(corpus, tmp_path):
    with pytest.raises(hazid.DataSourceError, match=r"lakes .*no_such_lakes\.gpkg' does not exist"):
        hazid.build_network(corpus / "good" / "rivers.gpkg", lakes=tmp_path / "no_such_lakes.gpkg")


# ------------------------------------------------------------------------------------------
# Layers passed in memory to the geography functions, and river attributes out of range
# ------------------------------------------------------------------------------------------
def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["A"]}, geometry=gpd.points_from_xy([69.95], [41.0]), crs=4326
    )


def test_raw_border_layers_are_checked_by_the_geography_functions(caplog):
    w = make.world()
    with pytest.raises(GeodataError, match="borders layer is empty"):
        hazid.assign_country(_sites(), w.iloc[:0])
    with pytest.raises(GeodataError, match=r"three-letter country code in 'iso_a3'; got '-99'"):
        hazid.border_distance(_sites(), w.assign(iso_a3=["-99", "BBB"]))
    lines = w.set_geometry(w.boundary)
    with pytest.raises(GeodataError, match=r"one polygon .* not so: AAA \(LineString\)"):
        hazid.assign_country(_sites(), lines)
    with pytest.raises(GeodataError, match=r"not so: BBB \(no geometry\)"):
        hazid.assign_country(_sites(), w.set_geometry([w.geometry[0], None], crs=4326))
    collapsed = shapely.Polygon([(70, 40), (71, 40), (72, 40), (70, 40)])
    with pytest.raises(GeodataError, match="BBB are invalid and hold no polygon once repaired"):
        hazid.assign_country(_sites(), w.set_geometry([w.geometry[0], collapsed], crs=4326))
    bowtie = w.set_geometry([make.BOWTIE, w.geometry[1]], crs=4326)
    with caplog.at_level(logging.WARNING, logger="hazid.geography"):
        located = hazid.border_distance(_sites(), bowtie)
    assert "repaired 1 invalid border geometry with make_valid: AAA" in caplog.text
    assert located["site_country"].tolist() == ["AAA"]
    assert located["border_km"].iloc[0] == pytest.approx(4.2, abs=0.1)  # 0.05 deg to 70 E


def test_load_borders_standardises_a_layer_in_memory(caplog):
    layer = make.world().assign(ISO3=["AAA", "BBB"]).drop(columns="iso_a3")
    layer.attrs["source"] = "my borders"
    with caplog.at_level(logging.WARNING, logger="hazid.geography"):
        out = hazid.load_borders(layer.set_geometry([make.BOWTIE, layer.geometry[1]], crs=4326))
    assert out["iso_a3"].tolist() == ["AAA", "BBB"]
    assert out.attrs["repaired"] == 1 and out.attrs["source"] == "my borders"
    assert out.attrs["warnings"] == [r.getMessage() for r in caplog.records]
    with pytest.raises(CRSError, match="borders layer <GeoDataFrame> has no coordinate"):
        hazid.load_borders(make.world().set_crs(None, allow_override=True))


def test_river_attributes_out_of_range_are_named():
    r = make.rivers()
    with pytest.raises(GeodataError, match=r"LENGTH_KM must hold numbers; 1 bad value\(s\): row 2"):
        hazid.build_network(r.assign(LENGTH_KM=pd.Series([1.0, "long", 2.0, 3.0], dtype=object)))
    with pytest.raises(GeodataError, match=r"UPLAND_SKM must hold numbers; .*row 1: 'big'"):
        hazid.build_network(r.assign(UPLAND_SKM=pd.Series(["big", 1, 2, 3], dtype=object)))
    with pytest.raises(GeodataError, match=r"NEXT_DOWN must hold whole numbers; .*row 1: 12.5"):
        hazid.build_network(r.assign(NEXT_DOWN=[12.5, 13, 0, 12]))
    no_length = r.assign(LENGTH_KM=[None, 1.0, 2.0, 3.0])
    no_length = no_length.set_geometry([None, *r.geometry[1:]], crs=4326)
    with pytest.raises(GeodataError, match=r"LENGTH_KM is missing for reaches without a line .*11"):
        hazid.build_network(no_length)
    # an empty NEXT_DOWN is an outlet, as in HydroRIVERS
    net = hazid.build_network(r.assign(NEXT_DOWN=[12, 13, None, 12]))
    assert net.set_index("reach_id").loc[13, "sink"] == "outlet"


def test_a_country_the_river_leaves_before_the_site_is_not_downstream():
    """A site just downstream of a border does not notify the country upstream."""
    borders = make.world()
    net = gpd.GeoDataFrame(
        {"reach_id": [1, 2], "next_down": [2, 0], "length_km": [111.2, 55.6]},
        geometry=[
            shapely.LineString([(70.5, 41.0), (69.5, 41.0)]),  # from BBB into AAA
            shapely.LineString([(69.5, 41.0), (69.0, 41.0)]),
        ],
        crs=4326,
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["below", "above"], "site_country": ["AAA", "BBB"]},
        geometry=gpd.points_from_xy([69.7, 70.2], [41.0, 41.0]),
        crs=4326,
    )
    affected, paths = hazid.trace_water(sites, net, borders, border_tolerance_km=0)
    assert affected[["site_id", "affected"]].values.tolist() == [["above", "AAA"]]
    assert affected["river_km"].iloc[0] == pytest.approx(0.2 / 1.0 * 111.2, rel=1e-3)
    assert paths.set_index("site_id")["countries"].to_dict() == {"below": "AAA", "above": "BBB;AAA"}


def test_a_site_at_a_confluence_joins_the_reach_flowing_on():
    """Equally near reaches: the one leaving the node wins, whatever the row order."""
    r = make.rivers()
    node = gpd.GeoDataFrame(
        {"site_id": ["n"]}, geometry=gpd.points_from_xy([69.9], [40.5]), crs=4326
    )
    for rows in (r, r.iloc[::-1]):
        joined = hazid.rivers.connect_sites(node, hazid.build_network(rows))
        assert joined[["reach_id", "fraction"]].values.tolist() == [[12, 0.0]]
