"""The content of one activity in a dossier: site, substances and effects in the affected Party.

Each row of the assessment becomes an air or a water effect with its evidence sentence in the
dossier's language; the area of the affected Party inside a zone and the river length inside
it are computed on the WGS 84 ellipsoid (pyproj.Geod) from the intersection of the layers.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from hazid.columns import isin as _isin
from hazid.notify.evidence import _air_evidence, _tailings_evidence, _water_evidence
from hazid.notify.values import _isnan, _jnum, _jsig, _jstr, _num, _text

_ADDRESS_COLUMNS = ("address",)
_TYPE_COLUMNS = ("activity_type", "type", "activity", "sector")
_GEOD = Geod(ellps="WGS84")


def _first_text(row: Mapping[str, Any], columns: Sequence[str]) -> str | None:
    for c in columns:
        if c in row and not _isnan(row[c]) and str(row[c]).strip():
            return str(row[c]).strip()
    return None


class _CountryWindows:
    """The affected Party's polygon, cut to windows around the geometries intersected with it.

    An intersection with a national outline of tens of thousands of vertices costs a pass over
    all of them. :meth:`around` cuts the outline to a window of whole degrees around a zone or
    a river path, widened on every side by the longest edge of the outline (a window in the
    layer's coordinates, not a distance): every edge of the outline that can meet the geometry
    is kept whole, so the intersection with the piece is the one with the whole outline. A
    window is cut from a tile of :data:`TILE_DEG` degrees around it, cut once from the outline
    (the edges inside the window are those of the outline, whole, either way). The pieces and
    tiles are kept for the next geometries in the same window, up to :data:`MAX_COORDS`
    coordinates in all.
    """

    #: Coordinates of the pieces kept at once (then they are cut again as needed).
    MAX_COORDS = 500_000
    #: Side of the tiles (whole degrees, on a grid of its multiples) the windows are cut from.
    TILE_DEG = 4

    def __init__(self, geom: Any) -> None:
        self.geom = geom
        self._reach: float | None = None
        self._pieces: dict[tuple[int, int, int, int], Any] = {}
        self._coords = 0

    def around(self, geom: Any) -> Any:
        """Return the piece of the outline that stands for the whole outline near ``geom``."""
        if geom is None or geom.is_empty:
            return self.geom
        if self._reach is None:
            self._reach = _longest_edge(self.geom) + 0.01
        x0, y0, x1, y1 = geom.bounds
        m = self._reach
        key = (math.floor(x0 - m), math.floor(y0 - m), math.ceil(x1 + m), math.ceil(y1 + m))
        piece = self._pieces.get(key)
        if piece is None:
            tile = self._cut(self.geom, _tile_of(key, self.TILE_DEG))
            if tile is self.geom:  # nothing of the outline near: no piece to cut
                self._pieces[key] = piece = self.geom
            else:
                piece = self._cut(tile, key)
        return piece

    def _cut(self, geom: Any, rect: tuple[int, ...]) -> Any:
        """Clip ``geom`` to ``rect`` (kept); the whole outline when nothing polygonal is left."""
        if rect in self._pieces:
            return self._pieces[rect]
        cut = shapely.clip_by_rect(geom, *rect)
        piece = cut if shapely.get_type_id(cut) in (3, 6) else self.geom  # (Multi)Polygon
        if self._coords > self.MAX_COORDS:
            self._pieces.clear()
            self._coords = 0
        self._pieces[rect] = piece
        self._coords += int(shapely.get_num_coordinates(piece))
        return piece


def _tile_of(key: tuple[int, int, int, int], step: int) -> tuple[int, ...]:
    """Return the rectangle of whole multiples of ``step`` degrees that holds ``key``."""
    x0, y0, x1, y1 = key
    return (
        x0 // step * step,
        y0 // step * step,
        -(-x1 // step) * step,
        -(-y1 // step) * step,
    )


class SitePaths(list):
    """The river paths of one site; their union is computed once, for every affected Party."""

    __slots__ = ("_union",)

    def union(self) -> Any:
        """Return ``shapely.union_all`` of the paths (computed on the first call)."""
        if not hasattr(self, "_union"):
            self._union = shapely.union_all(np.array(self, dtype=object))
        return self._union


def _longest_edge(geom: Any) -> float:
    """Longest edge of a polygon's rings along x or y, in the layer's coordinates."""
    rings = shapely.get_rings(shapely.get_parts(geom))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    if len(xy) < 2:
        return 0.0
    step = np.maximum(np.abs(np.diff(xy[:, 0])), np.abs(np.diff(xy[:, 1])))
    return float(step[ring[1:] == ring[:-1]].max(initial=0.0))


def _intersection(geom: Any, country: Any) -> Any:
    """Intersect ``geom`` with the affected Party (a :class:`_CountryWindows` or a polygon)."""
    if not isinstance(country, _CountryWindows):
        return shapely.intersection(geom, country)
    try:
        return shapely.intersection(geom, country.around(geom))
    except shapely.errors.GEOSException:  # a piece cut untidily at its edge: the whole outline
        return shapely.intersection(geom, country.geom)


def _intersection_area_km2(geom: Any, country: Any) -> float | None:
    if geom is None or country is None:
        return None
    inter = _intersection(geom, country)
    if inter.is_empty:
        return 0.0
    area, _ = _GEOD.geometry_area_perimeter(shapely.make_valid(inter))
    return abs(area) / 1e6


def _intersection_length_km(geom: Any, country: Any, *, noded: bool = False) -> float | None:
    """Geodesic length (km) of ``geom`` inside ``country``; ``noded``: see :func:`_lines_inside`."""
    if geom is None or country is None:
        return None
    edges = _lines_inside(geom, country) if noded else None
    if edges is not None:
        return _sum_parts(shapely.get_coordinates(edges), shapely.get_num_coordinates(edges)) / 1e3
    inter = _intersection(geom, country)
    return 0.0 if inter.is_empty else _geodesic_length_m(inter) / 1000.0


def _lines_inside(geom: Any, country: Any) -> np.ndarray | None:
    """Return the lines of ``shapely.intersection(geom, country)``, in order, part by part.

    ``geom`` must be lines noded by ``shapely.union_all`` (its parts meet only at their ends;
    lines that cross themselves are cut where they cross by the intersection). The
    intersection of noded lines with a polygon gives, in the order of the input, each part's
    pieces between its nodes inside the polygon, as they are: a part in the interior of the
    polygon whole, a part off it nothing. Only the parts that meet the outline are intersected
    (as short lines, not one long one, with the piece of the outline :meth:`_CountryWindows.around`
    the path) and their pieces put back in order, so the geodesic sum over them is the same
    number. Which parts meet the outline is found on the whole outline (prepared once): inside
    the window of a piece, the piece and the whole outline have the same edges. ``None``
    (intersect ``geom`` as a whole) for another geometry, or when a part's intersection is
    not lineal.
    """
    if shapely.get_type_id(geom) not in (1, 5):  # LineString, MultiLineString
        return None
    whole = country.geom if isinstance(country, _CountryWindows) else country
    try:
        parts = shapely.get_parts(geom)
        shapely.prepare(whole)  # once for all the paths of the Party
        at = np.flatnonzero(shapely.intersects(whole, parts))
        inside = shapely.contains_properly(whole, parts[at])
        crossing = at[~inside]
        if len(crossing):  # the piece of the outline is the whole one near the path
            piece = country.around(geom) if whole is not country else country
            cut = shapely.intersection(parts[crossing], piece)
        else:
            cut = np.zeros(0, dtype=object)
    except shapely.errors.GEOSException:
        return None
    pieces, of = shapely.get_parts(cut, return_index=True)
    if (shapely.get_type_id(pieces) != 1).any():  # a point where a part touches the outline
        return None
    lines = np.concatenate([parts[at[inside]], pieces])
    order = np.argsort(np.concatenate([at[inside], crossing[of]]), kind="stable")
    return lines[order]  # the pieces of each part in their order along it


def _geodesic_length_m(geom: Any) -> float:
    """``Geod.geometry_length`` of the WGS 84 ellipsoid, from one coordinate array.

    Lines and multi-lines are summed part by part in the same order as pyproj does (each
    part's segments one after the other, from the same ``geod_inverse`` distances), so the
    result is the same number; other geometries go to pyproj.
    """
    kind = shapely.get_type_id(geom)
    if kind not in (1, 5):  # LineString, MultiLineString
        return _GEOD.geometry_length(geom)
    parts = shapely.get_parts(geom) if kind == 5 else np.array([geom], dtype=object)
    return _sum_parts(shapely.get_coordinates(parts), shapely.get_num_coordinates(parts))


def _sum_parts(xy: np.ndarray, counts: np.ndarray) -> float:
    """Sum of the geodesic lengths of consecutive lines (``counts`` coordinates each).

    Every segment is measured in one call (``Geod.line_lengths``: the distances of the
    ``geod_inverse`` of ``Geod.inv``, without the azimuths); each line's segments are then
    added in order, one after the other, as ``Geod.line_length`` adds them, and the lines'
    lengths in order, from 0.
    """
    if len(xy) < 2:
        return 0.0
    seg = _GEOD.line_lengths(xy[:, 0], xy[:, 1]).tolist()
    total, start = 0.0, 0
    for n in counts.tolist():
        if n > 1:  # reduce adds one after the other (no pairwise or compensated summation)
            total += functools.reduce(operator.add, seg[start : start + n - 1])
        start += n
    return total


def _substances_by_site(holdings: pd.DataFrame, site_ids: Any) -> dict[str, list[dict]]:
    """Dossier entries of the holdings of ``site_ids``, largest ratio first, per site."""
    sid = _text(holdings, "site_id")
    h = holdings.loc[_isin(sid, set(site_ids))].copy()
    h["_sid"] = _text(h, "site_id")
    h["_ratio"] = _num(h, "ratio")
    h["_name"] = _text(h, "substance")
    h = h.sort_values(
        ["_sid", "_ratio", "_name"],
        ascending=[True, False, True],
        na_position="last",
        kind="stable",
    )

    def col(name: str) -> list:
        return h[name].tolist() if name in h.columns else [None] * len(h)

    texts = {c: [_jstr(v) for v in col(c)] for c in _SUBSTANCE_TEXT}
    nums = {c: [_jnum(v, d) for v in col(c)] for c, d in _SUBSTANCE_NUMBERS.items()}
    out: dict[str, list[dict]] = {}
    for i, site in enumerate(h["_sid"].tolist()):
        entry = {
            "substance": texts["substance"][i] or texts["substance_key"][i] or "unnamed",
            **{c: texts[c][i] for c in _SUBSTANCE_TEXT if c != "substance"},
            **{c: nums[c][i] for c in _SUBSTANCE_NUMBERS},
        }
        out.setdefault(site, []).append(entry)
    return out


_SUBSTANCE_TEXT = ("substance", "substance_key", "cas", "annex_entry", "categories", "groups")
_SUBSTANCE_NUMBERS = {"quantity_t": 3, "threshold_t": 3, "ratio": 4}


def _row_evidence(r: Mapping[str, Any], params: Mapping[str, Any], lang: str) -> str:
    """Evidence sentence of one row of the assessment, in ``lang``."""
    if lang == "en":
        return r["evidence"]  # as decided (activities.csv)
    num = {k: _float(r.get(k)) for k in _EVIDENCE_NUMBERS}
    if r["pathway"] == "air":
        return _air_evidence(
            _jstr(r.get("hazard")) or "",
            num["zone_km"],
            num["border_km"],
            num["margin_km"],
            r["affected"],
            flagged=bool(r.get("_flagged")),
            undetermined=bool(r.get("_undetermined")),
            band_km=max(float(params["uncertainty_km"]), 0.0) if r.get("_near") else None,
            lang=lang,
        )
    horizon = params["horizon_h"]
    arrival = num["arrival_h"]
    beyond = horizon is not None and not np.isnan(arrival) and arrival > horizon
    if r["pathway"] == "tailings":
        return _tailings_evidence(
            dict(r), beyond=beyond, horizon_h=horizon, threshold_mg_l=params["threshold_mg_l"],
            lang=lang,
        )  # fmt: skip
    return _water_evidence(
        _jstr(r.get("river")) or "",
        num["river_km"],
        arrival,
        num["peak_mg_l"],
        beyond=beyond,
        horizon_h=horizon,
        threshold_mg_l=params["threshold_mg_l"],
        lang=lang,
        note=_jstr(r.get("water_note")) or "",
    )


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return np.nan


_EVIDENCE_NUMBERS = ("zone_km", "border_km", "margin_km", "river_km", "arrival_h", "peak_mg_l")


def _air_effect(
    r: Mapping[str, Any],
    zones: list[tuple[str, str | None, Any, bool | None]] | None,
    country_geom: Any,
    evidence: str,
) -> dict[str, Any]:
    """One air row: the zone, its margin and the area of the affected Party inside it."""
    area = capped = None
    key = _jstr(r.get("substance_key"))
    if zones is not None:
        hazard = str(r.get("hazard", ""))
        z = [t for t in zones if t[0] == hazard]
        if z and z[0][1] is not None:  # zones carry substance_key
            if key:
                z = [t for t in z if t[1] == key]
            else:
                key = ";".join(sorted({t[1] for t in z} - {""})) or None
        if len(z) and country_geom is not None:
            geoms = np.array([t[2] for t in z], dtype=object)
            area = _intersection_area_km2(shapely.union_all(geoms), country_geom)
        if z and z[0][3] is not None:  # zones carry capped (the model's distance limit)
            capped = any(bool(t[3]) for t in z)
    margin = _float(r.get("margin_km"))
    return {
        "hazard": _jstr(r.get("hazard")),
        "substance_key": key,
        "zone_km": _jnum(r.get("zone_km"), 2),
        "border_km": _jnum(r.get("border_km"), 2),
        "margin_km": _jnum(r.get("margin_km"), 2),
        "uncertain": bool(r["_uncertain"]),
        "area_in_affected_km2": _jnum(area, 2),
        "population_in_affected": _jnum(r.get("population_affected"), 0),
        "status": r["status"],
        "crosses_border": None if np.isnan(margin) else bool(margin >= 0),
        "capped": capped,
        "undetermined": bool(r.get("_undetermined", False)),
        "zone_worst_km": _jnum(r.get("zone_worst_km"), 2),
        "zone_alternative_km": _jnum(r.get("zone_alternative_km"), 2),
        "evidence": evidence,
    }


def _water_effect(
    r: Mapping[str, Any],
    river_paths: list[Any] | None,
    country_geom: Any,
    evidence: str,
    lakes: list[str] | None = None,
) -> dict[str, Any]:
    """One water row: arrival, peak and the river length inside the affected Party.

    The length is measured for a row the trace reached (with ``river_km``); a row of a
    Party near where the river data stop has none ("not assessed", never 0).
    """
    length = None
    river_km = _jnum(r.get("river_km"), 2)
    river = _jstr(r.get("river"))
    reached = river_km is not None
    if reached and river_paths is not None and country_geom is not None and river_paths:
        union = (
            river_paths.union()
            if isinstance(river_paths, SitePaths)
            else shapely.union_all(np.array(river_paths, dtype=object))
        )
        length = _intersection_length_km(union, country_geom, noded=True)
    return {
        "river": river,
        "river_km": river_km,
        "arrival_h": _jnum(r.get("arrival_h"), 2),
        "peak_h": _jnum(r.get("peak_h"), 2),
        "peak_mg_l": _jsig(r.get("peak_mg_l")),
        "snap_km": _jnum(r.get("snap_km"), 2),
        "river_km_in_affected": _jnum(length, 2),
        "lakes": list(lakes or []) if river else [],
        "status": r["status"],
        "evidence": evidence,
    }


def _activity(
    site: Mapping[str, Any],
    decision: Mapping[str, Any],
    rows: list[dict[str, Any]],
    holdings: list[dict[str, Any]],
    *,
    zones: list[tuple[str, str | None, Any, bool | None]] | None,
    river_paths: list[Any] | None,
    country_geom: Any,
    map_file: str | None,
    params: Mapping[str, Any] | None = None,
    lang: str = "en",
    lakes: list[str] | None = None,
) -> dict[str, Any]:
    """Dossier entry of one activity: the site, its substances and its effects."""
    sid = decision["site_id"]
    params = params or {"uncertainty_km": 5.0, "horizon_h": None, "threshold_mg_l": None}
    names = (  # the substances' names, for the air rows
        {h["substance_key"]: h["substance"] for h in holdings if h.get("substance_key")}
        if any(r["pathway"] == "air" for r in rows)
        else {}
    )
    air, water = [], []
    for r in rows:
        evidence = _row_evidence(r, params, lang)
        if r["pathway"] == "air":
            entry = _air_effect(r, zones, country_geom, evidence)
            keys = (entry["substance_key"] or "").split(";")
            entry["substance"] = "; ".join(names.get(k, k) for k in keys if k) or None
            air.append(entry)
        else:
            water.append(_water_effect(r, river_paths, country_geom, evidence, lakes))
    own = _jstr(site.get("site_country")) or _jstr(site.get("country"))
    return {
        "site_id": sid,
        "name": _jstr(site.get("site_name")) or sid,
        "operator": _jstr(site.get("operator")),
        "lon": _jnum(site.get("lon"), 6),
        "lat": _jnum(site.get("lat"), 6),
        "address": _first_text(site, _ADDRESS_COLUMNS),
        "type": _first_text(site, _TYPE_COLUMNS),
        "site_country": own.upper() if own else None,
        "status": decision["status"],
        "pathways": [p for p in decision["pathways"].split(";") if p],
        "margin_km": _jnum(decision["margin_km"], 2),
        "arrival_h": _jnum(decision["arrival_h"], 2),
        "reasons": _jstr(site.get("reasons")),
        "regime": _jstr(site.get("regime")),
        "annex_version": _jstr(site.get("annex_version")),
        "public_informed": _first_text(site, ("public_informed", "public_informed_date")),
        "ratios": {
            g: _jnum(site.get(f"{g}_ratio"), 4)
            for g in ("health", "physical", "environmental", "max_single")
        },
        "substances": holdings,  # the site's, in dossier order (_substances_by_site)
        "air": air,
        "water": water,
        "map": map_file,
    }
