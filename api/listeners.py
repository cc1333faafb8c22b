"""The listening sockets of ``xincheng serve``: bound before any worker starts, one of its own per worker.

uvicorn's several workers share one listening socket, and a worker that wakes takes every connection waiting
(asyncio accepts up to the backlog at once). Clients that open their connections together and keep them, as a
proxy's keep-alive pool does (DEPLOYMENT.md's nginx keeps 32), can then all land on one worker while the others
idle: counted from the access log, 32 and 2,251 requests of one run on two workers. Here each worker listens on
a socket of its own bound to the same address with ``SO_REUSEPORT``, and the kernel spreads new connections over
the workers' sockets by their addresses.

The supervisor (uvicorn's own: it restarts a dead or hung worker, replaces them all on SIGHUP, adds and drops one
on SIGTTIN/SIGTTOU) holds a :class:`WorkerListener`: bound, so a taken address is refused before anything starts
(Chinese first, naming ``--host``/``--port``), but never listening, so the kernel sends it nothing. Sent to a
worker, it arrives as that worker's own socket (:func:`worker_socket`, called when the worker unpickles it).
A listener of one worker is bound the same way without ``SO_REUSEPORT``. Linux and the BSDs only: another
process of the same user could bind the same port with ``SO_REUSEPORT`` too (as with any port it may use).
"""

from __future__ import annotations

import socket
from typing import Any

from geo.errors import InputError
from geo.messages import text


def _family(host: str) -> socket.AddressFamily:
    """Return the address family of ``host`` as uvicorn reads it (a ``:`` makes it IPv6)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bound(sock: socket.socket, host: str, port: int, *, reuse_address: bool = True, reuse_port: bool = False
           ) -> socket.socket:
    """Bind ``sock`` to ``host:port`` with the options asked and return it, or close it and refuse naming the
    options when the address is taken or not this machine's."""
    try:
        if reuse_address:  # as uvicorn binds: a restart is not refused for the last run's closed connections
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(text("cli.listen_failed", host=host, port=port, reason=reason), field="port") from None
    sock.set_inheritable(True)
    return sock


def _tcp(host: str, kind: type[socket.socket] = socket.socket) -> socket.socket:
    return kind(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)


class WorkerListener(socket.socket):
    """The supervisor's hold on the address: bound, never listening; a worker receives its own socket instead."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for a worker process (uvicorn starts its workers by spawning): arrive as a new socket of the
        worker's own, bound to the same address (:func:`worker_socket`), never as this one."""
        host, port = self.getsockname()[:2]
        return worker_socket, (host, port)


def worker_socket(host: str, port: int) -> socket.socket:
    """Return a worker's own socket bound to ``host:port`` beside its siblings' (``SO_REUSEPORT``); uvicorn
    makes it listen."""
    return _bound(_tcp(host), host, port, reuse_port=True)


def listen_address(host: str, port: int, *, workers: int) -> socket.socket:
    """Return the socket ``xincheng serve`` hands uvicorn for ``workers`` workers, bound to ``host:port``.

    One worker: a plain bound socket (it listens on it), as uvicorn binds one. Several: a
    :class:`WorkerListener` bound with ``SO_REUSEPORT`` alone, so that the workers' own sockets bind beside it.
    First a plain socket is bound and closed: ``SO_REUSEPORT`` would otherwise let a second ``xincheng serve``
    of the same user share a running one's port and take half its connections. The plain bind is refused by
    any socket listening there and by the hold of a running supervisor whose workers are all restarting (it
    lacks ``SO_REUSEADDR`` for this), and passes over the last run's closed connections. Two services started
    in the same instant could still both pass it. Port 0 takes a free port, which every worker then shares.
    A taken address is an :class:`InputError` naming ``--host`` and ``--port``.
    """
    sock = _bound(_tcp(host), host, port)
    if workers == 1:
        return sock
    port = sock.getsockname()[1]  # port 0: the free port the check found
    sock.close()
    return _bound(_tcp(host, WorkerListener), host, port, reuse_address=False, reuse_port=True)
