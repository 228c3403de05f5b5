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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import CRS, Transformer
from shapely.ops import nearest_points

from hazid.errors import CRSError, GeodataError, OutputError

logger = logging.getLogger(__name__)

__all__ = ["HAZARD_COLOURS", "local_crs", "static_map"]

#: Fill colour of each consequence-zone hazard on static maps.
HAZARD_COLOURS: dict[str, str] = {
    "toxic": "#7b3294",
    "explosion": "#d7191c",
    "fireball": "#f46d43",
    "fire": "#fdae61",
}
_OTHER_HAZARD = "#999999"
_AFFECTED_FILL = "#fde0b6"
_ORIGIN_EDGE = "#08306b"
_RIVER = "#2171b5"
_BORDER = "#7f7f7f"


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
    row = sites.loc[sites["site_id"].astype(str) == str(site_id)]
    if row.empty:
        raise GeodataError(f"site {site_id!r} is not in the sites table")
    lon = float(pd.to_numeric(row["lon"], errors="coerce").iloc[0])
    lat = float(pd.to_numeric(row["lat"], errors="coerce").iloc[0])
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise GeodataError(f"site {site_id!r} has no coordinates")
    name = str(row["site_name"].iloc[0]) if "site_name" in row else str(site_id)
    crs = local_crs(lon, lat)

    def _pick(layer: gpd.GeoDataFrame | None, label: str) -> gpd.GeoDataFrame | None:
        if layer is None or len(layer) == 0:
            return None
        _require_crs(layer, label)
        sel = layer.loc[layer["site_id"].astype(str) == str(site_id)]
        sel = sel.loc[sel.geometry.notna() & ~sel.geometry.is_empty]
        return sel.to_crs(crs) if len(sel) else None

    z = _pick(zones, "zones")
    r = _pick(river_paths, "river_paths")

    # Extent: the site, its zones, its river trace and the nearest part of the affected Party.
    parts = [shapely.Point(0.0, 0.0)]
    if z is not None:
        parts.extend(z.geometry)
    if r is not None:
        parts.extend(r.geometry)
    b_all = None
    if borders is not None and len(borders):
        _require_crs(borders, "borders")
        b_all = borders.loc[borders.geometry.notna() & ~borders.geometry.is_empty]
        if affected:
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
    width_px, height_px = int(size_px[0]), int(size_px[1])
    ax_box = (0.03, 0.08, 0.94, 0.84)  # left, bottom, width, height in figure fraction
    aspect = (ax_box[2] * width_px) / (ax_box[3] * height_px)
    hx, hy = (half * aspect, half) if aspect >= 1 else (half, half / aspect)
    x0, x1, y0, y1 = cx - hx, cx + hx, cy - hy, cy + hy

    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes(ax_box)
    ax.set_facecolor("#eef3f7")
    handles: list = []

    if b_all is not None:
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lo0, la0, lo1, la1 = tr.transform_bounds(x0, y0, x1, y1, densify_pts=41)
        pad = 0.5
        b = b_all.loc[b_all.intersects(shapely.box(lo0 - pad, la0 - pad, lo1 + pad, la1 + pad))]
        if len(b):
            b = b.copy()
            b["geometry"] = shapely.clip_by_rect(
                b.geometry.values, lo0 - pad, la0 - pad, lo1 + pad, la1 + pad
            )
            b = b.to_crs(crs)
            # Outlines come from the true boundaries, so the frame edge is never drawn as one.
            lines = shapely.clip_by_rect(shapely.boundary(b.geometry.values), x0, y0, x1, y1)
            b["geometry"] = shapely.clip_by_rect(b.geometry.values, x0, y0, x1, y1)
            b["_lines"] = lines
            b = b.loc[~b.geometry.is_empty].sort_values("iso_a3", kind="stable")
            iso = b["iso_a3"].astype(str)
            b.plot(ax=ax, facecolor="#f7f7f2", edgecolor="none", zorder=1)
            if affected and (iso == affected).any():
                b.loc[iso == affected].plot(
                    ax=ax, facecolor=_AFFECTED_FILL, edgecolor="none", zorder=2
                )
            outl = gpd.GeoDataFrame(
                {"iso_a3": iso.to_numpy()}, geometry=b["_lines"].to_numpy(), crs=crs
            )
            outl = outl.loc[~outl.geometry.is_empty]
            if len(outl):
                outl.plot(ax=ax, color=_BORDER, linewidth=0.8, zorder=2.5)
            handles.append(Line2D([], [], color=_BORDER, linewidth=0.8, label="Country border"))
            if affected and (iso == affected).any():
                handles.append(
                    Patch(
                        facecolor=_AFFECTED_FILL,
                        edgecolor=_BORDER,
                        label=f"{affected} (affected Party)",
                    )
                )
            own = outl.loc[outl["iso_a3"] == origin] if origin else outl.iloc[:0]
            if len(own):
                own.plot(ax=ax, color=_ORIGIN_EDGE, linewidth=2.0, zorder=5)
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=_ORIGIN_EDGE,
                        linewidth=2.0,
                        label=f"{origin} (Party of origin)",
                    )
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

    if z is not None:
        z = z.assign(_area=z.geometry.area).sort_values(
            ["_area", "hazard"], ascending=[False, True]
        )
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
            handles.append(
                Patch(facecolor=colour, edgecolor=colour, alpha=0.5, label=f"{hazard} zone")
            )
    if r is not None:
        r.plot(ax=ax, color=_RIVER, linewidth=2.0, zorder=4)
        handles.append(Line2D([], [], color=_RIVER, linewidth=2.0, label="River trace downstream"))
    ax.plot(
        [0.0],
        [0.0],
        marker="*",
        markersize=16,
        color="#e31a1c",
        markeredgecolor="black",
        linestyle="none",
        zorder=7,
    )
    handles.append(
        Line2D(
            [],
            [],
            marker="*",
            markersize=12,
            color="#e31a1c",
            markeredgecolor="black",
            linestyle="none",
            label="Hazardous activity",
        )
    )

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")

    # Scale bar (true length: the projection is equidistant from the site).
    span = x1 - x0
    bar = _nice_length(span / 5)
    bx, by = x0 + 0.04 * span, y0 + 0.05 * (y1 - y0)
    bh = 0.012 * (y1 - y0)
    ax.add_patch(Rectangle((bx, by), bar / 2, bh, facecolor="black", edgecolor="black", zorder=8))
    ax.add_patch(
        Rectangle((bx + bar / 2, by), bar / 2, bh, facecolor="white", edgecolor="black", zorder=8)
    )
    ax.text(bx, by + 2.2 * bh, "0", ha="center", va="bottom", fontsize=8, zorder=8)
    ax.text(
        bx + bar, by + 2.2 * bh, _length_label(bar), ha="center", va="bottom", fontsize=8, zorder=8
    )
    # North arrow (grid north at the site is up in this projection).
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
    loc = _legend_loc((0.0 - x0) / (x1 - x0), (0.0 - y0) / (y1 - y0))
    ax.legend(handles=handles, loc=loc, fontsize=8, framealpha=0.9)
    fig.suptitle(title or f"{name} ({site_id})", fontsize=12, y=0.97)
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

    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi, format="png", metadata={"Software": None})
    except OSError as err:
        raise OutputError(f"cannot write map {out}: {err}") from err
    logger.debug("map of %s written to %s", site_id, out)
    return out
