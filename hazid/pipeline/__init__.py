"""The whole screening chain: inventory -> Annex I -> pathways -> results on disk.

:func:`screen` runs every configured stage and returns a :class:`ScreeningResults`;
:func:`write_results` writes it into a results directory (atomically). The CLI command
``hazid screen`` is a thin wrapper around these two.
"""

from __future__ import annotations

from hazid.pipeline.results import AFFECTED_COLUMNS, ScreeningResults
from hazid.pipeline.screen import screen
from hazid.pipeline.write import write_results

__all__ = ["AFFECTED_COLUMNS", "ScreeningResults", "screen", "write_results"]
