"""Read and validate site inventories (sub-package; see :mod:`hazid.inventory.validate`)."""

from hazid.inventory.validate import *  # noqa: F403
from hazid.inventory.validate import (  # noqa: F401
    COLUMN_ALIASES,
    MAX_PLAUSIBLE_T,
    UNITS,
    __all__,
    cas_is_valid,
    read_inventory,
    validate_inventory,
)
