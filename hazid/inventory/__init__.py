"""Read and validate site inventories.

The method in reading order: :mod:`~hazid.inventory.read` turns a CSV, XLSX or GIS file into a
table of strings; :mod:`~hazid.inventory.columns` matches its header to the canonical columns;
:mod:`~hazid.inventory.values` parses quantities, units, coordinates and flags;
:mod:`~hazid.inventory.substances` identifies each holding against Annex I;
:mod:`~hazid.inventory.sites` checks that each site has one position and one country; and
:mod:`~hazid.inventory.validate` runs these steps, collecting every problem in the report of
:mod:`~hazid.inventory.problems`.
"""

from hazid.inventory.columns import COLUMN_ALIASES
from hazid.inventory.substances import cas_is_valid as cas_is_valid
from hazid.inventory.validate import read_inventory, validate_inventory
from hazid.inventory.values import MAX_PLAUSIBLE_T as MAX_PLAUSIBLE_T
from hazid.inventory.values import UNITS as UNITS

__all__ = [
    "COLUMN_ALIASES",
    "read_inventory",
    "validate_inventory",
]
