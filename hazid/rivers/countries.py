"""Countries along the river: which countries each reach crosses or borders, and where.

A reach belongs to the countries it crosses and, within a bank tolerance,
to those it runs along (a border river drawn on one side of the line);
where a reach touches several countries, the fractions along it where it
enters and leaves each one place the border crossing.
"""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.errors import GeodataError
from hazid.rivers.columns import _find_column
from hazid.rivers.geodesy import _clip_each, _deg_margin, _project_local, _to_wgs84

logger = logging.getLogger(__name__)


def _iso_column(borders: pd.DataFrame) -> str:
    col = _find_column(borders.columns, "iso_a3", "ADM0_A3")
    if col is None:
        raise GeodataError("borders need an 'iso_a3' column")
    return col


def _chunk_lines(lines: np.ndarray, owner: np.ndarray, max_vertices: int = 64) -> tuple:
    """Cut lines into pieces of at most ``max_vertices`` vertices (sharing ends)."""
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    if len(xy) == 0:
        return np.array([], dtype=object), np.array([], dtype=int)
    starts = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
    pos = np.arange(len(xy)) - np.repeat(starts, np.diff(np.r_[starts, len(xy)]))
    step = max_vertices - 1
    chunk = pos // step
    dup = (pos % step == 0) & (pos > 0)
    all_idx = np.r_[idx, idx[dup]]
    all_chunk = np.r_[chunk, chunk[dup] - 1]
    all_pos = np.r_[pos, pos[dup]]
    all_xy = np.vstack([xy, xy[dup]])
    order = np.lexsort((all_pos, all_chunk, all_idx))
    key = all_idx[order] * (int(all_chunk.max()) + 2) + all_chunk[order]
    _, grp, counts = np.unique(key, return_inverse=True, return_counts=True)
    keep = counts[grp] >= 2
    geoms = shapely.linestrings(
        all_xy[order][keep], indices=np.unique(grp[keep], return_inverse=True)[1]
    )
    first_of = np.unique(grp[keep], return_index=True)[1]
    return geoms, owner[all_idx[order][keep][first_of]]


def reach_countries(
    reaches: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    border_tolerance_km: float = 1.5,
) -> pd.Series:
    """Countries of each reach: those it crosses, plus those within a tolerance.

    A reach within ``border_tolerance_km`` of a country it does not cross (a
    river forming the border, drawn on one side of the line) gets that
    country too, so both banks are riparian. Distances are measured in a local
    azimuthal equidistant projection centred on the reach's midpoint.

    Parameters
    ----------
    reaches : geopandas.GeoDataFrame
        Reach table.
    borders : geopandas.GeoDataFrame
        Countries with ``iso_a3`` (EPSG:4326 or any CRS).
    border_tolerance_km : float
        Bank tolerance (km).

    Returns
    -------
    pandas.Series
        ";"-joined ISO3 codes in alphabetical order ("" at sea), indexed like
        ``reaches``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]}, crs=4326,
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> r = gpd.GeoDataFrame({"reach_id": [1]}, crs=4326,
    ...     geometry=[shapely.LineString([(0.995, 0.2), (0.995, 0.8)])])
    >>> reach_countries(r, b).tolist()
    ['AAA;BBB']
    """
    pos, code, _, uniq = _country_pairs(reaches, borders, border_tolerance_km=border_tolerance_km)
    labels, inv = _country_sets(len(reaches), pos, code, uniq)
    return pd.Series(pd.array(labels[inv], dtype="str"), index=reaches.index, name="countries")


def _country_sets(
    n: int, pos: np.ndarray, code: np.ndarray, uniq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Label (";"-joined, sorted) of each distinct country set, and each reach's set index."""
    nwords = max(1, math.ceil(len(uniq) / 63))
    mask = np.zeros((n, nwords), dtype=np.int64)
    if len(pos):
        np.bitwise_or.at(mask, (pos, code // 63), np.left_shift(1, code % 63))
    sets, inv = np.unique(mask, axis=0, return_inverse=True)
    order = np.argsort(np.asarray(uniq, dtype=str))
    labels = [
        ";".join(str(uniq[c]) for c in order if (int(row[c // 63]) >> (int(c) % 63)) & 1)
        for row in sets
    ]
    return np.array(labels, dtype=object), inv.ravel()


def _country_pairs(
    reaches: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    border_tolerance_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(reach position, country code, entry fraction) triples and the ISO3 codes."""
    pos, code, first, _, uniq = _country_spans(
        reaches, borders, border_tolerance_km=border_tolerance_km
    )
    return pos, code, first, uniq


def _country_spans(
    reaches: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    border_tolerance_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(reach position, country code, entry and exit fractions) and the ISO3 codes.

    The entry (exit) fraction is where, along a reach touching several
    countries, it first enters (last leaves) each country or its tolerance
    band; 0 (1) for reaches in one country.
    """
    reaches = _to_wgs84(reaches, "river network")
    borders = _to_wgs84(borders, "borders")
    iso = borders[_iso_column(borders)].astype(str).to_numpy()
    bgeom = borders.geometry.to_numpy()
    okb = ~pd.isna(bgeom) & ~shapely.is_empty(bgeom)
    iso, bgeom = iso[okb], bgeom[okb]
    codes, uniq = pd.factorize(iso)
    uniq = np.asarray(uniq, dtype=object)
    rgeom = reaches.geometry.to_numpy()
    n = len(rgeom)
    empty = np.array([], dtype=np.int64)
    if n == 0 or len(bgeom) == 0:
        return empty, empty, np.array([]), np.array([]), uniq
    rtree = shapely.STRtree(rgeom)
    ri, ci, bi = _crossed_countries(rtree, rgeom, bgeom, codes)
    near = _near_countries(rtree, rgeom, bgeom, codes, ri, ci, border_tolerance_km)
    if near is None:
        pos, code, src, knd = ri, ci, bi, np.zeros(len(ri), dtype=np.int8)
    else:
        pos, code, src = (np.r_[x, y] for x, y in zip((ri, ci, bi), near[:3], strict=True))
        knd = np.r_[np.zeros(len(ri), dtype=np.int8), np.ones(len(near[0]), dtype=np.int8)]
    frac = np.zeros(len(pos))
    last = np.ones(len(pos))
    ncountries = pd.DataFrame({"r": pos, "c": code}).drop_duplicates().groupby("r").size()
    multi_r = ncountries.index[ncountries.to_numpy() > 1].to_numpy()
    sel = np.flatnonzero(np.isin(pos, multi_r))
    if len(sel):
        inside = sel[knd[sel] == 0]
        if len(inside):
            lines = rgeom[pos[inside]]
            x0, y0, x1, y1 = shapely.bounds(lines).T
            part = _clip_each(bgeom[src[inside]], x0, y0, x1, y1)
            inter = shapely.intersection(lines, part)
            frac[inside], last[inside] = _fraction_range(lines, inter)
        nearsel = sel[knd[sel] == 1]
        if len(nearsel) and near is not None:
            # positions of near pairs inside the near block
            _, _, _, pr, zone = near
            k = nearsel - len(ri)
            inter = shapely.intersection(pr[k], zone[k])
            frac[nearsel], last[nearsel] = _fraction_range(pr[k], inter)
    df = pd.DataFrame({"pos": pos, "code": code, "frac": frac, "last": last})
    df = df.groupby(["pos", "code"], as_index=False, sort=True).agg(
        frac=("frac", "min"), last=("last", "max")
    )
    return (
        df["pos"].to_numpy(),
        df["code"].to_numpy(),
        df["frac"].to_numpy(),
        df["last"].to_numpy(),
        uniq,
    )


def _crossed_countries(
    rtree: shapely.STRtree, rgeom: np.ndarray, bgeom: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reach position, country code, border row) of each country a reach lies in or crosses.

    A reach touching a country only at a point (ending on the border) belongs
    to the other country.
    """
    n = len(rgeom)
    bi, ri = rtree.query(bgeom, predicate="intersects")
    ci = codes[bi]
    multi = np.bincount(ri, minlength=n)[ri] > 1
    if multi.any():
        k = np.flatnonzero(multi)
        touch = shapely.touches(rgeom[ri[k]], bgeom[bi[k]])
        drop = np.zeros(len(ri), dtype=bool)
        drop[k[touch]] = True
        ri, bi, ci = ri[~drop], bi[~drop], ci[~drop]
    return ri, ci, bi


def _near_countries(
    rtree: shapely.STRtree,
    rgeom: np.ndarray,
    bgeom: np.ndarray,
    codes: np.ndarray,
    ri: np.ndarray,
    ci: np.ndarray,
    border_tolerance_km: float,
) -> tuple[np.ndarray, ...] | None:
    """Countries within the bank tolerance of a reach that does not cross them.

    Distances in a local azimuthal equidistant projection centred on the
    reach's midpoint. Returns (reach position, country code, border piece,
    projected reach, tolerance band around the projected border piece), or
    None without tolerance or border.
    """
    if border_tolerance_km <= 0:
        return None
    tol_m = border_tolerance_km * 1000.0
    rings, ring_owner = shapely.get_parts(shapely.boundary(bgeom), return_index=True)
    b_parts, b_own = _chunk_lines(rings, ring_owner, max_vertices=64)
    if not len(b_parts):
        return None
    bounds = shapely.bounds(rgeom)
    max_lat = float(np.nanmax(np.abs(bounds[:, [1, 3]])))
    deg = _deg_margin(tol_m, max_lat)
    si, rj = rtree.query(b_parts, predicate="dwithin", distance=deg)
    # keep pairs with a country the reach is not already in
    have = pd.MultiIndex.from_arrays([ri, ci])
    cand = pd.MultiIndex.from_arrays([rj, codes[b_own[si]]])
    new = ~cand.isin(have)
    si, rj = si[new], rj[new]
    if not len(si):
        return None
    mid = shapely.line_interpolate_point(rgeom[rj], 0.5, normalized=True)
    mx, my = shapely.get_x(mid), shapely.get_y(mid)
    pr = _project_local(rgeom[rj], mx, my)
    pb = _project_local(b_parts[si], mx, my)
    near = shapely.distance(pr, pb) <= tol_m
    rj, si, pr, pb = rj[near], si[near], pr[near], pb[near]
    return rj, codes[b_own[si]], si, pr, shapely.buffer(pb, tol_m, quad_segs=4)


def _fraction_range(lines: np.ndarray, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest normalised position along each line of any vertex of ``parts``.

    (0, 1) where ``parts`` is empty or the line has no length (nothing is known).
    """
    first = np.zeros(len(lines))
    last = np.ones(len(lines))
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    if len(xy):
        f = shapely.line_locate_point(lines[idx], shapely.points(xy), normalized=True)
        ok = np.isfinite(f)
        idx, f = idx[ok], f[ok]
        lo = np.ones(len(lines))
        hi = np.zeros(len(lines))
        np.minimum.at(lo, idx, f)
        np.maximum.at(hi, idx, f)
        seen = np.zeros(len(lines), dtype=bool)
        seen[idx] = True
        first = np.where(seen, lo, 0.0)
        last = np.where(seen, hi, 1.0)
    return first, last
