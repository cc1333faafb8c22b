"""Request body limits, enforced before a route reads the body: a clear 413 naming the limit, a 408 for
a body that stops arriving; and how many file imports one process runs at once.

File imports may be large (``max_upload_bytes``); every other body is JSON or a form and is held
to ``max_request_bytes``. Both the declared Content-Length and the bytes actually received count,
so a chunked upload cannot slip past.

An import reads, validates and writes a whole file (GDAL, GeoPandas, one transaction): at most
``max_concurrent_imports`` run in a process; the next one is answered 429 with ``Retry-After``
before its body is read, once its login, role and parameters are checked (:class:`ImportSlots`). The uploaded
file's own name (``Content-Disposition: attachment; filename=...`` or ``?filename=``) is what the
import's messages call the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_pace import BodyPace, Why
from api.errors import error_body, wants_page
from api.pages import render_text
from api.process_places import ProcessPlaces
from api.ratelimit import TooManyRequests
from geo.io.formats import UNZIP_LIMIT, UPLOAD_NAME
from geo.messages import Term, en, text, zh
from geo.text import cut

refusal_log = logging.getLogger("xincheng.api")
UNZIP_FACTOR = 20  # an uploaded archive may expand to 20 x the upload limit (and never past 1 GiB)


class BodyLimitMiddleware:
    """Refuse bodies over the limit for their route with 413 (field ``body``)."""

    def __init__(self, app: ASGIApp, *, max_request_bytes: int, max_upload_bytes: int, stall_s: int = 60,
                 min_bytes_per_s: int = 500, max_s: int = 1800):
        self.app = app
        self.max_request_bytes, self.max_upload_bytes = max_request_bytes, max_upload_bytes
        self.stall_s, self.min_bytes_per_s, self.max_s = stall_s, min_bytes_per_s, max_s

    def limit_for(self, path: str) -> int:
        """Return the body limit for a request path."""
        return self.max_upload_bytes if path.endswith("/import") else self.max_request_bytes

    async def _refuse(self, send: Send, limit: int, size: int | None, scope: Scope | None = None) -> None:
        if scope is not None and is_page_form(scope):
            body = too_large_page(scope, limit, size).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            message = (text("http.body_too_large", size=f"{size:,}", limit=f"{limit:,}") if size is not None
                       else text("http.body_too_large_unknown", limit=f"{limit:,}"))
            body = json.dumps(error_body(413, "payload_too_large", message, "body"), ensure_ascii=False).encode()
            content_type = b"application/json"
        await send({"type": "http.response.start", "status": 413,  # closed: the rest of the body is not read
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def _stalled(self, send: Send, scope: Scope, *, why: Why, received: int, elapsed_s: float) -> None:
        """Answer 408 (field ``body``; a page for a page's form): the body stopped arriving, came too slowly or
        took too long (:class:`api.body_pace.BodyPace`)."""
        if why == "stalled":
            message = text("http.upload_stalled", seconds=f"{self.stall_s:g}")
        elif why == "slow":
            message = text("http.upload_too_slow", seconds=f"{elapsed_s:.0f}", received=f"{received:,}",
                           rate=f"{self.min_bytes_per_s:,}")
        else:
            message = text("http.upload_too_long", limit=f"{self.max_s:,}", received=f"{received:,}")
        if is_page_form(scope):
            body = stalled_page(scope, message, title_key=_STALL_TITLES[why]).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps(error_body(408, "request_timeout", message, "body"), ensure_ascii=False).encode()
            content_type = b"application/json"
        await send({"type": "http.response.start", "status": 408,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes as they arrive."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if scope["path"].endswith("/import"):  # the import runs in a thread with this context
            token = UNZIP_LIMIT.set(UNZIP_FACTOR * self.max_upload_bytes)
            try:
                await self._limited(scope, receive, send, limit)
            finally:
                UNZIP_LIMIT.reset(token)
            return
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit, int(declared), scope)
            return
        received = 0
        started = refused = whole = False
        pace = BodyPace(stall_s=self.stall_s, min_bytes_per_s=self.min_bytes_per_s, max_s=self.max_s)
        clock = asyncio.get_running_loop().time

        async def counting_receive() -> Message:
            nonlocal received, refused, whole
            if whole:  # the body is in: the route now only listens for the client going away
                return await receive()
            wait_s, why = pace.next_wait(clock())
            asked_s = clock()
            try:
                if wait_s <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), wait_s)
            except TimeoutError:  # gone without closing (a phone out of signal), or sending too slowly to hold a place
                refused = True
                seconds = pace.elapsed_s(clock())
                refusal_log.warning("body refused 408 (%s): %s %s, %d bytes in %.0f s", why, scope["method"],
                                    scope["path"], received, seconds)
                if not started:
                    await self._stalled(send, scope, why=why, received=received, elapsed_s=seconds)
                return {"type": "http.disconnect"}  # the route stops reading; its place is given back
            pace.arrived(size_bytes=len(message.get("body", b"")), waited_s=clock() - asked_s)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                whole = not message.get("more_body", False)
                if received > limit and not refused:
                    refused = True
                    if not started:
                        await self._refuse(send, limit, None, scope)
                    return {"type": "http.disconnect"}  # the route stops reading; its reply is dropped
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise


BYTES_PER_MB = 1024 * 1024


def is_page_form(scope: Scope) -> bool:
    """Return whether a refused body was a page's form (a browser posting to a page address, not the
    JSON or OGC API): it is answered with a page, Chinese first, not the API's JSON error. The same
    test as every other error's (:func:`api.errors.wants_page`)."""
    return wants_page(Request(scope))


def megabytes(size_bytes: int) -> str:
    """Return a size in MB as people read it (``8``, ``8.1``)."""
    return f"{size_bytes / BYTES_PER_MB:.1f}".removesuffix(".0")


def _form_page(scope: Scope) -> str | None:
    """Return the path of the page the form was sent from (its ``Referer`` on this site), if any."""
    headers = dict(scope["headers"])
    referer = urlsplit(headers.get(b"referer", b"").decode("latin-1"))
    host = headers.get(b"host", b"").decode("latin-1")
    if referer.netloc != host or not referer.path.startswith("/") or referer.path.startswith("//"):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _form_refused_page(scope: Scope, *, title_key: str, message: str, status: int) -> str:
    """Return the page refusing a form's body before the route read it: the reason, nothing saved, and the way
    back to the form (the browser's Back keeps what was typed; the page links the form)."""
    return render_text("home/error.html", title_zh=zh(title_key), title_en=en(title_key),
                       user=None, nav=[], draft=None, draft_notice=None, message=message, status_code=status,
                       home_zh=zh("pages_errors.go_home"), home_en=en("pages_errors.go_home"), user_home="/",
                       my_home=("", ""), back_url=_form_page(scope),
                       back=(zh("forms.back_to_form"), en("forms.back_to_form")))


def too_large_page(scope: Scope, limit: int, size: int | None) -> str:
    """Return the 413 page for a form too large to take: the size and the limit in MB."""
    kind = "file_too_large" if is_import(scope) else "too_large"  # an import page's file, not a form's photo (review)
    message = (text(f"forms.{kind}", size_mb=megabytes(size), limit_mb=megabytes(limit)) if size is not None
               else text(f"forms.{kind}_unknown", limit_mb=megabytes(limit)))
    return _form_refused_page(scope, title_key="forms.too_large_title", message=message, status=413)


_STALL_TITLES: dict[Why, str] = {"stalled": "forms.stalled_title", "slow": "forms.too_slow_title",
                                 "long": "forms.too_long_title"}


def stalled_page(scope: Scope, message: str, *, title_key: str = "forms.stalled_title") -> str:
    """Return the 408 page for a form whose upload stopped arriving, came too slowly or took too long."""
    return _form_refused_page(scope, title_key=title_key, message=message, status=408)


IMPORT_RETRY_AFTER_S = 30  # an import of a typical district layer takes seconds; try again after this
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


def clean_upload_name(raw: str | None) -> str | None:
    """Return a file name fit to show in a message: its last path part, printable, at most
    :data:`MAX_NAME_CHARS` characters; ``None`` if nothing is left."""
    if not raw:
        return None
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", raw))[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
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


class TooManyImports(TooManyRequests):
    """Every import place of this process is taken (HTTP 429 with ``Retry-After``, field ``file``)."""

    code = "too_many_imports"
    retry_after_s = IMPORT_RETRY_AFTER_S


class ImportRunningForYou(TooManyImports):
    """The user already holds an import place (HTTP 429 with ``Retry-After``, field ``file``): one at a time each."""

    code = "import_running"


class ImportSlots:
    """At most ``limit`` file imports at once in this process, and one per user.

    A route asks for a place once the caller is known to be allowed to import and the request is well
    formed (:func:`import_place`), so a caller without a login is answered 401 whatever the server is
    doing, one of the wrong role 403 and a malformed request 4xx; only an allowed importer learns that
    the places are taken (429). The upload is read only in a place, and the place is given back when the
    import ends, answered or failed. One place per user: an importer who sends slowly (or two files at once)
    holds their own place only, and the others' imports go on (review).
    """

    def __init__(self, limit: int, *, stall_s: int = 60):
        self.places = ProcessPlaces(limit)
        self.stall_s = stall_s  # how long a cut-off upload may still hold its sender's place
        self._holders: set[str] = set()
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        """How many imports may run at once in this process."""
        return self.places.limit

    @property
    def running(self) -> int:
        """How many imports hold a place now."""
        return self.places.running

    @property
    def own_retry_after_s(self) -> int:
        """When a user refused for an import of their own may try again: a cut-off upload is let go within the stall."""
        return max(IMPORT_RETRY_AFTER_S, self.stall_s)

    @contextlib.contextmanager
    def hold(self, *, username: str) -> Iterator[None]:
        """Hold one place for ``username`` for the block, or raise :class:`TooManyImports` if every place is taken
        or the user already holds one."""
        with self._lock:
            if username in self._holders:  # running, or cut off and not yet known to be (review): come back later
                refusal = ImportRunningForYou(text("http.import_running_for_you", stall=self.stall_s,
                                                   seconds=self.own_retry_after_s), field="file")
                refusal.retry_after_s = self.own_retry_after_s
                raise refusal
            if not self.places.take():
                raise TooManyImports(text("http.too_many_imports", limit=self.limit,
                                          seconds=IMPORT_RETRY_AFTER_S), field="file")
            self._holders.add(username)
        try:
            yield
        finally:
            with self._lock:
                self._holders.discard(username)
                self.places.give_back()

    def exposition(self) -> str:
        """Return the places as Prometheus gauges (in use, and the limit), for ``/metrics``."""
        return ("# HELP xincheng_import_places_in_use File imports running in this worker (each holds a place).\n"
                "# TYPE xincheng_import_places_in_use gauge\n"
                f"xincheng_import_places_in_use {self.running}\n"
                "# HELP xincheng_import_places File imports this worker runs at once at most.\n"
                "# TYPE xincheng_import_places gauge\n"
                f"xincheng_import_places {self.limit}\n")


def import_place(request: Request, *, username: str) -> contextlib.AbstractContextManager[None]:
    """Hold one of the app's import places (:class:`ImportSlots`) for ``username`` for the block: an import route
    enters it once its login, role and parameters are checked and before it reads the upload."""
    return request.app.state.import_slots.hold(username=username)


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
