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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import ChoiceError, check_choice
from hazid.zones import models
from hazid.zones._base import HAZARDS
from hazid.zones.defaults import _defaults_table
from hazid.zones.explosion import TNT_HEAT_KJ_KG, vce_distance_m
from hazid.zones.holdings import _Holdings, _missing_columns, _read_holdings, _substances
from hazid.zones.notes import zone_notes
from hazid.zones.properties import _properties_table
from hazid.zones.toxic import _TERRAINS, _WEATHER

logger = logging.getLogger(__name__)

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
    c["group"] = _site_rank(h)[h.site_codes[c["row"]]] * len(HAZARDS) + c["hazard"]
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
        if rec.hazard == "toxic":  # a solid gives no air release
            rows = rows[h.rel.storage[rows] != "solid"]
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


def _site_rank(h: _Holdings) -> np.ndarray:
    """Rank of each distinct site id, sorted as text."""
    site_rank = np.empty(len(h.site_uniques), dtype=np.int64)
    order = np.argsort(np.asarray(h.site_uniques, dtype=object).astype(str), kind="stable")
    site_rank[order] = np.arange(len(h.site_uniques))
    return site_rank


def _largest_per_site_and_hazard(
    h: _Holdings, c: dict[str, np.ndarray], zone_m: np.ndarray
) -> np.ndarray:
    """Index of the controlling candidate per (site, hazard), sorted by site then hazard.

    Ties go to the first holding; sites sort by their id as text.
    """
    group = c["group"]
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
    group = c["group"]
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
    model_table = model_code.astype(np.int64) * 1000 + fields["table"]
    distinct, inverse = np.unique(model_table, return_inverse=True)
    names = np.array(
        [model_names[int(v // 1000)].format(table=int(v % 1000)) for v in distinct], dtype=object
    )[inverse.reshape(-1)]
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
