"""The content model of a dossier: one JSON-ready document per pair of Parties.

For each pair (Party of origin, affected Party) with status notify or consult the document
holds the two Parties with their contacts, every activity concerned (site, substances with
their Annex I entries, air and water effects, what lies inside the affected Party) and the
method, data sources and limitations, with the reference number, the time for a reply and the
Convention status of both countries. The content of each activity is built by
:mod:`hazid.notify.activity`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid._version import __version__
from hazid.columns import isin as _isin
from hazid.errors import ChoiceError, CRSError, GeodataError
from hazid.notify.activity import (
    SitePaths,
    _activity,
    _CountryWindows,
    _float,
    _substances_by_site,
)
from hazid.notify.contacts import _contacts_table, _party
from hazid.notify.decide import (
    _aggregate_rows,
    _assess,
    _check_sites,
    _summary,
    not_notified,
)
from hazid.notify.method import _method, _run_value, _site_values
from hazid.notify.parties import PARTIES_TABLE_VERSION, voluntary
from hazid.notify.values import _as_bool, _records, _text

#: Version of the dossier JSON layout (``schema_version`` field).
SCHEMA_VERSION = "2.1"
#: Days given to the affected Party to reply when the run does not say (``response_days``).
#: The Convention asks for "a reasonable time" (Annex III, paragraph 3(b)) and sets no number;
#: 60 days is hazid's default, stated in every dossier, to be set by the competent authority.
DEFAULT_RESPONSE_DAYS = 60


def _version() -> str:
    return __version__


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


# --------------------------------------------------------------------------------------------
# the dossiers of a screening


def _run_params(run: Mapping[str, Any]) -> dict[str, float | None]:
    """Decision parameters of a run: ``uncertainty_km`` (default 5), ``horizon_h``, threshold."""
    unc = _run_value(run, "uncertainty_km")
    horizon = _run_value(run, "horizon_h")
    if horizon is None and _run_value(run, "horizon_days") is not None:
        horizon = 24.0 * float(_run_value(run, "horizon_days"))
    thr = _run_value(run, "threshold_mg_l")
    if thr is None:
        thr = _run_value(run, "water_threshold_mg_l")
    return {
        "uncertainty_km": 5.0 if unc is None else float(unc),
        "horizon_h": None if horizon is None else float(horizon),
        "threshold_mg_l": None if thr is None else float(thr),
    }


@dataclass
class DossierSet:
    """Decisions of a screening and everything needed to write the dossier of each pair.

    Built by :func:`prepare_dossiers`; :meth:`pairs` lists the pairs of Parties that get a
    dossier, :meth:`activities` the activities of a pair, :meth:`site_layers` the layers of
    one activity (for its map) and :meth:`document` the dossier of a pair.
    """

    sites: pd.DataFrame
    zones: gpd.GeoDataFrame | None
    river_paths: gpd.GeoDataFrame | None
    borders: gpd.GeoDataFrame | None
    contacts: pd.DataFrame
    params: dict[str, float | None]
    date: str
    version: str
    decisions: pd.DataFrame
    not_notified: pd.DataFrame
    summary: pd.DataFrame
    meta: dict[str, Any]
    names: dict[str, str]
    run: dict[str, Any] = field(default_factory=dict)
    response_days: int = 60
    _lookups: dict[str, Any] = field(default_factory=dict, repr=False)

    def pairs(self) -> pd.DataFrame:
        """Rows of the summary with status notify or consult."""
        return self.summary.loc[self.summary["status"] != "none"]

    def activities(self, origin: str, affected: str) -> pd.DataFrame:
        """Decisions (notify or consult) of the activities of one pair."""
        at = self._lookups["acts_at"].get((origin, affected), _NONE)
        return self._lookups["active"].iloc[at]

    def site_layers(self, site_id: str) -> tuple[Any, Any]:
        """Zones and river paths of one activity (``None`` when the layer was not given)."""
        lk = self._lookups
        if "zones_at" not in lk:  # row positions per site, found on the first call (maps only)
            zones_g, rivers_g = self.zones, self.river_paths
            lk["zones_at"] = (
                zones_g.groupby("site_id", sort=False).indices if zones_g is not None else {}
            )
            lk["paths_at"] = (
                rivers_g.groupby("site_id", sort=False).indices if rivers_g is not None else {}
            )
        zones = None if self.zones is None else self.zones.iloc[lk["zones_at"].get(site_id, _NONE)]
        paths = (
            None
            if self.river_paths is None
            else self.river_paths.iloc[lk["paths_at"].get(site_id, _NONE)]
        )
        return zones, paths

    def document(
        self,
        origin: str,
        affected: str,
        status: str,
        map_files: Mapping[str, str | None],
        *,
        lang: str = "en",
    ) -> dict[str, Any]:
        """Build the JSON-ready dossier of one pair (schema :func:`notification_schema`).

        Keys are the same in every language; the texts (names, evidence, rules,
        limitations) are in ``lang``.
        """
        lk = self._lookups
        windows = lk.setdefault("windows", {})  # pieces of each affected Party, kept
        if affected not in windows:
            country = self._country(affected)
            windows[affected] = None if country is None else _CountryWindows(country)
        country_geom = windows[affected]
        activities = []
        for at in lk["acts_at"].get((origin, affected), _NONE).tolist():
            dec = lk["active_rec"][at]
            sid = dec["site_id"]
            activities.append(
                _activity(
                    lk["site_rec"][sid],
                    dec,
                    lk["rows_of"].get((sid, affected), []),
                    lk["substances"].get(sid, []),
                    zones=None if lk["zones_of"] is None else lk["zones_of"].get(sid, []),
                    river_paths=None if lk["paths_of"] is None else lk["paths_of"].get(sid, []),
                    lakes=lk["lakes_of"].get(sid, []),
                    country_geom=country_geom,
                    map_file=map_files.get(sid),
                    params=self.params,
                    lang=lang,
                )
            )
        pair = {
            "air": any(act["air"] for act in activities),
            "water": any(act["water"] for act in activities),
            "tailings": any("tailings" in act["pathways"] for act in activities),
            "rivers": {e["river"] for act in activities for e in act["water"] if e["river"]},
            "sites": {act["site_id"] for act in activities},
        }
        deadline = _dt.date.fromisoformat(self.date[:10]) + _dt.timedelta(days=self.response_days)
        return {
            "schema_version": SCHEMA_VERSION,
            "document": "hazid notification",
            "language": lang,
            "reference": _reference(origin, affected, self.date, status, activities),
            "status": status,
            "date": self.date,
            "response_days": self.response_days,
            "response_deadline": deadline.isoformat(),
            "acknowledgement_requested": True,
            "consultation_intent_requested": True,
            "voluntary": voluntary(origin, affected),
            "parties_table_version": PARTIES_TABLE_VERSION,
            "hazid_version": self.version,
            "party_of_origin": self._party(origin, lang),
            "affected_party": self._party(affected, lang),
            "activities": activities,
            **_method(
                self.run,
                self.sites,
                self.params,
                lang=lang,
                pair=pair,
                site_values=lk.get("site_values"),
            ),
        }

    def _party(self, iso: str, lang: str) -> dict[str, Any]:
        """Return :func:`hazid.notify.contacts._party` of a Party (found once, given as a copy)."""
        parties = self._lookups.setdefault("parties", {})
        if (iso, lang) not in parties:
            parties[iso, lang] = _party(iso, self.contacts, self.names, lang)
        return dict(parties[iso, lang])

    def _country(self, iso: str) -> Any:
        """Return the affected Party's polygon (prepared for repeated intersections), or None."""
        if self.borders is None:
            return None
        poly = self.borders.loc[self.borders["iso_a3"] == iso]
        if len(poly) == 1:
            geom = poly.geometry.iloc[0]
        else:
            geom = poly.geometry.union_all() if len(poly) else None
        if geom is not None:
            shapely.prepare(geom)
        return geom


_NONE = np.zeros(0, dtype=np.intp)


def _reference(
    origin: str, affected: str, date: str, status: str, activities: list[dict[str, Any]]
) -> str:
    """Return the reference number of a dossier: pair, date and a digest of what it notifies.

    The same inputs give the same number in every language; another set of activities or
    statuses gives another one.
    """
    key = "\n".join(
        [origin, affected, date, status, *(f"{a['site_id']}\t{a['status']}" for a in activities)]
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:6].upper()
    return f"{origin}-{affected}-{date[:10].replace('-', '')}-{digest}"


def _response_days(run: Mapping[str, Any]) -> int:
    """Days the addressee is given to reply (``response_days`` of the run, else the default)."""
    value = _run_value(run, "response_days")
    if value is None:
        return DEFAULT_RESPONSE_DAYS
    days = _float(value)
    if not (days >= 1 and days == int(days)):
        raise ChoiceError(f"response_days must be a whole number of days >= 1, got {value!r}")
    return int(days)


def _lookups(ds: DossierSet, rows: pd.DataFrame, holdings: pd.DataFrame) -> dict[str, Any]:
    """Row positions per site and per pair, found once.

    A scan of the whole tables for every activity would grow with the square of the
    inventory.
    """
    zones_g, rivers_g, sites = ds.zones, ds.river_paths, ds.sites
    active = ds.decisions.loc[ds.decisions["status"] != "none"]
    wanted = set(active["site_id"])
    rows_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in _records(rows.loc[_isin(rows["site_id"], wanted)]):
        rows_of.setdefault((r["site_id"], r["affected"]), []).append(r)
    zones_of: dict[str, list[tuple[str, str | None, Any, bool | None]]] | None = None
    if zones_g is not None:
        zsel = zones_g.loc[_isin(zones_g["site_id"], wanted)]
        zkey = zsel["substance_key"].tolist() if "substance_key" in zsel.columns else None
        zcap = _as_bool(zsel["capped"]).tolist() if "capped" in zsel.columns else None
        zones_of = {}
        for i, (zs, zh, zg) in enumerate(
            zip(zsel["site_id"], zsel["hazard"], zsel.geometry.to_numpy(), strict=True)
        ):
            zones_of.setdefault(zs, []).append(
                (zh, None if zkey is None else zkey[i], zg, None if zcap is None else zcap[i])
            )
    paths_of: dict[str, SitePaths] | None = None
    if rivers_g is not None:
        psel = rivers_g.loc[_isin(rivers_g["site_id"], wanted)]
        paths_of = {}
        for ps, pg in zip(psel["site_id"], psel.geometry.to_numpy(), strict=True):
            paths_of.setdefault(ps, SitePaths()).append(pg)
    lakes_of: dict[str, list[str]] = {}
    if rivers_g is not None and "lakes" in rivers_g.columns:
        psel = rivers_g.loc[_isin(rivers_g["site_id"], wanted)]
        for ps, names in zip(psel["site_id"], psel["lakes"].fillna("").astype(str), strict=True):
            lakes_of[ps] = [n.strip() for n in names.split(";") if n.strip()]
    return {
        "lakes_of": lakes_of,
        "active": active,
        "acts_at": active.groupby(["origin", "affected"], sort=False).indices
        if len(active)
        else {},
        "substances": _substances_by_site(holdings, wanted),
        "active_rec": _records(active),  # the rows of activities(), as records
        "site_rec": {r["site_id"]: r for r in _records(_site_rows(sites, wanted))},
        "rows_of": rows_of,
        "zones_of": zones_of,
        "paths_of": paths_of,
    }


def _site_rows(sites: pd.DataFrame, wanted: set[str]) -> pd.DataFrame:
    """Return the first row of each site of ``wanted``, without its geometry (unused)."""
    rows = sites.loc[_isin(sites["site_id"], wanted)].drop_duplicates("site_id")
    geometry = [c for c, t in rows.dtypes.items() if getattr(t, "name", "") == "geometry"]
    return pd.DataFrame(rows).drop(columns=geometry)


def prepare_dossiers(
    sites: pd.DataFrame,
    holdings: pd.DataFrame,
    affected: pd.DataFrame,
    *,
    zones: gpd.GeoDataFrame | None = None,
    river_paths: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    contacts: str | Path | pd.DataFrame | None = None,
    run: Mapping[str, Any] | None = None,
) -> DossierSet:
    """Decide every pair and gather the content of the dossiers (nothing is written).

    Parameters are those of :func:`hazid.write_notifications`.

    Returns
    -------
    DossierSet
        Decisions, summary, not-notified table and the dossier builder.

    Raises
    ------
    CRSError, GeodataError
        If a layer has no CRS or lacks its key column.
    InventoryError
        If a table lacks a required column or the contacts are invalid.

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site_id": ["A"], "lon": [68.0], "lat": [42.5],
    ...                       "site_country": ["KAZ"], "hazardous": [True]})
    >>> aff = pd.DataFrame({"site_id": ["A"], "affected": ["UZB"], "pathway": ["air"],
    ...                     "hazard": ["toxic"], "zone_km": [23.0], "border_km": [8.1],
    ...                     "margin_km": [14.9], "uncertain": [False]})
    >>> ds = prepare_dossiers(sites, pd.DataFrame(columns=["site_id"]), aff,
    ...                       run={"date": "2025-01-31"})
    >>> ds.document("KAZ", "UZB", "notify", {})["activities"][0]["status"]
    'notify'
    """
    run = dict(run or {})
    sites = _normalise_sites(sites)
    zones_g = _geo(zones, "zones", need=("site_id", "hazard"))
    rivers_g = _geo(river_paths, "river_paths", need=("site_id",))
    borders_g = _geo(borders, "borders", need=("iso_a3",))
    if zones_g is not None and "substance_key" in zones_g.columns:
        zones_g["substance_key"] = _text(zones_g, "substance_key")
    contacts_t = _contacts_table(contacts)
    params = _run_params(run)
    site_values = _site_values(run, sites)
    rows = _assess(sites, affected, **params)
    decisions = _aggregate_rows(rows.loc[rows["hazardous"]])
    rows = rows.loc[rows["hazardous"]]
    names: dict[str, str] = {}
    if borders_g is not None and "name" in borders_g.columns:
        names = dict(zip(borders_g["iso_a3"], _text(borders_g, "name"), strict=True))
    ds = DossierSet(
        sites=sites,
        zones=zones_g,
        river_paths=rivers_g,
        borders=borders_g,
        contacts=contacts_t,
        params=params,
        date=str(run.get("date") or _dt.date.today().isoformat()),
        version=_version(),
        decisions=decisions,
        not_notified=not_notified(
            sites,
            decisions,
            water_gaps=_gaps(river_paths, sites),
            unmodelled=_unmodelled(sites, zones_g, holdings),
        ),
        summary=_summary(decisions),
        meta=_method(run, sites, params, site_values=site_values),
        names=names,
        run=run,
        response_days=_response_days(run),
    )
    ds._lookups = {**_lookups(ds, rows, holdings), "site_values": site_values}  # once for all
    return ds


def _unmodelled(
    sites: pd.DataFrame, zones: pd.DataFrame | None, holdings: pd.DataFrame | None
) -> list[str]:
    """Sites with no air zone, no mass released to water and no holding hazardous to water.

    Known only with the zones, ``water_mass_kg`` and the holdings' ``categories``; a holding
    hazardous to the aquatic environment (E1, E2 or the environmental group) makes the water
    pathway one that was modelled, even with no mass released (``release_fraction`` 0).
    """
    if zones is None or holdings is None or "water_mass_kg" not in sites.columns:
        return []
    if "categories" not in holdings.columns or "site_id" not in holdings.columns:
        return []
    cats = holdings["categories"].fillna("").astype(str)
    if "groups" in holdings.columns:
        cats = cats + ";" + holdings["groups"].fillna("").astype(str)
    aquatic = cats.str.contains(r"\bE[12]\b|environmental", regex=True)
    wet = set(holdings.loc[aquatic.to_numpy(), "site_id"].astype(str).tolist())
    mass = pd.to_numeric(sites["water_mass_kg"], errors="coerce").fillna(0.0).to_numpy()
    modelled = set(zones["site_id"].astype(str).tolist()) | wet
    sid = _text(sites, "site_id")
    return [s for s, m in zip(sid, mass, strict=True) if m <= 0 and s not in modelled]


def _gaps(river_paths: pd.DataFrame | None, sites: pd.DataFrame) -> dict[str, str]:
    """Sites whose water or tailings pathway was not assessed (``tailings_gap``), with why."""
    gaps = _water_gaps(river_paths)
    if "tailings_gap" in sites.columns:
        note = sites["tailings_gap"].fillna("").astype(str)
        for sid, why in zip(_text(sites, "site_id")[note != ""], note[note != ""], strict=True):
            gaps[sid] = f"{gaps[sid]}; {why}" if sid in gaps else why
    return gaps


def _water_gaps(river_paths: pd.DataFrame | None) -> dict[str, str]:
    """Sites whose water pathway was not assessed (``water_status``), with the reason."""
    if river_paths is None or "water_status" not in river_paths.columns:
        return {}
    gap = river_paths["water_status"].astype(str) == "not assessed"
    reason = (
        river_paths["water_reason"].fillna("").astype(str)
        if "water_reason" in river_paths.columns
        else pd.Series("", index=river_paths.index)
    )
    return dict(zip(river_paths.loc[gap, "site_id"].astype(str), reason[gap], strict=True))
