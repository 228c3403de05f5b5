"""Whether a country is a Party to the Convention (table ``hazid/data/convention_parties.csv``).

A notification between two Parties is an obligation of Article 4; between a Party and a
non-Party it is a voluntary exchange of information. The table, its version and its sources are
described in ``hazid/data/convention_parties.md``; a country not in it is "not known", never
taken for a non-Party.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources
from typing import Any

__all__ = ["PARTIES_TABLE_VERSION", "convention_status", "voluntary"]

#: Date the entries of the table were last checked.
PARTIES_TABLE_VERSION = "2026-12-01"


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    path = resources.files("hazid").joinpath("data", "convention_parties.csv")
    text = path.read_text(encoding="utf-8")
    return {r["iso_a3"]: r for r in csv.DictReader(io.StringIO(text))}


def convention_status(iso_a3: str) -> dict[str, Any]:
    """Party status of a country: ``is_party`` (True, False or None when not known), ``since``.

    ``since`` is the date the Convention took effect for that Party (ISO), or None when the
    table has no checked date.

    Examples
    --------
    >>> convention_status("KAZ")
    {'is_party': True, 'since': '2001-04-11'}
    >>> convention_status("UZB")
    {'is_party': False, 'since': None}
    >>> convention_status("XXX")
    {'is_party': None, 'since': None}
    """
    row = _table().get(str(iso_a3).upper())
    if row is None or row["is_party"] == "":
        return {"is_party": None, "since": None}
    party = row["is_party"] == "true"
    return {"is_party": party, "since": (row["effective_date"] or None) if party else None}


def voluntary(origin: str, affected: str) -> bool:
    """Return True unless both countries are known Parties (the exchange is then voluntary).

    Examples
    --------
    >>> voluntary("KAZ", "RUS"), voluntary("KAZ", "UZB")
    (False, True)
    """
    return not (
        convention_status(origin)["is_party"] is True
        and convention_status(affected)["is_party"] is True
    )
