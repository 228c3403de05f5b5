"""Letters to a Party: the changes since its notification, in Markdown and HTML.

All the words of the letters are in :data:`TEXT` (one place, ready for a translation
catalogue). Every value that comes from the inputs (names, substances, rivers, codes) is escaped:
HTML with :func:`html.escape`, Markdown with :func:`markdown_text`.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hazid.process.diff import Changes

__all__ = ["LABELS", "TEXT", "letter_html", "letter_markdown", "markdown_text", "safe_stem"]

#: The sentences of a letter.
TEXT: dict[str, str] = {
    "title": "Changes since the notification of {date}",
    "parties": "Party of origin: {origin}. Affected Party: {affected}.",
    "compared": "Screenings compared: {old} ({old_date}, hazid {old_version}) and "
    "{new} ({new_date}, hazid {new_version}).",
    "status": "Status of the pair: {old} before, {new} now.",
    "renotify": "The status rose: this pair of Parties is notified again "
    "(Article 4 and Annex III of the Convention).",
    "no_renotify": "The status did not rise; the changes are sent for information.",
    "none": "No change concerns this pair of Parties.",
    "columns": "Activity|Change|Pathway|Item|Before|After|Details",
}

#: Readable names of the kinds of change (:data:`hazid.process.diff.CHANGE_KINDS`).
LABELS: dict[str, str] = {
    "site_added": "new site",
    "site_removed": "site removed",
    "became_hazardous": "became a hazardous activity",
    "stopped_hazardous": "no longer a hazardous activity",
    "site_moved": "site moved",
    "quantity_changed": "quantity changed (t)",
    "ratio_changed": "ratio q/Q changed",
    "zone_crosses_border": "zone now reaches the affected Party",
    "zone_no_longer_crosses": "zone no longer reaches the affected Party",
    "zone_grew": "zone grew across the border (margin, km)",
    "zone_shrank": "zone shrank (margin, km)",
    "river_arrival_new": "new river arrival",
    "river_arrival_removed": "river arrival removed",
    "river_arrival_changed": "river arrival time changed (h)",
    "effect_added": "new effect",
    "effect_removed": "effect removed",
    "activity_status_changed": "status of the activity changed",
    "pair_status_changed": "status of the pair changed",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~!])")
_MD_LINE_START = re.compile(r"^([#+\-=]|\d+(?=[.)](\s|$)))")


def markdown_text(value: Any) -> str:
    r"""Escape a value for Markdown text or a table cell.

    Inline markup characters are backslash-escaped (so ``[x](y)`` and ``![x](y)`` make no link
    or image, ``|`` ends no table cell), ``<``, ``>`` and ``&`` become entities (no HTML tag,
    no autolink), ``://`` is broken so that no bare URL is linked, a heading, list or quote
    marker at the start is escaped, line breaks become spaces and surrounding blanks are removed
    (no code block).

    Examples
    --------
    >>> markdown_text("[a](http://x) <b>|</b>\n*c*")
    '\\[a\\](http\\://x) &lt;b&gt;\\|&lt;/b&gt; \\*c\\*'
    >>> markdown_text("# 1. x"), markdown_text("1. x"), markdown_text(None), markdown_text(1.5)
    ('\\# 1. x', '1\\. x', '', '1.5')
    """
    if value is None:
        return ""
    text = re.sub(r"[\r\n\t\u2028\u2029]+", " ", str(value)).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("://", "\\://")
    match = _MD_LINE_START.match(text)
    if match and match.group(1)[0].isdigit():
        end = match.end()
        return text[:end] + "\\" + text[end:]
    return "\\" + text if match else text


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


def _content(changes: Changes, origin: str, affected: str) -> dict[str, Any]:
    pair = changes.pairs[
        (changes.pairs["origin"] == origin) & (changes.pairs["affected"] == affected)
    ]
    rec = pair.iloc[0] if len(pair) else None
    old_s, new_s = changes.old, changes.new
    rows = [
        [
            f"{r.site_name} ({r.site_id})" if r.site_id else "",
            LABELS.get(r.change, r.change),
            r.pathway,
            r.item,
            r.old,
            r.new,
            r.detail,
        ]
        for r in changes.for_pair(origin, affected).itertuples(index=False)
    ]
    sentences = [
        TEXT["parties"].format(
            origin=_party(changes, origin, "party_of_origin"),
            affected=_party(changes, affected, "affected_party"),
        ),
        TEXT["compared"].format(
            old=old_s.name,
            old_date=old_s.date,
            old_version=old_s.hazid_version,
            new=new_s.name,
            new_date=new_s.date,
            new_version=new_s.hazid_version,
        ),
    ]
    if rec is not None:
        sentences.append(TEXT["status"].format(old=rec.old_status, new=rec.new_status))
        sentences.append(TEXT["renotify"] if rec.renotify else TEXT["no_renotify"])
    return {"title": TEXT["title"].format(date=changes.since), "sentences": sentences, "rows": rows}


def letter_markdown(changes: Changes, origin: str, affected: str) -> str:
    """Write the letter to one pair of Parties as Markdown (every input value escaped)."""
    c = _content(changes, origin, affected)
    out = ["# " + markdown_text(c["title"]), ""]
    for s in c["sentences"]:
        out += [markdown_text(s), ""]
    if not c["rows"]:
        return "\n".join([*out, markdown_text(TEXT["none"]), ""])
    head = TEXT["columns"].split("|")
    out.append("| " + " | ".join(markdown_text(h) for h in head) + " |")
    out.append("|" + "---|" * len(head))
    for row in c["rows"]:
        out.append("| " + " | ".join(markdown_text(v) for v in row) + " |")
    return "\n".join([*out, ""])


def letter_html(changes: Changes, origin: str, affected: str) -> str:
    """Write the letter to one pair of Parties as a self-contained HTML page (values escaped)."""
    c = _content(changes, origin, affected)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(c['title'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .4em}</style>",
        "</head><body>",
        f"<h1>{e(c['title'])}</h1>",
    ]
    parts += [f"<p>{e(s)}</p>" for s in c["sentences"]]
    if not c["rows"]:
        parts.append(f"<p>{e(TEXT['none'])}</p>")
    else:
        head = "".join(f"<th>{e(h)}</th>" for h in TEXT["columns"].split("|"))
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
        for row in c["rows"]:
            cells = "".join(f"<td>{e(str(v))}</td>" for v in row)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
