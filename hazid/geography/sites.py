"""The country of each site and its geodesic distance to foreign territory.

Sites and borders are checked (CRS, columns, geometry types) and reprojected
to EPSG:4326; the country of a site comes from the polygon holding it, or the
nearest within a snapping distance (:func:`assign_country`); the distance to
the nearest foreign country is searched in growing steps
(:func:`border_distance`). Distances are geodesic on WGS84
(see :mod:`hazid.geography.index`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.columns import last_rows
from hazid.errors import CRSError, GeodataError
from hazid.geography.common import _polygonal
from hazid.geography.index import _border_index, _BorderIndex, _search_boxes, _unique_int

__all__ = ["assign_country", "border_distance", "distance_to_country"]

logger = logging.getLogger(__name__)

_TIE_KM = 1e-6
_HALF_CIRCUMFERENCE_KM = 20_100.0  # longer than any geodesic between two points


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------
def _check_borders(borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if borders is None:
        raise GeodataError(
            "no country borders given (None): pass the layer returned by "
            "hazid.resolve_borders() or hazid.load_borders(PATH)"
        )
    if not isinstance(borders, gpd.GeoDataFrame):
        raise GeodataError("borders must be a GeoDataFrame (see load_borders)")
    if borders.crs is None:
        raise CRSError("borders layer has no coordinate reference system")
    if "iso_a3" not in borders.columns:
        raise GeodataError(
            "borders need an 'iso_a3' column (see load_borders); "
            f"columns: {', '.join(map(str, borders.columns))}"
        )
    if borders["iso_a3"].duplicated().any():
        dup = sorted(set(borders.loc[borders["iso_a3"].duplicated(), "iso_a3"]))
        raise GeodataError(
            f"borders must hold one row per country; repeated: {', '.join(dup)} (see load_borders)"
        )
    if len(borders) == 0:
        raise GeodataError("borders layer is empty")
    codes = borders["iso_a3"]
    bad_code = ~codes.astype(str).str.fullmatch(r"[A-Za-z]{3}") | codes.isna()
    if bad_code.any():
        shown = ", ".join(repr(c) for c in codes[bad_code].head(10))
        raise GeodataError(
            f"borders need a three-letter country code in 'iso_a3'; got {shown} "
            "(load_borders takes codes from other columns)"
        )
    if borders.crs.to_epsg() != 4326:
        borders = borders.to_crs(4326)
    borders = borders.reset_index(drop=True)
    geoms = borders.geometry.to_numpy()
    kind = shapely.get_type_id(geoms)
    bad = ~np.isin(kind, [3, 6]) | shapely.is_empty(geoms)
    if bad.any():
        which = [
            f"{c} ({'no geometry' if g is None or g.is_empty else g.geom_type})"
            for c, g in zip(borders["iso_a3"].to_numpy()[bad], geoms[bad], strict=True)
        ]
        raise GeodataError(
            "borders need one polygon or multipolygon per country; not so: "
            f"{', '.join(which[:10])} (load_borders drops such features)"
        )
    if borders.attrs.get("repaired") is None:  # not checked by load_borders or read_dcw
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            fixed = _polygonal(shapely.make_valid(geoms[invalid]))
            codes = borders["iso_a3"].astype(str).to_numpy()[invalid]
            lost = [c for c, g in zip(codes, fixed, strict=True) if g is None]
            if lost:
                raise GeodataError(
                    f"borders of {', '.join(lost[:10])} are invalid and hold no polygon once "
                    "repaired (see load_borders)"
                )
            logger.warning(
                "repaired %d invalid border geometr%s with make_valid: %s "
                "(read borders with load_borders to do this once)",
                int(invalid.sum()),
                "y" if invalid.sum() == 1 else "ies",
                ", ".join(codes[:20]),
            )
            geoms = geoms.copy()
            geoms[invalid] = fixed
            borders = borders.copy()
            borders[borders.geometry.name] = gpd.GeoSeries(
                geoms, index=borders.index, crs=borders.crs
            )
            borders.attrs["repaired"] = int(invalid.sum())
    return borders


def _check_sites(sites: pd.DataFrame) -> gpd.GeoDataFrame:
    if not isinstance(sites, gpd.GeoDataFrame):
        if isinstance(sites, pd.DataFrame) and {"lon", "lat"} <= set(sites.columns):
            sites = gpd.GeoDataFrame(
                sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs=4326
            )
        else:
            raise GeodataError("sites must be a GeoDataFrame of points or have lon/lat columns")
    if sites.crs is None:
        raise CRSError("sites layer has no coordinate reference system")
    if "site_id" not in sites.columns:
        raise GeodataError("sites need a 'site_id' column")
    if sites.crs.to_epsg() != 4326:
        sites = sites.to_crs(4326)
    geoms = sites.geometry.to_numpy()
    bad = (shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms)  # missing: type -1
    if bad.any():
        ids = sites.loc[bad, "site_id"].astype(str).tolist()
        raise GeodataError(f"sites need point geometries; not a point: {', '.join(ids[:10])}")
    return sites


def _xy(sites: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = sites.geometry.to_numpy()
    return shapely.get_x(geoms), shapely.get_y(geoms)


def _text(values: Any, n: int) -> np.ndarray:
    """Tidy codes (stripped, upper case, '' when missing) of values or of a column."""
    if values is None:
        return np.full(n, "", dtype=object)
    if isinstance(values, pd.Series) and not isinstance(values.dtype, pd.StringDtype):
        values = values.to_numpy()  # a text column is taken as it is (not made Python text)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # only text (or nothing): tidy each distinct value once
        codes, distinct = pd.factorize(pd.Series(values))
        tidy = [str(v).strip().upper() for v in distinct]
        return np.array([*tidy, ""], dtype=object)[codes]  # missing (-1): ''
    s = pd.Series(values).astype(object)
    s = s.where(s.notna(), "")
    return np.array([str(v).strip().upper() for v in s], dtype=object)


# ----------------------------------------------------------------------------------------------
# Site country
# ----------------------------------------------------------------------------------------------
def assign_country(
    sites: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, *, snap_km: float = 1.0
) -> gpd.GeoDataFrame:
    """Find the country of each site from its location.

    A site strictly inside one country polygon gets that country. A site
    inside two overlapping polygons (slivers where neighbours' borders
    disagree) gets the inventory's ``country`` if it is one of them, else the
    one whose boundary is farthest away, with a note. A site outside every
    polygon or exactly on a boundary (coast, border, gaps between neighbours'
    polygons) is snapped to the nearest country within ``snap_km`` (geodesic
    distance, WGS84) and flagged in ``country_snapped``; on a border shared by
    two countries the inventory's ``country`` wins the tie, else the first in
    ``borders`` order, with a note. A site farther than ``snap_km`` from every
    country gets an empty ``site_country`` and a note.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``site_id``; an optional ``country`` column (ISO3 from the
        inventory) is checked against the location but never overwritten.
    borders : geopandas.GeoDataFrame
        As returned by :func:`load_borders`.
    snap_km : float, default 1.0
        Largest geodesic distance (km) over which a site is snapped.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``sites`` with ``site_country`` (ISO3, '' when none),
        ``country_snapped`` (bool) and ``country_warning`` (text, '' when none;
        also reports an inventory ``country`` that disagrees).

    Raises
    ------
    CRSError
        ``sites`` or ``borders`` has no CRS.
    GeodataError
        Missing ``site_id``/``iso_a3`` columns, non-point sites, repeated codes.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> borders = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> sites = gpd.GeoDataFrame({"site_id": ["s1", "s2"], "country": ["AAA", "AAA"]},
    ...     geometry=[Point(0.5, 0.5), Point(1.5, 0.5)], crs=4326)
    >>> out = assign_country(sites, borders)
    >>> out.site_country.tolist(), out.country_warning.tolist()[1]
    (['AAA', 'BBB'], 'inventory country AAA, but the location is in BBB')
    """
    sites = _check_sites(sites)
    borders = _check_borders(borders)
    index = _border_index(borders)
    lon, lat = _xy(sites)
    n = lon.size
    given = _text(sites["country"] if "country" in sites.columns else None, n)
    result = np.full(n, "", dtype=object)
    snapped = np.zeros(n, dtype=bool)
    notes: defaultdict[int, list[str]] = defaultdict(list)  # only the sites with notes
    codes = index.codes

    si, ci = index.within(lon, lat, sites.geometry.to_numpy())
    count = np.bincount(si, minlength=n)
    one = count[si] == 1
    result[si[one]] = codes[ci[one]]
    for s in np.flatnonzero(count > 1):  # overlapping polygons: rare
        cands = ci[si == s]
        names = [str(codes[c]) for c in cands]
        if given[s] in names:
            choice = given[s]
        else:  # the polygon whose boundary is farthest from the site
            depth = [
                _boundary_distance(index, int(c), lon[s : s + 1], lat[s : s + 1])[0] for c in cands
            ]
            deepest = np.flatnonzero(np.asarray(depth) >= max(depth) - _TIE_KM)
            choice = names[int(deepest[0])]  # ties go to the first in borders order
        result[s] = choice
        notes[s].append(f"inside overlapping polygons of {' and '.join(names)}; taken as {choice}")

    todo = np.flatnonzero(result == "")
    if todo.size:
        sj, cj = index.near(lon[todo], lat[todo], max(snap_km, 0.0) + 1e-3)
        sj = todo[sj]
        km = index.pair_distance(sj, cj, lon, lat) if sj.size else np.empty(0)
        ok = km <= snap_km + 1e-9
        sj, cj, km = sj[ok], cj[ok], km[ok]
        order = np.lexsort((cj, km, sj))
        sj, cj, km = sj[order], cj[order], km[order]
        first = np.r_[True, sj[1:] != sj[:-1]] if sj.size else np.zeros(0, bool)
        dmin = np.repeat(km[first], np.diff(np.r_[np.flatnonzero(first), sj.size]))
        tied = km <= dmin + _TIE_KM
        n_tied = np.bincount(sj[tied], minlength=n)
        lone = first & (n_tied[sj] == 1)
        result[sj[lone]] = codes[cj[lone]]
        snapped[sj[lone]] = True
        for s, c, d in zip(sj[lone], cj[lone], km[lone], strict=True):
            notes[s].append(f"outside every country polygon; snapped to {codes[c]} ({d:.3f} km)")
        for s in np.flatnonzero(n_tied > 1):  # on a border shared by several countries
            m = (sj == s) & tied
            names = [str(codes[c]) for c in cj[m]]
            choice = given[s] if given[s] in names else names[0]
            result[s] = choice
            snapped[s] = True
            notes[s].append(
                f"on the border of {' and '.join(names)} ({km[m].min():.3f} km); taken as {choice}"
            )
    for s in np.flatnonzero(result == ""):
        notes[s].append(f"outside every country polygon (none within {snap_km:g} km)")
    differ = (given != "") & (result != "") & (given != result)
    for s in np.flatnonzero(differ):
        notes[s].append(f"inventory country {given[s]}, but the location is in {result[s]}")
    out = sites.copy(deep=False)  # copy on write: the columns added are out's only
    out["site_country"] = result.tolist()
    out["country_snapped"] = snapped
    warning = np.full(n, "", dtype=object)
    for s, x in notes.items():
        warning[s] = "; ".join(x)
    out["country_warning"] = warning.tolist()
    n_warn = len(notes)
    if n_warn:
        logger.warning(
            "site country: %d of %d sites have a warning (see country_warning)", n_warn, n
        )
    return out


def _boundary_distance(index: _BorderIndex, k: int, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Geodesic km from points to the boundary of country ``k`` (also when inside)."""
    return index.country(k).boundary_distance(lon, lat)


# ----------------------------------------------------------------------------------------------
# Distances to foreign territory
# ----------------------------------------------------------------------------------------------
def _site_countries(sites: gpd.GeoDataFrame, borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "site_country" in sites.columns:
        return sites
    logger.info("sites have no site_country yet; assigning countries from borders")
    return assign_country(sites, borders)


def border_distance(sites: gpd.GeoDataFrame, borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Geodesic distance from each site to the nearest foreign territory.

    Foreign means any country in ``borders`` other than the site's
    ``site_country`` (computed with :func:`assign_country` when absent; a
    site with no country measures to every country). The search grows in
    steps (40, 120, 360, ... km): at each step the countries whose polygons come
    near the site (STRtree on polygon envelopes) are measured exactly, and
    the site is done once a country lies within the step. Distances are
    geodesic on WGS84 (see the module notes); a site inside a foreign
    polygon (overlapping borders) is at 0 km.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``site_id`` (and ``site_country`` if already assigned).
    borders : geopandas.GeoDataFrame
        As returned by :func:`load_borders`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``sites`` with ``border_km`` (float; NaN when ``borders``
        holds no foreign country) and ``nearest_foreign`` (ISO3, '' when none),
        plus the :func:`assign_country` columns if they were missing.

    Raises
    ------
    CRSError
        ``sites`` or ``borders`` has no CRS.
    GeodataError
        As :func:`assign_country`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> borders = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> sites = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[Point(0.9, 0.5)], crs=4326)
    >>> out = border_distance(sites, borders)
    >>> round(float(out.border_km[0]), 2), out.nearest_foreign[0]
    (11.13, 'BBB')
    """
    sites = _check_sites(sites)
    borders = _check_borders(borders)
    sites = _site_countries(sites, borders)
    index = _border_index(borders)
    lon, lat = _xy(sites)
    n = lon.size
    ncty = len(index.codes)
    own = _rows_of_codes(index, _text(sites["site_country"], n))
    best = np.full(n, np.inf)
    best_k = np.full(n, -1)
    done = np.empty(0, dtype=np.int64)  # site * ncty + country, measured for good

    def measure(site: np.ndarray, cty: np.ndarray, radius: float, boxes: Any = None) -> None:
        nonlocal done
        key = site.astype(np.int64) * ncty + cty
        keep = (cty != own[site]) & ~np.isin(key, done)
        site, cty, key = site[keep], cty[keep], key[keep]
        if site.size == 0:
            return
        limit = np.minimum(best, radius)  # per site
        outside = boxes is not None  # after the first call, inside pairs are all settled
        km = index.pair_distance(
            site, cty, lon, lat, limit, boxes=boxes, outside=outside, shortest=True
        )
        # settled: measured, or farther than a country already found within this radius
        settled = np.isfinite(km) | (best[site] <= radius) | (radius >= _HALF_CIRCUMFERENCE_KM)
        done = _unique_int(np.concatenate([done, key[settled]]))
        order = np.lexsort((cty, km, site))  # per site: nearest first, ties to the lower index
        site, cty, km = site[order], cty[order], km[order]
        first = np.r_[True, site[1:] != site[:-1]]
        site, cty, km = site[first], cty[first], km[first]
        better = km < best[site] - _TIE_KM
        best[site[better]] = km[better]
        best_k[site[better]] = cty[better]

    si, ci = index.within(lon, lat)
    measure(si, ci, np.inf)
    pending = np.arange(n)
    radius = 40.0
    while pending.size:
        radius = min(radius, _HALF_CIRCUMFERENCE_KM)
        # countries whose polygons come within the search boxes (also within ``radius``)
        box, owner = _search_boxes(lon[pending], lat[pending], np.minimum(best[pending], radius))
        boxes = (box, pending[owner])
        sj, cj = index.meeting(boxes)
        measure(sj, cj, radius, boxes)
        if radius >= _HALF_CIRCUMFERENCE_KM:
            break
        pending = pending[best[pending] > radius]
        radius *= 3
    out = sites.copy(deep=False)  # copy on write: the columns added are out's only
    out["border_km"] = np.where(np.isfinite(best), best, np.nan)
    out["nearest_foreign"] = _codes_at(index, best_k)
    return out


def _rows_of_codes(index: _BorderIndex, codes: np.ndarray) -> np.ndarray:
    """Row of each code in the borders, -1 if none (``[index.row.get(c, -1) for c in codes]``)."""
    return pd.Index(index.codes).get_indexer(codes).astype(np.int64)


def _codes_at(index: _BorderIndex, rows: np.ndarray) -> list[str]:
    """Code of each borders row, "" for -1 (``[str(index.codes[k]) if k >= 0 else ""]``)."""
    names = np.array([*map(str, index.codes), ""], dtype=object)
    return names[rows].tolist()


def distance_to_country(
    sites: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, pairs: pd.DataFrame
) -> pd.DataFrame:
    """Geodesic distance from given sites to given countries.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``site_id``.
    borders : geopandas.GeoDataFrame
        As returned by :func:`load_borders`.
    pairs : pandas.DataFrame
        Columns ``site_id`` and ``iso_a3``.

    Returns
    -------
    pandas.DataFrame
        ``pairs`` (same rows, same order) with ``border_km``: the geodesic
        distance (WGS84, km) from the site to the nearest point of that
        country's territory, 0 when the site lies inside it.

    Raises
    ------
    GeodataError
        A ``site_id`` or ``iso_a3`` of ``pairs`` is not in ``sites`` or ``borders``.
    CRSError
        ``sites`` or ``borders`` has no CRS.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> borders = gpd.GeoDataFrame({"iso_a3": ["AAA"]}, geometry=[box(1, 0, 2, 1)], crs=4326)
    >>> sites = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[Point(0, 0.5)], crs=4326)
    >>> pairs = pd.DataFrame({"site_id": ["s1"], "iso_a3": ["AAA"]})
    >>> round(float(distance_to_country(sites, borders, pairs).border_km[0]), 1)
    111.3
    """
    sites = _check_sites(sites)
    borders = _check_borders(borders)
    if not isinstance(pairs, pd.DataFrame):
        raise GeodataError("pairs must be a DataFrame with columns site_id and iso_a3")
    for col in ("site_id", "iso_a3"):
        if col not in pairs.columns:
            raise GeodataError(f"pairs need columns site_id and iso_a3; missing {col}")
    index = _border_index(borders)
    want_sites = pairs["site_id"].astype(str).to_numpy()
    want_codes = pairs["iso_a3"].astype(str).str.upper().to_numpy()
    # a repeated site_id means its last row
    s_idx = last_rows(sites["site_id"].astype(str).to_numpy(), want_sites).astype(np.int64)
    unknown = sorted(set(want_sites[s_idx < 0]))
    if unknown:
        raise GeodataError(f"site_id not in sites: {', '.join(unknown[:10])}")
    unknown = sorted({c for c in want_codes if c not in index.row})
    if unknown:
        raise GeodataError(f"iso_a3 not in borders: {', '.join(unknown[:10])}")
    lon, lat = _xy(sites)
    c_idx = np.array([index.row[c] for c in want_codes], dtype=np.int64)
    out = pairs.copy()
    out["border_km"] = index.pair_distance(s_idx, c_idx, lon, lat) if len(out) else np.empty(0)
    return out
