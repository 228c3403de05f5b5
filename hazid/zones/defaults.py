"""Category defaults: the zone of a holding whose substance is not identified.

Per Annex I Part I category and hazard, either a representative substance whose
model is run with the holding's quantity, a TNT equivalence (explosives, ammonium
nitrate), or - where no model applies - a fixed judgement distance.
"""

from __future__ import annotations

import functools

import pandas as pd

from hazid.errors import AnnexDataError
from hazid.zones._base import HAZARDS, _data_file

_DEFAULT_COLUMNS = ("code", "hazard", "zone_km", "representative", "tnt_equivalence", "rationale")


@functools.cache
def _defaults_table() -> pd.DataFrame:
    with _data_file("category_default_distances.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"code": str, "hazard": str, "representative": str})
    missing = [c for c in _DEFAULT_COLUMNS if c not in table.columns]
    if missing:
        raise AnnexDataError(f"category_default_distances.csv lacks columns: {', '.join(missing)}")
    bad = sorted(set(table["hazard"]) - set(HAZARDS))
    if bad:
        raise AnnexDataError(f"category_default_distances.csv has unknown hazards: {bad}")
    table["representative"] = table["representative"].fillna("").astype(str)
    given = (
        (table["representative"] != "").astype(int)
        + table["tnt_equivalence"].notna().astype(int)
        + table["zone_km"].notna().astype(int)
    )
    if (given != 1).any():
        bad_codes = table.loc[given != 1, "code"].tolist()
        raise AnnexDataError(
            "category_default_distances.csv rows need exactly one of representative, "
            f"tnt_equivalence, zone_km: {bad_codes}"
        )
    return table


def load_category_defaults() -> pd.DataFrame:
    """Return the default zone per Annex I Part I category and hazard.

    Used for holdings whose substance is not identified (empty ``substance_key``
    or no row in the property table). Each row gives exactly one of
    ``representative`` (a ``substance_key`` of the property table whose model is run
    with the holding's quantity), ``tnt_equivalence`` (1 psi distance of the quantity
    times this factor taken as TNT) or ``zone_km`` (a fixed judgement distance, for
    categories with no model).

    Returns
    -------
    pandas.DataFrame
        Columns ``code, hazard, zone_km, representative, tnt_equivalence, rationale``.

    Examples
    --------
    >>> d = load_category_defaults()
    >>> d.loc[(d.code == "H2") & (d.hazard == "toxic"), "representative"].iloc[0]
    'chlorine'
    >>> float(d.loc[(d.code == "P8") & (d.hazard == "explosion"), "tnt_equivalence"].iloc[0])
    0.4
    """
    return _defaults_table().copy()
