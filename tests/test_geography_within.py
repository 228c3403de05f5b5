"""Sites inside countries: asked again for the same points, the same answer as a fresh index."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.geography.index import _BorderIndex


def _borders() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB", "CCC"]},
        geometry=[
            shapely.box(0, 0, 1, 1),
            shapely.box(1, 0, 2, 1),  # shares the line x = 1 with AAA
            shapely.MultiPolygon([shapely.box(179, 0, 180, 1), shapely.box(-180, 0, -179, 1)]),
        ],
        crs=4326,
    )


_COORD = st.sampled_from([-180.0, -179.5, 0.0, 0.5, 1.0, 1.5, 2.0, 179.5, 180.0, np.nan])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(_COORD, st.sampled_from([0.0, 0.5, 1.0, 2.0, np.nan])), max_size=12),
    st.lists(st.tuples(_COORD, st.sampled_from([0.0, 0.5, 1.0])), max_size=12),
)
def test_within_again_is_within_afresh(first, second):
    index = _BorderIndex(_borders())
    for points in (first, first, first, second, first):
        # enough points for the answer to be kept
        lon = np.tile(np.array([p[0] for p in points], dtype=float), 30)
        lat = np.tile(np.array([p[1] for p in points], dtype=float), 30)
        si, ci = index.within(lon, lat)
        want = _BorderIndex(_borders()).within(lon, lat)
        np.testing.assert_array_equal(si, want[0])
        np.testing.assert_array_equal(ci, want[1])
        si[:] = -1  # the caller's copy: the next answer is not changed
    assert index.within(np.array([0.5, 179.5]), np.array([0.5, 0.5]))[1].tolist() == [0, 2]


def test_within_of_other_points_with_the_same_values_in_other_order():
    index = _BorderIndex(_borders())
    lon, lat = np.tile([0.5, 1.5], 200), np.full(400, 0.5)
    assert index.within(lon, lat)[1].tolist() == [0, 1] * 200
    assert index.within(np.array([0.5]), np.array([0.5]))[1].tolist() == [0]  # not kept
    assert index.within(lon, lat)[1].tolist() == [0, 1] * 200
    si, ci = index.within(lon[::-1].copy(), lat)
    assert si.tolist() == list(range(400)) and ci.tolist() == [1, 0] * 200
