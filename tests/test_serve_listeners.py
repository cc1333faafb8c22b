"""``xincheng serve``'s listening sockets (api/listeners.py), tried on the real command with real sockets.

Several workers share one listening socket by default, and one worker can take every connection of a burst: a
proxy's keep-alive pool then loads one worker while the others idle (issue #15). With ``--reuse-port`` each
worker listens on a socket of its own (``SO_REUSEPORT``). Either way a taken address is refused before any worker
starts, a second service cannot quietly share a running one's port, and a restart takes the port at once.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import IO

import pytest

from geo.store import Store

pytestmark = pytest.mark.xdist_group("cli")

REFUSED = "Error: 无法在 127.0.0.1:{port} 上监听（--host / --port）"
BURST = 32  # connections opened together, kept, each asking which worker holds it


def _env(tmp_path: Path) -> dict[str, str]:
    """A serving environment on a new database of its own (serve refuses a file that is missing or empty)."""
    if not (tmp_path / "x.db").exists():
        with closing(Store.open(f"sqlite:///{tmp_path / 'x.db'}")) as store:
            store.migrate()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    return {**env, "XINCHENG_SECRET_KEY": "s" * 48, "XINCHENG_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}


def _serve(tmp_path: Path, log: IO[str], *args: str) -> subprocess.Popen:
    """Start the command; its log (a line per request) goes to ``log``, a file, where no pipe can fill."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", "serve", *args], env=_env(tmp_path), text=True,
                            stdout=subprocess.PIPE, stderr=log)


def _announced_port(proc: subprocess.Popen, log_path: Path, *, seconds: float = 90) -> int:
    """Return the port ``serve`` says it is about to serve on, waiting at most ``seconds`` for the line (read by
    a thread: a pipe's text is buffered by lines, which a poll of the pipe does not see)."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            found = re.search(r"about to serve on http://127\.0\.0\.1:(\d+)", lines.get(timeout=0.5))
        except queue.Empty:
            assert proc.poll() is None, log_path.read_text()[-1500:]
            continue
        if found:
            return int(found[1])
    raise AssertionError("serve announced no address: " + log_path.read_text()[-1500:])


def _listening(port: int) -> int:
    """Return how many sockets listen on loopback ``port`` (the kernel's own table)."""
    wanted = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == wanted and row.split()[3] == "0A")


def _worker_of(conn: http.client.HTTPConnection) -> str:
    """Ask over ``conn`` (kept open) which worker process answers it."""
    conn.request("GET", "/metrics")
    answer = conn.getresponse()
    body = answer.read().decode()
    assert answer.status == 200, body[:300]
    found = re.search(r"^xincheng_worker_pid (\d+)$", body, re.M)
    assert found is not None, body[-300:]
    return found[1]


def _until(check, *, seconds: float = 60, what: str) -> None:
    deadline = time.time() + seconds
    while not check():
        assert time.time() < deadline, what
        time.sleep(0.2)


def _burst(port: int) -> Counter:
    """Open BURST connections at once, then ask on each which worker holds it; count connections per worker."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(BURST)]
    for conn in conns:
        conn.connect()
    try:
        return Counter(_worker_of(conn) for conn in conns)
    finally:
        for conn in conns:
            conn.close()


def test_with_reuse_port_each_worker_listens_on_its_own_socket_and_a_burst_of_kept_connections_is_spread(tmp_path):
    with open(tmp_path / "serve.log", "w") as log:
        _served_by_own_sockets(tmp_path, log)
    err = (tmp_path / "serve.log").read_text()
    assert "Stopping parent process" in err, err[-1500:]


def _served_by_own_sockets(tmp_path: Path, log: IO[str]) -> None:
    log_path = tmp_path / "serve.log"
    proc = _serve(tmp_path, log, "--port", "0", "--workers", "2", "--reuse-port")  # 0: one free port, shared
    try:
        port = _announced_port(proc, log_path)
        _until(lambda: _listening(port) == 2, what="two workers listening, each on its own socket")
        spread = _burst(port)
        # One shared socket let one worker accept the whole burst; the kernel now hashes each connection to a
        # worker's socket (all 32 on one of two: a chance of 2 in 2^32).
        assert len(spread) == 2 and min(spread.values()) >= 4, spread

        # A second service on the same port is refused, as before: SO_REUSEPORT must not let it share the port.
        second = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
                                 "--reuse-port"],
                                env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and REFUSED.format(port=port) in second.stderr, second.stderr[-800:]

        # A worker that dies is replaced (uvicorn's supervisor), and its replacement listens on a socket of its own.
        dead = next(iter(spread))
        os.kill(int(dead), signal.SIGKILL)
        # The supervisor notices, starts a replacement, which binds its own socket and listens once its app has
        # started (the third "startup complete"); the dead one's threads let go of its socket meanwhile.
        _until(lambda: f"Child process [{dead}] died" in log_path.read_text()
               and log_path.read_text().count("Application startup complete") >= 3 and _listening(port) == 2,
               what="the dead worker replaced by one with its own socket")
        again = _burst(port)
        assert dead not in again and len(again) == 2 and min(again.values()) >= 4, again
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()[-1500:]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_taken_address_is_refused_chinese_first_naming_the_options_before_anything_starts(tmp_path, workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", workers],
                           env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    # uvicorn said only "[Errno 98] Address already in use" (English) and exited 3.
    assert r.returncode == 2, (r.returncode, r.stderr[-800:])
    assert REFUSED.format(port=port) in r.stderr and "Address already in use" in r.stderr
    assert "cannot listen on" in r.stderr and "Started" not in r.stderr  # no worker started
    for bad in ("70000", "-1"):  # click's range, said Chinese first: never "in use by another program"
        r = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", bad, "--workers", workers],
                           env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "不在范围 0<=x<=65535 内" in r.stderr and "--port" in r.stderr, r.stderr[-800:]


def test_by_default_the_workers_share_one_socket_and_a_restart_takes_the_port_at_once(tmp_path):
    """The shared socket (uvicorn's way) stays the default: a worker that stops accepting costs nothing there
    (api/listeners.py). A review found a restart with --reuse-port refused for up to 60 s after a run whose
    closed connections waited in TIME_WAIT: both ways of listening now take the port at once."""
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        proc = _serve(tmp_path, log, "--port", "0", "--workers", "2")
        try:
            port = _announced_port(proc, log_path)
            _until(lambda: "Application startup complete" in log_path.read_text() and _listening(port) == 1,
                   what="two workers on one shared socket")
            for _ in range(20):  # closed by the server first: its side waits in TIME_WAIT
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/api/health", headers={"Connection": "close"})
                assert conn.getresponse().status == 200
                conn.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
        assert proc.returncode == 0, log_path.read_text()[-1500:]
        assert _listening(port) == 0
        restarted = _serve(tmp_path, log, "--port", str(port), "--workers", "2", "--reuse-port")
        try:
            assert _announced_port(restarted, log_path) == port
            _until(lambda: _listening(port) == 2, what="the restart listening at once")
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.communicate(timeout=60)
        assert restarted.returncode == 0, log_path.read_text()[-1500:]


def test_a_worker_that_cannot_bind_its_socket_ends_as_one_that_could_not_start():
    """Else uvicorn's supervisor would start it again every half second without end (a review's reading)."""
    from api.listeners import STARTUP_FAILURE, worker_socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit) as ended:
            worker_socket("127.0.0.1", taken.getsockname()[1])
    assert ended.value.code == STARTUP_FAILURE == 3


def test_two_reuse_port_services_started_together_do_not_share_the_port(tmp_path):
    """A second review started two 0.3 s apart: both ran, each answering half the requests (the first one's hold is
    only bound until its workers listen, and a plain bind passes beside it). Now the second is refused."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        first = _serve(tmp_path, log, "--port", str(port), "--workers", "2", "--reuse-port")
        try:
            assert _announced_port(first, log_path) == port  # bound and claimed; its workers are still starting
            second = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
                                     "--reuse-port"], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
            assert second.returncode == 2 and REFUSED.format(port=port) in second.stderr, second.stderr[-800:]
            _until(lambda: _listening(port) == 2, what="the first service's two workers listening")
        finally:
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=60)
    assert first.returncode == 0, log_path.read_text()[-1500:]
