"""Reading numeric river columns through Arrow: the same table as geopandas reads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hazid.rivers.sources import _read_layer, _read_numeric


def _layer(path, n=6):
    """A small HydroRIVERS-like layer with gaps: a null int, a null float, a null geometry."""
    lines = [shapely.LineString([(i, 0), (i + 0.5, 0.25 * i)]) for i in range(n)]
    lines[2] = None
    gdf = gpd.GeoDataFrame(
        {
            "HYRIV_ID": pd.array(range(1, n + 1), dtype="Int64"),
            "NEXT_DOWN": pd.array([2, 3, None, 5, 0, 0][:n], dtype="Int64"),
            "LENGTH_KM": [1.5, np.nan, 2.0, 3.25, 0.0, 1e-9][:n],
            "ORD_STRA": np.arange(n, dtype=np.int32),
            "name": ["a", None, "c", "d", "e", "f"][:n],
        },
        geometry=lines,
        crs=4326,
    )
    gdf.to_file(path)
    return path


def _same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    assert a.columns.tolist() == b.columns.tolist()
    assert a.geometry.name == b.geometry.name
    assert a.crs == b.crs
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    pd.testing.assert_index_equal(a.index, b.index)
    ga, gb = a.geometry.to_numpy(), b.geometry.to_numpy()
    assert (pd.isna(ga) == pd.isna(gb)).all()
    assert shapely.equals_identical(ga[~pd.isna(ga)], gb[~pd.isna(gb)]).all()


@pytest.mark.parametrize(
    "bbox", [None, (0.9, -1.0, 3.6, 1.0), (100.0, 100.0, 101.0, 101.0)], ids=["all", "box", "none"]
)
def test_numeric_columns_read_as_geopandas_reads_them(tmp_path, bbox):
    path = _layer(tmp_path / "r.gpkg")
    columns = ["HYRIV_ID", "NEXT_DOWN", "LENGTH_KM", "ORD_STRA"]
    got = _read_numeric(path, bbox=bbox, layer=None, columns=columns)
    want = gpd.read_file(path, bbox=bbox, columns=columns, use_arrow=True)
    assert got is not None
    _same(got, want)
    if bbox is None:
        assert got["NEXT_DOWN"].isna().sum() == 1 and got.geometry.isna().sum() == 1


def test_column_order_as_asked(tmp_path):
    path = _layer(tmp_path / "r.gpkg")
    columns = ["LENGTH_KM", "HYRIV_ID"]
    got = _read_numeric(path, bbox=None, layer=None, columns=columns)
    _same(got, gpd.read_file(path, columns=columns, use_arrow=True))


@pytest.mark.parametrize("columns", [["HYRIV_ID", "name"], ["HYRIV_ID", "missing"]])
def test_text_or_missing_columns_left_to_geopandas(tmp_path, columns):
    path = _layer(tmp_path / "r.gpkg")
    assert _read_numeric(path, bbox=None, layer=None, columns=columns) is None


def test_read_layer_with_text_column_same_as_before(tmp_path):
    path = _layer(tmp_path / "r.gpkg")
    columns = ["HYRIV_ID", "name"]
    got = _read_layer(path, "river network", columns=columns)
    _same(got, gpd.read_file(path, columns=columns, use_arrow=True))
