"""Layer texts embedded compressed in the HTML maps (zlib, base64; inflated by the browser).

A layer is deflated whole, or part by part (:class:`Parted`: the countries, which come back in
many maps of a run, each deflated once per process and the parts joined in one zlib stream).
The layers are deflated with Intel's ISA-L (the ``isal`` package, when installed; zlib's
format, so any zlib reader inflates them), else with zlib: ISA-L deflates the 86 MB of layer
texts of the map of 100,000 sites in 0.08 s of CPU into 9.7 MB, where zlib took 0.53 s for
9.4 MB (its level 1, and 3 for the large texts, see :data:`_PACK_LEVEL_LARGE`).
"""

from __future__ import annotations

import base64
import functools
import zlib

try:  # ISA-L's deflate (zlib's interface)
    from isal import isal_zlib as _deflater
except ImportError:  # pragma: no cover - isal is installed with hazid where it has wheels
    _deflater = zlib  # type: ignore[misc]

__all__ = ["Parted"]


class Parted(str):
    """A text made of parts, packed part by part (:func:`_pack`).

    The countries of a run's maps come back in many maps, each time among other countries:
    packed apart, each country is deflated once per process.

    Examples
    --------
    >>> t = Parted(["[", "1", ",2", "]"])
    >>> t, t.parts
    ('[1,2]', ('[', '1', ',2', ']'))
    """

    parts: tuple[str, ...]

    def __new__(cls, parts: list[str]) -> Parted:  # noqa: D102 (the class says it)
        self = super().__new__(cls, "".join(parts))
        self.parts = tuple(parts)
        return self


def _pack(data: str) -> str:
    """Deflate (zlib) and base64-encode ``data``.

    Layers of a few megabytes (the countries, the same on every map of a run) are packed once;
    a :class:`Parted` text is packed part by part (:func:`_pack_parts`).
    """
    if isinstance(data, Parted):
        return _pack_parts(data.parts)
    return _pack_cached(data) if len(data) < _CACHE_BELOW else _deflate(data)


#: zlib header (RFC 1950) of a stream packed by parts: deflate, 32 KiB window, fastest level
_ZLIB_HEADER = b"\x78\x01"
#: the last, empty block of a deflate stream (RFC 1951: final, fixed Huffman codes, end code)
_LAST_BLOCK = b"\x03\x00"
#: Deflated parts kept per process (characters of the parts plus bytes deflated); beyond
#: this, the kept parts are forgotten.
_PARTS_KEPT = 64_000_000
_parts: dict[str, bytes] = {}
_parts_size = [0]


def _pack_parts(parts: tuple[str, ...]) -> str:
    """One zlib stream of ``parts``, each deflated on its own and kept for the next maps.

    Each part is a run of deflate blocks that refers to nothing before it and ends on a byte
    boundary (:func:`_deflate_part`), so the parts follow each other in one stream; the
    checksum is that of the whole text. Any zlib reader (the browser's
    ``DecompressionStream``) inflates it to the text of the parts joined.
    """
    check = 1
    for part in parts:
        check = zlib.adler32(part.encode("utf-8"), check)
    body = b"".join([_ZLIB_HEADER, *map(_deflate_part, parts), _LAST_BLOCK])
    return base64.b64encode(body + check.to_bytes(4, "big")).decode("ascii")


def _deflate_part(part: str) -> bytes:
    """Raw deflate blocks of ``part`` (no header, not final), flushed to a byte boundary."""
    got = _parts.get(part)
    if got is None:
        z = _deflater.compressobj(_PACK_LEVEL, zlib.DEFLATED, -15)
        got = z.compress(part.encode("utf-8")) + z.flush(_deflater.Z_SYNC_FLUSH)
        size = len(part) + len(got)
        if _parts_size[0] + size > _PARTS_KEPT:
            _parts.clear()
            _parts_size[0] = 0
        _parts[part] = got
        _parts_size[0] += size
    return got


#: Deflate level of the packed layers: the fastest. With ISA-L (levels 0-3), level 1 deflates
#: the popups of 100,000 sites (51 MB) into 4.9 MB in 0.04 s (level 3: 4.5 MB in 0.15 s); with
#: zlib, level 1 (level 6 makes the countries a sixth smaller and takes ten times longer, 0.4 s
#: for the world)...
_PACK_LEVEL = 1
#: ... and, with zlib, for texts of at least :data:`_CACHE_BELOW` characters (the popups of
#: many sites): level 3, which makes them a sixth smaller for about 5 % more time (those
#: popups: 4.2 MB against 5.0 MB at level 1, in 0.18 s); level 6, a third smaller than level 1,
#: takes twice as long as level 3 (3.4 MB in 0.39 s).
_PACK_LEVEL_LARGE = 1 if _deflater is not zlib else 3
#: Layer texts shorter than this (characters) are packed once per process.
_CACHE_BELOW = 8_000_000


@functools.lru_cache(maxsize=8)
def _pack_cached(data: str) -> str:
    return _deflate(data)


def _deflate(data: str) -> str:
    level = _PACK_LEVEL if len(data) < _CACHE_BELOW else _PACK_LEVEL_LARGE
    return base64.b64encode(_deflater.compress(data.encode("utf-8"), level)).decode("ascii")
