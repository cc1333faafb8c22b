"""``xincheng serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable

import click

from api.cli.common import Context, command, domain_errors, null_for_closed_streams
from geo.messages import text

# Hosts that listen on every interface: a browser cannot be sent to them.
WILDCARD_HOSTS = ("0.0.0.0", "", "::")
# Private addresses a UDP socket is "connected" to (no packet is sent) to learn which interface would be used.
_PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")


def lan_address() -> str | None:
    """Return this machine's own non-loopback IPv4 address (what a phone on the same network reaches), or None.

    Read from the interfaces without the internet: the source address the kernel picks for a
    private destination (a UDP ``connect`` sends nothing), then the addresses of the host name.
    """
    candidates: list[str] = []
    for probe in _PROBES:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))
            candidates.append(sock.getsockname()[0])
    with contextlib.suppress(OSError):
        candidates += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    for candidate in candidates:
        address = ipaddress.ip_address(candidate)
        if not (address.is_loopback or address.is_unspecified or address.is_link_local):
            return candidate
    return None


def own_base_url(host: str, port: int, *, find_address: Callable[[], str | None] = lan_address) -> str:
    """Return the address of a server on ``host:port`` as a browser (a phone scanning a QR code) reaches it.

    A wildcard host (0.0.0.0) is replaced by this machine's own network address; with none, 127.0.0.1.
    """
    shown = (find_address() or "127.0.0.1") if host in WILDCARD_HOSTS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址（0.0.0.0 供手机访问） · address to listen on (0.0.0.0: reachable by phones).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="端口（0：任一空闲端口） · port (0: any free port).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="工作进程数 · worker processes; with more than one, use PostGIS (README 'Production').")
@click.option("--reuse-port", is_flag=True, default=False,
              help="各工作进程各自监听同一端口（SO_REUSEPORT），使代理的长连接也均匀分配；代价见 README · each worker "
                   "listens on a socket of its own (SO_REUSEPORT), so a proxy's kept connections are spread "
                   "evenly too; for its price see README 'Production'.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, workers: int, reuse_port: bool) -> None:
    """启动服务 · Serve the HTTP API (OpenAPI docs at /docs); one JSON log line per request on stderr.

    Behind a reverse proxy on this machine, the client address comes from X-Forwarded-For
    (uvicorn trusts 127.0.0.1; set FORWARDED_ALLOW_IPS for a proxy elsewhere). Unless
    XINCHENG_PUBLIC_BASE_URL is set, QR codes point at this server's own --host and --port; with
    --host 0.0.0.0, at this machine's network address (so a phone on the same network can open them).
    """
    import os
    from dataclasses import replace
    from typing import Any

    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from api.cli.collector import pace_for_a_server

    pace_for_a_server()  # a worker lives for days: Python's own collection pace (the command set a rarer one)

    from api.app import create_app
    from api.listeners import listen_address, shown_address

    with domain_errors():
        obj.store  # noqa: B018 - migrate before serving
        # Closed at once: the app opens its own. Held open through the serving, a SQLite file kept its -wal and
        # -shm after a clean SIGTERM (uvicorn ends the process by the signal, after the app's store closed).
        obj.close()
        # a taken port is refused before any worker starts
        listener = listen_address(host, port, workers=workers, reuse_port=reuse_port)
    null_for_closed_streams(stdout=True)  # `serve >&- 2>&-`: uvicorn's log setup needs both
    port = listener.getsockname()[1]  # --port 0: the free port taken
    settings = obj.settings
    if not os.environ.get("XINCHENG_PUBLIC_BASE_URL"):
        settings = replace(settings, public_base_url=own_base_url(host, port))
        if host in WILDCARD_HOSTS and settings.public_base_url.startswith("http://127.0.0.1:"):
            click.echo(text("cli.no_lan_address", port=port), err=True)
    click.echo(text("cli.qr_base", url=settings.public_base_url))
    common: dict[str, Any] = {"host": host, "port": port, "log_level": settings.log_level.lower(),
                              "access_log": False, "proxy_headers": True}
    own_sockets = reuse_port and workers > 1
    click.echo(text("cli.serving_on_own_sockets" if own_sockets else "cli.serving_on",
                    url=f"http://{shown_address(host, port)}", workers=workers))
    if workers == 1:
        server = uvicorn.Server(uvicorn.Config(create_app(settings, own_process=True), **common))
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[listener])
        if not server.started:  # as uvicorn.run: the app failed to start
            raise SystemExit(STARTUP_FAILURE)
        return
    # Each worker process builds its app from the environment: hand it these command-line settings.
    os.environ["XINCHENG_PUBLIC_BASE_URL"] = settings.public_base_url
    os.environ["XINCHENG_DATABASE_URL"] = obj.settings.database_url
    os.environ["XINCHENG_DEV_MODE"] = "1" if obj.settings.dev_mode else "0"
    config = uvicorn.Config("api.app:serving_app", factory=True, workers=workers, **common)
    # uvicorn's supervisor (restarts, SIGHUP, SIGTTIN/SIGTTOU); with --reuse-port each worker listens on a socket
    with contextlib.suppress(KeyboardInterrupt):  # of its own (api.listeners)
        Multiprocess(config, sockets=[listener]).run()
