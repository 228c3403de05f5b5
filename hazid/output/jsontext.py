"""JSON text with sorted keys and two-space indents, at the speed of the C encoder.

``json.dumps(..., indent=2)`` runs the standard library's pure-Python encoder: the C encoder
of :mod:`json` has no indentation. A dossier holds hundreds of thousands of values, almost
all of them in small objects and lists whose members are plain values (a substance, an
effect). :func:`dumps_indented` gives each such container to the C encoder, with the line
break and indentation of its depth as the separator between members, and lays out only the
containers around them itself; the text is the one ``json.dumps`` gives.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps_indented"]

_OPTIONS = {"sort_keys": True, "ensure_ascii": False, "allow_nan": False}
_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
_make_encoder = json.encoder.c_make_encoder  # type: ignore[attr-defined]  # None without C
_LEAF: dict[int, Any] = {}


class _FallbackError(Exception):
    """A value this module leaves to ``json.dumps`` (which formats it or raises)."""


def dumps_indented(obj: Any) -> str:
    """Return ``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)``.

    Examples
    --------
    >>> doc = {"b": [1, {"y": None, "x": "é"}], "a": {}, "c": [[], 2.5]}
    >>> dumps_indented(doc) == json.dumps(doc, indent=2, **_OPTIONS)
    True
    """
    out: list[str] = []
    try:
        if _make_encoder is None:
            raise _FallbackError
        _encode(obj, 0, out)
    except _FallbackError:
        out = []
    return "".join(out) if out else json.dumps(obj, indent=2, **_OPTIONS)


def _leaf_encoder(level: int) -> Any:
    """Return the C encoder of a container at ``level`` whose members are plain values."""
    enc = _LEAF.get(level)
    if enc is None:  # the arguments json.JSONEncoder.iterencode gives it, sorted and strict
        sep = ",\n" + "  " * (level + 1)
        enc = _make_encoder(None, _not_json, _encode_str, None, ": ", sep, True, False, False)
        _LEAF[level] = enc
    return enc


def _not_json(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


_CONTAINERS = (dict, list, tuple)


def _encode(o: Any, level: int, out: list[str]) -> None:
    """Append the text of a value at depth ``level`` to ``out``."""
    if not isinstance(o, _CONTAINERS):
        out.append(_scalar(o))
    elif not o:
        out.append("{}" if isinstance(o, dict) else "[]")
    elif isinstance(o, dict):
        if not any([isinstance(v, _CONTAINERS) and v for v in o.values()]):
            _leaf(o, level, out)
        elif all(isinstance(k, str) for k in o):
            _object(o, level, out)
        else:
            raise _FallbackError
    elif any([isinstance(v, _CONTAINERS) and v for v in o]):
        _array(o, level, out)
    else:
        _leaf(o, level, out)


#: (depth, keys in order) -> the keys sorted, each with the text that comes before its value
_PLANS: dict[tuple[int, tuple[str, ...]], list[tuple[str, str]]] = {}


def _object(o: dict, level: int, out: list[str]) -> None:
    """Append an object holding containers, member by member (keys as strings, sorted).

    The text before each value (separator, indentation and key) is laid out once for each
    depth and set of keys: a dossier holds thousands of objects with the same keys.
    """
    keys = tuple(o)
    plan = _PLANS.get((level, keys))
    if plan is None:
        if len(_PLANS) > 1_000:
            _PLANS.clear()
        inner = ",\n" + "  " * (level + 1)
        plan = [(k, f"{inner[i == 0 :]}{_encode_str(k)}: ") for i, k in enumerate(sorted(keys))]
        _PLANS[(level, keys)] = plan
    out.append("{")
    for k, before in plan:
        out.append(before)
        m = o[k]
        if type(m) is str:
            out.append(_encode_str(m))
        elif m is None:
            out.append("null")
        else:
            _encode(m, level + 1, out)
    out.append("\n" + "  " * level + "}")


def _leaf(o: Any, level: int, out: list[str]) -> None:
    """Append a container of plain values, encoded in C with this depth's separators."""
    text = "".join(_leaf_encoder(level)(o, 0))
    inside, outside = _INDENTS[level] if level < len(_INDENTS) else _indents(level)
    out.append(text[0] + inside + text[1:-1] + outside + text[-1])


def _indents(level: int) -> tuple[str, str]:
    """Line break and indentation inside and after a container at ``level``."""
    return "\n" + "  " * (level + 1), "\n" + "  " * level


_INDENTS = [_indents(level) for level in range(16)]


def _array(items: Any, level: int, out: list[str]) -> None:
    """Append an array holding containers, item by item (objects: :func:`_object`)."""
    inner = ",\n" + "  " * (level + 1)
    out.append("[")
    for i, m in enumerate(items):
        out.append(inner[i == 0 :])
        if type(m) is str:
            out.append(_encode_str(m))
        else:
            _encode(m, level + 1, out)
    out.append("\n" + "  " * level + "]")


def _scalar(v: Any) -> str:
    if isinstance(v, str):
        return _encode_str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float) and math.isfinite(v):
        return float.__repr__(v)
    raise _FallbackError
