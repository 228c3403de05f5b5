"""Affected Parties and notification dossiers (Convention Article 4 and Annex III).

For every hazardous activity (Annex I) and every other country its effects may reach, hazid
decides a status:

``notify``
    An effect reaches the other Party: an air row (consequence zone) whose ``margin_km`` (zone
    reach minus distance to the border) is >= 0 and that is not uncertain, or a water row
    whose arrival time is known and within the horizon and, when a concentration threshold is
    set, whose peak concentration is at or above it.
``consult``
    The screening cannot settle the question: an air row flagged ``uncertain`` or whose margin
    lies within +/- ``uncertainty_km`` of zero (or is unknown), or a water row whose arrival
    time or (when a threshold is set) peak concentration was not computed.
``none``
    The effect stops short of the other Party.

A pair (activity, affected Party) takes the strongest status of its rows (notify > consult >
none). Activities that are not hazardous under Annex I are never notified, however close to a
border; they are listed with their reason in a separate table (:func:`not_notified`).

The sub-package follows the method: :mod:`~hazid.notify.decide` (status per activity and
Party), :mod:`~hazid.notify.contacts` (competent authorities and points of contact),
:mod:`~hazid.notify.parties` (Parties to the Convention), :mod:`~hazid.notify.dossier`,
:mod:`~hazid.notify.activity` and :mod:`~hazid.notify.method` (the content of a dossier, after
Annex III), :mod:`~hazid.notify.render` (its layout, in English or Russian) and
:mod:`~hazid.notify.markup` (Markdown and HTML, every input value escaped). Writing the
dossiers to disk, with their static maps, is :func:`hazid.write_notifications`
(:mod:`hazid.output.dossiers`).
"""

from __future__ import annotations

from hazid.notify.contacts import CONTACT_FIELDS, NOT_PROVIDED, read_contacts
from hazid.notify.decide import (
    NO_EFFECT_REASON,
    NO_MODEL_REASON,
    NOT_HAZARDOUS_REASON,
    PATHWAYS,
    STATUSES,
    UNKNOWN_ORIGIN,
    determine,
    not_notified,
)
from hazid.notify.dossier import (
    SCHEMA_VERSION,
    DossierSet,
    notification_schema,
    prepare_dossiers,
)
from hazid.notify.parties import convention_status

__all__ = [
    "CONTACT_FIELDS",
    "NOT_HAZARDOUS_REASON",
    "NOT_PROVIDED",
    "NO_EFFECT_REASON",
    "NO_MODEL_REASON",
    "PATHWAYS",
    "SCHEMA_VERSION",
    "STATUSES",
    "UNKNOWN_ORIGIN",
    "DossierSet",
    "convention_status",
    "determine",
    "not_notified",
    "notification_schema",
    "prepare_dossiers",
    "read_contacts",
]
