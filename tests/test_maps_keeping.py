"""What the maps work out for zones and traces is kept during a run only (hazid.maps.kept)."""

from __future__ import annotations

from test_maps_kept import _results
from test_pipeline import world  # noqa: F401 (a fixture)

import hazid
from hazid.maps import BaseMap, geometry, interactive, layers


def test_nothing_is_kept_outside_a_run(tmp_path):
    res = _results()
    base = BaseMap(res.borders).prepare()
    interactive.write_map(res, tmp_path / "overview.html", base=base)
    assert not geometry._CIRCLES._kept and not layers._ENTRIES._kept
    assert interactive.kept_layers() == {"circles": {}, "entries": {}}


def test_a_run_keeps_what_its_maps_work_out_and_forgets_it_at_the_end(
    world,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from hazid.pipeline import write as pipeline_write

    seen = []
    draw = pipeline_write.dossier_maps

    def dossier_maps(*args, **kwargs):  # a small run: the overview was drawn in this process
        seen.append((len(geometry._CIRCLES._kept), len(layers._ENTRIES._kept)))
        return draw(*args, **kwargs)

    monkeypatch.setattr(pipeline_write, "dossier_maps", dossier_maps)
    borders, rivers, inventory = world
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    pipeline_write.write_results(res, tmp_path / "out", static_maps=False)
    assert seen and seen[0][0] > 0 and seen[0][1] > 0
    assert not geometry._CIRCLES._kept and not layers._ENTRIES._kept
