"""Distances per site: which model applies to each holding, and the largest zone per hazard.

The steps of :func:`consequence_distances` follow the method: read each holding's
substance properties, Annex I categories and release terms (largest vessel,
storage, bund); compute the candidate zones of each model that applies, for the
worst case and the alternative case (:mod:`hazid.zones.models`), or the category
default for an unidentified substance; keep the largest zone per site and hazard
for each case; report the case chosen as the basis, and explain each zone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import ChoiceError, InventoryError, check_choice
from hazid.zones import models
from hazid.zones._base import HAZARDS
from hazid.zones.defaults import _defaults_table
from hazid.zones.explosion import TNT_HEAT_KJ_KG, vce_distance_m
from hazid.zones.notes import zone_notes
from hazid.zones.properties import _properties_table
from hazid.zones.source import STORAGE_STATES
from hazid.zones.toxic import _TERRAINS, _WEATHER

logger = logging.getLogger(__name__)

_H_CODES = frozenset({"H1", "H2", "H3"})
_P5_CODES = frozenset({"P5a", "P5b", "P5c"})
_OUTPUT_COLUMNS = [
    "site_id",
    "hazard",
    "substance_key",
    "quantity_t",
    "release_t",
    "zone_km",
    "zone_worst_km",
    "zone_alternative_km",
    "basis",
    "model",
    "undetermined",
    "undetermined_worst",
    "undetermined_alternative",
    "default_used",
    "note",
]
# model codes of the candidate zones
_TOXIC, _VCE, _FIREBALL, _POOL_FIRE, _DEFAULT, _VCE_LIQUID = range(6)
#: Optional inventory columns read here, with accepted aliases.
_BUND_COLUMNS = ("bund_m2", "dike_area_m2")


def _missing_columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems = pd.DataFrame(
            {
                "row": [None] * len(missing),
                "column": missing,
                "value": [""] * len(missing),
                "problem": [f"required column missing from {what}"] * len(missing),
            }
        )
        raise InventoryError(problems, source=what)


def _category_flags(categories: pd.Series, codes: Sequence[str]) -> np.ndarray:
    """Boolean matrix (n_rows, len(codes)): holding has Part I category ``code``."""
    cat_codes, uniques = pd.factorize(categories.fillna("").astype(str), use_na_sentinel=False)
    table = np.zeros((len(uniques) + 1, len(codes)), dtype=bool)
    index = {c: j for j, c in enumerate(codes)}
    for i, text in enumerate(uniques):
        for part in str(text).replace(",", ";").split(";"):
            j = index.get(part.strip())
            if j is not None:
                table[i, j] = True
    return table[cat_codes]


def _bool_column(values: pd.Series, default: bool) -> np.ndarray:
    out = np.full(len(values), default, dtype=bool)
    given = values.notna().to_numpy()
    if given.any():
        raw = values[given]
        if raw.dtype == bool:
            parsed = raw.to_numpy(dtype=bool)
        else:
            text = raw.astype(str).str.strip().str.lower()
            parsed = text.isin(["true", "1", "yes", "y", "t"]).to_numpy()
        out[given] = parsed
    return out


def consequence_distances(
    holdings: pd.DataFrame,
    *,
    basis: str = "worst",
    terrain: str = "rural",
    radiative_fraction: float = 0.4,
    release_minutes: float = 10.0,
    indoor: bool = False,
    weather: str | None = None,
) -> pd.DataFrame:
    """Largest consequence distance per site and hazard, worst and alternative case.

    Models are chosen per holding from the property table
    (:func:`load_substance_properties`) and its Annex I categories; the released
    mass is ``largest_vessel_t`` where given (else the whole holding, said in the
    note):

    * ``toxic`` for a holding with an H category (H1-H3) or a substance listed as
      toxic, with a toxic endpoint: worst case from the EPA OCA reference tables
      (:func:`hazid.zones.oca.oca_toxic_distance_m`), alternative case from the
      Gaussian plume (D, 3 m/s). A gas is released over ``release_minutes``
      (x 0.55 inside a building); a liquid evaporates from a 1 cm pool or its bund;
      a solid has no air zone. A distance at or beyond the tables' 25 miles (or the
      plume's 40 km) is ``undetermined``: drawn at that limit and flagged.
    * ``explosion`` (vapour cloud explosion, :func:`vce_distance_m`) and
      ``fireball`` (BLEVE, :func:`fireball_distance_m`) for a substance the table
      lists so (ammonia: toxic only); a vapour cloud explosion also for a flammable
      liquid, of the vapour its pool gives off in 10 minutes.
    * ``fire``: pool fire (:func:`pool_fire_distance_m`) for flammable liquids
      (P5a-P5c or listed so), spread to 1 cm or held by the bund.

    A holding whose substance is not identified gets, for each of its categories,
    the default of :func:`load_category_defaults` (the model of a representative
    substance or a TNT equivalence with its quantity, else a fixed distance), with
    ``default_used`` True.

    Parameters
    ----------
    holdings : pandas.DataFrame
        Columns ``site_id``, ``substance_key``, ``categories`` (";"-joined Part I
        codes) and ``quantity_t``; optional ``largest_vessel_t`` (t), ``storage``
        (pressurised, refrigerated, atmospheric, solution or solid), ``bund_m2``
        (m2; alias ``dike_area_m2``) and ``indoor`` (bool, overrides the keyword
        where not missing).
    basis : {"worst", "alternative"}, default "worst"
        Case reported in ``zone_km`` (and so deciding the air pathway): stability F
        with 1.5 m/s wind, or D with 3 m/s. Both are always computed.
    terrain : {"rural", "urban"}, default "rural"
        Topography of the toxic look-up and plume.
    radiative_fraction : float, default 0.4
        Fireball radiative fraction, in (0, 1].
    release_minutes : float, default 10
        Duration of a toxic gas release, minutes (> 0; the OCA worst case is 10).
    indoor : bool, default False
        Holdings inside a building (toxic gas release rate x 0.55), unless the
        ``indoor`` column says otherwise.
    weather : {"worst", "alternative"}, optional
        Former name of ``basis``; when given it is used as the basis.

    Returns
    -------
    pandas.DataFrame
        One row per (``site_id``, ``hazard``) with the holding controlling the basis
        case: ``site_id, hazard, substance_key, quantity_t, release_t, zone_km,
        zone_worst_km, zone_alternative_km, basis, model, undetermined,
        undetermined_worst, undetermined_alternative, default_used, note``, sorted
        by ``site_id`` then ``hazard``. ``zone_worst_km`` and
        ``zone_alternative_km`` are the largest zones of each case over the site's
        holdings.

    Raises
    ------
    InventoryError
        If a required column is missing.
    ChoiceError
        If ``basis``, ``terrain``, ``radiative_fraction``, ``release_minutes`` or a
        ``storage`` value is not allowed.

    Examples
    --------
    >>> holdings = pd.DataFrame({
    ...     "site_id": ["S1", "S1", "S2"],
    ...     "substance_key": ["propane", "ammonia", ""],
    ...     "categories": ["P2", "H2;P2", "P5c"],
    ...     "quantity_t": [4.536, 22.68, 100.0],
    ... })
    >>> out = consequence_distances(holdings)   # ammonia: 5,000 lb/min, Table 9 rural 4.0 mi
    >>> out[["site_id", "hazard", "zone_km", "zone_alternative_km", "default_used"]].round(3)
      site_id     hazard  zone_km  zone_alternative_km  default_used
    0      S1  explosion    0.280                0.280         False
    1      S1   fireball    0.225                0.225         False
    2      S1      toxic    6.437                4.462         False
    3      S2       fire    0.495                0.495          True
    """
    basis = weather if weather is not None else basis
    _check_options(basis, terrain, radiative_fraction, release_minutes)
    _missing_columns(holdings, ["site_id", "substance_key", "categories", "quantity_t"], "holdings")
    defaults = _defaults_table()
    h = _read_holdings(holdings, defaults, indoor=indoor)
    cand = _Candidates()
    _toxic_zones(cand, h, terrain=terrain, release_minutes=release_minutes)
    _flammable_gas_zones(cand, h, radiative_fraction=radiative_fraction)
    _flammable_liquid_zones(cand, h)
    _default_zones(cand, h, defaults, terrain=terrain, radiative_fraction=radiative_fraction)
    if not cand.parts:
        return _empty_output()
    c = cand.joined()
    worst = _largest_per_site_and_hazard(h, c, c["zone_w"])
    alternative = _largest_per_site_and_hazard(h, c, c["zone_a"])
    if worst.size == 0:
        return _empty_output()
    models_ = {
        _TOXIC: "oca_table_{table}" if basis == "worst" else f"gaussian_plume_{terrain}_D_3ms",
        _VCE: "vce_tnt_equivalence_10pct",
        _FIREBALL: f"fireball_bleve_R{float(radiative_fraction):g}",
        _POOL_FIRE: "pool_fire_point_source",
        _DEFAULT: "category_default",
        _VCE_LIQUID: "vce_liquid_10min_vapour_10pct",
    }
    opts = {
        "basis": basis,
        "terrain": terrain,
        "release_minutes": float(release_minutes),
        "radiative_fraction": float(radiative_fraction),
    }
    out = _output_frame(holdings, h, c, worst, alternative, models_, defaults, opts)
    logger.debug("%d zone(s) from %d holding(s)", len(out), h.n)
    return out


def _check_options(
    basis: str, terrain: str, radiative_fraction: float, release_minutes: float
) -> None:
    """Validate the model options."""
    check_choice("basis", basis, _WEATHER)
    check_choice("terrain", terrain, _TERRAINS)
    if not (0.0 < float(radiative_fraction) <= 1.0):
        raise ChoiceError(f"radiative_fraction must be in (0, 1]; got {radiative_fraction!r}")
    if not (math.isfinite(float(release_minutes)) and float(release_minutes) > 0):
        raise ChoiceError(f"release_minutes must be a positive number; got {release_minutes!r}")


@dataclass
class _Holdings:
    """Per-holding arrays the models need (substance properties looked up once per key)."""

    n: int
    site_codes: np.ndarray
    site_uniques: Any
    key_codes: np.ndarray
    pos: np.ndarray
    known: np.ndarray
    surrogate_u: np.ndarray
    flags: np.ndarray
    col: dict[str, int]
    has_h: np.ndarray
    has_p5: np.ndarray
    qty_t: np.ndarray
    usable: np.ndarray
    vessel_given: np.ndarray
    sub: models.Substances
    rel: models.Release

    def prop_has(self, hazard: str) -> np.ndarray:
        """Return True where the property table lists ``hazard`` for the holding's substance."""
        hazards = _properties_table()["hazards"]
        per_key = np.array(
            [p >= 0 and hazard in hazards.iat[p].split(";") for p in self.pos], dtype=bool
        )
        return per_key[self.key_codes]


def _substances(pos: np.ndarray, key_codes: np.ndarray) -> models.Substances:
    """Property arrays of each holding's substance (NaN / "" where not in the table)."""
    props = _properties_table()

    def num(col: str) -> np.ndarray:
        vals = props[col].to_numpy(dtype=float)
        return np.where(pos >= 0, vals[np.clip(pos, 0, None)], np.nan)[key_codes]

    def text(col: str) -> np.ndarray:
        vals = props[col].to_numpy(dtype=object)
        return np.where(pos >= 0, vals[np.clip(pos, 0, None)], "")[key_codes].astype(object)

    return models.Substances(
        key=text("substance_key"),
        mw=num("molecular_weight"),
        hc=num("heat_of_combustion_kj_kg"),
        hv=num("heat_of_vaporisation_kj_kg"),
        cp=num("liquid_heat_capacity_kj_kg_k"),
        tb=num("boiling_point_k"),
        rho=num("liquid_density_kg_m3"),
        endpoint=num("toxic_endpoint_mg_m3"),
        state=text("state_25c"),
    )


def _release(holdings: pd.DataFrame, qty_t: np.ndarray, *, indoor: bool) -> tuple[Any, Any]:
    """Release terms: mass (largest vessel, else the holding), storage, bund, indoors."""
    n = len(holdings)
    vessel = (
        pd.to_numeric(holdings["largest_vessel_t"], errors="coerce").to_numpy(dtype=float)
        if "largest_vessel_t" in holdings.columns
        else np.full(n, np.nan)
    )
    given = np.isfinite(vessel) & (vessel > 0)
    release_t = np.where(given, np.fmin(vessel, qty_t), qty_t)
    storage = (
        holdings["storage"].fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)
        if "storage" in holdings.columns
        else np.full(n, "", dtype=object)
    )
    for value in sorted(set(storage.tolist()) - {""}):
        check_choice("storage", value, STORAGE_STATES)
    bund = np.full(n, np.nan)
    for name in reversed(_BUND_COLUMNS):  # bund_m2 wins over its alias
        if name in holdings.columns:
            vals = pd.to_numeric(holdings[name], errors="coerce").to_numpy(dtype=float)
            bund = np.where(np.isfinite(vals), vals, bund)
    indoor_h = (
        _bool_column(holdings["indoor"], bool(indoor))
        if "indoor" in holdings.columns
        else np.full(n, bool(indoor))
    )
    rel = models.Release(mass_kg=release_t * 1000.0, storage=storage, bund_m2=bund, indoor=indoor_h)
    return rel, given


def _read_holdings(holdings: pd.DataFrame, defaults: pd.DataFrame, *, indoor: bool) -> _Holdings:
    """Substance, categories, quantity and release terms of each holding."""
    props = _properties_table()
    key_codes, key_uniques = pd.factorize(
        holdings["substance_key"].fillna("").astype(str), use_na_sentinel=False
    )
    norm_keys = pd.Index([str(k).strip().lower() for k in key_uniques])
    pos = props.index.get_indexer(norm_keys)
    surrogate_u = np.array([props["surrogate"].iat[p] if p >= 0 else "" for p in pos], dtype=object)

    all_codes = sorted(set(_H_CODES) | set(_P5_CODES) | set(defaults["code"]))
    flags = _category_flags(holdings["categories"], all_codes)
    col = {c: j for j, c in enumerate(all_codes)}

    qty_t = pd.to_numeric(holdings["quantity_t"], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(qty_t) & (qty_t > 0)
    if (~usable).any():
        logger.info("%d holding(s) without a positive quantity ignored", int((~usable).sum()))
    rel, vessel_given = _release(holdings, qty_t, indoor=indoor)
    site_codes, site_uniques = pd.factorize(holdings["site_id"].astype(str), use_na_sentinel=False)
    return _Holdings(
        n=len(holdings),
        site_codes=site_codes,
        site_uniques=site_uniques,
        key_codes=key_codes,
        pos=pos,
        known=(pos >= 0)[key_codes],
        surrogate_u=surrogate_u,
        flags=flags,
        col=col,
        has_h=flags[:, [col[c] for c in sorted(_H_CODES)]].any(axis=1),
        has_p5=flags[:, [col[c] for c in sorted(_P5_CODES)]].any(axis=1),
        qty_t=qty_t,
        usable=usable,
        vessel_given=vessel_given,
        sub=_substances(pos, key_codes),
        rel=rel,
    )


@dataclass
class _Candidates:
    """Candidate zones of all models, one part per model run (concatenated at the end)."""

    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(
        self, rows: np.ndarray, hazard: str, model: int, zone_w: Any, zone_a: Any, **extra: Any
    ) -> None:
        """Add the zones (worst, alternative case; m) of holdings ``rows`` for ``hazard``."""
        k = len(rows)
        zeros = np.zeros(k, dtype=bool)
        self.parts.append(
            {
                "row": rows,
                "hazard": np.full(k, HAZARDS.index(hazard), dtype=np.int8),
                "model": np.full(k, model, dtype=np.int8),
                "zone_w": np.broadcast_to(np.asarray(zone_w, dtype=float), (k,)),
                "zone_a": np.broadcast_to(np.asarray(zone_a, dtype=float), (k,)),
                "undet_w": extra.get("undet_w", zeros),
                "undet_a": extra.get("undet_a", zeros),
                "flag": extra.get("flag", zeros),
                "default": extra.get("default", np.full(k, -1, dtype=np.int32)),
                "table": extra.get("table", np.zeros(k, dtype=np.int64)),
                "kind": extra.get("kind", np.zeros(k, dtype=np.int8)),
                "source": extra.get("source", np.zeros(k, dtype=np.int8)),
            }
        )

    def joined(self) -> dict[str, np.ndarray]:
        """All candidates as one array per field."""
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def _toxic_zones(cand: _Candidates, h: _Holdings, *, terrain: str, release_minutes: float) -> None:
    """Toxic zones for holdings with an H category or a toxic substance with an endpoint."""
    solid = (h.rel.storage == "solid") | (h.sub.state == "solid")
    eligible = h.usable & h.known & np.isfinite(h.sub.endpoint) & ~solid
    rows = np.flatnonzero(eligible & (h.has_h | h.prop_has("toxic")))
    if rows.size:
        z = models.toxic_zones(
            h.sub.take(rows), h.rel.take(rows), terrain=terrain, release_minutes=release_minutes
        )
        flag = h.rel.indoor[rows] & (z["source"] != models.SOURCE_POOL)
        flag &= z["source"] != models.SOURCE_POOL_LONG
        cand.add(rows, "toxic", _TOXIC, z["zone_w"], z["zone_a"], flag=flag, **_pick(z))


def _pick(z: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: z[k] for k in ("undet_w", "undet_a", "table", "kind", "source")}


def _flammable_gas_zones(cand: _Candidates, h: _Holdings, *, radiative_fraction: float) -> None:
    """Vapour cloud explosion and fireball for the substances the table lists so."""
    gas_ok = h.usable & h.known & np.isfinite(h.sub.hc)
    vce = np.flatnonzero(gas_ok & h.prop_has("explosion"))
    if vce.size:
        d = models.gas_explosion_zone(h.sub.take(vce), h.rel.take(vce))
        cand.add(vce, "explosion", _VCE, d, d)
    fbl = np.flatnonzero(gas_ok & h.prop_has("fireball"))
    if fbl.size:
        d = models.fireball_zone(
            h.sub.take(fbl), h.rel.take(fbl), radiative_fraction=float(radiative_fraction)
        )
        cand.add(fbl, "fireball", _FIREBALL, d, d)


def _flammable_liquid_zones(cand: _Candidates, h: _Holdings) -> None:
    """Pool fire (P5a-P5c or listed as fire) and vapour cloud explosion of the pool's vapour."""
    s = h.sub
    data = np.isfinite(s.hc) & np.isfinite(s.hv) & np.isfinite(s.cp) & np.isfinite(s.tb)
    data &= np.isfinite(s.rho)
    liquid = h.usable & h.known & (h.has_p5 | h.prop_has("fire"))
    pf = np.flatnonzero(liquid & data)
    if pf.size:
        d, bunded = models.pool_fire_zone(s.take(pf), h.rel.take(pf))
        cand.add(pf, "fire", _POOL_FIRE, d, d, flag=bunded)
    volatile = liquid & (s.state == "liquid") & np.isfinite(s.mw) & data & ~h.prop_has("explosion")
    lv = np.flatnonzero(volatile)
    if lv.size:
        d = models.liquid_explosion_zone(s.take(lv), h.rel.take(lv))
        cand.add(lv, "explosion", _VCE_LIQUID, d, d)


def _representative(h: _Holdings, rows: np.ndarray, key: str) -> models.Substances:
    """Return the properties of substance ``key`` for holdings ``rows``."""
    props = _properties_table()
    if key not in props.index:
        raise ChoiceError(f"representative substance {key!r} is not in the property table")
    p = int(props.index.get_loc(key))
    return _substances(np.array([p]), np.zeros(rows.size, dtype=np.int64))


def _default_zones(
    cand: _Candidates,
    h: _Holdings,
    defaults: pd.DataFrame,
    *,
    terrain: str,
    radiative_fraction: float,
) -> None:
    """Default zone of each category for holdings whose substance is not identified."""
    unknown = h.usable & ~h.known
    for i, rec in enumerate(defaults.itertuples(index=False)):
        rows = np.flatnonzero(unknown & h.flags[:, h.col[rec.code]])
        if not rows.size:
            continue
        default = np.full(rows.size, i, dtype=np.int32)
        rel = h.rel.take(rows)
        if rec.representative:
            sub = _representative(h, rows, rec.representative)
            if rec.hazard == "toxic":
                rel.storage = np.full(rows.size, "", dtype=object)
                z = models.toxic_zones(sub, rel, terrain=terrain)
                cand.add(
                    rows, "toxic", _DEFAULT, z["zone_w"], z["zone_a"], default=default, **_pick(z)
                )
                continue
            if rec.hazard == "explosion":
                d = models.gas_explosion_zone(sub, rel)
            elif rec.hazard == "fireball":
                d = models.fireball_zone(sub, rel, radiative_fraction=float(radiative_fraction))
            else:
                d = models.pool_fire_zone(sub, rel)[0]
        elif np.isfinite(rec.tnt_equivalence):
            tnt_kg = rel.mass_kg * float(rec.tnt_equivalence)
            d = vce_distance_m(tnt_kg, TNT_HEAT_KJ_KG, yield_factor=1.0)
        else:
            d = np.full(rows.size, float(rec.zone_km) * 1000.0)
        cand.add(rows, rec.hazard, _DEFAULT, d, d, default=default)


def _largest_per_site_and_hazard(
    h: _Holdings, c: dict[str, np.ndarray], zone_m: np.ndarray
) -> np.ndarray:
    """Index of the controlling candidate per (site, hazard), sorted by site then hazard.

    Ties go to the first holding; sites sort by their id as text.
    """
    site_codes, site_uniques = h.site_codes, h.site_uniques
    site_rank = np.empty(len(site_uniques), dtype=np.int64)
    site_rank[np.argsort(np.asarray(site_uniques, dtype=object).astype(str), kind="stable")] = (
        np.arange(len(site_uniques))
    )
    group = site_rank[site_codes[c["row"]]] * len(HAZARDS) + c["hazard"]
    zone = np.where(np.isfinite(zone_m), zone_m, -np.inf)
    order = np.lexsort((c["row"], -zone, group))
    first = np.ones(order.size, dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    pick = order[first]
    return pick[np.isfinite(zone[pick])]


def _output_frame(
    holdings: pd.DataFrame,
    h: _Holdings,
    c: dict[str, np.ndarray],
    worst: np.ndarray,
    alternative: np.ndarray,
    model_names: dict[int, str],
    defaults: pd.DataFrame,
    opts: dict[str, Any],
) -> pd.DataFrame:
    """One row per (site, hazard): the basis case's controlling candidate, both cases' zones."""
    basis_worst = opts["basis"] == "worst"
    pick = worst if basis_worst else alternative
    # the other case's largest zone of the same (site, hazard)
    group = (h.site_codes[c["row"]].astype(np.int64) * len(HAZARDS)) + c["hazard"]
    other_pick = alternative if basis_worst else worst
    other = pd.Series(other_pick, index=group[other_pick])
    pair = other.reindex(group[pick]).fillna(-1).to_numpy(dtype=np.int64)
    pair = np.where(pair >= 0, pair, pick)
    w_idx = pick if basis_worst else pair
    a_idx = pair if basis_worst else pick
    rows = c["row"][pick]
    model_code = c["model"][pick]
    surrogate = h.surrogate_u[h.key_codes[rows]] if len(rows) else np.array([], dtype=object)
    fields = {k: c[k][pick] for k in ("model", "flag", "default", "table", "kind", "source")}
    fields["undetermined"] = c["undet_w" if basis_worst else "undet_a"][pick]
    fields["whole"] = ~h.vessel_given[rows]
    notes = zone_notes(fields, surrogate, defaults, opts)
    names = np.array(
        [
            model_names[int(m)].format(table=int(t))
            for m, t in zip(model_code.tolist(), fields["table"].tolist(), strict=True)
        ],
        dtype=object,
    )
    out = pd.DataFrame(
        {
            "site_id": np.asarray(h.site_uniques, dtype=object)[h.site_codes[rows]].astype(str),
            "hazard": np.asarray(HAZARDS, dtype=object)[c["hazard"][pick]],
            "substance_key": holdings["substance_key"]
            .fillna("")
            .astype(str)
            .to_numpy(dtype=object)[rows],
            "quantity_t": h.qty_t[rows],
            "release_t": h.rel.mass_kg[rows] / 1000.0,
            "zone_km": c["zone_w" if basis_worst else "zone_a"][pick] / 1000.0,
            "zone_worst_km": c["zone_w"][w_idx] / 1000.0,
            "zone_alternative_km": c["zone_a"][a_idx] / 1000.0,
            "basis": opts["basis"],
            "model": names,
            "undetermined": fields["undetermined"].astype(bool),
            "undetermined_worst": c["undet_w"][w_idx].astype(bool),
            "undetermined_alternative": c["undet_a"][a_idx].astype(bool),
            "default_used": model_code == _DEFAULT,
            "note": notes,
        }
    )
    for col in ("site_id", "hazard", "substance_key", "basis", "model", "note"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)


def _empty_output() -> pd.DataFrame:
    kinds = {"quantity_t": float, "release_t": float, "zone_km": float}
    kinds |= {"zone_worst_km": float, "zone_alternative_km": float}
    for c in ("undetermined", "undetermined_worst", "undetermined_alternative", "default_used"):
        kinds[c] = bool
    return pd.DataFrame({c: pd.Series([], dtype=kinds.get(c, "str")) for c in _OUTPUT_COLUMNS})
