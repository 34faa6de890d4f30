"""``gitmem view --serve``: the memory page over HTTP on 127.0.0.1 only, rebuilt when memory changes.

Invariants:
- Bound to the loopback address only, and a request whose ``Host`` is not ``127.0.0.1:<port>`` or
  ``localhost:<port>`` is refused (403), so a web page elsewhere cannot read memory through DNS rebinding.
- Only ``GET /`` (and ``/memory.html``) answer; nothing is written anywhere, nothing else is served.
- A request sees memory as it is then: before answering, the memory ref's tip and the decision folder's
  signature are compared with those the page was built from, and the page is rebuilt when either moved
  (one ``rev-parse`` and one folder listing per request when nothing changed). ``refresh`` runs first (the
  CLI passes the merge of memory a plain ``git fetch`` brought).
"""

from __future__ import annotations

import errno
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from gitmem.errors import GitmemError
from gitmem.git import Repo
from gitmem.index.rows import decisions_signature
from gitmem.store import memory_ref
from gitmem.view.build import page_bytes

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATHS = ("/", "/memory.html")


class PageServer(ThreadingHTTPServer):
    """The HTTP server and the page it last built."""

    daemon_threads = True

    def __init__(self, repo: Repo, port: int, refresh: Callable[[], object] | None = None) -> None:
        self.repo = repo
        self.refresh = refresh
        self._lock = threading.Lock()
        self._built_from: tuple[str, str] | None = None
        self._page = b""
        self.builds = 0
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            taken = exc.errno == errno.EADDRINUSE
            raise GitmemError(f"cannot listen on {HOST}:{port}: "
                              + ("the port is already taken" if taken else str(exc.strerror or exc)),
                              hint=("another program (perhaps another `gitmem view --serve`) listens on it; "
                                    if taken else "") + "choose another port with --port (0 picks a free one)."
                              ) from None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def current_page(self) -> bytes:
        """The page for memory as it is now: rebuilt when the ref's tip or the decision files changed."""
        with self._lock:
            if self.refresh is not None:
                self.refresh()
            state = (memory_ref.memory_tip(self.repo) or "", decisions_signature(self.repo.root))
            if state != self._built_from:
                self._page, _data = page_bytes(self.repo)
                self._built_from = state
                self.builds += 1
                logger.info("rebuilt the memory page (%d bytes)", len(self._page))
            return self._page


class _Handler(BaseHTTPRequestHandler):
    server: PageServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        port = self.server.server_address[1]
        if self.headers.get("Host", "") not in (f"{HOST}:{port}", f"localhost:{port}"):
            self._answer(403, b"forbidden: use " + self.server.url.encode() + b"\n", "text/plain")
            return
        if self.path.split("?", 1)[0] not in PATHS:
            self._answer(404, b"not found\n", "text/plain")
            return
        try:
            page = self.server.current_page()
        except GitmemError as exc:
            self._answer(503, f"{exc.message}\nhint: {exc.hint}\n".encode(), "text/plain")
            return
        self._answer(200, page, "text/html")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        logger.debug("%s " + format, self.address_string(), *args)
