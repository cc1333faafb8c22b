"""Request ids, one structured (JSON) log line per request, and in-process Prometheus metrics.

Every request gets an id: the caller's ``X-Request-ID`` when it is a sane token (a reverse proxy
usually sets one), else a new one. It is echoed in the response, carried by every log record
written while the request runs, and put in 500 error bodies so a user can quote it.
"""

from __future__ import annotations

import contextvars
import gc
import json
import logging
import os
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import CLIENT_CLOSED_REQUEST, log_failure, unexpected_error_response

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("xincheng.access")
error_log = logging.getLogger("xincheng.api")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        out: dict[str, Any] = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                               "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                               "pid": record.process}
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        out.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and k != "request_id"})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _stamp_request_id(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """Wrap a log-record factory so each record carries the request id of the code that wrote it."""
    if getattr(factory, "stamps_request_id", False):
        return factory

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    make.stamps_request_id = True  # type: ignore[attr-defined]
    return make


def configure_logging(level: str = "INFO") -> None:
    """Send the service's logs (loggers ``xincheng`` and ``geo``, the use cases' own, such as the lookup
    refresher's) to stderr as JSON lines; safe to call twice.

    Records are stamped with the request id when they are made (in the request's own context),
    so any handler, not only this one, sees it.
    """
    logging.setLogRecordFactory(_stamp_request_id(logging.getLogRecordFactory()))
    for name in ("xincheng", "geo"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)


class Metrics:
    """Request counts and latency histograms by method, route template and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS_S) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.in_flight = 0
        self.started = time.time()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        with self._lock:
            self.requests[(method, route, status)] += 1
            counts = self.buckets[(method, route)]
            counts[next((i for i, b in enumerate(BUCKETS_S) if seconds <= b), len(BUCKETS_S))] += 1
            self.sums[(method, route)] += seconds

    def exposition(self) -> str:
        """Return the metrics in the Prometheus text format (version 0.0.4)."""
        lines = ["# HELP xincheng_http_requests_total Requests finished, by method, route and status.",
                 "# TYPE xincheng_http_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'xincheng_http_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}')
            lines += ["# HELP xincheng_http_request_duration_seconds Request duration.",
                      "# TYPE xincheng_http_request_duration_seconds histogram"]
            for (method, route), counts in sorted(self.buckets.items()):
                labels = f'method="{method}",route="{route}"'
                running = 0
                for bound, n in zip((*BUCKETS_S, "+Inf"), counts, strict=True):
                    running += n
                    lines.append(f'xincheng_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {running}')
                lines.append(f"xincheng_http_request_duration_seconds_sum{{{labels}}} {self.sums[(method, route)]:.6f}")
                lines.append(f"xincheng_http_request_duration_seconds_count{{{labels}}} {running}")
            lines += ["# HELP xincheng_http_requests_in_flight Requests being served.",
                      "# TYPE xincheng_http_requests_in_flight gauge",
                      f"xincheng_http_requests_in_flight {self.in_flight}",
                      "# HELP xincheng_process_start_time_seconds Start time of this worker.",
                      "# TYPE xincheng_process_start_time_seconds gauge",
                      f"xincheng_process_start_time_seconds {self.started:.0f}"]
        lines += ["# HELP xincheng_worker_pid The process id of the worker this scrape reached (each counts its own).",
                  "# TYPE xincheng_worker_pid gauge",
                  f"xincheng_worker_pid {os.getpid()}",
                  "# HELP xincheng_gc_frozen_objects Objects this worker keeps out of the garbage collector's "
                  "collections (what it had loaded when it started serving; api.app.create_app).",
                  "# TYPE xincheng_gc_frozen_objects gauge",
                  f"xincheng_gc_frozen_objects {gc.get_freeze_count()}",
                  "# HELP xincheng_gc_collections_total Garbage collections of this worker, by generation (a full "
                  "collection, generation 2, stops its requests meanwhile).",
                  "# TYPE xincheng_gc_collections_total counter"]
        lines += [f'xincheng_gc_collections_total{{generation="{generation}"}} {stats["collections"]}'
                  for generation, stats in enumerate(gc.get_stats())]
        lines += ["# HELP xincheng_gc_threshold The garbage collector's threshold of each generation in this worker "
                  "(Python's own: 700, 10, 10).", "# TYPE xincheng_gc_threshold gauge"]
        lines += [f'xincheng_gc_threshold{{generation="{generation}"}} {threshold}'
                  for generation, threshold in enumerate(gc.get_threshold())]
        return "\n".join(lines) + "\n"

    def enter(self, delta: int) -> None:
        """Change the in-flight count."""
        with self._lock:
            self.in_flight += delta


def _route_template(scope: Scope) -> str:
    """Return the matched route's path template (bounded label values), or 'unmatched'."""
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


class ObservabilityMiddleware:
    """Assign the request id, log one line per request and record metrics (pure ASGI, no buffering)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        started = False
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        self.metrics.enter(1)
        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:  # the client went away before its body was read (a phone losing its signal
            if not started:       # mid-upload): no one to answer, and no error of the server's to log or count
                status = CLIENT_CLOSED_REQUEST
            else:  # after the answer began: kept as it was sent, said in one line (nothing raises this today)
                error_log.debug("client gone after the answer began: %s %s (status %s kept)",
                                scope["method"], scope["path"], status)
        except Exception as exc:
            log_failure(exc, scope["method"], scope["path"])  # no statement values in the log
            if not started:  # a page to a browser, else JSON; the request id on either
                await unexpected_error_response(Request(scope), exc, rid)(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            self.metrics.enter(-1)
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            client = scope.get("client")
            access_log.info("request", extra={"method": scope["method"], "path": scope["path"], "route": route,
                                              "status": status, "duration_ms": round(seconds * 1000, 2),
                                              "client": client[0] if client else None})
            REQUEST_ID.reset(token)
