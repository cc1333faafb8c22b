"""A minimal Chrome DevTools Protocol driver over Debian's Chromium, for tests that need a real
browser with a faked geolocation (Emulation.setGeolocationOverride) and form filling."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

from tests.browser import FLAGS, chromium


class Browser:
    """Start Chromium headless with remote debugging; drive its first page."""

    def __init__(self, *, width: int = 390, height: int = 844, extra_flags: tuple[str, ...] = ()):
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        self.proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={self._profile.name}",
                                      "--remote-debugging-port=0", f"--window-size={width},{height}", *extra_flags,
                                      "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.time() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > deadline:
                raise RuntimeError("Chromium did not open its debugging port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        import urllib.request

        for _ in range(50):
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json").read())
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                break
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self._id = 0

    def send(self, method: str, **params):
        """Send one command and return its result (events in between are skipped)."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, expression: str):
        """Evaluate JavaScript in the page and return its value."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout_s: float = 15, poll_s: float = 0.2):
        """Return the value of ``expression`` once it is truthy, evaluated every ``poll_s``; fail the test
        (AssertionError naming the expression) if it is not within ``timeout_s``."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(poll_s)
        raise AssertionError(f"timed out waiting for {expression}")

    def goto(self, url: str, *, wait_s: float = 10) -> None:
        """Navigate and wait until the document has loaded."""
        self.send("Page.navigate", url=url)
        deadline = time.time() + wait_s
        time.sleep(0.2)
        while time.time() < deadline:
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not load")

    def close(self) -> None:
        """Stop Chromium."""
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self._profile.cleanup()
