"""Shortcuts of the geography layer give what the plain code gives (hypothesis)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, Polygon, box

from hazid import geography as geo
from hazid.geography import air
from hazid.geography.index import _BorderIndex
from hazid.geography.sites import _codes_at, _rows_of_codes

GEOD = Geod(ellps="WGS84")
CODES = ["AAA", "BBB", "CCC", "DDD"]
BORDERS = gpd.GeoDataFrame(
    {"iso_a3": CODES},
    geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2), box(2, 0, 3, 2)],
    crs="EPSG:4326",
)


def circle(lon: float, lat: float, km: float, n: int = 36) -> Polygon:
    az = np.linspace(0, 360, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, km * 1000.0))
    return Polygon(zip(x, y, strict=True))


site_rows = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2", "s3", "s4", "s5"]),  # ids repeat: the last row counts
        st.floats(-0.2, 3.2),
        st.floats(-0.2, 2.2),
        st.sampled_from(["", "AAA", "bbb", "CCC", "DDD", "ZZZ"]),
    ),
    min_size=1,
    max_size=12,
)
zone_rows = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2", "s3", "s4", "s5"]),
        st.sampled_from(["toxic", "fire"]),
        st.floats(0.5, 120.0),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(rows=site_rows, spec=zone_rows, text_ids=st.booleans())
def test_affected_by_air_same_when_looking_only_at_the_zones_sites(rows, spec, text_ids):
    ids = [r[0] for r in rows]
    sites = gpd.GeoDataFrame(
        {
            "site_id": pd.array(ids, dtype="str") if text_ids else np.array(ids, dtype=object),
            "site_country": [r[3] for r in rows],
        },
        geometry=[Point(r[1], r[2]) for r in rows],
        crs="EPSG:4326",
    )
    where = {r[0]: (r[1], r[2]) for r in rows}  # the last row of each site
    spec = [s for s in spec if s[0] in where]
    if not spec:
        return
    zones = gpd.GeoDataFrame(
        {"site_id": [s for s, _, _ in spec], "hazard": [h for _, h, _ in spec]},
        geometry=[circle(*where[s], km) for s, _, km in spec],
        crs="EPSG:4326",
    ).assign(zone_km=[km for _, _, km in spec])
    fast = geo.affected_by_air(sites, zones, BORDERS)
    plain_rows = air._rows_of
    try:
        air._rows_of = lambda sites, wanted: sites  # the plain code: every row looked at
        plain = geo.affected_by_air(sites, zones, BORDERS)
    finally:
        air._rows_of = plain_rows
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)


def test_rows_of_keeps_the_rows_of_the_sites_asked_in_order():
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "a", 7]}, geometry=[Point(0, 0)] * 4, crs="EPSG:4326"
    )
    assert air._rows_of(sites, {"a", "7"}).index.tolist() == [0, 2, 3]
    assert air._rows_of(sites, {"a", "b", "7"}) is sites


TEXTS = ["", "AAA", "aaa", "BBB", "ddd", "DDD", "ZZZ", "1"]


@given(texts=st.lists(st.sampled_from(TEXTS), max_size=20))
def test_rows_of_codes_and_codes_at_as_the_plain_lookups(texts):
    index = _BorderIndex(BORDERS.assign(iso_a3=["AAA", "BBB", "CCC", "ddd"]))
    codes = np.array(texts, dtype=object)
    rows = _rows_of_codes(index, codes)
    assert rows.tolist() == [index.row.get(c, -1) for c in codes]
    assert _codes_at(index, rows) == [str(index.codes[k]) if k >= 0 else "" for k in rows]


values = st.lists(
    st.one_of(
        st.sampled_from(["kaz", " Uzb ", "", "  ", "AAA"]),
        st.none(),
        st.just(float("nan")),
        st.integers(-2, 2),
        st.booleans(),
    ),
    max_size=15,
)


@given(values=values, dtype=st.sampled_from([object, "str", "string", "category"]))
def test_text_of_a_column_as_of_its_values(values, dtype):
    from hazid.geography.sites import _text

    try:
        column = pd.Series(values, dtype=dtype, index=np.arange(len(values))[::-1])
    except (TypeError, ValueError):  # values a text column cannot hold
        return
    want = _text(column.to_numpy(), len(values))
    assert _text(column, len(values)).tolist() == want.tolist()


@given(xy=st.lists(st.tuples(st.floats(-0.5, 3.5), st.floats(-0.5, 2.5)), min_size=1, max_size=30))
def test_within_of_given_points_as_of_coordinates(xy):
    index = _BorderIndex(BORDERS)
    lon = np.array([p[0] for p in xy])
    lat = np.array([p[1] for p in xy])
    plain = index.within(lon, lat)
    given_points = index.within(lon, lat, np.array([Point(p) for p in xy], dtype=object))
    assert [a.tolist() for a in given_points] == [a.tolist() for a in plain]


def test_site_tables_given_are_left_as_they_were():
    """The tables returned are shallow copies (copy on write): the ones given never change."""
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c"], "country": ["AAA", "bbb", None]},
        geometry=[Point(0.5, 0.5), Point(1.5, 0.5), Point(5.0, 5.0)],
        crs="EPSG:4326",
    )
    before = sites.copy()
    located = geo.assign_country(sites, BORDERS)
    pd.testing.assert_frame_equal(sites, before)
    assert located["site_country"].tolist() == ["AAA", "BBB", ""]
    kept = located.copy()
    measured = geo.border_distance(located, BORDERS)
    pd.testing.assert_frame_equal(located, kept)
    # half a degree of latitude is shorter than half a degree of longitude near the equator
    assert "border_km" not in located
    assert measured["nearest_foreign"].tolist()[:2] == ["CCC", "CCC"]
    measured.loc[0, "site_id"] = "changed"  # a change of the result stays the result's
    pd.testing.assert_frame_equal(located, kept)
