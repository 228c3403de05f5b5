"""The PNG maps' transformers give exactly what PROJ's searched ones give."""

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer

from hazid.maps.projection import from_local, local_crs, to_local, to_local_layer

_LON = st.floats(-180, 180, allow_nan=False)
_LAT = st.floats(-85, 85, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(_LON, _LAT, st.integers(0, 2**32 - 1))
def test_local_transformers_are_bit_for_bit_those_proj_finds(lon0, lat0, seed):
    rng = np.random.default_rng(seed)
    crs = local_crs(lon0, lat0)
    lon = lon0 + rng.uniform(-20, 20, 200)
    lat = np.clip(lat0 + rng.uniform(-20, 20, 200), -89.0, 89.0)
    searched = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    assert np.array_equal(np.array(to_local(crs).transform(lon, lat)), np.array(searched))
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    x, y = searched
    assert np.array_equal(np.array(from_local(crs).transform(x, y)), np.array(back.transform(x, y)))
    box = (-2e5, -1e5, 3e5, 2e5)
    assert from_local(crs).transform_bounds(*box, densify_pts=41) == back.transform_bounds(
        *box, densify_pts=41
    )
    layer = gpd.GeoDataFrame(
        {"site_id": ["a", "b"]},
        geometry=[shapely.Point(lon[0], lat[0]), shapely.LineString(np.c_[lon[:9], lat[:9]])],
        crs=4326,
    )
    ours, theirs = to_local_layer(layer, crs), layer.to_crs(crs)
    assert list(shapely.to_wkb(ours.geometry.values)) == list(
        shapely.to_wkb(theirs.geometry.values)
    )
    assert ours.crs == theirs.crs and list(ours.columns) == list(theirs.columns)


def test_other_crs_go_through_epsg_4326():
    utm = CRS.from_epsg(32642)
    layer = gpd.GeoDataFrame(geometry=[shapely.Point(500_000, 4_700_000)], crs=utm)
    assert (
        to_local_layer(layer, local_crs(69.0, 42.4))
        .geometry.iloc[0]
        .equals(layer.to_crs(local_crs(69.0, 42.4)).geometry.iloc[0])
    )
    assert to_local(utm).transform(69.0, 42.4) == Transformer.from_crs(
        4326, utm, always_xy=True
    ).transform(69.0, 42.4)
