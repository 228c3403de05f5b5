"""Words drawn on the maps, in one place, and country names in the language of the map.

Every label, legend entry and layer name of the interactive and the static maps is looked up
here by its English text (the message id): in the table below (the maps keep their own
words), else in the gettext catalogue of the dossiers (:mod:`hazid.i18n`). Country names
come from :func:`hazid.i18n.country_name` (ISO 3166-1), else from the CLDR territory names
shipped with Babel, with the ``name`` column of the borders as the last fallback.

Examples
--------
>>> text("Affected Party", "ru")
'Затрагиваемая Сторона'
>>> country_name("KAZ", "ru")
'Казахстан'
>>> country_name("XXX", "en", "Nowhere")
'Nowhere'
"""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from hazid import i18n
from hazid.errors import check_choice

#: Languages the maps can be drawn in.
MAP_LANGUAGES: tuple[str, ...] = i18n.LANGUAGES

_RU: dict[str, str] = {
    "Sites": "Объекты",
    "Countries": "Страны",
    "Consequence zones": "Зоны последствий",
    "Rivers": "Реки",
    "Hazardous, notifying": "Опасный, уведомление",
    "Hazardous, domestic only": "Опасный, только внутри страны",
    "Not hazardous": "Не опасный",
    "Hazardous activity": "Опасная деятельность",
    "Countries (offline base map)": "Страны (автономная основа)",
    "Country names": "Названия стран",
    "Affected Parties": "Затрагиваемые Стороны",
    "Affected Party": "Затрагиваемая Сторона",
    "Countries of origin": "Стороны происхождения",
    "Party of origin": "Сторона происхождения",
    "Country border": "Государственная граница",
    "Zones": "Зоны",
    "toxic": "токсичная",
    "fire": "пожар",
    "fireball": "огненный шар",
    "explosion": "взрыв",
    "unspecified": "не указана",
    "River traces": "Речные трассы",
    "run-out envelope (not a flow path)": "зона растекания хвостов (не путь потока)",
    "run-out": "растекание",
    "River trace": "Речная трасса",
    "River trace downstream": "Речная трасса вниз по течению",
    "Border crossings, arrival time": "Пересечения границы, время добегания",
    "Ends of the river data": "Концы данных о реках",
    "End of the river data (not assessed beyond)": "Конец данных о реках (далее не оценено)",
    "and {n} more": "и ещё {n}",
    "Border crossing (arrival h)": "Пересечение границы (добегание, ч)",
    "{value} h": "{value} ч",
    "{value} km": "{value} км",
    "{value} m": "{value} м",
    "{iso} (affected Party)": "{iso} (затрагиваемая Сторона)",
    "{iso} (Party of origin)": "{iso} (Сторона происхождения)",
    "{hazard} zone": "зона: {hazard}",
    "N": "с. ш.",
    "S": "ю. ш.",
    "E": "в. д.",
    "W": "з. д.",
    "Azimuthal equidistant projection centred on the site ({lat}\u00b0 {ns}, {lon}\u00b0 {ew}),"
    " WGS 84.": "Азимутальная равнопромежуточная проекция с центром в точке объекта"
    " ({lat}\u00b0 {ns}, {lon}\u00b0 {ew}), WGS 84.",
    "hazid screening map": "карта скрининга hazid",
    "Too small to show at this scale": "Слишком мала для этого масштаба",
    "Azimuthal equidistant projection centred among the activities ({lat}\u00b0 {ns},"
    " {lon}\u00b0 {ew}), WGS 84.": "Азимутальная равнопромежуточная проекция с центром"
    " среди объектов ({lat}\u00b0 {ns}, {lon}\u00b0 {ew}), WGS 84.",
    "This map of the pair shows {n} of its activities, each labelled with its number in the"
    " dossier.": "Эта карта пары показывает {n} её видов деятельности, каждый подписан своим"
    " номером в досье.",
    "Hazardous activity (number in the dossier)": "Опасная деятельность (номер в досье)",
    "activities {items}": "виды деятельности {items}",
    "{name} (affected Party) lies outside the map, {km} km from its centre (bearing"
    " {deg}\u00b0).": "{name} (затрагиваемая Сторона) находится за пределами карты, в {km} км"
    " от её центра (азимут {deg}\u00b0).",
}
_TEXT: dict[str, dict[str, str]] = {"en": {}, "ru": _RU}


def check_map_lang(lang: str) -> str:
    """Return ``lang`` if the maps can be drawn in it.

    Raises
    ------
    ChoiceError
        The language is not one of :data:`MAP_LANGUAGES`.

    Examples
    --------
    >>> check_map_lang("ru")
    'ru'
    """
    return check_choice("lang", lang, MAP_LANGUAGES)


def text(message: str, lang: str) -> str:
    """Translate the English ``message`` into ``lang`` (unchanged when there is no translation).

    Examples
    --------
    >>> text("River trace", "en")
    'River trace'
    """
    if lang == MAP_LANGUAGES[0]:
        return message
    own = _TEXT.get(lang, {}).get(message)
    return own if own is not None else _translator(lang).gettext(message)


@functools.lru_cache(maxsize=8)
def _translator(lang: str):
    return i18n.translator(lang)


@functools.lru_cache(maxsize=8)
def _territories(lang: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(lang).territories)
    except (UnknownLocaleError, ValueError):
        return {}


@functools.lru_cache(maxsize=1)
def _alpha2() -> dict[str, str]:
    """ISO 3166-1 alpha-3 -> alpha-2, from the CLDR territory aliases."""
    aliases = get_global("territory_aliases")
    return {k: v[0] for k, v in aliases.items() if len(k) == 3 and k.isalpha() and len(v) == 1}


def country_name(iso_a3: str, lang: str, default: str | None = None) -> str | None:
    """Name of the country ``iso_a3`` in ``lang`` (CLDR), else ``default``.

    Examples
    --------
    >>> country_name("UZB", "en")
    'Uzbekistan'
    """
    name = i18n.country_name(iso_a3, lang)
    if name:
        return name
    a2 = _alpha2().get(str(iso_a3).upper())
    name = _territories(lang).get(a2) if a2 else None
    return name or default
