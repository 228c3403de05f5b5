"""Static PNG maps of one hazardous activity for notification dossiers.

The map is drawn with matplotlib's Agg renderer, offline, in a local azimuthal equidistant
projection centred on the site (WGS 84 ellipsoid, metres), so the scale bar is true along any
line through the site and grid north at the site is straight up. Output is deterministic: the
same inputs give the same bytes (no timestamp or software tag is written into the PNG).
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from pyproj import CRS
from shapely.ops import nearest_points

from hazid.errors import CRSError, GeodataError, OutputError
from hazid.forked import can_fork, forked_map
from hazid.maps.labels import check_map_lang, text
from hazid.maps.projection import local_crs, to_local_layer
from hazid.maps.rows import rows_by_site, rows_of
from hazid.maps.static_canvas import map_canvas
from hazid.maps.static_draw import (
    _SITE_MARKER_PT,
    _draw_countries,
    _draw_north_arrow,
    _draw_river_and_site,
    _draw_scale_bar,
    _draw_zones,
    _Legend,
    _prepare_print_borders,
    _print_borders,
    _Window,
)
from hazid.maps.styles import _SEA_COLOUR, HAZARD_COLOURS
from hazid.rivers import data_ends

logger = logging.getLogger(__name__)

__all__ = ["HAZARD_COLOURS", "local_crs", "static_map", "static_maps"]


def _require_crs(layer: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if layer.crs is None:
        raise CRSError(f"{name} layer has no CRS; set it (e.g. EPSG:4326) before mapping")
    return layer


def _legend_loc(sx: float, sy: float) -> str:
    """Legend corner farther from the site at axes fraction (``sx``, ``sy``).

    The scale bar holds the lower-left corner and the north arrow the upper-right one, so
    the legend goes lower right, or upper left when the site is nearer the lower right.
    """
    to_lower_right = math.hypot(1.0 - sx, sy)
    to_upper_left = math.hypot(sx, 1.0 - sy)
    return "upper left" if to_lower_right < to_upper_left else "lower right"


def static_map(
    sites: pd.DataFrame,
    site_id: str,
    path: str | Path,
    *,
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
    """Draw one activity's transboundary map to a PNG file.

    The map shows the site, its consequence zones, its downstream river trace, country
    borders and names, the affected Party shaded and the Party of origin outlined (dashed), in
    the colours and symbols of the HTML map, with a scale bar,
    a north arrow and a legend (in the lower-right or upper-left corner, whichever is
    farther from the site) listing only what is visible. Names from the inputs are drawn as plain
    text. Everything is projected to the site's local azimuthal
    equidistant projection (:func:`local_crs`), so distances on the scale bar are true.

    Parameters
    ----------
    sites : pandas.DataFrame
        Sites with ``site_id``, ``lon`` and ``lat`` (degrees, WGS 84); ``site_name`` is used
        in the default title.
    site_id : str
        The site to draw.
    path : str or pathlib.Path
        PNG file to write.
    zones, river_paths : geopandas.GeoDataFrame, optional
        Consequence zones and river traces (``site_id`` column); only this site's rows are
        drawn.
    borders : geopandas.GeoDataFrame, optional
        Country polygons with ``iso_a3``.
    origin : str, optional
        ISO3 code of the Party of origin (outlined).
    affected : str or sequence of str, optional
        ISO3 code(s) of the affected Party or Parties (shaded, and kept inside the map frame).
        With several, one map of an activity serves every dossier of it.
    title, note : str, optional
        Title above and small print below the map.
    size_px : (int, int)
        Width and height of the PNG in pixels.
    dpi : int
        Resolution used to lay out fonts and line widths.
    lang : {"en", "ru"}
        Language of the country names, the legend and the small print.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    GeodataError
        If ``site_id`` is not in ``sites`` or has no coordinates.
    ChoiceError
        If ``lang`` is not a language of the maps.
    CRSError
        If a layer has no CRS.
    OutputError
        If the file cannot be written.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> sites = pd.DataFrame({"site_id": ["A"], "lon": [68.0], "lat": [42.5]})
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> static_map(sites, "A", out, size_px=(400, 300), dpi=100).name
    'a.png'
    """
    lang = check_map_lang(lang)
    fig = _compose(
        sites,
        site_id,
        zones=zones,
        river_paths=river_paths,
        borders=borders,
        origin=origin,
        affected=affected,
        title=title,
        note=note,
        size_px=size_px,
        dpi=dpi,
        lang=lang,
    )
    return _save(fig, path, dpi, site_id)


def _compose(
    sites: pd.DataFrame,
    site_id: str,
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
    """Draw the map of one activity on a new figure (see :func:`static_map`)."""
    _NEAREST.clear()
    lon, lat, name = _site_location(sites, site_id)
    crs = local_crs(lon, lat)
    z = _pick(zones, "zones", site_id, crs)
    r = _pick(river_paths, "river_paths", site_id, crs)
    b_all = _usable_borders(borders)
    width_px, height_px = int(size_px[0]), int(size_px[1])
    ax_box = (0.03, 0.08, 0.94, 0.84)  # left, bottom, width, height in figure fraction
    win = _map_window(z, r, b_all, affected, crs, ax_box, width_px, height_px)

    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes(ax_box)
    ax.set_facecolor(_SEA_COLOUR)
    # metres per point of the figure, to compare zones with the size of the site symbol
    m_per_pt = (win.x1 - win.x0) / (ax_box[2] * width_px) * dpi / 72.0
    legend = _Legend(lang=lang)
    if b_all is not None:
        b_print = _print_borders(b_all, win, lat, ax_box[2] * width_px)
        _draw_countries(ax, b_print, crs, win, origin, _codes(affected), legend, m_per_pt)
    if z is not None:
        _draw_zones(ax, z, crs, legend, min_radius_m=_SITE_MARKER_PT / 2 * m_per_pt)
    _draw_river_and_site(ax, r, win, legend)
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
    loc = _legend_loc((0.0 - win.x0) / (win.x1 - win.x0), (0.0 - win.y0) / (win.y1 - win.y0))
    leg = ax.legend(handles=legend.handles, loc=loc, fontsize=8, framealpha=0.9)
    for t in leg.get_texts():
        t.set_parse_math(False)  # names from the inputs are plain text, never mathtext
    fig.suptitle(title or f"{name} ({site_id})", fontsize=12, y=0.97, parse_math=False)
    _draw_footer(
        fig, lon, lat, " ".join(legend.notes + ([note] if note else [])), width_px, dpi, lang
    )
    return fig


def _codes(affected: str | Sequence[str] | None) -> list[str]:
    """ISO3 codes of the affected Parties (one code or several)."""
    if not affected:
        return []
    return [affected] if isinstance(affected, str) else [str(a) for a in affected if a]


def _site_location(sites: pd.DataFrame, site_id: str) -> tuple[float, float, str]:
    """Longitude, latitude (degrees) and name of the site."""
    row = sites.loc[sites["site_id"].astype(str) == str(site_id)]
    if row.empty:
        raise GeodataError(f"site {site_id!r} is not in the sites table")
    lon = float(pd.to_numeric(row["lon"], errors="coerce").iloc[0])
    lat = float(pd.to_numeric(row["lat"], errors="coerce").iloc[0])
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise GeodataError(f"site {site_id!r} has no coordinates")
    name = str(row["site_name"].iloc[0]) if "site_name" in row else str(site_id)
    return lon, lat, name


def _pick(
    layer: gpd.GeoDataFrame | None, label: str, site_id: str, crs: CRS
) -> gpd.GeoDataFrame | None:
    """Select the site's non-empty rows of ``layer``, in the local projection (or None)."""
    if layer is None or len(layer) == 0:
        return None
    _require_crs(layer, label)
    sel = layer.loc[layer["site_id"].astype(str) == str(site_id)]
    sel = _with_data_ends(sel) if label == "river_paths" else _drawn(sel)
    return to_local_layer(sel, crs) if len(sel) else None


def _drawn(rows: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep the rows of ``rows`` that have a geometry."""
    return rows.loc[rows.geometry.notna() & ~rows.geometry.is_empty]


def _with_data_ends(paths: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows of ``paths`` with a line, then a point where their traces leave the river data.

    One point per place (:func:`hazid.rivers.data_ends`), drawn by
    :func:`hazid.maps.static_draw._draw_data_ends`; its ``site_id`` lists the sites.
    """
    lines = _drawn(paths)
    if "edge_lon" not in paths.columns:
        return lines
    ends = data_ends(paths)
    if not len(ends):
        return lines
    pts = gpd.GeoDataFrame({"site_id": ends["site_ids"]}, geometry=ends.geometry, crs=4326)
    return pd.concat([lines, pts.to_crs(paths.crs)], ignore_index=True)


def _usable_borders(borders: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Country polygons with a geometry (None without borders).

    The layer itself is returned when every row has a geometry, so that its spatial index is
    built once and shared by the maps of every activity.
    """
    if borders is None or not len(borders):
        return None
    _require_crs(borders, "borders")
    keep = borders.geometry.notna() & ~borders.geometry.is_empty
    return borders if keep.all() else borders.loc[keep]


def _map_window(
    z: gpd.GeoDataFrame | None,
    r: gpd.GeoDataFrame | None,
    b_all: gpd.GeoDataFrame | None,
    affected: str | Sequence[str] | None,
    crs: CRS,
    ax_box: tuple[float, float, float, float],
    width_px: int,
    height_px: int,
    points: Sequence[shapely.Point] = (),
) -> _Window:
    """Frame the site, its zones, its river trace and the nearest part of each affected Party.

    ``points`` (the sites of a map of several activities) are framed too. A 15 % margin is
    added, the frame is at least 10 km across and has the aspect of the axes.
    """
    parts = [shapely.Point(0.0, 0.0), *points]
    if z is not None:
        parts.extend(z.geometry)
    if r is not None:
        parts.extend(r.geometry)
    for code in _codes(affected) if b_all is not None else []:
        near = _nearest_point(b_all, code, crs)
        if near is not None:
            parts.append(near)
    xmin, ymin, xmax, ymax = shapely.GeometryCollection(parts).bounds
    half = max(xmax - xmin, ymax - ymin, 10_000.0) / 2 * 1.15
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    aspect = (ax_box[2] * width_px) / (ax_box[3] * height_px)
    hx, hy = (half * aspect, half) if aspect >= 1 else (half, half / aspect)
    return _Window(cx - hx, cx + hx, cy - hy, cy + hy)


def _nearest_point(b_all: gpd.GeoDataFrame, code: str, crs: CRS) -> shapely.Point | None:
    """Point of country ``code`` nearest to the centre of ``crs`` (in ``crs``), or None.

    The answers are kept while a map is composed (a map of several activities asks twice
    for a distant Party); :func:`_compose` and the map of several activities forget them.
    """
    key = (id(b_all), len(b_all), code, crs.srs)
    if key not in _NEAREST:
        _NEAREST[key] = (b_all, _nearest_point_of(b_all, code, crs))
    return _NEAREST[key][1]


#: Answers of :func:`_nearest_point` for the map being composed (with their borders, so that
#: an id is not reused).
_NEAREST: dict[tuple[Any, ...], tuple[gpd.GeoDataFrame, shapely.Point | None]] = {}


def _nearest_point_of(b_all: gpd.GeoDataFrame, code: str, crs: CRS) -> shapely.Point | None:
    aff = b_all.loc[b_all["iso_a3"].astype(str) == code]
    if not len(aff):
        return None
    # nearest point part by part: a whole country projected about a distant
    # site can be invalid (a union of it raises), a distance never fails
    centre = shapely.Point(0.0, 0.0)
    polys = shapely.get_parts(to_local_layer(aff, crs).geometry.to_numpy())
    polys = polys[~shapely.is_empty(polys)]
    if not len(polys):
        return None
    k = int(np.argmin(shapely.distance(centre, polys)))
    return nearest_points(centre, polys[k])[1]


def _draw_footer(
    fig: Figure,
    lon: float,
    lat: float,
    note: str | None,
    width_px: int,
    dpi: int,
    lang: str,
    *,
    on_site: bool = True,
) -> None:
    """Small print below the map: the projection and its centre, then ``note``.

    The centre is the site, or (``on_site`` false) a point among the activities of the map.
    """
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    footer = text(
        "Azimuthal equidistant projection centred on the site ({lat}\u00b0 {ns}, "
        "{lon}\u00b0 {ew}), WGS 84."
        if on_site
        else "Azimuthal equidistant projection centred among the activities ({lat}\u00b0 "
        "{ns}, {lon}\u00b0 {ew}), WGS 84.",
        lang,
    ).format(lat=f"{abs(lat):.4f}", ns=text(ns, lang), lon=f"{abs(lon):.4f}", ew=text(ew, lang))
    if note:
        footer += " " + note
    # About 0.62 em per character at 7 pt (Cyrillic is wider than Latin): wrap the small print
    # to the figure width
    chars = max(40, int(0.94 * width_px / (7 * dpi / 72 * 0.62)))
    fig.text(
        0.03,
        0.012,
        "\n".join(textwrap.wrap(footer, chars)),
        fontsize=7,
        color="#333333",
        ha="left",
        va="bottom",
        parse_math=False,
    )


def _save(
    fig: Figure, path: str | Path, dpi: int, site_id: str, compress_level: int | None = None
) -> Path:
    """Write the PNG (no timestamp or software tag, so the bytes are reproducible).

    ``compress_level`` (zlib, 1 fastest to 9 smallest) defaults to Pillow's.
    """
    out = Path(path)
    pil = {} if compress_level is None else {"pil_kwargs": {"compress_level": compress_level}}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        map_canvas(fig)  # drawn by the Agg canvas that keeps its text work between maps
        fig.savefig(out, dpi=dpi, format="png", metadata={"Software": None}, **pil)
    except OSError as err:
        raise OutputError(f"cannot write map {out}: {err}") from err
    logger.debug("map of %s written to %s", site_id, out)
    return out


def static_maps(
    sites: pd.DataFrame,
    jobs: Sequence[dict[str, Any]],
    *,
    zones: gpd.GeoDataFrame | None = None,
    river_paths: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    size_px: Sequence[int] = (1200, 900),
    dpi: int = 150,
    lang: str = "en",
    workers: int | None = None,
) -> list[Path]:
    """Draw many PNG maps, on several cores, sharing the layers.

    Each job is a mapping with ``site_id`` and ``path`` and, optionally, ``origin``,
    ``affected``, ``title``, ``note`` and ``lang`` (as for :func:`static_map`; ``lang`` of
    the job overrides the one given here); a job with ``site_ids`` (and optionally
    ``labels``) instead of ``site_id`` draws one map of several activities
    (:func:`hazid.maps.static_group.static_group_map`). The layers are given once: their rows
    are indexed by site once, the borders are simplified for print once, and worker
    processes inherit all of it (``fork``), so nothing is copied or pickled per map. Jobs go
    to the workers in chunks. Every map is the one :func:`static_map` (or
    :func:`~hazid.maps.static_group.static_group_map`) draws, byte for byte.

    Parameters
    ----------
    sites, zones, river_paths, borders, size_px, dpi, lang
        As for :func:`static_map`.
    jobs : sequence of dict
        The maps to draw.
    workers : int, optional
        Processes to use; default: the number of CPUs, at most the number of jobs. 1 (or a
        platform without ``fork``) draws in this process.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``jobs``.

    Raises
    ------
    GeodataError, CRSError, OutputError, ChoiceError
        As for :func:`static_map` (the first failing job's error).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> sites = pd.DataFrame({"site_id": ["A", "B"], "lon": [68.0, 69.0], "lat": [42.5, 41.0]})
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> jobs = [{"site_id": s, "path": d / f"{s}.png"} for s in ("A", "B")]
    >>> jobs.append({"site_ids": ["A", "B"], "labels": ["1", "2"], "path": d / "AB.png"})
    >>> [p.name for p in static_maps(sites, jobs, size_px=(300, 200), dpi=60, workers=1)]
    ['A.png', 'B.png', 'AB.png']
    """
    lang = check_map_lang(lang)
    for layer, name in ((zones, "zones"), (river_paths, "river_paths")):
        if layer is not None and len(layer):
            _require_crs(layer, name)
    b_all = _usable_borders(borders)
    if b_all is not None:
        _prepare_print_borders(b_all)  # before the workers fork: simplified once
    global _SHARED
    _SHARED = {
        "sites": (sites, rows_by_site(sites)),
        "zones": (zones, rows_by_site(zones)),
        "river_paths": (river_paths, rows_by_site(river_paths)),
        "borders": b_all,
        "size_px": size_px,
        "dpi": dpi,
        "lang": lang,
    }
    try:
        n = min(workers or os.cpu_count() or 1, len(jobs))
        if n <= 1 or not can_fork():
            return [_draw_job(dict(j)) for j in jobs]
        chunk = max(1, min(16, len(jobs) // (4 * n)))
        # the layers are shared through _SHARED, set above and inherited by the workers
        return forked_map(
            _draw_shared_job, [dict(j) for j in jobs], None, workers=n, chunksize=chunk
        )
    finally:
        _SHARED = {}


def _draw_shared_job(_: None, job: dict[str, Any]) -> Path:
    return _draw_job(job)


# layers of the static_maps call in progress (inherited by the forked workers)
_SHARED: dict[str, Any] = {}


def _shared_rows(name: str, ids: Sequence[str]) -> Any:
    """Rows of the shared layer ``name`` of the sites ``ids`` (None without the layer)."""
    layer, at = _SHARED[name]
    return rows_of(layer, at, ids)


def _draw_job(job: dict[str, Any]) -> Path:
    """Draw one job of :func:`static_maps` with the shared layers."""
    s = _SHARED
    ids = [str(i) for i in job["site_ids"]] if "site_ids" in job else [str(job["site_id"])]
    kwargs = {
        "zones": _shared_rows("zones", ids),
        "river_paths": _shared_rows("river_paths", ids),
        "borders": s["borders"],
        "origin": job.get("origin"),
        "affected": job.get("affected"),
        "title": job.get("title"),
        "note": job.get("note"),
        "size_px": s["size_px"],
        "dpi": s["dpi"],
        "lang": check_map_lang(job.get("lang", s["lang"])),
    }
    sites = _shared_rows("sites", ids)
    if "site_ids" in job:
        from hazid.maps.static_group import static_group_map  # it builds on this module

        return static_group_map(sites, ids, job["path"], labels=job.get("labels"), **kwargs)
    return static_map(sites, job["site_id"], job["path"], **kwargs)
