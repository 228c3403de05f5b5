"""Tests of the river_paths lines: drawn down past the last affected country only."""

from __future__ import annotations

from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiPolygon, Point, box

from hazid import rivers as rv

# AAA on both sides of BBB: a river from x = 0 to 3.5 runs AAA -> BBB -> AAA
A_B_A = gpd.GeoDataFrame(
    {"iso_a3": ["AAA", "BBB"]},
    geometry=[
        MultiPolygon([box(0.0, -2.0, 1.0, 2.0), box(2.0, -2.0, 4.0, 2.0)]),
        box(1.0, -2.0, 2.0, 2.0),
    ],
    crs=4326,
)
HOME = gpd.GeoDataFrame({"iso_a3": ["AAA"]}, geometry=[box(0.0, -2.0, 4.0, 2.0)], crs=4326)


def chain(xs, *, names=None, last_sink="sea") -> gpd.GeoDataFrame:
    """Reaches from xs[i] to xs[i + 1] along the equator, drawn downstream, ids 1..n."""
    geoms = [LineString([(a, 0.0), (b, 0.0)]) for a, b in pairwise(xs)]
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "reach_id": np.arange(1, n + 1),
            "next_down": np.r_[np.arange(2, n + 1), 0],
            "length_km": rv._geodesic_length_km(np.array(geoms)),
            "name": names if names is not None else ["R"] * n,
            "sink": [""] * (n - 1) + [last_sink],
        },
        geometry=geoms,
        crs=4326,
    )


def site(x: float, country: str = "AAA", sid: str = "s") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": [sid], "site_country": [country]}, geometry=[Point(x, 0.0)], crs=4326
    )


def km_within(line, poly) -> float:
    """Geodesic length (km) of ``line`` inside ``poly``."""
    return float(rv._geodesic_length_km(np.array([shapely.intersection(line, poly)]))[0])


# reaches 0.05 .. 3.45 by 0.2: the reach 1.85 -> 2.05 is the last one touching BBB
XS = np.round(np.arange(0.05, 3.46, 0.2), 6)
# names change inside BBB and after it: several runs of reaches on the way
NAMES = ["Up"] * 7 + ["Mid"] * 5 + ["Down"] * (len(XS) - 13)


def test_a_b_a_trace_ends_at_the_end_of_the_last_reach_touching_b():
    net = chain(XS, names=NAMES)
    aff, paths = rv.trace_water(site(0.15), net, A_B_A, border_tolerance_km=0.0)
    assert aff.affected.tolist() == ["BBB"]
    p = paths.iloc[0]
    assert (p.end, p.water_status, p.countries) == ("sea", "assessed", "AAA;BBB")
    # the attributes still describe the whole trace ...
    assert p.length_km == pytest.approx(net.length_km.sum() - 0.5 * net.length_km[0], rel=1e-9)
    # ... the line runs from the site to the end of the reach 1.85 -> 2.05
    line = p.geometry
    assert line.coords[0] == pytest.approx((0.15, 0.0))
    assert line.coords[-1] == pytest.approx((2.05, 0.0))
    # the river inside BBB is all there: as long as on the whole trace
    whole = LineString([(0.15, 0.0), (XS[-1], 0.0)])
    bbb = A_B_A.geometry[1]
    assert km_within(line, bbb) == pytest.approx(km_within(whole, bbb), rel=1e-9)
    assert km_within(line, bbb) == pytest.approx(
        rv._geodesic_length_km(np.array([LineString([(1.0, 0.0), (2.0, 0.0)])]))[0], rel=1e-9
    )
    # a horizon inside BBB ends the line where the trace ends
    aff_h, paths_h = rv.trace_water(
        site(0.15), net, A_B_A, border_tolerance_km=0.0, horizon_days=1.4
    )
    p = paths_h.iloc[0]
    assert aff_h.affected.tolist() == ["BBB"] and p.end == "horizon"
    x_end = p.geometry.coords[-1][0]
    assert 1.0 < x_end < 1.85
    assert rv._geodesic_length_km(np.array([p.geometry]))[0] == pytest.approx(p.length_km, rel=1e-6)


def test_site_in_b_draws_to_the_end_of_its_last_reach_abroad():
    # a BBB site: AAA downstream is abroad, to the sea (the end of the trace)
    net = chain(XS, names=NAMES)
    _, paths = rv.trace_water(site(1.5, "BBB"), net, A_B_A, border_tolerance_km=0.0)
    assert paths.geometry[0].coords[-1] == pytest.approx((XS[-1], 0.0))
    # a site of unknown country: every country is another one
    _, paths = rv.trace_water(site(0.15, ""), net, A_B_A, border_tolerance_km=0.0)
    assert paths.geometry[0].coords[-1] == pytest.approx((XS[-1], 0.0))


def test_domestic_assessed_trace_has_no_line_but_its_full_length():
    net = chain(XS, names=NAMES)
    sites = gpd.GeoDataFrame(
        {"site_id": ["s", "far"], "site_country": ["AAA", "AAA"]},
        geometry=[Point(0.15, 0.0), Point(0.15, 1.5)],
        crs=4326,
    )
    aff, paths = rv.trace_water(sites, net, HOME, border_tolerance_km=0.0)
    assert aff.empty
    p = paths.set_index("site_id")
    assert (p.loc["s", "end"], p.loc["s", "water_status"]) == ("sea", "assessed")
    assert p.loc["s", "countries"] == "AAA"
    assert p.loc["s", "geometry"] is None
    expect = net.length_km.sum() - 0.5 * net.length_km[0]
    assert p.loc["s", "length_km"] == pytest.approx(expect, rel=1e-9)
    assert p.loc["s", "travel_h"] > 0
    # not connected: no line either
    assert p.loc["far", "water_status"] == "not assessed" and p.loc["far", "geometry"] is None


def test_border_country_left_upstream_of_the_site_is_not_abroad():
    # the river flows west from BBB into AAA; the site's reach 1.05 -> 0.85 touches BBB
    # upstream of the site only, so the (assessed) trace stays at home: no line
    xs = np.round(np.arange(1.85, 0.0, -0.2), 6)
    net = chain(xs)
    aff, paths = rv.trace_water(site(0.95), net, A_B_A, border_tolerance_km=0.0)
    assert aff.empty and paths.countries[0] == "AAA"
    assert paths.water_status[0] == "assessed" and paths.geometry[0] is None


def test_trace_stopped_at_the_edge_of_the_data_keeps_the_point_where_the_data_stop():
    net = chain(XS, names=NAMES, last_sink="edge")
    _, paths = rv.trace_water(site(0.15), net, HOME, border_tolerance_km=0.0)
    p = paths.iloc[0]
    assert (p.end, p.water_status) == ("edge", "not assessed")
    # no other country on the way: no line, the end of the data instead
    assert p.geometry is None
    assert (p.edge_lon, p.edge_lat) == pytest.approx((XS[-1], 0.0))
    # abroad on the way: the line stops after BBB, like an assessed one
    _, paths = rv.trace_water(site(0.15), net, A_B_A, border_tolerance_km=0.0)
    assert paths.water_status[0] == "not assessed"
    assert paths.geometry[0].coords[-1] == pytest.approx((2.05, 0.0))
    assert (paths.edge_lon[0], paths.edge_lat[0]) == pytest.approx((XS[-1], 0.0))
    # an assessed trace has no end of the data
    _, paths = rv.trace_water(site(0.15), chain(XS, names=NAMES), HOME, border_tolerance_km=0.0)
    assert np.isnan(paths.edge_lon[0]) and np.isnan(paths.edge_lat[0])


def test_data_ends_one_point_per_place_with_the_sites_stopping_there():
    net = chain(XS, names=NAMES, last_sink="edge")
    sites = pd.concat([site(0.15, sid="a"), site(0.95, sid="b"), site(5.0, sid="far")])
    _, paths = rv.trace_water(sites.reset_index(drop=True), net, HOME, border_tolerance_km=0.0)
    ends = rv.data_ends(paths)
    assert ends[["country", "n_sites", "site_ids"]].to_dict("records") == [
        {"country": "AAA", "n_sites": 2, "site_ids": "a;b"}
    ]
    assert ends.crs.to_epsg() == 4326
    assert (ends.geometry[0].x, ends.geometry[0].y) == pytest.approx((XS[-1], 0.0))
    # none without an edge, or without the columns
    _, paths = rv.trace_water(site(0.15), chain(XS, names=NAMES), HOME, border_tolerance_km=0.0)
    assert rv.data_ends(paths).empty and rv.data_ends(None).empty
    assert rv.data_ends(paths.drop(columns=["edge_lon", "edge_lat"])).empty


def test_no_lines_when_not_asked_for():
    net = chain(XS, names=NAMES)
    _, paths = rv.trace_water(site(0.15), net, A_B_A, border_tolerance_km=0.0, path_geometry=False)
    assert paths.geometry.isna().all() and paths.countries[0] == "AAA;BBB"


def test_line_ends_after_a_run_of_several_reaches_abroad():
    # countries given per reach: three in AAA, four in BBB (one run), three in AAA
    xs = np.round(np.arange(0.05, 2.06, 0.2), 6)
    net = chain(xs).assign(countries=["AAA"] * 3 + ["BBB"] * 4 + ["AAA"] * 3)
    aff, paths = rv.trace_water(site(0.15), net, A_B_A, border_tolerance_km=0.0)
    assert aff.affected.tolist() == ["BBB"]
    assert paths.geometry[0].coords[-1] == pytest.approx((xs[7], 0.0))
    assert paths.length_km[0] == pytest.approx(
        net.length_km.sum() - 0.5 * net.length_km[0], rel=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([np.nan, 1.0, 2.0, 3.5]), st.sampled_from([0.0, 1.0])),
        max_size=30,
    )
)
def test_data_ends_groups_like_a_plain_loop(points):
    paths = pd.DataFrame(
        {
            "site_id": [f"s{i}" for i in range(len(points))],
            "end_country": [f"C{int(x) if x == x else 0}" for x, _ in points],
            "edge_lon": [x for x, _ in points],
            "edge_lat": [np.nan if x != x else y for x, y in points],
        }
    )
    expect: dict[tuple[float, float], list[str]] = {}
    for sid, (x, y) in zip(paths["site_id"], points, strict=True):
        if x == x:
            expect.setdefault((x, y), []).append(sid)
    ends = rv.data_ends(paths)
    got = {
        (g.x, g.y): ids.split(";") for g, ids in zip(ends.geometry, ends["site_ids"], strict=True)
    }
    assert list(got) == list(expect) and got == expect
    assert ends["n_sites"].tolist() == [len(v) for v in expect.values()]
    assert ends["country"].tolist() == [f"C{int(x)}" for x, _ in expect]
