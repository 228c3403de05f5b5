"""Static PNG maps of one hazardous activity for notification dossiers.

The map is drawn with matplotlib's Agg renderer, offline, in a local azimuthal equidistant
projection centred on the site (WGS 84 ellipsoid, metres), so the scale bar is true along any
line through the site and grid north at the site is straight up. Output is deterministic: the
same inputs give the same bytes (no timestamp or software tag is written into the PNG).
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import CRS, Transformer
from shapely.ops import nearest_points

from hazid.errors import CRSError, GeodataError, OutputError
from hazid.maps.styles import (
    _AFFECTED_FILL,
    _BORDER,
    _ORIGIN_EDGE,
    _OTHER_HAZARD,
    _RIVER,
    HAZARD_COLOURS,
)

logger = logging.getLogger(__name__)

__all__ = ["HAZARD_COLOURS", "local_crs", "static_map"]


def local_crs(lon: float, lat: float) -> CRS:
    """Azimuthal equidistant CRS (metres, WGS 84) centred on ``lon``, ``lat``.

    Parameters
    ----------
    lon, lat : float
        Centre in degrees.

    Returns
    -------
    pyproj.CRS

    Examples
    --------
    >>> local_crs(68.0, 42.5).coordinate_operation.method_name
    'Azimuthal Equidistant'
    """
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.8f} +lon_0={lon:.8f} +datum=WGS84 +units=m +no_defs"
    )


def _require_crs(layer: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if layer.crs is None:
        raise CRSError(f"{name} layer has no CRS; set it (e.g. EPSG:4326) before mapping")
    return layer


def _nice_length(target_m: float) -> float:
    """Largest 1, 2 or 5 x 10^n metres not above ``target_m``."""
    if not target_m > 0:
        return 1000.0
    exp = math.floor(math.log10(target_m))
    best = 10.0**exp
    for mult in (1.0, 2.0, 5.0):
        if mult * 10.0**exp <= target_m:
            best = mult * 10.0**exp
    return best


def _length_label(metres: float) -> str:
    if metres >= 1000:
        km = metres / 1000
        return f"{km:.0f} km" if km >= 1 and km == int(km) else f"{km:g} km"
    return f"{metres:.0f} m"


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
    affected: str | None = None,
    title: str | None = None,
    note: str | None = None,
    size_px: Sequence[int] = (1200, 900),
    dpi: int = 150,
) -> Path:
    """Draw one activity's transboundary map to a PNG file.

    The map shows the site, its consequence zones, its downstream river trace, country
    borders, the affected Party shaded and the Party of origin outlined, with a scale bar,
    a north arrow and a legend (in the lower-right or upper-left corner, whichever is
    farther from the site). Everything is projected to the site's local azimuthal
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
    origin, affected : str, optional
        ISO3 codes of the Party of origin (outlined) and the affected Party (shaded, and kept
        inside the map frame).
    title, note : str, optional
        Title above and small print below the map.
    size_px : (int, int)
        Width and height of the PNG in pixels.
    dpi : int
        Resolution used to lay out fonts and line widths.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    GeodataError
        If ``site_id`` is not in ``sites`` or has no coordinates.
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
    ax.set_facecolor("#eef3f7")
    handles: list = []
    if b_all is not None:
        _draw_countries(ax, b_all, crs, win, origin, affected, handles)
    if z is not None:
        _draw_zones(ax, z, crs, handles)
    _draw_river_and_site(ax, r, handles)
    ax.set_xlim(win.x0, win.x1)
    ax.set_ylim(win.y0, win.y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _draw_scale_bar(ax, win)
    _draw_north_arrow(ax)
    loc = _legend_loc((0.0 - win.x0) / (win.x1 - win.x0), (0.0 - win.y0) / (win.y1 - win.y0))
    ax.legend(handles=handles, loc=loc, fontsize=8, framealpha=0.9)
    fig.suptitle(title or f"{name} ({site_id})", fontsize=12, y=0.97)
    _draw_footer(fig, lon, lat, note, width_px, dpi)
    return _save(fig, path, dpi, site_id)


@dataclass(frozen=True)
class _Window:
    """Map frame in the site's local projection (metres)."""

    x0: float
    x1: float
    y0: float
    y1: float


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
    sel = sel.loc[sel.geometry.notna() & ~sel.geometry.is_empty]
    return sel.to_crs(crs) if len(sel) else None


def _usable_borders(borders: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Country polygons with a geometry (None without borders)."""
    if borders is None or not len(borders):
        return None
    _require_crs(borders, "borders")
    return borders.loc[borders.geometry.notna() & ~borders.geometry.is_empty]


def _map_window(
    z: gpd.GeoDataFrame | None,
    r: gpd.GeoDataFrame | None,
    b_all: gpd.GeoDataFrame | None,
    affected: str | None,
    crs: CRS,
    ax_box: tuple[float, float, float, float],
    width_px: int,
    height_px: int,
) -> _Window:
    """Frame the site, its zones, its river trace and the nearest part of the affected Party.

    A 15 % margin is added, the frame is at least 10 km across and has the aspect of the axes.
    """
    parts = [shapely.Point(0.0, 0.0)]
    if z is not None:
        parts.extend(z.geometry)
    if r is not None:
        parts.extend(r.geometry)
    if b_all is not None and affected:
        aff = b_all.loc[b_all["iso_a3"].astype(str) == affected]
        if len(aff):
            # nearest point part by part: a whole country projected about a distant
            # site can be invalid (a union of it raises), a distance never fails
            centre = shapely.Point(0.0, 0.0)
            polys = shapely.get_parts(aff.to_crs(crs).geometry.to_numpy())
            polys = polys[~shapely.is_empty(polys)]
            if len(polys):
                k = int(np.argmin(shapely.distance(centre, polys)))
                parts.append(nearest_points(centre, polys[k])[1])
    xmin, ymin, xmax, ymax = shapely.GeometryCollection(parts).bounds
    half = max(xmax - xmin, ymax - ymin, 10_000.0) / 2 * 1.15
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    aspect = (ax_box[2] * width_px) / (ax_box[3] * height_px)
    hx, hy = (half * aspect, half) if aspect >= 1 else (half, half / aspect)
    return _Window(cx - hx, cx + hx, cy - hy, cy + hy)


def _countries_in_window(b_all: gpd.GeoDataFrame, crs: CRS, win: _Window) -> gpd.GeoDataFrame:
    """Countries clipped to the frame, projected, with their true boundaries in ``_lines``.

    Polygons are first clipped in lon/lat to the frame plus half a degree, so that far parts
    of large countries are never projected about the site.
    """
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lo0, la0, lo1, la1 = tr.transform_bounds(win.x0, win.y0, win.x1, win.y1, densify_pts=41)
    pad = 0.5
    b = b_all.loc[b_all.intersects(shapely.box(lo0 - pad, la0 - pad, lo1 + pad, la1 + pad))]
    if not len(b):
        return b
    b = b.copy()
    b["geometry"] = shapely.clip_by_rect(
        b.geometry.values, lo0 - pad, la0 - pad, lo1 + pad, la1 + pad
    )
    b = b.to_crs(crs)
    # Outlines come from the true boundaries, so the frame edge is never drawn as one.
    lines = shapely.clip_by_rect(
        shapely.boundary(b.geometry.values), win.x0, win.y0, win.x1, win.y1
    )
    b["geometry"] = shapely.clip_by_rect(b.geometry.values, win.x0, win.y0, win.x1, win.y1)
    b["_lines"] = lines
    return b.loc[~b.geometry.is_empty].sort_values("iso_a3", kind="stable")


def _draw_countries(
    ax: Axes,
    b_all: gpd.GeoDataFrame,
    crs: CRS,
    win: _Window,
    origin: str | None,
    affected: str | None,
    handles: list,
) -> None:
    """Countries, the affected Party shaded, the Party of origin outlined, ISO3 labels."""
    b = _countries_in_window(b_all, crs, win)
    if not len(b):
        return
    iso = b["iso_a3"].astype(str)
    b.plot(ax=ax, facecolor="#f7f7f2", edgecolor="none", zorder=1)
    if affected and (iso == affected).any():
        b.loc[iso == affected].plot(ax=ax, facecolor=_AFFECTED_FILL, edgecolor="none", zorder=2)
    outl = gpd.GeoDataFrame({"iso_a3": iso.to_numpy()}, geometry=b["_lines"].to_numpy(), crs=crs)
    outl = outl.loc[~outl.geometry.is_empty]
    if len(outl):
        outl.plot(ax=ax, color=_BORDER, linewidth=0.8, zorder=2.5)
    handles.append(Line2D([], [], color=_BORDER, linewidth=0.8, label="Country border"))
    if affected and (iso == affected).any():
        handles.append(
            Patch(facecolor=_AFFECTED_FILL, edgecolor=_BORDER, label=f"{affected} (affected Party)")
        )
    own = outl.loc[outl["iso_a3"] == origin] if origin else outl.iloc[:0]
    if len(own):
        own.plot(ax=ax, color=_ORIGIN_EDGE, linewidth=2.0, zorder=5)
        handles.append(
            Line2D([], [], color=_ORIGIN_EDGE, linewidth=2.0, label=f"{origin} (Party of origin)")
        )
    for code, geom in zip(iso, b.geometry, strict=True):
        if geom.area <= 0:
            continue
        p = geom.representative_point()
        ax.text(
            p.x,
            p.y,
            code,
            ha="center",
            va="center",
            fontsize=9,
            color="#555555",
            alpha=0.8,
            zorder=6,
        )


def _draw_zones(ax: Axes, z: gpd.GeoDataFrame, crs: CRS, handles: list) -> None:
    """Consequence zones, largest first, coloured by hazard."""
    z = z.assign(_area=z.geometry.area).sort_values(["_area", "hazard"], ascending=[False, True])
    seen: list[str] = []
    for hazard, geom in zip(z["hazard"].astype(str), z.geometry, strict=True):
        colour = HAZARD_COLOURS.get(hazard, _OTHER_HAZARD)
        gpd.GeoSeries([geom], crs=crs).plot(
            ax=ax, facecolor=colour, edgecolor=colour, alpha=0.35, linewidth=1.2, zorder=3
        )
        if hazard not in seen:
            seen.append(hazard)
    for hazard in seen:
        colour = HAZARD_COLOURS.get(hazard, _OTHER_HAZARD)
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.5, label=f"{hazard} zone"))


def _draw_river_and_site(ax: Axes, r: gpd.GeoDataFrame | None, handles: list) -> None:
    """River trace downstream, then the site as a star at the centre of the projection."""
    if r is not None:
        r.plot(ax=ax, color=_RIVER, linewidth=2.0, zorder=4)
        handles.append(Line2D([], [], color=_RIVER, linewidth=2.0, label="River trace downstream"))
    star = {"marker": "*", "color": "#e31a1c", "markeredgecolor": "black", "linestyle": "none"}
    ax.plot([0.0], [0.0], markersize=16, zorder=7, **star)
    handles.append(Line2D([], [], markersize=12, label="Hazardous activity", **star))


def _draw_scale_bar(ax: Axes, win: _Window) -> None:
    """Draw a scale bar in the lower-left corner.

    Its length is true: the projection is equidistant from the site.
    """
    span = win.x1 - win.x0
    bar = _nice_length(span / 5)
    bx, by = win.x0 + 0.04 * span, win.y0 + 0.05 * (win.y1 - win.y0)
    bh = 0.012 * (win.y1 - win.y0)
    ax.add_patch(Rectangle((bx, by), bar / 2, bh, facecolor="black", edgecolor="black", zorder=8))
    ax.add_patch(
        Rectangle((bx + bar / 2, by), bar / 2, bh, facecolor="white", edgecolor="black", zorder=8)
    )
    ax.text(bx, by + 2.2 * bh, "0", ha="center", va="bottom", fontsize=8, zorder=8)
    ax.text(
        bx + bar, by + 2.2 * bh, _length_label(bar), ha="center", va="bottom", fontsize=8, zorder=8
    )


def _draw_north_arrow(ax: Axes) -> None:
    """North arrow in the upper-right corner (grid north at the site is up)."""
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.84),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
        zorder=9,
    )


def _draw_footer(
    fig: Figure, lon: float, lat: float, note: str | None, width_px: int, dpi: int
) -> None:
    """Small print below the map: the projection and its centre, then ``note``."""
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    footer = (
        f"Azimuthal equidistant projection centred on the site ({abs(lat):.4f}\u00b0 {ns}, "
        f"{abs(lon):.4f}\u00b0 {ew}), WGS 84."
    )
    if note:
        footer += " " + note
    # About 0.55 em per character at 7 pt: wrap the small print to the figure width.
    chars = max(40, int(0.94 * width_px / (7 * dpi / 72 * 0.55)))
    fig.text(
        0.03,
        0.012,
        "\n".join(textwrap.wrap(footer, chars)),
        fontsize=7,
        color="#333333",
        ha="left",
        va="bottom",
    )


def _save(fig: Figure, path: str | Path, dpi: int, site_id: str) -> Path:
    """Write the PNG (no timestamp or software tag, so the bytes are reproducible)."""
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi, format="png", metadata={"Software": None})
    except OSError as err:
        raise OutputError(f"cannot write map {out}: {err}") from err
    logger.debug("map of %s written to %s", site_id, out)
    return out
