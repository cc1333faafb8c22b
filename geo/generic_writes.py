"""The generic layer writes (create and update a feature) as use cases, each one transaction.

They apply :mod:`geo.write_rules` (no rule field through the generic path; new records start in
their use case's first state), the enumerations of :mod:`geo.layers`, and the door-plate rules of
:mod:`geo.plates.rules`. A new place name goes through :func:`geo.placenames.lifecycle.propose`, so it passes
the gazetteer rules and starts as ``proposed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geo.addresses.refresh import refresh_standard_addresses
from geo.errors import StaleVersion
from geo.layers import get_layer
from geo.location_rules import check_layer_locations
from geo.messages import text
from geo.placenames.facility_names import facility_name_warnings
from geo.placenames.lifecycle import check_name_change
from geo.plates.moves import correct_position
from geo.plates.rules import check_plates, load_plate_context, plates_for_write
from geo.record_states import check_record_state
from geo.store import Store
from geo.validation import check_choice, check_range
from geo.write_rules import check_generic_change, check_generic_create, same_value

PLATE_ADDRESS_FIELDS = ("street_name", "number", "suffix", "geometry", "status")


@dataclass
class Written:
    """A stored record and the warnings its write raised (shown to the user, not blocking)."""

    record: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def create_feature(store: Store, layer_name: str, record: Mapping[str, Any], *, actor: str) -> Written:
    """Create one record through the generic path, in its use case's starting state."""
    layer = get_layer(layer_name)
    rec = check_generic_create(layer_name, dict(record))
    for name, value in rec.items():
        check_choice(layer, name, value)
        check_range(name, value)
    check_record_state(layer_name, rec)
    if layer_name == "place_names":
        from geo.placenames.lifecycle import propose

        geometry = rec.pop("geometry", None)
        fields = {k: v for k, v in rec.items() if k not in ("status", "status_date")}
        return Written(propose(store, fields, actor=actor, geometry=geometry))
    with store.writing() as conn:
        check_layer_locations(conn, layer_name, [rec], adcode=store.adcode)
        warnings = plates_for_write(conn, [rec], adcode=store.adcode) if layer_name == "door_plates" else []
        if layer_name == "facilities":
            warnings += facility_name_warnings(conn, rec)  # PN-08, a warning
        (fid,) = store.insert(layer.table, [rec], actor=actor, conn=conn)
        return Written(store.get(layer.table, fid, conn=conn), warnings)


def update_feature(store: Store, layer_name: str, fid: int, changes: Mapping[str, Any], *,
                   expected_version: int, actor: str) -> Written:
    """Update one record's rule-free fields if it is still at ``expected_version``."""
    layer = get_layer(layer_name)
    for name, value in changes.items():
        check_choice(layer, name, value)
        check_range(name, value)
    with store.writing() as conn:
        before = store.get(layer.table, fid, conn=conn)
        changes = {k: v for k, v in changes.items() if not same_value(v, before.get(k))}
        if not changes:  # nothing differs: no new version, no audit row
            if before["version"] != expected_version:
                raise StaleVersion(text("accounts.stale", layer=layer_name, id=fid, current=before["version"],
                                        given=expected_version), field="version")
            return Written(before)
        check_generic_change(layer_name, before, changes)
        check_record_state(layer_name, {**before, **changes}, before=before)
        # a moved plate's community is set in ``changes``
        check_layer_locations(conn, layer_name, [changes], adcode=store.adcode, creating=False)
        if layer_name == "place_names":
            check_name_change(store, conn, before, changes)
        warnings: list[str] = []
        if layer_name == "door_plates" and any(k in changes for k in PLATE_ADDRESS_FIELDS):
            correct_position(conn, before, changes)  # by its street, or refused; the side it now stands on
            moved = {**before, **changes}
            ctx = load_plate_context(conn, adcode=store.adcode, locking=[moved], for_records=[moved])
            warnings = check_plates([moved], ctx, replacing={0: before["plate_uid"]})
        if layer_name == "facilities" and ("name" in changes or "geometry" in changes):
            warnings += facility_name_warnings(conn, {**before, **changes})  # PN-08, a warning
        after = store.update(layer.table, fid, dict(changes), expected_version=expected_version, actor=actor,
                             conn=conn)
        if layer_name == "door_plates" and "community_code" in changes:  # the addresses below name it
            refresh_standard_addresses(store, conn, plate_uids=[before["plate_uid"]], actor=actor)
        return Written(after, warnings)
