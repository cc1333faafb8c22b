"""What goes on a printed sign, and the signed short URL a smart sign's QR carries.

A smart sign's QR holds only ``{base}/s/{code}``: the sign's id, the key id and an HMAC signature
(:mod:`geo.plates.codes`), never the street's name, so a renamed street's signs still resolve (to
the street's current page). Sign codes are signed with keys derived from the plate keys for signs
alone: a plate's code is no sign code and the other way round, and rotating the plate keys
rotates these too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict
from geo.messages import text
from geo.plates.codes import PlateSigner, signable_uid
from geo.signs.rules import number_range_text
from geo.store import Store, schema

SIGN_PATH = "/s/"


def sign_signer(plates: PlateSigner) -> PlateSigner:
    """Return the signer of sign codes: each plate key, derived for signs (domain separation)."""
    keys = {kid: hmac.new(key, b"xincheng-street-sign", hashlib.sha256).digest() for kid, key in plates.keys.items()}
    return PlateSigner(keys, plates.current)


def sign_url(base_url: str, code: str) -> str:
    """Return the short URL a smart sign's QR carries."""
    return f"{base_url.rstrip('/')}{SIGN_PATH}{code}"


@dataclass(frozen=True)
class SignText:
    """What goes on one sign (GB 17733: Chinese name, sign-form pinyin; Inner Mongolia: Mongolian)."""

    sign_uid: str
    street_name: str
    sign_text: str             # pinyin in sign form (RM-11, SG-02), e.g. XINHUA DAJIE
    name_mong: str | None
    number_text: str           # "1–99号", or "" without a range
    direction: str             # east, west, north, south, none: where the arrow points
    url: str | None            # the signed short URL of a smart sign's QR; None on an ordinary sign


def sign_texts(store: Store, signs: Iterable[Mapping[str, Any]], *, signer: PlateSigner,
               base_url: str | None) -> list[SignText]:
    """Return the printed content of each sign, refusing one whose text is no longer the standard name.

    A sign whose street was renamed (queued for replacement) shows a former name: printing it again
    would put a superseded name on the street, so the officer replaces the sign first (条例第十九条).
    The Mongolian is the name's (a rename clears the former one's, PN-10); a smart sign's
    QR address is checked when a production sign is laid out (a proof may carry a loopback one).
    """
    signs = list(signs)
    p = schema.place_names
    ids = sorted({int(s["place_name_id"]) for s in signs if s.get("place_name_id") is not None})
    with store.reading() as conn:
        names = {r["id"]: dict(r) for r in conn.execute(
            sa.select(p.c.id, p.c.standard_name, p.c.sign_text, p.c.name_mong, p.c.status)
            .where(p.c.id.in_(ids))).mappings()} if ids else {}
    out = []
    for s in signs:
        name = names.get(s.get("place_name_id"))
        if name is None or name["status"] != "in_force" or name["standard_name"] != s.get("shows_name"):
            raise Conflict(text("signs.stale_text", uid=s["sign_uid"], shown=s.get("shows_name") or "",
                                standard=(name or {}).get("standard_name") or "—"), field="sign_uid")
        url = None
        if s.get("sign_type") == "smart":  # the QR needs a public address a phone can open
            signs_signer = sign_signer(signer)
            code = signs_signer.code(signable_uid(signs_signer, s["sign_uid"]))
            url = sign_url(base_url or "", code)  # a production print checks the address (layout, F7)
        out.append(SignText(s["sign_uid"], name["standard_name"], name.get("sign_text") or "",
                            name.get("name_mong") or None,
                            number_range_text(s.get("number_from"), s.get("number_to")),
                            s.get("direction") or "none", url))
    return out
