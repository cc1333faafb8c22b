"""Door plates (门牌) and the QR "smart door plates" (智慧门牌) residents scan.

Rules: DP-01..DP-05 numbering along a street, the plate uid format, and status decisions (a plate
is revoked or replaced by a decision with body, document and date; final states are history).
Use cases: :func:`decide_plate_status` (revoke; with the addresses below, retired with it),
:func:`geo.plates.decisions.replace_plate` (the successor, the addresses move to it) and
:func:`mark_reprints_printed` (each one transaction);
every other plate write goes through :func:`check_plates` inside the generic layer write or the
import. Reads: :func:`plate_view` (what a resident sees), :func:`suggest` (the next number on a
street), :class:`PlateSigner` (signed codes in the QR), :func:`plate_texts` and :func:`qr_svg` for
print, :func:`check_street` and :func:`suggest_numbers` on one stored street.

Modules: ``rules`` (checked on every write path), ``numbering`` (pure DP rules), ``decisions``,
``codes`` (signing), ``lookup`` (public view), ``qr``, ``printed`` (what a printed plate says),
``street_check`` (numbering on a stored street), ``reprints`` (print batches and the reprint queue),
``address_match`` (free-text address to plate).
"""

from geo.plates.address_match import AddressMatcher, load_address_matcher
from geo.plates.codes import PlateSigner, plate_url
from geo.plates.decisions import decide_plate_status
from geo.plates.lookup import plate_view
from geo.plates.numbering import positions, suggest
from geo.plates.printed import PlateText, plate_texts
from geo.plates.qr import qr_svg
from geo.plates.reprints import mark_reprints_printed, plates_to_print
from geo.plates.rules import check_plates
from geo.plates.street_check import check_street, suggest_numbers

__all__ = [
           "AddressMatcher",
           "PlateSigner",
           "PlateText",
           "check_plates",
           "check_street",
           "decide_plate_status",
           "load_address_matcher",
           "mark_reprints_printed",
           "plate_texts",
           "plate_url",
           "plate_view",
           "plates_to_print",
           "positions",
           "qr_svg",
           "suggest",
           "suggest_numbers",
]
