"""The pruned search for the nearest boundary segments gives the exhaustive answer (hypothesis).

:class:`hazid.geography.index._CountryIndex` discards groups, pieces and
segments with bounds before the exact geodesic measure; on random territories
and points the result must be, to the last bit, what measuring every segment
gives, and close to a brute-force geodesic distance over a finely densified
boundary. Every test is derandomized.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from hazid import geography as geo
from hazid.geography.index import (
    GEOD,
    _border_index,
    _BorderIndex,
    _CountryIndex,
    _ecef,
    _min_by,
    _segment_chord,
)

SETTINGS = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def star(lon: float, lat: float, radius_deg: float, seed: int, n: int):
    """A polygon with vertices at random radii, in order of angle, around (lon, lat); valid."""
    rng = np.random.default_rng(seed)
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius_deg * rng.uniform(0.3, 1.0, n)
    x = np.clip(lon + r * np.cos(ang), -180, 180)
    y = np.clip(lat + r * np.sin(ang), -89, 89)
    return shapely.make_valid(Polygon(zip(x, y, strict=True)))


def exhaustive_km(index: _CountryIndex, lon, lat, limit=None) -> np.ndarray:
    """The same measure over every segment of the territory, nothing discarded."""
    n, m = lon.size, index.size
    site = np.repeat(np.arange(n), m)
    seg = np.tile(np.arange(m), n)
    lo, la = np.asarray(lon, float), np.asarray(lat, float)
    p = _ecef(lo, la)
    chord, t = _segment_chord(p[site], index.a[seg], index.ab[seg], index.l2[seg])
    cand = chord <= _min_by(n, site, chord)[site] * (1 + 1e-4) + 0.002
    site, seg, t = site[cand], seg[cand], t[cand]
    a, b = index.a_ll[seg], index.b_ll[seg]
    _, _, metres = GEOD.inv(
        lo[site], la[site], a[:, 0] + t * (b[:, 0] - a[:, 0]), a[:, 1] + t * (b[:, 1] - a[:, 1])
    )
    km = _min_by(n, site, np.asarray(metres) / 1000.0)
    if limit is not None:
        km[km > limit] = np.inf
    return km


def dense_km(lon: float, lat: float, geom, step_deg: float = 0.0005) -> float:
    """Geodesic distance to a boundary by brute force over a finely densified boundary."""
    pts = shapely.get_coordinates(shapely.segmentize(geom.boundary, step_deg))
    _, _, d = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    return float(np.min(d)) / 1000.0


def territory(parts, seed: int):
    """Union of the polygonal parts of some stars (empty when they are all degenerate)."""
    pieces = shapely.get_parts(
        [star(x, y, r, seed + k, nv) for k, (x, y, r, nv) in enumerate(parts)]
    )
    polys = pieces[np.isin(shapely.get_type_id(pieces), [3, 6])]
    return shapely.union_all(polys)


territories = st.builds(
    territory,
    st.lists(
        st.tuples(
            st.floats(-179.5, 179.5),
            st.floats(-75, 75),
            st.floats(0.02, 4.0),
            st.integers(3, 14),
        ),
        min_size=1,
        max_size=3,
    ),
    st.integers(0, 10_000),
)


@SETTINGS
@given(
    geom=territories,
    seed=st.integers(0, 10_000),
    spread=st.sampled_from([0.5, 3.0, 20.0, 90.0]),
    with_limit=st.booleans(),
)
def test_pruned_search_is_exhaustive(geom, seed, spread, with_limit):
    assume(not geom.is_empty)
    index = _CountryIndex(geom)
    rng = np.random.default_rng(seed)
    c = shapely.get_coordinates(geom.representative_point())[0]
    k = 12
    lon = np.clip(c[0] + rng.uniform(-spread, spread, k), -180, 180)
    lat = np.clip(c[1] + rng.uniform(-spread, spread, k) / 2, -89.5, 89.5)
    limit = rng.choice([0.5, 10.0, 40.0, 300.0, 2500.0, np.inf], k) if with_limit else None
    got = index.boundary_distance(lon, lat, limit)
    want = exhaustive_km(index, lon, lat, limit)
    assert np.array_equal(got, want)
    # and close to the geodesic distance to the boundary (all points, limits aside)
    free = index.boundary_distance(lon, lat)
    for i in range(min(k, 3)):
        truth = dense_km(lon[i], lat[i], geom)
        # the samples lie up to 28 m apart along the boundary: they overestimate a little
        assert -0.03 <= free[i] - truth <= 0.002 * truth + 0.005


@SETTINGS
@given(
    geoms=st.lists(territories, min_size=2, max_size=3),
    seed=st.integers(0, 10_000),
    neighbours=st.booleans(),
)
def test_pair_distance_with_limits_matches_country_by_country(geoms, seed, neighbours):
    assume(not any(g.is_empty for g in geoms))
    if neighbours:  # moved next to one another, near 30 N 20 E
        geoms = [
            shapely.affinity.translate(g, 20 + 2 * k - g.centroid.x, 30 + k - g.centroid.y)
            for k, g in enumerate(geoms)
        ]
        # a territory spread over the globe, moved, may pass a pole: not a layer of degrees
        assume(all(g.bounds[1] >= -90 and g.bounds[3] <= 90 for g in geoms))
    codes = ["AAA", "BBB", "CCC"][: len(geoms)]
    borders = gpd.GeoDataFrame({"iso_a3": codes}, geometry=geoms, crs=4326)
    index = _BorderIndex(borders)
    rng = np.random.default_rng(seed)
    c = shapely.get_coordinates(geoms[0].representative_point())[0]
    n = 10
    lon = np.clip(c[0] + rng.uniform(-10, 10, n), -180, 180)
    lat = np.clip(c[1] + rng.uniform(-5, 5, n), -89.5, 89.5)
    site = np.repeat(np.arange(n), len(geoms))
    country = np.tile(np.arange(len(geoms)), n)
    limit = rng.choice([1.0, 50.0, 400.0, np.inf], n)  # per point
    got = index.pair_distance(site, country, lon, lat, limit)
    for k, g in enumerate(geoms):
        m = country == k
        inside = shapely.contains_xy(g, lon, lat)
        want = np.where(inside, 0.0, exhaustive_km(index.country(k), lon, lat, limit))
        assert np.array_equal(got[m], want[site[m]])
    # points known to lie outside skip the test of inside; the others are unchanged
    out = ~np.array(
        [geoms[k].contains(Point(lon[s], lat[s])) for s, k in zip(site, country, strict=True)]
    )
    fast = index.pair_distance(site[out], country[out], lon, lat, limit, outside=True)
    assert np.array_equal(fast, got[out])
    # only the shortest of each point: the same shortest (and those equal to it), others inf
    short = index.pair_distance(site, country, lon, lat, limit, shortest=True)
    low = np.full(n, np.inf)
    np.fmin.at(low, site, got)
    found = np.isfinite(short)
    assert np.array_equal(short[found], got[found])
    assert np.all(found | ~(np.isfinite(got) & (got <= low[site])))  # the shortest: found
    short_low = np.full(n, np.inf)
    np.fmin.at(short_low, site, short)
    assert np.array_equal(short_low, low)


def test_distance_within_the_limit_kept_when_the_chord_is_longer():
    # 3.3 km inside the north side, a parallel: the straight line to the side's chords is
    # some centimetres longer than the geodesic to the side's closest point
    index = _CountryIndex(box(0, 0, 3, 3))
    lon, lat = np.array([1.77]), np.array([2.97])
    free = index.boundary_distance(lon, lat)
    assert free[0] == pytest.approx(3.317, abs=0.001)
    chord, _ = _segment_chord(_ecef(lon, lat), index.a, index.ab, index.l2)
    assert chord.min() > free[0] + 1e-5  # 1 cm
    for limit in (free[0], 3.32, 50.0):
        assert index.boundary_distance(lon, lat, np.array([limit]))[0] == free[0]
    assert index.boundary_distance(lon, lat, np.array([3.3]))[0] == np.inf


def test_shortest_keeps_a_country_at_exactly_the_same_distance():
    # two identical territories and a point (found by hypothesis) whose nearest chord is
    # longer than its distance: the limit lowered to the first country's distance must
    # still let the second one's, equal to the bit, come back
    g = territory([(0.0, 3.0, 3.0, 8)], 1)
    index = _BorderIndex(gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]}, geometry=[g, g], crs=4326))
    lon, lat = np.array([1.0503346984357704]), np.array([0.6944052353288828])
    site, country, limit = np.array([0, 0]), np.array([0, 1]), np.array([50.0])
    every = index.pair_distance(site, country, lon, lat, limit)
    assert every[0] == every[1] == pytest.approx(14.2801, abs=1e-4)
    assert np.array_equal(index.pair_distance(site, country, lon, lat, limit, shortest=True), every)


def test_index_reused_only_for_the_same_layer():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326
    )
    first = _border_index(borders)
    assert _border_index(borders.copy()) is first  # same codes, same geometry objects
    moved = borders.copy()
    moved.geometry = [box(0, 0, 1, 1), box(1.5, 0, 2, 1)]
    assert _border_index(moved) is not first
    renamed = borders.assign(iso_a3=["AAA", "CCC"])
    assert _border_index(renamed) is not first
    sites = gpd.GeoDataFrame({"site_id": ["s"]}, geometry=[Point(0.9, 0.5)], crs=4326)
    near = geo.border_distance(sites, borders)["border_km"][0]
    far = geo.border_distance(sites, moved)["border_km"][0]
    assert near == pytest.approx(11.13, abs=0.01) and far == pytest.approx(66.8, abs=0.1)


@SETTINGS
@given(
    geoms=st.lists(territories, min_size=2, max_size=3),
    zones=st.lists(
        st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(0.01, 3.0), st.integers(3, 12)),
        min_size=1,
        max_size=12,
    ),
    seed=st.integers(0, 10_000),
)
def test_intersecting_matches_every_pair_tested(geoms, zones, seed):
    assume(not any(g.is_empty for g in geoms))
    borders = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB", "CCC"][: len(geoms)]}, geometry=geoms)
    index = _BorderIndex(borders.set_crs(4326))
    c = shapely.get_coordinates(geoms[0].representative_point())[0]
    shapes = np.array(
        [star(c[0] + 3 * x, c[1] + 3 * y, r, seed + i, n) for i, (x, y, r, n) in enumerate(zones)]
    )
    skip = np.zeros(len(shapes), dtype=np.int64) - 1
    skip[::2] = 0  # every other shape leaves out the first country
    gi, ci = index.intersecting(shapes, skip=skip)
    want = [
        (i, k)
        for i, z in enumerate(shapes)
        for k, g in enumerate(geoms)
        if k != skip[i] and shapely.intersects(g, z)
    ]
    assert sorted(zip(gi.tolist(), ci.tolist(), strict=True)) == want


@SETTINGS
@given(
    geoms=st.lists(territories, min_size=2, max_size=4),
    seed=st.integers(0, 10_000),
)
def test_border_distance_is_the_shortest_of_all_foreign_distances(geoms, seed):
    """Whatever the search steps, the shortest foreign distance; ties to the first country."""
    assume(not any(g.is_empty for g in geoms))
    geoms = [
        shapely.affinity.translate(g, 20 + 3 * k - g.centroid.x, 30 + k % 2 - g.centroid.y)
        for k, g in enumerate(geoms)
    ]
    codes = ["AAA", "BBB", "CCC", "DDD"][: len(geoms)]
    borders = gpd.GeoDataFrame({"iso_a3": codes}, geometry=geoms, crs=4326)
    rng = np.random.default_rng(seed)
    n = 15
    lon, lat = rng.uniform(10, 40, n), rng.uniform(20, 40, n)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(n)], "site_country": rng.choice([*codes, ""], n)},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    out = geo.border_distance(sites, borders)
    index = _BorderIndex(borders)
    for i in range(n):
        foreign = [k for k, c in enumerate(codes) if c != sites["site_country"][i]]
        d = index.pair_distance(
            np.zeros(len(foreign), int), np.array(foreign), lon[i : i + 1], lat[i : i + 1]
        )
        assert out["border_km"][i] == d.min()
        assert out["nearest_foreign"][i] == codes[foreign[int(np.argmin(d))]]
