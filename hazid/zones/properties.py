"""Substance properties: the physical and toxic data the zone models need, per substance key."""

from __future__ import annotations

import functools

import pandas as pd

from hazid.errors import AnnexDataError
from hazid.zones._base import _data_file

_PROPERTY_COLUMNS = (
    "substance_key",
    "name",
    "cas",
    "molecular_weight",
    "heat_of_combustion_kj_kg",
    "heat_of_vaporisation_kj_kg",
    "liquid_heat_capacity_kj_kg_k",
    "boiling_point_k",
    "liquid_density_kg_m3",
    "toxic_endpoint_mg_m3",
    "state_25c",
    "hazards",
    "surrogate",
    "source",
)


@functools.cache
def _properties_table() -> pd.DataFrame:
    with _data_file("substance_properties.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"substance_key": str, "cas": str}, keep_default_na=True)
    missing = [c for c in _PROPERTY_COLUMNS if c not in table.columns]
    if missing:
        raise AnnexDataError(f"substance_properties.csv lacks columns: {', '.join(missing)}")
    if table["substance_key"].duplicated().any():
        dup = table.loc[table["substance_key"].duplicated(), "substance_key"].tolist()
        raise AnnexDataError(f"substance_properties.csv repeats keys: {dup}")
    for col in ("hazards", "surrogate", "name", "cas", "source", "state_25c"):
        table[col] = table[col].fillna("").astype(str)
    return table.set_index("substance_key", drop=False)


def load_substance_properties() -> pd.DataFrame:
    """Return the substance property table shipped with hazid.

    One row per ``substance_key`` with molecular weight, heat of combustion
    (kJ/kg), heat of vaporisation (kJ/kg), liquid heat capacity (kJ/kg/K), normal
    boiling point (K), liquid density (kg/m3), RMP toxic endpoint (mg/m3), state
    at 25 C, the hazards that apply (";"-joined), the surrogate whose properties
    are used (if any) and the source. Provenance of every value is in
    ``hazid/data/substance_properties.md``.

    Returns
    -------
    pandas.DataFrame
        A copy, indexed by ``substance_key``.

    Examples
    --------
    >>> props = load_substance_properties()
    >>> float(props.loc["propane", "heat_of_combustion_kj_kg"])
    46333.0
    >>> float(props.loc["chlorine", "toxic_endpoint_mg_m3"])
    8.7
    """
    return _properties_table().copy()
