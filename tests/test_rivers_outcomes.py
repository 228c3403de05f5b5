"""Tests of the river pathway's outcomes, hydrology, lakes, closed basins and merged layers."""

from __future__ import annotations

import os
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, box

from hazid import rivers as rv
from hazid.errors import DataSourceError, GeodataError
from hazid.notify import not_notified
from hazid.rivers import outcomes
from hazid.rivers.hydrology import SECONDS_PER_YEAR

THREE = gpd.GeoDataFrame(
    {"iso_a3": ["AAA", "BBB", "CCC"]},
    geometry=[box(0.0, -2.0, 1.0, 2.0), box(1.0, -2.0, 2.0, 2.0), box(2.0, -2.0, 3.0, 2.0)],
    crs=4326,
)


def gdf(data: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4326)


def line_chain(xs, *, y=0.0, **columns) -> gpd.GeoDataFrame:
    """Reaches from xs[i] to xs[i+1] along a parallel, drawn downstream, ids 1..n."""
    geoms = [LineString([(a, y), (b, y)]) for a, b in pairwise(xs)]
    n = len(geoms)
    data = {
        "reach_id": np.arange(1, n + 1),
        "next_down": np.r_[np.arange(2, n + 1), 0],
        "length_km": rv._geodesic_length_km(np.array(geoms)),
        "name": ["R"] * n,
    }
    data.update(columns)
    return gdf(data, geoms)


def site(x, y=0.001, country="AAA", **columns) -> gpd.GeoDataFrame:
    return gdf({"site_id": ["s"], "site_country": [country], **columns}, [Point(x, y)])


# --------------------------------------------------------------------------
# three outcomes: assessed, or not assessed with the reason
# --------------------------------------------------------------------------


def test_assessed_site_reaching_no_country_is_assessed():
    net = line_chain([0.1, 0.3, 0.5], sink=["", "sea"])
    aff, paths = rv.trace_water(site(0.1), net, THREE, border_tolerance_km=0)
    assert aff.empty
    p = paths.iloc[0]
    assert (p.water_status, p.water_reason, p.end, p.end_country) == ("assessed", "", "sea", "AAA")


def test_no_reach_within_snap_distance_is_not_assessed_and_neighbours_consulted():
    net = line_chain([0.1, 0.3, 0.5], sink=["", "sea"])
    far = site(0.8, y=1.0)  # 111 km from the river, 22 km from BBB, 133 km from CCC
    aff, paths = rv.trace_water(far, net, THREE, border_tolerance_km=0)
    p = paths.iloc[0]
    assert (p.water_status, p.water_reason) == ("not assessed", "no river reach within 10 km")
    assert p.end == "none"
    assert aff.affected.tolist() == ["BBB"]
    assert aff.arrival_h.isna().all() and aff.river_km.isna().all()
    assert aff.water_note[0] == (
        "water pathway not assessed (no river reach within 10 km): BBB lies 22 km from the site"
    )
    aff, _ = rv.trace_water(far, net, THREE, border_tolerance_km=0, gap_km=150.0)
    assert aff.affected.tolist() == ["BBB", "CCC"]
    aff, paths = rv.trace_water(far, net, THREE, border_tolerance_km=0, gap_km=0.0)
    assert aff.empty and paths.water_status[0] == "not assessed"


def test_ambiguous_network_is_not_assessed():
    # plain lines ending in no sea, lake or closed basin: the flow direction is a guess
    lines = gdf(
        {"name": ["Dry", "Dry"]},
        [LineString([(0.2, 0), (0.6, 0)]), LineString([(0.6, 0), (0.9, 0)])],
    )
    net = rv.network_from_lines(lines, borders=THREE.dissolve(), max_reach_km=None)
    assert net.ambiguous.all()
    aff, paths = rv.trace_water(site(0.3), net, THREE, border_tolerance_km=0)
    p = paths.iloc[0]
    assert (p.water_status, p.water_reason) == ("not assessed", outcomes.AMBIGUOUS)
    # the neighbour within 100 km of the site is to be consulted
    assert aff.affected.tolist() == ["BBB"] and aff.arrival_h.isna().all()


def test_edge_of_hydrorivers_extract_ends_as_edge_with_the_country_where_it_stopped():
    # the extract stops in BBB: NEXT_DOWN 99 is not in the layer
    hr = line_chain([0.5, 1.2, 1.6], **{"next_down": [2, 99]})
    hr = hr.rename(columns={"reach_id": "HYRIV_ID", "next_down": "NEXT_DOWN"})
    hr["LENGTH_KM"] = hr.pop("length_km")
    net = rv.build_network(hr, borders=THREE)
    assert net.sink.tolist() == ["", "edge"]
    aff, paths = rv.trace_water(site(0.5), net, THREE, border_tolerance_km=0)
    p = paths.iloc[0]
    assert (p.end, p.end_country, p.water_status) == ("edge", "BBB", "not assessed")
    assert paths.attrs["warnings"] == [
        "water pathway not assessed for 1 site(s): trace ends at the edge of the river data: "
        "s (stops in BBB)"
    ]
    assert p.water_reason == outcomes.EDGE
    # BBB is reached (an assessed row); CCC, 44 km beyond where the data end, is consulted
    assert aff.affected.tolist() == ["BBB", "CCC"]
    assert aff.arrival_h.notna().tolist() == [True, False]
    assert aff.water_note[1] == (
        "water pathway not assessed (trace ends at the edge of the river data): "
        "CCC lies 44 km from the end of the trace"
    )


def test_hydrorivers_outlet_inland_is_an_edge_unless_endorheic():
    # an extract cut with NEXT_DOWN = 0 inside BBB (the Euphrates extract ends in Syria)
    hr = _hydro([1, 2], [2, 0], [0.5, 1.2, 1.6])
    assert rv.build_network(hr, borders=THREE).sink.tolist() == ["", "edge"]
    closed = rv.build_network(hr.assign(ENDORHEIC=[1, 1]), borders=THREE)
    assert closed.sink.tolist() == ["", "endorheic"]
    assert rv.build_network(hr).sink.tolist() == ["", "outlet"]  # no land to tell


def test_line_end_at_no_coast_lake_or_closed_basin_is_an_edge():
    # lines with a sea outlet at one end; a side branch ends inland: it is a source, but a
    # network whose only outlet is inland ends at the edge of the data
    lines = gdf(
        {"name": ["R", "R"]}, [LineString([(0.5, 0), (0.9, 0)]), LineString([(0.9, 0), (1.3, 0)])]
    )
    land = gdf({"iso_a3": ["AAA"]}, [box(-5, -5, 5, 5)])
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None)
    assert net.sink[net.next_down == 0].tolist() == ["unknown"]
    _, paths = rv.trace_water(site(0.6), net, THREE, border_tolerance_km=0, gap_km=0)
    assert paths.end[0] == "edge" and paths.water_status[0] == "not assessed"


def test_release_mass_unknown_is_not_assessed_when_a_threshold_needs_it():
    net = line_chain(
        [0.5, 0.9, 1.3], sink=["", "sea"], dis_av_cms=[50.0, 60.0], upland_skm=[1e4, 1.2e4]
    )
    kw = dict(border_tolerance_km=0, water_threshold_mg_l=0.01)
    aff, paths = rv.trace_water(site(0.5), net, THREE, **kw)
    assert (paths.water_status[0], paths.water_reason[0]) == ("not assessed", outcomes.NO_MASS)
    assert aff.affected.tolist() == ["BBB"] and aff.peak_mg_l.isna().all()
    _, paths = rv.trace_water(site(0.5, water_mass_kg=[1e3]), net, THREE, **kw)
    assert paths.water_status[0] == "assessed"
    # without a threshold the mass is not needed: travel times only
    _, paths = rv.trace_water(site(0.5), net, THREE, border_tolerance_km=0)
    assert paths.water_status[0] == "assessed"


def test_not_notified_says_water_gap_not_no_effect():
    sites = pd.DataFrame(
        {"site_id": ["G", "N"], "country": ["KAZ", "KAZ"], "hazardous": [True, True]}
    )
    empty = pd.DataFrame(columns=["site_id", "affected", "pathway"])
    from hazid.notify import determine

    out = not_notified(
        sites, determine(sites, empty), water_gaps={"G": "no river reach within 10 km"}
    )
    reasons = dict(zip(out.site_id, out.reason, strict=True))
    assert reasons["G"] == (
        "hazardous activity; water pathway not assessed (no river reach within 10 km): "
        "a gap in the data"
    )
    assert reasons["N"] == "hazardous activity; no effect found to reach another Party"


# --------------------------------------------------------------------------
# travel time from discharge or drainage area
# --------------------------------------------------------------------------


def test_drainage_area_gives_discharge_and_jobson_velocity():
    area = np.array([2e4, 2.5e4, 3e4])
    net = line_chain([0.2, 0.6, 1.2, 1.6], sink=["", "", "sea"], upland_skm=area)
    aff, _ = rv.trace_water(site(0.2), net, THREE, border_tolerance_km=0)
    # mean discharge = area x 359 mm/yr (sourced exorheic mean runoff)
    qa = area * 1e6 * 0.359 / SECONDS_PER_YEAR
    vmp = rv.jobson_velocity(qa, qa, area * 1e6, kind="max_probable")
    vp = rv.jobson_velocity(qa, qa, area * 1e6, kind="peak")
    lengths = net.length_km.to_numpy()
    frac = (1.0 - 0.6) / (1.2 - 0.6)  # BBB starts 0.4 degree into reach 2
    t_mp = lengths[0] * 1000 / vmp[0] + frac * lengths[1] * 1000 / vmp[1]
    t_p = lengths[0] * 1000 / vp[0] + frac * lengths[1] * 1000 / vp[1]
    row = aff.iloc[0]
    assert row.affected == "BBB"
    assert row.arrival_h == pytest.approx(0.89 * t_mp / 3600, rel=1e-4)
    assert row.peak_h == pytest.approx(t_p / 3600, rel=1e-4)
    # a wetter runoff depth: more discharge, faster
    aff2, _ = rv.trace_water(site(0.2), net, THREE, border_tolerance_km=0, runoff_mm=700.0)
    assert aff2.arrival_h[0] < row.arrival_h
    # the interior-drainage runoff (58.4 mm/yr) where the river drains to a closed basin
    qa_endo, _, src = rv.hydrology.mean_discharge(net.assign(endorheic=True))
    assert qa_endo == pytest.approx(area * 1e6 * 0.0584 / SECONDS_PER_YEAR)
    assert src.tolist() == ["drainage area"] * 3


# --------------------------------------------------------------------------
# lakes and reservoirs on the path
# --------------------------------------------------------------------------


def test_lake_of_known_volume_delays_and_dilutes():
    q = 500.0
    net = line_chain(
        [0.1, 0.3, 0.5, 0.7, 1.3],
        sink=["", "", "", "sea"],
        dis_av_cms=[q] * 4,
        upland_skm=[5e4] * 4,
    )
    lakes = gdf({"name": ["Kapchagay Reservoir"]}, [box(0.25, -0.1, 0.65, 0.1)])
    with_lake = rv.lakes.assign_lakes(net, lakes)
    assert with_lake.lake_name.tolist() == ["", "Kapchagay Reservoir", "Kapchagay Reservoir", ""]
    assert with_lake.lake_outlet.tolist() == [False, False, True, False]
    assert with_lake.lake_volume_km3[1] == pytest.approx(28.14)
    s = site(0.1, water_mass_kg=[1e6])
    kw = dict(border_tolerance_km=0, horizon_days=3000)
    base, _ = rv.trace_water(s, net, THREE, **kw)
    aff, paths = rv.trace_water(s, with_lake, THREE, **kw)
    delay_h = 28.14e9 / q / 3600.0  # residence time V / Q: 651 days
    assert aff.arrival_h[0] - base.arrival_h[0] == pytest.approx(0.89 * delay_h, rel=1e-6)
    assert aff.peak_h[0] - base.peak_h[0] == pytest.approx(delay_h, rel=1e-6)
    # fully mixed in the lake: at most M / V downstream
    assert aff.peak_mg_l[0] == pytest.approx(1e6 / 28.14e9 * 1000.0)
    assert aff.peak_mg_l[0] < base.peak_mg_l[0]
    assert paths.lakes[0] == "Kapchagay Reservoir"
    # within the default 30-day horizon the lake holds the spill: BBB is not reached
    aff, paths = rv.trace_water(s, with_lake, THREE, border_tolerance_km=0)
    assert aff.empty and paths.end[0] == "horizon" and paths.water_status[0] == "assessed"


def test_build_network_assigns_lakes_from_the_lake_layer():
    lines = gdf({"name": ["Naryn"]}, [LineString([(0.5, 0.0), (0.01, 0.0)])])
    lakes = gdf({"name": ["Toktogul Suu Saktagychy"]}, [box(0.1, -0.1, 0.3, 0.1)])
    land = gdf({"iso_a3": ["AAA"]}, [box(0.0, -2.0, 4.0, 2.0)])
    net = rv.build_network(lines, borders=land, lakes=lakes, max_reach_km=5.0)
    inside = net[net.lake_name != ""]
    assert len(inside) and (inside.lake_volume_km3 == 19.5).all()
    assert net.lake_outlet.sum() == 1


# --------------------------------------------------------------------------
# closed basins and terminal rivers from the sourced table
# --------------------------------------------------------------------------


def test_terminal_river_ends_before_its_drawn_confluence():
    # the Zarafshon is drawn into the Amu Darya, which flows on into another country
    lines = gdf(
        {"name": ["Zarafshon", "Amu  Darya", "Amu  Darya"]},
        [
            LineString([(0.2, 0.5), (0.8, 0.0)]),
            LineString([(0.5, -0.5), (0.8, 0.0)]),
            LineString([(0.8, 0.0), (2.5, 0.0), (2.5, -2.5)]),
        ],
    )
    land = gdf({"iso_a3": ["AAA"]}, [box(-5.0, -2.0, 5.0, 2.0)])
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None)
    assert net.attrs["report"]["terminal_rivers"] == ["Zeravshan"]
    aff, paths = rv.trace_water(site(0.2, y=0.5), net, THREE, border_tolerance_km=0)
    assert aff.empty
    p = paths.iloc[0]
    assert (p.end, p.sink_name, p.water_status) == (
        "endorheic",
        "Zeravshan (terminal river)",
        "assessed",
    )
    # the Amu Darya itself still reaches BBB and CCC
    aff, _ = rv.trace_water(site(0.5, y=-0.5), net, THREE, border_tolerance_km=0)
    assert aff.affected.tolist() == ["BBB", "CCC"]


def test_terminal_river_is_lost_before_the_confluence():
    # the Zeravshan is lost in the sands about 25 km before the Amu Darya (sourced table)
    lines = gdf(
        {"name": ["Zarafshon", "Amu  Darya"]},
        [LineString([(0.0, 0.5), (0.8, 0.5)]), LineString([(0.8, 1.5), (0.8, -2.5)])],
    )
    land = gdf({"iso_a3": ["AAA"]}, [box(-5.0, -2.0, 5.0, 2.0)])
    net = rv.network_from_lines(lines, borders=land, max_reach_km=5.0)
    zar = net[net.name == "Zarafshon"]
    _, paths = rv.trace_water(site(0.0, y=0.501), net, THREE, border_tolerance_km=0)
    total = zar.length_km.sum()
    assert paths.end[0] == "endorheic"
    assert total - 25.0 - 5.0 < paths.length_km[0] <= total - 25.0 + 1e-6


def test_closed_basin_table_has_sources():
    table = rv.data.closed_basins()
    assert {"Aral Sea", "Caspian Sea", "Lake Balkhash", "Issyk-Kul"} <= set(table.name)
    assert {"Zeravshan", "Chu", "Murghab", "Tejen"} <= set(table.name[table.kind == "terminal"])
    assert (table.source.str.len() > 10).all()
    assert "lake hammar" not in rv.ENDORHEIC_LAKES
    vols = rv.data.lake_volumes()
    assert (vols.source.str.len() > 10).all() and (vols.volume_km3 > 0).all()


# --------------------------------------------------------------------------
# several river layers
# --------------------------------------------------------------------------


def _hydro(ids, next_down, xs):
    geoms = [LineString([(a, 0.0), (b, 0.0)]) for a, b in pairwise(xs)]
    return gdf(
        {
            "HYRIV_ID": ids,
            "NEXT_DOWN": next_down,
            "LENGTH_KM": rv._geodesic_length_km(np.array(geoms)),
        },
        geoms,
    )


def test_two_hydrorivers_files_join_by_next_down(tmp_path):
    # continent 1 drains (NEXT_DOWN 20) into continent 2, which crosses CCC to the sea
    _hydro([10, 11], [11, 20], [0.2, 0.6, 1.1]).to_file(tmp_path / "as.gpkg")
    _hydro([20, 21], [21, 0], [1.1, 1.9, 3.2]).to_file(tmp_path / "eu.gpkg")
    one = rv.build_network(tmp_path / "as.gpkg")
    assert one.sink.tolist() == ["", "edge"]
    both = rv.build_network([tmp_path / "as.gpkg", tmp_path / "eu.gpkg"], borders=THREE)
    assert both.reach_id.tolist() == [10, 11, 20, 21]
    assert both.next_down.tolist() == [11, 20, 21, 0]
    assert both.attrs["report"]["files"] == 2 and both.attrs["report"]["links_outside"] == 0
    assert both.sink.tolist() == ["", "", "", "sea"]
    aff, paths = rv.trace_water(site(0.2), both, THREE, border_tolerance_km=0)
    assert aff.affected.tolist() == ["BBB", "CCC"]
    assert paths.water_status[0] == "assessed"
    # a reach present in both files (overlapping extracts) is kept once
    again = rv.build_network([tmp_path / "as.gpkg", tmp_path / "as.gpkg"])
    assert again.reach_id.tolist() == [10, 11]


def test_mixed_layer_kinds_are_refused(tmp_path):
    lines = gdf({"name": ["R"]}, [LineString([(0, 0), (1, 0)])])
    with pytest.raises(GeodataError, match="mix HydroRIVERS and plain lines"):
        rv.build_network([_hydro([1], [0], [0.0, 1.0]), lines])
    with pytest.raises(GeodataError, match="no river layer given"):
        rv.build_network([])


def test_several_river_files_from_the_environment(tmp_path, monkeypatch):
    _hydro([10, 11], [11, 20], [0.2, 0.6, 1.1]).to_file(tmp_path / "as.gpkg")
    _hydro([20, 21], [21, 0], [1.1, 1.9, 3.2]).to_file(tmp_path / "eu.gpkg")
    files = [tmp_path / "as.gpkg", tmp_path / "eu.gpkg"]
    monkeypatch.setenv("HAZID_RIVERS", os.pathsep.join(map(str, files)))
    assert rv.resolve_rivers() == files
    assert len(rv.read_rivers()) == 4
    assert rv.resolve_rivers([str(f) for f in files]) == files
    monkeypatch.setenv("HAZID_RIVERS", os.pathsep.join([str(files[0]), str(tmp_path / "no")]))
    with pytest.raises(DataSourceError, match="from HAZID_RIVERS\\) does not exist"):
        rv.resolve_rivers()


def test_dossier_set_lists_water_gaps_of_sites_without_a_traced_path():
    from hazid.notify import prepare_dossiers

    sites = pd.DataFrame(
        {
            "site_id": ["A"],
            "lon": [68.0],
            "lat": [42.5],
            "site_country": ["KAZ"],
            "hazardous": [True],
        }
    )
    paths = gpd.GeoDataFrame(
        {
            "site_id": ["A"],
            "water_status": ["not assessed"],
            "water_reason": ["no river reach within 10 km"],
        },
        geometry=[None],
        crs=4326,
    )
    empty = pd.DataFrame(columns=["site_id", "affected", "pathway"])
    ds = prepare_dossiers(
        sites,
        pd.DataFrame(columns=["site_id"]),
        empty,
        river_paths=paths,
        run={"date": "2025-01-31"},
    )
    assert ds.not_notified.reason.tolist() == [
        "hazardous activity; water pathway not assessed (no river reach within 10 km): "
        "a gap in the data"
    ]


def test_screen_with_two_river_files_joins_them(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    import hazid

    for var in ("HAZID_BORDERS", "HAZID_RIVERS", "HAZID_LAKES"):
        monkeypatch.delenv(var, raising=False)
    geodata = Path(__file__).resolve().parent / "corpus" / "geodata"
    spec = importlib.util.spec_from_file_location("make_geodata", geodata / "make_geodata.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    rivers = make.rivers()
    rivers.iloc[:2].to_file(tmp_path / "a.gpkg")  # reach 12 drains to 13, in the other file
    rivers.iloc[2:].to_file(tmp_path / "b.gpkg")
    make.world().to_file(tmp_path / "borders.gpkg")
    kw = {"borders": tmp_path / "borders.gpkg"}
    both = hazid.screen(make.inventory(), rivers=[tmp_path / "a.gpkg", tmp_path / "b.gpkg"], **kw)
    assert [r["name"] for r in both.run["inputs"]["rivers"]] == ["a.gpkg", "b.gpkg"]
    assert both.run["stages"]["network"]["links_outside"] == 0
    one = hazid.screen(make.inventory(), rivers=tmp_path / "a.gpkg", **kw)
    assert one.run["stages"]["network"]["links_outside"] == 1
    km = {
        name: res.river_paths.set_index("site_id").loc["C", "length_km"]
        for name, res in (("both", both), ("one", one))
    }
    assert km["both"] > km["one"]


def test_near_borders_gives_zero_inside_and_the_distance_outside():
    bgeom = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)], dtype=object)
    lon, lat = np.array([0.9, 0.9, 5.0]), np.array([0.5, 0.5, 0.5])
    rows, country, dist = outcomes._near_borders(bgeom, lon, lat, np.array([0, 1, 2]), 50_000.0)
    assert rows.tolist() == [0, 0, 1, 1]  # the third point is far from both
    assert country.tolist() == [0, 1, 0, 1]
    assert dist[[0, 2]].tolist() == [0.0, 0.0]  # inside the first country
    # 0.1 degree of longitude at the equator, 11.13 km (WGS84)
    assert dist[[1, 3]] == pytest.approx([11_132.0, 11_132.0], rel=2e-3)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_clipping_part_by_part_is_clip_by_rect(seed):
    import shapely

    from hazid.rivers.geodesy import _clip_each

    rng = np.random.default_rng(seed)
    xyr = np.c_[rng.uniform(0, 10, 6), rng.uniform(0, 10, 6), rng.uniform(0.2, 1.5, 6)]
    islands = [shapely.Point(x, y).buffer(r, quad_segs=3) for x, y, r in xyr]
    country = shapely.union_all(islands)  # a polygon, or a multi-polygon with holes at times
    geoms = np.array([country, box(2, 2, 3, 5), country, None], dtype=object)
    x0, y0 = rng.uniform(-1, 10, 4), rng.uniform(-1, 10, 4)
    x1, y1 = x0 + rng.uniform(0, 4, 4), y0 + rng.uniform(0, 4, 4)
    got = _clip_each(geoms, x0, y0, x1, y1)
    for g, a, b, c, d, mine in zip(geoms, x0, y0, x1, y1, got, strict=True):
        want = shapely.clip_by_rect(g, a - 1e-7, b - 1e-7, c + 1e-7, d + 1e-7)
        assert shapely.to_wkb(mine) == shapely.to_wkb(want)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_clipping_many_rectangles_of_several_countries_is_clip_by_rect(seed):
    # the pieces of many rectangles of two multi-polygons, put together at once, in any order
    import shapely

    from hazid.rivers.geodesy import _clip_each

    rng = np.random.default_rng(seed)
    countries = []
    for dx in (0.0, 12.0):
        xyr = np.c_[rng.uniform(dx, dx + 10, 9), rng.uniform(0, 10, 9), rng.uniform(0.2, 2.0, 9)]
        countries.append(
            shapely.union_all([shapely.Point(x, y).buffer(r, quad_segs=3) for x, y, r in xyr])
        )
    n = 30
    pick = rng.integers(0, 4, n)
    choices = [countries[0], countries[1], box(2, 2, 3, 5), None]
    geoms = np.array([choices[k] for k in pick], dtype=object)
    x0, y0 = rng.uniform(-1, 22, n), rng.uniform(-1, 10, n)
    x1, y1 = x0 + rng.uniform(0, 5, n), y0 + rng.uniform(0, 5, n)
    got = _clip_each(geoms, x0, y0, x1, y1)
    for g, a, b, c, d, mine in zip(geoms, x0, y0, x1, y1, got, strict=True):
        want = shapely.clip_by_rect(g, a - 1e-7, b - 1e-7, c + 1e-7, d + 1e-7)
        assert shapely.to_wkb(mine) == shapely.to_wkb(want)
