"""Headless Chromium (Debian's package) for page and rendering tests: screenshots and the rendered DOM."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# No name resolves except loopback: a page that needs the internet fails visibly.
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium() -> str:
    """Return the Chromium executable (scripts/ensure-chromium.sh installs it)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RuntimeError("chromium is not installed: run scripts/ensure-chromium.sh")
    return exe


def _run(args: list[str], url: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=90, check=True)


def screenshot(url: str, path: Path, *, width: int, height: int) -> Path:
    """Save a screenshot of ``url`` at the given window size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--window-size={width},{height}", f"--screenshot={path}"], url)
    return path


def dump_dom(url: str, *, width: int = 390, height: int = 844) -> str:
    """Return the DOM Chromium rendered for ``url``."""
    return _run([f"--window-size={width},{height}", "--dump-dom"], url).stdout
