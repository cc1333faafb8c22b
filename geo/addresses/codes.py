"""Lifetime address ids, opaque QR tokens and the signed codes the 楼牌 and 单元牌 QR carry.

Ids: ``{adcode}A{serial:08d}`` (``150102A00000042``), the serial taken from the ``code_counters`` row
(scheme ``address``, prefix the adcode) inside the writing transaction: the row is locked (PostgreSQL)
or the writer is alone (SQLite), and the counter only rises, so an id is never given twice, even
after its address is retired.

Tokens: the serial put through a fixed bijection of the 8-character space (multiplication by an odd
constant modulo 32⁸) and written in the plates' alphabet, so tokens never repeat either, but do not
show the serial or anything of the address. The QR holds only ``{base}/a/{token}{kid}{signature}``:
the signature is an HMAC with the plate keys (:class:`geo.plates.codes.PlateSigner`, same rotation)
over a message marked ``address:``, so no plate code verifies as an address code or back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Protocol

import sqlalchemy as sa

from geo import DISTRICT_ADCODE
from geo.errors import DomainError
from geo.messages import text
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys

SCHEME = "address"
PLATE_UID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the plates' alphabet (geo.plates.rules; a test keeps it)
SIG_LENGTH = 10  # as geo.plates.codes


class Signer(Protocol):
    """The plate signer's keys (:class:`geo.plates.codes.PlateSigner`): the first signs, every listed one verifies."""

    @property
    def keys(self) -> Mapping[str, bytes]:
        """The signing keys by key id."""

    @property
    def current(self) -> str:
        """The id of the key new codes are signed with."""

TOKEN_LENGTH = 8
_SPACE = len(PLATE_UID_ALPHABET) ** TOKEN_LENGTH
_MULTIPLIER = 0x5DEECE66D % _SPACE | 1  # odd, hence invertible modulo 32**8
_CODE = re.compile(rf"^([{re.escape(PLATE_UID_ALPHABET)}]{{{TOKEN_LENGTH}}})([A-Z2-9])([A-Z2-7]{{{SIG_LENGTH}}})$")


class InvalidAddressCode(DomainError):
    """A code that is malformed, signed with an unknown key, or forged."""

    status = 404
    code = "invalid_address_code"


def allocate_serials(store: Store, conn: sa.Connection, *, count: int, actor: str) -> list[int]:
    """Take ``count`` new serials from the district's address counter in the caller's transaction (audited)."""
    adcode = store.adcode
    if count <= 0:
        return []
    c = schema.code_counters
    lock_natural_keys(conn, [f"counter:{SCHEME}:{adcode}"])  # the first row too: two writers take turns
    row = conn.execute(sa.select(c.c.id, c.c.version, c.c.last_serial)
                       .where(c.c.scheme == SCHEME, c.c.prefix == adcode).with_for_update()).first()
    if row is None:
        store.insert("code_counters", [{"scheme": SCHEME, "prefix": adcode, "last_serial": count}], actor=actor,
                     conn=conn, note="标准地址编号 address ids")
        first = 1
    else:
        first = int(row.last_serial) + 1
        store.update("code_counters", int(row.id), {"last_serial": first + count - 1},
                     expected_version=int(row.version), actor=actor, conn=conn, note="标准地址编号 address ids")
    return list(range(first, first + count))


def address_uid(adcode: str, serial: int) -> str:
    """Return the lifetime id of serial ``serial``: ``150102A00000042``."""
    return f"{adcode}A{serial:08d}"


DISTRICT_BLOCK_BITS = 20  # serials per district in the token space: 2**20 (1,048,575 addresses of a district)


def token_value(serial: int, adcode: str) -> int:
    """Return the number a token encodes: the serial within its district's block of the 32⁸ space.

    The service's own district (150102) keeps block 0, so every token printed before districts shared a
    database still scans; another district's block is its adcode (``adcode << 20``), so two districts'
    tokens never coincide and a token says which district holds its address."""
    if not 0 < serial < 2 ** DISTRICT_BLOCK_BITS:
        raise ValueError(f"address serial {serial} is outside a district's block")
    return serial if adcode == DISTRICT_ADCODE else (int(adcode) << DISTRICT_BLOCK_BITS) + serial


def token_of(serial: int, adcode: str = DISTRICT_ADCODE) -> str:
    """Return the opaque QR token of serial ``serial`` of district ``adcode`` (a bijection: distinct
    serials or districts, distinct tokens)."""
    n = (token_value(serial, adcode) * _MULTIPLIER) % _SPACE
    chars = []
    for _ in range(TOKEN_LENGTH):
        n, k = divmod(n, len(PLATE_UID_ALPHABET))
        chars.append(PLATE_UID_ALPHABET[k])
    return "".join(reversed(chars))


_TOKEN_DIGITS = {c: i for i, c in enumerate(PLATE_UID_ALPHABET)}
_INVERSE = pow(_MULTIPLIER, -1, _SPACE)  # undoes token_of's bijection


def token_place(token: str) -> tuple[str, int] | None:
    """Return ``(adcode, serial)`` of QR token ``token`` (the inverse of :func:`token_of`), or None for a
    string that is no token."""
    if len(token) != TOKEN_LENGTH or any(c not in _TOKEN_DIGITS for c in token):
        return None
    n = 0
    for c in token:
        n = n * len(PLATE_UID_ALPHABET) + _TOKEN_DIGITS[c]
    value = (n * _INVERSE) % _SPACE
    block, serial = divmod(value, 2 ** DISTRICT_BLOCK_BITS)
    return (DISTRICT_ADCODE if block == 0 else f"{block:06d}"), serial


def _sig(signer: Signer, token: str, kid: str) -> str:
    mac = hmac.new(signer.keys[kid], f"address:{token}{kid}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:SIG_LENGTH]


def address_code(signer: Signer, token: str) -> str:
    """Return the signed code of an address token (current key)."""
    return f"{token}{signer.current}{_sig(signer, token, signer.current)}"


def verify_address_code(signer: Signer, code: str) -> str:
    """Return the token of a genuine address code, or raise :class:`InvalidAddressCode`."""
    m = _CODE.match((code or "").strip().upper())
    if not m or m.group(2) not in signer.keys or not hmac.compare_digest(m.group(3), _sig(signer, m.group(1),
                                                                                           m.group(2))):
        raise InvalidAddressCode(text("addresses.unknown_code"), field="code")
    return m.group(1)


def address_url(base_url: str, code: str) -> str:
    """Return the short URL an address plate's QR carries."""
    return f"{base_url.rstrip('/')}/a/{code}"
