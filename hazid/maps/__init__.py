"""Maps of screening results: interactive HTML maps and static PNG maps."""

from hazid.maps.interactive import *  # noqa: F403
from hazid.maps.interactive import (  # noqa: F401
    MAP_LAYERS,
    SITE_STATUS_STYLE,
    ZONE_COLOURS,
    __all__,
    _auto_tolerance,
    _crossings,
    _decimals,
    _metric_crs,
    _point_along_km,
    _simplify,
    screening_map,
    write_map,
)
