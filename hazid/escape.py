"""Escaping of values that come from inputs, one rule per output format.

Inventories, contact lists and geodata attributes are assembled from many sources; what hazid
writes from them goes to other governments. Each output format gets its own rule:

- spreadsheets (CSV, XLSX): the OWASP rule against formula injection - a text cell that begins,
  after any leading white space, with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  prefixed with ``'``; numbers stay numbers;
- floating-point numbers: written with at most 15 significant digits, the precision a double
  carries, so that ``1.7999999999999998`` is written ``1.8``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["clean_float", "spreadsheet_text"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    r"""Neutralise a text cell that a spreadsheet would run as a formula.

    Parameters
    ----------
    value : Any
        A cell; anything but a string is returned unchanged.

    Returns
    -------
    Any
        The value, with ``'`` in front when it would start a formula.

    Examples
    --------
    >>> spreadsheet_text('=HYPERLINK("http://x")')
    '\'=HYPERLINK("http://x")'
    >>> spreadsheet_text(" \t=1+1")
    "' \t=1+1"
    >>> spreadsheet_text("-12"), spreadsheet_text(-12), spreadsheet_text("Tashkent")
    ("'-12", -12, 'Tashkent')
    """
    if not isinstance(value, str):
        return value
    stripped = value.lstrip(" \u00a0\u3000")
    if stripped.startswith(_FORMULA_START) or value.startswith(_FORMULA_START):
        return "'" + value
    return value


def clean_float(value: float) -> float:
    """Round a float to the 15 significant digits a double carries.

    Examples
    --------
    >>> clean_float(1.7999999999999998), clean_float(0.1 + 0.2), clean_float(2.5e-7)
    (1.8, 0.3, 2.5e-07)
    """
    if not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.15g}")
