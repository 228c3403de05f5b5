"""Shortcuts of the screening stages give what the plain code gives (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from hazid.inventory import swapped_coordinates
from hazid.inventory.sites import checkable

site = st.tuples(
    st.sampled_from(["", " ", "KAZ", "nan", None, float("nan")]),
    st.one_of(st.none(), st.floats(-100, 100)),
    st.one_of(st.none(), st.floats(-60, 60)),
)


@given(rows=st.lists(site, min_size=1, max_size=8), dtype=st.sampled_from([object, "str"]))
def test_sites_checked_for_swapped_coordinates_are_the_checkable_ones(rows, dtype):
    """No checkable site (country and coordinates) means no site checked, and conversely."""
    n = len(rows)
    sites = pd.DataFrame(
        {
            "site_id": [f"s{i}" for i in range(n)],
            "country": pd.Series([r[0] for r in rows], dtype=dtype),
            "lon": pd.array([r[1] for r in rows], dtype="Float64").astype(float),
            "lat": pd.array([r[2] for r in rows], dtype="Float64").astype(float),
        }
    )
    holdings = pd.DataFrame(
        {"row": np.arange(2 * n) + 2, "site_id": [f"s{i % n}" for i in range(2 * n)]}
    )
    located = holdings.merge(sites, on="site_id")  # as the stage does
    asked = []
    swapped_coordinates(located, lambda lon, lat: asked.append((lon, lat)) or "")
    assert bool(asked) == bool(checkable(sites).any())
