"""Reading country borders and choosing where they come from.

A borders file (GeoPackage, Shapefile, GeoJSON, GeoParquet) is standardised
to one MultiPolygon per ISO3 code in EPSG:4326: the code is taken from the
first code column present, with fallbacks for rows without a usable code;
invalid geometries are repaired; features without code or polygon are dropped
with a warning (:func:`load_borders`); warnings and errors name the file,
never its folder. The source is the file the user names, ``HAZID_BORDERS``,
the Digital Chart of the World, Natural Earth fetched with ``hazid data
fetch``, or else the Natural Earth 1:10M borders embedded in hazid
(:func:`resolve_borders`).
"""

from __future__ import annotations

import copy
import functools
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid import embedded
from hazid.errors import CRSError, DataSourceError, GeodataError
from hazid.geography.common import _iso3_names, _normalise_codes, _polygonal, check_degrees
from hazid.geography.dcw import _dcw_path, read_dcw

__all__ = ["embedded_borders", "load_borders", "resolve_borders"]

logger = logging.getLogger(__name__)

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


# ----------------------------------------------------------------------------------------------
# Reading borders
# ----------------------------------------------------------------------------------------------


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
    logger.info(
        "%s holds %d layers; reading %r (pass layer= to choose)", path.name, len(layers), chosen
    )
    return chosen


def _read_vector(path: Path, layer: str | int | None) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".geoparquet"}:
        try:
            return gpd.read_parquet(path)
        except ImportError as err:
            raise GeodataError(
                f"reading GeoParquet {path.name} needs the pyarrow package ({err}); "
                "install pyarrow or convert the file to GeoPackage"
            ) from err
    try:
        return gpd.read_file(path, layer=_pick_layer(path, layer))
    except Exception as err:
        detail = str(err).replace(str(path), path.name)
        raise GeodataError(f"cannot read borders from {path.name}: {detail}") from err


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
        The layer has no coordinate reference system, or coordinates that are not
        longitudes and latitudes once in WGS 84 (metres labelled as degrees).
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
        raise DataSourceError(f"borders file not found: {p.name}")
    gdf = _read_vector(p, layer)
    return _standardise_borders(gdf, source=str(p), code_column=code_column)


def _standardise_borders(
    gdf: gpd.GeoDataFrame, *, source: str, code_column: str | None = None
) -> gpd.GeoDataFrame:
    """Standardise a borders layer (see :func:`load_borders`), step by step.

    ``source`` is kept in ``attrs["source"]`` (to hash the file); messages
    name the file only, so that no local folder reaches the results.
    """
    shown = _file_name(source)
    _check_layer(gdf, shown)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    primary, fallbacks = _code_columns(columns, code_column, shown)
    codes = _country_codes(gdf, primary, fallbacks)
    notes: list[str] = []
    n_nocode = int((codes == "").sum())
    if n_nocode:
        _warn(
            notes,
            f"{n_nocode} border feature(s) in {shown} have no usable country code in "
            f"{', '.join([primary, *fallbacks])} and are dropped",
        )
    names = _country_names(gdf, columns, codes)
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    _check_degrees(gdf, shown)
    geoms, null, repaired = _repair_geometries(gdf.geometry.to_numpy(), codes, shown, notes)
    geoms, n_not_polygon = _keep_polygons(geoms, null, repaired, codes, shown, notes)
    keep = (codes != "").to_numpy() & np.array([g is not None for g in geoms])
    if not keep.any():
        raise GeodataError(f"borders layer {shown} holds no polygons with a country code")
    primary_ok = (_normalise_codes(gdf[primary]) != "").to_numpy()
    out = _one_row_per_country(
        codes.to_numpy()[keep], names.to_numpy()[keep], primary_ok[keep], geoms[keep]
    )
    out.attrs["repaired"] = int(repaired.sum())
    out.attrs["dropped"] = {
        "no_code": n_nocode,
        "no_geometry": int(null.sum()),
        "not_polygon": n_not_polygon,
    }
    out.attrs["warnings"] = notes
    out.attrs["source"] = source
    out.attrs["code_column"] = primary
    return out


def _file_name(source: str) -> str:
    """Return the file name of a source path (a label such as ``<GeoDataFrame>`` stays)."""
    return Path(source).name or source


def _warn(notes: list[str], message: str) -> None:
    """Log a warning about the borders layer and keep it for ``attrs["warnings"]``."""
    logger.warning("%s", message)
    notes.append(message)


def _check_layer(gdf: gpd.GeoDataFrame, source: str) -> None:
    """Step 1: the layer has a coordinate reference system and features."""
    if gdf.crs is None:
        raise CRSError(f"borders layer {source} has no coordinate reference system")
    if len(gdf) == 0:
        raise GeodataError(f"borders layer {source} is empty")


def _check_degrees(gdf: gpd.GeoDataFrame, source: str) -> None:
    """Step 4b: in WGS 84, every coordinate is a longitude and a latitude (see check_degrees)."""
    xy = shapely.get_coordinates(gdf.geometry.to_numpy())
    if not len(xy):
        return
    with np.errstate(invalid="ignore"):
        box = (*np.nanmin(xy, axis=0), *np.nanmax(xy, axis=0))
    check_degrees(box, f"borders layer {source}", numbers=bool(np.isfinite(xy).all()))


def _code_columns(
    columns: list[str], code_column: str | None, source: str
) -> tuple[str, list[str]]:
    """Step 2: the column holding the country code, and the fallbacks for rows without one."""
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
    return primary, [c for c in present if c != primary]


def _country_codes(gdf: gpd.GeoDataFrame, primary: str, fallbacks: list[str]) -> pd.Series:
    """Step 3: ISO3 code of each feature ('' when none), filled from the fallback columns."""
    codes = _normalise_codes(gdf[primary])
    for col in fallbacks:
        missing = codes == ""
        if not missing.any():
            break
        alt = _normalise_codes(gdf.loc[missing, col])
        codes.loc[missing] = alt
    return codes


def _country_names(gdf: gpd.GeoDataFrame, columns: list[str], codes: pd.Series) -> pd.Series:
    """Step 4: name of each feature, from the first name column or the ISO table."""
    name_col = next(
        (c for c in (_find_column(columns, k) for k in NAME_CANDIDATES) if c is not None), None
    )
    if name_col is not None:
        return gdf[name_col].astype(object).where(gdf[name_col].notna(), "").astype(str)
    names3 = _iso3_names()
    return pd.Series([names3.get(c, c) for c in codes], index=gdf.index, dtype=object)


def _repair_geometries(
    geoms: np.ndarray, codes: pd.Series, source: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5: flag features without geometry and repair invalid ones with ``make_valid``.

    Returns the geometries, the mask of features without geometry and the mask
    of repaired ones.
    """
    null = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    n_null = int(null.sum())
    if n_null:
        _warn(notes, f"{n_null} border feature(s) in {source} have no geometry and are dropped")
    bad = ~shapely.is_valid(geoms) & ~null
    n_repaired = int(bad.sum())
    if n_repaired:
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
        which = sorted(set(codes[bad].tolist()) - {""})
        _warn(
            notes,
            f"repaired {n_repaired} invalid border geometr{'y' if n_repaired == 1 else 'ies'} "
            f"in {source} with make_valid: {', '.join(which) or '(no code)'}",
        )
    return geoms, null, bad


def _keep_polygons(
    geoms: np.ndarray,
    null: np.ndarray,
    repaired: np.ndarray,
    codes: pd.Series,
    source: str,
    notes: list[str],
) -> tuple[np.ndarray, int]:
    """Step 6: keep the polygonal parts; features with none (points, lines) are dropped."""
    kinds = [None if g is None else g.geom_type for g in geoms]
    geoms = _polygonal(geoms)
    not_polygon = ~null & np.array([g is None for g in geoms], dtype=bool)
    n_not_polygon = int(not_polygon.sum())
    if n_not_polygon:
        found = sorted({kinds[i] for i in np.flatnonzero(not_polygon)})
        which = sorted(set(codes[not_polygon].tolist()) - {""})
        _warn(
            notes,
            f"{n_not_polygon} border feature(s) in {source} are not polygons "
            f"({', '.join(found)}{' after repair' if (not_polygon & repaired).any() else ''}) "
            f"and are dropped: {', '.join(which[:20]) or '(no code)'}",
        )
    return geoms, n_not_polygon


def _one_row_per_country(
    codes: np.ndarray, names: np.ndarray, primary_ok: np.ndarray, geoms: np.ndarray
) -> gpd.GeoDataFrame:
    """Step 7: merge the features of each code into one MultiPolygon, sorted by code.

    The name comes from a feature whose code was in the primary column, else
    from any named feature, else from the ISO table.
    """
    names3 = _iso3_names()
    names = np.asarray(names, dtype=object)
    uniq, group = np.unique(np.asarray(codes, dtype=object), return_inverse=True)
    order = np.argsort(group, kind="stable")  # each code's features in the layer's order
    starts = np.searchsorted(group[order], np.arange(len(uniq) + 1))
    rows = []
    for g, code in enumerate(uniq.tolist()):
        at = order[starts[g] : starts[g + 1]]
        named = at[primary_ok[at] & (names[at] != "")]
        name = names[named[0]] if len(named) else next((n for n in names[at] if n), "")
        name = name or names3.get(code, code)
        if len(at) == 1:
            geom = geoms[at[0]]
        else:
            geom = shapely.union_all(geoms[at])
            geom = _polygonal(np.array([geom], dtype=object))[0]
        rows.append((code, name, geom))
    return gpd.GeoDataFrame(
        {"iso_a3": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )


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
    previously downloaded with ``hazid data fetch ne_10m_countries``; else the
    Natural Earth 1:10M countries embedded in hazid (:mod:`hazid.embedded`:
    generalised for maps, not surveyed boundaries).

    Parameters
    ----------
    path : str or path-like, optional
        Explicit borders file.
    code_column, layer : optional
        Passed to :func:`load_borders` for file sources.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`load_borders`; ``attrs["source"]`` is the file used and
        ``attrs["provenance"]`` says which data were used: ``name`` (file
        name) and ``origin`` ("given", "HAZID_BORDERS", "DCW", "fetched" or
        "embedded"); for the embedded borders also ``dataset``, ``version``,
        ``scale``, ``limits``, ``licence`` and ``sha256``
        (:func:`hazid.embedded.provenance`).

    Raises
    ------
    DataSourceError
        No source is available (the embedded borders are missing from the
        installation too); the message says how to get borders. Also raised
        when ``path`` or ``HAZID_BORDERS`` names a missing file.

    Examples
    --------
    >>> import os, tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> path = tempfile.mkdtemp() + "/b.geojson"
    >>> gpd.GeoDataFrame({"iso3": ["KGZ"]}, geometry=[box(69, 39, 80, 43)], crs=4326).to_file(path)
    >>> b = resolve_borders(path)
    >>> b.iso_a3.tolist(), b.attrs["provenance"]
    (['KGZ'], {'name': 'b.geojson', 'origin': 'given'})
    """
    if path is not None:
        logger.info("borders: %s (given)", Path(path).name)
        return _with_origin(load_borders(path, code_column=code_column, layer=layer), "given")
    env = os.environ.get("HAZID_BORDERS")
    if env:
        logger.info("borders: %s (HAZID_BORDERS)", Path(env).name)
        out = load_borders(env, code_column=code_column, layer=layer)
        return _with_origin(out, "HAZID_BORDERS")
    dcw = _dcw_path()
    if dcw.is_file():
        logger.info("borders: Digital Chart of the World %s", dcw.name)
        return _with_origin(read_dcw(dcw), "DCW")
    if os.environ.get("HAZID_DCW"):
        logger.warning("HAZID_DCW names no file (%s); trying other border sources", dcw.name)
    from hazid import datasets

    try:
        ne = datasets.path("ne_10m_countries")
    except DataSourceError:
        ne = None
    if ne is not None:
        logger.info("borders: Natural Earth %s (fetched with hazid data)", ne.name)
        return _with_origin(load_borders(ne, code_column=code_column, layer=layer), "fetched")
    try:
        return embedded_borders()
    except DataSourceError as err:
        raise DataSourceError(f"{_NO_BORDERS_HELP}\n({err})") from err


def _with_origin(borders: gpd.GeoDataFrame, origin: str) -> gpd.GeoDataFrame:
    """Record which data were used: the file name and where it was found."""
    name = _file_name(str(borders.attrs.get("source", "<layer>")))
    borders.attrs["provenance"] = {"name": name, "origin": origin}
    return borders


def embedded_borders() -> gpd.GeoDataFrame:
    """Read the Natural Earth 1:10M country borders embedded in hazid.

    The last resort of :func:`resolve_borders`: a reduced copy of Natural
    Earth v5.1.1 Admin 0 countries (public domain, German point of view;
    see ``hazid/data/geodata/PROVENANCE.md``), standardised like any file by
    :func:`load_borders`. They are generalised for maps at 1:10M, not
    surveyed boundaries: results near a border should be checked against
    authoritative borders.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`load_borders`, with ``attrs["provenance"]`` the record of
        :func:`hazid.embedded.provenance` (name, origin "embedded", dataset,
        version, scale, limits, licence, sha256).

    Raises
    ------
    DataSourceError
        The embedded data are missing from this installation.

    Examples
    --------
    >>> b = embedded_borders()
    >>> b.set_index("iso_a3").loc["KGZ", "name"], b.attrs["provenance"]["scale"]
    ('Kyrgyzstan', '1:10,000,000')
    """
    record = embedded.provenance("borders")
    path = embedded.embedded_path("borders")
    logger.info("borders: %s", embedded.describe(record))
    cached = _embedded_standardised(str(path), record["sha256"])
    out = cached.copy()
    out.attrs = copy.deepcopy(cached.attrs)
    out.attrs["provenance"] = record
    return out


@functools.lru_cache(maxsize=1)
def _embedded_standardised(path: str, sha256: str) -> gpd.GeoDataFrame:
    """Read and standardise the embedded borders once per process (``sha256`` keys the cache)."""
    return load_borders(path)
