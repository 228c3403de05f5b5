"""Read and validate site inventories.

The method in reading order: :mod:`~hazid.inventory.read` turns a CSV, XLSX or GIS file into a
table of strings; :mod:`~hazid.inventory.columns` matches its header to the canonical columns;
:mod:`~hazid.inventory.values` parses quantities, units, coordinates and flags;
:mod:`~hazid.inventory.substances` identifies each holding against Annex I;
:mod:`~hazid.inventory.sites` checks that each site has one position and one country; and
:mod:`~hazid.inventory.validate` runs these steps, collecting every problem in the report of
:mod:`~hazid.inventory.problems`. Before reading, :mod:`~hazid.inventory.limits` bounds the
input; :mod:`~hazid.inventory.encoding` and :mod:`~hazid.inventory.workbook` read text files and
workbooks; :mod:`~hazid.inventory.rows` guards against silent wrong results (duplicate rows,
site ids split by invisible characters); :mod:`~hazid.inventory.template` writes an empty
workbook to fill in.
"""

from hazid.inventory.columns import COLUMN_ALIASES
from hazid.inventory.limits import InputLimits
from hazid.inventory.sites import swapped_coordinates
from hazid.inventory.substances import cas_is_valid as cas_is_valid
from hazid.inventory.template import write_template
from hazid.inventory.validate import read_inventory, validate_inventory
from hazid.inventory.values import MAX_PLAUSIBLE_T as MAX_PLAUSIBLE_T
from hazid.inventory.values import UNITS as UNITS

__all__ = [
    "COLUMN_ALIASES",
    "InputLimits",
    "read_inventory",
    "swapped_coordinates",
    "validate_inventory",
    "write_template",
]
