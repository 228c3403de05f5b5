"""Country borders, the country of each site, and distances to foreign territory.

Borders come from a file the user names (GeoPackage, Shapefile, GeoJSON,
GeoParquet), from the environment variable ``HAZID_BORDERS``, from the Digital
Chart of the World installed by Debian's ``gmt-dcw`` package (decoded here by
:func:`read_dcw`), or from Natural Earth fetched with ``hazid data fetch
ne_10m_countries`` -- in that order (:func:`resolve_borders`).

Every distance is geodesic on the WGS84 ellipsoid. Country boundaries are
densified to segments of at most 0.05 degrees (edges are straight lines in
longitude/latitude, as GIS files define them) and grouped in pieces of 16
segments indexed by an STRtree. Candidate pieces near a site are found with
longitude/latitude boxes that provably cover the geodesic search radius, and
ranked by straight-line (chord) distance between Earth-centred WGS84
coordinates, which orders points like the geodesic distance to within a few
parts in 100,000; the closest point of each nearest segment is then measured
exactly with ``pyproj.Geod.inv``. Agreement with a brute-force geodesic check
(boundary densified to 0.0005 degrees) is within a few metres at latitudes from
0 to 75 degrees and across the antimeridian and the poles. A site inside a
polygon is at 0 km from it. Nothing is buffered or measured in degrees.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from pyproj import Geod
from shapely import STRtree

from hazid.errors import CRSError, DataSourceError, GeodataError, check_choice
from hazid.tables import file_sha256

__all__ = [
    "affected_by_air",
    "assign_country",
    "border_distance",
    "distance_to_country",
    "iso_codes",
    "load_borders",
    "read_dcw",
    "resolve_borders",
]

logger = logging.getLogger(__name__)

GEOD = Geod(ellps="WGS84")
#: Default location of the Digital Chart of the World installed by ``apt-get install gmt-dcw``.
DEFAULT_DCW = Path("/usr/share/gmt-dcw/dcw-gmt.nc")
#: Douglas-Peucker tolerance (degrees, about 220 m) applied to DCW countries with
#: more than :data:`DCW_SIMPLIFY_MIN_VERTICES` vertices.
DCW_SIMPLIFY_DEG = 0.002
DCW_SIMPLIFY_MIN_VERTICES = 3000
_DCW_DECODER_VERSION = 1

#: Columns searched (case-insensitively, in this order) for the ISO3 country code.
CODE_CANDIDATES: tuple[str, ...] = (
    "iso_a3",
    "iso_a3_eh",
    "adm0_a3",
    "iso3",
    "iso_3",
    "gid_0",
    "adm0_iso",
    "iso3166_1_alpha_3",
    "alpha_3",
    "alpha3",
    "shapegroup",
    "iso_code",
    "cntry_code",
    "country_code",
    "gu_a3",
    "su_a3",
    "brk_a3",
    "sov_a3",
    # two-letter codes, mapped to ISO3 with hazid/data/iso_codes.csv
    "iso_a2",
    "iso_a2_eh",
    "iso2",
    "alpha_2",
    "alpha2",
)
#: Columns searched (case-insensitively, in this order) for the country name.
NAME_CANDIDATES: tuple[str, ...] = (
    "name",
    "name_en",
    "admin",
    "name_long",
    "country",
    "country_name",
    "cntry_name",
    "name_0",
    "shapename",
    "nam_en",
    "geounit",
    "sovereignt",
)

_DENSIFY_DEG = 0.05  # longest boundary segment measured, degrees
_PIECE_SEGMENTS = 16  # segments per indexed boundary piece
_TIE_KM = 1e-6
_CHUNK_SITES = 20_000
_HALF_CIRCUMFERENCE_KM = 20_100.0  # longer than any geodesic between two points
_CODE3 = re.compile(r"^[A-Z]{3}$")
_CODE2 = re.compile(r"^[A-Z]{2}$")


# ----------------------------------------------------------------------------------------------
# ISO codes
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _iso_table() -> pd.DataFrame:
    src = files("hazid") / "data" / "iso_codes.csv"
    with src.open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)
    return table


def iso_codes() -> pd.DataFrame:
    """Return the ISO 3166-1 code table shipped with hazid.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso_a2``, ``iso_a3``, ``numeric`` and ``name``, one row per
        country (249 ISO entries plus Kosovo, XK/XKX).

    Examples
    --------
    >>> t = iso_codes()
    >>> t.set_index("iso_a2").loc["KG", "iso_a3"]
    'KGZ'
    """
    return _iso_table().copy()


def _iso2_to_iso3() -> dict[str, str]:
    t = _iso_table()
    return dict(zip(t["iso_a2"], t["iso_a3"], strict=True))


def _iso3_names() -> dict[str, str]:
    t = _iso_table()
    return dict(zip(t["iso_a3"], t["name"], strict=True))


# ----------------------------------------------------------------------------------------------
# Reading borders
# ----------------------------------------------------------------------------------------------
def _normalise_codes(values: pd.Series) -> pd.Series:
    """Upper-case codes; map ISO2 to ISO3; anything else (``-99``, blanks) becomes ''."""
    to3 = _iso2_to_iso3()
    aliases = {"KOS": "XKX"}  # Natural Earth's ADM0_A3 for Kosovo; DCW and the EU use XKX
    out = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append("")
            continue
        s = str(v).strip().upper()
        if _CODE3.match(s):
            out.append(aliases.get(s, s))
        elif _CODE2.match(s) and s in to3:
            out.append(to3[s])
        else:
            out.append("")
    return pd.Series(out, index=values.index, dtype=object)


def _find_column(columns: Iterable[str], wanted: str) -> str | None:
    lower = {c.lower(): c for c in columns}
    return lower.get(wanted.lower())


def _pick_layer(path: Path, layer: str | int | None) -> str | int | None:
    if layer is not None:
        return layer
    try:
        import pyogrio

        layers = pyogrio.list_layers(path)
    except Exception:  # not a multi-layer container, or not readable: let read_file report it
        return None
    if len(layers) <= 1:
        return None
    polygonal = [name for name, gtype in layers if gtype and "POLYGON" in str(gtype).upper()]
    chosen = polygonal[0] if polygonal else layers[0][0]
    logger.info("%s holds %d layers; reading %r (pass layer= to choose)", path, len(layers), chosen)
    return chosen


def _read_vector(path: Path, layer: str | int | None) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".geoparquet"}:
        try:
            return gpd.read_parquet(path)
        except ImportError as err:
            raise GeodataError(
                f"reading GeoParquet {path} needs the pyarrow package ({err}); "
                "install pyarrow or convert the file to GeoPackage"
            ) from err
    try:
        return gpd.read_file(path, layer=_pick_layer(path, layer))
    except Exception as err:
        raise GeodataError(f"cannot read borders from {path}: {err}") from err


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry, as MultiPolygons (None if nothing left)."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            out[i] = None
            continue
        parts = shapely.get_parts(g)
        polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
        for p in parts:
            if p.geom_type in {"MultiPolygon", "GeometryCollection"}:
                polys.extend(
                    q for q in shapely.get_parts(p) if q.geom_type == "Polygon" and not q.is_empty
                )
        out[i] = shapely.MultiPolygon(polys) if polys else None
    return out


def load_borders(
    path: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    *,
    code_column: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read country borders into one MultiPolygon per ISO3 code (EPSG:4326).

    Parameters
    ----------
    path : str, path-like or GeoDataFrame, optional
        GeoPackage, Shapefile, GeoJSON or GeoParquet file, or a polygon layer
        already read (standardised the same way). Without it the borders are
        found by :func:`resolve_borders`.
    code_column : str, optional
        Column holding the country code. By default the first of
        :data:`CODE_CANDIDATES` present (case-insensitive). Codes of two letters
        are mapped to ISO3. Rows whose code is not a three-letter code (Natural
        Earth writes ``-99`` for France and Norway in ``ISO_A3``) take it from
        the next candidate column present (``ISO_A3_EH``, then ``ADM0_A3``, ...).
    layer : str or int, optional
        Layer to read from a multi-layer file; by default the first polygon layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso_a3``, ``name``, ``geometry`` (MultiPolygon), one row per
        code, sorted by code. ``attrs["repaired"]`` is the number of invalid
        geometries repaired with :func:`shapely.make_valid`;
        ``attrs["dropped"]`` counts the features dropped for having no usable
        code (``no_code``), no geometry (``no_geometry``) or no polygon, even
        after repair (``not_polygon``: points, lines); each repair or drop is
        logged as a warning and its message kept in ``attrs["warnings"]``;
        ``attrs["source"]`` names the file.

    Raises
    ------
    DataSourceError
        The file does not exist.
    CRSError
        The layer has no coordinate reference system.
    GeodataError
        The layer is empty, unreadable, holds no polygons, or no code column is
        found (the message lists the columns).

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> layer = gpd.GeoDataFrame(
    ...     {"ISO_A3": ["-99", "UZB"], "ADM0_A3": ["KAZ", "UZB"],
    ...      "NAME": ["Kazakhstan", "Uzbekistan"]},
    ...     geometry=[box(60, 41, 80, 55), box(56, 37, 73, 41)], crs="EPSG:4326")
    >>> path = tempfile.mkdtemp() + "/borders.gpkg"
    >>> layer.to_file(path)
    >>> load_borders(path)[["iso_a3", "name"]].to_dict("list")
    {'iso_a3': ['KAZ', 'UZB'], 'name': ['Kazakhstan', 'Uzbekistan']}
    """
    if path is None:
        return resolve_borders(code_column=code_column, layer=layer)
    if isinstance(path, gpd.GeoDataFrame):
        source = str(path.attrs.get("source", "<GeoDataFrame>"))
        return _standardise_borders(path, source=source, code_column=code_column)
    p = Path(path).expanduser()
    if not p.exists():
        raise DataSourceError(f"borders file not found: {p}")
    gdf = _read_vector(p, layer)
    return _standardise_borders(gdf, source=str(p), code_column=code_column)


def _standardise_borders(
    gdf: gpd.GeoDataFrame, *, source: str, code_column: str | None = None
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise CRSError(f"borders layer {source} has no coordinate reference system")
    if len(gdf) == 0:
        raise GeodataError(f"borders layer {source} is empty")
    geom_col = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geom_col]
    if code_column is not None:
        primary = _find_column(columns, code_column)
        if primary is None:
            raise GeodataError(
                f"code column {code_column!r} not in borders {source}; "
                f"columns: {', '.join(columns)}"
            )
    else:
        primary = None
    present = [c for c in (_find_column(columns, k) for k in CODE_CANDIDATES) if c is not None]
    if primary is None:
        if not present:
            raise GeodataError(
                f"no country-code column found in borders {source} (looked for "
                f"{', '.join(CODE_CANDIDATES[:8])}, ...); columns: {', '.join(columns)}; "
                "name it with code_column="
            )
        primary = present[0]
    fallbacks = [c for c in present if c != primary]

    codes = _normalise_codes(gdf[primary])
    for col in fallbacks:
        missing = codes == ""
        if not missing.any():
            break
        alt = _normalise_codes(gdf.loc[missing, col])
        codes.loc[missing] = alt
    notes: list[str] = []

    def warn(message: str) -> None:
        logger.warning("%s", message)
        notes.append(message)

    n_nocode = int((codes == "").sum())
    if n_nocode:
        warn(
            f"{n_nocode} border feature(s) in {source} have no usable country code in "
            f"{', '.join([primary, *fallbacks])} and are dropped"
        )

    name_col = next(
        (c for c in (_find_column(columns, k) for k in NAME_CANDIDATES) if c is not None), None
    )
    names3 = _iso3_names()
    if name_col is not None:
        names = gdf[name_col].astype(object).where(gdf[name_col].notna(), "").astype(str)
    else:
        names = pd.Series([names3.get(c, c) for c in codes], index=gdf.index, dtype=object)

    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry.to_numpy()
    null = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    n_null = int(null.sum())
    if n_null:
        warn(f"{n_null} border feature(s) in {source} have no geometry and are dropped")
    valid = shapely.is_valid(geoms)
    bad = ~valid & ~null
    n_repaired = int(bad.sum())
    if n_repaired:
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
        which = sorted(set(codes[bad].tolist()) - {""})
        warn(
            f"repaired {n_repaired} invalid border geometr{'y' if n_repaired == 1 else 'ies'} "
            f"in {source} with make_valid: {', '.join(which) or '(no code)'}"
        )
    kinds = [None if g is None else g.geom_type for g in geoms]
    geoms = _polygonal(geoms)
    not_polygon = ~null & np.array([g is None for g in geoms], dtype=bool)
    n_not_polygon = int(not_polygon.sum())
    if n_not_polygon:
        found = sorted({kinds[i] for i in np.flatnonzero(not_polygon)})
        which = sorted(set(codes[not_polygon].tolist()) - {""})
        warn(
            f"{n_not_polygon} border feature(s) in {source} are not polygons "
            f"({', '.join(found)}{' after repair' if (not_polygon & bad).any() else ''}) "
            f"and are dropped: {', '.join(which[:20]) or '(no code)'}"
        )
    keep = (codes != "").to_numpy() & np.array([g is not None for g in geoms])
    if not keep.any():
        raise GeodataError(f"borders layer {source} holds no polygons with a country code")

    frame = pd.DataFrame(
        {
            "iso_a3": codes.to_numpy()[keep],
            "name": names.to_numpy()[keep],
            "primary_ok": (_normalise_codes(gdf[primary]) != "").to_numpy()[keep],
            "geom": geoms[keep],
        }
    )
    rows = []
    for code, grp in frame.groupby("iso_a3", sort=True):
        named = grp[grp["primary_ok"] & (grp["name"] != "")]
        name = named["name"].iloc[0] if len(named) else next((n for n in grp["name"] if n), "")
        name = name or names3.get(code, code)
        if len(grp) == 1:
            geom = grp["geom"].iloc[0]
        else:
            geom = shapely.union_all(grp["geom"].to_numpy())
            geom = _polygonal(np.array([geom], dtype=object))[0]
        rows.append((code, name, geom))
    out = gpd.GeoDataFrame(
        {"iso_a3": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )
    out.attrs["repaired"] = n_repaired
    out.attrs["dropped"] = {
        "no_code": n_nocode,
        "no_geometry": n_null,
        "not_polygon": n_not_polygon,
    }
    out.attrs["warnings"] = notes
    out.attrs["source"] = source
    out.attrs["code_column"] = primary
    return out


# ----------------------------------------------------------------------------------------------
# Source resolution
# ----------------------------------------------------------------------------------------------
_NO_BORDERS_HELP = (
    "no country borders found. Give them in one of these ways:\n"
    "  --borders PATH (or borders=PATH): your own authoritative borders (GPKG, SHP, GeoJSON, "
    "GeoParquet);\n"
    "  set the environment variable HAZID_BORDERS=PATH;\n"
    "  install the Digital Chart of the World: apt-get install gmt-dcw "
    "(or point HAZID_DCW to a dcw-gmt.nc);\n"
    "  download Natural Earth: hazid data fetch ne_10m_countries"
)


def _dcw_path() -> Path:
    env = os.environ.get("HAZID_DCW")
    return Path(env).expanduser() if env else DEFAULT_DCW


def resolve_borders(
    path: str | os.PathLike[str] | None = None,
    *,
    code_column: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Find and read the country borders to use.

    The first available source wins: ``path``; the file named by the
    environment variable ``HAZID_BORDERS``; the Digital Chart of the World at
    ``HAZID_DCW`` or ``/usr/share/gmt-dcw/dcw-gmt.nc`` (Debian package
    ``gmt-dcw``, decoded by :func:`read_dcw`); Natural Earth 10m countries
    previously downloaded with ``hazid data fetch ne_10m_countries``.

    Parameters
    ----------
    path : str or path-like, optional
        Explicit borders file.
    code_column, layer : optional
        Passed to :func:`load_borders` for file sources.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`load_borders`; ``attrs["source"]`` says which source was used.

    Raises
    ------
    DataSourceError
        No source is available; the message says how to get borders. Also
        raised when ``path`` or ``HAZID_BORDERS`` names a missing file.

    Examples
    --------
    >>> import os, tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> path = tempfile.mkdtemp() + "/b.geojson"
    >>> gpd.GeoDataFrame({"iso3": ["KGZ"]}, geometry=[box(69, 39, 80, 43)], crs=4326).to_file(path)
    >>> resolve_borders(path).iso_a3.tolist()
    ['KGZ']
    """
    if path is not None:
        logger.info("borders: %s (given)", path)
        return load_borders(path, code_column=code_column, layer=layer)
    env = os.environ.get("HAZID_BORDERS")
    if env:
        logger.info("borders: %s (HAZID_BORDERS)", env)
        return load_borders(env, code_column=code_column, layer=layer)
    dcw = _dcw_path()
    if dcw.is_file():
        logger.info("borders: Digital Chart of the World %s", dcw)
        return read_dcw(dcw)
    if os.environ.get("HAZID_DCW"):
        logger.warning("HAZID_DCW=%s does not exist; trying other border sources", dcw)
    from hazid import datasets

    try:
        ne = datasets.path("ne_10m_countries")
    except DataSourceError:
        ne = None
    if ne is not None:
        logger.info("borders: Natural Earth %s", ne)
        return load_borders(ne, code_column=code_column, layer=layer)
    raise DataSourceError(_NO_BORDERS_HELP)


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
            f"Digital Chart of the World not found at {nc_path}; install it with "
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
                logger.warning("ignoring unreadable DCW cache %s: %s", cache_file, err)

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
            logger.warning("could not write the DCW cache %s: %s", cache_file, err)
    return gdf


# ----------------------------------------------------------------------------------------------
# Geodesic machinery
# ----------------------------------------------------------------------------------------------
_WGS84_A_KM = 6378.137
_WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)
#: Smallest radius of curvature of WGS84 (meridional, at the equator), km.
_R_MIN_KM = 6335.439


def _ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates (km) of points on the WGS84 ellipsoid."""
    lo = np.radians(lon)
    la = np.radians(lat)
    sl = np.sin(la)
    cl = np.cos(la)
    n = _WGS84_A_KM / np.sqrt(1.0 - _WGS84_E2 * sl * sl)
    return np.column_stack([n * cl * np.cos(lo), n * cl * np.sin(lo), n * (1.0 - _WGS84_E2) * sl])


def _chord_to_angle(chord_km: np.ndarray) -> np.ndarray:
    """Conservative angular radius (radians) of the lon/lat cap holding all points within a chord.

    A geodesic of length ``d`` moves a point by at most ``d / R_min`` radians
    on the sphere of longitude and latitude, and the arc over a chord ``c``
    is at most ``2 R asin(c / 2R)`` with the smallest radius of curvature;
    1 % is added.
    """
    c = np.asarray(chord_km, float)
    with np.errstate(invalid="ignore"):
        ang = 2.0 * np.arcsin(np.clip(c / (2.0 * _R_MIN_KM), 0.0, 1.0))
    return np.where(np.isfinite(c), ang * 1.01 + 1e-7, math.pi)


def _segment_chord(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance (km) from points ``p`` to segments ``a``-``b`` (ECEF), row-wise.

    Also returns the position ``t`` (0..1) of the closest point along the segment.
    """
    ab = b - a
    l2 = np.einsum("ij,ij->i", ab, ab)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(l2 > 0, np.einsum("ij,ij->i", p - a, ab) / l2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    diff = p - (a + t[:, None] * ab)
    return np.sqrt(np.einsum("ij,ij->i", diff, diff)), t


def _cap_boxes(lon: np.ndarray, lat: np.ndarray, ang: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat boxes covering caps of angular radius ``ang`` (radians) on the lon/lat sphere.

    Returns the boxes and, for each, the index of its cap (a cap crossing the
    antimeridian gives two boxes).
    """
    n = lon.size
    ang = np.broadcast_to(np.asarray(ang, float), lon.shape)
    dlat = np.degrees(ang)
    south = lat - dlat
    north = lat + dlat
    polar = (north >= 90) | (south <= -90) | (ang >= math.pi / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.sin(np.minimum(ang, math.pi / 2)) / np.cos(np.radians(lat))
    full = polar | ~(ratio < 1)
    dlon = np.where(full, 180.0, np.degrees(np.arcsin(np.clip(ratio, 0, 1))))
    xmin = np.where(full, -180.0, lon - dlon)
    xmax = np.where(full, 180.0, lon + dlon)
    south = np.maximum(south, -90.0)
    north = np.minimum(north, 90.0)
    idx = [np.arange(n)]
    bx = [(np.maximum(xmin, -180.0), south, np.minimum(xmax, 180.0), north)]
    west = np.flatnonzero(xmin < -180)
    east = np.flatnonzero(xmax > 180)
    if west.size:
        idx.append(west)
        bx.append((xmin[west] + 360, south[west], np.full(west.size, 180.0), north[west]))
    if east.size:
        idx.append(east)
        bx.append((np.full(east.size, -180.0), south[east], xmax[east] - 360, north[east]))
    cols = [np.concatenate([b[k] for b in bx]) for k in range(4)]
    return shapely.box(*cols), np.concatenate(idx)


def _unique_int(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an integer array (sort-based; fast for large arrays)."""
    a = np.sort(a, kind="stable")
    return a[np.r_[True, a[1:] != a[:-1]]] if a.size else a


def _min_by(n: int, group: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, group, values)
    return out


class _CountryIndex:
    """Boundary segments of one country, grouped in indexed pieces.

    Candidates are ranked by straight-line (chord) distance between
    Earth-centred WGS84 coordinates, which orders points like the geodesic
    distance to within a few parts in 10^5 at continental ranges; the nearest
    candidates are then measured exactly with ``Geod.inv``.
    """

    def __init__(self, geom: Any) -> None:
        self.geom = geom
        self.size = 0
        if geom is None or geom.is_empty:
            return
        shapely.prepare(geom)
        rings = shapely.get_rings(shapely.get_parts(geom))
        rings = shapely.segmentize(rings, _DENSIFY_DEG)
        coords, ring_id = shapely.get_coordinates(rings, return_index=True)
        same = ring_id[:-1] == ring_id[1:]
        self.a_ll = coords[:-1][same]
        self.b_ll = coords[1:][same]
        seg_ring = ring_id[:-1][same]
        nseg = seg_ring.size
        self.size = nseg
        if nseg == 0:
            return
        self.a = _ecef(self.a_ll[:, 0], self.a_ll[:, 1])
        self.b = _ecef(self.b_ll[:, 0], self.b_ll[:, 1])
        first = np.r_[0, np.flatnonzero(np.diff(seg_ring)) + 1]
        ring_start = np.repeat(first, np.diff(np.r_[first, nseg]))
        piece_key = seg_ring.astype(np.int64) * (1 << 32) + (
            (np.arange(nseg) - ring_start) // _PIECE_SEGMENTS
        )
        starts = np.r_[0, np.flatnonzero(np.diff(piece_key)) + 1]
        self.p_start = starts
        self.p_len = np.diff(np.r_[starts, nseg])
        # bounding ball of each piece (segments are straight in ECEF, so inside it)
        seg_piece = np.repeat(np.arange(starts.size), self.p_len)
        centre = np.zeros((starts.size, 3))
        np.add.at(centre, seg_piece, self.a + self.b)
        centre /= (2 * self.p_len)[:, None]
        rad = np.zeros(starts.size)
        np.maximum.at(rad, seg_piece, np.linalg.norm(self.a - centre[seg_piece], axis=1))
        np.maximum.at(rad, seg_piece, np.linalg.norm(self.b - centre[seg_piece], axis=1))
        self.centre = centre
        self.rad = rad
        # piece lines in lon/lat for the STRtree
        last = starts + self.p_len - 1
        verts = np.vstack([self.a_ll, self.b_ll[last]])
        owner = np.concatenate([seg_piece, np.arange(starts.size)])
        order = np.concatenate([np.arange(nseg), last + 0.5])
        sort = np.lexsort((order, owner))
        self.tree = STRtree(shapely.linestrings(verts[sort], indices=owner[sort]))

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether points lie strictly inside the territory."""
        if self.geom is None or self.geom.is_empty:
            return np.zeros(lon.size, dtype=bool)
        return shapely.contains_xy(self.geom, lon, lat)

    def distance(
        self, lon: np.ndarray, lat: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        """Geodesic distance (km) from points to this territory (0 inside).

        With ``limit`` (km, per point), distances beyond it come back as ``inf``.
        """
        d = np.full(lon.size, np.nan)
        if self.size == 0:
            return d
        inside = self.contains(lon, lat)
        d[inside] = 0.0
        rest = np.flatnonzero(~inside)
        for lo in range(0, rest.size, _CHUNK_SITES):
            sel = rest[lo : lo + _CHUNK_SITES]
            lim = None if limit is None else limit[sel]
            d[sel] = self.boundary_distance(lon[sel], lat[sel], lim)
        return d

    def boundary_distance(
        self, lon: np.ndarray, lat: np.ndarray, limit: np.ndarray | None = None
    ) -> np.ndarray:
        """Geodesic distance (km) from points to the boundary of the territory.

        With ``limit`` (km, per point), distances beyond it come back as ``inf``.
        """
        n = lon.size
        if self.size == 0 or n == 0:
            return np.full(n, np.nan)
        p = _ecef(lon, lat)
        if limit is None:
            # upper bound from the piece nearest in degrees
            qi, pj = self.tree.query_nearest(shapely.points(lon, lat))
            ub = _min_by(n, qi, np.linalg.norm(p[qi] - self.centre[pj], axis=1) + self.rad[pj])
        else:
            ub = np.asarray(limit, float)  # a chord is never longer than the geodesic
        # every piece that may be nearer than the bound
        boxes, owner = _cap_boxes(lon, lat, _chord_to_angle(ub))
        bi, pj = self.tree.query(boxes)
        si = owner[bi]  # a site may repeat a piece only across the antimeridian: harmless
        cd = np.linalg.norm(p[si] - self.centre[pj], axis=1)
        best_ub = np.minimum(_min_by(n, si, cd + self.rad[pj]), ub)
        keep = cd - self.rad[pj] <= best_ub[si] * (1 + 1e-4) + 0.002
        si, pj = si[keep], pj[keep]
        # segments of the surviving pieces
        lens = self.p_len[pj]
        seg_site = np.repeat(si, lens)
        seg = np.repeat(self.p_start[pj] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        chord, t = _segment_chord(p[seg_site], self.a[seg], self.b[seg])
        cmin = _min_by(n, seg_site, chord)
        cand = chord <= cmin[seg_site] * (1 + 1e-4) + 0.002
        seg_site, seg, t = seg_site[cand], seg[cand], t[cand]
        a, b = self.a_ll[seg], self.b_ll[seg]
        _, _, metres = GEOD.inv(
            lon[seg_site],
            lat[seg_site],
            a[:, 0] + t * (b[:, 0] - a[:, 0]),
            a[:, 1] + t * (b[:, 1] - a[:, 1]),
        )
        km = _min_by(n, seg_site, np.asarray(metres) / 1000.0)
        if limit is not None:
            km[km > ub] = np.inf
        return km


class _BorderIndex:
    """Spatial index over a borders layer (one row per country)."""

    def __init__(self, borders: gpd.GeoDataFrame) -> None:
        self.codes = borders["iso_a3"].astype(str).to_numpy()
        self.row = {c: i for i, c in enumerate(self.codes)}
        self.geoms = borders.geometry.to_numpy()
        parts, owner = shapely.get_parts(self.geoms, return_index=True)
        self.part_country = owner
        self.part_tree = STRtree(parts)
        self._countries: dict[int, _CountryIndex] = {}

    def country(self, k: int) -> _CountryIndex:
        if k not in self._countries:
            self._countries[k] = _CountryIndex(self.geoms[k])
        return self._countries[k]

    def _pairs(self, first: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nc = len(self.codes)
        key = _unique_int(first.astype(np.int64) * nc + self.part_country[part])
        return key // nc, key % nc

    def within(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(site, country) pairs with the site strictly inside the country."""
        si, ci = self._pairs(*self.part_tree.query(shapely.points(lon, lat)))
        keep = np.zeros(si.size, dtype=bool)
        for k in np.unique(ci):
            m = ci == k
            keep[m] = self.country(int(k)).contains(lon[si[m]], lat[si[m]])
        return si[keep], ci[keep]

    def intersecting(self, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(geometry, country) pairs whose geometries intersect."""
        gi, ci = self._pairs(*self.part_tree.query(geoms))
        keep = np.zeros(gi.size, dtype=bool)
        for k in np.unique(ci):
            m = ci == k
            country = self.geoms[k]
            shapely.prepare(country)
            keep[m] = shapely.intersects(country, geoms[gi[m]])
        return gi[keep], ci[keep]

    def near(
        self, lon: np.ndarray, lat: np.ndarray, radius_km: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(site, country) pairs whose polygon envelopes come within ``radius_km``."""
        ang = np.asarray(radius_km, float) / _R_MIN_KM * 1.01
        boxes, owner = _cap_boxes(lon, lat, ang)
        bi, pj = self.part_tree.query(boxes)
        return self._pairs(owner[bi], pj)

    def pair_distance(
        self,
        site: np.ndarray,
        country: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        limit: np.ndarray | None = None,
    ) -> np.ndarray:
        """Geodesic km from ``site``-indexed points to ``country``-indexed territories.

        With ``limit`` (km, per pair), distances beyond it come back as ``inf``.
        """
        out = np.full(site.size, np.nan)
        for k in _unique_int(np.asarray(country, dtype=np.int64)):
            m = country == k
            lim = None if limit is None else limit[m]
            out[m] = self.country(int(k)).distance(lon[site[m]], lat[site[m]], lim)
        return out


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------
def _check_borders(borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
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
    bad = np.array([g is None or g.is_empty or g.geom_type != "Point" for g in geoms])
    if bad.any():
        ids = sites.loc[bad, "site_id"].astype(str).tolist()
        raise GeodataError(f"sites need point geometries; not a point: {', '.join(ids[:10])}")
    return sites


def _xy(sites: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = sites.geometry.to_numpy()
    return shapely.get_x(geoms), shapely.get_y(geoms)


def _text(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, "", dtype=object)
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
    index = _BorderIndex(borders)
    lon, lat = _xy(sites)
    n = lon.size
    given = _text(sites["country"].to_numpy() if "country" in sites.columns else None, n)
    result = np.full(n, "", dtype=object)
    snapped = np.zeros(n, dtype=bool)
    notes: list[list[str]] = [[] for _ in range(n)]
    codes = index.codes

    si, ci = index.within(lon, lat)
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
    out = sites.copy()
    out["site_country"] = result.tolist()
    out["country_snapped"] = snapped
    out["country_warning"] = ["; ".join(x) for x in notes]
    n_warn = sum(1 for x in notes if x)
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
    steps (10, 40, 160, ... km): at each step the countries whose polygons come
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
    index = _BorderIndex(borders)
    lon, lat = _xy(sites)
    n = lon.size
    ncty = len(index.codes)
    own = np.array([index.row.get(c, -1) for c in _text(sites["site_country"].to_numpy(), n)])
    best = np.full(n, np.inf)
    best_k = np.full(n, -1)
    done = np.empty(0, dtype=np.int64)  # site * ncty + country, measured for good

    def measure(site: np.ndarray, cty: np.ndarray, radius: float) -> None:
        nonlocal done
        key = site.astype(np.int64) * ncty + cty
        keep = (cty != own[site]) & ~np.isin(key, done)
        site, cty, key = site[keep], cty[keep], key[keep]
        if site.size == 0:
            return
        limit = np.minimum(best[site], radius)
        km = index.pair_distance(site, cty, lon, lat, limit)
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
    radius = 10.0
    while pending.size:
        radius = min(radius, _HALF_CIRCUMFERENCE_KM)
        sj, cj = index.near(lon[pending], lat[pending], radius)
        measure(pending[sj], cj, radius)
        if radius >= _HALF_CIRCUMFERENCE_KM:
            break
        pending = pending[best[pending] > radius]
        radius *= 4
    out = sites.copy()
    out["border_km"] = np.where(np.isfinite(best), best, np.nan)
    out["nearest_foreign"] = [str(index.codes[k]) if k >= 0 else "" for k in best_k]
    return out


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
    for col in ("site_id", "iso_a3"):
        if col not in pairs.columns:
            raise GeodataError(f"pairs need columns site_id and iso_a3; missing {col}")
    index = _BorderIndex(borders)
    ids = sites["site_id"].astype(str).to_numpy()
    pos = {s: i for i, s in enumerate(ids)}
    want_sites = pairs["site_id"].astype(str).to_numpy()
    want_codes = pairs["iso_a3"].astype(str).str.upper().to_numpy()
    unknown = sorted({s for s in want_sites if s not in pos})
    if unknown:
        raise GeodataError(f"site_id not in sites: {', '.join(unknown[:10])}")
    unknown = sorted({c for c in want_codes if c not in index.row})
    if unknown:
        raise GeodataError(f"iso_a3 not in borders: {', '.join(unknown[:10])}")
    lon, lat = _xy(sites)
    s_idx = np.array([pos[s] for s in want_sites], dtype=np.int64)
    c_idx = np.array([index.row[c] for c in want_codes], dtype=np.int64)
    out = pairs.copy()
    out["border_km"] = index.pair_distance(s_idx, c_idx, lon, lat) if len(out) else np.empty(0)
    return out


# ----------------------------------------------------------------------------------------------
# Air pathway
# ----------------------------------------------------------------------------------------------
#: Columns of the air rows of ``affected.csv``, in order.
AIR_COLUMNS: tuple[str, ...] = (
    "site_id",
    "affected",
    "pathway",
    "hazard",
    "zone_km",
    "border_km",
    "margin_km",
    "uncertain",
)


def affected_by_air(
    sites: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    uncertainty_km: float = 5.0,
) -> pd.DataFrame:
    """Countries reached through the air by a site's consequence zones.

    A country other than the site's own (``site_country``) is affected when
    its territory intersects one of the site's zone polygons (STRtree query of
    zones against country polygons). The controlling hazard is the
    intersecting zone of largest ``zone_km``. ``border_km`` is the geodesic
    distance (WGS84) from the site to that country, ``margin_km = zone_km -
    border_km`` and ``uncertain`` flags ``|margin_km| < uncertainty_km``.
    Countries the zones miss are not listed.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``site_id`` (and ``site_country``, else it is assigned).
    zones : geopandas.GeoDataFrame
        Zone polygons with ``site_id``, ``hazard``, ``zone_km`` (EPSG:4326).
    borders : geopandas.GeoDataFrame
        As returned by :func:`load_borders`.
    uncertainty_km : float, default 5.0
        Margin below which a result is flagged uncertain.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id``, ``affected`` (ISO3), ``pathway`` ("air"),
        ``hazard``, ``zone_km``, ``border_km``, ``margin_km``, ``uncertain``;
        one row per (site, affected country), sorted by site and margin.

    Raises
    ------
    CRSError
        A layer has no CRS.
    GeodataError
        Zones lack a column, or name a ``site_id`` not in ``sites``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> borders = gpd.GeoDataFrame({"iso_a3": ["AAA", "BBB"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> from shapely.geometry import Polygon
    >>> from pyproj import Geod
    >>> sites = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[Point(0.95, 0.5)], crs=4326)
    >>> lon, lat, _ = Geod(ellps="WGS84").fwd([0.95] * 72, [0.5] * 72, list(range(0, 360, 5)),
    ...                                       [12_000] * 72)   # 12 km geodesic circle
    >>> zones = gpd.GeoDataFrame({"site_id": ["s1"], "hazard": ["toxic"], "zone_km": [12.0]},
    ...     geometry=[Polygon(zip(lon, lat))], crs=4326)
    >>> r = affected_by_air(sites, zones, borders)
    >>> r[["affected", "hazard", "uncertain"]].values.tolist()
    [['BBB', 'toxic', False]]
    >>> round(float(r.margin_km[0]), 2)
    6.43
    """
    sites = _check_sites(sites)
    borders = _check_borders(borders)
    if not isinstance(zones, gpd.GeoDataFrame):
        raise GeodataError("zones must be a GeoDataFrame")
    if zones.crs is None:
        raise CRSError("zones layer has no coordinate reference system")
    missing = [c for c in ("site_id", "hazard", "zone_km") if c not in zones.columns]
    if missing:
        raise GeodataError(f"zones lack column(s): {', '.join(missing)}")
    if zones.crs.to_epsg() != 4326:
        zones = zones.to_crs(4326)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in AIR_COLUMNS})
    if len(zones) == 0:
        return _air_dtypes(empty)
    sites = _site_countries(sites, borders)
    ids = sites["site_id"].astype(str).to_numpy()
    own = dict(zip(ids, _text(sites["site_country"].to_numpy(), len(ids)), strict=True))
    zone_site = zones["site_id"].astype(str).to_numpy()
    unknown = sorted(set(zone_site) - set(own))
    if unknown:
        raise GeodataError(f"zones name site_id(s) not in sites: {', '.join(unknown[:10])}")
    index = _BorderIndex(borders)
    zgeom = zones.geometry.to_numpy()
    ok = np.array([g is not None and not g.is_empty for g in zgeom])
    zi, ci = index.intersecting(zgeom[ok])
    zi = np.flatnonzero(ok)[zi]
    hits = pd.DataFrame(
        {
            "site_id": zone_site[zi],
            "affected": index.codes[ci],
            "hazard": zones["hazard"].astype(str).to_numpy()[zi],
            "zone_km": zones["zone_km"].astype(float).to_numpy()[zi],
        }
    )
    hits = hits[hits["affected"].to_numpy() != np.array([own[s] for s in hits["site_id"]])]
    if hits.empty:
        return _air_dtypes(empty)
    hits = hits.sort_values(
        ["site_id", "affected", "zone_km", "hazard"], ascending=[True, True, False, True]
    )
    hits = hits.drop_duplicates(["site_id", "affected"]).reset_index(drop=True)
    dist = distance_to_country(sites, borders, hits.rename(columns={"affected": "iso_a3"}))
    hits["pathway"] = "air"
    hits["border_km"] = dist["border_km"].to_numpy()
    hits["margin_km"] = hits["zone_km"] - hits["border_km"]
    hits["uncertain"] = hits["margin_km"].abs() < uncertainty_km
    hits = hits.sort_values(["site_id", "margin_km"], ascending=[True, False])
    return _air_dtypes(hits[list(AIR_COLUMNS)].reset_index(drop=True))


def _air_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in ("site_id", "affected", "pathway", "hazard"):
        df[c] = df[c].astype(str)
    for c in ("zone_km", "border_km", "margin_km"):
        df[c] = df[c].astype(float)
    df["uncertain"] = df["uncertain"].astype(bool)
    return df
