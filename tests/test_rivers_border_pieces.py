"""The border pieces a reach can meet are kept; the others change no country of any reach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.rivers import countries


def _world(boxes: list[tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    # a grid of countries near the rivers, and one far away (another continent)
    geoms = [shapely.box(*b) for b in boxes] + [shapely.box(-80.0, -10.0, -60.0, 5.0)]
    codes = [f"C{i:02d}" for i in range(len(boxes))] + ["FAR"]
    return gpd.GeoDataFrame({"iso_a3": codes}, geometry=geoms, crs=4326)


_GRID = [(60.0 + i, 40.0 + j, 61.0 + i, 41.0 + j) for i in range(3) for j in range(3)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(59.5, 63.5), st.floats(39.5, 43.5), st.floats(-0.6, 0.6), st.floats(-0.6, 0.6)
        ),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from([0.0, 0.5, 1.5, 5.0]),
)
def test_country_spans_are_the_same_as_with_every_border_piece(lines, tolerance_km):
    reaches = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(x, y), (x + dx, y + dy + 1e-3)]) for x, y, dx, dy in lines],
        crs=4326,
    )
    borders = _world(_GRID)
    kept = countries._country_spans(reaches, borders, border_tolerance_km=tolerance_km)
    real = countries._near_box, countries._near_window
    try:
        countries._near_box = lambda parts, owners, rgeom, tol: (parts, owners)
        countries._near_window = lambda rgeom, tol: None
        every = countries._country_spans(reaches, borders, border_tolerance_km=tolerance_km)
    finally:
        countries._near_box, countries._near_window = real
    for a, b in zip(kept, every, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_country_within_the_tolerance_beyond_the_reaches_box_is_kept():
    # the reach ends 0.005 degrees (about 550 m) short of the next country: within 1.5 km
    reaches = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(60.5, 40.5), (60.5, 40.995)])], crs=4326
    )
    _, code, first, last, iso = countries._country_spans(
        reaches, _world(_GRID), border_tolerance_km=1.5
    )
    assert iso[code].tolist() == ["C00", "C01"]
    # the bank tolerance meets C01 in the last 1.5 % of the reach
    assert first[0] == 0.0 and 0.97 < first[1] < 1.0 and last.tolist() == [1.0, 1.0]


def test_pieces_far_from_every_reach_are_dropped():
    borders = _world(_GRID)
    rings, owner = shapely.get_parts(
        shapely.boundary(borders.geometry.to_numpy()), return_index=True
    )
    parts, own = countries._chunk_lines(rings, owner, max_vertices=64)
    reach = np.array([shapely.LineString([(60.5, 40.5), (60.6, 40.6)])])
    near, near_own = countries._near_box(parts, own, reach, 1.5)
    assert len(near) < len(parts)
    far = borders.index[borders["iso_a3"] == "FAR"][0]
    assert far in own and far not in near_own  # the other continent's pieces are gone
    assert set(near_own) == {0}  # the box around the reach; its neighbours are 0.4 degrees off


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([60.0, 60.5, 61.0, 62.0, 63.0]),
            st.sampled_from([40.0, 40.5, 41.0, 42.0]),
            st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]),
            st.sampled_from([-1.0, 0.0, 0.5, 1.0]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_reaches_touching_a_country_only_at_a_point_are_not_in_it(lines):
    # reaches starting, ending or running on the grid's borders, or crossing them
    geoms = [shapely.LineString([(x, y), (x + dx, y + dy)]) for x, y, dx, dy in lines]
    rgeom = np.array(geoms, dtype=object)
    borders = _world(_GRID)
    bgeom = borders.geometry.to_numpy()
    codes = np.arange(len(bgeom))
    ri, _, bi = countries._crossed_countries(rgeom, bgeom, codes, None, np.zeros((0, 4)))
    got = sorted(zip(ri.tolist(), bi.tolist(), strict=True))
    # straightforward: every country met, less those only touched by a reach in several
    met = [
        (r, b)
        for r in range(len(rgeom))
        for b in range(len(bgeom))
        if rgeom[r].intersects(bgeom[b])
    ]
    count = np.bincount([r for r, _ in met], minlength=len(rgeom))
    want = sorted(
        (r, b) for r, b in met if count[r] == 1 or not shapely.touches(rgeom[r], bgeom[b])
    )
    assert got == want


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 150), min_size=1, max_size=6),
    st.tuples(st.floats(-5.0, 5.0), st.floats(-5.0, 5.0), st.floats(0.0, 6.0), st.floats(0.0, 6.0)),
)
def test_pieces_made_in_a_window_are_those_meeting_it(lengths, box):
    # zigzag lines of various lengths: the pieces made only in the window are those, among all,
    # whose box meets the window (in the same order, the same vertices)
    lines = np.array(
        [
            shapely.LineString([(-3.0 + 0.1 * k, (-1.0) ** k * 0.05 * k + j) for k in range(n + 2)])
            for j, n in enumerate(lengths)
        ],
        dtype=object,
    )
    owner = np.arange(len(lines)) * 10
    window = (box[0], box[1], box[0] + box[2], box[1] + box[3])
    every, every_own = countries._chunk_lines(lines, owner, max_vertices=8)
    meets = countries._box_meets(shapely.bounds(every), window)
    some, some_own = countries._chunk_lines(lines, owner, max_vertices=8, window=window)
    assert some_own.tolist() == every_own[meets].tolist()
    assert [g.wkb for g in some] == [g.wkb for g in every[meets]]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just("empty"),
            st.tuples(st.floats(-180, 180), st.floats(-85, 85), st.floats(-2, 2)),
        ),
        max_size=12,
    )
)
def test_window_is_the_box_of_the_reaches_with_a_geometry(items):
    def reach(item):
        if item is None or item == "empty":
            return None if item is None else shapely.LineString()
        x, y, d = item
        return shapely.LineString([(x, y), (x + d, y - d)])

    rgeom = np.array([reach(i) for i in items], dtype=object)
    ok = ~pd.isna(rgeom) & ~shapely.is_empty(rgeom)
    got = countries._near_window(rgeom, 1.5)
    if not ok.any():
        assert got is None
        return
    pad = 2.0 * max(countries._deg_margin(1500.0, 85.0), countries._CELL_DEG)
    x0, y0, x1, y1 = shapely.total_bounds(rgeom[ok])
    assert got == (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


walk = st.lists(st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)), min_size=1, max_size=80)


def _line(x0: float, y0: float, steps: list[tuple[float, float]]) -> shapely.LineString:
    return shapely.LineString(np.cumsum([(x0, y0), *steps], axis=0))


@settings(max_examples=80, deadline=None)
@given(
    borders=st.lists(st.tuples(st.floats(0, 4), st.floats(0, 4), walk), min_size=1, max_size=6),
    reaches=st.lists(st.tuples(st.floats(0, 4), st.floats(0, 4), walk), min_size=1, max_size=25),
    deg=st.lists(st.floats(0.0, 0.5), min_size=6, max_size=6),
)
def test_pairs_within_are_those_of_the_whole_lines(borders, reaches, deg):
    """Bits of 7 vertices find the pairs the whole lines find (the plain query of the tree)."""
    lines = np.array([_line(*b) for b in borders], dtype=object)
    rgeom = np.array([_line(*r) for r in reaches], dtype=object)
    tree = shapely.STRtree(rgeom)
    dist = np.array(deg[: len(lines)])
    si, rj = countries._pairs_within(tree, lines, dist, len(rgeom))
    want_si, want_rj = tree.query(lines, predicate="dwithin", distance=dist)
    order = np.lexsort((want_rj, want_si))
    assert si.tolist() == want_si[order].tolist()
    assert rj.tolist() == want_rj[order].tolist()
