"""The tailings pathway in the screening chain: from a facility row to an affected Party."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import hazid
from hazid.cli import app
from hazid.notify.method import _relevant
from hazid.notify.tailings import overland_text, tailings_head

runner = CliRunner()


@pytest.fixture
def world():
    """Two countries split at 70E; one river flowing east from 68.8E into BBB at 70E."""
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"], "name": ["Aland", "Bland"]},
        geometry=[shapely.box(68, 40, 70, 42), shapely.box(70, 40, 72, 42)],
        crs=4326,
    )
    rivers = gpd.GeoDataFrame(
        {
            "HYRIV_ID": [1, 2],
            "NEXT_DOWN": [2, 0],
            "LENGTH_KM": [143.6, 84.6],
            "UPLAND_SKM": [20_000.0, 25_000.0],
            "DIS_AV_CMS": [300.0, 320.0],
            "ENDORHEIC": [0, 0],
            "ORD_STRA": [6, 6],
        },
        geometry=[
            shapely.LineString([(68.8, 40.5), (70.5, 40.5)]),
            shapely.LineString([(70.5, 40.5), (71.5, 40.5)]),
        ],
        crs=4326,
    )
    # T1 5.5 km north of the river, T2 22 km, T3 2.1 km (the reach bulges north of 40.5N);
    # all ~90 km from BBB
    lon, lat = [68.9, 68.9, 69.0], [40.55, 40.7, 40.52]
    inventory = pd.DataFrame(
        {
            "site_id": ["T1", "T2", "T3"],
            "site_name": ["Upper tailings", "Dry valley tailings", "Old tailings"],
            "lon": [str(x) for x in lon],
            "lat": [str(x) for x in lat],
            "substance": ["sodium cyanide"] * 3,
            "quantity": ["500"] * 3,
        }
    )
    facilities = pd.DataFrame(
        {
            "facility_id": ["T1", "T2", "T3"],
            "lat": lat,
            "lon": lon,
            "tailings_volume_m3": [2e6, 2e6, 2e6],
            "dam_height_m": [30.0, 30.0, 30.0],
            "status": ["legacy", "active", "legacy"],
            "contaminants": ["arsenic=2 t", "", "cyanide=1 t"],
            # site-specific run-outs (km): T3 has none, so the unverified relation is needed
            "runout_km": [10.0, 5.0, None],
        }
    )
    return borders, rivers, inventory, facilities


def _screen(world, **options):
    borders, rivers, inventory, facilities = world
    # release_fraction=0: the inventory's own spill to water is left out, only tailings remain
    return hazid.screen(
        inventory,
        borders=borders,
        rivers=rivers,
        release_fraction=0.0,
        tailings=facilities,
        **options,
    )


def test_facility_row_to_affected_party_and_dossier(world, tmp_path):
    res = _screen(world)
    tail = res.affected[res.affected["pathway"] == "tailings"].set_index("site_id")
    assert set(res.affected["pathway"]) == {"tailings"}
    t1 = tail.loc["T1"]
    assert t1["affected"] == "BBB" and t1["contaminant"] == "arsenic"
    assert t1["runout_km"] == 10.0
    # 2 t of arsenic spread evenly; released fraction VF/VT of the default volume relation
    breaks = res.tailings.breaks.set_index("facility_id")
    assert t1["released_kg"] == pytest.approx(2000.0 * breaks.at["T1", "released_fraction"])
    # dam to river: 0.05 degrees of latitude (5.56 km) less the bulge of the reach, drawn
    # straight between its vertices, north of the 40.5N parallel; river to the border 1.1 degrees
    assert t1["snap_km"] == pytest.approx(5.5, abs=0.1)
    assert t1["river_km"] == pytest.approx(1.1 * 84.6, rel=0.03)
    assert t1["arrival_h"] > 0 and t1["peak_mg_l"] > 0
    assert res.run["stages"]["tailings"] == "done: 3 facilities, 1 reach a river"
    assert res.network is not None and res.run["parameters"]["tailings_unverified"] is False

    out = hazid.write_results(res, tmp_path / "out", static_maps=False, lang="en,ru")
    affected = pd.read_csv(out / "affected.csv", encoding="utf-8-sig")
    assert "tailings" in set(affected["pathway"])
    cols = affected.columns.tolist()
    assert cols[cols.index("snap_km") + 1 :][:3] == ["contaminant", "released_kg", "runout_km"]
    assert hazid.pipeline.AFFECTED_COLUMNS[-3:] == ("contaminant", "released_kg", "runout_km")
    summary = pd.read_csv(out / "notifications" / "summary.csv")
    pair = summary.set_index(["origin", "affected"]).loc[("AAA", "BBB")]
    assert pair["status"] == "notify" and "tailings" in pair["pathways"]
    dossier = json.loads((out / "notifications" / "AAA-BBB.en.json").read_text(encoding="utf-8"))
    act = {a["site_id"]: a for a in dossier["activities"]}
    assert act["T1"]["pathways"] == ["tailings"] and act["T1"]["status"] == "notify"
    evidence = [e["evidence"] for e in act["T1"]["water"]]
    assert evidence[0].startswith("tailings (dam failure, run-out 10.0 km, arsenic ")
    md = (out / "notifications" / "AAA-BBB.en.md").read_text(encoding="utf-8")
    assert "tailings (dam failure, run-out 10.0 km, arsenic" in md
    assert "**Status:** notify (tailings dam failure)" in md
    ru = (out / "notifications" / "AAA-BBB.ru.md").read_text(encoding="utf-8")
    assert "хвост" in ru and "tailings (dam failure" not in ru
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["inputs"]["tailings"] == {"name": "<table>"}
    # the interactive map draws the run-out envelopes, said not to be flow paths
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "run-out envelope (not a flow path) (2)" in page  # T3's run-out is not assessed


def test_no_river_within_runout_is_reported_with_the_distance(world):
    res = _screen(world)
    assert "T2" not in set(res.affected["site_id"])
    (warning,) = [w for w in res.run["warnings"] if w.startswith("tailings T2")]
    assert warning == "tailings T2: run-out 5.0 km does not reach a river: reach 1 is 22.2 km away"


def test_refused_relation_is_not_assessed_and_consulted(world):
    res = _screen(world)
    assert any(
        w.startswith("tailings: run-out not assessed for 1 facility") and "unverified" in w
        for w in res.run["warnings"]
    )
    t3 = res.affected[res.affected["site_id"] == "T3"]
    assert t3["affected"].tolist() == ["BBB"]
    assert np.isnan(t3["arrival_h"].iloc[0]) and np.isnan(t3["runout_km"].iloc[0])
    decided = hazid.notify.determine(res.sites, res.affected).set_index("site_id")
    assert decided.loc["T3", "status"] == "consult"
    assert decided.loc["T3", "evidence"].startswith(
        "tailings (dam failure, run-out not assessed, the river 2.1 km from the dam "
        "assumed reached)"
    )
    # accepting the unverified relation assesses it
    res = _screen(world, tailings_unverified=True)
    assert np.isfinite(res.tailings.breaks.set_index("facility_id").at["T3", "runout_km"])
    assert res.run["parameters"]["tailings_unverified"] is True


def test_overland_runout_and_facility_outside_inventory(world, tmp_path):
    borders, rivers, inventory, facilities = world
    near = facilities.iloc[[0]].assign(facility_id="N", lon=69.95, lat=41.5, runout_km=8.0)
    outside = facilities.iloc[[0]].assign(facility_id="X")
    table = pd.concat([facilities, near, outside], ignore_index=True)
    path = tmp_path / "facilities.csv"
    table.to_csv(path, index=False)
    inv = pd.concat([inventory, inventory.iloc[[0]].assign(site_id="N", lon="69.95", lat="41.5")])
    res = hazid.screen(inv, borders=borders, rivers=rivers, release_fraction=0.0, tailings=path)
    n = res.affected[res.affected["site_id"] == "N"].iloc[0]
    # 0.05 degrees of longitude at 41.5N from BBB: 4.2 km, inside the 8 km envelope
    assert n["affected"] == "BBB" and n["snap_km"] == pytest.approx(4.17, abs=0.05)
    assert np.isnan(n["arrival_h"]) and n["river"] == "" and np.isnan(n["river_km"])
    decided = hazid.notify.determine(res.sites, res.affected).set_index("site_id")
    assert decided.loc["N", "status"] == "consult"
    assert (
        "within the run-out envelope (overland; flow path not modelled)"
        in (decided.loc["N", "evidence"])
    )
    assert "X" not in set(res.affected["site_id"])
    assert any(
        w.startswith("tailings facility X is not in the inventory") for w in res.run["warnings"]
    )
    assert res.run["inputs"]["tailings"]["name"] == "facilities.csv"
    assert len(res.run["inputs"]["tailings"]["sha256"]) == 64


def test_without_river_network_the_pathway_is_not_assessed(world):
    borders, _, inventory, facilities = world
    res = hazid.screen(inventory, borders=borders, rivers=False, tailings=facilities)
    assert res.run["stages"]["tailings"] == "not assessed: no river network"
    assert "tailings: tailings pathway not assessed: no river network" in res.run["warnings"]


def test_sentences_in_russian():
    assert tailings_head(10.0, "arsenic", 713.0, 5.5, "ru") != tailings_head(
        10.0, "arsenic", 713.0, 5.5
    )
    assert "10,0" in overland_text(10.0, "BBB", 4.2, "ru")


def test_cli_screen_with_tailings(world, tmp_path):
    borders, rivers, inventory, facilities = world
    borders.to_file(tmp_path / "borders.gpkg")
    rivers.to_file(tmp_path / "rivers.gpkg")
    inventory.to_csv(tmp_path / "inventory.csv", index=False)
    facilities.to_csv(tmp_path / "facilities.csv", index=False)
    base = ["screen", str(tmp_path / "inventory.csv"), "--borders", str(tmp_path / "borders.gpkg"),
            "--rivers", str(tmp_path / "rivers.gpkg"), "--release-fraction", "0", "--no-map",
            "--no-static-maps", "-q"]  # fmt: skip
    out = tmp_path / "out"
    res = runner.invoke(
        app, [*base, "-o", str(out), "--tailings", str(tmp_path / "facilities.csv")]
    )
    assert res.exit_code == 0, res.output
    aff = pd.read_csv(out / "affected.csv", encoding="utf-8-sig")
    assert ("T1", "BBB", "tailings") in set(
        zip(aff.site_id, aff.affected, aff.pathway, strict=True)
    )
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["inputs"]["tailings"]["name"] == "facilities.csv"
    # the unverified relation, asked for, assesses T3's run-out
    out2 = tmp_path / "out2"
    res = runner.invoke(
        app,
        [*base, "-o", str(out2), "--tailings", str(tmp_path / "facilities.csv"),
         "--tailings-unverified"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    run = json.loads((out2 / "run.json").read_text(encoding="utf-8"))
    assert run["parameters"]["tailings_unverified"] is True
    # an invalid facility table: every problem listed under its own name, nothing written
    facilities.assign(status="ruined").to_csv(tmp_path / "bad.csv", index=False)
    res = runner.invoke(app, [*base, "-o", str(tmp_path / "out3"), "--tailings",
                              str(tmp_path / "bad.csv")])  # fmt: skip
    assert res.exit_code == 2 and "bad.csv: invalid input" in res.output
    assert not (tmp_path / "out3").exists()


def test_tailings_warnings_concern_tailings_pairs_only():
    warning = "tailings T2: run-out 5.0 km does not reach a river: reach 1 is 22.2 km away"
    assert _relevant(warning, {"air": True, "water": True, "tailings": False}) is None
    assert _relevant(warning, {"air": False, "water": True, "tailings": True}) == warning


def test_facility_not_assessed_without_rows_is_a_gap_never_no_effect(world, tmp_path):
    borders, rivers, inventory, facilities = world
    # far from the river (144 km) and from BBB (141 km), run-out not assessed: nothing to trace
    far = facilities.iloc[[2]].assign(facility_id="L", lon=68.3, lat=41.8)
    inv = pd.concat([inventory, inventory.iloc[[0]].assign(site_id="L", lon="68.3", lat="41.8")])
    res = hazid.screen(
        inv,
        borders=borders,
        rivers=rivers,
        release_fraction=0.0,
        tailings=pd.concat([facilities, far], ignore_index=True),
    )
    assert "L" not in set(res.affected["site_id"])
    assert any(w.startswith("tailings L: run-out not assessed") for w in res.run["warnings"])
    gap = res.sites.set_index("site_id")["tailings_gap"]
    assert gap["L"].startswith("run-out not assessed (no reach in 50 km)") and pd.isna(gap["T2"])
    out = hazid.write_results(res, tmp_path / "out", static_maps=False, map_html=False)
    reasons = pd.read_csv(out / "notifications" / "not_notified.csv").set_index("site_id")["reason"]
    assert "a gap in the data" in reasons["L"] and "run-out not assessed" in reasons["L"]
    assert reasons["T2"] == "hazardous activity; no effect found to reach another Party"
