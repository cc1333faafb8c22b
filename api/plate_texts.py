"""What goes on printed plates: one place that joins plates, their street names and signed URLs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from geo.plate_codes import PlateSigner, plate_url, signable_uid
from geo.plate_lookup import number_text
from geo.romanize import romanize
from geo.store import Store
from maps.plate_print import PlateText


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
