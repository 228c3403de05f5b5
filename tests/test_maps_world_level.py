"""The world level worked out in one go: the same texts and labels as country by country."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from hazid.maps import base as basemap
from hazid.maps.base import BaseMap, world_level


def _borders() -> gpd.GeoDataFrame:
    islands = [shapely.box(150 + i * 0.3, -10, 150.05 + i * 0.3, -9.95) for i in range(20)]
    return gpd.GeoDataFrame(
        {"iso_a3": ["KAZ", "FJI", "TUV", "RUS", "NOR"]},
        geometry=[
            shapely.box(50, 41, 87, 55),
            # across the antimeridian, both sides, and small islands
            shapely.MultiPolygon(
                [shapely.box(177, -19, 180, -16), shapely.box(-180, -18, -179, -16)]
            ),
            shapely.MultiPolygon([shapely.box(149, -11, 149.5, -10.5), *islands]),
            shapely.MultiPolygon([shapely.box(30, 60, 60, 89), shapely.box(20, 54, 22, 55)]),
            shapely.box(5, 58, 30, 71).difference(shapely.box(10, 60, 12, 62)),
        ],
        crs=4326,
    )


def test_world_level_is_the_base_maps_own():
    b = _borders()
    world = world_level(b)
    alone = BaseMap(b)  # nothing shared: every country projected on its own
    n = len(alone.iso)
    assert world["json"] == {
        (basemap._WORLD_TOL_M, k): t
        for k, t in enumerate(alone.geometry_json(np.arange(n), basemap._WORLD_TOL_M))
    }
    assert world["labels"] == [
        {k: v for k, v in lab.items() if k != "name"} for lab in alone.labels()
    ]


def test_the_mercator_projection_is_made_once_and_shared(monkeypatch):
    b = _borders()
    calls = []  # the forward projections: ids of the geometries projected
    real = basemap._project

    def counting(geoms, crs, *, inverse=False):
        if not inverse:
            calls.append({id(g) for g in geoms})
        return real(geoms, crs, inverse=inverse)

    monkeypatch.setattr(basemap, "_project", counting)
    base = BaseMap(b)
    own = {id(g) for g in base._geoms}
    base.prepare()  # world level and labels
    base.geometry_json(np.array([2, 0]), 1_000.0)  # detail levels: the same projection
    base.geometry_json(np.array([1]), 250.0)
    assert [c <= own for c in calls] == [True, False]  # the countries, then the labels' own
    merc = base.mercator()
    assert all(m is k for m, k in zip(base.mercator([4, 3, 2, 1, 0]), merc[::-1], strict=True))
    calls.clear()
    world = world_level(b)  # the countries once for the world level and the labels
    assert len(calls) == 2 and len(world["json"]) == len(base.iso)
    # with the world level given, a detail level projects its own countries only, once
    calls.clear()
    given = BaseMap(b, world=world)
    given.geometry_json(np.array([3, 1, 3]), 1_000.0)
    given.geometry_json(np.array([1, 3]), 4_000.0)
    assert calls == [{id(g) for g in given._geoms[[1, 3]]}]
    assert given.geometry_json(np.array([1]), 1_000.0) == base.geometry_json([1], 1_000.0)


def test_simplify_takes_the_projection_given():
    geoms = BaseMap(_borders())._geoms[[3, 0]]
    merc = basemap._project(geoms, basemap._MERCATOR)
    tol = basemap._LEVELS_M[1]
    alone = basemap._simplify_to_pixels(geoms, tol)
    given = basemap._simplify_to_pixels(geoms, tol, merc=merc)
    assert shapely.equals_exact(alone, given, tolerance=0).all()
    # what is given is what is simplified: moved by 1 degree of longitude at the equator
    moved = shapely.transform(merc, lambda c: c + np.array([111_319.49079327357, 0.0]))
    shifted = basemap._simplify_to_pixels(geoms, tol, merc=moved)
    dx = shapely.bounds(shifted)[:, 0] - shapely.bounds(alone)[:, 0]
    np.testing.assert_allclose(dx, 1.0, atol=1e-6)
    assert len(basemap._simplify_to_pixels(geoms[:0], tol, merc=merc[:0])) == 0
