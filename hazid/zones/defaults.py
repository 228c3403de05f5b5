"""Category defaults: the zone of a holding whose substance is not identified.

One default distance per Annex I Part I category and hazard, with the quantity up to
which it covers the model of a stated surrogate substance.
"""

from __future__ import annotations

import functools

import pandas as pd

from hazid.errors import AnnexDataError
from hazid.zones._base import HAZARDS, _data_file

_DEFAULT_COLUMNS = ("code", "hazard", "zone_km", "covers_t", "rationale")


@functools.cache
def _defaults_table() -> pd.DataFrame:
    with _data_file("category_default_distances.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"code": str, "hazard": str})
    missing = [c for c in _DEFAULT_COLUMNS if c not in table.columns]
    if missing:
        raise AnnexDataError(f"category_default_distances.csv lacks columns: {', '.join(missing)}")
    bad = sorted(set(table["hazard"]) - set(HAZARDS))
    if bad:
        raise AnnexDataError(f"category_default_distances.csv has unknown hazards: {bad}")
    return table


def load_category_defaults() -> pd.DataFrame:
    """Return the default zone per Annex I Part I category and hazard.

    Used for holdings whose substance is not identified (empty ``substance_key``
    or no row in the property table). ``covers_t`` is the quantity up to which the
    default is at least what the stated surrogate model gives (empty: the default
    is the model's cap, or a judgement value with no model behind it).

    Returns
    -------
    pandas.DataFrame
        Columns ``code, hazard, zone_km, covers_t, rationale``.

    Examples
    --------
    >>> d = load_category_defaults()
    >>> float(d.loc[(d.code == "H2") & (d.hazard == "toxic"), "zone_km"].iloc[0])
    40.0
    """
    return _defaults_table().copy()
