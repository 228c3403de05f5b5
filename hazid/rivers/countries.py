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


def _chunk_lines(
    lines: np.ndarray,
    owner: np.ndarray,
    max_vertices: int = 64,
    window: tuple[float, float, float, float] | None = None,
) -> tuple:
    """Cut lines into pieces of at most ``max_vertices`` vertices (sharing ends).

    With ``window`` (x0, y0, x1, y1), only the pieces whose box meets it are made.
    """
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    if len(xy) == 0:
        return np.array([], dtype=object), np.array([], dtype=int)
    step = max_vertices - 1
    counts = np.bincount(idx, minlength=len(lines))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    # piece k of a line of L vertices: vertices k * step .. min((k + 1) * step, L - 1)
    npieces = np.where(counts >= 2, np.maximum(counts - 1, 0) // step, 0)
    npieces += (counts >= 2) & ((counts - 1) % step > 0)
    line = np.repeat(np.arange(len(lines)), npieces)
    k = np.arange(len(line)) - np.repeat(np.cumsum(npieces) - npieces, npieces)
    first = starts[line] + k * step
    size = np.minimum(first + step, starts[line] + counts[line] - 1) - first + 1
    if window is not None and len(line):
        keep = _box_meets(_run_bounds(xy, first, size), window)
        line, first, size = line[keep], first[keep], size[keep]
    within = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    vert = np.repeat(first, size) + within
    geoms = shapely.linestrings(xy[vert], indices=np.repeat(np.arange(len(line)), size))
    return geoms, owner[line]


def _run_bounds(xy: np.ndarray, first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Box (x0, y0, x1, y1) of each run of ``size`` (>= 1) rows of ``xy`` from row ``first``."""
    vert = np.repeat(first, size) + np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    at = np.cumsum(size) - size
    lo = np.minimum.reduceat(xy[vert], at, axis=0)
    hi = np.maximum.reduceat(xy[vert], at, axis=0)
    return np.c_[lo, hi]


def _box_meets(box: np.ndarray, window: tuple[float, float, float, float]) -> np.ndarray:
    """Whether each box (x0, y0, x1, y1) is not wholly beyond ``window`` on any side."""
    x0, y0, x1, y1 = window
    far_x = (box[:, 0] > x1) | (box[:, 2] < x0)
    return ~(far_x | (box[:, 1] > y1) | (box[:, 3] < y0))


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
    """Label (";"-joined, sorted) of each distinct country set, and each reach's set index.

    The set indices are in order of first appearance along the reaches.
    """
    nwords = max(1, math.ceil(len(uniq) / 63))
    mask = np.zeros((n, nwords), dtype=np.int64)
    if len(pos):
        np.bitwise_or.at(mask, (pos, code // 63), np.left_shift(1, code % 63))
    # hash the rows word by word (linear; sorting the rows is not)
    inv = pd.factorize(mask[:, 0])[0].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    for w in range(1, nwords):
        word = pd.factorize(mask[:, w])[0].astype(np.int64)
        inv = pd.factorize(inv * (int(word.max()) + 1) + word)[0].astype(np.int64)
    first = np.unique(inv, return_index=True)[1] if n else np.zeros(0, dtype=np.int64)
    sets = mask[first]
    order = np.argsort(np.asarray(uniq, dtype=str))
    labels = [
        ";".join(str(uniq[c]) for c in order if (int(row[c // 63]) >> (int(c) % 63)) & 1)
        for row in sets
    ]
    return np.array(labels, dtype=object), inv


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
    pieces = _border_pieces(rgeom, bgeom, border_tolerance_km)
    at_border = np.unique(pieces[3]) if border_tolerance_km > 0 else None
    ri, ci, bi = _crossed_countries(rgeom, bgeom, codes, at_border, shapely.bounds(pieces[0]))
    near = _near_countries(rgeom, codes, ri, ci, pieces, border_tolerance_km)
    if near is None:
        pos, code, src, knd = ri, ci, bi, np.zeros(len(ri), dtype=np.int8)
    else:
        pos, code, src = (np.r_[x, y] for x, y in zip((ri, ci, bi), near[:3], strict=True))
        knd = np.r_[np.zeros(len(ri), dtype=np.int8), np.ones(len(near[0]), dtype=np.int8)]
    frac, last = _entry_fractions(
        rgeom, bgeom, pos, code, src, knd, near, len(ri), border_tolerance_km
    )
    # one row per (reach, country), sorted: the first entry and the last exit
    key = pos.astype(np.int64) * (len(uniq) + 1) + code
    order = np.argsort(key, kind="stable")
    key = key[order]
    head = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    return (
        pos[order][head].astype(np.int64),
        code[order][head].astype(np.int64),
        np.minimum.reduceat(frac[order], head) if len(head) else np.array([]),
        np.maximum.reduceat(last[order], head) if len(head) else np.array([]),
        uniq,
    )


def _entry_fractions(
    rgeom: np.ndarray,
    bgeom: np.ndarray,
    pos: np.ndarray,
    code: np.ndarray,
    src: np.ndarray,
    knd: np.ndarray,
    near: tuple[np.ndarray, ...] | None,
    n_crossed: int,
    border_tolerance_km: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Where, along a reach in several countries, it enters and leaves each (pair by pair).

    (0, 1) for the pairs of reaches in one country. ``knd`` is 0 for a
    country crossed (``src`` its border row), 1 for one within the bank
    tolerance (``src`` the position in ``near``, after ``n_crossed`` pairs).
    """
    frac = np.zeros(len(pos))
    last = np.ones(len(pos))
    if not len(pos):
        return frac, last
    n = int(pos.max()) + 1
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, -1)
    np.minimum.at(lo, pos, code)
    np.maximum.at(hi, pos, code)
    sel = np.flatnonzero((lo != hi)[pos])  # pairs of reaches in more than one country
    inside = sel[knd[sel] == 0]
    if len(inside):
        lines = rgeom[pos[inside]]
        x0, y0, x1, y1 = shapely.bounds(lines).T
        part = _clip_each(bgeom[src[inside]], x0, y0, x1, y1)
        inter = shapely.intersection(lines, part)
        frac[inside], last[inside] = _fraction_range(lines, inter)
    nearsel = sel[knd[sel] == 1]
    if len(nearsel) and near is not None:
        _, _, _, pr, pb = near
        k = nearsel - n_crossed
        zone = shapely.buffer(pb[k], border_tolerance_km * 1000.0, quad_segs=4)
        inter = shapely.intersection(pr[k], zone)
        frac[nearsel], last[nearsel] = _fraction_range(pr[k], inter)
    return frac, last


def _border_pieces(
    rgeom: np.ndarray, bgeom: np.ndarray, border_tolerance_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Border rings cut into short pieces, and the (piece, reach) pairs near each other.

    A reach is paired with a piece within the bank tolerance plus a margin
    (in degrees for the latitudes of the piece, only to pre-select:
    :func:`hazid.rivers.geodesy._deg_margin`);
    a reach paired with no piece lies wholly inside one country, or wholly
    outside all. Without tolerance, no pair. Returns (pieces, their border
    row, piece index, reach position).
    """
    empty = np.array([], dtype=np.int64)
    if border_tolerance_km <= 0:
        return np.array([], dtype=object), empty, empty, empty
    # only the countries, then the pieces, whose box comes near the reaches (:func:`_near_box`)
    window = _near_window(rgeom, border_tolerance_km)
    rows = np.arange(len(bgeom))
    if window is not None:
        rows = rows[_box_meets(shapely.bounds(bgeom), window)]
    rings, ring_owner = shapely.get_parts(shapely.boundary(bgeom[rows]), return_index=True)
    b_parts, b_own = _chunk_lines(rings, rows[ring_owner], max_vertices=64, window=window)
    b_parts, b_own = _near_box(b_parts, b_own, rgeom, border_tolerance_km)
    if not len(b_parts):
        return b_parts, b_own, empty, empty
    # a margin per piece, for the latitudes it spans (narrower than one for the whole network)
    piece_lat = np.max(np.abs(shapely.bounds(b_parts)[:, [1, 3]]), axis=1)
    deg = np.array([_deg_margin(border_tolerance_km * 1000.0, float(v)) for v in piece_lat])
    # the tree of the reaches lives only here (large at world scale)
    si, rj = _pairs_within(shapely.STRtree(rgeom), b_parts, deg, len(rgeom))
    return b_parts, b_own, si, rj


#: Vertices of the bits of border pieces tested against the reaches: 6 segments, as GEOS
#: groups the segments of a line to measure distances (its facet sequences).
_BIT_VERTICES = 7


def _pairs_within(
    tree: shapely.STRtree, lines: np.ndarray, deg: np.ndarray, n_tree: int
) -> tuple[np.ndarray, np.ndarray]:
    """(line, tree item) pairs within ``deg`` (per line) of each other, sorted.

    The pairs of ``tree.query(lines, predicate="dwithin", distance=deg)``: a line is within
    the distance of an item when one of its bits of :data:`_BIT_VERTICES` vertices (its
    segments, in their groups) is, and the box of a bit meets far fewer items' boxes than
    the box of a long line (the items so tested are far fewer).
    """
    bits, line = _chunk_lines(lines, np.arange(len(lines)), max_vertices=_BIT_VERTICES)
    bj, item = tree.query(bits, predicate="dwithin", distance=deg[line])
    key = _unique_sorted(line[bj].astype(np.int64) * max(n_tree, 1) + item)
    return key // max(n_tree, 1), key % max(n_tree, 1)


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


#: Grid cells of :func:`_containing_by_cells` (degrees); border pieces are kept within twice
#: this or twice the widest pre-selection margin (:func:`_deg_margin` at 85 degrees of
#: latitude) of the reaches (:func:`_near_box`).
_CELL_DEG = 0.1


def _near_box(
    b_parts: np.ndarray, b_own: np.ndarray, rgeom: np.ndarray, border_tolerance_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the border pieces whose box comes near the box of all the reaches (in order).

    A piece farther away is paired with no reach (:func:`_border_pieces`) and reaches no grid
    cell holding a reach's vertex (:func:`_containing_by_cells`): dropping it changes no
    result, and a world's borders hold many times more pieces than a country's rivers reach.
    """
    window = _near_window(rgeom, border_tolerance_km)
    if window is None or not len(b_parts):
        return b_parts, b_own
    keep = _box_meets(shapely.bounds(b_parts), window)
    return b_parts[keep], b_own[keep]


def _near_window(
    rgeom: np.ndarray, border_tolerance_km: float
) -> tuple[float, float, float, float] | None:
    """Box of all the reaches, widened by the margin of :func:`_near_box`; None without reach."""
    # no reach without geometry, or empty, has a box: the box of the others, or none
    x0, y0, x1, y1 = shapely.total_bounds(rgeom) if len(rgeom) else (np.nan,) * 4
    if np.isnan(x0):
        return None
    pad = 2.0 * max(_deg_margin(border_tolerance_km * 1000.0, 85.0), _CELL_DEG)
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def _crossed_countries(
    rgeom: np.ndarray,
    bgeom: np.ndarray,
    codes: np.ndarray,
    at_border: np.ndarray | None,
    piece_bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reach position, country code, border row) of each country a reach lies in or crosses.

    A reach touching a country only at a point (ending on the border) belongs
    to the other country. Only the reaches at a border (positions
    ``at_border``, None for all) and multi-part lines are tested whole against the
    countries; any other reach lies wholly inside the countries that contain
    its first vertex (a point test against the prepared country polygons).
    """
    n = len(rgeom)
    ok = shapely.is_geometry(rgeom) & ~shapely.is_empty(rgeom)
    whole = shapely.get_type_id(rgeom) != 1
    whole[slice(None) if at_border is None else at_border] = True
    whole &= ok
    inner = np.flatnonzero(ok & ~whole)
    outer = np.flatnonzero(whole)
    xy, owner = shapely.get_coordinates(rgeom[inner], return_index=True)
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1] if len(owner) else owner
    bi_in, k_in = _containing_by_cells(bgeom, xy[first, 0], xy[first, 1], piece_bounds)
    bi_out, k_out = shapely.STRtree(rgeom[outer]).query(bgeom, predicate="intersects")
    ri = np.r_[inner[k_in], outer[k_out]].astype(np.int64)
    bi = np.r_[bi_in, bi_out].astype(np.int64)
    ci = codes[bi]
    multi = np.bincount(ri, minlength=n)[ri] > 1
    if multi.any():
        k = np.flatnonzero(multi)
        # the country first, prepared: it tests the reach much faster (the same predicate)
        shapely.prepare(bgeom)
        touch = shapely.touches(bgeom[bi[k]], rgeom[ri[k]])
        drop = np.zeros(len(ri), dtype=bool)
        drop[k[touch]] = True
        ri, bi, ci = ri[~drop], bi[~drop], ci[~drop]
    return ri, ci, bi


def _containing_by_cells(
    bgeom: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    piece_bounds: np.ndarray,
    cell: float = _CELL_DEG,
) -> tuple[np.ndarray, np.ndarray]:
    """(polygon, point) pairs of the points inside each polygon, by grid cells.

    For points off every polygon boundary; ``piece_bounds`` are the boxes of
    the boundary pieces. A grid cell (``cell`` degrees) that no piece box
    reaches lies wholly inside or outside each polygon, so the polygon of
    its centre is that of all its points; the other points, and those of
    cells inside several polygons, are tested one by one (:func:`_containing`).
    """
    width, height = round(360.0 / cell), round(180.0 / cell)
    margin = 1e-9
    b = piece_bounds[np.all(np.isfinite(piece_bounds), axis=1)]
    ix0, ix1 = (
        np.clip(np.floor((b[:, k] + d + 180.0) / cell), 0, width - 1).astype(np.int64)
        for k, d in ((0, -margin), (2, margin))
    )
    iy0, iy1 = (
        np.clip(np.floor((b[:, k] + d + 90.0) / cell), 0, height - 1).astype(np.int64)
        for k, d in ((1, -margin), (3, margin))
    )
    nx, ny = ix1 - ix0 + 1, iy1 - iy0 + 1
    if int((nx * ny).sum()) > 50_000_000:  # pieces too large for cells to help
        return _containing(bgeom, x, y)
    piece = np.repeat(np.arange(len(b)), nx * ny)
    k = np.arange(len(piece)) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
    border_cell = np.zeros(width * height, dtype=bool)
    border_cell[(iy0[piece] + k // nx[piece]) * width + ix0[piece] + k % nx[piece]] = True
    inside = (x >= -180.0) & (x < 180.0) & (y >= -90.0) & (y < 90.0)
    pc = np.full(len(x), -1, dtype=np.int64)
    pc[inside] = np.floor((y[inside] + 90.0) / cell).astype(np.int64) * width + np.floor(
        (x[inside] + 180.0) / cell
    ).astype(np.int64)
    pure = inside & ~border_cell[np.maximum(pc, 0)]
    cells, at = np.unique(pc[pure], return_inverse=True)
    cx = (cells % width + 0.5) * cell - 180.0
    cy = (cells // width + 0.5) * cell - 90.0
    cb, ck = _containing(bgeom, cx, cy)
    nin = np.bincount(ck, minlength=len(cells))
    owner = np.full(len(cells), -1, dtype=np.int64)
    owner[ck[nin[ck] == 1]] = cb[nin[ck] == 1]
    pure_idx = np.flatnonzero(pure)
    single = nin[at] == 1
    rest = np.r_[np.flatnonzero(~pure), pure_idx[nin[at] > 1]]
    rb, rk = _containing(bgeom, x[rest], y[rest])
    return np.r_[owner[at[single]], rb], np.r_[pure_idx[single], rest[rk]]


def _containing(bgeom: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(polygon, point) pairs of the points inside each polygon.

    For points off every polygon boundary. Each polygon is prepared once and
    tests only the points within its bounding box.
    """
    order = np.argsort(x, kind="stable")
    xs = x[order]
    bounds = shapely.bounds(bgeom)
    shapely.prepare(bgeom)
    out_b, out_k = [], []
    for j, (x0, y0, x1, y1) in enumerate(bounds):
        lo = np.searchsorted(xs, x0, side="left")
        hi = np.searchsorted(xs, x1, side="right")
        cand = order[lo:hi]
        cand = cand[(y[cand] >= y0) & (y[cand] <= y1)]
        cand = cand[shapely.contains_xy(bgeom[j], x[cand], y[cand])]
        out_b.append(np.full(len(cand), j, dtype=np.int64))
        out_k.append(cand)
    if not out_b:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(out_b), np.concatenate(out_k)


def _near_countries(
    rgeom: np.ndarray,
    codes: np.ndarray,
    ri: np.ndarray,
    ci: np.ndarray,
    pieces: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    border_tolerance_km: float,
    *,
    chunk: int = 100_000,
) -> tuple[np.ndarray, ...] | None:
    """Countries within the bank tolerance of a reach that does not cross them.

    Distances in a local azimuthal equidistant projection centred on the
    reach's midpoint. ``pieces`` is :func:`_border_pieces`. Returns (reach
    position, country code, border piece, projected reach, projected border
    piece), or None without tolerance or border.
    """
    if border_tolerance_km <= 0:
        return None
    tol_m = border_tolerance_km * 1000.0
    b_parts, b_own, si, rj = pieces
    if not len(b_parts):
        return None
    # keep pairs with a country the reach is not already in
    have = pd.MultiIndex.from_arrays([ri, ci])
    cand = pd.MultiIndex.from_arrays([rj, codes[b_own[si]]])
    new = ~cand.isin(have)
    si, rj = si[new], rj[new]
    if not len(si):
        return None
    keep: list[tuple[np.ndarray, ...]] = []
    for lo in range(0, len(si), chunk):  # in blocks: the projected copies are large
        rk, sk = rj[lo : lo + chunk], si[lo : lo + chunk]
        mid = shapely.line_interpolate_point(rgeom[rk], 0.5, normalized=True)
        mx, my = shapely.get_x(mid), shapely.get_y(mid)
        pr = _project_local(rgeom[rk], mx, my)
        pb = _project_local(b_parts[sk], mx, my)
        near = shapely.distance(pr, pb) <= tol_m
        keep.append((rk[near], sk[near], pr[near], pb[near]))
    rj, si, pr, pb = (np.concatenate(x) for x in zip(*keep, strict=True))
    return rj, codes[b_own[si]], si, pr, pb


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
