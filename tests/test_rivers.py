"""Tests of hazid.rivers: transport formulas, network building, tracing."""

from __future__ import annotations

import math
import os
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, MultiLineString, Point, box

from hazid import embedded
from hazid import rivers as rv
from hazid.errors import (
    ChoiceError,
    CRSError,
    DataSourceError,
    GeodataError,
    NetworkError,
)

SHARED = Path(
    os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
KM_PER_DEG = 2 * math.pi * rv.EARTH_RADIUS_M / 360_000.0


def gdf(data: dict, geoms: list, crs=4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)


# --------------------------------------------------------------------------
# transport formulas
# --------------------------------------------------------------------------


def test_jobson_worked_example():
    # Jobson (1996): Q 1,068, Qa 730, Da 48,000 km2, reach 104.8 km
    r = rv.jobson_reach(104.8, 1068.0, 730.0, 48_000.0).iloc[0]
    assert round(r.velocity_ms, 2) == 1.01
    assert round(r.peak_h, 1) == 28.8
    assert round(r.unit_peak, 1) == 71.9
    assert round(r.leading_h, 1) == 25.6
    assert r.leading_h == pytest.approx(0.89 * r.peak_h)


def test_jobson_components_and_worst_case():
    vp = rv.jobson_velocity(1068.0, 730.0, 48_000e6, kind="peak")
    vmp = rv.jobson_velocity(1068.0, 730.0, 48_000e6, kind="max_probable")
    # Vmp = 0.2 + 0.093/0.051 * (Vp - 0.02)
    assert vmp == pytest.approx(0.2 + 0.093 / 0.051 * (vp - 0.02))
    assert vmp > vp
    cup = rv.jobson_unit_peak(28.8, 1068.0, 730.0)
    cp = rv.jobson_peak_concentration(1000.0, 1068.0, cup)
    assert cp == pytest.approx(71.9 * 1000.0 / (1e6 * 1068.0), rel=1e-3)
    # invalid inputs give NaN, not errors
    assert np.isnan(rv.jobson_velocity(0.0, 730.0, 1e9))
    assert np.isnan(rv.jobson_unit_peak(0.0, 10.0, 10.0))
    assert np.isnan(rv.jobson_peak_concentration(1.0, 0.0, 50.0))
    with pytest.raises(ChoiceError, match="kind"):
        rv.jobson_velocity(1.0, 1.0, 1.0, kind="fast")


def test_ade_reference_peak_found_numerically():
    kw = dict(mass_kg=1000.0, discharge_cms=1000.0, velocity_ms=1.0, dispersion_m2s=500.0)
    t_peak, c_peak = rv.ade_peak(100e3, **kw)
    assert round(float(t_peak), 2) == 27.64
    assert round(float(c_peak), 4) == 0.0399
    # brute-force search over time agrees with the closed form
    t = np.linspace(20.0, 35.0, 150_001)
    c = rv.ade_concentration(100e3, t, **kw) * 1000.0
    assert t[np.argmax(c)] == pytest.approx(27.64, abs=1e-3)
    assert c.max() == pytest.approx(0.0399, abs=5e-5)


def test_ade_decay_lowers_and_advances_peak():
    kw = dict(mass_kg=1000.0, discharge_cms=1000.0, velocity_ms=1.0, dispersion_m2s=500.0)
    t0, c0 = rv.ade_peak(100e3, **kw)
    t1, c1 = rv.ade_peak(100e3, decay_per_h=0.05, **kw)
    assert c1 < c0 * math.exp(-0.05 * 27.0)
    assert t1 < t0
    t = np.linspace(20.0, 35.0, 150_001)
    c = rv.ade_concentration(100e3, t, decay_per_h=0.05, **kw)
    assert t[np.argmax(c)] == pytest.approx(float(t1), abs=1e-3)
    assert rv.ade_concentration(100e3, 0.0, **kw) == 0.0


def test_fischer_dispersion():
    assert rv.fischer_dispersion(1.0, 100.0, 2.0, 0.05) == pytest.approx(
        0.011 * 100.0**2 / (2.0 * 0.05)
    )


# --------------------------------------------------------------------------
# toy line networks
# --------------------------------------------------------------------------

LAND = gdf({"iso_a3": ["AAA"], "name": ["A"]}, [box(0.0, -2.0, 4.0, 2.0)])


def test_reversed_pieces_are_oriented_to_the_sea():
    # mouth at x = 0.01 (1.1 km from the coast at x = 0); pieces drawn both ways
    lines = gdf(
        {"name": ["R", "R", "R"]},
        [
            LineString([(0.01, 0.0), (1.0, 0.0)]),  # drawn upstream
            LineString([(1.0, 0.0), (2.0, 0.0)]),  # drawn upstream
            LineString([(3.0, 0.0), (2.0, 0.0)]),  # drawn downstream
        ],
    )
    net = rv.network_from_lines(lines, borders=LAND, max_reach_km=None)
    rep = net.attrs["report"]
    assert rep["reversed_pieces"] == 2
    assert rep["outlets"] == {"sea": 1}
    assert rep["ambiguous_components"] == []
    # every geometry now runs downstream: its last point is the next reach's first
    ids = dict(zip(net.reach_id, net.geometry, strict=True))
    for rid, nd in zip(net.reach_id, net.next_down, strict=True):
        if nd:
            assert ids[rid].coords[-1] == ids[nd].coords[0]
    outlet = net[net.next_down == 0].iloc[0]
    assert outlet.geometry.coords[-1] == (0.01, 0.0)
    assert outlet.sink == "sea"
    assert net.geometry.iloc[0].coords[0][0] > net.geometry.iloc[0].coords[-1][0]


def test_confluence_split_snap_and_dropped_parts():
    lines = gdf(
        {"name": ["Main", "Trib", "Lost", "Main"]},
        [
            # main stem with a zero-length part
            MultiLineString([[(2.0, 0.0), (0.01, 0.0)], [(2.5, 0.0), (2.5, 0.0)]]),
            LineString([(1.0, 1.0), (1.0, 0.004)]),  # ends 445 m from the main's interior
            None,
            LineString([(3.0, 0.0), (2.003, 0.0)]),  # 333 m gap to the main's upstream end
        ],
    )
    net = rv.network_from_lines(lines, borders=LAND, snap_m=1000.0, max_reach_km=None)
    rep = net.attrs["report"]
    assert rep["split_lines"] == 1
    assert rep["splits"] == 1
    assert rep["snapped_endpoints"] >= 1
    assert rep["dropped_parts"]["null_features"] == 1
    assert rep["dropped_parts"]["zero_length"] == 1
    assert rep["components"] == 1
    assert len(net) == 4  # upstream main, trib, two halves of the split main
    trib = net[net.name == "Trib"].iloc[0]
    down = net.set_index("reach_id").loc[trib.next_down]
    assert down["name"] == "Main"
    # the main is split at the tributary's end, which becomes its vertex
    assert down.geometry.coords[0] == (1.0, 0.004)
    # the upper main drains into the upper half, which joins the tributary
    by_id = net.set_index("reach_id")
    upper = net[(net.name == "Main") & (net.geometry.bounds.minx > 1.99)].iloc[0]
    assert by_id.loc[upper.next_down, "next_down"] == trib.next_down


def test_endorheic_lake_ends_trace():
    lakes = gdf(
        {"name": ["Aral Sea", "Fresh"], "featurecla": ["Alkaline Lake", "Lake"]},
        [box(3.0, -0.2, 3.4, 0.2), box(1.0, 1.0, 1.1, 1.1)],
    )
    lines = gdf({"name": ["R"]}, [LineString([(3.01, 0.0), (1.5, 0.0)])])  # drawn upstream
    net = rv.network_from_lines(lines, borders=LAND, lakes=lakes, max_reach_km=None)
    out = net[net.next_down == 0].iloc[0]
    assert (out.sink, out.sink_name, bool(out.endorheic)) == ("endorheic", "Aral Sea", True)
    # a lake's class ("Alkaline Lake") does not close it: only the sourced table does
    other = lakes.assign(name=["Lake Hammar", "Fresh"])
    net2 = rv.network_from_lines(lines, borders=LAND, lakes=other, max_reach_km=None)
    assert "endorheic" not in net2.sink.tolist() and not net2.endorheic.any()
    assert net2.ambiguous.all()  # a lake end only: the flow direction is a guess
    assert net.attrs["report"]["reversed_pieces"] == 1
    sites = gdf({"site_id": ["s"], "site_country": ["AAA"]}, [Point(1.5, 0.001)])
    _, paths = rv.trace_water(sites, net, LAND)
    assert paths.end.tolist() == ["endorheic"]
    assert paths.sink_name.tolist() == ["Aral Sea"]
    assert paths.length_km[0] == pytest.approx(net.length_km.sum(), rel=1e-6)


def test_named_closed_lake_and_caspian_box():
    lakes = gdf({"name": ["Lake  Balkhash"], "featurecla": ["Lake"]}, [box(3.0, -0.2, 3.4, 0.2)])
    lines = gdf({"name": ["Ile"]}, [LineString([(1.5, 0.0), (3.01, 0.0)])])
    net = rv.network_from_lines(lines, borders=LAND, lakes=lakes, max_reach_km=None)
    assert net.sink[net.next_down == 0].tolist() == ["endorheic"]
    # open water inside the Caspian box is a closed sea, outside it the ocean
    land = gdf({"iso_a3": ["KAZ"]}, [box(50.0, 44.0, 53.0, 46.0)])
    lines = gdf({"name": ["Ural"]}, [LineString([(51.0, 45.0), (51.0, 44.01)])])
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None)
    assert net.sink_name[net.next_down == 0].tolist() == ["Caspian Sea"]
    net = rv.network_from_lines(lines, borders=land, max_reach_km=None, endorheic_seas={})
    assert net.sink[net.next_down == 0].tolist() == ["sea"]


def test_component_without_sink_is_reported_and_follows_drawing():
    lines = gdf(
        {"name": ["Dry", "Dry"]},
        [LineString([(1.0, 1.0), (1.5, 1.0)]), LineString([(1.5, 1.0), (2.0, 1.0)])],
    )
    net = rv.network_from_lines(lines, borders=LAND, max_reach_km=None)
    amb = net.attrs["report"]["ambiguous_components"]
    assert len(amb) == 1
    assert amb[0]["names"] == ["Dry"]
    assert amb[0]["reason"] == "no sea, lake or closed-basin end"
    assert (amb[0]["outlet_lon"], amb[0]["outlet_lat"]) == (2.0, 1.0)
    assert net.sink[net.next_down == 0].tolist() == ["unknown"]


def test_loop_in_lines_gives_no_cycle():
    # a channel splits around an island and rejoins; all drains to the sea
    lines = gdf(
        {"name": ["R"] * 4},
        [
            LineString([(3.0, 0.0), (2.0, 0.0)]),
            LineString([(2.0, 0.0), (1.5, 0.2), (1.0, 0.0)]),
            LineString([(2.0, 0.0), (1.5, -0.2), (1.0, 0.0)]),
            LineString([(1.0, 0.0), (0.01, 0.0)]),
        ],
    )
    net = rv.network_from_lines(lines, borders=LAND, max_reach_km=None)
    assert net.attrs["report"]["cycles"] == []
    g = rv.network_graph(net)
    assert nx.is_directed_acyclic_graph(g)
    outlet = int(net.reach_id[net.next_down == 0].iloc[0])
    assert all(nx.has_path(g, int(r), outlet) for r in net.reach_id)


def test_long_pieces_cut_into_reaches():
    lines = gdf({"name": ["R"]}, [LineString([(1.0, 0.0), (0.01, 0.0)])])
    net = rv.network_from_lines(lines, borders=LAND, max_reach_km=20.0)
    total = rv._geodesic_length_km(np.array([lines.geometry[0]]))[0]
    assert len(net) == math.ceil(total / 20.0)
    assert net.length_km.max() <= 20.0 + 1e-6
    assert net.length_km.sum() == pytest.approx(total, rel=1e-6)
    assert (net.next_down == 0).sum() == 1


def test_lines_errors():
    with pytest.raises(GeodataError, match="no usable line"):
        rv.network_from_lines(gdf({"name": ["a"]}, [None]))
    with pytest.raises(GeodataError, match="no column 'river_name'"):
        rv.network_from_lines(
            gdf({"name": ["a"]}, [LineString([(0, 0), (1, 0)])]), name_column="river_name"
        )
    with pytest.raises(CRSError, match="no CRS"):
        rv.network_from_lines(gdf({"name": ["a"]}, [LineString([(0, 0), (1, 0)])], crs=None))
    with pytest.raises(GeodataError, match="must be a GeoDataFrame"):
        rv.network_from_lines(pd.DataFrame({"a": [1]}))
    metres = gdf({"name": ["a"]}, [LineString([(600_000, 4_500_000), (650_000, 4_500_000)])])
    with pytest.raises(
        CRSError,
        match=r"river lines has coordinates beyond longitude -180\.\.180 or latitude -90\.\.90 "
        r"in WGS 84 \(extent 600000, 4\.5e\+06, 650000, 4\.5e\+06\): is its coordinate",
    ):
        rv.network_from_lines(metres)


def test_hydrorivers_in_metres_labelled_as_degrees():
    hr = hydro([1, 2], [2, 0])
    hr = hr.set_geometry(hr.geometry.scale(1e4, 1e4, origin=(0, 0)))
    with pytest.raises(CRSError, match=r"river network has coordinates beyond .* \(extent "):
        rv.network_from_hydrorivers(hr)
    polar = hydro([1, 2], [2, 0])
    polar = polar.set_geometry(polar.geometry.translate(0, 90.5))  # reaches past the pole
    with pytest.raises(CRSError, match=r"latitude -90\.\.90"):
        rv.network_from_hydrorivers(polar)


# --------------------------------------------------------------------------
# HydroRIVERS schema, cycles
# --------------------------------------------------------------------------


def hydro(ids, nxt, column="NEXT_DOWN", **extra) -> gpd.GeoDataFrame:
    n = len(ids)
    data = {"HYRIV_ID": ids, column: nxt, "LENGTH_KM": [10.0] * n, "UPLAND_SKM": [100.0] * n}
    data.update(extra)
    geoms = [LineString([(i * 0.1, 0.0), (i * 0.1 + 0.09, 0.0)]) for i in range(n)]
    return gdf(data, geoms)


def test_hydrorivers_schema_and_derived_next_down():
    net = rv.network_from_hydrorivers(
        hydro([11, 12, 13], [12, 13, 0], DIS_AV_CMS=[1.0, 2.0, 3.0], ENDORHEIC=[0, 0, 0])
    )
    assert net.next_down.tolist() == [12, 13, 0]
    assert net.dis_av_cms.tolist() == [1.0, 2.0, 3.0]
    assert net.attrs["report"]["hydrology"] is True
    der = rv.network_from_hydrorivers(hydro([1, 2], [2, 0], column="NEXT_DOWN_DERIVED"))
    assert der.next_down.tolist() == [2, 0]
    assert der.dis_av_cms.isna().all()
    assert der.attrs["report"]["next_down_column"] == "NEXT_DOWN_DERIVED"
    # a link to a reach outside the extract ends the network there
    edge = rv.network_from_hydrorivers(hydro([1, 2], [2, 99]))
    assert edge.next_down.tolist() == [2, 0]
    assert edge.sink.tolist() == ["", "edge"]
    assert edge.attrs["report"]["links_outside"] == 1
    endo = rv.network_from_hydrorivers(hydro([1, 2], [2, 0], ENDORHEIC=[1, 1]))
    assert endo.sink.tolist() == ["", "endorheic"]


def test_hydrorivers_errors():
    bad = hydro([1, 2], [2, 0]).drop(columns="NEXT_DOWN")
    with pytest.raises(GeodataError, match="lacks NEXT_DOWN"):
        rv.network_from_hydrorivers(bad)
    with pytest.raises(NetworkError, match="duplicate reach ids"):
        rv.network_from_hydrorivers(hydro([1, 1], [0, 0]))


def test_cycle_detected_raised_or_broken():
    h = hydro([1, 2, 3, 4, 5], [2, 3, 1, 5, 0])  # 1 -> 2 -> 3 -> 1, 4 -> 5
    with pytest.raises(NetworkError, match=r"1 cycle\(s\).*\[1, 2, 3\]"):
        rv.network_from_hydrorivers(h)
    net = rv.network_from_hydrorivers(h, on_cycle="break")
    assert net.attrs["report"]["cycles"] == [[1, 2, 3]]
    assert net.attrs["report"]["cycles_broken_at"] == [3]
    assert net.set_index("reach_id").loc[3, "sink"] == "cycle"
    assert nx.is_directed_acyclic_graph(rv.network_graph(net))
    # a self-loop, and a reach draining into a cycle
    h2 = hydro([1, 2, 3], [2, 3, 3])
    with pytest.raises(NetworkError, match=r"\[3\]"):
        rv.check_network(
            rv.network_from_hydrorivers(h2, on_cycle="break").assign(next_down=[2, 3, 3])
        )
    # tracing refuses a network with a cycle
    raw = gdf(
        {"reach_id": [1, 2], "next_down": [2, 1], "length_km": [1.0, 1.0]},
        [LineString([(0, 0), (0.01, 0)]), LineString([(0.01, 0), (0.02, 0)])],
    )
    sites = gdf({"site_id": ["s"], "site_country": ["AAA"]}, [Point(0.005, 0)])
    with pytest.raises(NetworkError, match="cycles"):
        rv.trace_water(sites, raw, LAND)


def test_check_network_errors():
    with pytest.raises(NetworkError, match="lacks column 'length_km'"):
        rv.check_network(pd.DataFrame({"reach_id": [1], "next_down": [0]}))
    with pytest.raises(NetworkError, match="duplicate"):
        rv.check_network(
            pd.DataFrame({"reach_id": [1, 1], "next_down": [0, 0], "length_km": [1.0, 1.0]})
        )
    with pytest.raises(ChoiceError, match="on_cycle"):
        rv.check_network(pd.DataFrame({"reach_id": [1], "next_down": [0]}), on_cycle="skip")


def test_build_network_dispatch(tmp_path):
    h = hydro([1, 2], [2, 0])
    assert rv.build_network(h).attrs["report"]["source"] == "hydrorivers"
    path = tmp_path / "lines.gpkg"
    gdf({"name": ["R"]}, [LineString([(0, 0), (0.5, 0)])]).to_file(path)
    net = rv.build_network(path, max_reach_km=None)
    assert net.attrs["report"]["source"] == "lines"


# --------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------


def test_resolve_rivers(tmp_path, monkeypatch):
    f = tmp_path / "r.gpkg"
    f.write_bytes(b"")
    assert rv.resolve_rivers(f) == f
    monkeypatch.setenv("HAZID_RIVERS", str(f))
    assert rv.resolve_rivers() == f
    monkeypatch.delenv("HAZID_RIVERS")
    monkeypatch.setenv("HAZID_DATA_DIR", str(tmp_path / "empty"))
    # nothing given nor fetched: the Natural Earth rivers embedded in hazid
    assert rv.resolve_rivers() == embedded.embedded_path("rivers")
    monkeypatch.setattr(embedded, "GEODATA_DIR", tmp_path / "no-embedded-data")
    with pytest.raises(DataSourceError, match=r"no river network given.*HydroRIVERS"):
        rv.resolve_rivers()
    with pytest.raises(DataSourceError, match="does not exist"):
        rv.resolve_rivers(tmp_path / "missing.gpkg")
    monkeypatch.setenv("HAZID_RIVERS", str(tmp_path / "nope.shp"))
    with pytest.raises(DataSourceError, match="from HAZID_RIVERS"):
        rv.resolve_rivers()


def test_read_rivers_errors(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    with pytest.raises(GeodataError, match="cannot read"):
        rv.read_rivers(bad)
    nocrs = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        gdf({"name": ["a"]}, [LineString([(0, 0), (1, 0)])], crs=None).to_file(nocrs)
    with pytest.raises(CRSError, match="no CRS"):
        rv.read_rivers(nocrs)


# --------------------------------------------------------------------------
# countries and sites
# --------------------------------------------------------------------------

TWO = gdf({"iso_a3": ["AAA", "BBB"]}, [box(0.0, -2.0, 1.0, 2.0), box(1.0, -2.0, 2.0, 2.0)])


def test_reach_countries_border_river_and_touch():
    reaches = gdf(
        {"reach_id": [1, 2, 3, 4]},
        [
            LineString([(0.992, -1.0), (0.992, 1.0)]),  # 0.9 km from the border: both banks
            LineString([(0.5, 0.0), (1.0, 0.0)]),  # ends on the border
            LineString([(0.5, 0.5), (1.5, 0.5)]),  # crosses
            LineString([(0.2, 0.5), (0.4, 0.5)]),  # inside
        ],
    )
    c = rv.reach_countries(reaches, TWO, border_tolerance_km=1.5)
    assert c.tolist() == ["AAA;BBB", "AAA;BBB", "AAA;BBB", "AAA"]
    c0 = rv.reach_countries(reaches, TWO, border_tolerance_km=0.0)
    assert c0.tolist() == ["AAA", "AAA", "AAA;BBB", "AAA"]  # a touch is not a crossing
    c5 = rv.reach_countries(reaches, TWO, border_tolerance_km=0.5)
    assert c5.tolist() == ["AAA", "AAA;BBB", "AAA;BBB", "AAA"]
    pos, code, frac, uniq = rv._country_pairs(reaches, TWO, border_tolerance_km=1.5)
    entry = {(int(p), str(uniq[c])): f for p, c, f in zip(pos, code, frac, strict=True)}
    assert entry[(2, "BBB")] == pytest.approx(0.5, abs=1e-6)  # crossing at mid-reach
    assert entry[(1, "BBB")] == pytest.approx(1 - 1.5 / 55.66, abs=0.002)  # within 1.5 km
    assert entry[(0, "BBB")] == 0.0
    with pytest.raises(GeodataError, match="iso_a3"):
        rv.reach_countries(reaches, TWO.rename(columns={"iso_a3": "code"}))


def test_reach_countries_inner_sea_overlap_and_multipart():
    # reaches far from any border take the countries containing them (point test); a
    # multi-part line and a reach at a border are tested whole
    third = gdf({"iso_a3": ["CCC"]}, [box(0.1, 1.0, 0.3, 1.2)])  # overlaps AAA
    borders = pd.concat([TWO, third], ignore_index=True)
    reaches = gdf(
        {"reach_id": [1, 2, 3, 4, 5]},
        [
            LineString([(0.3, -1.0), (0.5, -1.2)]),  # inside AAA only
            LineString([(3.0, 0.0), (3.5, 0.0)]),  # at sea
            LineString([(0.15, 1.05), (0.2, 1.1)]),  # inside AAA and CCC
            MultiLineString([[(0.2, 0.0), (0.3, 0.0)], [(1.5, 0.0), (1.6, 0.0)]]),  # two parts
            LineString([(0.9, -1.5), (1.1, -1.5)]),  # crosses
        ],
    )
    for tol in (1.5, 0.0):
        c = rv.reach_countries(reaches, borders, border_tolerance_km=tol)
        assert c.tolist() == ["AAA", "", "AAA;CCC", "AAA;BBB", "AAA;BBB"]
    # densely drawn borders (short border pieces): most grid cells lie inside one country
    dense = borders.set_geometry(shapely.segmentize(borders.geometry.to_numpy(), 0.01))
    c = rv.reach_countries(reaches, dense, border_tolerance_km=1.5)
    assert c.tolist() == ["AAA", "", "AAA;CCC", "AAA;BBB", "AAA;BBB"]


def test_build_network_reads_the_hydrorivers_columns_it_needs(tmp_path):
    h = hydro([1, 2], [2, 0], DIS_AV_CMS=[1.0, 2.0], CATCH_SKM=[5.0, 6.0], RIVER_NAME=["A", "A"])
    path = tmp_path / "hydro.gpkg"
    h.to_file(path)
    read = rv.network._read_river_file(path)
    assert sorted(read.columns) == sorted(
        ["HYRIV_ID", "NEXT_DOWN", "LENGTH_KM", "UPLAND_SKM", "DIS_AV_CMS", "RIVER_NAME", "geometry"]
    )
    net = rv.build_network(path)
    assert net.equals(rv.build_network(h))
    assert net.name.tolist() == ["A", "A"]


def test_connect_sites_distance_and_notes():
    reaches = gdf(
        {"reach_id": [5], "next_down": [0], "length_km": [111.2]},
        [shapely.segmentize(LineString([(10.0, 60.0), (12.0, 60.0)]), 0.01)],
    )
    sites = gdf(
        {"site_id": ["near", "far", "nowhere"]},
        [Point(11.0, 60.05), Point(11.0, 61.0), None],
    )
    c = rv.connect_sites(sites, reaches, snap_km=10.0)
    assert c.reach_id.tolist() == [5, 0, 0]
    # great-circle distance to the straight (in lon/lat) line at 60N
    expect = rv._haversine_m(11.0, 60.05, 11.0, 60.0) / 1000.0
    assert c.snap_km[0] == pytest.approx(expect, rel=0.02)
    assert c.fraction[0] == pytest.approx(0.5, abs=0.01)
    assert c.water_note.tolist() == [
        "",
        "no river reach within 10 km: water pathway not assessed",
        "no site location: water pathway not assessed",
    ]
    with pytest.raises(CRSError, match="sites has no CRS"):
        rv.connect_sites(sites.set_crs(None, allow_override=True), reaches)
    with pytest.raises(GeodataError, match="site_id"):
        rv.connect_sites(sites.drop(columns="site_id"), reaches)


# --------------------------------------------------------------------------
# tracing
# --------------------------------------------------------------------------


def chain(n=10, x0=0.05, dx=0.2, qa=100.0, upland=1000.0):
    """A straight river along the equator, drawn downstream, with hydrology."""
    geoms = [LineString([(x0 + i * dx, 0.0), (x0 + (i + 1) * dx, 0.0)]) for i in range(n)]
    length = rv._geodesic_length_km(np.array(geoms))
    return gdf(
        {
            "reach_id": np.arange(1, n + 1),
            "next_down": np.r_[np.arange(2, n + 1), 0],
            "length_km": length,
            "upland_skm": upland * (1 + np.arange(n)),
            "dis_av_cms": qa * (1 + np.arange(n)),
            "name": ["Big"] * n,
            "sink": [""] * (n - 1) + ["sea"],
        },
        geoms,
    )


def test_trace_transport_matches_hand_computation():
    net = chain()
    sites = gdf(
        {"site_id": ["s"], "site_country": ["AAA"], "water_mass_kg": [5000.0]},
        [Point(0.05, 0.0)],
    )
    aff, paths = rv.trace_water(sites, net, TWO, border_tolerance_km=0.0)
    assert aff.affected.tolist() == ["BBB"]
    row = aff.iloc[0]
    # BBB starts at x = 1.0, i.e. mid-way through reach 5 (0.85 .. 1.05)
    lengths = net.length_km.to_numpy()
    km = lengths[:4].sum() + 0.75 * lengths[4]
    assert row.river_km == pytest.approx(km, rel=1e-4)
    # arrival: leading edge, 0.89 of the travel time at the maximum probable velocity
    v = rv.jobson_velocity(
        net.dis_av_cms, net.dis_av_cms, net.upland_skm * 1e6, kind="max_probable"
    )
    t = lengths * 1000 / v / 3600
    assert row.arrival_h == pytest.approx(0.89 * (t[:4].sum() + 0.75 * t[4]), rel=1e-4)
    # peak: travel time at the peak velocity (slower than Vmp)
    vp = rv.jobson_velocity(net.dis_av_cms, net.dis_av_cms, net.upland_skm * 1e6, kind="peak")
    t = lengths * 1000 / vp / 3600
    tp = t[:4].sum() + 0.75 * t[4]
    assert row.peak_h == pytest.approx(tp, rel=1e-4)
    assert row.peak_h > row.arrival_h / 0.89
    q = net.dis_av_cms[4]
    cp = rv.jobson_peak_concentration(5000.0, q, rv.jobson_unit_peak(tp, q, q)) * 1000
    assert row.peak_mg_l == pytest.approx(cp, rel=1e-4)
    assert row.river == "Big"
    assert row.pathway == "water"
    assert paths.end.tolist() == ["sea"]
    assert paths.countries.tolist() == ["AAA;BBB"]
    assert paths.length_km[0] == pytest.approx(lengths.sum(), rel=1e-6)
    # the path line starts at the site and ends at the outlet
    line = paths.geometry[0]
    assert line.coords[0] == pytest.approx((0.05, 0.0))
    assert line.coords[-1] == pytest.approx((2.05, 0.0))
    # with decay the peak drops by exp(-k Tp); the peak velocity is slower
    aff_k, _ = rv.trace_water(sites, net, TWO, border_tolerance_km=0.0, decay_per_h=0.01)
    assert aff_k.peak_mg_l[0] == pytest.approx(cp * math.exp(-0.01 * tp), rel=1e-4)
    # a flat velocity only when asked for: 1 m/s, peak at L / v, arrival at 0.89 of it
    aff_f, _ = rv.trace_water(sites, net, TWO, border_tolerance_km=0.0, velocity="flat")
    assert aff_f.peak_h[0] == pytest.approx(km / 3.6, rel=1e-4)
    assert aff_f.arrival_h[0] == pytest.approx(0.89 * km / 3.6, rel=1e-4)
    # dilution: a bigger river downstream gives a lower peak
    aff_q, _ = rv.trace_water(
        sites, net.assign(dis_av_cms=net.dis_av_cms * 4), TWO, border_tolerance_km=0.0
    )
    assert aff_q.peak_mg_l[0] < row.peak_mg_l
    with pytest.raises(ChoiceError, match="velocity"):
        rv.trace_water(sites, net, TWO, velocity="max_probable")


def test_trace_horizon_threshold_and_default_velocity():
    net = chain().assign(dis_av_cms=np.nan, upland_skm=np.nan)
    sites = gdf(
        {"site_id": ["s"], "site_country": ["AAA"], "water_mass_kg": [5000.0]},
        [Point(0.05, 0.0)],
    )
    lengths = net.length_km.to_numpy()
    # default velocity 1 m/s: BBB at ~105 km is reached after 0.89 * 29 h = 26 h
    aff, paths = rv.trace_water(sites, net, TWO, border_tolerance_km=0.0)
    km = lengths[:4].sum() + 0.75 * lengths[4]
    assert aff.arrival_h[0] == pytest.approx(0.89 * km / 3.6, rel=1e-4)
    assert np.isnan(aff.peak_mg_l[0])
    assert aff.water_note[0] == "no discharge on the network: travel time only"
    # a 1-day horizon stops before the border: no affected country
    aff, paths = rv.trace_water(sites, net, TWO, border_tolerance_km=0.0, horizon_days=1.0)
    assert aff.empty
    assert paths.end.tolist() == ["horizon"]
    assert paths.travel_h[0] == pytest.approx(24.0)
    assert paths.length_km[0] == pytest.approx(24.0 / 0.89 * 3.6, rel=1e-6)
    # a threshold the peak falls below before the border stops there too
    sites2 = sites.assign(water_mass_kg=1.0)
    aff, paths = rv.trace_water(
        sites2, chain(), TWO, border_tolerance_km=0.0, water_threshold_mg_l=1e-3
    )
    assert aff.empty and paths.end.tolist() == ["threshold"]
    aff, paths = rv.trace_water(
        sites2, chain(), TWO, border_tolerance_km=0.0, water_threshold_mg_l=1e-9
    )
    assert aff.affected.tolist() == ["BBB"] and paths.end.tolist() == ["sea"]


def test_trace_border_river_order_and_unconnected_sites():
    three = gdf(
        {"iso_a3": ["AAA", "BBB", "CCC"]},
        [box(0.0, -2.0, 1.0, 2.0), box(1.0, -2.0, 2.0, 0.0), box(1.0, 0.0, 2.0, 2.0)],
    )
    # the river runs along the BBB/CCC border after x = 1.2
    geoms = [
        LineString([(0.2, -0.5), (1.2, -0.5)]),
        LineString([(1.2, -0.5), (1.2, -0.02)]),
        LineString([(1.2, -0.02), (1.25, -0.005), (1.9, -0.005)]),
    ]
    net = gdf(
        {
            "reach_id": [1, 2, 3],
            "next_down": [2, 3, 0],
            "length_km": rv._geodesic_length_km(np.array(geoms)),
            "name": ["Up", "Up", "Border"],
        },
        geoms,
    )
    sites = gdf(
        {"site_id": ["s1", "s2", "s3"], "site_country": ["AAA", "CCC", "AAA"]},
        [Point(0.2, -0.5), Point(1.5, -0.004), Point(0.5, 1.5)],
    )
    aff, paths = rv.trace_water(sites, net, three, border_tolerance_km=1.5)
    s1 = aff[aff.site_id == "s1"]
    assert s1.affected.tolist() == ["BBB", "CCC"]  # in order of arrival
    assert s1.river_km.is_monotonic_increasing
    assert s1.river.tolist() == ["Up", "Up;Border"]
    # s2 sits on the border river: BBB is reached at once
    s2 = aff[aff.site_id == "s2"].iloc[0]
    assert (s2.affected, s2.river_km, s2.arrival_h) == ("BBB", 0.0, 0.0)
    assert s2.water_note == "site on a river bordering this country"
    # s3 has no reach within 10 km: not assessed, never "no effect"; CCC (0.5 degree
    # away, 55 km) is to be consulted, BBB (176 km) is beyond the 100 km gap distance
    s3 = aff[aff.site_id == "s3"]
    assert s3.affected.tolist() == ["CCC"] and s3.arrival_h.isna().all()
    assert s3.water_note.iloc[0].startswith("water pathway not assessed (no river reach")
    p = paths.set_index("site_id")
    assert p.loc["s3", "water_note"] == "no river reach within 10 km: water pathway not assessed"
    assert p.loc["s3", "water_status"] == "not assessed"
    assert p.loc["s3", "water_reason"] == "no river reach within 10 km"
    assert p.loc["s1", "water_status"] == "assessed" and p.loc["s1", "water_reason"] == ""
    assert p.loc["s3", "geometry"] is None
    assert p.loc["s1", "countries"] == "AAA;BBB;CCC"
    assert p.loc["s2", "countries"] == "CCC;BBB"
    assert list(aff.columns) == [
        "site_id",
        "affected",
        "pathway",
        "river",
        "river_km",
        "arrival_h",
        "peak_h",
        "peak_mg_l",
        "snap_km",
        "water_note",
    ]
    with pytest.raises(GeodataError, match="site_country"):
        rv.trace_water(sites.drop(columns="site_country"), net, three)
    with pytest.raises(GeodataError, match="site_id"):
        rv.trace_water(sites.drop(columns="site_id"), net, three)


def random_tree(n: int, seed: int):
    rng = np.random.default_rng(seed)
    parent = np.full(n, -1)
    for i in range(1, n):
        parent[i] = i - 1 if rng.random() < 0.7 else rng.integers(0, i)
    parent[rng.choice(np.arange(1, n), size=3, replace=False)] = -1  # several outlets
    pos = np.zeros((n, 2))
    for i in range(n):
        base = pos[parent[i]] if parent[i] >= 0 else np.array([rng.uniform(0.1, 3.9), 0.0])
        pos[i] = base + rng.uniform([-0.05, 0.02], [0.05, 0.08])
    ends = np.array([pos[p] if p >= 0 else pos[i] - [0, 0.02] for i, p in enumerate(parent)])
    geoms = [LineString([pos[i], ends[i]]) for i in range(n)]
    length = rv._geodesic_length_km(np.array(geoms))
    return gdf(
        {
            "reach_id": np.arange(1, n + 1) * 10,
            "next_down": np.where(parent >= 0, (parent + 1) * 10, 0),
            "length_km": length,
            "name": [f"r{i % 3}" for i in range(n)],
        },
        geoms,
    )


def test_one_pass_trace_equals_per_site_graph_walk():
    net = random_tree(400, seed=1)
    bord = gdf(
        {"iso_a3": ["AAA", "BBB", "CCC", "DDD"]},
        [box(0, 0, 2, 3), box(2, 0, 4, 3), box(0, 3, 2, 6), box(2, 3, 4, 6)],
    )
    net = net.assign(countries=rv.reach_countries(net, bord, border_tolerance_km=0.0))
    rng = np.random.default_rng(2)
    pick = rng.choice(len(net), 60, replace=False)
    pts = shapely.line_interpolate_point(net.geometry.to_numpy()[pick], 0.0, normalized=True)
    sites = gdf(
        {"site_id": [f"s{i}" for i in pick], "site_country": ["AAA"] * len(pick)}, list(pts)
    )
    aff, _ = rv.trace_water(sites, net, bord, snap_km=0.01)
    conn = rv.connect_sites(sites, net, snap_km=0.01)
    g = rv.network_graph(net)
    ctry = dict(zip(net.reach_id, net.countries, strict=True))
    expected = []
    for sid, rid, f in zip(conn.site_id, conn.reach_id, conn.fraction, strict=True):
        km, node, seen = 0.0, int(rid), set()
        km -= f * g.nodes[node]["length_km"]
        while True:
            for c in ctry[node].split(";"):
                if c and c not in seen:
                    seen.add(c)
                    if c != "AAA":
                        expected.append((sid, c, max(km, 0.0)))
            km += g.nodes[node]["length_km"]
            nxt = list(g.successors(node))
            if not nxt:
                break
            node = nxt[0]
    exp = pd.DataFrame(expected, columns=["site_id", "affected", "km"])
    got = aff[["site_id", "affected", "river_km"]]
    m = exp.merge(got, on=["site_id", "affected"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    np.testing.assert_allclose(m.river_km, m.km, atol=1e-6)
    assert len(exp) > 20


def test_water_mass_by_site():
    h = pd.DataFrame(
        {
            "site_id": ["a", "a", "b"],
            "quantity_t": [10.0, 5.0, 2.0],
            "groups": ["health;environmental", "physical", None],
        }
    )
    assert rv.water_mass_by_site(h).to_dict() == {"a": 10_000.0, "b": 0.0}
    assert rv.water_mass_by_site(h, water="all", release_fraction=0.1).to_dict() == {
        "a": 1500.0,
        "b": 200.0,
    }
    with pytest.raises(ChoiceError, match="water"):
        rv.water_mass_by_site(h, water="some")
    with pytest.raises(ValueError, match="release_fraction"):
        rv.water_mass_by_site(h, release_fraction=2.0)


# --------------------------------------------------------------------------
# real data (../shared/data)
# --------------------------------------------------------------------------

shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared data absent")


def ne_countries(bbox):
    c = gpd.read_file(SHARED / "ne_10m_countries.gpkg", bbox=bbox, columns=["ADM0_A3", "NAME"])
    return c.rename(columns={"ADM0_A3": "iso_a3", "NAME": "name"})


@pytest.fixture(scope="module")
def central_asia():
    bbox = (46.0, 35.0, 90.0, 70.0)  # to the Ob's mouth, so the Irtysh finds the sea
    lines = rv.read_rivers(SHARED / "ne_10m_rivers.gpkg", bbox=bbox)
    b = lines.total_bounds
    lakes = gpd.read_file(SHARED / "ne_10m_lakes.gpkg", bbox=tuple(b))
    countries = ne_countries(tuple(np.add(b, [-1, -1, 1, 1])))
    net = rv.network_from_lines(lines, borders=countries, lakes=lakes)
    return net, countries


@pytest.mark.shared
@shared
def test_natural_earth_central_asia(central_asia):
    net, countries = central_asia
    rep = net.attrs["report"]
    assert rep["reversed_pieces"] > 0 and rep["snapped_endpoints"] > 0
    assert rep["dropped_parts"]["closed_loops"] >= 0
    outlets = net[net.next_down == 0]
    sinks = set(zip(outlets.name, outlets.sink, outlets.sink_name, strict=True))
    assert ("Syr Darya", "endorheic", "Aral Sea") in sinks
    assert ("Amu Darya", "endorheic", "Aral Sea") in sinks
    assert ("Volga", "endorheic", "Caspian Sea") in sinks
    assert ("Ile", "endorheic", "Lake Balkhash") in sinks
    sites = gdf(
        {
            "site_id": ["khujand", "panj", "pavlodar"],
            "site_country": ["TJK", "TJK", "KAZ"],
            "water_mass_kg": [1e4, 1e4, 1e4],
        },
        [Point(69.63, 40.28), Point(68.6, 37.2), Point(76.95, 52.3)],
    )
    aff, paths = rv.trace_water(sites, net, countries, velocity="flat")
    got = {s: g.affected.tolist() for s, g in aff.groupby("site_id")}
    assert got["khujand"] == ["UZB", "KAZ"]
    assert got["panj"] == ["AFG", "UZB", "TKM"]
    assert got["pavlodar"] == ["RUS"]
    p = paths.set_index("site_id")
    assert p.loc["khujand", "end"] == "endorheic"
    assert p.loc["khujand", "sink_name"] == "Aral Sea"
    assert p.loc["panj", "sink_name"] == "Aral Sea"
    assert p.loc["pavlodar", "end"] == "horizon"
    assert "Irtysh" in p.loc["pavlodar", "river"]
    k = aff[aff.site_id == "khujand"].set_index("affected")
    assert 0 < k.loc["UZB", "river_km"] < k.loc["KAZ", "river_km"] < 400
    r = aff[aff.site_id == "pavlodar"].iloc[0]
    assert 150 < r.river_km < 450  # Pavlodar to the Russian border
    # flat times; the peak from the discharge estimated by Hack's law, flagged
    assert (aff[aff.river_km > 0].peak_mg_l > 0).all()
    assert aff.water_note.str.contains("Hack's law").all()


@pytest.mark.shared
@shared
def test_hydrorivers_turkey_euphrates_and_tigris():
    h = gpd.read_file(SHARED / "hydrorivers_turkey.gpkg")
    countries = ne_countries((24.0, 30.0, 50.0, 44.0))
    net = rv.build_network(h, borders=countries)
    rep = net.attrs["report"]
    assert rep["source"] == "hydrorivers" and rep["hydrology"] is False
    assert rep["cycles"] == []
    sites = gdf(
        {"site_id": ["birecik", "diyarbakir"], "site_country": ["TUR", "TUR"]},
        [Point(37.98, 37.03), Point(40.23, 37.91)],
    )
    aff, paths = rv.trace_water(sites, net, countries)
    got = {s: g.affected.tolist() for s, g in aff.groupby("site_id")}
    # Euphrates: into Syria; the extract ends in Syria, before Iraq: an edge, not an outlet
    assert got["birecik"] == ["SYR"]
    assert aff.set_index("site_id").loc["birecik", "river_km"] < 60
    p = paths.set_index("site_id")
    assert (p.loc["birecik", "end"], p.loc["birecik", "end_country"]) == ("edge", "SYR")
    assert p.loc["birecik", "water_status"] == "not assessed"
    # with a wider gap distance, Iraq beyond the edge of the extract is to be consulted
    wide, _ = rv.trace_water(sites[:1], net, countries, gap_km=300.0)
    assert wide.affected.iloc[0] == "SYR" and "IRQ" in set(wide.affected)
    assert wide.arrival_h.iloc[1:].isna().all()
    # Tigris: along the Syrian border into Iraq
    assert got["diyarbakir"] == ["SYR", "IRQ"]
    assert paths.set_index("site_id").loc["diyarbakir", "countries"] == "TUR;SYR;IRQ"
    # without DIS_AV_CMS the discharge comes from UPLAND_SKM x 359 mm/yr; with a discharge
    # column (here a made-up 3 L/s/km2, 95 mm/yr: less water) the river is slower
    net2 = rv.build_network(h.assign(DIS_AV_CMS=h.UPLAND_SKM * 0.003), borders=countries)
    aff2, _ = rv.trace_water(sites.assign(water_mass_kg=1e4), net2, countries)
    d = aff2[aff2.site_id == "diyarbakir"]
    assert d.peak_mg_l.notna().all() and d.peak_mg_l.is_monotonic_decreasing
    assert (aff2.arrival_h.to_numpy() > aff.arrival_h.to_numpy()).all()
    flat, _ = rv.trace_water(sites, net, countries, velocity="flat")
    assert (flat.arrival_h.to_numpy() > aff.arrival_h.to_numpy()).all()  # Vmp > 1 m/s here


@pytest.mark.parametrize("endorheic", [None, [0, 0, 0, 0, 1]])
def test_cycles_found_whether_or_not_the_closed_basins_are_derived(endorheic):
    # without ENDORHEIC, the network compiled to derive the closed basins is checked for cycles
    extra = {} if endorheic is None else {"ENDORHEIC": endorheic}
    h = hydro([1, 2, 3, 4, 5], [2, 3, 1, 5, 0], **extra)
    with pytest.raises(NetworkError, match=r"1 cycle\(s\).*\[1, 2, 3\]"):
        rv.network_from_hydrorivers(h)
    net = rv.network_from_hydrorivers(h, on_cycle="break")
    assert net.attrs["report"]["cycles"] == [[1, 2, 3]]
    assert net.next_down.tolist() == [2, 3, 0, 5, 0]
    assert net.set_index("reach_id").loc[3, "sink"] == "cycle"
    fine = rv.network_from_hydrorivers(hydro([1, 2, 3], [2, 3, 0]))
    assert fine.attrs["report"]["cycles"] == [] and fine.endorheic.tolist() == [False] * 3
