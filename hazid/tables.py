"""Versioned reference tables shipped with hazid (package data).

Legal data is data, not code: the Annex I thresholds, the substance identification tables and the
hazard-group table are CSV files inside the package, each with a provenance note. This module
loads them once and hands out copies.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from importlib import resources
from pathlib import Path

import pandas as pd

from hazid.errors import AnnexDataError, check_choice

logger = logging.getLogger(__name__)

__all__ = [
    "ANNEX_VERSIONS",
    "DEFAULT_ANNEX_VERSION",
    "GROUP_OF_PREFIX",
    "REGIMES",
    "annex_part1",
    "annex_part2",
    "category_grades",
    "file_sha256",
    "grades",
    "substances",
    "synonyms",
    "table_sha256",
]

#: Annex I table versions shipped in ``hazid/data/annex1``.
ANNEX_VERSIONS: tuple[str, ...] = ("convention-2015",)
DEFAULT_ANNEX_VERSION = "convention-2015"

#: Threshold regimes and the table column each one reads.
REGIMES: dict[str, str] = {
    "convention": "convention_t",
    "seveso-lower": "seveso_lower_t",
    "seveso-upper": "seveso_upper_t",
}

#: Summation group of each Part I code prefix (O codes are never summed).
GROUP_OF_PREFIX: dict[str, str] = {"H": "health", "P": "physical", "E": "environmental"}


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file (read in 1 MiB chunks), for provenance records.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"hazid")
    >>> file_sha256(p)[:12]
    'af90034df334'
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _data_file(*parts: str):
    return resources.files("hazid").joinpath("data", *parts)


@functools.cache
def _read_csv(*parts: str) -> pd.DataFrame:
    path = _data_file(*parts)
    if not path.is_file():
        raise AnnexDataError(f"hazid package data file {'/'.join(parts)} is missing")
    with path.open("rb") as fh:
        raw = fh.read()
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8")
    df.attrs["sha256"] = hashlib.sha256(raw).hexdigest()
    return df


def _check_version(version: str) -> str:
    return check_choice("annex_version", version, ANNEX_VERSIONS)


def annex_part1(version: str = DEFAULT_ANNEX_VERSION) -> pd.DataFrame:
    """Return the Annex I Part I categories of one table version.

    Parameters
    ----------
    version : str, default ``"convention-2015"``
        Table version (see :data:`ANNEX_VERSIONS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``group``, ``description``, ``convention_t``, ``seveso_lower_t``,
        ``seveso_upper_t`` (thresholds in tonnes, floats).

    Examples
    --------
    >>> p1 = annex_part1()
    >>> float(p1.set_index("code").loc["H1", "convention_t"])
    20.0
    """
    df = _read_csv("annex1", _check_version(version), "part1.csv").copy()
    for col in REGIMES.values():
        df[col] = pd.to_numeric(df[col]).astype(float)
    return df


def annex_part2(version: str = DEFAULT_ANNEX_VERSION) -> pd.DataFrame:
    """Return the Annex I Part II named substances of one table version.

    Parameters
    ----------
    version : str, default ``"convention-2015"``
        Table version (see :data:`ANNEX_VERSIONS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``item`` (int), ``name``, ``cas``, ``convention_t``, ``seveso_lower_t``,
        ``seveso_upper_t``.

    Examples
    --------
    >>> p2 = annex_part2()
    >>> float(p2.set_index("item").loc[10, "convention_t"])  # chlorine
    25.0
    """
    df = _read_csv("annex1", _check_version(version), "part2.csv").copy()
    df["item"] = pd.to_numeric(df["item"]).astype(int)
    for col in REGIMES.values():
        df[col] = pd.to_numeric(df[col]).astype(float)
    return df


def substances() -> pd.DataFrame:
    """Return the substance identification table (``hazid/data/substances.csv``).

    One row per canonical substance ``key`` with its CAS number, Part II item (empty when the
    substance is not named or is named through a grade), default Part I categories and hazard
    groups, and the source of the classification.

    Examples
    --------
    >>> s = substances().set_index("key")
    >>> s.loc["chlorine", "part2_item"]
    '10'
    """
    return _read_csv("substances.csv").copy()


def synonyms() -> pd.DataFrame:
    """Return the alias table mapping lower-case names to substance keys.

    Examples
    --------
    >>> syn = synonyms().set_index("alias")
    >>> syn.loc["lpg", "key"]
    'lpg'
    """
    return _read_csv("synonyms.csv").copy()


def grades() -> pd.DataFrame:
    """Return the grade table that picks the Part II item of graded substances.

    Ammonium nitrate (items 1-4) and potassium nitrate (items 5-6) are named through a grade.
    Rows of ``grades.csv`` that pick Part I categories instead (see :func:`category_grades`)
    are left out.

    Examples
    --------
    >>> g = grades()
    >>> sorted(g.loc[g["key"] == "ammonium_nitrate", "part2_item"].astype(int).unique().tolist())
    [1, 2, 3, 4]
    """
    g = _read_csv("grades.csv")
    return g.loc[g["part2_item"] != "", ["key", "grade", "part2_item"]].reset_index(drop=True)


def category_grades() -> pd.DataFrame:
    """Return the grades that pick the Part I categories of a substance not named in Part II.

    Nitric acid is classified by concentration (CLP Annex VI entries 007-004-00-1, C > 70 %,
    and 007-030-00-3, C <= 70 %): ``> 70 %`` gives H1;P8 and ``65-70 %`` gives H2;P8. A holding
    without a grade keeps the categories of ``substances.csv`` (the stricter grade).

    Returns
    -------
    pandas.DataFrame
        Columns ``key``, ``grade`` (lower case, single spaces) and ``categories``.

    Examples
    --------
    >>> g = category_grades().set_index("grade")
    >>> g.loc["65-70 %", "categories"]
    'H2;P8'
    """
    g = _read_csv("grades.csv")
    g = g.loc[g["categories"] != "", ["key", "grade", "categories"]].reset_index(drop=True)
    g["grade"] = g["grade"].map(lambda v: " ".join(v.lower().split()))
    return g


def table_sha256(version: str = DEFAULT_ANNEX_VERSION) -> dict[str, str]:
    """Return the SHA-256 of every table file behind a classification.

    Examples
    --------
    >>> sorted(table_sha256())[:2]
    ['annex1/convention-2015/part1.csv', 'annex1/convention-2015/part2.csv']
    """
    out = {}
    for parts in (
        ("annex1", _check_version(version), "part1.csv"),
        ("annex1", version, "part2.csv"),
        ("substances.csv",),
        ("synonyms.csv",),
        ("grades.csv",),
    ):
        out["/".join(parts)] = _read_csv(*parts).attrs["sha256"]
    return out
