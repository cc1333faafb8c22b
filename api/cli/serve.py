"""``xincheng serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import click

from api.cli.common import Context, command, domain_errors


def own_base_url(host: str, port: int) -> str:
    """Return the address of a server on ``host:port`` as a browser reaches it (0.0.0.0 → 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; with more than one, use PostGIS (README 'Production').")
@click.pass_obj
def serve(obj: Context, host: str, port: int, workers: int) -> None:
    """启动服务 · Serve the HTTP API (OpenAPI docs at /docs); one JSON log line per request on stderr.

    Behind a reverse proxy on this machine, the client address comes from X-Forwarded-For
    (uvicorn trusts 127.0.0.1; set FORWARDED_ALLOW_IPS for a proxy elsewhere). Unless
    XINCHENG_PUBLIC_BASE_URL is set, QR codes point at this server's own --host and --port.
    """
    import os
    from dataclasses import replace
    from typing import Any

    import uvicorn

    from api.app import create_app

    with domain_errors():
        obj.store  # noqa: B018 - migrate before serving
    settings = obj.settings
    if "XINCHENG_PUBLIC_BASE_URL" not in os.environ:
        settings = replace(settings, public_base_url=own_base_url(host, port))
    common: dict[str, Any] = {"host": host, "port": port, "log_level": settings.log_level.lower(),
                              "access_log": False, "proxy_headers": True}
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return
    # Each worker process builds its app from the environment: hand it these command-line settings.
    os.environ["XINCHENG_PUBLIC_BASE_URL"] = settings.public_base_url
    os.environ["XINCHENG_DATABASE_URL"] = obj.settings.database_url
    os.environ["XINCHENG_DEV_MODE"] = "1" if obj.settings.dev_mode else "0"
    uvicorn.run("api.app:create_app", factory=True, workers=workers, **common)
