"""Competent authorities and points of contact of the Parties (Annex III, IAN System).

Contact details are read from a small CSV supplied by the user; whatever is not supplied is
shown as "not provided" in the dossiers and never invented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import DataSourceError
from hazid.i18n import country_name
from hazid.notify.parties import convention_status
from hazid.notify.values import _problems, _text

#: Addressee fields read from a contacts file.
CONTACT_FIELDS: tuple[str, ...] = ("competent_authority", "focal_point", "ian_contact", "email")
#: Shown wherever a contact detail was not supplied (it is never invented).
NOT_PROVIDED = "not provided"


def _validate_contacts(df: pd.DataFrame, source: str) -> pd.DataFrame:
    df = df.rename(columns={c: str(c).strip().lower() for c in df.columns})
    if "country" not in df.columns:
        raise _problems(source, [(None, "country", None, "missing required column 'country'")])
    problems = []
    country = _text(df, "country").str.upper()
    for i, c in enumerate(country, start=1):
        if not re.fullmatch(r"[A-Z]{3}", c):
            problems.append((i, "country", c, "country must be an ISO 3166 alpha-3 code"))
    dup = country.duplicated(keep="first") & (country != "")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append((int(i) + 1, "country", country.iat[i], "country listed twice"))
    email = _text(df, "email")
    for i, e in enumerate(email, start=1):
        if e and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e):
            problems.append((i, "email", e, "not an e-mail address"))
    if problems:
        raise _problems(source, problems)
    out = pd.DataFrame({"country": country.to_numpy()}, dtype=object)
    for col in ("name", *CONTACT_FIELDS):
        out[col] = _text(df, col).to_numpy()
    return out.sort_values("country", kind="stable").reset_index(drop=True)


def read_contacts(path: str | Path) -> pd.DataFrame:
    r"""Read the competent authorities and points of contact of each Party.

    Parameters
    ----------
    path : str or pathlib.Path
        UTF-8 CSV with a ``country`` column (ISO3) and any of ``competent_authority``,
        ``focal_point``, ``ian_contact``, ``email`` and ``name`` (column names are
        case-insensitive; other columns are ignored).

    Returns
    -------
    pandas.DataFrame
        ``country``, ``name`` and the :data:`CONTACT_FIELDS`, one row per country, empty
        strings where nothing was given (shown as "not provided" in dossiers).

    Raises
    ------
    DataSourceError
        If the file does not exist.
    InventoryError
        If the file cannot be read as CSV, lacks ``country``, repeats a country, has a code
        that is not ISO3 or an e-mail that is not one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "contacts.csv"
    >>> _ = p.write_text("Country,Email\nKAZ,desk@example.org\n", encoding="utf-8")
    >>> read_contacts(p).loc[0, ["country", "email", "focal_point"]].tolist()
    ['KAZ', 'desk@example.org', '']
    """
    p = Path(path)
    if not p.is_file():
        raise DataSourceError(f"contacts file not found: {p}")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise _problems(
            str(p), [(None, "", None, f"cannot read as a UTF-8 CSV file: {msg}")]
        ) from err
    return _validate_contacts(df, str(p))


def _contacts_table(contacts: Any) -> pd.DataFrame:
    if contacts is None:
        return pd.DataFrame(columns=["country", "name", *CONTACT_FIELDS], dtype=object)
    if isinstance(contacts, str | Path):
        return read_contacts(contacts)
    return _validate_contacts(pd.DataFrame(contacts), "contacts table")


def _party(
    iso: str, contacts: pd.DataFrame, names: Mapping[str, str], lang: str = "en"
) -> dict[str, Any]:
    """Describe a Party in a dossier: code, name in ``lang``, contacts and Convention status.

    The name is the one of the contacts file, else (English) the border layer's or (other
    languages) the ISO 3166 short name in that language, else the other of the two.
    """
    row = contacts.loc[contacts["country"] == iso]
    rec: dict[str, Any] = {"iso_a3": iso}
    given = row["name"].iat[0] if len(row) else ""
    iso_name = country_name(iso, lang)
    if lang == "en":
        rec["name"] = given or names.get(iso) or iso_name or iso
    else:
        rec["name"] = given or iso_name or names.get(iso) or iso
    for f in CONTACT_FIELDS:
        v = row[f].iat[0] if len(row) else ""
        rec[f] = v or None
    status = convention_status(iso)
    rec["convention_party"] = status["is_party"]
    rec["party_since"] = status["since"]
    return rec
