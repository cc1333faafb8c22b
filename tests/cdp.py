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
        self.port = port
        self.target_id = pages[0]["id"]
        self._sessions: dict[str, str] = {}

    def send(self, method: str, **params):
        """Send one command and return its result (events in between are skipped)."""
        return self._command({"method": method, "params": params})

    def send_to(self, session_id: str, method: str, **params):
        """Send one command to an attached target (a service worker, say) and return its result."""
        return self._command({"method": method, "params": params, "sessionId": session_id})

    def _command(self, command: dict):
        """Send ``command`` with the next id and return its result, skipping events in between."""
        self._id += 1
        method = command["method"]
        self.ws.send(json.dumps({"id": self._id, **command}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def set_online(self, online: bool) -> None:
        """Switch the network off or on for the page and for every service worker of the browser (their
        fetches are not the page's and need their own emulation)."""
        conditions = {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        self.send("Network.enable")
        self.send("Network.emulateNetworkConditions", **conditions)
        for target in self.send("Target.getTargets")["targetInfos"]:
            if target["type"] != "service_worker":
                continue
            if target["targetId"] not in self._sessions:
                self._sessions[target["targetId"]] = self.send("Target.attachToTarget", targetId=target["targetId"],
                                                               flatten=True)["sessionId"]
            session = self._sessions[target["targetId"]]
            self.send_to(session, "Network.enable")
            self.send_to(session, "Network.emulateNetworkConditions", **conditions)

    def reopen(self) -> None:
        """Close the page's tab and drive a new, blank one (what closing the tab and opening it again
        leaves: the browser's storage, nothing of the page's memory). Network emulation starts afresh."""
        new = self.send("Target.createTarget", url="about:blank")["targetId"]
        old_ws, old_target = self.ws, self.target_id
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/devtools/page/{new}", timeout=30)
        self.target_id, self._sessions = new, {}
        self.send("Target.closeTarget", targetId=old_target)
        old_ws.close()

    def evaluate(self, expression: str):
        """Evaluate JavaScript in the page and return its value."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout_s: float = 60, poll_s: float = 0.2):
        """Return the value of ``expression`` once it is truthy, evaluated every ``poll_s``; fail the test
        (AssertionError naming the expression) if it is not within ``timeout_s``. The bound is generous
        (a loaded two-core CI machine has taken over 15 s to answer one form post): it returns as soon as
        the page is ready, so it costs nothing when things go right."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(poll_s)
        raise AssertionError(f"timed out waiting for {expression}")

    def goto(self, url: str, *, wait_s: float = 60) -> None:
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
