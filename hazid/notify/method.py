"""Method, data sources, run parameters and limitations stated in a dossier.

A dossier says how its statuses were decided (the status rules with the parameters of the
run), which data it rests on and what the screening cannot tell.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from hazid.i18n import N_, gettext, translator
from hazid.notify.values import _jnum, _jsig, _jstr, _localize, _text

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
_DENSE_GAS_NOTE = N_(
    "Dense gases (chlorine, ammonia) are treated as neutrally buoyant in the plume model; "
    "real dense-gas clouds hug the ground and follow terrain."
)
_WEATHER_TEXT = {
    "worst": N_("worst-case weather: stability class F, wind 1.5 m/s"),
    "alternative": N_("alternative weather: stability class D, wind 3 m/s"),
}
_ZONE_LIMITATION = N_(
    "Consequence zones are screening distances (after the US EPA RMP offsite consequence "
    "analysis: the largest vessel released, or the whole holding where the inventory gives no "
    "vessel; {weather}); they show where effects cannot be ruled out, not where they will occur."
)
_WATER_LIMITATION = N_(
    "River arrival times and peak concentrations are screening estimates (USGS method, "
    "Jobson 1996) assuming the released mass reaches the nearest river reach at once and "
    "mixes fully; on river lines without discharge or drainage area (Natural Earth) the "
    "discharge is estimated from the river length upstream (Hack's law, 1957), biased low: "
    "times are approximate and peak concentrations high; without any discharge estimate only "
    "travel times are given."
)
_BORDER_LIMITATION = N_(
    "Distances to borders depend on the generalisation of the border data used."
)
_UNTRANSLATED_WARNINGS = N_(
    "Further warnings of the screening run that concern this pair are recorded, in English, "
    "in run.json: {n}."
)
_NAME_LIST = re.compile(r"\(([^()]*)\)\s*$")
# a warning that lists the sites it concerns: kept with the pair's own sites only
_SITE_LIST = re.compile(r"water pathway not assessed for \d+ site\(s\): ([^:]+): (.*)$")
# an absolute path (POSIX, home or Windows) ending in a file name with an extension, else in a
# word: dossiers go abroad and carry file names only, never local folders
_PATH_TO_FILE = re.compile(
    r"(?:~|[A-Za-z]:)?[/\\](?:[^;\n]*?[/\\])?([^/\\;\n]+\.[A-Za-z0-9]{1,8})(?=$|[\s;,:)'\"])"
)
_PATH = re.compile(r"(?:~|[A-Za-z]:)?(?:[/\\][^\s/\\;,:()'\"]+){2,}")


@functools.lru_cache(maxsize=1024)  # a run's warnings, read again for every dossier
def _without_paths(text: str) -> str:
    r"""Replace the absolute paths in a text by their file names.

    Examples
    --------
    >>> _without_paths("repaired 3 polygons of /home/анна/Мои документы/borders.gpkg; ok")
    'repaired 3 polygons of borders.gpkg; ok'
    >>> _without_paths("cannot read C:\\Users\\ivan\\data\\x.csv")
    'cannot read x.csv'
    >>> _without_paths("folder /srv/data/cache left alone, 1/2 kept")
    'folder cache left alone, 1/2 kept'
    """
    text = _PATH_TO_FILE.sub(lambda m: m.group(1), text)
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(0))[-1], text)


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


#: What a dossier says of the default geodata shipped with hazid, per input.
EMBEDDED_NOTES = {
    "borders": N_(
        "Natural Earth 1:10,000,000 borders shipped with hazid: generalised for maps, not "
        "surveyed boundaries"
    ),
    "rivers": N_(
        "Natural Earth 1:10,000,000 rivers shipped with hazid: large rivers only, no discharge"
    ),
    "lakes": N_(
        "Natural Earth 1:10,000,000 lakes shipped with hazid: large lakes and reservoirs only"
    ),
}


def _source_entry(key: str, value: Any, lang: str) -> str | None:
    """Name a data source; a list of files one by one; the shipped defaults with their limits."""
    if isinstance(value, list):
        parts = [t for t in (_source_entry(key, v, lang) for v in value) if t]
        return "; ".join(parts) or None
    text = _source_text(value)
    note = EMBEDDED_NOTES.get(str(key))
    if text and note and isinstance(value, Mapping) and value.get("origin") == "embedded":
        text = f"{text} ({gettext(note, lang)})"
    return text


def _source_text(value: Any) -> str | None:
    """Name a data source by its file name (never a local folder) and SHA-256, if known."""
    if isinstance(value, Mapping):
        name = _jstr(value.get("name")) or _jstr(value.get("path"))
        if name is None:
            text = "; ".join(f"{k}: {v}" for k, v in _flatten(value)) or None
            return None if text is None else _without_paths(text)
        sha = _jstr(value.get("sha256"))
        name = _without_paths(name)
        return f"{name} (SHA-256 {sha})" if sha else name
    text = _jstr(value)
    return None if text is None else _without_paths(text)


def _site_values(run: Mapping[str, Any], sites: pd.DataFrame) -> dict[str, str | None]:
    """Return the regime and Annex I version of a run: its own, else the sites' distinct values."""
    out: dict[str, str | None] = {}
    for key in ("regime", "annex_version"):
        if _jstr(_run_value(run, key)):
            out[key] = str(_run_value(run, key))
        else:
            vals = sorted(set(_text(sites, key)) - {""})
            out[key] = "; ".join(vals) or None
    return out


def _method(
    run: Mapping[str, Any],
    sites: pd.DataFrame,
    params: Mapping[str, Any],
    *,
    lang: str = "en",
    pair: Mapping[str, Any] | None = None,
    site_values: Mapping[str, str | None] | None = None,
) -> dict:
    """Gather the method, data sources, run parameters and limitations of a dossier, in ``lang``.

    ``pair`` (``air``: bool, ``water``: bool, ``rivers``: set of names) restricts the
    limitations to those that concern the pair's pathways and rivers.
    ``site_values``: :func:`_site_values` of ``run`` and ``sites``, when already found (the
    same for every dossier of a run; found here otherwise).
    """
    values = _site_values(run, sites) if site_values is None else site_values
    inputs = run.get("inputs") if isinstance(run.get("inputs"), Mapping) else {}
    sources: dict[str, str | None] = {str(k): _source_entry(k, v, lang) for k, v in inputs.items()}
    for k in _SOURCE_KEYS:
        sources[k] = (
            _source_text(run.get(k)) or _source_text(run.get(f"{k}_source")) or sources.get(k)
        )
    for k in ("borders", "rivers"):
        sources[k] = sources[k] or gettext("not stated", lang)
    run_parameters = dict(_flatten(run))
    if isinstance(run.get("parameters"), Mapping):
        run_parameters.update(_flatten(run["parameters"]))
    limitations = _limitations(run, lang=lang, pair=pair)
    rules = _status_rules(params, lang)
    return {
        "method": {
            "regime": values["regime"],
            "annex_version": values["annex_version"],
            "uncertainty_km": _jnum(params["uncertainty_km"], 3),
            "horizon_h": _jnum(params["horizon_h"], 3),
            "threshold_mg_l": _jsig(params["threshold_mg_l"]),
            "status_rules": rules,
        },
        "data_sources": {k: v for k, v in sources.items() if v is not None},
        "run_parameters": dict(sorted(run_parameters.items())),
        "limitations": limitations,
    }


def _run_extras(run: Mapping[str, Any]) -> list[str]:
    extras: list[str] = []
    for key in ("warnings", "limitations"):
        extra = run.get(key) or []
        extras.extend(str(x) for x in ([extra] if isinstance(extra, str) else extra))
    return extras


def _relevant(text: str, pair: Mapping[str, Any] | None) -> str | None:
    """Return a run warning as it concerns one pair, or None when it does not concern it.

    A warning of the tailings stage (starting "tailings") is kept only for a pair with a
    tailings effect. A warning about rivers is kept only for a pair with water effects, and its
    list of river names in parentheses is cut down to the pair's rivers (dropped when none is
    named); a warning about dense gases only for a pair with air effects.
    """
    text = _without_paths(text)
    if pair is None:
        return text
    low = text.lower()
    if low.startswith("tailings"):  # a warning of the tailings stage
        return text if pair.get("tailings") else None
    sites = _SITE_LIST.match(text)
    if sites is not None:  # "water pathway not assessed for N site(s): reason: A, B and 3 more"
        mine = [x for x in re.split(r", | and ", sites.group(2)) if x in pair.get("sites", set())]
        if not mine:
            return None
        n, reason = len(mine), sites.group(1)
        return f"water pathway not assessed for {n} site(s): {reason}: {', '.join(mine)}"
    if "dense gas" in low:
        return text if pair.get("air") else None
    if "river" in low:
        if not pair.get("water"):
            return None
        m = _NAME_LIST.search(text)
        if m is None:
            return text
        names = [n.strip() for n in m.group(1).split(",")]
        mine = [n for n in names if n in pair.get("rivers", set())]
        if not mine:
            return None
        return text[: m.start()] + "(" + ", ".join(mine) + ")"
    return text


def _limitations(run: Mapping[str, Any], *, lang: str, pair: Mapping[str, Any] | None) -> list[str]:
    """Limitations of a dossier: the method's own, then the run's warnings for this pair."""
    tr = translator(lang)
    air = pair is None or bool(pair.get("air"))
    water = pair is None or bool(pair.get("water"))
    # a run repeats its warnings: each is read once, with the number of times it is given
    extras: dict[str, int] = {}  # as it concerns the pair, in the order first given
    for t, n in Counter(_run_extras(run)).items():
        x = _relevant(t, pair)
        if x is not None:
            extras[x] = extras.get(x, 0) + n
    weather = str(_run_value(run, "weather") or "worst")
    weather_text = (
        tr.gettext(_WEATHER_TEXT[weather])
        if weather in _WEATHER_TEXT
        else tr.gettext("weather {weather}").format(weather=weather)
    )
    out: list[str] = []
    if air:
        own_note = run.get("dense_gas_note")
        if own_note:
            out.append(tr.gettext(str(own_note)))
        elif not any("dense gas" in x.lower() for x in extras):
            out.append(tr.gettext(_DENSE_GAS_NOTE))  # else the run states it in its own words
        out.append(tr.gettext(_ZONE_LIMITATION).format(weather=weather_text))
    if water:
        out.append(tr.gettext(_WATER_LIMITATION))
    out.append(tr.gettext(_BORDER_LIMITATION))
    untranslated = 0
    for x, n in extras.items():
        text = tr.gettext(x)
        if lang != "en" and text == x:
            untranslated += n
        elif text not in out:
            out.append(text)
    if untranslated:
        out.append(tr.gettext(_UNTRANSLATED_WARNINGS).format(n=untranslated))
    return out


def _status_rules(params: Mapping[str, Any], lang: str) -> list[str]:
    """State the rules that decided the statuses, with the parameters of the run."""
    tr = translator(lang)
    unc = _localize(f"{params['uncertainty_km']:g}", lang)
    horizon, thr = params["horizon_h"], params["threshold_mg_l"]
    if horizon is None and thr is None:
        water_rule = tr.gettext("pollution reaches it by river")
    elif thr is None:
        water_rule = tr.gettext("pollution reaches it by river within {horizon} h")
    elif horizon is None:
        water_rule = tr.gettext(
            "pollution reaches it by river at a peak concentration of at least {threshold} mg/L"
        )
    else:
        water_rule = tr.gettext(
            "pollution reaches it by river within {horizon} h at a peak concentration of at "
            "least {threshold} mg/L"
        )
    water_rule = water_rule.format(
        horizon=None if horizon is None else _localize(f"{horizon:g}", lang),
        threshold=None if thr is None else _localize(f"{thr:g}", lang),
    )
    if thr is None:
        consult = tr.gettext(
            "consult: the zone edge lies within {unc} km of the border (|margin| < {unc} km), "
            "the zone is flagged uncertain, or a river arrival time could not be computed."
        )
    else:
        consult = tr.gettext(
            "consult: the zone edge lies within {unc} km of the border (|margin| < {unc} km), "
            "the zone is flagged uncertain, or a river arrival time or peak concentration "
            "could not be computed."
        )
    return [
        tr.gettext(
            "notify: a consequence zone reaches into the affected Party (margin >= 0 km) and "
            "is not uncertain, or {water_rule}."
        ).format(water_rule=water_rule),
        consult.format(unc=unc),
        tr.gettext("none: the effect stops short of the affected Party."),
        tr.gettext("Activities that are not hazardous under Annex I are never notified."),
    ]
