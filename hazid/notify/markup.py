"""Dossier markup: the blocks of :mod:`hazid.notify.render` as Markdown and as HTML.

Dossiers go to other governments and their values come from many files (inventories,
contacts, border and river attributes), so every text is escaped for its format:
:func:`md_escape` for Markdown (markup characters, HTML tags, link and image syntax, bare
addresses that a renderer could turn into links; line breaks become spaces) and
:func:`html.escape` for HTML. Only the links and images hazid itself writes (the interactive
map of the pair and the static maps, whose file names hazid makes) are markup.

The HTML dossier is self-contained (inline CSS, maps embedded as data URIs) and has a print
stylesheet for A4 paper.
"""

from __future__ import annotations

import base64
import html as _html
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote as _urlquote

from hazid.notify.render import _blocks

__all__ = ["md_escape"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&!|~#])")
_MD_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_MD_BREAKS_1B = re.compile(r"[\x00-\x1f\x7f\x85]")  # the same, less its two 2-byte ones
_MD_DOTS = re.compile(r"\.(?=[^\W\d_])")  # a dot before a letter: x.org, www.x, a@b.c
_MD_SCHEME = re.compile(r":(?=//)")
#: anything one of the four rules above would change
_MD_ANY = re.compile(r"[\\`*_\[\]<>&!|~#\x00-\x1f\x7f\u0085\u2028\u2029]|:(?=//)|\.(?=[^\W\d_])")


def md_escape(value: Any) -> str:
    r"""Escape a value for Markdown so that it renders as the same plain text.

    Line breaks and other control characters become one space; the characters of emphasis,
    code, links, images, HTML, tables, headings and strike-through are backslash-escaped; the
    ``:`` of ``://`` and a ``.`` before a letter are escaped too, so that no renderer turns an
    address into a link.

    Examples
    --------
    >>> md_escape("<b>Plant</b>\n# WITHDRAWN [x](http://e.org)")
    '\\<b\\>Plant\\</b\\> \\# WITHDRAWN \\[x\\](http\\://e\\.org)'
    >>> md_escape(None), md_escape(1.5)
    ('', '1.5')
    """
    if value is None:
        return ""
    text = str(value)
    if _MD_ANY.search(text) is None:  # most values: nothing to escape
        return text
    if _MD_BREAKS_1B.search(text) or "\u2028" in text or "\u2029" in text:  # rare: fast test
        text = _MD_BREAKS.sub(" ", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_SCHEME.sub(r"\\:", text)
    return _MD_DOTS.sub(r"\\.", text)


_SAFE_FILE = re.compile(r"[A-Za-z0-9_-]+\.(html|png)")


def _md_link_target(href: str) -> str:
    return "<" + href + ">" if re.search(r"[\s()<>]", href) else href


def _md_file(name: str) -> str:
    """Write a file name of hazid as link text: plain when it is a plain name, else escaped."""
    return name if _SAFE_FILE.fullmatch(name) else md_escape(name)


def _render_md(
    doc: dict[str, Any],
    *,
    interactive: str | None = None,
    lang: str | None = None,
    blocks: list[tuple] | None = None,
) -> str:
    """Markdown text of a dossier (every value escaped with :func:`md_escape`).

    ``blocks`` are those :func:`hazid.notify.render._blocks` lays out for ``doc``,
    ``interactive`` and ``lang``, when the caller has them already. The values are escaped
    all at once (:func:`_md_escape_all`), then laid out in the order they were gathered.
    """
    if blocks is None:
        blocks = _blocks(doc, interactive, lang)
    e = _Cursor(_md_escape_all(_md_values(blocks)))
    out: list[str] = []
    for blk in blocks:
        kind = blk[0]
        if kind == "h":
            out += ["#" * blk[1] + " " + e(), ""]
        elif kind == "p":
            out += [e(), ""]
        elif kind == "kv":
            pairs = e.take(2 * len(blk[1]))
            out += [f"- **{k}:** {x}" for k, x in zip(pairs[::2], pairs[1::2], strict=True)]
            out.append("")
        elif kind == "table":
            n = len(blk[1])
            out.append("| " + " | ".join(e.take(n)) + " |")
            out.append("|" + "|".join(["---"] * n) + "|")
            out += ["| " + " | ".join(e.take(len(row))) + " |" for row in blk[2]]
            out.append("")
        elif kind == "list":
            out += [f"- {x}" for x in e.take(len(blk[1]))] + [""]
        elif kind == "img":
            out += [f"![{e()}]({_md_link_target(blk[1])})", ""]
        elif kind == "link":
            target = _md_link_target(blk[2])
            out += [f"{e()}[{_md_file(blk[2])}]({target}){e()}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md_values(blocks: list[tuple]) -> list[Any]:
    """Return the values of the blocks that :func:`_render_md` escapes, in its order."""
    out: list[Any] = []
    add, extend = out.append, out.extend
    for blk in blocks:
        kind = blk[0]
        if kind == "h" or kind == "img":
            add(blk[2])
        elif kind == "p":
            add(blk[1])
        elif kind == "kv":
            for item in blk[1]:
                add(item[0])
                add(item[1])
        elif kind == "table":
            extend(blk[1])
            for row in blk[2]:
                extend(row)
        elif kind == "list":
            extend(blk[1])
        elif kind == "link":
            add(blk[1])
            add(blk[3])
    return out


#: a character no rule of :func:`md_escape` changes or looks at, nor :func:`html.escape`
_SEP = "\ue000"


def _md_escape_all(values: list[Any]) -> list[str]:
    """Return :func:`md_escape` of each value, escaped as one text (:func:`_escape_joined`).

    No rule of :func:`md_escape` reaches across :data:`_SEP` (it is neither a letter, a
    slash, a line break nor a markup character).
    """
    return _escape_joined(["" if v is None else str(v) for v in values], md_escape)


def _html_escape_all(texts: list[str]) -> list[str]:
    """Return :func:`html.escape` of each text, escaped as one text (:func:`_escape_joined`)."""
    try:
        return _escape_joined(texts, _html.escape)
    except TypeError:  # not all texts: each on its own, raising as html.escape does
        return [_html.escape(t) for t in texts]


def _escape_joined(texts: list[str], escape: Callable[[str], str]) -> list[str]:
    """Return ``escape`` of each text, applied once to the texts joined by :data:`_SEP`.

    The escaped text splits back into the escaped texts; when a text holds :data:`_SEP`
    itself, each is escaped on its own.
    """
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        return [escape(t) for t in texts]
    return escape(joined).split(_SEP)


_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:60em;
margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.6em;border-bottom:3px solid #08306b;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #bbb}
h3{font-size:1.05em;margin-top:1.2em}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#e8eef5}
dl{display:grid;grid-template-columns:minmax(8em,max-content) minmax(0,1fr);gap:.2em 1em}
dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere;min-width:0}
p,li{overflow-wrap:anywhere}
img{max-width:100%;height:auto;border:1px solid #bbb;box-sizing:border-box}
figure{margin:1em 0}
.status-notify{color:#b30000;font-weight:bold}.status-consult{color:#a35d00;font-weight:bold}
@page{size:A4;margin:16mm 14mm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:9.5pt;line-height:1.35}
h1{font-size:15pt}h2{font-size:12pt;break-after:avoid;page-break-after:avoid}
h3{font-size:10.5pt;break-after:avoid;page-break-after:avoid}
table{font-size:8pt;table-layout:fixed;width:100%}
th,td{padding:.2em .3em;hyphens:auto}
tr,img,figure{break-inside:avoid;page-break-inside:avoid}
dl{grid-template-columns:minmax(0,35%) minmax(0,1fr)}
img{max-height:230mm;object-fit:contain}
a{color:inherit}
}
""".strip()


def _render_html(
    doc: dict[str, Any],
    images: Mapping[str, bytes],
    *,
    interactive: str | None = None,
    lang: str | None = None,
    blocks: list[tuple] | None = None,
) -> str:
    """Self-contained HTML of a dossier (every value escaped, maps embedded).

    ``blocks`` as for :func:`_render_md`.
    """
    e = _html.escape
    o, a = doc["party_of_origin"], doc["affected_party"]
    lang = lang or doc.get("language") or "en"
    if blocks is None:
        blocks = _blocks(doc, interactive, lang)
    title = blocks[0][2] if blocks and blocks[0][0] == "h" else f"{o['iso_a3']}-{a['iso_a3']}"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    e_all = _Cursor(_html_escape_all(_html_values(blocks, images)))
    out += [_html_block(blk, images, e_all) for blk in blocks]
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


class _Cursor:
    """The escaped values of a dossier, given in order: one (call) or the next ``n`` (take)."""

    __slots__ = ("_at", "_values")

    def __init__(self, values: list[str]) -> None:
        self._values = values
        self._at = 0

    def __call__(self) -> str:
        self._at += 1
        return self._values[self._at - 1]

    def take(self, n: int) -> list[str]:
        self._at += n
        return self._values[self._at - n : self._at]


def _cells(tag: str, texts: list[str]) -> str:
    """``<tag>text</tag>`` for each text, one after the other."""
    return f"<{tag}>{f'</{tag}><{tag}>'.join(texts)}</{tag}>" if texts else ""


def _html_block(blk: tuple, images: Mapping[str, bytes], e: _Cursor) -> str:
    """HTML of one block; ``e`` gives the next escaped values (in :func:`_html_values` order)."""
    kind = blk[0]
    if kind == "h":
        return f"<h{blk[1]}>{e()}</h{blk[1]}>"
    if kind == "link":
        return f'<p>{e()}<a href="{e()}">{e()}</a>{e()}</p>'
    if kind == "p":
        return f"<p>{e()}</p>"
    if kind == "kv":
        items = []
        for item in blk[1]:
            val = e()
            if len(item) > 2:  # a status: coloured by its neutral value
                val = f'<span class="status-{e()}">{val}</span>'
            items.append(f"<dt>{e()}</dt><dd>{val}</dd>")
        return "<dl>" + "".join(items) + "</dl>"
    if kind == "table":
        head = _cells("th", e.take(len(blk[1])))
        body = "".join([f"<tr>{_cells('td', e.take(len(row)))}</tr>" for row in blk[2]])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if kind == "list":
        return f"<ul>{_cells('li', e.take(len(blk[1])))}</ul>"
    if kind == "img":
        data = images.get(blk[1])
        src = (
            "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            if data is not None
            else e()
        )
        return f'<figure><img src="{src}" alt="{e()}"></figure>'
    return ""


def _html_values(blocks: list[tuple], images: Mapping[str, bytes]) -> list[Any]:
    """Return the values that :func:`_html_block` escapes, in its order."""
    out: list[Any] = []
    add, extend = out.append, out.extend
    for blk in blocks:
        kind = blk[0]
        if kind == "h":
            add(blk[2])
        elif kind == "link":
            extend((blk[1], _urlquote(blk[2]), blk[2], blk[3]))
        elif kind == "p":
            add(blk[1])
        elif kind == "kv":
            for item in blk[1]:
                add(str(item[1]))
                if len(item) > 2:
                    add(str(item[2]))
                add(str(item[0]))
        elif kind == "table":
            extend(map(str, blk[1]))
            for row in blk[2]:
                extend(map(str, row))
        elif kind == "list":
            extend(map(str, blk[1]))
        elif kind == "img":
            if images.get(blk[1]) is None:
                add(_urlquote(blk[1]))
            add(blk[2])
    return out
