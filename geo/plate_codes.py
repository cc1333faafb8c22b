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

from geo.errors import DomainError, InputError

UID_LENGTH = 8
SIG_LENGTH = 10
_CODE = re.compile(r"^([2-9A-HJ-NP-Z]{8})([A-Z2-9])([A-Z2-7]{10})$")
_KID = re.compile(r"^[A-Z2-9]$")


class InvalidCode(DomainError):
    """A code that is malformed, signed with an unknown key, or forged."""

    status = 404
    code = "invalid_plate_code"


@dataclass(frozen=True)
class PlateSigner:
    """Signs and verifies plate codes with a set of keys, the first one current."""

    keys: Mapping[str, bytes]
    current: str

    @classmethod
    def from_setting(cls, qr_keys: str, *, fallback_secret: str) -> PlateSigner:
        """Parse ``"A:secret,B:older-secret"``; without keys, derive key A from the service secret."""
        pairs = [p.strip() for p in (qr_keys or "").split(",") if p.strip()]
        if not pairs:
            derived = hmac.new(fallback_secret.encode(), b"xincheng-qr-key-A", hashlib.sha256).digest()
            return cls({"A": derived}, "A")
        keys: dict[str, bytes] = {}
        for pair in pairs:
            kid, sep, secret = pair.partition(":")
            if not sep or not _KID.match(kid) or len(secret) < 16:
                raise InputError("qr_keys must be 'K:secret' pairs: K one of A-Z or 2-9, secret 16+ characters",
                                 field="qr_keys")
            if kid in keys:
                raise InputError(f"qr_keys lists key {kid} twice", field="qr_keys")
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
            raise InvalidCode("这不是本区门牌的二维码 · this is not a code of a Xincheng door plate", field="code")
        uid, kid, sig = m.groups()
        if kid not in self.keys:
            raise InvalidCode("此二维码的密钥已停用 · this code's key has been retired", field="code")
        if not hmac.compare_digest(sig, self._sig(uid, kid)):
            raise InvalidCode("二维码校验失败，可能是伪造的 · the code failed its check and may be forged",
                              field="code")
        return uid


def plate_url(base_url: str, code: str) -> str:
    """Return the short URL a plate's QR carries."""
    return f"{base_url.rstrip('/')}/p/{code}"
