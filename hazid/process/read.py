"""Read a results folder written by ``hazid screen`` back into tables.

The reader is tolerant: columns and JSON fields it does not know are kept, columns it needs but
does not find are added empty, and every table is keyed on the stable columns (``site_id``,
``origin``, ``affected``, ``status``, ``pathway``). CSV files are read as text (with or without
a UTF-8 byte-order mark); the ``'`` that the spreadsheet rule put in front of a text cell that
would start a formula is removed again, so values compare as they were in the inputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hazid.errors import ProcessError
from hazid.output.results import read_table

logger = logging.getLogger(__name__)

__all__ = ["STATUS_RANK", "Screening", "read_screening", "status_rank"]

#: Order of the pair statuses; a status hazid does not know ranks as ``consult`` (missing data
#: is never evidence of safety).
STATUS_RANK: dict[str, int] = {"none": 0, "consult": 1, "not assessed": 1, "notify": 2}


#: Columns each table is guaranteed to have after reading (added empty when absent).
_NEEDED: dict[str, tuple[str, ...]] = {
    "sites.csv": ("site_id", "site_name", "country", "lon", "lat", "hazardous"),
    "holdings.csv": ("site_id", "substance", "quantity_t", "ratio", "threshold_t"),
    "affected.csv": ("site_id", "affected", "pathway"),
    "notifications/summary.csv": ("origin", "affected", "status", "dossier"),
    "notifications/activities.csv": ("site_id", "origin", "affected", "status", "pathways"),
}


def status_rank(status: Any) -> int:
    """Rank of a pair status: none 0, consult 1, notify 2 (unknown statuses rank as consult).

    Examples
    --------
    >>> status_rank("notify"), status_rank("none"), status_rank(""), status_rank("not assessed")
    (2, 0, 0, 1)
    """
    if status is None or status == "" or status != status:
        return 0
    return STATUS_RANK.get(str(status), 1)


@dataclass
class Screening:
    """One results folder, read back.

    Attributes
    ----------
    name : str
        The folder's name (never its absolute path: outputs name folders only).
    run : dict
        ``run.json``.
    sites, holdings, affected, summary, activities : pandas.DataFrame
        The tables, as text (empty tables with the stable columns when a file is absent).
    dossiers : dict
        Dossier JSON per ``(origin, affected)``.
    summary_sha256 : str or None
        SHA-256 of ``notifications/summary.csv`` (None when the run wrote no notifications).
    path : Path
        Where the folder was read from (for reading more layers; never written to outputs).
    """

    name: str
    run: dict[str, Any]
    sites: pd.DataFrame
    holdings: pd.DataFrame
    affected: pd.DataFrame
    summary: pd.DataFrame
    activities: pd.DataFrame
    dossiers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    summary_sha256: str | None = None
    path: Path = field(default_factory=Path)

    @property
    def date(self) -> str:
        """Date of the run (``run.json`` ``date``, else the day of ``finished_utc``)."""
        date = self.run.get("date") or str(self.run.get("finished_utc") or "")[:10]
        return str(date or "unknown date")

    @property
    def hazid_version(self) -> str:
        """Version of hazid that wrote the folder (``run.json`` ``versions.hazid``)."""
        return str((self.run.get("versions") or {}).get("hazid") or "unknown")

    @property
    def country(self) -> str:
        """The country most of the screened sites lie in (``site_country``, else ``country``)."""
        col = "site_country" if _filled(self.sites, "site_country") else "country"
        values = self.sites[col][self.sites[col] != ""] if col in self.sites else pd.Series()
        if values.empty:
            return "unknown"
        counts = values.value_counts()
        return str(sorted(counts[counts == counts.max()].index)[0])

    def origin_of(self) -> dict[str, str]:
        """Party of origin per ``site_id``: ``site_country``, else the inventory's ``country``."""
        s = self.sites
        own = s["site_country"] if "site_country" in s else pd.Series("", index=s.index)
        origin = own.where(own != "", s["country"])
        return dict(zip(s["site_id"], origin, strict=True))


def _filled(df: pd.DataFrame, col: str) -> bool:
    return col in df and bool((df[col] != "").any())


def _read_table(folder: Path, rel: str) -> pd.DataFrame:
    path = folder / rel
    needed = _NEEDED[rel]
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in needed})
    try:
        df = read_table(path)  # the spreadsheet escaping of write_csv undone
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise ProcessError(f"{folder.name}/{rel} cannot be read: {err}") from err
    for col in needed:
        if col not in df:
            df[col] = ""
    return df.astype(object)


def _read_dossiers(folder: Path, summary: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in summary.itertuples(index=False):
        name = rec.dossier or f"{rec.origin}-{rec.affected}"
        path = folder / "notifications" / f"{name}.json"
        if not path.is_file():
            logger.warning("%s: dossier %s.json not found", folder.name, name)
            continue
        try:
            out[(rec.origin, rec.affected)] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ProcessError(f"{folder.name}/notifications/{name}.json: {err}") from err
    return out


def read_screening(path: str | Path | Screening) -> Screening:
    """Read a results folder written by ``hazid screen`` / :func:`hazid.write_results`.

    Parameters
    ----------
    path : str, Path or Screening
        The results folder (a :class:`Screening` is returned unchanged).

    Returns
    -------
    Screening
        Its tables, ``run.json``, dossiers and the SHA-256 of the notification summary.

    Raises
    ------
    ProcessError
        When the folder is missing, or holds no ``run.json`` or ``sites.csv``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> read_screening(pathlib.Path(tempfile.mkdtemp()) / "nothing")
    Traceback (most recent call last):
    ...
    hazid.errors.ProcessError: nothing is not a hazid results folder (no run.json)
    """
    if isinstance(path, Screening):
        return path
    folder = Path(path)
    for required in ("run.json", "sites.csv"):
        if not (folder / required).is_file():
            raise ProcessError(f"{folder.name} is not a hazid results folder (no {required})")
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ProcessError(f"{folder.name}/run.json cannot be read: {err}") from err
    tables = {rel: _read_table(folder, rel) for rel in _NEEDED}
    summary_path = folder / "notifications" / "summary.csv"
    sha = hashlib.sha256(summary_path.read_bytes()).hexdigest() if summary_path.is_file() else None
    summary = tables["notifications/summary.csv"]
    return Screening(
        name=folder.resolve().name,
        run=run,
        sites=tables["sites.csv"],
        holdings=tables["holdings.csv"],
        affected=tables["affected.csv"],
        summary=summary,
        activities=tables["notifications/activities.csv"],
        dossiers=_read_dossiers(folder, summary),
        summary_sha256=sha,
        path=folder,
    )


def number(value: Any) -> float | None:
    """Read a cell as a float, or None when empty or not a number.

    Examples
    --------
    >>> number("1.5"), number(""), number("n/a")
    (1.5, None, None)
    """
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out
