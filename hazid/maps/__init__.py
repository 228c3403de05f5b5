"""Maps of screening results: interactive HTML maps and static PNG maps.

:mod:`hazid.maps.interactive` draws the overview and pair maps (Leaflet, via folium) and writes
them as self-contained HTML; :mod:`hazid.maps.static` draws one activity's PNG map for a
notification dossier. Colours and symbols shared by both are in :mod:`hazid.maps.styles`.
"""

from hazid.maps.base import BaseMap
from hazid.maps.geometry import (  # noqa: F401
    _auto_tolerance,
    _decimals,
    _metric_crs,
    _point_along_km,
    _simplify,
)
from hazid.maps.interactive import screening_map, write_map
from hazid.maps.layers import _crossings  # noqa: F401
from hazid.maps.static import HAZARD_COLOURS, local_crs, static_map, static_maps
from hazid.maps.styles import MAP_LAYERS, SITE_STATUS_STYLE, ZONE_COLOURS

__all__ = [
    "HAZARD_COLOURS",
    "MAP_LAYERS",
    "SITE_STATUS_STYLE",
    "ZONE_COLOURS",
    "BaseMap",
    "local_crs",
    "screening_map",
    "static_map",
    "static_maps",
    "write_map",
]
