"""Drainage area on plain-line networks: longest course upstream, Hack's law, travel times."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hazid import rivers as rv
from hazid.errors import ChoiceError
from hazid.rivers.graph import _compile
from hazid.rivers.hydrology import HACK_NOTE, SOURCE_AREA, SOURCE_HACK, _reach_hydraulics

SHARED = Path(
    os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared data absent")


def gdf(data: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4326)


# --------------------------------------------------------------------------
# Hack's law
# --------------------------------------------------------------------------


def test_hack_area_hand_worked():
    # L = 1.4 A^0.6 in miles and square miles (Hack 1957): 1.4 mi <-> 1 sq mi
    assert rv.hack_area_km2(1.4 * 1.609344) == pytest.approx(2.589988110336)
    # ten times the area needs 10^0.6 times the length
    assert rv.hack_area_km2(1.4 * 10**0.6 * 1.609344) == pytest.approx(25.89988110336)
    # 100 km = 62.137 mi; (62.137 / 1.4)^(1 / 0.6) = 556.4 sq mi = 1,441 km2
    assert rv.hack_area_km2(100.0) == pytest.approx(1441.02, abs=0.01)
    out = rv.hack_area_km2([0.0, -5.0, np.nan])
    assert np.isnan(out).all()


# --------------------------------------------------------------------------
# longest course upstream (one pass in topological order)
# --------------------------------------------------------------------------


def test_longest_upstream_hand_worked():
    #  1 (5 km) --\
    #  2 (2 km) ---> 3 (1 km) --> 4 (1 km) --> outlet
    #  5 (10 km) ----------------/
    r = pd.DataFrame({"reach_id": [1, 2, 3, 4, 5], "next_down": [3, 3, 4, 0, 4]})
    got = _compile(r).longest_upstream(np.array([5.0, 2.0, 1.0, 1.0, 10.0]))
    assert got.tolist() == [5.0, 2.0, 6.0, 11.0, 10.0]


def _brute_force(nd: np.ndarray, w: np.ndarray) -> np.ndarray:
    ups: dict[int, list[int]] = {}
    for i, d in enumerate(nd):
        if d >= 0:
            ups.setdefault(int(d), []).append(i)
    memo: dict[int, float] = {}

    def best(i: int) -> float:
        if i not in memo:
            memo[i] = w[i] + max((best(u) for u in ups.get(i, [])), default=0.0)
        return memo[i]

    return np.array([best(i) for i in range(len(nd))])


def test_longest_upstream_matches_brute_force_on_random_trees():
    rng = np.random.default_rng(7)
    for n in (1, 2, 30, 400):
        # reach i drains to a reach of larger index (or to the outlet): a forest
        nd = np.array([rng.integers(i + 1, n + 1) if i < n - 1 else n for i in range(n)])
        nd = np.where(nd >= n, -1, nd)
        ids = rng.permutation(np.arange(10, 10 + n))  # ids in any order
        r = pd.DataFrame({"reach_id": ids, "next_down": np.where(nd < 0, 0, ids[nd])})
        w = rng.uniform(0.5, 20.0, n)
        got = _compile(r).longest_upstream(w)
        np.testing.assert_allclose(got, _brute_force(nd, w))


def test_longest_upstream_terminates_on_cycles():
    # 1 -> 2 -> 3 -> 1 is a cycle; 4 drains into it: compiled as outlets, never loops
    r = pd.DataFrame({"reach_id": [1, 2, 3, 4], "next_down": [2, 3, 1, 1]})
    got = _compile(r, on_cycle="ignore").longest_upstream(np.ones(4))
    assert np.isfinite(got).all()
    assert (got >= 1.0).all()


# --------------------------------------------------------------------------
# plain-line networks
# --------------------------------------------------------------------------


def _y_network(**kw):
    lines = gdf(
        {"name": ["Main", "Trib"]},
        [
            shapely.LineString([(0.0, 0), (1.0, 0)]),  # drawn upstream
            shapely.LineString([(0.5, 0.3), (0.5, 0.0)]),
        ],
    )
    land = gdf({"iso_a3": ["AAA"]}, [shapely.box(-0.02, -1, 2, 1)])
    return rv.network_from_lines(lines, borders=land, max_reach_km=None, **kw)


def test_lines_upstream_km_is_the_longest_course():
    net = _y_network()
    assert net.attrs["report"]["drainage_area"] == "hack"
    out = net[net.next_down == 0].iloc[0]
    ups = net[net.next_down == out.reach_id]
    assert sorted(ups.upstream_km.round(6)) == sorted(ups.length_km.round(6))
    assert out.upstream_km == pytest.approx(out.length_km + ups.length_km.max())
    assert out.upstream_km == pytest.approx(111.3, abs=0.1)  # 1 degree of the equator
    assert net.upland_skm.isna().all()  # never written as a measured drainage area


def test_lines_without_drainage_area_and_bad_choice():
    net = _y_network(drainage_area="none")
    assert "upstream_km" not in net
    assert net.attrs["report"]["drainage_area"] == "none"
    with pytest.raises(ChoiceError, match="drainage_area"):
        _y_network(drainage_area="horton")


def test_build_network_passes_the_choice():
    lines = gdf({"name": ["A"]}, [shapely.LineString([(0, 0), (0.1, 0)])])
    assert "upstream_km" in rv.build_network(lines, max_reach_km=None)
    assert "upstream_km" not in rv.build_network(lines, max_reach_km=None, drainage_area="none")


# --------------------------------------------------------------------------
# discharge and travel times
# --------------------------------------------------------------------------


def test_mean_discharge_measured_area_wins_over_hack():
    r = gdf(
        {"upland_skm": [1000.0, np.nan], "upstream_km": [100.0, 100.0]},
        [None, None],
    )
    qa, da, src = rv.mean_discharge(r)  # sourced table: 359 mm/yr (exorheic)
    assert src.tolist() == [SOURCE_AREA, SOURCE_HACK]
    assert da[1] == pytest.approx(1441.02e6, rel=1e-5)
    # 1,441.02 km2 x 0.359 m/yr / 31,557,600 s = 16.393 m3/s
    assert qa[1] == pytest.approx(16.393, abs=1e-3)
    assert qa[0] == pytest.approx(1000e6 * 0.359 / 31_557_600)


def _two_countries():
    lines = gdf({"name": ["R"]}, [shapely.LineString([(0.0, 0), (1.0, 0)])])
    land = gdf(
        {"iso_a3": ["AAA", "BBB"]},
        [shapely.box(-1, -1, 0.5, 1), shapely.box(0.5, -1, 1.0, 1)],
    )
    site = gdf(
        {"site_id": ["s"], "site_country": ["AAA"], "water_mass_kg": [1000.0]},
        [shapely.Point(0.0, 0.0)],
    )
    return lines, land, site


def test_trace_on_plain_lines_uses_jobson_with_hack_area():
    lines, land, site = _two_countries()
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None)
    aff, _ = rv.trace_water(site, net, land, border_tolerance_km=0)
    row = aff.iloc[0]
    assert row.affected == "BBB"
    # one reach of 111.32 km: A = 1,723 km2, Qa = 19.60 m3/s, Jobson Vmp = 0.9068 m/s,
    # Vp = 0.4076 m/s; 55.66 km to the border
    assert row.river_km == pytest.approx(55.66, abs=0.01)
    assert row.arrival_h == pytest.approx(0.89 * 55_659.7 / 0.90676 / 3600, rel=1e-4)
    assert row.peak_h == pytest.approx(55_659.7 / 0.40758 / 3600, rel=1e-4)
    assert np.isfinite(row.peak_mg_l) and row.peak_mg_l > 0
    assert row.water_note == HACK_NOTE


def test_trace_on_plain_lines_falls_back_to_flat():
    lines, land, site = _two_countries()
    flat_times = {
        "arrival_h": 0.89 * 55_659.7 / 1.0 / 3600,  # 1 m/s
        "peak_h": 55_659.7 / 3600,
    }
    # the flat velocity on the estimated network: flat times, peak from the estimated discharge
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None)
    row = rv.trace_water(site, net, land, border_tolerance_km=0, velocity="flat")[0].iloc[0]
    assert row[list(flat_times)].tolist() == pytest.approx(list(flat_times.values()), rel=1e-4)
    assert row.peak_mg_l > 0
    assert row.water_note == HACK_NOTE
    # no drainage area at all: flat times, no peak, said so
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None, drainage_area="none")
    row = rv.trace_water(site, net, land, border_tolerance_km=0)[0].iloc[0]
    assert row[list(flat_times)].tolist() == pytest.approx(list(flat_times.values()), rel=1e-4)
    assert np.isnan(row.peak_mg_l)
    assert row.water_note == "no discharge on the network: travel time only"


def test_hack_note_is_added_to_other_notes():
    lines, land, site = _two_countries()
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None)
    aff, _ = rv.trace_water(site.drop(columns="water_mass_kg"), net, land, border_tolerance_km=0)
    assert aff.water_note.iloc[0] == f"no water_mass_kg: travel time only; {HACK_NOTE}"


def test_no_lake_residence_from_an_estimated_discharge():
    base = {
        "reach_id": [1, 2],
        "next_down": [2, 0],
        "length_km": [10.0, 10.0],
        "lake_volume_km3": [1.0, np.nan],
        "lake_outlet": [True, False],
    }
    kw = dict(velocity="jobson", flow_factor=1.0, default_velocity_ms=1.0, decay_per_h=0.0)
    hack = gdf({**base, "upstream_km": [500.0, 510.0]}, [None, None])
    h_hack = _reach_hydraulics(hack, _compile(hack), runoff_mm=None, **kw)
    no_lake = hack.drop(columns=["lake_volume_km3", "lake_outlet"])
    h_plain = _reach_hydraulics(no_lake, _compile(no_lake), runoff_mm=None, **kw)
    np.testing.assert_allclose(h_hack.t_h, h_plain.t_h)
    # a measured drainage area keeps the residence time V / Q at the lake outlet
    area = gdf({**base, "upland_skm": [20_000.0, 20_100.0]}, [None, None])
    h_area = _reach_hydraulics(area, _compile(area), runoff_mm=None, **kw)
    q = 20_000e6 * 0.359 / 31_557_600
    no_lake = area.drop(columns=["lake_volume_km3", "lake_outlet"])
    h_free = _reach_hydraulics(no_lake, _compile(no_lake), runoff_mm=None, **kw)
    assert h_area.t_h[0] - h_free.t_h[0] == pytest.approx(1e9 / q / 3600)


# --------------------------------------------------------------------------
# validation on real data (docs/validation_rivers.md)
# --------------------------------------------------------------------------


@pytest.mark.shared
@shared
def test_hack_area_against_hydrorivers_turkey():
    g = gpd.read_file(SHARED / "hydrorivers_turkey.gpkg")
    r = pd.DataFrame(
        {
            "reach_id": g.HYRIV_ID,
            "next_down": g.NEXT_DOWN_DERIVED.fillna(0).astype("int64"),
        }
    )
    up = _compile(r).longest_upstream(g.LENGTH_KM.to_numpy())
    ratio = rv.hack_area_km2(up) / g.UPLAND_SKM.to_numpy()
    big = g.UPLAND_SKM.to_numpy() >= 1e5
    # the extract keeps Strahler orders 4-7 only: courses start below their headwaters
    assert 0.2 < np.median(ratio) < 0.3
    assert 0.75 < np.median(ratio[big]) < 0.85
    assert (ratio < 1.5).mean() > 0.95  # the estimate is biased low, almost never high


@pytest.mark.shared
@shared
def test_sandoz_on_natural_earth_with_hack_area():
    box = shapely.box(2, 45.5, 12, 53.5)
    rivers = gpd.read_file(SHARED / "ne_10m_rivers.gpkg", bbox=(2, 45.5, 12, 53.5))
    rivers = rivers[rivers.geometry.notna() & rivers.intersects(box)]
    lakes = gpd.read_file(SHARED / "ne_10m_lakes.gpkg", bbox=(2, 45.5, 12, 53.5))
    countries = gpd.read_file(
        SHARED / "ne_10m_countries.gpkg", bbox=(2, 45.5, 12, 53.5), columns=["ADM0_A3"]
    ).rename(columns={"ADM0_A3": "iso_a3"})
    net = rv.build_network(rivers, borders=countries, lakes=lakes)
    site = gdf({"site_id": ["sandoz"], "site_country": ["CHE"]}, [shapely.Point(7.683, 47.533)])
    aff, _ = rv.trace_water(site, net, countries, horizon_days=60)
    nld = aff.set_index("affected").loc["NLD"]
    # docs/validation_rivers.md: 676 km; arrival 112.7 h, peak 259.9 h (observed: 9 Nov, 192 h)
    assert nld.river_km == pytest.approx(676.2, abs=1.0)
    assert nld.arrival_h == pytest.approx(112.7, rel=0.02)
    assert nld.peak_h == pytest.approx(259.9, rel=0.02)
    assert HACK_NOTE in nld.water_note
