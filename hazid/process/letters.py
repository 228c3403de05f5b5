"""Letters to a Party: the changes since its notification, in Markdown and HTML.

All the words of the letters are in :data:`TEXT` and :data:`LABELS`, marked for the gettext
catalogues of :mod:`hazid.i18n` and written in the letter's language. Every value that comes
from the inputs (names, substances, rivers, codes) is escaped: HTML with :func:`html.escape`,
Markdown with :func:`markdown_text`.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from hazid.i18n import N_, check_lang, gettext
from hazid.notify.markup import md_escape

if TYPE_CHECKING:
    from hazid.process.diff import Changes

__all__ = ["LABELS", "TEXT", "letter_html", "letter_markdown", "markdown_text", "safe_stem"]

#: The sentences of a letter.
TEXT: dict[str, str] = {
    "title": N_("Changes since the notification of {date}"),
    "parties": N_("Party of origin: {origin}. Affected Party: {affected}."),
    "compared": N_(
        "Screenings compared: {old} ({old_date}, hazid {old_version}) and "
        "{new} ({new_date}, hazid {new_version})."
    ),
    "status": N_("Status of the pair: {old} before, {new} now."),
    "renotify": N_(
        "The status rose: this pair of Parties is notified again "
        "(Article 4 and Annex III of the Convention)."
    ),
    "no_renotify": N_("The status did not rise; the changes are sent for information."),
    "none": N_("No change concerns this pair of Parties."),
    "columns": N_("Activity|Change|Pathway|Item|Before|After|Details"),
}

#: Readable names of the kinds of change (:data:`hazid.process.diff.CHANGE_KINDS`).
LABELS: dict[str, str] = {
    "site_added": N_("new site"),
    "site_removed": N_("site removed"),
    "became_hazardous": N_("became a hazardous activity"),
    "stopped_hazardous": N_("no longer a hazardous activity"),
    "site_moved": N_("site moved"),
    "quantity_changed": N_("quantity changed (t)"),
    "ratio_changed": N_("ratio q/Q changed"),
    "zone_crosses_border": N_("zone now reaches the affected Party"),
    "zone_no_longer_crosses": N_("zone no longer reaches the affected Party"),
    "zone_grew": N_("zone grew across the border (margin, km)"),
    "zone_shrank": N_("zone shrank (margin, km)"),
    "river_arrival_new": N_("new river arrival"),
    "river_arrival_removed": N_("river arrival removed"),
    "river_arrival_changed": N_("river arrival time changed (h)"),
    "effect_added": N_("new effect"),
    "effect_removed": N_("effect removed"),
    "activity_status_changed": N_("status of the activity changed"),
    "pair_status_changed": N_("status of the pair changed"),
}

#: Statuses of a pair, as the dossiers name them.
_STATUS = {
    "notify": N_("notify"),
    "consult": N_("consult"),
    "none": N_("none"),
    "not assessed": N_("not assessed"),
}

#: Markdown escaping of the letters: the same rule as the dossiers' (:func:`md_escape`).
markdown_text = md_escape


def safe_stem(name: str) -> str:
    """Make a file name of letters, digits, ``-`` and ``_`` only.

    Examples
    --------
    >>> safe_stem("KAZ-KGZ"), safe_stem("../x y")
    ('KAZ-KGZ', '___x_y')
    """
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"


def _party(changes: Changes, code: str, role: str) -> str:
    for s in (changes.new, changes.old):
        for doc in s.dossiers.values():
            party = doc.get(role) or {}
            if party.get("iso_a3") == code and party.get("name"):
                return f"{party['name']} ({code})"
    return code


def _content(changes: Changes, origin: str, affected: str, lang: str) -> dict[str, Any]:
    pair = changes.pairs[
        (changes.pairs["origin"] == origin) & (changes.pairs["affected"] == affected)
    ]
    rec = pair.iloc[0] if len(pair) else None
    old_s, new_s = changes.old, changes.new
    rows = [
        [
            f"{r.site_name} ({r.site_id})" if r.site_id else "",
            gettext(LABELS[r.change], lang) if r.change in LABELS else r.change,
            r.pathway,
            r.item,
            r.old,
            r.new,
            r.detail,
        ]
        for r in changes.for_pair(origin, affected).itertuples(index=False)
    ]
    sentences = [
        gettext(TEXT["parties"], lang).format(
            origin=_party(changes, origin, "party_of_origin"),
            affected=_party(changes, affected, "affected_party"),
        ),
        gettext(TEXT["compared"], lang).format(
            old=old_s.name,
            old_date=old_s.date,
            old_version=old_s.hazid_version,
            new=new_s.name,
            new_date=new_s.date,
            new_version=new_s.hazid_version,
        ),
    ]
    if rec is not None:
        status = {k: gettext(v, lang) for k, v in _STATUS.items()}
        sentences.append(
            gettext(TEXT["status"], lang).format(
                old=status.get(rec.old_status, rec.old_status),
                new=status.get(rec.new_status, rec.new_status),
            )
        )
        sentences.append(gettext(TEXT["renotify" if rec.renotify else "no_renotify"], lang))
    title = gettext(TEXT["title"], lang).format(date=changes.since)
    return {"title": title, "sentences": sentences, "rows": rows}


def letter_markdown(changes: Changes, origin: str, affected: str, lang: str = "en") -> str:
    """Write the letter to one pair of Parties as Markdown (every input value escaped)."""
    c = _content(changes, origin, affected, check_lang(lang))
    out = ["# " + markdown_text(c["title"]), ""]
    for s in c["sentences"]:
        out += [markdown_text(s), ""]
    if not c["rows"]:
        return "\n".join([*out, markdown_text(gettext(TEXT["none"], lang)), ""])
    head = gettext(TEXT["columns"], lang).split("|")
    out.append("| " + " | ".join(markdown_text(h) for h in head) + " |")
    out.append("|" + "---|" * len(head))
    for row in c["rows"]:
        out.append("| " + " | ".join(markdown_text(v) for v in row) + " |")
    return "\n".join([*out, ""])


def letter_html(changes: Changes, origin: str, affected: str, lang: str = "en") -> str:
    """Write the letter to one pair of Parties as a self-contained HTML page (values escaped)."""
    c = _content(changes, origin, affected, check_lang(lang))
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{e(c['title'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .4em}</style>",
        "</head><body>",
        f"<h1>{e(c['title'])}</h1>",
    ]
    parts += [f"<p>{e(s)}</p>" for s in c["sentences"]]
    if not c["rows"]:
        parts.append(f"<p>{e(gettext(TEXT['none'], lang))}</p>")
    else:
        head = "".join(f"<th>{e(h)}</th>" for h in gettext(TEXT["columns"], lang).split("|"))
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
        for row in c["rows"]:
            cells = "".join(f"<td>{e(str(v))}</td>" for v in row)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
