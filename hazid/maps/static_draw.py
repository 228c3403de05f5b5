"""Drawing steps of the static PNG map, in the site's local azimuthal equidistant projection.

Countries (named in the language of the map), the affected Party shaded and the Party of
origin outlined (dashed), the consequence zones, the river trace and the site, a scale bar and
a north arrow. Colours and symbols are those of the HTML map (:mod:`hazid.maps.styles`). The
legend lists only what is visible in the frame; a zone smaller than the site symbol is named in
the small print instead. Every text taken from the inputs is drawn as plain text (no mathtext).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import CRS

from hazid.maps.base import _simplify_to_pixels
from hazid.maps.labels import country_name, text
from hazid.maps.projection import from_local, to_local_layer
from hazid.maps.styles import (
    _AFFECTED_STYLE,
    _COUNTRY_STYLE,
    _DATA_END_STYLE,
    _LABEL_COLOUR,
    _ORIGIN_STYLE,
    _OTHER_ZONE_COLOUR,
    _TRACE_STYLE,
    _ZONE_STYLE,
    SITE_STATUS_STYLE,
    ZONE_COLOURS,
)

#: Diameter of the site symbol in points.
_SITE_MARKER_PT = 11.0
# Leaflet widths are pixels of a 96 dpi screen: 1 px = 0.75 pt
_PX_TO_PT = 0.75
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


@dataclass(frozen=True)
class _Window:
    """Map frame in the site's local projection (metres)."""

    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def box(self) -> shapely.Polygon:
        """The frame as a polygon."""
        return shapely.box(self.x0, self.y0, self.x1, self.y1)


@dataclass
class _Legend:
    """Legend entries of what is visible, and notes for the small print."""

    lang: str
    handles: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def t(self, message: str) -> str:
        """Translate ``message`` into the language of the map."""
        return text(message, self.lang)


#: Shared simplifications of the borders for print (Web Mercator metres).
_PRINT_LEVELS_M = (100.0, 400.0, 1_600.0)
_PRINT_CACHE: dict[int, tuple[weakref.ref, dict[float, gpd.GeoDataFrame]]] = {}


def _print_borders(
    b_all: gpd.GeoDataFrame, win: _Window, lat: float, width_px: float
) -> gpd.GeoDataFrame:
    """Return the borders simplified to half a pixel of the map, shared by the maps of a run.

    Levels of :data:`_PRINT_LEVELS_M` are made once per borders layer (in Web Mercator, see
    :func:`hazid.maps.base._simplify_to_pixels`); the coarsest level not above half a pixel
    of this map (pixel size at the site's latitude) is used, or the borders as they are when
    even the finest level is too coarse.
    """
    px_m = (win.x1 - win.x0) / max(width_px, 1.0)
    merc_half_px = 0.5 * px_m / max(math.cos(math.radians(min(abs(lat), 85.0))), 1e-6)
    fitting = [lv for lv in _PRINT_LEVELS_M if lv <= merc_half_px]
    if not fitting:
        return b_all
    return _print_level(b_all, fitting[-1])


def _print_level(b_all: gpd.GeoDataFrame, level: float) -> gpd.GeoDataFrame:
    """Return the borders simplified to ``level`` metres (Web Mercator), made once per layer."""
    ref, levels = _PRINT_CACHE.get(id(b_all), (None, None))
    if ref is None or ref() is not b_all:
        levels = {}
        _PRINT_CACHE.clear()  # one borders layer per run
        _PRINT_CACHE[id(b_all)] = (weakref.ref(b_all), levels)
    if level not in levels:
        geoms = shapely.clip_by_rect(b_all.geometry.to_numpy(), -180.0, -85.0, 180.0, 85.0)
        levels[level] = b_all.set_geometry(
            gpd.GeoSeries(_simplify_to_pixels(geoms, level), index=b_all.index, crs=b_all.crs)
        )
    return levels[level]


def _prepare_print_borders(b_all: gpd.GeoDataFrame) -> None:
    """Make every print level of the borders and their spatial indexes now.

    Worker processes forked afterwards share them instead of each making its own.
    """
    b_all.sindex  # noqa: B018 (built once, here)
    for level in _PRINT_LEVELS_M:
        _print_level(b_all, level).sindex  # noqa: B018


def _origin_dashes() -> tuple[float, ...]:
    """Dash pattern of the Party-of-origin outline, in line widths (as on the HTML map)."""
    on, off = (float(v) for v in str(_ORIGIN_STYLE["dashArray"]).split())
    w = float(_ORIGIN_STYLE["weight"])
    return (on / w, off / w)


def _countries_in_window(b_all: gpd.GeoDataFrame, crs: CRS, win: _Window) -> gpd.GeoDataFrame:
    """Countries clipped to the frame, projected, with their true boundaries in ``_lines``.

    Polygons are first clipped in lon/lat to the frame plus half a degree, so that far parts
    of large countries are never projected about the site.
    """
    tr = from_local(crs)
    lo0, la0, lo1, la1 = tr.transform_bounds(win.x0, win.y0, win.x1, win.y1, densify_pts=41)
    pad = 0.5
    lonlat = shapely.box(lo0 - pad, la0 - pad, lo1 + pad, la1 + pad)
    b = b_all.iloc[np.sort(b_all.sindex.query(lonlat, predicate="intersects"))]
    if not len(b):
        return b
    b = b.copy()
    b["geometry"] = shapely.clip_by_rect(
        b.geometry.values, lo0 - pad, la0 - pad, lo1 + pad, la1 + pad
    )
    b = to_local_layer(b, crs)
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
    affected: list[str],
    legend: _Legend,
    m_per_pt: float,
) -> None:
    """Countries, the affected Party shaded, the Party of origin outlined, country names."""
    b = _countries_in_window(b_all, crs, win)
    if not len(b):
        return
    iso = b["iso_a3"].astype(str)
    names = _names(b, iso, legend.lang)
    b.plot(ax=ax, facecolor=_COUNTRY_STYLE["fillColor"], edgecolor="none", zorder=1)
    aff_style = {
        "facecolor": _AFFECTED_STYLE["fillColor"],
        "alpha": _AFFECTED_STYLE["fillOpacity"],
    }
    shaded = iso.isin(affected)
    if shaded.any():
        b.loc[shaded].plot(ax=ax, edgecolor="none", zorder=2, **aff_style)
    outl = gpd.GeoDataFrame({"iso_a3": iso.to_numpy()}, geometry=b["_lines"].to_numpy(), crs=crs)
    outl = outl.loc[~outl.geometry.is_empty]
    border = {"color": _COUNTRY_STYLE["color"], "linewidth": 0.8}
    if len(outl):
        outl.plot(ax=ax, zorder=2.5, **border)
    own = outl.loc[outl["iso_a3"] == origin] if origin else outl.iloc[:0]
    if len(own):
        own.plot(
            ax=ax,
            zorder=5,
            color=_ORIGIN_STYLE["color"],
            linewidth=float(_ORIGIN_STYLE["weight"]) * _PX_TO_PT,
            linestyle=(0, _origin_dashes()),
        )
    _country_handles(
        legend,
        names,
        border=bool(len(outl)),
        affected=[a for a in affected if a in set(iso[shaded])],
        origin=origin if len(own) else None,
    )
    _label_countries(ax, b, iso, names, win, m_per_pt)


def _country_handles(
    legend: _Legend,
    names: dict[str, str],
    *,
    border: bool,
    affected: list[str],
    origin: str | None,
) -> None:
    """Add the legend entries of the countries: borders, affected Parties, Party of origin."""
    if border:
        line = {"color": _COUNTRY_STYLE["color"], "linewidth": 0.8}
        legend.handles.append(Line2D([], [], label=legend.t("Country border"), **line))
    if affected:
        name = ", ".join(names.get(a, a) for a in affected)
        legend.handles.append(
            Patch(
                edgecolor=_AFFECTED_STYLE["color"],
                label=legend.t("{iso} (affected Party)").format(iso=name),
                facecolor=_AFFECTED_STYLE["fillColor"],
                alpha=_AFFECTED_STYLE["fillOpacity"],
            )
        )
    if origin:
        name = names.get(origin, origin)
        legend.handles.append(
            Line2D(
                [],
                [],
                label=legend.t("{iso} (Party of origin)").format(iso=name),
                color=_ORIGIN_STYLE["color"],
                linewidth=float(_ORIGIN_STYLE["weight"]) * _PX_TO_PT,
                dashes=_origin_dashes(),
            )
        )


def _names(b: gpd.GeoDataFrame, iso: Any, lang: str) -> dict[str, str]:
    """Name of each country in ``lang``; else the ``name`` of the borders; else the code."""
    given = b["name"].astype(object).where(b["name"].notna(), "") if "name" in b else iso
    return {
        code: country_name(code, lang, str(alt).strip() or code)
        for code, alt in zip(iso, given, strict=True)
    }


def _label_countries(
    ax: Axes,
    b: gpd.GeoDataFrame,
    iso: Any,
    names: dict[str, str],
    win: _Window,
    m_per_pt: float,
) -> None:
    """Country names inside each country, clear of the frame edge and of the site symbol.

    A name is placed at a point of the country's largest visible part that keeps the whole
    name inside the frame and off the site; a country too small for its name is not named
    (the legend names the Parties).
    """
    size_pt = 9.0
    for code, geom in zip(iso, b.geometry, strict=True):
        if geom.area <= 0:
            continue
        label = names[code]
        half_w = 0.3 * size_pt * len(label) * m_per_pt  # about 0.6 em per character
        half_h = 0.6 * size_pt * m_per_pt
        p = _label_point(geom, win, half_w, half_h, _SITE_MARKER_PT * m_per_pt)
        if p is None:
            continue
        ax.text(
            p.x,
            p.y,
            label,
            ha="center",
            va="center",
            fontsize=size_pt,
            color=_LABEL_COLOUR,
            zorder=6,
            parse_math=False,
            path_effects=_HALO,
        )


def _label_point(
    geom: Any, win: _Window, half_w: float, half_h: float, site_r: float
) -> shapely.Point | None:
    """Pick a label point in the largest part of ``geom`` (None if the name does not fit).

    The point lies in the frame shrunk by the half size of the label, outside a box around the
    site (at the origin of the projection) as large as the label plus the site symbol.
    """
    parts = shapely.get_parts(geom)
    part = parts[int(np.argmax(shapely.area(parts)))]
    inner = shapely.box(win.x0 + half_w, win.y0 + half_h, win.x1 - half_w, win.y1 - half_h)
    keep_off = shapely.box(-half_w - site_r, -half_h - site_r, half_w + site_r, half_h + site_r)
    room = shapely.difference(shapely.intersection(part, inner), keep_off)
    if room.is_empty or room.area < 4 * half_w * half_h * 0.25:
        return None
    return room.representative_point()


def _draw_zones(
    ax: Axes, z: gpd.GeoDataFrame, crs: CRS, legend: _Legend, *, min_radius_m: float
) -> None:
    """Consequence zones, largest first, coloured by hazard.

    Zones whose equivalent radius (area in the local projection, metres) is below
    ``min_radius_m`` are hidden under the site symbol: they are listed in the small print,
    not in the legend.
    """
    z = z.assign(_area=z.geometry.area).sort_values(["_area", "hazard"], ascending=[False, True])
    shown: list[str] = []
    hidden: list[str] = []
    for hazard, geom, area in zip(z["hazard"].astype(str), z.geometry, z["_area"], strict=True):
        colour = ZONE_COLOURS.get(hazard, _OTHER_ZONE_COLOUR)
        gpd.GeoSeries([geom], crs=crs).plot(
            ax=ax,
            facecolor=(*_rgb(colour), _ZONE_STYLE["fillOpacity"]),
            edgecolor=colour,
            linewidth=float(_ZONE_STYLE["weight"]) * _PX_TO_PT,
            zorder=3,
        )
        radius = math.sqrt(area / math.pi)
        if radius >= 1.5 * min_radius_m:  # a thin ring around the symbol is not a zone
            if hazard not in shown:
                shown.append(hazard)
        else:
            km = legend.t("{value} km").format(value=f"{radius / 1000:.2g}")
            hidden.append(f"{legend.t('{hazard} zone').format(hazard=legend.t(hazard))} ({km})")
    _zone_handles(legend, shown)
    if hidden:
        legend.notes.append(f"{legend.t('Too small to show at this scale')}: {', '.join(hidden)}.")


def _zone_handles(legend: _Legend, shown: list[str]) -> None:
    """Add a legend entry for each zone hazard drawn on the map."""
    for hazard in shown:
        colour = ZONE_COLOURS.get(hazard, _OTHER_ZONE_COLOUR)
        legend.handles.append(
            Patch(
                facecolor=(*_rgb(colour), _ZONE_STYLE["fillOpacity"] * 2),
                edgecolor=colour,
                label=legend.t("{hazard} zone").format(hazard=legend.t(hazard)),
            )
        )


def _rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` as an RGB triple of floats."""
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _draw_river_and_site(
    ax: Axes, r: gpd.GeoDataFrame | None, win: _Window, legend: _Legend
) -> None:
    """River trace downstream, then the site (the notifying-site symbol of the HTML map)."""
    trace = {
        "color": _TRACE_STYLE["color"],
        "alpha": _TRACE_STYLE["opacity"],
        "linewidth": 2.0,
    }
    if r is not None:
        lines = r.loc[shapely.get_dimensions(r.geometry.to_numpy()) > 0]
        if len(lines):
            lines.plot(ax=ax, zorder=4, **trace)
        if shapely.intersects(win.box, lines.geometry.to_numpy()).any():
            legend.handles.append(Line2D([], [], label=legend.t("River trace downstream"), **trace))
        _draw_data_ends(ax, r, legend)
    st = SITE_STATUS_STYLE["notify"]
    star = {
        "marker": "o",
        "color": st["fillColor"],
        "markeredgecolor": st["color"],
        "markeredgewidth": 1.2,
        "linestyle": "none",
    }
    ax.plot([0.0], [0.0], markersize=_SITE_MARKER_PT, zorder=7, **star)
    legend.handles.append(
        Line2D(
            [], [], markersize=_SITE_MARKER_PT * 0.8, label=legend.t("Hazardous activity"), **star
        )
    )


def _draw_data_ends(ax: Axes, r: gpd.GeoDataFrame, legend: _Legend) -> None:
    """Points of ``r`` (river paths in map units): where the traces leave the river data."""
    geoms = r.geometry.to_numpy()
    pts = geoms[shapely.get_dimensions(geoms) == 0]
    if not len(pts):
        return
    style = {
        "marker": "D",
        "color": _DATA_END_STYLE["fillColor"],
        "markeredgecolor": _DATA_END_STYLE["color"],
        "markeredgewidth": 1.2,
        "linestyle": "none",
    }
    ax.plot(shapely.get_x(pts), shapely.get_y(pts), markersize=7, zorder=6, **style)
    label = legend.t("End of the river data (not assessed beyond)")
    legend.handles.append(Line2D([], [], markersize=6, label=label, **style))


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


def _length_label(metres: float, lang: str = "en") -> str:
    if metres >= 1000:
        km = metres / 1000
        value = f"{km:.0f}" if km >= 1 and km == int(km) else f"{km:g}"
        return text("{value} km", lang).format(value=value)
    return text("{value} m", lang).format(value=f"{metres:.0f}")


def _draw_scale_bar(ax: Axes, win: _Window, lang: str = "en") -> None:
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
    style = {"ha": "center", "va": "bottom", "fontsize": 8, "zorder": 8, "path_effects": _HALO}
    ax.text(bx, by + 2.2 * bh, "0", **style)
    ax.text(bx + bar, by + 2.2 * bh, _length_label(bar, lang), **style)


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
        path_effects=_HALO,
    )
