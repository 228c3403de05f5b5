"""The whole chain on a hand-built two-country world, and on the demo with real geodata."""

from __future__ import annotations

import csv
import importlib
import json
import multiprocessing
import os
import signal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import hazid
from hazid import embedded, maps
from hazid.cli import app
from hazid.pipeline import write as pipeline_write

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HAZID_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEMO = ROOT / "data" / "examples" / "central_asia_demo.csv"
runner = CliRunner()


@pytest.fixture
def world():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"], "name": ["Aland", "Bland"]},
        geometry=[shapely.box(68, 40, 70, 42), shapely.box(70, 40, 72, 42)],
        crs=4326,
    )
    rivers = gpd.GeoDataFrame(
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
            shapely.LineString([(69.9, 40.5), (70.5, 40.5)]),
            shapely.LineString([(70.5, 40.5), (71.5, 40.5)]),
        ],
        crs=4326,
    )
    inventory = pd.DataFrame(
        {
            "site_id": ["A", "B", "C", "D"],
            "site_name": ["Border chlorine store", "Inland chlorine store", "River depot", "Tiny"],
            "lon": ["69.95", "68.5", "69.9", "69.96"],
            "lat": ["41.0", "41.0", "40.52", "41.2"],
            "substance": ["chlorine", "chlorine", "diesel", "chlorine"],
            "quantity": ["30", "30", "30000", "1"],
        }
    )
    return borders, rivers, inventory


def test_chain_on_toy_world(world, tmp_path):
    borders, rivers, inventory = world
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    s = res.sites.set_index("site_id")
    assert s.loc["A", "site_country"] == "AAA" and s.loc["A", "nearest_foreign"] == "BBB"
    assert s.loc["A", "border_km"] == pytest.approx(0.05 * 84.0, rel=0.02)
    aff = res.affected
    air = aff[aff.pathway == "air"]
    # chlorine 30 t: beyond the OCA tables, undetermined, drawn at 25 mi (40.2 km);
    # 30,000 t diesel spread 1 cm deep: a pool fire of km
    assert air[["site_id", "affected", "hazard"]].values.tolist() == [
        ["A", "BBB", "toxic"],
        ["C", "BBB", "fire"],
    ]
    assert air.iloc[0]["margin_km"] == pytest.approx(
        25 * 1.609344 - s.loc["A", "border_km"], abs=0.1
    )
    # both weather cases on the air rows; an undetermined zone makes the pathway consult
    assert air.iloc[0]["undetermined"] and not air.iloc[1]["undetermined"]
    assert air.iloc[0]["zone_alternative_km"] < air.iloc[0]["zone_worst_km"]
    decided = hazid.notify.determine(res.sites, aff)
    row = decided[decided.site_id == "A"].iloc[0]
    assert row.status == "consult" and "undetermined" in row.evidence
    water = aff[aff.pathway == "water"]
    # A has no river within 10 km: its water pathway is not assessed, so BBB (4 km away)
    # gets a water row without arrival time (to consult), never "no effect"
    assert water[["site_id", "affected"]].values.tolist() == [["A", "BBB"], ["C", "BBB"]]
    assert np.isnan(water.iloc[0]["arrival_h"])
    assert water.iloc[0]["water_note"].startswith("water pathway not assessed (no river reach")
    assert water.iloc[1]["river_km"] == pytest.approx(0.1 * 84.4, rel=0.03)
    assert water.iloc[1]["arrival_h"] > 0 and water.iloc[1]["peak_mg_l"] > 0
    paths = res.river_paths.set_index("site_id")
    assert paths.loc["A", "water_status"] == "not assessed"
    # C's river reaches BBB and then ends inland (no ENDORHEIC): the edge of the toy data
    assert (paths.loc["C", "end"], paths.loc["C", "end_country"]) == ("edge", "BBB")
    assert paths.loc["C", "water_reason"] == "trace ends at the edge of the river data"
    assert not s.loc["D", "hazardous"]  # 1 t of chlorine near the border: never notified
    assert "D" not in set(aff.site_id)
    # the gaps are said in run.json, with the sites concerned
    assert res.run["warnings"] == [
        "water pathway not assessed for 2 site(s): no river reach within 10 km: A, B",
        "water pathway not assessed for 1 site(s): trace ends at the edge of the river data: C "
        "(stops in BBB)",
    ]

    out = hazid.write_results(res, tmp_path / "r", static_maps=False)
    names = {p.name for p in out.iterdir()}
    assert names >= {"sites.csv", "holdings.csv", "affected.csv", "run.json", "results.gpkg"}
    assert {"map.html", "notifications"} <= names
    with open(out / "affected.csv", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    n = len(hazid.pipeline.AFFECTED_COLUMNS)
    assert [h.lstrip("\ufeff") for h in header[:n]] == list(hazid.pipeline.AFFECTED_COLUMNS)
    layers = set(gpd.list_layers(out / "results.gpkg")["name"])
    assert layers >= {"sites", "zones", "river_paths", "borders"}
    summary = pd.read_csv(out / "notifications" / "summary.csv")
    assert summary[["origin", "affected"]].values.tolist() == [["AAA", "BBB"]]
    assert (out / "notifications" / "AAA-BBB.json").is_file()
    pair_map = (out / "notifications" / "AAA-BBB_map.html").read_text(encoding="utf-8")
    assert "Border chlorine store" in pair_map and "Tiny" not in pair_map
    sites_csv = pd.read_csv(out / "sites.csv")
    assert {"border_km", "nearest_foreign", "site_country"} <= set(sites_csv.columns)


def test_missing_inputs_are_stated(world, monkeypatch, tmp_path):
    borders, _, inventory = world
    monkeypatch.delenv("HAZID_RIVERS", raising=False)
    monkeypatch.setenv("HAZID_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(embedded, "GEODATA_DIR", tmp_path / "no-embedded-data")
    res = hazid.screen(inventory, borders=borders)
    assert any("water pathway not assessed" in w for w in res.run["warnings"])
    assert set(res.affected.pathway) == {"air"}
    res = hazid.screen(inventory, borders=False, rivers=False)
    assert res.affected is None
    assert res.run["warnings"] == [
        "air pathway not assessed: switched off",
        "water pathway not assessed: switched off",
    ]


def test_explicit_missing_rivers_is_an_error(world, tmp_path):
    borders, _, inventory = world
    with pytest.raises(hazid.DataSourceError, match=r"nope\.gpkg"):
        hazid.screen(inventory, borders=borders, rivers=tmp_path / "nope.gpkg")


def test_bad_water_choice(world):
    _, _, inventory = world
    with pytest.raises(hazid.ChoiceError, match="water must be one of 'aquatic', 'all'"):
        hazid.screen(inventory, borders=False, rivers=False, water="some")


def test_rerun_is_byte_identical(world, tmp_path):
    borders, rivers, inventory = world
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    a = hazid.write_results(res, tmp_path / "a", static_maps=False)
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    b = hazid.write_results(res, tmp_path / "b", static_maps=False)
    for rel in ("sites.csv", "holdings.csv", "affected.csv", "notifications/summary.csv",
                "notifications/AAA-BBB.json", "notifications/AAA-BBB.md"):  # fmt: skip
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_geopackage_and_workbook_written_by_processes_of_their_own(world, tmp_path, monkeypatch):
    borders, rivers, inventory = world
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    a = hazid.write_results(res, tmp_path / "a", static_maps=False, map_html=False)
    layers, workbook = pipeline_write.write_layers, pipeline_write._workbook

    def record(name: str, write):
        def recording(*args):
            (tmp_path / f"{name}.pid").write_text(str(os.getpid()), encoding="utf-8")
            return write(*args)

        return recording

    monkeypatch.setattr(pipeline_write, "PARALLEL_ROWS_FROM", 0)
    monkeypatch.setattr(pipeline_write, "write_layers", record("gpkg", layers))
    monkeypatch.setattr(pipeline_write, "_workbook", record("xlsx", workbook))
    b = hazid.write_results(res, tmp_path / "b", static_maps=False, map_html=False)
    for name in ("gpkg", "xlsx"):
        assert int((tmp_path / f"{name}.pid").read_text(encoding="utf-8")) != os.getpid()
    assert (a / "results.xlsx").read_bytes() == (b / "results.xlsx").read_bytes()
    names = gpd.list_layers(a / "results.gpkg")["name"].tolist()
    assert names == gpd.list_layers(b / "results.gpkg")["name"].tolist()
    assert "zones" in names
    for name in names:
        first = gpd.read_file(a / "results.gpkg", layer=name)
        second = gpd.read_file(b / "results.gpkg", layer=name)
        pd.testing.assert_frame_equal(first, second)


def _failing_layers(*args, **kwargs):
    raise hazid.OutputError("cannot write results.gpkg: disk full")


def _vanishing_layers(*args, **kwargs):
    os._exit(3)


@pytest.mark.parametrize(
    ("attribute", "writer", "match"),
    [
        ("write_layers", _failing_layers, "cannot write results.gpkg: disk full"),
        (
            "write_layers",
            _vanishing_layers,
            r"cannot write results.gpkg: forked process stopped \(3\)",
        ),
        (
            "_workbook",
            _vanishing_layers,
            r"cannot write results.xlsx: forked process stopped \(3\)",
        ),
    ],
)
def test_errors_of_the_writing_processes_reach_the_caller(
    world, tmp_path, monkeypatch, attribute, writer, match
):
    borders, rivers, inventory = world
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    monkeypatch.setattr(pipeline_write, "PARALLEL_ROWS_FROM", 0)
    monkeypatch.setattr(pipeline_write, attribute, writer)
    with pytest.raises(hazid.OutputError, match=match):
        hazid.write_results(res, tmp_path / "r", static_maps=False, map_html=False)
    assert not (tmp_path / "r").exists()


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data not available")
def test_demo_with_real_geodata(tmp_path):
    out = tmp_path / "demo"
    res = runner.invoke(
        app,
        [
            "screen", str(DEMO), "--out", str(out), "--quiet",
            "--borders", str(SHARED / "ne_10m_countries.gpkg"),
            "--rivers", str(SHARED / "ne_10m_rivers.gpkg"),
            "--lakes", str(SHARED / "ne_10m_lakes.gpkg"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    aff = pd.read_csv(out / "affected.csv")
    pairs = set(zip(aff.site_id, aff.affected, aff.pathway, strict=True))
    # Khujand on the Syr Darya: Uzbekistan then Kazakhstan downstream
    assert {("TJ-002", "UZB", "water"), ("TJ-002", "KAZ", "water")} <= pairs
    # Pavlodar on the Irtysh: Russia downstream
    assert ("KZ-001", "RUS", "water") in pairs
    # Bishkek's chlorine and ammonia: Kazakhstan across the Chu by air
    assert ("KG-001", "KAZ", "air") in pairs
    sites = pd.read_csv(out / "sites.csv").set_index("site_id")
    assert set(aff.site_id) <= set(sites.index[sites.hazardous])
    assert (sites.site_country == sites.country).all()
    run = json.loads((out / "run.json").read_text())
    assert run["inputs"]["borders"]["sha256"] and run["stages"]["water"].startswith("done")
    summary = pd.read_csv(out / "notifications" / "summary.csv")
    assert ("TJK", "UZB") in set(zip(summary.origin, summary.affected, strict=True))
    regen = runner.invoke(app, ["notify", str(out), "--no-maps"])
    assert regen.exit_code == 0, regen.output


def test_population_counted_in_zones(world, tmp_path):
    import numpy as np
    import rasterio
    from affine import Affine

    borders, _, inventory = world
    raster = tmp_path / "people.tif"
    with rasterio.open(
        raster, "w", driver="GTiff", width=400, height=200, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(0.01, 0, 68.0, 0, -0.01, 42.0),
    ) as dst:  # fmt: skip
        dst.write(np.ones((1, 200, 400), dtype="float32"))  # one person per 0.01 degree cell
    res = hazid.screen(inventory, borders=borders, rivers=False, population=raster)
    zones = res.zones.set_index(["site_id", "hazard"])
    people = zones.loc[("A", "toxic"), "population"]
    # 40 km circle at 41 N, all inside the raster: area / cell area (1.11 km x 0.84 km)
    expected = np.pi * 40.0**2 / (1.1132 * 0.8402)
    assert people == pytest.approx(expected, rel=0.03)
    assert res.run["inputs"]["population"]["name"] == "people.tif"
    # the part of the zone inside BBB (east of 70 E, the site 4.2 km west of it)
    row = res.affected.set_index(["site_id", "pathway"]).loc[("A", "air")]
    assert 0 < row["population_affected"] < people
    clipped = zones.loc[("A", "toxic"), "geometry"].intersection(borders.geometry[1])
    area_km2 = gpd.GeoSeries([clipped], crs=4326).to_crs("+proj=aeqd +lat_0=41 +lon_0=70").area
    assert row["population_affected"] == pytest.approx(
        float(area_km2.iloc[0]) / 1e6 / (1.1132 * 0.8402), rel=0.03
    )
    out = hazid.write_results(res, tmp_path / "r", static_maps=False, map_html=False)
    dossier = json.loads((out / "notifications" / "AAA-BBB.json").read_text())
    air_rows = [e for act in dossier["activities"] for e in act["air"]]
    assert air_rows[0]["population_in_affected"] == round(row["population_affected"])
    assert "People of BBB inside zone" in (out / "notifications" / "AAA-BBB.md").read_text()


def _same_run(a: dict, b: dict) -> None:
    for key in ("warnings", "limitations", "stages"):
        assert a[key] == b[key], key
    assert list(a["inputs"]) == list(b["inputs"])


def test_the_air_stage_alongside_the_rivers_gives_the_same_results(world, tmp_path, monkeypatch):
    pipeline_screen = importlib.import_module("hazid.pipeline.screen")

    pipeline_stages = importlib.import_module("hazid.pipeline.stages")

    borders, rivers, inventory = world
    here = hazid.screen(inventory, borders=borders, rivers=rivers)
    labels: list[str] = []
    monkeypatch.setattr(pipeline_screen, "PARALLEL_SITES_FROM", 0)
    added: list[list[str]] = []  # the sites' columns sent back by the forked process
    with_added = pipeline_stages._with_added
    monkeypatch.setattr(
        pipeline_stages,
        "_with_added",
        lambda sites, effects: (
            added.append(list(effects.sites.columns)) or with_added(sites, effects)
        ),
    )
    aside = hazid.screen(inventory, borders=borders, rivers=rivers, progress=labels.append)
    assert any("alongside the rivers" in label for label in labels)
    assert added == [["border_km", "nearest_foreign"]]  # not the whole sites table
    pd.testing.assert_frame_equal(here.sites, aside.sites)
    pd.testing.assert_frame_equal(here.zones, aside.zones)
    pd.testing.assert_frame_equal(here.affected, aside.affected)
    pd.testing.assert_frame_equal(here.river_paths, aside.river_paths)
    _same_run(here.run, aside.run)
    # the countries of the HTML maps, worked out beside the water stage, make the same maps
    assert here.map_world is None and aside.map_world is not None
    assert maps.BaseMap(aside.borders, world=aside.map_world)._labels is not None
    kw = {"static_maps": False, "now": pd.Timestamp("2026-01-01", tz="UTC").to_pydatetime()}
    a = hazid.write_results(here, tmp_path / "a", **kw)
    b = hazid.write_results(aside, tmp_path / "b", **kw)
    pages = ["map.html", *(f"notifications/{p.name}" for p in a.glob("notifications/*.html"))]
    assert len(pages) > 2
    for page in pages:
        assert (a / page).read_bytes() == (b / page).read_bytes(), page


def test_the_air_stage_sends_back_only_the_columns_it_added_to_the_sites():
    from hazid.pipeline.stages import _AirEffects, _only_added, _with_added

    given = gpd.GeoDataFrame(
        {"site_id": ["A", "B"], "lon": [60.0, 61.0]},
        geometry=shapely.points([60.0, 61.0], [40.0, 41.0]),
        crs=4326,
    )
    out = given.assign(border_km=[1.5, np.nan], nearest_foreign=pd.array(["UZB", ""], "str"))

    def effects(sites):
        return _AirEffects(sites, given.iloc[:0], pd.DataFrame(), [], None)

    sent = _only_added(effects(out.copy()), given)
    assert sent.given == ["site_id", "lon", "geometry"]
    assert list(sent.sites.columns) == ["border_km", "nearest_foreign"]
    assert not isinstance(sent.sites, gpd.GeoDataFrame)  # no geometry to send
    here = given.assign(water_mass_kg=[0.0, 2.0])  # added meanwhile by the water stage: left out
    back = _with_added(here, sent)
    pd.testing.assert_frame_equal(back, out)
    assert isinstance(back, gpd.GeoDataFrame) and back.crs == out.crs
    # another row order, or a column the stage changed the place of: sent back whole
    for changed in (out.iloc[::-1], out[["lon", "site_id", "geometry", "border_km"]]):
        whole = _only_added(effects(changed), given)
        assert whole.given is None and whole.sites is changed


def test_an_error_of_the_air_stage_alongside_the_rivers_reaches_the_caller(world, monkeypatch):
    pipeline_screen = importlib.import_module("hazid.pipeline.screen")

    def no_distance(*args, **kwargs):
        raise hazid.GeodataError("borders without a usable boundary")

    borders, rivers, inventory = world
    monkeypatch.setattr(pipeline_screen, "PARALLEL_SITES_FROM", 0)
    monkeypatch.setattr(hazid.geography, "border_distance", no_distance)
    with pytest.raises(hazid.GeodataError, match="borders without a usable boundary"):
        hazid.screen(inventory, borders=borders, rivers=rivers)


def test_the_interactive_map_drawn_by_a_process_of_its_own_is_the_same(
    world, tmp_path, monkeypatch
):
    borders, rivers, inventory = world
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    kw = {"static_maps": False, "now": pd.Timestamp("2026-01-01", tz="UTC").to_pydatetime()}
    a = hazid.write_results(res, tmp_path / "a", **kw)
    drawn = pipeline_write.maps.write_map
    pids: list[int] = []

    def recording(*args, **kwargs):
        if Path(args[1]).name == "map.html":  # the overview (the pair maps are drawn here)
            (tmp_path / "map.pid").write_text(str(os.getpid()), encoding="utf-8")
        return drawn(*args, **kwargs)

    monkeypatch.setattr(pipeline_write, "PARALLEL_ROWS_FROM", 0)
    monkeypatch.setattr(pipeline_write.maps, "write_map", recording)
    b = hazid.write_results(res, tmp_path / "b", **kw)
    pids.append(int((tmp_path / "map.pid").read_text(encoding="utf-8")))
    assert pids != [os.getpid()]
    assert (a / "map.html").read_bytes() == (b / "map.html").read_bytes()
    pair_maps = sorted(p.name for p in (a / "notifications").glob("*_map.html"))
    assert pair_maps
    for name in pair_maps:
        assert (a / "notifications" / name).read_bytes() == (
            b / "notifications" / name
        ).read_bytes()


def _early(monkeypatch, tmp_path):
    """Start early for any inventory; record the processes reading inventories, building rivers."""
    pipeline_screen = importlib.import_module("hazid.pipeline.screen")
    pipeline_stages = importlib.import_module("hazid.pipeline.stages")
    monkeypatch.setattr(pipeline_screen, "EARLY_FROM_ROWS", 1)
    log = tmp_path / "pids.txt"

    def recording(what, real):
        def call(*args, **kwargs):
            with log.open("a") as f:
                f.write(f"{what} {os.getpid()}\n")
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(
        pipeline_stages, "read_inventory", recording("read", pipeline_stages.read_inventory)
    )
    monkeypatch.setattr(
        hazid.rivers, "build_network", recording("build", hazid.rivers.build_network)
    )
    monkeypatch.setattr(
        hazid.geography, "resolve_borders", recording("borders", hazid.geography.resolve_borders)
    )
    for module in (pipeline_screen, pipeline_stages):  # here, and beside the water stage
        monkeypatch.setattr(module, "_air_effects", recording("air", module._air_effects))
    return log


def _from_a_borders_file(world, tmp_path):
    """The world with its borders in a file, and its screening without an early start."""
    borders, rivers, inventory = world
    path = tmp_path / "borders.gpkg"
    borders.to_file(path)
    return path, rivers, inventory, hazid.screen(inventory, borders=path, rivers=rivers)


def _calls(log) -> list[tuple[str, int]]:
    return [(what, int(p)) for what, p in (x.split() for x in log.read_text().splitlines())]


def test_the_inventory_read_while_the_rivers_are_built_gives_the_same_results(
    world, tmp_path, monkeypatch
):
    path, rivers, inventory, here = _from_a_borders_file(world, tmp_path)
    log = _early(monkeypatch, tmp_path)
    labels: list[str] = []
    early = hazid.screen(inventory, borders=path, rivers=rivers, progress=labels.append)
    calls = _calls(log)
    assert sorted(what for what, _ in calls) == ["air", "borders", "build", "read"]
    pid = dict(calls)
    assert pid["read"] != os.getpid()  # once each: the inventory aside, the rest here
    assert pid["build"] == pid["borders"] == pid["air"] == os.getpid()
    assert labels[0] == "reading inventory (the river network is built alongside)"
    for name in ("sites", "holdings", "zones", "affected", "river_paths", "network"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(early, name))
    _same_run(here.run, early.run)
    assert here.run["inputs"] == early.run["inputs"]
    assert early.sites.attrs == here.sites.attrs and early.run is not here.run


def test_an_early_start_fails_as_without_it(world, tmp_path, monkeypatch):
    borders, rivers, inventory = world
    log = _early(monkeypatch, tmp_path)
    with pytest.raises(hazid.DataSourceError, match=r"borders file not found: nope\.gpkg"):
        hazid.screen(inventory, borders=tmp_path / "nope.gpkg", rivers=rivers)
    with pytest.raises(hazid.DataSourceError, match=r"nope_rivers\.gpkg"):
        hazid.screen(inventory, borders=borders, rivers=tmp_path / "nope_rivers.gpkg")
    # a refused inventory is refused as usual, even with a river network that cannot be read
    bad = inventory.assign(quantity=["30", "x", "30000", "1"])
    with pytest.raises(hazid.InventoryError, match="quantity"):
        hazid.screen(bad, borders=borders, rivers=tmp_path / "nope_rivers.gpkg")
    with pytest.raises(hazid.InventoryError, match="quantity"):
        hazid.screen(bad, borders=borders, rivers=rivers)
    # the failed parts ran again here, to raise their error as usual
    reads = [p for what, p in _calls(log) if what == "read"]
    assert os.getpid() in reads and any(p != os.getpid() for p in reads)
    assert multiprocessing.active_children() == []


def test_an_early_start_works_out_the_air_stage_in_the_process_that_read_the_inventory(
    world, tmp_path, monkeypatch
):
    pipeline_screen = importlib.import_module("hazid.pipeline.screen")
    path, rivers, inventory, here = _from_a_borders_file(world, tmp_path)
    log = _early(monkeypatch, tmp_path)
    monkeypatch.setattr(pipeline_screen, "PARALLEL_SITES_FROM", 0)
    labels: list[str] = []
    early = hazid.screen(inventory, borders=path, rivers=rivers, progress=labels.append)
    pid = dict(_calls(log))
    assert pid["air"] == pid["read"] != os.getpid()
    assert pid["borders"] == pid["build"] == os.getpid()  # read once, here, and handed over
    assert any("alongside the rivers" in label for label in labels)
    for name in ("sites", "holdings", "zones", "affected", "river_paths"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(early, name))
    _same_run(here.run, early.run)
    assert here.run["inputs"] == early.run["inputs"]
    assert early.borders is not None and early.borders.equals(here.borders)
    assert multiprocessing.active_children() == []


def test_an_error_of_the_air_stage_of_an_early_start_reaches_the_caller(
    world, tmp_path, monkeypatch
):
    pipeline_screen = importlib.import_module("hazid.pipeline.screen")

    def no_distance(*args, **kwargs):
        raise hazid.GeodataError("borders without a usable boundary")

    borders, rivers, inventory = world
    _early(monkeypatch, tmp_path)
    monkeypatch.setattr(pipeline_screen, "PARALLEL_SITES_FROM", 0)
    monkeypatch.setattr(hazid.geography, "border_distance", no_distance)
    with pytest.raises(hazid.GeodataError, match="borders without a usable boundary"):
        hazid.screen(inventory, borders=borders, rivers=rivers)
    assert multiprocessing.active_children() == []


def test_an_early_start_whose_borders_cannot_be_read_here_reads_them_aside(
    world, tmp_path, monkeypatch
):
    borders, rivers, inventory = world
    here = hazid.screen(inventory, borders=borders, rivers=rivers)
    _early(monkeypatch, tmp_path)
    main, real = os.getpid(), hazid.geography.load_borders

    def not_here(*args, **kwargs):
        if os.getpid() == main:
            raise OSError("not in this process")
        with (tmp_path / "loaded.txt").open("a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(hazid.geography, "load_borders", not_here)
    early = hazid.screen(inventory, borders=borders, rivers=rivers)
    loaded = [int(x) for x in (tmp_path / "loaded.txt").read_text().split()]
    assert len(loaded) == 1 and loaded[0] != main
    for name in ("sites", "zones", "affected", "river_paths"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(early, name))
    assert early.borders.equals(here.borders)
    assert multiprocessing.active_children() == []


def test_an_early_start_whose_borders_cannot_be_handed_over_reads_them_aside(
    world, tmp_path, monkeypatch
):
    path, rivers, inventory, here = _from_a_borders_file(world, tmp_path)
    log = _early(monkeypatch, tmp_path)
    forked_module = importlib.import_module("hazid.forked")
    main, real = os.getpid(), forked_module.os.pwrite

    def full(fd, data, offset):
        if os.getpid() == main:
            raise OSError(28, "No space left on device")
        return real(fd, data, offset)

    def hung(*args):
        raise TimeoutError("a process was left waiting for the borders")

    monkeypatch.setattr(forked_module.os, "pwrite", full)
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        early = hazid.screen(inventory, borders=path, rivers=rivers)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    calls = _calls(log)
    assert sorted(p != main for what, p in calls if what == "borders") == [False, True]
    for name in ("sites", "zones", "affected", "river_paths"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(early, name))
    assert multiprocessing.active_children() == []
