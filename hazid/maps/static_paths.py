"""Drawing steps of the static map of several activities, as path collections.

Countries, consequence zones, river traces and site labels are each drawn as one or two
matplotlib collections of paths (not one artist per feature), in the colours and symbols of
the map of one activity (:mod:`hazid.maps.static_draw`): a map of hundreds of activities costs
little more than a map of one. Site labels are glyph outlines placed beside their sites
where they overlap least.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath
from matplotlib.transforms import IdentityTransform
from pyproj import CRS

from hazid.maps.static_draw import (
    _PX_TO_PT,
    _SITE_MARKER_PT,
    _countries_in_window,
    _country_handles,
    _draw_data_ends,
    _label_countries,
    _Legend,
    _names,
    _origin_dashes,
    _rgb,
    _Window,
    _zone_handles,
)
from hazid.maps.styles import (
    _AFFECTED_STYLE,
    _COUNTRY_STYLE,
    _ORIGIN_STYLE,
    _OTHER_ZONE_COLOUR,
    _TRACE_STYLE,
    _ZONE_STYLE,
    SITE_STATUS_STYLE,
    ZONE_COLOURS,
)


def _polygon_paths(geoms: np.ndarray) -> list[MplPath | None]:
    """One matplotlib path per geometry of its polygons (holes included), None if it has none.

    Vectorised: the rings of all the geometries are read at once.
    """
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    rings, ring_part = shapely.get_rings(parts[keep], return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    if len(xy):
        starts = np.flatnonzero(np.diff(ring_of, prepend=-1))
        codes[starts] = MplPath.MOVETO
        codes[np.append(starts[1:] - 1, len(xy) - 1)] = MplPath.CLOSEPOLY
    owner = part_of[keep][ring_part][ring_of]
    cut = np.searchsorted(owner, np.arange(len(geoms) + 1))
    return [
        MplPath(xy[i:j], codes[i:j]) if j > i else None for i, j in itertools.pairwise(cut.tolist())
    ]


def _zone_collection(
    ax: Axes, z: gpd.GeoDataFrame, legend: _Legend, *, min_radius_m: float
) -> None:
    """All consequence zones as one path collection, largest first, coloured by hazard.

    As on the map of one activity, a zone whose equivalent radius (area in the local
    projection, metres) is below 1.5 ``min_radius_m`` is hidden under its site symbol; the
    small print names each hidden hazard once, with the largest such radius.
    """
    z = z.assign(_area=z.geometry.area).sort_values(["_area", "hazard"], ascending=[False, True])
    paths, faces, edges = [], [], []
    shown: list[str] = []
    hidden: dict[str, float] = {}
    hazards, areas = z["hazard"].astype(str).tolist(), z["_area"].to_numpy()
    for hazard, p, area in zip(hazards, _polygon_paths(z.geometry.to_numpy()), areas, strict=True):
        if p is None:
            continue
        colour = ZONE_COLOURS.get(hazard, _OTHER_ZONE_COLOUR)
        paths.append(p)
        faces.append((*_rgb(colour), _ZONE_STYLE["fillOpacity"]))
        edges.append(colour)
        radius = math.sqrt(area / math.pi)
        if radius >= 1.5 * min_radius_m:
            shown += [] if hazard in shown else [hazard]
        else:
            hidden[hazard] = max(hidden.get(hazard, 0.0), radius)
    if paths:
        width = float(_ZONE_STYLE["weight"]) * _PX_TO_PT
        col = PathCollection(paths, facecolors=faces, edgecolors=edges, linewidths=width)
        col.set_zorder(3)
        ax.add_collection(col, autolim=False)
    _zone_handles(legend, shown)
    if hidden:
        items = [
            f"{legend.t('{hazard} zone').format(hazard=legend.t(h))} "
            f"(\u2264\u00a0{legend.t('{value} km').format(value=f'{r / 1000:.2g}')})"
            for h, r in hidden.items()
        ]
        legend.notes.append(f"{legend.t('Too small to show at this scale')}: {', '.join(items)}.")


#: Size (points) of the labels of the sites.
_LABEL_PT = 8.0
_LABEL_FONT = FontProperties(weight="bold")


@functools.lru_cache(maxsize=256)
def _glyph(char: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Outline (vertices, codes, in points) and advance width of one character of a label."""
    one = TextPath((0.0, 0.0), char, size=_LABEL_PT, prop=_LABEL_FONT)
    two = TextPath((0.0, 0.0), char * 2, size=_LABEL_PT, prop=_LABEL_FONT)
    # the second copy is the first moved by the advance width
    advance = float(two.vertices[:, 0].max() - one.vertices[:, 0].max())
    return one.vertices.copy(), one.codes.copy(), advance


@functools.lru_cache(maxsize=65536)
def _label_path(label: str) -> MplPath:
    """Outline of ``label`` in points, baseline at 0 (made once per label and process).

    A number is put together from the outlines of its digits (one ``TextPath`` per digit,
    not per number: a pair may have thousands of activities).
    """
    if label.isascii() and label.isdigit():
        verts, codes, x = [], [], 0.0
        for char in label:
            v, c, advance = _glyph(char)
            verts.append(v + np.array([x, 0.0]))
            codes.append(c)
            x += advance
        return MplPath(np.concatenate(verts), np.concatenate(codes))
    tp = TextPath((0.0, 0.0), label, size=_LABEL_PT, prop=_LABEL_FONT)
    return MplPath(tp.vertices.copy(), tp.codes.copy())


def _site_labels(
    ax: Axes, xs: np.ndarray, ys: np.ndarray, names: list[str], win: Any, m_per_pt: float
) -> None:
    """Label every site beside its symbol: black text with a white halo.

    Each label goes above right, above left, below right or below left of its site, the
    first of these that overlaps no site symbol, no label placed before and not the frame
    edge (else the one that overlaps least). The labels are two path collections (halo,
    then text) of glyph outlines, as fast for hundreds of labels as for one.
    """
    px = ax.figure.dpi / 72.0  # type: ignore[union-attr]
    glyphs = [_label_path(name) for name in names]
    # positions and boxes in points from the lower-left corner of the frame
    sx, sy = (xs - win.x0) / m_per_pt, (ys - win.y0) / m_per_pt
    frame = (0.0, 0.0, (win.x1 - win.x0) / m_per_pt, (win.y1 - win.y0) / m_per_pt)
    r = _SITE_MARKER_PT / 2
    taken = np.empty((2 * len(sx), 4))
    taken[: len(sx)] = np.column_stack([sx - r, sy - r, sx + r, sy + r])
    n = len(sx)
    d = 0.6 * _SITE_MARKER_PT
    paths = []
    for x, y, g in zip(sx, sy, glyphs, strict=True):
        (x0, y0), (x1, y1) = g.vertices.min(axis=0), g.vertices.max(axis=0)
        shifts = np.array([(d, d), (-d - x1, d), (d, -d - y1), (-d - x1, -d - y1)])
        boxes = np.column_stack([x + shifts[:, 0] + x0, y + shifts[:, 1] + y0,
                                 x + shifts[:, 0] + x1, y + shifts[:, 1] + y1])  # fmt: skip
        cost = _overlap(boxes, taken[:n]).sum(axis=1) + (
            (x1 - x0) * (y1 - y0) - _overlap(boxes, np.array([frame]))[:, 0]
        )
        k = int(np.flatnonzero(cost <= 0)[0]) if (cost <= 0).any() else int(np.argmin(cost))
        taken[n] = boxes[k]
        n += 1
        paths.append(MplPath((g.vertices + shifts[k]) * px, g.codes))
    offsets = np.column_stack([xs, ys])
    for zorder, style in (
        (7.4, {"facecolors": "white", "edgecolors": "white", "linewidths": 2.5}),
        (7.5, {"facecolors": "black", "edgecolors": "none", "linewidths": 0.0}),
    ):
        col = PathCollection(
            paths, offsets=offsets, offset_transform=ax.transData, zorder=zorder, **style
        )
        col.set_transform(IdentityTransform())
        ax.add_collection(col, autolim=False)


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Areas shared by each box of ``a`` with each box of ``b`` (rows x0, y0, x1, y1)."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0.0, None) * np.clip(h, 0.0, None)


def _traces_and_sites(
    ax: Axes,
    r: gpd.GeoDataFrame | None,
    win: Any,
    xs: np.ndarray,
    ys: np.ndarray,
    names: list[str],
    legend: _Legend,
    m_per_pt: float,
) -> None:
    """River traces as one line collection, then every site symbol with its label."""
    trace = {"color": _TRACE_STYLE["color"], "alpha": _TRACE_STYLE["opacity"], "linewidth": 2.0}
    if r is not None:
        geoms = r.geometry.to_numpy()
        geoms = geoms[shapely.get_dimensions(geoms) > 0]
        lines = shapely.get_parts(
            np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
        )
        segs = [shapely.get_coordinates(g) for g in shapely.get_parts(lines) if not g.is_empty]
        if segs:
            col = LineCollection(segs, colors=trace["color"], linewidths=trace["linewidth"])
            col.set_alpha(trace["alpha"])
            col.set_zorder(4)
            ax.add_collection(col, autolim=False)
            if shapely.intersects(win.box, geoms).any():
                legend.handles.append(
                    Line2D([], [], label=legend.t("River trace downstream"), **trace)
                )
        _draw_data_ends(ax, r, legend)
    st = SITE_STATUS_STYLE["notify"]
    star = {
        "marker": "o",
        "color": st["fillColor"],
        "markeredgecolor": st["color"],
        "markeredgewidth": 1.2,
        "linestyle": "none",
    }
    ax.plot(xs, ys, markersize=_SITE_MARKER_PT, zorder=7, **star)
    _site_labels(ax, xs, ys, names, win, m_per_pt)
    legend.handles.append(
        Line2D(
            [],
            [],
            markersize=_SITE_MARKER_PT * 0.8,
            label=legend.t("Hazardous activity (number in the dossier)"),
            **star,
        )
    )


def _segments(geoms: np.ndarray) -> list[np.ndarray]:
    """Coordinates of every line part of ``geoms`` (polygons give their boundaries)."""
    geoms = geoms[~shapely.is_empty(geoms)]
    lines = np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
    return [shapely.get_coordinates(g) for g in shapely.get_parts(lines) if not g.is_empty]


def _country_collections(
    ax: Axes,
    b_all: gpd.GeoDataFrame,
    crs: CRS,
    win: _Window,
    origin: str | None,
    affected: list[str],
    legend: _Legend,
    m_per_pt: float,
) -> None:
    """Countries, the affected Party shaded, the Party of origin outlined, country names.

    As :func:`hazid.maps.static_draw._draw_countries`, with one collection per layer.
    """
    b = _countries_in_window(b_all, crs, win)
    if not len(b):
        return
    iso = b["iso_a3"].astype(str)
    names = _names(b, iso, legend.lang)
    paths = _polygon_paths(b.geometry.to_numpy())
    has = np.array([p is not None for p in paths])
    land = PathCollection(
        [p for p in paths if p is not None],
        facecolors=_COUNTRY_STYLE["fillColor"],
        edgecolors="none",
        zorder=1,
    )
    ax.add_collection(land, autolim=False)
    shaded = iso.isin(affected).to_numpy() & has
    aff_style = {"facecolor": _AFFECTED_STYLE["fillColor"], "alpha": _AFFECTED_STYLE["fillOpacity"]}
    if shaded.any():
        sel = [paths[i] for i in np.flatnonzero(shaded)]
        ax.add_collection(
            PathCollection(sel, facecolors=aff_style["facecolor"], edgecolors="none",
                           alpha=aff_style["alpha"], zorder=2),
            autolim=False,
        )  # fmt: skip
    border = {"color": _COUNTRY_STYLE["color"], "linewidth": 0.8}
    segs = _segments(b["_lines"].to_numpy())
    if segs:
        ax.add_collection(
            LineCollection(segs, colors=border["color"], linewidths=border["linewidth"],
                           zorder=2.5),
            autolim=False,
        )  # fmt: skip
    own = _segments(b["_lines"].to_numpy()[(iso == origin).to_numpy()]) if origin else []
    if own:
        width = float(_ORIGIN_STYLE["weight"]) * _PX_TO_PT
        ax.add_collection(
            LineCollection(own, colors=_ORIGIN_STYLE["color"], linewidths=width,
                           linestyles=[(0, _origin_dashes())], zorder=5),
            autolim=False,
        )  # fmt: skip
    _country_handles(
        legend,
        names,
        border=bool(segs),
        affected=[a for a in affected if a in set(iso[shaded])],
        origin=origin if own else None,
    )
    _label_countries(ax, b, iso, names, win, m_per_pt)
