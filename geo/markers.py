"""The boundary-marker registry: add, move (with the agreement behind it) and decommission.

Moving or adding markers needs both sides' agreement, a joint survey and filing with the authority
that approved the line (BM-04); the previous registered position stays in the audit trail. Nothing
is deleted: a marker is decommissioned with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely

from geo.errors import Conflict, InputError
from geo.store import Store
from geo.types import parse_date

MOVE_RECORDS = ("reason", "agreement_doc", "survey_ref", "filed_with")
TYPES = {"single": "Q", "paired": "AB", "triple": "CDE"}


def _require(data: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    missing = [k for k in keys if not str(data.get(k) or "").strip()]
    if missing:
        raise InputError(f"{what} must record {', '.join(missing)} (BM-04)", field=missing[0])


def add_marker(store: Store, data: Mapping[str, Any], position: shapely.Point, *, actor: str) -> dict[str, Any]:
    """Register a new marker on a line, numbered as the line's next sequence unless given."""
    _require(data, MOVE_RECORDS, "a new marker")
    line = store.select("boundary_lines", where={"line_code": str(data.get("line_code") or "")})
    if not line:
        raise InputError("line_code must name a boundary line", field="line_code")
    kind = data.get("marker_type", "single")
    if kind not in TYPES:
        raise InputError(f"marker_type must be one of {', '.join(TYPES)}; got {kind!r}", field="marker_type")
    code = line[0]["line_code"]
    seq = int(data.get("seq") or (max([m["seq"] for m in store.select("boundary_markers",
                                                                      where={"line_code": code})] or [0]) + 1))
    type_code = str(data.get("type_code") or TYPES[kind][0])
    if type_code not in TYPES[kind]:
        raise InputError(f"a {kind} marker takes type code {', '.join(TYPES[kind])}", field="type_code")
    number = f"{code}{seq:03d}{type_code}"
    if store.count("boundary_markers", where={"marker_no": number}):
        raise Conflict(f"界桩编号 {number} 已存在 · marker {number} exists already",
                       field="marker_no")
    (mid,) = store.insert("boundary_markers", [{
        "marker_no": number, "line_code": code, "seq": seq, "type_code": type_code, "marker_type": kind,
        "status": "active", "material": data.get("material"), "managing_adcode": data.get("managing_adcode"),
        "installed_on": parse_date(data.get("installed_on"), field="installed_on"),
        "geometry": position}], actor=actor, note="; ".join(f"{k}: {data[k]}" for k in MOVE_RECORDS))
    return store.get("boundary_markers", mid)


def move_marker(store: Store, marker_id: int, position: shapely.Point, data: Mapping[str, Any], *,
                expected_version: int, actor: str) -> dict[str, Any]:
    """Register a new position after a joint survey; the old one stays in the audit trail (BM-04)."""
    _require(data, MOVE_RECORDS, "moving a marker")
    current = store.get("boundary_markers", marker_id)
    if current["status"] != "active":
        raise Conflict(f"marker {current['marker_no']} is {current['status']}", field="status")
    return store.update("boundary_markers", marker_id, {"geometry": position}, expected_version=expected_version,
                        actor=actor, action="move", note="; ".join(f"{k}: {data[k]}" for k in MOVE_RECORDS))


def decommission_marker(store: Store, marker_id: int, *, reason: str, document_ref: str, expected_version: int,
                        actor: str) -> dict[str, Any]:
    """Take a marker out of service (never deleted)."""
    _require({"reason": reason, "document_ref": document_ref}, ("reason", "document_ref"), "decommissioning")
    return store.update("boundary_markers", marker_id, {"status": "decommissioned"}, expected_version=expected_version,
                        actor=actor, action="decommission", note=f"{reason}; {document_ref}")
