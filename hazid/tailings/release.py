"""Dam-break release and run-out of a tailings storage facility.

Empirical power laws ``y = a * x**b`` fitted on historical tailings dam
failures give the volume released by a failure (VF) from the volume stored
(VT), and the distance the released tailings travel (Dmax) from the dam height
and the released volume. The relations ship as versioned data in
``hazid/data/tailings/relations.csv`` with their provenance
(``PROVENANCE.md``); each row has a ``status``:

- ``verified``: coefficients read in the paper itself and reproduced from its
  case table (:func:`hazid.tailings.cases.check_verified`);
- ``secondary``: coefficients read in a public source that cites the paper;
- ``unverified``: coefficients not found in any reachable public source. These
  are refused unless the caller passes ``allow_unverified=True``; a relation
  without coefficients cannot be used at all.

The fits scatter widely (Rico et al. 2008: r2 = 0.86 for VF, 0.57 for Dmax,
both in log space). An interval is computed only when a residual standard
deviation in log10 units is known (``sigma_log10`` in the table, or given by
the caller): ``y * 10**(+-z * sigma)``, which ignores the uncertainty of the
coefficients themselves. Without it the interval columns are NaN and the note
says why.

References
----------
Rico, M., Benito, G., Diez-Herrero, A. (2008). Floods from tailings dam
failures. Journal of Hazardous Materials 154: 79-87.

Concha Larrauri, P., Lall, U. (2018). Tailings dams failures: updated
statistical model for discharge volume and runout. Environments 5(2): 28.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import RelationError

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_RUNOUT_RELATION",
    "DEFAULT_VOLUME_RELATION",
    "RELATION_STATUSES",
    "apply_relation",
    "dam_break",
    "get_relation",
    "load_relations",
    "released_volume",
    "runout_distance",
]

RELATION_STATUSES = ("verified", "secondary", "unverified")
"""Allowed values of the ``status`` column, most to least certain."""

DEFAULT_VOLUME_RELATION = "rico2008_vf"
"""Released-volume relation used unless another is named."""

DEFAULT_RUNOUT_RELATION = "rico2008_dmax"
"""Run-out relation used unless another is named (``unverified``: opt in)."""

_PREDICTORS = ("VT", "H*VF", "H*VF*VF/VT")
_QUANTITIES = ("released_volume", "runout_distance")
_COLUMNS = [
    "relation_id",
    "quantity",
    "predictor",
    "a",
    "b",
    "x_unit",
    "y_unit",
    "r2",
    "sigma_log10",
    "status",
    "source",
    "reason",
]


def load_relations(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check the table of empirical dam-break relations.

    Parameters
    ----------
    path : path, optional
        A CSV with the columns of ``hazid/data/tailings/relations.csv``; the
        shipped table by default.

    Returns
    -------
    pandas.DataFrame
        One row per relation, indexed by ``relation_id``. The optional
        ``n_cases`` column (number of failures behind the fit) is NaN where
        absent or not stated.

    Raises
    ------
    RelationError
        A column is missing, an id repeats, or a status, quantity or predictor
        is unknown.

    Examples
    --------
    >>> rel = load_relations()
    >>> rel.loc["rico2008_vf", ["a", "b", "r2", "n_cases"]].astype(float).tolist()
    [0.354, 1.01, 0.86, 22.0]
    """
    if path is None:
        with resources.as_file(
            resources.files("hazid").joinpath("data", "tailings", "relations.csv")
        ) as p:
            table = pd.read_csv(p, dtype={"relation_id": str})
    else:
        table = pd.read_csv(Path(path), dtype={"relation_id": str})
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise RelationError(f"relation table lacks column(s): {', '.join(missing)}")
    bad = []
    for col, allowed in (
        ("status", RELATION_STATUSES),
        ("quantity", _QUANTITIES),
        ("predictor", _PREDICTORS),
    ):
        for value in table[col]:
            if value not in allowed:
                bad.append(f"{col} {value!r} (allowed: {', '.join(allowed)})")
    if bad:
        raise RelationError("relation table: unknown " + "; ".join(bad))
    if table["relation_id"].duplicated().any():
        dup = table.loc[table["relation_id"].duplicated(), "relation_id"].tolist()
        raise RelationError(f"relation table: repeated relation_id {dup}")
    if "n_cases" not in table.columns:  # optional: number of cases behind the fit
        table["n_cases"] = np.nan
    for col in ("a", "b", "r2", "sigma_log10", "n_cases"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    return table.set_index("relation_id", drop=False)


def get_relation(
    relation_id: str,
    *,
    quantity: str | None = None,
    allow_unverified: bool = False,
    relations: pd.DataFrame | None = None,
) -> pd.Series:
    """Return one relation, refusing unverified or incomplete ones.

    Parameters
    ----------
    relation_id : str
        Key in the relation table.
    quantity : {"released_volume", "runout_distance"}, optional
        Check that the relation gives this quantity.
    allow_unverified : bool
        Accept a relation whose status is ``unverified``.
    relations : pandas.DataFrame, optional
        Table from :func:`load_relations`; the shipped one by default.

    Returns
    -------
    pandas.Series
        The relation's row.

    Raises
    ------
    RelationError
        Unknown id, wrong quantity, ``unverified`` without ``allow_unverified``,
        or missing coefficients.

    Examples
    --------
    >>> get_relation("rico2008_vf").status
    'secondary'
    >>> float(get_relation("rico2008_dmax", allow_unverified=True).b)
    0.66
    """
    rel = load_relations() if relations is None else relations
    if relation_id not in rel.index:
        raise RelationError(
            f"unknown relation {relation_id!r}; known: {', '.join(map(repr, rel.index))}"
        )
    row = rel.loc[relation_id]
    if quantity is not None and row["quantity"] != quantity:
        raise RelationError(f"relation {relation_id!r} gives {row['quantity']}, not {quantity}")
    if row["status"] == "unverified" and not allow_unverified:
        raise RelationError(
            f"relation {relation_id!r} is unverified ({row['reason']}); "
            "pass allow_unverified=True to use it anyway"
        )
    if not (np.isfinite(row["a"]) and np.isfinite(row["b"])):
        raise RelationError(
            f"relation {relation_id!r} has no coefficients ({row['reason']}); it cannot be used"
        )
    return row


def apply_relation(
    relation: pd.Series,
    x: Any,
    *,
    sigma_log10: float | None = None,
    z: float = 1.96,
) -> pd.DataFrame:
    """Evaluate ``a * x**b`` with an interval where the scatter is known.

    Parameters
    ----------
    relation : pandas.Series
        A row from :func:`get_relation`.
    x : array-like
        Predictor in the relation's ``x_unit``; values <= 0 or NaN give NaN.
    sigma_log10 : float, optional
        Residual standard deviation in log10 units; the relation's own
        ``sigma_log10`` by default.
    z : float
        Standard normal quantile of the interval (1.96: central 95 %).

    Returns
    -------
    pandas.DataFrame
        ``value``, ``low``, ``high`` in the relation's ``y_unit`` (interval
        NaN when the scatter is unknown).

    Examples
    --------
    >>> r = get_relation("rico2008_vf")
    >>> out = apply_relation(r, [1.0, 10.0], sigma_log10=0.3)
    >>> out.round(3).values.tolist()
    [[0.354, 0.091, 1.371], [3.622, 0.935, 14.028]]
    """
    xv = np.asarray(x, dtype=float).reshape(-1)
    ok = np.isfinite(xv) & (xv > 0)
    value = np.full(len(xv), np.nan)
    value[ok] = float(relation["a"]) * xv[ok] ** float(relation["b"])
    sigma = relation.get("sigma_log10") if sigma_log10 is None else sigma_log10
    sigma = float(sigma) if sigma is not None and np.isfinite(sigma) else np.nan
    factor = 10.0 ** (z * sigma)
    return pd.DataFrame({"value": value, "low": value / factor, "high": value * factor})


def released_volume(
    stored_m3: Any,
    *,
    relation: str = DEFAULT_VOLUME_RELATION,
    allow_unverified: bool = False,
    sigma_log10: float | None = None,
    relations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Volume released by a dam failure, from the stored volume.

    The result is capped at the stored volume (a fit can exceed it for large
    VT when its exponent is above 1); ``capped`` says where.

    Parameters
    ----------
    stored_m3 : array-like
        Stored volume VT (m3).
    relation : str
        A ``released_volume`` relation id.
    allow_unverified : bool
        Accept an ``unverified`` relation.
    sigma_log10 : float, optional
        Residual standard deviation (log10) for the interval.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    pandas.DataFrame
        ``released_m3``, ``released_low_m3``, ``released_high_m3``, ``capped``.

    Raises
    ------
    RelationError
        See :func:`get_relation`.

    Examples
    --------
    >>> released_volume([1e6, 15e6]).released_m3.round(-3).tolist()
    [354000.0, 5456000.0]
    """
    rel = get_relation(
        relation,
        quantity="released_volume",
        allow_unverified=allow_unverified,
        relations=relations,
    )
    vt = np.asarray(stored_m3, dtype=float).reshape(-1)
    out = apply_relation(rel, vt / 1e6, sigma_log10=sigma_log10) * 1e6
    capped = (out["value"] > vt).to_numpy()
    return pd.DataFrame(
        {
            "released_m3": np.minimum(out["value"], vt),
            "released_low_m3": np.minimum(out["low"], vt),
            "released_high_m3": np.minimum(out["high"], vt),
            "capped": capped,
        }
    )


def _predictor(name: str, height_m: np.ndarray, vf_mm3: np.ndarray, vt_mm3: np.ndarray) -> Any:
    if name == "H*VF":
        return height_m * vf_mm3
    return height_m * vf_mm3 * vf_mm3 / vt_mm3  # H*VF*VF/VT


def runout_distance(
    dam_height_m: Any,
    released_m3: Any,
    stored_m3: Any = None,
    *,
    relation: str = DEFAULT_RUNOUT_RELATION,
    allow_unverified: bool = False,
    sigma_log10: float | None = None,
    relations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Maximum distance travelled by the released tailings (km).

    Parameters
    ----------
    dam_height_m : array-like
        Dam height H (m).
    released_m3 : array-like
        Released volume VF (m3).
    stored_m3 : array-like, optional
        Stored volume VT (m3); needed by predictors that use it.
    relation : str
        A ``runout_distance`` relation id.
    allow_unverified : bool
        Accept an ``unverified`` relation (the shipped run-out relations are).
    sigma_log10 : float, optional
        Residual standard deviation (log10) for the interval.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    pandas.DataFrame
        ``runout_km``, ``runout_low_km``, ``runout_high_km``.

    Raises
    ------
    RelationError
        See :func:`get_relation`; also when the predictor needs ``stored_m3``.

    Examples
    --------
    >>> r = runout_distance([20.0], [1e6], allow_unverified=True)
    >>> round(float(r.runout_km[0]), 2)
    11.63
    """
    rel = get_relation(
        relation,
        quantity="runout_distance",
        allow_unverified=allow_unverified,
        relations=relations,
    )
    h = np.asarray(dam_height_m, dtype=float).reshape(-1)
    vf = np.asarray(released_m3, dtype=float).reshape(-1) / 1e6
    if "VT" in rel["predictor"]:
        if stored_m3 is None:
            raise RelationError(f"relation {rel['relation_id']!r} needs the stored volume")
        vt = np.asarray(stored_m3, dtype=float).reshape(-1) / 1e6
    else:
        vt = np.full(len(h), np.nan)
    out = apply_relation(rel, _predictor(rel["predictor"], h, vf, vt), sigma_log10=sigma_log10)
    return pd.DataFrame(
        {"runout_km": out["value"], "runout_low_km": out["low"], "runout_high_km": out["high"]}
    )


def _scatter_note(rel: pd.Series, sigma: float | None) -> str:
    r2 = f"r2 {rel['r2']:.2f}" if np.isfinite(rel["r2"]) else "r2 not stated"
    s = rel["sigma_log10"] if sigma is None else sigma
    spread = "interval from sigma_log10" if s is not None and np.isfinite(s) else "no interval"
    return f"{rel['relation_id']} ({rel['status']}; {r2}; {spread})"


def dam_break(
    facilities: pd.DataFrame,
    *,
    volume_relation: str = DEFAULT_VOLUME_RELATION,
    runout_relation: str = DEFAULT_RUNOUT_RELATION,
    allow_unverified: bool = False,
    sigma_log10: float | None = None,
    relations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Released volume and run-out of every facility.

    A ``released_m3`` or ``runout_km`` column in ``facilities`` (for example
    from a site-specific dam-break study) is used as given where filled; the
    relations fill the rest. Where a run-out relation is refused (unverified and
    not allowed) and no run-out is given, ``runout_km`` is NaN and the note
    says why: such a facility is not assessed, not safe.

    Parameters
    ----------
    facilities : pandas.DataFrame
        Validated facilities (:func:`hazid.tailings.facilities.validate_facilities`):
        ``facility_id``, ``tailings_volume_m3``, ``dam_height_m``.
    volume_relation, runout_relation : str
        Relation ids.
    allow_unverified : bool
        Accept ``unverified`` relations.
    sigma_log10 : float, optional
        Residual standard deviation (log10) for both intervals.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    pandas.DataFrame
        One row per facility: ``facility_id``, ``stored_m3``, ``released_m3``,
        ``released_low_m3``, ``released_high_m3``, ``released_fraction``,
        ``runout_km``, ``runout_low_km``, ``runout_high_km``, ``volume_source``,
        ``runout_source``, ``note``.

    Raises
    ------
    RelationError
        When the volume relation is refused (nothing can be assessed without it).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["a", "b"], "tailings_volume_m3": [1e6, 2e6],
    ...                   "dam_height_m": [20.0, 30.0], "runout_km": [None, 4.0]})
    >>> db = dam_break(f)
    >>> db[["released_m3", "runout_km"]].round(1).values.tolist()
    [[354000.0, nan], [712924.5, 4.0]]
    """
    vt = facilities["tailings_volume_m3"].to_numpy(dtype=float)
    vol = released_volume(
        vt,
        relation=volume_relation,
        allow_unverified=allow_unverified,
        sigma_log10=sigma_log10,
        relations=relations,
    )
    rel_v = get_relation(volume_relation, allow_unverified=allow_unverified, relations=relations)
    given_vf = _given(facilities, "released_m3")
    vf = np.where(np.isfinite(given_vf), given_vf, vol["released_m3"])
    vsrc = np.where(np.isfinite(given_vf), "facility table", _scatter_note(rel_v, sigma_log10))
    notes = [""] * len(facilities)
    try:
        run = runout_distance(
            facilities["dam_height_m"].to_numpy(dtype=float),
            vf,
            vt,
            relation=runout_relation,
            allow_unverified=allow_unverified,
            sigma_log10=sigma_log10,
            relations=relations,
        )
        rel_r = get_relation(
            runout_relation, allow_unverified=allow_unverified, relations=relations
        )
        rsrc_fit = _scatter_note(rel_r, sigma_log10)
    except RelationError as err:
        run = pd.DataFrame(np.nan, index=range(len(facilities)), columns=["runout_km"])
        run["runout_low_km"] = np.nan
        run["runout_high_km"] = np.nan
        rsrc_fit = ""
        notes = [f"run-out not assessed: {err}"] * len(facilities)
    given_d = _given(facilities, "runout_km")
    has_d = np.isfinite(given_d)
    out = pd.DataFrame(
        {
            "facility_id": facilities["facility_id"].astype(str).to_numpy(),
            "stored_m3": vt,
            "released_m3": vf,
            "released_low_m3": np.where(np.isfinite(given_vf), np.nan, vol["released_low_m3"]),
            "released_high_m3": np.where(np.isfinite(given_vf), np.nan, vol["released_high_m3"]),
            "released_fraction": np.where(vt > 0, vf / vt, np.nan),
            "runout_km": np.where(has_d, given_d, run["runout_km"]),
            "runout_low_km": np.where(has_d, np.nan, run["runout_low_km"]),
            "runout_high_km": np.where(has_d, np.nan, run["runout_high_km"]),
            "volume_source": vsrc,
            "runout_source": np.where(has_d, "facility table", rsrc_fit),
            "note": np.where(has_d, "", notes),
        }
    )
    return out


def _given(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
