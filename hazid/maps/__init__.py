"""Maps of screening results: interactive HTML maps and static PNG maps.

:mod:`hazid.maps.interactive` draws the overview and pair maps (Leaflet, via folium) and writes
them as self-contained HTML; :mod:`hazid.maps.static` draws one activity's PNG map for a
notification dossier. Colours and symbols shared by both are in :mod:`hazid.maps.styles`.
The HTML functions (``screening_map``, ``write_map``) load folium, and the PNG functions
(``static_map``, ``static_maps``) matplotlib, on first use: a run loads only what it draws, and
the screening starts without waiting for either.
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
from hazid.maps.kept import keeping
from hazid.maps.projection import local_crs
from hazid.maps.styles import HAZARD_COLOURS, MAP_LAYERS, SITE_STATUS_STYLE, ZONE_COLOURS

__all__ = [
    "HAZARD_COLOURS",
    "MAP_LAYERS",
    "SITE_STATUS_STYLE",
    "ZONE_COLOURS",
    "BaseMap",
    "adopt_layers",
    "keeping",
    "kept_layers",
    "local_crs",
    "screening_map",
    "static_map",
    "static_maps",
    "world_level",
    "write_map",
]


_STATIC = ("static_map", "static_maps")
_INTERACTIVE = ("adopt_layers", "kept_layers", "screening_map", "write_map")


def __getattr__(name: str) -> Any:
    """Load the module of a map function on first use: folium's, or matplotlib's."""
    if name in _INTERACTIVE:
        from hazid.maps import interactive

        return getattr(interactive, name)
    if name in _STATIC:
        from hazid.maps import static

        return getattr(static, name)
    raise AttributeError(f"module 'hazid.maps' has no attribute {name!r}")
