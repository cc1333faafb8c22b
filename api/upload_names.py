"""The name of the file a request carries, as the user named it: what an import's messages call the file.

The uploaded file's own name (``Content-Disposition: attachment; filename=...`` or ``?filename=``), cleaned to
show in a message; a file sent without one is "上传的文件 · the uploaded file", never the server's temporary name.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from urllib.parse import parse_qs, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from geo.io.formats import UPLOAD_NAME
from geo.messages import Term
from geo.text import cut

MAX_NAME_CHARS = 120
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*(?:[A-Za-z0-9_-]+)?'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', re.IGNORECASE)



def is_import(scope: Scope) -> bool:
    """Return whether a request starts a file import (``POST .../import``)."""
    return scope["type"] == "http" and scope["method"] == "POST" and scope["path"].endswith("/import")


# Routes besides the imports whose body is a file read by geo.io (named in its messages as the user named it).
FILE_BODY_PATHS = frozenset({"/api/boundary-compare"})


def carries_a_file(scope: Scope) -> bool:
    """Return whether a request's body is a file the user chose: an import, or a boundary file to compare."""
    return is_import(scope) or (scope["type"] == "http" and scope["method"] == "POST"
                                and scope["path"].rstrip("/") in FILE_BODY_PATHS)


# Format characters a name keeps: Mongolian's vowel separator and the joiners shape its letters (geo/text.py); every
# other control or format character (a bidirectional override among them) is dropped.
_SHAPING = frozenset("\u180e\u200c\u200d")


def clean_upload_name(raw: str | None) -> str | None:
    """Return a file name fit to show in a message: its last path part, printable, at most
    :data:`MAX_NAME_CHARS` characters; ``None`` if nothing is left."""
    if not raw:
        return None
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", raw))[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" or c in _SHAPING).strip()
    if not name.strip("".join(_SHAPING)).strip():  # nothing a person can read: no name
        return None
    if len(name) > MAX_NAME_CHARS:  # cut in the middle: the end says what kind of file it is (the page reads it)
        suffix = os.path.splitext(name)[1][:16]
        name = cut(name, MAX_NAME_CHARS - 1 - len(suffix)) + "…" + suffix
    return name or None


def upload_name(scope: Scope) -> str | None:
    """Return the uploaded file's own name: ``Content-Disposition``'s ``filename*`` or ``filename``, else
    the ``filename`` query parameter, else ``None``."""
    disposition = dict(scope["headers"]).get(b"content-disposition", b"").decode("latin-1")
    if (star := _FILENAME_STAR.search(disposition)) is not None:
        return clean_upload_name(unquote(star[1].strip(), encoding="utf-8", errors="replace"))
    if (plain := _FILENAME.search(disposition)) is not None:
        text = plain[1] if plain[1] is not None else plain[2].strip()
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # a browser sends UTF-8 bytes
            text = text.encode("latin-1").decode("utf-8")
        return clean_upload_name(text.replace('\\"', '"'))
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))  # percent escapes as UTF-8
    return clean_upload_name(query.get("filename", [None])[0])


# How an import's messages name a file sent without a name of its own (no Content-Disposition, no ?filename=): it
# was called by the server's temporary name, "upload.geojson", a file the user never had.
UNNAMED_UPLOAD = Term("上传的文件", "the uploaded file")


class UploadNameMiddleware:
    """While an import (or a boundary comparison, :func:`carries_a_file`) runs, its file's own name is
    :data:`geo.io.formats.UPLOAD_NAME` (the reading runs in a thread with this context), or :data:`UNNAMED_UPLOAD`
    when it was sent without one (review: the comparison named it by the server's temporary "upload.gpkg")."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Name the uploaded file for the import's messages, then run the request."""
        if not carries_a_file(scope):
            await self.app(scope, receive, send)
            return
        token = UPLOAD_NAME.set(upload_name(scope) or UNNAMED_UPLOAD)  # not the server's "upload.geojson"
        try:
            await self.app(scope, receive, send)
        finally:
            UPLOAD_NAME.reset(token)
