"""Method, data sources, run parameters and limitations stated in a dossier.

A dossier says how its statuses were decided (the status rules with the parameters of the
run), which data it rests on and what the screening cannot tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from hazid.notify.values import _jnum, _jsig, _jstr, _text

_SOURCE_KEYS = ("inventory", "borders", "rivers", "lakes", "population")
_RUN_SKIP = {
    "date",
    "finished_utc",  # the time of a run is in run.json only: dossiers carry the date
    "limitations",
    "dense_gas_note",
    "parameters",
    "inputs",
    "versions",
    "stages",
    "counts",
    "warnings",
    *_SOURCE_KEYS,
    *(f"{k}_source" for k in _SOURCE_KEYS),
}
_DENSE_GAS_NOTE = (
    "Dense gases (chlorine, ammonia) are treated as neutrally buoyant in the plume model; "
    "real dense-gas clouds hug the ground and follow terrain."
)
_WEATHER_TEXT = {
    "worst": "worst-case weather: stability class F, wind 1.5 m/s",
    "alternative": "alternative weather: stability class D, wind 3 m/s",
}
_ZONE_LIMITATION = (
    "Consequence zones are screening distances (after the US EPA RMP offsite consequence "
    "analysis: whole inventory released, {weather}); they show where effects cannot be ruled "
    "out, not where they will occur."
)
_DEFAULT_LIMITATIONS = (
    "River arrival times and peak concentrations are screening estimates (USGS method, "
    "Jobson 1996) assuming the released mass reaches the nearest river reach at once and "
    "mixes fully; without discharge data only travel times are given.",
    "Distances to borders depend on the generalisation of the border data used.",
)


def _flatten(run: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for k in sorted(run, key=str):
        v = run[k]
        key = f"{prefix}{k}"
        if not prefix and k in _RUN_SKIP:
            continue
        if isinstance(v, Mapping):
            out.extend(_flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            out.append((key, "; ".join(str(x) for x in v)))
        elif v is None:
            continue
        elif isinstance(v, float):
            out.append((key, f"{v:g}"))
        else:
            out.append((key, str(v)))
    return out


def _run_value(run: Mapping[str, Any], key: str) -> Any:
    """``run[key]``, else ``run["parameters"][key]`` (the layout of a hazid run.json)."""
    if run.get(key) is not None:
        return run[key]
    params = run.get("parameters")
    return params.get(key) if isinstance(params, Mapping) else None


def _source_text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        name = _jstr(value.get("name")) or _jstr(value.get("path"))
        if name is None:
            return "; ".join(f"{k}: {v}" for k, v in _flatten(value)) or None
        sha = _jstr(value.get("sha256"))
        return f"{name} (SHA-256 {sha})" if sha else name
    return _jstr(value)


def _method(run: Mapping[str, Any], sites: pd.DataFrame, params: Mapping[str, Any]) -> dict:
    def _one(key: str) -> str | None:
        if _jstr(_run_value(run, key)):
            return str(_run_value(run, key))
        vals = sorted(set(_text(sites, key)) - {""})
        return "; ".join(vals) or None

    inputs = run.get("inputs") if isinstance(run.get("inputs"), Mapping) else {}
    sources: dict[str, str | None] = {str(k): _source_text(v) for k, v in inputs.items()}
    for k in _SOURCE_KEYS:
        sources[k] = (
            _source_text(run.get(k)) or _source_text(run.get(f"{k}_source")) or sources.get(k)
        )
    for k in ("borders", "rivers"):
        sources[k] = sources[k] or "not stated"
    run_parameters = dict(_flatten(run))
    if isinstance(run.get("parameters"), Mapping):
        run_parameters.update(_flatten(run["parameters"]))
    extras: list[str] = []
    for key in ("warnings", "limitations"):
        extra = run.get(key) or []
        extras.extend(str(x) for x in ([extra] if isinstance(extra, str) else extra))
    weather = str(_run_value(run, "weather") or "worst")
    limitations = [
        str(run.get("dense_gas_note") or _DENSE_GAS_NOTE),
        _ZONE_LIMITATION.format(weather=_WEATHER_TEXT.get(weather, f"weather {weather}")),
        *_DEFAULT_LIMITATIONS,
    ]
    if not run.get("dense_gas_note") and any("dense gas" in x.lower() for x in extras):
        limitations = limitations[1:]  # the run states it in its own words
    limitations.extend(x for x in extras if x not in limitations)
    unc = params["uncertainty_km"]
    water_rule = "pollution reaches it by river"
    if params["horizon_h"] is not None:
        water_rule += f" within {params['horizon_h']:g} h"
    if params["threshold_mg_l"] is not None:
        water_rule += f" at a peak concentration of at least {params['threshold_mg_l']:g} mg/L"
    rules = [
        "notify: a consequence zone reaches into the affected Party (margin >= 0 km) and is "
        f"not uncertain, or {water_rule}.",
        f"consult: the zone edge lies within {unc:g} km of the border (|margin| < {unc:g} km), "
        "the zone is flagged uncertain, or a river arrival time"
        + (" or peak concentration" if params["threshold_mg_l"] is not None else "")
        + " could not be computed.",
        "none: the effect stops short of the affected Party.",
        "Activities that are not hazardous under Annex I are never notified.",
    ]
    return {
        "method": {
            "regime": _one("regime"),
            "annex_version": _one("annex_version"),
            "uncertainty_km": _jnum(unc, 3),
            "horizon_h": _jnum(params["horizon_h"], 3),
            "threshold_mg_l": _jsig(params["threshold_mg_l"]),
            "status_rules": rules,
        },
        "data_sources": {k: v for k, v in sources.items() if v is not None},
        "run_parameters": dict(sorted(run_parameters.items())),
        "limitations": limitations,
    }
