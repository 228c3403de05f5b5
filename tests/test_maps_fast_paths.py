"""The one-pass helpers of the HTML maps give what the straightforward pandas code gives."""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

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


def _old_crossings(paths, affected, borders, names, *, lang="en"):
    """The former :func:`hazid.maps.layers._crossings`: rows taken from the table at each step."""
    from hazid.maps.content import _col, _esc, _fmt, _is_water
    from hazid.maps.geometry import _entry_parts, _point_along_km
    from hazid.maps.labels import text

    if affected is None:
        return [], []
    water = affected.loc[_is_water(affected).to_numpy()]
    if water.empty:
        return [], []
    first_path = {}
    for site, geom in zip(paths["site_id"].tolist(), paths.geometry.to_numpy(), strict=True):
        first_path.setdefault(site, geom)
    water = water.iloc[[i for i, s in enumerate(water["site_id"].tolist()) if s in first_path]]
    if water.empty:
        return [], []
    lines = np.array([first_path[s] for s in water["site_id"].tolist()], dtype=object)
    lines = np.where(shapely.get_type_id(lines) == 5, shapely.line_merge(lines), lines)
    points = np.full(len(water), None, dtype=object)
    if borders is not None:
        iso = borders["iso_a3"].astype(str)
        poly_of = dict(zip(iso, borders.geometry, strict=True))
        polys = np.array([poly_of.get(str(a)) for a in water["affected"]], dtype=object)
        has = np.array([p is not None for p in polys])
        if has.any():
            inter = _entry_parts(lines[has], polys[has])
            coords, idx = shapely.get_coordinates(inter, return_index=True)
            if len(coords):
                line_rep = lines[has][idx]
                dist = shapely.line_locate_point(line_rep, shapely.points(coords))
                least = np.full(int(idx.max()) + 1, np.nan)
                np.fmin.at(least, idx, dist)
                met = np.unique(idx)
                rows = np.flatnonzero(has)[met]
                points[rows] = shapely.line_interpolate_point(lines[rows], least[met])
    river_km = pd.to_numeric(_col(water, "river_km"), errors="coerce").to_numpy()
    for i in np.flatnonzero(pd.isna(points)):
        if np.isfinite(river_km[i]):
            points[i] = _point_along_km(lines[i], float(river_km[i]))
    keep = np.flatnonzero(~pd.isna(points))
    rows = water.iloc[keep]
    arrival = pd.to_numeric(_col(rows, "arrival_h"), errors="coerce").to_numpy(dtype=float)
    cols = {
        c: _col(rows, c).astype(object).where(lambda v: v.notna(), None).tolist()
        for c in ("site_id", "affected", "river", "river_km", "arrival_h", "peak_h", "peak_mg_l")
    }
    props = []
    for k in range(len(rows)):
        site = names.get(cols["site_id"][k]) or cols["site_id"][k]
        hours = text("{value} h", lang).format(value=_fmt(cols["arrival_h"][k]))
        label = f"{_esc(cols['affected'][k])}: {_esc(hours)}"
        detail = (
            f"<b>{_esc(site)}</b> → {_esc(cols['affected'][k])}<br>"
            f"{_esc(cols['river'][k])}: {_fmt(cols['river_km'][k])} km downstream<br>"
            f"arrival {_fmt(cols['arrival_h'][k])} h, peak {_fmt(cols['peak_h'][k])} h, "
            f"{_fmt(cols['peak_mg_l'][k])} mg/L"
        )
        props.append(
            {
                "tip": label,
                "popup": f'<div class="hz-pop">{detail}</div>',
                "rank": float(arrival[k]) if np.isfinite(arrival[k]) else 1e9,
            }
        )
    return list(points[keep]), props


def _crossing_case():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB", "CCC"]},
        geometry=[
            shapely.box(60, 40, 64, 44),
            shapely.box(64, 40, 68, 44),
            shapely.box(60, 44, 68, 48),
        ],
        crs=4326,
    )
    paths = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S1", "S4"]},
        geometry=[
            shapely.LineString([(61, 41), (62, 41.5), (65, 42), (66, 45)]),
            shapely.MultiLineString([[(61, 43), (63, 43)], [(63, 43), (63, 46)]]),
            shapely.LineString([(61, 41), (61, 40.5)]),
            shapely.LineString([(61, 42), (61.5, 42)]),
        ],
        crs=4326,
    )
    affected = pd.DataFrame(
        {
            "site_id": ["S1", "S1", "S2", "S3", "S1", "S4", "S4", "S2"],
            "affected": ["BBB", "CCC", "CCC", "BBB", "BBB", "ZZZ", None, "BBB"],
            "pathway": ["water", "river", "water", "water", "air", "water", "water", None],
            "river": ["Amu <Darya>", None, "Сырдарья & Co", "x", "y", "z", "w", "v"],
            "river_km": [120.0, np.nan, 30.0, 10.0, 5.0, 20.0, np.nan, 7.5],
            "arrival_h": [30.5, 2.0, np.nan, 1.0, 1.0, 5.0, 6.0, 1234.0],
            "peak_h": [33.0, np.nan, 1.0, 1.0, 1.0, 5.0, 6.0, 2.0],
        }
    )
    affected["site_id"] = affected["site_id"].astype("str")
    affected["affected"] = affected["affected"].astype("str")
    return paths, affected, borders


@pytest.mark.parametrize("with_borders", [True, False])
@pytest.mark.parametrize("drop", [None, "peak_h", "river_km", "arrival_h"])
def test_crossings_as_before(with_borders, drop):
    from hazid.maps.layers import _crossings

    paths, affected, borders = _crossing_case()
    if drop:
        affected = affected.drop(columns=drop)
    borders = borders if with_borders else None
    names = {"S1": "Alpha <1>", "S2": ""}
    got_pts, got_props = _crossings(paths, affected, borders, names)
    old_pts, old_props = _old_crossings(paths, affected, borders, names)
    assert got_props == old_props
    assert len(got_pts) == len(old_pts)
    assert len(got_pts) > 0 or (drop == "river_km" and borders is None)  # nothing to place
    assert all(shapely.equals_exact(a, b, 0.0) for a, b in zip(got_pts, old_pts, strict=True))
    assert _crossings(paths, affected.iloc[:0], borders, names) == ([], [])
    assert _crossings(paths, None, borders, names) == ([], [])
    only_air = affected.assign(pathway="air", arrival_h=np.nan)
    assert _crossings(paths, only_air, borders, names) == ([], [])


def test_country_windows_kept_for_the_next_maps():
    from hazid.maps import geometry

    poly = shapely.box(0, 0, 4, 4)
    segs = np.array([shapely.LineString([(-1, 1), (1, 1)]), shapely.LineString([(3, 5), (3, 3)])])
    geometry._WINDOWS.clear()
    first = geometry._segment_entries(segs, np.array([poly, poly], dtype=object))
    win = geometry._windows(poly)
    assert geometry._windows(poly) is win and win.geom is poly
    again = geometry._segment_entries(segs, np.array([poly, poly], dtype=object))
    assert [g.wkt for g in again] == [g.wkt for g in first]
    assert [g.wkt for g in first] == [shapely.intersection(s, poly).wkt for s in segs]
    other = shapely.box(0, 0, 4, 4)  # an equal polygon is another country object
    assert geometry._windows(other) is not win
    for k in range(geometry._WINDOWS_MAX + 1):
        geometry._windows(shapely.box(k, 0, k + 1, 1))
    assert len(geometry._WINDOWS) <= geometry._WINDOWS_MAX


@pytest.mark.parametrize(
    "other",
    [
        ["S1", "Ü<&", "3"],
        [],
        ["S1", np.nan],
        ["S1", None],
    ],
)
@pytest.mark.parametrize(
    "layer",
    [
        pd.Series(["S1", "S2", None, "Ü<&", "3"], dtype="str"),
        pd.Series(["S1", np.nan, None, 3, "3", 3.0], dtype=object),
        pd.Series([1, 3, 5]),
        pd.Series([], dtype="str"),
    ],
)
@pytest.mark.parametrize("many", [0, 50])
def test_isin_of_the_other_sites_as_pandas(other, layer, many):
    from hazid.columns import isin

    # ``many`` more ids than rows: each row looked up in the set; else searched in the column
    ids = [*other, *(f"X{k}" for k in range(many))]
    for values in (set(ids), ids, frozenset(ids)):
        got = isin(layer, values)
        assert got.dtype == bool and len(got) == len(layer)
        assert got.tolist() == layer.isin(list(values)).to_numpy(dtype=bool).tolist()


@pytest.mark.parametrize(
    "col",
    [
        pd.Series([True, False, True], index=[5, 2, 9]),
        pd.Series([], dtype=bool),
        pd.Series([True, None, "yes", 0, 1.0, " TRUE "], dtype=object),
        pd.Series([True, pd.NA, False], dtype="boolean"),
    ],
)
def test_truthy_as_the_texts(col):
    from hazid.maps.content import _TRUE_TEXTS, _truthy

    old = [str(v).strip().lower() in _TRUE_TEXTS for v in col.astype(object).tolist()]
    got = _truthy(col)
    assert got.tolist() == old and got.dtype == bool and got.index.equals(col.index)


def test_props_json_of_many_keys_as_the_encoder():
    from hazid.maps.geometry import _PROPS_JSON, _props_json

    for k in range(200):
        p = {f"k{k}": k, "tip": 'é<\\"', f"\u2028{k}": None}
        assert _props_json(p) == _PROPS_JSON(p)


@pytest.mark.parametrize("dtype", ["str", object])
def test_site_country_as_before(dtype):
    from hazid.maps.content import _site_country

    sites = pd.DataFrame(
        {
            "site_country": pd.Series([" UZB", None, "", "KAZ ", np.nan, " ", "Ü<"], dtype=dtype),
            "country": pd.Series(["AAA", "BBB", " CCC ", None, None, "DDD", "x"], dtype=dtype),
        }
    ).set_axis([3, 1, 4, 1, 5, 9, 2])
    sc = sites["site_country"].astype(object).where(lambda s: s.notna(), "").tolist()
    c = sites["country"].astype(object).where(lambda s: s.notna(), "").tolist()
    old = [str(a).strip() or str(b).strip() for a, b in zip(sc, c, strict=True)]
    got = _site_country(sites)
    assert got.tolist() == old == ["UZB", "BBB", "CCC", "KAZ", "", "DDD", "Ü<"]
    assert got.index.equals(sites.index) and got.dtype == object
    mixed = pd.DataFrame({"site_country": [1, None, "2.5"], "country": ["A", "B", True]})
    assert _site_country(mixed).tolist() == ["1", "B", "2.5"]
    floats = pd.DataFrame({"site_country": [1, None, 2.5], "country": ["A", "B", True]})
    assert _site_country(floats).tolist() == ["1.0", "B", "2.5"]
    assert _site_country(sites.drop(columns="site_country")).tolist() == [
        str(v).strip() for v in sites["country"].astype(object).where(sites["country"].notna(), "")
    ]
