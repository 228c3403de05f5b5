"""Dossier layout: the content of a dossier as a neutral list of blocks, in its language.

:func:`_blocks` lays out a dossier in the order of Annex III of the Convention: reference and
date, the two Parties with their contacts and Convention status, the reply requested
(paragraphs 3(b) and 4), the confidentiality note (Article 22), each activity with its
substances (Annex I) and its possible effects in the affected Party, the method, data sources,
run parameters and limitations. Every label goes through the gettext catalogue of the dossier's
language and every number through its conventions. :mod:`hazid.notify.markup` turns the blocks
into Markdown and HTML, escaping every value.

Block kinds: ``("h", level, text)``, ``("p", text)``, ``("kv", [(label, value), ...])``,
``("table", header, rows)``, ``("list", items)``, ``("img", file, alt)`` and
``("link", before, target, after)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from hazid.i18n import N_, format_date, translator
from hazid.notify.evidence import hazard_label
from hazid.notify.parameters import PARAMETER_VALUES, _parameter_rows
from hazid.notify.values import _f1, _fadapt, _fconc, _fint, _fqty, _fratio, _localize
from hazid.tables import synonyms

#: Labels of the run parameters shown in a dossier (other keys stay in the JSON only).
_STATUS = {
    "notify": N_("notify"),
    "consult": N_("consult"),
    "none": N_("none"),
}
_STATUS_TEXT = {
    "notify": N_("notify \u2013 effects of at least one activity can reach the affected Party"),
    "consult": N_(
        "consult \u2013 the screening cannot rule effects in or out; consultation advised"
    ),
}
_PATHWAY = {"air": N_("air"), "water": N_("water"), "tailings": N_("tailings dam failure")}
_SOURCE_LABELS = {
    "inventory": N_("Inventory"),
    "borders": N_("Borders"),
    "rivers": N_("Rivers"),
    "lakes": N_("Lakes"),
    "population": N_("Population"),
    "tailings": N_("Tailings facilities"),
}


class _Text:
    """Labels and numbers of one language (``t("...")`` translates a message)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._gettext = translator(lang).gettext

    def __call__(self, message: str, **values: Any) -> str:
        text = self._gettext(message)
        return text.format(**values) if values else text

    def na(self, v: Any, missing: str = N_("not given")) -> str:
        if v is None or v == "":
            return self(missing) if missing else ""
        return str(v)

    def regime(self, v: Any) -> str:
        return self(PARAMETER_VALUES[v]) if v in PARAMETER_VALUES else self.na(v)

    def num(self, fmt: Callable[..., str], v: Any, missing: str = N_("unknown")) -> str:
        return self(missing) if v is None else fmt(v, self.lang)

    def status(self, s: str) -> str:
        return self(_STATUS.get(s, s))

    def date(self, iso: str | None) -> str:
        return self("not given") if not iso else format_date(iso, self.lang)

    def yes_no(self, v: bool | None) -> str:
        return self(N_("not assessed")) if v is None else self(N_("yes") if v else N_("no"))


@functools.cache
def _local_names(lang: str) -> dict[str, str]:
    """Substance key -> name in ``lang``: the first alias of the synonym table in its script."""
    if lang != "ru":
        return {}
    out: dict[str, str] = {}
    for alias, key in synonyms()[["alias", "key"]].itertuples(index=False):
        if re.search("[\u0400-\u04ff]", str(alias)) and key not in out:
            out[key] = str(alias)[:1].upper() + str(alias)[1:]
    return out


def _substance(t: _Text, name: str | None, key: str | None) -> str:
    """Name a substance in the dossier's language, with the name of the inventory."""
    names = _local_names(t.lang)  # none in English: the inventory's name
    keys = [k for k in (key or "").split(";") if k] if names else []
    if not keys or any(k not in names for k in keys):
        return t.na(name, "")
    local = "; ".join(names[k] for k in keys)
    if name and name.strip().lower() != local.lower():
        return f"{local} ({name})"
    return local


_GROUPS = {
    "health": N_("health hazards"),
    "physical": N_("physical hazards"),
    "environmental": N_("environmental hazards"),
}


def _reasons(t: _Text, act: dict[str, Any]) -> str:
    """Why the activity is hazardous: the classification's words in English, else rebuilt.

    In another language the reasons are rebuilt from the substances and ratios of the
    dossier: each substance at or above its threshold, each group of Annex I categories whose
    sum of ratios reaches 1.
    """
    if t.lang == "en":
        return t.na(act["reasons"])
    parts = []
    for s in act["substances"]:
        if s["ratio"] is not None and s["ratio"] >= 1:
            parts.append(t("{name} {quantity} t >= {threshold} t (Annex I, {entry})",
                           name=_substance(t, s["substance"], s["substance_key"]),
                           quantity=t.num(_fqty, s["quantity_t"]),
                           threshold=t.num(_fqty, s["threshold_t"]),
                           entry=t.na(s["annex_entry"])))  # fmt: skip
    for g, label in _GROUPS.items():
        total = act["ratios"].get(g)
        if total is None or total < 1:
            continue
        terms = [
            f"{_substance(t, s['substance'], s['substance_key'])} {t.num(_fratio, s['ratio'])}"
            for s in act["substances"]
            if g in (s["groups"] or "").split(";") and (s["ratio"] or 0) > 0
        ]
        parts.append(t("sum of ratios, {group}: {total} >= 1 ({terms})", group=t(label),
                       total=t.num(_fratio, total), terms=" + ".join(terms)))  # fmt: skip
    if not parts:
        return t("part of a group of sites that reaches the Annex I thresholds as a whole")
    return "; ".join(parts)


def _coords(t: _Text, lon: float | None, lat: float | None) -> str:
    if lon is None or lat is None:
        return t("not given")
    ns = t("N") if lat >= 0 else t("S")
    ew = t("E") if lon >= 0 else t("W")
    return t(
        "{lat}\u00b0 {ns}, {lon}\u00b0 {ew} (WGS 84)",
        lat=_localize(f"{abs(lat):.5f}", t.lang),
        ns=ns,
        lon=_localize(f"{abs(lon):.5f}", t.lang),
        ew=ew,
    )


def _blocks(
    doc: dict[str, Any], interactive: str | None = None, lang: str | None = None
) -> list[tuple]:
    """Lay out a dossier as neutral blocks, in reading order (Annex III)."""
    t = _Text(lang or doc.get("language") or "en")
    b = _header(t, doc, interactive)
    b += _reply(t, doc)
    b += _contacts(t, doc)
    b += _activities_table(t, doc)
    a = doc["affected_party"]
    shared: dict[str, list[int]] = {}  # map file -> numbers of the activities it shows
    for n, act in enumerate(doc["activities"], start=1):
        if act["map"]:
            shared.setdefault(act["map"], []).append(n)
    for n, act in enumerate(doc["activities"], start=1):
        b += _activity_blocks(t, n, act, a["iso_a3"])
        b += _map_blocks(t, n, act, shared.get(act["map"], []))
    b += _method_blocks(t, doc)
    return b


def _map_blocks(t: _Text, n: int, act: dict[str, Any], numbers: list[int]) -> list[tuple]:
    """Lay out an activity's map; a map shared by several activities is shown under the first."""
    if not act["map"]:
        return []
    if len(numbers) <= 1:
        alt = t("Map of {name} ({site})", name=act["name"], site=act["site_id"])
        return [("img", act["map"], alt)]
    if n != numbers[0]:
        return [
            ("p", t("Shown, labelled {n}, on the map under activity {first}.", n=str(n),
                    first=str(numbers[0])))
        ]  # fmt: skip
    items = ", ".join(str(k) for k in numbers)
    return [
        ("p", t("The map below shows the activities {items} of this dossier, each labelled "
                "with its number.", items=items)),
        ("img", act["map"], t("Map of the activities {items}", items=items)),
    ]  # fmt: skip


def _party_line(t: _Text, p: dict[str, Any]) -> str:
    name = f"{p['name']} ({p['iso_a3']})"
    if p.get("convention_party") is True:
        if p.get("party_since"):
            return t(
                "{name}, Party to the Convention since {date}",
                name=name,
                date=t.date(p["party_since"]),
            )
        return t("{name}, Party to the Convention (date not checked)", name=name)
    if p.get("convention_party") is False:
        return t("{name}, not a Party to the Convention", name=name)
    return t("{name}, not in hazid's table of Parties to the Convention", name=name)


def _header(t: _Text, doc: dict[str, Any], interactive: str | None) -> list[tuple]:
    """Title, reference, date, the two Parties, status and the basis of the dossier."""
    o, a = doc["party_of_origin"], doc["affected_party"]
    b: list[tuple] = [
        (
            "h",
            1,
            t(
                "Notification of hazardous activities: {origin} to {affected}",
                origin=o["name"],
                affected=a["name"],
            ),
        ),
        (
            "p",
            t(
                "Prepared on the basis of Annex III of the Convention on the Transboundary "
                "Effects of Industrial Accidents (Helsinki, 1992)."
            ),
        ),
        (
            "kv",
            [
                (t("Reference number"), doc["reference"]),
                (t("Date"), t.date(doc["date"])),
                (t("Party of origin"), _party_line(t, o)),
                (t("Affected Party"), _party_line(t, a)),
                (t("Status"), t(_STATUS_TEXT[doc["status"]]), doc["status"]),
                (t("Hazardous activities concerned"), str(len(doc["activities"]))),
            ],
        ),
        (
            "p",
            t(
                "Under Article 4 and Annex III of the Convention, the Party of origin informs "
                "the affected Party of hazardous activities capable of causing transboundary "
                "effects."
            ),
        ),
    ]
    if doc.get("voluntary"):
        b.append(
            (
                "p",
                t(
                    "At least one of the two countries is not known to be a Party to the "
                    "Convention: this notification is a voluntary exchange of information "
                    "in the spirit of the Convention, not an obligation under it."
                ),
            )
        )
    if interactive:
        b.append(
            (
                "link",
                t("Interactive map of these activities, their zones and river traces: "),
                interactive,
                t(
                    " (a self-contained HTML file in the same folder; it opens offline in a web "
                    "browser)."
                ),
            )
        )
    return b


def _reply(t: _Text, doc: dict[str, Any]) -> list[tuple]:
    """Lay out the reply requested (Annex III, paragraphs 3(b) and 4) and confidentiality."""
    return [
        ("h", 2, t("Reply requested")),
        (
            "kv",
            [
                (
                    t("Time for a reply (Annex III, paragraph 3(b))"),
                    t(
                        "{days} days, by {deadline}",
                        days=str(doc["response_days"]),
                        deadline=t.date(doc["response_deadline"]),
                    ),
                ),
            ],
        ),
        (
            "p",
            t(
                "The affected Party is requested, within this time, to acknowledge receipt of "
                "this notification and to state whether it intends to enter into consultations "
                "(Annex III, paragraph 4)."
            ),
        ),
        (
            "p",
            t(
                "The time for a reply is set by the Party of origin; the Convention asks for a "
                "reasonable time and sets no number of days."
            ),
        ),
        ("h", 2, t("Confidentiality")),
        (
            "p",
            t(
                "Under Article 22 of the Convention, this information is provided subject to "
                "the laws, regulations and practices of the Parties on industrial and commercial "
                "secrecy, personal data and national security."
            ),
        ),
    ]


def _contacts(t: _Text, doc: dict[str, Any]) -> list[tuple]:
    """Competent authorities, points of contact and IAN System contacts of both Parties."""
    o, a = doc["party_of_origin"], doc["affected_party"]
    return [
        ("h", 2, t("Competent authorities and points of contact")),
        (
            "table",
            [
                "",
                t("Party of origin ({iso})", iso=o["iso_a3"]),
                t("Affected Party ({iso})", iso=a["iso_a3"]),
            ],
            [
                [t(label), t.na(o[f], N_("not provided")), t.na(a[f], N_("not provided"))]
                for label, f in (
                    (N_("Competent authority"), "competent_authority"),
                    (N_("Point of contact"), "focal_point"),
                    (N_("IAN System contact"), "ian_contact"),
                    (N_("E-mail"), "email"),
                )
            ],
        ),
    ]


def _activities_table(t: _Text, doc: dict[str, Any]) -> list[tuple]:
    """One line per hazardous activity concerned."""
    return [
        ("h", 2, t("Hazardous activities")),
        (
            "table",
            [
                t("Site"),
                t("Name"),
                t("Operator"),
                t("Status"),
                t("Pathways"),
                t("Smallest margin (km)"),
                t("Earliest arrival (h)"),
            ],
            [
                [
                    act["site_id"],
                    act["name"],
                    t.na(act["operator"]),
                    t.status(act["status"]),
                    "; ".join(t(_PATHWAY.get(p, p)) for p in act["pathways"]),
                    "" if act["margin_km"] is None else _f1(act["margin_km"], t.lang),
                    "" if act["arrival_h"] is None else _fadapt(act["arrival_h"], t.lang),
                ]
                for act in doc["activities"]
            ],
        ),
    ]


def _activity_blocks(t: _Text, n: int, act: dict[str, Any], affected: str) -> list[tuple]:
    """One activity: site, substances, effects in the affected Party (map: :func:`_map_blocks`)."""
    r = act["ratios"]
    pathways = "; ".join(t(_PATHWAY.get(p, p)) for p in act["pathways"]) or t("no pathway")
    kv = [
        (t("Operator"), t.na(act["operator"])),
        (t("Location"), _coords(t, act["lon"], act["lat"])),
        (t("Address"), t.na(act["address"])),
        (t("Type of activity"), t.na(act["type"])),
        (t("Country of the site"), t.na(act["site_country"])),
        (t("Status"), f"{t.status(act['status'])} ({pathways})", act["status"]),
        (t("Why hazardous"), _reasons(t, act)),
        (
            t("Annex I regime / version"),
            f"{t.regime(act['regime'])} / {t.na(act['annex_version'])}",
        ),
        (
            t("Ratios (health / physical / environmental / largest single)"),
            " / ".join([t.num(_fratio, r[g]) for g in (*_GROUPS, "max_single")]),
        ),
    ]
    if act.get("public_informed"):
        kv.append((t("Public informed"), act["public_informed"]))
    b: list[tuple] = [
        (
            "h",
            2,
            t("Activity {n}: {name} ({site})", n=str(n), name=act["name"], site=act["site_id"]),
        ),
        ("kv", kv),
        ("h", 3, t("Annex I substances and maximum quantities")),
    ]
    if act["substances"]:
        b.append(_substances_table(t, act))
    else:
        b.append(("p", t("No holdings were given for this activity.")))
    b.append(("h", 3, t("Possible transboundary effects")))
    if act["air"]:
        b.append(_air_table(t, act, affected))
    if act["water"]:
        b.append(_water_table(t, act, affected))
    b.append(("list", [e["evidence"] for e in (*act["air"], *act["water"])]))
    return b


def _substances_table(t: _Text, act: dict[str, Any]) -> tuple:
    """Substances with their Annex I entries, quantities, thresholds and ratios."""
    return (
        "table",
        [
            t("Substance"),
            t("CAS"),
            t("Annex I entry"),
            t("Categories"),
            t("Maximum quantity (t)"),
            t("Threshold (t)"),
            t("Ratio"),
        ],
        [
            [
                _substance(t, s["substance"], s["substance_key"]),
                t.na(s["cas"], ""),
                t.na(s["annex_entry"], ""),
                t.na(s["categories"], ""),
                t.num(_fqty, s["quantity_t"]),
                t.num(_fqty, s["threshold_t"]),
                t.num(_fratio, s["ratio"]),
            ]
            for s in act["substances"]
        ],
    )


def _air_table(t: _Text, act: dict[str, Any], affected: str) -> tuple:
    """Air effects: zones, margins, area and people of the affected Party inside."""
    return (
        "table",
        [
            t("Air: hazard"),
            t("Substance"),
            t("Distance of harmful effects (km)"),
            t("Distance to border (km)"),
            t("Margin (km)"),
            t("Crosses the border"),
            t("Area of {iso} inside zone (km\u00b2)", iso=affected),
            t("People of {iso} inside zone", iso=affected),
            t("Status"),
        ],
        [
            [
                hazard_label(e["hazard"] or "", t.lang),
                _substance(t, e.get("substance"), e.get("substance_key")),
                _zone_reach(t, e),
                t.num(_f1, e["border_km"]),
                t.num(_f1, e["margin_km"]),
                t.yes_no(e.get("crosses_border")),
                t.num(_f1, e["area_in_affected_km2"], N_("not assessed")),
                t.num(_fint, e["population_in_affected"], N_("not assessed")),
                t.status(e["status"]) + (t(" (uncertain)") if e["uncertain"] else ""),
            ]
            for e in act["air"]
        ],
    )


def _zone_reach(t: _Text, e: dict[str, Any]) -> str:
    """Reach of a zone; a zone cut at the model's distance limit says so."""
    km = t.num(_f1, e["zone_km"])
    if e.get("undetermined"):
        reach = t("more than {km} (beyond the reach of the model)", km=km)
    else:
        reach = t("at least {km} (limit of the model)", km=km) if e.get("capped") else km
    worst, alt = e.get("zone_worst_km"), e.get("zone_alternative_km")
    if worst is None or alt is None:
        return reach
    return t(
        "{reach}; worst case {worst}, alternative case {alternative}",
        reach=reach,
        worst=t.num(_f1, worst),
        alternative=t.num(_f1, alt),
    )


def _known(x: Any) -> bool:
    """Tell whether a river distance was computed (a number, not NaN)."""
    try:
        return x is not None and x == x and float(x) >= 0
    except (TypeError, ValueError):
        return False


def _river_cell(t: _Text, e: dict[str, Any]) -> str:
    """Name the river of a water row, with the lakes and reservoirs its path crosses."""
    river = t.na(e["river"], N_("unnamed") if _known(e["river_km"]) else N_("not assessed"))
    if not e.get("lakes"):
        return river
    return t("{river} (through {lakes})", river=river, lakes=", ".join(e["lakes"]))


def _water_table(t: _Text, act: dict[str, Any], affected: str) -> tuple:
    """Water effects: river, arrival, peak and river length in the affected Party."""
    return (
        "table",
        [
            t("Water: river"),
            t("Distance downstream (km)"),
            t("Arrival (h)"),
            t("Peak (h)"),
            t("Peak concentration (mg/L)"),
            t("River length in {iso} (km)", iso=affected),
            t("Status"),
        ],
        [
            [
                _river_cell(t, e),
                t.num(_fadapt, e["river_km"]),
                t.num(_fadapt, e["arrival_h"]),
                t.num(_fadapt, e["peak_h"]),
                t.num(_fconc, e["peak_mg_l"]),
                t.num(_f1, e["river_km_in_affected"], N_("not assessed")),
                t.status(e["status"]),
            ]
            for e in act["water"]
        ],
    )


def _method_blocks(t: _Text, doc: dict[str, Any]) -> list[tuple]:
    """Lay out the method, data sources, run parameters, limitations and software."""
    m = doc["method"]
    none = N_("none")
    pathways = frozenset(p for act in doc["activities"] for p in ("air", "water") if act[p])
    regime = t.regime(m["regime"]) if m["regime"] else t("not stated")
    method = [
        (t("Threshold regime"), regime),
        (t("Annex I version"), t.na(m["annex_version"], N_("not stated"))),
    ]
    if "air" in pathways:
        method.append((t("Position uncertainty (km)"), t.num(_f1, m["uncertainty_km"], none)))
    if "water" in pathways:
        method += [
            (t("River horizon (h)"), t.num(_fadapt, m["horizon_h"], none)),
            (t("River concentration threshold (mg/L)"), t.num(_fconc, m["threshold_mg_l"], none)),
        ]
    water_only = {"rivers", "lakes"}  # data of the water pathway
    sources = [
        (t(_SOURCE_LABELS[k]) if k in _SOURCE_LABELS else k, v)
        for k, v in sorted(doc["data_sources"].items())
        if "water" in pathways or k not in water_only
    ]
    b: list[tuple] = [
        ("h", 2, t("Method")),
        ("kv", method),
        ("list", m["status_rules"]),
        ("h", 2, t("Data sources")),
        ("kv", sources),
    ]
    rows = _parameter_rows(t, doc["run_parameters"], pathways)
    if rows:
        b += [("h", 2, t("Run parameters")), ("table", [t("Parameter"), t("Value")], rows)]
    b += [
        ("h", 2, t("Limitations")),
        ("list", doc["limitations"]),
        ("h", 2, t("Software")),
        (
            "p",
            t(
                "Prepared with hazid {version}; the parameters of the run are recorded in "
                "run.json.",
                version=doc["hazid_version"],
            ),
        ),
    ]
    return b
