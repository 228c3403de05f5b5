"""Default geodata shipped with hazid: Natural Earth 1:10M borders, rivers and lakes.

The package carries a reduced copy of three Natural Earth 1:10,000,000 layers
(public domain) in ``hazid/data/geodata/``, built by
``scripts/build_embedded_geodata.py`` (see ``PROVENANCE.md`` there): country
borders, river lines and lakes, with only the columns hazid reads and every
vertex of the source. They are the last resort of the lookup of each layer,
after an explicit option, the environment variables ``HAZID_BORDERS``,
``HAZID_RIVERS`` and ``HAZID_LAKES``, and better data installed or fetched
(Digital Chart of the World, HydroRIVERS, Natural Earth fetched with
``hazid data fetch``), so that a screening runs offline on any machine.

Each layer comes with a provenance record (:func:`provenance`) that results
print: the file name, dataset, version, scale, limits, licence and SHA-256.
Their limits matter: borders generalised for maps at 1:10M, large rivers
only and no discharge (hazid estimates the drainage area from the river
length upstream by Hack's law, flagged in every result).
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd

from hazid.errors import DataSourceError, check_choice

__all__ = ["EMBEDDED_LAYERS", "describe", "embedded_path", "provenance", "provenance_for", "read"]

#: Folder of the embedded layers.
GEODATA_DIR = Path(__file__).resolve().parent / "data" / "geodata"
#: The embedded layers.
EMBEDDED_LAYERS: tuple[str, ...] = ("borders", "rivers", "lakes")


def _records() -> dict[str, dict[str, Any]]:
    return _read_records(GEODATA_DIR)


@functools.lru_cache(maxsize=4)
def _read_records(folder: Path) -> dict[str, dict[str, Any]]:
    src = folder / "provenance.json"
    try:
        return json.loads(src.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataSourceError(
            f"the embedded geodata of this hazid installation are missing or damaged "
            f"(provenance.json: {type(err).__name__}); reinstall hazid"
        ) from err


def provenance(layer: str) -> dict[str, Any]:
    """Return the provenance record of an embedded layer.

    Parameters
    ----------
    layer : {"borders", "rivers", "lakes"}
        The embedded layer.

    Returns
    -------
    dict
        ``name`` (file name), ``origin`` ("embedded"), ``dataset``,
        ``version`` (Natural Earth), ``scale``, ``limits``, ``licence``,
        ``sha256`` (of the embedded file), ``source_name`` and
        ``source_sha256`` (the file it was built from), ``features`` and
        ``repaired`` (invalid polygons repaired when building).

    Raises
    ------
    ChoiceError
        ``layer`` is not one of :data:`EMBEDDED_LAYERS`.

    Examples
    --------
    >>> r = provenance("rivers")
    >>> r["name"], r["scale"], r["origin"]
    ('ne_10m_rivers.parquet', '1:10,000,000', 'embedded')
    """
    check_choice("embedded layer", layer, EMBEDDED_LAYERS)
    record = copy.deepcopy(_records()[layer])
    return {"name": record.pop("name"), "origin": "embedded", **record}


def embedded_path(layer: str) -> Path:
    """Return the file of an embedded layer (GeoParquet).

    Parameters
    ----------
    layer : {"borders", "rivers", "lakes"}
        The embedded layer.

    Returns
    -------
    pathlib.Path
        An existing file.

    Raises
    ------
    ChoiceError
        ``layer`` is not one of :data:`EMBEDDED_LAYERS`.
    DataSourceError
        The file is missing from this installation.

    Examples
    --------
    >>> embedded_path("lakes").name
    'ne_10m_lakes.parquet'
    """
    path = GEODATA_DIR / provenance(layer)["name"]
    if not path.is_file():
        raise DataSourceError(
            f"the embedded {layer} layer {path.name} is missing from this hazid installation; "
            "reinstall hazid"
        )
    return path


def read(layer: str) -> gpd.GeoDataFrame:
    """Read an embedded layer, with its provenance.

    Parameters
    ----------
    layer : {"borders", "rivers", "lakes"}
        The embedded layer.

    Returns
    -------
    geopandas.GeoDataFrame
        The features (EPSG:4326) as built; ``attrs["source"]`` is the file and
        ``attrs["provenance"]`` the record of :func:`provenance`.

    Raises
    ------
    ChoiceError
        ``layer`` is not one of :data:`EMBEDDED_LAYERS`.
    DataSourceError
        The file is missing from this installation.

    Examples
    --------
    >>> lakes = read("lakes")
    >>> "Issyk-Kul" in set(lakes["name"]), lakes.attrs["provenance"]["licence"]
    (True, 'public domain')
    """
    path = embedded_path(layer)
    gdf = gpd.read_parquet(path)
    gdf.attrs["source"] = str(path)
    gdf.attrs["provenance"] = provenance(layer)
    return gdf


def provenance_for(path: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """Return the provenance record of ``path`` if it is an embedded layer, else None.

    Parameters
    ----------
    path : str or path-like, optional
        A geodata input as resolved (for example by ``hazid.rivers.resolve_rivers``).

    Returns
    -------
    dict or None
        As :func:`provenance`.

    Examples
    --------
    >>> provenance_for(embedded_path("rivers"))["dataset"].startswith("Natural Earth")
    True
    >>> provenance_for("my_rivers.gpkg") is None
    True
    """
    if path is None:
        return None
    try:
        target = Path(path).resolve()
    except (OSError, TypeError, ValueError):
        return None
    for layer in EMBEDDED_LAYERS:
        if target == (GEODATA_DIR / _records()[layer]["name"]).resolve():
            return provenance(layer)
    return None


def describe(record: dict[str, Any]) -> str:
    """One line saying which data were used, with scale and limits for embedded data.

    Parameters
    ----------
    record : dict
        A provenance record (:func:`provenance`), or any record with ``name``.

    Returns
    -------
    str
        Text for the console, ``run.json`` and dossiers.

    Examples
    --------
    >>> describe(provenance("lakes"))  # doctest: +ELLIPSIS
    'ne_10m_lakes.parquet: embedded Natural Earth Lakes ... v4.0.0, 1:10,000,000 (limits: ...)'
    >>> describe({"name": "borders.gpkg", "origin": "HAZID_BORDERS"})
    'borders.gpkg (HAZID_BORDERS)'
    """
    if record.get("origin") != "embedded":
        origin = record.get("origin")
        return f"{record['name']} ({origin})" if origin else str(record["name"])
    return (
        f"{record['name']}: embedded {record['dataset']} v{record['version']}, "
        f"{record['scale']} (limits: {record['limits']})"
    )
