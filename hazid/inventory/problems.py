"""The problem report of an inventory check.

Validation collects **every** problem before anything is raised: each one is a row of a table
with the data row (1 = first row under the header, empty for file-level problems), the column,
the offending value (shortened when long) and what is wrong. Warnings are kept apart: they flag a
usable but doubtful input.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Longest cell value quoted in a problem report.
_MAX_VALUE_CHARS = 200


def _short(value: Any, limit: int = _MAX_VALUE_CHARS) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass
class _Problems:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, row: Any, column: str, value: Any, problem: str) -> None:
        self.rows.append({"row": row, "column": column, "value": value, "problem": problem})

    def add_many(self, mask: pd.Series, df: pd.DataFrame, column: str, problem: str) -> None:
        for idx in np.flatnonzero(mask.to_numpy()):
            val = df[column].iloc[idx] if column in df.columns else None
            self.add(int(df["row"].iloc[idx]), column, val, problem)

    def warn(self, message: str) -> None:
        """Record a warning: the input is usable but something deserves a look."""
        logger.warning(message)
        self.warnings.append(message)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["row", "column", "value", "problem"])
        df["row"] = df["row"].astype("Int64")
        df["value"] = df["value"].map(lambda v: "" if v is None or v is pd.NA else _short(v))
        return df.sort_values(["row", "column"], na_position="first", kind="stable").reset_index(
            drop=True
        )


def _expand(mask: pd.Series, df: pd.DataFrame) -> pd.Series:
    """Widen a boolean mask over a subset of rows to the whole table."""
    return mask.reindex(df.index, fill_value=False).astype(bool)


def _row_list(rows: list[int], limit: int = 10) -> str:
    head = ", ".join(map(str, rows[:limit]))
    return head if len(rows) <= limit else f"{head} ... ({len(rows)} rows)"
