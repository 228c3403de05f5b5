"""Documented tailings dam failures, and how the empirical relations fit them.

``hazid/data/tailings/cases.csv`` holds historical failures with their dam
height H (m), stored volume VT (m3), released volume VF (m3) and run-out
distance (km), each row with its source and ``status`` (see
``PROVENANCE.md``). The values are those of a public compilation of failures
(CSP2, "Tailings Dam Failures 1915-2022", 31 January 2023), not of the case
tables in the papers that fitted the relations: those tables could not be read.
Rows whose compilation sources cite Rico or Larrauri are cases the compilation
took (also) from those authors' data; their values are the compilation's, not
necessarily the papers'. The compilation's run-out of the largest failures may
include transport in the river downstream.

:func:`relation_residuals` evaluates a relation on the cases and gives the
log10 residual of each one (observed over predicted); :func:`relation_check`
summarises them (bias, standard deviation) and refits the power law on the same
cases by ordinary least squares in log10-log10 space, the method of both
papers. This states the scatter of a relation on documented failures; it does
not reproduce the authors' coefficients, which need their own case tables.

A relation may be marked ``verified`` only together with the cases its authors
fitted: rows of the case table whose optional ``fits`` column names the
relation (ids separated by ``;``). :func:`reproduce_fit` refits the relation on
those rows and compares a, b and r2 with the stated values to the digits the
table gives them; :func:`check_verified` refuses a table where a ``verified``
relation has no such rows or is not reproduced. No shipped relation is
``verified`` yet (see ``PROVENANCE.md``).

References
----------
Chambers, D.M. (compiler), Center for Science in Public Participation:
Tailings Dam Failures 1915-2022 (as of 31 January 2023),
http://www.csp2.org/tsf-failures-from-1915.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hazid.errors import RelationError
from hazid.tailings.release import get_relation, load_relations

logger = logging.getLogger(__name__)

__all__ = [
    "CASE_COLUMNS",
    "check_verified",
    "load_cases",
    "relation_check",
    "relation_residuals",
    "reproduce_fit",
]

CASE_COLUMNS = (
    "case_id",
    "database_row",
    "country",
    "year",
    "dam_height_m",
    "stored_m3",
    "released_m3",
    "runout_km",
    "cites",
    "status",
    "source",
)
"""Columns of the case table."""

_NUMERIC = ("dam_height_m", "stored_m3", "released_m3", "runout_km")
_STATUSES = ("verified", "secondary")


def load_cases(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check the table of documented tailings dam failures.

    Parameters
    ----------
    path : path, optional
        A CSV with :data:`CASE_COLUMNS`; the shipped table by default.

    Returns
    -------
    pandas.DataFrame
        One row per case, indexed by ``case_id``; empty numeric cells are NaN
        (not documented in the source). The optional ``fits`` column (the
        relations whose published fit used the row, ``;``-separated) is empty
        where absent.

    Raises
    ------
    RelationError
        A column is missing, an id repeats, a row has no source, a status is
        unknown, or a value is not a positive number.

    Examples
    --------
    >>> c = load_cases()
    >>> c.loc["mount_polley_2014", ["dam_height_m", "stored_m3", "released_m3"]].tolist()
    [40.0, 74000000.0, 23600000.0]
    """
    if path is None:
        with resources.as_file(
            resources.files("hazid").joinpath("data", "tailings", "cases.csv")
        ) as p:
            table = pd.read_csv(p, dtype=str, keep_default_na=False)
    else:
        table = pd.read_csv(Path(path), dtype=str, keep_default_na=False)
    missing = [c for c in CASE_COLUMNS if c not in table.columns]
    if missing:
        raise RelationError(f"case table lacks column(s): {', '.join(missing)}")
    problems = []
    if table["case_id"].duplicated().any():
        problems.append(
            f"repeated case_id {table.loc[table.case_id.duplicated(), 'case_id'].tolist()}"
        )
    for cid in table.loc[table["source"].str.strip() == "", "case_id"]:
        problems.append(f"{cid}: no source")
    for cid, status in zip(table["case_id"], table["status"], strict=True):
        if status not in _STATUSES:
            problems.append(f"{cid}: status {status!r} (allowed: {', '.join(_STATUSES)})")
    for col in _NUMERIC:
        raw = table[col].str.strip()
        num = pd.to_numeric(raw.where(raw != ""), errors="coerce")
        for cid, text, value in zip(table["case_id"], raw, num, strict=True):
            if text != "" and not value > 0:
                problems.append(f"{cid}: {col} {text!r} is not a positive number")
        table[col] = num.astype(float)
    if problems:
        raise RelationError("case table: " + "; ".join(problems))
    table["year"] = pd.to_numeric(table["year"], errors="coerce")
    if "fits" not in table.columns:
        table["fits"] = ""
    return table.set_index("case_id", drop=False)


def _predicted(rel: pd.Series, cases: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    h = cases["dam_height_m"].to_numpy(float)
    vt = cases["stored_m3"].to_numpy(float) / 1e6
    vf = cases["released_m3"].to_numpy(float) / 1e6
    if rel["quantity"] == "released_volume":
        x, observed, unit = vt, vf * 1e6, "m3"
    else:
        x = {"H*VF": h * vf, "H*VF*VF/VT": h * vf * vf / vt}[rel["predictor"]]
        observed, unit = cases["runout_km"].to_numpy(float), "km"
    return x, observed, unit


def relation_residuals(
    relation_id: str,
    *,
    cases: pd.DataFrame | None = None,
    allow_unverified: bool = False,
    relations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Evaluate a relation on the documented cases.

    Parameters
    ----------
    relation_id : str
        A relation of ``hazid/data/tailings/relations.csv``.
    cases : pandas.DataFrame, optional
        From :func:`load_cases`; the shipped table by default.
    allow_unverified : bool
        Accept an ``unverified`` relation.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    pandas.DataFrame
        ``case_id``, ``predictor`` (in the relation's ``x_unit``),
        ``observed`` and ``predicted`` (m3 for a released volume, km for a
        run-out), ``residual_log10`` = log10(observed / predicted), and
        ``used`` (False where an input or the observation is not documented).

    Raises
    ------
    RelationError
        See :func:`hazid.tailings.release.get_relation`.

    Examples
    --------
    >>> r = relation_residuals("rico2008_vf").set_index("case_id")
    >>> round(float(r.at["mount_polley_2014", "residual_log10"]), 3)
    -0.064
    """
    rel = get_relation(relation_id, allow_unverified=allow_unverified, relations=relations)
    table = load_cases() if cases is None else cases
    x, observed, unit = _predicted(rel, table)
    ok = np.isfinite(x) & (x > 0) & np.isfinite(observed) & (observed > 0)
    predicted = np.full(len(x), np.nan)
    predicted[ok] = float(rel["a"]) * x[ok] ** float(rel["b"])
    if unit == "m3":
        predicted = predicted * 1e6
    residual = np.full(len(x), np.nan)
    residual[ok] = np.log10(observed[ok] / predicted[ok])
    return pd.DataFrame(
        {
            "case_id": table["case_id"].to_numpy(),
            "predictor": x,
            "observed": observed,
            "predicted": predicted,
            "residual_log10": residual,
            "used": ok,
        }
    )


def relation_check(
    relation_id: str,
    *,
    cases: pd.DataFrame | None = None,
    allow_unverified: bool = False,
    relations: pd.DataFrame | None = None,
) -> pd.Series:
    """Scatter of a relation on the documented cases, and a refit on them.

    Parameters
    ----------
    relation_id : str
        A relation id.
    cases : pandas.DataFrame, optional
        From :func:`load_cases` (a subset selects the cases); all shipped
        cases by default.
    allow_unverified : bool
        Accept an ``unverified`` relation.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    pandas.Series
        ``n`` (cases with every input documented), ``bias_log10`` (mean
        residual), ``sd_log10`` (standard deviation of the residuals, n - 1),
        and the ordinary least-squares refit in log10 space on the same cases:
        ``refit_a``, ``refit_b``, ``refit_r2``, ``refit_sigma_log10`` (residual
        standard error, n - 2 degrees of freedom). NaN where n is too small
        (or all predictors are equal, for the refit).

    Raises
    ------
    RelationError
        See :func:`hazid.tailings.release.get_relation`.

    Examples
    --------
    >>> c = load_cases()
    >>> s = relation_check("rico2008_vf", cases=c[c.cites.str.contains("Rico")])
    >>> int(s.n), round(float(s.refit_b), 2)
    (24, 1.03)
    """
    res = relation_residuals(
        relation_id, cases=cases, allow_unverified=allow_unverified, relations=relations
    )
    used = res[res["used"]]
    n = len(used)
    out = {"n": float(n), "bias_log10": np.nan, "sd_log10": np.nan, "refit_a": np.nan,
           "refit_b": np.nan, "refit_r2": np.nan, "refit_sigma_log10": np.nan}  # fmt: skip
    if n >= 1:
        out["bias_log10"] = float(used["residual_log10"].mean())
    if n >= 2:
        out["sd_log10"] = float(used["residual_log10"].std(ddof=1))
    if n >= 3 and np.ptp(np.log10(used["predictor"].to_numpy(float))) > 0:
        rel = get_relation(relation_id, allow_unverified=allow_unverified, relations=relations)
        scale = 1e6 if rel["quantity"] == "released_volume" else 1.0  # to the y_unit
        x = np.log10(used["predictor"].to_numpy(float))
        y = np.log10(used["observed"].to_numpy(float) / scale)
        slope, intercept = np.polyfit(x, y, 1)
        ss_res = float(((y - intercept - slope * x) ** 2).sum())
        ss_tot = float(((y - y.mean()) ** 2).sum())
        out.update(
            refit_a=float(10.0**intercept),
            refit_b=float(slope),
            refit_r2=1.0 - ss_res / ss_tot if ss_tot > 0 else np.nan,
            refit_sigma_log10=float(np.sqrt(ss_res / (n - 2))),
        )
    return pd.Series(out, name=relation_id)


def _decimals(value: float) -> int:
    """Decimal places of a stated value as written (shortest round-trip form)."""
    text = np.format_float_positional(float(value), trim="-")
    return len(text.split(".")[1]) if "." in text else 0


def _matches(stated: float, refit: float) -> bool:
    """Tell whether ``refit`` rounds to ``stated`` at its stated number of decimals."""
    half = 0.5 * 10.0 ** -_decimals(stated)
    return bool(abs(refit - stated) <= half * (1 + 1e-9))


def reproduce_fit(
    relation_id: str,
    *,
    cases: pd.DataFrame | None = None,
    relations: pd.DataFrame | None = None,
) -> pd.Series:
    """Refit a relation on the cases its authors fitted and compare.

    The cases are the rows whose ``fits`` column names ``relation_id``. The
    refit is :func:`relation_check` (ordinary least squares on log10 values).
    A stated value is reproduced when the refit rounds to it at the number of
    decimals it is written with (0.354: three; a trailing zero written in the
    CSV is not seen, so 0.350 is compared at two). The number of cases must
    equal ``n_cases`` where that is stated; an r2 not stated is not compared.

    Parameters
    ----------
    relation_id : str
        A relation id (any status).
    cases : pandas.DataFrame, optional
        From :func:`load_cases`; the shipped table by default.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    pandas.Series
        ``n`` and ``n_cases``; ``a``, ``b``, ``r2`` (stated) and ``refit_a``,
        ``refit_b``, ``refit_r2``; ``reproduced`` (bool) and ``differs`` (the
        quantities that do not match, ``;``-separated, or why nothing could be
        compared).

    Raises
    ------
    RelationError
        See :func:`hazid.tailings.release.get_relation`.

    Examples
    --------
    >>> reproduce_fit("rico2008_vf")["differs"]  # the papers' case tables are not shipped
    'no case is marked as fitted by rico2008_vf'
    """
    table = load_cases() if cases is None else cases
    rel = get_relation(relation_id, allow_unverified=True, relations=relations)
    fits = table["fits"].fillna("").astype(str) if "fits" in table else pd.Series("", table.index)
    mine = table[fits.str.split(";").apply(lambda ids: relation_id in [i.strip() for i in ids])]
    check = relation_check(relation_id, cases=mine, allow_unverified=True, relations=relations)
    n_cases = float(rel.get("n_cases", np.nan))
    out = {"n": check["n"], "n_cases": n_cases}
    differs = []
    for key in ("a", "b", "r2"):
        stated, refit = float(rel[key]), float(check[f"refit_{key}"])
        out[key], out[f"refit_{key}"] = stated, refit
        if np.isfinite(stated) and not (np.isfinite(refit) and _matches(stated, refit)):
            differs.append(key)
    if np.isfinite(n_cases) and check["n"] != n_cases:
        differs.insert(0, "n")
    if len(mine) == 0:
        differs = [f"no case is marked as fitted by {relation_id}"]
    out["reproduced"] = not differs
    out["differs"] = ";".join(differs)
    return pd.Series(out, name=relation_id)


def check_verified(
    *,
    cases: pd.DataFrame | None = None,
    relations: pd.DataFrame | None = None,
) -> list[str]:
    """Require every ``verified`` relation to be reproduced from its cases.

    Parameters
    ----------
    cases : pandas.DataFrame, optional
        From :func:`load_cases`; the shipped table by default.
    relations : pandas.DataFrame, optional
        Relation table; the shipped one by default.

    Returns
    -------
    list of str
        The ``verified`` relations, all reproduced by :func:`reproduce_fit`.

    Raises
    ------
    RelationError
        A ``verified`` relation has no fitted cases or is not reproduced
        (every such relation is listed with what differs).

    Examples
    --------
    >>> check_verified()  # no shipped relation is verified yet
    []
    """
    rel = load_relations() if relations is None else relations
    verified = [str(r) for r in rel.index[rel["status"] == "verified"]]
    problems = []
    for rid in verified:
        r = reproduce_fit(rid, cases=cases, relations=rel)
        if not r["reproduced"]:
            problems.append(
                f"{rid}: {r['differs']} (stated a={r['a']}, b={r['b']}, r2={r['r2']}, "
                f"n={r['n_cases']}; refit a={r['refit_a']:.4g}, b={r['refit_b']:.4g}, "
                f"r2={r['refit_r2']:.4g}, n={r['n']:.0f})"
            )
    if problems:
        raise RelationError("verified relation(s) not reproduced: " + "; ".join(problems))
    return verified
