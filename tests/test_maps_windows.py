"""Countries layers computed beforehand for the windows of the maps: the same pages."""

from __future__ import annotations

import numpy as np
import pytest
from test_maps import make_results

from hazid import maps
from hazid.maps import MAP_LAYERS
from hazid.maps import base as basemap
from hazid.maps.geometry import _features_from_json
from hazid.maps.interactive import _map_extent, _read_results


def test_country_parts_join_to_the_countries_layer():
    base = maps.BaseMap(make_results().borders, lang="ru")
    pos = np.arange(len(base.iso))
    tols = np.array([basemap._WORLD_TOL_M, 1_000.0, 250.0])
    parts = base.country_parts(pos, tols)
    texts = [base.geometry_json([p], float(t))[0] for p, t in zip(pos, tols, strict=True)]
    expected = _features_from_json(texts, [{"tip": t} for t in base.tips()])
    assert "".join(parts) == expected
    again = base.country_parts(pos, tols)
    assert all(a is b for a, b in zip(again, parts, strict=True))  # the same texts, kept
    # another order: the first country is written without a comma
    other = base.country_parts(pos[::-1], tols[::-1])
    assert "".join(other) == _features_from_json(
        texts[::-1], [{"tip": t} for t in base.tips()[::-1]]
    )


def _page(res, base, path):
    maps.write_map(res, path, base=base)
    return path.read_bytes()


def test_prepared_windows_leave_nothing_to_compute(tmp_path, monkeypatch):
    res = make_results()
    alone = _page(res, maps.BaseMap(res.borders), tmp_path / "alone.html")
    base = maps.BaseMap(res.borders).prepare()
    window = _map_extent(_read_results(res), set(MAP_LAYERS))
    base.prepare_windows([window, (0.0, 0.0, 1.0, 1.0)])
    assert set(base._near) == {window, (0.0, 0.0, 1.0, 1.0)}

    def fail(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(basemap, "_select_countries", fail)
    monkeypatch.setattr(basemap, "_simplify_to_pixels", fail)
    assert _page(res, base, tmp_path / "prepared.html") == alone
    # a map of another extent computes its own countries
    moved = make_results()
    moved.sites = moved.sites.iloc[[2]]
    moved.zones = moved.zones.iloc[:0]
    moved.river_paths = None
    with pytest.raises(AssertionError, match="computed again"):
        maps.screening_map(moved, base=base)
