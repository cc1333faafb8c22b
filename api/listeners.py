"""The listening socket of ``xincheng serve``: bound before any worker starts; optionally one per worker.

By default the workers share one listening socket (uvicorn's way). A worker that wakes takes every connection
waiting (asyncio accepts up to the backlog at once), so clients that open their connections together and keep
them, as a proxy's keep-alive pool does (DEPLOYMENT.md's nginx keeps 32), can all land on one worker while the
others idle: counted from the access log, 32 and 2,251 requests of one run on two workers. But a worker that
stops accepting (hung, or paused by a long full garbage collection) costs nothing: the others take its share.

``--reuse-port`` (as gunicorn's ``reuse_port``) gives each worker a socket of its own bound to the same address
with ``SO_REUSEPORT``: the kernel spreads new connections over the workers' sockets by their addresses, kept
ones included. The price: connections hashed to a worker that stops accepting wait for it, until uvicorn's
health check replaces it (5 s), and those queued when it dies are reset unless ``net.ipv4.tcp_migrate_req=1``.
A review measured it: one worker stopped (SIGSTOP) under load stalled most requests for ~5 s and failed 16;
with the shared socket none failed. Hence not the default.

With it, the supervisor (uvicorn's own: it restarts a dead or hung worker, replaces them all on SIGHUP, adds and
drops one on SIGTTIN/SIGTTOU) holds a :class:`WorkerListener`: bound, never listening, so the kernel sends it
nothing. Sent to a worker, it arrives as that worker's own socket (:func:`worker_socket`, called when the worker
unpickles it). A taken address is refused, Chinese first naming ``--host``/``--port``, before any worker starts,
another ``xincheng serve`` on it included (a plain bind is tried first: ``SO_REUSEPORT`` alone would let a
second service of the same user share the port). Linux and the BSDs only.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from uvicorn.config import STARTUP_FAILURE  # a worker that could not start: its supervisor stops, not restarts it

from geo.errors import InputError
from geo.messages import text


def _family(host: str) -> socket.AddressFamily:
    """Return the address family of ``host`` as uvicorn reads it (a ``:`` makes it IPv6)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def shown_address(host: str, port: int) -> str:
    """Return ``host:port`` as written in a URL (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bound(sock: socket.socket, host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """Bind ``sock`` to ``host:port`` (``SO_REUSEADDR`` as uvicorn binds, so a restart is not refused for the last
    run's closed connections; ``SO_REUSEPORT`` if asked) and return it, or close it and refuse naming the options
    when the address is taken or not this machine's."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0–65535 (the CLI refuses it first)
        sock.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(text("cli.listen_failed", address=shown_address(host, port), reason=reason),
                         field="port") from None
    sock.set_inheritable(True)
    return sock


def _tcp(host: str, kind: type[socket.socket] = socket.socket) -> socket.socket:
    """Return a new TCP socket (of ``kind``) for ``host``'s address family."""
    return kind(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)


class WorkerListener(socket.socket):
    """The supervisor's hold on the address: bound, never listening; a worker receives its own socket instead."""

    claim: socket.socket | None = None  # the address claimed for this service (:func:`_claim`)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for a worker process (uvicorn starts its workers by spawning): arrive as a new socket of the
        worker's own, bound to the same address (:func:`worker_socket`), never as this one."""
        host, port = self.getsockname()[:2]
        return worker_socket, (host, port)


def worker_socket(host: str, port: int) -> socket.socket:
    """Return a worker's own socket bound to ``host:port`` beside its siblings' (``SO_REUSEPORT``); uvicorn makes
    it listen. If it cannot bind, the worker ends as one that could not start, so the supervisor stops rather than
    start it again and again."""
    try:
        return _bound(_tcp(host), host, port, reuse_port=True)
    except InputError as exc:
        logging.getLogger("uvicorn.error").error(exc.message)
        raise SystemExit(STARTUP_FAILURE) from None


def listen_address(host: str, port: int, *, workers: int, reuse_port: bool = False) -> socket.socket:
    """Return the socket ``xincheng serve`` hands uvicorn, bound to ``host:port``.

    The workers share it, unless ``reuse_port`` with several workers: then a :class:`WorkerListener` bound with
    ``SO_REUSEPORT`` beside which each worker binds its own. A plain bind is tried first in either case, so a
    port where anything listens, another ``xincheng serve`` included, is refused. Port 0 takes a free port (every
    worker then shares it). A taken address is an :class:`InputError` naming ``--host``
    and ``--port``.
    """
    sock = _bound(_tcp(host), host, port)
    if not (reuse_port and workers > 1):
        return sock
    port = sock.getsockname()[1]  # port 0: the free port the check found
    try:
        claim = _claim(host, port)
    finally:
        sock.close()
    listener = _bound(_tcp(host, WorkerListener), host, port, reuse_port=True)
    listener.claim = claim  # held as long as the supervisor holds the address
    return listener


def _claim(host: str, port: int) -> socket.socket | None:
    """Return a claim on ``host:port`` for a ``--reuse-port`` service: an abstract Unix socket named after the
    address (Linux; it goes with the process), or None where there is none.

    A review started two ``--reuse-port`` services 0.3 s apart: both ran, sharing the port. Until the first one's
    workers listen, its hold is only bound, and the second's plain bind passes beside a bound socket; the claim
    closes that gap. Taken while the plain bind is held, so one of two services checking at once is refused.
    """
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0xincheng-serve {host} {port}")
    except OSError as exc:
        claim.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(text("cli.listen_failed", address=shown_address(host, port),
                                  reason="xincheng serve --reuse-port"), field="port") from None
        return None  # no abstract sockets here: the plain bind's check alone
    return claim
