"""What the server benchmarks share: a fresh sample database and `xincheng serve` in its own process.

A benchmark measures the real server on loopback: the sample district is loaded with
``xincheng init`` into a new SQLite file or a new PostgreSQL database (dropped afterwards), and
the server runs as the command a deployment runs, so nothing measured shares this interpreter.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

SECRET = "benchmark-secret-" + "x" * 32
CLI = [sys.executable, "-m", "api.cli"]


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a benchmark server: its database, a fixed secret, no rate limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    return {**env, "XINCHENG_DATABASE_URL": database_url, "XINCHENG_SECRET_KEY": SECRET,
            "XINCHENG_PUBLIC_RATE_PER_MINUTE": "100000000", "XINCHENG_LOG_LEVEL": "WARNING", **extra}


def _pg_admin(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")


@contextmanager
def postgis_database(postgis_url: str, name: str | None = None, *, keep: bool = False) -> Iterator[str]:
    """Create database ``name`` (a new unique name by default; an existing one is dropped first) with
    PostGIS on ``postgis_url``'s server; yield its URL; drop it afterwards unless ``keep``."""
    name = name or f"xincheng_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin(postgis_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(postgis_url).set(database=name).render_as_string(hide_password=False)
    engine = _pg_admin(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    engine.dispose()
    try:
        yield url
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@contextmanager
def sample_database(backend: str, *, postgis_url: str | None = None) -> Iterator[str]:
    """Yield the URL of a new database holding the sample district.

    SQLite: a file in a temporary folder. PostGIS: a new database on ``postgis_url``'s server,
    dropped afterwards.
    """
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            assert postgis_url
            url = stack.enter_context(postgis_database(postgis_url))
        subprocess.run([*CLI, "init"], env=server_env(url), check=True, capture_output=True)
        yield url


def postgis_reachable(url: str | None) -> str | None:
    """Return why PostGIS cannot be used (no URL, no server), or None when it can."""
    if not url:
        return "no --postgis URL given"
    try:
        engine = _pg_admin(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:  # any failure means: skip PostGIS, and say why
        return f"PostGIS at {url} unreachable: {str(exc).splitlines()[0]}"
    return None


@contextmanager
def running_server(database_url: str, *, workers: int = 1, timeout_s: float = 120.0, serve_args: tuple[str, ...] = (),
                   **env: str) -> Iterator[str]:
    """Start `xincheng serve` on a free loopback port (``serve_args``: more of its options); yield its base URL
    once /api/health answers."""
    with serving_process(database_url, workers=workers, timeout_s=timeout_s, serve_args=serve_args,
                         **env) as (base, _pid):
        yield base


@contextmanager
def serving_process(database_url: str, *, workers: int = 1, timeout_s: float = 120.0, serve_args: tuple[str, ...] = (),
                    **env: str) -> Iterator[tuple[str, int]]:
    """Start `xincheng serve` (``env``: more XINCHENG_ settings); yield its base URL and the server's pid
    (with one worker, the process that serves) once /api/health answers."""
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", str(workers), *serve_args],
                              env=server_env(database_url, **env), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with status {server.returncode}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
