"""The base map of the HTML maps: every country, prepared once and shared by all maps of a run.

The whole world is drawn, so the base map is complete at every zoom: the countries near the
results in detail, the others coarsely. Geometries are simplified in Web Mercator
(EPSG:3857), the projection Leaflet displays, to the size of a screen pixel: about 20 km
(one pixel at zoom 3, 156,543 m / 2^3) for the world, and one of the detail levels
250 m, 1 km or 4 km (one pixel at zoom 9, 7 and 5) for the countries near the results,
whichever is the coarsest not above the map's tolerance. Latitudes beyond 85 degrees are cut
(Web Mercator does not reach the poles). Each country's GeoJSON text is made once per level
and reused by the overview map and every pair map (:class:`BaseMap`); the countries layer of
maps of known extents can be computed beforehand (:meth:`BaseMap.prepare_windows`), before the
maps are drawn by several processes.

Country names are in the language of the map (:func:`hazid.maps.labels.country_name`), placed
at the pole of inaccessibility of the country's largest part (its most inland point).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.ops import polylabel

from hazid.errors import GeodataError
from hazid.maps.content import _col, _esc
from hazid.maps.geometry import (
    _FC_HEAD,
    _FC_TAIL,
    _auto_tolerance,
    _feature_texts,
    _metric_crs,
    _project,
    _script_safe,
    _select_countries,
)
from hazid.maps.labels import check_map_lang, country_name
from hazid.maps.packing import _deflate_part

logger = logging.getLogger(__name__)

_MERCATOR = pyproj.CRS.from_epsg(3857)
_MAX_LAT = 85.0
#: Simplification of the countries far from the results (Web Mercator metres).
_WORLD_TOL_M = 20_000.0
#: Detail levels of the countries near the results (Web Mercator metres).
_LEVELS_M = (250.0, 1_000.0, 4_000.0)


class BaseMap:
    """Country polygons, names and label points prepared for the HTML maps of a run.

    Make one for a run and pass it to every :func:`hazid.maps.screening_map` call
    (``base=``): the countries are projected and simplified once per detail level, not once
    per map.

    Parameters
    ----------
    borders : geopandas.GeoDataFrame
        Country polygons with ``iso_a3`` (and optionally ``name``), any CRS.
    lang : {"en", "ru"}
        Language of the country names.
    world : dict, optional
        The countries at the world level and their label points, worked out beforehand from
        the same borders (:func:`world_level`); used only if they are the same borders
        (same codes and geometry bytes), else worked out again.

    Raises
    ------
    GeodataError
        ``borders`` has no ``iso_a3`` column.
    ChoiceError
        ``lang`` is not a language of the maps.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"iso_a3": ["KAZ"]}, geometry=[box(50, 41, 87, 55)], crs=4326)
    >>> base = BaseMap(b, lang="ru")
    >>> base.names.tolist()
    ['Казахстан']
    """

    def __init__(
        self, borders: gpd.GeoDataFrame, *, lang: str = "en", world: dict | None = None
    ) -> None:
        self.lang = check_map_lang(lang)
        if "iso_a3" not in borders.columns:
            raise GeodataError("borders has no 'iso_a3' column")
        if borders.crs is not None and not borders.crs.equals(pyproj.CRS.from_epsg(4326)):
            borders = borders.to_crs(4326)
        geom = borders.geometry
        keep = geom.notna().to_numpy() & ~shapely.is_empty(geom.to_numpy())
        self.borders = borders.loc[keep].reset_index(drop=True)
        self.iso = self.borders["iso_a3"].astype(str).to_numpy()
        given = _col(self.borders, "name", "").astype(object).where(lambda s: s.notna(), "")
        self.names = np.array(
            [
                country_name(i, self.lang, str(n).strip() or i)
                for i, n in zip(self.iso, given, strict=True)
            ],
            dtype=object,
        )
        self._geoms = shapely.clip_by_rect(
            self.borders.geometry.to_numpy(), -180.0, -_MAX_LAT, 180.0, _MAX_LAT
        )
        self._merc = np.full(len(self._geoms), None, dtype=object)
        self._json: dict[tuple[float, int], str] = {}
        self._parts: dict[tuple[float, int, bool], str] = {}
        self._near: dict[tuple[float, float, float, float], np.ndarray] = {}
        self._labels: list[dict[str, Any]] | None = None
        self._tips: list[str] | None = None
        if world is not None and world.get("key") == self._key():
            self._json.update(world["json"])
            self._labels = [
                {"name": str(self.names[i]), **lab} if lab else {}
                for i, lab in enumerate(world["labels"])
            ]

    def _key(self) -> str:
        """Digest of the countries' codes and geometries, to know them again."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update("\n".join(self.iso).encode("utf-8"))
        for wkb in shapely.to_wkb(self._geoms):
            digest.update(b"-" if wkb is None else wkb)
        return digest.hexdigest()

    def mercator(self, pos: np.ndarray | None = None) -> np.ndarray:
        """Return the countries at ``pos`` (all by default) in Web Mercator.

        Each country (clipped to 85 degrees) is projected once, when first asked for, and
        kept: every detail level and the label points are simplified from this projection.
        """
        pos = np.arange(len(self._geoms)) if pos is None else np.asarray(pos, dtype=int)
        todo = np.unique(pos[pd.isna(self._merc[pos])])
        if len(todo):
            self._merc[todo] = _project(self._geoms[todo], _MERCATOR)
        return self._merc[pos]

    def prepare(self) -> BaseMap:
        """Compute now what every map uses: the world-level texts, labels, spatial index.

        Call it before the maps are drawn by several processes, so that they share the result
        instead of each computing it.
        """
        self.geometry_json(np.arange(len(self.iso)), _WORLD_TOL_M)
        self.labels()
        self.tips()
        _ = self.borders.sindex
        shapely.prepare(self.borders.geometry.to_numpy())
        return self

    def prepare_windows(self, windows: Iterable[tuple[float, float, float, float]]) -> None:
        """Compute now the countries layer of maps fitted to ``windows`` (lon/lat bounds).

        For each window, what a map of that extent (tolerance by default) draws of the
        countries: those near it (:meth:`near`) at its detail level, the others at the world
        level; their texts and packed parts are kept, so that maps drawn afterwards by several
        processes share them instead of each computing them. A window that no map has only
        costs its computing.
        """
        every = np.arange(len(self.iso))
        for b in windows:
            lat0 = (b[1] + b[3]) / 2.0
            tols = np.full(len(every), _WORLD_TOL_M)
            tols[self.near(b, _metric_crs(b))] = min(
                self.level(_auto_tolerance(b), lat0), _WORLD_TOL_M
            )
            for part in self.country_parts(every, tols):
                _deflate_part(part)

    def near(self, bounds: tuple[float, float, float, float], crs: pyproj.CRS) -> np.ndarray:
        """Positions of the countries near ``bounds`` (within 300 km or half the extent).

        ``crs`` is the map's metric CRS of ``bounds`` (:func:`hazid.maps.geometry._metric_crs`);
        the answer is kept for the same bounds.
        """
        key = tuple(float(v) for v in bounds)
        got = self._near.get(key)
        if got is None:
            got = self._near[key] = _select_countries(self.borders, bounds, crs)
        return got

    def country_parts(self, pos: np.ndarray, tols: np.ndarray) -> list[str]:
        """Return the countries layer in parts: the countries at ``pos``, each at its ``tols``.

        The parts of :func:`hazid.maps.geometry._feature_parts` with the countries' tooltips;
        each (level, country) part is made once and the same text comes back, so that it is
        packed once (:class:`hazid.maps.packing.Parted`).
        """
        pos = np.asarray(pos, dtype=int)
        tols = np.asarray(tols, dtype=float)
        keys = [
            (t, p, k == 0) for k, (p, t) in enumerate(zip(pos.tolist(), tols.tolist(), strict=True))
        ]
        todo = [k for k in keys if k not in self._parts]
        if todo:
            tips = self.tips()
            for tol in sorted({t for t, _, _ in todo}):
                mine = [k for k in todo if k[0] == tol]
                texts = self.geometry_json(np.array([p for _, p, _ in mine], dtype=int), tol)
                feats = _feature_texts(texts, [{"tip": tips[p]} for _, p, _ in mine])
                for (t, p, first), f in zip(mine, feats, strict=True):
                    self._parts[(t, p, first)] = _script_safe(f if first else "," + f)
        return [_FC_HEAD, *[self._parts[k] for k in keys], _FC_TAIL]

    def tips(self) -> list[str]:
        """Tooltip HTML of each country: its name and ISO code (the code alone if the same)."""
        if self._tips is None:
            names = [_esc(n) for n in self.names]
            codes = [_esc(i) for i in self.iso]
            self._tips = [f"{n} ({i})" if n != i else i for n, i in zip(names, codes, strict=True)]
        return self._tips

    def level(self, tolerance_m: float, lat: float) -> float:
        """Detail level (Web Mercator metres) for a map tolerance (ground metres)."""
        merc = tolerance_m / max(math.cos(math.radians(min(abs(lat), _MAX_LAT))), 1e-6)
        fitting = [lv for lv in _LEVELS_M if lv <= merc]
        return fitting[-1] if fitting else _LEVELS_M[0]

    def geometry_json(self, pos: np.ndarray, tolerance_m: float) -> list[str]:
        """GeoJSON geometry text of the countries at ``pos``, simplified by ``tolerance_m``.

        ``tolerance_m`` is in Web Mercator metres (0: not simplified). Texts are cached.
        """
        pos = np.asarray(pos, dtype=int)
        todo = np.array([p for p in pos if (tolerance_m, int(p)) not in self._json], dtype=int)
        if len(todo):
            geoms = self._geoms[todo]
            if tolerance_m > 0:
                geoms = _simplify_to_pixels(geoms, tolerance_m, merc=self.mercator(todo))
            # a fifth of the tolerance on the ground at 45 degrees, 2 to 6 decimals
            step = max(tolerance_m * math.cos(math.radians(45.0)), 1.0) / 111_320.0 / 5.0
            d = int(np.clip(np.ceil(-np.log10(step)), 2, 6))
            geoms = shapely.transform(geoms, lambda c: np.round(c, d))
            for p, text in zip(todo, shapely.to_geojson(geoms), strict=True):
                self._json[(tolerance_m, int(p))] = text
        return [self._json[(tolerance_m, int(p))] for p in pos]

    def labels(self) -> list[dict[str, Any]]:
        """Label of each country: name, point (lat, lon) and bounds of its largest part."""
        if self._labels is None:
            self._labels = self._make_labels()
        return self._labels

    def _make_labels(self) -> list[dict[str, Any]]:
        # from the countries simplified to a quarter of the world level (few vertices, fast)
        simple = _simplify_to_pixels(self._geoms, _WORLD_TOL_M / 4, merc=self.mercator())
        merc = _project(simple, _MERCATOR)
        out = []
        for i, g in enumerate(merc):
            parts = shapely.get_parts(g)
            parts = parts[shapely.get_type_id(parts) == 3]
            if not len(parts):
                out.append({})
                continue
            part = parts[int(np.argmax(shapely.area(parts)))]
            if not part.is_valid:
                part = shapely.convex_hull(part)
            minx, miny, maxx, maxy = part.bounds
            tol = max(maxx - minx, maxy - miny) / 50.0
            try:
                p = polylabel(part, tolerance=tol)
            except Exception:  # degenerate shapes: any interior point will do
                p = part.representative_point()
            corners = shapely.points([minx, maxx], [miny, maxy])
            pts = _project(np.array([p, *corners], dtype=object), _MERCATOR, inverse=True)
            (lon, lat), (w, s), (e, n) = shapely.get_coordinates(pts)
            out.append(
                {
                    "name": str(self.names[i]),
                    "iso": str(self.iso[i]),
                    "at": [round(float(lat), 3), round(float(lon), 3)],
                    "box": [round(float(v), 3) for v in (s, w, n, e)],
                }
            )
        return out


def world_level(borders: gpd.GeoDataFrame) -> dict[str, Any]:
    """Work out the countries at the world level and their label points, in no language.

    What :meth:`BaseMap.prepare` spends most of its time on, computed apart (for instance by
    another process while the screening ends); pass it to :class:`BaseMap` (``world=``) for the
    same borders.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"iso_a3": ["KAZ"]}, geometry=[box(50, 41, 87, 55)], crs=4326)
    >>> base = BaseMap(b, lang="ru", world=world_level(b))
    >>> base.labels()[0]["name"], base.labels() == BaseMap(b, lang="ru").labels()
    ('Казахстан', True)
    """
    base = BaseMap(borders)  # the world level and the labels share its Mercator projection
    base.geometry_json(np.arange(len(base.iso)), _WORLD_TOL_M)
    labels = [{k: v for k, v in lab.items() if k != "name"} for lab in base.labels()]
    return {"key": base._key(), "json": dict(base._json), "labels": labels}


def _simplify_to_pixels(
    geoms: np.ndarray, tolerance_m: float, *, merc: np.ndarray | None = None
) -> np.ndarray:
    """Simplify country polygons in Web Mercator by ``tolerance_m`` (metres, about a pixel).

    Parts (islands) smaller than two by two tolerances are dropped, except the largest part
    of each country, so that no country disappears. The remaining parts are simplified
    without topology preservation (fast; a pixel-sized self-intersection is invisible), and
    put back on their side of the antimeridian. ``merc`` is ``geoms`` already projected to
    Web Mercator (the caller's, e.g. :meth:`BaseMap.mercator`), projected here if not given.
    """
    geoms = np.asarray(geoms, dtype=object)
    if merc is None:
        merc = _project(geoms, _MERCATOR)
    parts, owner = _polygon_parts(merc)
    area = shapely.area(parts)
    largest = np.zeros(len(parts), dtype=bool)
    if len(parts):
        order = np.lexsort((-area, owner))
        first = np.ones(len(order), dtype=bool)
        first[1:] = owner[order][1:] != owner[order][:-1]
        largest[order[first]] = True
    keep = largest | (area >= (2.0 * tolerance_m) ** 2)
    simple = shapely.simplify(parts[keep], tolerance_m, preserve_topology=False)
    ok = ~shapely.is_empty(simple)
    # a part collapsed by the simplification is kept as it was if it is a country's only one
    fallback = keep.copy()
    fallback[keep] = ~ok & largest[keep]
    kept_parts, sub = _polygon_parts(np.concatenate([simple[ok], parts[fallback]]))
    kept_owner = np.concatenate([owner[keep][ok], owner[fallback]])[sub]
    out = np.empty(len(geoms), dtype=object)
    for i in range(len(geoms)):
        mine = kept_parts[kept_owner == i]
        out[i] = (
            shapely.multipolygons(mine)
            if len(mine) > 1
            else (mine[0] if len(mine) else shapely.Polygon())
        )
    back = _project(out, _MERCATOR, inverse=True)
    return _keep_antimeridian_side(back, shapely.bounds(geoms))


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygon parts of ``geoms`` and the position of the geometry each comes from."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    return parts[poly], owner[poly]


def _keep_antimeridian_side(geoms: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Put longitudes of ±180 that changed sign in a projection back on the side of ``ref``."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    if not len(coords):
        return geoms
    x = coords[:, 0]
    x = np.where((ref[idx, 0] >= 0) & (x < -179.0), x + 360.0, x)
    x = np.where((ref[idx, 2] <= 0) & (x > 179.0), x - 360.0, x)
    coords[:, 0] = x
    return shapely.set_coordinates(geoms.copy(), coords)


def _labels_json(base: BaseMap, pos: np.ndarray, rank: dict[str, int]) -> str:
    """Country labels of ``pos`` as JSON for the page: [lat, lon, name, class, box, rank]."""
    rows = []
    for p in pos:
        lab = base.labels()[int(p)]
        if not lab:
            continue
        r = rank.get(lab["iso"], 0)
        kind = {2: "affected", 1: "origin"}.get(r, "")
        rows.append([*lab["at"], _esc(lab["name"]), kind, lab["box"], r])
    return _script_safe(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
