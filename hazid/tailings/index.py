"""Ranking tailings facilities in a basin: the inputs of a hazard index, term by term.

The UNECE methodology for tailings management facilities, created by the
German Environment Agency (UBA) in 2016 and updated in 2020 with the
International Commission for the Protection of the Danube River, ranks
facilities with a Tailings Hazard Index (THI) and a Tailings Risk Index (TRI),
computed in a published spreadsheet (UNECE, "Methodology for Tailings
Management Facilities"; UBA Texte 185/2020, Kovacs et al., "Safety of the
tailings management facilities in the Danube River Basin"). Its hazard terms
cover the stored volume, the toxicity of the contents, the management status,
the natural conditions (floods, earthquakes) and the safety of the dam.

The UNECE page of the methodology
(https://unece.org/info/Environment-Policy/Industrial-accidents/pub/369164)
confirms its three components: (A) THI and TRI, computed in a spreadsheet
template for assessing many facilities at once, (B) the checklist, (C) the
measure catalogue. Applications are published (Ukraine: UBA Dokumentationen
01/2016, Annex 3; Armenia: the Akhtala/Nahatak facility; the 2019 Almaty
workshop for Central Asia), but the numeric definition of each term (scores,
logarithms, weights) could not be read in a public source reachable from this
project, so no THI value is computed here. Instead :func:`hazard_inputs`
exposes, term by term, the inputs the facility table holds, and
:func:`rank_facilities` ranks with a rule that needs no weights: Pareto
dominance. A facility is ahead of another when it is
at least as hazardous on every criterion and more hazardous on one; facilities
that no other dominates form rank 1, and so on. A missing input counts as the
worst value (missing data is never evidence of safety) and is listed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hazid.errors import ChoiceError
from hazid.tailings.facilities import contaminant_table

logger = logging.getLogger(__name__)

__all__ = ["CRITERIA", "THI_TERMS", "hazard_inputs", "rank_facilities"]

_UNECE = (
    "UNECE, Methodology for Tailings Management Facilities (UBA 2016, updated 2020), "
    "unece.org/info/Environment-Policy/Industrial-accidents/pub/369164"
)
_UBA = "UBA Texte 185/2020 (Kovacs et al.), Danube TMF project"
_MISSING = "published scoring not found in a reachable public source"

THI_TERMS = pd.DataFrame(
    [
        ("capacity", "tailings_volume_m3", "stored volume", _UNECE, _MISSING),
        ("toxicity", "stored_contaminant_kg; contaminants", "toxicity of the contents", _UBA,
         _MISSING + "; substance toxicity classes not applied"),
        ("management", "status", "management status (active, closed, legacy)", _UNECE,
         _MISSING + "; no order of the statuses is sourced, so it does not rank"),
        ("natural_conditions", "flood_exposure; seismic_zone", "floods and earthquakes", _UNECE,
         _MISSING + "; national seismic zones are not comparable across countries"),
        ("dam_safety", "dam_height_m", "safety of the dam", _UNECE,
         _MISSING + "; dam condition is not in the facility table"),
    ],
    columns=["term", "inputs", "covers", "source", "definition"],
)  # fmt: skip
"""The hazard terms, the facility columns that feed them, and what is missing."""

CRITERIA = ("tailings_volume_m3", "stored_contaminant_kg", "flood_exposed")
"""Default ranking criteria (all: higher is more hazardous)."""


def hazard_inputs(facilities: pd.DataFrame) -> pd.DataFrame:
    """Return the inputs of each hazard term, one row per facility.

    ``stored_contaminant_kg`` adds the contaminant masses stored (masses as
    given; concentrations times ``tailings_density_t_m3`` times the stored
    volume); it weighs every substance alike and is NaN when no mass can be
    computed. ``flood_exposed`` is 1 for ``yes`` and ``unknown``, 0 for ``no``.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities.

    Returns
    -------
    pandas.DataFrame
        ``facility_id``, ``tailings_volume_m3``, ``stored_contaminant_kg``,
        ``contaminants``, ``status``, ``flood_exposure``, ``flood_exposed``,
        ``seismic_zone``, ``dam_height_m``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["a"], "tailings_volume_m3": [1e6], "status": ["legacy"],
    ...     "dam_height_m": [20.0], "flood_exposure": ["unknown"], "contaminants": ["u=3 t"]})
    >>> hazard_inputs(f)[["stored_contaminant_kg", "flood_exposed"]].values.tolist()
    [[3000.0, 1.0]]
    """
    out = pd.DataFrame({"facility_id": facilities["facility_id"].astype(str).to_numpy()})
    vt = facilities["tailings_volume_m3"].to_numpy(float)
    out["tailings_volume_m3"] = vt
    cont = contaminant_table(facilities)
    dens = (
        pd.to_numeric(facilities["tailings_density_t_m3"], errors="coerce").to_numpy(float)
        if "tailings_density_t_m3" in facilities
        else np.full(len(facilities), np.nan)
    )
    factor = dict(zip(out["facility_id"], dens * 1000.0 * vt * 1e-6, strict=True))
    kg = np.where(
        cont["kind"] == "mass",
        cont["amount"],
        np.where(
            cont["kind"] == "concentration",
            cont["amount"] * cont["facility_id"].map(factor).astype(float),
            np.nan,
        ),
    )
    total = pd.Series(kg, index=cont["facility_id"]).groupby(level=0).sum(min_count=1)
    out["stored_contaminant_kg"] = out["facility_id"].map(total).astype(float)
    out["contaminants"] = (
        facilities["contaminants"].fillna("").astype(str).to_numpy()
        if "contaminants" in facilities
        else ""
    )
    out["status"] = facilities["status"].to_numpy()
    flood = (
        facilities["flood_exposure"].fillna("unknown").astype(str).to_numpy()
        if "flood_exposure" in facilities
        else np.full(len(facilities), "unknown")
    )
    out["flood_exposure"] = flood
    out["flood_exposed"] = (flood != "no").astype(float)
    out["seismic_zone"] = (
        facilities["seismic_zone"].fillna("").astype(str).to_numpy()
        if "seismic_zone" in facilities
        else ""
    )
    out["dam_height_m"] = facilities["dam_height_m"].to_numpy(float)
    return out


def rank_facilities(inputs: pd.DataFrame, *, criteria: Sequence[str] = CRITERIA) -> pd.DataFrame:
    """Rank facilities by Pareto dominance on the chosen criteria.

    Parameters
    ----------
    inputs : pandas.DataFrame
        From :func:`hazard_inputs` (or any table with ``facility_id`` and the
        numeric criteria columns).
    criteria : sequence of str
        Numeric columns, higher meaning more hazardous.

    Returns
    -------
    pandas.DataFrame
        ``inputs`` with ``rank`` (1 = not dominated by any other facility),
        ``dominated_by`` (how many facilities dominate it) and ``missing``
        (criteria without a value, counted as the worst), sorted by rank.

    Raises
    ------
    ChoiceError
        A criterion is not a column of ``inputs``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"facility_id": ["a", "b", "c"], "v": [3.0, 1.0, 2.0],
    ...                   "m": [1.0, 1.0, None]})
    >>> rank_facilities(t, criteria=["v", "m"])[["facility_id", "rank", "missing"]].values.tolist()
    [['a', 1, ''], ['c', 1, 'm'], ['b', 2, '']]
    """
    bad = [c for c in criteria if c not in inputs.columns]
    if bad:
        raise ChoiceError(
            f"criteria must be columns of the inputs ({', '.join(map(repr, inputs.columns))}); "
            f"got {', '.join(map(repr, bad))}"
        )
    values = inputs[list(criteria)].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    missing = [
        ";".join(c for c, m in zip(criteria, row, strict=True) if m) for row in np.isnan(values)
    ]
    x = np.where(np.isnan(values), np.inf, values)
    geq = (x[:, None, :] >= x[None, :, :]).all(axis=2)
    gt = (x[:, None, :] > x[None, :, :]).any(axis=2)
    dom = geq & gt  # dom[i, j]: i dominates j
    rank = np.zeros(len(x), dtype=int)
    left = np.ones(len(x), dtype=bool)
    level = 0
    while left.any():
        level += 1
        front = left & ~dom[left].any(axis=0)
        rank[front] = level
        left &= ~front
    out = inputs.copy()
    out["rank"] = rank
    out["dominated_by"] = dom.sum(axis=0)
    out["missing"] = missing
    return out.sort_values(["rank", "facility_id"], kind="stable").reset_index(drop=True)
