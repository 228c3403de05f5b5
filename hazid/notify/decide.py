"""Decide the status of every hazardous activity for every other Party (Article 4).

Each row of the ``affected`` table (one pathway of one activity towards one Party) gets a
status and an evidence sentence (:func:`_assess`); a pair (activity, affected Party) takes the
strongest status of its rows (:func:`determine`); the pairs of Parties are then summarised
(:func:`_summary`, :func:`_matrix`). Activities that notify nobody are listed with the reason
(:func:`not_notified`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from hazid.columns import isin as _isin
from hazid.columns import last_rows
from hazid.errors import check_choice
from hazid.notify.evidence import (
    _air_evidence,
    _tailings_evidence,
    _water_evidence,
)
from hazid.notify.parties import voluntary
from hazid.notify.values import (
    _as_bool,
    _num,
    _problems,
    _text,
    _upper_text,
)

logger = logging.getLogger(__name__)

#: Status values, strongest first.
STATUSES: tuple[str, ...] = ("notify", "consult", "none")
#: Pathways of the ``affected`` table.
PATHWAYS: tuple[str, ...] = ("air", "water", "tailings")

NOT_HAZARDOUS_REASON = "not a hazardous activity under Annex I"
NO_EFFECT_REASON = "hazardous activity; no effect found to reach another Party"
#: Reason for a hazardous site whose water pathway could not be assessed (a data gap).
WATER_GAP_REASON = "hazardous activity; water pathway not assessed ({}): a gap in the data"
#: Reason for a hazardous site for which neither an air zone nor a release to water could be
#: modelled (no toxic, fire, explosion or aquatic classification among its holdings).
NO_MODEL_REASON = (
    "hazardous activity; effects not assessed: no air zone and no release to water could be "
    "modelled for its holdings (give their category, or use --water all)"
)
UNKNOWN_ORIGIN = "UNK"

_RANK = {s: i for i, s in enumerate(STATUSES)}


def _origin(sites: pd.DataFrame) -> pd.Series:
    """Party of origin: the site's country from the polygons, else the inventory's."""
    own = _upper_text(sites, "site_country")
    given = _upper_text(sites, "country")
    out = own.where(own != "", given)
    return out.where(out != "", UNKNOWN_ORIGIN)


def _check_sites(sites: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("site_id", "hazardous") if c not in sites.columns]
    if missing:
        raise _problems(
            "sites table", [(None, c, None, f"missing required column {c!r}") for c in missing]
        )
    return sites


# --------------------------------------------------------------------------------------------
# decisions


def _affected_rows(sites: pd.DataFrame, affected: pd.DataFrame) -> pd.DataFrame:
    """Return the validated rows of ``affected`` with the Party of origin, minus domestic rows."""
    _check_sites(sites)
    if not isinstance(affected, pd.DataFrame):  # e.g. ScreeningResults.affected without borders
        reason = "no pathway was assessed (no country borders?): see run['warnings']"
        raise _problems("affected table", [(None, "affected", None, reason)])
    missing = [c for c in ("site_id", "affected", "pathway") if c not in affected.columns]
    if missing:
        raise _problems(
            "affected table",
            [(None, c, None, f"missing required column {c!r}") for c in missing],
        )
    a = affected.reset_index(drop=True).copy()
    a["site_id"] = _text(a, "site_id")
    a["affected"] = _upper_text(a, "affected")
    a["pathway"] = _text(a, "pathway").str.lower()
    for p in sorted(set(a["pathway"])):
        check_choice("pathway", p, PATHWAYS)

    # the row of each site id (of a site id given twice, its last row)
    at = last_rows(_text(sites, "site_id").to_numpy(), a["site_id"].to_numpy())
    unknown = at < 0
    if unknown.any():
        raise _problems(
            "affected table",
            [
                (i + 1, "site_id", v, "site_id is not in the sites table")
                for i, v in zip(np.flatnonzero(unknown), a.loc[unknown, "site_id"], strict=True)
            ],
        )

    def column(values: Any) -> pd.Series:
        return pd.Series(np.asarray(values)[at], index=a.index, dtype=object)

    a["origin"] = column(_origin(sites).to_numpy())
    a["hazardous"] = _as_bool(sites["hazardous"])[at]
    a["site_name"] = column(_text(sites, "site_name").to_numpy())
    domestic = (a["affected"] == a["origin"]) | (a["affected"] == "")
    if domestic.any():
        logger.info("ignoring %d affected rows naming the Party of origin", int(domestic.sum()))
        a = a.loc[~domestic].reset_index(drop=True)
    return a


def _air_status(margin: np.ndarray, flag: np.ndarray, unc: float) -> tuple[np.ndarray, np.ndarray]:
    """Status of air rows from the margin; also whether the margin is within ``unc`` of 0."""
    with np.errstate(invalid="ignore"):
        near = np.abs(margin) < unc
        status = np.where(
            np.isnan(margin),
            "consult",
            np.where(flag | near, "consult", np.where(margin >= 0, "notify", "none")),
        )
    return status, near


def _water_status(
    arrival: np.ndarray,
    peak: np.ndarray,
    horizon_h: float | None,
    threshold_mg_l: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Status of water rows from arrival and peak; also whether the arrival is too late."""
    status = np.where(np.isnan(arrival), "consult", "notify")
    with np.errstate(invalid="ignore"):
        beyond = (arrival > horizon_h) if horizon_h is not None else np.zeros(len(arrival), bool)
        status = np.where(beyond, "none", status)
        if threshold_mg_l is not None:
            tested = np.where(
                np.isnan(peak), "consult", np.where(peak >= threshold_mg_l, "notify", "none")
            )
            status = np.where(status == "notify", tested, status)
    return status, beyond


def _assess(
    sites: pd.DataFrame,
    affected: pd.DataFrame,
    *,
    uncertainty_km: float,
    horizon_h: float | None,
    threshold_mg_l: float | None,
) -> pd.DataFrame:
    """Status and evidence of every row of ``affected`` (all sites, hazardous or not)."""
    a = _affected_rows(sites, affected)
    unc = max(float(uncertainty_km), 0.0)
    is_air = (a["pathway"] == "air").to_numpy()
    margin = _num(a, "margin_km")
    zone = _num(a, "zone_km")
    border = _num(a, "border_km")
    flag = _as_bool(a["uncertain"]) if "uncertain" in a.columns else np.zeros(len(a), bool)
    # a zone beyond the reach of its model (toxic tables' 25 miles) never gives a confident notify
    undetermined = is_air & _as_bool(a.get("undetermined", pd.Series(False, index=a.index)))
    flag = flag | undetermined
    air_status, near = _air_status(margin, flag, unc)
    arrival = _num(a, "arrival_h")
    peak = _num(a, "peak_mg_l")
    water_status, beyond = _water_status(arrival, peak, horizon_h, threshold_mg_l)
    a["status"] = np.where(is_air, air_status, water_status)
    a["_uncertain"] = is_air & (flag | near)
    a["_flagged"] = is_air & flag
    a["_undetermined"] = undetermined
    a["_near"] = is_air & near

    hazard = _text(a, "hazard")
    river = _text(a, "river")
    note = _text(a, "water_note")
    river_km = _num(a, "river_km")
    # plain lists: an element of a table column costs far more to reach than one of a list
    hazard_l, river_l, note_l = hazard.tolist(), river.tolist(), note.tolist()
    affected_l, pathway_l = a["affected"].tolist(), a["pathway"].tolist()
    evidence = []
    for i in range(len(a)):
        if is_air[i]:
            text = _air_evidence(
                hazard_l[i],
                zone[i],
                border[i],
                margin[i],
                affected_l[i],
                flagged=bool(flag[i]),
                band_km=unc if near[i] else None,
                undetermined=bool(undetermined[i]),
            )
        elif pathway_l[i] == "tailings":
            text = _tailings_evidence(
                a.iloc[i].to_dict(),
                beyond=bool(beyond[i]),
                horizon_h=horizon_h,
                threshold_mg_l=threshold_mg_l,
            )
        else:
            text = _water_evidence(
                river_l[i],
                river_km[i],
                arrival[i],
                peak[i],
                beyond=bool(beyond[i]),
                horizon_h=horizon_h,
                threshold_mg_l=threshold_mg_l,
                note=note_l[i],
            )
        evidence.append(text)
    a["evidence"] = pd.Series(evidence, index=a.index, dtype=object)
    a["_path_order"] = a["pathway"].map({"air": 0, "water": 1, "tailings": 2}).to_numpy()
    a["_key"] = np.where(is_air, hazard, river)
    a["_km"] = np.where(is_air, -np.nan_to_num(zone, nan=0.0), np.nan_to_num(river_km, nan=0.0))
    return a.sort_values(
        ["origin", "affected", "site_id", "_path_order", "_km", "_key"], kind="stable"
    ).reset_index(drop=True)


def _aggregate_rows(rows: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "site_id",
        "site_name",
        "origin",
        "affected",
        "status",
        "pathways",
        "margin_km",
        "arrival_h",
        "evidence",
    ]
    keys = ["origin", "affected", "site_id"]
    r = pd.DataFrame(
        {
            **{k: rows[k].to_numpy(dtype=object) for k in keys},
            "rank": rows["status"].map(_RANK).to_numpy(dtype=np.int64),
            "pathway": rows["pathway"].to_numpy(dtype=object),
            "margin": _num(rows, "margin_km"),
            "arrival": _num(rows, "arrival_h"),
        }
    )
    g = r.groupby(keys, sort=True)
    best = g["rank"].transform("min").to_numpy()
    none_rank = _RANK["none"]
    counted = (r["rank"].to_numpy() != none_rank) | (best == none_rank)
    is_air = r["pathway"].to_numpy() == "air"
    r["margin"] = np.where(counted & is_air, r["margin"], np.nan)
    r["arrival"] = np.where(counted & ~is_air, r["arrival"], np.nan)  # water and tailings
    for p in PATHWAYS:
        r[f"has_{p}"] = counted & (r["pathway"].to_numpy() == p)
    r["evidence"] = rows["evidence"].to_numpy(dtype=object)
    r["site_name"] = rows["site_name"].to_numpy(dtype=object)
    g = r.groupby(keys, sort=True)
    agg = g.agg(
        rank=("rank", "min"),
        margin=("margin", "min"),
        arrival=("arrival", "min"),
        **{f"has_{p}": (f"has_{p}", "any") for p in PATHWAYS},
    )
    first = r.loc[g.cumcount().to_numpy() == 0].set_index(keys)["site_name"]
    joined: dict[tuple, list[str]] = {}  # the evidence of each activity, in row order
    ids = zip(*(r[k].tolist() for k in keys), strict=True)
    for key, text in zip(ids, r["evidence"].tolist(), strict=True):
        joined.setdefault(key, []).append(text)
    evidence = pd.Series(["; ".join(joined[k]) for k in agg.index], index=agg.index, dtype=object)
    statuses = np.asarray(STATUSES, dtype=object)
    out = {
        "site_id": agg.index.get_level_values("site_id").tolist(),
        "site_name": first.reindex(agg.index).tolist(),
        "origin": agg.index.get_level_values("origin").tolist(),
        "affected": agg.index.get_level_values("affected").tolist(),
        "status": statuses[agg["rank"].to_numpy()].tolist(),
        "pathways": [
            ";".join(p for p, has in zip(PATHWAYS, flags, strict=True) if has)
            for flags in zip(*(agg[f"has_{p}"].tolist() for p in PATHWAYS), strict=True)
        ],
        "margin_km": agg["margin"].tolist(),
        "arrival_h": agg["arrival"].tolist(),
        "evidence": evidence.reindex(agg.index).tolist(),
    }
    df = pd.DataFrame(out, columns=cols)
    for c in ("margin_km", "arrival_h"):
        df[c] = df[c].astype(float)
    return df


def determine(
    sites: pd.DataFrame,
    affected: pd.DataFrame,
    *,
    uncertainty_km: float = 5.0,
    horizon_h: float | None = None,
    threshold_mg_l: float | None = None,
) -> pd.DataFrame:
    """Decide which Parties each hazardous activity must notify.

    Parameters
    ----------
    sites : pandas.DataFrame
        Sites with ``site_id`` and ``hazardous``; the Party of origin is ``site_country``
        (from the border polygons), else ``country`` (inventory), else ``"UNK"``.
    affected : pandas.DataFrame
        One row per (``site_id``, ``affected``, ``pathway``) as written to affected.csv. Air
        rows use ``hazard``, ``zone_km``, ``border_km``, ``margin_km``, ``uncertain`` and
        ``undetermined`` (a zone beyond its model's reach: ``consult``, never ``notify``);
        water rows use ``river``, ``river_km``, ``arrival_h`` and ``peak_mg_l``. Rows naming
        the Party of origin itself are ignored.
    uncertainty_km : float
        Position uncertainty of zones and borders: an air row whose margin lies strictly
        within +/- ``uncertainty_km`` of zero is ``consult`` (0 disables the band).
    horizon_h : float, optional
        Water rows arriving later than this are ``none``. By default any computed arrival
        counts.
    threshold_mg_l : float, optional
        Concentration threshold for water rows: a peak below it gives ``none``, an unknown
        peak gives ``consult``. By default every arrival counts.

    Returns
    -------
    pandas.DataFrame
        One row per (``site_id``, ``origin``, ``affected``) for hazardous sites only, sorted
        by origin, affected Party and site: ``site_id``, ``site_name``, ``origin``,
        ``affected``, ``status`` (notify|consult|none), ``pathways`` (";"-joined pathways
        behind the status), ``margin_km`` (smallest air margin behind the status),
        ``arrival_h`` (earliest water arrival behind the status) and ``evidence`` (one
        sentence per row, "; "-joined).

    Raises
    ------
    InventoryError
        If a required column is missing or an ``affected`` row names an unknown site.
    ChoiceError
        If a pathway is not one of :data:`PATHWAYS` (``tailings``: a tailings dam failure,
        decided like a water row).

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site_id": ["A"], "site_country": ["KAZ"], "hazardous": [True]})
    >>> aff = pd.DataFrame({"site_id": ["A"], "affected": ["KGZ"], "pathway": ["air"],
    ...                     "hazard": ["toxic"], "zone_km": [23.0], "border_km": [8.1],
    ...                     "margin_km": [14.9], "uncertain": [False]})
    >>> d = determine(sites, aff)
    >>> d.loc[0, "status"]
    'notify'
    >>> d.loc[0, "evidence"]
    'air: toxic zone 23.0 km reaches KGZ 8.1 km away (margin 14.9 km)'
    """
    rows = _assess(
        sites,
        affected,
        uncertainty_km=uncertainty_km,
        horizon_h=horizon_h,
        threshold_mg_l=threshold_mg_l,
    )
    return _aggregate_rows(rows.loc[rows["hazardous"]])


def not_notified(
    sites: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    water_gaps: Mapping[str, str] | None = None,
    unmodelled: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Sites that notify nobody, with the reason.

    Non-hazardous sites are never notified, however close to a border (reason "not a
    hazardous activity under Annex I"); hazardous sites whose effects reach no other Party
    are listed too. A hazardous site whose water pathway was not assessed (``water_gaps``:
    site_id -> reason, from ``river_paths``) is a gap in the data, never "no effect found".

    Parameters
    ----------
    sites : pandas.DataFrame
        Sites with ``site_id`` and ``hazardous``.
    decisions : pandas.DataFrame
        Output of :func:`determine`.
    water_gaps : mapping, optional
        Sites whose water pathway was not assessed, with the reason.
    unmodelled : iterable of str, optional
        Hazardous sites for which no air zone and no release to water could be modelled:
        their reason is :data:`NO_MODEL_REASON`, never "no effect found".

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``site_name``, ``origin``, ``hazardous``, ``border_km``,
        ``nearest_foreign``, ``reason``, ``evidence`` sorted by origin and site.

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site_id": ["C"], "country": ["KAZ"], "hazardous": [False],
    ...                       "border_km": [1.0]})
    >>> not_notified(sites, determine(sites, pd.DataFrame(
    ...     columns=["site_id", "affected", "pathway"]))).loc[0, "reason"]
    'not a hazardous activity under Annex I'
    """
    _check_sites(sites)
    sid = _text(sites, "site_id")
    haz = _as_bool(sites["hazardous"])
    reached = decisions.loc[decisions["status"] != "none"]
    notified = set(reached["site_id"].astype(str))
    none = decisions.loc[decisions["status"] == "none"]
    ev: dict[str, list[str]] = {}  # the evidence of each site, in row order
    for k, text in zip(none["site_id"].tolist(), none["evidence"].tolist(), strict=True):
        if not pd.isna(k):
            ev.setdefault(str(k), []).append(text)
    keep = ~haz | ~_isin(sid, notified)
    out = pd.DataFrame(
        {
            "site_id": sid[keep].to_numpy(),
            "site_name": _text(sites, "site_name")[keep].to_numpy(),
            "origin": _origin(sites)[keep].to_numpy(),
            "hazardous": haz[keep],
            "border_km": _num(sites, "border_km")[keep],
            "nearest_foreign": _text(sites, "nearest_foreign")[keep].to_numpy(),
            "reason": np.where(haz[keep], NO_EFFECT_REASON, NOT_HAZARDOUS_REASON),
        }
    )
    evd = {k: "; ".join(v) for k, v in ev.items()}
    out["evidence"] = pd.Series(
        [evd.get(s, "") for s in out["site_id"].tolist()], index=out.index, dtype=object
    )
    out["reason"] = out["reason"].astype(object)
    bare = _isin(out["site_id"], set(unmodelled or ())) & out["hazardous"].to_numpy(dtype=bool)
    out.loc[bare, "reason"] = NO_MODEL_REASON
    gaps = {str(k): str(v) for k, v in (water_gaps or {}).items()}
    gap = out["hazardous"].to_numpy(dtype=bool) & _isin(out["site_id"], gaps)
    out.loc[gap, "reason"] = [WATER_GAP_REASON.format(gaps[s]) for s in out.loc[gap, "site_id"]]
    return out.sort_values(["origin", "site_id"], kind="stable").reset_index(drop=True)


def _summary(decisions: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "origin",
        "affected",
        "status",
        "n_activities",
        "n_notify",
        "n_consult",
        "n_screened",
        "pathways",
        "margin_km",
        "arrival_h",
        "dossier",
        "voluntary",
    ]
    out = []
    for (origin, affected), g in decisions.groupby(["origin", "affected"], sort=True):
        status = min(g["status"], key=_RANK.__getitem__)
        counted = g.loc[g["status"] != "none"] if status != "none" else g
        paths = {p for s in counted["pathways"] for p in s.split(";") if p}
        out.append(
            {
                "origin": origin,
                "affected": affected,
                "status": status,
                "n_activities": int((g["status"] != "none").sum()),
                "n_notify": int((g["status"] == "notify").sum()),
                "n_consult": int((g["status"] == "consult").sum()),
                "n_screened": len(g),
                "pathways": ";".join(p for p in PATHWAYS if p in paths),
                "margin_km": float(counted["margin_km"].min()),
                "arrival_h": float(counted["arrival_h"].min()),
                "dossier": f"{origin}-{affected}" if status != "none" else "",
                "voluntary": voluntary(origin, affected),
            }
        )
    df = pd.DataFrame(out, columns=cols)
    for c in ("n_activities", "n_notify", "n_consult", "n_screened"):
        df[c] = df[c].astype(int)
    df["voluntary"] = df["voluntary"].astype(bool)
    for c in ("margin_km", "arrival_h"):
        df[c] = df[c].astype(float)
    return df


def _matrix(summary: pd.DataFrame) -> pd.DataFrame:
    codes = sorted(set(summary["origin"]) | set(summary["affected"]))
    m = pd.DataFrame(0, index=pd.Index(codes, name="origin"), columns=codes, dtype=int)
    for o, a, n in zip(
        summary["origin"], summary["affected"], summary["n_activities"], strict=True
    ):
        m.loc[o, a] = int(n)
    return m.reset_index()
