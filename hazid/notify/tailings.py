"""Evidence sentences of the ``tailings`` pathway (a tailings dam failure), in each language.

A row of the ``tailings`` pathway either follows a river (the released contaminant entering
the river within the run-out, then the downstream trace: the sentence of a water row after
the ``tailings (...)`` head) or reaches a Party overland (the run-out envelope, a circle and
not a flow path, reaching a foreign Party).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hazid.i18n import translator
from hazid.notify.values import _f1, _fadapt, _isnan

__all__ = ["overland_text", "tailings_head", "tailings_values"]

_NUMBERS = ("river_km", "arrival_h", "peak_mg_l", "runout_km", "released_kg", "snap_km")


def tailings_head(
    runout_km: float, contaminant: str, released_kg: float, entry_km: float, lang: str = "en"
) -> str:
    """Head of a tailings sentence: run-out and released mass, or why they are unknown.

    Examples
    --------
    >>> tailings_head(10.0, "arsenic", 712.9, 5.5)
    'tailings (dam failure, run-out 10.0 km, arsenic 713 kg)'
    >>> tailings_head(float("nan"), "", float("nan"), 2.1)[:40]
    'tailings (dam failure, run-out not asses'
    """
    tr = translator(lang)
    if _isnan(runout_km):
        return tr.gettext(
            "tailings (dam failure, run-out not assessed, the river {entry} km from the dam "
            "assumed reached)"
        ).format(entry=_f1(entry_km, lang))
    if contaminant and not _isnan(released_kg):
        return tr.gettext(
            "tailings (dam failure, run-out {runout} km, {contaminant} {mass} kg)"
        ).format(
            runout=_f1(runout_km, lang), contaminant=contaminant, mass=_fadapt(released_kg, lang)
        )
    return tr.gettext(
        "tailings (dam failure, run-out {runout} km, contaminant mass not computed)"
    ).format(runout=_f1(runout_km, lang))


def overland_text(runout_km: float, affected: str, border_km: float, lang: str = "en") -> str:
    """Sentence of a tailings row reaching a Party overland (flow path not modelled).

    Examples
    --------
    >>> overland_text(10.0, "BBB", 8.4).split(": ")[1]
    'BBB 8.4 km from the dam lies within the run-out envelope (overland; flow path not modelled)'
    """
    tr = translator(lang)
    values = {"affected": affected, "border": _f1(border_km, lang)}
    if _isnan(runout_km):
        return tr.gettext(
            "tailings (dam failure, run-out not assessed): {affected} lies {border} km from the dam"
        ).format(**values)
    return tr.gettext(
        "tailings (dam failure, run-out {runout} km): {affected} {border} km from the dam lies "
        "within the run-out envelope (overland; flow path not modelled)"
    ).format(runout=_f1(runout_km, lang), **values)


def _number(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return np.nan


def _word(x: Any) -> str:
    return "" if x is None or (not isinstance(x, str) and bool(pd.isna(x))) else str(x)


def tailings_values(r: dict[str, Any]) -> dict[str, Any]:
    """Values of a tailings row used by its sentence: numbers (NaN when missing) and names.

    Examples
    --------
    >>> v = tailings_values({"river": None, "river_km": "", "runout_km": 10, "contaminant": "as"})
    >>> v["river"], v["river_km"], v["runout_km"], v["contaminant"]
    ('', nan, 10.0, 'as')
    """
    out: dict[str, Any] = {k: _number(r.get(k)) for k in _NUMBERS}
    out["river"] = _word(r.get("river"))
    out["contaminant"] = _word(r.get("contaminant"))
    return out
