"""A district's first load of its units by file import (DEPLOYMENT.md "Adding a district", step 1).

Units are otherwise created only by a division decision (``POST /api/divisions/create``); a file import may fill
them once, while the district holds none of its own (:data:`geo.write_rules.FIRST_LOAD_ALLOWED`).

In a database that holds no other district (the embedded SQLite file, a new PostgreSQL database) the load is what
an export of the district's units carries: its outline, its units and the neighbours' reference outlines (rows of
status ``neighbour`` under their own district's code, read by every district).

Beside other districts (a district added to a city's database) it must leave a district the service holds and can
serve, and write only the district's own units:

* it carries the district's own outline (code ``{adcode}000000``, level ``district``): a district is held once
  its outline is there (:func:`geo.store.districts.holds_district`); units loaded without it left a district
  that was not held and no longer empty, which no later import or decision could reach (review);
* every unit is the district's own: no other district's code and no ``neighbour`` reference outline (a file must
  not plant one that every district reads, in any district's partition: review).

Everywhere, a unit given no status starts ``active``, as one created by a decision does, and a unit under
another district's code is refused unless it is a neighbour's reference outline of a database alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo.errors import InputError
from geo.messages import at_row, label, quoted, text

STARTING_STATUS = "active"
NEIGHBOUR = "neighbour"


def check_first_units(records: Sequence[dict[str, Any]], *, adcode: str, rows: Sequence[int], alone: bool) -> None:
    """Refuse a first load of units that is not the district's own (or, beside other districts, lacks its outline);
    give each unit without a status the starting one (in place: ``records`` are the plan's own new records).
    ``rows``: each record's file row, for the messages; ``alone``: the database holds no other district."""
    outline = f"{adcode}000000"
    for record, row in zip(records, rows, strict=True):
        if record.get("status") == NEIGHBOUR:
            if not alone:
                raise InputError(at_row(text("divisions.first_load_neighbour", field=label("status")), row),
                                 field="status")
            continue  # a neighbour's reference outline, under its own district's code
        if record.get("adcode") not in (None, "", adcode):
            raise InputError(at_row(text("divisions.first_load_other_district", field=label("adcode"),
                                         value=quoted(record["adcode"]), district=adcode), row), field="adcode")
        code = str(record.get("code") or "")
        if code[:6] != adcode:
            raise InputError(at_row(text("divisions.first_load_code", field=label("code"), value=quoted(code),
                                         district=adcode), row), field="code")
        if record.get("status") in (None, ""):
            record["status"] = STARTING_STATUS
    if not alone and not any(str(r.get("code")) == outline and r.get("level") == "district"
                             and r.get("status") == STARTING_STATUS for r in records):
        raise InputError(text("divisions.first_load_outline", district=adcode, code=outline), field="code")
