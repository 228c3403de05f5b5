"""Maps of screening results: interactive HTML maps and static PNG maps.

:mod:`hazid.maps.interactive` draws the overview and pair maps (Leaflet, via folium) and writes
them as self-contained HTML; :mod:`hazid.maps.static` draws one activity's PNG map for a
notification dossier. Colours and symbols shared by both are in :mod:`hazid.maps.styles`.
The PNG functions (``static_map``, ``static_maps``) load matplotlib on first use,
so that a run without PNG maps does not load it.
"""

from typing import Any

from hazid.maps.base import BaseMap, world_level
from hazid.maps.geometry import (  # noqa: F401
    _auto_tolerance,
    _decimals,
    _metric_crs,
    _point_along_km,
    _simplify,
)
from hazid.maps.interactive import screening_map, write_map
from hazid.maps.layers import _crossings  # noqa: F401
from hazid.maps.projection import local_crs
from hazid.maps.styles import HAZARD_COLOURS, MAP_LAYERS, SITE_STATUS_STYLE, ZONE_COLOURS

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
    "world_level",
    "write_map",
]


_STATIC = ("static_map", "static_maps")


def __getattr__(name: str) -> Any:
    """Load :mod:`hazid.maps.static` (and matplotlib) when one of its functions is asked for."""
    if name in _STATIC:
        from hazid.maps import static

        return getattr(static, name)
    raise AttributeError(f"module 'hazid.maps' has no attribute {name!r}")
