"""Files archived with the boundary casework (BM-07): photos of a repair, documents of a dispute.

A file arrives base64-encoded and is accepted by its content, not by its name or the type a client
claims: photos are JPEG or PNG, documents PDF, JPEG or PNG, and an image must really decode (Pillow
reads it through: a PNG signature followed by junk is refused). Each is stored with its SHA-256 and
size in the same transaction as the record it belongs to (``record_table``, ``record_id``), so a
refused record leaves no orphan file behind.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError

from geo.errors import InputError, NotFound
from geo.messages import Term, catalogue, text
from geo.store import Store, schema
from geo.text import has_text
from geo.validation import check_text

MAX_PHOTO_BYTES = 5 * 1024 * 1024      # a phone photo, as for field records
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # a scanned decision or agreement of a few pages
MAX_FILES = 20                         # photos of one repair
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
DOCUMENT_TYPES = {**PHOTO_TYPES, b"%PDF-": "application/pdf"}
KINDS = ("photo", "document")
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
_PIL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAX_IMAGE_PIXELS = 80_000_000  # a phone photo or a page scanned at 600 dpi is smaller: more is a decompression bomb


def required_text(data: Mapping[str, Any], field: str, rule: str) -> str:
    """Return a casework record's required free text, stripped; refuse it missing or unsafe, naming the rule."""
    value = data.get(field)
    if not has_text(value):
        raise InputError(text("boundary_casework.required", field=casework_label(field), rule=rule), field=field)
    check_text(value, field=field)
    return str(value).strip()


def casework_label(field: str) -> Term:
    """Return a field named as messages name it: its Chinese label (the shared field names first, then
    the casework's own) beside the internal name."""
    found = catalogue()
    message = found.get(f"field_names.{field}") or found.get(f"boundary_casework.field.{field}")
    return Term(f"{message.zh} {field}" if message else field, field)


def checked_file(upload: Mapping[str, Any] | None, *, field: str, kinds: Mapping[bytes, str],
                 max_bytes: int) -> tuple[bytes, str, str]:
    """Return (bytes, content type, sha256) of a base64 file whose content is one of ``kinds``.

    ``field`` names the file in every refusal (``photos``, ``document``).
    """
    named = casework_label(field)
    try:
        raw = base64.b64decode(str((upload or {}).get("data_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(text("boundary_casework.file_base64", field=named), field=field) from None
    if not raw:
        raise InputError(text("boundary_casework.file_empty", field=named), field=field)
    if len(raw) > max_bytes:
        raise InputError(text("boundary_casework.file_size", field=named, size=len(raw), limit=max_bytes),
                         field=field)
    kind = next((t for magic, t in kinds.items() if raw.startswith(magic)), None)
    if kind is None:
        key = "boundary_casework.photo_kind" if kinds is PHOTO_TYPES else "boundary_casework.file_kind"
        raise InputError(text(key, field=named), field=field)
    if kind.startswith("image/"):
        kind = verified_image(raw, field=field)
    return raw, kind, hashlib.sha256(raw).hexdigest()


def verified_image(raw: bytes, *, field: str) -> str:
    """Return the content type (``image/jpeg``, ``image/png``) of an image that really decodes, or refuse it.

    The signature alone proves nothing: a file is opened and verified by Pillow (``verify`` checks a
    PNG's chunks, little of a JPEG), then decoded in full, so a PNG signature followed by junk, a
    truncated photo or a decompression bomb is an :class:`InputError` naming ``field``.
    """
    named = casework_label(field)
    problem = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=list(_PIL_FORMATS)) as image:
                found = _PIL_FORMATS.get(str(image.format))
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError(f"{image.width} x {image.height} pixels")
                image.verify()
            if found is not None:  # verify() leaves the image unusable and reads few pixels: decode it all
                with Image.open(io.BytesIO(raw), formats=list(_PIL_FORMATS)) as image:
                    image.load()
    except UnidentifiedImageError:
        problem, found = "unrecognised image data", None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError, EOFError) as exc:
        problem = str(exc) or type(exc).__name__
        found = None
    if found is None:
        raise InputError(text("boundary_casework.image_broken", field=named, problem=problem or "?"), field=field)
    return found


def attach(store: Store, conn: sa.Connection, record_table: str, record_id: int, file: tuple[bytes, str, str], *,
           kind: str, actor: str, title: str | None = None, document_no: str | None = None,
           issued_on: date | None = None) -> int:
    """Store one checked file of a record inside the caller's transaction; return its id."""
    if kind not in KINDS:
        raise ValueError(f"attachment kind must be one of {KINDS}; got {kind!r}")
    raw, content_type, sha = file
    (aid,) = store.insert("boundary_attachments", [{
        "record_table": record_table, "record_id": record_id, "kind": kind, "title": title,
        "document_no": document_no, "issued_on": issued_on, "sha256": sha, "content_type": content_type,
        "size_bytes": len(raw), "data": raw}], actor=actor, conn=conn)
    return aid


def attachments_of(store: Store, record_table: str, record_ids: list[int] | int) -> list[dict[str, Any]]:
    """Return the attachments of one or several records, without their bytes, oldest first."""
    ids = [record_ids] if isinstance(record_ids, int) else list(record_ids)
    if not ids:
        return []
    t = schema.boundary_attachments
    columns = [c for c in t.c if c.key != "data"]
    query = sa.select(*columns).where(t.c.record_table == record_table, t.c.record_id.in_(ids)).order_by(t.c.id)
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def attachment_file(store: Store, attachment_id: int) -> tuple[bytes, str, str]:
    """Return an attachment's bytes, content type and a file name made of its id and digest."""
    t = schema.boundary_attachments
    with store.reading() as conn:
        row = conn.execute(sa.select(t.c.id, t.c.content_type, t.c.sha256, t.c.data)
                           .where(t.c.id == attachment_id)).mappings().first()
    if row is None:
        raise NotFound(text("boundary_casework.not_attachment_of"), field="attachment_id")
    name = f"attachment_{row['id']}_{row['sha256'][:12]}.{_EXTENSIONS.get(row['content_type'], 'bin')}"
    return bytes(row["data"]), row["content_type"], name
