"""Exceptions raised by hazid.

Every error hazid raises derives from :class:`HazidError` and from the built-in
exception that best describes it, so callers can catch either::

    try:
        hazid.read_inventory("sites.csv")
    except hazid.InventoryError as err:
        print(err.problems)   # one row per bad cell
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "AnnexDataError",
    "CRSError",
    "ChoiceError",
    "DataSourceError",
    "GeodataError",
    "HazidError",
    "InventoryError",
    "NetworkError",
    "OutputError",
    "ProcessError",
    "RelationError",
    "TailingsError",
    "WorkerError",
    "check_choice",
]


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(value != value)
    except TypeError:  # pandas.NA
        return True


class HazidError(Exception):
    """Base class of every error raised by hazid."""


class ChoiceError(HazidError, ValueError):
    """A string option is not one of the allowed values."""


class InventoryError(HazidError, ValueError):
    """An inventory failed validation.

    Parameters
    ----------
    problems : pandas.DataFrame
        One row per problem with columns ``row``, ``column``, ``value`` and
        ``problem``. ``row`` is the 1-based data row of the input file
        (the header is row 0); it is empty for file-level problems.
    source : str, optional
        Name of the input, used in the message.
    """

    def __init__(self, problems: Any, source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        n = len(problems)
        where = f" in {source}" if source else ""
        lines = [f"{n} problem{'s' if n != 1 else ''}{where}:"]
        for rec in problems.head(20).itertuples(index=False):
            row = "" if _missing(rec.row) else f"row {int(rec.row)}, "
            col = f"{rec.column}: " if rec.column else ""
            lines.append(f"  {row}{col}{rec.problem}")
        if n > 20:
            lines.append(f"  ... and {n - 20} more")
        super().__init__("\n".join(lines))


class AnnexDataError(HazidError, ValueError):
    """An Annex I table is missing, malformed or of an unknown version."""


class CRSError(HazidError, ValueError):
    """A spatial layer has no coordinate reference system, or an unusable one."""


class GeodataError(HazidError, ValueError):
    """A spatial layer (borders, rivers, sites) cannot be used as given."""


class NetworkError(HazidError, ValueError):
    """A river network is malformed (for example, it contains a cycle)."""


class DataSourceError(HazidError, FileNotFoundError):
    """A dataset that hazid needs cannot be found or fetched."""


class OutputError(HazidError, OSError):
    """Results cannot be written where asked."""


class WorkerError(HazidError, RuntimeError):
    """A forked process stopped without a result, or its result could not be passed back."""


def check_choice(name: str, value: str, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ChoiceError`.

    Parameters
    ----------
    name : str
        Name of the option, used in the message.
    value : str
        The value given.
    allowed : iterable of str
        The accepted values.

    Returns
    -------
    str
        ``value`` unchanged.

    Examples
    --------
    >>> check_choice("regime", "convention", ["convention", "seveso-lower"])
    'convention'
    """
    allowed = list(allowed)
    if value not in allowed:
        raise ChoiceError(
            f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}"
        )
    return value


class TailingsError(InventoryError):
    """A tailings facility table failed validation.

    A subclass of :class:`InventoryError`: ``problems`` holds one row per bad cell
    (``row``, ``column``, ``value``, ``problem``), so callers that already catch
    inventory errors catch this one too.
    """


class RelationError(HazidError, ValueError):
    """An empirical relation is unknown, incomplete or unverified and was not allowed."""


class ProcessError(HazidError, ValueError):
    """A results folder, notification register or catalogue cannot be used as given."""
