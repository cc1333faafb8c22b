"""Sign ids (路牌编号): allocated from a ``code_counters`` row, never reused, in the caller's transaction.

A sign id is ``S`` and seven characters of the plate-code alphabet (no 0, 1, I, O), so it can be
signed like a plate id (:mod:`geo.plates.codes`) and read aloud from a sign without confusion. The
counter (scheme ``sign``, prefix ``S``) is each district's row, and a district's next id follows the
highest any district has given (:func:`_issued_anywhere`): ids stay unique across districts (a sign's
id is on its QR code), and a removed or replaced sign's id is never given again, because the counters
only grow.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.errors import Conflict
from geo.messages import text
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the plate-code alphabet: 32 symbols
SCHEME, PREFIX = "sign", "S"
DIGITS = 7
CAPACITY = len(ALPHABET) ** DIGITS


def encode(serial: int) -> str:
    """Return the sign id of counter value ``serial`` (1 → ``S2222223``)."""
    if not 0 < serial < CAPACITY:
        raise Conflict(text("signs.counter", prefix=PREFIX), field="sign_uid")
    chars = []
    for _ in range(DIGITS):
        serial, digit = divmod(serial, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return PREFIX + "".join(reversed(chars))


def decode(sign_uid: str) -> int | None:
    """Return the counter value a sign id was made from (``S2222223`` → 1), or None for a text that is
    not a sign id (wrong prefix, length or character)."""
    body = sign_uid[len(PREFIX):] if isinstance(sign_uid, str) and sign_uid.startswith(PREFIX) else ""
    if len(body) != DIGITS or any(ch not in ALPHABET for ch in body):
        return None
    serial = 0
    for ch in body:
        serial = serial * len(ALPHABET) + ALPHABET.index(ch)
    return serial


def allocate(store: Store, conn: sa.Connection, *, count: int = 1, actor: str) -> list[str]:
    """Return ``count`` new sign ids, advancing the counter in ``conn``'s transaction (audited).

    Two writers take turns on the counter: PostgreSQL holds the row (and, before the row exists,
    the counter's natural-key lock); SQLite serialises writers anyway. A rolled-back transaction
    gives its ids back with it, so an id on a stored sign is never given twice.
    """
    counters = schema.code_counters
    lock_natural_keys(conn, [f"counter:{SCHEME}:{PREFIX}"])
    row = conn.execute(sa.select(counters.c.id, counters.c.last_serial, counters.c.version)
                       .where(counters.c.scheme == SCHEME, counters.c.prefix == PREFIX)
                       .with_for_update()).mappings().first()
    issued = _issued_anywhere(conn)  # what every district's counter has given (PostgreSQL, many districts)
    if row is None:
        first = issued + 1
        store.insert("code_counters", [{"scheme": SCHEME, "prefix": PREFIX, "last_serial": issued + count}],
                     actor=actor, conn=conn, note="路牌编号 sign ids")
    else:
        first = max(int(row["last_serial"]), issued) + 1
        store.update("code_counters", int(row["id"]), {"last_serial": first - 1 + count},
                     expected_version=int(row["version"]), actor=actor, conn=conn, action="allocate",
                     note=f"路牌编号 sign ids ×{count}")
    return [encode(serial) for serial in range(first, first + count)]


def _issued_anywhere(conn: sa.Connection) -> int:
    """Return the highest sign serial any district's counter has given (0 on SQLite, which holds one district).

    On PostgreSQL each district sees its own counter row only (row-level security), yet a sign id is
    printed on the sign's QR code and must be unique across every district: the database function
    ``xincheng_counter_floor`` (revision 0014, the owner's rights, this answer only) reads the highest
    of all the districts' rows. Every district takes the same lock (:func:`lock_natural_keys` above) first.
    """
    if conn.dialect.name != "postgresql" or not conn.execute(
            sa.text("SELECT to_regprocedure('xincheng_counter_floor(text, text)') IS NOT NULL")).scalar():
        return 0
    return int(conn.execute(sa.text("SELECT xincheng_counter_floor(:scheme, :prefix)"),
                            {"scheme": SCHEME, "prefix": PREFIX}).scalar() or 0)
