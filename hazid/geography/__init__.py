"""Country borders, the country of each site, and distances to foreign territory.

Borders come from a file the user names (GeoPackage, Shapefile, GeoJSON,
GeoParquet), from the environment variable ``HAZID_BORDERS``, from the Digital
Chart of the World installed by Debian's ``gmt-dcw`` package (decoded here by
:func:`read_dcw`), from Natural Earth fetched with ``hazid data fetch
ne_10m_countries``, or else from the Natural Earth 1:10M borders embedded in
hazid (:func:`embedded_borders`) -- in that order (:func:`resolve_borders`).
Warnings and errors name input files, never their folders.

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

The method in order, one module each:

- :mod:`~hazid.geography.borders`: reading and standardising borders, and
  choosing their source;
- :mod:`~hazid.geography.dcw`: decoding the Digital Chart of the World;
- :mod:`~hazid.geography.index`: the spatial index and geodesic distances to
  country boundaries;
- :mod:`~hazid.geography.sites`: the country of each site and its distance to
  foreign territory;
- :mod:`~hazid.geography.air`: the countries reached through the air.

:mod:`~hazid.geography.common` holds the ISO 3166 code table shared by all.
"""

from __future__ import annotations

# Re-exports: every name importable from ``hazid.geography`` before the split stays so.
from hazid.geography.air import AIR_COLUMNS, _air_dtypes, affected_by_air  # noqa: F401
from hazid.geography.borders import (  # noqa: F401
    _NO_BORDERS_HELP,
    CODE_CANDIDATES,
    NAME_CANDIDATES,
    _find_column,
    _pick_layer,
    _read_vector,
    _standardise_borders,
    embedded_borders,
    load_borders,
    resolve_borders,
)
from hazid.geography.common import (  # noqa: F401
    _iso2_to_iso3,
    _iso3_names,
    _iso_table,
    _normalise_codes,
    _polygonal,
    iso_codes,
)
from hazid.geography.dcw import (  # noqa: F401
    _DCW_DECODER_VERSION,
    DCW_SIMPLIFY_DEG,
    DCW_SIMPLIFY_MIN_VERTICES,
    DEFAULT_DCW,
    _dcw_path,
    _decode_dcw_country,
    _read_dcw_cached,
    read_dcw,
)
from hazid.geography.index import GEOD, _BorderIndex, _CountryIndex  # noqa: F401
from hazid.geography.sites import (  # noqa: F401
    _check_borders,
    _check_sites,
    _site_countries,
    assign_country,
    border_distance,
    distance_to_country,
)

__all__ = [
    "affected_by_air",
    "assign_country",
    "border_distance",
    "distance_to_country",
    "embedded_borders",
    "iso_codes",
    "load_borders",
    "read_dcw",
    "resolve_borders",
]
