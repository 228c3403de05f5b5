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

import functools
import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath
from matplotlib.transforms import IdentityTransform
from pyproj import Transformer

from hazid.errors import GeodataError
from hazid.maps.labels import check_map_lang, text
from hazid.maps.static import (
    _codes,
    _draw_footer,
    _legend_loc,
    _map_window,
    _require_crs,
    _save,
    _usable_borders,
    local_crs,
)
from hazid.maps.static_draw import (
    _PX_TO_PT,
    _SITE_MARKER_PT,
    _draw_countries,
    _draw_north_arrow,
    _draw_scale_bar,
    _Legend,
    _print_borders,
    _rgb,
)
from hazid.maps.styles import (
    _OTHER_ZONE_COLOUR,
    _SEA_COLOUR,
    _TRACE_STYLE,
    _ZONE_STYLE,
    SITE_STATUS_STYLE,
    ZONE_COLOURS,
)

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
    return _save(fig, path, dpi, ", ".join(ids))


def _rows(layer: gpd.GeoDataFrame | None, label: str, ids: list[str]) -> gpd.GeoDataFrame | None:
    """Rows of ``layer`` of the sites ``ids`` with a geometry (None if there are none)."""
    if layer is None or not len(layer):
        return None
    _require_crs(layer, label)
    sel = layer.loc[layer["site_id"].astype(str).isin(ids)]
    sel = sel.loc[sel.geometry.notna() & ~sel.geometry.is_empty]
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
    lons, lats = _locations(sites, ids)
    lon, lat = _centre(lons, lats)
    crs = local_crs(lon, lat)
    to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = (np.asarray(v, dtype=float) for v in to_map.transform(lons, lats))
    z = None if zones is None else zones.to_crs(crs)
    r = None if river_paths is None else river_paths.to_crs(crs)
    width_px, height_px = int(size_px[0]), int(size_px[1])
    ax_box = (0.03, 0.08, 0.94, 0.84)
    win = _map_window(
        z, r, borders, affected, crs, ax_box, width_px, height_px, shapely.points(xs, ys)
    )
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes(ax_box)
    ax.set_facecolor(_SEA_COLOUR)
    m_per_pt = (win.x1 - win.x0) / (ax_box[2] * width_px) * dpi / 72.0
    legend = _Legend(lang=lang)
    if borders is not None:
        b_print = _print_borders(borders, win, lat, ax_box[2] * width_px)
        _draw_countries(ax, b_print, crs, win, origin, _codes(affected), legend, m_per_pt)
    if z is not None:
        _zone_collection(ax, z, legend, min_radius_m=_SITE_MARKER_PT / 2 * m_per_pt)
    _traces_and_sites(ax, r, win, xs, ys, names, legend)
    ax.set_xlim(win.x0, win.x1)
    ax.set_ylim(win.y0, win.y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _draw_scale_bar(ax, win, lang)
    _draw_north_arrow(ax)
    sx = float(np.mean((xs - win.x0) / (win.x1 - win.x0)))
    sy = float(np.mean((ys - win.y0) / (win.y1 - win.y0)))
    leg = ax.legend(handles=legend.handles, loc=_legend_loc(sx, sy), fontsize=8, framealpha=0.9)
    for t in leg.get_texts():
        t.set_parse_math(False)
    fig.suptitle(title or ", ".join(ids), fontsize=12, y=0.97, parse_math=False)
    shows = text(
        "This map of the pair shows {n} of its activities, each labelled with its number in "
        "the dossier.",
        lang,
    ).format(n=len(ids))
    small = " ".join([shows, *legend.notes, *([note] if note else [])])
    _draw_footer(fig, lon, lat, small, width_px, dpi, lang, on_site=False)
    return fig


def _polygon_path(geom: shapely.Geometry) -> MplPath | None:
    """One matplotlib path of the polygons of ``geom`` (holes included), or None."""
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for part in shapely.get_parts(geom):
        if not isinstance(part, shapely.Polygon) or part.is_empty:
            continue
        for ring in (part.exterior, *part.interiors):
            xy = shapely.get_coordinates(ring)
            c = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    return MplPath(np.concatenate(verts), np.concatenate(codes)) if verts else None


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
    for hazard, geom, area in zip(z["hazard"].astype(str), z.geometry, z["_area"], strict=True):
        p = _polygon_path(geom)
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
    for hazard in shown:
        colour = ZONE_COLOURS.get(hazard, _OTHER_ZONE_COLOUR)
        legend.handles.append(
            Patch(
                facecolor=(*_rgb(colour), _ZONE_STYLE["fillOpacity"] * 2),
                edgecolor=colour,
                label=legend.t("{hazard} zone").format(hazard=legend.t(hazard)),
            )
        )
    if hidden:
        items = [
            f"{legend.t('{hazard} zone').format(hazard=legend.t(h))} "
            f"(\u2264 {legend.t('{value} km').format(value=f'{r / 1000:.2g}')})"
            for h, r in hidden.items()
        ]
        legend.notes.append(f"{legend.t('Too small to show at this scale')}: {', '.join(items)}.")


#: Size (points) of the labels of the sites.
_LABEL_PT = 8.0
_LABEL_FONT = FontProperties(weight="bold")


@functools.lru_cache(maxsize=65536)
def _label_path(label: str) -> MplPath:
    """Outline of ``label`` in points, baseline at 0 (made once per label and process)."""
    tp = TextPath((0.0, 0.0), label, size=_LABEL_PT, prop=_LABEL_FONT)
    return MplPath(tp.vertices.copy(), tp.codes.copy())


def _site_labels(ax: Axes, xs: np.ndarray, ys: np.ndarray, names: list[str]) -> None:
    """Label every site above right of its symbol: black text with a white halo.

    The labels are two path collections (halo, then text) of glyph outlines placed at the
    sites, as fast for hundreds of labels as for one; they are clipped to the frame.
    """
    dpi = ax.figure.dpi  # type: ignore[union-attr]
    px = dpi / 72.0
    shift = 0.6 * _SITE_MARKER_PT
    paths = []
    for name in names:
        p = _label_path(name)
        paths.append(MplPath((p.vertices + shift) * px, p.codes))
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


def _traces_and_sites(
    ax: Axes,
    r: gpd.GeoDataFrame | None,
    win: object,
    xs: np.ndarray,
    ys: np.ndarray,
    names: list[str],
    legend: _Legend,
) -> None:
    """River traces as one line collection, then every site symbol with its label."""
    trace = {"color": _TRACE_STYLE["color"], "alpha": _TRACE_STYLE["opacity"], "linewidth": 2.0}
    if r is not None:
        geoms = r.geometry.to_numpy()
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
    st = SITE_STATUS_STYLE["notify"]
    star = {
        "marker": "o",
        "color": st["fillColor"],
        "markeredgecolor": st["color"],
        "markeredgewidth": 1.2,
        "linestyle": "none",
    }
    ax.plot(xs, ys, markersize=_SITE_MARKER_PT, zorder=7, **star)
    _site_labels(ax, xs, ys, names)
    legend.handles.append(
        Line2D(
            [],
            [],
            markersize=_SITE_MARKER_PT * 0.8,
            label=legend.t("Hazardous activity (number in the dossier)"),
            **star,
        )
    )
