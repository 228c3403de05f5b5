"""The Agg canvas of the static PNG maps, with its text work kept from one map to the next.

Every map of a run writes the same kinds of text (the legend entries, country names, most
lines of the small print) in the same fonts. matplotlib's Agg renderer measures, lays out and
rasterises each text anew for each figure, glyph by glyph, which is most of the cost of a
map. The renderer here keeps, for the life of the process, the size of each text, the layout
of each text and the bitmap of each glyph at each sub-pixel position (FreeType draws a glyph
moved by whole pixels as the same bitmap, moved), and draws exactly the pixels the Agg
renderer draws. Math text, TeX and rotated text are left to the Agg renderer itself, and so
is all text with a matplotlib release other than those it was tested with
(:data:`TESTED_MATPLOTLIB`), since it repeats matplotlib's own private steps.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure
from matplotlib.ft2font import RenderMode
from matplotlib.path import Path
from matplotlib.textpath import TextToPath

__all__ = ["map_canvas"]

#: Entries kept per cache before it is emptied (a bound on memory, far above a run's needs).
_CACHE_MAX = 200_000
_METRICS: dict[tuple[Any, ...], tuple[float, float, float]] = {}
_LAYOUTS: dict[tuple[Any, ...], list[tuple[Any, float, int, float, float]]] = {}
_GLYPHS: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}
_OUTLINES: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}


#: The matplotlib releases whose Agg text drawing the renderer here repeats (tested: the PNGs
#: are byte for byte matplotlib's own); with any other, matplotlib draws the text itself.
TESTED_MATPLOTLIB = ((3, 11),)


def _fast_text() -> bool:
    """Whether this matplotlib draws text glyph by glyph as the renderer here expects."""
    import matplotlib
    from matplotlib.ft2font import FT2Font

    release = tuple(int(p) for p in matplotlib.__version__.split(".")[:2] if p.isdigit())
    need = ("_layout", "_set_transform", "_render_glyph")
    return (
        release in TESTED_MATPLOTLIB
        and all(hasattr(FT2Font, n) for n in need)
        and hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
    )


_FAST = _fast_text()


def _forget_fonts() -> None:
    """Empty the caches that hold FreeType fonts, in a process just forked.

    A font object reads its file through a file descriptor whose position the forked
    processes share, so two processes using their parent's fonts read each other's bytes and
    FreeType fails ("invalid outline", "too many hints") or draws wrong glyphs. matplotlib
    empties its own font cache after a fork for the same reason; the layouts and glyphs kept
    here hold the fonts they were made with, so they go too. Sizes and outlines hold numbers
    only and stay.
    """
    _LAYOUTS.clear()
    _GLYPHS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_fonts)


def _bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    return cache


class _MapTextToPath(TextToPath):
    """Text outlines (the text drawn with a halo), each made once per process."""

    def get_text_path(
        self, prop: Any, s: str, ismath: Any = False, *, features: Any = None, language: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and codes of the outline of ``s``, as :class:`TextToPath` makes them."""
        if ismath is not False:
            return super().get_text_path(prop, s, ismath, features=features, language=language)
        key = (s, prop.copy(), self._get_hinting_flag(), _frozen(features), _frozen(language))
        hit = _OUTLINES.get(key)
        if hit is None:
            verts, codes = super().get_text_path(
                prop, s, ismath, features=features, language=language
            )
            hit = (np.array(verts, dtype=float).reshape(-1, 2), np.array(codes, Path.code_type))
            _bounded(_OUTLINES)[key] = hit
        return hit[0].copy(), hit[1].copy()


_TEXT_TO_PATH = _MapTextToPath()


class _MapRenderer(RendererAgg):
    """Agg renderer that keeps text sizes, layouts, outlines and glyph bitmaps between figures."""

    def __init__(self, width: int, height: int, dpi: float) -> None:
        super().__init__(width, height, dpi)
        self._text2path = _TEXT_TO_PATH

    def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> Any:
        """Width, height and descent of ``s`` (pixels), as the Agg renderer gives them."""
        if ismath is not False or not _FAST:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (s, prop.copy(), self.dpi, get_hinting_flag())
        hit = _METRICS.get(key)
        if hit is None:
            hit = super().get_text_width_height_descent(s, prop, ismath)
            _bounded(_METRICS)[key] = hit
        return hit

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: Any,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        """Draw ``s`` as :meth:`RendererAgg.draw_text` does, from the kept layouts and glyphs."""
        if ismath is not False or angle != 0 or not _FAST:
            super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
            return
        items = self._layout(s, prop, mtext)
        height = self.height
        flags = get_hinting_flag()
        aa = bool(gc.get_antialiased())
        mode = RenderMode.NORMAL if aa else RenderMode.MONO
        ident = (0x10000 * np.eye(2)).round().astype(int)
        draw = self._renderer.draw_text_image
        glyphs = _bounded(_GLYPHS)
        for font, size, index, dx, dy in items:
            # the pen position of RendererAgg._draw_text_glyphs_and_boxes at angle 0
            px = round(0x40 * (x + dx * 1.0 - dy * 0.0))
            py = round(0x40 * (height - y + dx * 0.0 + dy * 1.0))
            key = (font, size, self.dpi, index, px & 63, py & 63, flags, aa)
            hit = glyphs.get(key)
            if hit is None:
                font.set_size(size, self.dpi)
                font._set_transform(ident, [px & 63, py & 63])
                bitmap = font._render_glyph(index, flags, mode)
                buffer = np.array(bitmap.buffer, copy=True)
                if not aa:
                    buffer *= 0xFF
                hit = (buffer, bitmap.left, bitmap.top)
                glyphs[key] = hit
            buffer, left, top = hit
            # whole pixels of the pen position move the bitmap, not its pixels
            draw(buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)

    def _layout(self, s: str, prop: Any, mtext: Any) -> list[tuple[Any, float, int, float, float]]:
        """Glyphs of ``s``: (font, size, glyph index, x, y), as RendererAgg.draw_text lays them."""
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        flags = get_hinting_flag()
        # fonts are per thread, as matplotlib keeps them (a FreeType face is not thread-safe)
        key = (s, prop.copy(), self.dpi, flags, _frozen(features), _frozen(language))
        key += (threading.get_ident(),)
        hit = _LAYOUTS.get(key)
        if hit is None:
            font = self._prepare_font(prop)
            size = prop.get_size_in_points()
            hit = [
                (item.ft_object, size, item.glyph_index, item.x, item.y)
                for item in font._layout(s, flags=flags, features=features, language=language)
            ]
            _bounded(_LAYOUTS)[key] = hit
        return hit


def _frozen(value: Any) -> Any:
    """``value`` as a dictionary key (lists and tuples as tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


class _MapCanvas(FigureCanvasAgg):
    """Agg canvas drawing with :class:`_MapRenderer`."""

    def get_renderer(self) -> RendererAgg:
        """Return the renderer of the figure's size (made again only when the size changes)."""
        w, h = self.get_width_height(physical=True)
        key = (w, h, self.figure.dpi)
        if self._lastKey != key:
            self.renderer = _MapRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def map_canvas(fig: Figure) -> Figure:
    """Attach the map canvas to ``fig`` (its PNG is the one the Agg canvas writes); return it.

    Examples
    --------
    >>> fig = map_canvas(Figure(figsize=(2, 1), dpi=50))
    >>> type(fig.canvas).__name__
    '_MapCanvas'
    """
    _MapCanvas(fig)
    return fig
