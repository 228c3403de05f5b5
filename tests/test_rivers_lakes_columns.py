"""The lake columns of a reach table: the same columns, order and types on every path."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hazid.rivers.lakes import assign_lakes

LAKE = ["lake_name", "lake_volume_km3", "lake_outlet"]


def _reaches(**extra) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"reach_id": [1, 2, 3], "next_down": [2, 3, 0], **extra},
        crs=4326,
        geometry=[shapely.LineString([(x, 0), (x + 1, 0)]) for x in (0, 1, 2)],
    )


NAMED = gpd.GeoDataFrame(
    {"name": ["Toktogul Suu Saktagychy"]}, crs=4326, geometry=[shapely.box(0.9, -0.5, 2.9, 0.5)]
)
UNNAMED = gpd.GeoDataFrame({"area": [1.0]}, crs=4326, geometry=[shapely.box(0.9, -0.5, 2.9, 0.5)])


@pytest.mark.parametrize("lakes", [None, NAMED.iloc[:0], UNNAMED, NAMED], ids=str)
@pytest.mark.parametrize("held", [[], ["lake_outlet"], LAKE])
def test_lake_columns_in_order_and_type(lakes, held):
    reaches = _reaches(**{c: [0.0, 0.0, 0.0] for c in held})
    out = assign_lakes(reaches, lakes)
    assert out.columns.tolist() == reaches.columns.tolist() + [c for c in LAKE if c not in held]
    assert out["lake_name"].dtype == pd.StringDtype(na_value=np.nan)
    assert out["lake_volume_km3"].dtype == np.float64
    assert out["lake_outlet"].dtype == bool
    named = lakes is not None and "name" in lakes and len(lakes) > 0
    name = "Toktogul Suu Saktagychy"
    assert out["lake_name"].tolist() == (["", name, name] if named else ["", "", ""])
    assert out["lake_outlet"].tolist() == ([False, False, True] if named else [False] * 3)
    assert np.isnan(out["lake_volume_km3"].to_numpy()[0])


def test_missing_geometries_are_those_pandas_calls_missing():
    # the reach tables test for missing geometries with shapely.is_geometry (faster)
    g = np.array([None, np.nan, pd.NA, shapely.Point(0, 0), shapely.Point()], dtype=object)
    assert (~shapely.is_geometry(g)).tolist() == pd.isna(g).tolist()


def test_reach_table_given_is_left_as_it_was():
    """assign_lakes returns a shallow copy (copy on write): the reach table given never changes."""
    reaches = _reaches(length_km=[1.0, 1.0, 1.0])
    before = reaches.copy()
    out = assign_lakes(reaches, NAMED)
    pd.testing.assert_frame_equal(reaches, before)
    out.loc[0, "next_down"] = 5
    pd.testing.assert_frame_equal(reaches, before)
    assert out["lake_name"].tolist() == ["", "Toktogul Suu Saktagychy", "Toktogul Suu Saktagychy"]
