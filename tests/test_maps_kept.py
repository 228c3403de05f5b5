"""Zone circles and border crossings kept for the next maps are those worked out afresh."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from test_maps_fast_paths import _crossing_case, _old_crossings

from hazid.maps import geometry, layers
from hazid.maps.geometry import _MERCATOR, _R_LEAFLET, _R_MERCATOR, _project, _zone_circles
from hazid.maps.kept import Kept, keeping
from hazid.maps.projection import to_local


@pytest.fixture(autouse=True)
def _nothing_kept():
    geometry._CIRCLES.clear()
    layers._ENTRIES.clear()
    with keeping():  # as in a run of write_results
        yield
    assert not geometry._CIRCLES._kept and not layers._ENTRIES._kept  # forgotten after


def test_kept_values_by_identity_not_equality():
    kept = Kept(limit=4)
    calls = []

    def compute(keys):
        calls.append(list(keys))
        return [k[0].area for k in keys]

    a, b = shapely.box(0, 0, 1, 1), shapely.box(0, 0, 2, 2)
    assert kept.values([(a,), (b,), (a,)], compute) == [1.0, 4.0, 1.0]
    assert kept.values([(b,), (a,)], compute) == [4.0, 1.0]
    assert len(calls) == 1 and len(calls[0]) == 3
    same = shapely.box(0, 0, 1, 1)  # equal to a, another object: worked out again
    assert kept.values([(same,)], compute) == [1.0]
    assert len(calls) == 2 and calls[1][0][0] is same
    kept.values([(shapely.box(0, 0, k, 1),) for k in range(2, 6)], compute)  # past the limit
    assert len(kept._kept) <= 4
    assert kept.values([(a, b)], lambda keys: ["pair"]) == ["pair"]
    assert kept.values([(b, a)], lambda keys: ["other"]) == ["other"]  # order matters


def _plain_zone_circles(geoms, tolerance_m, fraction):
    """:func:`_zone_circles` the plain way: every zone measured at each call, ``ufunc.at``."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    merc = _project(geoms, _MERCATOR)
    cen = shapely.get_coordinates(shapely.centroid(merc))
    coords, idx = shapely.get_coordinates(merc, return_index=True)
    x, y = coords[:, 0], coords[:, 1]
    cx, cy = cen[idx, 0], cen[idx, 1]
    rmin = np.full(n, np.inf)
    rmax = np.zeros(n)
    dist = np.hypot(x - cx, y - cy)
    np.minimum.at(rmin, idx, dist)
    np.maximum.at(rmax, idx, dist)
    a = np.flatnonzero(idx[1:] == idx[:-1])
    b = a + 1
    dist = np.hypot((x[b] + x[a]) / 2.0 - cx[b], (y[b] + y[a]) / 2.0 - cy[b])
    np.minimum.at(rmin, idx[b], dist)
    np.maximum.at(rmax, idx[b], dist)
    lat = np.degrees(2.0 * np.arctan(np.exp(cen[:, 1] / _R_MERCATOR)) - np.pi / 2.0)
    scale = np.cos(np.radians(lat))
    equivalent = np.sqrt(shapely.area(merc) / np.pi) * scale
    ztol = np.minimum(tolerance_m, fraction * equivalent)
    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    circle = simple & (rmax > 0) & ((rmax - rmin) / 2.0 * scale <= ztol)
    r_merc = (rmax + rmin) / 2.0
    radius = r_merc * scale * _R_LEAFLET / _R_MERCATOR
    delta = radius / _R_LEAFLET
    sec = 1.0 / np.maximum(scale, 1e-9)
    y = cen[:, 1] - _R_MERCATOR * sec * np.tan(np.radians(lat)) * delta**2 / 2.0
    lon, lat_given = to_local(_MERCATOR).transform(cen[:, 0], y, direction="INVERSE")
    return circle, np.column_stack([lon, lat_given]), radius


_zone = st.one_of(
    st.builds(  # a buffer: a circle at most scales
        lambda x, y, r, q: shapely.Point(x, y).buffer(r, quad_segs=q),
        st.floats(-170, 170),
        st.floats(-75, 75),
        st.floats(0.001, 3.0),
        st.integers(1, 24),
    ),
    st.builds(
        lambda x, y, w, h: shapely.box(x, y, x + w, y + h),
        st.floats(-170, 170),
        st.floats(-75, 75),
        st.floats(0.01, 2),
        st.floats(0.01, 2),
    ),
    st.builds(  # with a hole, and two parts
        lambda x, y: shapely.Point(x, y).buffer(1.0).difference(shapely.Point(x, y).buffer(0.3)),
        st.floats(-170, 170),
        st.floats(-70, 70),
    ),
    st.builds(
        lambda x, y: shapely.MultiPolygon(
            [shapely.Point(x, y).buffer(0.2), shapely.Point(x + 1, y).buffer(0.2)]
        ),
        st.floats(-170, 170),
        st.floats(-70, 70),
    ),
)


def _same(got, plain):
    for a, b in zip(got, plain, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(_zone, max_size=12),
    st.lists(st.floats(1.0, 50_000.0), min_size=1, max_size=3),
    st.randoms(use_true_random=False),
)
def test_zone_circles_kept_as_measured_afresh(zones, tolerances, rnd):
    geometry._CIRCLES.clear()
    geoms = np.array(zones, dtype=object)
    for tol in tolerances:  # first measured, then kept: as measured at each call
        _same(_zone_circles(geoms, tol, 0.02), _plain_zone_circles(geoms, tol, 0.02))
    part = np.array(rnd.sample(zones, len(zones) // 2), dtype=object)  # a pair map's zones
    _same(_zone_circles(part, tolerances[0], 0.05), _plain_zone_circles(part, tolerances[0], 0.05))


def test_zone_circles_measure_each_zone_once(monkeypatch):
    geoms = np.array([shapely.Point(69, 41).buffer(0.1), shapely.box(60, 40, 61, 41)])
    _zone_circles(geoms, 500.0, 0.02)
    measured = []
    plain = geometry._circle_measures
    monkeypatch.setattr(
        geometry, "_circle_measures", lambda keys: measured.append(len(keys)) or plain(keys)
    )
    new = shapely.Point(70, 41).buffer(0.1)
    got = _zone_circles(np.array([geoms[1], new, geoms[0]]), 800.0, 0.02)
    assert measured == [1]
    _same(got, _plain_zone_circles(np.array([geoms[1], new, geoms[0]]), 800.0, 0.02))


def _same_crossings(got, old):
    assert got[1] == old[1]
    assert len(got[0]) == len(old[0])
    assert all(shapely.equals_exact(a, b, 0.0) for a, b in zip(got[0], old[0], strict=True))


@pytest.mark.parametrize("with_borders", [True, False])
def test_crossings_kept_as_worked_out_afresh(with_borders):
    paths, affected, borders = _crossing_case()
    borders = borders if with_borders else None
    names = {"S1": "Alpha <1>"}
    for _ in range(2):  # worked out, then kept
        _same_crossings(
            layers._crossings(paths, affected, borders, names),
            _old_crossings(paths, affected, borders, names),
        )
    for party in ("BBB", "CCC"):  # a pair map: the rows of one Party
        rows = affected[affected["affected"] == party]
        _same_crossings(
            layers._crossings(paths, rows, borders, {}), _old_crossings(paths, rows, borders, {})
        )
    # other traces of the same sites (equal ids, other geometries) are not taken for the kept
    moved = paths.set_geometry(paths.geometry.translate(xoff=0.5))
    _same_crossings(
        layers._crossings(moved, affected, borders, names),
        _old_crossings(moved, affected, borders, names),
    )
    if with_borders:  # another country object of the same code either
        shifted = borders.set_geometry(borders.geometry.translate(xoff=0.7))
        _same_crossings(
            layers._crossings(paths, affected, shifted, names),
            _old_crossings(paths, affected, shifted, names),
        )


@dataclass
class _Results:
    sites: Any
    holdings: Any
    zones: Any
    affected: Any
    river_paths: Any
    borders: Any


def _results():
    paths, affected, borders = _crossing_case()
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2", "S3", "S4", "S5"],
            "site_name": ["Alpha", "Beta", "", "Delta", "Other"],
            "hazardous": [True, True, True, True, False],
        },
        geometry=shapely.points([(61, 41), (61, 43), (62, 42), (61, 42), (62, 41)]),
        crs=4326,
    )
    zones = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2", "S5", "S1"],
            "hazard": ["toxic", "fire", "toxic", "explosion"],
            "zone_km": [30.0, 5.0, 2.0, 1.0],
        },
        geometry=[
            shapely.Point(61, 41).buffer(0.3, quad_segs=18),
            shapely.box(60.9, 42.9, 61.1, 43.1),
            shapely.Point(62, 41).buffer(0.02),
            shapely.Point(61, 41).buffer(0.01, quad_segs=18),
        ],
        crs=4326,
    )
    return _Results(
        sites=sites,
        holdings=None,
        zones=zones,
        affected=affected,
        river_paths=paths,
        borders=borders,
    )


def _plain_maps(res, base, pair, folder):
    from hazid.maps import interactive

    out = []
    for i, r in enumerate((res, pair)):
        out.append(interactive.write_map(r, folder / f"plain{i}.html", base=base).read_bytes())
        geometry._CIRCLES.clear()
        layers._ENTRIES.clear()
    return out


def _no_working_out(monkeypatch):
    worked = []
    monkeypatch.setattr(layers, "_entry_points", lambda keys: worked.append(keys))
    monkeypatch.setattr(geometry, "_circle_measures", lambda keys: worked.append(keys))
    return worked


@pytest.mark.parametrize("forked", [False, True])
def test_layers_kept_by_the_overview_give_the_same_pair_maps(tmp_path, monkeypatch, forked):
    from hazid.forked import aside, can_fork
    from hazid.maps import BaseMap, interactive
    from hazid.output.mapfiles import _pair_results, _SiteRows

    if forked and not can_fork():
        pytest.skip("no fork here")
    res = _results()
    base = BaseMap(res.borders).prepare()
    pair = _pair_results(res, _SiteRows(res), {"S1", "S2"}, "BBB")
    plain = _plain_maps(res, base, pair, tmp_path)

    def overview():
        interactive.write_map(res, tmp_path / "overview.html", base=base)
        return interactive.kept_layers()

    kept = aside(overview)() if forked else pickle.loads(pickle.dumps(overview()))
    assert (tmp_path / "overview.html").read_bytes() == plain[0]
    geometry._CIRCLES.clear()
    layers._ENTRIES.clear()
    assert interactive.adopt_layers(kept, res, base=base) == len(kept["circles"]) + len(
        kept["entries"]
    )
    assert len(kept["circles"]) == 3 and len(kept["entries"]) > 0  # S5 is not hazardous
    worked = _no_working_out(monkeypatch)
    out = interactive.write_map(pair, tmp_path / "pair.html", base=base)
    assert out.read_bytes() == plain[1] and worked == []


def test_layers_of_other_objects_are_not_adopted(tmp_path):
    from hazid.maps import BaseMap, interactive

    res = _results()
    base = BaseMap(res.borders).prepare()
    interactive.write_map(res, tmp_path / "overview.html", base=base)
    kept = interactive.kept_layers()
    geometry._CIRCLES.clear()
    layers._ENTRIES.clear()
    copies = _results()  # equal tables, other geometry objects
    assert interactive.adopt_layers(kept, copies, base=BaseMap(copies.borders)) == 0
    assert interactive.adopt_layers(kept, copies, base=base) == 0  # traces of the copies
    assert not geometry._CIRCLES._kept and not layers._ENTRIES._kept


def test_early_result_of_a_file_written_aside():
    from hazid.forked import Pending, aside
    from hazid.pipeline.write import _aside

    done = _aside(Path("x.html"), lambda: {"a": 1}, 0)  # written here
    assert done.early() == {"a": 1} and done() == {"a": 1}
    gate = []
    later = Pending(lambda: 42, lambda: bool(gate))
    assert later.early() is None
    gate.append(1)
    assert later.early() == 42 and later() == 42
    failed = Pending(aside(lambda: 1 / 0), lambda: True)
    assert failed.early() is None
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        failed()
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        failed()  # again: the error kept
