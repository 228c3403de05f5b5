"""The discharge source of each reach, kept as codes: the same texts as the plain choice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from hazid import rivers as rv
from hazid.rivers.graph import _compile
from hazid.rivers.hydrology import SOURCE_AREA, SOURCE_DISCHARGE, SOURCE_HACK, _reach_hydraulics


def _plain_sources(qa: np.ndarray, from_area: np.ndarray, hack: np.ndarray) -> np.ndarray:
    """The source as first written: nested choices between the texts."""
    has_q = np.isfinite(qa) & (qa > 0)
    has_a = np.isfinite(from_area) & (from_area > 0)
    from_hack = np.where(hack, SOURCE_HACK, SOURCE_AREA)
    return np.where(has_q, SOURCE_DISCHARGE, np.where(has_a, from_hack, ""))


def _reaches(seed: int, n: int = 400, *, upstream: bool = True) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)

    def gappy(scale: float) -> np.ndarray:
        v = rng.uniform(-0.2, 1.0, n) * scale
        v[rng.random(n) < 0.3] = np.nan
        return v

    data = {
        "reach_id": np.arange(1, n + 1),
        "next_down": np.r_[np.arange(2, n + 1), 0],
        "length_km": rng.uniform(0.1, 20.0, n),
        "dis_av_cms": gappy(50.0),
        "upland_skm": gappy(5000.0),
        "endorheic": rng.random(n) < 0.2,
    }
    if upstream:
        data["upstream_km"] = gappy(300.0)
    return gpd.GeoDataFrame(data, geometry=[None] * n, crs=4326)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("upstream", [True, False])
@pytest.mark.parametrize("runoff_mm", [None, 200.0])
def test_sources_as_the_plain_choice(seed, upstream, runoff_mm):
    r = _reaches(seed, upstream=upstream)
    _, da, src = rv.mean_discharge(r, runoff_mm=runoff_mm)
    depth = runoff_mm if runoff_mm is not None else np.nan
    # the area behind each discharge estimate: the source depends only on where it is positive
    da_km2 = da / 1e6
    hack = ~(np.isfinite(r["upland_skm"].to_numpy()) & (r["upland_skm"].to_numpy() > 0))
    hack &= np.isfinite(r["upstream_km"].to_numpy()) if upstream else False
    from_area = da_km2 * (depth if runoff_mm is not None else 1.0)
    want = _plain_sources(r["dis_av_cms"].to_numpy(), from_area, hack)
    assert src.dtype == want.dtype
    np.testing.assert_array_equal(src, want)
    assert {SOURCE_DISCHARGE, SOURCE_AREA, ""} <= set(src.tolist())
    assert (SOURCE_HACK in set(src.tolist())) == upstream


@pytest.mark.parametrize("seed", range(3))
def test_hydraulics_sources_where_the_flow_is_known(seed):
    r = _reaches(seed)
    kw = dict(velocity="jobson", flow_factor=0.5, default_velocity_ms=1.0, decay_per_h=0.0)
    hyd = _reach_hydraulics(r, _compile(r), runoff_mm=None, **kw)
    qa, _, src = rv.mean_discharge(r)
    q = qa * 0.5
    want = np.where(np.isfinite(q) & (q > 0), src, "")
    pos = np.arange(len(r))[::-1]
    assert hyd.source(pos).dtype == want.dtype
    np.testing.assert_array_equal(hyd.source(pos), want[pos])
