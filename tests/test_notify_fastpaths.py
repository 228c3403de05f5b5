"""The shortcuts of the dossiers give what the straightforward code gives, to the bit."""

from __future__ import annotations

import re

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box

from hazid.notify.activity import (
    _CountryWindows,
    _geodesic_length_m,
    _intersection_area_km2,
    _intersection_length_km,
    _tile_of,
)
from hazid.notify.markup import md_escape
from hazid.notify.values import _jnum, _jstr

_GEOD = Geod(ellps="WGS84")


def _md_escape_plain(value):
    """md_escape as its four rules read, each applied to the whole text."""
    if value is None:
        return ""
    text = re.sub(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+", " ", str(value))
    text = re.sub(r"([\\`*_\[\]<>&!|~#])", r"\\\1", text)
    text = re.sub(r":(?=//)", r"\\:", text)
    return re.sub(r"\.(?=[^\W\d_])", r"\\.", text)


_MD_CHARS = st.sampled_from(
    [
        *"ab1 .:/\\*_[]<>&!|~#`-é²\u0661",
        "\n",
        "\r\n",
        "\t",
        "\x00",
        "\x1f",
        "\x7f",
        "\x85",
        "\u2028",
        "\u2029",
        "\ue000",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_MD_CHARS, max_size=30).map("".join))
def test_md_escape_is_its_rules_applied(text):
    assert md_escape(text) == _md_escape_plain(text)


def test_md_escape_breaks_of_every_kind():
    for brk in ("\n", "\x00", "\x7f", "\x85", "\u2028", "\u2029", "\r\n\u2028"):
        assert md_escape(f"a{brk}b") == "a b"
    assert md_escape("a\u2027b\u202ac") == "a\u2027b\u202ac"  # neighbours of the breaks stay


def _lines(rng, n, at=(60.0, 45.0), step=0.3):
    return shapely.LineString(np.cumsum(rng.normal(0, step, (n, 2)), axis=0) + np.array(at))


def test_geodesic_length_is_pyproj_s_for_lines_of_every_shape():
    rng = np.random.default_rng(7)
    a, b, c = _lines(rng, 2), _lines(rng, 300, at=(-179.0, -60.0)), _lines(rng, 7)
    repeated = shapely.LineString([(10, 10), (10, 10), (11, 10.5), (11, 10.5)])
    geoms = [
        a, b, c, repeated,
        shapely.MultiLineString([a, b, c, repeated]),
        shapely.MultiLineString([c]),
        shapely.LineString([(170, 0), (-170, 1)]),  # across the antimeridian
        shapely.LineString(),
        shapely.MultiLineString(),
        shapely.GeometryCollection([a, shapely.Point(1, 1)]),
    ]  # fmt: skip
    for g in geoms:  # the same float, not a close one
        assert _geodesic_length_m(g) == _GEOD.geometry_length(g)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_geodesic_length_of_multilines_is_pyproj_s(sizes, seed):
    rng = np.random.default_rng(seed)
    parts = [_lines(rng, n + 1, step=1.0) for n in sizes]
    g = shapely.MultiLineString(parts)
    assert _geodesic_length_m(g) == _GEOD.geometry_length(g)


def test_tiles_hold_their_windows():
    for key in [(0, 0, 1, 1), (-9, -5, -3, 2), (3, 4, 8, 8), (-1, -1, 0, 0), (61, 39, 79, 51)]:
        x0, y0, x1, y1 = _tile_of(key, 4)
        assert all(v % 4 == 0 for v in (x0, y0, x1, y1))
        assert x0 <= key[0] and y0 <= key[1] and x1 >= key[2] and y1 >= key[3]
        assert x1 - key[2] < 4 and key[0] - x0 < 4


def test_windows_cut_from_tiles_give_the_intersections_of_the_whole_outline():
    # an outline across the tiles' grid lines and the origin, with holes and a long edge
    country = shapely.union_all(
        [shapely.Point(-2, 1).buffer(6.5, quad_segs=400), box(3, -9, 9, -7.5)]
    ).difference(shapely.Point(-1, 2).buffer(1.2, quad_segs=64))
    windows = _CountryWindows(country)
    rng = np.random.default_rng(5)
    zones = [
        shapely.Point(x, y).buffer(r)
        for x, y, r in rng.uniform([-10, -10, 0.05], [10, 10, 2.5], (60, 3))
    ]
    paths = [_lines(rng, 150, at=(x, y), step=0.08) for x, y in rng.uniform(-10, 10, (60, 2))]
    multi = [shapely.union_all(paths[i : i + 3]) for i in range(0, 30, 3)]
    touching = [
        shapely.LineString([(4.5, -12), (4.5, -9)]),  # ends on the boundary
        shapely.LineString([(3, -9), (9, -9)]),  # along the boundary
        shapely.LineString([(20, 20), (21, 21)]),  # far away
        shapely.LineString(),
    ]
    for z in zones:
        assert _intersection_area_km2(z, windows) == _intersection_area_km2(z, country)
    for p in [*paths, *multi, *touching]:
        assert _intersection_length_km(p, windows) == _intersection_length_km(p, country)
    far = windows.around(shapely.Point(40, 40).buffer(0.5))
    assert far is country  # nothing of the outline near: the whole outline


def _length_km_plain(geom, country):
    """The river length inside a polygon as it reads: the intersection, measured."""
    inter = shapely.intersection(geom, country)
    return 0.0 if inter.is_empty else _GEOD.geometry_length(inter) / 1000.0


def _outline():
    """A polygon with a hole, a long straight edge and a notch, near (62, 42)."""
    return shapely.union_all(
        [shapely.Point(62, 42).buffer(1.5, quad_segs=40), box(62.5, 40, 64.5, 41.2)]
    ).difference(shapely.Point(61.6, 42.3).buffer(0.4, quad_segs=16))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 120),
    st.sampled_from([0.02, 0.1, 0.4]),
    st.booleans(),
)
def test_river_length_from_crossing_parts_is_the_whole_intersection_s(seed, n, step, windows):
    # a self-crossing path noded by union_all, as the dossiers measure it, in and around
    # an outline: the length from the parts that meet the outline is the same float
    rng = np.random.default_rng(seed)
    path = _lines(rng, n, at=tuple(rng.uniform([60.0, 40.0], [64.0, 44.0])), step=step)
    geom = shapely.union_all([path])
    country = _outline()
    expected = _length_km_plain(geom, country)
    shapely.prepare(country)
    given_as = _CountryWindows(country) if windows else country
    assert _intersection_length_km(geom, given_as, noded=True) == expected
    # a path not noded is intersected whole (the parts of a crossing path are not its pieces)
    assert _intersection_length_km(path, country) == _length_km_plain(path, country)


def test_river_length_along_and_touching_the_outline_is_the_whole_intersection_s():
    country = box(0, 0, 2, 2)
    lines = [
        shapely.LineString([(0, -1), (0, 1), (1, 1)]),  # along an edge, then inside
        shapely.LineString([(-1, 0), (0, 0), (-1, 1)]),  # touches a corner from outside
        shapely.LineString([(0.5, 0.5), (1, 1)]),  # inside
        shapely.LineString([(3, 3), (4, 4)]),  # off it
        shapely.MultiLineString([[(-1, 1), (1, 1)], [(1, 1), (1, 3)], [(1, 3), (3, 3)]]),
        shapely.LineString(),
    ]
    for g in lines:
        assert _intersection_length_km(g, country, noded=True) == _length_km_plain(g, country)
    point = shapely.Point(1, 1)  # not a line: intersected whole
    assert _intersection_length_km(point, country, noded=True) == 0.0


def _jnum_plain(x, ndigits):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if v != v or v in (float("inf"), float("-inf")):
        return None
    return round(v, ndigits) + 0.0


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**30), 10**30),
        st.sampled_from([None, "1.5", "inf", "-inf", "nan", "x", "", True, np.float64("nan")]),
    ),
    st.integers(0, 6),
)
def test_json_numbers_are_those_of_the_plain_rule(x, ndigits):
    got, want = _jnum(x, ndigits), _jnum_plain(x, ndigits)
    assert repr(got) == repr(want)


def _jstr_plain(x):
    if x is None or (isinstance(x, float) and x != x):
        return None
    s = str(x).strip()
    return s or None


class _Text(str):
    def __str__(self):
        return "other"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from(list(" \t\nab\u00a0\u2003é")), max_size=6),
        st.floats(allow_nan=True),
        st.sampled_from([None, 0, 1.5, np.float64("nan"), _Text(" x "), True]),
    )
)
def test_json_texts_are_those_of_the_plain_rule(x):
    assert repr(_jstr(x)) == repr(_jstr_plain(x))
