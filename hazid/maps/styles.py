"""Colours, symbols and drawing order shared by the interactive and the static maps.

One place for the look of the maps: site status markers, consequence-zone colours by hazard
type, the styles of countries, affected Parties, Parties of origin and river traces.
"""

from __future__ import annotations

from typing import Any

import pyproj

#: Layer groups that :func:`screening_map` can draw (its ``layers`` argument).
MAP_LAYERS: tuple[str, ...] = ("countries", "affected", "origin", "zones", "rivers", "sites")

#: Marker style of each site status: ``notify`` (hazardous, with at least one
#: affected Party), ``domestic`` (hazardous, no affected Party), ``other``.
SITE_STATUS_STYLE: dict[str, dict[str, Any]] = {
    "notify": {
        "label": "Hazardous, notifying",
        "radius": 7,
        "color": "#67000d",
        "weight": 1.5,
        "fillColor": "#e31a1c",
        "fillOpacity": 0.9,
    },
    "domestic": {
        "label": "Hazardous, domestic only",
        "radius": 6,
        "color": "#7f2704",
        "weight": 1.2,
        "fillColor": "#fd8d3c",
        "fillOpacity": 0.9,
    },
    "other": {
        "label": "Not hazardous",
        "radius": 4,
        "color": "#404040",
        "weight": 1,
        "fillColor": "#bdbdbd",
        "fillOpacity": 0.85,
    },
}

#: Outline and fill colour of the consequence zones of each hazard type (both kinds of map).
ZONE_COLOURS: dict[str, str] = {
    "toxic": "#6a3d9a",
    "fire": "#ff7f00",
    "fireball": "#d4a000",
    "explosion": "#e31a1c",
}
_OTHER_ZONE_COLOUR = "#636363"
#: Outline width (px) and fill opacity of consequence zones.
_ZONE_STYLE = {"weight": 1.5, "fillOpacity": 0.18}

_COUNTRY_STYLE = {
    "color": "#8c8c8c",
    "weight": 0.8,
    "fillColor": "#f4f1ea",
    "fillOpacity": 1.0,
}
_AFFECTED_STYLE = {"color": "#cb181d", "weight": 1.2, "fillColor": "#fb6a4a", "fillOpacity": 0.3}
# dashed, so that the Party of origin is never mistaken for a border or a river
_ORIGIN_STYLE = {
    "color": "#08306b",
    "weight": 3,
    "dashArray": "9 5",
    "fill": False,
    "interactive": False,
}
#: Run-out envelopes of tailings dams: dashed, so as not to read as a modelled zone.
_RUNOUT_STYLE = {"color": "#8c510a", "weight": 1.5, "dashArray": "6 4", "fillOpacity": 0.1}
_TRACE_STYLE = {"color": "#0868ac", "weight": 3, "opacity": 0.85}
#: where a trace leaves the river data (the water pathway is not assessed beyond)
_DATA_END_STYLE = {
    "radius": 6,
    "color": "#7f2704",
    "weight": 2,
    "fillColor": "#fdd0a2",
    "fillOpacity": 1.0,
}
_CROSSING_STYLE = {
    "radius": 5,
    "color": "#08306b",
    "weight": 2,
    "fillColor": "#ffffff",
    "fillOpacity": 1.0,
}
_LABEL_COLOUR = "#4d4d4d"
_SEA_COLOUR = "#d5e4ef"

# Map panes (z-index) keep the drawing order fixed when layers are toggled.
_PANES = {
    "hazidCountries": 250,
    "hazidAffected": 300,
    "hazidOrigin": 320,
    "hazidZones": 410,
    "hazidRivers": 420,
    "hazidCrossings": 430,
    "hazidSites": 440,
    "hazidLabels": 450,
}

_MIN_TOLERANCE_M = 50.0
_ZONE_TOLERANCE_FRACTION = 0.02
_COUNTRY_PAD_M = 300_000.0
_PERMANENT_LABELS_MAX = 40
_GEOD = pyproj.Geod(ellps="WGS84")

#: Colour of each consequence-zone hazard on static maps: the same as on the HTML map.
HAZARD_COLOURS: dict[str, str] = ZONE_COLOURS
