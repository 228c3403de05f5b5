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


def with_zone_cases(affected: pd.DataFrame, distances: pd.DataFrame) -> pd.DataFrame:
    """Add :data:`CASE_COLUMNS` of the controlling (site, hazard) zone to air rows.

    Parameters
    ----------
    affected : pandas.DataFrame
        Air rows with ``site_id`` and ``hazard``.
    distances : pandas.DataFrame
        Output of :func:`hazid.zones.consequence_distances`.

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
