"""Signed door-plate codes for QR "smart door plates" (智慧门牌).

A QR carries only ``{base}/p/{code}``: the plate's lifetime id, the id of the signing key and an
HMAC-SHA256 signature — never the address, so a renamed street keeps every plate valid. Without
the server key nobody can forge or enumerate codes. Keys rotate: new codes use the current key,
codes signed with older listed keys still verify; removing a key retires its codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from geo import messages as msg
from geo.errors import DomainError, InputError
from geo.messages import label
from geo.public_urls import check_public_base_url  # noqa: F401  (its home before #17; callers import it here)

UID_LENGTH = 8
SIG_LENGTH = 10
_CODE = re.compile(r"^([2-9A-HJ-NP-Z]{8})([A-Z2-9])([A-Z2-7]{10})$")
_KID = re.compile(r"^[A-Z2-9]$")
DEFAULT_KEY_ID = "A"


class InvalidCode(DomainError):
    """A code that is malformed, signed with an unknown key, or forged (``reason``: ``malformed``,
    ``key_retired`` or ``forged``, so that a street sign's page can say the first in a sign's words)."""

    status = 404
    code = "invalid_plate_code"

    def __init__(self, message: str, *, field: str | None = None, reason: str = "malformed"):
        super().__init__(message, field=field)
        self.reason = reason


@dataclass(frozen=True)
class PlateSigner:
    """Signs and verifies plate codes with a set of keys, the first one current."""

    keys: Mapping[str, bytes]
    current: str

    @classmethod
    def from_setting(cls, qr_keys: str, *, fallback_secret: str) -> PlateSigner:
        """Parse ``"B:new-secret,A"``: the first key signs, every listed key verifies.

        ``A`` alone (no secret) is the default key, derived from the service secret: the key every
        plate was signed with before keys were set. Listing it after a new key keeps those printed
        codes working while new plates get the new key. Without any keys, ``A`` is the only key.
        """
        derived = hmac.new(fallback_secret.encode(), f"xincheng-qr-key-{DEFAULT_KEY_ID}".encode(),
                           hashlib.sha256).digest()
        pairs = [p.strip() for p in (qr_keys or "").split(",") if p.strip()]
        if not pairs:
            return cls({DEFAULT_KEY_ID: derived}, DEFAULT_KEY_ID)
        keys: dict[str, bytes] = {}
        for pair in pairs:
            kid, sep, secret = pair.partition(":")
            if kid in keys:
                raise InputError(msg.text("plates.key_twice", field=label("qr_keys"), kid=kid), field="qr_keys")
            if kid == DEFAULT_KEY_ID and not sep:
                keys[kid] = derived
                continue
            if not sep or not _KID.match(kid) or len(secret) < 16:
                raise InputError(msg.text("plates.key_form", default=DEFAULT_KEY_ID), field="qr_keys")
            keys[kid] = secret.encode()
        return cls(keys, pairs[0].partition(":")[0])

    def _sig(self, uid: str, kid: str) -> str:
        mac = hmac.new(self.keys[kid], f"{uid}{kid}".encode(), hashlib.sha256).digest()
        return base64.b32encode(mac).decode()[:SIG_LENGTH]

    def code(self, plate_uid: str) -> str:
        """Return the signed code of a plate (with the current key)."""
        return f"{plate_uid}{self.current}{self._sig(plate_uid, self.current)}"

    def verify(self, code: str) -> str:
        """Return the plate id of a genuine code, or raise :class:`InvalidCode` saying why."""
        m = _CODE.match((code or "").strip().upper())
        if not m:
            raise InvalidCode(msg.text("plates.not_our_code"), field="code", reason="malformed")
        uid, kid, sig = m.groups()
        if kid not in self.keys:
            raise InvalidCode(msg.text("plates.key_retired"), field="code", reason="key_retired")
        if not hmac.compare_digest(sig, self._sig(uid, kid)):
            raise InvalidCode(msg.text("plates.forged"), field="code", reason="forged")
        return uid


def signable_uid(signer: PlateSigner, plate_uid: str) -> str:
    """Return ``plate_uid`` if a code signed for it verifies; refuse a uid the QR would not carry."""
    try:
        if signer.verify(signer.code(plate_uid)) == plate_uid:
            return plate_uid
    except InvalidCode:
        pass
    raise InputError(msg.text("plates.cannot_sign", field=label("plate_uid"), value=repr(plate_uid)),
                     field="plate_uid")


def plate_url(base_url: str, code: str) -> str:
    """Return the short URL a plate's QR carries."""
    return f"{base_url.rstrip('/')}/p/{code}"
