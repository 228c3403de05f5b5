"""Run parameters of a dossier, with plain-language labels in the dossier's language.

The JSON dossier keeps every parameter of the run under its key; the Markdown and HTML dossiers
show only the parameters that have a label here, as a two-column table, and leave internal keys
(table digests, versions) to the JSON and run.json.
"""

from __future__ import annotations

from typing import Any

from hazid.i18n import N_
from hazid.notify.values import _localize

PARAMETER_LABELS = {
    "regime": N_("Threshold regime"),
    "annex_version": N_("Annex I version"),
    "cluster_km": N_("Distance grouping sites into one establishment (km)"),
    "weather": N_("Weather of the consequence zones"),
    "terrain": N_("Terrain"),
    "wind_from": N_("Wind direction, from (degrees)"),
    "sector_deg": N_("Width of the downwind sector (degrees)"),
    "uncertainty_km": N_("Position uncertainty of zones and borders (km)"),
    "water": N_("Activities assessed for the water pathway"),
    "release_fraction": N_("Fraction of the inventory released to water"),
    "snap_km": N_("Largest distance from a site to a river (km)"),
    "horizon_days": N_("River horizon (days)"),
    "horizon_h": N_("River horizon (h)"),
    "water_threshold_mg_l": N_("River concentration threshold (mg/L)"),
    "threshold_mg_l": N_("River concentration threshold (mg/L)"),
    "decay_per_h": N_("Decay rate in rivers (per hour)"),
    "response_days": N_("Time for a reply (days)"),
    "tailings_unverified": N_("Unverified run-out relation of tailings dams accepted"),
}
#: Values of the run parameters that are words.
PARAMETER_VALUES = {
    "worst": N_("worst case (stability class F, wind 1.5 m/s)"),
    "alternative": N_("alternative (stability class D, wind 3 m/s)"),
    "rural": N_("rural"),
    "urban": N_("urban"),
    "aquatic": N_("those holding substances hazardous to the aquatic environment"),
    "all": N_("all hazardous activities"),
    "convention": N_("Convention (Annex I)"),
    "seveso-lower": N_("Seveso III, lower tier"),
    "seveso-upper": N_("Seveso III, upper tier"),
    "True": N_("yes"),
    "False": N_("no"),
}


#: Parameters of one pathway only: left out of a dossier whose pair has no effect by it.
PATHWAY_PARAMETERS = {
    "air": frozenset({"weather", "terrain", "wind_from", "sector_deg", "uncertainty_km"}),
    "water": frozenset(
        {"water", "release_fraction", "snap_km", "horizon_days", "horizon_h",
         "water_threshold_mg_l", "threshold_mg_l", "decay_per_h", "tailings_unverified"}
    ),
}  # fmt: skip


def _parameter_rows(
    t: Any, params: dict[str, Any], pathways: frozenset[str] = frozenset({"air", "water"})
) -> list[tuple[str, str]]:
    """Run parameters with plain-language labels, those of the pair's pathways only.

    Internal keys (table digests, versions) are left to the JSON dossier and run.json.
    """
    skip = set().union(*(keys for p, keys in PATHWAY_PARAMETERS.items() if p not in pathways))
    rows = []
    for key, value in sorted(params.items()):
        label = PARAMETER_LABELS.get(key)
        if label is None or value in (None, "") or key in skip:
            continue
        text = str(value)
        if text in PARAMETER_VALUES:
            text = t(PARAMETER_VALUES[text])
        else:
            text = _localize(text, t.lang) if _is_number(text) else text
        rows.append((t(label), text))
    return sorted(set(rows), key=lambda r: r[0])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lstrip("-").replace(".", "", 1).isdigit()
