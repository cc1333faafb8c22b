"""Standard addresses below the door plate: building (楼/幢), unit (单元), floor and room (室) (#17 item 1).

A building's parent is its door plate (``plate_uid``), a unit's its building, a room's its unit (or
its building when the building has no units). Each address has a lifetime id that is never given
again (``150102A00000042``, :mod:`geo.addresses.codes`), an opaque QR token, its standard address
built from standard names (:mod:`geo.addresses.standard`), its romanized form and its parent chain.

Rules, checked on every path that adds or changes an address (use cases, XLSX import, the sample):

- AD-01 labels are sane: Chinese characters, letters, digits and ``- · # ( )`` only, at most 24
  characters, writable in GB 18030; a bare number gets its generic (``3`` → ``3号楼``).
- AD-02 no two active siblings (same parent, same level) carry the same label.
- AD-03 a room's floor agrees with its number (101, 102…, 201…: ``302`` is on floor 3); a room
  numbered otherwise needs its floor given.
- AD-04 the parent exists, is active, is of the right level and is in this district; a building
  holds either units or rooms directly, not both.
- AD-05 the plate is this district's and active.
- AD-06 an address with active addresses below it is retired only with them (``with_children``),
  in one transaction; a retired address keeps its id and token.

Modules: ``rules`` (AD-01/03, pure), ``standard`` (address strings, pure), ``codes`` (ids, tokens,
signed QR codes), ``lifecycle`` (use cases), ``refresh`` (strings after a rename or re-parenting),
``views`` (reads and the public view), ``printing`` (楼牌 and 单元牌 SVG), ``xlsx_import`` (bulk
import), ``sample_load`` (the sample district); ``_plan`` is the one validation path they share.
"""

from geo.addresses.lifecycle import add_building, add_room, add_unit, edit_address, retire_address
from geo.addresses.refresh import refresh_standard_addresses
from geo.addresses.views import (
    former_street_notes,
    former_streets_in,
    get_address,
    list_addresses,
    plate_tree,
    public_fields,
    public_view,
    search_addresses,
    with_chain,
)
from geo.addresses.xlsx_import import import_addresses

__all__ = [
    "add_building",
    "add_room",
    "add_unit",
    "edit_address",
    "former_street_notes",
    "former_streets_in",
    "get_address",
    "import_addresses",
    "list_addresses",
    "plate_tree",
    "public_fields",
    "public_view",
    "refresh_standard_addresses",
    "retire_address",
    "search_addresses",
    "with_chain",
]
