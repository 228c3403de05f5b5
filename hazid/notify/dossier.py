"""The content model of a dossier: one JSON-ready document per pair of Parties.

For each pair (Party of origin, affected Party) with status notify or consult the document
holds the two Parties with their contacts, every activity concerned (site, substances with
their Annex I entries, air and water effects, what lies inside the affected Party) and the
method, data sources and limitations. The area of the affected Party inside a zone and the
river length inside it are computed on the WGS 84 ellipsoid (pyproj.Geod).
"""

from __future__ import annotations

import datetime as _dt
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
from pyproj import Geod

from hazid._version import __version__
from hazid.errors import CRSError, GeodataError
from hazid.notify.contacts import _contacts_table, _party
from hazid.notify.decide import (
    _aggregate_rows,
    _assess,
    _check_sites,
    _summary,
    not_notified,
)
from hazid.notify.method import _method, _run_value
from hazid.notify.values import _isnan, _jnum, _jsig, _jstr, _num, _text

#: Version of the dossier JSON layout (``schema_version`` field).
SCHEMA_VERSION = "1.0"
_ADDRESS_COLUMNS = ("address",)
_TYPE_COLUMNS = ("activity_type", "type", "activity", "sector")
_GEOD = Geod(ellps="WGS84")


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


def _air_effect(
    r: Mapping[str, Any], zones: list[tuple[str, str | None, Any]] | None, country_geom: Any
) -> dict[str, Any]:
    """One air row: the zone, its margin and the area of the affected Party inside it."""
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
    return {
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


def _water_effect(
    r: Mapping[str, Any], river_paths: list[Any] | None, country_geom: Any
) -> dict[str, Any]:
    """One water row: arrival, peak and the river length inside the affected Party."""
    length = None
    if river_paths is not None and country_geom is not None and river_paths:
        length = _intersection_length_km(
            shapely.union_all(np.array(river_paths, dtype=object)), country_geom
        )
    return {
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
    """Dossier entry of one activity: the site, its substances and its effects."""
    sid = decision["site_id"]
    air = [_air_effect(r, zones, country_geom) for r in rows if r["pathway"] == "air"]
    water = [_water_effect(r, river_paths, country_geom) for r in rows if r["pathway"] != "air"]
    own = _jstr(site.get("site_country")) or _jstr(site.get("country"))
    return {
        "site_id": sid,
        "name": _jstr(site.get("site_name")) or sid,
        "operator": _jstr(site.get("operator")),
        "lon": _jnum(site.get("lon"), 6),
        "lat": _jnum(site.get("lat"), 6),
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
        "substances": holdings,  # the site's, in dossier order (_substances_by_site)
        "air": air,
        "water": water,
        "map": map_file,
    }


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
        zones = None if self.zones is None else self.zones.iloc[lk["zones_at"].get(site_id, _NONE)]
        paths = (
            None
            if self.river_paths is None
            else self.river_paths.iloc[lk["paths_at"].get(site_id, _NONE)]
        )
        return zones, paths

    def document(
        self, origin: str, affected: str, status: str, map_files: Mapping[str, str | None]
    ) -> dict[str, Any]:
        """Build the JSON-ready dossier of one pair (schema :func:`notification_schema`)."""
        lk = self._lookups
        country_geom = self._country(affected)
        activities = []
        for dec in self.activities(origin, affected).to_dict("records"):
            sid = dec["site_id"]
            activities.append(
                _activity(
                    lk["site_rec"][sid],
                    dec,
                    lk["rows_of"].get((sid, affected), []),
                    lk["substances"].get(sid, []),
                    zones=None if lk["zones_of"] is None else lk["zones_of"].get(sid, []),
                    river_paths=None if lk["paths_of"] is None else lk["paths_of"].get(sid, []),
                    country_geom=country_geom,
                    map_file=map_files.get(sid),
                )
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "document": "hazid notification",
            "status": status,
            "date": self.date,
            "hazid_version": self.version,
            "party_of_origin": _party(origin, self.contacts, self.names),
            "affected_party": _party(affected, self.contacts, self.names),
            "activities": activities,
            **self.meta,
        }

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


def _lookups(ds: DossierSet, rows: pd.DataFrame, holdings: pd.DataFrame) -> dict[str, Any]:
    """Row positions per site and per pair, found once.

    A scan of the whole tables for every activity would grow with the square of the
    inventory.
    """
    zones_g, rivers_g, sites = ds.zones, ds.river_paths, ds.sites
    active = ds.decisions.loc[ds.decisions["status"] != "none"]
    wanted = set(active["site_id"])
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
    return {
        "zones_at": zones_g.groupby("site_id", sort=False).indices if zones_g is not None else {},
        "paths_at": (
            rivers_g.groupby("site_id", sort=False).indices if rivers_g is not None else {}
        ),
        "active": active,
        "acts_at": active.groupby(["origin", "affected"], sort=False).indices
        if len(active)
        else {},
        "substances": _substances_by_site(holdings, wanted),
        "site_rec": {
            r["site_id"]: r
            for r in sites.loc[sites["site_id"].isin(wanted)]
            .drop_duplicates("site_id")
            .to_dict("records")
        },
        "rows_of": rows_of,
        "zones_of": zones_of,
        "paths_of": paths_of,
    }


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
        not_notified=not_notified(sites, decisions, water_gaps=_water_gaps(river_paths)),
        summary=_summary(decisions),
        meta=_method(run, sites, params),
        names=names,
    )
    ds._lookups = _lookups(ds, rows, holdings)
    return ds


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
