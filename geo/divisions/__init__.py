"""Division changes: communities, villages and sub-districts created, split, merged, renamed, re-coded (#17 item 4).

Each change is one use case in :mod:`geo.divisions.changes`, one transaction under a decision of the
people's government (body, document, date, effective date), recorded in ``division_changes`` with the
code history in ``unit_code_history``; retired units keep their rows. Codes follow PN-13 and are never
reused (:mod:`geo.divisions.codes`); split parts must tile the old unit (:mod:`geo.divisions.geometry`);
plates, facilities, premises and new estates follow to the unit that contains them and the unit
figures are recounted (:mod:`geo.divisions.reparent`); the unit's place name follows through the
gazetteer (:mod:`geo.divisions.names`); former names and codes stay searchable
(:mod:`geo.divisions.queries`).
"""

from geo.divisions.changes import (
    Decision,
    create_unit,
    merge_units,
    offer_code,
    parse_decision,
    recode_unit,
    rename_unit,
    split_unit,
)
from geo.divisions.queries import get_change, list_changes, search_units, unit_history

__all__ = ["Decision", "create_unit", "get_change", "list_changes", "merge_units", "offer_code", "parse_decision",
           "recode_unit", "rename_unit", "search_units", "split_unit", "unit_history"]
