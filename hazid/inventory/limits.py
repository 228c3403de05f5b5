"""Input limits, checked before any heavy work.

An inventory is assembled from many operators' files, so a file is measured before it is read:
its size on disk, for a workbook the size its ZIP directory says it inflates to and the used range
its sheet declares, for a GIS layer the features and fields its metadata gives, and while
reading the number of rows and columns and the length of each cell.
A file beyond a limit is refused with a clear problem, in seconds and without the memory a
decompression bomb or a sheet spanning column XFD would take.

The defaults are engineering choices, far above a national inventory (tens of thousands of
holdings), except the cell length: 32,767 characters is the most a cell of an Excel worksheet can
hold (Microsoft, "Excel specifications and limits"; Microsoft KB 211878), so a longer cell comes
from no spreadsheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from hazid.errors import ChoiceError

__all__ = ["InputLimits"]

#: What a refusal for too many rows tells the user to do (the CLI option and the API field).
ROWS_HINT = "split it or raise the row limit (--max-rows, InputLimits.max_rows)"
#: What a refusal for too large a file tells the user to do.
SIZE_HINT = "split it or raise the size limit (--max-file-mb, InputLimits.max_file_mb)"


@dataclass(frozen=True)
class InputLimits:
    """Largest inventory file accepted.

    Parameters
    ----------
    max_file_mb : float, default 100
        Size of the file on disk (MB = 10**6 bytes).
    max_unzipped_mb : float, default 500
        Total size of the parts of an XLSX workbook once decompressed, read from its ZIP
        directory before anything is decompressed.
    max_rows : int, default 500_000
        Data rows (in a workbook: the used range its sheet declares, and the rows read; in a
        GIS layer: its features, from the layer's metadata).
    max_columns : int, default 200
        Columns (in a workbook: the used range its sheet declares, and the cells read; in a
        GIS layer: its fields).
    max_cell_chars : int, default 32_767
        Characters in one cell.

    Raises
    ------
    ChoiceError
        A limit that is not a finite number greater than 0.

    Examples
    --------
    >>> InputLimits().max_columns
    200
    >>> InputLimits(max_rows=10).max_rows
    10
    >>> InputLimits(max_rows=1_000_000, max_file_mb=500).max_file_bytes
    500000000
    """

    max_file_mb: float = 100.0
    max_unzipped_mb: float = 500.0
    max_rows: int = 500_000
    max_columns: int = 200
    max_cell_chars: int = 32_767

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                ok = False
            else:
                ok = math.isfinite(value) and value > 0
            if not ok:
                raise ChoiceError(f"{field.name} must be a number greater than 0; got {value!r}")

    @property
    def max_file_bytes(self) -> int:
        """``max_file_mb`` in bytes."""
        return int(self.max_file_mb * 1e6)

    @property
    def max_unzipped_bytes(self) -> int:
        """``max_unzipped_mb`` in bytes."""
        return int(self.max_unzipped_mb * 1e6)


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"
