"""Column headings of the result tables in the language of the run (``results.xlsx``).

CSV files keep the language-neutral column keys (``site_id``, ``margin_km``), so that scripts
and later runs read them the same way in every language; the workbook shows people a heading in
their language, with the unit. A column without a heading here shows its key.
"""

from __future__ import annotations

from collections.abc import Callable

from hazid.i18n import N_, check_lang, gettext

__all__ = ["HEADINGS", "heading_function"]

#: Column key -> English heading (marked for translation).
HEADINGS: dict[str, str] = {
    "site_id": N_("Site ID"),
    "site_name": N_("Site name"),
    "country": N_("Country (inventory)"),
    "lon": N_("Longitude (°)"),
    "lat": N_("Latitude (°)"),
    "hazardous": N_("Hazardous activity"),
    "health_ratio": N_("Health hazards: sum of q/Q"),
    "physical_ratio": N_("Physical hazards: sum of q/Q"),
    "environmental_ratio": N_("Environmental hazards: sum of q/Q"),
    "max_single_ratio": N_("Largest single q/Q"),
    "reasons": N_("Why hazardous"),
    "regime": N_("Threshold regime"),
    "annex_version": N_("Annex I version"),
    "cluster_id": N_("Cluster"),
    "operator": N_("Operator"),
    "activity_type": N_("Type of activity"),
    "address": N_("Address"),
    "site_country": N_("Country of the site (borders)"),
    "country_snapped": N_("Site moved onto land"),
    "country_warning": N_("Country warning"),
    "border_km": N_("Distance to the border (km)"),
    "nearest_foreign": N_("Nearest foreign country"),
    "water_mass_kg": N_("Mass that could reach water (kg)"),
    "substance": N_("Substance"),
    "cas": N_("CAS number"),
    "annex_entry": N_("Annex I entry"),
    "threshold_t": N_("Threshold (t)"),
    "quantity_t": N_("Maximum quantity (t)"),
    "ratio": N_("q/Q"),
    "groups": N_("Summation groups"),
    "substance_key": N_("Substance key"),
    "categories": N_("Annex I categories"),
    "in_sum": N_("Counted in the sums"),
    "isolated_small": N_("Isolated small quantity"),
    "indoor": N_("Inside a building"),
    "substance_name": N_("Substance as written"),
    "row": N_("Row in the inventory"),
    "affected": N_("Affected Party"),
    "origin": N_("Party of origin"),
    "pathway": N_("Pathway"),
    "hazard": N_("Hazard"),
    "zone_km": N_("Zone (km)"),
    "margin_km": N_("Margin beyond the border (km)"),
    "uncertain": N_("Uncertain"),
    "zone_worst_km": N_("Zone, worst case (km)"),
    "zone_alternative_km": N_("Zone, alternative case (km)"),
    "undetermined": N_("Zone undetermined (beyond the model)"),
    "river": N_("River"),
    "river_km": N_("Distance downstream (km)"),
    "arrival_h": N_("Arrival (h)"),
    "peak_h": N_("Peak (h)"),
    "peak_mg_l": N_("Peak concentration (mg/L)"),
    "snap_km": N_("Distance from the site to the river (km)"),
    "water_note": N_("Water pathway note"),
    "contaminant": N_("Contaminant (tailings)"),
    "released_kg": N_("Contaminant released by the dam failure (kg)"),
    "runout_km": N_("Run-out of the tailings (km)"),
    "tailings_note": N_("Tailings pathway note"),
    "status": N_("Status"),
    "n_activities": N_("Activities"),
    "n_notify": N_("Activities to notify"),
    "n_consult": N_("Activities to consult on"),
    "n_screened": N_("Activities screened"),
    "pathways": N_("Pathways"),
    "dossier": N_("Dossier"),
    "voluntary": N_("Voluntary exchange (not both Parties)"),
    "evidence": N_("Evidence"),
    "population_affected": N_("People of the affected Party inside the zone"),
}


def heading_function(lang: str) -> Callable[[str], str]:
    """Return a function giving the heading of a column key in ``lang``.

    Parameters
    ----------
    lang : {"en", "ru"}
        Language of the headings.

    Returns
    -------
    callable
        Column key -> heading; a key without a heading is returned as it is.

    Examples
    --------
    >>> heading_function("en")("margin_km")
    'Margin beyond the border (km)'
    >>> heading_function("ru")("quantity_t")
    'Максимальное количество (т)'
    >>> heading_function("ru")("my_column")
    'my_column'
    """
    lang = check_lang(lang)

    def heading(key: str) -> str:
        english = HEADINGS.get(key)
        return key if english is None else gettext(english, lang)

    return heading
