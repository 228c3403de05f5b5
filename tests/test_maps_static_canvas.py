"""The Agg canvas of the PNG maps writes the bytes of matplotlib's own Agg canvas."""

from __future__ import annotations

import io
import random
import threading

import pytest
from matplotlib import patheffects
from matplotlib.figure import Figure

from hazid.forked import aside, can_fork
from hazid.maps import static_canvas
from hazid.maps.static_canvas import map_canvas


def _figure(shift: float = 0.0) -> Figure:
    """A figure with plain, haloed, rotated, math, bold and non-antialiased text and a legend."""
    fig = Figure(figsize=(4, 3), dpi=150)
    ax = fig.add_axes((0.05, 0.1, 0.9, 0.8))
    ax.plot([0, 1], [0, 1], label="Country border \u2192 \u0420\u043e\u0441\u0441\u0438\u044f")
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for k in range(6):  # the same words at sub-pixel and whole-pixel offsets
        ax.text(0.1 + 0.0731 * k + shift, 0.2 + 0.05 * k, "Kazakhstan 12 km", fontsize=8)
    ax.text(0.5, 0.5, "Uzbekistan", path_effects=halo, fontsize=9)
    ax.text(0.3, 0.8, "rotated", rotation=30)
    ax.text(0.6, 0.8, r"$\alpha^2$ math")
    ax.text(0.2, 0.9, "no antialiasing", antialiased=False, fontweight="bold")
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("KAZ \u2192 KGZ: activities 1, 2, 3", fontsize=12, parse_math=False)
    fig.text(0.03, 0.012, "Azimuthal equidistant projection\nsecond line", fontsize=7)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


@pytest.mark.parametrize("shift", [0.0, 0.0123, 0.5])
def test_map_canvas_writes_the_bytes_of_the_agg_canvas(shift: float) -> None:
    expected = _png(_figure(shift))  # matplotlib's Agg canvas
    first = _png(map_canvas(_figure(shift)))
    again = _png(map_canvas(_figure(shift)))  # from the kept layouts and glyphs
    assert first == expected
    assert again == expected


def test_other_matplotlib_releases_draw_text_themselves(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    monkeypatch.setattr(matplotlib, "__version__", "9.0.0")
    assert not static_canvas._fast_text()
    monkeypatch.setattr(static_canvas, "_FAST", False)
    assert _png(map_canvas(_figure(0.25))) == _png(_figure(0.25))


def test_map_canvas_keeps_text_work_between_figures() -> None:
    if not static_canvas._FAST:
        pytest.skip("this matplotlib release is not among TESTED_MATPLOTLIB")
    for cache in (static_canvas._GLYPHS, static_canvas._LAYOUTS, static_canvas._METRICS):
        cache.clear()
    static_canvas._OUTLINES.clear()
    _png(map_canvas(_figure()))
    sizes = [len(c) for c in (static_canvas._GLYPHS, static_canvas._LAYOUTS)]
    assert all(n > 0 for n in sizes)
    assert static_canvas._METRICS and static_canvas._OUTLINES
    _png(map_canvas(_figure()))  # the same texts: nothing new to keep
    assert [len(c) for c in (static_canvas._GLYPHS, static_canvas._LAYOUTS)] == sizes


def test_kept_work_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static_canvas, "_CACHE_MAX", 3)
    cache = {1: 1, 2: 2, 3: 3}
    assert static_canvas._bounded(cache) == {}
    assert static_canvas._bounded({1: 1}) == {1: 1}


def _fonts_in_layouts() -> set[int]:
    return {id(item[0]) for items in static_canvas._LAYOUTS.values() for item in items}


def _child_fonts(parent: frozenset[int]) -> tuple[int, int, bool]:
    """In a forked process: kept layouts and glyphs, then whether a parent font is drawn with."""
    kept = (len(static_canvas._LAYOUTS), len(static_canvas._GLYPHS))
    _png(map_canvas(_figure()))
    return (*kept, bool(_fonts_in_layouts() & parent))


@pytest.mark.skipif(not can_fork(), reason="processes cannot be forked here")
def test_a_forked_process_draws_with_fonts_of_its_own() -> None:
    if not static_canvas._FAST:
        pytest.skip("this matplotlib release is not among TESTED_MATPLOTLIB")
    _png(map_canvas(_figure()))
    parent = frozenset(_fonts_in_layouts())
    assert parent and static_canvas._GLYPHS
    layouts, glyphs, shared = aside(lambda: _child_fonts(parent))()
    assert (layouts, glyphs, shared) == (0, 0, False)
    assert _fonts_in_layouts() == parent  # the parent keeps its own


def _busy_child(seed: int) -> bytes:
    """Draw the parent's texts at new sub-pixel positions (new glyph bitmaps), many times."""
    rng = random.Random(seed)
    out = b""
    for _ in range(12):
        fig = Figure(figsize=(4, 3), dpi=100)
        for size in (6, 7, 8, 9, 11, 13):
            fig.text(rng.random() / 2, rng.random(), _WORDS, fontsize=size)
        out = _png(map_canvas(fig))
    return out


_WORDS = "\u041a\u044b\u0440\u0433\u044b\u0437\u0441\u0442\u0430\u043d Tajikistan 0123456789 KAZ"


@pytest.mark.skipif(not can_fork(), reason="processes cannot be forked here")
def test_forked_processes_drawing_at_once_do_not_read_each_others_fonts() -> None:
    # with the parent's fonts the processes share a file position: FreeType then fails
    # ("invalid outline", "too many hints") in one of them, as a run of PNG maps once did
    fig = Figure(figsize=(4, 3), dpi=100)
    for size in (6, 7, 8, 9, 11, 13):
        fig.text(0.1, 0.1, _WORDS, fontsize=size)
    _png(map_canvas(fig))
    waits = [aside(lambda k=k: _busy_child(k)) for k in range(4)]
    assert all(w().startswith(b"\x89PNG") for w in waits)


def test_another_thread_lays_out_text_with_its_own_fonts() -> None:
    if not static_canvas._FAST:
        pytest.skip("this matplotlib release is not among TESTED_MATPLOTLIB")
    _png(map_canvas(_figure()))
    here = _fonts_in_layouts()
    thread = threading.Thread(target=lambda: _png(map_canvas(_figure())))
    thread.start()
    thread.join()
    assert _fonts_in_layouts() - here  # matplotlib gives each thread its own fonts
