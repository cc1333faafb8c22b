"""Reading the text encoding of a Shapefile's .dbf without trusting its code-page byte."""

from __future__ import annotations

import struct
from pathlib import Path


def dbf_record_bytes(path: Path) -> bytes:
    """Return the raw record area of a .dbf file (all field bytes of all records)."""
    raw = path.read_bytes()
    if len(raw) < 32:
        return b""
    n_records, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    return raw[header_len:header_len + n_records * record_len]


def sniff_encoding(path: Path) -> str | None:
    """Return ``"UTF-8"`` or ``"GB18030"`` when the bytes decode strictly as one; else ``None``.

    UTF-8 is tried first because valid UTF-8 Chinese text is almost never valid by accident the
    other way round; GB 18030 is the superset of GBK that Chinese government data uses.
    """
    body = dbf_record_bytes(path)
    for name in ("utf-8", "gb18030"):
        try:
            body.decode(name)
        except UnicodeDecodeError:
            continue
        return "UTF-8" if name == "utf-8" else "GB18030"
    return None


def check_encoding(path: Path, encoding: str) -> str | None:
    """Return a description of where ``path``'s records are not valid ``encoding``, or ``None``."""
    body = dbf_record_bytes(path)
    try:
        body.decode(encoding)
    except UnicodeDecodeError as exc:
        return f"byte 0x{body[exc.start]:02X} at offset {exc.start} of the records is not {encoding}"
    except (LookupError, ValueError):  # ValueError: a name with a null character (from a .cpg)
        return f"{encoding!r} 不是已知的编码 · {encoding!r} is not a known encoding"
    return None
