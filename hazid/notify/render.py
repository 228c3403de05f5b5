"""Dossier rendering: one neutral list of blocks, rendered as Markdown and as HTML.

:func:`_blocks` lays out the content of a dossier (headings, key-value lists, tables, lists,
maps, links) in the order of Annex III; :func:`_render_md` and :func:`_render_html` turn it
into text. The JSON dossier is the content itself (:mod:`hazid.notify.dossier`).
"""

from __future__ import annotations

import base64
import html as _html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote as _urlquote

import numpy as np

from hazid.notify.contacts import NOT_PROVIDED
from hazid.notify.values import _f1, _fadapt, _fconc, _fqty, _fratio


def _na(v: Any, missing: str = "not given") -> str:
    return missing if v is None or v == "" else str(v)


def _coords(lon: float | None, lat: float | None) -> str:
    if lon is None or lat is None:
        return "not given"
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"{abs(lat):.5f}\u00b0 {ns}, {abs(lon):.5f}\u00b0 {ew} (WGS 84)"


def _blocks(doc: dict[str, Any], interactive: str | None = None) -> list[tuple]:
    """Content of a dossier as neutral blocks, in reading order."""
    b = _header(doc, interactive)
    b += _overview(doc)
    a = doc["affected_party"]
    for n, act in enumerate(doc["activities"], start=1):
        b += _activity_blocks(n, act, a["iso_a3"])
    b += _method_blocks(doc)
    return b


def _header(doc: dict[str, Any], interactive: str | None) -> list[tuple]:
    """Title, the two Parties, status, date and the link to the interactive map."""
    o, a = doc["party_of_origin"], doc["affected_party"]
    status_text = {
        "notify": "notify \u2013 effects of at least one activity can reach the affected Party",
        "consult": (
            "consult \u2013 the screening cannot rule effects in or out; consultation advised"
        ),
    }[doc["status"]]
    b: list[tuple] = [
        ("h", 1, f"Notification of hazardous activities: {o['name']} to {a['name']}"),
        (
            "kv",
            [
                ("Party of origin", f"{o['name']} ({o['iso_a3']})"),
                ("Affected Party", f"{a['name']} ({a['iso_a3']})"),
                ("Status", status_text),
                ("Hazardous activities concerned", str(len(doc["activities"]))),
                ("Date", doc["date"]),
                ("Prepared with", f"hazid {doc['hazid_version']}"),
            ],
        ),
        (
            "p",
            "Under Article 4 and Annex III of the UNECE Convention on the Transboundary Effects "
            "of Industrial Accidents, the Party of origin informs the affected Party of hazardous "
            "activities capable of causing transboundary effects.",
        ),
    ]
    if interactive:
        b.append(
            (
                "link",
                "Interactive map of these activities, their zones and river traces: ",
                interactive,
                " (a self-contained HTML file in the same folder; it opens offline in a web "
                "browser).",
            )
        )
    return b


def _overview(doc: dict[str, Any]) -> list[tuple]:
    """Contacts of both Parties and the table of the activities concerned."""
    o, a = doc["party_of_origin"], doc["affected_party"]
    return [
        ("h", 2, "Competent authorities and points of contact"),
        (
            "table",
            ["", f"Party of origin ({o['iso_a3']})", f"Affected Party ({a['iso_a3']})"],
            [
                [label, _na(o[f], NOT_PROVIDED), _na(a[f], NOT_PROVIDED)]
                for label, f in (
                    ("Competent authority", "competent_authority"),
                    ("Point of contact", "focal_point"),
                    ("IAN System contact", "ian_contact"),
                    ("E-mail", "email"),
                )
            ],
        ),
        ("h", 2, "Activities"),
        (
            "table",
            [
                "Site",
                "Name",
                "Operator",
                "Status",
                "Pathways",
                "Smallest margin (km)",
                "Earliest arrival (h)",
            ],
            [
                [
                    act["site_id"],
                    act["name"],
                    _na(act["operator"]),
                    act["status"],
                    "; ".join(act["pathways"]),
                    "" if act["margin_km"] is None else _f1(act["margin_km"]),
                    "" if act["arrival_h"] is None else _fadapt(act["arrival_h"]),
                ]
                for act in doc["activities"]
            ],
        ),
    ]


def _activity_blocks(n: int, act: dict[str, Any], affected: str) -> list[tuple]:
    """One activity: site, substances, effects in the affected Party, map."""
    r = act["ratios"]
    b: list[tuple] = []
    b.append(("h", 2, f"Activity {n}: {act['name']} ({act['site_id']})"))
    b.append(
        (
            "kv",
            [
                ("Operator", _na(act["operator"])),
                ("Location", _coords(act["lon"], act["lat"])),
                ("Address", _na(act["address"])),
                ("Type of activity", _na(act["type"])),
                ("Country of the site", _na(act["site_country"])),
                ("Status", f"{act['status']} ({'; '.join(act['pathways']) or 'no pathway'})"),
                ("Why hazardous", _na(act["reasons"])),
                (
                    "Annex I regime / version",
                    f"{_na(act['regime'])} / {_na(act['annex_version'])}",
                ),
                (
                    "Ratios (health / physical / environmental / largest single)",
                    " / ".join(
                        _fratio(np.nan if r[g] is None else r[g])
                        for g in ("health", "physical", "environmental", "max_single")
                    ),
                ),
            ],
        )
    )
    b.append(("h", 3, "Annex I substances and maximum quantities"))
    if act["substances"]:
        b.append(
            (
                "table",
                [
                    "Substance",
                    "CAS",
                    "Annex I entry",
                    "Categories",
                    "Maximum quantity (t)",
                    "Threshold (t)",
                    "Ratio",
                ],
                [
                    [
                        s["substance"],
                        _na(s["cas"], ""),
                        _na(s["annex_entry"], ""),
                        _na(s["categories"], ""),
                        _fqty(np.nan if s["quantity_t"] is None else s["quantity_t"]),
                        _fqty(np.nan if s["threshold_t"] is None else s["threshold_t"]),
                        _fratio(np.nan if s["ratio"] is None else s["ratio"]),
                    ]
                    for s in act["substances"]
                ],
            )
        )
    else:
        b.append(("p", "No holdings were given for this activity."))
    b.append(("h", 3, "Possible transboundary effects"))
    if act["air"]:
        b.append(_air_table(act, affected))
    if act["water"]:
        b.append(_water_table(act, affected))
    b.append(("list", [e["evidence"] for e in (*act["air"], *act["water"])]))
    if act["map"]:
        b.append(("img", act["map"], f"Map of {act['name']} ({act['site_id']})"))
    return b


def _air_table(act: dict[str, Any], affected: str) -> tuple:
    """Air effects: zones, margins, area and people of the affected Party inside."""
    a = {"iso_a3": affected}
    return (
        "table",
        [
            "Air: hazard",
            "Substance",
            "Zone reach (km)",
            "Distance to border (km)",
            "Margin (km)",
            f"Area of {a['iso_a3']} inside zone (km\u00b2)",
            f"People of {a['iso_a3']} inside zone",
            "Status",
        ],
        [
            [
                _na(e["hazard"], ""),
                _na(e["substance_key"], ""),
                _f1(np.nan if e["zone_km"] is None else e["zone_km"]),
                _f1(np.nan if e["border_km"] is None else e["border_km"]),
                _f1(np.nan if e["margin_km"] is None else e["margin_km"]),
                "not assessed"
                if e["area_in_affected_km2"] is None
                else _f1(e["area_in_affected_km2"]),
                "not assessed"
                if e["population_in_affected"] is None
                else f"{e['population_in_affected']:,.0f}",
                e["status"] + (" (uncertain)" if e["uncertain"] else ""),
            ]
            for e in act["air"]
        ],
    )


def _water_table(act: dict[str, Any], affected: str) -> tuple:
    """Water effects: river, arrival, peak and river length in the affected Party."""
    a = {"iso_a3": affected}
    return (
        "table",
        [
            "Water: river",
            "Distance downstream (km)",
            "Arrival (h)",
            "Peak (h)",
            "Peak concentration (mg/L)",
            f"River length in {a['iso_a3']} (km)",
            "Status",
        ],
        [
            [
                _na(e["river"], "unnamed"),
                _fadapt(np.nan if e["river_km"] is None else e["river_km"]),
                _fadapt(np.nan if e["arrival_h"] is None else e["arrival_h"]),
                _fadapt(np.nan if e["peak_h"] is None else e["peak_h"]),
                _fconc(np.nan if e["peak_mg_l"] is None else e["peak_mg_l"]),
                "not assessed"
                if e["river_km_in_affected"] is None
                else _f1(e["river_km_in_affected"]),
                e["status"],
            ]
            for e in act["water"]
        ],
    )


def _method_blocks(doc: dict[str, Any]) -> list[tuple]:
    """Lay out the method, data sources, run parameters and limitations."""
    b: list[tuple] = []
    m = doc["method"]
    b.append(("h", 2, "Method"))
    b.append(
        (
            "kv",
            [
                ("Threshold regime", _na(m["regime"], "not stated")),
                ("Annex I version", _na(m["annex_version"], "not stated")),
                ("Position uncertainty (km)", _na(m["uncertainty_km"])),
                ("River horizon (h)", _na(m["horizon_h"], "none")),
                ("River concentration threshold (mg/L)", _na(m["threshold_mg_l"], "none")),
            ],
        )
    )
    b.append(("list", m["status_rules"]))
    b.append(("h", 2, "Data sources"))
    b.append(("kv", [(k.capitalize(), v) for k, v in sorted(doc["data_sources"].items())]))
    if doc["run_parameters"]:
        b.append(("h", 2, "Run parameters"))
        b.append(("kv", sorted(doc["run_parameters"].items())))
    b.append(("h", 2, "Limitations"))
    b.append(("list", doc["limitations"]))
    return b


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _md_text(v: Any) -> str:
    return str(v).replace("\n", " ")


def _md_link_target(href: str) -> str:
    return "<" + href + ">" if re.search(r"[\s()<>]", href) else href


def _render_md(doc: dict[str, Any], *, interactive: str | None = None) -> str:
    out: list[str] = []
    for blk in _blocks(doc, interactive):
        kind = blk[0]
        if kind == "h":
            out += ["#" * blk[1] + " " + blk[2], ""]
        elif kind == "p":
            out += [blk[1], ""]
        elif kind == "kv":
            out += [f"- **{k}:** {_md_text(v)}" for k, v in blk[1]] + [""]
        elif kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in blk[1]) + " |")
            out.append("|" + "|".join("---" for _ in blk[1]) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in blk[2]]
            out.append("")
        elif kind == "list":
            out += [f"- {_md_text(x)}" for x in blk[1]] + [""]
        elif kind == "img":
            out += [f"![{blk[2]}]({blk[1]})", ""]
        elif kind == "link":
            out += [f"{blk[1]}[{blk[2]}]({_md_link_target(blk[2])}){blk[3]}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:60em;
margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.6em;border-bottom:3px solid #08306b;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #bbb}
h3{font-size:1.05em;margin-top:1.2em}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#e8eef5}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:bold}dd{margin:0}
img{max-width:100%;border:1px solid #bbb}
.status-notify{color:#b30000;font-weight:bold}.status-consult{color:#a35d00;font-weight:bold}
@media print{body{max-width:none}h2{page-break-after:avoid}img{page-break-inside:avoid}}
""".strip()


def _render_html(
    doc: dict[str, Any], images: Mapping[str, bytes], *, interactive: str | None = None
) -> str:
    e = _html.escape
    o, a = doc["party_of_origin"], doc["affected_party"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Notification {e(o['iso_a3'])} to {e(a['iso_a3'])}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for blk in _blocks(doc, interactive):
        kind = blk[0]
        if kind == "h":
            out.append(f"<h{blk[1]}>{e(blk[2])}</h{blk[1]}>")
        elif kind == "link":
            href = _urlquote(blk[2])
            out.append(f'<p>{e(blk[1])}<a href="{e(href)}">{e(blk[2])}</a>{e(blk[3])}</p>')
        elif kind == "p":
            out.append(f"<p>{e(blk[1])}</p>")
        elif kind == "kv":
            items = []
            for k, v in blk[1]:
                val = e(str(v))
                if k == "Status":
                    word = str(v).split()[0]
                    val = f'<span class="status-{e(word)}">{val}</span>'
                items.append(f"<dt>{e(k)}</dt><dd>{val}</dd>")
            out.append("<dl>" + "".join(items) + "</dl>")
        elif kind == "table":
            head = "".join(f"<th>{e(str(h))}</th>" for h in blk[1])
            body = "".join(
                "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in blk[2]
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(str(x))}</li>" for x in blk[1]) + "</ul>")
        elif kind == "img":
            data = images.get(blk[1])
            src = (
                "data:image/png;base64," + base64.b64encode(data).decode("ascii")
                if data is not None
                else e(blk[1])
            )
            out.append(f'<figure><img src="{src}" alt="{e(blk[2])}"></figure>')
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
