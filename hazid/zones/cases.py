"""Both weather cases on the air rows: each row's zone in the worst and alternative case.

The air pathway is decided on the ``basis`` case (``zone_km``); the rows of
``affected.csv`` also show the other case and whether the zone is undetermined
(beyond the reach of its model), which makes the pathway ``consult``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns added to the air rows, after the air columns of the geography layer.
CASE_COLUMNS: tuple[str, ...] = ("zone_worst_km", "zone_alternative_km", "undetermined")


def with_zone_cases(
    affected: pd.DataFrame, distances: pd.DataFrame, *, determined: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add :data:`CASE_COLUMNS` of the controlling (site, hazard) zone to air rows.

    Where the largest zone reaching a country is undetermined but a determined zone of
    the same site reaches it too, the determined zone's row is kept: the decision then
    rests on a distance the model can give.

    Parameters
    ----------
    affected : pandas.DataFrame
        Air rows with ``site_id``, ``affected`` and ``hazard``.
    distances : pandas.DataFrame
        Output of :func:`hazid.zones.consequence_distances`.
    determined : pandas.DataFrame, optional
        Air rows found with the determined zones only (same columns as ``affected``).

    Returns
    -------
    pandas.DataFrame
        ``affected`` with the three columns (NaN / False where no zone matches).

    Examples
    --------
    >>> air = pd.DataFrame({"site_id": ["S1"], "hazard": ["toxic"], "zone_km": [40.2]})
    >>> dist = pd.DataFrame({"site_id": ["S1"], "hazard": ["toxic"], "zone_worst_km": [40.2],
    ...                      "zone_alternative_km": [12.5], "undetermined": [True]})
    >>> with_zone_cases(air, dist)[["zone_alternative_km", "undetermined"]].values.tolist()
    [[12.5, True]]
    """
    if determined is not None and len(determined):
        pair = ["site_id", "affected"]
        found = pd.MultiIndex.from_frame(determined[pair].astype(str))
        replaced = pd.MultiIndex.from_frame(affected[pair].astype(str)).isin(found)
        affected = pd.concat([affected[~replaced], determined], ignore_index=True)
        affected = affected.sort_values(["site_id", "margin_km"], ascending=[True, False])
        affected = affected.reset_index(drop=True)
    keys = ["site_id", "hazard"]
    cols = [c for c in CASE_COLUMNS if c in distances.columns]
    table = distances[keys + cols].astype({"site_id": str, "hazard": str})
    out = affected.drop(columns=[c for c in CASE_COLUMNS if c in affected.columns])
    out = out.astype({"site_id": str, "hazard": str}).merge(table, on=keys, how="left")
    for c in CASE_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    out["undetermined"] = out["undetermined"].fillna(False).astype(bool)
    return out
