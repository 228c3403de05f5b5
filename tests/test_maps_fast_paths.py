"""The one-pass helpers of the HTML maps give what the straightforward pandas code gives."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from hazid.maps.content import (
    _esc_series,
    _esc_values,
    _filled,
    _fmt,
    _fmt_array,
    _parties_by_site,
)

_COLUMNS = {
    "text": pd.Series(["a<b", None, "O'Neil & Co", 'Ürümqi "x"', ""], dtype=object),
    "str": pd.Series(["a<b", None, "Москва", "&amp;", "<script>"], dtype="str"),
    "float": pd.Series([1.5, np.nan, -0.0, np.inf, 1e20]),
    "int": pd.Series([1, 2, 3, -4, 0]),
    "bool": pd.Series([True, False, True, True, False]),
    "mixed": pd.Series([pd.NA, pd.NaT, float("nan"), 3, "x>y"], dtype=object),
    "dates": pd.Series(pd.to_datetime(["2026-01-02", None, "2026-12-01", None, "2000-02-29"])),
    "empty": pd.Series([], dtype=object),
}


def _old_esc(values: pd.Series) -> list[str]:
    """The former escaping: ``astype(object)`` then ``isna``, value by value."""
    missing = values.isna().to_numpy()
    text = values.astype(object).to_numpy()
    return [
        "" if m else html.escape(str(v), quote=True)
        for v, m in zip(text.tolist(), missing.tolist(), strict=True)
    ]


@pytest.mark.parametrize("name", sorted(_COLUMNS))
@pytest.mark.parametrize("at_once_from", [0, 1000])
def test_esc_values_as_before(name, at_once_from):
    col = _COLUMNS[name]
    got = _esc_values(col, at_once_from=at_once_from)
    assert got == _old_esc(col)
    assert _esc_series(col, at_once_from=at_once_from).tolist() == got
    assert all(type(t) is str for t in got)


def test_esc_values_escapes_and_empties():
    got = _esc_values(_COLUMNS["str"])
    assert got == ["a&lt;b", "", "Москва", "&amp;amp;", "&lt;script&gt;"]


@pytest.mark.parametrize("name", sorted(_COLUMNS))
@pytest.mark.parametrize("fill", ["", None])
def test_filled_as_where(name, fill):
    col = _COLUMNS[name]
    old = col.astype(object).where(lambda s: s.notna(), fill).tolist()
    got = _filled(col, fill)
    assert len(got) == len(old)
    for g, o in zip(got, old, strict=True):
        assert type(g) is type(o) and (g == o or (g is fill and o is fill))


@pytest.mark.parametrize(
    "affected",
    [
        pd.DataFrame(
            {"site_id": ["a", "b", "a", "a", None], "affected": ["X", None, "Y", "X", "Z"]}
        ),
        pd.DataFrame({"site_id": ["é<", "é<"], "affected": ["RUS", "RUS"]}, dtype="str"),
        pd.DataFrame({"site_id": pd.Series([], dtype=object), "affected": []}),
    ],
)
def test_parties_by_site_as_groupby(affected):
    old = affected.groupby("site_id")["affected"].nunique().to_dict()
    got = _parties_by_site(affected)
    assert {k: v for k, v in old.items() if v} == got
    assert all(got.get(k, 0) == v for k, v in old.items())


def test_parties_by_site_without_table():
    assert _parties_by_site(None) == {}


def test_esc_values_of_long_text_columns_as_before():
    # long text columns are escaped distinct text by distinct text
    rng = np.random.default_rng(7)
    words = ["a<b", "O'Neil & Co", "Ürümqi", "", "<script>", "x" * 40, "1.5", "nan", "None"]
    picks = rng.integers(-1, len(words), 5000)
    col = pd.Series([None if p < 0 else words[p] for p in picks], dtype="str")
    got = _esc_values(col)
    assert got == _old_esc(col)
    assert got == _old_esc(col.astype(object))
    assert _esc_values(col, at_once_from=10**9) == got  # value by value
    unique = pd.Series([f"é{i}&" for i in range(3000)] + [None], dtype="str")
    assert _esc_values(unique) == _old_esc(unique)
    assert _esc_values(pd.Series([None] * 2000, dtype="str")) == [""] * 2000


def test_fmt_array_as_fmt():
    x = np.array(
        [1234.5, 999.5, 999.49, -999.5, 0.01234, np.nan, np.inf, -np.inf, -0.0, 0.0, 1e300]
    )
    assert _fmt_array(x).tolist() == [_fmt(v) for v in x.tolist()]
    assert _fmt_array(np.zeros(0)).tolist() == []


def test_edges_as_the_row_and_column_selection():
    import geopandas as gpd
    import shapely

    from hazid.maps.interactive import _edges

    paths = gpd.GeoDataFrame(
        {
            "site_id": pd.Series(["S1", "S2", None, "Ü<"], dtype="str"),
            "end_country": ["AAA", None, "BBB", "CCC"],
            "edge_lon": [np.nan, 10.5, 11.0, "12.25"],
            "edge_lat": [1.0, 2.0, np.nan, 3.5],
        },
        geometry=[shapely.LineString([(0, 0), (1, 1)])] * 4,
        index=[7, 3, 5, 1],
        crs=4326,
    )
    got = _edges(paths)
    sel = pd.to_numeric(paths["edge_lon"], errors="coerce").notna().to_numpy()
    old = pd.DataFrame(paths.loc[sel, ["site_id", "end_country", "edge_lon", "edge_lat"]])
    old["site_id"] = old["site_id"].astype(str)
    pd.testing.assert_frame_equal(got, old)
    assert list(got.index) == [3, 5, 1] and type(got) is pd.DataFrame
    assert _edges(paths.assign(edge_lon=np.nan)) is None
    assert _edges(paths.drop(columns="edge_lon")) is None
