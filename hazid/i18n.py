r"""Languages of the outputs: message catalogues, numbers, dates and country names.

Messages are translated with the standard :mod:`gettext` catalogues of the ``hazid`` domain,
shipped compiled in ``hazid/locale/<lang>/LC_MESSAGES/hazid.mo`` (English is the source
language and needs no catalogue). Numbers and dates are formatted with the locale data of
Babel (CLDR): ``3,000.5`` in English, ``3 000,5`` in Russian (the group separator is a
no-break space). Country names come from ``hazid/locale/countries.csv``, derived from the
Debian ``iso-codes`` package (see ``hazid/locale/README.md``).

This module is a utility below every layer of hazid: it imports nothing from hazid but
:mod:`hazid.errors`.

Examples
--------
>>> tr = translator("ru")
>>> tr.gettext("Party of origin")
'Сторона происхождения'
>>> format_decimal(3000.5, "ru", decimals=1).replace("\xa0", " ")
'3 000,5'
>>> country_name("KAZ", "ru")
'Казахстан'
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import gettext as _gettext
import io
import math
from collections.abc import Iterable
from importlib import resources
from typing import Any

from babel import dates as _bdates
from babel import numbers as _bnumbers

from hazid.errors import check_choice

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "N_",
    "check_lang",
    "country_name",
    "format_date",
    "format_decimal",
    "format_integer",
    "gettext",
    "parse_langs",
    "translator",
]

#: Languages of the outputs; the first is the source language of the messages.
LANGUAGES: tuple[str, ...] = ("en", "ru")
#: gettext domain of the catalogues.
DOMAIN = "hazid"


def N_(message: str) -> str:  # noqa: N802 - the usual name of the gettext no-op marker
    """Mark a message for extraction without translating it (translate it when used).

    Examples
    --------
    >>> N_("Status")
    'Status'
    """
    return message


def check_lang(lang: str) -> str:
    """Return ``lang`` lower-cased if it is one of :data:`LANGUAGES`.

    Raises
    ------
    ChoiceError
        If the language is not supported (the message lists the allowed values).

    Examples
    --------
    >>> check_lang("RU")
    'ru'
    """
    value = str(lang).strip().lower()
    check_choice("lang", value, LANGUAGES)
    return value


def parse_langs(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Languages from ``"en"``, ``"en,ru"`` or a list, validated, duplicates dropped.

    ``None`` or an empty value gives ``("en",)``.

    Raises
    ------
    ChoiceError
        If a language is not supported.

    Examples
    --------
    >>> parse_langs("ru, en,ru")
    ('ru', 'en')
    """
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        if str(item).strip():
            lang = check_lang(item)
            if lang not in out:
                out.append(lang)
    return tuple(out) or (LANGUAGES[0],)


@functools.cache
def translator(lang: str) -> _gettext.NullTranslations:
    """Return the gettext translations of ``lang`` (English: messages returned unchanged).

    Raises
    ------
    ChoiceError
        If the language is not supported.

    Examples
    --------
    >>> translator("en").gettext("Party of origin")
    'Party of origin'
    """
    lang = check_lang(lang)
    if lang == LANGUAGES[0]:
        return _gettext.NullTranslations()
    mo = resources.files("hazid").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.mo")
    with mo.open("rb") as fh:
        return _gettext.GNUTranslations(fh)


def gettext(message: str, lang: str) -> str:
    """Translate one message into ``lang``.

    Examples
    --------
    >>> gettext("Status", "ru")
    'Статус'
    """
    return translator(lang).gettext(message)


def _locale(lang: str) -> str:
    return {"en": "en_GB", "ru": "ru_RU"}[check_lang(lang)]


def format_decimal(x: Any, lang: str, *, decimals: int = 1, missing: str = "") -> str:
    """Format a number with exactly ``decimals`` decimals and the language's separators.

    Examples
    --------
    >>> format_decimal(1234.5, "en", decimals=1)
    '1,234.5'
    >>> format_decimal(None, "en", missing="unknown")
    'unknown'
    """
    try:
        v = float(x)
    except (TypeError, ValueError):
        return missing
    if math.isnan(v) or math.isinf(v):
        return missing
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    v = round(v, decimals) + 0.0
    return _bnumbers.format_decimal(v, format=pattern, locale=_locale(lang))


def format_integer(x: Any, lang: str, *, missing: str = "") -> str:
    r"""Format a number rounded to a whole number, with the language's group separator.

    Examples
    --------
    >>> format_integer(3000, "ru").replace("\xa0", " ")
    '3 000'
    """
    return format_decimal(x, lang, decimals=0, missing=missing)


def format_date(iso: str | _dt.date, lang: str) -> str:
    """Format an ISO date (``YYYY-MM-DD``) as a long date in ``lang``.

    Examples
    --------
    >>> format_date("2025-03-14", "en")
    '14 March 2025'
    >>> format_date("2025-03-14", "ru").replace("\u202f", " ")
    '14 марта 2025 г.'
    """
    day = iso if isinstance(iso, _dt.date) else _dt.date.fromisoformat(str(iso)[:10])
    return _bdates.format_date(day, format="long", locale=_locale(lang))


@functools.cache
def _countries() -> dict[str, dict[str, str]]:
    path = resources.files("hazid").joinpath("locale", "countries.csv")
    text = path.read_text(encoding="utf-8")
    return {r["iso_a3"]: r for r in csv.DictReader(io.StringIO(text))}


def country_name(iso_a3: str, lang: str, default: str | None = None) -> str | None:
    """Short name of a country in ``lang`` (ISO 3166-1, Debian iso-codes translations).

    Returns ``default`` for a code that is not in the table.

    Examples
    --------
    >>> country_name("UZB", "en"), country_name("XXX", "ru", "XXX")
    ('Uzbekistan', 'XXX')
    """
    row = _countries().get(str(iso_a3).upper())
    if row is None:
        return default
    return row.get(check_lang(lang)) or row.get(LANGUAGES[0]) or default
