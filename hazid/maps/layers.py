"""Layers of the HTML map, one step per layer group.

Drawn in this order: countries, affected Parties, Parties of origin, consequence zones, river
traces with their border crossings, sites.

Each step adds its Leaflet layer(s) to the map and its entries to the legend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from hazid.i18n import format_integer
from hazid.maps.base import BaseMap, _labels_json
from hazid.maps.content import (
    _col,
    _esc,
    _esc_list,
    _esc_series,
    _filled,
    _fmt,
    _is_water,
    _lookup,
    _num_col,
    _nums,
    _site_country,
    _site_popups,
    _swatch,
    _texts,
    _truthy,
)
from hazid.maps.elements import _Labels, _Registry, _VectorLayer
from hazid.maps.geometry import (
    _decimals,
    _entry_parts,
    _feature_collection,
    _feature_parts,
    _point_along_km,
    _project,
    _simplify,
    _simplify_screen,
    _zone_circles,
)
from hazid.maps.kept import Kept
from hazid.maps.labels import text
from hazid.maps.packing import Parted
from hazid.maps.styles import (
    _AFFECTED_STYLE,
    _COUNTRY_STYLE,
    _CROSSING_STYLE,
    _DATA_END_STYLE,
    _ORIGIN_STYLE,
    _OTHER_ZONE_COLOUR,
    _PERMANENT_LABELS_MAX,
    _RUNOUT_STYLE,
    _TRACE_STYLE,
    _ZONE_STYLE,
    _ZONE_TOLERANCE_FRACTION,
    SITE_STATUS_STYLE,
    ZONE_COLOURS,
)

#: sites named in the tooltip of an end of the river data (the rest are counted)
_END_NAMES_MAX = 5


@dataclass
class _Canvas:
    """The map being drawn: the folium map, its layer registry, legend and geometry settings.

    ``country_tol`` is the simplification (Web Mercator metres) of each country of ``base``:
    the detail level near the results, the world level elsewhere.
    """

    m: folium.Map
    registry: _Registry
    legend: dict[str, list[str]]
    bounds: tuple[float, float, float, float]
    crs: pyproj.CRS
    tol: float
    lang: str = "en"
    base: BaseMap | None = None
    country_tol: np.ndarray | None = None
    canvas: bool = False

    def add(self, key: str, name: str, data: str, style: dict[str, Any], **kw: Any) -> None:
        """Add one vector layer (``key`` in the registry, ``name`` in the layer control)."""
        kw.setdefault("canvas", self.canvas)
        self.m.add_child(
            _VectorLayer(registry=self.registry, key=key, name=name, data=data, style=style, **kw)
        )

    def t(self, message: str) -> str:
        """Translate ``message`` into the language of the map."""
        return text(message, self.lang)

    def countries(self, pos: np.ndarray, props: list[dict[str, Any]]) -> str:
        """FeatureCollection of the countries at ``pos`` of the base map."""
        assert self.base is not None and self.country_tol is not None
        texts: dict[int, str] = {}
        for tol in np.unique(self.country_tol[pos]):
            sel = pos[self.country_tol[pos] == tol]
            texts.update(zip(sel.tolist(), self.base.geometry_json(sel, float(tol)), strict=True))
        # in parts: each country is packed once per process (it comes back in many maps)
        return Parted(_feature_parts([texts[p] for p in pos.tolist()], props))


def _add_countries(c: _Canvas, *, tiles: str | None, rank: dict[str, int]) -> None:
    """Every country (the offline base map, complete at every zoom) and its name."""
    assert c.base is not None
    assert c.country_tol is not None
    pos = np.arange(len(c.base.iso))
    style = {**_COUNTRY_STYLE, "pane": "hazidCountries", "className": "hazid-country"}
    c.add(
        "countries",
        c.t("Countries (offline base map)"),
        # in parts: each country is packed once per process (it comes back in many maps)
        Parted(c.base.country_parts(pos, c.country_tol[pos])),
        style,
        overlay=False,
        show=not tiles,
    )
    c.m.add_child(
        _Labels(
            registry=c.registry, name=c.t("Country names"), data=_labels_json(c.base, pos, rank)
        )
    )


def _add_affected(c: _Canvas, affected: pd.DataFrame) -> None:
    """Affected Parties of the run shaded, with their number of sites and rows by pathway."""
    assert c.base is not None
    sites_of: dict[str, set[str]] = {}
    rows: dict[str, list[int]] = {}  # rows by pathway: [air, water]
    for party, site, water in zip(
        affected["affected"].astype(str).tolist(),
        affected["site_id"].tolist(),
        _is_water(affected).tolist(),
        strict=True,
    ):
        sites_of.setdefault(party, set()).add(site)
        rows.setdefault(party, [0, 0])[int(water)] += 1
    pos = np.flatnonzero(np.isin(c.base.iso, list(sites_of)))
    props = [
        {
            "tip": f"<b>{_esc(name)}</b> ({_esc(iso)}): affected Party of {len(sites_of[iso])}"
            " site(s)"
            f" (air rows {rows[iso][0]}, water rows {rows[iso][1]})"
        }
        for iso, name in zip(c.base.iso[pos], c.base.names[pos], strict=True)
    ]
    style = {**_AFFECTED_STYLE, "pane": "hazidAffected", "className": "hazid-affected"}
    swatch = _swatch("box", _AFFECTED_STYLE["color"], _AFFECTED_STYLE["fillColor"], 0.6)
    c.add(
        "affected",
        swatch + f"{c.t('Affected Parties')} ({len(pos)})",
        c.countries(pos, props),
        style,
    )
    c.legend["Countries"].append(swatch + c.t("Affected Party") + "<br>")


def _origin_iso(sites: gpd.GeoDataFrame, status: pd.Series) -> set[str]:
    """Countries of origin of the notifying sites."""
    return set(_site_country(sites)[status == "notify"].astype(str)) - {""}


def _add_origin(c: _Canvas, origin_iso: set[str]) -> None:
    """Countries of origin of the notifying sites, outlined (dashed)."""
    assert c.base is not None
    pos = np.flatnonzero(np.isin(c.base.iso, sorted(origin_iso)))
    if not len(pos):
        return
    style = {**_ORIGIN_STYLE, "pane": "hazidOrigin", "className": "hazid-origin"}
    swatch = _swatch("dash", _ORIGIN_STYLE["color"])
    c.add(
        "origin",
        swatch + f"{c.t('Countries of origin')} ({len(pos)})",
        c.countries(pos, [{} for _ in pos]),
        style,
    )
    c.legend["Countries"].append(swatch + c.t("Party of origin") + "<br>")


def _site_names(site_ids: pd.Series, names: dict[str, str]) -> list[str]:
    """HTML-escaped name of the site of each row, its id where it has none."""
    who = [names.get(i, "") for i in site_ids.tolist()]
    return _esc_list([w if w != "" else i for w, i in zip(who, site_ids.tolist(), strict=True)])


def _zone_texts(zones: gpd.GeoDataFrame, hazard: list[str], names: dict[str, str]) -> tuple:
    """Tooltip and popup HTML of each consequence zone (two lists)."""
    zsite = _site_names(zones["site_id"], names)
    hz = _esc_list(hazard)
    km = _nums(zones, "zone_km")
    key = _texts(zones, "substance_key")
    tip = [f"{z}: {h} zone {k} km ({s})" for z, h, k, s in zip(zsite, hz, km, key, strict=True)]
    capped = _truthy(_col(zones, "capped", False)).tolist()
    default = _truthy(_col(zones, "default_used", False)).tolist()
    popup = [
        f'<div class="hz-pop"><div class="hz-h">{z}</div>{h} zone, {s}: {k} km<br>model: {m}'
        + ("; capped" if c else "")
        + ("; default parameters used" if d else "")
        + (f"<br>{n}" if n != "" else "")
        + "</div>"
        for z, h, s, k, m, c, d, n in zip(
            zsite,
            hz,
            key,
            km,
            _texts(zones, "model"),
            capped,
            default,
            _texts(zones, "note"),
            strict=True,
        )
    ]
    return tip, popup


def _add_zones(c: _Canvas, zones: gpd.GeoDataFrame, names: dict[str, str]) -> None:
    """Consequence zones, one layer per hazard type.

    A zone that is a circle at the map's resolution (see :func:`_zone_circles`) is drawn as a
    Leaflet circle (centre and radius); any other is simplified by at most 2 % of its
    equivalent radius (in the local azimuthal equidistant projection, metres), so that small
    zones keep their shape.
    """
    hazard = np.array([str(h) for h in _filled(_col(zones, "hazard", ""), "")], dtype=object)
    geoms = zones.geometry.to_numpy()
    circle, centre, radius = _zone_circles(geoms, c.tol, _ZONE_TOLERANCE_FRACTION)
    zgeoms = np.empty(len(geoms), dtype=object)
    zgeoms[circle] = shapely.points(np.round(centre[circle], 5))
    other = ~circle
    if other.any():
        metric = _project(geoms[other], c.crs)
        ztol = np.minimum(c.tol, _ZONE_TOLERANCE_FRACTION * np.sqrt(shapely.area(metric) / np.pi))
        zgeoms[other] = _simplify(geoms[other], c.crs, ztol)
    r_m = np.where(circle, np.round(radius, 1), 0.0)
    tip, popup = _zone_texts(zones, hazard.tolist(), names)
    present = set(hazard.tolist())
    order = [h for h in ZONE_COLOURS if h in present] + sorted(present - set(ZONE_COLOURS))
    zleg = []
    for h in order:
        sel = np.flatnonzero(hazard == h)
        colour = ZONE_COLOURS.get(h, _OTHER_ZONE_COLOUR)
        label = h or "unspecified"
        style = {
            "color": colour,
            "weight": _ZONE_STYLE["weight"],
            "fillColor": colour,
            "fillOpacity": _ZONE_STYLE["fillOpacity"],
            "pane": "hazidZones",
            "className": f"hazid-zone hazid-zone-{re.sub(r'[^a-z0-9]+', '-', label.lower())}",
        }
        lean = c.canvas  # many zones: the texts of the circles packed apart
        props = [
            (
                {"r": float(r_m[i])}
                if lean
                else {"tip": tip[i], "popup": popup[i], "r": float(r_m[i])}
            )
            if circle[i]
            else {"tip": tip[i], "popup": popup[i]}
            for i in sel
        ]
        ring = [i for i in sel if circle[i]]
        texts = ([tip[i] for i in ring], [popup[i] for i in ring]) if lean else None
        c.add(
            f"zones_{label}",
            _swatch("box", colour, colour, 0.5)
            + f"{c.t('Zones')}: {_esc(c.t(label))} ({len(sel)})",
            _feature_collection(zgeoms[sel], props, 5),
            style,
            circles=True,
            texts=texts,
        )
        zleg.append(_swatch("box", colour, colour, 0.5) + f"{_esc(c.t(label))}<br>")
    c.legend["Consequence zones"] += zleg


def _add_runout(c: _Canvas, envelopes: gpd.GeoDataFrame, names: dict[str, str]) -> None:
    """Run-out envelopes of tailings dams: circles of the run-out distance, not flow paths."""
    geoms = _simplify(envelopes.geometry.to_numpy(), c.crs, c.tol)
    who = _lookup(envelopes["facility_id"].astype(str), names)
    who = who.where(who != "", envelopes["facility_id"].astype(str))
    tip = _esc_series(who) + ": " + c.t("run-out") + " " + _num_col(envelopes, "runout_km") + " km"
    colour = _RUNOUT_STYLE["color"]
    label = c.t("run-out envelope (not a flow path)")
    c.add(
        "runout",
        _swatch("box", colour, colour, 0.3) + f"{_esc(label)} ({len(envelopes)})",
        _feature_collection(geoms, [{"tip": t} for t in tip], 5),
        {**_RUNOUT_STYLE, "fillColor": colour, "pane": "hazidZones", "className": "hazid-runout"},
    )
    c.legend["Consequence zones"].append(_swatch("box", colour, colour, 0.3) + _esc(label) + "<br>")


def _add_traces(
    c: _Canvas,
    paths: gpd.GeoDataFrame,
    affected: pd.DataFrame | None,
    borders: gpd.GeoDataFrame | None,
    names: dict[str, str],
) -> None:
    """River traces downstream of the sites, then their border crossings.

    Traces are simplified at screen resolution (the map's tolerance, in Web Mercator).
    """
    lat0 = (c.bounds[1] + c.bounds[3]) / 2.0
    pgeoms = _simplify_screen(paths.geometry.to_numpy(), c.tol, lat0)
    countries = _col(paths, "countries", "").astype(object).where(lambda s: s.notna(), "")
    tip = [
        f"{w}: {r} — {c} ({k} km traced)"
        for w, r, c, k in zip(
            _site_names(paths["site_id"], names),
            _texts(paths, "river"),
            _esc_list([str(c).replace(";", " → ") for c in countries.tolist()]),
            _nums(paths, "length_km"),
            strict=True,
        )
    ]
    style = {**_TRACE_STYLE, "pane": "hazidRivers", "className": "hazid-trace"}
    c.add(
        "traces",
        _swatch("line", _TRACE_STYLE["color"]) + f"{c.t('River traces')} ({len(paths)})",
        _feature_collection(pgeoms, [{"tip": t} for t in tip], _decimals(max(c.tol, 1.0))),
        style,
    )
    c.legend["Rivers"].append(_swatch("line", _TRACE_STYLE["color"]) + c.t("River trace") + "<br>")
    _add_crossings(c, *_crossings(paths, affected, borders, names, lang=c.lang))


def _add_data_ends(c: _Canvas, ends: gpd.GeoDataFrame, names: dict[str, str]) -> None:
    """Points where traces leave the river data (:func:`hazid.rivers.data_ends`).

    The tooltip names the country and up to five of the sites whose trace stops there.
    """
    if not len(ends):
        return
    label = c.t("End of the river data (not assessed beyond)")
    tips = []
    for country, ids in zip(ends["country"].astype(str), ends["site_ids"].astype(str), strict=True):
        who = [names.get(i) or i for i in ids.split(";")]
        more = len(who) - _END_NAMES_MAX
        listed = ", ".join(who[:_END_NAMES_MAX])
        if more > 0:
            listed += " " + c.t("and {n} more").format(n=format_integer(more, c.lang))
        tips.append(_esc(f"{label} ({country}): {listed}"))
    style = {**_DATA_END_STYLE, "pane": "hazidCrossings", "className": "hazid-data-end"}
    swatch = _swatch("dot", _DATA_END_STYLE["color"], _DATA_END_STYLE["fillColor"])
    c.add(
        "data_ends",
        swatch + f"{c.t('Ends of the river data')} ({len(ends)})",
        _feature_collection(ends.geometry.to_numpy(), [{"tip": t} for t in tips], 5),
        style,
    )
    c.legend["Rivers"].append(swatch + _esc(label) + "<br>")


def _add_crossings(c: _Canvas, cgeoms: list[Any], cprops: list[dict[str, Any]]) -> None:
    """Border crossings with the arrival time, labelled permanently when there are few."""
    if not len(cgeoms):
        return
    permanent = len(cgeoms) <= _PERMANENT_LABELS_MAX
    tooltip = (
        {
            "permanent": True,
            "direction": "right",
            "offset": [6, 0],
            "className": "hazid-crossing-label",
        }
        if permanent
        else {"sticky": True}
    )
    style = {**_CROSSING_STYLE, "pane": "hazidCrossings", "className": "hazid-crossing"}
    swatch = _swatch("dot", _CROSSING_STYLE["color"], "#ffffff")
    c.add(
        "crossings",
        swatch + f"{c.t('Border crossings, arrival time')} ({len(cgeoms)})",
        _feature_collection(np.array(cgeoms, dtype=object), cprops, 5),
        style,
        tooltip=tooltip,
        cluster=c.canvas and not permanent,  # a map of many sites: crossings clustered too
    )
    c.legend["Rivers"].append(swatch + c.t("Border crossing (arrival h)") + "<br>")


def _add_sites(
    c: _Canvas,
    sites: gpd.GeoDataFrame,
    status: pd.Series,
    holdings: pd.DataFrame | None,
    affected: pd.DataFrame | None,
    names: dict[str, str],
    *,
    cluster: bool,
) -> None:
    """Sites coloured by status (one layer per status, clustered when there are many)."""
    popups = _site_popups(sites, status, holdings, affected)
    ids = sites["site_id"].tolist()
    tip_list = [
        t or e
        for t, e in zip(_esc_list([names.get(i, "") for i in ids]), _esc_list(ids), strict=True)
    ]
    pts = sites.geometry.to_numpy()
    popup_list = popups
    sleg = []
    for key in ("other", "domestic", "notify"):
        sel = np.flatnonzero((status == key).to_numpy())
        st = SITE_STATUS_STYLE[key]
        style = {k: v for k, v in st.items() if k != "label"}
        style.update(pane="hazidSites", className=f"hazid-site hazid-site-{key}")
        if cluster:  # popups apart, decoded on the first click
            props = [{"id": ids[i], "tip": tip_list[i]} for i in sel]
            extra: dict[str, Any] = {"popups": [popup_list[i] for i in sel]}
        else:
            props = [{"id": ids[i], "tip": tip_list[i], "popup": popup_list[i]} for i in sel]
            extra = {}
        c.add(
            f"sites_{key}",
            _swatch("dot", st["color"], st["fillColor"]) + f"{c.t(st['label'])} ({len(sel)})",
            _feature_collection(pts[sel], props, 5),
            style,
            cluster=cluster,
            **extra,
        )
    for key in ("notify", "domestic", "other"):
        st = SITE_STATUS_STYLE[key]
        n = int((status == key).sum())
        sleg.append(_swatch("dot", st["color"], st["fillColor"]) + f"{c.t(st['label'])} ({n})<br>")
    c.legend["Sites"] = sleg


def _crossings(
    paths: gpd.GeoDataFrame,
    affected: pd.DataFrame | None,
    borders: gpd.GeoDataFrame | None,
    names: dict[str, str],
    *,
    lang: str = "en",
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Border-crossing points of the traces, one per water row of ``affected``.

    The point is where the trace first enters the affected country's polygon;
    without borders (or without an intersection) it is ``river_km`` along the
    trace, measured on the WGS84 ellipsoid.
    """
    if affected is None:
        return [], []
    first_path: dict[str, Any] = {}  # the first trace of each site
    for site, geom in zip(paths["site_id"].tolist(), paths.geometry.to_numpy(), strict=True):
        first_path.setdefault(site, geom)
    site_ids = affected["site_id"].tolist()
    water = np.array(  # positions of the water rows of a site with a trace
        [
            i
            for i in np.flatnonzero(_is_water(affected).to_numpy()).tolist()
            if site_ids[i] in first_path
        ],
        dtype=np.int64,
    )
    if not len(water):
        return [], []
    paths_drawn = [first_path[site_ids[i]] for i in water.tolist()]
    points = np.full(len(water), None, dtype=object)
    if borders is not None:
        iso = borders["iso_a3"].astype(str)
        poly_of = dict(zip(iso, borders.geometry, strict=True))
        parties = affected["affected"].tolist()
        polys = [poly_of.get(str(parties[i])) for i in water.tolist()]
        has = np.flatnonzero([p is not None for p in polys])
        if len(has):
            keys = [(paths_drawn[i], polys[i]) for i in has.tolist()]
            for i, point in zip(has.tolist(), _ENTRIES.values(keys, _entry_points), strict=True):
                points[i] = point
    river_km = pd.to_numeric(_col(affected, "river_km"), errors="coerce").to_numpy()[water]
    along = np.flatnonzero(pd.isna(points) & np.isfinite(river_km))
    lines = _merged(np.array([paths_drawn[i] for i in along.tolist()], dtype=object))
    for i, line in zip(along.tolist(), lines, strict=True):
        points[i] = _point_along_km(line, float(river_km[i]))
    keep = np.flatnonzero(~pd.isna(points))
    rows = water[keep].tolist()  # positions in affected of the rows drawn
    arrival = pd.to_numeric(_col(affected, "arrival_h"), errors="coerce").to_numpy(dtype=float)
    arrival = arrival[rows]
    cols: dict[str, list[Any]] = {}
    for c in ("site_id", "affected", "river", "river_km", "arrival_h", "peak_h", "peak_mg_l"):
        values = _filled(_col(affected, c), None)
        cols[c] = [values[i] for i in rows]
    props = []
    for k in range(len(rows)):
        site = names.get(cols["site_id"][k]) or cols["site_id"][k]
        hours = text("{value} h", lang).format(value=_fmt(cols["arrival_h"][k]))
        label = f"{_esc(cols['affected'][k])}: {_esc(hours)}"
        detail = (
            f"<b>{_esc(site)}</b> → {_esc(cols['affected'][k])}<br>"
            f"{_esc(cols['river'][k])}: {_fmt(cols['river_km'][k])} km downstream<br>"
            f"arrival {_fmt(cols['arrival_h'][k])} h, peak {_fmt(cols['peak_h'][k])} h, "
            f"{_fmt(cols['peak_mg_l'][k])} mg/L"
        )
        props.append(
            {
                "tip": label,
                "popup": f'<div class="hz-pop">{detail}</div>',
                "rank": float(arrival[k]) if np.isfinite(arrival[k]) else 1e9,
            }
        )
    return list(points[keep]), props


def _merged(lines: np.ndarray) -> np.ndarray:
    """``lines`` with each MultiLineString merged into a LineString where it joins up."""
    return np.where(shapely.get_type_id(lines) == 5, shapely.line_merge(lines), lines)


#: :func:`_entry_points` by (trace, country): the maps of a run share their traces
_ENTRIES = Kept(limit=200_000)


def _entry_points(keys: list[tuple[Any, Any]]) -> np.ndarray:
    """Point where each trace first enters its country (``keys``: (trace, polygon)), or None.

    The point of the trace (line-merged) nearest its start among the points of its
    intersection with the country (:func:`hazid.maps.geometry._entry_parts`).
    """
    lines = _merged(np.array([k[0] for k in keys], dtype=object))
    polys = np.array([k[1] for k in keys], dtype=object)
    points = np.full(len(keys), None, dtype=object)
    inter = _entry_parts(lines, polys)
    coords, idx = shapely.get_coordinates(inter, return_index=True)
    if len(coords):
        dist = shapely.line_locate_point(lines[idx], shapely.points(coords))
        least = np.full(int(idx.max()) + 1, np.nan)
        np.fmin.at(least, idx, dist)  # the least distance of each line, NaN skipped
        met = np.unique(idx)
        points[met] = shapely.line_interpolate_point(lines[met], least[met])
    return points
