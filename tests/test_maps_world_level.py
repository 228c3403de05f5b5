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
    assert basemap._SHARED_MERCATOR == []  # shared only while the world level is worked out


def test_shared_projection_is_taken_only_for_the_same_geometries():
    b = _borders()
    geoms = BaseMap(b)._geoms
    merc = basemap._project(geoms, basemap._MERCATOR)
    basemap._SHARED_MERCATOR.append((geoms, merc))
    try:
        part = basemap._to_mercator(geoms[[3, 1]])
        assert part[0] is merc[3] and part[1] is merc[1]
        # equal geometries, other objects: projected anew (the same coordinates)
        copies = np.array([shapely.from_wkb(g.wkb) for g in geoms[[0, 2]]], dtype=object)
        anew = basemap._to_mercator(copies)
        assert anew[0] is not merc[0]
        assert shapely.equals_exact(anew, merc[[0, 2]], tolerance=0).all()
        assert len(basemap._to_mercator(np.array([], dtype=object))) == 0
    finally:
        basemap._SHARED_MERCATOR.clear()
