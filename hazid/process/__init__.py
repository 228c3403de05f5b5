"""The notification process after a screening: what changed, the register, the catalogue.

This layer reads results folders written by ``hazid screen`` (it sits above
:mod:`hazid.output` and beside :mod:`hazid.pipeline`, and never imports the pipeline):

- :func:`diff` compares two screenings per activity and pair of Parties and writes
  ``changes.csv`` and a letter per pair (:func:`write_changes`);
- :class:`Register` is the notification register (SQLite): dossiers prepared, sent,
  acknowledged, consultations, overdue replies, pairs to notify again;
- :func:`catalogue` merges several countries' screenings into one regional catalogue and
  reconciles their pairs (:func:`write_catalogue`).
"""

from __future__ import annotations

from hazid.process.catalogue import Catalogue, catalogue, write_catalogue
from hazid.process.diff import CHANGE_COLUMNS, CHANGE_KINDS, Changes, diff, write_changes
from hazid.process.letters import markdown_text
from hazid.process.read import Screening, read_screening
from hazid.process.register import Register

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_KINDS",
    "Catalogue",
    "Changes",
    "Register",
    "Screening",
    "catalogue",
    "diff",
    "markdown_text",
    "read_screening",
    "write_catalogue",
    "write_changes",
]
