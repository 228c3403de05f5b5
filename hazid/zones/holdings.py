"""Holdings as the models see them: substance properties, categories and release terms.

Each holding's substance is looked up once per distinct key in the property table; its
Annex I categories become flags; its release terms are the largest vessel (else the whole
holding), the storage state, the bund area and whether it is inside a building.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hazid.errors import InventoryError, check_choice
from hazid.zones import models
from hazid.zones.properties import _properties_table
from hazid.zones.source import STORAGE_STATES

logger = logging.getLogger(__name__)

_H_CODES = frozenset({"H1", "H2", "H3"})
_P5_CODES = frozenset({"P5a", "P5b", "P5c"})
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
