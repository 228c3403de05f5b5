"""Text encodings of CSV inventories: detect, decode and say which one was used.

UTF-8 (with or without a byte order mark) is read as it is. A file that is not UTF-8 is handed to
`charset-normalizer <https://charset-normalizer.readthedocs.io>`_, limited to the encodings that
tables of the region are written in (UTF-16/32, Windows-1251, KOI8-R/U, DOS 866, ISO 8859-5, Mac
Cyrillic, Windows-1252). Short Cyrillic texts decode without "chaos" in several single-byte
encodings; the candidates are then ranked by how plausible their letters are (a wrong code page
turns common letters into rare ones, and lower-case letters into capitals in mid-word), with
Windows-1251 preferred on a tie. The encoding used is
returned and, when it is not UTF-8, reported as a warning.
"""

from __future__ import annotations

import itertools
import math
import re

from hazid.inventory.problems import _Problems

#: Encodings considered for a file that is not UTF-8, in order of preference on a tie.
CANDIDATES: tuple[str, ...] = (
    "cp1251",
    "koi8_r",
    "koi8_u",
    "cp866",
    "iso8859_5",
    "mac_cyrillic",
    "cp1252",
)
#: Names shown to people.
LABELS: dict[str, str] = {
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16LE",
    "utf_16_be": "UTF-16BE",
    "utf_32": "UTF-32",
    "cp1251": "Windows-1251",
    "koi8_r": "KOI8-R",
    "koi8_u": "KOI8-U",
    "cp866": "DOS 866",
    "iso8859_5": "ISO 8859-5",
    "mac_cyrillic": "Mac Cyrillic",
    "cp1252": "Windows-1252",
}
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf_32"),
    (b"\xff\xfe\x00\x00", "utf_32"),
    (b"\xff\xfe", "utf_16"),
    (b"\xfe\xff", "utf_16"),
)
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{2,}")
#: Approximate frequency (%) of the letters of Russian text, as commonly quoted from the Russian
#: National Corpus; only their order of magnitude matters here (a wrong code page turns common
#: letters into rare ones such as ъ, э, ф, щ). Kazakh letters count as uncommon but not rare.
_LETTER_FREQ: dict[str, float] = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73,
    "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 1.90, "ь": 1.74, "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04,
    "ё": 0.04, "ә": 0.5, "ғ": 0.5, "қ": 0.5, "ң": 0.5, "ө": 0.5, "ұ": 0.5, "ү": 0.5, "һ": 0.1,
    "і": 0.5,
}  # fmt: skip


def _plausibility(text: str) -> float:
    """Score how much a decoded text looks like Russian or Kazakh (higher is more plausible).

    The mean log frequency of its Cyrillic letters, less a penalty for capitals that follow a
    lower-case letter inside a word. Text without Cyrillic letters scores 0.
    """
    letters = [c for c in text if "\u0400" <= c <= "\u04ff"]
    if not letters:
        return 0.0
    rare = _LETTER_FREQ["ъ"]
    score = sum(math.log(_LETTER_FREQ.get(c.lower(), rare)) for c in letters)
    capitals = sum(
        sum(1 for a, b in itertools.pairwise(word) if a.islower() and b.isupper())
        for word in _CYRILLIC_WORD.findall(text)
    )
    return (score - 5.0 * capitals) / len(letters)


def _utf16_without_bom(head: bytes) -> str | None:
    """Return ``utf_16_le`` / ``utf_16_be`` when NUL bytes fall on every other byte."""
    half = max(len(head) // 2, 1)
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf_16_le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf_16_be"
    return None


def unicode_codec(raw: bytes) -> str | None:
    """Return the codec of a UTF-16/UTF-32 text (by its byte order mark or NUL pattern).

    Parameters
    ----------
    raw : bytes
        The file's bytes.

    Returns
    -------
    str or None
        A Python codec name, or None when the bytes are not UTF-16/32.

    Examples
    --------
    >>> unicode_codec("a,b".encode("utf-16"))
    'utf_16'
    >>> unicode_codec("site_id,lon".encode("utf-16-le"))
    'utf_16_le'
    >>> unicode_codec(b"a,b") is None
    True
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return codec
    if b"\x00" in raw[:4096]:
        return _utf16_without_bom(raw[:4096])
    return None


def _best_single_byte(raw: bytes) -> str | None:
    """Pick the single-byte encoding of a non-UTF-8 text (None when none fits)."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw, cp_isolation=list(CANDIDATES)))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    scored = []
    for m in matches:
        if m.chaos > least + 0.05 or m.encoding not in CANDIDATES:
            continue
        text = raw.decode(m.encoding, errors="replace")
        scored.append((-_plausibility(text), m.chaos, CANDIDATES.index(m.encoding), m.encoding))
    return min(scored)[3] if scored else None


def decode(raw: bytes, name: str, problems: _Problems) -> tuple[str, str] | None:
    """Decode a text table; return the text and the codec, or None (a problem is added).

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    name : str
        File name, for the messages.
    problems : _Problems
        Collector of problems and warnings.

    Returns
    -------
    tuple of (str, str) or None

    Examples
    --------
    >>> from hazid.inventory.problems import _Problems
    >>> found = _Problems()
    >>> decode("вещество;хлор".encode("koi8_r"), "a.csv", found)
    ('вещество;хлор', 'koi8_r')
    >>> found.warnings
    ['a.csv is not UTF-8; read it as KOI8-R (koi8_r)']
    """
    codec = unicode_codec(raw)
    if codec is not None:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            problems.add(None, "", "", f"the file looks like {LABELS[codec]} but does not decode")
            return None
        problems.warn(f"{name} is not UTF-8; read it as {LABELS[codec]} ({codec})")
        return text.lstrip("\ufeff"), codec
    try:
        return raw.decode("utf-8-sig"), "utf_8"
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        first_bad = err.start
    lenient = raw.decode("utf-8", errors="replace")
    n_bad = lenient.count("\ufffd")
    n_good = len(lenient) - len(lenient.encode("ascii", errors="ignore")) - n_bad
    if n_good >= n_bad:
        problems.add(
            None,
            "",
            f"byte {first_bad}",
            f"the file is mostly UTF-8 but has {n_bad} invalid byte(s) from another encoding "
            f"(first on line {line}): save it again as CSV UTF-8",
        )
        return None
    codec = _best_single_byte(raw)
    if codec is None:
        problems.add(
            None,
            "",
            "",
            "the encoding of the file is not recognised (tried UTF-8, UTF-16, "
            f"{', '.join(LABELS[c] for c in CANDIDATES)}): save it as CSV UTF-8",
        )
        return None
    problems.warn(f"{name} is not UTF-8; read it as {LABELS[codec]} ({codec})")
    return raw.decode(codec), codec
