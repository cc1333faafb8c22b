"""Recompute the standard address strings below plates whose names changed (rename, re-parenting).

A street rename (:func:`geo.placenames.lifecycle._propagate_street_rename`) and a division change
that moves plates to another community call :func:`refresh_standard_addresses` in their own
transaction: every address below those plates gets its Chinese and romanized standard address from
the names as they now are, each changed record with its audit row, all of them in a few statements
(:meth:`geo.store.Store.update_each`). Ids and QR tokens never change,
so printed 楼牌 and 单元牌 stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from geo.addresses._read import addresses_of_plates, labels_of, plate_contexts
from geo.addresses.standard import romanized_address, standard_address
from geo.store import Store


def refresh_standard_addresses(store: Store, conn: sa.Connection, *, plate_uids: Sequence[str], actor: str) -> int:
    """Recompute and store the standard and romanized address of every address below ``plate_uids``.

    Runs in the caller's transaction (``conn``); only this district's addresses whose strings differ
    are written (audited, action ``readdress``). Returns how many were changed.
    """
    uids = sorted({str(u) for u in plate_uids if u})
    if not uids:
        return 0
    contexts = plate_contexts(conn, uids)
    fresh_by_id: dict[int, dict[str, str]] = {}
    for row in addresses_of_plates(conn, uids):
        ctx = contexts.get(row["plate_uid"])
        if ctx is None or row["adcode"] != store.adcode:
            continue
        labels = labels_of(row)
        fresh = {"standard_address": standard_address(ctx, labels), "romanized": romanized_address(ctx, labels)}
        if any(row.get(k) != v for k, v in fresh.items()):
            fresh_by_id[row["id"]] = fresh
    store.update_each("addresses", fresh_by_id, actor=actor, conn=conn, action="readdress",
                      note="标准地址随地名更新 standard address follows the names")
    return len(fresh_by_id)
