"""Distances per site: which model applies to each holding, and the largest zone per hazard.

The steps of :func:`consequence_distances` follow the method: read the substance
properties and Annex I categories of each holding, compute the candidate zones of
each model that applies (toxic plume, vapour cloud explosion, fireball, pool fire,
category default), keep the largest zone per site and hazard, and describe how it
was obtained.
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
from hazid.zones._base import HAZARDS
from hazid.zones.defaults import _defaults_table
from hazid.zones.explosion import vce_distance_m
from hazid.zones.fire import fireball_distance_m, pool_fire_distance_m
from hazid.zones.properties import _properties_table
from hazid.zones.source import INDOOR_FACTOR, _toxic_release_rate, pool_area_m2
from hazid.zones.toxic import _TERRAINS, MAX_TOXIC_DISTANCE_M, _stability, plume_distance_m

logger = logging.getLogger(__name__)

_H_CODES = frozenset({"H1", "H2", "H3"})
_P5_CODES = frozenset({"P5a", "P5b", "P5c"})
_OUTPUT_COLUMNS = [
    "site_id",
    "hazard",
    "substance_key",
    "quantity_t",
    "zone_km",
    "model",
    "capped",
    "default_used",
    "note",
]
# model codes of the candidate zones (index into the model names of a run)
_TOXIC, _VCE, _FIREBALL, _POOL_FIRE, _DEFAULT = range(5)


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
    weather: str = "worst",
    terrain: str = "rural",
    radiative_fraction: float = 0.4,
    release_minutes: float = 10.0,
    indoor: bool = False,
) -> pd.DataFrame:
    """Largest consequence distance per site and hazard.

    Models are chosen per holding from its Annex I categories and the property
    table (:func:`load_substance_properties`):

    * ``toxic``: Gaussian plume (:func:`plume_distance_m`) for a holding with an
      H category (H1-H3) or a substance listed as toxic, when the substance has a
      toxic endpoint. The whole inventory is released over ``release_minutes``
      (times 0.55 inside a building). Dense gases are treated as neutral.
    * ``explosion``: vapour cloud explosion (:func:`vce_distance_m`) and
      ``fireball``: BLEVE (:func:`fireball_distance_m`), for flammable gases
      (category P2, or listed so in the table), whole inventory.
    * ``fire``: pool fire (:func:`pool_fire_distance_m`) for flammable liquids
      (P5a/P5b/P5c, or listed so), spread to 1 cm unless ``dike_area_m2`` is given.

    A holding whose substance is not identified (empty ``substance_key`` or no
    row in the table) gets the default zone of each of its categories
    (:func:`load_category_defaults`) with ``default_used`` True.

    Parameters
    ----------
    holdings : pandas.DataFrame
        Columns ``site_id``, ``substance_key``, ``categories`` (";"-joined Part I
        codes) and ``quantity_t``; optional ``indoor`` (bool, overrides the
        keyword per holding where not missing) and ``dike_area_m2`` (m2).
    weather : {"worst", "alternative"}, default "worst"
        Stability F with 1.5 m/s wind, or D with 3 m/s (toxic plume only).
    terrain : {"rural", "urban"}, default "rural"
        Briggs dispersion coefficients (toxic plume only).
    radiative_fraction : float, default 0.4
        Fireball radiative fraction, in (0, 1].
    release_minutes : float, default 10
        Duration of the toxic release, minutes (> 0).
    indoor : bool, default False
        Holdings inside a building (toxic release rate x 0.55), unless the
        ``indoor`` column says otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per (``site_id``, ``hazard``) with the controlling holding:
        ``site_id, hazard, substance_key, quantity_t, zone_km, model, capped,
        default_used, note``, sorted by ``site_id`` then ``hazard``.

    Raises
    ------
    InventoryError
        If a required column is missing.
    ChoiceError
        If ``weather``, ``terrain``, ``radiative_fraction`` or ``release_minutes``
        is not allowed.

    Examples
    --------
    >>> holdings = pd.DataFrame({
    ...     "site_id": ["S1", "S1", "S2"],
    ...     "substance_key": ["propane", "chlorine", ""],
    ...     "categories": ["P2", "H2;P4;E1", "P5c"],
    ...     "quantity_t": [4.536, 0.1, 100.0],
    ... })
    >>> out = consequence_distances(holdings)
    >>> out[["site_id", "hazard", "zone_km", "capped", "default_used"]].round(3)
      site_id     hazard  zone_km  capped  default_used
    0      S1  explosion    0.280   False         False
    1      S1   fireball    0.225   False         False
    2      S1      toxic    4.102   False         False
    3      S2       fire    5.000   False          True
    """
    stability, wind = _check_options(weather, terrain, radiative_fraction, release_minutes)
    _missing_columns(holdings, ["site_id", "substance_key", "categories", "quantity_t"], "holdings")
    defaults = _defaults_table()
    h = _read_holdings(holdings, defaults, indoor=indoor)
    models = [
        f"gaussian_plume_{terrain}_{stability}_{wind:g}ms",
        "vce_tnt_equivalence_10pct",
        f"fireball_bleve_R{float(radiative_fraction):g}",
        "pool_fire_point_source",
        "category_default",
    ]
    cand = _Candidates()
    _toxic_zones(cand, h, weather=weather, terrain=terrain, release_minutes=release_minutes)
    _flammable_gas_zones(cand, h, radiative_fraction=radiative_fraction)
    _pool_fire_zones(cand, h)
    _default_zones(cand, h, defaults)
    if not cand.parts:
        return _empty_output()
    c = cand.joined()
    pick = _largest_per_site_and_hazard(h, c)
    if pick.size == 0:
        return _empty_output()
    notes_kw = {
        "weather": weather,
        "terrain": terrain,
        "stability": stability,
        "wind": wind,
        "release_minutes": float(release_minutes),
        "radiative_fraction": float(radiative_fraction),
    }
    out = _output_frame(holdings, h, c, pick, models, defaults, notes_kw)
    logger.debug("%d zone(s) from %d holding(s)", len(out), h.n)
    return out


def _check_options(
    weather: str, terrain: str, radiative_fraction: float, release_minutes: float
) -> tuple[str, float]:
    """Validate the model options; return the stability class and wind speed."""
    stability, wind = _stability(weather)
    check_choice("terrain", terrain, _TERRAINS)
    if not (0.0 < float(radiative_fraction) <= 1.0):
        raise ChoiceError(f"radiative_fraction must be in (0, 1]; got {radiative_fraction!r}")
    if not (math.isfinite(float(release_minutes)) and float(release_minutes) > 0):
        raise ChoiceError(f"release_minutes must be a positive number; got {release_minutes!r}")
    return stability, wind


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
    has_p2: np.ndarray
    has_p5: np.ndarray
    qty_t: np.ndarray
    mass: np.ndarray
    usable: np.ndarray
    indoor: np.ndarray
    dike: np.ndarray

    def prop(self, column: str) -> np.ndarray:
        """Property ``column`` of each holding's substance (NaN where unknown)."""
        vals = _properties_table()[column].to_numpy(dtype=float)
        per_key = np.where(self.pos >= 0, vals[np.clip(self.pos, 0, None)], np.nan)
        return per_key[self.key_codes]

    def prop_has(self, hazard: str) -> np.ndarray:
        """Return True where the property table lists ``hazard`` for the holding's substance."""
        hazards = _properties_table()["hazards"]
        per_key = np.array(
            [p >= 0 and hazard in hazards.iat[p].split(";") for p in self.pos], dtype=bool
        )
        return per_key[self.key_codes]


def _read_holdings(holdings: pd.DataFrame, defaults: pd.DataFrame, *, indoor: bool) -> _Holdings:
    """Substance, categories, quantity and per-holding options of each holding."""
    n = len(holdings)
    props = _properties_table()
    key_codes, key_uniques = pd.factorize(
        holdings["substance_key"].fillna("").astype(str), use_na_sentinel=False
    )
    norm_keys = pd.Index([str(k).strip().lower() for k in key_uniques])
    pos = props.index.get_indexer(norm_keys)
    surrogate_u = np.array([props["surrogate"].iat[p] if p >= 0 else "" for p in pos], dtype=object)

    all_codes = sorted(set(_H_CODES) | set(_P5_CODES) | {"P2"} | set(defaults["code"]))
    flags = _category_flags(holdings["categories"], all_codes)
    col = {c: j for j, c in enumerate(all_codes)}

    qty_t = pd.to_numeric(holdings["quantity_t"], errors="coerce").to_numpy(dtype=float)
    mass = qty_t * 1000.0
    usable = np.isfinite(mass) & (mass > 0)
    if (~usable).any():
        logger.info("%d holding(s) without a positive quantity ignored", int((~usable).sum()))
    indoor_h = (
        _bool_column(holdings["indoor"], bool(indoor))
        if "indoor" in holdings.columns
        else np.full(n, bool(indoor))
    )
    dike = (
        pd.to_numeric(holdings["dike_area_m2"], errors="coerce").to_numpy(dtype=float)
        if "dike_area_m2" in holdings.columns
        else np.full(n, np.nan)
    )
    site_codes, site_uniques = pd.factorize(holdings["site_id"].astype(str), use_na_sentinel=False)
    return _Holdings(
        n=n,
        site_codes=site_codes,
        site_uniques=site_uniques,
        key_codes=key_codes,
        pos=pos,
        known=(pos >= 0)[key_codes],
        surrogate_u=surrogate_u,
        flags=flags,
        col=col,
        has_h=flags[:, [col[c] for c in sorted(_H_CODES)]].any(axis=1),
        has_p2=flags[:, col["P2"]],
        has_p5=flags[:, [col[c] for c in sorted(_P5_CODES)]].any(axis=1),
        qty_t=qty_t,
        mass=mass,
        usable=usable,
        indoor=indoor_h,
        dike=dike,
    )


@dataclass
class _Candidates:
    """Candidate zones of all models, one part per model run (concatenated at the end)."""

    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(self, rows: np.ndarray, hazard: str, zone_m: Any, model: int, **extra: Any) -> None:
        """Add the zones of holdings ``rows`` for ``hazard`` from model code ``model``."""
        k = len(rows)
        self.parts.append(
            {
                "row": rows,
                "hazard": np.full(k, HAZARDS.index(hazard), dtype=np.int8),
                "zone_m": np.asarray(zone_m),
                "model": np.full(k, model, dtype=np.int8),
                "capped": extra.get("capped", np.zeros(k, dtype=bool)),
                "flag": extra.get("flag", np.zeros(k, dtype=bool)),
                "default": extra.get("default", np.full(k, -1, dtype=np.int32)),
            }
        )

    def joined(self) -> dict[str, np.ndarray]:
        """All candidates as one array per field."""
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def _toxic_zones(
    cand: _Candidates, h: _Holdings, *, weather: str, terrain: str, release_minutes: float
) -> None:
    """Toxic plume for holdings with an H category or a toxic substance with an endpoint."""
    endpoint = h.prop("toxic_endpoint_mg_m3")
    tox = np.flatnonzero(
        h.usable & h.known & np.isfinite(endpoint) & (h.has_h | h.prop_has("toxic"))
    )
    if tox.size:
        rate = _toxic_release_rate(h.mass[tox], release_minutes, h.indoor[tox])
        dist, capped = plume_distance_m(rate, endpoint[tox], weather=weather, terrain=terrain)
        cand.add(tox, "toxic", dist, _TOXIC, capped=np.asarray(capped), flag=h.indoor[tox])


def _flammable_gas_zones(cand: _Candidates, h: _Holdings, *, radiative_fraction: float) -> None:
    """Vapour cloud explosion and fireball for flammable gases (P2 or listed so)."""
    hc = h.prop("heat_of_combustion_kj_kg")
    gas_ok = h.usable & h.known & np.isfinite(hc)
    vce = np.flatnonzero(gas_ok & (h.has_p2 | h.prop_has("explosion")))
    if vce.size:
        cand.add(vce, "explosion", vce_distance_m(h.mass[vce], hc[vce]), _VCE)
    fbl = np.flatnonzero(gas_ok & (h.has_p2 | h.prop_has("fireball")))
    if fbl.size:
        d = fireball_distance_m(h.mass[fbl], hc[fbl], radiative_fraction=float(radiative_fraction))
        cand.add(fbl, "fireball", d, _FIREBALL)


def _pool_fire_zones(cand: _Candidates, h: _Holdings) -> None:
    """Pool fire for flammable liquids (P5a-P5c or listed so), pool limited by a dike."""
    hc = h.prop("heat_of_combustion_kj_kg")
    hv = h.prop("heat_of_vaporisation_kj_kg")
    cp = h.prop("liquid_heat_capacity_kj_kg_k")
    tb = h.prop("boiling_point_k")
    rho = h.prop("liquid_density_kg_m3")
    pool_ok = h.usable & h.known & np.isfinite(hc)
    pool_ok &= np.isfinite(hv) & np.isfinite(cp) & np.isfinite(tb) & np.isfinite(rho)
    pf = np.flatnonzero(pool_ok & (h.has_p5 | h.prop_has("fire")))
    if pf.size:
        area = pool_area_m2(h.mass[pf], rho[pf], dike_area_m2=h.dike[pf])
        d = pool_fire_distance_m(area, hc[pf], hv[pf], cp[pf], tb[pf])
        diked = np.isfinite(h.dike[pf]) & (h.dike[pf] > 0)
        cand.add(pf, "fire", d, _POOL_FIRE, flag=diked)


def _default_zones(cand: _Candidates, h: _Holdings, defaults: pd.DataFrame) -> None:
    """Default zone of each category for holdings whose substance is not identified."""
    unknown = h.usable & ~h.known
    for i, rec in enumerate(defaults.itertuples(index=False)):
        rows = np.flatnonzero(unknown & h.flags[:, h.col[rec.code]])
        if rows.size:
            zone_m = np.full(rows.size, float(rec.zone_km) * 1000.0)
            at_cap = rec.hazard == "toxic" and zone_m[0] >= MAX_TOXIC_DISTANCE_M
            capped = np.full(rows.size, at_cap)
            default = np.full(rows.size, i)
            cand.add(rows, rec.hazard, zone_m, _DEFAULT, capped=capped, default=default)


def _largest_per_site_and_hazard(h: _Holdings, c: dict[str, np.ndarray]) -> np.ndarray:
    """Index of the controlling candidate per (site, hazard), sorted by site then hazard.

    Ties go to the first holding; sites sort by their id as text.
    """
    site_codes, site_uniques = h.site_codes, h.site_uniques
    site_rank = np.empty(len(site_uniques), dtype=np.int64)
    site_rank[np.argsort(np.asarray(site_uniques, dtype=object).astype(str), kind="stable")] = (
        np.arange(len(site_uniques))
    )
    group = site_rank[site_codes[c["row"]]] * len(HAZARDS) + c["hazard"]
    zone = np.where(np.isfinite(c["zone_m"]), c["zone_m"], -np.inf)
    order = np.lexsort((c["row"], -zone, group))
    first = np.ones(order.size, dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    pick = order[first]
    return pick[np.isfinite(zone[pick])]


def _output_frame(
    holdings: pd.DataFrame,
    h: _Holdings,
    c: dict[str, np.ndarray],
    pick: np.ndarray,
    models: list[str],
    defaults: pd.DataFrame,
    notes_kw: dict[str, Any],
) -> pd.DataFrame:
    """One row per controlling candidate, with the note that explains it."""
    rows = c["row"][pick]
    model_code = c["model"][pick]
    capped = c["capped"][pick]
    surrogate = h.surrogate_u[h.key_codes[rows]] if len(rows) else np.array([], dtype=object)
    notes = _notes(
        model_code,
        capped,
        c["flag"][pick],
        surrogate,
        c["default"][pick],
        h.qty_t[rows],
        defaults,
        **notes_kw,
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
            "zone_km": c["zone_m"][pick] / 1000.0,
            "model": np.asarray(models, dtype=object)[model_code],
            "capped": capped.astype(bool),
            "default_used": model_code == _DEFAULT,
            "note": notes,
        }
    )
    for col in ("site_id", "hazard", "substance_key", "model", "note"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)


def _empty_output() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": pd.Series([], dtype="str"),
            "hazard": pd.Series([], dtype="str"),
            "substance_key": pd.Series([], dtype="str"),
            "quantity_t": pd.Series([], dtype=float),
            "zone_km": pd.Series([], dtype=float),
            "model": pd.Series([], dtype="str"),
            "capped": pd.Series([], dtype=bool),
            "default_used": pd.Series([], dtype=bool),
            "note": pd.Series([], dtype="str"),
        }
    )


def _notes(
    model_code: np.ndarray,
    capped: np.ndarray,
    flag: np.ndarray,
    surrogate: np.ndarray,
    default_code: np.ndarray,
    qty_t: np.ndarray,
    defaults: pd.DataFrame,
    *,
    weather: str,
    terrain: str,
    stability: str,
    wind: float,
    release_minutes: float,
    radiative_fraction: float,
) -> np.ndarray:
    """Build the note of each output row from the few distinct combinations."""
    covers = defaults["covers_t"].to_numpy(dtype=float)
    above = np.zeros(len(model_code), dtype=bool)
    is_def = default_code >= 0
    above[is_def] = np.isfinite(covers[default_code[is_def]]) & (
        qty_t[is_def] > covers[default_code[is_def]]
    )
    combo = pd.DataFrame(
        {
            "m": model_code,
            "c": capped,
            "f": flag,
            "s": surrogate.astype(str) if len(surrogate) else np.array([], dtype=str),
            "d": default_code,
            "a": above,
        }
    )
    codes, uniq = pd.factorize(pd.MultiIndex.from_frame(combo))
    texts = []
    for m, c, f, s, d, a in uniq:
        bits: list[str] = []
        if m == 0:
            bits.append(
                f"Gaussian plume, Briggs {terrain} {stability}, {wind:g} m/s ({weather} case); "
                f"whole inventory released over {release_minutes:g} min; "
                "dense gas treated as neutral (no dense-gas model)"
            )
            if f:
                bits.append(f"release inside a building: rate x {INDOOR_FACTOR}")
            if c:
                bits.append(
                    f"endpoint still exceeded at the {MAX_TOXIC_DISTANCE_M / 1000:g} km cap"
                )
        elif m == 1:
            bits.append("vapour cloud explosion to 1 psi, TNT equivalence, 10 % yield")
        elif m == 2:
            bits.append(
                f"BLEVE fireball, 5 kW/m2 for 40 s dose, radiative fraction {radiative_fraction:g}"
            )
        elif m == 3:
            bits.append(
                "pool fire to 5 kW/m2 (point source), pool limited by dike area"
                if f
                else "pool fire to 5 kW/m2 (point source), pool spread to 1 cm depth"
            )
        else:
            rec = defaults.iloc[int(d)]
            bits.append(
                f"substance not identified: default for category {rec['code']} "
                f"({rec['zone_km']:g} km)"
            )
            if rec["hazard"] == "toxic":
                bits.append("dense gas treated as neutral")
            if a:
                bits.append(
                    f"quantity above the {rec['covers_t']:g} t the default covers: "
                    "may underestimate"
                )
        if s:
            bits.append(f"properties of {s} used")
        texts.append("; ".join(bits))
    return np.asarray(texts, dtype=object)[codes] if len(codes) else np.array([], dtype=object)
