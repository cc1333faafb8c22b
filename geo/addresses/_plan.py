"""One validation path for every way addresses are added: a use case, an XLSX import, the sample.

:class:`AddressPlan` reads the plates involved and every address below them once, then takes new
buildings, units and rooms one by one (each checked against what is stored and what was planned
before it: AD-01..AD-05), and finally gives each new address its lifetime id, QR token and standard
address strings (:meth:`AddressPlan.records`). A new child may name a planned parent by its key,
so one file can add a building, its units and their rooms together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from geo.addresses._read import addresses_of_plates, is_key, labels_of, lock_plates, plate_contexts
from geo.addresses.codes import address_uid, allocate_serials, token_of
from geo.addresses.rules import check_floor, clean_label, field_label, level_label, same_label
from geo.addresses.standard import PlateContext, romanized_address, standard_address
from geo.errors import Conflict, InputError, NotFound
from geo.messages import quoted, text, value_label
from geo.store import Store
from geo.store.districts import district_of
from geo.store.spatial_sql import lock_natural_keys

PARENT_LEVELS = {"unit": ("building",), "room": ("unit", "building")}
ACTIVE = "active"


@dataclass
class Planned:
    """A new address before it has its id: its labels, its parent's key and the file row it came from."""

    key: str
    level: str
    plate_uid: str
    parent_key: str | None
    building: str
    unit: str | None = None
    room: str | None = None
    floor: int | None = None
    row: int | None = None
    status: str = ACTIVE
    children: list[str] = field(default_factory=list)


class AddressPlan:
    """New addresses below some plates, validated as they are added; see the module docstring."""

    def __init__(self, store: Store, conn: sa.Connection, plate_uids: Iterable[str], *, lock: bool = True):
        self.store, self.conn = store, conn
        uids = sorted({str(u) for u in plate_uids if is_key(u)})  # a NUL is no plate (and no lock key)
        if lock:  # two writers below one plate take turns, the second sees the first's rows (PostgreSQL)
            lock_natural_keys(conn, [f"addresses:{u}" for u in uids])
            lock_plates(conn, uids)  # then read the names: a rename or re-parenting cannot slip between (F24)
        self.contexts: dict[str, PlateContext] = plate_contexts(conn, uids)
        self.nodes: dict[str, Planned] = {}
        self.new: list[Planned] = []
        self.siblings: dict[str, list[Planned]] = {}
        for a in addresses_of_plates(conn, uids, lock=lock):
            self._index(Planned(key=a["address_uid"], level=a["level"], plate_uid=a["plate_uid"],
                                parent_key=a["parent_uid"], building=a["building"], unit=a["unit"], room=a["room"],
                                floor=a["floor"], status=a["status"] or ACTIVE))

    def _parent_key(self, node: Planned) -> str:
        return node.parent_key or f"plate:{node.plate_uid}"

    def _index(self, node: Planned) -> None:
        self.nodes[node.key] = node
        self.siblings.setdefault(self._parent_key(node), []).append(node)
        if node.parent_key in self.nodes and node.status == ACTIVE:
            self.nodes[node.parent_key].children.append(node.key)

    def _active_children(self, key: str, level: str | None = None) -> list[Planned]:
        return [n for n in self.siblings.get(key, []) if n.status == ACTIVE and (level is None or n.level == level)]

    def plate(self, plate_uid: str, *, field_name: str = "plate_uid") -> PlateContext:
        """Return the context of a plate new buildings may go below (AD-04 district, AD-05 active)."""
        ctx = self.contexts.get(str(plate_uid))
        if ctx is None and district_of(self.store, "plate", str(plate_uid)) not in (None, self.store.adcode):
            # Another district's plate (its rows are not this district's to read): say so, not "no plate".
            raise NotFound(text("addresses.other_district", what=level_label("plate"), value=quoted(plate_uid),
                                adcode=self.store.adcode), field=field_name)
        if ctx is None:
            raise NotFound(text("addresses.no_plate", value=quoted(plate_uid), field=field_label(field_name)),
                           field=field_name)
        if ctx.adcode != self.store.adcode:
            raise NotFound(text("addresses.other_district", what=level_label("plate"), value=quoted(plate_uid),
                                adcode=self.store.adcode), field=field_name)
        if ctx.status != ACTIVE:
            raise Conflict(text("addresses.plate_not_active", value=quoted(plate_uid),
                                status=value_label(ctx.status)), field=field_name)
        return ctx

    def refuse_duplicate(self, parent_key: str, level: str, label: str, *, row: int | None,
                         ignore: str | None = None) -> None:
        """Refuse ``label`` if an active sibling (stored or planned, not ``ignore``) carries it (AD-02)."""
        for other in self._active_children(parent_key, level):
            if other.key == ignore:
                continue
            mine = {"building": other.building, "unit": other.unit, "room": other.room}[level]
            if not same_label(mine, label):
                continue
            if other.row is not None:
                raise Conflict(text("addresses.duplicate_in_file", level=level_label(level), value=quoted(label),
                                    other=other.row), field=level)
            parent = self.nodes.get(parent_key)
            parent_text = quoted(" ".join(labels_of(vars(parent)))) if parent else quoted(parent_key[6:])
            raise Conflict(text("addresses.duplicate", parent=parent_text, level=level_label(level),
                                value=quoted(label), existing=quoted(mine), other=other.key), field=level)

    def parent(self, parent_key: str, level: str, *, field_name: str = "parent_uid") -> Planned:
        """Return the stored or planned parent of a new ``level`` address, checked (AD-04)."""
        node = self.nodes.get(parent_key)
        if node is None:
            raise NotFound(text("addresses.no_parent", value=quoted(parent_key), field=field_label(field_name)),
                           field=field_name)
        allowed = PARENT_LEVELS[level]
        if node.level not in allowed:
            raise InputError(text("addresses.parent_level", level=level_label(level),
                                  allowed=level_label(allowed[0]) if len(allowed) == 1 else
                                  level_label("unit") + "/" + level_label("building"),
                                  value=quoted(parent_key), got=level_label(node.level)), field=field_name)
        if node.status != ACTIVE:
            raise Conflict(text("addresses.parent_retired", value=quoted(parent_key)), field=field_name)
        self.plate(node.plate_uid, field_name=field_name)
        return node

    def add_building(self, plate_uid: str, building: Any, *, row: int | None = None) -> Planned:
        """Plan a new building below a plate."""
        self.plate(plate_uid)
        label = clean_label("building", building)
        self.refuse_duplicate(f"plate:{plate_uid}", "building", label, row=row)
        return self._add(Planned(key=f"new:{len(self.new)}", level="building", plate_uid=str(plate_uid),
                                 parent_key=None, building=label, row=row))

    def add_unit(self, parent_key: str, unit: Any, *, row: int | None = None) -> Planned:
        """Plan a new unit below a building (one with no rooms directly below it)."""
        parent = self.parent(parent_key, "unit")
        label = clean_label("unit", unit)
        if self._active_children(parent.key, "room"):
            raise Conflict(text("addresses.unit_beside_rooms", value=quoted(parent.building)), field="unit")
        self.refuse_duplicate(parent.key, "unit", label, row=row)
        return self._add(Planned(key=f"new:{len(self.new)}", level="unit", plate_uid=parent.plate_uid,
                                 parent_key=parent.key, building=parent.building, unit=label, row=row))

    def add_room(self, parent_key: str, room: Any, floor: Any = None, *, row: int | None = None) -> Planned:
        """Plan a new room below a unit, or below a building that has no units; its floor checked (AD-03)."""
        parent = self.parent(parent_key, "room")
        label = clean_label("room", room)
        if parent.level == "building" and self._active_children(parent.key, "unit"):
            raise Conflict(text("addresses.room_beside_units", value=quoted(parent.building)), field="parent_uid")
        level_floor = check_floor(label, floor)
        self.refuse_duplicate(parent.key, "room", label, row=row)
        return self._add(Planned(key=f"new:{len(self.new)}", level="room", plate_uid=parent.plate_uid,
                                 parent_key=parent.key, building=parent.building, unit=parent.unit, room=label,
                                 floor=level_floor, row=row))

    def _add(self, node: Planned) -> Planned:
        self.new.append(node)
        self._index(node)
        return node

    def find_child(self, parent_key: str, level: str, label: str) -> Planned | None:
        """Return the active child of ``parent_key`` at ``level`` with ``label`` (stored or planned), if any."""
        for other in self._active_children(parent_key, level):
            if same_label({"building": other.building, "unit": other.unit, "room": other.room}[level], label):
                return other
        return None

    def records(self, *, actor: str, source: str | None = None) -> list[dict[str, Any]]:
        """Return the rows of the planned addresses: ids from the counter, tokens and address strings."""
        serials = allocate_serials(self.store, self.conn, count=len(self.new), actor=actor)
        uids = {n.key: address_uid(self.store.adcode, s) for n, s in zip(self.new, serials, strict=True)}
        out = []
        for node, serial in zip(self.new, serials, strict=True):
            ctx = self.contexts[node.plate_uid]
            labels = [x for x in (node.building, node.unit, node.room) if x]
            out.append({"address_uid": uids[node.key], "level": node.level, "plate_uid": node.plate_uid,
                        "parent_uid": uids.get(node.parent_key or "", node.parent_key),
                        "building": node.building, "unit": node.unit, "room": node.room, "floor": node.floor,
                        "standard_address": standard_address(ctx, labels),
                        "romanized": romanized_address(ctx, labels), "status": ACTIVE,
                        "qr_token": token_of(serial, self.store.adcode), "source": source})
        return out
