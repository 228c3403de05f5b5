"""Polygonal parts and one row per country: the same as part by part, feature by feature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.geography.borders import _iso3_names, _one_row_per_country
from hazid.geography.common import _polygonal


def _polygonal_one_by_one(geoms: np.ndarray) -> list:
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            out.append(None)
            continue
        parts = shapely.get_parts(g)
        polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
        for p in parts:
            if p.geom_type in {"MultiPolygon", "GeometryCollection"}:
                polys.extend(
                    q for q in shapely.get_parts(p) if q.geom_type == "Polygon" and not q.is_empty
                )
        out.append(shapely.MultiPolygon(polys) if polys else None)
    return out


def _box(i: int) -> shapely.Polygon:
    return shapely.box(i, 0, i + 0.5, 0.5)


_PIECES = {
    "box": lambda i: _box(i),
    "empty": lambda i: shapely.Polygon(),
    "line": lambda i: shapely.LineString([(i, 0), (i, 1)]),
    "point": lambda i: shapely.Point(i, 0),
    "multi": lambda i: shapely.MultiPolygon([_box(i), _box(i + 10)]),
    "nested": lambda i: shapely.GeometryCollection(
        [shapely.Point(i, 1), shapely.MultiPolygon([_box(i + 20)]), _box(i + 30)]
    ),
    "collection": lambda i: shapely.GeometryCollection(
        [shapely.LineString([(i, 0), (i, 1)]), _box(i + 40), shapely.Polygon()]
    ),
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(sorted(_PIECES)), min_size=0, max_size=4),
        ),
        max_size=8,
    )
)
def test_polygonal_parts_are_those_taken_one_by_one(features):
    geoms = np.empty(len(features), dtype=object)
    for i, kinds in enumerate(features):
        if kinds is None:
            continue
        pieces = [_PIECES[k](i * 100 + j) for j, k in enumerate(kinds)]
        geoms[i] = (
            pieces[0]
            if len(pieces) == 1 and kinds[0] != "empty"
            else shapely.GeometryCollection(pieces)
        )
    got = _polygonal(geoms)
    want = _polygonal_one_by_one(geoms)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g is None) == (w is None)
        if w is not None:
            assert g.wkb == w.wkb


def test_polygonal_of_nothing():
    assert len(_polygonal(np.array([], dtype=object))) == 0
    assert _polygonal(np.array([None, shapely.Polygon()], dtype=object)).tolist() == [None, None]


def _one_row_by_groupby(codes, names, primary_ok, geoms):
    frame = pd.DataFrame({"iso_a3": codes, "name": names, "primary_ok": primary_ok, "geom": geoms})
    rows = []
    for code, grp in frame.groupby("iso_a3", sort=True):
        named = grp[grp["primary_ok"] & (grp["name"] != "")]
        name = named["name"].iloc[0] if len(named) else next((n for n in grp["name"] if n), "")
        name = name or _iso3_names().get(code, code)
        if len(grp) == 1:
            geom = grp["geom"].iloc[0]
        else:
            geom = _polygonal(np.array([shapely.union_all(grp["geom"].to_numpy())]))[0]
        rows.append((code, name, geom.wkb))
    return rows


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["FRA", "DEU", "XKX", "AAA", "ITA"]),
            st.sampled_from(["", "One", "Two"]),
            st.booleans(),
            st.integers(0, 6),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_one_row_per_country_is_that_of_a_groupby(features):
    codes = np.array([f[0] for f in features], dtype=object)
    names = np.array([f[1] for f in features], dtype=object)
    primary_ok = np.array([f[2] for f in features], dtype=bool)
    geoms = _polygonal(np.array([_box(f[3]) for f in features], dtype=object))
    out = _one_row_per_country(codes, names, primary_ok, geoms)
    got = list(zip(out["iso_a3"], out["name"], [g.wkb for g in out.geometry], strict=True))
    assert got == _one_row_by_groupby(codes, names, primary_ok, geoms)
