"""Digital Chart of the World: decoding the ``gmt-dcw`` netCDF into country borders.

The DCW (1:1,000,000) is installed by Debian's ``gmt-dcw`` package as
``/usr/share/gmt-dcw/dcw-gmt.nc``, or named by ``HAZID_DCW``. Each country is
stored as quantised rings, decoded here into one MultiPolygon per ISO3 code
(:func:`read_dcw`) and cached on disk keyed by the file's SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity

from hazid.errors import DataSourceError, check_choice
from hazid.geography.common import (
    _CODE2,
    _iso2_to_iso3,
    _iso3_names,
    _iso_table,
    _polygonal,
)
from hazid.tables import file_sha256

__all__ = ["read_dcw"]

logger = logging.getLogger(__name__)

#: Default location of the Digital Chart of the World installed by ``apt-get install gmt-dcw``.
DEFAULT_DCW = Path("/usr/share/gmt-dcw/dcw-gmt.nc")
#: Douglas-Peucker tolerance (degrees, about 220 m) applied to DCW countries with
#: more than :data:`DCW_SIMPLIFY_MIN_VERTICES` vertices.
DCW_SIMPLIFY_DEG = 0.002
DCW_SIMPLIFY_MIN_VERTICES = 3000
_DCW_DECODER_VERSION = 1


def _dcw_path() -> Path:
    env = os.environ.get("HAZID_DCW")
    return Path(env).expanduser() if env else DEFAULT_DCW


# ----------------------------------------------------------------------------------------------
# Digital Chart of the World (gmt-dcw)
# ----------------------------------------------------------------------------------------------
def _dcw_country_list(nc_path: Path, variables: Iterable[str]) -> list[tuple[str, str]]:
    """(ISO2, name) of every country: from dcw-countries.txt, else from the variable names."""
    available = {v[:-4] for v in variables if re.fullmatch(r"[A-Z]{2}_lon", v)}
    txt = nc_path.with_name("dcw-countries.txt")
    out: list[tuple[str, str]] = []
    if txt.is_file():
        for line in txt.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(maxsplit=2)
            if len(fields) < 2 or not _CODE2.match(fields[1]):
                continue  # state entries such as USAK are not countries
            code = fields[1]
            if code not in available:
                logger.warning("DCW country %s listed in %s has no data; skipped", code, txt.name)
                continue
            out.append((code, fields[2].strip() if len(fields) > 2 else ""))
    else:
        names = _iso_table().set_index("iso_a2")["name"].to_dict()
        out = [(c, names.get(c, c)) for c in sorted(available)]
    return out


def _dcw_rings(var_lon: Any, var_lat: Any) -> list[tuple[np.ndarray, bool, bytes]]:
    """Split one DCW country into rings: (lon/lat array, hole flag, duplicate key)."""
    var_lon.set_auto_maskandscale(False)
    var_lat.set_auto_maskandscale(False)
    raw_lon = np.asarray(var_lon[:]).astype(np.int64)
    raw_lat = np.asarray(var_lat[:]).astype(np.int64)
    lon = raw_lon / float(var_lon.getncattr("scale")) + float(var_lon.getncattr("min"))
    lat = raw_lat / float(var_lat.getncattr("scale")) + float(var_lat.getncattr("min"))
    markers = np.flatnonzero(raw_lon == 65535)
    if markers.size == 0 or markers[0] != 0:
        markers = np.r_[-1, markers]  # data that does not open with a marker: one outer ring
    rings = []
    for start, end in zip(markers + 1, np.r_[markers[1:], raw_lon.size], strict=True):
        if end - start < 3:
            continue  # degenerate (two-point) rings exist in the source
        hole = bool(start > 0 and raw_lat[start - 1] == 1)
        xy = np.column_stack([lon[start:end], lat[start:end]])
        raw = np.column_stack([raw_lon[start:end], raw_lat[start:end]])
        if (raw[0] != raw[-1]).any():
            xy = np.vstack([xy, xy[:1]])
            raw = np.vstack([raw, raw[:1]])
        body = raw[:-1]
        key = body[np.lexsort((body[:, 1], body[:, 0]))].tobytes()
        rings.append((_close_through_pole(xy), hole, key))
    return rings


def _close_through_pole(xy: np.ndarray) -> np.ndarray:
    """Route a ring that jumps across the whole longitude range (Antarctica) through the pole."""
    dx = np.abs(np.diff(xy[:, 0]))
    if dx.size == 0 or dx.max() <= 180:
        return xy
    j = int(np.argmax(dx))
    a, b = xy[j], xy[j + 1]
    pole = -90.0 if xy[:, 1].mean() < 0 else 90.0
    edge_a = -180.0 if a[0] < 0 else 180.0
    edge_b = -edge_a
    extra = np.array([[edge_a, a[1]], [edge_a, pole], [edge_b, pole], [edge_b, b[1]]])
    return np.vstack([xy[: j + 1], extra, xy[j + 1 :]])


def _decode_dcw_country(ds: Any, code: str, simplify_deg: float) -> Any:
    rings = _dcw_rings(ds.variables[f"{code}_lon"], ds.variables[f"{code}_lat"])
    if not rings:
        return None
    counts: dict[bytes, int] = {}
    for _, _, key in rings:
        counts[key] = counts.get(key, 0) + 1
    n_vertices = sum(len(xy) for xy, _, _ in rings)

    def to_polys(arrs: list[np.ndarray]) -> np.ndarray:
        if not arrs:
            return np.empty(0, dtype=object)
        coords = np.vstack(arrs)
        idx = np.repeat(np.arange(len(arrs)), [len(a) for a in arrs])
        polys = shapely.polygons(shapely.linearrings(coords, indices=idx))
        return shapely.make_valid(polys, method="structure", keep_collapsed=False)

    outer = [xy for xy, hole, key in rings if not hole and counts[key] == 1]
    holes = [xy for xy, hole, key in rings if hole]
    seen: set[bytes] = set()
    paired = []
    for xy, hole, key in rings:
        if not hole and counts[key] > 1 and key not in seen:
            seen.add(key)
            paired.append(xy)

    polys = to_polys(outer)
    if n_vertices > DCW_SIMPLIFY_MIN_VERTICES and simplify_deg > 0:
        polys = shapely.simplify(polys, simplify_deg, preserve_topology=True)
    geom = shapely.union_all(polys)
    # A ring stored twice (once reversed) inside a larger ring is an enclave or a
    # lake cut out of the country (e.g. Vorukh and Sokh in Kyrgyzstan).
    pair_polys = to_polys(paired)
    inside = (
        shapely.contains(geom, shapely.point_on_surface(pair_polys))
        if len(pair_polys)
        else np.zeros(0, bool)
    )
    if (~inside).any():
        geom = shapely.union_all([geom, *pair_polys[~inside]])
    cut = [*to_polys(holes), *pair_polys[inside]]
    if cut:
        geom = shapely.difference(geom, shapely.union_all(cut))
    xmin, _, xmax, _ = geom.bounds
    if xmax > 180 or xmin < -180:
        west = shapely.intersection(geom, shapely.box(-180, -90, 180, 90))
        east = shapely.intersection(geom, shapely.box(180, -90, 540, 90))
        low = shapely.intersection(geom, shapely.box(-540, -90, -180, 90))
        east = shapely.affinity.translate(east, -360)
        low = shapely.affinity.translate(low, 360)
        geom = shapely.union_all([west, east, low])
    return _polygonal(np.array([geom], dtype=object))[0]


def read_dcw(
    path: str | os.PathLike[str] | None = None,
    *,
    countries: Sequence[str] | None = None,
    simplify_deg: float = DCW_SIMPLIFY_DEG,
    cache: bool = True,
) -> gpd.GeoDataFrame:
    """Decode the Digital Chart of the World (DCW-GMT netCDF) into country borders.

    Each country ``CC`` listed in ``dcw-countries.txt`` (next to the ``.nc``;
    state entries such as ``USAK`` are skipped) is stored as two uint16
    variables ``CC_lon`` and ``CC_lat`` with attributes ``min`` and ``scale``;
    ``value = raw / scale + min``. ``raw_lon == 65535`` starts a new ring and
    ``raw_lat`` at that marker is 1 for a hole (Lesotho in South Africa, San
    Marino and the Vatican in Italy). A ring stored twice, once reversed, lying
    inside a larger ring of the same country is a hole too (enclaves such as
    Vorukh, Tajikistan, and Sokh, Uzbekistan, inside Kyrgyzstan; lakes cut at
    tile edges). Longitudes run from -180 to 360 (western hemisphere as
    180..360): geometries are cut at 180 degrees and shifted, and Antarctica is
    closed through the South Pole. Self-intersections from the quantisation are
    repaired with ``make_valid(method="structure")``. Countries with more than
    3,000 vertices are simplified with Douglas-Peucker at ``simplify_deg``
    (default 0.002 degrees, about 220 m, topology preserved); the DCW is a
    1:1,000,000 source, whose own accuracy is coarser than this.

    The decoded layer is cached in memory and on disk
    (``<hazid data dir>/cache/dcw-<sha256>-....gpkg``, keyed by the file's
    SHA-256), so only the first call pays the decoding (about 35 s for the
    whole world on two cores; reading the cache takes a fraction of a second).

    Parameters
    ----------
    path : str or path-like, optional
        The ``dcw-gmt.nc`` file; default ``HAZID_DCW`` or
        ``/usr/share/gmt-dcw/dcw-gmt.nc``.
    countries : sequence of str, optional
        Decode only these countries (ISO2 or ISO3 codes).
    simplify_deg : float, default 0.002
        Simplification tolerance in degrees; 0 keeps every vertex.
    cache : bool, default True
        Read and write the on-disk cache.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso_a3``, ``name`` (DCW's), ``iso_a2``, ``geometry``
        (MultiPolygon, EPSG:4326), sorted by ``iso_a3``. ISO3 comes from
        ``hazid/data/iso_codes.csv``; Kosovo is ``XKX``.

    Raises
    ------
    DataSourceError
        The file does not exist.
    ChoiceError
        A requested country is not in the file.

    Examples
    --------
    >>> from pathlib import Path
    >>> nc = Path("/usr/share/gmt-dcw/dcw-gmt.nc")  # apt-get install gmt-dcw
    >>> b = read_dcw(nc, countries=["KG"], cache=False) if nc.is_file() else None
    >>> b.iso_a3.tolist() if b is not None else ["KGZ"]
    ['KGZ']
    """
    nc_path = Path(path).expanduser() if path is not None else _dcw_path()
    if not nc_path.is_file():
        raise DataSourceError(
            f"Digital Chart of the World not found: {nc_path.name}; install it with "
            "`apt-get install gmt-dcw` or set HAZID_DCW to a dcw-gmt.nc"
        )
    st = nc_path.stat()
    wanted = None
    if countries is not None:
        to2 = {v: k for k, v in _iso2_to_iso3().items()}
        wanted = tuple(sorted({to2.get(c.upper(), c.upper()) for c in countries}))
    gdf = _read_dcw_cached(
        str(nc_path.resolve()), st.st_mtime_ns, st.st_size, wanted, float(simplify_deg), cache
    )
    out = gdf.copy()
    out.attrs = {"repaired": 0, "source": str(nc_path), "source_kind": "dcw"}
    return out


@functools.lru_cache(maxsize=4)
def _read_dcw_cached(
    nc: str,
    mtime_ns: int,
    size: int,
    wanted: tuple[str, ...] | None,
    simplify_deg: float,
    cache: bool,
) -> gpd.GeoDataFrame:
    import netCDF4

    nc_path = Path(nc)
    cache_file = None
    if cache:
        from hazid import datasets

        subset = "all" if wanted is None else hashlib.sha256("-".join(wanted).encode()).hexdigest()
        subset = subset[:10]
        digest = file_sha256(nc_path)[:16]
        name = f"dcw-{digest}-v{_DCW_DECODER_VERSION}-s{simplify_deg:g}-{subset}.gpkg"
        cache_file = datasets.data_dir() / "cache" / name
        if cache_file.is_file():
            try:
                gdf = gpd.read_file(cache_file)
                logger.info("DCW borders read from cache %s", cache_file)
                return gdf[["iso_a3", "name", "iso_a2", "geometry"]]
            except Exception as err:  # a broken cache file is rebuilt
                logger.warning(
                    "ignoring unreadable DCW cache %s: %s",
                    cache_file.name,
                    str(err).replace(str(cache_file), cache_file.name),
                )

    with netCDF4.Dataset(nc_path) as ds:
        listed = _dcw_country_list(nc_path, ds.variables)
        if wanted is not None:
            allowed = [c for c, _ in listed]
            for c in wanted:
                check_choice("DCW country", c, allowed)
            listed = [(c, n) for c, n in listed if c in wanted]
        to3 = _iso2_to_iso3()
        rows = []
        for code, name in listed:
            geom = _decode_dcw_country(ds, code, simplify_deg)
            if geom is None:
                logger.warning("DCW country %s has no polygons; skipped", code)
                continue
            iso3 = to3.get(code)
            if iso3 is None:
                logger.warning("DCW code %s has no ISO3 equivalent; kept as %s", code, code)
                iso3 = code
            rows.append((iso3, name or _iso3_names().get(iso3, iso3), code, geom))
    rows.sort()
    gdf = gpd.GeoDataFrame(
        {
            "iso_a3": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "iso_a2": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs="EPSG:4326",
    )
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f".{cache_file.stem}.{os.getpid()}.gpkg")
            gdf.to_file(tmp, driver="GPKG", layer="borders")
            os.replace(tmp, cache_file)
            logger.info("DCW borders cached in %s", cache_file)
        except OSError as err:
            logger.warning(
                "could not write the DCW cache %s: %s", cache_file.name, type(err).__name__
            )
    return gdf
