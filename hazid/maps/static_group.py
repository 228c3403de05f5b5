"""One static PNG map for several activities of a pair of Parties.

Where the activities of a dossier lie close together, one map serves them all: it shows every
site with its number in the dossier, their consequence zones and river traces, the affected
Party shaded and the Party of origin outlined, in the colours and symbols of the map of one
activity (:mod:`hazid.maps.static`). The map is drawn with matplotlib's Agg renderer in a local
azimuthal equidistant projection (WGS 84 ellipsoid, metres) centred among the sites: distances
are true from that centre and, across a frame of a few hundred kilometres, the scale bar is
true to within about 1 %. Zones and traces are drawn as one path collection each, so a map of
hundreds of activities costs little more than a map of one. Output is deterministic.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure

from hazid.errors import GeodataError
from hazid.maps.labels import check_map_lang, country_name, text
from hazid.maps.projection import to_local, to_local_layer
from hazid.maps.static import (
    _NEAREST,
    _codes,
    _draw_footer,
    _drawn,
    _legend_loc,
    _map_window,
    _nearest_point,
    _require_crs,
    _save,
    _usable_borders,
    _with_data_ends,
    local_crs,
)
from hazid.maps.static_draw import (
    _SITE_MARKER_PT,
    _draw_north_arrow,
    _draw_scale_bar,
    _Legend,
    _print_borders,
)
from hazid.maps.static_paths import _country_collections, _traces_and_sites, _zone_collection
from hazid.maps.styles import _SEA_COLOUR

__all__ = ["static_group_map"]


def static_group_map(
    sites: pd.DataFrame,
    site_ids: Sequence[str],
    path: str | Path,
    *,
    labels: Sequence[str] | None = None,
    zones: gpd.GeoDataFrame | None = None,
    river_paths: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    origin: str | None = None,
    affected: str | Sequence[str] | None = None,
    title: str | None = None,
    note: str | None = None,
    size_px: Sequence[int] = (1200, 900),
    dpi: int = 150,
    lang: str = "en",
) -> Path:
    """Draw one PNG map of several activities, each site labelled.

    Parameters
    ----------
    sites : pandas.DataFrame
        Sites with ``site_id``, ``lon`` and ``lat`` (degrees, WGS 84).
    site_ids : sequence of str
        The activities to draw (at least one).
    path : str or pathlib.Path
        PNG file to write.
    labels : sequence of str, optional
        Label of each site, in the order of ``site_ids`` (default: the site ids); a dossier
        gives the number of the activity in it.
    zones, river_paths, borders, origin, affected, size_px, dpi, lang
        As for :func:`hazid.maps.static_map`; only the rows of ``site_ids`` are drawn.
    title, note : str, optional
        Title above and small print below the map (the small print always says that the map
        shows several activities, each labelled).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    GeodataError
        If a site is not in ``sites``, has no coordinates, ``site_ids`` is empty or
        ``labels`` does not match it.
    ChoiceError, CRSError, OutputError
        As for :func:`hazid.maps.static_map`.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> sites = pd.DataFrame({"site_id": ["A", "B"], "lon": [68.0, 68.4], "lat": [42.5, 42.3]})
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ab.png"
    >>> static_group_map(sites, ["A", "B"], out, labels=["1", "2"], size_px=(400, 300),
    ...                  dpi=100).name
    'ab.png'
    """
    lang = check_map_lang(lang)
    ids = [str(s) for s in site_ids]
    if not ids:
        raise GeodataError("a map of several activities needs at least one site")
    names = ids if labels is None else [str(v) for v in labels]
    if len(names) != len(ids):
        raise GeodataError(f"{len(names)} labels for {len(ids)} sites")
    fig = _compose_group(
        sites,
        ids,
        names,
        zones=_rows(zones, "zones", ids),
        river_paths=_rows(river_paths, "river_paths", ids),
        borders=_usable_borders(borders),
        origin=origin,
        affected=affected,
        title=title,
        note=note,
        size_px=size_px,
        dpi=dpi,
        lang=lang,
    )
    # zlib level 1: about twice as fast as the default, files a few per cent larger
    return _save(fig, path, dpi, ", ".join(ids), compress_level=1)


def _rows(layer: gpd.GeoDataFrame | None, label: str, ids: list[str]) -> gpd.GeoDataFrame | None:
    """Rows of ``layer`` of the sites ``ids`` with a geometry (None if there are none)."""
    if layer is None or not len(layer):
        return None
    _require_crs(layer, label)
    sel = layer.loc[layer["site_id"].astype(str).isin(ids)]
    sel = _with_data_ends(sel) if label == "river_paths" else _drawn(sel)
    return sel if len(sel) else None


def _locations(sites: pd.DataFrame, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (degrees) of the sites ``ids``."""
    at = sites.assign(_k=sites["site_id"].astype(str)).drop_duplicates("_k").set_index("_k")
    for sid in ids:
        if sid not in at.index:
            raise GeodataError(f"site {sid!r} is not in the sites table")
    lon = pd.to_numeric(at["lon"], errors="coerce").reindex(ids).to_numpy(dtype=float)
    lat = pd.to_numeric(at["lat"], errors="coerce").reindex(ids).to_numpy(dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise GeodataError(f"site {ids[int(np.argmax(bad))]!r} has no coordinates")
    return lon, lat


def _centre(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float]:
    """Middle of the sites' extent in longitude and latitude (across the antimeridian too)."""
    lon = lon[0] + (lon - lon[0] + 180.0) % 360.0 - 180.0
    mid = (float(lon.min()) + float(lon.max())) / 2
    return (mid + 180.0) % 360.0 - 180.0, (float(lat.min()) + float(lat.max())) / 2


def _compose_group(
    sites: pd.DataFrame,
    ids: list[str],
    names: list[str],
    *,
    zones: gpd.GeoDataFrame | None,
    river_paths: gpd.GeoDataFrame | None,
    borders: gpd.GeoDataFrame | None,
    origin: str | None,
    affected: str | Sequence[str] | None,
    title: str | None,
    note: str | None,
    size_px: Sequence[int],
    dpi: int,
    lang: str,
) -> Figure:
    """Draw the map of several activities on a new figure (see :func:`static_group_map`)."""
    _NEAREST.clear()
    lons, lats = _locations(sites, ids)
    lon, lat = _centre(lons, lats)
    crs = local_crs(lon, lat)
    to_map = to_local(crs)
    xs, ys = (np.asarray(v, dtype=float) for v in to_map.transform(lons, lats))
    z = None if zones is None else to_local_layer(zones, crs)
    r = None if river_paths is None else to_local_layer(river_paths, crs)
    width_px, height_px = int(size_px[0]), int(size_px[1])
    shows = text(
        "This map of the pair shows {n} of its activities, each labelled with its number in "
        "the dossier.",
        lang,
    ).format(n=len(ids))
    ax_box = _axes_box(shows, note, width_px, height_px, dpi)
    win, far = _group_window(z, r, borders, affected, crs, ax_box, (width_px, height_px), xs, ys)
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes(ax_box)
    ax.set_facecolor(_SEA_COLOUR)
    m_per_pt = (win.x1 - win.x0) / (ax_box[2] * width_px) * dpi / 72.0
    legend = _Legend(lang=lang)
    if borders is not None:
        b_print = _print_borders(borders, win, lat, ax_box[2] * width_px)
        _country_collections(ax, b_print, crs, win, origin, _codes(affected), legend, m_per_pt)
    if z is not None:
        _zone_collection(ax, z, legend, min_radius_m=_SITE_MARKER_PT / 2 * m_per_pt)
    _traces_and_sites(ax, r, win, xs, ys, names, legend, m_per_pt)
    ax.set_xlim(win.x0, win.x1)
    ax.set_ylim(win.y0, win.y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    # no ticks nor labels: the axes draw nothing (and measure no tick labels)
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    _draw_scale_bar(ax, win, lang)
    _draw_north_arrow(ax)
    sx = float(np.mean((xs - win.x0) / (win.x1 - win.x0)))
    sy = float(np.mean((ys - win.y0) / (win.y1 - win.y0)))
    leg = ax.legend(handles=legend.handles, loc=_legend_loc(sx, sy), fontsize=8, framealpha=0.9)
    for t in leg.get_texts():
        t.set_parse_math(False)
    fig.suptitle(title or ", ".join(ids), fontsize=12, y=0.97, parse_math=False)
    away = [
        text(
            "{name} (affected Party) lies outside the map, {km} km from its centre "
            "(bearing {deg}\u00b0).",
            lang,
        ).format(name=country_name(code, lang, code), km=f"{d / 1000:.0f}", deg=f"{b:.0f}")
        for code, d, b in far
    ]
    small = " ".join([shows, *away, *legend.notes, *([note] if note else [])])
    _draw_footer(fig, lon, lat, small, width_px, dpi, lang, on_site=False)
    return fig


def _axes_box(
    shows: str, note: str | None, width_px: int, height_px: int, dpi: int
) -> tuple[float, float, float, float]:
    """Axes of the map (figure fraction), above room for the small print.

    The small print is wrapped as :func:`hazid.maps.static._draw_footer` wraps it; room is
    kept for the projection line (about 120 characters), ``shows``, ``note`` and two more
    lines (the distant Party and the zones too small to show).
    """
    chars = max(40, int(0.94 * width_px / (7 * dpi / 72 * 0.62)))
    lines = len(textwrap.wrap(" ".join(["x" * 119, shows, note or ""]), chars)) + 2
    bottom = max(0.08, 0.022 + lines * 7 * 1.2 * dpi / 72 / height_px)
    return (0.03, bottom, 0.94, 0.92 - bottom)


#: A map of several activities frames the nearest part of the affected Party only when that
#: frame is at most this many times as wide as the frame of the activities alone.
_REACH = 2.5


def _group_window(
    z: gpd.GeoDataFrame | None,
    r: gpd.GeoDataFrame | None,
    borders: gpd.GeoDataFrame | None,
    affected: str | Sequence[str] | None,
    crs: Any,
    ax_box: tuple[float, float, float, float],
    size: tuple[int, int],
    xs: np.ndarray,
    ys: np.ndarray,
) -> tuple[Any, list[tuple[str, float, float]]]:
    """Frame the sites, zones and traces, and the affected Party if near.

    An affected Party farther away would shrink the activities to a cluster: it is left out
    of the frame and returned as (code, distance in metres, bearing in degrees) from the
    centre of the projection (distances and bearings from the centre are true in an
    azimuthal equidistant projection).
    """
    pts = shapely.points(xs, ys)
    own = _map_window(z, r, borders, None, crs, ax_box, *size, pts)
    full = _map_window(z, r, borders, affected, crs, ax_box, *size, pts)
    if (full.x1 - full.x0) <= _REACH * (own.x1 - own.x0) or borders is None:
        return full, []
    far = []
    for code in _codes(affected):
        p = _nearest_point(borders, code, crs)
        if p is not None:
            far.append((code, math.hypot(p.x, p.y), math.degrees(math.atan2(p.x, p.y)) % 360))
    return own, far
