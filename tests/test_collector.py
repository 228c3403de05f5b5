"""The garbage collector's pace during a run (hazid.collector)."""

from __future__ import annotations

import gc

import pytest

import hazid
from hazid.collector import RUN_THRESHOLD, collect_less


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_a_run_collects_less_often_and_sets_the_pace_back(thresholds):
    with collect_less():
        assert gc.get_threshold() == (RUN_THRESHOLD, 10, 10)
        with collect_less():  # inside another: the outermost one's pace
            assert gc.get_threshold() == (RUN_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (RUN_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_pace_is_set_back_after_an_error(thresholds):
    @collect_less()
    def fails():
        assert gc.get_threshold()[0] == RUN_THRESHOLD
        raise ValueError("stopped")

    with pytest.raises(ValueError, match="stopped"):
        fails()
    assert gc.get_threshold() == (700, 10, 10)
    with collect_less():  # and the next run paces again
        assert gc.get_threshold()[0] == RUN_THRESHOLD


def test_a_slower_pace_of_the_caller_is_kept(thresholds):
    gc.set_threshold(RUN_THRESHOLD * 2, 5, 5)
    with collect_less():
        assert gc.get_threshold() == (RUN_THRESHOLD * 2, 5, 5)
    assert gc.get_threshold() == (RUN_THRESHOLD * 2, 5, 5)


def test_screening_and_writing_run_at_the_slower_pace(thresholds, tmp_path, monkeypatch):
    import sys

    from hazid.pipeline import write as pipeline_write

    screening = sys.modules["hazid.pipeline.screen"]
    seen = []

    def recorded(module, name):
        original = getattr(module, name)

        def call(*args, **kwargs):
            seen.append((name, gc.get_threshold()[0]))
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, call)

    recorded(screening, "_count")
    recorded(pipeline_write, "write_csv")
    inv = "site_id,lon,lat,substance,quantity\nA,69.2,41.3,chlorine,30\n"
    (tmp_path / "inv.csv").write_text(inv, encoding="utf-8")
    res = hazid.screen(tmp_path / "inv.csv", borders=False, rivers=False)
    hazid.write_results(res, tmp_path / "out", map_html=False, static_maps=False)
    assert {name for name, _ in seen} == {"_count", "write_csv"}
    assert {pace for _, pace in seen} == {RUN_THRESHOLD}
    assert gc.get_threshold() == (700, 10, 10)
