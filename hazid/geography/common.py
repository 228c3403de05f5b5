"""Shared pieces of the geography layer: the ISO 3166 code table and polygon extraction.

Country codes are read from ``hazid/data/iso_codes.csv`` (ISO 3166-1 plus
Kosovo, XK/XKX); two-letter codes are mapped to ISO3 and anything else
(``-99``, blanks) is treated as no code. Polygonal parts are kept from mixed
geometries (after a repair) as MultiPolygons.
"""

from __future__ import annotations

import functools
import math
import re
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
import shapely

from hazid.errors import CRSError

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


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry, as MultiPolygons (None if nothing left).

    The parts kept, in order: the polygons among the geometry's parts, then those among the
    parts of each of its multi-polygon or collection parts (one level down).
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    kind = shapely.get_type_id(parts)
    nested = np.isin(kind, (6, 7))  # MultiPolygon, GeometryCollection
    subs, sub_of = shapely.get_parts(parts[nested], return_index=True)
    polys = np.r_[parts[kind == 3], subs[shapely.get_type_id(subs) == 3]]
    whose = np.r_[owner[kind == 3], owner[nested][sub_of[shapely.get_type_id(subs) == 3]]]
    keep = ~shapely.is_empty(polys)
    polys, whose = polys[keep], whose[keep]
    order = np.argsort(whose, kind="stable")  # per geometry: its polygons, then the nested ones
    polys, whose = polys[order], whose[order]
    if len(polys):
        at, first = np.unique(whose, return_inverse=True)
        out[at] = shapely.multipolygons(polys, indices=first)
    return out


# ----------------------------------------------------------------------------------------------
# Coordinates in degrees
# ----------------------------------------------------------------------------------------------
def check_degrees(box: Any, what: str, *, numbers: bool = True) -> None:
    """Refuse a layer whose coordinates, in WGS 84, are not longitudes and latitudes.

    ``box`` is the layer's extent (xmin, ymin, xmax, ymax); ``numbers`` says whether every
    coordinate is a number. A layer of metres labelled as degrees (a common mistake of a
    layer's CRS) is refused with its extent.

    Examples
    --------
    >>> check_degrees((-180, -90, 180, 90), "borders layer b.gpkg")
    >>> check_degrees((5e5, 4.4e6, 6e5, 4.5e6), "river network")
    Traceback (most recent call last):
    ...
    hazid.errors.CRSError: river network has coordinates beyond longitude -180..180 or \
latitude -90..90 in WGS 84 (extent 500000, 4.4e+06, 600000, 4.5e+06): is its coordinate \
reference system the right one?
    """
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    inside = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    if numbers and inside and math.isfinite(xmin + ymin + xmax + ymax):
        return
    raise CRSError(
        f"{what} has coordinates beyond longitude -180..180 or latitude -90..90 in WGS 84 "
        f"(extent {xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}): is its coordinate reference "
        "system the right one?"
    )
