"""Affected Parties and notification dossiers (Convention Article 4 and Annex III).

For every hazardous activity (Annex I) and every other country its effects may reach, hazid
decides a status:

``notify``
    An effect reaches the other Party: an air row (consequence zone) whose ``margin_km`` (zone
    reach minus distance to the border) is >= 0 and that is not uncertain, or a water row
    whose arrival time is known and within the horizon and, when a concentration threshold is
    set, whose peak concentration is at or above it.
``consult``
    The screening cannot settle the question: an air row flagged ``uncertain`` or whose margin
    lies within +/- ``uncertainty_km`` of zero (or is unknown), or a water row whose arrival
    time or (when a threshold is set) peak concentration was not computed.
``none``
    The effect stops short of the other Party.

A pair (activity, affected Party) takes the strongest status of its rows (notify > consult >
none). Activities that are not hazardous under Annex I are never notified, however close to a
border; they are listed with their reason in a separate table (:func:`not_notified`).

:func:`write_notifications` writes, per pair of Parties, a dossier in Markdown, self-contained
HTML and JSON (validated by ``hazid/schemas/notification.schema.json``, JSON Schema draft
2020-12) with one static map per activity, plus summary tables. Outputs are byte-identical
when re-run with the same inputs and the same date.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote as _urlquote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from hazid.errors import (
    CRSError,
    DataSourceError,
    GeodataError,
    InventoryError,
    OutputError,
    check_choice,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CONTACT_FIELDS",
    "NOT_PROVIDED",
    "PATHWAYS",
    "STATUSES",
    "determine",
    "not_notified",
    "notification_schema",
    "read_contacts",
    "regenerate",
    "write_notifications",
]

#: Status values, strongest first.
STATUSES: tuple[str, ...] = ("notify", "consult", "none")
#: Pathways of the ``affected`` table.
PATHWAYS: tuple[str, ...] = ("air", "water")
#: Addressee fields read from a contacts file.
CONTACT_FIELDS: tuple[str, ...] = ("competent_authority", "focal_point", "ian_contact", "email")
#: Shown wherever a contact detail was not supplied (it is never invented).
NOT_PROVIDED = "not provided"
#: Version of the dossier JSON layout (``schema_version`` field).
SCHEMA_VERSION = "1.0"

NOT_HAZARDOUS_REASON = "not a hazardous activity under Annex I"
NO_EFFECT_REASON = "hazardous activity; no effect found to reach another Party"
UNKNOWN_ORIGIN = "UNK"

_RANK = {s: i for i, s in enumerate(STATUSES)}
_PARTY_NAMES = {
    "KAZ": "Kazakhstan",
    "KGZ": "Kyrgyzstan",
    "TJK": "Tajikistan",
    "TKM": "Turkmenistan",
    "UZB": "Uzbekistan",
}
_ADDRESS_COLUMNS = ("address",)
_TYPE_COLUMNS = ("activity_type", "type", "activity", "sector")
_SOURCE_KEYS = ("inventory", "borders", "rivers", "lakes", "population")
_RUN_SKIP = {
    "date",
    "finished_utc",  # the time of a run is in run.json only: dossiers carry the date
    "limitations",
    "dense_gas_note",
    "parameters",
    "inputs",
    "versions",
    "stages",
    "counts",
    "warnings",
    *_SOURCE_KEYS,
    *(f"{k}_source" for k in _SOURCE_KEYS),
}
_DENSE_GAS_NOTE = (
    "Dense gases (chlorine, ammonia) are treated as neutrally buoyant in the plume model; "
    "real dense-gas clouds hug the ground and follow terrain."
)
_WEATHER_TEXT = {
    "worst": "worst-case weather: stability class F, wind 1.5 m/s",
    "alternative": "alternative weather: stability class D, wind 3 m/s",
}
_ZONE_LIMITATION = (
    "Consequence zones are screening distances (after the US EPA RMP offsite consequence "
    "analysis: whole inventory released, {weather}); they show where effects cannot be ruled "
    "out, not where they will occur."
)
_DEFAULT_LIMITATIONS = (
    "River arrival times and peak concentrations are screening estimates (USGS method, "
    "Jobson 1996) assuming the released mass reaches the nearest river reach at once and "
    "mixes fully; without discharge data only travel times are given.",
    "Distances to borders depend on the generalisation of the border data used.",
)
_GEOD = Geod(ellps="WGS84")
_GENERATED = re.compile(r"^[A-Z0-9]{3}-[A-Z0-9]{3}(\.(md|html|json)|_.+\.png)$")
_TABLE_FILES = ("summary.csv", "matrix.csv", "activities.csv", "not_notified.csv")


# --------------------------------------------------------------------------------------------
# small helpers


def _problems(source: str, problems: Iterable[tuple[Any, str, Any, str]]) -> InventoryError:
    df = pd.DataFrame(list(problems), columns=["row", "column", "value", "problem"])
    return InventoryError(df, source=source)


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    """Column as stripped strings, '' where missing (or the column is absent)."""
    if col not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    s = df[col].astype("string").fillna("").str.strip()
    return s.astype(object)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _as_bool(values: Any) -> np.ndarray:
    s = pd.Series(values)
    if s.dtype == bool:
        return s.to_numpy()
    txt = s.astype("string").fillna("").str.strip().str.lower()
    return txt.isin(["true", "t", "yes", "y", "1", "1.0"]).to_numpy(dtype=bool)


def _isnan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _f1(x: float) -> str:
    """Format with one decimal, after rounding to the two decimals of the JSON.

    A dossier's tables, evidence sentences and JSON then never disagree by double rounding.
    """
    return "unknown" if _isnan(x) else f"{round(float(x), 2) + 0.0:.1f}"


def _fadapt(x: float) -> str:
    """One decimal below 10, none above (hours, river km)."""
    if _isnan(x):
        return "unknown"
    return f"{x:.1f}" if abs(x) < 10 else f"{x:.0f}"


def _fconc(x: float) -> str:
    if _isnan(x):
        return "unknown"
    if x == 0:
        return "0"
    if abs(x) >= 10:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return f"{x:.2g}"


def _fqty(x: float) -> str:
    if _isnan(x):
        return "unknown"
    return f"{x:,.3f}".rstrip("0").rstrip(".")


def _fratio(x: float) -> str:
    return "unknown" if _isnan(x) else f"{x:.2f}"


def _jnum(x: Any, ndigits: int) -> float | None:
    """JSON number with fixed rounding (None for missing)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if v != v or v in (float("inf"), float("-inf")):
        return None
    return round(v, ndigits) + 0.0


def _jsig(x: Any, digits: int = 4) -> float | None:
    v = _jnum(x, 12)
    return None if v is None else float(f"{v:.{digits}g}")


def _jstr(x: Any) -> str | None:
    if _isnan(x):
        return None
    s = str(x).strip()
    return s or None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)) or "_"


def _version() -> str:
    import hazid

    return str(getattr(hazid, "__version__", "unknown"))


def _origin(sites: pd.DataFrame) -> pd.Series:
    """Party of origin: the site's country from the polygons, else the inventory's."""
    own = _text(sites, "site_country").str.upper()
    given = _text(sites, "country").str.upper()
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


def _assess(
    sites: pd.DataFrame,
    affected: pd.DataFrame,
    *,
    uncertainty_km: float,
    horizon_h: float | None,
    threshold_mg_l: float | None,
) -> pd.DataFrame:
    """Status and evidence of every row of ``affected`` (all sites, hazardous or not)."""
    _check_sites(sites)
    missing = [c for c in ("site_id", "affected", "pathway") if c not in affected.columns]
    if missing:
        raise _problems(
            "affected table",
            [(None, c, None, f"missing required column {c!r}") for c in missing],
        )
    a = affected.reset_index(drop=True).copy()
    a["site_id"] = _text(a, "site_id")
    a["affected"] = _text(a, "affected").str.upper()
    a["pathway"] = _text(a, "pathway").str.lower()
    for p in sorted(set(a["pathway"])):
        check_choice("pathway", p, PATHWAYS)

    sid = _text(sites, "site_id")
    known = set(sid)
    unknown = ~a["site_id"].isin(known)
    if unknown.any():
        raise _problems(
            "affected table",
            [
                (i + 1, "site_id", v, "site_id is not in the sites table")
                for i, v in zip(np.flatnonzero(unknown), a.loc[unknown, "site_id"], strict=True)
            ],
        )
    origin = dict(zip(sid, _origin(sites), strict=True))
    hazardous = dict(zip(sid, _as_bool(sites["hazardous"]), strict=True))
    names = dict(zip(sid, _text(sites, "site_name"), strict=True))
    a["origin"] = a["site_id"].map(origin).astype(object)
    a["hazardous"] = a["site_id"].map(hazardous).astype(bool)
    a["site_name"] = a["site_id"].map(names).astype(object)
    domestic = (a["affected"] == a["origin"]) | (a["affected"] == "")
    if domestic.any():
        logger.info("ignoring %d affected rows naming the Party of origin", int(domestic.sum()))
        a = a.loc[~domestic].reset_index(drop=True)

    unc = max(float(uncertainty_km), 0.0)
    is_air = (a["pathway"] == "air").to_numpy()
    margin = _num(a, "margin_km")
    zone = _num(a, "zone_km")
    border = _num(a, "border_km")
    flag = _as_bool(a["uncertain"]) if "uncertain" in a.columns else np.zeros(len(a), bool)
    with np.errstate(invalid="ignore"):
        near = np.abs(margin) < unc
        air_status = np.where(
            np.isnan(margin),
            "consult",
            np.where(flag | near, "consult", np.where(margin >= 0, "notify", "none")),
        )
    arrival = _num(a, "arrival_h")
    peak = _num(a, "peak_mg_l")
    water_status = np.where(np.isnan(arrival), "consult", "notify")
    with np.errstate(invalid="ignore"):
        beyond = (arrival > horizon_h) if horizon_h is not None else np.zeros(len(a), bool)
        water_status = np.where(beyond, "none", water_status)
        if threshold_mg_l is not None:
            tested = np.where(
                np.isnan(peak), "consult", np.where(peak >= threshold_mg_l, "notify", "none")
            )
            water_status = np.where(water_status == "notify", tested, water_status)
    a["status"] = np.where(is_air, air_status, water_status)
    a["_uncertain"] = is_air & (flag | near)

    hazard = _text(a, "hazard")
    river = _text(a, "river")
    river_km = _num(a, "river_km")
    evidence = []
    for i in range(len(a)):
        if is_air[i]:
            m = margin[i]
            if _isnan(m):
                text = (
                    f"air: {hazard.iat[i] or 'consequence'} zone {_f1(zone[i])} km, distance to "
                    f"{a['affected'].iat[i]} {_f1(border[i])} km (margin unknown)"
                )
            else:
                verb = "reaches" if m >= 0 else f"stops {_f1(abs(m))} km short of"
                extra = ""
                if flag[i]:
                    extra = ", flagged uncertain"
                elif near[i]:
                    extra = f", within the {unc:.1f} km uncertainty"
                text = (
                    f"air: {hazard.iat[i] or 'consequence'} zone {_f1(zone[i])} km {verb} "
                    f"{a['affected'].iat[i]} {_f1(border[i])} km away (margin {_f1(m)} km{extra})"
                )
        else:
            peak_txt = "peak not computed" if _isnan(peak[i]) else f"peak {_fconc(peak[i])} mg/L"
            text = (
                f"water: {river.iat[i] or 'unnamed river'}, {_fadapt(river_km[i])} km, "
                f"arrival {_fadapt(arrival[i])} h, {peak_txt}"
            )
            if np.isnan(arrival[i]):
                text += " (arrival time not computed)"
            elif beyond[i]:
                text += f" (beyond the {horizon_h:g} h horizon)"
            elif threshold_mg_l is not None and np.isnan(peak[i]):
                text += f" (the {threshold_mg_l:g} mg/L threshold could not be tested)"
            elif threshold_mg_l is not None and peak[i] < threshold_mg_l:
                text += f" (below the {threshold_mg_l:g} mg/L threshold)"
        evidence.append(text)
    a["evidence"] = pd.Series(evidence, index=a.index, dtype=object)
    a["_path_order"] = np.where(is_air, 0, 1)
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
    is_water = r["pathway"].to_numpy() == "water"
    r["margin"] = np.where(counted & is_air, r["margin"], np.nan)
    r["arrival"] = np.where(counted & is_water, r["arrival"], np.nan)
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
    evidence = g["evidence"].agg("; ".join)
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
        rows use ``hazard``, ``zone_km``, ``border_km``, ``margin_km`` and ``uncertain``;
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
        If a pathway is neither ``air`` nor ``water``.

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


def not_notified(sites: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Sites that notify nobody, with the reason.

    Non-hazardous sites are never notified, however close to a border (reason "not a
    hazardous activity under Annex I"); hazardous sites whose effects reach no other Party
    are listed too.

    Parameters
    ----------
    sites : pandas.DataFrame
        Sites with ``site_id`` and ``hazardous``.
    decisions : pandas.DataFrame
        Output of :func:`determine`.

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
    ev = (
        decisions.loc[decisions["status"] == "none"]
        .groupby("site_id", sort=True)["evidence"]
        .agg("; ".join)
    )
    keep = ~haz | ~sid.isin(notified).to_numpy()
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
    evd = {str(k): str(v) for k, v in ev.items()}
    out["evidence"] = pd.Series(
        [evd.get(s, "") for s in out["site_id"]], index=out.index, dtype=object
    )
    out["reason"] = out["reason"].astype(object)
    return out.sort_values(["origin", "site_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# contacts


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


def _party(iso: str, contacts: pd.DataFrame, names: Mapping[str, str]) -> dict[str, Any]:
    row = contacts.loc[contacts["country"] == iso]
    rec: dict[str, Any] = {"iso_a3": iso}
    given = row["name"].iat[0] if len(row) else ""
    rec["name"] = given or names.get(iso) or _PARTY_NAMES.get(iso) or iso
    for f in CONTACT_FIELDS:
        v = row[f].iat[0] if len(row) else ""
        rec[f] = v or None
    return rec


# --------------------------------------------------------------------------------------------
# dossier content


def notification_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of notification dossiers.

    Returns
    -------
    dict
        The parsed ``hazid/schemas/notification.schema.json``.

    Examples
    --------
    >>> notification_schema()["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    path = resources.files("hazid").joinpath("schemas", "notification.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _geo(layer: gpd.GeoDataFrame | None, name: str, *, need: Sequence[str]) -> Any:
    if layer is None:
        return None
    if layer.crs is None:
        raise CRSError(f"{name} layer has no CRS; set it (e.g. EPSG:4326)")
    missing = [c for c in need if c not in layer.columns]
    if missing:
        raise GeodataError(f"{name} layer lacks column(s) {', '.join(missing)}")
    out = layer.to_crs("EPSG:4326") if not layer.crs.equals("EPSG:4326") else layer
    out = out.loc[out.geometry.notna() & ~out.geometry.is_empty].copy()
    for c in need:
        out[c] = _text(out, c)
    return out


def _normalise_sites(sites: pd.DataFrame) -> pd.DataFrame:
    _check_sites(sites)
    s = pd.DataFrame(sites).copy()
    if "lon" not in s.columns or "lat" not in s.columns:
        geom = getattr(sites, "geometry", None) if isinstance(sites, gpd.GeoDataFrame) else None
        if geom is None:
            raise GeodataError("sites need lon and lat columns or a point geometry")
        if sites.crs is None:
            raise CRSError("sites layer has no CRS; set it (e.g. EPSG:4326)")
        g = geom.to_crs("EPSG:4326")
        s["lon"], s["lat"] = g.x.to_numpy(), g.y.to_numpy()
    s["site_id"] = _text(s, "site_id")
    return s


def _first_text(row: Mapping[str, Any], columns: Sequence[str]) -> str | None:
    for c in columns:
        if c in row and not _isnan(row[c]) and str(row[c]).strip():
            return str(row[c]).strip()
    return None


def _intersection_area_km2(geom: Any, country: Any) -> float | None:
    if geom is None or country is None:
        return None
    inter = shapely.intersection(geom, country)
    if inter.is_empty:
        return 0.0
    area, _ = _GEOD.geometry_area_perimeter(shapely.make_valid(inter))
    return abs(area) / 1e6


def _intersection_length_km(geom: Any, country: Any) -> float | None:
    if geom is None or country is None:
        return None
    inter = shapely.intersection(geom, country)
    return 0.0 if inter.is_empty else _GEOD.geometry_length(inter) / 1000.0


def _substances_by_site(holdings: pd.DataFrame, site_ids: Any) -> dict[str, list[dict]]:
    """Dossier entries of the holdings of ``site_ids``, largest ratio first, per site."""
    sid = _text(holdings, "site_id")
    h = holdings.loc[sid.isin(set(site_ids)).to_numpy()].copy()
    h["_sid"] = _text(h, "site_id")
    h["_ratio"] = _num(h, "ratio")
    h["_name"] = _text(h, "substance")
    h = h.sort_values(
        ["_sid", "_ratio", "_name"],
        ascending=[True, False, True],
        na_position="last",
        kind="stable",
    )

    def col(name: str) -> list:
        return h[name].tolist() if name in h.columns else [None] * len(h)

    texts = {c: [_jstr(v) for v in col(c)] for c in _SUBSTANCE_TEXT}
    nums = {c: [_jnum(v, d) for v in col(c)] for c, d in _SUBSTANCE_NUMBERS.items()}
    out: dict[str, list[dict]] = {}
    for i, site in enumerate(h["_sid"].tolist()):
        entry = {
            "substance": texts["substance"][i] or texts["substance_key"][i] or "unnamed",
            **{c: texts[c][i] for c in _SUBSTANCE_TEXT if c != "substance"},
            **{c: nums[c][i] for c in _SUBSTANCE_NUMBERS},
        }
        out.setdefault(site, []).append(entry)
    return out


_SUBSTANCE_TEXT = ("substance", "substance_key", "cas", "annex_entry", "categories", "groups")
_SUBSTANCE_NUMBERS = {"quantity_t": 3, "threshold_t": 3, "ratio": 4}


def _activity(
    site: Mapping[str, Any],
    decision: Mapping[str, Any],
    rows: list[dict[str, Any]],
    holdings: list[dict[str, Any]],
    *,
    zones: list[tuple[str, str | None, Any]] | None,
    river_paths: list[Any] | None,
    country_geom: Any,
    map_file: str | None,
) -> dict[str, Any]:
    sid = decision["site_id"]
    substances = holdings  # the site's, in dossier order (_substances_by_site)
    air, water = [], []
    for r in rows:
        if r["pathway"] == "air":
            area = None
            key = _jstr(r.get("substance_key"))
            if zones is not None:
                z = [t for t in zones if t[0] == str(r.get("hazard", ""))]
                if z and z[0][1] is not None:  # zones carry substance_key
                    if key:
                        z = [t for t in z if t[1] == key]
                    else:
                        key = ";".join(sorted({t[1] for t in z} - {""})) or None
                if len(z) and country_geom is not None:
                    geoms = np.array([t[2] for t in z], dtype=object)
                    area = _intersection_area_km2(shapely.union_all(geoms), country_geom)
            air.append(
                {
                    "hazard": _jstr(r.get("hazard")),
                    "substance_key": key,
                    "zone_km": _jnum(r.get("zone_km"), 2),
                    "border_km": _jnum(r.get("border_km"), 2),
                    "margin_km": _jnum(r.get("margin_km"), 2),
                    "uncertain": bool(r["_uncertain"]),
                    "area_in_affected_km2": _jnum(area, 2),
                    "population_in_affected": _jnum(r.get("population_affected"), 0),
                    "status": r["status"],
                    "evidence": r["evidence"],
                }
            )
        else:
            length = None
            if river_paths is not None and country_geom is not None and river_paths:
                length = _intersection_length_km(
                    shapely.union_all(np.array(river_paths, dtype=object)), country_geom
                )
            water.append(
                {
                    "river": _jstr(r.get("river")),
                    "river_km": _jnum(r.get("river_km"), 2),
                    "arrival_h": _jnum(r.get("arrival_h"), 2),
                    "peak_h": _jnum(r.get("peak_h"), 2),
                    "peak_mg_l": _jsig(r.get("peak_mg_l")),
                    "snap_km": _jnum(r.get("snap_km"), 2),
                    "river_km_in_affected": _jnum(length, 2),
                    "status": r["status"],
                    "evidence": r["evidence"],
                }
            )
    lon, lat = _jnum(site.get("lon"), 6), _jnum(site.get("lat"), 6)
    own = _jstr(site.get("site_country")) or _jstr(site.get("country"))
    return {
        "site_id": sid,
        "name": _jstr(site.get("site_name")) or sid,
        "operator": _jstr(site.get("operator")),
        "lon": lon,
        "lat": lat,
        "address": _first_text(site, _ADDRESS_COLUMNS),
        "type": _first_text(site, _TYPE_COLUMNS),
        "site_country": own.upper() if own else None,
        "status": decision["status"],
        "pathways": [p for p in decision["pathways"].split(";") if p],
        "margin_km": _jnum(decision["margin_km"], 2),
        "arrival_h": _jnum(decision["arrival_h"], 2),
        "reasons": _jstr(site.get("reasons")),
        "regime": _jstr(site.get("regime")),
        "annex_version": _jstr(site.get("annex_version")),
        "ratios": {
            g: _jnum(site.get(f"{g}_ratio"), 4)
            for g in ("health", "physical", "environmental", "max_single")
        },
        "substances": substances,
        "air": air,
        "water": water,
        "map": map_file,
    }


def _flatten(run: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for k in sorted(run, key=str):
        v = run[k]
        key = f"{prefix}{k}"
        if not prefix and k in _RUN_SKIP:
            continue
        if isinstance(v, Mapping):
            out.extend(_flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            out.append((key, "; ".join(str(x) for x in v)))
        elif v is None:
            continue
        elif isinstance(v, float):
            out.append((key, f"{v:g}"))
        else:
            out.append((key, str(v)))
    return out


def _run_value(run: Mapping[str, Any], key: str) -> Any:
    """``run[key]``, else ``run["parameters"][key]`` (the layout of a hazid run.json)."""
    if run.get(key) is not None:
        return run[key]
    params = run.get("parameters")
    return params.get(key) if isinstance(params, Mapping) else None


def _source_text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        name = _jstr(value.get("name")) or _jstr(value.get("path"))
        if name is None:
            return "; ".join(f"{k}: {v}" for k, v in _flatten(value)) or None
        sha = _jstr(value.get("sha256"))
        return f"{name} (SHA-256 {sha})" if sha else name
    return _jstr(value)


def _method(run: Mapping[str, Any], sites: pd.DataFrame, params: Mapping[str, Any]) -> dict:
    def _one(key: str) -> str | None:
        if _jstr(_run_value(run, key)):
            return str(_run_value(run, key))
        vals = sorted(set(_text(sites, key)) - {""})
        return "; ".join(vals) or None

    inputs = run.get("inputs") if isinstance(run.get("inputs"), Mapping) else {}
    sources: dict[str, str | None] = {str(k): _source_text(v) for k, v in inputs.items()}
    for k in _SOURCE_KEYS:
        sources[k] = (
            _source_text(run.get(k)) or _source_text(run.get(f"{k}_source")) or sources.get(k)
        )
    for k in ("borders", "rivers"):
        sources[k] = sources[k] or "not stated"
    run_parameters = dict(_flatten(run))
    if isinstance(run.get("parameters"), Mapping):
        run_parameters.update(_flatten(run["parameters"]))
    extras: list[str] = []
    for key in ("warnings", "limitations"):
        extra = run.get(key) or []
        extras.extend(str(x) for x in ([extra] if isinstance(extra, str) else extra))
    weather = str(_run_value(run, "weather") or "worst")
    limitations = [
        str(run.get("dense_gas_note") or _DENSE_GAS_NOTE),
        _ZONE_LIMITATION.format(weather=_WEATHER_TEXT.get(weather, f"weather {weather}")),
        *_DEFAULT_LIMITATIONS,
    ]
    if not run.get("dense_gas_note") and any("dense gas" in x.lower() for x in extras):
        limitations = limitations[1:]  # the run states it in its own words
    limitations.extend(x for x in extras if x not in limitations)
    unc = params["uncertainty_km"]
    water_rule = "pollution reaches it by river"
    if params["horizon_h"] is not None:
        water_rule += f" within {params['horizon_h']:g} h"
    if params["threshold_mg_l"] is not None:
        water_rule += f" at a peak concentration of at least {params['threshold_mg_l']:g} mg/L"
    rules = [
        "notify: a consequence zone reaches into the affected Party (margin >= 0 km) and is "
        f"not uncertain, or {water_rule}.",
        f"consult: the zone edge lies within {unc:g} km of the border (|margin| < {unc:g} km), "
        "the zone is flagged uncertain, or a river arrival time"
        + (" or peak concentration" if params["threshold_mg_l"] is not None else "")
        + " could not be computed.",
        "none: the effect stops short of the affected Party.",
        "Activities that are not hazardous under Annex I are never notified.",
    ]
    return {
        "method": {
            "regime": _one("regime"),
            "annex_version": _one("annex_version"),
            "uncertainty_km": _jnum(unc, 3),
            "horizon_h": _jnum(params["horizon_h"], 3),
            "threshold_mg_l": _jsig(params["threshold_mg_l"]),
            "status_rules": rules,
        },
        "data_sources": {k: v for k, v in sources.items() if v is not None},
        "run_parameters": dict(sorted(run_parameters.items())),
        "limitations": limitations,
    }


# --------------------------------------------------------------------------------------------
# rendering: one neutral block list, two renderers


def _na(v: Any, missing: str = "not given") -> str:
    return missing if v is None or v == "" else str(v)


def _coords(lon: float | None, lat: float | None) -> str:
    if lon is None or lat is None:
        return "not given"
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"{abs(lat):.5f}\u00b0 {ns}, {abs(lon):.5f}\u00b0 {ew} (WGS 84)"


def _blocks(doc: dict[str, Any], interactive: str | None = None) -> list[tuple]:
    o, a = doc["party_of_origin"], doc["affected_party"]
    status_text = {
        "notify": "notify \u2013 effects of at least one activity can reach the affected Party",
        "consult": (
            "consult \u2013 the screening cannot rule effects in or out; consultation advised"
        ),
    }[doc["status"]]
    b: list[tuple] = [
        ("h", 1, f"Notification of hazardous activities: {o['name']} to {a['name']}"),
        (
            "kv",
            [
                ("Party of origin", f"{o['name']} ({o['iso_a3']})"),
                ("Affected Party", f"{a['name']} ({a['iso_a3']})"),
                ("Status", status_text),
                ("Hazardous activities concerned", str(len(doc["activities"]))),
                ("Date", doc["date"]),
                ("Prepared with", f"hazid {doc['hazid_version']}"),
            ],
        ),
        (
            "p",
            "Under Article 4 and Annex III of the UNECE Convention on the Transboundary Effects "
            "of Industrial Accidents, the Party of origin informs the affected Party of hazardous "
            "activities capable of causing transboundary effects.",
        ),
    ]
    if interactive:
        b.append(
            (
                "link",
                "Interactive map of these activities, their zones and river traces: ",
                interactive,
                " (a self-contained HTML file in the same folder; it opens offline in a web "
                "browser).",
            )
        )
    b += [
        ("h", 2, "Competent authorities and points of contact"),
        (
            "table",
            ["", f"Party of origin ({o['iso_a3']})", f"Affected Party ({a['iso_a3']})"],
            [
                [label, _na(o[f], NOT_PROVIDED), _na(a[f], NOT_PROVIDED)]
                for label, f in (
                    ("Competent authority", "competent_authority"),
                    ("Point of contact", "focal_point"),
                    ("IAN System contact", "ian_contact"),
                    ("E-mail", "email"),
                )
            ],
        ),
        ("h", 2, "Activities"),
        (
            "table",
            [
                "Site",
                "Name",
                "Operator",
                "Status",
                "Pathways",
                "Smallest margin (km)",
                "Earliest arrival (h)",
            ],
            [
                [
                    act["site_id"],
                    act["name"],
                    _na(act["operator"]),
                    act["status"],
                    "; ".join(act["pathways"]),
                    "" if act["margin_km"] is None else _f1(act["margin_km"]),
                    "" if act["arrival_h"] is None else _fadapt(act["arrival_h"]),
                ]
                for act in doc["activities"]
            ],
        ),
    ]
    for n, act in enumerate(doc["activities"], start=1):
        r = act["ratios"]
        b.append(("h", 2, f"Activity {n}: {act['name']} ({act['site_id']})"))
        b.append(
            (
                "kv",
                [
                    ("Operator", _na(act["operator"])),
                    ("Location", _coords(act["lon"], act["lat"])),
                    ("Address", _na(act["address"])),
                    ("Type of activity", _na(act["type"])),
                    ("Country of the site", _na(act["site_country"])),
                    ("Status", f"{act['status']} ({'; '.join(act['pathways']) or 'no pathway'})"),
                    ("Why hazardous", _na(act["reasons"])),
                    (
                        "Annex I regime / version",
                        f"{_na(act['regime'])} / {_na(act['annex_version'])}",
                    ),
                    (
                        "Ratios (health / physical / environmental / largest single)",
                        " / ".join(
                            _fratio(np.nan if r[g] is None else r[g])
                            for g in ("health", "physical", "environmental", "max_single")
                        ),
                    ),
                ],
            )
        )
        b.append(("h", 3, "Annex I substances and maximum quantities"))
        if act["substances"]:
            b.append(
                (
                    "table",
                    [
                        "Substance",
                        "CAS",
                        "Annex I entry",
                        "Categories",
                        "Maximum quantity (t)",
                        "Threshold (t)",
                        "Ratio",
                    ],
                    [
                        [
                            s["substance"],
                            _na(s["cas"], ""),
                            _na(s["annex_entry"], ""),
                            _na(s["categories"], ""),
                            _fqty(np.nan if s["quantity_t"] is None else s["quantity_t"]),
                            _fqty(np.nan if s["threshold_t"] is None else s["threshold_t"]),
                            _fratio(np.nan if s["ratio"] is None else s["ratio"]),
                        ]
                        for s in act["substances"]
                    ],
                )
            )
        else:
            b.append(("p", "No holdings were given for this activity."))
        b.append(("h", 3, "Possible transboundary effects"))
        if act["air"]:
            b.append(
                (
                    "table",
                    [
                        "Air: hazard",
                        "Substance",
                        "Zone reach (km)",
                        "Distance to border (km)",
                        "Margin (km)",
                        f"Area of {a['iso_a3']} inside zone (km\u00b2)",
                        f"People of {a['iso_a3']} inside zone",
                        "Status",
                    ],
                    [
                        [
                            _na(e["hazard"], ""),
                            _na(e["substance_key"], ""),
                            _f1(np.nan if e["zone_km"] is None else e["zone_km"]),
                            _f1(np.nan if e["border_km"] is None else e["border_km"]),
                            _f1(np.nan if e["margin_km"] is None else e["margin_km"]),
                            "not assessed"
                            if e["area_in_affected_km2"] is None
                            else _f1(e["area_in_affected_km2"]),
                            "not assessed"
                            if e["population_in_affected"] is None
                            else f"{e['population_in_affected']:,.0f}",
                            e["status"] + (" (uncertain)" if e["uncertain"] else ""),
                        ]
                        for e in act["air"]
                    ],
                )
            )
        if act["water"]:
            b.append(
                (
                    "table",
                    [
                        "Water: river",
                        "Distance downstream (km)",
                        "Arrival (h)",
                        "Peak (h)",
                        "Peak concentration (mg/L)",
                        f"River length in {a['iso_a3']} (km)",
                        "Status",
                    ],
                    [
                        [
                            _na(e["river"], "unnamed"),
                            _fadapt(np.nan if e["river_km"] is None else e["river_km"]),
                            _fadapt(np.nan if e["arrival_h"] is None else e["arrival_h"]),
                            _fadapt(np.nan if e["peak_h"] is None else e["peak_h"]),
                            _fconc(np.nan if e["peak_mg_l"] is None else e["peak_mg_l"]),
                            "not assessed"
                            if e["river_km_in_affected"] is None
                            else _f1(e["river_km_in_affected"]),
                            e["status"],
                        ]
                        for e in act["water"]
                    ],
                )
            )
        b.append(("list", [e["evidence"] for e in (*act["air"], *act["water"])]))
        if act["map"]:
            b.append(("img", act["map"], f"Map of {act['name']} ({act['site_id']})"))
    m = doc["method"]
    b.append(("h", 2, "Method"))
    b.append(
        (
            "kv",
            [
                ("Threshold regime", _na(m["regime"], "not stated")),
                ("Annex I version", _na(m["annex_version"], "not stated")),
                ("Position uncertainty (km)", _na(m["uncertainty_km"])),
                ("River horizon (h)", _na(m["horizon_h"], "none")),
                ("River concentration threshold (mg/L)", _na(m["threshold_mg_l"], "none")),
            ],
        )
    )
    b.append(("list", m["status_rules"]))
    b.append(("h", 2, "Data sources"))
    b.append(("kv", [(k.capitalize(), v) for k, v in sorted(doc["data_sources"].items())]))
    if doc["run_parameters"]:
        b.append(("h", 2, "Run parameters"))
        b.append(("kv", sorted(doc["run_parameters"].items())))
    b.append(("h", 2, "Limitations"))
    b.append(("list", doc["limitations"]))
    return b


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _md_text(v: Any) -> str:
    return str(v).replace("\n", " ")


def _md_link_target(href: str) -> str:
    return "<" + href + ">" if re.search(r"[\s()<>]", href) else href


def _render_md(doc: dict[str, Any], *, interactive: str | None = None) -> str:
    out: list[str] = []
    for blk in _blocks(doc, interactive):
        kind = blk[0]
        if kind == "h":
            out += ["#" * blk[1] + " " + blk[2], ""]
        elif kind == "p":
            out += [blk[1], ""]
        elif kind == "kv":
            out += [f"- **{k}:** {_md_text(v)}" for k, v in blk[1]] + [""]
        elif kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in blk[1]) + " |")
            out.append("|" + "|".join("---" for _ in blk[1]) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in blk[2]]
            out.append("")
        elif kind == "list":
            out += [f"- {_md_text(x)}" for x in blk[1]] + [""]
        elif kind == "img":
            out += [f"![{blk[2]}]({blk[1]})", ""]
        elif kind == "link":
            out += [f"{blk[1]}[{blk[2]}]({_md_link_target(blk[2])}){blk[3]}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:60em;
margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.6em;border-bottom:3px solid #08306b;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #bbb}
h3{font-size:1.05em;margin-top:1.2em}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#e8eef5}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:bold}dd{margin:0}
img{max-width:100%;border:1px solid #bbb}
.status-notify{color:#b30000;font-weight:bold}.status-consult{color:#a35d00;font-weight:bold}
@media print{body{max-width:none}h2{page-break-after:avoid}img{page-break-inside:avoid}}
""".strip()


def _render_html(
    doc: dict[str, Any], images: Mapping[str, bytes], *, interactive: str | None = None
) -> str:
    e = _html.escape
    o, a = doc["party_of_origin"], doc["affected_party"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Notification {e(o['iso_a3'])} to {e(a['iso_a3'])}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for blk in _blocks(doc, interactive):
        kind = blk[0]
        if kind == "h":
            out.append(f"<h{blk[1]}>{e(blk[2])}</h{blk[1]}>")
        elif kind == "link":
            href = _urlquote(blk[2])
            out.append(f'<p>{e(blk[1])}<a href="{e(href)}">{e(blk[2])}</a>{e(blk[3])}</p>')
        elif kind == "p":
            out.append(f"<p>{e(blk[1])}</p>")
        elif kind == "kv":
            items = []
            for k, v in blk[1]:
                val = e(str(v))
                if k == "Status":
                    word = str(v).split()[0]
                    val = f'<span class="status-{e(word)}">{val}</span>'
                items.append(f"<dt>{e(k)}</dt><dd>{val}</dd>")
            out.append("<dl>" + "".join(items) + "</dl>")
        elif kind == "table":
            head = "".join(f"<th>{e(str(h))}</th>" for h in blk[1])
            body = "".join(
                "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in blk[2]
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(str(x))}</li>" for x in blk[1]) + "</ul>")
        elif kind == "img":
            data = images.get(blk[1])
            src = (
                "data:image/png;base64," + base64.b64encode(data).decode("ascii")
                if data is not None
                else e(blk[1])
            )
            out.append(f'<figure><img src="{src}" alt="{e(blk[2])}"></figure>')
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# writing


def _fmt_csv(df: pd.DataFrame, floats: Sequence[str]) -> pd.DataFrame:
    """Prepare a table for CSV like the other tables of a results folder.

    Floats at full precision (shortest round-trip form, no ``-0``), booleans as
    ``true``/``false``.
    """
    out = df.copy()
    for col in floats:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float) + 0.0
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "true", False: "false"}).astype(object)
    return out


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err}") from err


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    _write_text(path, df.to_csv(index=False, lineterminator="\n"))


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
            }
        )
    df = pd.DataFrame(out, columns=cols)
    for c in ("n_activities", "n_notify", "n_consult", "n_screened"):
        df[c] = df[c].astype(int)
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


def _clear(out: Path) -> None:
    for p in sorted(out.iterdir()):
        if p.is_file() and (p.name in _TABLE_FILES or _GENERATED.match(p.name)):
            p.unlink()


def write_notifications(
    out_dir: str | Path,
    sites: pd.DataFrame,
    holdings: pd.DataFrame,
    affected: pd.DataFrame,
    *,
    zones: gpd.GeoDataFrame | None = None,
    river_paths: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    contacts: str | Path | pd.DataFrame | None = None,
    run: Mapping[str, Any] | None = None,
    maps: bool = True,
    map_size_px: Sequence[int] = (1200, 900),
    map_dpi: int = 150,
    map_links: bool | None = None,
) -> pd.DataFrame:
    """Write notification dossiers and summary tables to ``out_dir/notifications/``.

    Files written (earlier files of these names in that folder are replaced, other files
    are left alone):

    - ``summary.csv``: one row per (origin, affected) pair screened: ``status``,
      ``n_activities`` (activities to notify or consult about), ``n_notify``, ``n_consult``,
      ``n_screened``, ``pathways``, ``margin_km`` (smallest), ``arrival_h`` (earliest),
      ``dossier`` (file stem, empty for status none).
    - ``matrix.csv``: Party of origin (rows) x affected Party (columns), number of activities.
    - ``activities.csv``: :func:`determine` output; ``not_notified.csv``:
      :func:`not_notified` output.
    - per pair with status notify or consult: ``<ORIGIN>-<AFFECTED>.md``, ``.html``
      (self-contained: inline CSS, maps embedded as data URIs) and ``.json`` (schema
      :func:`notification_schema`), and per activity ``<ORIGIN>-<AFFECTED>_<site_id>.png``.
      The Markdown and HTML dossiers link to the interactive map of the pair,
      ``<ORIGIN>-<AFFECTED>_map.html`` in the same folder (see ``map_links``), which
      :func:`hazid.write_results` writes.

    The area of the affected Party inside a zone and the river length inside it are computed
    on the WGS 84 ellipsoid (pyproj.Geod) from the intersection of the layers.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Results folder; ``notifications/`` is created inside it.
    sites, holdings, affected : pandas.DataFrame
        Shared data model tables (see the README).
    zones, river_paths, borders : geopandas.GeoDataFrame, optional
        Layers used for maps and for what lies in the affected Party.
    contacts : path or pandas.DataFrame, optional
        Competent authorities and points of contact (:func:`read_contacts`).
    run : mapping, optional
        Run description (the content of run.json). Read: ``date`` (ISO date of the dossiers;
        today when absent); ``uncertainty_km`` (default 5), ``horizon_h`` (or
        ``horizon_days``), ``threshold_mg_l`` (or ``water_threshold_mg_l``), ``weather``,
        ``regime`` and ``annex_version``, at the top level or under ``parameters`` (the
        names of :func:`hazid.screen`); the data sources ``inventory``, ``borders``,
        ``rivers``, ``lakes``, ``population`` (top level, as ``<key>_source``, or under
        ``inputs`` as text or ``{"name", "sha256"}``); ``dense_gas_note``; ``warnings`` and
        ``limitations`` (lists, added to the limitations). Other entries except
        ``versions``, ``stages``, ``counts`` and ``finished_utc`` are listed as run
        parameters.
    maps : bool
        Draw the static PNG maps.
    map_size_px : (int, int)
        Width and height of the maps in pixels.
    map_dpi : int
        Resolution used to lay out the maps.
    map_links : bool, optional
        Link each dossier to ``<ORIGIN>-<AFFECTED>_map.html`` (relative link): always (True),
        never (False) or, by default, when that file is already in the folder.

    Returns
    -------
    pandas.DataFrame
        The summary table (numbers unformatted).

    Raises
    ------
    OutputError
        If the folder cannot be created or a file cannot be written.
    CRSError, GeodataError
        If a layer has no CRS or lacks its key column.
    InventoryError
        If a table lacks a required column or the contacts are invalid.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> sites = pd.DataFrame({"site_id": ["A"], "site_name": ["Plant A"], "lon": [68.0],
    ...                       "lat": [42.5], "site_country": ["KAZ"], "hazardous": [True]})
    >>> aff = pd.DataFrame({"site_id": ["A"], "affected": ["UZB"], "pathway": ["air"],
    ...                     "hazard": ["toxic"], "zone_km": [23.0], "border_km": [8.1],
    ...                     "margin_km": [14.9], "uncertain": [False]})
    >>> s = write_notifications(tempfile.mkdtemp(), sites, pd.DataFrame(columns=["site_id"]),
    ...                         aff, run={"date": "2025-01-31"}, maps=False)
    >>> s[["origin", "affected", "status", "dossier"]].values.tolist()
    [['KAZ', 'UZB', 'notify', 'KAZ-UZB']]
    """
    run = dict(run or {})
    sites = _normalise_sites(sites)
    zones_g = _geo(zones, "zones", need=("site_id", "hazard"))
    rivers_g = _geo(river_paths, "river_paths", need=("site_id",))
    borders_g = _geo(borders, "borders", need=("iso_a3",))
    if zones_g is not None and "substance_key" in zones_g.columns:
        zones_g["substance_key"] = _text(zones_g, "substance_key")
    contacts_t = _contacts_table(contacts)
    unc = _run_value(run, "uncertainty_km")
    horizon = _run_value(run, "horizon_h")
    if horizon is None and _run_value(run, "horizon_days") is not None:
        horizon = 24.0 * float(_run_value(run, "horizon_days"))
    thr = _run_value(run, "threshold_mg_l")
    if thr is None:
        thr = _run_value(run, "water_threshold_mg_l")
    params = {
        "uncertainty_km": 5.0 if unc is None else float(unc),
        "horizon_h": None if horizon is None else float(horizon),
        "threshold_mg_l": None if thr is None else float(thr),
    }
    date = str(run.get("date") or _dt.date.today().isoformat())
    version = _version()

    rows = _assess(sites, affected, **params)
    decisions = _aggregate_rows(rows.loc[rows["hazardous"]])
    rows = rows.loc[rows["hazardous"]]
    skipped = not_notified(sites, decisions)
    summary = _summary(decisions)

    out = Path(out_dir) / "notifications"
    try:
        out.mkdir(parents=True, exist_ok=True)
        _clear(out)
    except OSError as err:
        raise OutputError(f"cannot prepare {out}: {err}") from err

    _write_csv(out / "summary.csv", _fmt_csv(summary, ("margin_km", "arrival_h")))
    _write_csv(out / "matrix.csv", _matrix(summary))
    _write_csv(out / "activities.csv", _fmt_csv(decisions, ("margin_km", "arrival_h")))
    _write_csv(out / "not_notified.csv", _fmt_csv(skipped, ("border_km",)))

    names: dict[str, str] = {}
    if borders_g is not None and "name" in borders_g.columns:
        names = dict(zip(borders_g["iso_a3"], _text(borders_g, "name"), strict=True))
    meta = _method(run, sites, params)
    note = re.sub(
        r"(SHA-256 [0-9a-f]{12})[0-9a-f]+",
        r"\1",
        "Borders: {}. Rivers: {}. hazid {}.".format(
            meta["data_sources"]["borders"], meta["data_sources"]["rivers"], version
        ),
    )

    # row positions per site and per pair, found once: a scan of the whole tables for every
    # activity grows with the square of the inventory
    zones_at = zones_g.groupby("site_id", sort=False).indices if zones_g is not None else {}
    paths_at = rivers_g.groupby("site_id", sort=False).indices if rivers_g is not None else {}
    active = decisions.loc[decisions["status"] != "none"]
    acts_at = active.groupby(["origin", "affected"], sort=False).indices if len(active) else {}
    wanted = set(active["site_id"])
    substances = _substances_by_site(holdings, wanted)
    site_rec = {
        r["site_id"]: r
        for r in sites.loc[sites["site_id"].isin(wanted)]
        .drop_duplicates("site_id")
        .to_dict("records")
    }
    rows_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows.loc[rows["site_id"].isin(wanted)].to_dict("records"):
        rows_of.setdefault((r["site_id"], r["affected"]), []).append(r)
    zones_of: dict[str, list[tuple[str, str | None, Any]]] | None = None
    if zones_g is not None:
        zsel = zones_g.loc[zones_g["site_id"].isin(wanted)]
        zkey = zsel["substance_key"].tolist() if "substance_key" in zsel.columns else None
        zones_of = {}
        for i, (zs, zh, zg) in enumerate(
            zip(zsel["site_id"], zsel["hazard"], zsel.geometry.to_numpy(), strict=True)
        ):
            zones_of.setdefault(zs, []).append((zh, None if zkey is None else zkey[i], zg))
    paths_of: dict[str, list[Any]] | None = None
    if rivers_g is not None:
        psel = rivers_g.loc[rivers_g["site_id"].isin(wanted)]
        paths_of = {}
        for ps, pg in zip(psel["site_id"], psel.geometry.to_numpy(), strict=True):
            paths_of.setdefault(ps, []).append(pg)
    none = np.zeros(0, dtype=np.intp)

    def site_part(layer: Any, at: dict, sid: str) -> Any:
        return None if layer is None else layer.iloc[at.get(sid, none)]

    for pair in summary.loc[summary["status"] != "none"].itertuples(index=False):
        o, a = pair.origin, pair.affected
        stem = f"{o}-{a}"
        country_geom = None
        if borders_g is not None:
            poly = borders_g.loc[borders_g["iso_a3"] == a]
            if len(poly) == 1:
                country_geom = poly.geometry.iloc[0]
            else:
                country_geom = poly.geometry.union_all() if len(poly) else None
        if country_geom is not None:
            shapely.prepare(country_geom)
        acts = active.iloc[acts_at.get((o, a), none)]
        activities, images = [], {}
        for dec in acts.itertuples(index=False):
            dec_s = dec._asdict()
            map_file = None
            if maps:
                map_file = f"{stem}_{_safe(dec.site_id)}.png"
                from hazid.maps.static import static_map

                static_map(
                    sites,
                    dec.site_id,
                    out / map_file,
                    zones=site_part(zones_g, zones_at, dec.site_id),
                    river_paths=site_part(rivers_g, paths_at, dec.site_id),
                    borders=borders_g,
                    origin=o,
                    affected=a,
                    title=f"{dec.site_name or dec.site_id} ({dec.site_id}): {o} \u2192 {a}",
                    note=note,
                    size_px=map_size_px,
                    dpi=map_dpi,
                )
                images[map_file] = (out / map_file).read_bytes()
            activities.append(
                _activity(
                    site_rec[dec.site_id],
                    dec_s,
                    rows_of.get((dec.site_id, a), []),
                    substances.get(dec.site_id, []),
                    zones=None if zones_of is None else zones_of.get(dec.site_id, []),
                    river_paths=None if paths_of is None else paths_of.get(dec.site_id, []),
                    country_geom=country_geom,
                    map_file=map_file,
                )
            )
        doc = {
            "schema_version": SCHEMA_VERSION,
            "document": "hazid notification",
            "status": pair.status,
            "date": date,
            "hazid_version": version,
            "party_of_origin": _party(o, contacts_t, names),
            "affected_party": _party(a, contacts_t, names),
            "activities": activities,
            **meta,
        }
        _write_text(
            out / f"{stem}.json",
            json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n",
        )
        link = f"{stem}_map.html"
        if not (map_links or (map_links is None and (out / link).is_file())):
            link = None
        _write_text(out / f"{stem}.md", _render_md(doc, interactive=link))
        _write_text(out / f"{stem}.html", _render_html(doc, images, interactive=link))
        logger.info("%s: %s, %d activities", stem, pair.status, len(activities))
    return summary


# --------------------------------------------------------------------------------------------
# regenerate from a results folder


_STR_COLUMNS = (
    "site_id", "site_name", "operator", "country", "site_country", "nearest_foreign", "reasons",
    "regime", "annex_version", "cluster_id", "address", "activity_type", "type", "affected",
    "pathway", "hazard", "river", "substance", "substance_key", "cas", "categories", "groups",
    "annex_entry", "uncertain", "hazardous",
)  # fmt: skip


def _read_table(path: Path) -> pd.DataFrame:
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        dtypes = {c: str for c in head.columns if c in _STR_COLUMNS}
        return pd.read_csv(path, dtype=dtypes, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise _problems(str(path), [(None, "", None, f"cannot read as CSV: {err}")]) from err


def regenerate(
    results_dir: str | Path,
    *,
    contacts: str | Path | pd.DataFrame | None = None,
    maps: bool = True,
) -> pd.DataFrame:
    """Rewrite ``notifications/`` of a results folder without recomputing anything.

    Reads ``sites.csv``, ``holdings.csv`` and ``affected.csv`` (required), ``run.json`` and
    the layers ``zones``, ``river_paths`` and ``borders`` of ``results.gpkg`` (each used when
    present; ``sites`` is read from the GeoPackage when ``sites.csv`` is absent), then calls
    :func:`write_notifications`.

    Parameters
    ----------
    results_dir : str or pathlib.Path
        A folder written by a hazid run.
    contacts : path or pandas.DataFrame, optional
        Competent authorities and points of contact (:func:`read_contacts`).
    maps : bool
        Draw the static PNG maps.

    Returns
    -------
    pandas.DataFrame
        The summary table.

    Raises
    ------
    DataSourceError
        If the folder or one of its required tables is missing.
    InventoryError
        If a table cannot be read or ``run.json`` is not a JSON object.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"site_id": ["A"], "lon": [68.0], "lat": [42.5], "country": ["KAZ"],
    ...               "hazardous": [True]}).to_csv(d / "sites.csv", index=False)
    >>> pd.DataFrame({"site_id": ["A"]}).to_csv(d / "holdings.csv", index=False)
    >>> pd.DataFrame({"site_id": ["A"], "affected": ["UZB"], "pathway": ["water"],
    ...               "river": ["Syr Darya"], "arrival_h": [31.0]}).to_csv(
    ...     d / "affected.csv", index=False)
    >>> regenerate(d, maps=False)["status"].tolist()
    ['notify']
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise DataSourceError(f"results folder not found: {root}")
    gpkg = root / "results.gpkg"
    layers: set[str] = set()
    if gpkg.is_file():
        layers = set(gpd.list_layers(gpkg)["name"])

    def _layer(name: str) -> gpd.GeoDataFrame | None:
        return gpd.read_file(gpkg, layer=name) if name in layers else None

    if (root / "sites.csv").is_file():
        sites = _read_table(root / "sites.csv")
    elif "sites" in layers:
        sites = _layer("sites")
    else:
        raise DataSourceError(f"{root} has neither sites.csv nor a sites layer in results.gpkg")
    tables = {}
    for name in ("holdings", "affected"):
        p = root / f"{name}.csv"
        if not p.is_file():
            raise DataSourceError(f"{name}.csv not found in {root}")
        tables[name] = _read_table(p)
    run: dict[str, Any] = {}
    if (root / "run.json").is_file():
        try:
            run = json.loads((root / "run.json").read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _problems(
                str(root / "run.json"), [(None, "", None, f"invalid JSON: {err}")]
            ) from err
        if not isinstance(run, dict):
            raise _problems(str(root / "run.json"), [(None, "", None, "must hold a JSON object")])
    return write_notifications(
        root,
        sites,
        tables["holdings"],
        tables["affected"],
        zones=_layer("zones"),
        river_paths=_layer("river_paths"),
        borders=_layer("borders"),
        contacts=contacts,
        run=run,
        maps=maps,
    )
