"""Store the sample district's buildings, units and rooms (data/sample_district/addresses.py).

Called by :func:`geo.io.importer.load_layers` in its transaction, after the plates. Every row is
checked by the same rules as the use cases (:class:`geo.addresses._plan.AddressPlan`), then all are
written by one batched insert with one audit row, so ``xincheng init`` stays fast.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from geo.addresses._plan import AddressPlan
from geo.store import Store


def _value(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def load_sample_addresses(store: Store, frame: pd.DataFrame, *, actor: str, conn: sa.Connection) -> int:
    """Validate and store the sample's addresses in the caller's transaction; return how many were stored."""
    if frame is None or frame.empty:
        return 0
    plan = AddressPlan(store, conn, frame["plate_uid"].unique().tolist(), lock=False)
    keys: dict[str, str] = {}
    for row in frame.to_dict("records"):
        level, parent = row["level"], keys.get(str(_value(row.get("parent_ref")) or ""))
        if level == "building":
            node = plan.add_building(row["plate_uid"], row["building"])
        elif level == "unit":
            node = plan.add_unit(parent or "", row["unit"])
        else:
            node = plan.add_room(parent or "", row["room"], _value(row.get("floor")))
        keys[str(row["ref"])] = node.key
    records = plan.records(actor=actor, source="sample district")
    return len(store.insert("addresses", records, actor=actor, conn=conn, audit="batch",
                            note="示例区标准地址 sample standard addresses"))
