"""Headless Chromium driven over the DevTools protocol through a pipe (``--remote-debugging-pipe``).

No port is opened at all: commands go to the browser's fd 3 and answers come back on its fd 4, as
NUL-terminated JSON. No driver binary and no Python package beyond the standard library. Used by
tests/test_view_browser.py and benchmarks/bench_view.py.

``chromium_binary()`` says where the browser is, or why there is none (``GITMEM_BROWSER=skip``, not
installed: ``make test`` installs Debian's ``chromium`` where apt and root are available,
scripts/install-chromium.sh). A ``Browser`` is a context manager: leaving it closes the browser and
kills its process group, so no browser outlives the test that started it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
         "--no-proxy-server", "--mute-audio", "--disable-features=Translate,OptimizationHints,MediaRouter"]


def chromium_binary() -> tuple[str | None, str]:
    """(path to chromium, '') or (None, why not)."""
    if os.environ.get("GITMEM_BROWSER") == "skip":
        return None, "GITMEM_BROWSER=skip"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path, ""
    return None, "chromium is not installed (make test installs Debian's chromium where apt and root are available)"


class BrowserError(AssertionError):
    pass


class Browser:
    """One headless browser; ``page()`` opens a tab attached over the pipe."""

    def __init__(self, binary: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="gitmem-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()

        def child_fds() -> None:   # the browser reads commands from fd 3 and writes answers to fd 4
            # through fresh copies: a pipe end may itself be fd 3 or 4 (dup2 onto itself keeps close-on-exec)
            cmd_copy, out_copy = os.dup(cmd_r), os.dup(out_w)
            os.dup2(cmd_copy, 3)
            os.dup2(out_copy, 4)

        self.proc = subprocess.Popen([binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                                      "about:blank"], preexec_fn=child_fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.call("Browser.close", timeout=10)
                self.proc.wait(timeout=10)
        except (BrowserError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(timeout=10)
            try:   # helpers the browser started live in its process group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            for fd in (self._cmd_w, self._out_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        reply = self._read(lambda m: m.get("id") == ident, timeout)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        for i, event in enumerate(self.events):
            if event.get("method") == method and (session is None or event.get("sessionId") == session):
                return self.events.pop(i)
        return self._read(lambda m: m.get("method") == method and (session is None or m.get("sessionId") == session),
                          timeout, keep=False)

    def _read(self, wanted: Any, timeout: float | None, keep: bool = True) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if msg.get("method") == "Page.javascriptDialogOpening":   # an alert() would block the page
                    self._next += 1
                    os.write(self._cmd_w, json.dumps({"id": self._next, "method": "Page.handleJavaScriptDialog",
                                                      "params": {"accept": False},
                                                      "sessionId": msg.get("sessionId")}).encode() + b"\0")
                if wanted(msg):
                    return msg
                if "method" in msg:
                    self.events.append(msg)
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("the browser did not answer in time")
            ready, _, _ = select.select([self._out_r], [], [], left)
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    raise BrowserError("the browser closed the pipe")
                self._buf += chunk

    def page(self) -> "Page":
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        return Page(self, session)


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, self.session)

    def open(self, url: str) -> None:
        self.browser.events.clear()
        self.call("Page.navigate", {"url": url})
        self.browser.wait_event("Page.loadEventFired", self.session)

    def eval(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def settle(self, ms: int = 300) -> None:
        """Let timers the page set (a debounced search) run."""
        self.eval(f"new Promise((done) => setTimeout(done, {ms}))")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and dialogs seen so far on this page."""
        self.eval("0")  # a round trip: events sent before it have arrived
        out = []
        for e in self.browser.events:
            if e.get("sessionId") != self.session:
                continue
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')} {p['exceptionDetails'].get('exception', {})}")
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: {[a.get('value', a.get('description')) for a in p['args']]}")
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
            elif e["method"] == "Page.javascriptDialogOpening":
                out.append(f"dialog {p['type']}: {p['message']}")
        return out
