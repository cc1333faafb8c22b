"""Print batches: which plates go to print, and the reprint queue they clear.

A batch is the active plates of one street, of one community, or of the reprint queue: a rename
queues each active plate of the street (:func:`geo.placenames.lifecycle.rename`), and a production
batch of those plates marks them printed (:func:`mark_reprints_printed`), so the next batch of
reprints holds only what is still owed. What each plate says is :func:`geo.plates.printed.plate_texts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from geo.errors import InputError
from geo.messages import Term, labels, text
from geo.store import Store, schema

_CHUNK = 500  # plate uids per statement: well under every backend's bound-parameter limit


def plates_to_print(store: Store, *, street: str | None = None, community: str | None = None,
                    reprints: bool = False) -> list[dict[str, Any]]:
    """Return the active plates of one print batch, ordered by street name and number.

    Parameters
    ----------
    store
        The store to read from.
    street
        The street name whose active plates to print.
    community
        The 12-digit community code whose active plates to print.
    reprints
        Print the active plates with a queued reprint (streets renamed since the last batch).

    Exactly one of ``street``, ``community`` and ``reprints`` chooses the batch. An empty list means
    no active plate matches.
    """
    chosen = [name for name, value in (("street", street), ("community", community), ("reprints", reprints))
              if value is not None and value is not False]
    if len(chosen) != 1:
        raise InputError(text("plates.choose_one", fields=labels(("street", "community", "reprints")),
                              chosen=labels(chosen) if chosen else Term("无", "none")), field="street")
    where: dict[str, Any] = {"status": "active"}
    if street:
        where["street_name"] = street
    if community:
        where["community_code"] = community
    rows = store.select("door_plates", where=where)
    if reprints:
        queued = {r["plate_uid"] for r in store.select("plate_reprints", where={"status": "queued"})}
        rows = [r for r in rows if r["plate_uid"] in queued]
    return sorted(rows, key=lambda r: (r["street_name"], r["number"]))


def mark_reprints_printed(store: Store, plate_uids: Iterable[str], *, actor: str,
                          batch: str | None = None) -> int:
    """Mark the queued reprints of these plates printed, in one transaction; return how many.

    Parameters
    ----------
    store
        The store to write to.
    plate_uids
        The plates of the batch that was printed; plates without a queued reprint are left alone.
    actor
        Who printed the batch (recorded in the audit trail).
    batch
        The batch's name (e.g. the PDF file name), recorded in the note of each audit row.

    Each reprint moves from ``queued`` to ``printed`` with its version raised and its own audit
    row (action ``printed``, before and after), as every other use case writes them.
    """
    uids = sorted(set(plate_uids))
    t = schema.plate_reprints
    note = f"print batch {batch}" if batch else None
    done = 0
    with store.writing() as conn:
        for start in range(0, len(uids), _CHUNK):
            queued = sa.and_(t.c.plate_uid.in_(uids[start:start + _CHUNK]), t.c.status == "queued")
            done += len(store.update_matching("plate_reprints", queued, {"status": "printed"}, actor=actor,
                                              conn=conn, action="printed", note=note))
    return done
