"""Evidence: the sentence that says why an activity reaches, or may reach, another Party.

One sentence per row of the assessment, in the dossier's language: the air zone against the
border, the river trace, a tailings dam failure, or a gap in the data (never "no effect").
"""

from __future__ import annotations

import numpy as np

from hazid.i18n import N_, gettext, translator
from hazid.notify.tailings import overland_text, tailings_head, tailings_values
from hazid.notify.values import _f1, _fadapt, _fconc, _isnan, _localize

#: Names of the hazards of :data:`hazid.zones.HAZARDS`, for translation.
HAZARD_LABELS = {
    "explosion": N_("explosion"),
    "fire": N_("fire"),
    "fireball": N_("fireball"),
    "toxic": N_("toxic"),
}


def hazard_label(hazard: str, lang: str = "en") -> str:
    """Name of a hazard in ``lang`` (unknown names unchanged, ``consequence`` when empty)."""
    if not hazard:
        return gettext("consequence", lang)
    return gettext(HAZARD_LABELS[hazard], lang) if hazard in HAZARD_LABELS else hazard


def _air_evidence(
    hazard: str,
    zone: float,
    border: float,
    margin: float,
    affected: str,
    *,
    flagged: bool = False,
    band_km: float | None = None,
    undetermined: bool = False,
    lang: str = "en",
) -> str:
    """Evidence sentence of an air row, in ``lang``."""
    tr = translator(lang)
    values = {
        "hazard": hazard_label(hazard, lang),
        "zone": _f1(zone, lang),
        "border": _f1(border, lang),
        "affected": affected,
    }
    if _isnan(margin):
        return tr.gettext(
            "air: {hazard} zone {zone} km, distance to {affected} {border} km (margin unknown)"
        ).format(**values)
    extra = ""
    if undetermined:
        extra = tr.gettext(", zone undetermined (> 40 km: beyond the reach of the model)")
    elif flagged:
        extra = tr.gettext(", flagged uncertain")
    elif band_km is not None:
        extra = tr.gettext(", within the {band} km uncertainty").format(
            band=_localize(f"{band_km:.1f}", lang)
        )
    if margin >= 0:
        text = tr.gettext(
            "air: {hazard} zone {zone} km reaches {affected} {border} km away "
            "(margin {margin} km{extra})"
        )
    else:
        text = tr.gettext(
            "air: {hazard} zone {zone} km stops {short} km short of {affected} {border} km "
            "away (margin {margin} km{extra})"
        )
    return text.format(
        **values, short=_f1(abs(margin), lang), margin=_f1(margin, lang), extra=extra
    )


#: Reasons of a water pathway that could not be assessed (start of the river layer's text).
_GAP_REASONS: dict[str, str] = {
    "no river reach within": N_("no river reach within the snap distance of the site"),
    "network ambiguous": N_("the river network is ambiguous there"),
    "trace ends at the edge": N_("the trace ends at the edge of the river data"),
    "release mass unknown": N_("the mass released to water is unknown"),
}


def _gap_evidence(note: str, lang: str) -> str | None:
    """Evidence of a water row that stands for a gap in the data (None for other rows)."""
    if "not assessed" not in note:
        return None
    tr = translator(lang)
    reason = next((r for key, r in _GAP_REASONS.items() if key in note), None)
    reason_txt = tr.gettext(reason) if reason else tr.gettext("a gap in the river data")
    return tr.gettext(
        "water: pathway not assessed ({reason}); the affected Party lies within reach of the "
        "gap, so it is asked to consult: a gap in the data is not an absence of effect"
    ).format(reason=reason_txt)


def _water_evidence(
    river: str,
    river_km: float,
    arrival: float,
    peak: float,
    *,
    beyond: bool,
    horizon_h: float | None,
    threshold_mg_l: float | None,
    lang: str = "en",
    note: str = "",
    head: str | None = None,
) -> str:
    """Evidence sentence of a water row, in ``lang`` (after ``head``, e.g. a tailings one)."""
    gap = _gap_evidence(note, lang) if note and head is None and np.isnan(arrival) else None
    if gap is not None:
        return gap
    tr = translator(lang)
    if _isnan(peak):
        peak_txt = tr.gettext("peak not computed")
    else:
        peak_txt = tr.gettext("peak {peak} mg/L").format(peak=_fconc(peak, lang))
    if head is None:
        form = tr.gettext("water: {river}, {km} km, arrival {arrival} h, {peak}")
    else:
        form = tr.gettext("{head}: {river}, {km} km, arrival {arrival} h, {peak}")
    text = form.format(
        head=head,
        river=river or tr.gettext("unnamed river"),
        km=_fadapt(river_km, lang),
        arrival=_fadapt(arrival, lang),
        peak=peak_txt,
    )
    thr = None if threshold_mg_l is None else _localize(f"{threshold_mg_l:g}", lang)
    if np.isnan(arrival):
        text += tr.gettext(" (arrival time not computed)")
    elif beyond:
        text += tr.gettext(" (beyond the {horizon} h horizon)").format(
            horizon=_localize(f"{horizon_h:g}", lang)
        )
    elif threshold_mg_l is not None and np.isnan(peak):
        text += tr.gettext(" (the {threshold} mg/L threshold could not be tested)").format(
            threshold=thr
        )
    elif threshold_mg_l is not None and peak < threshold_mg_l:
        text += tr.gettext(" (below the {threshold} mg/L threshold)").format(threshold=thr)
    return text


def _tailings_evidence(
    r: dict, *, beyond: bool, horizon_h: float | None, threshold_mg_l: float | None,
    lang: str = "en",
) -> str:  # fmt: skip
    """Evidence sentence of a tailings row (``r``: the row's values), in ``lang``."""
    v = tailings_values(r)
    if not v["river"] and _isnan(v["river_km"]):  # overland: the run-out envelope
        return overland_text(v["runout_km"], str(r["affected"]), v["snap_km"], lang)
    head = tailings_head(v["runout_km"], v["contaminant"], v["released_kg"], v["snap_km"], lang)
    return _water_evidence(v["river"], v["river_km"], v["arrival_h"], v["peak_mg_l"],
                           beyond=beyond, horizon_h=horizon_h, threshold_mg_l=threshold_mg_l,
                           lang=lang, head=head)  # fmt: skip
