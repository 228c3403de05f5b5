"""A regional catalogue: several countries' screenings merged, with provenance, reconciled.

Each country screens its own inventory with its own data; :func:`catalogue` merges their
results folders into one catalogue of hazardous activities with transboundary reach (the sites
that have a pair of Parties with status ``notify`` or ``consult``), their consequence zones,
river paths and the pair table, with the provenance of each screening (folder name, hazid
version, run date, regime, Annex I version, file name and SHA-256 of every input: never a local
path). :func:`write_catalogue` writes it as a GeoPackage and as JSON following
``hazid/schemas/catalogue.schema.json``, with ``reconciliation.csv`` beside them.

Reconciliation lists, one row each with the reason:

- ``unknown_to_affected``: country A's screening says an activity reaches B, and B's own
  screening in the catalogue lists neither the activity nor the pair;
- ``no_contact`` (one row per pair): A's dossier to B names no contact of B, and B has no
  screening in the catalogue, or B's own screening names one (its competent authority, focal
  point, contact or e-mail as Party of origin) that A's contact list lacks;
- ``different_borders``, ``different_thresholds``, ``different_versions``,
  ``different_parameters``: two screenings of the same border (their countries name each other
  in their pairs or nearest foreign countries, or they screen the same country) used different
  border data, thresholds (regime, Annex I version or tables), hazid versions or parameters
  (weather, uncertainty, terrain);
- ``status_differs``: the same activity was screened by both with a different status for the
  same pair.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from hazid._version import __version__
from hazid.errors import ProcessError
from hazid.output.results import write_csv, write_json
from hazid.process.read import Screening, read_screening, status_rank
from hazid.rivers import data_ends

logger = logging.getLogger(__name__)

__all__ = ["RECONCILIATION_COLUMNS", "Catalogue", "catalogue", "write_catalogue"]

#: Columns of ``reconciliation.csv``.
RECONCILIATION_COLUMNS: tuple[str, ...] = (
    "kind",
    "origin",
    "affected",
    "site_id",
    "results_a",
    "results_b",
    "reason",
)

_SITE_COLUMNS = ("site_id", "site_name", "operator", "origin", "lon", "lat", "reasons")
_PARAMETERS = ("weather", "terrain", "uncertainty_km", "water", "water_threshold_mg_l")
_PAIR_NUMBERS = ("n_activities", "n_notify", "n_consult", "n_screened", "margin_km", "arrival_h")
_CONTACT_FIELDS = ("competent_authority", "focal_point", "ian_contact", "email")


@dataclass
class Catalogue:
    """Result of :func:`catalogue`.

    Attributes
    ----------
    screenings : pandas.DataFrame
        Provenance, one row per screening: ``country``, ``results``, ``run_date``,
        ``hazid_version``, ``regime``, ``annex_version``, ``summary_sha256``, ``inputs``
        (JSON text: input name -> file name and SHA-256).
    sites, zones, river_paths : geopandas.GeoDataFrame
        Activities with transboundary reach and their zones and river paths, each row with the
        ``results`` it came from.
    pairs : pandas.DataFrame
        The pair tables of every screening (``notifications/summary.csv``) with ``results``.
    reconciliation : pandas.DataFrame
        Columns :data:`RECONCILIATION_COLUMNS`.
    """

    screenings: pd.DataFrame
    sites: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    river_paths: gpd.GeoDataFrame
    pairs: pd.DataFrame
    reconciliation: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """Return the catalogue as a JSON document (``hazid/schemas/catalogue.schema.json``)."""
        return {
            "document": "hazid catalogue",
            "schema_version": "1.0",
            "hazid_version": __version__,
            "screenings": [
                {**r, "inputs": json.loads(r["inputs"])} for r in _records(self.screenings)
            ],
            "activities": _records(self.sites.drop(columns="geometry")),
            "zones": _geo_records(self.zones),
            "river_paths": _geo_records(self.river_paths),
            "pairs": _records(self.pairs),
            "reconciliation": _records(self.reconciliation),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.astype(object).to_dict(orient="records"):
        out.append({k: (None if _missing(v) else v) for k, v in rec.items()})
    return out


def _missing(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _geo_records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    recs = _records(gdf.drop(columns="geometry"))
    for rec, geom in zip(recs, gdf.geometry, strict=True):
        rec["geometry"] = None if geom is None else json.loads(shapely.to_geojson(geom))
    return recs


def _provenance(s: Screening) -> dict[str, Any]:
    run, params = s.run, s.run.get("parameters") or {}
    inputs = {
        k: {"name": Path(str(v.get("name", ""))).name, "sha256": v.get("sha256")}
        for k, v in sorted((run.get("inputs") or {}).items())
        if isinstance(v, dict)
    }
    return {
        "country": s.country,
        "results": s.name,
        "run_date": s.date,
        "hazid_version": s.hazid_version,
        "regime": params.get("regime") or _first(s.sites, "regime"),
        "annex_version": (run.get("annex") or {}).get("version")
        or _first(s.sites, "annex_version"),
        "summary_sha256": s.summary_sha256,
        "inputs": json.dumps(inputs, sort_keys=True),
    }


def _first(df: pd.DataFrame, col: str) -> str | None:
    values = [v for v in df.get(col, pd.Series(dtype=object)) if v]
    return values[0] if values else None


def _layer(s: Screening, name: str, site_ids: set[str]) -> gpd.GeoDataFrame:
    path = s.path / "results.gpkg"
    empty = gpd.GeoDataFrame({"results": [], "site_id": []}, geometry=[], crs="EPSG:4326")
    if not path.is_file() or name not in set(pyogrio.list_layers(path)[:, 0]):
        return empty
    gdf = gpd.read_file(path, layer=name).to_crs("EPSG:4326")
    gdf = gdf[gdf["site_id"].astype(str).isin(site_ids)].copy()
    gdf.insert(0, "results", s.name)
    return gdf


def _reaching(s: Screening) -> pd.DataFrame:
    act = s.activities
    return act[act["status"].map(status_rank) > 0]


def _sites(s: Screening) -> gpd.GeoDataFrame:
    reach = _reaching(s)
    sites = s.sites[s.sites["site_id"].isin(set(reach["site_id"]))].copy()
    sites["origin"] = sites["site_id"].map(s.origin_of())
    for col in _SITE_COLUMNS:
        if col not in sites:
            sites[col] = ""
    sites = sites[list(_SITE_COLUMNS)].copy()
    sites["lon"] = pd.to_numeric(sites["lon"], errors="coerce")
    sites["lat"] = pd.to_numeric(sites["lat"], errors="coerce")
    by_site = reach.groupby("site_id")
    sites["affected"] = sites["site_id"].map(by_site["affected"].agg(lambda a: ";".join(sorted(a))))
    sites["status"] = sites["site_id"].map(
        by_site["status"].agg(lambda st: max(st, key=status_rank))
    )
    sites.insert(0, "results", s.name)
    geometry = gpd.points_from_xy(sites["lon"], sites["lat"])
    return gpd.GeoDataFrame(sites, geometry=geometry, crs="EPSG:4326")


def _contact(party: dict[str, Any] | None) -> str:
    """Return the first contact field given for a Party in a dossier, or ``""``."""
    party = party or {}
    return next((str(party[k]) for k in _CONTACT_FIELDS if party.get(k)), "")


def _own_contact(b: Screening, code: str) -> str:
    """Return a contact of Party ``code`` as its own screening's dossiers give it."""
    for doc in b.dossiers.values():
        party = doc.get("party_of_origin") or {}
        if party.get("iso_a3") == code and _contact(party):
            return _contact(party)
    return ""


def _knows(b: Screening, site_id: str, origin: str, affected: str) -> bool:
    pair = (b.summary["origin"] == origin) & (b.summary["affected"] == affected)
    return site_id in set(b.sites["site_id"]) or bool(pair.any())


def _unknown_pairs(screens: list[Screening]) -> list[dict[str, Any]]:
    rows = []
    for a in screens:
        for rec in _reaching(a).itertuples(index=False):
            others = [b for b in screens if b.country == rec.affected and b is not a]
            names = ", ".join(b.name for b in others)
            row = {"origin": rec.origin, "affected": rec.affected, "site_id": rec.site_id}
            row |= {"results_a": a.name, "results_b": names}
            if others and not any(_knows(b, rec.site_id, rec.origin, rec.affected) for b in others):
                reason = (
                    f"{a.name} says {rec.site_id} reaches {rec.affected} ({rec.status}); "
                    f"{names} lists neither the activity nor the pair "
                    f"{rec.origin}-{rec.affected}"
                )
                rows.append({**row, "kind": "unknown_to_affected", "reason": reason})
        rows += _contact_rows(a, screens)
    return rows


def _contact_rows(a: Screening, screens: list[Screening]) -> list[dict[str, Any]]:
    """Pairs whose dossier names no contact of the affected Party that someone could supply."""
    rows = []
    for (origin, affected), doc in sorted(a.dossiers.items()):
        if _contact(doc.get("affected_party")):
            continue
        others = [b for b in screens if b.country == affected and b is not a]
        known = next((c for b in others if (c := _own_contact(b, affected))), "")
        if others and not known:
            continue  # nobody in the catalogue knows a contact: nothing to reconcile
        where = (
            f"{affected}'s own screening names {known}"
            if known
            else f"no screening of {affected} in the catalogue"
        )
        reason = (
            f"the dossier {origin}-{affected} of {a.name} names no contact of {affected}; {where}"
        )
        row = {"origin": origin, "affected": affected, "site_id": "", "results_a": a.name}
        rows.append(
            {
                **row,
                "results_b": ", ".join(b.name for b in others),
                "kind": "no_contact",
                "reason": reason,
            }
        )
    return rows


def _same_border(a: Screening, b: Screening) -> bool:
    if a.country == b.country:
        return True

    def names(s: Screening, other: str) -> bool:
        pairs = set(s.summary["affected"]) | set(s.summary["origin"])
        near = set(s.sites.get("nearest_foreign", pd.Series(dtype=object)))
        return other in pairs | near

    return names(a, b.country) or names(b, a.country)


def _input(s: Screening, key: str) -> str:
    v = (s.run.get("inputs") or {}).get(key) or {}
    if not isinstance(v, dict) or not v:
        return "none"
    sha = v.get("sha256")
    return f"{Path(str(v.get('name', ''))).name}" + (f" (SHA-256 {sha[:12]})" if sha else "")


def _settings(s: Screening) -> dict[str, dict[str, str]]:
    run, params = s.run, s.run.get("parameters") or {}
    annex = run.get("annex") or {}
    tables = json.dumps(annex.get("tables_sha256") or {}, sort_keys=True)
    borders = (run.get("inputs") or {}).get("borders") or {}
    return {
        "different_borders": {"borders": borders.get("sha256") or _input(s, "borders")},
        "different_thresholds": {
            "regime": str(params.get("regime")),
            "annex_version": str(annex.get("version") or params.get("annex_version")),
            "annex tables": tables,
        },
        "different_versions": {"hazid": s.hazid_version},
        "different_parameters": {k: str(params.get(k)) for k in _PARAMETERS},
    }


def _disagreements(a: Screening, b: Screening) -> list[dict[str, Any]]:
    rows = []
    sa, sb = _settings(a), _settings(b)
    base = {"origin": a.country, "affected": b.country, "site_id": "", "results_a": a.name}
    base["results_b"] = b.name
    for kind in sa:
        differ = [k for k in sa[kind] if sa[kind][k] != sb[kind].get(k)]
        if not differ:
            continue
        if kind == "different_borders":
            what = f"borders {_input(a, 'borders')} vs {_input(b, 'borders')}"
        elif kind == "different_thresholds" and differ == ["annex tables"]:
            what = "Annex I tables differ (SHA-256)"
        else:
            what = "; ".join(
                f"{k} {sa[kind][k]} vs {sb[kind].get(k)}" for k in differ if k != "annex tables"
            )
        rows.append({**base, "kind": kind, "reason": f"{a.name} and {b.name}: {what}"})
    key = ["site_id", "origin", "affected"]
    sa_st = a.activities.drop_duplicates(key).set_index(key)["status"]
    sb_st = b.activities.drop_duplicates(key).set_index(key)["status"]
    for k in sorted(set(sa_st.index) & set(sb_st.index)):
        if sa_st[k] != sb_st[k]:
            reason = f"{k[0]} {k[1]}-{k[2]}: {sa_st[k]} in {a.name}, {sb_st[k]} in {b.name}"
            row = {**base, "origin": k[1], "affected": k[2], "site_id": k[0]}
            rows.append({**row, "kind": "status_differs", "reason": reason})
    return rows


def _reconcile(screens: list[Screening]) -> pd.DataFrame:
    rows = _unknown_pairs(screens)
    for a, b in itertools.combinations(screens, 2):
        if _same_border(a, b):
            rows += _disagreements(a, b)
    df = pd.DataFrame(rows, columns=list(RECONCILIATION_COLUMNS)).astype(object)
    return df.sort_values(["kind", "origin", "affected", "site_id", "results_a"]).reset_index(
        drop=True
    )


def catalogue(results: list[str | Path | Screening]) -> Catalogue:
    """Merge several screenings into one regional catalogue and reconcile their pairs.

    Parameters
    ----------
    results : list of str, Path or Screening
        Results folders of ``hazid screen`` (one per country, run by its own authority).

    Returns
    -------
    Catalogue
        Provenance, activities with transboundary reach, zones, river paths, the pair table and
        the reconciliation.

    Examples
    --------
    >>> catalogue([])
    Traceback (most recent call last):
    ...
    hazid.errors.ProcessError: a catalogue needs at least one results folder
    """
    if not results:
        raise ProcessError("a catalogue needs at least one results folder")
    screens = [read_screening(r) for r in results]
    names = [s.name for s in screens]
    if len(set(names)) != len(names):
        raise ProcessError(f"results folders must have different names; got {sorted(names)}")
    sites = [_sites(s) for s in screens]
    site_ids = [set(g["site_id"]) for g in sites]
    pairs = pd.concat([s.summary.assign(results=s.name) for s in screens], ignore_index=True)
    for col in _PAIR_NUMBERS:
        if col in pairs:
            pairs[col] = pd.to_numeric(pairs[col], errors="coerce")
    return Catalogue(
        screenings=pd.DataFrame([_provenance(s) for s in screens]),
        sites=_concat(sites),
        zones=_concat([_layer(s, "zones", ids) for s, ids in zip(screens, site_ids, strict=True)]),
        river_paths=_concat(
            [_layer(s, "river_paths", ids) for s, ids in zip(screens, site_ids, strict=True)]
        ),
        pairs=pairs.astype(object),
        reconciliation=_reconcile(screens),
    )


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame({"results": [], "site_id": []}, geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def write_catalogue(cat: Catalogue, out: str | Path) -> Path:
    """Write a catalogue: ``FILE.gpkg``, ``FILE.json`` and ``reconciliation.csv`` beside them.

    The GeoPackage has layers ``sites``, ``zones``, ``river_paths``, ``river_data_ends`` (when
    there are any; see :func:`hazid.rivers.data_ends`) and the
    attribute tables ``pairs`` and ``screenings``; the JSON follows
    ``hazid/schemas/catalogue.schema.json``.

    Parameters
    ----------
    cat : Catalogue
        From :func:`catalogue`.
    out : str or Path
        The GeoPackage to write (``.gpkg``; replaced if it exists).

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> (base / "kaz-2026").mkdir()
    >>> _ = (base / "kaz-2026" / "run.json").write_text(json.dumps({"date": "2026-03-02"}))
    >>> _ = (base / "kaz-2026" / "sites.csv").write_text("site_id,site_name,lon,lat,hazardous")
    >>> out = write_catalogue(catalogue([base / "kaz-2026"]), base / "catalogue.gpkg")
    >>> sorted(p.name for p in base.iterdir() if p.is_file())
    ['catalogue.gpkg', 'catalogue.json', 'reconciliation.csv']
    """
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise ProcessError(f"the catalogue is a GeoPackage: {out.name} must end in .gpkg")
    if not out.parent.is_dir():
        raise ProcessError(f"folder {out.parent.name} of {out.name} does not exist")
    out.unlink(missing_ok=True)
    layers = (
        ("sites", cat.sites),
        ("zones", cat.zones),
        ("river_paths", cat.river_paths),
        ("river_data_ends", data_ends(cat.river_paths)),
    )
    for name, gdf in layers:
        if len(gdf):
            gdf.to_file(out, layer=name, driver="GPKG")
    for name, df in (("pairs", cat.pairs), ("screenings", cat.screenings)):
        table = pd.DataFrame(df).astype(object).where(pd.DataFrame(df).notna(), "")
        pyogrio.write_dataframe(table.astype(str), out, layer=name, driver="GPKG")
    write_json(cat.to_json(), out.with_suffix(".json"))
    write_csv(cat.reconciliation, out.parent / "reconciliation.csv", RECONCILIATION_COLUMNS)
    return out
