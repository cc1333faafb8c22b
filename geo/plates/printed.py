"""What goes on a printed plate: the plate joined with its street's sign text, Mongolian name and signed URL.

The printing itself (SVG layout, PDF through Chromium) lives in :mod:`maps.plate_print`; this is the
content, the same for the officer page's proof, the public page and the CLI's print batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.errors import Conflict
from geo.layers import PLATE_FINAL_STATUSES
from geo.messages import Term, as_term, quoted, text, value_label
from geo.placenames.romanize import romanize
from geo.plates.codes import PlateSigner, plate_url, signable_uid
from geo.plates.lookup import number_text
from geo.store import Store


@dataclass(frozen=True)
class PlateText:
    """What goes on one plate."""

    plate_uid: str
    street_name: str
    sign_text: str            # pinyin sign form (RM-11), e.g. XINHUA DAJIE
    number_text: str          # 12号, 12-1号
    name_mong: str | None
    url: str                  # the signed short URL the QR carries


def plate_texts(store: Store, plates: Iterable[Mapping[str, Any]], *, signer: PlateSigner,
                base_url: str) -> list[PlateText]:
    """Return the printed content of each plate: street name, sign pinyin, Mongolian, number, QR URL."""
    names = {n["standard_name"]: n for n in store.select("place_names", where={"feature_class": "street"})}
    out = []
    for p in plates:
        name = names.get(p["street_name"], {})
        out.append(PlateText(p["plate_uid"], p["street_name"],
                             name.get("sign_text") or romanize(p["street_name"]).sign_text,
                             number_text(p["number"], p.get("suffix")), name.get("name_mong"),
                             plate_url(base_url, signer.code(signable_uid(signer, p["plate_uid"])))))
    return out


def check_in_use_for_production(plate: Mapping[str, Any], *, successor_uid: str | None = None) -> None:
    """Refuse a production print of a plate no longer in use (revoked or replaced): its QR code says so when
    scanned, and a replaced plate's successor (``successor_uid``, named) has a plate of its own (409 naming the
    plate; a proof may be seen)."""
    if plate.get("status") in PLATE_FINAL_STATUSES:
        successor = (as_term(text("plates.retired_successor", successor=quoted(successor_uid))) if successor_uid
                     else Term("", ""))
        raise Conflict(text("plates.retired_not_printed", uid=quoted(plate["plate_uid"]),
                            status=value_label(plate["status"]), successor=successor), field="status")
