"""Tailings storage facilities: from a dam failure to the border.

- :mod:`~hazid.tailings.facilities`: read and validate the facility table;
- :mod:`~hazid.tailings.release`: released volume and run-out from published
  empirical relations (versioned in ``hazid/data/tailings``, with status);
- :mod:`~hazid.tailings.cases`: documented failures (height, stored and
  released volume, run-out, with sources) and the scatter of each relation on
  them;
- :mod:`~hazid.tailings.river`: does the run-out reach a river, and where the
  released contaminants go downstream (the ``tailings`` pathway);
- :mod:`~hazid.tailings.index`: the inputs of a hazard index, and a ranking
  rule that needs no unsourced weights;
- :mod:`~hazid.tailings.assess`: the whole chain in one call, and run-out zones
  for maps.
- :mod:`~hazid.tailings.chain`: the ``tailings`` pathway inside :func:`hazid.screen`
  (``screen(..., tailings=...)``, ``hazid screen --tailings``).
"""

from __future__ import annotations

from hazid.errors import RelationError, TailingsError
from hazid.tailings.assess import TailingsResults, assess_tailings, runout_zones
from hazid.tailings.cases import (
    CASE_COLUMNS,
    check_verified,
    load_cases,
    relation_check,
    relation_residuals,
    reproduce_fit,
)
from hazid.tailings.facilities import (
    CONTAMINANT_UNITS,
    FACILITY_STATUSES,
    contaminant_table,
    read_facilities,
    validate_facilities,
)
from hazid.tailings.index import CRITERIA, THI_TERMS, hazard_inputs, rank_facilities
from hazid.tailings.release import (
    DEFAULT_RUNOUT_RELATION,
    DEFAULT_VOLUME_RELATION,
    RELATION_STATUSES,
    apply_relation,
    dam_break,
    get_relation,
    load_relations,
    released_volume,
    runout_distance,
)
from hazid.tailings.river import (
    PATHWAY,
    facility_points,
    released_contaminants,
    runout_to_river,
    trace_tailings,
)

__all__ = [
    "CASE_COLUMNS",
    "CONTAMINANT_UNITS",
    "CRITERIA",
    "DEFAULT_RUNOUT_RELATION",
    "DEFAULT_VOLUME_RELATION",
    "FACILITY_STATUSES",
    "PATHWAY",
    "RELATION_STATUSES",
    "THI_TERMS",
    "RelationError",
    "TailingsError",
    "TailingsResults",
    "apply_relation",
    "assess_tailings",
    "check_verified",
    "contaminant_table",
    "dam_break",
    "facility_points",
    "get_relation",
    "hazard_inputs",
    "load_cases",
    "load_relations",
    "rank_facilities",
    "read_facilities",
    "relation_check",
    "relation_residuals",
    "released_contaminants",
    "released_volume",
    "reproduce_fit",
    "runout_distance",
    "runout_to_river",
    "runout_zones",
    "trace_tailings",
    "validate_facilities",
]
